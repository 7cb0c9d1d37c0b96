//! Secret hygiene at the highest verbosity: every command that touches a secret (configure,
//! login, credential-process on a fresh and on an expired cache, exec, export, logout) runs
//! with `-vvv`, with `RUST_LOG=trace`, and with `RUST_LOG` values written to get around the
//! caps on the SDK's crates. No canary may reach stderr (where the logs go), nor stdout except
//! the AWS keys from the two commands that exist to print them.

use tracing_subscriber::layer::SubscriberExt as _;

use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures::{self, PoolOptions};

use crate::support::*;

/// The logging settings every sequence runs under: flags, and `RUST_LOG` values that try every
/// way `EnvFilter` offers to out-rank the caps (a longer target, a span or field filter).
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

    /// Every leak in `run`; `prints_keys` for the commands that print credentials.
    fn leaks(&self, run: &Run, prints_keys: bool) -> Vec<String> {
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
        check("token (JWT)", JWT_PREFIX, "stdout", &run.stdout);
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
}

impl Sequence<'_> {
    /// Runs `cogauth <flag> args`; `prints_keys` for the commands that print credentials,
    /// `calls_aws` for those that log their AWS calls at debug.
    fn run(&mut self, args: &[&str], stdin: &str, prints_keys: bool, calls_aws: bool) -> Run {
        let mut all = vec![self.flag];
        all.extend_from_slice(args);
        let env: Vec<(&str, &str)> = self.rust_log.iter().map(|l| ("RUST_LOG", *l)).collect();
        let run = cogauth(self.home, &all, stdin, &env);
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
        for leak in self.canaries.leaks(&run, prints_keys) {
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
        let directives = cogauth_core::log_filter::directives(verbose, rust_log);
        let filter = tracing_subscriber::EnvFilter::new(&directives);
        let subscriber = tracing_subscriber::registry().with(filter);
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
            "{flag} with RUST_LOG={rust_log:?} ({directives}) lets these log at debug: {enabled:?}"
        );
    }
}
