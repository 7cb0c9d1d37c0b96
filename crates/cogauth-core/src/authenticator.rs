//! The login pipeline: user pool, then identity, then an optional upgrade.
//!
//! Each stage is a trait object, so embedders and tests can replace any of them. The pipeline
//! never prints: an upgrade that fails is not an error (the 1-hour credentials still work),
//! it is reported in [`Outcome::upgrade_failure`] for the caller to show.

use std::sync::Arc;

use secrecy::SecretString;

use crate::clock::Clock;
use crate::config::Settings;
use crate::credentials::{CredentialSource, Credentials};
use crate::env::Env;
use crate::error::Error;
use crate::identity::{CognitoIdentity, IdentityConfig, IdentityStage};
use crate::prompt::Prompter;
use crate::upgrade::{LambdaProxy, UpgradeError, UpgradeStage};
use crate::userpool::{LoginRequest, UserPoolSession, UserPoolStage};

/// What a login or a refresh produced.
#[derive(Debug)]
pub struct Outcome {
    pub user: UserPoolSession,
    pub identity_id: String,
    pub credentials: Credentials,
    pub source: CredentialSource,
    /// Why the configured upgrade did not happen, if it did not.
    pub upgrade_failure: Option<UpgradeError>,
}

/// The three-stage pipeline.
pub struct Authenticator {
    user_pool: Arc<dyn UserPoolStage>,
    identity: Arc<dyn IdentityStage>,
    upgrade: Option<Arc<dyn UpgradeStage>>,
    duration_hours: u32,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("upgrade", &self.upgrade.is_some())
            .field("duration_hours", &self.duration_hours)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(
        user_pool: Arc<dyn UserPoolStage>,
        identity: Arc<dyn IdentityStage>,
        upgrade: Option<Arc<dyn UpgradeStage>>,
        duration_hours: u32,
    ) -> Self {
        Self {
            user_pool,
            identity,
            upgrade,
            duration_hours,
        }
    }

    /// The pipeline the settings describe: Cognito user pool (the terminal, or the browser with
    /// `auth_flow = "browser"`), Cognito identity pool (enhanced
    /// or basic flow), and the Lambda proxy when `lambda_function` is set and
    /// `use_lambda_proxy` is true.
    pub fn from_settings(
        settings: &Settings,
        env: &dyn Env,
        clock: Arc<dyn Clock>,
        use_lambda_proxy: bool,
    ) -> Result<Self, Error> {
        let region = settings.require_region()?.to_owned();
        // The terminal (SRP or password), or the browser (managed login).
        let user_pool = crate::managed_login::user_pool_stage(settings, env, clock)?;
        let identity = CognitoIdentity::new(
            IdentityConfig {
                region: region.clone(),
                user_pool_id: settings.require_user_pool_id()?.to_owned(),
                identity_pool_id: settings.require_identity_pool_id()?.to_owned(),
                flow: settings.identity_flow.value,
                role_arn: settings.role_arn.as_ref().map(|r| r.value.clone()),
                duration_hours: settings.duration_hours.value,
            },
            env,
        );
        let upgrade = match (&settings.lambda_function, use_lambda_proxy) {
            (Some(function), true) => Some(Arc::new(LambdaProxy::new(
                function.value.clone(),
                region,
                env,
            )) as Arc<dyn UpgradeStage>),
            _ => None,
        };
        Ok(Self::new(
            user_pool,
            Arc::new(identity),
            upgrade,
            settings.duration_hours.value,
        ))
    }

    /// A full login, answering challenges through `prompter`.
    pub async fn login(
        &self,
        request: &LoginRequest,
        prompter: &dyn Prompter,
        known_identity_id: Option<&str>,
    ) -> Result<Outcome, Error> {
        let user = self.user_pool.login(request, prompter).await?;
        self.finish(user, known_identity_id).await
    }

    /// A silent re-login with the refresh token.
    pub async fn refresh(
        &self,
        username: &str,
        refresh_token: &SecretString,
        device_key: Option<&str>,
        known_identity_id: Option<&str>,
    ) -> Result<Outcome, Error> {
        let user = self
            .user_pool
            .refresh(username, refresh_token, device_key)
            .await?;
        self.finish(user, known_identity_id).await
    }

    async fn finish(
        &self,
        user: UserPoolSession,
        known_identity_id: Option<&str>,
    ) -> Result<Outcome, Error> {
        let base = self
            .identity
            .credentials(&user.tokens.id_token, known_identity_id)
            .await?;
        let (credentials, source, upgrade_failure) = match &self.upgrade {
            None => (base.credentials, base.source, None),
            Some(upgrade) => {
                match upgrade
                    .upgrade(
                        &user.tokens.id_token,
                        &base.credentials,
                        self.duration_hours,
                    )
                    .await
                {
                    Ok(upgraded) => (upgraded, CredentialSource::LambdaProxy, None),
                    Err(e) => {
                        tracing::warn!(error = %e, "lambda proxy upgrade failed; keeping the identity pool credentials");
                        (base.credentials, base.source, Some(e))
                    }
                }
            }
        };
        Ok(Outcome {
            user,
            identity_id: base.identity_id,
            credentials,
            source,
            upgrade_failure,
        })
    }
}
