//! `cogauth login` end to end against the emulator: the flows, the errors, the challenges,
//! the identity flows, the Lambda upgrade, and the AWS CLI using what was written.

use cogauth_test_support::fixtures::{self, PoolOptions};
use cogauth_test_support::{TestHome, emulator};

use crate::{PASSWORD, World, block_on, cogauth, credentials_expire_at, fails, ok};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
fn assert_aws_cli_works(world: &World) {
    let out = world.aws(&[
        "sts",
        "get-caller-identity",
        "--profile",
        &world.profile,
        "--output",
        "json",
    ]);
    assert!(
        out.status.success(),
        "aws sts get-caller-identity failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["Account"], cogauth_test_support::ACCOUNT_ID);
}

#[test]
fn srp_login_writes_credentials_the_aws_cli_uses() {
    let world = World::new(PoolOptions::default(), &[]);
    let out = world.login(&[]);
    ok(&out);
    assert!(out.stdout.is_empty(), "login prints nothing on stdout");
    let report = stderr(&out);
    assert!(
        report.contains("identity pool (enhanced flow, 1 h)"),
        "{report}"
    );
    assert!(
        report.contains("us-east-1:"),
        "the report names the identity id: {report}"
    );
    assert!(!report.contains(PASSWORD));

    let creds = world.home.read(".aws/credentials");
    assert!(
        creds.contains("[dev]")
            && creds.contains("aws_session_token")
            && creds.contains("x_security_token_expires"),
        "{creds}"
    );
    let config = world.home.read(".aws/config");
    assert!(
        config.contains("[profile dev]") && config.contains("region = us-east-1"),
        "{config}"
    );
    // SRP: the app client saw USER_SRP_AUTH, never the password flow.
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "USER_PASSWORD_AUTH"),
        0
    );
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "USER_SRP_AUTH"),
        1
    );
    assert_aws_cli_works(&world);
}

#[test]
fn srp_login_with_a_client_secret() {
    let world = World::new(
        PoolOptions {
            with_client_secret: true,
            ..Default::default()
        },
        &[],
    );
    ok(&world.login(&[]));
    assert_aws_cli_works(&world);
}

#[test]
fn password_flow_login_and_its_errors() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&["--auth-flow", "password"]));
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "USER_PASSWORD_AUTH"),
        1
    );

    // moto checks passwords only in the password flow (SRP proofs are never verified there).
    let wrong = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--auth-flow",
            "password",
        ],
        "not-the-password\n",
    );
    let wrong = fails(&wrong);
    let unknown = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            "nobody-here",
            "--password-stdin",
            "--auth-flow",
            "password",
        ],
        &format!("{PASSWORD}\n"),
    );
    let unknown = fails(&unknown);
    // Both say the same thing: never reveal whether a user exists.
    assert!(
        wrong
            .to_lowercase()
            .contains("incorrect username or password"),
        "{wrong}"
    );
    assert!(
        unknown
            .to_lowercase()
            .contains("incorrect username or password"),
        "{unknown}"
    );
    assert!(!wrong.contains("not-the-password"));
}

#[test]
fn new_password_required_is_answered_in_a_terminal() {
    let pool = block_on(fixtures::create_pool(PoolOptions::default()));
    let user = fixtures::unique("newbie");
    block_on(fixtures::create_user_with_temporary_password(
        &pool,
        &user,
        "Temp-Passw0rd!",
    ));
    let home = TestHome::new();
    ok(&cogauth(
        &home,
        &[
            "configure",
            "--user-pool-id",
            &pool.user_pool_id,
            "--client-id",
            &pool.client_id,
            "--identity-pool-id",
            &pool.identity_pool_id,
        ],
        "",
    ));
    let mut cmd = home.command(crate::COGAUTH);
    cmd.args(["login", "-u", &user]);
    let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty");
    session.exp_string("Password for").unwrap();
    session.send_line("Temp-Passw0rd!").unwrap();
    session.exp_regex("(?i)new password").unwrap();
    session.send_line("Brand-New-Passw0rd!").unwrap();
    session.exp_regex("(?i)(again|confirm|repeat)").unwrap();
    session.send_line("Brand-New-Passw0rd!").unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();

    // The new password works from now on (password flow: moto checks it there).
    let again = cogauth(
        &home,
        &[
            "login",
            "-u",
            &user,
            "--password-stdin",
            "--auth-flow",
            "password",
        ],
        "Brand-New-Passw0rd!\n",
    );
    ok(&again);
}

#[test]
fn basic_flow_gives_the_requested_duration_without_a_lambda() {
    let pool_opts = PoolOptions {
        allow_classic_flow: true,
        ..Default::default()
    };
    let world = World::new(pool_opts, &[]);
    ok(&cogauth(
        &world.home,
        &[
            "configure",
            "--profile",
            "dev",
            "--identity-flow",
            "basic",
            "--role-arn",
            &world.pool.role_arn,
        ],
        "",
    ));
    let out = world.login(&["--duration", "8"]);
    ok(&out);
    assert!(stderr(&out).contains("basic flow"), "{}", stderr(&out));
    let expires = credentials_expire_at(&world.status());
    let hours = (expires - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!(
        (7.5..=8.0).contains(&hours),
        "basic-flow credentials last {hours} h, asked for 8"
    );
    assert_aws_cli_works(&world);
}

#[test]
fn duration_out_of_range_is_refused() {
    let home = TestHome::offline();
    let err = fails(&cogauth(
        &home,
        &["login", "--duration", "13", "--password-stdin", "-u", "x"],
        "pw\n",
    ));
    assert!(err.contains("--duration") || err.contains("13"), "{err}");
}

#[test]
fn login_needs_no_aws_credentials_even_with_a_broken_credentials_file() {
    let world = World::new(PoolOptions::default(), &[]);
    world.home.write(
        ".aws/credentials",
        "this is [not an ini file\n\0\u{1}garbage",
    );
    let before = world.home.read(".aws/credentials");
    // The login itself works (it never reads ~/.aws); handing keys to a file that cannot be
    // parsed is refused with a clear error, and the file is left exactly as it was.
    let err = fails(&world.login(&[]));
    assert!(
        err.contains(".aws/credentials") && err.contains("line 1"),
        "{err}"
    );
    assert_eq!(world.home.read(".aws/credentials"), before);
    // The session was cached: the other ways of handing credentials over still work.
    let env = ok(&cogauth(
        &world.home,
        &["export", "--profile", "dev", "--window", "1"],
        "",
    ));
    assert!(env.contains("TESTACCESSKEY12345"), "{env}");
}

#[test]
fn software_token_mfa_with_mfa_code_and_a_wrong_code() {
    use cogauth_test_support::totp;
    let world = World::new(PoolOptions::default(), &[]);
    block_on(fixtures::enable_software_token(
        &world.pool,
        &world.user,
        PASSWORD,
    ));

    let wrong = fails(&world.login(&["--mfa-code", &totp::wrong_code()]));
    assert!(wrong.to_lowercase().contains("code"), "{wrong}");

    let out = world.login(&["--mfa-code", &totp::current_code()]);
    ok(&out);
    assert!(world.home.read(".aws/credentials").contains("[dev]"));

    // Without --mfa-code and without a terminal, the error says what to pass.
    let mut cmd = world.home.command("setsid");
    cmd.args([
        crate::COGAUTH,
        "login",
        "--profile",
        "dev",
        "-u",
        &world.user,
        "--password-stdin",
    ]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("{PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    let err = fails(&child.wait_with_output().unwrap());
    assert!(err.contains("--mfa-code"), "{err}");
}

#[test]
fn verbose_login_shows_each_aws_call_and_no_secret() {
    let world = World::new(
        PoolOptions {
            with_client_secret: true,
            ..Default::default()
        },
        &[],
    );
    let out = world.login(&["-v"]);
    ok(&out);
    let log = stderr(&out);
    for operation in [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "GetId",
        "GetCredentialsForIdentity",
    ] {
        assert!(log.contains(operation), "-v shows {operation}:\n{log}");
    }
    assert!(
        log.contains(emulator().endpoint()),
        "-v names the endpoint:\n{log}"
    );
    assert!(log.contains("elapsed_ms"), "-v gives durations:\n{log}");
    assert!(!log.contains(PASSWORD));
    assert!(!log.contains(world.pool.client_secret.as_deref().unwrap()));
    let cache = world.home.read(".cache/cogauth/dev.json");
    let session: serde_json::Value = serde_json::from_str(&cache).unwrap();
    let refresh_token = session["refresh_token"].as_str().unwrap();
    assert!(
        !log.contains(refresh_token),
        "the refresh token is never logged"
    );
}

#[test]
fn the_identity_id_is_cached_so_logins_do_not_create_new_identities() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let first = world.status()["session"]["identity_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&world.login(&[]));
    ok(&world.login(&["--auth-flow", "password"]));
    assert_eq!(world.status()["session"]["identity_id"], first.as_str());
    let identities = block_on(async {
        fixtures::identity_client()
            .await
            .list_identities()
            .identity_pool_id(&world.pool.identity_pool_id)
            .max_results(60)
            .send()
            .await
            .unwrap()
    });
    assert_eq!(
        identities.identities().len(),
        1,
        "one identity for three logins"
    );
}

#[test]
fn a_second_user_of_the_profile_gets_their_own_identity() {
    let world = World::new(PoolOptions::default(), &[]);
    let bob = fixtures::unique("bob");
    block_on(fixtures::create_user(&world.pool, &bob, PASSWORD));
    let identity_id = |world: &World| {
        world.status()["session"]["identity_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let login_as = |user: &str| {
        ok(&cogauth(
            &world.home,
            &["login", "--profile", "dev", "-u", user, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        ))
    };

    ok(&world.login(&[]));
    let alice = identity_id(&world);
    login_as(&bob);
    let bob_identity = identity_id(&world);
    assert_ne!(bob_identity, alice, "Bob never gets Alice's identity id");
    // Bob's own identity is reused for Bob.
    login_as(&bob);
    assert_eq!(identity_id(&world), bob_identity);
    let identities = block_on(async {
        fixtures::identity_client()
            .await
            .list_identities()
            .identity_pool_id(&world.pool.identity_pool_id)
            .max_results(60)
            .send()
            .await
            .unwrap()
    });
    assert_eq!(identities.identities().len(), 2, "one identity per user");
}
