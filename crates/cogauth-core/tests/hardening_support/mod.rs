//! What the hardening tests share: the writer program (`examples/hardening_writer.rs`) and
//! readers that tell a whole version of a file from a torn or mixed one.

#![allow(dead_code)] // each test binary uses its own part

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use cogauth_core::awsfiles::ini::Ini;
use cogauth_core::cache::{FileSessionStore, SessionStore};
use secrecy::ExposeSecret;

/// The writer's fixed date, as in the example.
const EPOCH: i64 = 1_900_000_000;

/// `target/<profile>/examples/hardening_writer`. `cargo test` builds the examples with the
/// tests, but a run of one test target alone (`--test hardening_crash`) does not: then, or if
/// the library or the writer changed since it was built, it is built here.
pub fn writer() -> &'static Path {
    static WRITER: OnceLock<PathBuf> = OnceLock::new();
    WRITER.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps");
        let writer = profile_dir.join("examples/hardening_writer");
        let built = fs::metadata(&writer).and_then(|m| m.modified()).ok();
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sources = newest_change(&crate_dir.join("src")).max(newest_change(
            &crate_dir.join("examples/hardening_writer.rs"),
        ));
        if built.is_none_or(|built| sources.is_some_and(|s| s > built)) {
            #[allow(clippy::disallowed_methods)] // cargo's own variable, not configuration
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "-p", "cogauth-core", "--example"])
                .arg("hardening_writer")
                .status()
                .expect("run cargo build");
            assert!(
                status.success(),
                "cannot build the hardening_writer example"
            );
        }
        assert!(writer.exists(), "{} is missing", writer.display());
        writer
    })
}

/// The newest modification time of `path` or of any file below it.
fn newest_change(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    fs::read_dir(path)
        .ok()?
        .filter_map(|e| newest_change(&e.ok()?.path()))
        .chain(own)
        .max()
}

/// Starts the writer with `args`, stdout piped (it prints each committed version).
pub fn spawn_writer(args: &[&str], stdin: Stdio) -> Child {
    Command::new(writer())
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hardening_writer")
}

fn expiry(version: u64) -> String {
    DateTime::<Utc>::from_timestamp(EPOCH + version as i64, 0)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The version of `profile` in the credentials file `text`, checking that every key the
/// writer sets belongs to that one version.
pub fn credentials_version(text: &[u8], profile: &str) -> Result<u64, String> {
    let ini = Ini::parse_bytes(text).map_err(|e| format!("not valid INI: {e}"))?;
    let section = ini
        .section(profile)
        .ok_or_else(|| format!("no [{profile}] section"))?;
    let get = |key: &str| {
        section
            .get(key)
            .ok_or_else(|| format!("[{profile}] has no {key}"))
    };
    let version: u64 = get("aws_access_key_id")?
        .strip_prefix("ASIA")
        .and_then(|v| v.parse().ok())
        .ok_or("the access key is not the writer's")?;
    let expected = [
        ("aws_secret_access_key", format!("secret-{version}")),
        ("aws_session_token", format!("token-{version}")),
        ("x_security_token_expires", expiry(version)),
        ("x_cogauth_managed", "true".to_owned()),
    ];
    for (key, value) in expected {
        if get(key)? != value {
            return Err(format!("[{profile}] mixes versions: {key} is not {value}"));
        }
    }
    Ok(version)
}

/// The version of `profile`'s session in the cache directory `dir`, checked the same way.
pub fn session_version(dir: &Path, profile: &str) -> Result<u64, String> {
    let session = FileSessionStore::new(dir)
        .load(profile)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no session for {profile}"))?;
    let version: u64 = session
        .username
        .strip_prefix("user-")
        .and_then(|v| v.parse().ok())
        .ok_or("the username is not the writer's")?;
    let creds = session.credentials.as_ref().ok_or("no credentials")?;
    let whole = session
        .refresh_token
        .as_ref()
        .is_some_and(|t| t.expose_secret() == format!("refresh-{version}"))
        && creds.access_key_id == format!("ASIA{version:016}")
        && creds.secret_access_key() == format!("secret-{version}")
        && creds.session_token() == format!("token-{version}")
        && session.identity_id.as_deref() == Some(&format!("us-east-1:{version}"));
    if !whole {
        return Err(format!("the session of {profile} mixes versions"));
    }
    Ok(version)
}

/// Files in `dir` whose name starts with cogauth's temp-file prefix.
pub fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cogauth-tmp-"))
        .collect()
}
