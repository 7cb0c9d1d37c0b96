//! The real binary (the `bootstrap` of the zip) under a Lambda Runtime API served by this test:
//! it reads its key from Secrets Manager, answers a valid invocation (a real login on the
//! emulator, GetUser and AssumeRole on the emulator), a forged one and one without the access
//! token, over the same protocol Lambda uses, and logs neither tokens nor secrets; with the old
//! plaintext variables it still serves and asks for the migration.

use crate::common;

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::http::{Handler, HttpRequest, HttpResponse, serve};
use crate::common::moto;
use cogauth_test_support::{REGION, emulator};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::sync::{Notify, mpsc};

const BIN: &str = env!("CARGO_BIN_EXE_cogauth-lambda");
const FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:cognito-credential-proxy";

/// What the function posted back for one invocation.
#[derive(Debug)]
struct Posted {
    request_id: String,
    kind: String,
    body: Value,
}

/// The Runtime API: hands out queued events on `/next` and reports what the function posts.
struct RuntimeApi {
    events: Mutex<VecDeque<(String, Value)>>,
    queued: Notify,
    posted: mpsc::UnboundedSender<Posted>,
}

impl RuntimeApi {
    async fn next(&self) -> HttpResponse {
        loop {
            if let Some((id, event)) = self.events.lock().unwrap().pop_front() {
                let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
                return HttpResponse::new(200, event.to_string())
                    .header("content-type", "application/json")
                    .header("Lambda-Runtime-Aws-Request-Id", &id)
                    .header("Lambda-Runtime-Deadline-Ms", &deadline.to_string())
                    .header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
                    .header(
                        "Lambda-Runtime-Trace-Id",
                        "Root=1-00000000-000000000000000000000000",
                    );
            }
            self.queued.notified().await;
        }
    }

    async fn route(self: Arc<Self>, request: HttpRequest) -> HttpResponse {
        let path = request.path.trim_start_matches("/2018-06-01/runtime/");
        if request.method == "GET" && path == "invocation/next" {
            return self.next().await;
        }
        let parts: Vec<&str> = path.split('/').collect();
        let (request_id, kind) = match parts.as_slice() {
            ["invocation", id, kind @ ("response" | "error")] => ((*id).to_owned(), *kind),
            ["init", "error"] => (String::new(), "init-error"),
            _ => return HttpResponse::new(404, "not found"),
        };
        let body = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let _ = self.posted.send(Posted {
            request_id,
            kind: kind.to_owned(),
            body,
        });
        HttpResponse::new(202, "{\"status\":\"OK\"}").header("content-type", "application/json")
    }
}

/// Runs the bootstrap binary with `env` (on top of what Lambda sets) until it has answered
/// every event; returns the answers in order and everything it logged.
async fn run_bootstrap(
    env: &[(&str, &str)],
    events: Vec<(String, Value)>,
) -> (Vec<Posted>, String) {
    let count = events.len();
    let (tx, mut posted) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        events: Mutex::new(VecDeque::from(events)),
        queued: Notify::new(),
        posted: tx,
    });
    let routed = api.clone();
    let handler: Handler = Arc::new(move |request| Box::pin(routed.clone().route(request)));
    let addr = serve(handler).await;

    let mut child = tokio::process::Command::new(BIN)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "cognito-credential-proxy")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/cognito-credential-proxy",
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_REGION", REGION)
        // The execution role's credentials, as Lambda sets them (the emulator's dummy ones).
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_SESSION_TOKEN", "testing-session")
        .env("AWS_ENDPOINT_URL", emulator().endpoint())
        // Asks for everything: the binary must still keep tokens out of its logs.
        .env("RUST_LOG", "trace")
        .env("HOME", std::env::temp_dir())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the bootstrap binary");
    // Drain the pipes while it runs, so a chatty log cannot block the child.
    let drain = |mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>| {
        tokio::spawn(async move {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text).await;
            text
        })
    };
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let stdout = drain(Box::new(child.stdout.take().unwrap()));

    let mut answers = Vec::new();
    while answers.len() < count {
        // A safety net so a broken binary fails the test instead of hanging it.
        match tokio::time::timeout(Duration::from_secs(120), posted.recv()).await {
            Ok(Some(p)) => answers.push(p),
            _ => {
                child.start_kill().ok();
                child.wait().await.unwrap();
                panic!(
                    "the function did not answer every invocation; got {answers:?}; stderr:\n{}",
                    stderr.await.unwrap()
                );
            }
        }
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let logs = stderr.await.unwrap() + &stdout.await.unwrap();
    (answers, logs)
}

#[tokio::test]
async fn bootstrap_answers_a_valid_and_a_forged_invocation() {
    let user = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;

    let forged = common::sign_rs256(
        &json!({"alg": "RS256", "kid": "dummy"}),
        json!({
            "sub": user.sub, "iss": format!("https://cognito-idp.{REGION}.amazonaws.com/{}", user.pool.user_pool_id),
            "aud": user.pool.client_id, "token_use": "id", "cognito:username": user.username,
            "iat": chrono::Utc::now().timestamp(), "exp": chrono::Utc::now().timestamp() + 3600,
        })
        .to_string()
        .as_bytes(),
        "signing-key.pem",
    );
    let mut valid = user.request();
    valid["duration_seconds"] = json!(3600);
    let jwks = moto::jwks_url(&user.pool.user_pool_id);
    let (answers, logs) = run_bootstrap(
        &[
            ("USER_POOL_ID", &user.pool.user_pool_id),
            ("CLIENT_IDS", &user.pool.client_id),
            ("DEFAULT_ROLE_ARN", &role_arn),
            ("IAM_USER_SECRET_ARN", &key.secret_arn),
            ("REQUIRE_ACCESS_TOKEN", "true"),
            ("COGAUTH_JWKS_URL", &jwks),
        ],
        vec![
            ("req-valid".to_owned(), valid),
            (
                "req-forged".to_owned(),
                json!({"id_token": forged, "access_token": user.access_token}),
            ),
            ("req-id-only".to_owned(), json!({"id_token": user.id_token})),
        ],
    )
    .await;

    let valid = &answers[0];
    assert_eq!(
        (valid.request_id.as_str(), valid.kind.as_str()),
        ("req-valid", "response")
    );
    assert_eq!(
        valid.body["statusCode"], 200,
        "{:?}\nlogs:\n{logs}",
        valid.body
    );
    let credentials: Value = serde_json::from_str(valid.body["body"].as_str().unwrap()).unwrap();
    assert_eq!(credentials["username"], user.username.as_str());
    assert_eq!(credentials["user_id"], user.sub.as_str());
    assert!(
        credentials["access_key_id"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );

    let refused = &answers[1];
    assert_eq!(
        (refused.request_id.as_str(), refused.kind.as_str()),
        ("req-forged", "response")
    );
    assert_eq!(refused.body["statusCode"], 401);
    assert_eq!(refused.body["body"], "{\"error\":\"unauthorized\"}");
    let id_only = &answers[2];
    assert_eq!(id_only.request_id, "req-id-only");
    assert_eq!(
        id_only.body["statusCode"], 401,
        "REQUIRE_ACCESS_TOKEN is on"
    );

    assert!(logs.contains("cogauth-lambda ready"), "logs:\n{logs}");
    assert!(logs.contains("issued credentials"), "logs:\n{logs}");
    assert!(
        logs.contains("token signature does not verify"),
        "logs:\n{logs}"
    );
    let startup = logs
        .split("cogauth-lambda ready")
        .next()
        .unwrap_or_default();
    assert!(
        !startup.contains("WARN"),
        "a complete configuration warns of nothing at start-up:\n{startup}"
    );
    for token in [&user.id_token, &user.access_token, &forged] {
        for segment in token.split('.') {
            assert!(
                !logs.contains(segment),
                "a token segment was logged:\n{logs}"
            );
        }
    }
    for secret in [
        credentials["secret_access_key"].as_str().unwrap(),
        credentials["session_token"].as_str().unwrap(),
        key.secret_access_key.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret was logged:\n{logs}");
    }
}

#[tokio::test]
async fn bootstrap_with_the_old_plaintext_key_serves_and_asks_to_migrate() {
    let user = moto::login().await;
    let key = moto::proxy_key().await;
    let (role_arn, _) = moto::long_lived_role().await;
    let jwks = moto::jwks_url(&user.pool.user_pool_id);
    let (answers, logs) = run_bootstrap(
        &[
            ("USER_POOL_ID", &user.pool.user_pool_id),
            ("CLIENT_IDS", &user.pool.client_id),
            ("DEFAULT_ROLE_ARN", &role_arn),
            ("IAM_USER_ACCESS_KEY_ID", &key.access_key_id),
            ("IAM_USER_SECRET_ACCESS_KEY", &key.secret_access_key),
            ("COGAUTH_JWKS_URL", &jwks),
        ],
        vec![("req-old".to_owned(), json!({"id_token": user.id_token}))],
    )
    .await;
    assert_eq!(answers[0].body["statusCode"], 200, "logs:\n{logs}");
    assert!(
        logs.contains("migrate the function with `cogadmin lambda deploy`"),
        "logs:\n{logs}"
    );
    assert!(
        logs.contains("REQUIRE_ACCESS_TOKEN is not set"),
        "logs:\n{logs}"
    );
    assert!(
        !logs.contains(&key.secret_access_key),
        "the key was logged:\n{logs}"
    );
}

#[test]
fn bootstrap_with_missing_configuration_fails_at_start_with_a_clear_line() {
    let out = std::process::Command::new(BIN)
        .env_clear()
        .env("USER_POOL_ID", "us-east-1_AbC123")
        .env("CLIENT_IDS", "client1")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "cogauth-lambda cannot start: environment variable DEFAULT_ROLE_ARN is not set"
        ),
        "stderr: {stderr}"
    );

    let out = std::process::Command::new(BIN)
        .env_clear()
        .env("USER_POOL_ID", "us-east-1_AbC123")
        .env("CLIENT_IDS", "client1")
        .env("DEFAULT_ROLE_ARN", "arn:aws:iam::123456789012:role/R")
        .env(
            "IAM_USER_SECRET_ARN",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
        )
        .env("IAM_USER_ACCESS_KEY_ID", "AKIA")
        .env("IAM_USER_SECRET_ACCESS_KEY", "s")
        .env("MAX_DURATION_SECONDS", "86400")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("MAX_DURATION_SECONDS = `86400` is invalid"),
        "stderr: {stderr}"
    );
}
