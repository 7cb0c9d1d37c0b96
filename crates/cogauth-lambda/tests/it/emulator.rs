//! The real dependencies against the emulator: tokens from a real login on moto, verified
//! against moto's JWKS over HTTP, the session checked with GetUser, the IAM user's key read
//! from Secrets Manager, then AssumeRole through the real STS client. A recording forwarder
//! sits between the proxy and moto to check what went on the wire (moto drops session tags and
//! the source identity).

use chrono::{DateTime, Utc};
use cogauth_test_support::{ACCOUNT_ID, emulator};
use serde_json::json;

use crate::common;
use crate::common::moto;
use crate::common::{form_decode, split_answer};

#[tokio::test]
async fn real_login_tokens_get_credentials_from_sts() {
    let user = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, role_name) = moto::long_lived_role().await;
    let (endpoint, exchanges) = moto::recording_forwarder().await;
    let config = moto::config_for(&user, &role_arn, &key.secret_arn, &[]);
    let deps = moto::deps(config, &endpoint).await;

    let before = Utc::now();
    let mut request = user.request();
    request["duration_seconds"] = json!(3600);
    let answer = cogauth_lambda::handle_json(request, &deps).await;
    let after = Utc::now();
    let (status, body) = split_answer(&answer);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], user.sub.as_str());
    assert_eq!(body["username"], user.username.as_str());

    // What went to AWS: the secret (cold start), GetUser, AssumeRole.
    let operations: Vec<String> = exchanges
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.operation())
        .collect();
    assert_eq!(operations, ["GetSecretValue", "GetUser", "AssumeRole"]);
    let assume = moto::calls_of(&exchanges, "AssumeRole").remove(0);
    let sent = form_decode(std::str::from_utf8(&assume.request.body).unwrap());
    let expected_session = format!("cogauth-{}", user.sub);
    assert_eq!(sent["RoleArn"], role_arn);
    assert_eq!(sent["RoleSessionName"], expected_session);
    assert_eq!(sent["DurationSeconds"], "3600");
    assert_eq!(sent["SourceIdentity"], user.sub);
    assert_eq!(sent["Tags.member.1.Key"], "CognitoSubject");
    assert_eq!(sent["Tags.member.1.Value"], user.sub);
    assert_eq!(sent["Tags.member.2.Key"], "CognitoUsername");
    assert_eq!(sent["Tags.member.2.Value"], user.username);
    assert_eq!(
        assume.signed_with().as_deref(),
        Some(key.access_key_id.as_str()),
        "signed with the IAM user's key from the secret"
    );

    // The credentials are moto's, for the session the proxy named.
    let expiration: DateTime<Utc> = body["expiration"].as_str().unwrap().parse().unwrap();
    assert!(
        assume
            .response
            .contains(&body["access_key_id"].as_str().unwrap().to_string())
    );
    let seconds_from = |t: DateTime<Utc>| (expiration - t).num_seconds();
    assert!(
        seconds_from(before) <= 3601 && seconds_from(after) >= 3599,
        "expiration {expiration} is one hour after the call ({before}..{after})"
    );
    assert_eq!(
        moto::caller_arn(&body).await,
        format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{expected_session}")
    );
}

#[tokio::test]
async fn forged_and_foreign_tokens_never_reach_sts() {
    let user = moto::login().await;
    // A second pool: moto signs every pool's tokens with the same key, so this token's
    // signature verifies and only the issuer check stops it.
    let other = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let (endpoint, exchanges) = moto::recording_forwarder().await;
    let config = moto::config_for(&user, &role_arn, &key.secret_arn, &[]);
    let deps = moto::deps(config, &endpoint).await;

    let moto_claims: serde_json::Value = {
        let payload = user.id_token.split('.').nth(1).unwrap();
        use base64::Engine as _;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let forged = common::sign_rs256(
        &json!({"alg": "RS256", "kid": "dummy"}),
        moto_claims.to_string().as_bytes(),
        "signing-key.pem",
    );
    for (name, token) in [
        ("moto's claims signed by another key", forged),
        ("another pool's ID token", other.id_token.clone()),
        ("an access token", user.access_token.clone()),
    ] {
        let request = json!({"id_token": token, "access_token": user.access_token});
        let answer = cogauth_lambda::handle_json(request, &deps).await;
        let (status, body) = split_answer(&answer);
        assert_eq!(status, 401, "{name}: {body}");
    }
    assert!(
        moto::calls_of(&exchanges, "AssumeRole").is_empty(),
        "STS was called"
    );
    assert!(
        moto::calls_of(&exchanges, "GetUser").is_empty(),
        "refused before asking Cognito"
    );

    let answer = cogauth_lambda::handle_json(user.request(), &deps).await;
    assert_eq!(
        split_answer(&answer).0,
        200,
        "the genuine token still works"
    );
}

#[tokio::test]
async fn unreachable_jwks_endpoint_gives_503() {
    let user = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let config = moto::config_for(
        &user,
        &role_arn,
        &key.secret_arn,
        &[("COGAUTH_JWKS_URL", &url)],
    );
    let deps = moto::deps(config, emulator().endpoint()).await;
    let answer = cogauth_lambda::handle_json(user.request(), &deps).await;
    assert_eq!(split_answer(&answer).0, 503);
}

#[tokio::test]
async fn unreachable_cognito_for_getuser_gives_503_and_no_credentials() {
    let user = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (endpoint, exchanges) = moto::recording_forwarder().await;
    let config = moto::config_for(&user, &role_arn, &key.secret_arn, &[]);
    let deps = cogauth_lambda::Deps::from_config_with(
        config,
        cogauth_lambda::AwsOverrides {
            endpoint_url: Some(endpoint),
            cognito_endpoint_url: Some(url),
            execution_role_credentials: Some(moto::execution_role()),
        },
    )
    .await
    .expect("proxy dependencies");
    let (status, body) = split_answer(&cogauth_lambda::handle_json(user.request(), &deps).await);
    assert_eq!(status, 503, "{body}");
    assert!(moto::calls_of(&exchanges, "AssumeRole").is_empty());
}
