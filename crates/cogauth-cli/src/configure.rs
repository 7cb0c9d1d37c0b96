//! `cogauth configure`: write a profile to the TOML config, by prompting (like the original)
//! or fully non-interactively from flags.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use cogauth_core::config::{
    self, AuthFlow, AwsIntegration, IdentityFlow, Overrides, ProfileConfig, Settings, ids,
};
use cogauth_core::env::{Env, ProcessEnv};
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
    /// How the user signs in: srp (default; the password never leaves the machine), password, or browser (the pool's managed login pages).
    #[arg(long)]
    pub auth_flow: Option<AuthFlow>,
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
    /// Save the original tool's ~/.cognito-cli-config.json as this profile, without asking.
    #[arg(long)]
    pub import_legacy: bool,
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
            || self.browser.any()
    }
}

pub fn run(args: ConfigureArgs) -> Result<()> {
    let env = ProcessEnv;
    let path = paths::config_file(&env)?;
    let profile = args
        .profile
        .profile
        .clone()
        .or_else(|| env.var(cogauth_core::env::vars::COGAUTH_PROFILE))
        .unwrap_or_else(|| config::DEFAULT_PROFILE.to_owned());
    if !config::is_valid_profile_name(&profile) {
        bail!("invalid profile name `{profile}`: use letters, digits, `-`, `_` and `.`");
    }

    let legacy = if path.exists() {
        None
    } else {
        paths::legacy_config_file(&env).filter(|p| p.exists())
    };

    let values = if args.import_legacy {
        let legacy = legacy.with_context(|| {
            format!("--import-legacy: there is no legacy ~/.cognito-cli-config.json to import, or {} already exists", path.display())
        })?;
        config::legacy::load(&legacy)?.unwrap_or_default()
    } else if args.any_value_given() {
        args.values()?
    } else {
        if !has_terminal() {
            bail!(
                "no terminal to ask on: pass the values as flags, e.g. `cogauth configure --profile {profile} --user-pool-id ID --client-id ID --identity-pool-id ID`"
            );
        }
        let prompter = TerminalPrompter::new("pass the values as flags");
        if let Some(legacy) = &legacy {
            let answer = prompter.ask(&format!(
                "Found the original tool's config {}. Save it as profile `{profile}`? [Y/n]",
                legacy.display()
            ))?;
            if answer.is_empty()
                || answer.eq_ignore_ascii_case("y")
                || answer.eq_ignore_ascii_case("yes")
            {
                let values = config::legacy::load(legacy)?.unwrap_or_default();
                return write(&path, &profile, &values);
            }
        }
        interactive(&prompter, &env, &profile)?
    };
    write(&path, &profile, &values)
}

fn write(path: &std::path::Path, profile: &str, values: &ProfileConfig) -> Result<()> {
    values.validate(&config::Origin::Flag)?;
    config::file::write_profile(path, profile, values)?;
    eprintln!("saved profile `{profile}` to {}", path.display());
    Ok(())
}

/// The original's prompts, each defaulting to the current value.
fn interactive(
    prompter: &TerminalPrompter,
    env: &ProcessEnv,
    profile: &str,
) -> Result<ProfileConfig> {
    let overrides = Overrides {
        profile: Some(profile.to_owned()),
        ..Default::default()
    };
    let current = Settings::load(env, &overrides).ok();
    let cur = |f: fn(&Settings) -> Option<String>| current.as_ref().and_then(f);

    let ask = |label: &str,
               default: Option<String>,
               ok: fn(&str) -> bool,
               optional: bool|
     -> Result<Option<String>> {
        loop {
            let shown = match &default {
                Some(d) => format!("{label} [{d}]"),
                None if optional => format!("{label} (optional)"),
                None => label.to_owned(),
            };
            let answer = prompter.ask(&shown)?;
            let value = if answer.is_empty() {
                default.clone()
            } else {
                Some(answer)
            };
            match value {
                Some(v) if ok(&v) => return Ok(Some(v)),
                Some(v) => prompter.show(&format!("`{v}` is not a valid {}", label.to_lowercase())),
                None if optional => return Ok(None),
                None => prompter.show(&format!("{label} is required")),
            }
        }
    };
    let user_pool_id = ask(
        "Cognito User Pool ID",
        cur(|s| s.user_pool_id.clone().map(|v| v.value)),
        ids::is_user_pool_id,
        false,
    )?;
    let client_id = ask(
        "Cognito User Pool Client ID",
        cur(|s| s.client_id.clone().map(|v| v.value)),
        ids::is_client_id,
        false,
    )?;
    let identity_pool_id = ask(
        "Cognito Identity Pool ID",
        cur(|s| s.identity_pool_id.clone().map(|v| v.value)),
        ids::is_identity_pool_id,
        false,
    )?;
    let region = ask(
        "AWS Region (optional, default: the user pool's region)",
        cur(|s| {
            s.region
                .clone()
                .filter(|r| r.origin.kind() != "default")
                .map(|v| v.value)
        }),
        ids::is_region,
        true,
    )?;
    let managed_login_url = ask(
        "Managed Login Page URL (optional, for browser sign-in, e.g. https://myapp.auth.us-east-1.amazoncognito.com)",
        cur(|s| s.managed_login_url.clone().map(|v| v.value)),
        ids::is_managed_login_url,
        true,
    )?;
    let lambda_function = ask(
        "Lambda proxy function for 12 h credentials (optional, e.g. cognito-credential-proxy)",
        cur(|s| s.lambda_function.clone().map(|v| v.value)),
        |s| !s.trim().is_empty(),
        true,
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
