//! `Debug` of every public type that carries a secret shows none: each is built holding
//! canaries (or obtained the way a caller would, for `Settings`, the broker and the provider)
//! and formatted with `{:?}` and `{:#?}`. A type added later with a secret belongs here (the
//! admin types are checked the same way in cogauth-admin's `tests/it/debug.rs`).

use std::sync::Arc;

use chrono::DateTime;
use cogauth_core::authenticator::Outcome;
use cogauth_core::awsfiles::ini::Ini;
use cogauth_core::broker::{Broker, Fresh, Obtained, ObtainedTokens, Served};
use cogauth_core::cache::{FileSessionStore, Session, SessionStore};
use cogauth_core::clock::FixedClock;
use cogauth_core::config::{AuthFlow, ConfigFile, Overrides, ProfileConfig, Settings};
use cogauth_core::env::MapEnv;
use cogauth_core::identity::IdentityCredentials;
use cogauth_core::managed_login::{ManagedLogin, ManagedLoginConfig};
use cogauth_core::provider::CogauthCredentialsProvider;
use cogauth_core::srp::SrpClient;
use cogauth_core::userpool::{LoginRequest, RefreshGrant, UserPoolConfig, UserPoolSession};
use cogauth_core::{CredentialSource, Credentials, Tokens};
use secrecy::SecretString;

const CANARIES: &[&str] = &[
    "canary-secret-access-key",
    "canary-session-token",
    "canary-id-token",
    "canary-access-token",
    "canary-refresh-token",
    "canary-password",
    "canary-mfa-code",
    "canary-client-secret",
    "canary-iam-secret",
    "canary-device-password",
];

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn credentials() -> Credentials {
    Credentials::new(
        "ASIAVISIBLE",
        "canary-secret-access-key",
        "canary-session-token",
        DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
    )
}

fn tokens() -> Tokens {
    Tokens {
        id_token: secret("canary-id-token"),
        access_token: secret("canary-access-token"),
        refresh_token: Some(secret("canary-refresh-token")),
        expires_at: DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
    }
}

fn session() -> Session {
    Session {
        profile: "dev".into(),
        user_pool_id: "us-east-1_Pool".into(),
        client_id: "client".into(),
        username: "alice".into(),
        user_sub: Some("sub-alice".into()),
        refresh_token: Some(secret("canary-refresh-token")),
        device_key: None,
        device_group_key: None,
        device_password: Some(secret("canary-device-password")),
        device_remembered: None,
        device_name: None,
        device_login_name: None,
        identity_id: Some("us-east-1:id".into()),
        credentials: Some(credentials()),
        source: Some(CredentialSource::LambdaProxy),
        tokens_expire_at: None,
        id_token: Some(secret("canary-id-token")),
        access_token: Some(secret("canary-access-token")),
        role_arn: None,
        signed_in_with: None,
        refresh_rotates: None,
        updated_at: DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
    }
}

fn user_pool_session() -> UserPoolSession {
    UserPoolSession {
        tokens: tokens(),
        username: "alice".into(),
        sub: Some("sub-alice".into()),
        device_key: Some("us-east-1_device".into()),
        signed_in_with: Some("srp".into()),
        device: Some(cogauth_core::userpool::Device {
            key: "us-east-1_device".into(),
            group_key: "-group".into(),
            password: secret("canary-device-password"),
            remembered: true,
            name: "cogauth".into(),
        }),
    }
}

fn profile_config() -> ProfileConfig {
    ProfileConfig {
        user_pool_id: Some("us-east-1_Pool".into()),
        client_id: Some("client123".into()),
        client_secret: Some(secret("canary-client-secret")),
        identity_pool_id: Some("us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab".into()),
        ..ProfileConfig::default()
    }
}

fn managed_login_config() -> ManagedLoginConfig {
    ManagedLoginConfig {
        region: "us-east-1".into(),
        user_pool_id: "us-east-1_Pool".into(),
        client_id: "client123".into(),
        client_secret: Some(secret("canary-client-secret")),
        managed_login_url: Some("https://d.auth.us-east-1.amazoncognito.com".into()),
        redirect_uri: "http://localhost:28435/callback".into(),
        scopes: "openid".into(),
        identity_provider: None,
    }
}

#[track_caller]
fn assert_redacted(name: &str, shown: &[String]) {
    for text in shown {
        for canary in CANARIES {
            assert!(!text.contains(canary), "{name} shows {canary}: {text}");
        }
    }
}

macro_rules! check {
    ($($name:literal => $value:expr),* $(,)?) => {{
        let mut checked = 0;
        $(
            let value = $value;
            assert_redacted($name, &[format!("{value:?}"), format!("{value:#?}")]);
            checked += 1;
        )*
        checked
    }};
}

#[test]
fn no_debug_output_shows_a_secret() {
    let home = tempfile::tempdir().unwrap();
    let config_path = home.path().join("config.toml");
    std::fs::write(
        &config_path,
        "[profiles.dev]\nuser_pool_id = \"us-east-1_Pool\"\nclient_id = \"client123\"\nclient_secret = \"canary-client-secret\"\nidentity_pool_id = \"us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab\"\n",
    )
    .unwrap();
    let env = MapEnv::new()
        .with("HOME", home.path().to_str().unwrap())
        .with("COGAUTH_CONFIG", config_path.to_str().unwrap());
    let overrides = Overrides {
        profile: Some("dev".into()),
        values: ProfileConfig::default(),
    };
    let settings = Settings::load(&env, &overrides).unwrap();
    assert!(settings.client_secret.is_some(), "the canary was loaded");
    let store = Arc::new(FileSessionStore::new(home.path().join("cache")));
    let lock = store.lock("dev").unwrap();
    store.save(&lock, &session()).unwrap();
    drop(lock);
    let clock = Arc::new(FixedClock::new(
        DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
    ));
    let broker = Broker::new(
        settings.clone(),
        Arc::new(env.clone()),
        clock.clone(),
        store.clone(),
    );
    let provider = CogauthCredentialsProvider::builder()
        .profile("dev")
        .env(Arc::new(env.clone()))
        .clock(clock)
        .store(store.clone())
        .build()
        .unwrap();
    let srp = SrpClient::generate();
    let password_key = srp
        .password_key(
            "Pool",
            "alice",
            &secret("canary-password"),
            &"ab".repeat(64),
            "0123456789abcdef",
        )
        .unwrap();

    let checked = check!(
        "Credentials" => credentials(),
        "Tokens" => tokens(),
        "Session" => session(),
        "the loaded Session" => store.load("dev").unwrap(),
        "ProfileConfig" => profile_config(),
        "ConfigFile" => ConfigFile::parse(&config_path, &std::fs::read_to_string(&config_path).unwrap()).unwrap(),
        "Settings" => settings,
        "LoginRequest" => LoginRequest {
            username: "alice".into(),
            password: Some(secret("canary-password")),
            mfa_code: Some("canary-mfa-code".into()),
            ..Default::default()
        },
        "UserPoolConfig" => UserPoolConfig {
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_Pool".into(),
            client_id: "client123".into(),
            client_secret: Some(secret("canary-client-secret")),
            auth_flow: AuthFlow::Srp,
            preferred_challenge: None,
            custom_with_srp: false,
        },
        "UserPoolSession" => user_pool_session(),
        "RefreshGrant" => RefreshGrant {
            username: "alice".into(),
            refresh_token: secret("canary-refresh-token"),
            device_key: Some("us-east-1_device".into()),
        },
        "IdentityCredentials" => IdentityCredentials {
            identity_id: "us-east-1:id".into(),
            credentials: credentials(),
            source: CredentialSource::IdentityPool,
        },
        "authenticator::Outcome" => Outcome {
            user: user_pool_session(),
            identity_id: "us-east-1:id".into(),
            credentials: credentials(),
            source: CredentialSource::BasicFlow,
            role_arn: Some("arn:aws:iam::123456789012:role/Dev".into()),
            upgrade_failure: None,
        },
        "broker::ObtainedTokens" => ObtainedTokens {
            id_token: secret("canary-id-token"),
            access_token: secret("canary-access-token"),
            expires_at: DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
            served: Served::Cache,
        },
        "broker::Fresh" => Fresh { session: session(), upgrade_failure: None },
        "broker::Obtained" => Obtained {
            credentials: credentials(),
            served: Served::Refreshed,
            upgrade_failure: None,
            republish_failure: None,
        },
        "Broker" => broker,
        "CogauthCredentialsProvider" => provider,
        "SrpClient" => srp,
        "PasswordKey" => password_key,
        "Ini" => Ini::parse("[dev]\naws_secret_access_key = canary-secret-access-key\n").unwrap(),
        "SecretString" => secret("canary-password"),
        "ManagedLoginConfig" => managed_login_config(),
        "ManagedLogin" => ManagedLogin::new(managed_login_config(), &env, Arc::new(FixedClock::new(
            DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        ))),
    );
    assert_eq!(checked, 24);
}
