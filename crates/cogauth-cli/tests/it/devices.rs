//! Remembered devices through the real binary, against the emulator's device tracking (which
//! verifies the device SRP proof against the verifier ConfirmDevice registered): a remembered
//! device skips MFA at the next login, its refresh sends DEVICE_KEY, a wrong device secret is
//! refused, logout keeps the device and `--forget-device` has the pool forget it; a pool that
//! asks the user, on the terminal and with `--remember-device`.

use std::process::Output;

use cogauth_test_support::fixtures::{self, PoolOptions};
use cogauth_test_support::totp;

use crate::tools::expire_cached_credentials;
use crate::{PASSWORD, World, block_on, cogauth, cogauth_detached, fails, ok};

/// A pool that tracks devices (ChallengeRequiredOnNewDevice, DeviceOnlyRememberedOnUserPrompt)
/// and a user with an authenticator app, so that every login asks for MFA unless a remembered
/// device lets it skip.
fn device_world(challenge_required: bool, on_prompt: bool) -> World {
    let world = World::new(
        PoolOptions {
            device_tracking: Some((challenge_required, on_prompt)),
            ..Default::default()
        },
        &[],
    );
    block_on(fixtures::enable_software_token(
        &world.pool,
        &world.user,
        PASSWORD,
    ));
    world
}

/// `cogauth login ... --password-stdin ARGS` without a controlling terminal: a question that
/// needs one fails instead of waiting.
fn login_detached(world: &World, args: &[&str]) -> Output {
    let mut all = vec![
        "login",
        "--profile",
        "dev",
        "-u",
        &world.user,
        "--password-stdin",
    ];
    all.extend_from_slice(args);
    cogauth_detached(&world.home, &all, &format!("{PASSWORD}\n"))
}

/// The devices the pool keeps for the user (AdminListDevices): (key, remembered status, name).
fn devices(world: &World) -> Vec<(String, String, String)> {
    block_on(async {
        fixtures::idp_client()
            .await
            .admin_list_devices()
            .user_pool_id(&world.pool.user_pool_id)
            .username(&world.user)
            .send()
            .await
            .expect("AdminListDevices")
            .devices()
            .iter()
            .map(|d| {
                let attribute = |name: &str| {
                    d.device_attributes()
                        .iter()
                        .find(|a| a.name() == name)
                        .and_then(|a| a.value())
                        .unwrap_or_default()
                        .to_owned()
                };
                (
                    d.device_key().unwrap_or_default().to_owned(),
                    attribute("dev:device_remembered_status"),
                    attribute("device_name"),
                )
            })
            .collect()
    })
}

fn cached(world: &World) -> serde_json::Value {
    serde_json::from_str(&world.home.read(".cache/cogauth/dev.json")).unwrap()
}

#[track_caller]
fn assert_aws_cli_works(world: &World) {
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
fn a_remembered_device_skips_mfa_and_a_wrong_device_secret_is_refused() {
    let world = device_world(true, false);
    // Without MFA the first login cannot finish: the device is new.
    assert!(fails(&login_detached(&world, &[])).contains("--mfa-code"));
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code()],
    ));
    let session = cached(&world);
    let key = session["device_key"].as_str().unwrap().to_owned();
    assert!(
        session["device_password"]
            .as_str()
            .is_some_and(|p| p.len() > 40)
    );
    assert_eq!(session["device_remembered"], true);
    let listed = devices(&world);
    let ours = listed
        .iter()
        .find(|(k, ..)| *k == key)
        .expect("the pool lists it");
    assert_eq!(ours.1, "remembered");
    assert!(ours.2.starts_with("cogauth"), "{listed:?}");
    let status = world.status();
    assert_eq!(status["session"]["device"]["key"], key.as_str());
    assert_eq!(status["session"]["device"]["remembered"], true);
    let text = ok(&cogauth(&world.home, &["status", "--profile", "dev"], ""));
    assert!(
        text.contains(&format!("device:       {key}"))
            && text.contains("remembered by the user pool"),
        "{text}"
    );

    // The second login proves the device and skips MFA: no code, no terminal.
    ok(&login_detached(&world, &[]));
    assert_eq!(
        cached(&world)["device_key"],
        key.as_str(),
        "the same device"
    );
    assert_aws_cli_works(&world);

    // A refresh sends the DEVICE_KEY the refresh token is bound to.
    expire_cached_credentials(&world);
    ok(&cogauth(
        &world.home,
        &["credential-process", "--profile", "dev", "--window", "1"],
        "",
    ));

    // A wrong device secret: the pool refuses the proof, cogauth forgets the device here.
    let path = world.home.join(".cache/cogauth/dev.json");
    let mut session = cached(&world);
    session["device_password"] = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZy1zZWNyZXQ=".into();
    std::fs::write(&path, session.to_string()).unwrap();
    let err = fails(&login_detached(&world, &[]));
    assert!(
        err.contains(&format!(
            "did not accept this machine's remembered device `{key}`"
        )),
        "{err}"
    );
    assert!(cached(&world)["device_password"].is_null());
    // The next login is a new device's: MFA again, then a new device.
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code()],
    ));
    let new_key = cached(&world)["device_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, key);

    // A plain logout keeps the device: the next login still skips MFA.
    let out = cogauth(&world.home, &["logout", "--profile", "dev"], "");
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(&out);
    assert!(
        report.contains("kept this machine's remembered device"),
        "{report}"
    );
    let status = world.status();
    assert_eq!(status["session"]["logged_in"], false, "{status}");
    assert_eq!(status["session"]["device"]["key"], new_key.as_str());
    ok(&login_detached(&world, &[]));

    // --forget-device: the pool forgets it, and so does cogauth; MFA is asked again.
    let out = cogauth(
        &world.home,
        &["logout", "--profile", "dev", "--forget-device"],
        "",
    );
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(&out);
    assert!(
        report.contains(&format!("the user pool forgot device {new_key}")),
        "{report}"
    );
    assert!(report.contains("refresh token revoked"), "{report}");
    assert!(!devices(&world).iter().any(|(k, ..)| *k == new_key));
    assert!(!world.home.join(".cache/cogauth/dev.json").exists());
    assert!(fails(&login_detached(&world, &[])).contains("--mfa-code"));
}

#[test]
fn the_pool_that_asks_the_user_remembers_only_on_a_yes() {
    let world = device_world(true, true);

    // No terminal and no --remember-device: tracked, not remembered; MFA is still asked.
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code()],
    ));
    assert_eq!(cached(&world)["device_remembered"], false);
    assert!(fails(&login_detached(&world, &[])).contains("--mfa-code"));
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code()],
    ));
    let text = ok(&cogauth(&world.home, &["status", "--profile", "dev"], ""));
    assert!(text.contains("tracked, not remembered"), "{text}");

    // On the terminal: asked, and yes. Then no MFA at the next login.
    ok(&cogauth(
        &world.home,
        &["logout", "--profile", "dev", "--forget-device"],
        "",
    ));
    let mut cmd = world.home.command(crate::COGAUTH);
    cmd.args(["login", "--profile", "dev", "-u", &world.user]);
    let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty");
    session.exp_string("Password for").unwrap();
    session.send_line(PASSWORD).unwrap();
    session
        .exp_string("Code from the authenticator app")
        .unwrap();
    session.send_line(&totp::current_code()).unwrap();
    session.exp_string("Remember this device").unwrap();
    session.exp_string("choose 1-2").unwrap();
    session.send_line("2").unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();
    let key = cached(&world)["device_key"].as_str().unwrap().to_owned();
    assert!(devices(&world).contains(&(
        key.clone(),
        "remembered".to_owned(),
        cached(&world)["device_name"].as_str().unwrap().to_owned()
    )));
    ok(&login_detached(&world, &[]));

    // --remember-device says yes without asking.
    ok(&cogauth(
        &world.home,
        &["logout", "--profile", "dev", "--forget-device"],
        "",
    ));
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code(), "--remember-device"],
    ));
    assert_eq!(cached(&world)["device_remembered"], true);
    ok(&login_detached(&world, &[]));
    assert_aws_cli_works(&world);
}

#[test]
fn where_remembered_devices_do_not_skip_mfa_the_device_is_still_proven() {
    // ChallengeRequiredOnNewDevice off: the pool remembers the device, and still asks MFA.
    let world = device_world(false, false);
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code()],
    ));
    assert_eq!(cached(&world)["device_remembered"], true);
    assert!(fails(&login_detached(&world, &[])).contains("--mfa-code"));
    ok(&login_detached(
        &world,
        &["--mfa-code", &totp::current_code()],
    ));
    assert_aws_cli_works(&world);
}
