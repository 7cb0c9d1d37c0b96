//! What users read: colour only on a terminal, one warning per fallback, hints that name the
//! flag that helps, prompts that say each thing once, and `.env` output that dotenv parsers read
//! back exactly.

use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures::PoolOptions;

use crate::{World, cogauth, cogauth_without_terminal, fails, ok};

const ESC: &str = "\u{1b}[";

#[test]
fn log_lines_are_coloured_only_on_a_terminal_and_never_with_no_color() {
    let home = TestHome::offline();
    // An invalid timeout is one warning line, before anything else happens.
    let warn = [("COGAUTH_AWS_TIMEOUT", "bogus")];

    // stderr to a pipe, NO_COLOR unset: plain text.
    let mut cmd = home.command(crate::COGAUTH);
    cmd.arg("doctor").envs(warn).env_remove("NO_COLOR");
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WARN") && err.contains("COGAUTH_AWS_TIMEOUT"),
        "{err}"
    );
    assert!(!err.contains(ESC), "no escape codes into a pipe: {err:?}");

    // On a terminal: colour, unless NO_COLOR is set.
    let on_terminal = |no_color: Option<&str>| {
        let mut cmd = home.command(crate::COGAUTH);
        cmd.arg("doctor").envs(warn).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
        session.exp_eof().unwrap()
    };
    let coloured = on_terminal(None);
    assert!(
        coloured.contains(ESC) && coloured.contains("WARN"),
        "{coloured:?}"
    );
    let plain = on_terminal(Some("1"));
    assert!(plain.contains("WARN") && !plain.contains(ESC), "{plain:?}");
}

#[test]
fn a_lambda_fallback_is_warned_about_once() {
    let world = World::new(
        PoolOptions::default(),
        &["--lambda-function", "no-such-proxy-for-one-warning"],
    );
    let out = world.login(&[]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.to_lowercase().contains("warn"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning line:\n{err}");
    assert!(
        warnings[0].starts_with("warning: ")
            && warnings[0].contains("no-such-proxy-for-one-warning")
            && warnings[0].ends_with("using the identity pool's 1 h credentials instead"),
        "{}",
        warnings[0]
    );
}

#[test]
fn login_without_a_username_names_the_username_flag() {
    let home = TestHome::offline();
    ok(&cogauth(
        &home,
        &[
            "configure",
            "--user-pool-id",
            "us-east-1_AbC",
            "--client-id",
            "client123",
            "--identity-pool-id",
            "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab",
        ],
        "",
    ));
    let err = fails(&cogauth_without_terminal(&home, &["login"], ""));
    assert_eq!(
        err,
        "cogauth: error: no username, and no terminal to ask for one: pass -u/--username USER, \
         or set it once with `cogauth configure --profile default --username USER`\n"
    );
    let err = fails(&cogauth(&home, &["login", "--password-stdin"], "pw\n"));
    assert_eq!(
        err,
        "cogauth: error: no username (--password-stdin logs in without asking): pass \
         -u/--username USER, or set it once with `cogauth configure --profile default --username \
         USER`\n"
    );
}

#[test]
fn the_region_prompt_says_optional_once() {
    let home = TestHome::offline();
    let mut cmd = home.command(crate::COGAUTH);
    cmd.args(["configure", "--profile", "tty"]);
    let mut session = rexpect::session::spawn_command(cmd, Some(15_000)).unwrap();
    session.exp_string("Cognito User Pool ID: ").unwrap();
    session.send_line("eu-west-2_AbC").unwrap();
    session.exp_string("Cognito User Pool Client ID: ").unwrap();
    session.send_line("client123").unwrap();
    session.exp_string("Cognito Identity Pool ID: ").unwrap();
    session
        .send_line("eu-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab")
        .unwrap();
    let (before, _) = session.exp_regex(r"\): ").unwrap();
    assert_eq!(
        before.trim_start(),
        "AWS Region (optional, default: eu-west-2, the user pool's region",
        "the whole prompt"
    );
    // A region that contradicts the pool is asked again.
    session.send_line("us-east-1").unwrap();
    session
        .exp_string(
            "`us-east-1` contradicts the pools (user pool `eu-west-2_AbC` is in eu-west-2, identity \
             pool `eu-west-2:8f1c2a3b-1234-4abc-9def-0123456789ab` is in eu-west-2): leave it \
             empty for eu-west-2",
        )
        .unwrap();
    session.send_line("").unwrap();
    session
        .exp_string("Managed Login Page URL (optional, for browser sign-in, e.g. https://myapp.auth.us-east-1.amazoncognito.com): ")
        .unwrap();
    session.send_line("").unwrap();
    session
        .exp_string("Lambda proxy function for 12 h credentials (optional, e.g. cognito-credential-proxy): ")
        .unwrap();
    session.send_line("").unwrap();
    session.exp_string("saved profile `tty`").unwrap();
    session.exp_eof().unwrap();
}

/// Sets the cached credentials of `world`'s profile to the given values, valid for an hour.
fn cache_credentials(world: &World, access_key: &str, secret: &str, token: &str) {
    let dir = world.home.join(".cache/cogauth");
    let mut found = 0;
    for entry in walk(&dir) {
        let Ok(text) = std::fs::read_to_string(&entry) else {
            continue;
        };
        let Ok(mut session) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if session["profile"] != world.profile.as_str() || !session["credentials"].is_object() {
            continue;
        }
        let c = &mut session["credentials"];
        c["access_key_id"] = access_key.into();
        c["secret_access_key"] = secret.into();
        c["session_token"] = token.into();
        c["expiration"] = (chrono::Utc::now() + chrono::Duration::hours(1))
            .to_rfc3339()
            .into();
        std::fs::write(&entry, session.to_string()).unwrap();
        found += 1;
    }
    assert_eq!(found, 1, "one cached session for the profile");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|x| x == "json") {
            files.push(path);
        }
    }
    files
}

#[test]
fn export_dotenv_writes_what_dotenv_parsers_read_back_exactly() {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("../data/dotenv/parsers.json")).unwrap();
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    let export = || {
        cogauth(
            &world.home,
            &["export", "--profile", "dev", "--format", "dotenv"],
            "",
        )
    };
    let mut accepted = 0;
    for v in data["vectors"].as_array().unwrap() {
        let value = v["value"].as_str().unwrap();
        cache_credentials(&world, "AKIAEXAMPLE", value, "token");
        match v["quoted"].as_str() {
            Some(quoted) => {
                let text = ok(&export());
                // Every parser in the file reads `quoted` back as `value`.
                assert!(
                    text.contains(&format!("\nAWS_SECRET_ACCESS_KEY={quoted}\n")),
                    "{value:?}:\n{text}"
                );
                assert!(
                    text.starts_with("AWS_ACCESS_KEY_ID='AKIAEXAMPLE'\n"),
                    "{text}"
                );
                accepted += 1;
            }
            None => {
                let err = fails(&export());
                assert!(
                    err.contains("cannot write AWS_SECRET_ACCESS_KEY for a .env file")
                        && err.contains("--format"),
                    "{value:?}: {err}"
                );
            }
        }
    }
    assert!(accepted >= 20, "spaces, quotes, $, #, newlines and more");
    // A real set of credentials, as a user sees it.
    ok(&world.login(&[]));
    let text = ok(&export());
    let expiration = text
        .lines()
        .find(|l| l.starts_with("AWS_CREDENTIAL_EXPIRATION="))
        .unwrap()
        .to_owned();
    insta::assert_snapshot!(
        "export_dotenv",
        text.replace(&expiration, "AWS_CREDENTIAL_EXPIRATION='[EXPIRATION]'")
    );
}
