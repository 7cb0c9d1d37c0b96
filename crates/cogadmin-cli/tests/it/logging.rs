//! Log lines on stderr: coloured only on a terminal, never with `NO_COLOR`.

use cogauth_test_support::TestHome;

const ESC: &str = "\u{1b}[";

/// `cogadmin role info` with an invalid `COGAUTH_AWS_TIMEOUT`: one warning line, then an error
/// (no credentials, no endpoint), all offline.
fn command(home: &TestHome) -> std::process::Command {
    let mut cmd = home.command(crate::BIN);
    cmd.args([
        "role",
        "info",
        "--identity-pool-id",
        "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab",
        "--region",
        "us-east-1",
    ])
    .env("COGAUTH_AWS_TIMEOUT", "bogus")
    .env("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    .env_remove("NO_COLOR");
    cmd
}

#[test]
fn log_lines_are_coloured_only_on_a_terminal_and_never_with_no_color() {
    let home = TestHome::offline();
    let out = command(&home).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WARN") && err.contains("COGAUTH_AWS_TIMEOUT"),
        "{err}"
    );
    assert!(!err.contains(ESC), "no escape codes into a pipe: {err:?}");

    let on_terminal = |no_color: Option<&str>| {
        let mut cmd = command(&home);
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let mut session = rexpect::session::spawn_command(cmd, Some(30_000)).unwrap();
        session.exp_eof().unwrap()
    };
    let coloured = on_terminal(None);
    assert!(
        coloured.contains("WARN") && coloured.contains(ESC),
        "{coloured:?}"
    );
    let plain = on_terminal(Some("1"));
    assert!(plain.contains("WARN") && !plain.contains(ESC), "{plain:?}");
}
