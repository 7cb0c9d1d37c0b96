//! The refresh logic, offline: a [`Broker`] over the real file cache and AWS files in a
//! temporary home, with fake stages behind the [`AuthenticatorFactory`] seam and a clock that
//! moves only when told. The fakes keep the rules that matter here: a rotated refresh token
//! replaces the old one, which then fails like a revoked one.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::authenticator::Authenticator;
use crate::cache::FileSessionStore;
use crate::clock::FixedClock;
use crate::config::{Overrides, ProfileConfig};
use crate::credentials::{CredentialSource, Tokens};
use crate::env::MapEnv;
use crate::identity::{IdentityCredentials, IdentityError, IdentityStage};
use crate::prompt::PromptError;
use crate::upgrade::UpgradeStage;
use crate::userpool::{Device, UserPoolSession, UserPoolStage};

const POOL: &str = "us-east-1_FakePool";
const CLIENT: &str = "fakeclient123";
const IDENTITY_POOL: &str = "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab";

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000, 0).unwrap()
}

/// The user pool: logs anyone in, and refreshes only with a refresh token it issued and has
/// not replaced since.
#[derive(Debug, Default)]
struct FakeUserPool {
    state: Mutex<PoolState>,
}

#[derive(Debug, Default)]
struct PoolState {
    /// Rotate the refresh token at every refresh, as GetTokensFromRefreshToken does.
    rotate: bool,
    /// Issue this device key at the next refresh.
    new_device_key: Option<String>,
    issued: u32,
    valid: HashSet<String>,
    refreshes: u32,
    /// The device keys refreshes were sent with.
    device_keys_sent: Vec<Option<String>>,
    /// The `cognito:roles` and `cognito:preferred_role` of the ID tokens it issues.
    roles: Vec<String>,
    preferred_role: Option<String>,
    /// The world's clock: tokens expire an hour after they are issued.
    clock: Option<Arc<FixedClock>>,
    /// Confirm a device at each login that presents none, as a pool that tracks devices does.
    confirm_devices: bool,
    /// Refuse every presented device's proof (DEVICE_PASSWORD_VERIFIER).
    reject_devices: bool,
    /// The device keys logins presented.
    devices_presented: Vec<Option<String>>,
}

impl FakeUserPool {
    fn rotating() -> Arc<Self> {
        let pool = Self::default();
        pool.state.lock().unwrap().rotate = true;
        Arc::new(pool)
    }

    fn issue(state: &mut PoolState) -> SecretString {
        state.issued += 1;
        let token = format!("rt-{}", state.issued);
        state.valid.insert(token.clone());
        SecretString::from(token)
    }

    fn refreshes(&self) -> u32 {
        self.state.lock().unwrap().refreshes
    }

    fn revoke_all(&self) {
        self.state.lock().unwrap().valid.clear();
    }

    fn is_valid(&self, token: &str) -> bool {
        self.state.lock().unwrap().valid.contains(token)
    }

    /// Issues ID tokens naming `roles`, `preferred` first among them when given.
    fn with_roles(roles: &[&str], preferred: Option<&str>) -> Arc<Self> {
        let pool = Self::default();
        {
            let mut state = pool.state.lock().unwrap();
            state.roles = roles.iter().map(|r| (*r).to_owned()).collect();
            state.preferred_role = preferred.map(str::to_owned);
        }
        Arc::new(pool)
    }

    fn set_roles(&self, roles: &[&str]) {
        self.state.lock().unwrap().roles = roles.iter().map(|r| (*r).to_owned()).collect();
    }
}

/// An unsigned JWT with the user's role claims, as the pipeline reads them.
fn id_token(user: &str, state: &PoolState) -> SecretString {
    use base64::Engine as _;
    let part = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let mut claims = serde_json::json!({"sub": format!("sub-{user}"), "token_use": "id"});
    if !state.roles.is_empty() {
        claims["cognito:roles"] = state.roles.clone().into();
    }
    if let Some(preferred) = &state.preferred_role {
        claims["cognito:preferred_role"] = preferred.clone().into();
    }
    SecretString::from(format!(
        "{}.{}.sig",
        part(serde_json::json!({"alg": "none"})),
        part(claims)
    ))
}

fn session_for(user: &str, refresh_token: Option<SecretString>) -> UserPoolSession {
    UserPoolSession {
        tokens: Tokens {
            id_token: SecretString::from(format!("id-token-of-{user}")),
            access_token: SecretString::from("access".to_owned()),
            refresh_token,
            expires_at: start() + Duration::hours(1),
        },
        username: user.to_owned(),
        sub: Some(format!("sub-{user}")),
        device_key: None,
        signed_in_with: None,
        device: None,
    }
}

#[async_trait::async_trait]
impl UserPoolStage for FakeUserPool {
    async fn login(
        &self,
        req: &LoginRequest,
        _: &dyn Prompter,
    ) -> Result<UserPoolSession, UserPoolError> {
        let mut state = self.state.lock().unwrap();
        state
            .devices_presented
            .push(req.device.as_ref().map(|d| d.key.clone()));
        if let Some(device) = &req.device
            && state.reject_devices
        {
            return Err(UserPoolError::DeviceRejected {
                device_key: device.key.clone(),
            });
        }
        let token = Self::issue(&mut state);
        let mut session = session_for(&req.username, Some(token));
        session.tokens.id_token = id_token(&req.username, &state);
        session.device_key = Some(format!("us-east-1_device-of-{}", req.username));
        if state.confirm_devices {
            session.device = Some(req.device.clone().unwrap_or_else(|| Device {
                key: format!("us-east-1_device-of-{}", req.username),
                group_key: "-group".to_owned(),
                password: SecretString::from(format!("device-secret-of-{}", req.username)),
                remembered: true,
                name: "cogauth on test".to_owned(),
            }));
        }
        Ok(session)
    }

    async fn refresh(&self, grant: &RefreshGrant) -> Result<UserPoolSession, UserPoolError> {
        // Let other tasks run in between, as a network call would.
        tokio::task::yield_now().await;
        let mut state = self.state.lock().unwrap();
        state.device_keys_sent.push(grant.device_key.clone());
        if !state.valid.contains(grant.refresh_token.expose_secret()) {
            return Err(UserPoolError::RefreshTokenRejected);
        }
        state.refreshes += 1;
        let rotated = state.rotate.then(|| {
            state.valid.remove(grant.refresh_token.expose_secret());
            Self::issue(&mut state)
        });
        let mut session = session_for(&grant.username, rotated);
        session.tokens.id_token = id_token(&grant.username, &state);
        session.tokens.access_token = SecretString::from(format!("access-{}", state.refreshes));
        if let Some(clock) = &state.clock {
            session.tokens.expires_at = clock.now() + Duration::hours(1);
        }
        session.device_key = state.new_device_key.take();
        Ok(session)
    }
}

/// The identity pool: a new identity per GetId, credentials that last `lifetime`.
#[derive(Debug)]
struct FakeIdentity {
    clock: Arc<FixedClock>,
    lifetime: Mutex<Duration>,
    state: Mutex<IdentityState>,
}

#[derive(Debug, Default)]
struct IdentityState {
    identities: u32,
    issued: u32,
    /// Fail every call, as an unreachable identity pool does.
    down: bool,
    /// The identity ids the pipeline passed in, call by call.
    known_ids_received: Vec<Option<String>>,
    /// The roles the pipeline asked for, call by call.
    roles_received: Vec<Option<String>>,
}

impl FakeIdentity {
    fn new(clock: Arc<FixedClock>) -> Arc<Self> {
        Arc::new(Self {
            clock,
            lifetime: Mutex::new(Duration::hours(1)),
            state: Mutex::default(),
        })
    }

    fn set_lifetime(&self, lifetime: Duration) {
        *self.lifetime.lock().unwrap() = lifetime;
    }

    fn known_ids_received(&self) -> Vec<Option<String>> {
        self.state.lock().unwrap().known_ids_received.clone()
    }

    fn roles_received(&self) -> Vec<Option<String>> {
        self.state.lock().unwrap().roles_received.clone()
    }
}

#[async_trait::async_trait]
impl IdentityStage for FakeIdentity {
    async fn credentials(
        &self,
        _id_token: &SecretString,
        known_identity_id: Option<&str>,
        role: Option<&str>,
    ) -> Result<IdentityCredentials, IdentityError> {
        let mut state = self.state.lock().unwrap();
        state.roles_received.push(role.map(str::to_owned));
        if state.down {
            return Err(IdentityError::Unreachable {
                endpoint: "https://cognito-identity.us-east-1.amazonaws.com".to_owned(),
                failure: crate::aws::Failure::TimedOut,
            });
        }
        state
            .known_ids_received
            .push(known_identity_id.map(str::to_owned));
        let identity_id = match known_identity_id {
            Some(id) => id.to_owned(),
            None => {
                state.identities += 1;
                format!("us-east-1:identity-{}", state.identities)
            }
        };
        state.issued += 1;
        let expiration = self.clock.now() + *self.lifetime.lock().unwrap();
        Ok(IdentityCredentials {
            identity_id,
            credentials: Credentials::new(
                format!("ASIAIDENTITY{}", state.issued),
                "identity-secret",
                "identity-token",
                expiration,
            ),
            source: CredentialSource::IdentityPool,
        })
    }
}

/// The Lambda proxy: 12 h credentials, or a refusal.
#[derive(Debug)]
struct FakeUpgrade {
    clock: Arc<FixedClock>,
    fails: bool,
}

#[async_trait::async_trait]
impl UpgradeStage for FakeUpgrade {
    async fn upgrade(
        &self,
        _: &SecretString,
        _: &SecretString,
        _: &Credentials,
        duration_hours: u32,
    ) -> Result<Credentials, UpgradeError> {
        if self.fails {
            return Err(UpgradeError::Refused {
                function: "cognito-credential-proxy".to_owned(),
                status: 403,
                detail: "the token is not trusted".to_owned(),
            });
        }
        Ok(Credentials::new(
            "ASIAPROXY",
            "proxy-secret",
            "proxy-token",
            self.clock.now() + Duration::hours(duration_hours.into()),
        ))
    }
}

#[derive(Debug)]
struct NoPrompts;

impl Prompter for NoPrompts {
    fn ask(&self, question: &str) -> Result<String, PromptError> {
        panic!("unexpected question: {question}")
    }
    fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError> {
        panic!("unexpected question: {question}")
    }
    fn choose(&self, question: &str, _: &[String]) -> Result<usize, PromptError> {
        panic!("unexpected question: {question}")
    }
    fn show(&self, _: &str) {}
    fn show_otpauth(&self, _: &str, _: &str) {}
}

/// A temporary home, the fakes, and brokers over them (several brokers over one home are
/// several processes sharing the cache).
struct World {
    home: tempfile::TempDir,
    env: Arc<MapEnv>,
    clock: Arc<FixedClock>,
    pool: Arc<FakeUserPool>,
    identity: Arc<FakeIdentity>,
    upgrade: Option<Arc<FakeUpgrade>>,
}

impl World {
    fn new(pool: Arc<FakeUserPool>) -> Self {
        let home = tempfile::tempdir().unwrap();
        let env = Arc::new(MapEnv::new().with("HOME", home.path().to_str().unwrap()));
        let clock = Arc::new(FixedClock::new(start()));
        pool.state.lock().unwrap().clock = Some(clock.clone());
        Self {
            identity: FakeIdentity::new(clock.clone()),
            home,
            env,
            clock,
            pool,
            upgrade: None,
        }
    }

    fn with_upgrade(mut self, fails: bool) -> Self {
        self.upgrade = Some(Arc::new(FakeUpgrade {
            clock: self.clock.clone(),
            fails,
        }));
        self
    }

    fn broker_for(&self, pool: &str, client: &str) -> Broker {
        let overrides = Overrides {
            profile: Some("dev".to_owned()),
            values: ProfileConfig {
                user_pool_id: Some(pool.to_owned()),
                client_id: Some(client.to_owned()),
                identity_pool_id: Some(IDENTITY_POOL.to_owned()),
                ..Default::default()
            },
        };
        let settings = Settings::load(self.env.as_ref(), &overrides).unwrap();
        let store = Arc::new(FileSessionStore::from_env(self.env.as_ref()).unwrap());
        let (user_pool, identity, upgrade) = (
            self.pool.clone(),
            self.identity.clone(),
            self.upgrade.clone(),
        );
        let factory = move |use_lambda_proxy: bool| {
            Ok(Authenticator::new(
                user_pool.clone(),
                identity.clone(),
                upgrade
                    .clone()
                    .filter(|_| use_lambda_proxy)
                    .map(|u| u as Arc<dyn UpgradeStage>),
                12,
            ))
        };
        Broker::new(settings, self.env.clone(), self.clock.clone(), store)
            .with_authenticators(Arc::new(factory))
    }

    fn broker(&self) -> Broker {
        self.broker_for(POOL, CLIENT)
    }

    async fn login(&self, user: &str) -> Fresh {
        let request = LoginRequest {
            username: user.to_owned(),
            password: Some(SecretString::from("password".to_owned())),
            mfa_code: None,
            ..Default::default()
        };
        self.broker()
            .login(&request, &NoPrompts, true)
            .await
            .unwrap()
    }

    fn cached(&self) -> Session {
        self.broker().store().load("dev").unwrap().unwrap()
    }

    fn cached_refresh_token(&self) -> String {
        self.cached()
            .refresh_token
            .unwrap()
            .expose_secret()
            .to_owned()
    }
}

fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}

#[tokio::test]
async fn the_window_decides_between_the_cache_and_a_refresh() {
    let world = World::new(Arc::new(FakeUserPool::default()));
    world.login("alice").await;
    let broker = world.broker();

    // 1 h credentials, 15 min window: served from the cache, no call.
    let got = broker.credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Cache);
    assert_eq!(world.pool.refreshes(), 0);

    // 16 min left: still outside the window.
    world.clock.advance(minutes(44));
    let got = broker.credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Cache);
    assert!(broker.fresh_credentials(minutes(15)).unwrap().is_some());

    // 14 min left: inside it, so one refresh, and the new credentials are cached.
    world.clock.advance(minutes(2));
    assert!(broker.fresh_credentials(minutes(15)).unwrap().is_none());
    let got = broker.credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    assert_eq!(world.pool.refreshes(), 1);
    assert_eq!(
        got.credentials.expiration,
        world.clock.now() + Duration::hours(1)
    );
    assert_eq!(
        world.cached().credentials.unwrap().access_key_id,
        got.credentials.access_key_id
    );
    // A smaller window would have kept the old ones: the window is the caller's.
    assert_eq!(
        broker.credentials(minutes(59), true).await.unwrap().served,
        Served::Cache
    );

    // Expired credentials are refreshed, and so are credentials valid for longer than any
    // source gives (a wrong clock or a tampered cache).
    world.clock.advance(Duration::hours(2));
    assert_eq!(
        broker.credentials(minutes(15), true).await.unwrap().served,
        Served::Refreshed
    );
    world.clock.advance(-Duration::hours(13));
    assert!(broker.fresh_credentials(minutes(15)).unwrap().is_none());
    assert_eq!(
        broker.credentials(minutes(15), true).await.unwrap().served,
        Served::Refreshed
    );
    assert_eq!(world.pool.refreshes(), 3);
}

#[tokio::test]
async fn a_rotated_refresh_token_is_stored_before_the_lock_is_released() {
    let world = World::new(FakeUserPool::rotating());
    world.login("alice").await;
    assert_eq!(world.cached_refresh_token(), "rt-1");
    world.clock.advance(Duration::hours(2));

    let broker = world.broker();
    let lock = broker.lock().unwrap();
    let got = broker.refresh(&lock, minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    // Still holding the lock: the rotated token is already on disk, the old one is dead.
    assert_eq!(world.cached_refresh_token(), "rt-2");
    assert!(!world.pool.is_valid("rt-1"));
    drop(lock);

    // The next refresh presents the rotated token.
    world.clock.advance(Duration::hours(2));
    broker.credentials(minutes(15), true).await.unwrap();
    assert_eq!(world.cached_refresh_token(), "rt-3");
    assert_eq!(world.pool.refreshes(), 2);
}

#[tokio::test]
async fn a_rotated_refresh_token_survives_a_failure_of_the_identity_pool() {
    let world = World::new(FakeUserPool::rotating());
    world.login("alice").await;
    world.clock.advance(Duration::hours(2));
    world.identity.state.lock().unwrap().down = true;

    let err = world
        .broker()
        .credentials(minutes(15), true)
        .await
        .expect_err("the identity pool is down");
    assert!(
        matches!(err, BrokerError::Pipeline(PipelineError::Identity(_))),
        "{err}"
    );
    // The user pool rotated the token: the cache holds the new, live one, not the dead one.
    assert!(!world.pool.is_valid("rt-1"));
    assert_eq!(world.cached_refresh_token(), "rt-2");

    // Once the identity pool is back, the next call refreshes with it.
    world.identity.state.lock().unwrap().down = false;
    let got = world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    assert_eq!(world.cached_refresh_token(), "rt-3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_refreshers_never_lose_a_rotated_token() {
    const BROKERS: u32 = 8;
    let world = Arc::new(World::new(FakeUserPool::rotating()));
    world.login("alice").await;
    // Credentials that are stale as soon as they are issued: every caller must refresh, each
    // with the token the one before it stored.
    world.identity.set_lifetime(minutes(5));
    world.clock.advance(Duration::hours(2));

    let tasks: Vec<_> = (0..BROKERS)
        .map(|_| {
            let broker = world.broker();
            tokio::spawn(async move { broker.credentials(minutes(15), true).await })
        })
        .collect();
    for task in tasks {
        let got = task
            .await
            .unwrap()
            .expect("no refresher is left with a dead token");
        assert_eq!(got.served, Served::Refreshed);
    }
    assert_eq!(world.pool.refreshes(), BROKERS);
    let last = world.cached_refresh_token();
    assert_eq!(last, format!("rt-{}", BROKERS + 1));
    assert!(
        world.pool.is_valid(&last),
        "the stored token is the live one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_callers_share_one_refresh() {
    let world = Arc::new(World::new(FakeUserPool::rotating()));
    world.login("alice").await;
    world.clock.advance(Duration::hours(2));

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let broker = world.broker();
            tokio::spawn(async move { broker.credentials(minutes(15), true).await })
        })
        .collect();
    let mut served = Vec::new();
    for task in tasks {
        served.push(task.await.unwrap().unwrap().served);
    }
    assert_eq!(world.pool.refreshes(), 1, "{served:?}");
    let refreshed_here = served.iter().filter(|s| **s == Served::Refreshed).count();
    assert_eq!(refreshed_here, 1, "{served:?}");
}

#[tokio::test]
async fn a_failed_upgrade_still_serves_the_identity_pool_credentials_and_says_why() {
    let world = World::new(Arc::new(FakeUserPool::default())).with_upgrade(true);
    let fresh = world.login("alice").await;
    assert!(fresh.upgrade_failure.is_some());
    world.clock.advance(Duration::hours(2));

    let got = world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    let why = got
        .upgrade_failure
        .expect("the failure is reported")
        .to_string();
    assert!(why.contains("cognito-credential-proxy"), "{why}");
    assert!(got.credentials.access_key_id.starts_with("ASIAIDENTITY"));
    assert_eq!(world.cached().source, Some(CredentialSource::IdentityPool));

    // Without the proxy, there is nothing to report.
    world.clock.advance(Duration::hours(2));
    let got = world
        .broker()
        .credentials(minutes(15), false)
        .await
        .unwrap();
    assert!(got.upgrade_failure.is_none());
}

#[tokio::test]
async fn a_working_upgrade_is_kept_on_refresh() {
    let world = World::new(Arc::new(FakeUserPool::default())).with_upgrade(false);
    world.login("alice").await;
    world.clock.advance(Duration::hours(13));
    let got = world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.credentials.access_key_id, "ASIAPROXY");
    assert_eq!(
        got.credentials.expiration,
        world.clock.now() + Duration::hours(12)
    );
    assert_eq!(world.cached().source, Some(CredentialSource::LambdaProxy));
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_for_a_login_and_keeps_the_cache() {
    let world = World::new(Arc::new(FakeUserPool::default()));
    world.login("alice").await;
    world.pool.revoke_all();
    world.clock.advance(Duration::hours(2));

    let err = world
        .broker()
        .credentials(minutes(15), true)
        .await
        .unwrap_err();
    let BrokerError::LoginRequired(why) = &err else {
        panic!("not LoginRequired: {err:?}");
    };
    assert!(why.reason.contains("revoked"), "{why}");
    assert!(
        err.to_string().contains("cogauth login --profile dev"),
        "{err}"
    );
    // The cache is left as it was: `status` still shows the session, `logout` revokes it.
    assert_eq!(world.cached_refresh_token(), "rt-1");
}

#[tokio::test]
async fn without_a_session_or_a_refresh_token_a_login_is_required() {
    let world = World::new(Arc::new(FakeUserPool::default()));
    let err = world
        .broker()
        .credentials(minutes(15), true)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BrokerError::LoginRequired(w) if w.reason == "nothing cached"),
        "{err:?}"
    );

    world.login("alice").await;
    let broker = world.broker();
    let lock = broker.lock().unwrap();
    let mut session = world.cached();
    session.refresh_token = None;
    broker.store().save(&lock, &session).unwrap();
    drop(lock);
    world.clock.advance(Duration::hours(2));
    let err = broker.credentials(minutes(15), true).await.unwrap_err();
    assert!(
        matches!(&err, BrokerError::LoginRequired(w) if w.reason.contains("no refresh token")),
        "{err:?}"
    );
    assert_eq!(world.pool.refreshes(), 0);
}

#[tokio::test]
async fn the_session_of_another_pool_or_client_is_never_used() {
    let world = World::new(Arc::new(FakeUserPool::default()));
    world.login("alice").await;
    for broker in [
        world.broker_for("us-east-1_OtherPool", CLIENT),
        world.broker_for(POOL, "otherclient456"),
    ] {
        assert!(broker.fresh_credentials(minutes(15)).unwrap().is_none());
        let err = broker.credentials(minutes(15), true).await.unwrap_err();
        assert!(
            matches!(&err, BrokerError::LoginRequired(w) if w.reason.contains("another user pool or app client")),
            "{err:?}"
        );
    }
    assert_eq!(world.pool.refreshes(), 0);
    // Logging in to the other pool does not send the first pool's identity id either.
    let request = LoginRequest {
        username: "alice".to_owned(),
        password: Some(SecretString::from("password".to_owned())),
        mfa_code: None,
        ..Default::default()
    };
    world
        .broker_for("us-east-1_OtherPool", CLIENT)
        .login(&request, &NoPrompts, true)
        .await
        .unwrap();
    assert_eq!(world.identity.known_ids_received(), [None, None]);
}

#[tokio::test]
async fn the_cached_identity_id_is_sent_only_for_its_own_user() {
    let world = World::new(Arc::new(FakeUserPool::default()));
    let alice = world.login("alice").await.session.identity_id.unwrap();
    assert_eq!(world.cached().user_sub.as_deref(), Some("sub-alice"));
    // Alice again, and her refresh: her identity.
    world.login("alice").await;
    world.clock.advance(Duration::hours(2));
    world.broker().credentials(minutes(15), true).await.unwrap();
    // Bob on the same profile: his own identity, never Alice's.
    let bob = world.login("bob").await.session.identity_id.unwrap();
    assert_ne!(bob, alice);
    world.login("bob").await;
    assert_eq!(
        world.identity.known_ids_received(),
        [
            None,
            Some(alice.clone()),
            Some(alice.clone()),
            None,
            Some(bob.clone())
        ]
    );

    // A session cached before `user_sub` was kept: whose it is is unknown, so not reused.
    let broker = world.broker();
    let lock = broker.lock().unwrap();
    let mut session = world.cached();
    session.user_sub = None;
    broker.store().save(&lock, &session).unwrap();
    drop(lock);
    world.login("bob").await;
    assert_eq!(world.identity.known_ids_received().last(), Some(&None));
}

#[tokio::test]
async fn a_confirmed_device_is_kept_and_presented_at_its_users_next_login_only() {
    let world = World::new(FakeUserPool::rotating());
    world.pool.state.lock().unwrap().confirm_devices = true;
    world.login("alice").await;
    let cached = world.cached();
    assert_eq!(
        cached.device_key.as_deref(),
        Some("us-east-1_device-of-alice")
    );
    assert_eq!(
        cached
            .device_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        Some("device-secret-of-alice".to_owned())
    );
    assert_eq!(cached.device_remembered, Some(true));
    assert_eq!(cached.device_login_name.as_deref(), Some("alice"));

    // A refresh keeps the whole device.
    world.clock.advance(Duration::hours(2));
    world.broker().credentials(minutes(15), true).await.unwrap();
    assert!(world.cached().device_password.is_some());
    assert_eq!(world.cached().device_group_key.as_deref(), Some("-group"));

    // The next login of alice presents it; bob's does not, and gets his own.
    world.login("alice").await;
    world.login("bob").await;
    assert_eq!(
        world.pool.state.lock().unwrap().devices_presented,
        [None, Some("us-east-1_device-of-alice".to_owned()), None]
    );
    assert_eq!(
        world.cached().device_key.as_deref(),
        Some("us-east-1_device-of-bob")
    );
}

#[tokio::test]
async fn a_device_the_pool_refuses_is_forgotten_here() {
    let world = World::new(FakeUserPool::rotating());
    world.pool.state.lock().unwrap().confirm_devices = true;
    world.login("alice").await;
    world.pool.state.lock().unwrap().reject_devices = true;
    let request = LoginRequest {
        username: "alice".to_owned(),
        password: Some(SecretString::from("password".to_owned())),
        ..Default::default()
    };
    let err = world
        .broker()
        .login(&request, &NoPrompts, true)
        .await
        .expect_err("the device is refused");
    assert!(err.to_string().contains("forgotten it here"), "{err}");
    let cached = world.cached();
    assert!(cached.device_key.is_none() && cached.device_password.is_none());
    // The session itself is left as it was: its refresh token still works.
    assert!(cached.refresh_token.is_some());

    // The next login starts without a device, and confirms a new one.
    world.pool.state.lock().unwrap().reject_devices = false;
    world.login("alice").await;
    assert_eq!(
        world.pool.state.lock().unwrap().devices_presented.last(),
        Some(&None)
    );
    assert!(world.cached().device_password.is_some());
}

#[tokio::test]
async fn device_keys_flow_from_the_login_through_each_refresh() {
    let world = World::new(FakeUserPool::rotating());
    world.login("alice").await;
    let first_device = Some("us-east-1_device-of-alice".to_owned());
    assert_eq!(world.cached().device_key, first_device);

    world.clock.advance(Duration::hours(2));
    world.broker().credentials(minutes(15), true).await.unwrap();
    // Not reissued: kept.
    assert_eq!(world.cached().device_key, first_device);

    world.pool.state.lock().unwrap().new_device_key = Some("us-east-1_new-device".to_owned());
    world.clock.advance(Duration::hours(2));
    world.broker().credentials(minutes(15), true).await.unwrap();
    world.clock.advance(Duration::hours(2));
    world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(
        world.pool.state.lock().unwrap().device_keys_sent,
        [
            first_device.clone(),
            first_device,
            Some("us-east-1_new-device".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_refresh_keeps_the_hand_over_the_login_chose() {
    let world = World::new(Arc::new(FakeUserPool::default()));
    let files = AwsFiles::from_env(world.env.as_ref()).unwrap();

    // Credentials-file mode: the section cogauth wrote gets the new keys.
    let fresh = world.login("alice").await;
    world
        .broker()
        .publish(&fresh.session, std::path::Path::new("/bin/cogauth"), false)
        .unwrap();
    world.clock.advance(Duration::hours(2));
    let got = world.broker().credentials(minutes(15), true).await.unwrap();
    assert!(got.republish_failure.is_none());
    let text = std::fs::read_to_string(&files.credentials).unwrap();
    assert!(
        text.contains(&format!(
            "aws_access_key_id = {}",
            got.credentials.access_key_id
        )),
        "{text}"
    );

    // credential_process mode: a refresh writes no key and keeps `credential_process`.
    files
        .write_credential_process(
            "dev",
            "/bin/cogauth credential-process --profile dev",
            None,
            false,
        )
        .unwrap();
    let config_before = std::fs::read_to_string(&files.config).unwrap();
    let credentials_before = std::fs::read_to_string(&files.credentials).unwrap();
    world.clock.advance(Duration::hours(2));
    world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&files.config).unwrap(),
        config_before
    );
    assert_eq!(
        std::fs::read_to_string(&files.credentials).unwrap(),
        credentials_before
    );
    assert!(
        !credentials_before.contains("[dev]"),
        "{credentials_before}"
    );

    // A file that cannot be rewritten is reported; the credentials are served anyway.
    std::fs::write(
        &files.credentials,
        "[dev]\nx_cogauth_managed = true\naws_access_key_id = A\n[broken\n",
    )
    .unwrap();
    world.clock.advance(Duration::hours(2));
    let got = world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    let why = got.republish_failure.expect("reported").to_string();
    assert!(why.contains("not a valid AWS INI file"), "{why}");
    drop(world.home);
}

// ---------------------------------------------------------------------------------------------
// Roles and tokens.

const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";
const DEV: &str = "arn:aws:iam::123456789012:role/Dev";
const READ: &str = "arn:aws:iam::123456789012:role/ReadOnly";

/// Picks the choice at `pick`, recording what it was shown; or has no terminal.
#[derive(Debug, Default)]
struct Picker {
    pick: Option<usize>,
    shown: Mutex<Vec<(String, Vec<String>)>>,
}

impl Prompter for Picker {
    fn ask(&self, question: &str) -> Result<String, PromptError> {
        panic!("unexpected question: {question}")
    }
    fn ask_secret(&self, question: &str) -> Result<SecretString, PromptError> {
        panic!("unexpected question: {question}")
    }
    fn choose(&self, question: &str, choices: &[String]) -> Result<usize, PromptError> {
        self.shown
            .lock()
            .unwrap()
            .push((question.to_owned(), choices.to_vec()));
        self.pick.ok_or_else(|| PromptError::NoTerminal {
            what: question.to_owned(),
            hint: "none".to_owned(),
        })
    }
    fn show(&self, _: &str) {}
    fn show_otpauth(&self, _: &str, _: &str) {}
}

fn request(user: &str) -> LoginRequest {
    LoginRequest {
        username: user.to_owned(),
        password: Some(SecretString::from("password".to_owned())),
        mfa_code: None,
        ..Default::default()
    }
}

#[tokio::test]
async fn the_picked_role_is_asked_for_stored_and_kept_by_refreshes() {
    let world =
        World::new(FakeUserPool::with_roles(&[DEV, ADMIN, READ], Some(ADMIN))).with_upgrade(false);
    let picker = Picker {
        pick: Some(2),
        ..Default::default()
    };
    let fresh = world
        .broker()
        .login(&request("alice"), &picker, true)
        .await
        .unwrap();
    // The preferred role first, then the token's order; each shown with its name.
    let shown = picker.shown.lock().unwrap().clone();
    assert_eq!(shown.len(), 1);
    assert!(shown[0].1[0].starts_with("Admin  (") && shown[0].1[0].ends_with("[preferred]"));
    assert!(shown[0].1[1].starts_with("Dev  ("), "{:?}", shown[0].1);
    assert!(shown[0].1[2].contains(READ), "{:?}", shown[0].1);

    assert_eq!(fresh.session.role_arn.as_deref(), Some(READ));
    assert_eq!(world.cached().role_arn.as_deref(), Some(READ));
    // A role taken among the user's is not traded for the proxy's own.
    assert_eq!(fresh.session.source, Some(CredentialSource::IdentityPool));

    // The refresh asks for the same role without asking anyone.
    world.clock.advance(Duration::hours(2));
    let got = world.broker().credentials(minutes(15), true).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    assert_eq!(
        world.identity.roles_received(),
        [Some(READ.to_owned()), Some(READ.to_owned())]
    );
    assert_eq!(world.cached().role_arn.as_deref(), Some(READ));
}

#[tokio::test]
async fn without_a_terminal_the_identity_pool_chooses() {
    let world = World::new(FakeUserPool::with_roles(&[DEV, ADMIN], Some(ADMIN)));
    let picker = Picker::default();
    let fresh = world
        .broker()
        .login(&request("alice"), &picker, true)
        .await
        .unwrap();
    assert_eq!(
        picker.shown.lock().unwrap().len(),
        1,
        "the picker was tried"
    );
    assert_eq!(fresh.session.role_arn, None);
    assert_eq!(world.identity.roles_received(), [None]);

    // One role: nothing to choose, no question.
    let world = World::new(FakeUserPool::with_roles(&[DEV], Some(DEV)));
    world.login("bob").await;
    assert_eq!(world.identity.roles_received(), [None]);
}

#[tokio::test]
async fn a_role_that_is_not_the_users_is_refused_before_the_identity_pool() {
    let world = World::new(FakeUserPool::with_roles(&[DEV, ADMIN], Some(ADMIN)));
    let other = "arn:aws:iam::123456789012:role/Other";
    let err = world
        .broker()
        .login_as(&request("alice"), &NoPrompts, true, Some(other))
        .await
        .unwrap_err();
    let BrokerError::Pipeline(PipelineError::Role(why)) = &err else {
        panic!("{err:?}")
    };
    let shown = why.to_string();
    assert!(
        shown.contains(other) && shown.contains(&format!("{ADMIN}, {DEV}")),
        "{shown}"
    );
    assert!(
        world.identity.roles_received().is_empty(),
        "no identity call"
    );
    assert!(world.broker().store().load("dev").unwrap().is_none());

    // By name, among the user's roles: asked for and stored.
    let fresh = world
        .broker()
        .login_as(&request("alice"), &NoPrompts, true, Some("dev"))
        .await
        .unwrap();
    assert_eq!(fresh.session.role_arn.as_deref(), Some(DEV));
    assert_eq!(world.identity.roles_received(), [Some(DEV.to_owned())]);
}

#[tokio::test]
async fn a_kept_role_the_user_lost_needs_a_login() {
    let world = World::new(FakeUserPool::with_roles(&[DEV, ADMIN], Some(ADMIN)));
    world
        .broker()
        .login_as(&request("alice"), &NoPrompts, true, Some(DEV))
        .await
        .unwrap();
    world.pool.set_roles(&[ADMIN]);
    world.clock.advance(Duration::hours(2));
    let err = world
        .broker()
        .credentials(minutes(15), true)
        .await
        .unwrap_err();
    let BrokerError::LoginRequired(why) = &err else {
        panic!("{err:?}")
    };
    assert!(
        why.reason.contains(DEV) && why.reason.contains(ADMIN),
        "{why}"
    );
}

#[tokio::test]
async fn tokens_come_from_the_cache_until_the_window_then_from_a_user_pool_refresh() {
    let world = World::new(FakeUserPool::rotating());
    world.login("alice").await;
    let broker = world.broker();
    let credentials_before = world.cached().credentials.unwrap();

    let got = broker.tokens(minutes(5)).await.unwrap();
    assert_eq!(got.served, Served::Cache);
    assert_eq!(got.expires_at, start() + Duration::hours(1));
    assert_eq!(world.pool.refreshes(), 0);

    // 4 minutes left: inside a 5-minute window.
    world.clock.advance(minutes(56));
    assert!(broker.fresh_tokens(minutes(5)).unwrap().is_none());
    let got = broker.tokens(minutes(5)).await.unwrap();
    assert_eq!(got.served, Served::Refreshed);
    assert_eq!(got.access_token.expose_secret(), "access-1");
    assert_eq!(got.expires_at, world.clock.now() + Duration::hours(1));
    assert_eq!(world.pool.refreshes(), 1);
    // The session holds the new tokens and the rotated refresh token, and the same
    // credentials: no identity-pool call for tokens.
    let cached = world.cached();
    assert_eq!(cached.access_token.unwrap().expose_secret(), "access-1");
    assert_eq!(cached.tokens_expire_at, Some(got.expires_at));
    assert_eq!(world.cached_refresh_token(), "rt-2");
    assert_eq!(
        cached.credentials.unwrap().access_key_id,
        credentials_before.access_key_id
    );
    assert_eq!(world.identity.roles_received().len(), 1, "the login's only");

    // A revoked refresh token needs a login.
    world.pool.revoke_all();
    world.clock.advance(Duration::hours(2));
    assert!(matches!(
        broker.tokens(minutes(5)).await,
        Err(BrokerError::LoginRequired(_))
    ));
}
