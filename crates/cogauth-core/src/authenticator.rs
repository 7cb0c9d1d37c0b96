//! The login pipeline: user pool, then identity, then an optional upgrade.
//!
//! Each stage is a trait object ([`UserPoolStage`], [`IdentityStage`], [`UpgradeStage`]), so
//! embedders and tests can replace any of them: [`Authenticator::new`] takes the stages, and
//! the [`crate::broker::Broker`] gets its authenticators from an [`AuthenticatorFactory`].
//! The pipeline never prints: an upgrade that fails is not an error (the 1-hour credentials
//! still work), it is reported in [`Outcome::upgrade_failure`] for the caller to show.
//!
//! Between the user pool and the identity stage the pipeline decides the role (see
//! [`crate::roles`]): the one asked for ([`Authenticator::with_role`]: `--role`, `role_arn`,
//! or the role a login chose, kept by the session for its refreshes), checked against the ID
//! token's `cognito:roles` before the identity pool is called; else, at a login whose token
//! names several roles, the user's pick through the [`Prompter`] (preferred role first); else
//! none, and the identity pool applies its own mapping (the preferred role, with token-based
//! mapping). A role chosen among the token's roles is not upgraded through the Lambda proxy,
//! which issues credentials for its own role.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::{ConfigError, Settings};
use crate::credentials::{CredentialSource, Credentials};
use crate::env::Env;
use crate::identity::{CognitoIdentity, IdentityConfig, IdentityError, IdentityStage};
use crate::prompt::{PromptError, Prompter};
use crate::roles::{RoleError, TokenRoles};
use crate::upgrade::{LambdaProxy, UpgradeError, UpgradeStage};
use crate::userpool::{LoginRequest, RefreshGrant, UserPoolError, UserPoolSession, UserPoolStage};

/// Why the pipeline gave no credentials. A failed upgrade is not one of them (see
/// [`Outcome::upgrade_failure`]).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    UserPool(#[from] UserPoolError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Role(#[from] RoleError),
    #[error("cannot choose a role: {0}")]
    RoleChoice(PromptError),
}

/// What a login or refresh produced.
#[derive(Debug)]
pub struct Outcome {
    /// The user's tokens; after a refresh, the refresh token and device key to keep (rotated
    /// ones, or the grant's).
    pub user: UserPoolSession,
    pub identity_id: String,
    pub credentials: Credentials,
    pub source: CredentialSource,
    /// The role asked of the identity stage, when one was (`None`: the identity pool chose).
    pub role_arn: Option<String>,
    /// Why the configured upgrade did not happen, if it did not.
    pub upgrade_failure: Option<UpgradeError>,
}

/// An identity id cached from an earlier login, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownIdentity {
    /// The `sub` of the user it was obtained for.
    pub user_sub: String,
    pub identity_id: String,
}

impl KnownIdentity {
    /// The identity id, if it was obtained for `user`; another user's never is sent.
    fn for_user(&self, user: &UserPoolSession) -> Option<&str> {
        (user.sub.as_deref() == Some(self.user_sub.as_str())).then_some(self.identity_id.as_str())
    }
}

/// The three-stage pipeline.
pub struct Authenticator {
    user_pool: Arc<dyn UserPoolStage>,
    identity: Arc<dyn IdentityStage>,
    upgrade: Option<Arc<dyn UpgradeStage>>,
    duration_hours: u32,
    /// The role asked for (an ARN, or the name of one of the token's roles).
    role: Option<String>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("upgrade", &self.upgrade.is_some())
            .field("duration_hours", &self.duration_hours)
            .field("role", &self.role)
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
            role: None,
        }
    }

    /// Asks for `role` (an ARN, or the name of one of the user's roles) instead of the
    /// profile's `role_arn`; `None` asks for none (a login then offers a choice).
    #[must_use]
    pub fn with_role(mut self, role: Option<String>) -> Self {
        self.role = role;
        self
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
    ) -> Result<Self, ConfigError> {
        let region = settings.require_region()?.to_owned();
        // The terminal (SRP or password), or the browser (managed login).
        let user_pool = crate::managed_login::user_pool_stage(settings, env, clock)?;
        let identity = CognitoIdentity::new(
            IdentityConfig {
                region: region.clone(),
                user_pool_id: settings.require_user_pool_id()?.to_owned(),
                identity_pool_id: settings.require_identity_pool_id()?.to_owned(),
                flow: settings.identity_flow.value,
                // The pipeline names the role at each call (see `with_role` below).
                role_arn: None,
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
        )
        .with_role(settings.role_arn.as_ref().map(|r| r.value.clone())))
    }

    /// A full login, answering challenges through `prompter`. `known` is used only if it
    /// belongs to the user who logged in.
    pub async fn login(
        &self,
        request: &LoginRequest,
        prompter: &dyn Prompter,
        known: Option<&KnownIdentity>,
    ) -> Result<Outcome, PipelineError> {
        let user = self.user_pool.login(request, prompter).await?;
        let role = self.choose_role(&user, Some(prompter))?;
        self.finish_as(user, known, role).await
    }

    /// A silent re-login with `grant`. The outcome's user carries the refresh token and device
    /// key to keep from now on: the rotated ones, else the grant's.
    pub async fn refresh(
        &self,
        grant: &RefreshGrant,
        known: Option<&KnownIdentity>,
    ) -> Result<Outcome, PipelineError> {
        let user = self.refresh_user(grant).await?;
        self.finish(user, known).await
    }

    /// The role to ask of the identity stage for `user` (see the module documentation), and
    /// whether it was chosen among the token's roles. `prompter` is there at a login only.
    fn choose_role(
        &self,
        user: &UserPoolSession,
        prompter: Option<&dyn Prompter>,
    ) -> Result<ChosenRole, PipelineError> {
        let roles = TokenRoles::from_id_token(&user.tokens.id_token);
        if let Some(requested) = &self.role {
            return Ok(ChosenRole {
                arn: Some(roles.select(requested)?),
                from_token: !roles.is_empty(),
            });
        }
        let ordered = roles.ordered();
        let Some(prompter) = prompter.filter(|_| ordered.len() > 1) else {
            return Ok(ChosenRole::default());
        };
        let choices: Vec<String> = ordered
            .iter()
            .map(|arn| {
                let preferred = roles.preferred.as_deref() == Some(*arn);
                format!(
                    "{}  ({arn}){}",
                    crate::roles::role_name(arn),
                    if preferred { "  [preferred]" } else { "" }
                )
            })
            .collect();
        match prompter.choose("Your groups give you several roles; which one?", &choices) {
            Ok(i) if i < ordered.len() => Ok(ChosenRole {
                arn: Some(ordered[i].to_owned()),
                from_token: true,
            }),
            Ok(i) => Err(PipelineError::RoleChoice(PromptError::Io(
                std::io::Error::other(format!("the prompter chose #{i} of {}", ordered.len())),
            ))),
            // No terminal: the identity pool takes the preferred role.
            Err(PromptError::NoTerminal { .. }) => Ok(ChosenRole::default()),
            Err(e) => Err(PipelineError::RoleChoice(e)),
        }
    }

    /// The user-pool half of [`Self::refresh`]: new tokens for `grant`, with the refresh token
    /// and device key to keep (rotated ones, else the grant's). A caller that stores sessions
    /// stores a rotated refresh token now, before [`Self::finish`] can fail: the grant's token
    /// is already dead.
    pub async fn refresh_user(
        &self,
        grant: &RefreshGrant,
    ) -> Result<UserPoolSession, PipelineError> {
        Ok(grant.renewed_by(self.user_pool.refresh(grant).await?))
    }

    /// The identity and upgrade stages for a `user` signed in by a refresh, with the role asked
    /// for ([`Self::with_role`]; no prompt: none is asked for, the identity pool chooses).
    pub async fn finish(
        &self,
        user: UserPoolSession,
        known: Option<&KnownIdentity>,
    ) -> Result<Outcome, PipelineError> {
        let role = self.choose_role(&user, None)?;
        self.finish_as(user, known, role).await
    }

    /// The identity and upgrade stages for a signed-in `user`, asking for `role`.
    async fn finish_as(
        &self,
        user: UserPoolSession,
        known: Option<&KnownIdentity>,
        role: ChosenRole,
    ) -> Result<Outcome, PipelineError> {
        let known_identity_id = known.and_then(|k| k.for_user(&user));
        let base = self
            .identity
            .credentials(
                &user.tokens.id_token,
                known_identity_id,
                role.arn.as_deref(),
            )
            .await?;
        // The proxy issues credentials for its own role: a role picked among the user's would
        // be silently replaced.
        let upgrade = self.upgrade.as_ref().filter(|_| !role.from_token);
        if upgrade.is_none() && self.upgrade.is_some() {
            tracing::info!(
                "a role was chosen among the user's roles: the Lambda proxy is not used"
            );
        }
        let (credentials, source, upgrade_failure) = match upgrade {
            None => (base.credentials, base.source, None),
            Some(upgrade) => {
                match upgrade
                    .upgrade(
                        &user.tokens.id_token,
                        &user.tokens.access_token,
                        &base.credentials,
                        self.duration_hours,
                    )
                    .await
                {
                    Ok(upgraded) => (upgraded, CredentialSource::LambdaProxy, None),
                    Err(e) => {
                        // The caller shows the failure (it is returned): a warning here would
                        // print it twice.
                        tracing::debug!(error = %e, "lambda proxy upgrade failed; keeping the identity pool credentials");
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
            role_arn: role.arn,
            upgrade_failure,
        })
    }
}

/// What [`Authenticator::choose_role`] decided.
#[derive(Debug, Default)]
struct ChosenRole {
    /// `None`: the identity pool chooses.
    arn: Option<String>,
    /// Chosen among the ID token's `cognito:roles`.
    from_token: bool,
}

/// Builds the pipeline for one login or refresh, in place of [`Authenticator::from_settings`]
/// ([`crate::broker::Broker::with_authenticators`]). The broker asks for one only on its slow
/// path, so serving cached credentials builds nothing.
///
/// Any `Fn(bool) -> Result<Authenticator, ConfigError>` is one: tests and embedders pass a
/// closure that assembles [`Authenticator::new`] from their own stages.
pub trait AuthenticatorFactory: Send + Sync {
    /// The pipeline, with its upgrade stage only if `use_lambda_proxy`.
    fn authenticator(&self, use_lambda_proxy: bool) -> Result<Authenticator, ConfigError>;
}

impl<F> AuthenticatorFactory for F
where
    F: Fn(bool) -> Result<Authenticator, ConfigError> + Send + Sync,
{
    fn authenticator(&self, use_lambda_proxy: bool) -> Result<Authenticator, ConfigError> {
        self(use_lambda_proxy)
    }
}
