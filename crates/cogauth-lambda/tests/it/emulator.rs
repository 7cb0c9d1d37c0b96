//! The real dependencies against the emulator: an ID token from a real login on moto,
//! verified against moto's JWKS over HTTP, then AssumeRole through the real STS client.
//! A recording forwarder sits between the client and moto to check what went on the wire
//! (moto drops session tags and the source identity).

mod common;

use chrono::{DateTime, Utc};
use cogauth_lambda::Deps;
use cogauth_lambda::config::Config;
use cogauth_test_support::{ACCOUNT_ID, REGION, emulator};
use common::moto::{self, LoggedIn};
use common::{form_decode, split_answer};
use serde_json::json;

fn config_for(user: &LoggedIn, role_arn: &str, jwks_url: &str) -> Config {
    let vars = [
        ("USER_POOL_ID", user.pool.user_pool_id.as_str()),
        ("CLIENT_IDS", user.pool.client_id.as_str()),
        ("DEFAULT_ROLE_ARN", role_arn),
        ("IAM_USER_ACCESS_KEY_ID", "AKIAPROXYUSER0000000"),
        ("IAM_USER_SECRET_ACCESS_KEY", "proxy-user-secret-key"),
        ("COGAUTH_JWKS_URL", jwks_url),
        ("AWS_REGION", REGION),
    ];
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("config")
}

#[tokio::test]
async fn real_login_token_gets_credentials_from_sts() {
    let user = moto::login().await;
    let (role_arn, role_name) = moto::long_lived_role().await;
    let (sts_url, exchanges) = moto::recording_forwarder().await;
    let config = config_for(&user, &role_arn, &moto::jwks_url(&user.pool.user_pool_id));
    let deps = Deps::from_config(config, Some(&sts_url)).await.unwrap();

    let before = Utc::now();
    let answer = cogauth_lambda::handle_json(
        json!({"id_token": user.id_token, "duration_seconds": 3600}),
        &deps,
    )
    .await;
    let after = Utc::now();
    let (status, body) = split_answer(&answer);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], user.sub.as_str());
    assert_eq!(body["username"], user.username.as_str());

    // What the real STS client sent.
    let exchanges = exchanges.lock().unwrap().clone();
    assert_eq!(exchanges.len(), 1);
    let sent = form_decode(std::str::from_utf8(&exchanges[0].request.body).unwrap());
    let expected_session = format!("cogauth-{}", user.username);
    assert_eq!(sent["Action"], "AssumeRole");
    assert_eq!(sent["RoleArn"], role_arn);
    assert_eq!(sent["RoleSessionName"], expected_session);
    assert_eq!(sent["DurationSeconds"], "3600");
    assert_eq!(sent["SourceIdentity"], user.username);
    assert_eq!(sent["Tags.member.1.Key"], "CognitoSubject");
    assert_eq!(sent["Tags.member.1.Value"], user.sub);
    assert_eq!(sent["Tags.member.2.Key"], "CognitoUsername");
    assert_eq!(sent["Tags.member.2.Value"], user.username);
    let auth = exchanges[0].request.header("authorization").unwrap();
    assert!(
        auth.contains("Credential=AKIAPROXYUSER0000000/"),
        "signed with the IAM user's key: {auth}"
    );

    // The credentials are moto's, for the session the proxy named.
    let expiration: DateTime<Utc> = body["expiration"].as_str().unwrap().parse().unwrap();
    assert!(
        exchanges[0]
            .response
            .contains(&body["access_key_id"].as_str().unwrap().to_string())
    );
    let seconds_from = |t: DateTime<Utc>| (expiration - t).num_seconds();
    assert!(
        seconds_from(before) <= 3601 && seconds_from(after) >= 3599,
        "expiration {expiration} is one hour after the call ({before}..{after})"
    );
    let issued = aws_credential_types::Credentials::new(
        body["access_key_id"].as_str().unwrap(),
        body["secret_access_key"].as_str().unwrap(),
        Some(body["session_token"].as_str().unwrap().to_owned()),
        None,
        "issued",
    );
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&emulator().sdk_config().await)
            .credentials_provider(issued)
            .build(),
    );
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some(
            format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/{expected_session}")
                .as_str()
        )
    );
}

#[tokio::test]
async fn forged_and_foreign_tokens_never_reach_sts() {
    let user = moto::login().await;
    // A second pool: moto signs every pool's tokens with the same key, so this token's
    // signature verifies and only the issuer check stops it.
    let other = moto::login().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let (sts_url, exchanges) = moto::recording_forwarder().await;
    let config = config_for(&user, &role_arn, &moto::jwks_url(&user.pool.user_pool_id));
    let deps = Deps::from_config(config, Some(&sts_url)).await.unwrap();

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
        let answer = cogauth_lambda::handle_json(json!({"id_token": token}), &deps).await;
        let (status, body) = split_answer(&answer);
        assert_eq!(status, 401, "{name}: {body}");
    }
    assert!(exchanges.lock().unwrap().is_empty(), "STS was called");

    let answer = cogauth_lambda::handle_json(json!({"id_token": user.id_token}), &deps).await;
    assert_eq!(
        split_answer(&answer).0,
        200,
        "the genuine token still works"
    );
}

#[tokio::test]
async fn unreachable_jwks_endpoint_gives_503() {
    let user = moto::login().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let config = config_for(&user, &role_arn, &url);
    let deps = Deps::from_config(config, Some(emulator().endpoint()))
        .await
        .unwrap();
    let answer = cogauth_lambda::handle_json(json!({"id_token": user.id_token}), &deps).await;
    assert_eq!(split_answer(&answer).0, 503);
}
