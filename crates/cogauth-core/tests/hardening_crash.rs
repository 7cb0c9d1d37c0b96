//! Crash safety: a writer (`examples/hardening_writer.rs`, the code cogauth writes with) is
//! killed with SIGKILL at random points, hundreds of times, while it rewrites a profile in
//! `~/.aws/credentials` or a session in the cache. After every kill the file must be, byte for
//! byte, either the last version the writer reported or the one it was writing. A lock held
//! by a process that dies must not block the next writer, and what a dead writer leaves
//! behind (`.lock` files, `.cogauth-tmp-*` files) must neither block nor corrupt anything.

mod hardening_support;

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chrono::DateTime;
use cogauth_core::awsfiles::AwsFiles;
use cogauth_core::cache::{FileSessionStore, Session, SessionStore};
use cogauth_core::{CredentialSource, Credentials};
use hardening_support::*;

/// Kills per file kind; the issue asks for at least 200 in all.
const KILLS: usize = 200;
/// Kills land uniformly within this long after the writer starts: its start-up, then many
/// writes (a write, with its two fsyncs, takes about a millisecond here). On a slower machine
/// the window grows to twice the time a writer takes to its first write.
const MAX_DELAY_MICROS: u64 = 25_000;

const FOREIGN: &str = "# hand-written, must survive\n[default]\naws_access_key_id = AKIAFOREIGN\n";

/// xorshift64*, seeded from the clock and printed, so a failing sequence can be rerun with
/// `COGAUTH_CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn from_env_or_clock() -> Self {
        #[allow(clippy::disallowed_methods)] // a test switch, not configuration of the library
        let seed = std::env::var("COGAUTH_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                #[allow(clippy::disallowed_methods)] // a seed, not a time the library reads
                let now = std::time::SystemTime::now();
                now.duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("COGAUTH_CRASH_SEED={seed}");
        Self(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// What the kills hit, for docs/reliability.md.
#[derive(Debug, Default)]
struct Tally {
    kills: usize,
    /// The writer had reported no write yet (killed while starting or in its first write).
    before_first_write: usize,
    /// The file held the version being written: killed after the rename, before reporting.
    new_version_on_disk: usize,
    /// A temp file was left behind: killed between creating it and renaming it.
    temp_files_left: usize,
}

/// Kills the writer that `spawn(from)` starts, `KILLS` times; after each kill checks with
/// `version_of` that the file is exactly `expected(version)` for the last reported version or
/// the next one.
fn kill_repeatedly(
    dir: &Path,
    spawn: impl Fn(u64) -> Child,
    version_of: impl Fn() -> Result<u64, String>,
    expected: impl Fn(u64) -> Vec<u8>,
    file: &Path,
) -> Tally {
    let mut rng = Rng::from_env_or_clock();
    let mut tally = Tally::default();
    let seeded = version_of().expect("the seeded version");
    let window = MAX_DELAY_MICROS.max(2 * time_to_first_write(&spawn, seeded + 1));
    let mut on_disk = version_of().expect("the version after the timing run");
    let mut temps: BTreeSet<String> = temp_files(dir).into_iter().collect();
    for _ in 0..KILLS {
        let mut child = spawn(on_disk + 1);
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        child.kill().expect("SIGKILL the writer");
        child.wait().unwrap();
        let mut printed = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut printed)
            .unwrap();
        let reported = printed
            .lines()
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .max();
        let old = reported.unwrap_or(on_disk);
        let now = version_of().unwrap_or_else(|e| {
            panic!("after a kill the file is not a whole version ({e}), last reported {old}")
        });
        assert!(
            now == old || now == old + 1,
            "after a kill the file holds version {now}, the writer reported {old}"
        );
        assert_eq!(
            fs::read(file).unwrap(),
            expected(now),
            "after a kill the file is not byte for byte version {now}"
        );
        tally.kills += 1;
        tally.before_first_write += usize::from(reported.is_none());
        tally.new_version_on_disk += usize::from(now == old + 1);
        let left: BTreeSet<String> = temp_files(dir).into_iter().collect();
        tally.temp_files_left += left.difference(&temps).count();
        temps = left;
        on_disk = now;
    }
    assert_eq!(tally.kills, KILLS);
    assert!(
        tally.kills > tally.before_first_write,
        "no kill landed after a write: {tally:?}"
    );
    tally
}

/// Microseconds from starting a writer to its first committed write (then it is killed).
fn time_to_first_write(spawn: &impl Fn(u64) -> Child, from: u64) -> u64 {
    let started = Instant::now();
    let mut child = spawn(from);
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let took = started.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    took.as_micros() as u64
}

fn credentials(version: u64) -> Credentials {
    Credentials::new(
        format!("ASIA{version:016}"),
        format!("secret-{version}"),
        format!("token-{version}"),
        DateTime::from_timestamp(1_900_000_000 + version as i64, 0).unwrap(),
    )
}

fn aws_files(dir: &Path) -> AwsFiles {
    AwsFiles {
        credentials: dir.join("credentials"),
        config: dir.join("config"),
    }
}

/// The exact bytes of the credentials file at `version`, from the library on a scratch copy.
fn expected_credentials(version: u64) -> Vec<u8> {
    let scratch = tempfile::tempdir().unwrap();
    let files = aws_files(scratch.path());
    fs::write(&files.credentials, FOREIGN).unwrap();
    files
        .write_credentials("crash", &credentials(version), Some("eu-west-1"), false)
        .unwrap();
    fs::read(&files.credentials).unwrap()
}

fn spawn_aws_writer(dir: &Path, from: u64, count: Option<u64>) -> Child {
    let files = aws_files(dir);
    let from = from.to_string();
    let count = count.map(|c| c.to_string());
    let mut args = vec![
        "aws",
        files.credentials.to_str().unwrap(),
        files.config.to_str().unwrap(),
        "crash",
        &from,
    ];
    args.extend(count.as_deref());
    spawn_writer(&args, Stdio::null())
}

fn wait_ok(child: Child) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn killing_a_credentials_writer_leaves_the_old_or_the_new_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".aws");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("credentials");
    fs::write(&file, FOREIGN).unwrap();
    wait_ok(spawn_aws_writer(&dir, 1, Some(1)));

    let tally = kill_repeatedly(
        &dir,
        |from| spawn_aws_writer(&dir, from, None),
        || credentials_version(&fs::read(&file).unwrap(), "crash"),
        expected_credentials,
        &file,
    );
    // The config file was written once, with the first version, and never torn since.
    let config = fs::read_to_string(dir.join("config")).unwrap();
    assert_eq!(
        config,
        "[profile crash]\nx_cogauth_managed = true\nregion = eu-west-1\n"
    );
    // Whatever the kills left behind, the next write lands.
    let next = credentials_version(&fs::read(&file).unwrap(), "crash").unwrap() + 1;
    wait_ok(spawn_aws_writer(&dir, next, Some(1)));
    assert_eq!(fs::read(&file).unwrap(), expected_credentials(next));
    eprintln!("\ncredentials file: {tally:?}");
}

fn session(version: u64) -> Session {
    Session {
        profile: "crash".to_owned(),
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
        tokens_expire_at: Some(
            DateTime::from_timestamp(1_900_000_000 + version as i64, 0).unwrap(),
        ),
        id_token: None,
        access_token: None,
        role_arn: None,
        signed_in_with: None,
        refresh_rotates: None,
        updated_at: DateTime::from_timestamp(1_900_000_000 + version as i64, 0).unwrap(),
    }
}

fn expected_session(version: u64) -> Vec<u8> {
    let scratch = tempfile::tempdir().unwrap();
    let store = FileSessionStore::new(scratch.path());
    let lock = store.lock("crash").unwrap();
    store.save(&lock, &session(version)).unwrap();
    fs::read(scratch.path().join("crash.json")).unwrap()
}

fn spawn_cache_writer(dir: &Path, from: u64, count: Option<u64>) -> Child {
    let from = from.to_string();
    let count = count.map(|c| c.to_string());
    let mut args = vec!["cache", dir.to_str().unwrap(), "crash", &from];
    args.extend(count.as_deref());
    spawn_writer(&args, Stdio::null())
}

#[test]
fn killing_a_session_writer_leaves_the_old_or_the_new_session() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".cache/cogauth");
    wait_ok(spawn_cache_writer(&dir, 1, Some(1)));
    let tally = kill_repeatedly(
        &dir,
        |from| spawn_cache_writer(&dir, from, None),
        || session_version(&dir, "crash"),
        expected_session,
        &dir.join("crash.json"),
    );
    let next = session_version(&dir, "crash").unwrap() + 1;
    wait_ok(spawn_cache_writer(&dir, next, Some(1)));
    assert_eq!(
        fs::read(dir.join("crash.json")).unwrap(),
        expected_session(next)
    );
    eprintln!("\nsession cache: {tally:?}");
}

// ---------------------------------------------------------------------------------------------
// Stale locks and leftovers.

/// Starts a process that takes `target`'s lock and holds it; returns once it holds it.
fn hold_lock(target: &Path) -> Child {
    let mut holder = spawn_writer(&["hold", target.to_str().unwrap()], Stdio::null());
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    holder
}

fn lock_is_held(target: &Path) -> bool {
    let mut name = target.file_name().unwrap().to_os_string();
    name.push(".lock");
    fs::File::open(target.with_file_name(name))
        .unwrap()
        .try_lock()
        .is_err()
}

/// Waits for `child` to exit successfully, failing the test if it is still blocked after a
/// minute (it needs milliseconds once the lock is free).
fn finishes(mut child: Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            assert!(status.success(), "{what} failed: {err}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} is still blocked a minute after the lock holder died");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `writer` was started while `holder` held `target`'s lock: it waits, then proceeds once
/// the holder is killed with SIGKILL (no destructor runs; the kernel drops the flock).
fn recovers_from_a_dead_holder(target: &Path, mut holder: Child, mut writer: Child) {
    std::thread::sleep(Duration::from_millis(200));
    assert!(lock_is_held(target));
    assert!(
        writer.try_wait().unwrap().is_none(),
        "the writer did not wait for the lock"
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    finishes(writer, "the writer");
    assert!(!lock_is_held(target), "the lock file is left, unlocked");
}

#[test]
fn a_credentials_lock_left_by_a_killed_process_is_recovered() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".aws");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("credentials");
    fs::write(&file, FOREIGN).unwrap();

    let holder = hold_lock(&file);
    let writer = spawn_aws_writer(&dir, 7, Some(1));
    recovers_from_a_dead_holder(&file, holder, writer);
    assert_eq!(fs::read(&file).unwrap(), expected_credentials(7));
}

#[test]
fn a_session_lock_left_by_a_killed_process_is_recovered() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".cache/cogauth");
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("crash.json");
    let holder = hold_lock(&file);
    let writer = spawn_cache_writer(&dir, 3, Some(1));
    recovers_from_a_dead_holder(&file, holder, writer);
    assert_eq!(fs::read(&file).unwrap(), expected_session(3));
}

/// What a killed writer leaves (a `.lock` file, temp files with partial contents, even one
/// named like the next temp file could be) neither blocks the next write nor ends up in it.
#[test]
fn leftover_lock_and_temp_files_neither_block_nor_corrupt() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".aws");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("credentials");
    fs::write(&file, FOREIGN).unwrap();
    fs::write(dir.join("credentials.lock"), b"").unwrap();
    let leftovers: Vec<PathBuf> = ["AAAAAA", "zzzzzz", "partial"]
        .iter()
        .map(|s| dir.join(format!(".cogauth-tmp-{s}")))
        .collect();
    for path in &leftovers {
        fs::write(path, "[crash]\naws_access_key_id = TORN").unwrap();
    }
    finishes(
        spawn_aws_writer(&dir, 5, Some(1)),
        "a write beside leftovers",
    );
    assert_eq!(fs::read(&file).unwrap(), expected_credentials(5));
    for path in &leftovers {
        assert_eq!(
            fs::read_to_string(path).unwrap(),
            "[crash]\naws_access_key_id = TORN",
            "a leftover was touched"
        );
    }
}

/// A temporary file left by a writer killed mid-write may hold part of a secret: the next write
/// in its directory removes it once it is clearly stale (an hour old), and leaves a fresh one,
/// which could belong to a writer still at work.
#[test]
fn the_next_write_removes_stale_temp_files() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".aws");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("credentials");
    fs::write(&file, FOREIGN).unwrap();
    let stale = dir.join(".cogauth-tmp-stale1");
    let fresh = dir.join(".cogauth-tmp-fresh1");
    for path in [&stale, &fresh] {
        fs::write(path, "[crash]\naws_secret_access_key = partial").unwrap();
    }
    let two_hours_before =
        fs::metadata(&fresh).unwrap().modified().unwrap() - Duration::from_secs(2 * 3600);
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_before)
        .unwrap();
    finishes(
        spawn_aws_writer(&dir, 9, Some(1)),
        "a write beside stale temp files",
    );
    assert_eq!(fs::read(&file).unwrap(), expected_credentials(9));
    assert!(!stale.exists(), "the stale temp file is left");
    assert!(fresh.exists(), "a fresh temp file was removed");
}
