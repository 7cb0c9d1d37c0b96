//! The SDK config of administrative calls, built in one place for `cogadmin`, `cargo xtask
//! deploy-lambda` and `cogauth doctor`: the normal AWS credential chain (so `AWS_PROFILE`, the
//! access key variables, SSO and instance roles apply), `AWS_ENDPOINT_URL` honoured, and the
//! bounded timeouts and retries of every cogauth call.
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
    match region.fallback {
        Some(fallback) if config.region().is_none() => config
            .into_builder()
            .region(Region::new(fallback.to_owned()))
            .build(),
        _ => config,
    }
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
