//! Known-answer tests for the SRP math: every vector in the project's copy of
//! `tests/data/srp/*.json`, and every file named in `COGAUTH_SRP_EXTRA_VECTORS`
//! (colon-separated paths, same format). A named file that is missing, malformed or empty fails
//! the test: a vector file that is silently skipped proves nothing.
//!
//! A file holds any of four sections: `srp` (PASSWORD_VERIFIER), `timestamps`,
//! `device_verifiers` (ConfirmDevice) and `device_auth` (DEVICE_PASSWORD_VERIFIER); see
//! `tests/data/srp/README.md`.

use std::path::{Path, PathBuf};

use chrono::DateTime;
use cogauth_core::srp::{self, DeviceVerifier, SrpClient};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const EXTRA_VECTORS_VAR: &str = "COGAUTH_SRP_EXTRA_VECTORS";

#[derive(Debug, Deserialize)]
struct VectorFile {
    #[serde(default)]
    srp: Vec<SrpVector>,
    #[serde(default)]
    timestamps: Vec<TimestampVector>,
    #[serde(default)]
    device_verifiers: Vec<DeviceVerifierVector>,
    #[serde(default)]
    device_auth: Vec<DeviceAuthVector>,
}

impl VectorFile {
    fn len(&self) -> usize {
        self.srp.len()
            + self.timestamps.len()
            + self.device_verifiers.len()
            + self.device_auth.len()
    }
}

#[derive(Debug, Deserialize)]
struct DeviceVerifierVector {
    name: String,
    device_group_key: String,
    device_key: String,
    random_password_bytes_hex: String,
    random_salt_bytes_hex: String,
    expected_device_password: String,
    expected_salt_b64: String,
    expected_password_verifier_b64: String,
}

#[derive(Debug, Deserialize)]
struct DeviceAuthVector {
    name: String,
    device_group_key: String,
    device_key: String,
    device_password: String,
    small_a_hex: String,
    srp_b_hex: String,
    salt_hex: String,
    secret_block_b64: String,
    timestamp: String,
    expected_srp_a_hex: String,
    expected_password_claim_signature: String,
}

#[derive(Debug, Deserialize)]
struct SrpVector {
    name: String,
    pool_id: String,
    user_id_for_srp: String,
    password: String,
    small_a_hex: String,
    srp_b_hex: String,
    salt_hex: String,
    secret_block_b64: String,
    timestamp: String,
    expected_srp_a_hex: String,
    expected_password_claim_signature: String,
}

#[derive(Debug, Deserialize)]
struct TimestampVector {
    unix_seconds: i64,
    expected: String,
}

fn project_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/srp");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    files
}

#[allow(clippy::disallowed_methods)] // tests may read the process environment
fn extra_files() -> Vec<PathBuf> {
    match std::env::var_os(EXTRA_VECTORS_VAR) {
        None => Vec::new(),
        Some(value) => std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
    }
}

fn load(path: &Path) -> VectorFile {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read SRP vector file {}: {e}", path.display()));
    let file: VectorFile = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("SRP vector file {} is malformed: {e}", path.display()));
    assert!(
        file.len() > 0,
        "SRP vector file {} holds no vectors",
        path.display()
    );
    file
}

fn normalized_hex(hex: &str) -> String {
    hex.trim().trim_start_matches('0').to_ascii_lowercase()
}

/// Checks every vector of one file; returns how many were checked.
fn check_file(path: &Path) -> usize {
    let file = load(path);
    let where_ = path.display();
    for v in &file.srp {
        let small_a = hex::decode(&v.small_a_hex)
            .unwrap_or_else(|e| panic!("{where_} {}: small_a_hex: {e}", v.name));
        let client = SrpClient::with_small_a(&small_a)
            .unwrap_or_else(|e| panic!("{where_} {}: {e}", v.name));
        assert_eq!(
            normalized_hex(&client.srp_a_hex()),
            normalized_hex(&v.expected_srp_a_hex),
            "{where_} {}: SRP_A",
            v.name
        );
        let pool_name =
            srp::pool_name(&v.pool_id).unwrap_or_else(|e| panic!("{where_} {}: {e}", v.name));
        let key = client
            .password_key(
                pool_name,
                &v.user_id_for_srp,
                &SecretString::from(v.password.clone()),
                &v.srp_b_hex,
                &v.salt_hex,
            )
            .unwrap_or_else(|e| panic!("{where_} {}: {e}", v.name));
        let signature = key.claim_signature(
            pool_name,
            &v.user_id_for_srp,
            &v.secret_block_b64,
            &v.timestamp,
        );
        assert_eq!(
            signature, v.expected_password_claim_signature,
            "{where_} {}: PASSWORD_CLAIM_SIGNATURE",
            v.name
        );
    }
    for t in &file.timestamps {
        let at = DateTime::from_timestamp(t.unix_seconds, 0)
            .unwrap_or_else(|| panic!("{where_}: {} is out of range", t.unix_seconds));
        assert_eq!(
            srp::format_timestamp(at),
            t.expected,
            "{where_}: timestamp of {}",
            t.unix_seconds
        );
    }
    for v in &file.device_verifiers {
        let bytes = |hex: &str, what: &str| {
            hex::decode(hex).unwrap_or_else(|e| panic!("{where_} {}: {what}: {e}", v.name))
        };
        let password: [u8; 40] = bytes(&v.random_password_bytes_hex, "random_password_bytes_hex")
            .try_into()
            .unwrap_or_else(|_| panic!("{where_} {}: 40 password bytes", v.name));
        let salt: [u8; 16] = bytes(&v.random_salt_bytes_hex, "random_salt_bytes_hex")
            .try_into()
            .unwrap_or_else(|_| panic!("{where_} {}: 16 salt bytes", v.name));
        let made =
            DeviceVerifier::from_random(&v.device_group_key, &v.device_key, &password, &salt);
        assert_eq!(
            made.device_password().expose_secret(),
            v.expected_device_password,
            "{where_} {}: device password",
            v.name
        );
        assert_eq!(
            made.salt(),
            v.expected_salt_b64,
            "{where_} {}: Salt",
            v.name
        );
        assert_eq!(
            made.password_verifier(),
            v.expected_password_verifier_b64,
            "{where_} {}: PasswordVerifier",
            v.name
        );
    }
    for v in &file.device_auth {
        let small_a = hex::decode(&v.small_a_hex)
            .unwrap_or_else(|e| panic!("{where_} {}: small_a_hex: {e}", v.name));
        let client = SrpClient::with_small_a(&small_a)
            .unwrap_or_else(|e| panic!("{where_} {}: {e}", v.name));
        assert_eq!(
            normalized_hex(&client.srp_a_hex()),
            normalized_hex(&v.expected_srp_a_hex),
            "{where_} {}: SRP_A",
            v.name
        );
        let key = client
            .device_password_key(
                &v.device_group_key,
                &v.device_key,
                &SecretString::from(v.device_password.clone()),
                &v.srp_b_hex,
                &v.salt_hex,
            )
            .unwrap_or_else(|e| panic!("{where_} {}: {e}", v.name));
        let signature = key.device_claim_signature(
            &v.device_group_key,
            &v.device_key,
            &v.secret_block_b64,
            &v.timestamp,
        );
        assert_eq!(
            signature, v.expected_password_claim_signature,
            "{where_} {}: PASSWORD_CLAIM_SIGNATURE",
            v.name
        );
    }
    file.len()
}

#[test]
fn every_project_vector_passes() {
    let checked: usize = project_files().iter().map(|p| check_file(p)).sum();
    assert!(checked >= 25, "only {checked} vectors checked");
}

#[test]
fn every_extra_vector_file_passes() {
    for path in extra_files() {
        check_file(&path);
    }
}

#[test]
fn a_vector_with_a_wrong_expectation_fails() {
    // The checker itself must be able to fail: a signature for another timestamp differs.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/srp/amazon-cognito-identity-js.json");
    let file = load(&path);
    let v = &file.srp[0];
    let client = SrpClient::with_small_a(&hex::decode(&v.small_a_hex).unwrap()).unwrap();
    let pool_name = srp::pool_name(&v.pool_id).unwrap();
    let key = client
        .password_key(
            pool_name,
            &v.user_id_for_srp,
            &SecretString::from(format!("{}x", v.password)),
            &v.srp_b_hex,
            &v.salt_hex,
        )
        .unwrap();
    let signature = key.claim_signature(
        pool_name,
        &v.user_id_for_srp,
        &v.secret_block_b64,
        &v.timestamp,
    );
    assert_ne!(signature, v.expected_password_claim_signature);
}

#[test]
#[should_panic(expected = "cannot read SRP vector file")]
fn a_missing_extra_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    check_file(&dir.path().join("absent.json"));
}

#[test]
#[should_panic(expected = "is malformed")]
fn a_malformed_extra_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, r#"{"srp": [{"name": "half a vector"}]}"#).unwrap();
    check_file(&path);
}

#[test]
#[should_panic(expected = "holds no vectors")]
fn an_empty_extra_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.json");
    std::fs::write(&path, r#"{"srp": []}"#).unwrap();
    check_file(&path);
}

#[test]
fn a_device_vector_with_another_device_password_fails() {
    // A device login proves the device password: any other password gives another signature.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/srp/device-srp.json");
    let file = load(&path);
    let v = &file.device_auth[0];
    let client = SrpClient::with_small_a(&hex::decode(&v.small_a_hex).unwrap()).unwrap();
    let signature = |password: String| {
        client
            .device_password_key(
                &v.device_group_key,
                &v.device_key,
                &SecretString::from(password),
                &v.srp_b_hex,
                &v.salt_hex,
            )
            .unwrap()
            .device_claim_signature(
                &v.device_group_key,
                &v.device_key,
                &v.secret_block_b64,
                &v.timestamp,
            )
    };
    assert_eq!(
        signature(v.device_password.clone()),
        v.expected_password_claim_signature
    );
    assert_ne!(
        signature(format!("{}A", v.device_password)),
        v.expected_password_claim_signature
    );
    // and the signature binds the device key
    let key = client
        .device_password_key(
            &v.device_group_key,
            &v.device_key,
            &SecretString::from(v.device_password.clone()),
            &v.srp_b_hex,
            &v.salt_hex,
        )
        .unwrap();
    assert_ne!(
        key.device_claim_signature(
            &v.device_group_key,
            "us-east-1_another-device",
            &v.secret_block_b64,
            &v.timestamp
        ),
        v.expected_password_claim_signature
    );
}
