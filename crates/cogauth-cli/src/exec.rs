//! `cogauth exec -- CMD ARGS...`: run a command with the profile's credentials in its
//! environment. The process is replaced by CMD (exec), so CMD's exit code and signals are the
//! caller's directly.

use std::os::unix::process::CommandExt;

use anyhow::{Result, bail};
use clap::Args;
use cogauth_core::env::{Env, ProcessEnv, vars};

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Refresh when fewer than this many minutes remain.
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub window: u32,
    /// Do not upgrade through the Lambda proxy when refreshing.
    #[arg(long)]
    pub no_lambda_proxy: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

pub fn run(args: ExecArgs) -> Result<()> {
    if let Some(outer) = ProcessEnv.var(vars::COGAUTH_EXEC_PROFILE) {
        bail!(
            "already inside `cogauth exec` for profile `{outer}`: nesting would mix two profiles' credentials; exit that shell first"
        );
    }
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    let creds = crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    let region = broker.settings().region.as_ref().map(|r| r.value.as_str());

    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("AWS_SECURITY_TOKEN")
        .envs(crate::export::variables(&creds, region))
        .env(vars::COGAUTH_EXEC_PROFILE, broker.profile());
    let err = cmd.exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    eprintln!("cogauth: error: cannot run `{program}`: {err}");
    std::process::exit(code);
}
