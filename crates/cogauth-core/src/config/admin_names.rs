//! The one key of the admin config that a login reads: `aws_service_names.lambda_function_name`,
//! the Lambda proxy the original tool's login invoked for every user of its JSON config.
//!
//! The admin config is `cogadmin`'s (see `docs/configuration.md`): `admin.toml` beside the user
//! config, or, while that does not exist, the original's `~/.cognito-admin-config.json`. Only
//! this key is read here, so a login depends on nothing else in those files. The original also
//! read `./admin-config.json` from the working directory; a login does not: a file planted in a
//! repository must not choose where the user's tokens are sent.

use std::path::{Path, PathBuf};

use super::{ConfigError, DEFAULT_LAMBDA_FUNCTION, Origin, Sourced};
use crate::env::Env;
use crate::{fsutil, paths};

const KEY: &str = "aws_service_names.lambda_function_name";

/// The Lambda proxy of a profile that the original's JSON config serves: the admin config's
/// `lambda_function_name` when it sets one, else the original's default name.
pub fn lambda_function_for_legacy(env: &dyn Env) -> Result<Sourced<String>, ConfigError> {
    Ok(match lambda_function_name(env)? {
        Some((value, path)) => Sourced {
            value,
            origin: Origin::AdminConfig(path),
        },
        None => Sourced {
            value: DEFAULT_LAMBDA_FUNCTION.to_owned(),
            origin: Origin::Default,
        },
    })
}

/// `aws_service_names.lambda_function_name` and the file that set it; `None` when no admin
/// config sets it.
pub fn lambda_function_name(env: &dyn Env) -> Result<Option<(String, PathBuf)>, ConfigError> {
    let toml_path = paths::admin_config_file(env)?;
    if let Some(text) = read_text(&toml_path)? {
        let doc: toml::Table = super::file::parse_toml(&toml_path, &text)?;
        let value = doc
            .get("aws_service_names")
            .and_then(|names| names.get("lambda_function_name"));
        return match value {
            None => Ok(None),
            Some(toml::Value::String(name)) => checked(name, toml_path).map(Some),
            Some(other) => Err(invalid(&other.to_string(), toml_path)),
        };
    }
    let Some(json_path) = paths::legacy_admin_config_file(env) else {
        return Ok(None);
    };
    let Some(text) = read_text(&json_path)? else {
        return Ok(None);
    };
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| ConfigError::LegacyParse {
            path: json_path.clone(),
            message: e.to_string(),
        })?;
    match doc.pointer("/aws_service_names/lambda_function_name") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(name)) => checked(name, json_path).map(Some),
        Some(other) => Err(invalid(&other.to_string(), json_path)),
    }
}

fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
    let Some(bytes) = fsutil::read_optional(path)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ConfigError::NotUtf8 {
            path: path.to_path_buf(),
        })
}

/// Function names as Lambda (and cogadmin) accept them.
fn checked(name: &str, path: PathBuf) -> Result<(String, PathBuf), ConfigError> {
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match valid {
        true => Ok((name.to_owned(), path)),
        false => Err(invalid(name, path)),
    }
}

fn invalid(value: &str, path: PathBuf) -> ConfigError {
    ConfigError::InvalidValue {
        key: KEY,
        value: value.to_owned(),
        origin: Origin::AdminConfig(path),
        what: "Lambda function name",
        expected: "1 to 64 letters, digits, `-` and `_`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::MapEnv;

    fn home() -> (tempfile::TempDir, MapEnv) {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        (dir, env)
    }

    #[test]
    fn nothing_set_means_the_originals_default() {
        let (_dir, env) = home();
        assert_eq!(lambda_function_name(&env).unwrap(), None);
        let s = lambda_function_for_legacy(&env).unwrap();
        assert_eq!(s.value, DEFAULT_LAMBDA_FUNCTION);
        assert_eq!(s.origin, Origin::Default);
    }

    #[test]
    fn the_legacy_json_and_then_admin_toml_name_it() {
        let (dir, env) = home();
        let json = dir.path().join(".cognito-admin-config.json");
        std::fs::write(
            &json,
            r#"{"aws_service_names": {"lambda_function_name": "legacy-proxy", "other": 1}}"#,
        )
        .unwrap();
        assert_eq!(
            lambda_function_name(&env).unwrap(),
            Some(("legacy-proxy".to_owned(), json))
        );
        // admin.toml, once it exists, is the admin config (as for cogadmin).
        let toml = dir.path().join(".config/cogauth/admin.toml");
        std::fs::create_dir_all(toml.parent().unwrap()).unwrap();
        std::fs::write(&toml, "[aws_configuration]\nlambda_timeout = 30\n").unwrap();
        assert_eq!(lambda_function_name(&env).unwrap(), None);
        std::fs::write(
            &toml,
            "[aws_service_names]\nlambda_function_name = \"toml-proxy\"\n",
        )
        .unwrap();
        let s = lambda_function_for_legacy(&env).unwrap();
        assert_eq!(s.value, "toml-proxy");
        assert_eq!(s.origin, Origin::AdminConfig(toml));
    }

    #[test]
    fn bad_files_and_names_are_errors_that_name_the_file() {
        let (dir, env) = home();
        let json = dir.path().join(".cognito-admin-config.json");
        std::fs::write(&json, "{").unwrap();
        let err = lambda_function_name(&env).unwrap_err().to_string();
        assert!(err.contains(".cognito-admin-config.json"), "{err}");
        std::fs::write(
            &json,
            r#"{"aws_service_names": {"lambda_function_name": "a b"}}"#,
        )
        .unwrap();
        let err = lambda_function_name(&env).unwrap_err().to_string();
        assert!(
            err.contains("lambda_function_name") && err.contains("`a b`"),
            "{err}"
        );
        let toml = dir.path().join(".config/cogauth/admin.toml");
        std::fs::create_dir_all(toml.parent().unwrap()).unwrap();
        std::fs::write(&toml, "[aws_service_names\n").unwrap();
        let err = lambda_function_name(&env).unwrap_err().to_string();
        assert!(
            err.contains("admin.toml") && err.contains("line 1"),
            "{err}"
        );
    }
}
