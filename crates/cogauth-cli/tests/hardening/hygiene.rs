//! Secret hygiene at the highest verbosity: every command that touches a secret (configure,
//! login, credential-process on a fresh and on an expired cache, exec, export, roles, token,
//! exec --token-env, exec --server, serve, console, logout) runs with `-vvv`, with
//! `RUST_LOG=trace`, and with `RUST_LOG` values written to get around the caps on the SDK's
//! crates. No canary may reach stderr (where the logs go), nor stdout except what a command
//! exists to print: the AWS keys (credential-process, export), a user-pool token (token), the
//! credential server's token (serve), the console's sign-in URL (console --print).

use tracing_subscriber::layer::SubscriberExt as _;

use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures::{self, PoolOptions};

use crate::support::*;

/// The logging settings every sequence runs under: flags, and `RUST_LOG` values that try every
/// way `EnvFilter` offers to out-rank the caps (a longer target, a span or field filter), which
/// the binaries' `Targets` filter must hold against too.
const VERBOSITY: &[(&str, Option<&str>)] = &[
    ("-vvv", None),
    ("-v", Some("trace")),
    ("-v", Some("trace,aws_smithy_runtime=trace")),
    (
        "-v",
        Some(
            "aws_smithy_runtime::client::orchestrator=trace,aws_smithy_runtime_api=trace,aws_sigv4::http_request=trace,aws_runtime=trace,hyper_util::client=trace",
        ),
    ),
    ("-v", Some("warn,[invoke]=trace,[{rpc.service}]=trace")),
    (
        "-v",
        Some("aws_smithy_runtime[invoke]=trace,cogauth_core[{operation}]=trace"),
    ),
];

/// A JWT (ID or access token) starts with the base64 of `{"`.
const JWT_PREFIX: &str = "eyJ";

/// The secrets a sequence knows of, and which of them a command may print on stdout.
#[derive(Default)]
struct Canaries {
    /// Never shown anywhere.
    hidden: Vec<(&'static str, String)>,
    /// Shown on stdout by credential-process and export only.
    keys: Vec<(&'static str, String)>,
}

impl Canaries {
    fn learn_from_cache(&mut self, home: &TestHome) {
        let session: serde_json::Value =
            serde_json::from_str(&home.read(".cache/cogauth/dev.json")).unwrap();
        let token = session["refresh_token"].as_str().expect("a refresh token");
        self.hidden.push(("refresh token", token.to_owned()));
        // The remembered device's secret (the pool tracks devices).
        let device = session["device_password"]
            .as_str()
            .expect("a device password");
        if !self.hidden.iter().any(|(_, v)| v == device) {
            self.hidden.push(("device password", device.to_owned()));
        }
        let creds = &session["credentials"];
        for (name, field) in [
            ("secret access key", "secret_access_key"),
            ("session token", "session_token"),
        ] {
            let value = creds[field]
                .as_str()
                .expect("cached credentials")
                .to_owned();
            if !self.keys.iter().any(|(_, v)| *v == value) {
                self.keys.push((name, value));
            }
        }
    }

    /// Every leak in `run`; `prints_keys` for the commands that print credentials,
    /// `prints_token` for `cogauth token`.
    fn leaks(&self, run: &Run, prints_keys: bool, prints_token: bool) -> Vec<String> {
        let mut leaks = Vec::new();
        let mut check = |name: &str, value: &str, stream: &str, text: &str| {
            if let Some(line) = text.lines().find(|l| l.contains(value)) {
                // Where it leaked, with the secret itself masked.
                let shown: String = line
                    .replace(value, &format!("<{name}>"))
                    .chars()
                    .take(300)
                    .collect();
                leaks.push(format!("the {name} is on {stream}: {shown}"));
            }
        };
        for (name, value) in &self.hidden {
            check(name, value, "stdout", &run.stdout);
            check(name, value, "stderr", &run.stderr);
        }
        for (name, value) in &self.keys {
            check(name, value, "stderr", &run.stderr);
            if !prints_keys {
                check(name, value, "stdout", &run.stdout);
            }
        }
        if !prints_token {
            check("token (JWT)", JWT_PREFIX, "stdout", &run.stdout);
        }
        check("token (JWT)", JWT_PREFIX, "stderr", &run.stderr);
        leaks
    }
}

/// Runs one command of a sequence and records what leaked.
struct Sequence<'a> {
    home: &'a TestHome,
    flag: &'static str,
    rust_log: Option<&'static str>,
    canaries: Canaries,
    findings: Vec<String>,
    commands: usize,
    /// The next command prints a user-pool token on stdout (`cogauth token`).
    prints_token: bool,
    /// Extra environment for the next commands.
    env: Vec<(&'static str, String)>,
}

impl Sequence<'_> {
    /// Runs `cogauth <flag> args`; `prints_keys` for the commands that print credentials,
    /// `calls_aws` for those that log their AWS calls at debug.
    fn run(&mut self, args: &[&str], stdin: &str, prints_keys: bool, calls_aws: bool) -> Run {
        let mut all = vec![self.flag];
        all.extend_from_slice(args);
        let mut env: Vec<(&str, &str)> = self.rust_log.iter().map(|l| ("RUST_LOG", *l)).collect();
        env.extend(self.env.iter().map(|(k, v)| (*k, v.as_str())));
        let run = cogauth(self.home, &all, stdin, &env);
        self.record(&all, run, prints_keys, calls_aws)
    }

    /// [`Self::run`] for `cogauth token`, whose stdout is a token.
    fn run_token(&mut self, args: &[&str]) -> Run {
        self.prints_token = true;
        let run = self.run(args, "", false, false);
        self.prints_token = false;
        run
    }

    fn record(&mut self, all: &[&str], run: Run, prints_keys: bool, calls_aws: bool) -> Run {
        self.commands += 1;
        if !run.status.success() {
            self.findings.push(format!(
                "`cogauth {}` failed:\n{}",
                all.join(" "),
                run.show()
            ));
        }
        // The logging was really on (where these settings turn cogauth's debug on): the AWS
        // calls are logged at debug.
        let debug_on = self.rust_log.is_none_or(|l| l.starts_with("trace"));
        if calls_aws && debug_on && !run.stderr.contains("DEBUG") {
            self.findings.push(format!(
                "`cogauth {}` logged no AWS call:\n{}",
                all.join(" "),
                run.show()
            ));
        }
        for leak in self.canaries.leaks(&run, prints_keys, self.prints_token) {
            self.findings.push(format!(
                "`cogauth {}` with RUST_LOG={:?}: {leak}",
                all.join(" "),
                self.rust_log
            ));
        }
        run
    }
}

fn expire_cached_credentials(home: &TestHome) {
    let path = home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();
}

#[test]
fn no_secret_reaches_the_output_or_the_logs_at_trace_level() {
    let (pool, user, password) = block_on(async {
        let pool = fixtures::create_pool(PoolOptions {
            with_client_secret: true,
            // ConfirmDevice, then device SRP at the second login, with the device's secret.
            device_tracking: Some((true, false)),
            ..Default::default()
        })
        .await;
        let user = fixtures::unique("hygiene");
        let password = format!("Canary-Pass-{}!", fixtures::unique("pw").replace('-', ""));
        fixtures::create_user(&pool, &user, &password).await;
        (pool, user, password)
    });
    let client_secret = pool.client_secret.clone().expect("a client secret");

    let mut findings = Vec::new();
    let mut commands = 0;
    for &(flag, rust_log) in VERBOSITY {
        let home = TestHome::new();
        let mut seq = Sequence {
            home: &home,
            flag,
            rust_log,
            canaries: Canaries::default(),
            findings: Vec::new(),
            commands: 0,
            prints_token: false,
            env: Vec::new(),
        };
        seq.canaries.hidden.push(("password", password.clone()));
        seq.canaries
            .hidden
            .push(("client secret", client_secret.clone()));

        seq.run(
            &[
                "configure",
                "--profile",
                "dev",
                "--user-pool-id",
                &pool.user_pool_id,
                "--client-id",
                &pool.client_id,
                "--identity-pool-id",
                &pool.identity_pool_id,
                "--client-secret-stdin",
            ],
            &format!("{client_secret}\n"),
            false,
            false,
        );
        // The keys are learned from the cache after each step that may change them, before
        // the next step's output is checked.
        seq.run(
            &["login", "--profile", "dev", "-u", &user, "--password-stdin"],
            &format!("{password}\n"),
            false,
            true,
        );
        seq.canaries.learn_from_cache(&home);
        // A second login, with the password sent to Cognito (the password flow).
        seq.run(
            &[
                "login",
                "--profile",
                "dev",
                "-u",
                &user,
                "--password-stdin",
                "--auth-flow",
                "password",
            ],
            &format!("{password}\n"),
            false,
            true,
        );
        seq.canaries.learn_from_cache(&home);
        seq.run(&["credential-process", "--profile", "dev"], "", true, false);
        // A refresh: GetTokensFromRefreshToken with the refresh token and the client secret.
        expire_cached_credentials(&home);
        let refreshed = seq.run(&["credential-process", "--profile", "dev"], "", true, true);
        seq.canaries.learn_from_cache(&home);
        if !refreshed.stdout.contains("\"Version\":1")
            && !refreshed.stdout.contains("\"Version\": 1")
        {
            seq.findings.push(format!(
                "the refresh gave no credentials:\n{}",
                refreshed.show()
            ));
        }
        seq.run(
            &["exec", "--profile", "dev", "--", "true"],
            "",
            false,
            false,
        );
        seq.run(&["export", "--profile", "dev"], "", true, false);
        seq.run(
            &["export", "--profile", "dev", "--format", "json"],
            "",
            true,
            false,
        );
        seq.run(&["status", "--profile", "dev"], "", false, false);
        issue_16_commands(&mut seq);
        let logout = seq.run(&["logout", "--profile", "dev"], "", false, false);
        if !logout.stderr.contains("revoked") {
            seq.findings
                .push(format!("logout did not revoke:\n{}", logout.show()));
        }
        commands += seq.commands;
        findings.extend(seq.findings);
    }
    eprintln!("{commands} commands checked");
    assert!(findings.is_empty(), "{}", findings.join("\n\n"));
}

/// The caps hold against every way `RUST_LOG` can out-rank a directive: checked on the
/// filter itself, for the targets that log requests, responses and signing inputs.
#[test]
fn the_log_filter_caps_the_sdk_whatever_rust_log_says() {
    for &(flag, rust_log) in VERBOSITY {
        let verbose = flag.len() as u8 - 1;
        // The layer the binaries build from the filter (`targets` in main.rs).
        let filter = cogauth_core::log_filter::filter(verbose, rust_log);
        assert!(filter.ignored.is_empty(), "{:?}", filter.ignored);
        let mut targets = tracing_subscriber::filter::Targets::new().with_targets(filter.targets);
        if let Some(level) = filter.default {
            targets = targets.with_default(level);
        }
        let subscriber = tracing_subscriber::registry().with(targets);
        let enabled = tracing::subscriber::with_default(subscriber, || {
            let mut enabled = Vec::new();
            // Inside a span like the SDK's own, which span filters would match.
            let span = tracing::info_span!(target: "aws_smithy_runtime::client::orchestrator", "invoke", rpc.service = "cognito", operation = "InitiateAuth");
            let _entered = span.enter();
            macro_rules! probe {
                ($($target:literal),* $(,)?) => {$(
                    if tracing::enabled!(target: $target, tracing::Level::DEBUG) {
                        enabled.push($target);
                    }
                )*};
            }
            probe!(
                "aws_smithy_runtime::client::orchestrator",
                "aws_smithy_runtime::client::orchestrator::http",
                "aws_smithy_runtime_api::client::orchestrator",
                "aws_smithy_http_client::hyper_1_0",
                "aws_sigv4::http_request::sign",
                "aws_runtime::env_config::property",
                "aws_config::profile::credentials",
                "aws_sdk_cognitoidentityprovider::operation",
                "hyper_util::client::legacy::pool",
                "h2::codec",
                "rustls::client",
                "reqwest::connect",
                "lambda_runtime::layers",
            );
            enabled
        });
        assert!(
            enabled.is_empty(),
            "{flag} with RUST_LOG={rust_log:?} lets these log at debug: {enabled:?}"
        );
    }
}

/// The commands of issue 16, on the session a sequence has logged in: roles, tokens, the
/// credential server (with a client that uses it), the console.
fn issue_16_commands(seq: &mut Sequence<'_>) {
    seq.run(&["roles", "--profile", "dev", "--json"], "", false, false);
    let token = seq.run_token(&["token", "--profile", "dev"]);
    if !token.stdout.starts_with(JWT_PREFIX) {
        seq.findings
            .push(format!("token printed no token:\n{}", token.show()));
    }
    seq.run_token(&[
        "token",
        "--profile",
        "dev",
        "--access",
        "--json",
        "--window",
        "61",
    ]);
    seq.canaries.learn_from_cache(seq.home);
    seq.run(
        &[
            "exec",
            "--profile",
            "dev",
            "--token-env",
            "API_TOKEN",
            "--",
            "true",
        ],
        "",
        false,
        false,
    );
    // A client of the server: one good request, one without the token.
    let python = cogauth_test_support::harness::venv_dir().join("bin/python");
    let client = "import os, urllib.request as u\n\
uri, tok = os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'], os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']\n\
assert u.urlopen(u.Request(uri, headers={'Authorization': tok})).status == 200\n\
try:\n    u.urlopen(uri)\nexcept Exception as e:\n    assert '403' in str(e), e\n";
    seq.run(
        &[
            "exec",
            "--profile",
            "dev",
            "--server",
            "--",
            python.to_str().unwrap(),
            "-c",
            client,
        ],
        "",
        false,
        false,
    );
    serve_once(seq);
    seq.env.push((
        "COGAUTH_FEDERATION_ENDPOINT",
        format!("{}/federation", cogauth_test_support::emulator().endpoint()),
    ));
    let console = seq.run(
        &["console", "--profile", "dev", "--print"],
        "",
        false,
        false,
    );
    if !console.stdout.contains("SigninToken=") {
        seq.findings
            .push(format!("console printed no URL:\n{}", console.show()));
    }
    seq.env.clear();
}

/// `cogauth serve` at the sequence's verbosity: one request, then SIGTERM. Its token may be on
/// stdout only.
fn serve_once(seq: &mut Sequence<'_>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut cmd = seq.home.command(COGAUTH);
    cmd.args([seq.flag, "serve", "--profile", "dev", "--format", "json"]);
    if let Some(log) = seq.rust_log {
        cmd.env("RUST_LOG", log);
    }
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let vars: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    let token = vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let port = vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse::<u16>()
        .unwrap_or(1);
    for auth in [token.as_str(), "wrong"] {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = write!(
                stream,
                "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\n\r\n"
            );
            let _ = stream.read_to_string(&mut String::new());
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let run = Run {
        status: out.status,
        stdout: line + &rest,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    if token.is_empty() {
        seq.findings
            .push(format!("serve printed no token:\n{}", run.show()));
    } else if let Some(l) = run.stderr.lines().find(|l| l.contains(&token)) {
        seq.findings.push(format!(
            "serve logged its token: {}",
            l.replace(&token, "<token>")
        ));
    }
    seq.record(&[seq.flag, "serve"], run, false, false);
}
