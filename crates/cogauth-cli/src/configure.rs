//! `cogauth configure`: write a profile to the TOML config, by prompting (like the original)
//! or fully non-interactively from flags.

use anyhow::{Result, bail};
use clap::Args;
use cogauth_core::config::{
    self, AuthFlow, AwsIntegration, ConfigFile, IdentityFlow, Overrides, PreferredChallenge,
    ProfileConfig, Settings, ids,
};
use cogauth_core::env::ProcessEnv;
use cogauth_core::paths;
use cogauth_core::prompt::Prompter;

use crate::terminal::{TerminalPrompter, has_terminal, read_stdin_secret};

#[derive(Args, Debug)]
pub struct ConfigureArgs {
    #[command(flatten)]
    pub profile: crate::profile_args::ProfileArgs,
    /// Cognito user pool id, e.g. us-east-1_AbC123.
    #[arg(long)]
    pub user_pool_id: Option<String>,
    /// App client id of the user pool.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Read the app client's secret from stdin (only for clients created with a secret).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// Cognito identity pool id, e.g. us-east-1:8f1c2a3b-....
    #[arg(long)]
    pub identity_pool_id: Option<String>,
    /// AWS region (default: the user pool id's prefix).
    #[arg(long)]
    pub region: Option<String>,
    /// Default username for `cogauth login`.
    #[arg(long)]
    pub username: Option<String>,
    /// How the user signs in: srp (default; the password never leaves the machine), password,
    /// choice (the pool's choice-based sign-in), custom (the pool's own challenges) or browser
    /// (the pool's managed login pages).
    #[arg(long)]
    pub auth_flow: Option<AuthFlow>,
    /// For --auth-flow choice: EMAIL_OTP, SMS_OTP, PASSWORD, PASSWORD_SRP or WEB_AUTHN.
    #[arg(long, value_name = "CHALLENGE")]
    pub preferred_challenge: Option<PreferredChallenge>,
    /// For --auth-flow custom: prove the password by SRP first (true or false).
    #[arg(long, value_name = "BOOL")]
    pub custom_with_srp: Option<bool>,
    /// How the ID token becomes AWS credentials: enhanced (1 h) or basic (up to 12 h, needs --role-arn).
    #[arg(long)]
    pub identity_flow: Option<IdentityFlow>,
    /// Role for the basic flow (or the enhanced flow's CustomRoleArn).
    #[arg(long)]
    pub role_arn: Option<String>,
    /// Hours of credentials to ask the basic flow or the Lambda proxy for (1-12).
    #[arg(long)]
    pub duration_hours: Option<u32>,
    /// Lambda credential proxy (name or ARN) to upgrade to 12 h credentials, e.g. cognito-credential-proxy.
    #[arg(long)]
    pub lambda_function: Option<String>,
    /// How AWS tools get the credentials: credentials (plaintext keys in ~/.aws/credentials) or process (credential_process).
    #[arg(long)]
    pub aws_integration: Option<AwsIntegration>,
    #[command(flatten)]
    pub browser: crate::browser_args::BrowserArgs,
    /// Save the original tool's ~/.cognito-cli-config.json as this profile, without asking (flags given with it override its values; an existing profile of that name is never overwritten).
    #[arg(long)]
    pub import_legacy: bool,
    /// Write a region that contradicts the user pool or identity pool id (every Cognito call goes to the region set).
    #[arg(long)]
    pub force: bool,
}

impl ConfigureArgs {
    fn values(&self) -> Result<ProfileConfig> {
        let mut values = ProfileConfig {
            user_pool_id: self.user_pool_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: if self.client_secret_stdin {
                Some(read_stdin_secret("client secret")?)
            } else {
                None
            },
            identity_pool_id: self.identity_pool_id.clone(),
            region: self.region.clone(),
            username: self.username.clone(),
            auth_flow: self.auth_flow,
            identity_flow: self.identity_flow,
            role_arn: self.role_arn.clone(),
            duration_hours: self.duration_hours,
            lambda_function: self.lambda_function.clone(),
            aws_integration: self.aws_integration,
            preferred_challenge: self.preferred_challenge,
            custom_with_srp: self.custom_with_srp,
            ..Default::default()
        };
        self.browser.apply(&mut values);
        Ok(values)
    }

    fn any_value_given(&self) -> bool {
        self.user_pool_id.is_some()
            || self.client_id.is_some()
            || self.client_secret_stdin
            || self.identity_pool_id.is_some()
            || self.region.is_some()
            || self.username.is_some()
            || self.auth_flow.is_some()
            || self.identity_flow.is_some()
            || self.role_arn.is_some()
            || self.duration_hours.is_some()
            || self.lambda_function.is_some()
            || self.aws_integration.is_some()
            || self.preferred_challenge.is_some()
            || self.custom_with_srp.is_some()
            || self.browser.any()
    }
}

pub fn run(args: ConfigureArgs) -> Result<()> {
    let env = ProcessEnv;
    let path = paths::config_file(&env)?;
    let file = ConfigFile::load(&path)?;
    // The profile every other command would use: --profile, COGAUTH_PROFILE, default_profile.
    let profile =
        config::resolve::profile_name(&env, args.profile.profile.as_deref(), file.as_ref(), &path)?
            .value;
    let existing = file.as_ref().and_then(|f| f.profiles.get(&profile));
    let legacy = paths::legacy_config_file(&env).filter(|p| p.exists());

    let values = if args.import_legacy {
        let Some(legacy) = &legacy else {
            bail!(
                "--import-legacy: there is no legacy config to import: `{}` does not exist",
                paths::legacy_config_file(&env)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "~/.cognito-cli-config.json".to_owned())
            );
        };
        if existing.is_some() {
            bail!(
                "--import-legacy: profile `{profile}` already exists in `{}` and is never overwritten by an import: import into a new profile with `--profile NAME`, or remove `[profiles.{profile}]` from the file first",
                path.display()
            );
        }
        let mut values = import_legacy(&env, legacy)?;
        if args.any_value_given() {
            overlay(&mut values, args.values()?);
        }
        values
    } else if args.any_value_given() {
        args.values()?
    } else {
        if !has_terminal() {
            let import = match (&legacy, existing) {
                (Some(_), None) => format!(
                    ", or import the original tool's config with `cogauth configure --profile {profile} --import-legacy`"
                ),
                _ => String::new(),
            };
            bail!(
                "no terminal to ask on: pass the values as flags, e.g. `cogauth configure --profile {profile} --user-pool-id ID --client-id ID --identity-pool-id ID`{import}"
            );
        }
        let prompter = TerminalPrompter::new("pass the values as flags");
        match (&legacy, existing) {
            (Some(legacy), None) if offer_import(&prompter, legacy, &profile)? => {
                import_legacy(&env, legacy)?
            }
            _ => interactive(&prompter, &env, &profile, args.force)?,
        }
    };
    let mut resulting = existing.cloned().unwrap_or_default();
    overlay(&mut resulting, values.clone());
    check_region(&resulting, args.force)?;
    write(&path, &profile, &values)
}

fn write(path: &std::path::Path, profile: &str, values: &ProfileConfig) -> Result<()> {
    values.validate(&config::Origin::Flag)?;
    config::file::write_profile(path, profile, values)?;
    eprintln!("saved profile `{profile}` to {}", path.display());
    Ok(())
}

/// Sets in `base` every value `over` sets.
fn overlay(base: &mut ProfileConfig, over: ProfileConfig) {
    macro_rules! take {
        ($($field:ident),*) => {$(
            if over.$field.is_some() {
                base.$field = over.$field;
            }
        )*};
    }
    take!(
        user_pool_id,
        client_id,
        client_secret,
        identity_pool_id,
        region,
        username,
        auth_flow,
        identity_flow,
        role_arn,
        duration_hours,
        lambda_function,
        aws_integration,
        managed_login_url,
        redirect_uri,
        identity_provider,
        oauth_scopes
    );
}

/// The profile as it will be after this write must not send Cognito calls to a region the
/// pools are not in (the region, or else the user pool's, against both pool ids).
fn check_region(profile: &ProfileConfig, force: bool) -> Result<()> {
    let pool_region = profile
        .user_pool_id
        .as_deref()
        .and_then(ids::region_of_user_pool);
    let Some(region) = profile.region.as_deref().or(pool_region) else {
        return Ok(());
    };
    let conflicts = config::region_conflicts(
        region,
        profile.user_pool_id.as_deref(),
        profile.identity_pool_id.as_deref(),
    );
    if conflicts.is_empty() {
        return Ok(());
    }
    let (why, fix) = match &profile.region {
        Some(_) => (
            format!(
                "region `{region}` contradicts the pools ({}): every Cognito call would go to {region} and find no pool",
                conflicts.join(", ")
            ),
            "pass the pools' region with --region (or none: it defaults to the user pool's)",
        ),
        // No region: it is the user pool's, so the identity pool is elsewhere.
        None => (
            format!(
                "the pools are in different regions ({}, the user pool in {region}), but cogauth calls both in one region",
                conflicts.join(", ")
            ),
            "check --identity-pool-id: it must be an identity pool in the user pool's region",
        ),
    };
    if force {
        eprintln!("warning: {why}; written anyway (--force)");
        return Ok(());
    }
    bail!("{why}: {fix}, or pass --force to write it anyway")
}

/// The original's JSON as a profile, with the Lambda proxy its login would have used (from the
/// admin config, else its default), said on stderr with where it came from.
fn import_legacy(env: &ProcessEnv, legacy: &std::path::Path) -> Result<ProfileConfig> {
    let mut values = config::legacy::load(legacy)?.unwrap_or_default();
    let lambda = config::admin_names::lambda_function_for_legacy(env)?;
    eprintln!(
        "importing `{}`, with lambda_function `{}` (from {}), as the original's login always tried the Lambda proxy",
        legacy.display(),
        lambda.value,
        lambda.origin
    );
    values.lambda_function = Some(lambda.value);
    Ok(values)
}

fn offer_import(
    prompter: &TerminalPrompter,
    legacy: &std::path::Path,
    profile: &str,
) -> Result<bool> {
    let answer = prompter.ask(&format!(
        "Found the original tool's config {}. Save it as profile `{profile}`? [Y/n]",
        legacy.display()
    ))?;
    Ok(answer.is_empty() || answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes"))
}

/// The original's prompts, each defaulting to the current value.
fn interactive(
    prompter: &TerminalPrompter,
    env: &ProcessEnv,
    profile: &str,
    force: bool,
) -> Result<ProfileConfig> {
    let overrides = Overrides {
        profile: Some(profile.to_owned()),
        ..Default::default()
    };
    let current = Settings::load_allowing_unknown_profile(env, &overrides).ok();
    let cur = |f: fn(&Settings) -> Option<String>| current.as_ref().and_then(f);

    // `note` follows "optional" when there is no current value: "(optional, <note>)".
    let ask = |label: &str,
               note: Option<&str>,
               default: Option<String>,
               check: &dyn Fn(&str) -> Result<(), String>|
     -> Result<Option<String>> {
        loop {
            let shown = match (&default, note) {
                (Some(d), _) => format!("{label} [{d}]"),
                (None, Some(note)) => format!("{label} ({note})"),
                (None, None) => label.to_owned(),
            };
            let answer = prompter.ask(&shown)?;
            let value = if answer.is_empty() {
                default.clone()
            } else {
                Some(answer)
            };
            match value {
                Some(v) => match check(&v) {
                    Ok(()) => return Ok(Some(v)),
                    Err(why) => prompter.show(&why),
                },
                None if note.is_some() => return Ok(None),
                None => prompter.show(&format!("{label} is required")),
            }
        }
    };
    let valid = |what: &'static str, ok: fn(&str) -> bool| {
        move |v: &str| match ok(v) {
            true => Ok(()),
            false => Err(format!("`{v}` is not a valid {what}")),
        }
    };
    let user_pool_id = ask(
        "Cognito User Pool ID",
        None,
        cur(|s| s.user_pool_id.clone().map(|v| v.value)),
        &valid("user pool id", ids::is_user_pool_id),
    )?;
    let client_id = ask(
        "Cognito User Pool Client ID",
        None,
        cur(|s| s.client_id.clone().map(|v| v.value)),
        &valid("app client id", ids::is_client_id),
    )?;
    let identity_pool_id = ask(
        "Cognito Identity Pool ID",
        None,
        cur(|s| s.identity_pool_id.clone().map(|v| v.value)),
        &valid("identity pool id", ids::is_identity_pool_id),
    )?;
    let pool_region = user_pool_id
        .as_deref()
        .and_then(ids::region_of_user_pool)
        .unwrap_or_default()
        .to_owned();
    let region_note = format!("optional, default: {pool_region}, the user pool's region");
    let region = ask(
        "AWS Region",
        Some(&region_note),
        cur(|s| {
            s.region
                .clone()
                .filter(|r| r.origin.kind() != "default")
                .map(|v| v.value)
        }),
        &|v: &str| {
            if !ids::is_region(v) {
                return Err(format!("`{v}` is not a valid region"));
            }
            let conflicts =
                config::region_conflicts(v, user_pool_id.as_deref(), identity_pool_id.as_deref());
            match conflicts.is_empty() || force {
                true => Ok(()),
                false => Err(format!(
                    "`{v}` contradicts the pools ({}): leave it empty for {pool_region}",
                    conflicts.join(", ")
                )),
            }
        },
    )?;
    let managed_login_url = ask(
        "Managed Login Page URL",
        Some("optional, for browser sign-in, e.g. https://myapp.auth.us-east-1.amazoncognito.com"),
        cur(|s| s.managed_login_url.clone().map(|v| v.value)),
        &valid("managed login URL", ids::is_managed_login_url),
    )?;
    let lambda_function = ask(
        "Lambda proxy function for 12 h credentials",
        Some("optional, e.g. cognito-credential-proxy"),
        cur(|s| s.lambda_function.clone().map(|v| v.value)),
        &|v: &str| match v.trim().is_empty() {
            true => Err("the function name is empty".to_owned()),
            false => Ok(()),
        },
    )?;
    Ok(ProfileConfig {
        user_pool_id,
        client_id,
        identity_pool_id,
        region,
        lambda_function,
        managed_login_url,
        ..Default::default()
    })
}
