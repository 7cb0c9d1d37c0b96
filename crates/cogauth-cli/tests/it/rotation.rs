//! Refresh-token rotation through the real binary: GetTokensFromRefreshToken, the new token
//! stored under the profile's lock, single flight across 50 processes with a grace period of 0,
//! what a lost rotation costs with and without a grace period, and REFRESH_TOKEN_AUTH where the
//! endpoint does not offer GetTokensFromRefreshToken.

use std::process::Stdio;

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::PoolOptions;

use crate::tools::expire_cached_credentials;
use crate::{World, cogauth_detached, fails, ok};

fn rotating(grace: i32, configure: &[&str]) -> World {
    World::new(
        PoolOptions {
            with_client_secret: true,
            refresh_rotation_grace: Some(grace),
            ..Default::default()
        },
        configure,
    )
}

fn cached_refresh_token(world: &World) -> String {
    let session: serde_json::Value =
        serde_json::from_str(&world.home.read(".cache/cogauth/dev.json")).unwrap();
    session["refresh_token"].as_str().unwrap().to_owned()
}

/// Without a terminal: a refresh that fails must not turn into a login.
fn credential_process(world: &World) -> std::process::Output {
    cogauth_detached(
        &world.home,
        &["credential-process", "--profile", "dev", "--window", "1"],
        "",
    )
}

#[test]
fn fifty_parallel_credential_process_calls_rotate_once_with_no_grace_period() {
    let world = rotating(0, &["--aws-integration", "process"]);
    ok(&world.login(&[]));
    let first_token = cached_refresh_token(&world);
    expire_cached_credentials(&world);
    let before = emulator().get_tokens_calls(&world.pool.client_id);

    let children: Vec<_> = (0..50)
        .map(|_| {
            world
                .home
                .command(crate::COGAUTH)
                .args(["credential-process", "--profile", "dev", "--window", "1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let now = chrono::Utc::now();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let json: serde_json::Value =
            serde_json::from_str(ok(&out).trim()).expect("valid JSON from every process");
        assert_eq!(json["Version"], 1);
        let expires =
            chrono::DateTime::parse_from_rfc3339(json["Expiration"].as_str().unwrap()).unwrap();
        assert!(
            expires > now,
            "every process ends with valid credentials: {json}"
        );
    }
    assert_eq!(
        emulator().get_tokens_calls(&world.pool.client_id) - before,
        1,
        "exactly one rotation reached the emulator"
    );
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "REFRESH_TOKEN_AUTH"),
        0
    );
    let rotated = cached_refresh_token(&world);
    assert_ne!(rotated, first_token, "the rotated token is the one stored");
    let status = world.status();
    assert_eq!(status["session"]["refresh_rotates"], true, "{status}");

    // The stored token is the live one: the next refresh works with it, and rotates again.
    expire_cached_credentials(&world);
    ok(&credential_process(&world));
    assert_eq!(
        emulator().get_tokens_calls(&world.pool.client_id) - before,
        2
    );
    assert_ne!(cached_refresh_token(&world), rotated);

    // And the AWS CLI gets its credentials through credential_process.
    let out = world.aws(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "dev",
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_rotation_lost_before_it_was_stored_costs_a_login_without_a_grace_period() {
    let world = rotating(0, &[]);
    ok(&world.login(&[]));
    let cache = world.home.join(".cache/cogauth/dev.json");
    expire_cached_credentials(&world);
    // The cache as a process finds it, then loses the answer of its refresh (killed between
    // Cognito's answer and the write): the old, now dead, token stays cached.
    let before_refresh = std::fs::read(&cache).unwrap();
    ok(&credential_process(&world));
    std::fs::write(&cache, before_refresh).unwrap();

    let err = fails(&credential_process(&world));
    assert!(
        err.contains("replaced by refresh-token rotation") && err.contains("cogauth login"),
        "{err}"
    );
    assert!(!err.contains("AWS error"), "{err}");
    // A login mends it.
    ok(&world.login(&[]));
    ok(&credential_process(&world));
}

#[test]
fn a_rotation_lost_before_it_was_stored_is_recovered_within_the_grace_period() {
    let world = rotating(60, &[]);
    ok(&world.login(&[]));
    let cache = world.home.join(".cache/cogauth/dev.json");
    expire_cached_credentials(&world);
    let before_refresh = std::fs::read(&cache).unwrap();
    ok(&credential_process(&world));
    std::fs::write(&cache, before_refresh).unwrap();

    // Within RetryGracePeriodSeconds the old token still works, and rotates again.
    let old = cached_refresh_token(&world);
    ok(&credential_process(&world));
    assert_ne!(cached_refresh_token(&world), old);
}

#[test]
fn refresh_token_auth_where_get_tokens_is_not_offered() {
    let world = World::new(PoolOptions::default(), &[]);
    emulator().offer_get_tokens(&world.pool.client_id, false);
    ok(&world.login(&[]));
    expire_cached_credentials(&world);
    ok(&credential_process(&world));
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "REFRESH_TOKEN_AUTH"),
        1
    );
    assert_eq!(world.status()["session"]["refresh_rotates"], false);
}
