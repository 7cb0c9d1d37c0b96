//! Integration tests of the real `cogauth` binary, driven as a user would: a temporary HOME,
//! a clean environment, `--password-stdin`, and the emulator as the AWS endpoint.

mod browser;
mod configure;
mod console;
mod devices;
mod doctor;
mod help;
mod login;
mod messages;
mod profiles;
mod roles;
mod rotation;
mod security;
mod server;
mod signin_flows;
mod tokens;
mod tools;
mod upgrade;

use std::io::Write;
use std::process::{Output, Stdio};

use cogauth_test_support::TestHome;

pub const COGAUTH: &str = env!("CARGO_BIN_EXE_cogauth");

/// Runs `cogauth args...` in `home`, with `stdin` piped in.
pub fn cogauth(home: &TestHome, args: &[&str], stdin: &str) -> Output {
    cogauth_with(home, args, stdin, &[])
}

/// [`cogauth`] with extra environment variables.
pub fn cogauth_with(home: &TestHome, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = home.command(COGAUTH);
    cmd.args(args).envs(env.iter().copied());
    run_piped(cmd, stdin)
}

/// Runs `cmd` with `stdin` piped in, and collects its output.
pub fn run_piped(mut cmd: std::process::Command, stdin: &str) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cogauth");
    // The process may exit before reading stdin (e.g. a usage error): a broken pipe is fine.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait for cogauth")
}

/// [`cogauth`] detached from any terminal by `setsid`, as under CI: prompts are impossible.
pub fn cogauth_without_terminal(home: &TestHome, args: &[&str], stdin: &str) -> Output {
    let mut cmd = home.command("setsid");
    cmd.arg(COGAUTH).args(args);
    run_piped(cmd, stdin)
}

/// [`cogauth`] in a new session without a controlling terminal (`setsid`): a question that
/// needs a terminal fails at once, whatever terminal the tests run in.
pub fn cogauth_detached(home: &TestHome, args: &[&str], stdin: &str) -> Output {
    let mut cmd = home.command("setsid");
    cmd.arg(COGAUTH)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn setsid cogauth");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait for cogauth")
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "cogauth failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts failure and returns stderr.
#[track_caller]
pub fn fails(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "cogauth should have failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a future to completion (fixtures are async; the binaries are driven synchronously).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

pub const PASSWORD: &str = "Correct-Horse-9!";

/// A user pool with one user, and a HOME whose cogauth profile `profile` points at it.
#[derive(Debug)]
pub struct World {
    pub home: TestHome,
    pub pool: cogauth_test_support::fixtures::Pool,
    pub user: String,
    pub profile: String,
}

impl World {
    pub fn new(opts: cogauth_test_support::fixtures::PoolOptions, configure: &[&str]) -> Self {
        Self::with_user_attributes(opts, configure, &[])
    }

    /// [`World::new`] whose user has `attributes` (e.g. an email for one-time codes).
    pub fn with_user_attributes(
        opts: cogauth_test_support::fixtures::PoolOptions,
        configure: &[&str],
        attributes: &[(&str, &str)],
    ) -> Self {
        use cogauth_test_support::fixtures;
        let pool = block_on(fixtures::create_pool(opts));
        let user = fixtures::unique("user");
        block_on(fixtures::create_user_with_attributes(
            &pool, &user, PASSWORD, attributes,
        ));
        let home = TestHome::new();
        let profile = "dev".to_owned();
        let mut args = vec![
            "configure",
            "--profile",
            &profile,
            "--user-pool-id",
            &pool.user_pool_id,
            "--client-id",
            &pool.client_id,
            "--identity-pool-id",
            &pool.identity_pool_id,
        ];
        args.extend_from_slice(configure);
        let stdin = match &pool.client_secret {
            Some(secret) => {
                args.push("--client-secret-stdin");
                format!("{secret}\n")
            }
            None => String::new(),
        };
        ok(&cogauth(&home, &args, &stdin));
        Self {
            home,
            pool,
            user,
            profile,
        }
    }

    /// `cogauth login --profile dev -u USER --password-stdin ARGS...`
    pub fn login(&self, args: &[&str]) -> Output {
        let mut all = vec![
            "login",
            "--profile",
            &self.profile,
            "-u",
            &self.user,
            "--password-stdin",
        ];
        all.extend_from_slice(args);
        cogauth(&self.home, &all, &format!("{PASSWORD}\n"))
    }

    /// `cogauth status --profile dev --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&ok(&cogauth(
            &self.home,
            &["status", "--profile", &self.profile, "--json"],
            "",
        )))
        .unwrap()
    }

    /// Runs the pinned AWS CLI in this HOME against the emulator.
    pub fn aws(&self, args: &[&str]) -> Output {
        let cli = cogauth_test_support::emulator().aws_cli();
        let mut cmd = self.home.command(&cli);
        // The AWS CLI must find `cogauth` for credential_process, and its own python.
        let path = format!(
            "{}:{}",
            cli.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env("PATH", path).args(args);
        cmd.output().expect("run the aws cli")
    }
}

/// When the session's credentials expire, from [`World::status`].
pub fn credentials_expire_at(status: &serde_json::Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(
        status["session"]["credentials_expire_at"].as_str().unwrap(),
    )
    .unwrap()
    .to_utc()
}
