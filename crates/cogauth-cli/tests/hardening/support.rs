//! Running the real binary under a watchdog, a fake AWS endpoint that counts what reaches it,
//! and snapshots of a HOME to prove an error damaged nothing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cogauth_test_support::TestHome;
use cogauth_test_support::fixtures::{self, Pool, PoolOptions};

pub const COGAUTH: &str = env!("CARGO_BIN_EXE_cogauth");
pub const PASSWORD: &str = "Hardening-Pass-9!";

/// What a finished process left.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    #[track_caller]
    pub fn ok(&self) -> &str {
        assert!(self.status.success(), "expected success:\n{}", self.show());
        &self.stdout
    }
}

/// Runs `cmd` with `stdin`, killing it and failing the test if it is still running after
/// `limit`: a command that hangs is a failure, not a slow test.
pub fn run_bounded(mut cmd: Command, stdin: &str, limit: Duration) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The process may exit before reading stdin (a usage error): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).unwrap();
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} hung: still running after {limit:?}\nstderr so far:\n{}",
                String::from_utf8_lossy(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: String::from_utf8_lossy(&stdout.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
    }
}

/// `cogauth args...` in `home` with `env`, bounded by two minutes.
pub fn cogauth(home: &TestHome, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = home.command(COGAUTH);
    cmd.args(args).envs(env.iter().copied());
    run_bounded(cmd, stdin, Duration::from_secs(120))
}

/// One user pool with one user (password [`PASSWORD`]) for every test of this binary: the
/// tests that log in use their own HOME, so they do not interfere.
pub fn shared_pool() -> &'static (Pool, String) {
    static POOL: OnceLock<(Pool, String)> = OnceLock::new();
    POOL.get_or_init(|| {
        block_on(async {
            let pool = fixtures::create_pool(PoolOptions::default()).await;
            let user = fixtures::unique("hardening");
            fixtures::create_user(&pool, &user, PASSWORD).await;
            (pool, user)
        })
    })
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The `[profiles.dev]` of a config file pointing at `pool`.
pub fn dev_profile(pool: &Pool) -> String {
    format!(
        "[profiles.dev]\nuser_pool_id = \"{}\"\nclient_id = \"{}\"\nidentity_pool_id = \"{}\"\n",
        pool.user_pool_id, pool.client_id, pool.identity_pool_id
    )
}

/// A profile with well-formed ids that exist nowhere, for fake endpoints.
pub const FAKE_PROFILE: &str = "[profiles.dev]\nuser_pool_id = \"us-east-1_Fake123\"\nclient_id = \"fakeclient123\"\nidentity_pool_id = \"us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab\"\n";

/// `cogauth login --profile dev -u USER --password-stdin` in `home`, against the shared pool.
pub fn login(home: &TestHome) -> Run {
    let (_, user) = shared_pool();
    cogauth(
        home,
        &["login", "--profile", "dev", "-u", user, "--password-stdin"],
        &format!("{PASSWORD}\n"),
        &[],
    )
}

// ---------------------------------------------------------------------------------------------
// Snapshots.

/// Every file under `dir` and its bytes, except the lock files (an empty `.lock` beside a
/// file is how a lock is taken) and, if `skip_cache`, the session cache.
pub fn snapshot(dir: &Path, skip_cache: bool) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let relative = path.strip_prefix(dir).unwrap().to_path_buf();
        if skip_cache && relative.starts_with(".cache/cogauth") {
            continue;
        }
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.map(|e| e.unwrap().path()));
            }
        } else if !path.to_string_lossy().ends_with(".lock") {
            files.insert(relative, std::fs::read(&path).unwrap_or_default());
        }
    }
    files
}

// ---------------------------------------------------------------------------------------------
// Fake endpoints on 127.0.0.1.

/// A port nothing listens on: bound, then released.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Accepts connections and never answers, holding them open until dropped.
pub struct BlackHole {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
}

impl BlackHole {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Self { url, connections }
    }
}

/// An HTTP endpoint answering every request with one canned response, counting requests and
/// recording each request's `X-Amz-Target`.
pub struct FakeAws {
    pub url: String,
    pub targets: Arc<Mutex<Vec<String>>>,
}

impl FakeAws {
    pub fn start(status: u16, content_type: &'static str, body: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || serve(stream, status, content_type, body, &seen));
            }
        });
        Self { url, targets }
    }
}

/// Answers the requests of one connection (the SDK keeps connections alive).
fn serve(
    stream: TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
    seen: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut target = String::new();
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "x-amz-target" => target = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut request_body = vec![0; length];
        if reader.read_exact(&mut request_body).is_err() {
            return;
        }
        seen.lock().unwrap().push(target);
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            500 => "Internal Server Error",
            503 => "Service Unavailable",
            _ => "Status",
        };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-requestid: hardening\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}
