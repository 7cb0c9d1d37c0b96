//! Nothing secret reaches the logs, even at TRACE: tokens (valid or not, ID and access), the
//! issued credentials and the IAM user's secret key.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::common::*;

/// A `MakeWriter` that appends to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn nothing_secret_is_logged_even_at_trace() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // tracing caches, per call site and process-wide, whether anyone listens. A call site
    // first reached by another test (running in parallel, with no subscriber) while this
    // subscriber was being registered could keep a stale "no": ask every call site again.
    tracing::callsite::rebuild_interest_cache();

    let valid = token(&id_claims());
    let mut claims = id_claims();
    claims["exp"] = json!(NOW - 3600);
    let expired = token(&claims);
    let forged = sign_rs256(
        &json!({"alg": "RS256", "kid": SIGNING_KID}),
        id_claims().to_string().as_bytes(),
        "other-key.pem",
    );
    let access = token(&access_claims());
    let mut claims = access_claims();
    claims["sub"] = json!("someone-else");
    let mismatched = token(&claims);
    let f = fakes();
    for t in [&valid, &expired, &forged] {
        invoke(&f.deps, json!({"id_token": t})).await;
    }
    for a in [&access, &mismatched, &forged] {
        invoke(&f.deps, json!({"id_token": valid, "access_token": a})).await;
    }
    f.sessions.set(SessionBehaviour::Revoked);
    invoke(&f.deps, json!({"id_token": valid, "access_token": access})).await;
    let f = fakes_with(
        config(),
        ScriptedJwks::fixed(jwks("signing-jwks.json")),
        StsBehaviour::Refuse,
    );
    invoke(&f.deps, json!({"id_token": valid})).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("issued credentials"), "logs: {logs}");
    assert!(logs.contains("token rejected"), "logs: {logs}");
    assert!(
        logs.contains("tokens of different sessions"),
        "logs: {logs}"
    );
    assert!(logs.contains("session refused"), "logs: {logs}");
    for t in [&valid, &expired, &forged, &access, &mismatched] {
        for segment in t.split('.') {
            assert!(
                !logs.contains(segment),
                "a token segment was logged: {logs}"
            );
        }
    }
    for secret in [ISSUED_SECRET, ISSUED_SESSION_TOKEN] {
        assert!(!logs.contains(secret), "{secret} was logged: {logs}");
    }
}
