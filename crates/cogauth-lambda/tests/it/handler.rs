//! The handler over fakes (test JWKS, fixed clock, session check, recording STS): every class
//! of bad token gets 401 and never reaches STS; the access token's checks; duration and role
//! validation; the answer's shape; caching of the key set.

use crate::common::*;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

/// Runs one token through the handler and checks it is refused with a generic 401 and that
/// STS was never called.
async fn assert_rejected(name: &str, token: &str) {
    let f = fakes();
    let (status, body) = invoke(&f.deps, json!({ "id_token": token })).await;
    assert_eq!(status, 401, "{name}: expected 401, got {status} {body}");
    assert_eq!(
        body,
        json!({"error": "unauthorized"}),
        "{name}: generic body"
    );
    assert!(f.sts.calls().is_empty(), "{name}: STS must not be called");
}

fn with_claims(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut claims = id_claims();
    edit(claims.as_object_mut().unwrap());
    token(&claims)
}

#[tokio::test]
async fn valid_token_gets_credentials_in_the_original_shape() {
    let f = fakes();
    let answer =
        cogauth_lambda::handle_json(json!({ "id_token": token(&id_claims()) }), &f.deps).await;
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(answer["headers"]["Content-Type"], "application/json");
    let (_, body) = split_answer(&answer);
    assert_eq!(
        body,
        json!({
            "access_key_id": "ASIATESTISSUED000000",
            "secret_access_key": ISSUED_SECRET,
            "session_token": ISSUED_SESSION_TOKEN,
            "expiration": "2027-01-15T20:00:00Z",
            "user_id": "0f3c2a1b-1234-4abc-9def-0123456789ab",
            "username": "alice",
        })
    );
    let calls = f.sts.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.role_arn, DEFAULT_ROLE);
    assert_eq!(call.session_name, format!("cogauth-{SUB}"));
    assert_eq!(call.source_identity, SUB);
    assert_eq!(
        call.duration_seconds, 43200,
        "default = MAX_DURATION_SECONDS"
    );
    assert_eq!(
        call.tags,
        [
            ("CognitoSubject".to_owned(), SUB.to_owned()),
            ("CognitoUsername".to_owned(), "alice".to_owned()),
        ]
    );
}

#[tokio::test]
async fn api_gateway_event_with_string_body_works() {
    let f = fakes();
    let body = json!({"id_token": token(&id_claims()), "duration_seconds": "7200"}).to_string();
    let (status, _) = invoke(&f.deps, json!({"body": body, "isBase64Encoded": false})).await;
    assert_eq!(status, 200);
    assert_eq!(f.sts.calls()[0].duration_seconds, 7200);
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let header = b64(json!({"alg": "none", "kid": SIGNING_KID, "typ": "JWT"})
        .to_string()
        .as_bytes());
    let payload = b64(id_claims().to_string().as_bytes());
    assert_rejected("alg none, empty signature", &format!("{header}.{payload}.")).await;
    let header = b64(json!({"alg": "None", "kid": SIGNING_KID})
        .to_string()
        .as_bytes());
    assert_rejected("alg None", &format!("{header}.{payload}.")).await;
    let header = b64(json!({"kid": SIGNING_KID}).to_string().as_bytes());
    assert_rejected("no alg", &format!("{header}.{payload}.")).await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_rejected() {
    let header = json!({"alg": "HS256", "kid": SIGNING_KID, "typ": "JWT"});
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(id_claims().to_string().as_bytes())
    );
    for secret in [data("signing-pub.pem"), data("signing-jwks.json")] {
        let key = EncodingKey::from_secret(&secret);
        let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
        assert_rejected("HS256 with the public key", &format!("{message}.{sig}")).await;
    }
}

#[tokio::test]
async fn token_signed_by_another_key_is_rejected() {
    let header = json!({"alg": "RS256", "kid": SIGNING_KID});
    let forged = sign_rs256(&header, id_claims().to_string().as_bytes(), "other-key.pem");
    assert_rejected("wrong key, trusted kid", &forged).await;
}

#[tokio::test]
async fn unknown_kid_is_rejected() {
    let header = json!({"alg": "RS256", "kid": OTHER_KID});
    let forged = sign_rs256(&header, id_claims().to_string().as_bytes(), "other-key.pem");
    assert_rejected("unknown kid", &forged).await;
    let header = json!({"alg": "RS256"});
    let no_kid = sign_rs256(
        &header,
        id_claims().to_string().as_bytes(),
        "signing-key.pem",
    );
    assert_rejected("no kid", &no_kid).await;
}

#[tokio::test]
async fn tampered_payload_is_rejected() {
    let genuine = token(&id_claims());
    let parts: Vec<&str> = genuine.split('.').collect();
    let mut claims = id_claims();
    claims["cognito:username"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    );
    assert_rejected("tampered payload", &tampered).await;
    let mut sig = parts[2].to_owned();
    sig.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
    assert_rejected(
        "tampered signature",
        &format!("{}.{}.{sig}", parts[0], parts[1]),
    )
    .await;
}

#[tokio::test]
async fn wrong_issuer_is_rejected() {
    let other_pool = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool";
    assert_rejected(
        "wrong iss",
        &with_claims(|c| {
            c.insert("iss".into(), json!(other_pool));
        }),
    )
    .await;
    assert_rejected(
        "iss with trailing slash",
        &with_claims(|c| {
            c.insert("iss".into(), json!(format!("{ISSUER}/")));
        }),
    )
    .await;
}

#[tokio::test]
async fn wrong_audience_is_rejected() {
    assert_rejected(
        "wrong aud",
        &with_claims(|c| {
            c.insert("aud".into(), json!("someoneelsesclient"));
        }),
    )
    .await;
}

#[tokio::test]
async fn access_token_is_rejected() {
    // Cognito's access tokens: token_use "access", `client_id` instead of `aud`.
    assert_rejected(
        "access token",
        &with_claims(|c| {
            c.remove("aud");
            c.remove("cognito:username");
            c.insert("client_id".into(), json!(CLIENT_ID));
            c.insert("username".into(), json!("alice"));
            c.insert("token_use".into(), json!("access"));
        }),
    )
    .await;
    // Even with an `aud`, token_use must be "id".
    assert_rejected(
        "token_use access with aud",
        &with_claims(|c| {
            c.insert("token_use".into(), json!("access"));
        }),
    )
    .await;
}

#[tokio::test]
async fn expired_token_is_rejected_beyond_the_leeway() {
    assert_rejected(
        "expired",
        &with_claims(|c| {
            c.insert("exp".into(), json!(NOW - 61));
        }),
    )
    .await;
    let f = fakes();
    let within_leeway = with_claims(|c| {
        c.insert("exp".into(), json!(NOW - 30));
    });
    let (status, _) = invoke(&f.deps, json!({ "id_token": within_leeway })).await;
    assert_eq!(status, 200, "60 s of leeway on exp");
}

#[tokio::test]
async fn not_yet_valid_token_is_rejected() {
    assert_rejected(
        "nbf in the future",
        &with_claims(|c| {
            c.insert("nbf".into(), json!(NOW + 120));
        }),
    )
    .await;
    assert_rejected(
        "iat in the future",
        &with_claims(|c| {
            c.insert("iat".into(), json!(NOW + 120));
        }),
    )
    .await;
}

#[tokio::test]
async fn malformed_tokens_are_rejected() {
    let header = json!({"alg": "RS256", "kid": SIGNING_KID});
    assert_rejected(
        "payload not JSON",
        &sign_rs256(&header, b"{\"sub\": ", "signing-key.pem"),
    )
    .await;
    assert_rejected(
        "payload a JSON array",
        &sign_rs256(&header, b"[1,2]", "signing-key.pem"),
    )
    .await;
    assert_rejected(
        "exp a string",
        &with_claims(|c| {
            c.insert("exp".into(), json!("tomorrow"));
        }),
    )
    .await;
    let genuine = token(&id_claims());
    let parts: Vec<&str> = genuine.split('.').collect();
    assert_rejected(
        "header not JSON",
        &format!("{}.{}.{}", b64(b"{alg"), parts[1], parts[2]),
    )
    .await;
    assert_rejected("two segments", &format!("{}.{}", parts[0], parts[1])).await;
    assert_rejected("four segments", &format!("{genuine}.x")).await;
    assert_rejected("not base64", "!!!.@@@.###").await;
    assert_rejected("garbage", "hello").await;
}

#[tokio::test]
async fn tokens_missing_claims_are_rejected() {
    for claim in [
        "sub",
        "exp",
        "iat",
        "iss",
        "aud",
        "token_use",
        "cognito:username",
    ] {
        assert_rejected(
            &format!("missing {claim}"),
            &with_claims(|c| {
                c.remove(claim);
            }),
        )
        .await;
    }
    assert_rejected(
        "empty sub",
        &with_claims(|c| {
            c.insert("sub".into(), json!(""));
        }),
    )
    .await;
}

#[tokio::test]
async fn duration_is_validated_before_sts() {
    for (duration, expected) in [
        (json!(3600), Some(3600)),
        (json!("900"), Some(900)),
        (json!(43200), Some(43200)),
        (json!(899), None),
        (json!(43201), None),
        (json!(-1), None),
        (json!("12h"), None),
        (json!(3600.5), None),
        (json!(true), None),
    ] {
        let f = fakes();
        let event = json!({"id_token": token(&id_claims()), "duration_seconds": duration});
        let (status, body) = invoke(&f.deps, event).await;
        match expected {
            Some(seconds) => {
                assert_eq!(status, 200, "{duration}: {body}");
                assert_eq!(f.sts.calls()[0].duration_seconds, seconds);
            }
            None => {
                assert_eq!(status, 400, "{duration}: {body}");
                assert!(body["error"].as_str().unwrap().contains("duration_seconds"));
                assert!(f.sts.calls().is_empty());
            }
        }
    }
}

#[tokio::test]
async fn duration_is_bounded_by_max_duration_seconds() {
    let f = fakes_with(
        config_with(&[("MAX_DURATION_SECONDS", "3600")]),
        ScriptedJwks::fixed(jwks("signing-jwks.json")),
        StsBehaviour::Issue,
    );
    let (status, _) = invoke(&f.deps, json!({"id_token": token(&id_claims())})).await;
    assert_eq!(status, 200);
    assert_eq!(
        f.sts.calls()[0].duration_seconds,
        3600,
        "default = the configured maximum"
    );
    let event = json!({"id_token": token(&id_claims()), "duration_seconds": 7200});
    let (status, body) = invoke(&f.deps, event).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "`duration_seconds` must be from 900 to 3600 seconds"
    );
    assert_eq!(f.sts.calls().len(), 1);
}

#[tokio::test]
async fn role_arn_must_be_the_default_or_allowed() {
    for (requested, expected) in [
        (DEFAULT_ROLE, Some(DEFAULT_ROLE)),
        (ALLOWED_ROLE, Some(ALLOWED_ROLE)),
        ("", Some(DEFAULT_ROLE)),
        ("arn:aws:iam::123456789012:role/Admin", None),
        ("arn:aws:iam::999999999999:role/CognitoLongLivedRole", None),
    ] {
        let f = fakes();
        let event = json!({"id_token": token(&id_claims()), "role_arn": requested});
        let (status, body) = invoke(&f.deps, event).await;
        match expected {
            Some(role) => {
                assert_eq!(status, 200, "{requested}: {body}");
                assert_eq!(f.sts.calls()[0].role_arn, role);
            }
            None => {
                assert_eq!(status, 403, "{requested}: {body}");
                assert_eq!(body["error"], "`role_arn` is not allowed");
                assert!(f.sts.calls().is_empty());
            }
        }
    }
}

#[tokio::test]
async fn role_arn_is_checked_only_after_the_token() {
    let f = fakes();
    let forged = with_claims(|c| {
        c.insert("aud".into(), json!("nope"));
    });
    let event = json!({"id_token": forged, "role_arn": "arn:aws:iam::123456789012:role/Admin"});
    let (status, _) = invoke(&f.deps, event).await;
    assert_eq!(
        status, 401,
        "an unauthenticated caller learns nothing about roles"
    );
}

#[tokio::test]
async fn bad_requests_get_400() {
    let f = fakes();
    for event in [
        json!({}),
        json!({"id_token": 5}),
        json!({"body": "{not json"}),
        json!("just a string"),
        json!({"id_token": "x", "role_arn": ["a"]}),
    ] {
        let (status, body) = invoke(&f.deps, event.clone()).await;
        assert_eq!(status, 400, "{event}: {body}");
        assert!(body["error"].is_string());
    }
    assert!(f.sts.calls().is_empty());
}

#[tokio::test]
async fn sts_failures_map_to_403_and_500() {
    for (behaviour, expected) in [(StsBehaviour::Refuse, 403), (StsBehaviour::Fail, 500)] {
        let f = fakes_with(
            config(),
            ScriptedJwks::fixed(jwks("signing-jwks.json")),
            behaviour,
        );
        let (status, body) = invoke(&f.deps, json!({"id_token": token(&id_claims())})).await;
        assert_eq!(status, expected, "{behaviour:?}: {body}");
        assert!(
            !body.to_string().contains("TagSession"),
            "STS detail stays in the logs"
        );
    }
}

#[tokio::test]
async fn unreachable_jwks_gives_503_and_no_sts_call() {
    let f = fakes_with(
        config(),
        ScriptedJwks::new(vec![Err("connection refused".into())]),
        StsBehaviour::Issue,
    );
    let (status, _) = invoke(&f.deps, json!({"id_token": token(&id_claims())})).await;
    assert_eq!(status, 503);
    assert!(f.sts.calls().is_empty());
}

#[tokio::test]
async fn jwks_is_cached_and_refetched_on_unknown_kid_at_a_bounded_rate() {
    let f = fakes();
    let valid = json!({"id_token": token(&id_claims())});
    assert_eq!(invoke(&f.deps, valid.clone()).await.0, 200);
    assert_eq!(invoke(&f.deps, valid.clone()).await.0, 200);
    assert_eq!(f.jwks.fetches(), 1, "cached across invocations");

    f.clock.advance(11);
    let unknown = sign_rs256(
        &json!({"alg": "RS256", "kid": "made-up-1"}),
        id_claims().to_string().as_bytes(),
        "other-key.pem",
    );
    assert_eq!(invoke(&f.deps, json!({"id_token": unknown})).await.0, 401);
    assert_eq!(f.jwks.fetches(), 2, "an unknown kid triggers one refetch");
    for i in 0..20 {
        let forged = sign_rs256(
            &json!({"alg": "RS256", "kid": format!("made-up-{i}")}),
            id_claims().to_string().as_bytes(),
            "other-key.pem",
        );
        assert_eq!(invoke(&f.deps, json!({"id_token": forged})).await.0, 401);
    }
    assert_eq!(
        f.jwks.fetches(),
        2,
        "forged kids cannot make it hammer the endpoint"
    );
    f.clock.advance(10);
    let forged = sign_rs256(
        &json!({"alg": "RS256", "kid": "made-up-again"}),
        id_claims().to_string().as_bytes(),
        "other-key.pem",
    );
    assert_eq!(invoke(&f.deps, json!({"id_token": forged})).await.0, 401);
    assert_eq!(
        f.jwks.fetches(),
        3,
        "refetch allowed again after the interval"
    );
    assert_eq!(invoke(&f.deps, valid).await.0, 200, "known keys still work");
    assert!(f.sts.calls().len() == 3);
}

#[tokio::test]
async fn rotated_key_is_picked_up_by_refetch() {
    let mut rotated = jwks("signing-jwks.json");
    rotated.keys.extend(jwks("other-jwks.json").keys);
    let f = fakes_with(
        config(),
        ScriptedJwks::new(vec![Ok(jwks("signing-jwks.json")), Ok(rotated)]),
        StsBehaviour::Issue,
    );
    assert_eq!(
        invoke(&f.deps, json!({"id_token": token(&id_claims())}))
            .await
            .0,
        200
    );
    f.clock.advance(30);
    let new_key_token = sign_rs256(
        &json!({"alg": "RS256", "kid": OTHER_KID}),
        id_claims().to_string().as_bytes(),
        "other-key.pem",
    );
    let (status, body) = invoke(&f.deps, json!({"id_token": new_key_token})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(f.jwks.fetches(), 2);
}

#[tokio::test]
async fn keys_that_are_not_rs256_signing_keys_are_ignored() {
    let mut set = jwks("signing-jwks.json");
    set.keys[0].common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Encryption);
    let f = fakes_with(config(), ScriptedJwks::fixed(set), StsBehaviour::Issue);
    let (status, _) = invoke(&f.deps, json!({"id_token": token(&id_claims())})).await;
    assert_eq!(status, 401);
}

// ---------------------------------------------------------------------------------------------
// The access token.

fn access_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut claims = access_claims();
    edit(claims.as_object_mut().unwrap());
    token(&claims)
}

fn both(access_token: &str) -> Value {
    json!({"id_token": token(&id_claims()), "access_token": access_token})
}

#[tokio::test]
async fn a_matching_access_token_is_checked_with_cognito_then_served() {
    let f = fakes();
    let (status, body) = invoke(&f.deps, both(&token(&access_claims()))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(f.sessions.checks(), 1, "GetUser asked once");
    assert_eq!(f.sts.calls().len(), 1);
}

#[tokio::test]
async fn a_revoked_session_is_refused_before_sts() {
    let f = fakes();
    f.sessions.set(SessionBehaviour::Revoked);
    let (status, body) = invoke(&f.deps, both(&token(&access_claims()))).await;
    assert_eq!((status, body), (401, json!({"error": "unauthorized"})));
    assert!(f.sts.calls().is_empty());
}

#[tokio::test]
async fn cognito_unreachable_for_the_session_check_gives_503_not_credentials() {
    let f = fakes();
    f.sessions.set(SessionBehaviour::Unavailable);
    let (status, _) = invoke(&f.deps, both(&token(&access_claims()))).await;
    assert_eq!(status, 503);
    assert!(f.sts.calls().is_empty());
}

#[tokio::test]
async fn tokens_of_different_sessions_are_refused_without_asking_cognito() {
    for (name, access) in [
        (
            "another user's access token",
            access_with(|c| {
                c.insert("sub".into(), json!("9e9e9e9e-1234-4abc-9def-0123456789ab"));
            }),
        ),
        (
            "another app client's access token",
            access_with(|c| {
                c.insert("client_id".into(), json!("otherclient9"));
            }),
        ),
        (
            "another sign-in's access token",
            access_with(|c| {
                c.insert(
                    "origin_jti".into(),
                    json!("ffffffff-0000-4000-8000-0000000000aa"),
                );
            }),
        ),
    ] {
        let f = fakes();
        let (status, body) = invoke(&f.deps, both(&access)).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(f.sessions.checks(), 0, "{name}: refused before GetUser");
        assert!(f.sts.calls().is_empty(), "{name}");
    }
    // `origin_jti` is compared only where both tokens carry one.
    let f = fakes();
    let without = access_with(|c| {
        c.remove("origin_jti");
    });
    assert_eq!(invoke(&f.deps, both(&without)).await.0, 200);
}

#[tokio::test]
async fn a_bad_access_token_is_refused() {
    let other_key = sign_rs256(
        &json!({"alg": "RS256", "kid": SIGNING_KID}),
        access_claims().to_string().as_bytes(),
        "other-key.pem",
    );
    for (name, access) in [
        ("the ID token as access token", token(&id_claims())),
        ("signed by another key", other_key),
        (
            "expired",
            access_with(|c| {
                c.insert("exp".into(), json!(NOW - 61));
            }),
        ),
        (
            "from another pool",
            access_with(|c| {
                c.insert(
                    "iss".into(),
                    json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool"),
                );
            }),
        ),
        (
            "for an unconfigured client",
            access_with(|c| {
                c.insert("client_id".into(), json!("someoneelsesclient"));
            }),
        ),
        (
            "without client_id",
            access_with(|c| {
                c.remove("client_id");
            }),
        ),
        (
            "without username",
            access_with(|c| {
                c.remove("username");
            }),
        ),
        ("garbage", "hello".to_owned()),
    ] {
        let f = fakes();
        let (status, body) = invoke(&f.deps, both(&access)).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body, json!({"error": "unauthorized"}), "{name}");
        assert_eq!(f.sessions.checks(), 0, "{name}");
        assert!(f.sts.calls().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn require_access_token_refuses_the_id_token_alone_and_says_why() {
    let f = fakes_with(
        config_with(&[("REQUIRE_ACCESS_TOKEN", "true")]),
        ScriptedJwks::fixed(jwks("signing-jwks.json")),
        StsBehaviour::Issue,
    );
    let (status, body) = invoke(&f.deps, json!({"id_token": token(&id_claims())})).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("requires `access_token`"),
        "{body}"
    );
    assert!(f.sts.calls().is_empty());
    // A forged ID token learns nothing about the setting.
    let forged = with_claims(|c| {
        c.insert("aud".into(), json!("nope"));
    });
    let (_, body) = invoke(&f.deps, json!({ "id_token": forged })).await;
    assert_eq!(body, json!({"error": "unauthorized"}));
    // With both tokens it serves.
    assert_eq!(invoke(&f.deps, both(&token(&access_claims()))).await.0, 200);
}

#[tokio::test]
async fn without_require_access_token_old_clients_are_served_on_the_id_token() {
    let f = fakes();
    assert!(!f.deps.config.require_access_token);
    let (status, _) = invoke(&f.deps, json!({"id_token": token(&id_claims())})).await;
    assert_eq!(status, 200);
    assert_eq!(
        f.sessions.checks(),
        0,
        "nothing to check without an access token"
    );
}

#[tokio::test]
async fn a_sub_iam_cannot_carry_is_refused_not_sanitized() {
    let f = fakes();
    let odd = with_claims(|c| {
        c.insert("sub".into(), json!("bob smith"));
    });
    assert_eq!(invoke(&f.deps, json!({ "id_token": odd })).await.0, 401);
    assert!(f.sts.calls().is_empty());
}
