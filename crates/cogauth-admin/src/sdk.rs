//! The SDK config of administrative calls, built in one place for `cogadmin`, `cargo xtask
//! deploy-lambda` and `cogauth doctor`: the normal AWS credential chain (so `AWS_PROFILE`, the
//! access key variables, SSO and instance roles apply), `AWS_ENDPOINT_URL` honoured, and the
//! bounded timeouts and retries of every cogauth call.
//!
//! Without the `sso` feature (`cogauth`: its doctor is the only admin code it runs, and the SSO
//! and SSO-OIDC clients would add a few hundred kilobytes to its binary), a profile that signs in
//! through IAM Identity Center is served by the AWS CLI instead, which holds the SSO session
//! anyway (`aws sso login` made it): `aws configure export-credentials --format process`, as a
//! `credential_process`. The same credentials, the same expiry.
//!
//! The credential chain says what it tried in `aws_config` log lines; the binaries show them
//! from `-v` on ([`cogauth_core::log_filter`]). Without credentials, a call fails with one line
//! that says how to provide them ([`crate::CredentialsProblem`]).

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_types::SdkConfig;
use cogauth_core::env::Env;

use crate::CredentialsProblem;

/// Where the region of the administrative calls comes from, first to last.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegionChoice<'a> {
    /// `--region`: wins over everything.
    pub flag: Option<&'a str>,
    /// Used when neither the flag nor the AWS config chain (`AWS_REGION`, the profile, the
    /// instance) gives one: `default_region` of the admin config.
    pub fallback: Option<&'a str>,
}

/// The SDK config for administrative calls.
pub async fn load(env: &dyn Env, region: RegionChoice<'_>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(cogauth_core::aws::timeouts_for(env))
        .retry_config(cogauth_core::aws::retries());
    if let Some(region) = region.flag {
        loader = loader.region(Region::new(region.to_owned()));
    }
    let config = loader.load().await;
    #[cfg(not(feature = "sso"))]
    let config = sso_through_the_aws_cli(config).await;
    match region.fallback {
        Some(fallback) if config.region().is_none() => config
            .into_builder()
            .region(Region::new(fallback.to_owned()))
            .build(),
        _ => config,
    }
}

/// `config` with its credentials from the AWS CLI when the selected profile signs in through
/// SSO, which this build cannot serve (see the module documentation), and nothing ahead of the
/// profile in the chain (the access key variables) gives credentials; else `config` unchanged.
/// Any other profile costs one read of the AWS config files here, and no call to the chain.
#[cfg(not(feature = "sso"))]
async fn sso_through_the_aws_cli(config: SdkConfig) -> SdkConfig {
    use aws_credential_types::provider::error::CredentialsError;
    let Some(profile) = sso_profile().await else {
        return config;
    };
    let Some(provider) = config.credentials_provider() else {
        return config;
    };
    // Without `sso`, the chain fails an SSO profile as invalid configuration (with the
    // reason in its message only, hence the profile read above).
    let Err(CredentialsError::InvalidConfiguration(_)) = provider.provide_credentials().await
    else {
        return config;
    };
    tracing::debug!(
        profile,
        "the AWS profile signs in through SSO: its credentials come from the AWS CLI"
    );
    let provider = aws_config::credential_process::CredentialProcessProvider::new(
        export_credentials_command(&profile),
    );
    config
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// The selected AWS profile (`AWS_PROFILE`, else `default`), if it or a `source_profile` it
/// assumes a role from signs in through SSO (`sso_session` or `sso_start_url`).
#[cfg(not(feature = "sso"))]
async fn sso_profile() -> Option<String> {
    let set = aws_config::profile::load(
        &aws_types::os_shim_internal::Fs::real(),
        &aws_types::os_shim_internal::Env::real(),
        &Default::default(),
        None,
    )
    .await
    .ok()?;
    let selected = set.selected_profile().to_owned();
    let mut name = selected.clone();
    // A chain of roles is short; a cycle is the chain's own error, reported without this.
    for _ in 0..8 {
        let profile = set.get_profile(&name)?;
        if profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some() {
            return Some(selected);
        }
        name = profile.get("source_profile")?.to_owned();
    }
    None
}

/// The AWS CLI command that prints `profile`'s credentials in the `credential_process` format
/// (AWS CLI v2.9 or later); the profile name is quoted for `sh -c`, which runs it.
// Compiled in every build, so that its test runs in the workspace's (which has `sso`).
#[cfg_attr(feature = "sso", allow(dead_code))]
fn export_credentials_command(profile: &str) -> String {
    format!(
        "aws configure export-credentials --profile {} --format process",
        cogauth_core::shell::word(profile)
    )
}

/// Whether the credential chain of `sdk` has credentials, asked once (the answer is cached by
/// the chain for the calls that follow).
pub async fn check_credentials(sdk: &SdkConfig) -> Result<(), CredentialsProblem> {
    let Some(provider) = sdk.credentials_provider() else {
        return Err(CredentialsProblem::NotFound);
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|e| CredentialsProblem::of(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_cli_command_quotes_the_profile_for_the_shell() {
        assert_eq!(
            export_credentials_command("admin"),
            "aws configure export-credentials --profile admin --format process"
        );
        assert_eq!(
            export_credentials_command("it's; rm -rf ~"),
            "aws configure export-credentials --profile 'it'\\''s; rm -rf ~' --format process"
        );
    }
}
