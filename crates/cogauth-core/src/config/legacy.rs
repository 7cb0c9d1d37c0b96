//! The original tool's `~/.cognito-cli-config.json`, read when no TOML config exists so that
//! users of `aws-cognito-auth` keep working on day one, and imported by
//! `cogauth configure --import-legacy`.
//!
//! The file has no Lambda proxy key: the original's login always tried the proxy named in its
//! admin config, which [`super::admin_names`] reads.

use std::path::Path;

use serde::Deserialize;

use super::{ConfigError, ProfileConfig};
use crate::fsutil;

#[derive(Deserialize)]
struct LegacyConfig {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    identity_pool_id: Option<String>,
    region: Option<String>,
    managed_login_url: Option<String>,
}

/// Reads the legacy file; `None` if it does not exist.
pub fn load(path: &Path) -> Result<Option<ProfileConfig>, ConfigError> {
    let Some(bytes) = fsutil::read_optional(path)? else {
        return Ok(None);
    };
    let legacy: LegacyConfig =
        serde_json::from_slice(&bytes).map_err(|e| ConfigError::LegacyParse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let blank_to_none = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    Ok(Some(ProfileConfig {
        user_pool_id: blank_to_none(legacy.user_pool_id),
        client_id: blank_to_none(legacy.client_id),
        identity_pool_id: blank_to_none(legacy.identity_pool_id),
        region: blank_to_none(legacy.region),
        managed_login_url: blank_to_none(legacy.managed_login_url),
        ..ProfileConfig::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_original_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("legacy.json");
        std::fs::write(
            &path,
            r#"{"user_pool_id":"us-east-1_abc","client_id":"cid","identity_pool_id":"","region":"us-east-1","managed_login_url":null}"#,
        )
        .unwrap();
        let p = load(&path).unwrap().unwrap();
        assert_eq!(p.user_pool_id.as_deref(), Some("us-east-1_abc"));
        assert_eq!(p.identity_pool_id, None);
        assert_eq!(p.lambda_function, None, "the admin config names the proxy");
    }

    #[test]
    fn broken_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("legacy.json");
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("legacy.json"));
    }
}
