//! The example shown in docs/embedding.md (`examples/embed.rs`) works: after a login, its
//! `caller_arn` gets the profile's credentials from the cache and STS answers with them; with
//! no session, it fails with the hint to log in.

#[allow(dead_code)] // the example's `main` is for `cargo run --example embed`
#[path = "../../examples/embed.rs"]
mod embed;

use crate::common;

use std::sync::Arc;

use cogauth_core::broker::Broker;
use cogauth_core::cache::FileSessionStore;
use cogauth_core::clock::SystemClock;
use cogauth_core::config::{Overrides, ProfileConfig, Settings};
use cogauth_core::env::MapEnv;
use cogauth_core::provider::CogauthCredentialsProvider;
use cogauth_core::userpool::LoginRequest;
use cogauth_test_support::fixtures::{self, PoolOptions};
use cogauth_test_support::{ACCOUNT_ID, REGION, emulator};

const PASSWORD: &str = "Embed-Passw0rd!";

fn loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(emulator().endpoint())
}

async fn profile_home() -> (tempfile::TempDir, Arc<MapEnv>, fixtures::Pool, String) {
    let pool = fixtures::create_pool(PoolOptions::default()).await;
    let user = fixtures::unique("embed");
    fixtures::create_user(&pool, &user, PASSWORD).await;
    let home = tempfile::tempdir().unwrap();
    let env = MapEnv::new()
        .with("HOME", home.path().to_str().unwrap())
        .with("AWS_ENDPOINT_URL", emulator().endpoint());
    let values = ProfileConfig {
        user_pool_id: Some(pool.user_pool_id.clone()),
        client_id: Some(pool.client_id.clone()),
        identity_pool_id: Some(pool.identity_pool_id.clone()),
        ..Default::default()
    };
    let path = cogauth_core::paths::config_file(&env).unwrap();
    cogauth_core::config::file::write_profile(&path, "dev", &values).unwrap();
    (home, Arc::new(env), pool, user)
}

#[tokio::test]
async fn the_example_gets_credentials_from_a_logged_in_profile() {
    let (_home, env, _pool, user) = profile_home().await;
    // What `cogauth login --profile dev` does.
    let overrides = Overrides {
        profile: Some("dev".into()),
        ..Default::default()
    };
    let settings = Settings::load(env.as_ref(), &overrides).unwrap();
    let store = Arc::new(FileSessionStore::from_env(env.as_ref()).unwrap());
    let broker = Broker::new(settings, env.clone(), Arc::new(SystemClock), store);
    let request = LoginRequest {
        username: user,
        password: Some(PASSWORD.to_owned().into()),
        mfa_code: None,
        ..Default::default()
    };
    broker
        .login(&request, &common::ScriptedPrompter::silent(), false)
        .await
        .unwrap();

    // What the example does, with the test's environment instead of the process's.
    let provider = CogauthCredentialsProvider::builder()
        .profile("dev")
        .env(env.clone())
        .refresh_window(chrono::Duration::seconds(30))
        .build()
        .unwrap();
    let arn = embed::caller_arn(loader(), provider).await.unwrap();
    assert!(arn.contains(ACCOUNT_ID), "{arn}");
}

#[tokio::test]
async fn without_a_login_the_example_says_to_log_in() {
    let (_home, env, _pool, _user) = profile_home().await;
    let provider = CogauthCredentialsProvider::builder()
        .profile("dev")
        .env(env)
        .build()
        .unwrap();
    let err = embed::caller_arn(loader(), provider).await.unwrap_err();
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    assert!(text.contains("cogauth login --profile dev"), "{text}");
}
