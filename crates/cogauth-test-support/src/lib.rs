//! Test harness shared by every integration test and by `cargo xtask`.
//!
//! - [`emulator()`] gives the process-wide moto_server: the one named by `COGAUTH_EMULATOR_URL`
//!   (set by `cargo xtask test`), or one this process installs and starts itself. When neither
//!   works the calling test **fails** with instructions; it never passes or skips.
//! - [`harness`] installs the pinned emulator into a venv under `target/` and starts it.
//! - [`fixtures`] creates user pools, clients, users and identity pools on the emulator;
//!   [`managed_login`] the same served as managed login, and the browser drivers.
//! - [`TestHome`] is a temporary HOME for driving the real binaries as a user would.
//! - [`imds`] is an instance metadata service that refuses, for tests without credentials.

pub mod fixtures;
pub mod harness;
mod home;
pub mod imds;
pub mod managed_login;
pub mod totp;

use std::path::PathBuf;
use std::process::Child;
use std::sync::{Mutex, OnceLock};

pub use home::TestHome;

/// Set by `cargo xtask test` (and by hand) to share one running emulator across test binaries.
pub const EMULATOR_URL_VAR: &str = "COGAUTH_EMULATOR_URL";
/// The region every fixture lives in.
pub const REGION: &str = "us-east-1";
/// moto's default account.
pub const ACCOUNT_ID: &str = "123456789012";

/// A running moto_server.
#[derive(Debug)]
pub struct Emulator {
    endpoint: String,
    // Kept so the child is owned by this process; the launcher exits when this process does.
    _child: Option<Mutex<Child>>,
}

static EMULATOR: OnceLock<Emulator> = OnceLock::new();

/// The emulator for this test process, started on first use.
///
/// Panics, failing the test, with instructions when no emulator can be had.
pub fn emulator() -> &'static Emulator {
    EMULATOR.get_or_init(|| match off_runtime(connect_or_start) {
        Ok(e) => e,
        Err(message) => panic!(
            "\n\nthis test needs the AWS emulator (moto_server) and cannot get it:\n  {message}\n\n\
             to fix: install python3 with venv and pip (and reach PyPI once), then run \
             `cargo xtask test`, or start one with `cargo xtask emulator start` and export the \
             {EMULATOR_URL_VAR} it prints\n\n"
        ),
    })
}

/// Runs blocking HTTP on a plain thread: the harness is called from inside async tests, where
/// reqwest's blocking client must not run.
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f)
        .join()
        .expect("harness thread panicked")
}

fn connect_or_start() -> Result<Emulator, String> {
    if let Ok(url) = std::env::var(EMULATOR_URL_VAR) {
        let url = url.trim_end_matches('/').to_owned();
        harness::wait_ready(&url, std::time::Duration::from_secs(5))
            .map_err(|e| format!("{EMULATOR_URL_VAR}={url} is not answering: {e}"))?;
        harness::configure(&url)?;
        return Ok(Emulator {
            endpoint: url,
            _child: None,
        });
    }
    let venv = harness::ensure_venv()?;
    let running = harness::start(&venv, Some(std::process::id()))?;
    Ok(Emulator {
        endpoint: running.endpoint,
        _child: Some(Mutex::new(running.child)),
    })
}

impl Emulator {
    /// `http://127.0.0.1:<port>`
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// An SDK config for administrative calls on the emulator (fixtures, assertions).
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_credential_types::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// POSTs JSON to moto's control API (`/moto-api/...`).
    pub fn moto_api(&self, path: &str, body: &serde_json::Value) -> Result<String, String> {
        let url = format!("{}{path}", self.endpoint);
        let body = body.clone();
        off_runtime(move || {
            let resp = reqwest::blocking::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status();
            let text = resp.text().unwrap_or_default();
            if !status.is_success() {
                return Err(format!("{url}: HTTP {status}: {text}"));
            }
            Ok(text)
        })
    }

    /// Queues the next result of a Lambda Invoke (moto runs no code with `use_docker: false`).
    /// Results are consumed in order, by any function.
    pub fn queue_lambda_result(&self, payload: &str) {
        self.moto_api(
            "/moto-api/static/lambda-simple/response",
            &serde_json::json!({"results": [payload], "region": REGION}),
        )
        .expect("queue a lambda result");
    }

    /// How many InitiateAuth calls with `auth_flow` the app client `client_id` has made: the
    /// harness counts them at the server (see `emulator/launcher.py`).
    pub fn initiate_auth_calls(&self, client_id: &str, auth_flow: &str) -> u64 {
        let url = format!("{}/cogauth-test/calls", self.endpoint);
        let body: serde_json::Value = off_runtime(move || {
            reqwest::blocking::get(&url)
                .and_then(|r| r.json())
                .map_err(|e| format!("{url}: {e}"))
        })
        .expect("read the emulator's call counters");
        body["InitiateAuth"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["client_id"] == client_id && c["auth_flow"] == auth_flow)
            .filter_map(|c| c["count"].as_u64())
            .sum()
    }

    /// How many GetTokensFromRefreshToken calls the app client `client_id` has made (counted at
    /// the server, refused ones included).
    pub fn get_tokens_calls(&self, client_id: &str) -> u64 {
        let calls = self.get_json("/cogauth-test/calls");
        calls["GetTokensFromRefreshToken"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["client_id"] == client_id)
            .filter_map(|c| c["count"].as_u64())
            .sum()
    }

    /// The one-time codes the emulator "sent" to `username` of `user_pool_id` (EMAIL_OTP,
    /// SMS_OTP), oldest first.
    pub fn one_time_codes(&self, user_pool_id: &str, username: &str) -> Vec<String> {
        let path = format!("/cogauth-test/codes?user_pool_id={user_pool_id}&username={username}");
        self.get_json(&path)["codes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["code"].as_str().map(str::to_owned))
            .collect()
    }

    /// Makes GetTokensFromRefreshToken answer `UnknownOperationException` for `client_id`, as
    /// an endpoint without the operation does (`offered = false`), or serves it again.
    pub fn offer_get_tokens(&self, client_id: &str, offered: bool) {
        let url = format!("{}/cogauth-test/unoffered", self.endpoint);
        let body = serde_json::json!({"client_id": client_id, "offered": offered});
        off_runtime(move || {
            reqwest::blocking::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .and_then(|r| r.error_for_status())
                .map(|_| ())
                .map_err(|e| format!("{url}: {e}"))
        })
        .expect("switch GetTokensFromRefreshToken");
    }

    /// Registers a placeholder passkey for `username`, so that the pool offers it WEB_AUTHN.
    pub fn register_passkey(&self, user_pool_id: &str, username: &str) {
        let url = format!("{}/cogauth-test/passkeys", self.endpoint);
        let body = serde_json::json!({"user_pool_id": user_pool_id, "username": username});
        off_runtime(move || {
            reqwest::blocking::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .and_then(|r| r.error_for_status())
                .map(|_| ())
                .map_err(|e| format!("{url}: {e}"))
        })
        .expect("register a passkey");
    }

    fn get_json(&self, path: &str) -> serde_json::Value {
        let url = format!("{}{path}", self.endpoint);
        off_runtime(move || {
            reqwest::blocking::get(&url)
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.json())
                .map_err(|e| format!("{url}: {e}"))
        })
        .expect("read a test route of the emulator")
    }

    /// The pinned AWS CLI installed beside the emulator.
    pub fn aws_cli(&self) -> PathBuf {
        harness::venv_dir().join("bin/aws")
    }

    /// The AWS CLI aimed at the emulator, with the test credentials and none of the user's AWS
    /// files; add the arguments and run it.
    pub fn aws_command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(self.aws_cli());
        cmd.args(["--endpoint-url", &self.endpoint, "--region", REGION])
            .envs(AWS_CLI_ENV);
        cmd
    }

    /// `aws ARGS` on the emulator, as [`Emulator::aws_command`] runs it, but in the one AWS CLI
    /// process this test binary keeps for reading state back (`emulator/aws_batch.py`: the same
    /// CLI, a fresh driver per command; a process per command cost a tenth of CI's processor
    /// time). For the AWS CLI as a user runs it (profiles, `credential_process`), use
    /// `aws_command`.
    pub fn aws(&self, args: &[&str]) -> AwsOutput {
        static BATCH: Mutex<Option<AwsBatch>> = Mutex::new(None);
        let mut batch = BATCH.lock().unwrap_or_else(|e| e.into_inner());
        let batch = batch.get_or_insert_with(AwsBatch::start);
        let mut line = vec!["--endpoint-url", self.endpoint.as_str(), "--region", REGION];
        line.extend_from_slice(args);
        batch.run(&line)
    }

    /// `aws --output json ARGS` on the emulator, which must succeed: its answer (`null` when it
    /// prints nothing).
    pub fn aws_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = self.aws(&all);
        assert!(out.success, "aws {args:?}: {}", out.stderr);
        if out.stdout.trim().is_empty() {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&out.stdout).expect("AWS CLI JSON")
    }
}

/// The AWS CLI's environment for reading the emulator: the test credentials, none of the user's
/// AWS files.
const AWS_CLI_ENV: [(&str, &str); 4] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
];

/// What one AWS CLI command printed, and whether it succeeded.
#[derive(Debug)]
pub struct AwsOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// The AWS CLI process of `emulator/aws_batch.py`: one JSON line of arguments in, one JSON line
/// with the exit code and the output out.
struct AwsBatch {
    // Kept so that the process lives as long as the test binary; it ends at the end of stdin.
    _child: Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

impl AwsBatch {
    fn start() -> Self {
        let script = harness::launcher()
            .parent()
            .expect("the launcher has a directory")
            .join("aws_batch.py");
        let mut child = std::process::Command::new(harness::venv_dir().join("bin/python"))
            .arg(&script)
            .envs(AWS_CLI_ENV)
            .env_remove("AWS_PROFILE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", script.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        Self {
            _child: child,
            stdin,
            stdout,
        }
    }

    fn run(&mut self, args: &[&str]) -> AwsOutput {
        use std::io::{BufRead, Write};
        let request = serde_json::to_string(args).expect("arguments are JSON");
        writeln!(self.stdin, "{request}")
            .and_then(|()| self.stdin.flush())
            .expect("send a command to the AWS CLI");
        let mut answer = String::new();
        self.stdout
            .read_line(&mut answer)
            .expect("read the AWS CLI's answer");
        let answer: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|e| panic!("the AWS CLI batch ended or garbled ({e}): {answer:?}"));
        AwsOutput {
            success: answer["rc"] == 0,
            stdout: answer["stdout"].as_str().unwrap_or_default().to_owned(),
            stderr: answer["stderr"].as_str().unwrap_or_default().to_owned(),
        }
    }
}
