//! The local credential server (issue 16, part 2): `exec --server` and `serve`, driven by the
//! AWS SDK for Python (boto3, from the emulator's venv) and by raw HTTP, against the emulator.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cogauth_test_support::fixtures::{self, PoolOptions};
use cogauth_test_support::{emulator, harness};

use crate::{World, block_on, ok};

/// A user whose one group has a role, under token-based role mapping: every refresh gives new
/// assumed-role keys, which STS shows as `assumed-role/<role>/...`.
fn world_with_a_group_role(opts: PoolOptions) -> (World, String) {
    let world = World::new(opts, &[]);
    let role = block_on(async {
        let pool = &world.pool;
        let role = fixtures::create_group_role(&pool.identity_pool_id, "Job").await;
        fixtures::create_group(pool, "jobs", &role, Some(1)).await;
        fixtures::add_user_to_group(pool, &world.user, "jobs").await;
        fixtures::set_token_role_mapping(pool, "Deny").await;
        role
    });
    ok(&world.login(&[]));
    (world, role)
}

fn refreshes(world: &World) -> u64 {
    // By either operation: GetTokensFromRefreshToken, or REFRESH_TOKEN_AUTH where it is not offered.
    emulator().get_tokens_calls(&world.pool.client_id)
        + emulator().initiate_auth_calls(&world.pool.client_id, "REFRESH_TOKEN_AUTH")
}

fn python() -> String {
    harness::venv_dir().join("bin/python").display().to_string()
}

/// One request on its own connection: the status and the body.
fn http(port: u16, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_owned())
}

/// What a client without the token, with a wrong one, or through another host name gets.
fn check_refusals(port: u16, token: &str) {
    let get = |host: &str, auth: Option<&str>| {
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        http(
            port,
            &format!("GET / HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n"),
        )
    };
    let here = format!("127.0.0.1:{port}");
    assert_eq!(get(&here, None).0, 403, "no Authorization");
    assert_eq!(get(&here, Some("wrong")).0, 403, "a wrong token");
    assert_eq!(
        get(&here, Some(&format!("{token}x"))).0,
        403,
        "a longer token"
    );
    assert_eq!(
        get(&format!("evil.example:{port}"), Some(token)).0,
        403,
        "a rebound host"
    );
    assert_eq!(get("127.0.0.1:1", Some(token)).0, 403, "another port");
    let (status, body) = get(&format!("localhost:{port}"), Some(token));
    assert_eq!(status, 200, "{body}");
    let no_host = http(
        port,
        &format!("GET / HTTP/1.1\r\nAuthorization: {token}\r\n\r\n"),
    );
    assert_eq!(no_host.0, 403, "no Host");
    let post = http(
        port,
        &format!(
            "POST / HTTP/1.1\r\nHost: {here}\r\nAuthorization: {token}\r\nContent-Length: 0\r\n\r\n"
        ),
    );
    assert_eq!(post.0, 405);
    let other = http(
        port,
        &format!("GET /x HTTP/1.1\r\nHost: {here}\r\nAuthorization: {token}\r\n\r\n"),
    );
    assert_eq!(other.0, 404);
    assert_eq!(http(port, "NOT HTTP\r\n\r\n").0, 400);
    for refused in [get(&here, None).1, post.1, other.1] {
        assert!(!refused.contains("AccessKeyId"), "{refused}");
    }
}

/// The body of a served answer, checked for what the SDKs read.
fn check_credentials(body: &str) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    for key in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
        assert!(json[key].is_string(), "{key}: {json}");
    }
    let expiration = json["Expiration"].as_str().unwrap();
    assert!(expiration.ends_with('Z'), "{expiration}");
    chrono::DateTime::parse_from_rfc3339(expiration).unwrap();
    json
}

const PROBE: &str = r#"
import json, os, sys, urllib.parse
import boto3
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
report = {
    "uri": uri,
    "token": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"],
    "keys_in_env": sorted(k for k in os.environ if k in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")),
    "region": os.environ.get("AWS_REGION"),
}
session = boto3.Session()
report["method"] = session.get_credentials().method
report["arn"] = session.client("sts").get_caller_identity()["Arn"]
print(json.dumps(report), flush=True)
sys.stdin.readline()
sys.exit(7)
"#;

#[test]
fn exec_server_serves_the_command_and_passes_its_exit_code() {
    let (world, role) = world_with_a_group_role(PoolOptions::default());
    let mut child = world
        .home
        .command(crate::COGAUTH)
        .args([
            "exec",
            "--profile",
            "dev",
            "--server",
            "--",
            &python(),
            "-c",
            PROBE,
        ])
        .env("AWS_PROFILE", "someone-else")
        .env("AWS_ACCESS_KEY_ID", "AKIASTATICKEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| {
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        panic!("no report: {line:?}\n{stderr}")
    });
    assert_eq!(report["keys_in_env"], serde_json::json!([]), "{report}");
    assert_eq!(report["method"], "container-role");
    assert_eq!(report["region"], "us-east-1");
    let role_name = role.rsplit('/').next().unwrap();
    assert!(
        report["arn"]
            .as_str()
            .unwrap()
            .contains(&format!("assumed-role/{role_name}/")),
        "{report}"
    );
    // While the command runs, the server answers only the right token on loopback.
    let uri = report["uri"].as_str().unwrap();
    let port: u16 = uri
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap()
        .parse()
        .unwrap();
    let token = report["token"].as_str().unwrap();
    check_refusals(port, token);
    let (status, body) = http(
        port,
        &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {token}\r\n\r\n"),
    );
    assert_eq!(status, 200);
    check_credentials(&body);

    // The command ends: so do cogauth and its server, with the command's exit code.
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server is gone"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(token), "{stderr}");
}

#[test]
fn exec_server_passes_signals_on_and_reports_a_missing_command() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    // The command asks cogauth to stop; cogauth passes SIGTERM on, the command's trap answers.
    let out = world
        .home
        .command(crate::COGAUTH)
        .args([
            "exec",
            "--profile",
            "dev",
            "--server",
            "--",
            "sh",
            "-c",
            "trap 'exit 42' TERM; kill -TERM $PPID; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit 3",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(42),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Killed by a signal: 128 + its number, as a shell says.
    let out = world
        .home
        .command(crate::COGAUTH)
        .args([
            "exec",
            "--profile",
            "dev",
            "--server",
            "--",
            "sh",
            "-c",
            "kill -KILL $$",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137));
    let out = world
        .home
        .command(crate::COGAUTH)
        .args([
            "exec",
            "--profile",
            "dev",
            "--server",
            "--",
            "no-such-program-xyz",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run `no-such-program-xyz`"));
}

/// Starts `cogauth serve ARGS` and reads what it prints before it serves.
fn start_serve(world: &World, args: &[&str]) -> (std::process::Child, String) {
    let mut child = world
        .home
        .command(crate::COGAUTH)
        .args(["serve", "--profile", "dev"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let lines = if args.contains(&"json") { 1 } else { 2 };
    for _ in 0..lines {
        stdout.read_line(&mut printed).unwrap();
    }
    (child, printed)
}

/// Sends `signal` and waits (at most 30 s) for the process to end.
fn stop(mut child: std::process::Child, signal: nix::sys::signal::Signal) -> std::process::Output {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "serve did not stop on {signal}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn serve_prints_the_variables_serves_and_stops_cleanly() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));

    // JSON, on a free port; SIGTERM stops it.
    let (child, printed) = start_serve(&world, &["--format", "json"]);
    let vars: serde_json::Value = serde_json::from_str(&printed).unwrap();
    let uri = vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"].as_str().unwrap();
    let token = vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        .as_str()
        .unwrap()
        .to_owned();
    let port: u16 = uri
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    check_refusals(port, &token);
    let out = stop(child, nix::sys::signal::Signal::SIGTERM);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("credential server stopped"), "{stderr}");
    assert!(!stderr.contains(&token), "{stderr}");

    // Shell lines, on a chosen port; they work in a real shell with the AWS CLI; SIGINT stops it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (child, printed) = start_serve(&world, &["--port", &port.to_string(), "--format", "env"]);
    assert!(
        printed.starts_with(&format!(
            "export AWS_CONTAINER_CREDENTIALS_FULL_URI='http://127.0.0.1:{port}/'\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN='"
        )),
        "{printed}"
    );
    let cli = emulator().aws_cli();
    let out = world
        .home
        .command("sh")
        .arg("-c")
        .arg(format!(
            "{printed}\n'{}' sts get-caller-identity --region us-east-1 --output json",
            cli.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A second server on the same port is refused with a clear error.
    let busy = crate::cogauth(
        &world.home,
        &["serve", "--profile", "dev", "--port", &port.to_string()],
        "",
    );
    assert!(crate::fails(&busy).contains(&format!("cannot listen on 127.0.0.1:{port}")));
    let out = stop(child, nix::sys::signal::Signal::SIGINT);
    assert!(out.status.success(), "{out:?}");
}

/// A long job: boto3 calls STS every 2 s for 85 s, across several expiries of 70 s credentials,
/// with one client (so botocore's own refresh runs). No call may fail, the keys must change as
/// they are refreshed, and the refreshes must reach the emulator, fewer than the calls (the
/// server serves from the cache in between).
const LONG_JOB: &str = r#"
import json, sys, time
import boto3
session = boto3.Session()
sts = session.client("sts")
calls, errors, keys, arns = 0, [], [], set()
end = time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        arns.add(sts.get_caller_identity()["Arn"])
        key = session.get_credentials().get_frozen_credentials().access_key
        if not keys or keys[-1] != key:
            keys.append(key)
    except Exception as e:
        errors.append(repr(e))
    calls += 1
    time.sleep(2)
print(json.dumps({"calls": calls, "errors": errors, "keys": keys, "arns": sorted(arns)}))
"#;

#[test]
fn a_long_job_under_exec_server_outlives_its_credentials() {
    // 70 s credentials, renewed when 60 s remain: one refresh every 10 s or so, and the job
    // outlives the credentials it starts with.
    let (world, role) = world_with_a_group_role(PoolOptions {
        credential_seconds: Some(70),
        ..PoolOptions::default()
    });
    let before = refreshes(&world);
    let out = world
        .home
        .command(crate::COGAUTH)
        .args([
            "exec",
            "--profile",
            "dev",
            "--server",
            "--window",
            "1",
            "--",
            &python(),
            "-c",
            LONG_JOB,
            "85",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let refreshed = refreshes(&world) - before;
    let calls = report["calls"].as_u64().unwrap();
    eprintln!(
        "{calls} calls, {} distinct keys, {refreshed} refreshes at the emulator",
        report["keys"].as_array().unwrap().len()
    );
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let role_name = role.rsplit('/').next().unwrap();
    let arns = report["arns"].as_array().unwrap();
    assert!(
        arns.iter().all(|a| a
            .as_str()
            .unwrap()
            .contains(&format!("assumed-role/{role_name}/"))),
        "{report}"
    );
    // 85 s of credentials fresh for 10 s each: about seven refreshes.
    assert!(
        refreshed >= 4,
        "only {refreshed} refreshes in 85 s: {report}"
    );
    assert!(
        refreshed < calls / 3,
        "{refreshed} refreshes for {calls} calls"
    );
    assert!(
        report["keys"].as_array().unwrap().len() as u64 >= refreshed,
        "{report}"
    );
}

#[test]
fn exec_server_without_a_session_fails_before_running_the_command() {
    let world = World::new(PoolOptions::default(), &[]);
    let out = Command::new(crate::COGAUTH)
        .env_clear()
        .env("HOME", world.home.path())
        .env("AWS_ENDPOINT_URL", emulator().endpoint())
        .args(["exec", "--profile", "dev", "--server", "--", "touch", "RAN"])
        .current_dir(world.home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cogauth login --profile dev"));
    assert!(!world.home.join("RAN").exists());
}

/// A `[default]` profile with keys comes before the container provider in every SDK's chain:
/// `exec --server` and `serve` say so on one line of stderr, naming the file and section, and
/// stay quiet once the job's files have no such profile.
#[test]
fn credentials_in_the_default_profile_are_warned_about() {
    let world = World::new(PoolOptions::default(), &[]);
    ok(&world.login(&[]));
    world.home.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIASTATICDEFAULT\naws_secret_access_key = static\n",
    );
    let method = "import boto3; print(boto3.Session().get_credentials().method)";
    let exec = |env: &[(&str, &str)]| {
        let out = world
            .home
            .command(crate::COGAUTH)
            .args(["exec", "--profile", "dev", "--server", "--"])
            .args([&python(), "-c", method])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        let home = world.home.path().to_str().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            stderr.replace(home, "[HOME]"),
        )
    };
    // What the warning is about: boto3 takes the static keys, not the server's.
    let (method_used, stderr) = exec(&[]);
    assert_eq!(method_used, "shared-credentials-file");
    insta::assert_snapshot!("default_profile_warning", stderr);

    // The advice followed: the job's files without the default profile; no warning.
    world.home.write(".aws/job-credentials", "");
    let (method_used, stderr) = exec(&[(
        "AWS_SHARED_CREDENTIALS_FILE",
        &world
            .home
            .join(".aws/job-credentials")
            .display()
            .to_string(),
    )]);
    assert_eq!(method_used, "container-role");
    assert!(!stderr.contains("warning"), "{stderr}");

    // serve: the same line, on stderr only; stdout keeps the two variables alone.
    world.home.write(
        ".aws/credentials",
        "[dev-keys]\naws_access_key_id = AKIAOTHER\n",
    );
    world.home.write(
        ".aws/config",
        "[profile  default]\ncredential_process = /bin/false\n",
    );
    let (child, printed) = start_serve(&world, &["--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&printed).unwrap();
    let out = stop(child, nix::sys::signal::Signal::SIGTERM);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<_> = stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .map(|l| l.replace(world.home.path().to_str().unwrap(), "[HOME]"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with(
            "cogauth: warning: `credential_process` in [profile  default] of [HOME]/.aws/config comes before this server"
        ),
        "{stderr}"
    );
}
