//! The file session store: round trip, modes, corruption, deletion, and the lock that makes
//! refresh-token rotation safe across processes.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Utc};
use cogauth_core::cache::{CacheError, FileSessionStore, Session, SessionStore};
use cogauth_core::env::MapEnv;
use cogauth_core::{CredentialSource, Credentials};
use secrecy::ExposeSecret;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000 + seconds, 0).unwrap()
}

fn session(profile: &str) -> Session {
    Session {
        profile: profile.to_owned(),
        user_pool_id: "us-east-1_TestPool".to_owned(),
        client_id: "testclient".to_owned(),
        username: "alice".to_owned(),
        user_sub: Some("sub-alice".to_owned()),
        refresh_token: Some("canary-refresh-token".to_owned().into()),
        device_key: Some("us-east-1_device".to_owned()),
        device_group_key: None,
        device_password: None,
        device_remembered: None,
        device_name: None,
        device_login_name: None,
        identity_id: Some("us-east-1:0000".to_owned()),
        credentials: Some(Credentials::new(
            "ASIATEST",
            "canary-secret-key",
            "canary-session-token",
            at(3600),
        )),
        source: Some(CredentialSource::IdentityPool),
        tokens_expire_at: Some(at(3600)),
        id_token: Some("canary-id-token".to_owned().into()),
        access_token: Some("canary-access-token".to_owned().into()),
        role_arn: Some("arn:aws:iam::123456789012:role/Dev".to_owned()),
        signed_in_with: None,
        refresh_rotates: None,
        updated_at: at(0),
    }
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn store() -> (tempfile::TempDir, FileSessionStore) {
    let home = tempfile::tempdir().unwrap();
    let env = MapEnv::new().with("HOME", home.path().to_str().unwrap());
    let store = FileSessionStore::from_env(&env).unwrap();
    assert_eq!(store.dir(), home.path().join(".cache/cogauth"));
    (home, store)
}

#[test]
fn save_then_load_gives_the_session_back_in_private_files() {
    let (_home, store) = store();
    assert!(store.load("dev").unwrap().is_none());
    let lock = store.lock("dev").unwrap();
    store.save(&lock, &session("dev")).unwrap();

    let loaded = store.load("dev").unwrap().unwrap();
    let expected = session("dev");
    assert_eq!(
        (
            &loaded.profile,
            &loaded.user_pool_id,
            &loaded.client_id,
            &loaded.username
        ),
        (
            &expected.profile,
            &expected.user_pool_id,
            &expected.client_id,
            &expected.username
        )
    );
    assert_eq!(
        loaded.refresh_token.as_ref().unwrap().expose_secret(),
        "canary-refresh-token"
    );
    assert_eq!(loaded.device_key, expected.device_key);
    assert_eq!(loaded.user_sub, expected.user_sub);
    assert_eq!(loaded.identity_id, expected.identity_id);
    let creds = loaded.credentials.unwrap();
    assert_eq!(creds.access_key_id, "ASIATEST");
    assert_eq!(creds.secret_access_key(), "canary-secret-key");
    assert_eq!(creds.session_token(), "canary-session-token");
    assert_eq!(creds.expiration, at(3600));
    assert_eq!(loaded.source, Some(CredentialSource::IdentityPool));
    assert_eq!(loaded.tokens_expire_at, Some(at(3600)));
    assert_eq!(
        loaded.id_token.as_ref().unwrap().expose_secret(),
        "canary-id-token"
    );
    assert_eq!(
        loaded.access_token.as_ref().unwrap().expose_secret(),
        "canary-access-token"
    );
    assert_eq!(expected.role_arn, loaded.role_arn);
    assert_eq!(loaded.updated_at, at(0));

    assert_eq!(mode_of(store.dir()), 0o700);
    assert_eq!(mode_of(&store.dir().join("dev.json")), 0o600);
}

#[test]
fn a_session_without_a_login_yet_round_trips() {
    let (_home, store) = store();
    let mut bare = session("bare");
    bare.refresh_token = None;
    bare.credentials = None;
    bare.source = None;
    let lock = store.lock("bare").unwrap();
    store.save(&lock, &bare).unwrap();
    let loaded = store.load("bare").unwrap().unwrap();
    assert!(loaded.refresh_token.is_none() && loaded.credentials.is_none());
}

#[test]
fn an_open_cache_directory_is_made_private() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("cache");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let store = FileSessionStore::new(&dir);
    let lock = store.lock("dev").unwrap();
    store.save(&lock, &session("dev")).unwrap();
    assert_eq!(mode_of(&dir), 0o700);
}

#[test]
fn a_corrupt_file_names_itself_and_the_way_out_without_quoting_secrets() {
    let (_home, store) = store();
    fs::create_dir_all(store.dir()).unwrap();
    let path = store.dir().join("dev.json");
    for contents in [
        "{ not json".to_owned(),
        // The right syntax, the wrong shape: serde_json would quote the string in its message.
        r#"{"profile":"dev","user_pool_id":"p","client_id":"c","username":"u",
            "credentials":"canary-secret","updated_at":"2030-01-01T00:00:00Z"}"#
            .to_owned(),
        String::new(),
    ] {
        fs::write(&path, &contents).unwrap();
        let err = store.load("dev").unwrap_err();
        assert!(matches!(err, CacheError::Corrupt { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(shown.contains(path.to_str().unwrap()), "{shown}");
        assert!(shown.contains("`cogauth logout --profile dev`"), "{shown}");
        assert!(!shown.contains("canary"), "{shown}");
    }
}

#[test]
fn a_file_holding_another_profile_is_corrupt() {
    let (_home, store) = store();
    let lock = store.lock("dev").unwrap();
    store.save(&lock, &session("dev")).unwrap();
    fs::rename(store.dir().join("dev.json"), store.dir().join("prod.json")).unwrap();
    let err = store.load("prod").unwrap_err().to_string();
    assert!(err.contains("holds the session of profile `dev`"), "{err}");
}

#[test]
fn delete_removes_the_session_and_lists_follow() {
    let (_home, store) = store();
    assert!(store.profiles().unwrap().is_empty(), "no directory yet");
    for profile in ["prod", "dev"] {
        let lock = store.lock(profile).unwrap();
        store.save(&lock, &session(profile)).unwrap();
    }
    fs::write(store.dir().join("notes.txt"), "not a session").unwrap();
    assert_eq!(store.profiles().unwrap(), ["dev", "prod"]);

    let lock = store.lock("dev").unwrap();
    assert!(store.delete(&lock).unwrap());
    assert!(!store.delete(&lock).unwrap());
    assert!(store.load("dev").unwrap().is_none());
    assert_eq!(store.profiles().unwrap(), ["prod"]);
}

#[test]
fn a_corrupt_session_can_still_be_deleted() {
    let (_home, store) = store();
    fs::create_dir_all(store.dir()).unwrap();
    fs::write(store.dir().join("dev.json"), "garbage").unwrap();
    let lock = store.lock("dev").unwrap();
    assert!(store.delete(&lock).unwrap());
    assert!(store.load("dev").unwrap().is_none());
}

#[test]
fn the_lock_of_one_profile_cannot_save_another() {
    let (_home, store) = store();
    let lock = store.lock("dev").unwrap();
    let err = store.save(&lock, &session("prod")).unwrap_err();
    assert!(matches!(err, CacheError::WrongLock { .. }), "{err:?}");
    assert!(store.load("prod").unwrap().is_none());

    let (_other_home, other_store) = self::store();
    let err = other_store.delete(&lock).unwrap_err();
    assert!(matches!(err, CacheError::WrongLock { .. }), "{err:?}");
}

#[test]
fn profile_names_cannot_leave_the_directory() {
    let (_home, store) = store();
    for bad in ["../escape", "a/b", "", ".hidden"] {
        assert!(
            matches!(store.lock(bad), Err(CacheError::BadProfileName(_))),
            "{bad:?}"
        );
        assert!(
            matches!(store.load(bad), Err(CacheError::BadProfileName(_))),
            "{bad:?}"
        );
    }
}

/// The lock is a `flock` on a sidecar file, so any other open of it (as another process would
/// do) cannot take it while it is held.
#[test]
fn the_lock_excludes_other_openers_until_dropped() {
    let (_home, store) = store();
    let lock = store.lock("dev").unwrap();
    let sidecar = fs::File::open(store.dir().join("dev.json.lock")).unwrap();
    assert!(matches!(
        sidecar.try_lock(),
        Err(fs::TryLockError::WouldBlock)
    ));
    // Another profile's lock is independent.
    let other = store.lock("prod").unwrap();
    drop(other);
    drop(lock);
    sidecar.try_lock().unwrap();
}

/// Lock, load, change, save from many threads at once: with the lock serializing them, no
/// update is lost (each one counts in `identity_id`).
#[test]
fn concurrent_lockers_serialize_their_read_modify_write() {
    const WORKERS: usize = 16;
    let (_home, store) = store();
    let mut first = session("dev");
    first.identity_id = Some("0".to_owned());
    let lock = store.lock("dev").unwrap();
    store.save(&lock, &first).unwrap();
    drop(lock);

    let store = Arc::new(store);
    let start = Arc::new(Barrier::new(WORKERS));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let lock = store.lock("dev").unwrap();
                let mut session = store.load("dev").unwrap().unwrap();
                let count: usize = session.identity_id.unwrap().parse().unwrap();
                // Give another thread every chance to interleave if the lock did not hold it off.
                std::thread::yield_now();
                session.identity_id = Some((count + 1).to_string());
                store.save(&lock, &session).unwrap();
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let last = store.load("dev").unwrap().unwrap();
    assert_eq!(
        last.identity_id.as_deref(),
        Some(WORKERS.to_string().as_str())
    );
}
