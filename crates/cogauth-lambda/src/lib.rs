//! The cogauth credential proxy: a Lambda function that verifies a Cognito user's tokens and
//! returns AWS credentials for a long-lived role, up to 12 hours (the identity pool gives one).
//!
//! - [`config`]: environment variables, read once at start-up.
//! - [`event`]: the request, direct or inside an API Gateway / function URL event.
//! - [`verify`]: ID- and access-token verification against the pool's JWKS (RS256 only,
//!   cached keys).
//! - [`session`]: Cognito's GetUser with the access token, which fails for revoked, signed-out
//!   and disabled sessions.
//! - [`keys`]: the IAM user's access key, from Secrets Manager.
//! - [`sts`]: AssumeRole as the proxy's IAM user, behind the [`sts::RoleAssumer`] trait; a
//!   rotated key is picked up when STS rejects the old one.
//! - [`handler`]: the plain async handler that ties them together; `main.rs` only wires it to
//!   the Lambda runtime.
//! - [`http`]: the HTTP client setup and capped body reads the JWKS and GetUser share.
//!
//! Nothing here logs a token or a secret.

pub mod clock;
pub mod config;
pub mod event;
pub mod handler;
pub mod http;
pub mod keys;
pub mod session;
pub mod sts;
pub mod verify;

use std::sync::Arc;

pub use handler::{Deps, Response, handle, handle_json};

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Jwks(#[from] verify::JwksError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("cannot build the HTTP client for Cognito: {0}")]
    Http(String),
}

/// How the proxy reaches AWS when not in Lambda's defaults: tests and emulators.
#[derive(Debug, Clone, Default)]
pub struct AwsOverrides {
    /// One endpoint for every AWS call (STS, Secrets Manager, Cognito's GetUser), instead of
    /// the SDK's endpoint settings.
    pub endpoint_url: Option<String>,
    /// The endpoint of Cognito's GetUser alone (wins over `endpoint_url`).
    pub cognito_endpoint_url: Option<String>,
    /// The credentials Secrets Manager is read with, instead of the execution role's (the
    /// SDK's default chain).
    pub execution_role_credentials: Option<aws_credential_types::Credentials>,
}

impl AwsOverrides {
    /// Every AWS call to `endpoint_url` (an emulator, a local stack), with the execution role's
    /// calls signed with this static key instead of the SDK's default chain.
    pub fn at(endpoint_url: &str, access_key_id: &str, secret_access_key: &str) -> Self {
        Self {
            endpoint_url: Some(endpoint_url.to_owned()),
            cognito_endpoint_url: None,
            execution_role_credentials: Some(aws_credential_types::Credentials::new(
                access_key_id,
                secret_access_key,
                None,
                None,
                "cogauth-lambda-overrides",
            )),
        }
    }
}

impl Deps {
    /// The production dependencies for `config`: the pool's JWKS over HTTP, the system clock,
    /// GetUser on Cognito, and STS with the IAM user's key, read now (the cold start's one
    /// GetSecretValue). `endpoint_url` overrides the SDK's endpoint settings for every AWS call.
    pub async fn from_config(
        config: config::Config,
        endpoint_url: Option<&str>,
    ) -> Result<Self, StartError> {
        Self::from_config_with(
            config,
            AwsOverrides {
                endpoint_url: endpoint_url.map(str::to_owned),
                ..AwsOverrides::default()
            },
        )
        .await
    }

    /// [`Deps::from_config`] with every override.
    pub async fn from_config_with(
        config: config::Config,
        overrides: AwsOverrides,
    ) -> Result<Self, StartError> {
        let jwks = verify::HttpJwks::new(config.jwks_url.clone())?;
        let clock: Arc<dyn clock::Clock> = Arc::new(clock::SystemClock);
        let verifier = verify::Verifier::new(
            verify::VerifierSettings::new(config.issuer(), config.client_id_strings()),
            Arc::new(jwks),
            clock,
        );
        let cognito_endpoint = overrides
            .cognito_endpoint_url
            .clone()
            .or_else(|| overrides.endpoint_url.clone())
            .unwrap_or_else(|| config.cognito_endpoint.clone());
        let sessions = session::CognitoGetUser::new(cognito_endpoint)
            .map_err(|e| StartError::Http(e.to_string()))?;

        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(config.sts_region.clone()))
            .timeout_config(keys::timeouts())
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
        if let Some(url) = &overrides.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(credentials) = overrides.execution_role_credentials {
            loader = loader.credentials_provider(credentials);
        }
        let sdk_config = loader.load().await;
        let key_loader = keys::loader_for(&config, &sdk_config);
        let assumer = sts::StsRoleAssumer::new(&config, &sdk_config, key_loader).await?;
        Ok(Self {
            config,
            verifier,
            sessions: Arc::new(sessions),
            assumer: Arc::new(assumer),
        })
    }
}
