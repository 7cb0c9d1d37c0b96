//! The session broker: everything between "the user wants credentials" and the pipeline.
//!
//! [`Broker::credentials`] is the one way to get a profile's credentials without a login;
//! `cogauth credential-process`, `exec` and `export`, and the embedders' provider
//! ([`crate::provider`]) all go through it:
//!
//! 1. the fast path, [`Broker::fresh_credentials`]: cached credentials that stay valid beyond
//!    the refresh window, read from the cache with no network call (callers that want no async
//!    runtime at all can call it first on its own);
//! 2. the profile's cross-process lock, then [`Broker::refresh`]: the cache is read again
//!    (another process may have refreshed it meanwhile), and only if it is still stale the
//!    pipeline refreshes with the cached [`RefreshGrant`]. A rotated refresh token is stored as
//!    soon as the user pool returns it, before the identity pool is asked (a failure there
//!    must not lose the only live token), and the result once the pipeline is done, all before
//!    the lock is released, so parallel refreshers never lose a rotated token (what a process
//!    that dies mid-refresh costs: [`crate::userpool::refresh`]);
//! 3. still under the lock, the republish: a credentials-file section that cogauth owns gets
//!    the new keys ([`AwsFiles::refresh_credentials`]). A refresh never changes how the profile
//!    hands credentials over: it never writes `credential_process` or removes it, and never
//!    creates a section. Only a login ([`Broker::publish`]) chooses the hand-over.
//!
//! [`Broker::login`] runs a full login under the same lock and stores the session, with the
//! role it chose: refreshes ask for that role again. [`Broker::tokens`] is the same sequence
//! for the user-pool tokens (`cogauth token`): fast path on the cached tokens' expiry, else a
//! user-pool refresh under the lock. The pipeline comes from an [`AuthenticatorFactory`], so
//! tests run all of this on fake stages.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

use crate::authenticator::{
    Authenticator, AuthenticatorFactory, KnownIdentity, Outcome, PipelineError,
};
use crate::awsfiles::{AwsFiles, AwsFilesError};
use crate::cache::{CacheError, Session, SessionLock, SessionStore};
use crate::clock::Clock;
use crate::config::{AwsIntegration, ConfigError, Settings};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::prompt::Prompter;
use crate::upgrade::UpgradeError;
use crate::userpool::{LoginRequest, RefreshGrant, UserPoolError};

/// No source gives credentials for longer (STS caps sessions at 12 hours).
const LONGEST_LIFETIME: Duration = Duration::hours(12);
/// No user pool issues ID or access tokens for longer (Cognito's maximum validity).
const LONGEST_TOKEN_LIFETIME: Duration = Duration::days(1);
/// Allowed disagreement between this machine's clock and AWS's.
const CLOCK_SLACK: Duration = Duration::minutes(15);

/// Why the broker gave no credentials.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Only a login helps: a caller with a terminal can run one, a provider chain moves on.
    #[error(transparent)]
    LoginRequired(#[from] LoginRequired),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    AwsFiles(#[from] AwsFilesError),
    #[error(
        "the wait for the session lock of profile `{0}` was cancelled: the async runtime is shutting down"
    )]
    LockCancelled(String),
}

/// Why a session cannot be refreshed silently.
#[derive(Debug, thiserror::Error)]
#[error(
    "no valid session for profile `{profile}` ({reason}): run `cogauth login --profile {profile}`"
)]
pub struct LoginRequired {
    pub profile: String,
    pub reason: String,
}

/// How [`Broker::credentials`] got the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// From the cache, fresh: no network call.
    Cache,
    /// Another process refreshed the cache while this one waited for the lock.
    RefreshedElsewhere,
    /// This process refreshed them.
    Refreshed,
}

/// Credentials from [`Broker::credentials`], with what the caller may want to show.
#[derive(Debug)]
pub struct Obtained {
    pub credentials: Credentials,
    pub served: Served,
    /// Why the configured upgrade did not happen on this refresh (the credentials are the
    /// identity pool's).
    pub upgrade_failure: Option<UpgradeError>,
    /// Why the cogauth section of the credentials file could not be rewritten after this
    /// refresh (the credentials are good; the file holds the previous ones).
    pub republish_failure: Option<AwsFilesError>,
}

impl Obtained {
    fn unchanged(credentials: Credentials, served: Served) -> Self {
        Self {
            credentials,
            served,
            upgrade_failure: None,
            republish_failure: None,
        }
    }
}

/// The user-pool tokens from [`Broker::tokens`].
#[derive(Debug)]
pub struct ObtainedTokens {
    pub id_token: SecretString,
    pub access_token: SecretString,
    /// When both expire.
    pub expires_at: DateTime<Utc>,
    pub served: Served,
}

/// Where [`Broker::publish`] put the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    CredentialsFile(std::path::PathBuf),
    CredentialProcess(std::path::PathBuf),
}

/// The result of a login, with the upgrade failure kept for the caller to show.
#[derive(Debug)]
pub struct Fresh {
    pub session: Session,
    pub upgrade_failure: Option<UpgradeError>,
}

/// Couples the settings of one profile with the session store, the clock and the pipeline.
pub struct Broker {
    settings: Settings,
    env: Arc<dyn Env>,
    clock: Arc<dyn Clock>,
    store: Arc<dyn SessionStore>,
    /// `None`: the real services, as the settings describe them.
    authenticators: Option<Arc<dyn AuthenticatorFactory>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("profile", &self.settings.profile.value)
            .finish_non_exhaustive()
    }
}

impl Broker {
    /// A broker over the real services, as `settings` describe them.
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
            authenticators: None,
        }
    }

    /// Replaces the pipeline (the settings still name the pool, client and profile).
    #[must_use]
    pub fn with_authenticators(mut self, authenticators: Arc<dyn AuthenticatorFactory>) -> Self {
        self.authenticators = Some(authenticators);
        self
    }

    /// The pipeline for one login or refresh; built only on the slow path.
    fn authenticator(&self, use_lambda_proxy: bool) -> Result<Authenticator, ConfigError> {
        match &self.authenticators {
            Some(factory) => factory.authenticator(use_lambda_proxy),
            None => Authenticator::from_settings(
                &self.settings,
                self.env.as_ref(),
                self.clock.clone(),
                use_lambda_proxy,
            ),
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

    /// Whether `session` was made with the configured user pool and client: a profile pointed
    /// at another pool must not reuse the old pool's tokens.
    fn is_ours(&self, session: &Session) -> bool {
        let configured = |value: &Option<crate::config::Sourced<String>>, cached: &str| {
            value.as_ref().is_some_and(|v| v.value == cached)
        };
        configured(&self.settings.user_pool_id, &session.user_pool_id)
            && configured(&self.settings.client_id, &session.client_id)
    }

    /// The cached session, if it belongs to the configured user pool and client.
    pub fn cached_session(&self) -> Result<Option<Session>, BrokerError> {
        let session = self.store.load(self.profile())?;
        Ok(session.filter(|s| self.is_ours(s)))
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

    fn tokens_of(&self, session: &Session, window: Duration) -> Option<ObtainedTokens> {
        let now = self.clock.now();
        let expires_at = session.tokens_expire_at?;
        let fresh =
            expires_at - now >= window && expires_at - now <= LONGEST_TOKEN_LIFETIME + CLOCK_SLACK;
        Some(ObtainedTokens {
            id_token: session.id_token.clone()?,
            access_token: session.access_token.clone()?,
            expires_at,
            served: Served::Cache,
        })
        .filter(|_| fresh)
    }

    /// The fast path of [`Self::tokens`]: cached tokens valid for at least `window`.
    pub fn fresh_tokens(&self, window: Duration) -> Result<Option<ObtainedTokens>, BrokerError> {
        Ok(self
            .cached_session()?
            .and_then(|s| self.tokens_of(&s, window)))
    }

    /// The ID and access tokens, valid for at least `window` when the pool issues them for
    /// that long: from the cache, else from a user-pool refresh under the profile's lock (the
    /// rotated refresh token stored before the lock is released; the credentials are left as
    /// they are). Never prompts: [`BrokerError::LoginRequired`] when only a login helps.
    pub async fn tokens(&self, window: Duration) -> Result<ObtainedTokens, BrokerError> {
        if let Some(tokens) = self.fresh_tokens(window)? {
            return Ok(tokens);
        }
        let lock = self.lock_async().await?;
        let Some(mut cached) = self.store.load(self.profile())? else {
            return Err(self.login_required("nothing cached").into());
        };
        if !self.is_ours(&cached) {
            return Err(self
                .login_required("the cached session is for another user pool or app client")
                .into());
        }
        if let Some(mut tokens) = self.tokens_of(&cached, window) {
            tokens.served = Served::RefreshedElsewhere;
            return Ok(tokens);
        }
        let grant =
            refresh_grant(&cached).ok_or_else(|| self.login_required("no refresh token cached"))?;
        let user = self
            .authenticator(false)?
            .refresh_user(&grant)
            .await
            .map_err(|e| self.refresh_failed(e))?;
        use secrecy::ExposeSecret;
        // Stored with the tokens, before the lock is released: a rotated refresh token is the
        // only live one from now on.
        cached.refresh_rotates = Some(
            user.tokens
                .refresh_token
                .as_ref()
                .is_some_and(|t| t.expose_secret() != grant.refresh_token.expose_secret()),
        );
        cached.refresh_token = user.tokens.refresh_token.clone();
        cached.device_key = user.device_key.clone();
        cached.id_token = Some(user.tokens.id_token.clone());
        cached.access_token = Some(user.tokens.access_token.clone());
        cached.tokens_expire_at = Some(user.tokens.expires_at);
        cached.updated_at = self.clock.now();
        self.store.save(&lock, &cached)?;
        Ok(ObtainedTokens {
            id_token: user.tokens.id_token,
            access_token: user.tokens.access_token,
            expires_at: user.tokens.expires_at,
            served: Served::Refreshed,
        })
    }

    /// A failed refresh: a dead refresh token, or a role the user no longer has, need a login.
    fn refresh_failed(&self, e: PipelineError) -> BrokerError {
        match e {
            PipelineError::UserPool(UserPoolError::RefreshTokenRejected) => self
                .login_required("the refresh token has expired or was revoked")
                .into(),
            PipelineError::UserPool(UserPoolError::RefreshTokenReused) => self
                .login_required(
                    "the refresh token was already replaced by refresh-token rotation, and \
                     its successor was not saved",
                )
                .into(),
            PipelineError::Role(why) => self
                .login_required(&format!("the role chosen at login: {why}"))
                .into(),
            other => BrokerError::from(other),
        }
    }

    /// The fast path: cached credentials valid for longer than `window`. No network, no runtime.
    pub fn fresh_credentials(&self, window: Duration) -> Result<Option<Credentials>, BrokerError> {
        Ok(self
            .cached_session()?
            .filter(|s| self.is_fresh(s, window))
            .and_then(|s| s.credentials))
    }

    /// Credentials valid for longer than `window`, without a login: from the cache, else from
    /// a refresh under the profile's lock (see the module documentation). Never prompts: when
    /// only a login would help, [`BrokerError::LoginRequired`].
    pub async fn credentials(
        &self,
        window: Duration,
        use_lambda_proxy: bool,
    ) -> Result<Obtained, BrokerError> {
        if let Some(credentials) = self.fresh_credentials(window)? {
            return Ok(Obtained::unchanged(credentials, Served::Cache));
        }
        let lock = self.lock_async().await?;
        self.refresh(&lock, window, use_lambda_proxy).await
    }

    /// Takes the profile's cross-process lock (blocking).
    pub fn lock(&self) -> Result<SessionLock, BrokerError> {
        Ok(self.store.lock(self.profile())?)
    }

    /// [`Self::lock`] off the async workers: the lock is a blocking `flock`, and the wait may
    /// last as long as another process's refresh or login.
    async fn lock_async(&self) -> Result<SessionLock, BrokerError> {
        let store = self.store.clone();
        let profile = self.profile().to_owned();
        match tokio::task::spawn_blocking(move || store.lock(&profile)).await {
            Ok(lock) => Ok(lock?),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(BrokerError::LockCancelled(self.profile().to_owned())),
        }
    }

    fn login_required(&self, reason: &str) -> LoginRequired {
        LoginRequired {
            profile: self.profile().to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// The slow path, under `lock`: fresh credentials, refreshed with the cached grant only if
    /// the cache is still stale once the lock is held, stored, then republished to a
    /// credentials-file section cogauth owns.
    pub async fn refresh(
        &self,
        lock: &SessionLock,
        window: Duration,
        use_lambda_proxy: bool,
    ) -> Result<Obtained, BrokerError> {
        let Some(cached) = self.store.load(self.profile())? else {
            return Err(self.login_required("nothing cached").into());
        };
        if !self.is_ours(&cached) {
            return Err(self
                .login_required("the cached session is for another user pool or app client")
                .into());
        }
        if self.is_fresh(&cached, window)
            && let Some(credentials) = cached.credentials
        {
            return Ok(Obtained::unchanged(credentials, Served::RefreshedElsewhere));
        }
        let grant =
            refresh_grant(&cached).ok_or_else(|| self.login_required("no refresh token cached"))?;
        let mut authenticator = self.authenticator(use_lambda_proxy)?;
        // The role the login chose, not the one a login would offer now.
        if cached.role_arn.is_some() {
            authenticator = authenticator.with_role(cached.role_arn.clone());
        }
        let user = authenticator
            .refresh_user(&grant)
            .await
            .map_err(|e| self.refresh_failed(e))?;
        // A rotated refresh token is the only live one from now on: stored at once, so that an
        // identity pool or network failure in the next stage cannot lose it.
        let rotated = self.keep_rotated(lock, &cached, &grant, &user)?;
        let outcome = authenticator
            .finish(user, known_identity(&cached).as_ref())
            .await
            .map_err(|e| self.refresh_failed(e))?;
        let fresh = self.store_outcome(lock, outcome, Some(&cached), Some(rotated), None)?;
        let credentials = fresh
            .session
            .credentials
            .expect("a stored outcome has credentials");
        // Still under the session lock: republishes land in the order the refreshes were
        // stored, so the file never ends up older than the cache.
        let republish_failure = self.republish(&credentials).err();
        Ok(Obtained {
            credentials,
            served: Served::Refreshed,
            upgrade_failure: fresh.upgrade_failure,
            republish_failure,
        })
    }

    /// Writes `credentials` into the profile's credentials-file section if cogauth owns it and
    /// holds keys there; changes nothing else (see [`AwsFiles::refresh_credentials`]).
    /// Returns whether the file was rewritten.
    pub fn republish(&self, credentials: &Credentials) -> Result<bool, AwsFilesError> {
        AwsFiles::from_env(self.env.as_ref())?.refresh_credentials(self.profile(), credentials)
    }

    /// A full login, under the profile's lock; the session is stored before the lock is
    /// released. The cached identity id is reused only for the same user.
    pub async fn login(
        &self,
        request: &LoginRequest,
        prompter: &dyn Prompter,
        use_lambda_proxy: bool,
    ) -> Result<Fresh, BrokerError> {
        self.login_as(request, prompter, use_lambda_proxy, None)
            .await
    }

    /// [`Self::login`] asking for `role` (an ARN, or the name of one of the user's roles) in
    /// place of the profile's `role_arn`. A role the ID token does not name is refused before
    /// the identity pool is called ([`PipelineError::Role`]).
    pub async fn login_as(
        &self,
        request: &LoginRequest,
        prompter: &dyn Prompter,
        use_lambda_proxy: bool,
        role: Option<&str>,
    ) -> Result<Fresh, BrokerError> {
        let lock = self.lock_async().await?;
        let previous = self.cached_session()?;
        let known = previous.as_ref().and_then(known_identity);
        // This machine's device for this user, if it confirmed one: presented and proven.
        let mut request = request.clone();
        if request.device.is_none() {
            request.device = previous
                .as_ref()
                .and_then(|p| device::known_device(p, &request.username));
        }
        let mut authenticator = self.authenticator(use_lambda_proxy)?;
        if let Some(role) = role {
            authenticator = authenticator.with_role(Some(role.to_owned()));
        }
        let outcome = match authenticator
            .login(&request, prompter, known.as_ref())
            .await
        {
            Ok(outcome) => outcome,
            Err(e @ PipelineError::UserPool(UserPoolError::DeviceRejected { .. })) => {
                if let Some(previous) = &previous {
                    self.forget_device_here(&lock, previous)?;
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        self.store_outcome(
            &lock,
            outcome,
            previous.as_ref(),
            None,
            Some(&request.username),
        )
    }

    /// Stores `user`'s refresh token and device key in `cached` if the refresh changed them
    /// (rotation). The credentials stay the cached ones until the pipeline finishes. Returns
    /// whether the refresh token was rotated.
    fn keep_rotated(
        &self,
        lock: &SessionLock,
        cached: &Session,
        grant: &RefreshGrant,
        user: &crate::userpool::UserPoolSession,
    ) -> Result<bool, BrokerError> {
        use secrecy::ExposeSecret;
        let rotated = user
            .tokens
            .refresh_token
            .as_ref()
            .is_some_and(|t| t.expose_secret() != grant.refresh_token.expose_secret());
        if !rotated && user.device_key == cached.device_key {
            return Ok(false);
        }
        let mut session = cached.clone();
        session.refresh_token = user.tokens.refresh_token.clone();
        session.device_key = user.device_key.clone();
        session.refresh_rotates = Some(rotated);
        session.updated_at = self.clock.now();
        self.store.save(lock, &session)?;
        Ok(rotated)
    }

    /// Stores what a login or refresh produced. `previous` (the cached session of this pool and
    /// client) lends what the outcome does not know: how the login was done, whether refreshes
    /// rotate (`rotated`, from this refresh, wins), and after a refresh the device.
    /// `login_name` is the name a login was typed with (`None` for a refresh).
    fn store_outcome(
        &self,
        lock: &SessionLock,
        outcome: Outcome,
        previous: Option<&Session>,
        rotated: Option<bool>,
        login_name: Option<&str>,
    ) -> Result<Fresh, BrokerError> {
        let Outcome {
            user,
            identity_id,
            credentials,
            source,
            role_arn,
            upgrade_failure,
        } = outcome;
        let mut session = Session {
            profile: self.profile().to_owned(),
            user_pool_id: self.settings.require_user_pool_id()?.to_owned(),
            client_id: self.settings.require_client_id()?.to_owned(),
            username: user.username,
            user_sub: user.sub,
            refresh_token: user.tokens.refresh_token.clone(),
            device_key: user.device_key,
            device_group_key: None,
            device_password: None,
            device_remembered: None,
            device_name: None,
            device_login_name: None,
            identity_id: Some(identity_id),
            credentials: Some(credentials),
            source: Some(source),
            tokens_expire_at: Some(user.tokens.expires_at),
            id_token: Some(user.tokens.id_token.clone()),
            access_token: Some(user.tokens.access_token.clone()),
            role_arn,
            signed_in_with: user
                .signed_in_with
                .or_else(|| previous.and_then(|p| p.signed_in_with.clone())),
            refresh_rotates: rotated.or_else(|| previous.and_then(|p| p.refresh_rotates)),
            updated_at: self.clock.now(),
        };
        match (login_name, user.device, previous) {
            // A login: the device it confirmed or proved, for the name it was typed with.
            (Some(name), Some(d), _) => device::set(&mut session, d, name),
            // A refresh keeps the device it was made with.
            (None, _, Some(previous)) if previous.device_key == session.device_key => {
                device::copy(&mut session, previous);
            }
            _ => {}
        }
        self.store.save(lock, &session)?;
        Ok(Fresh {
            session,
            upgrade_failure,
        })
    }

    /// Hands the session's credentials to the AWS tools, as `aws_integration` says: the
    /// choice a login makes. `exe` is the absolute path of the `cogauth` binary, for
    /// `credential_process`.
    pub fn publish(
        &self,
        session: &Session,
        exe: &std::path::Path,
        force: bool,
    ) -> Result<Published, BrokerError> {
        let files = AwsFiles::from_env(self.env.as_ref())?;
        let region = self.settings.region.as_ref().map(|r| r.value.as_str());
        match self.settings.aws_integration.value {
            AwsIntegration::Credentials => {
                let creds = session
                    .credentials
                    .as_ref()
                    .ok_or_else(|| self.login_required("no credentials cached"))?;
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

/// What `session` presents for a silent refresh, if it holds a refresh token.
fn refresh_grant(session: &Session) -> Option<RefreshGrant> {
    Some(RefreshGrant {
        username: session.username.clone(),
        refresh_token: session.refresh_token.clone()?,
        device_key: session.device_key.clone(),
    })
}

/// The identity id `session` holds, keyed by its user (sessions cached before `user_sub` was
/// kept have none: their user is unknown, so the id is not reused).
fn known_identity(session: &Session) -> Option<KnownIdentity> {
    Some(KnownIdentity {
        user_sub: session.user_sub.clone()?,
        identity_id: session.identity_id.clone()?,
    })
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
    /// With `forget_device`: `Ok(Some(key))` the pool forgot the device, `Ok(None)` there was
    /// none, `Err` why the pool could not be told (it is forgotten here anyway).
    pub device_forgotten: Result<Option<String>, String>,
    /// Without `forget_device`: the device kept in the session store for the next login.
    pub device_kept: Option<String>,
}

impl Broker {
    /// Revokes the refresh token (RevokeToken), then removes the cached session and what
    /// cogauth wrote for the profile in the AWS files. This machine's remembered device stays
    /// in the session store for the next login, unless `forget_device`: then the pool forgets
    /// it (ForgetDevice) and so does the store.
    pub async fn logout(&self, forget_device: bool) -> Result<LogoutReport, BrokerError> {
        let lock = self.lock_async().await?;
        let session = match self.store.load(self.profile()) {
            Ok(session) => session,
            // The corrupt-cache error sends the user here: nothing can be revoked, the rest
            // is removed.
            Err(CacheError::Corrupt { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut refresh_token = session.as_ref().and_then(|s| s.refresh_token.clone());
        let device_forgotten = match (&session, forget_device) {
            (Some(s), true) if s.device_key.is_some() => {
                match self.forget_device_at_pool(&lock, s).await {
                    // Forgetting it took a refresh: a rotated token is the one to revoke.
                    Ok(rotated) => {
                        refresh_token = rotated.or(refresh_token);
                        Ok(s.device_key.clone())
                    }
                    Err(why) => Err(why),
                }
            }
            _ => Ok(None),
        };
        let revoked = match (&session, &refresh_token) {
            (Some(s), Some(token)) => self.revoke(s, token).await.map(|()| true),
            _ => Ok(false),
        };
        let kept = session
            .as_ref()
            .filter(|_| !forget_device)
            .and_then(|s| self.keep_only_device(&lock, s).transpose())
            .transpose()?;
        let cache_removed = match &kept {
            Some(_) => session
                .as_ref()
                .is_some_and(|s| s.refresh_token.is_some() || s.credentials.is_some()),
            None => self.store.delete(&lock)?,
        };
        let aws_files_changed =
            AwsFiles::from_env(self.env.as_ref())?.remove_profile(self.profile())?;
        Ok(LogoutReport {
            revoked,
            cache_removed,
            aws_files_changed,
            device_forgotten,
            device_kept: kept,
        })
    }

    /// The region of `session`'s user pool.
    fn region_of(&self, session: &Session) -> Result<String, String> {
        crate::config::ids::region_of_user_pool(&session.user_pool_id)
            .map(str::to_owned)
            .or_else(|| self.settings.region.as_ref().map(|r| r.value.clone()))
            .ok_or_else(|| {
                format!(
                    "cannot tell the region of user pool `{}`",
                    session.user_pool_id
                )
            })
    }

    async fn revoke(&self, session: &Session, token: &secrecy::SecretString) -> Result<(), String> {
        use secrecy::ExposeSecret;
        let region = self.region_of(session)?;
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

mod device;
#[cfg(test)]
mod tests;
