//! `cogauth login`: the whole pipeline, then the credentials handed to the AWS tools.

use anyhow::{Result, bail};

use clap::Args;
use cogauth_core::broker::{Broker, Published};
use cogauth_core::config::{
    self, AuthFlow, AwsIntegration, ConfigFile, PreferredChallenge, ProfileConfig, Settings,
};
use cogauth_core::env::ProcessEnv;
use cogauth_core::paths;
use cogauth_core::prompt::{BrowserAccess, Prompter};
use cogauth_core::userpool::LoginRequest;

use crate::terminal::{StdinAnswers, TerminalPrompter, has_terminal, read_stdin_secret};

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
    /// srp (default: the password never leaves the machine), password, choice (the pool's
    /// choice-based sign-in: one-time codes by email or SMS, the password), custom (the pool's
    /// own challenges) or browser (the pool's managed login pages: federated IdPs, passkeys).
    #[arg(long)]
    pub auth_flow: Option<AuthFlow>,
    /// With --auth-flow choice: the way to sign in when the pool offers it (EMAIL_OTP, SMS_OTP,
    /// PASSWORD, PASSWORD_SRP, WEB_AUTHN); else the choice is asked.
    #[arg(long, value_name = "CHALLENGE")]
    pub preferred_challenge: Option<PreferredChallenge>,
    /// With --auth-flow custom: prove the password by SRP before the custom challenges.
    #[arg(long)]
    pub custom_with_srp: bool,
    /// Read each answer the sign-in asks for (custom challenge answers, one-time codes, MFA
    /// codes) as the next line of stdin, after the password line of --password-stdin.
    #[arg(long)]
    pub challenge_answer_stdin: bool,
    /// When the user pool asks whether to remember this device, say yes without asking (it
    /// may then skip MFA at later logins).
    #[arg(long)]
    pub remember_device: bool,
    /// Browser sign-in without a browser here (e.g. over SSH): print the URL, then read the address the browser ends at.
    #[arg(long)]
    pub no_browser: bool,
    #[command(flatten)]
    pub browser: crate::browser_args::BrowserArgs,
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
    let mut values = ProfileConfig {
        username: args.username.clone(),
        auth_flow: args.auth_flow,
        duration_hours: args.duration,
        aws_integration: args.aws_integration,
        preferred_challenge: args.preferred_challenge,
        custom_with_srp: args.custom_with_srp.then_some(true),
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
    args.browser.apply(&mut values);
    let broker = crate::context::broker(args.profile.profile.clone(), values)?;
    let profile = broker.profile().to_owned();
    let settings = broker.settings();
    let browser = settings.auth_flow.value == AuthFlow::Browser;
    let prompter = TerminalPrompter::new(no_terminal_hint(settings.auth_flow.value))
        .with_browser_access(match args.no_browser {
            true => BrowserAccess::Remote,
            false => BrowserAccess::Local,
        });

    let request = if browser {
        if args.password_stdin || args.mfa_code.is_some() || args.challenge_answer_stdin {
            bail!(
                "the browser flow asks for no password, MFA code or challenge answer here (the \
                 sign-in page does): drop --password-stdin, --mfa-code and \
                 --challenge-answer-stdin, or use --auth-flow srp"
            );
        }
        // `-u` (or the profile's username) prefills the sign-in page.
        LoginRequest::browser(settings.username.as_ref().map(|u| u.value.clone()))
    } else {
        let username = match settings.username.as_ref() {
            Some(u) => u.value.clone(),
            // Nobody to ask: say which flag gives the username (not how to pass the password).
            None if args.password_stdin || args.challenge_answer_stdin || !has_terminal() => bail!(
                "no username{}: pass -u/--username USER, or set it once with `cogauth configure --profile {profile} --username USER`",
                match (args.password_stdin, args.challenge_answer_stdin) {
                    (true, _) => " (--password-stdin logs in without asking)",
                    (_, true) => " (--challenge-answer-stdin logs in without asking)",
                    _ => ", and no terminal to ask for one",
                }
            ),
            None => prompter.ask("Username")?,
        };
        if username.trim().is_empty() {
            bail!("the username is empty");
        }
        if args.password_stdin
            && settings.auth_flow.value == AuthFlow::Custom
            && !settings.custom_with_srp.value
        {
            bail!(
                "--password-stdin: a custom sign-in without custom_with_srp asks no password; pass the challenge answers with --challenge-answer-stdin, or add --custom-with-srp"
            );
        }
        // The password is asked for by the sign-in itself when it needs one (a choice-based
        // sign-in with a one-time code never does).
        let password = if args.password_stdin {
            Some(read_stdin_secret("password")?)
        } else {
            None
        };
        LoginRequest {
            username,
            password,
            mfa_code: args.mfa_code.clone(),
            remember_device: args.remember_device.then_some(true),
            device_name: Some(crate::context::device_name()),
            // The broker presents this machine's device, if it has one for this user.
            device: None,
        }
    };

    let stdin_answers = StdinAnswers::new(&prompter);
    let answering: &dyn Prompter = if args.challenge_answer_stdin {
        &stdin_answers
    } else {
        &prompter
    };
    let fresh = crate::context::runtime()?.block_on(broker.login_as(
        &request,
        answering,
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
    // The name the pool knows: for a browser sign-in, the one chosen on the sign-in page.
    let username = match browser || request.username.is_empty() {
        true => &session.username,
        false => &request.username,
    };
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

/// What to do when a question has no terminal to be asked on, for the profile's flow.
pub fn no_terminal_hint(flow: AuthFlow) -> &'static str {
    match flow {
        AuthFlow::Srp | AuthFlow::Password => {
            "pass --password-stdin (and --mfa-code) to log in without a terminal"
        }
        AuthFlow::Choice => {
            "pass --preferred-challenge, with --password-stdin for a password or \
             --challenge-answer-stdin for a one-time code, to log in without a terminal"
        }
        AuthFlow::Custom => {
            "pass --challenge-answer-stdin (and --password-stdin with custom_with_srp) to log \
             in without a terminal"
        }
        AuthFlow::Browser => "browser sign-in needs a terminal to paste into with --no-browser",
    }
}

/// The login request of a command that logs in on the terminal because the session is gone
/// (credential-process, exec, export): the browser for a browser profile, else the username
/// and password asked on the terminal.
pub fn request_on_terminal(broker: &Broker, prompter: &dyn Prompter) -> Result<LoginRequest> {
    let username = broker.settings().username.as_ref().map(|u| u.value.clone());
    if broker.settings().auth_flow.value == AuthFlow::Browser {
        return Ok(LoginRequest::browser(username));
    }
    let username = match username {
        Some(u) => u,
        None => prompter.ask("Username")?,
    };
    // The sign-in asks for the password when it needs one.
    Ok(LoginRequest {
        username,
        device_name: Some(crate::context::device_name()),
        ..Default::default()
    })
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
