//! A hundred processes writing at the same instant, through the code cogauth writes with
//! (`examples/hardening_writer.rs`): to one `~/.aws/credentials` (and `config`), to one
//! session cache directory, and a hundred read-modify-writes of one cached session. Nothing
//! written may be lost, nothing foreign touched, and every file stays private.

mod hardening_support;

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Mutex;

use cogauth_core::awsfiles::ini::Ini;
use hardening_support::*;

const WRITERS: usize = 100;

const FOREIGN_CREDENTIALS: &str = "\
# My long-term keys: do not touch.
[default]
aws_access_key_id = AKIAFOREIGN
aws_secret_access_key = foreign-secret ; not a comment

; another comment style
[other]
aws_access_key_id = AKIAOTHER
";

const FOREIGN_CONFIG: &str = "\
# config comment
[default]
region = us-west-2
s3 =
  max_concurrent_requests = 20
";

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Starts `WRITERS` writers blocked on stdin, then releases them all at once by closing their
/// stdin; returns what each printed. Every writer must succeed.
fn run_all_at_once(args: impl Fn(usize) -> Vec<String>) -> Vec<String> {
    // One hundred processes at a time is the test; three hundred would only test the limits
    // on open files and processes.
    static ONE_BATCH_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _batch = ONE_BATCH_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut children: Vec<Child> = (0..WRITERS)
        .map(|i| {
            let args = args(i);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            spawn_writer(&args, Stdio::piped())
        })
        .collect();
    // Closing every stdin releases them together.
    for child in &mut children {
        drop(child.stdin.take());
    }
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "a writer failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        })
        .collect()
}

#[test]
fn a_hundred_processes_write_a_hundred_profiles_to_one_credentials_file() {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    fs::create_dir(&aws).unwrap();
    let credentials = aws.join("credentials");
    let config = aws.join("config");
    fs::write(&credentials, FOREIGN_CREDENTIALS).unwrap();
    fs::set_permissions(&credentials, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&config, FOREIGN_CONFIG).unwrap();

    run_all_at_once(|i| {
        vec![
            "aws".into(),
            credentials.display().to_string(),
            config.display().to_string(),
            format!("p{i:03}"),
            (i as u64 + 1).to_string(),
            "1".into(),
        ]
    });

    let text = fs::read(&credentials).unwrap();
    assert!(
        text.starts_with(FOREIGN_CREDENTIALS.as_bytes()),
        "the foreign part changed:\n{}",
        String::from_utf8_lossy(&text)
    );
    for i in 0..WRITERS {
        assert_eq!(
            credentials_version(&text, &format!("p{i:03}")),
            Ok(i as u64 + 1),
            "profile p{i:03}"
        );
    }
    let ini = Ini::parse_bytes(&text).unwrap();
    assert_eq!(ini.sections().count(), WRITERS + 2, "no extra sections");
    assert_eq!(mode_of(&credentials), 0o600);

    let config_text = fs::read_to_string(&config).unwrap();
    assert!(config_text.starts_with(FOREIGN_CONFIG), "{config_text}");
    let config_ini = Ini::parse(&config_text).unwrap();
    for i in 0..WRITERS {
        let section = config_ini.section(&format!("profile p{i:03}")).unwrap();
        assert_eq!(section.get("region"), Some("eu-west-1"));
    }
    assert_eq!(config_ini.sections().count(), WRITERS + 1);
    assert!(temp_files(&aws).is_empty(), "{:?}", temp_files(&aws));
}

#[test]
fn a_hundred_processes_save_a_hundred_sessions_in_one_cache() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".cache/cogauth");
    run_all_at_once(|i| {
        vec![
            "cache".into(),
            cache.display().to_string(),
            format!("p{i:03}"),
            (i as u64 + 1).to_string(),
            "1".into(),
        ]
    });
    for i in 0..WRITERS {
        let profile = format!("p{i:03}");
        assert_eq!(session_version(&cache, &profile), Ok(i as u64 + 1));
        assert_eq!(mode_of(&cache.join(format!("{profile}.json"))), 0o600);
    }
    assert_eq!(mode_of(&cache), 0o700);
    assert!(temp_files(&cache).is_empty());
}

/// Lock, load, add one, save, in a hundred processes at once: the lock serializes them, so
/// the counter ends at exactly a hundred and each process saw a different value.
#[test]
fn a_hundred_read_modify_writes_of_one_session_lose_no_update() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".cache/cogauth");
    let printed = run_all_at_once(|_| {
        vec![
            "increment".into(),
            cache.display().to_string(),
            "shared".into(),
        ]
    });
    let mut seen: Vec<u64> = printed.iter().map(|s| s.trim().parse().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=WRITERS as u64).collect::<Vec<_>>());

    let mut text = String::new();
    fs::File::open(cache.join("shared.json"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let session: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(session["username"], WRITERS.to_string());
}
