//! The cogauth credential proxy: a Lambda function that verifies a Cognito ID token and returns
//! AWS credentials for a long-lived role, up to 12 hours (the identity pool gives one).
//!
//! - [`config`]: environment variables, read once at start-up.
//! - [`event`]: the request, direct or inside an API Gateway / function URL event.
//! - [`verify`]: ID-token verification against the pool's JWKS (RS256 only, cached keys).
//! - [`sts`]: AssumeRole as the proxy's IAM user, behind the [`sts::RoleAssumer`] trait.
//! - [`handler`]: the plain async handler that ties them together; `main.rs` only wires it to
//!   the Lambda runtime.
//!
//! Nothing here logs a token or a secret.

pub mod clock;
pub mod config;
pub mod event;
pub mod handler;
pub mod sts;
pub mod verify;

use std::sync::Arc;

pub use handler::{Deps, Response, handle, handle_json};

impl Deps {
    /// The production dependencies for `config`: the pool's JWKS over HTTP, the system clock,
    /// and STS with the IAM user's keys (`sts_endpoint` overrides the SDK's endpoint settings).
    pub async fn from_config(
        config: config::Config,
        sts_endpoint: Option<&str>,
    ) -> Result<Self, verify::JwksError> {
        let jwks = verify::HttpJwks::new(config.jwks_url.clone())?;
        let verifier = verify::Verifier::new(
            verify::VerifierSettings::new(config.issuer(), config.client_ids.clone()),
            Arc::new(jwks),
            Arc::new(clock::SystemClock),
        );
        let assumer = sts::StsRoleAssumer::new(&config, sts_endpoint).await;
        Ok(Self {
            config,
            verifier,
            assumer: Arc::new(assumer),
        })
    }
}
