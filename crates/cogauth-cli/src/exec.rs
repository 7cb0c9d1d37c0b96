//! `cogauth exec -- CMD ARGS...`: run a command with the profile's credentials in its
//! environment. The process is replaced by CMD (exec), so CMD's exit code and signals are the
//! caller's directly.
//!
//! With `--server`, CMD gets no keys at all: a credential server on loopback (see
//! `cogauth_core::credential_server`) hands them out, refreshed for as long as the job runs,
//! and cogauth stays as CMD's parent until CMD ends, then exits with its code.
//! `--token-env NAME` adds the user-pool ID token (or access token) as `NAME`.

use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Result, bail};
use clap::Args;
use cogauth_core::credential_server::{FULL_URI_VAR, TOKEN_VAR};
use cogauth_core::env::{Env, ProcessEnv, vars};
use secrecy::ExposeSecret;

use crate::token::TokenUse;

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
    /// Serve the credentials from a local server (AWS_CONTAINER_CREDENTIALS_FULL_URI) that
    /// refreshes them for as long as CMD runs, instead of putting keys in its environment.
    #[arg(long)]
    pub server: bool,
    /// Also put the user pool's ID token into the environment variable NAME (for APIs with a
    /// Cognito authorizer).
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// With --token-env: the access token instead of the ID token.
    #[arg(long, requires = "token_env")]
    pub access: bool,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// Variables that would make an AWS tool in CMD take other credentials than cogauth's.
const COMPETING: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
];

/// The key variables: with `--server`, none of them may reach CMD.
const KEYS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

pub fn run(args: ExecArgs) -> Result<()> {
    if let Some(outer) = ProcessEnv.var(vars::COGAUTH_EXEC_PROFILE) {
        bail!(
            "already inside `cogauth exec` for profile `{outer}`: nesting would mix two profiles' credentials; exit that shell first"
        );
    }
    if let Some(name) = &args.token_env {
        check_variable_name(name)?;
    }
    let broker = crate::context::broker(args.profile.profile.clone(), Default::default())?;
    // Credentials first: a login, if one is needed, happens before CMD starts.
    let creds = crate::obtain::credentials(&broker, args.window, !args.no_lambda_proxy)?;
    let region = broker.settings().region.as_ref().map(|r| r.value.clone());

    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut cmd = Command::new(program);
    cmd.args(rest);
    for name in COMPETING {
        cmd.env_remove(name);
    }
    cmd.env(vars::COGAUTH_EXEC_PROFILE, broker.profile());
    if let Some(name) = &args.token_env {
        let window = chrono::Duration::minutes(i64::from(args.window));
        let tokens = crate::obtain::tokens(&broker, window)?;
        cmd.env(
            name,
            TokenUse::from_access_flag(args.access)
                .pick(&tokens)
                .expose_secret(),
        );
    }

    if args.server {
        for name in KEYS {
            cmd.env_remove(name);
        }
        if let Some(region) = &region {
            cmd.env("AWS_REGION", region)
                .env("AWS_DEFAULT_REGION", region);
        }
        let options = cogauth_core::credential_server::ServeOptions {
            window: chrono::Duration::minutes(i64::from(args.window)),
            use_lambda_proxy: !args.no_lambda_proxy,
        };
        crate::serve::warn_about_the_default_profile();
        let code = crate::serve::run_with_child(broker, options, cmd, program)?;
        std::process::exit(code);
    }

    cmd.env_remove(FULL_URI_VAR)
        .env_remove(TOKEN_VAR)
        .envs(crate::export::variables(&creds, region.as_deref()));
    let err = cmd.exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    eprintln!("cogauth: error: cannot run `{program}`: {err}");
    std::process::exit(code);
}

/// A portable variable name that does not replace one cogauth sets for CMD.
fn check_variable_name(name: &str) -> Result<()> {
    let portable = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !portable {
        bail!(
            "--token-env `{}` is not a variable name: use letters, digits and `_`, not starting with a digit (e.g. API_TOKEN)",
            name.escape_debug()
        );
    }
    let taken = KEYS
        .iter()
        .chain(COMPETING)
        .chain(&[
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            FULL_URI_VAR,
            TOKEN_VAR,
            vars::COGAUTH_EXEC_PROFILE,
        ])
        .any(|v| v.eq_ignore_ascii_case(name));
    if taken {
        bail!(
            "--token-env `{name}` would replace a variable the AWS tools read: choose another name (e.g. API_TOKEN)"
        );
    }
    Ok(())
}
