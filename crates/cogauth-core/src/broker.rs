//! The session broker: everything between "the user wants credentials" and the pipeline.
//!
//! - [`Broker::fresh_credentials`] is the fast path: cached credentials that stay valid beyond
//!   the refresh window, read from the cache with no network call and no async runtime.
//! - [`Broker::refresh`] is the slow path, single-flight across processes: under the profile's
//!   cache lock it re-reads the cache (another process may have refreshed it meanwhile), and only
//!   if it is still stale runs REFRESH_TOKEN_AUTH, the identity stage and the upgrade, then
//!   stores the result (including a rotated refresh token) atomically before releasing the lock.
//! - [`Broker::login`] runs a full login under the same lock and stores the session.
//! - [`Broker::publish`] hands credentials to the AWS tools (credentials file or
//!   credential_process) as the profile's `aws_integration` says.

use std::sync::Arc;

use chrono::Duration;

use crate::authenticator::{Authenticator, Outcome};
use crate::awsfiles::AwsFiles;
use crate::cache::{CacheError, Session, SessionLock, SessionStore};
use crate::clock::Clock;
use crate::config::{AwsIntegration, Settings};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::Error;
use crate::prompt::Prompter;
use crate::upgrade::UpgradeError;
use crate::userpool::{LoginRequest, UserPoolError};

/// No source gives credentials for longer (STS caps sessions at 12 hours).
const LONGEST_LIFETIME: Duration = Duration::hours(12);
/// Allowed disagreement between this machine's clock and AWS's.
const CLOCK_SLACK: Duration = Duration::minutes(15);

/// Why a session cannot be refreshed silently.
#[derive(Debug, thiserror::Error)]
#[error(
    "no valid session for profile `{profile}` ({reason}): run `cogauth login --profile {profile}`"
)]
pub struct LoginRequired {
    pub profile: String,
    pub reason: String,
}

/// What the slow path did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Another process refreshed the cache while this one waited for the lock.
    ByAnotherProcess,
    /// This process refreshed it.
    Here,
}

/// Where [`Broker::publish`] put the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    CredentialsFile(std::path::PathBuf),
    CredentialProcess(std::path::PathBuf),
}

/// The result of a login or refresh, with the upgrade failure kept for the caller to show.
#[derive(Debug)]
pub struct Fresh {
    pub session: Session,
    pub upgrade_failure: Option<UpgradeError>,
}

/// Couples the settings of one profile with the session store and the clock.
pub struct Broker {
    settings: Settings,
    env: Arc<dyn Env>,
    clock: Arc<dyn Clock>,
    store: Arc<dyn SessionStore>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("profile", &self.settings.profile.value)
            .finish_non_exhaustive()
    }
}

impl Broker {
    pub fn new(
        settings: Settings,
        env: Arc<dyn Env>,
        clock: Arc<dyn Clock>,
        store: Arc<dyn SessionStore>,
    ) -> Self {
        Self {
            settings,
            env,
            clock,
            store,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn profile(&self) -> &str {
        &self.settings.profile.value
    }

    pub fn store(&self) -> &dyn SessionStore {
        self.store.as_ref()
    }

    /// The cached session, if it belongs to the configured user pool and client (a profile
    /// pointed at another pool must not reuse the old pool's tokens).
    pub fn cached_session(&self) -> Result<Option<Session>, Error> {
        let session = self.store.load(self.profile())?;
        Ok(session.filter(|s| {
            self.settings
                .user_pool_id
                .as_ref()
                .is_some_and(|p| p.value == s.user_pool_id)
                && self
                    .settings
                    .client_id
                    .as_ref()
                    .is_some_and(|c| c.value == s.client_id)
        }))
    }

    fn is_fresh(&self, session: &Session, window: Duration) -> bool {
        let now = self.clock.now();
        session.credentials.as_ref().is_some_and(|c| {
            !c.expires_within(now, window)
                // Further off than any credentials last: this machine's clock (or the cache)
                // is wrong, and AWS may refuse them already. Refresh instead.
                && c.expiration - now <= LONGEST_LIFETIME + CLOCK_SLACK
        })
    }

    /// The fast path: cached credentials valid for longer than `window`. No network, no runtime.
    pub fn fresh_credentials(&self, window: Duration) -> Result<Option<Credentials>, Error> {
        Ok(self
            .cached_session()?
            .filter(|s| self.is_fresh(s, window))
            .and_then(|s| s.credentials))
    }

    /// Takes the profile's cross-process lock (blocking).
    pub fn lock(&self) -> Result<SessionLock, Error> {
        Ok(self.store.lock(self.profile())?)
    }

    fn authenticator(&self, use_lambda_proxy: bool) -> Result<Authenticator, Error> {
        Authenticator::from_settings(
            &self.settings,
            self.env.as_ref(),
            self.clock.clone(),
            use_lambda_proxy,
        )
    }

    /// The slow path, under `lock`: returns fresh credentials, refreshing them with the refresh
    /// token only if the cache is still stale once the lock is held.
    pub async fn refresh(
        &self,
        lock: &SessionLock,
        window: Duration,
        use_lambda_proxy: bool,
    ) -> Result<(Fresh, Refreshed), Error> {
        let cached = self.cached_session()?;
        if let Some(session) = cached.clone().filter(|s| self.is_fresh(s, window)) {
            return Ok((
                Fresh {
                    session,
                    upgrade_failure: None,
                },
                Refreshed::ByAnotherProcess,
            ));
        }
        let login_required = |reason: &str| LoginRequired {
            profile: self.profile().to_owned(),
            reason: reason.to_owned(),
        };
        let session = cached.ok_or_else(|| login_required("nothing cached"))?;
        let refresh_token = session
            .refresh_token
            .clone()
            .ok_or_else(|| login_required("no refresh token cached"))?;
        let outcome = self
            .authenticator(use_lambda_proxy)?
            .refresh(
                &session.username,
                &refresh_token,
                session.device_key.as_deref(),
                session.identity_id.as_deref(),
            )
            .await
            .map_err(|e| match e {
                Error::UserPool(UserPoolError::RefreshTokenRejected) => Error::LoginRequired(
                    login_required("the refresh token has expired or was revoked"),
                ),
                other => other,
            })?;
        let fresh = self.store_outcome(lock, outcome)?;
        Ok((fresh, Refreshed::Here))
    }

    /// A full login, under the profile's lock; the session is stored before the lock is released.
    pub async fn login(
        &self,
        request: &LoginRequest,
        prompter: &dyn Prompter,
        use_lambda_proxy: bool,
    ) -> Result<Fresh, Error> {
        let lock = self.lock()?;
        let known_identity = self.cached_session()?.and_then(|s| s.identity_id);
        let outcome = self
            .authenticator(use_lambda_proxy)?
            .login(request, prompter, known_identity.as_deref())
            .await?;
        self.store_outcome(&lock, outcome)
    }

    fn store_outcome(&self, lock: &SessionLock, outcome: Outcome) -> Result<Fresh, Error> {
        let Outcome {
            user,
            identity_id,
            credentials,
            source,
            upgrade_failure,
        } = outcome;
        let session = Session {
            profile: self.profile().to_owned(),
            user_pool_id: self.settings.require_user_pool_id()?.to_owned(),
            client_id: self.settings.require_client_id()?.to_owned(),
            username: user.username,
            refresh_token: user.tokens.refresh_token.clone(),
            device_key: user.device_key,
            identity_id: Some(identity_id),
            credentials: Some(credentials),
            source: Some(source),
            tokens_expire_at: Some(user.tokens.expires_at),
            updated_at: self.clock.now(),
        };
        self.store.save(lock, &session)?;
        Ok(Fresh {
            session,
            upgrade_failure,
        })
    }

    /// Hands the session's credentials to the AWS tools, as `aws_integration` says. `exe` is
    /// the absolute path of the `cogauth` binary, for `credential_process`.
    pub fn publish(
        &self,
        session: &Session,
        exe: &std::path::Path,
        force: bool,
    ) -> Result<Published, Error> {
        let files = AwsFiles::from_env(self.env.as_ref())?;
        let region = self.settings.region.as_ref().map(|r| r.value.as_str());
        match self.settings.aws_integration.value {
            AwsIntegration::Credentials => {
                let creds = session.credentials.as_ref().ok_or_else(|| LoginRequired {
                    profile: self.profile().to_owned(),
                    reason: "no credentials cached".to_owned(),
                })?;
                files.write_credentials(self.profile(), creds, region, force)?;
                Ok(Published::CredentialsFile(files.credentials))
            }
            AwsIntegration::Process => {
                let command = credential_process_command(exe, self.profile());
                files.write_credential_process(self.profile(), &command, region, force)?;
                Ok(Published::CredentialProcess(files.config))
            }
        }
    }
}

/// `<exe> credential-process --profile <p>`, for `credential_process` in `~/.aws/config`.
///
/// The AWS tools run this line in one of two ways: botocore (the AWS CLI, boto3) splits it with
/// Python's `shlex.split` and runs the words without a shell; the Rust, Go and JavaScript SDKs
/// hand it to `sh -c`. So the path is quoted as one word that both read back exactly, and that
/// neither treats as code: a cogauth installed under `x;touch PWNED;y` or `a$(touch PWNED)b`
/// must run cogauth, nothing else. (The profile name needs no quoting: it is letters, digits,
/// `-`, `_` and `.`.)
pub fn credential_process_command(exe: &std::path::Path, profile: &str) -> String {
    let exe = crate::shell::word(&exe.to_string_lossy());
    format!("{exe} credential-process --profile {profile}")
}

/// What `logout` did.
#[derive(Debug)]
pub struct LogoutReport {
    /// `Ok(true)` revoked, `Ok(false)` nothing to revoke, `Err` why revoking failed (the local
    /// session is removed anyway).
    pub revoked: Result<bool, String>,
    pub cache_removed: bool,
    pub aws_files_changed: bool,
}

impl Broker {
    /// Revokes the refresh token (RevokeToken), then removes the cached session and what
    /// cogauth wrote for the profile in the AWS files.
    pub async fn logout(&self) -> Result<LogoutReport, Error> {
        let lock = self.lock()?;
        let session = match self.store.load(self.profile()) {
            Ok(session) => session,
            // The corrupt-cache error sends the user here: nothing can be revoked, the rest
            // is removed.
            Err(CacheError::Corrupt { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let revoked = match &session {
            Some(s) => match &s.refresh_token {
                Some(token) => self.revoke(s, token).await.map(|()| true),
                None => Ok(false),
            },
            None => Ok(false),
        };
        let cache_removed = self.store.delete(&lock)?;
        let aws_files_changed =
            AwsFiles::from_env(self.env.as_ref())?.remove_profile(self.profile())?;
        Ok(LogoutReport {
            revoked,
            cache_removed,
            aws_files_changed,
        })
    }

    async fn revoke(&self, session: &Session, token: &secrecy::SecretString) -> Result<(), String> {
        use secrecy::ExposeSecret;
        let region = crate::config::ids::region_of_user_pool(&session.user_pool_id)
            .map(str::to_owned)
            .or_else(|| self.settings.region.as_ref().map(|r| r.value.clone()))
            .ok_or_else(|| {
                format!(
                    "cannot tell the region of user pool `{}`",
                    session.user_pool_id
                )
            })?;
        // The secret belongs to the configured client; a session of another client has none.
        let secret = self
            .settings
            .client_secret
            .as_ref()
            .filter(|_| {
                self.settings
                    .client_id
                    .as_ref()
                    .is_some_and(|c| c.value == session.client_id)
            })
            .map(|s| s.value.expose_secret().to_owned());
        let client = crate::aws::cognito_idp(self.env.as_ref(), &region);
        client
            .revoke_token()
            .token(token.expose_secret())
            .client_id(&session.client_id)
            .set_client_secret(secret)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| crate::aws::classify(&e).to_string())
    }
}
