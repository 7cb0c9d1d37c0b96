//! The Lambda upgrade through `cogauth login`: success, an error answer, a malformed answer and
//! a missing function. moto runs no Lambda code: each test queues the function's answer.

use std::sync::Mutex;

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::{self, PoolOptions};

use crate::{World, block_on, cogauth, ok};

/// moto's queue of Lambda results is shared by every function: one upgrade test at a time.
static QUEUE: Mutex<()> = Mutex::new(());

fn world_with_proxy(function: &str) -> World {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--lambda-function",
            function,
        ],
        "",
    ));
    world
}

fn proxy_answer(access_key: &str) -> String {
    let expiration = (chrono::Utc::now() + chrono::Duration::hours(12)).to_rfc3339();
    let body = serde_json::json!({
        "access_key_id": access_key,
        "secret_access_key": "upgraded-secret",
        "session_token": "upgraded-token",
        "expiration": expiration,
        "user_id": "sub",
        "username": "user",
    });
    serde_json::json!({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body.to_string()}).to_string()
}

#[test]
fn lambda_upgrade_success_error_malformed_and_missing() {
    let _one_at_a_time = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    let function = block_on(fixtures::create_lambda_function(&fixtures::unique("proxy")));
    let world = world_with_proxy(&function);

    // Success: the 12 h credentials replace the 1 h ones.
    emulator().queue_lambda_result(&proxy_answer("ASIAUPGRADED0001"));
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("Lambda credential proxy"), "{report}");
    assert!(!report.contains("warning"), "{report}");
    assert!(
        world
            .home
            .read(".aws/credentials")
            .contains("ASIAUPGRADED0001")
    );

    // An error answer: fall back to 1 h credentials, and say why.
    emulator()
        .queue_lambda_result(r#"{"statusCode": 401, "body": "{\"error\": \"invalid token\"}"}"#);
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("warning") && report.contains("401") && report.contains("invalid token"),
        "{report}"
    );
    assert!(
        report.contains("identity pool (enhanced flow, 1 h)"),
        "{report}"
    );
    assert!(
        world
            .home
            .read(".aws/credentials")
            .contains("TESTACCESSKEY12345")
    );

    // A malformed answer.
    emulator().queue_lambda_result("this is not json");
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("warning") && report.contains("cannot read"),
        "{report}"
    );

    // --no-lambda-proxy skips it altogether (nothing queued is consumed).
    let out = world.login(&["--no-lambda-proxy"]);
    ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
}

#[test]
fn missing_lambda_function_falls_back_with_a_warning() {
    let world = world_with_proxy("no-such-proxy-function");
    let out = world.login(&[]);
    ok(&out);
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(
        report.contains("warning") && report.contains("no-such-proxy-function"),
        "{report}"
    );
    assert!(
        report.contains("identity pool (enhanced flow, 1 h)"),
        "{report}"
    );
}
