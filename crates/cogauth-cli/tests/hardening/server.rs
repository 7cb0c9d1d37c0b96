//! The credential server (`cogauth serve`) under hostile clients: oversized and malformed
//! requests, duplicate or decorated Authorization headers, idle and half-sent connections by
//! the hundred. It must answer each with the right refusal, keep serving the real client, stop
//! cleanly on SIGTERM, and log no secret at `-vvv`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use cogauth_test_support::TestHome;

use crate::support::*;

/// Sends `request` on a new connection; the answer's status (0 when the server closed without
/// one). A server that answers early may reset a connection still being written: that is
/// allowed, as long as it answers.
fn status_of(port: u16, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_credential_server_survives_hostile_clients() {
    let home = TestHome::new();
    std::fs::create_dir_all(home.join(".config/cogauth")).unwrap();
    std::fs::write(home.config_file(), dev_profile(&shared_pool().0)).unwrap();
    login(&home).ok();
    let session: serde_json::Value =
        serde_json::from_str(&home.read(".cache/cogauth/dev.json")).unwrap();
    let refresh_token = session["refresh_token"].as_str().unwrap().to_owned();
    let secret_key = session["credentials"]["secret_access_key"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut child = home
        .command(COGAUTH)
        .args([
            "-vvv",
            "serve",
            "--profile",
            "dev",
            "--format",
            "json",
            "--window",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let vars: serde_json::Value = serde_json::from_str(&line).unwrap();
    let token = vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        .as_str()
        .unwrap()
        .to_owned();
    let port: u16 = vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let host = format!("127.0.0.1:{port}");
    let good = format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n");

    // Connections that never finish a request, held open meanwhile.
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut half = TcpStream::connect(("127.0.0.1", port)).unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: ").unwrap();
    drop(half);

    let mut huge = format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nX-Pad: ");
    huge.push_str(&"a".repeat(64 * 1024));
    huge.push_str("\r\n\r\n");
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("a 64 KB header", huge.into_bytes(), 431),
        ("binary garbage", b"\x00\xff\x13\x37 garbage\r\n\r\n".to_vec(), 400),
        (
            "two Authorization headers",
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
            403,
        ),
        (
            "a Bearer token",
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n").into_bytes(),
            403,
        ),
        (
            "the token with a trailing space",
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token} x\r\n\r\n").into_bytes(),
            403,
        ),
        (
            "two Host headers",
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
            403,
        ),
        (
            "HTTP/1.0 without Host",
            format!("GET / HTTP/1.0\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
            403,
        ),
        (
            "an absolute-form target",
            format!("GET http://evil.example/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
            404,
        ),
        (
            "a path that walks up",
            format!("GET /../../etc/passwd HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
            404,
        ),
        (
            "DELETE",
            format!("DELETE / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n").into_bytes(),
            405,
        ),
        ("the real client", good.clone().into_bytes(), 200),
    ];
    let mut problems = Vec::new();
    for (name, request, expected) in &cases {
        let got = status_of(port, request);
        if got != *expected {
            problems.push(format!("{name}: {got}, expected {expected}"));
        }
    }
    // Still serving, the idle connections notwithstanding.
    let started = Instant::now();
    assert_eq!(status_of(port, good.as_bytes()), 200);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the real client waited behind idle connections"
    );
    drop(idle);

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("credential server request"),
        "-vvv logs requests: {stderr}"
    );
    for (name, secret) in [
        ("server token", token.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("secret key", secret_key.as_str()),
        ("JWT", "eyJ"),
    ] {
        if let Some(l) = stderr.lines().find(|l| l.contains(secret)) {
            problems.push(format!(
                "the {name} is logged: {}",
                l.replace(secret, "<secret>")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
