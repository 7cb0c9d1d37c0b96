//! `Debug` of every type of the proxy that carries a secret shows none: the configuration
//! (the IAM user's secret key), the request (the ID token), the issued credentials, the
//! handler's dependencies and response, and the STS client built from the configuration.

mod common;

use chrono::DateTime;
use cogauth_lambda::event::Request;
use cogauth_lambda::handler::{Outcome, Response};
use cogauth_lambda::sts::{IssuedCredentials, StsRoleAssumer};
use cogauth_lambda::verify::Identity;
use common::*;
use secrecy::SecretString;
use serde_json::json;

const CANARIES: &[&str] = &[
    "proxy-user-secret-key",
    "canary-issued-secret",
    "canary-issued-token",
    "canary-id-token",
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
    let config = config();
    let fakes = fakes();
    let request = Request::from_event(&json!({"id_token": "canary-id-token"})).unwrap();
    let response = Response {
        status: 200,
        outcome: Outcome::Issued {
            identity: Identity {
                sub: "sub".into(),
                username: "alice".into(),
            },
            credentials: issued(),
        },
    };
    let assumer = StsRoleAssumer::new(&config, Some("http://127.0.0.1:9")).await;
    let shown = [
        ("Config", format!("{config:?}{config:#?}")),
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
