//! `cogauth serve`: the credential server of `exec --server`, standalone. It prints the two
//! variables a job needs (for a shell, or as JSON) on stdout, then serves until SIGINT or
//! SIGTERM. The server itself is `cogauth_core::credential_server`.

use std::io::Write as _;
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use cogauth_core::awsfiles::AwsFiles;
use cogauth_core::broker::Broker;
use cogauth_core::credential_server::{CredentialServer, FULL_URI_VAR, ServeOptions, TOKEN_VAR};
use cogauth_core::env::ProcessEnv;
use secrecy::ExposeSecret;
use tokio::signal::unix::{SignalKind, signal};

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// The port on 127.0.0.1 (default: a free one).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// How to print the two variables.
    #[arg(long, value_enum, default_value_t = ServeFormat::Env)]
    pub format: ServeFormat,
    /// Hand out credentials valid for at least this many minutes (refreshed first otherwise).
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub window: u32,
    /// Do not upgrade through the Lambda proxy when refreshing.
    #[arg(long)]
    pub no_lambda_proxy: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeFormat {
    /// `export NAME='value'` lines for sh, bash and zsh.
    Env,
    /// One JSON object of the two variables.
    Json,
}

pub fn run(args: ServeArgs) -> Result<()> {
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    // Credentials now: a login, if one is needed, happens before anything is printed.
    crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    let options = ServeOptions {
        window: chrono::Duration::minutes(i64::from(args.window)),
        use_lambda_proxy: !args.no_lambda_proxy,
    };
    let profile = broker.profile().to_owned();
    warn_about_the_default_profile();
    let runtime = crate::context::runtime()?;
    runtime.block_on(async {
        let server = CredentialServer::bind(Arc::new(broker), args.port, options).await?;
        // Handlers before the variables are printed: whoever reads them may stop the server
        // at once, and must get a clean stop, not the default action's.
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let mut hangup = signal(SignalKind::hangup())?;
        let url = server.url();
        let token = server.token().expose_secret();
        let text = match args.format {
            ServeFormat::Env => {
                format!("export {FULL_URI_VAR}='{url}'\nexport {TOKEN_VAR}='{token}'\n")
            }
            ServeFormat::Json => {
                serde_json::json!({FULL_URI_VAR: url, TOKEN_VAR: token}).to_string() + "\n"
            }
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        drop(stdout);
        eprintln!(
            "cogauth: serving credentials of profile `{profile}` at {url} until interrupted (Ctrl-C)"
        );
        server
            .serve(async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                    _ = hangup.recv() => {}
                }
            })
            .await?;
        eprintln!("cogauth: credential server stopped");
        Ok(())
    })
}

/// Warns, on one line of stderr, when the default AWS profile holds credentials: every SDK's
/// chain reads the shared files before it asks a container-credentials server, so a job would
/// silently use those instead of the server's.
pub fn warn_about_the_default_profile() {
    let Ok(files) = AwsFiles::from_env(&ProcessEnv) else {
        return;
    };
    if let Some(found) = files.default_profile_credentials() {
        eprintln!(
            "cogauth: warning: {found} comes before this server in the AWS tools' credential chain, so a job would use it instead: move it to a named profile, or give the job AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE without it"
        );
    }
}

/// Serves `broker`'s credentials to `cmd` (whose environment gets the two variables) for as
/// long as it runs; returns its exit code (128 + the signal if a signal ended it, as shells
/// report it). SIGTERM, SIGHUP, SIGQUIT and SIGUSR1/2 sent to cogauth are passed on to CMD;
/// SIGINT is not, as the terminal sends Ctrl-C to CMD itself, and cogauth waits for CMD.
pub fn run_with_child(
    broker: Broker,
    options: ServeOptions,
    mut cmd: Command,
    program: &str,
) -> Result<i32> {
    let runtime = crate::context::runtime()?;
    runtime.block_on(async {
        let server = CredentialServer::bind(Arc::new(broker), 0, options).await?;
        cmd.env(FULL_URI_VAR, server.url())
            .env(TOKEN_VAR, server.token().expose_secret());
        // Handlers first: a signal that arrives while CMD starts is not lost.
        let mut signals = Vec::new();
        for kind in [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::quit(),
            SignalKind::user_defined1(),
            SignalKind::user_defined2(),
            SignalKind::interrupt(),
        ] {
            signals.push((kind, signal(kind)?));
        }
        let mut child = match tokio::process::Command::from(cmd).spawn() {
            Ok(child) => child,
            Err(e) => {
                eprintln!("cogauth: error: cannot run `{program}`: {e}");
                return Ok(if e.kind() == std::io::ErrorKind::NotFound {
                    127
                } else {
                    126
                });
            }
        };
        let pid = child.id().context("the command's process id")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(async {
            let _ = stopped.await;
        }));
        let status = loop {
            let received = futures::future::select_all(
                signals
                    .iter_mut()
                    .map(|(kind, s)| Box::pin(async move { s.recv().await.map(|_| *kind) })),
            );
            tokio::select! {
                status = child.wait() => break status?,
                (kind, _, _) = received => {
                    if let Some(kind) = kind
                        && kind != SignalKind::interrupt()
                    {
                        forward(pid, kind);
                    }
                }
            }
        };
        let _ = stop.send(());
        if let Ok(Err(e)) = serving.await {
            eprintln!("cogauth: warning: {e}");
        }
        use std::os::unix::process::ExitStatusExt as _;
        Ok(status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(1))
    })
}

/// Passes signal `kind` on to process `pid`.
fn forward(pid: u32, kind: SignalKind) {
    use nix::sys::signal::{Signal, kill};
    let number = kind.as_raw_value();
    let sent = Signal::try_from(number)
        .map_err(|e| e.to_string())
        .and_then(|signal| {
            let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).map_err(|e| e.to_string())?);
            kill(pid, signal).map_err(|e| e.to_string())
        });
    if let Err(e) = sent {
        tracing::warn!(pid, signal = number, error = %e, "could not pass the signal on to the command");
    }
}
