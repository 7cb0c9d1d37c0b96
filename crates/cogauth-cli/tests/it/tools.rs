//! The AWS tools integration: credential_process, exec, export, logout, the session cache's
//! silent refresh and its single flight across processes.

use std::process::Stdio;

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::PoolOptions;

use crate::{World, cogauth, cogauth_with, credentials_expire_at, fails, ok};

/// Refreshes that reached the emulator, by either operation.
fn refreshes(world: &World) -> u64 {
    emulator().get_tokens_calls(&world.pool.client_id)
        + emulator().initiate_auth_calls(&world.pool.client_id, "REFRESH_TOKEN_AUTH")
}

#[test]
fn credential_process_profile_works_for_the_aws_cli() {
    let world = World::new(PoolOptions::default(), &["--aws-integration", "process"]);
    ok(&world.login(&[]));
    let config = world.home.read(".aws/config");
    assert!(
        config.contains("credential_process = ")
            && config.contains("credential-process --profile dev"),
        "{config}"
    );
    assert!(
        !world.home.join(".aws/credentials").exists()
            || !world.home.read(".aws/credentials").contains("[dev]")
    );

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

    // The protocol: JSON with Version 1 on stdout and nothing else.
    let out = cogauth(
        &world.home,
        &["credential-process", "--profile", "dev", "--window", "1"],
        "",
    );
    let stdout = ok(&out);
    let json: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("stdout is exactly one JSON document");
    assert_eq!(json["Version"], 1);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(json[key].is_string(), "{key} missing: {json}");
    }
    chrono::DateTime::parse_from_rfc3339(json["Expiration"].as_str().unwrap()).expect("RFC 3339");
}

#[test]
fn fresh_cache_is_served_without_a_refresh_and_expiry_drives_one() {
    // 70 s credentials (the emulator's tag): with a 1-minute window they are fresh for 10 s
    // after login, and need a refresh after that.
    let world = World::new(
        PoolOptions {
            credential_seconds: Some(70),
            ..PoolOptions::default()
        },
        &[],
    );
    ok(&world.login(&[]));
    let before = refreshes(&world);
    ok(&cogauth(
        &world.home,
        &["credential-process", "--profile", "dev", "--window", "1"],
        "",
    ));
    assert_eq!(refreshes(&world), before, "a fresh cache needs no refresh");

    // Wait until fewer than 60 s remain: the next call must refresh, silently.
    let expires = credentials_expire_at(&world.status());
    let wait = (expires - chrono::Duration::seconds(59)) - chrono::Utc::now();
    if let Ok(wait) = wait.to_std() {
        std::thread::sleep(wait);
    }
    let out = cogauth(
        &world.home,
        &["credential-process", "--profile", "dev", "--window", "1"],
        "",
    );
    ok(&out);
    assert_eq!(
        refreshes(&world),
        before + 1,
        "expiry drove exactly one refresh"
    );
    assert!(
        credentials_expire_at(&world.status()) > expires,
        "the cache holds the new credentials"
    );
}

/// Makes the cached credentials look expired, as if the machine had slept through their expiry.
pub fn expire_cached_credentials(world: &World) {
    let path = world.home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
}

#[test]
fn fifty_parallel_credential_process_calls_refresh_once() {
    let world = World::new(
        PoolOptions {
            with_client_secret: true,
            ..Default::default()
        },
        &[],
    );
    ok(&world.login(&[]));
    expire_cached_credentials(&world);
    let before = refreshes(&world);
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
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        let stdout = ok(out);
        let json: serde_json::Value =
            serde_json::from_str(stdout.trim()).expect("valid JSON from every process");
        assert_eq!(json["Version"], 1);
        assert_eq!(json["AccessKeyId"], "TESTACCESSKEY12345");
    }
    assert_eq!(
        refreshes(&world) - before,
        1,
        "exactly one refresh reached the emulator"
    );
}

#[test]
fn exec_runs_the_command_with_credentials_and_propagates_its_exit_code() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let out = cogauth_with(
        &world.home,
        &[
            "exec",
            "--profile",
            "dev",
            "--",
            "sh",
            "-c",
            "echo \"$AWS_ACCESS_KEY_ID|$AWS_REGION|${AWS_PROFILE-unset}|$COGAUTH_EXEC_PROFILE|$AWS_CREDENTIAL_EXPIRATION\"; exit 7",
        ],
        "",
        &[("AWS_PROFILE", "someone-else")],
    );
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = line.trim().split('|').collect();
    assert_eq!(parts[0], "TESTACCESSKEY12345");
    assert_eq!(parts[1], "us-east-1");
    assert_eq!(parts[2], "unset", "AWS_PROFILE is removed");
    assert_eq!(parts[3], "dev", "the nesting guard is set");
    chrono::DateTime::parse_from_rfc3339(parts[4]).expect("AWS_CREDENTIAL_EXPIRATION is RFC 3339");

    // Nesting is refused.
    let nested = cogauth_with(
        &world.home,
        &["exec", "--profile", "dev", "--", "true"],
        "",
        &[("COGAUTH_EXEC_PROFILE", "dev")],
    );
    assert!(fails(&nested).contains("already inside"));

    // A missing program: exit 127 and a clear message.
    let missing = cogauth(
        &world.home,
        &["exec", "--profile", "dev", "--", "no-such-program-xyz"],
        "",
    );
    assert_eq!(missing.status.code(), Some(127));

    // The AWS CLI works inside exec.
    let cli = emulator().aws_cli();
    let out = cogauth(
        &world.home,
        &[
            "exec",
            "--profile",
            "dev",
            "--",
            cli.to_str().unwrap(),
            "sts",
            "get-caller-identity",
        ],
        "",
    );
    ok(&out);
}

#[test]
fn export_prints_every_format() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let env = ok(&cogauth(&world.home, &["export", "--profile", "dev"], ""));
    assert!(
        env.contains("export AWS_ACCESS_KEY_ID='TESTACCESSKEY12345'"),
        "{env}"
    );
    // The output evaluates in a real shell.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{env}\necho \"$AWS_SECRET_ACCESS_KEY\""))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ABCSECRETKEY");
    for (format, needle) in [
        ("env-no-export", "AWS_SESSION_TOKEN='"),
        ("json", "\"Version\":1"),
        ("fish", "set -gx AWS_ACCESS_KEY_ID 'TESTACCESSKEY12345';"),
        (
            "powershell",
            "$Env:AWS_ACCESS_KEY_ID = 'TESTACCESSKEY12345'",
        ),
        ("dotenv", "AWS_ACCESS_KEY_ID='TESTACCESSKEY12345'"),
    ] {
        let text = ok(&cogauth(
            &world.home,
            &["export", "--profile", "dev", "--format", format],
            "",
        ));
        assert!(text.contains(needle), "{format}: {text}");
    }
}

#[test]
fn logout_revokes_and_removes_only_what_cogauth_wrote() {
    let world = World::new(PoolOptions::default(), &[]);
    world.home.write(
        ".aws/credentials",
        "# my keys\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = keep\n",
    );
    ok(&world.login(&[]));
    let out = cogauth(&world.home, &["logout", "--profile", "dev"], "");
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("revoked"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        world.home.read(".aws/credentials"),
        "# my keys\n[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = keep\n",
        "only cogauth's section is removed"
    );
    assert!(world.status()["session"].is_null());
    // With the session gone and no terminal, credential-process says how to log in.
    let err = fails(&cogauth(
        &world.home,
        &["credential-process", "--profile", "dev"],
        "",
    ));
    assert!(err.contains("cogauth login --profile dev"), "{err}");
}

#[test]
fn a_silent_refresh_keeps_the_credentials_file_current() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let expiry_line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("x_security_token_expires"))
            .unwrap()
            .to_owned()
    };
    let before = expiry_line(&world.home.read(".aws/credentials"));
    expire_cached_credentials(&world);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&cogauth(
        &world.home,
        &["export", "--profile", "dev", "--window", "1"],
        "",
    ));
    let after = expiry_line(&world.home.read(".aws/credentials"));
    assert_ne!(
        before, after,
        "the refreshed keys were written to the profile's section"
    );
}

#[test]
fn credential_process_without_a_session_logs_in_on_the_terminal() {
    let world = World::new(PoolOptions::default(), &[]);
    let mut cmd = world.home.command(crate::COGAUTH);
    cmd.args(["credential-process", "--profile", "dev", "--window", "1"]);
    let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty");
    session.exp_string("logging in now").unwrap();
    session.exp_string("Username").unwrap();
    session.send_line(&world.user).unwrap();
    session.exp_string("Password for").unwrap();
    session.send_line(crate::PASSWORD).unwrap();
    session.exp_string("\"Version\":1").unwrap();
    session.exp_eof().unwrap();
    // The session is cached: the next call is silent and needs no terminal.
    let out = cogauth(
        &world.home,
        &["credential-process", "--profile", "dev", "--window", "1"],
        "",
    );
    let json: serde_json::Value = serde_json::from_str(ok(&out).trim()).unwrap();
    assert_eq!(json["AccessKeyId"], "TESTACCESSKEY12345");
}

/// `(credential_process line, the profile's keys in ~/.aws/credentials)` right now.
fn hand_over(world: &World) -> (Option<String>, bool) {
    hand_over_in(&world.home, "dev")
}

fn hand_over_in(home: &cogauth_test_support::TestHome, profile: &str) -> (Option<String>, bool) {
    let config = home.read(".aws/config");
    let process = config
        .lines()
        .find(|l| l.starts_with("credential_process"))
        .map(str::to_owned);
    let credentials = home.join(".aws/credentials");
    let keys = credentials.exists() && {
        let text = home.read(".aws/credentials");
        text.contains(&format!("[{profile}]")) || text.contains("aws_secret_access_key")
    };
    (process, keys)
}

#[test]
fn the_process_integration_chosen_at_login_survives_every_refresh() {
    // The profile says nothing: credentials-file mode by default. The flag chooses process.
    let world = World::new(PoolOptions::default(), &[]);
    let out = world.login(&["--aws-integration", "process"]);
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("saved aws_integration = \"process\" in profile `dev`"),
        "{stderr}"
    );
    assert!(
        world
            .home
            .read(".config/cogauth/config.toml")
            .contains("aws_integration = \"process\""),
        "the choice is in the profile"
    );
    let (process, keys) = hand_over(&world);
    let process = process.expect("credential_process after the login");
    assert!(
        process.contains("credential-process --profile dev"),
        "{process}"
    );
    assert!(!keys, "no plaintext key after the login");

    // Every kind of refresh: the AWS CLI's credential_process, export, exec.
    let refreshers: [&[&str]; 3] = [
        &["credential-process", "--profile", "dev", "--window", "1"],
        &["export", "--profile", "dev", "--window", "1"],
        &["exec", "--profile", "dev", "--window", "1", "--", "true"],
    ];
    for args in refreshers {
        let before = refreshes(&world);
        expire_cached_credentials(&world);
        ok(&cogauth(&world.home, args, ""));
        assert_eq!(refreshes(&world), before + 1, "{args:?} refreshed");
        assert_eq!(
            hand_over(&world),
            (Some(process.clone()), false),
            "after `cogauth {}`: credential_process kept, no plaintext key",
            args[0]
        );
    }

    // A later login without the flag keeps the saved choice, and says nothing about it.
    let out = world.login(&[]);
    ok(&out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("saved aws_integration"));
    assert_eq!(hand_over(&world), (Some(process), false));
    // The AWS CLI gets its credentials from the process.
    let out = world.aws(&["sts", "get-caller-identity", "--profile", "dev"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_profile_from_the_original_tools_json_is_not_copied_to_save_the_integration() {
    use cogauth_test_support::fixtures;
    let pool = crate::block_on(fixtures::create_pool(PoolOptions::default()));
    let user = fixtures::unique("user");
    crate::block_on(fixtures::create_user(&pool, &user, crate::PASSWORD));
    let home = cogauth_test_support::TestHome::new();
    home.write(
        ".cognito-cli-config.json",
        &format!(
            r#"{{"user_pool_id":"{}","client_id":"{}","identity_pool_id":"{}"}}"#,
            pool.user_pool_id, pool.client_id, pool.identity_pool_id
        ),
    );
    let out = cogauth(
        &home,
        &[
            "login",
            "-u",
            &user,
            "--password-stdin",
            "--no-lambda-proxy",
            "--aws-integration",
            "process",
        ],
        &format!("{}\n", crate::PASSWORD),
    );
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--aws-integration process applies to this login only")
            && stderr.contains("hides the original tool's")
            && stderr.contains(".cognito-cli-config.json")
            && stderr.contains("cogauth configure --profile default --import-legacy"),
        "{stderr}"
    );
    assert!(
        !home.config_file().exists(),
        "a config.toml would hide the JSON file"
    );
    // Refreshes keep the hand-over all the same.
    let process = hand_over_in(&home, "default")
        .0
        .expect("credential_process");
    let path = home.join(".cache/cogauth/default.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
    ok(&cogauth(
        &home,
        &["credential-process", "--no-lambda-proxy", "--window", "1"],
        "",
    ));
    assert_eq!(hand_over_in(&home, "default"), (Some(process), false));
}
