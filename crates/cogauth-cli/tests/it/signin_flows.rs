//! The sign-ins of pools set up the way AWS recommends since 2024, through the real binary: in
//! a pseudo-terminal where it asks, from stdin where a script would answer, and each followed
//! by the AWS CLI on the result.
//! - choice-based sign-in (USER_AUTH): SELECT_CHALLENGE on the terminal, an email one-time code
//!   read back from the emulator (a wrong code refused), PASSWORD_SRP and PASSWORD by
//!   preference, a passkey refused for the browser, no terminal to choose on;
//! - custom auth (CUSTOM_AUTH, CUSTOM_WITH_SRP): the test serves its own Define, Create and
//!   Verify triggers over loopback HTTP, behind real Lambda invocations.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cogauth_test_support::emulator;
use cogauth_test_support::fixtures::{self, PoolOptions};

use crate::{PASSWORD, World, block_on, cogauth, cogauth_detached, fails, ok};

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
        "aws sts get-caller-identity failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["Account"], cogauth_test_support::ACCOUNT_ID);
}

fn signed_in_with(world: &World) -> String {
    world.status()["session"]["signed_in_with"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn pty(world: &World, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = world.home.command(crate::COGAUTH);
    cmd.args(args);
    rexpect::session::spawn_command(cmd, Some(30_000)).expect("spawn in a pty")
}

// --- Choice-based sign-in -------------------------------------------------------------------

fn choice_world(factors: Vec<&'static str>, configure: &[&str]) -> World {
    let mut args = vec!["--auth-flow", "choice"];
    args.extend_from_slice(configure);
    World::with_user_attributes(
        PoolOptions {
            first_auth_factors: Some(factors),
            ..Default::default()
        },
        &args,
        &[("email", "someone@example.com"), ("email_verified", "true")],
    )
}

/// Waits for the `n`-th one-time code the emulator sent the world's user.
fn nth_code(world: &World, n: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let codes = emulator().one_time_codes(&world.pool.user_pool_id, &world.user);
        if let Some(code) = codes.get(n - 1) {
            return code.clone();
        }
        assert!(Instant::now() < deadline, "no code number {n} was sent");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn email_one_time_code_chosen_on_the_terminal_and_a_wrong_code_refused() {
    let world = choice_world(vec!["PASSWORD", "EMAIL_OTP"], &[]);
    let mut session = pty(&world, &["login", "--profile", "dev", "-u", &world.user]);
    session.exp_string("How do you want to sign in?").unwrap();
    let (listing, _) = session.exp_regex("choose 1-3").unwrap();
    assert!(
        listing.contains("3) one-time code by email")
            && listing.contains("password (SRP: the password never leaves this machine)"),
        "{listing}"
    );
    session.send_line("3").unwrap();
    // Where the code went, masked as Cognito masks it.
    session
        .exp_string("Code sent by email to s***@e***")
        .unwrap();
    session.send_line("00000000").unwrap();
    session.exp_string("The code was not accepted").unwrap();
    session.exp_string("Code sent by email to").unwrap();
    session.send_line(&nth_code(&world, 1)).unwrap();
    let (report, _) = session.exp_regex("logged in as [^ ]+").unwrap();
    assert!(
        !report.contains("Password for"),
        "no password asked: {report}"
    );
    session.exp_eof().unwrap();

    assert_eq!(signed_in_with(&world), "choice: EMAIL_OTP");
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "USER_AUTH"),
        1
    );
    assert_aws_cli_works(&world);
}

#[test]
fn email_one_time_code_for_a_script_and_three_wrong_codes_end_the_login() {
    let world = choice_world(
        vec!["EMAIL_OTP", "PASSWORD"],
        &["--preferred-challenge", "EMAIL_OTP"],
    );
    // The code exists only once the sign-in has started: the script answers on stdin then.
    let mut child = world
        .home
        .command(crate::COGAUTH)
        .args([
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--challenge-answer-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = nth_code(&world, 1);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{code}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Code sent by email to s***@e***"),
        "{stderr}"
    );
    assert!(!stderr.contains(&code), "the code is not echoed: {stderr}");
    assert_eq!(signed_in_with(&world), "choice: EMAIL_OTP");
    assert_aws_cli_works(&world);

    // Wrong codes are refused, each; the third ends the login.
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--challenge-answer-stdin",
        ],
        "11111111\n22222222\n33333333\n",
    );
    let err = fails(&out);
    assert!(err.contains("was not accepted 3 times"), "{err}");
    assert_eq!(
        err.matches("The code was not accepted; check it").count(),
        2,
        "{err}"
    );
}

#[test]
fn password_and_srp_by_preference_need_no_prompt() {
    let world = choice_world(vec!["PASSWORD", "EMAIL_OTP"], &[]);
    ok(&world.login(&["--preferred-challenge", "PASSWORD_SRP"]));
    assert_eq!(signed_in_with(&world), "choice: PASSWORD_SRP");
    assert_aws_cli_works(&world);
    ok(&world.login(&["--preferred-challenge", "PASSWORD"]));
    assert_eq!(signed_in_with(&world), "choice: PASSWORD");
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "USER_AUTH"),
        2
    );
    assert!(
        emulator()
            .one_time_codes(&world.pool.user_pool_id, &world.user)
            .is_empty()
    );

    // A wrong password is refused as in the password flows (the SRP proof is verified).
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--preferred-challenge",
            "PASSWORD_SRP",
        ],
        "not-the-password\n",
    );
    assert!(fails(&out).contains("incorrect username or password"));
}

#[test]
fn the_preferred_challenge_from_the_profile_and_what_the_pool_does_not_offer() {
    // Only one-time codes and the password are allowed: SMS_OTP is not offered, so the choice
    // falls to the terminal, and without one the error says how to choose ahead.
    let world = choice_world(
        vec!["PASSWORD", "EMAIL_OTP"],
        &["--preferred-challenge", "SMS_OTP"],
    );
    let err = fails(&cogauth_detached(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    ));
    assert!(
        err.contains("offers several ways to sign in (PASSWORD, PASSWORD_SRP, EMAIL_OTP)")
            && err.contains("--preferred-challenge"),
        "{err}"
    );
    let status = world.status();
    assert_eq!(status["settings"]["auth_flow"]["value"], "choice");
    assert_eq!(
        status["settings"]["preferred_challenge"]["value"],
        "SMS_OTP"
    );

    // On the terminal the user is told, then chooses.
    let mut session = pty(&world, &["login", "--profile", "dev", "-u", &world.user]);
    session
        .exp_string("The user pool does not offer SMS_OTP")
        .unwrap();
    session.exp_string("choose 1-3").unwrap();
    session.send_line("2").unwrap();
    session.exp_string("Password for").unwrap();
    session.send_line(PASSWORD).unwrap();
    session.exp_string("logged in as").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(signed_in_with(&world), "choice: PASSWORD_SRP");
}

#[test]
fn a_passkey_needs_the_browser() {
    let world = choice_world(
        vec!["WEB_AUTHN", "PASSWORD"],
        &["--preferred-challenge", "WEB_AUTHN"],
    );
    emulator().register_passkey(&world.pool.user_pool_id, &world.user);
    let err = fails(&world.login(&[]));
    assert!(err.contains("passkeys need the browser"), "{err}");
    assert!(err.contains("managed_login_url"), "{err}");
}

#[test]
fn a_client_without_allow_user_auth_is_told_what_to_add() {
    // The pool allows the flow, the client does not.
    let world = World::new(PoolOptions::default(), &["--auth-flow", "choice"]);
    let err = fails(&world.login(&[]));
    assert!(
        err.contains("ALLOW_USER_AUTH") && err.contains(&world.pool.client_id),
        "{err}"
    );
}

// --- Custom auth ----------------------------------------------------------------------------

/// The test's own triggers: the password verifier after SRP_A (CUSTOM_WITH_SRP), then two
/// questions, the first shown (with a hint), the second hidden; tokens when both were answered
/// right, the sign-in failed after three wrong answers. Every Define event's `session` is
/// recorded.
#[derive(Default)]
struct Triggers {
    define_sessions: Mutex<Vec<serde_json::Value>>,
}

impl Triggers {
    fn handle(&self, mut event: serde_json::Value) -> serde_json::Value {
        let session = event["request"]["session"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let custom: Vec<&serde_json::Value> = session
            .iter()
            .filter(|s| s["challengeName"] == "CUSTOM_CHALLENGE")
            .collect();
        let right = custom
            .iter()
            .filter(|s| s["challengeResult"] == true)
            .count();
        let wrong = custom.len() - right;
        let response = match event["triggerSource"].as_str().unwrap_or_default() {
            "DefineAuthChallenge_Authentication" => {
                self.define_sessions
                    .lock()
                    .unwrap()
                    .push(event["request"]["session"].clone());
                let last = session.last().map(|s| s["challengeName"].clone());
                if last == Some("SRP_A".into()) {
                    // CUSTOM_WITH_SRP: the password first, as the developer guide's example.
                    serde_json::json!({
                        "challengeName": "PASSWORD_VERIFIER",
                        "issueTokens": false,
                        "failAuthentication": false,
                    })
                } else if wrong >= 3 {
                    serde_json::json!({"issueTokens": false, "failAuthentication": true})
                } else if right == 2 {
                    serde_json::json!({"issueTokens": true, "failAuthentication": false})
                } else {
                    serde_json::json!({
                        "challengeName": "CUSTOM_CHALLENGE",
                        "issueTokens": false,
                        "failAuthentication": false,
                    })
                }
            }
            "CreateAuthChallenge_Authentication" if right == 0 => serde_json::json!({
                "publicChallengeParameters": {"question": "What is 6 x 7?", "hint": "a number"},
                "privateChallengeParameters": {"answer": "42"},
                "challengeMetadata": "SUM",
            }),
            "CreateAuthChallenge_Authentication" => serde_json::json!({
                "publicChallengeParameters": {"question": "Card PIN", "hidden": "true"},
                "privateChallengeParameters": {"answer": "2468"},
                "challengeMetadata": "PIN",
            }),
            "VerifyAuthChallengeResponse_Authentication" => serde_json::json!({
                "answerCorrect": event["request"]["challengeAnswer"]
                    == event["request"]["privateChallengeParameters"]["answer"],
            }),
            other => panic!("unexpected trigger {other}"),
        };
        event["response"] = response;
        event
    }
}

/// Serves `triggers` over HTTP on 127.0.0.1 for the emulator's Invoke forwarding.
fn serve(triggers: Arc<Triggers>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/trigger", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let answer = triggers.handle(event).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

fn custom_world(configure: &[&str]) -> (World, Arc<Triggers>) {
    let triggers = Arc::new(Triggers::default());
    let url = serve(triggers.clone());
    let arns = ["define", "create", "verify"].map(|t| {
        let name = block_on(fixtures::create_lambda_function_with_env(
            &fixtures::unique(t),
            &[("COGAUTH_TEST_FORWARD_URL", &url)],
        ));
        fixtures::lambda_arn(&name)
    });
    let mut args = vec!["--auth-flow", "custom"];
    args.extend_from_slice(configure);
    let world = World::new(
        PoolOptions {
            custom_auth_triggers: Some(arns),
            ..Default::default()
        },
        &args,
    );
    (world, triggers)
}

#[test]
fn custom_challenges_answered_on_the_terminal_the_second_one_hidden() {
    let (world, triggers) = custom_world(&[]);
    let mut session = pty(&world, &["login", "--profile", "dev", "-u", &world.user]);
    session.exp_string("The user pool asks:").unwrap();
    session.exp_string("hint: a number").unwrap();
    session.exp_string("What is 6 x 7?:").unwrap();
    session.send_line("42").unwrap();
    session.exp_string("Card PIN:").unwrap();
    session.send_line("2468").unwrap();
    let shown = session.exp_string("logged in as").unwrap();
    assert!(
        !shown.contains("2468"),
        "the hidden answer is not echoed: {shown}"
    );
    assert!(
        !shown.contains("Password for"),
        "no password asked: {shown}"
    );
    session.exp_eof().unwrap();

    assert_eq!(signed_in_with(&world), "custom");
    assert_eq!(
        emulator().initiate_auth_calls(&world.pool.client_id, "CUSTOM_AUTH"),
        1
    );
    // Define saw both answers, with Create's metadata.
    let sessions = triggers.define_sessions.lock().unwrap();
    let last = sessions.last().unwrap().as_array().unwrap();
    assert_eq!(last.len(), 2, "{last:?}");
    assert_eq!(last[0]["challengeMetadata"], "SUM");
    assert_eq!(last[1]["challengeMetadata"], "PIN");
    drop(sessions);
    assert_aws_cli_works(&world);
}

#[test]
fn custom_with_srp_from_stdin_and_the_triggers_refusing() {
    let (world, triggers) = custom_world(&["--custom-with-srp", "true"]);
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--challenge-answer-stdin",
        ],
        &format!("{PASSWORD}\n42\n2468\n"),
    );
    ok(&out);
    assert_eq!(signed_in_with(&world), "custom with SRP");
    // The password was proven by SRP before the custom challenges.
    let sessions = triggers.define_sessions.lock().unwrap();
    let names: Vec<&str> = sessions
        .last()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["challengeName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "SRP_A",
            "PASSWORD_VERIFIER",
            "CUSTOM_CHALLENGE",
            "CUSTOM_CHALLENGE"
        ]
    );
    drop(sessions);
    assert_aws_cli_works(&world);

    // A wrong password fails at the SRP proof.
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--challenge-answer-stdin",
        ],
        "not-the-password\n42\n2468\n",
    );
    assert!(fails(&out).contains("incorrect username or password"));

    // Three wrong answers: the triggers end the sign-in.
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--challenge-answer-stdin",
        ],
        &format!("{PASSWORD}\n41\n40\n39\n"),
    );
    let err = fails(&out);
    assert!(err.contains("custom sign-in was refused"), "{err}");

    // Stdin that ends early says so.
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
            "--challenge-answer-stdin",
        ],
        &format!("{PASSWORD}\n42\n"),
    );
    let err = fails(&out);
    assert!(
        err.contains("stdin ended") && err.contains("Card PIN"),
        "{err}"
    );
}

#[test]
fn custom_auth_without_a_terminal_or_answers_fails_clearly() {
    let (world, _) = custom_world(&[]);
    // No terminal, no --challenge-answer-stdin.
    let out = cogauth_detached(
        &world.home,
        &["login", "--profile", "dev", "-u", &world.user],
        "",
    );
    let err = fails(&out);
    assert!(
        err.contains("no terminal") && err.contains("--challenge-answer-stdin"),
        "{err}"
    );
    // --password-stdin means nothing without SRP.
    let out = cogauth(
        &world.home,
        &[
            "login",
            "--profile",
            "dev",
            "-u",
            &world.user,
            "--password-stdin",
        ],
        "pw\n",
    );
    assert!(fails(&out).contains("--custom-with-srp"));
}
