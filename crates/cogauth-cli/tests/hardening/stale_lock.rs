//! A lock left by a process that died, with the real binary: another process holds the
//! session's lock (`flock`, as cogauth takes it) while `cogauth credential-process` needs a
//! refresh. It waits; once the holder is killed with SIGKILL, the kernel drops the lock and
//! cogauth proceeds. (The library-level crash tests are in `cogauth-core/tests/hardening_*`.)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cogauth_test_support::TestHome;

use crate::support::*;

/// Holds an exclusive `flock` on `path` until killed; returns once it holds it.
fn hold_lock(path: &std::path::Path) -> std::process::Child {
    let mut holder = Command::new("python3")
        .args([
            "-c",
            "import fcntl, sys, time\n\
             f = open(sys.argv[1], 'a')\n\
             fcntl.flock(f, fcntl.LOCK_EX)\n\
             print('locked', flush=True)\n\
             time.sleep(600)",
        ])
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (the emulator needs it too)");
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    holder
}

#[test]
fn a_refresh_waits_for_a_lock_holder_and_proceeds_once_it_is_killed() {
    let home = TestHome::new();
    let pool = &shared_pool().0;
    home.write(".config/cogauth/config.toml", &dev_profile(pool));
    login(&home).ok();
    let path = home.join(".cache/cogauth/dev.json");
    let mut session: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    session["credentials"]["expiration"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&path, session.to_string()).unwrap();

    let mut holder = hold_lock(&home.join(".cache/cogauth/dev.json.lock"));
    let mut refresh = home
        .command(COGAUTH)
        .args(["credential-process", "--profile", "dev"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        refresh.try_wait().unwrap().is_none(),
        "credential-process did not wait for the session lock"
    );
    holder.kill().unwrap();
    holder.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    while refresh.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "credential-process is still blocked a minute after the lock holder died"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = refresh.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["Version"], 1);
    let refreshed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_ne!(
        refreshed["credentials"]["expiration"], "2000-01-01T00:00:00Z",
        "the refresh was stored"
    );
}
