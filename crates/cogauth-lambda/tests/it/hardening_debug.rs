//! `Debug` of every type of the proxy that carries a secret shows none: the configuration
//! (the IAM user's secret key, old style), the key read from the secret, the request (the ID
//! and access tokens), the issued credentials, the handler's dependencies and response, and
//! the STS client holding the key.

use chrono::DateTime;
use cogauth_lambda::event::Request;
use cogauth_lambda::handler::{Outcome, Response};
use cogauth_lambda::keys::{EnvironmentKey, IamKey, parse_secret};
use cogauth_lambda::sts::{IssuedCredentials, StsRoleAssumer};
use cogauth_lambda::verify::Identity;
use secrecy::SecretString;
use serde_json::json;

use crate::common::*;

const CANARIES: &[&str] = &[
    "proxy-user-secret-key",
    "canary-secret-from-the-secret",
    "canary-issued-secret",
    "canary-issued-token",
    "canary-id-token",
    "canary-access-token",
];

fn issued() -> IssuedCredentials {
    IssuedCredentials {
        access_key_id: "ASIAVISIBLE".into(),
        secret_access_key: SecretString::from("canary-issued-secret".to_owned()),
        session_token: SecretString::from("canary-issued-token".to_owned()),
        expiration: DateTime::from_timestamp(NOW, 0).unwrap(),
    }
}

#[tokio::test]
async fn no_debug_output_shows_a_secret() {
    let config = config_with(&[
        ("IAM_USER_SECRET_ARN", ""),
        ("IAM_USER_ACCESS_KEY_ID", "AKIAPROXYUSER0000000"),
        ("IAM_USER_SECRET_ACCESS_KEY", "proxy-user-secret-key"),
    ]);
    let fakes = fakes();
    let request = Request::from_event(
        &json!({"id_token": "canary-id-token", "access_token": "canary-access-token"}),
    )
    .unwrap();
    let response = Response {
        status: 200,
        outcome: Outcome::Issued {
            identity: Identity {
                sub: "sub".into(),
                username: "alice".into(),
                client_id: CLIENT_ID.into(),
                origin_jti: None,
            },
            credentials: issued(),
        },
    };
    let from_secret = parse_secret(
        SECRET_ARN,
        r#"{"AccessKeyId": "AKIAPROXYUSER0000001", "SecretAccessKey": "canary-secret-from-the-secret"}"#,
    )
    .unwrap();
    let sdk_config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let assumer = StsRoleAssumer::new(
        &config,
        &sdk_config,
        Box::new(EnvironmentKey::new(IamKey {
            access_key_id: "AKIAPROXYUSER0000000".into(),
            secret_access_key: SecretString::from("proxy-user-secret-key"),
        })),
    )
    .await
    .unwrap();
    let shown = [
        ("Config", format!("{config:?}{config:#?}")),
        ("Config warnings", format!("{:?}", config.warnings)),
        ("IamKey", format!("{from_secret:?}{from_secret:#?}")),
        ("Deps", format!("{:?}{:#?}", fakes.deps, fakes.deps)),
        ("Request", format!("{request:?}{request:#?}")),
        (
            "IssuedCredentials",
            format!("{:?}{:#?}", issued(), issued()),
        ),
        ("Response", format!("{response:?}{response:#?}")),
        ("StsRoleAssumer", format!("{assumer:?}{assumer:#?}")),
    ];
    for (name, text) in &shown {
        for canary in CANARIES {
            assert!(!text.contains(canary), "{name} shows {canary}: {text}");
        }
    }
    // The answer to the caller carries the issued keys, by design, and nothing else secret.
    let answer = response.to_json().to_string();
    assert!(answer.contains("canary-issued-secret"));
    assert!(!answer.contains("proxy-user-secret-key"));
}
