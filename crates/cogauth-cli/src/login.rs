//! `cogauth login`: the whole pipeline, then the credentials handed to the AWS tools.

use anyhow::{Result, bail};

use clap::Args;
use cogauth_core::broker::Published;
use cogauth_core::config::{self, AuthFlow, AwsIntegration, ConfigFile, ProfileConfig, Settings};
use cogauth_core::env::ProcessEnv;
use cogauth_core::paths;
use cogauth_core::prompt::Prompter;
use cogauth_core::userpool::LoginRequest;

use crate::terminal::{TerminalPrompter, has_terminal, read_stdin_secret};

#[derive(Args, Debug)]
pub struct LoginArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Username (default: `username` in the profile, else asked).
    #[arg(short, long)]
    pub username: Option<String>,
    /// Read the password from stdin instead of a hidden prompt.
    #[arg(long)]
    pub password_stdin: bool,
    /// Answer the first MFA code challenge with this code.
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// srp (default: the password never leaves the machine) or password.
    #[arg(long)]
    pub auth_flow: Option<AuthFlow>,
    /// Hours of credentials from the basic flow or the Lambda proxy (1-12; default 12).
    #[arg(long, value_name = "HOURS", value_parser = clap::value_parser!(u32).range(1..=12))]
    pub duration: Option<u32>,
    /// Keep the identity pool's 1 h credentials; do not upgrade through the Lambda proxy.
    #[arg(long)]
    pub no_lambda_proxy: bool,
    /// credentials: keys in ~/.aws/credentials; process: credential_process in ~/.aws/config.
    /// Saved in the profile, so later logins and refreshes keep it.
    #[arg(long)]
    pub aws_integration: Option<AwsIntegration>,
    /// Overwrite an AWS profile section that cogauth did not write (e.g. long-term keys).
    #[arg(long)]
    pub force: bool,
    /// The role to take, by name or ARN, among those your user-pool groups give you (default:
    /// `role_arn` in the profile; else a choice on the terminal, preferred role first; else
    /// the preferred role). Refreshes keep it. `cogauth roles` lists them.
    #[arg(long, value_name = "NAME|ARN")]
    pub role: Option<String>,
}

pub fn run(args: LoginArgs) -> Result<()> {
    let values = ProfileConfig {
        username: args.username.clone(),
        auth_flow: args.auth_flow,
        duration_hours: args.duration,
        aws_integration: args.aws_integration,
        ..Default::default()
    };
    if let Some(role) = &args.role
        && !config::ids::is_role_arn(role.trim())
        && !cogauth_core::roles::is_role_name(role.trim())
    {
        bail!(
            "--role `{}` is neither a role ARN (arn:aws:iam::<account>:role/<name>) nor a role name (letters, digits and +=,.@_-): `cogauth roles` lists yours",
            role.escape_debug()
        );
    }
    let broker = crate::context::broker(args.profile.profile.clone(), values)?;
    let profile = broker.profile().to_owned();
    let prompter = TerminalPrompter::new(
        "pass --password-stdin (and --mfa-code) to log in without a terminal",
    );

    let username = match broker.settings().username.as_ref() {
        Some(u) => u.value.clone(),
        // Nobody to ask: say which flag gives the username (not how to pass the password).
        None if args.password_stdin || !has_terminal() => bail!(
            "no username{}: pass -u/--username USER, or set it once with `cogauth configure --profile {profile} --username USER`",
            match args.password_stdin {
                true => " (--password-stdin logs in without asking)",
                false => ", and no terminal to ask for one",
            }
        ),
        None => prompter.ask("Username")?,
    };
    if username.trim().is_empty() {
        bail!("the username is empty");
    }
    let password = if args.password_stdin {
        read_stdin_secret("password")?
    } else {
        prompter.ask_secret(&format!("Password for {username}"))?
    };
    let request = LoginRequest {
        username: username.clone(),
        password,
        mfa_code: args.mfa_code.clone(),
    };

    let fresh = crate::context::runtime()?.block_on(broker.login_as(
        &request,
        &prompter,
        !args.no_lambda_proxy,
        args.role.as_deref().map(str::trim),
    ))?;
    if let Some(why) = &fresh.upgrade_failure {
        eprintln!("warning: {why}; using the identity pool's 1 h credentials instead");
    }
    let published = broker
        .publish(&fresh.session, &crate::context::current_exe()?, args.force)
        .map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "logged in and cached the session (`cogauth exec --profile {profile}` and `cogauth export` work), but could not hand the credentials to the AWS tools"
            ))
        })?;

    if let Some(chosen) = args.aws_integration
        && let Err(e) = remember_integration(broker.settings(), chosen)
    {
        eprintln!("warning: logged in, but could not save aws_integration in the profile: {e:#}");
    }

    let session = &fresh.session;
    let creds = session
        .credentials
        .as_ref()
        .expect("a login stores credentials");
    let now = chrono::Utc::now();
    eprintln!("logged in as {username} (profile `{profile}`)");
    eprintln!(
        "  identity id:  {}",
        session.identity_id.as_deref().unwrap_or("-")
    );
    if let Some(source) = session.source {
        eprintln!("  credentials:  {source}");
    }
    if let Some(line) = role_line(session) {
        eprintln!("  role:         {line}");
    }
    if session.role_arn.is_some()
        && broker.settings().lambda_function.is_some()
        && !args.no_lambda_proxy
        && session.source != Some(cogauth_core::CredentialSource::LambdaProxy)
        && fresh.upgrade_failure.is_none()
    {
        eprintln!(
            "  note:         the Lambda proxy was not used: it issues credentials for its own role, not the one chosen"
        );
    }
    eprintln!(
        "  expires:      {}",
        crate::report::expiry(creds.expiration, now)
    );
    match published {
        Published::CredentialsFile(path) => {
            eprintln!("  written to:   {} [{profile}]", path.display());
        }
        Published::CredentialProcess(path) => {
            eprintln!(
                "  credential_process set in {} for profile `{profile}`",
                path.display()
            );
        }
    }
    eprintln!("use it with: aws --profile {profile} sts get-caller-identity");
    Ok(())
}

/// The role of the session, when the user's groups give them roles or one was asked for.
fn role_line(session: &cogauth_core::cache::Session) -> Option<String> {
    let roles = session
        .id_token
        .as_ref()
        .map(cogauth_core::roles::TokenRoles::from_id_token)
        .unwrap_or_default();
    match (&session.role_arn, &roles.preferred) {
        (Some(arn), _) => Some(format!(
            "{} ({arn}), kept by refreshes",
            cogauth_core::roles::role_name(arn)
        )),
        (None, Some(preferred)) => Some(format!(
            "chosen by the identity pool (your preferred role: {preferred})"
        )),
        (None, None) if !roles.is_empty() => {
            Some("chosen by the identity pool (your roles: `cogauth roles`)".to_owned())
        }
        (None, None) => None,
    }
}

/// Saves `--aws-integration` in the profile: `credential-process`, `exec` and `export` have no
/// such flag, and a later plain `login` must not go back to the other hand-over. While the
/// original tool's JSON file stands in for a missing `config.toml`, nothing is saved (creating
/// `config.toml` would hide the JSON file): the choice then holds for this login only, and
/// refreshes keep it anyway, as they never change the hand-over.
fn remember_integration(settings: &Settings, chosen: AwsIntegration) -> Result<()> {
    let profile = &settings.profile.value;
    let path = &settings.config_path;
    if !path.exists()
        && let Some(legacy) = paths::legacy_config_file(&ProcessEnv).filter(|p| p.exists())
    {
        eprintln!(
            "note: --aws-integration {chosen} applies to this login only: saving it would create {}, which hides the original tool's {}; to keep it, run `cogauth configure --profile {profile} --import-legacy`, then `cogauth configure --profile {profile} --aws-integration {chosen}`",
            path.display(),
            legacy.display()
        );
        return Ok(());
    }
    let stored = ConfigFile::load(path)?
        .and_then(|f| f.profiles.get(profile.as_str()).cloned())
        .and_then(|p| p.aws_integration);
    if stored == Some(chosen) {
        return Ok(());
    }
    let values = ProfileConfig {
        aws_integration: Some(chosen),
        ..Default::default()
    };
    config::file::write_profile(path, profile, &values)?;
    eprintln!(
        "saved aws_integration = \"{chosen}\" in profile `{profile}` ({}): later logins and refreshes keep it",
        path.display()
    );
    Ok(())
}
