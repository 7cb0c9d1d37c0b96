//! The ~/.aws writer, driven by fixture directories under `tests/data/awsfiles/<case>/`:
//!
//! - `op.json`: the operation (see [`Op`]);
//! - `credentials.in`, `config.in`: the files before (absent = no such file);
//! - `credentials.out`, `config.out`: the files after (absent = unchanged, or still absent);
//! - `expected_error`: the error's exact message, with `$HOME` for the temporary home; the
//!   files must then be unchanged.
//!
//! `UPDATE_FIXTURES=1 cargo test -p cogauth-core --test it awsfiles::` rewrites the expected files
//! from the results; review the diff before committing it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Utc};
use cogauth_core::Credentials;
use cogauth_core::awsfiles::AwsFiles;
use cogauth_core::awsfiles::ini::Ini;
use cogauth_core::env::MapEnv;
use serde::Deserialize;

const FILES: [&str; 2] = ["credentials", "config"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Op {
    op: OpKind,
    profile: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    force: bool,
    /// For `write_credential_process`.
    #[serde(default)]
    command: Option<String>,
    /// For `write_credentials`; the fixture credentials below if absent.
    #[serde(default)]
    access_key_id: Option<String>,
    /// For `remove_profile`: its expected result.
    #[serde(default)]
    removed: Option<bool>,
    /// For `refresh_credentials`: its expected result.
    #[serde(default)]
    rewritten: Option<bool>,
    /// Place the inputs in `~/dotfiles/` and make `~/.aws/<file>` symlinks to them.
    #[serde(default)]
    symlink: bool,
    /// Octal mode to give `config.in` before the operation (the file must keep it).
    #[serde(default)]
    config_mode: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OpKind {
    WriteCredentials,
    WriteCredentialProcess,
    RemoveProfile,
    RefreshCredentials,
}

fn fixture_credentials(access_key_id: Option<&str>) -> Credentials {
    let expiration: DateTime<Utc> = "2030-01-02T03:04:05Z".parse().unwrap();
    Credentials::new(
        access_key_id.unwrap_or("ASIAFIXTUREKEY"),
        "fixture-secret-key",
        "fixture-session-token",
        expiration,
    )
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/awsfiles")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[allow(clippy::disallowed_methods)] // a test switch, not configuration of the library
fn updating() -> bool {
    std::env::var_os("UPDATE_FIXTURES").is_some()
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Runs one case; returns a description of every mismatch.
fn check(case: &Path) -> Vec<String> {
    let op: Op = serde_json::from_slice(&fs::read(case.join("op.json")).unwrap())
        .unwrap_or_else(|e| panic!("{}: op.json: {e}", case.display()));
    let home = tempfile::tempdir().unwrap();
    let aws_dir = home.path().join(".aws");
    let inputs: Vec<Option<Vec<u8>>> = FILES
        .iter()
        .map(|f| fs::read(case.join(format!("{f}.in"))).ok())
        .collect();

    // Lay the inputs out, as regular files or through symlinks.
    let real_path = |file: &str| {
        if op.symlink {
            home.path().join("dotfiles").join(file)
        } else {
            aws_dir.join(file)
        }
    };
    for (file, input) in FILES.iter().zip(&inputs) {
        let Some(bytes) = input else { continue };
        let real = real_path(file);
        fs::create_dir_all(real.parent().unwrap()).unwrap();
        fs::write(&real, bytes).unwrap();
        if op.symlink {
            fs::create_dir_all(&aws_dir).unwrap();
            std::os::unix::fs::symlink(&real, aws_dir.join(file)).unwrap();
        }
    }
    let config_mode = op
        .config_mode
        .as_deref()
        .map(|m| u32::from_str_radix(m, 8).unwrap());
    if let Some(mode) = config_mode {
        fs::set_permissions(real_path("config"), fs::Permissions::from_mode(mode)).unwrap();
    }
    let aws_dir_existed = aws_dir.exists();
    let config_mode_before = fs::metadata(aws_dir.join("config"))
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);

    let env = MapEnv::new().with("HOME", home.path().to_str().unwrap());
    let files = AwsFiles::from_env(&env).unwrap();
    let creds = fixture_credentials(op.access_key_id.as_deref());
    let region = op.region.as_deref();
    let result = match op.op {
        OpKind::WriteCredentials => files
            .write_credentials(&op.profile, &creds, region, op.force)
            .map(|()| None),
        OpKind::WriteCredentialProcess => files
            .write_credential_process(
                &op.profile,
                op.command.as_deref().expect("op.json: `command`"),
                region,
                op.force,
            )
            .map(|()| None),
        OpKind::RemoveProfile => files.remove_profile(&op.profile).map(Some),
        OpKind::RefreshCredentials => files.refresh_credentials(&op.profile, &creds).map(Some),
    };
    let expected_result = match op.op {
        OpKind::RemoveProfile => op.removed,
        OpKind::RefreshCredentials => op.rewritten,
        OpKind::WriteCredentials | OpKind::WriteCredentialProcess => None,
    };

    let mut problems = Vec::new();
    let error_file = case.join("expected_error");
    match &result {
        Ok(removed) => {
            if error_file.exists() {
                problems.push("succeeded, but `expected_error` exists".to_owned());
            }
            if *removed != expected_result {
                problems.push(format!(
                    "returned {removed:?}, op.json says {expected_result:?}"
                ));
            }
        }
        Err(err) => {
            let shown = err
                .to_string()
                .replace(home.path().to_str().unwrap(), "$HOME");
            if updating() {
                fs::write(&error_file, format!("{shown}\n")).unwrap();
            } else {
                match fs::read_to_string(&error_file) {
                    Ok(expected) if expected.trim_end() == shown => {}
                    Ok(expected) => problems.push(format!(
                        "error:\n  expected: {}\n  got:      {shown}",
                        expected.trim_end()
                    )),
                    Err(_) => problems.push(format!("unexpected error: {shown}")),
                }
            }
        }
    }

    for (file, input) in FILES.iter().zip(&inputs) {
        let path = aws_dir.join(file);
        let actual = fs::read(&path).ok();
        let expected_path = case.join(format!("{file}.out"));
        if updating() && result.is_ok() {
            if actual != *input {
                fs::write(&expected_path, actual.as_deref().unwrap_or_default()).unwrap();
            } else {
                let _ = fs::remove_file(&expected_path);
            }
        }
        let expected = match fs::read(&expected_path) {
            Ok(bytes) if result.is_err() => {
                problems.push(format!("{file}.out exists for a case that fails"));
                Some(bytes)
            }
            Ok(bytes) => Some(bytes),
            Err(_) => input.clone(),
        };
        if actual != expected {
            problems.push(format!(
                "{file}:\n--- expected\n{}\n--- got\n{}",
                show(expected.as_deref()),
                show(actual.as_deref())
            ));
        }
        if actual.is_some() && actual != *input {
            if op.symlink {
                let meta = fs::symlink_metadata(&path).unwrap();
                if !meta.file_type().is_symlink() {
                    problems.push(format!("{file}: the symlink was replaced by a file"));
                }
            }
            // The credentials file is always 0600; the config file keeps its mode.
            let want = match *file {
                "config" => config_mode_before.unwrap_or(0o600),
                _ => 0o600,
            };
            if mode_of(&path) != want {
                problems.push(format!(
                    "{file}: mode {:o}, expected {want:o}",
                    mode_of(&path)
                ));
            }
        }
    }
    if !aws_dir_existed && aws_dir.exists() && mode_of(&aws_dir) != 0o700 {
        problems.push(format!("~/.aws created with mode {:o}", mode_of(&aws_dir)));
    }
    problems
}

fn show(bytes: Option<&[u8]>) -> String {
    match bytes {
        None => "(no file)".to_owned(),
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
    }
}

#[test]
fn fixtures() {
    let cases = case_dirs();
    assert!(cases.len() >= 20, "fixture cases missing: {cases:?}");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let problems = check(case);
            (!problems.is_empty()).then(|| {
                format!(
                    "{}:\n  {}",
                    case.file_name().unwrap().to_string_lossy(),
                    problems.join("\n  ")
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Parse then write, with no edit, gives back every fixture input byte for byte (the inputs
/// that are not INI must be refused instead).
#[test]
fn fixture_inputs_round_trip() {
    let (mut round_tripped, mut refused) = (0, 0);
    for case in case_dirs() {
        for file in FILES {
            let Ok(bytes) = fs::read(case.join(format!("{file}.in"))) else {
                continue;
            };
            match Ini::parse_bytes(&bytes) {
                Ok(ini) => {
                    assert_eq!(ini.to_bytes(), bytes, "{}/{file}.in", case.display());
                    round_tripped += 1;
                }
                Err(e) => {
                    let expected = fs::read_to_string(case.join("expected_error"))
                        .unwrap_or_else(|_| panic!("{}/{file}.in: {e}", case.display()));
                    assert!(expected.contains("not a valid AWS INI file"), "{expected}");
                    refused += 1;
                }
            }
        }
    }
    assert!(
        round_tripped >= 20 && refused >= 3,
        "{round_tripped} {refused}"
    );
}

#[test]
fn an_existing_credentials_file_is_tightened_to_0600() {
    let home = tempfile::tempdir().unwrap();
    let files = AwsFiles {
        credentials: home.path().join("creds"),
        config: home.path().join("config"),
    };
    fs::write(&files.credentials, "[other]\nk = v\n").unwrap();
    fs::set_permissions(&files.credentials, fs::Permissions::from_mode(0o644)).unwrap();
    files
        .write_credentials("dev", &fixture_credentials(None), None, false)
        .unwrap();
    assert_eq!(mode_of(&files.credentials), 0o600);
    assert!(!files.config.exists(), "no region: no config file");
}

#[test]
fn removing_from_missing_files_creates_nothing() {
    let home = tempfile::tempdir().unwrap();
    let env = MapEnv::new().with("HOME", home.path().to_str().unwrap());
    let files = AwsFiles::from_env(&env).unwrap();
    assert!(!files.remove_profile("dev").unwrap());
    assert!(!home.path().join(".aws").exists());
}

#[test]
fn the_aws_variables_choose_the_files() {
    let env = MapEnv::new()
        .with("HOME", "/h")
        .with("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds")
        .with("AWS_CONFIG_FILE", "/etc/aws-config");
    let files = AwsFiles::from_env(&env).unwrap();
    assert_eq!(files.credentials, Path::new("/h/elsewhere/creds"));
    assert_eq!(files.config, Path::new("/etc/aws-config"));
}

#[test]
fn one_file_for_both_is_refused_before_any_lock() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("both");
    let files = AwsFiles {
        credentials: path.clone(),
        config: path.clone(),
    };
    let err = files
        .write_credentials("dev", &fixture_credentials(None), Some("eu-west-1"), false)
        .unwrap_err();
    assert!(err.to_string().contains("are the same file"), "{err}");
    assert!(!path.exists());
}

/// What the SDKs would take from the default profile before a container-credentials server.
#[test]
fn credentials_in_the_default_profile_are_found() {
    let home = tempfile::tempdir().unwrap();
    let files = AwsFiles {
        credentials: home.path().join("credentials"),
        config: home.path().join("config"),
    };
    let found = |credentials: &str, config: &str| {
        fs::write(&files.credentials, credentials).unwrap();
        fs::write(&files.config, config).unwrap();
        files.default_profile_credentials().map(|f| f.to_string())
    };
    // Nothing: no files, an empty default profile, a region only, keys in other profiles, a
    // bare `[dev]` in the config file (not a profile there), a file that is not INI.
    assert_eq!(files.default_profile_credentials(), None);
    assert_eq!(
        found("[default]\n", "[default]\nregion = eu-west-1\n"),
        None
    );
    assert_eq!(
        found(
            "[dev]\naws_access_key_id = AKIA\n",
            "[profile dev]\ncredential_process = x\n[dev]\nrole_arn = y\n"
        ),
        None
    );
    assert_eq!(found("[default]\naws_access_key_id =\n", ""), None);
    assert_eq!(found("[default\naws_access_key_id = AKIA\n", ""), None);
    // The credentials file first, then the config file's `[default]` or `[profile default]`.
    let credentials = files.credentials.display();
    let config = files.config.display();
    assert_eq!(
        found(
            "# mine\n[default]\nAWS_ACCESS_KEY_ID = AKIA\n",
            "[default]\ncredential_process = x\n"
        ),
        Some(format!("`aws_access_key_id` in [default] of {credentials}"))
    );
    assert_eq!(
        found(
            "",
            "[default]\nregion = us-east-1\ncredential_process = x\n"
        ),
        Some(format!("`credential_process` in [default] of {config}"))
    );
    assert_eq!(
        found("", "[profile  default]\nsso_session = corp\n"),
        Some(format!("`sso_session` in [profile  default] of {config}"))
    );
    assert_eq!(
        found(
            "",
            "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\n"
        ),
        Some(format!("`role_arn` in [default] of {config}"))
    );
}

/// Many writers of different profiles at once, in one file: the lock is held from read to
/// rename, so no write is lost and the hand-written parts survive.
#[test]
fn concurrent_writers_of_different_profiles_all_land() {
    const WRITERS: usize = 24;
    let home = tempfile::tempdir().unwrap();
    let header = "# my keys, keep this comment\n[default]\naws_access_key_id = AKIAKEEP\n\n";
    let config_header = "; config comment\n[default]\nregion = us-east-1\n";
    let files = AwsFiles {
        credentials: home.path().join(".aws/credentials"),
        config: home.path().join(".aws/config"),
    };
    fs::create_dir_all(home.path().join(".aws")).unwrap();
    fs::write(&files.credentials, header).unwrap();
    fs::write(&files.config, config_header).unwrap();

    let start = Arc::new(Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|i| {
            let files = files.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let profile = format!("p{i:02}");
                let creds = fixture_credentials(Some(&format!("ASIA{i:02}")));
                if i % 3 == 0 {
                    files.write_credential_process(
                        &profile,
                        "/bin/cogauth x",
                        Some("eu-west-1"),
                        false,
                    )
                } else {
                    files.write_credentials(&profile, &creds, Some("eu-west-1"), false)
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }

    let credentials = fs::read_to_string(&files.credentials).unwrap();
    let config = fs::read_to_string(&files.config).unwrap();
    assert!(credentials.starts_with(header), "{credentials}");
    assert!(config.starts_with(config_header), "{config}");
    let credentials_ini = Ini::parse(&credentials).unwrap();
    let config_ini = Ini::parse(&config).unwrap();
    for i in 0..WRITERS {
        let profile = format!("p{i:02}");
        let in_config = config_ini.section(&format!("profile {profile}")).unwrap();
        if i % 3 == 0 {
            assert!(credentials_ini.section(&profile).is_none());
            assert_eq!(in_config.get("credential_process"), Some("/bin/cogauth x"));
        } else {
            let section = credentials_ini.section(&profile).unwrap();
            assert_eq!(
                section.get("aws_access_key_id"),
                Some(format!("ASIA{i:02}").as_str())
            );
            assert_eq!(in_config.get("region"), Some("eu-west-1"));
        }
    }
    // Nothing else: no torn or doubled sections.
    assert_eq!(
        credentials_ini.sections().count(),
        1 + WRITERS - WRITERS.div_ceil(3)
    );
    assert_eq!(config_ini.sections().count(), 1 + WRITERS);
}
