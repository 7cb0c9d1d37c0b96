//! Fuzzing the proxy's input, for a time budget (`COGAUTH_FUZZ_SECONDS`, see the shared
//! `fuzz_support`): the event parser (`Request::from_event`) on arbitrary JSON and on every
//! envelope a real caller uses, and the whole handler on hostile tokens and claims. Nothing may
//! panic, a well-formed request must read back as sent, and only a valid token gets credentials.

#[path = "it/common/mod.rs"]
mod common;
// One time-budget runner for every fuzz target of the workspace.
#[path = "../../cogauth-core/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use base64::Engine as _;
use cogauth_lambda::event::{Request, RequestError};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("id_token"),
            Just("body"),
            Just("isBase64Encoded"),
            Just("duration_seconds"),
            Just("role_arn"),
            Just("3600"),
            Just("-1"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("id_token".to_owned()),
            Just("body".to_owned()),
            Just("isBase64Encoded".to_owned()),
            Just("duration_seconds".to_owned()),
            Just("role_arn".to_owned()),
            ".{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key, inner.clone(), 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            // A body that is itself JSON text, possibly base64.
            (inner, any::<bool>()).prop_map(|(v, base64)| {
                let text = v.to_string();
                if base64 {
                    json!({"body": base64::engine::general_purpose::STANDARD.encode(text), "isBase64Encoded": true})
                } else {
                    json!({"body": text})
                }
            }),
        ]
    })
}

fn check_parsed(event: &Value) -> Result<(), TestCaseError> {
    if let Ok(request) = Request::from_event(event) {
        let token = request.id_token.expose_secret();
        prop_assert!(!token.is_empty() && token.len() <= 16 * 1024);
        // Debug shows the same whatever the token.
        let shown = format!("{request:?}");
        let other = Request {
            id_token: "other".to_owned().into(),
            ..request
        };
        prop_assert_eq!(shown, format!("{other:?}"));
    }
    Ok(())
}

#[test]
fn arbitrary_events_never_panic_the_parser() {
    let cases = fuzz_support::fuzz("lambda event: arbitrary JSON", json_value, |event| {
        check_parsed(&event)
    });
    assert!(cases >= 256);
}

#[test]
fn arbitrary_bodies_never_panic_the_parser() {
    let body = || prop_oneof![any::<String>(), ".{0,64}", "[A-Za-z0-9+/=]{0,64}"];
    let cases = fuzz_support::fuzz(
        "lambda event: arbitrary body",
        || (body(), prop::option::of(any::<bool>())),
        |(body, base64)| {
            let mut event = json!({ "body": body });
            if let Some(flag) = base64 {
                event["isBase64Encoded"] = json!(flag);
            }
            check_parsed(&event)
        },
    );
    assert!(cases >= 256);
}

/// How a caller wraps the request.
#[derive(Debug, Clone, Copy)]
enum Envelope {
    Direct,
    BodyString,
    BodyBase64,
    BodyObject,
}

#[test]
fn well_formed_requests_read_back_in_every_envelope() {
    let request = || {
        (
            "[A-Za-z0-9._-]{1,200}",
            prop::option::of(prop_oneof![
                (-100_000i64..100_000).prop_map(|n| (json!(n), n)),
                (-100_000i64..100_000).prop_map(|n| (json!(n.to_string()), n)),
            ]),
            prop::option::of("arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@-]{1,20}"),
            prop_oneof![
                Just(Envelope::Direct),
                Just(Envelope::BodyString),
                Just(Envelope::BodyBase64),
                Just(Envelope::BodyObject),
            ],
        )
    };
    let cases = fuzz_support::fuzz(
        "lambda event: well-formed requests",
        request,
        |(token, duration, role, envelope)| {
            let mut inner = json!({ "id_token": token });
            if let Some((value, _)) = &duration {
                inner["duration_seconds"] = value.clone();
            }
            if let Some(role) = &role {
                inner["role_arn"] = json!(role);
            }
            let event = match envelope {
                Envelope::Direct => inner,
                Envelope::BodyString => json!({ "body": inner.to_string() }),
                Envelope::BodyBase64 => json!({
                    "body": base64::engine::general_purpose::STANDARD.encode(inner.to_string()),
                    "isBase64Encoded": true,
                }),
                Envelope::BodyObject => json!({ "body": inner }),
            };
            let parsed = Request::from_event(&event)
                .map_err(|e| TestCaseError::fail(format!("{e} for {event}")))?;
            prop_assert_eq!(parsed.id_token.expose_secret(), token.as_str());
            prop_assert_eq!(parsed.duration_seconds, duration.map(|(_, n)| n));
            prop_assert_eq!(parsed.role_arn, role);
            Ok(())
        },
    );
    assert!(cases >= 256);
}

// ---------------------------------------------------------------------------------------------
// The whole handler on hostile tokens.

/// Claims of every type where the verifier expects numbers and strings.
fn hostile_claims() -> impl Strategy<Value = Value> {
    let time = prop_oneof![
        Just(json!(NOW - 10)),
        Just(json!(NOW + 3600)),
        // Issued in the future, expired long ago, and the extremes.
        Just(json!(NOW + 7200)),
        Just(json!(NOW - 86_400)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1.5e300)),
        Just(json!("1800000000")),
        Just(json!(null)),
    ];
    let text = prop_oneof![
        Just(json!(ISSUER)),
        Just(json!(CLIENT_ID)),
        Just(json!([CLIENT_ID])),
        Just(json!("id")),
        Just(json!("access")),
        Just(json!(5)),
        Just(json!({})),
        ".{0,10}".prop_map(Value::String),
    ];
    (
        time.clone(),
        time.clone(),
        time,
        text.clone(),
        text.clone(),
        text.clone(),
        text,
        prop::collection::vec(any::<bool>(), 7),
    )
        .prop_map(|(exp, iat, nbf, iss, aud, token_use, sub, drop)| {
            let mut claims = id_claims();
            for (i, (name, value)) in [
                ("exp", exp),
                ("iat", iat),
                ("nbf", nbf),
                ("iss", iss),
                ("aud", aud),
                ("token_use", token_use),
                ("sub", sub),
            ]
            .into_iter()
            .enumerate()
            {
                if drop[i] {
                    claims.as_object_mut().unwrap().remove(name);
                } else {
                    claims[name] = value;
                }
            }
            claims
        })
}

/// A token: signed by the trusted key, by another key, unsigned, or not a JWT at all.
fn hostile_token() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just(json!({"alg": "RS256", "kid": SIGNING_KID})),
        Just(json!({"alg": "none", "kid": SIGNING_KID})),
        Just(json!({"alg": "HS256", "kid": SIGNING_KID})),
        Just(json!({"alg": "RS256", "kid": OTHER_KID})),
        Just(json!({"alg": "RS256"})),
        Just(json!({"alg": 5, "kid": [SIGNING_KID]})),
    ];
    prop_oneof![
        4 => hostile_claims().prop_map(|c| token(&c)),
        1 => (hostile_claims(), header.clone()).prop_map(|(c, h)| sign_rs256(&h, c.to_string().as_bytes(), "other-key.pem")),
        2 => (hostile_claims(), header, ".{0,12}").prop_map(|(c, h, sig)| {
            format!("{}.{}.{}", b64(h.to_string().as_bytes()), b64(c.to_string().as_bytes()), b64(sig.as_bytes()))
        }),
        1 => "[A-Za-z0-9._-]{0,80}",
        1 => ".{0,40}",
    ]
}

#[test]
fn hostile_tokens_never_panic_the_handler_and_only_valid_ones_get_credentials() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fakes = fakes();
    let cases = fuzz_support::fuzz(
        "lambda handler: hostile tokens",
        || (hostile_token(), prop::option::of(json_value())),
        |(token, duration)| {
            let mut event = json!({ "id_token": token });
            if let Some(d) = duration {
                event["duration_seconds"] = d;
            }
            let (status, body) = runtime.block_on(invoke(&fakes.deps, event.clone()));
            prop_assert!(
                [200, 400, 401, 403, 500, 503].contains(&status),
                "status {} for {}",
                status,
                event
            );
            if status == 200 {
                // Only what the verifier must accept: signed by the trusted key, right issuer,
                // audience and use, within its lifetime at NOW.
                let payload = token.split('.').nth(1).unwrap_or_default();
                let claims: Value = serde_json::from_slice(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(payload)
                        .unwrap(),
                )
                .unwrap();
                prop_assert_eq!(&claims["iss"], &json!(ISSUER));
                prop_assert_eq!(&claims["token_use"], &json!("id"));
                prop_assert!(claims["exp"].as_i64().is_some_and(|e| e + 60 >= NOW));
                prop_assert!(claims["iat"].as_i64().is_some_and(|i| i <= NOW + 60));
                prop_assert_eq!(&body["secret_access_key"], &json!(ISSUED_SECRET));
            } else {
                prop_assert!(body["error"].is_string(), "{}", body);
                prop_assert!(!body.to_string().contains(ISSUED_SECRET));
            }
            Ok(())
        },
    );
    assert!(cases >= 256);
}

/// Clock skew: a token issued more than the leeway (60 s) in the future is refused, one
/// within it is accepted.
#[test]
fn a_token_issued_in_the_future_beyond_the_leeway_is_refused() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fakes = fakes();
    for (iat, expected) in [(NOW + 30, 200), (NOW + 61, 401), (NOW + 86_400, 401)] {
        let mut claims = id_claims();
        claims["iat"] = json!(iat);
        let (status, body) =
            runtime.block_on(invoke(&fakes.deps, json!({ "id_token": token(&claims) })));
        assert_eq!(status, expected, "iat {iat}: {body}");
    }
}

/// The parser's own errors are the ones the caller is told.
#[test]
fn malformed_envelopes_name_the_problem() {
    for (event, expected) in [
        (json!([]), RequestError::NotAnObject),
        (json!({"body": "{"}), RequestError::BadJson),
        (
            json!({"body": "not base64!", "isBase64Encoded": true}),
            RequestError::BadBase64,
        ),
        (json!({"id_token": ""}), RequestError::BadToken),
        (json!({"id_token": null}), RequestError::MissingToken),
    ] {
        assert_eq!(
            Request::from_event(&event).unwrap_err(),
            expected,
            "{event}"
        );
    }
}
