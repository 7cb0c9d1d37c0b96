//! The whole pipeline through the public API, as an embedder would use it: a broker login,
//! then the `ProvideCredentials` implementation serving and refreshing the session, with the
//! clock seam moving time instead of sleeping.

use crate::common;

use std::sync::Arc;

use aws_credential_types::provider::ProvideCredentials;
use cogauth_core::broker::Broker;
use cogauth_core::cache::FileSessionStore;
use cogauth_core::clock::{Clock, FixedClock};
use cogauth_core::config::{Overrides, ProfileConfig, Settings};
use cogauth_core::env::MapEnv;
use cogauth_core::provider::CogauthCredentialsProvider;
use cogauth_core::userpool::LoginRequest;
use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::{self, PoolOptions};

const PASSWORD: &str = "Pipeline-Passw0rd!";

struct Setup {
    _home: tempfile::TempDir,
    env: Arc<MapEnv>,
    pool: fixtures::Pool,
    user: String,
}

async fn setup(opts: PoolOptions) -> Setup {
    let pool = fixtures::create_pool(opts).await;
    let user = fixtures::unique("embedder");
    fixtures::create_user(&pool, &user, PASSWORD).await;
    let home = tempfile::tempdir().unwrap();
    let env = MapEnv::new()
        .with("HOME", home.path().to_str().unwrap())
        .with("AWS_ENDPOINT_URL", emulator().endpoint());
    let values = ProfileConfig {
        user_pool_id: Some(pool.user_pool_id.clone()),
        client_id: Some(pool.client_id.clone()),
        client_secret: pool.client_secret.clone().map(Into::into),
        identity_pool_id: Some(pool.identity_pool_id.clone()),
        ..Default::default()
    };
    let path = cogauth_core::paths::config_file(&env).unwrap();
    cogauth_core::config::file::write_profile(&path, "embed", &values).unwrap();
    Setup {
        _home: home,
        env: Arc::new(env),
        pool,
        user,
    }
}

fn broker(s: &Setup, clock: Arc<dyn Clock>) -> Broker {
    let overrides = Overrides {
        profile: Some("embed".into()),
        ..Default::default()
    };
    let settings = Settings::load(s.env.as_ref(), &overrides).unwrap();
    let store = Arc::new(FileSessionStore::from_env(s.env.as_ref()).unwrap());
    Broker::new(settings, s.env.clone(), clock, store)
}

#[tokio::test]
async fn login_then_the_provider_serves_and_refreshes_the_session() {
    let s = setup(PoolOptions {
        with_client_secret: true,
        ..Default::default()
    })
    .await;
    let clock = Arc::new(FixedClock::new(cogauth_core::clock::SystemClock.now()));
    let broker = broker(&s, clock.clone());
    let request = LoginRequest {
        username: s.user.clone(),
        password: Some(PASSWORD.to_owned().into()),
        mfa_code: None,
        ..Default::default()
    };
    let fresh = broker
        .login(&request, &common::ScriptedPrompter::silent(), false)
        .await
        .unwrap();
    assert!(
        fresh.session.refresh_token.is_some(),
        "the refresh token is kept for silent refresh"
    );
    assert!(
        fresh
            .session
            .identity_id
            .as_deref()
            .is_some_and(|id| id.starts_with("us-east-1:"))
    );

    let provider = CogauthCredentialsProvider::builder()
        .profile("embed")
        .env(s.env.clone())
        .clock(clock.clone())
        .refresh_window(chrono::Duration::seconds(30))
        .build()
        .unwrap();
    let refreshes = || emulator().get_tokens_calls(&s.pool.client_id);
    let before = refreshes();
    let creds = provider.provide_credentials().await.unwrap();
    assert_eq!(creds.access_key_id(), "TESTACCESSKEY12345");
    assert_eq!(refreshes(), before, "fresh credentials come from the cache");

    // Two minutes later moto's 90 s credentials have expired: the provider refreshes once.
    clock.advance(chrono::Duration::minutes(2));
    let creds = provider.provide_credentials().await.unwrap();
    assert_eq!(refreshes(), before + 1);
    assert!(creds.expiry().is_some());

    // The credentials work for a real SDK call.
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emulator().endpoint())
        .credentials_provider(provider)
        .load()
        .await;
    let me = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(me.account(), Some(cogauth_test_support::ACCOUNT_ID));
}

#[tokio::test]
async fn the_provider_keeps_a_cogauth_credentials_file_current_like_the_cli() {
    let s = setup(PoolOptions::default()).await;
    let clock = Arc::new(FixedClock::new(cogauth_core::clock::SystemClock.now()));
    let broker = broker(&s, clock.clone());
    let request = LoginRequest {
        username: s.user.clone(),
        password: Some(PASSWORD.to_owned().into()),
        mfa_code: None,
        ..Default::default()
    };
    let fresh = broker
        .login(&request, &common::ScriptedPrompter::silent(), false)
        .await
        .unwrap();
    // What `cogauth login` does in the default (credentials file) mode.
    broker
        .publish(&fresh.session, std::path::Path::new("/bin/cogauth"), false)
        .unwrap();
    let files = cogauth_core::awsfiles::AwsFiles::from_env(s.env.as_ref()).unwrap();
    let written = std::fs::read_to_string(&files.credentials).unwrap();
    let token = fresh.session.credentials.as_ref().unwrap().session_token();
    // Mark the keys, to tell the refreshed ones from them.
    std::fs::write(&files.credentials, written.replace(token, "stale-token")).unwrap();

    let provider = CogauthCredentialsProvider::builder()
        .profile("embed")
        .env(s.env.clone())
        .clock(clock.clone())
        .refresh_window(chrono::Duration::seconds(30))
        .build()
        .unwrap();
    clock.advance(chrono::Duration::minutes(2));
    let creds = provider.provide_credentials().await.unwrap();
    let text = std::fs::read_to_string(&files.credentials).unwrap();
    assert!(!text.contains("stale-token"), "{text}");
    assert!(
        text.contains(&format!(
            "aws_session_token = {}",
            creds.session_token().unwrap()
        )),
        "the refreshed keys are in the profile's section"
    );
}

#[tokio::test]
async fn without_a_session_the_provider_lets_the_chain_move_on() {
    let s = setup(PoolOptions::default()).await;
    let provider = CogauthCredentialsProvider::builder()
        .profile("embed")
        .env(s.env.clone())
        .build()
        .unwrap();
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(
        matches!(
            err,
            aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(_)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_for_a_login() {
    let s = setup(PoolOptions::default()).await;
    let clock = Arc::new(FixedClock::new(cogauth_core::clock::SystemClock.now()));
    let broker = broker(&s, clock.clone());
    let request = LoginRequest {
        username: s.user.clone(),
        password: Some(PASSWORD.to_owned().into()),
        mfa_code: None,
        ..Default::default()
    };
    broker
        .login(&request, &common::ScriptedPrompter::silent(), false)
        .await
        .unwrap();
    let report = broker.logout(false).await.unwrap();
    assert!(matches!(report.revoked, Ok(true)), "{:?}", report.revoked);
    // Log in again, revoke behind the cache's back, then let the credentials expire.
    broker
        .login(&request, &common::ScriptedPrompter::silent(), false)
        .await
        .unwrap();
    let session = broker.cached_session().unwrap().unwrap();
    let token = session.refresh_token.clone().unwrap();
    fixtures::idp_client()
        .await
        .revoke_token()
        .token(secrecy::ExposeSecret::expose_secret(&token))
        .client_id(&s.pool.client_id)
        .send()
        .await
        .unwrap();
    clock.advance(chrono::Duration::minutes(5));
    let lock = broker.lock().unwrap();
    let err = broker
        .refresh(&lock, chrono::Duration::minutes(1), false)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cogauth login --profile embed"),
        "{message}"
    );
}
