//! A test-only writer for the hardening tests (`tests/hardening_*.rs`): it writes through the
//! same code cogauth does, in a process of its own, so the tests can run a hundred at once or
//! kill one with SIGKILL at a random point.
//!
//! Every version `v` it writes is self-describing (`ASIA<v>`, `secret-<v>`, `token-<v>`, and
//! an expiry of `v` seconds after a fixed date), so a reader can tell a whole version from a
//! torn one. After each write is committed it prints `v` on stdout and flushes.
//!
//! ```text
//! hardening_writer aws <credentials> <config> <profile> <from> [<count>]
//! hardening_writer cache <dir> <profile> <from> [<count>]
//! hardening_writer increment <dir> <profile>
//! hardening_writer hold <file>
//! ```
//!
//! Without `<count>` it writes forever. With a `<count>`, it first waits for stdin to close,
//! so a test can start many writers and release them at the same instant. `increment` locks a
//! session, loads it, adds one to the counter kept in its username and saves it. `hold` takes
//! a file's lock, prints `locked`, and sleeps until killed.

use std::io::{Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use cogauth_core::awsfiles::AwsFiles;
use cogauth_core::cache::{FileSessionStore, Session, SessionStore};
use cogauth_core::fsutil::FileLock;
use cogauth_core::{CredentialSource, Credentials};

/// The fixed date versions count from.
const EPOCH: i64 = 1_900_000_000;

fn at(version: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(EPOCH + version as i64, 0).expect("a valid date")
}

fn credentials(version: u64) -> Credentials {
    Credentials::new(
        format!("ASIA{version:016}"),
        format!("secret-{version}"),
        format!("token-{version}"),
        at(version),
    )
}

fn session(profile: &str, version: u64) -> Session {
    Session {
        profile: profile.to_owned(),
        user_pool_id: "us-east-1_Hardening".to_owned(),
        client_id: "hardeningclient".to_owned(),
        username: format!("user-{version}"),
        user_sub: None,
        refresh_token: Some(format!("refresh-{version}").into()),
        device_key: None,
        device_group_key: None,
        device_password: None,
        device_remembered: None,
        device_name: None,
        device_login_name: None,
        identity_id: Some(format!("us-east-1:{version}")),
        credentials: Some(credentials(version)),
        source: Some(CredentialSource::IdentityPool),
        tokens_expire_at: Some(at(version)),
        id_token: None,
        access_token: None,
        role_arn: None,
        signed_in_with: None,
        refresh_rotates: None,
        updated_at: at(version),
    }
}

/// Versions `from..from + count`, or from `from` on forever.
fn versions(from: u64, count: Option<u64>) -> Box<dyn Iterator<Item = u64>> {
    match count {
        Some(n) => {
            // Released by the test closing stdin, all at once.
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            Box::new(from..from + n)
        }
        None => Box::new(from..),
    }
}

fn committed(version: u64) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{version}").expect("stdout");
    out.flush().expect("stdout");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> &str {
        args.get(i)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("missing argument {i}; see the module documentation"))
    };
    let number = |i: usize| -> Option<u64> { args.get(i).map(|s| s.parse().expect("a number")) };
    match arg(0) {
        "aws" => {
            let files = AwsFiles {
                credentials: PathBuf::from(arg(1)),
                config: PathBuf::from(arg(2)),
            };
            let profile = arg(3);
            for v in versions(number(4).expect("<from>"), number(5)) {
                files
                    .write_credentials(profile, &credentials(v), Some("eu-west-1"), false)
                    .unwrap_or_else(|e| panic!("write version {v}: {e}"));
                committed(v);
            }
        }
        "cache" => {
            let store = FileSessionStore::new(arg(1));
            let profile = arg(2);
            for v in versions(number(3).expect("<from>"), number(4)) {
                let lock = store.lock(profile).expect("lock");
                store
                    .save(&lock, &session(profile, v))
                    .unwrap_or_else(|e| panic!("save version {v}: {e}"));
                drop(lock);
                committed(v);
            }
        }
        "increment" => {
            let store = FileSessionStore::new(arg(1));
            let profile = arg(2);
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            let lock = store.lock(profile).expect("lock");
            let count = match store.load(profile).expect("load") {
                Some(s) => s.username.parse::<u64>().expect("a counter") + 1,
                None => 1,
            };
            // Give another process every chance to interleave, were the lock not exclusive.
            std::thread::yield_now();
            let mut next = session(profile, count);
            next.username = count.to_string();
            store.save(&lock, &next).expect("save");
            committed(count);
        }
        "hold" => {
            let _lock = FileLock::acquire(std::path::Path::new(arg(1))).expect("lock");
            println!("locked");
            std::io::stdout().flush().expect("stdout");
            loop {
                std::thread::park();
            }
        }
        other => panic!("unknown mode `{other}`; see the module documentation"),
    }
}
