//! `admin.toml`: the names and defaults cogadmin uses, and what the last `cogadmin setup`
//! created (so later commands default to it).
//!
//! ```toml
//! [aws_service_names]
//! iam_user_name = "CognitoCredentialProxyUser"
//! lambda_execution_role_name = "CognitoCredentialProxyRole"
//! long_lived_role_name = "CognitoLongLivedRole"
//! lambda_function_name = "cognito-credential-proxy"
//! identity_pool_name = "CognitoAuthIdentityPool"
//!
//! [aws_service_names.policy_names]
//! lambda_user_policy = "CognitoCredentialProxyPolicy"
//! lambda_execution_policy = "CognitoCredentialProxyPolicy"
//! s3_access_policy = "S3AccessPolicy"
//!
//! [aws_configuration]
//! default_region = "us-east-1"
//! lambda_runtime = "provided.al2023"
//! lambda_timeout = 30
//! max_session_duration = 43200
//! default_bucket = "my-s3-bucket"
//!
//! [last_setup]                      # written by `cogadmin setup`
//! region = "us-east-1"
//! user_pool_id = "us-east-1_AbC123"
//! ...
//! ```
//!
//! The names, sections and defaults are the original tool's. It lives beside the user config
//! ([`cogauth_core::paths::admin_config_file`]). When it does not exist yet, the original's
//! `~/.cognito-admin-config.json` is read instead; `./admin-config.json` in the working
//! directory overrides either, key by key, as it did in the original.
//!
//! That last file is read for compatibility only, and distrusted: anyone who can put a file in
//! a repository can plant it, and its names choose which IAM roles and users cogadmin changes.
//! So what it sets is kept apart ([`LocalOverride`]): the commands announce it on every run, a
//! resource name it sets that differs from the user's own config needs `--adopt` or a
//! confirmation on a terminal, its `last_setup` (which would choose the pools) is ignored, and
//! `cogadmin configure` never copies it into `admin.toml`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AdminError;
use cogauth_core::config::file::line_and_column;
use cogauth_core::config::ids;
use cogauth_core::env::Env;
use cogauth_core::fsutil::{self, FileLock};
use cogauth_core::paths;

/// The project-local override file, read from the working directory.
pub const LOCAL_OVERRIDE_FILE: &str = "admin-config.json";

/// Everything in `admin.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    pub aws_service_names: ServiceNames,
    pub aws_configuration: AwsConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_setup: Option<RecordedSetup>,
}

/// Names of the AWS resources cogadmin creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceNames {
    /// The IAM user whose keys the Lambda proxy uses to assume the long-lived role.
    pub iam_user_name: String,
    pub lambda_execution_role_name: String,
    pub long_lived_role_name: String,
    pub lambda_function_name: String,
    /// The identity pool `cogadmin setup` finds or creates.
    pub identity_pool_name: String,
    pub policy_names: PolicyNames,
}

impl Default for ServiceNames {
    fn default() -> Self {
        Self {
            iam_user_name: "CognitoCredentialProxyUser".to_owned(),
            lambda_execution_role_name: "CognitoCredentialProxyRole".to_owned(),
            long_lived_role_name: "CognitoLongLivedRole".to_owned(),
            lambda_function_name: cogauth_core::config::DEFAULT_LAMBDA_FUNCTION.to_owned(),
            identity_pool_name: "CognitoAuthIdentityPool".to_owned(),
            policy_names: PolicyNames::default(),
        }
    }
}

/// Names of the inline policies of the Lambda proxy's user and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyNames {
    pub lambda_user_policy: String,
    pub lambda_execution_policy: String,
    pub s3_access_policy: String,
}

impl Default for PolicyNames {
    fn default() -> Self {
        Self {
            lambda_user_policy: "CognitoCredentialProxyPolicy".to_owned(),
            lambda_execution_policy: "CognitoCredentialProxyPolicy".to_owned(),
            s3_access_policy: "S3AccessPolicy".to_owned(),
        }
    }
}

/// Parameters of the AWS resources cogadmin creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsConfiguration {
    /// Used when neither `--region` nor the AWS config chain gives a region.
    pub default_region: String,
    /// The Lambda runtime of the credential proxy (a Rust binary: an OS-only runtime).
    pub lambda_runtime: String,
    /// Seconds.
    pub lambda_timeout: u32,
    /// Seconds; the default MaxSessionDuration of the roles cogadmin creates (3600 to 43200).
    pub max_session_duration: u32,
    /// Kept from the original; the policy commands take `--bucket-name`.
    pub default_bucket: String,
}

impl Default for AwsConfiguration {
    fn default() -> Self {
        Self {
            default_region: "us-east-1".to_owned(),
            lambda_runtime: "provided.al2023".to_owned(),
            lambda_timeout: 30,
            max_session_duration: 43200,
            default_bucket: "my-s3-bucket".to_owned(),
        }
    }
}

/// What the last `cogadmin setup` set up; later commands default to it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedSetup {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub identity_pool_id: String,
    #[serde(default)]
    pub identity_pool_name: String,
    pub role_arn: String,
    #[serde(default)]
    pub role_name: String,
    #[serde(default)]
    pub basic_flow: bool,
    #[serde(default = "default_duration_hours")]
    pub duration_hours: u32,
}

fn default_duration_hours() -> u32 {
    cogauth_core::config::DEFAULT_DURATION_HOURS
}

impl AdminConfig {
    /// Checks every value that ends up in an AWS call; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let names = &self.aws_service_names;
        for (key, value) in [
            ("iam_user_name", &names.iam_user_name),
            (
                "lambda_execution_role_name",
                &names.lambda_execution_role_name,
            ),
            ("long_lived_role_name", &names.long_lived_role_name),
        ] {
            super::policies::validate_role_name(value)
                .map_err(|e| format!("aws_service_names.{key}: {e}"))?;
        }
        validate_identity_pool_name(&names.identity_pool_name)
            .map_err(|e| format!("aws_service_names.identity_pool_name: {e}"))?;
        if names.lambda_function_name.is_empty()
            || names.lambda_function_name.len() > 64
            || !names
                .lambda_function_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            return Err(format!(
                "aws_service_names.lambda_function_name `{}` is not valid: expected 1 to 64 \
                 letters, digits, `-` and `_`",
                names.lambda_function_name
            ));
        }
        let aws = &self.aws_configuration;
        if !ids::is_region(&aws.default_region) {
            return Err(format!(
                "aws_configuration.default_region `{}` is not a region name, e.g. us-east-1",
                aws.default_region
            ));
        }
        if !(3600..=43200).contains(&aws.max_session_duration) {
            return Err(format!(
                "aws_configuration.max_session_duration {} is out of range: IAM allows 3600 to \
                 43200 seconds",
                aws.max_session_duration
            ));
        }
        if !(1..=900).contains(&aws.lambda_timeout) {
            return Err(format!(
                "aws_configuration.lambda_timeout {} is out of range: Lambda allows 1 to 900 \
                 seconds",
                aws.lambda_timeout
            ));
        }
        Ok(())
    }
}

/// Identity pool names: 1 to 128 word characters and spaces.
pub fn validate_identity_pool_name(name: &str) -> Result<(), AdminError> {
    if (1..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ' ')
    {
        Ok(())
    } else {
        Err(AdminError::InvalidInput {
            what: "identity pool name",
            value: name.to_owned(),
            expected: "1 to 128 letters, digits, `_` and spaces".to_owned(),
        })
    }
}

/// The admin config in effect, and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedAdminConfig {
    pub config: AdminConfig,
    /// `admin.toml` (it may not exist yet); [`update`] writes here.
    pub path: PathBuf,
    /// The files that were read, in the order they were applied.
    pub sources: Vec<PathBuf>,
    /// The user's own config: `config` without `./admin-config.json`.
    pub own: AdminConfig,
    /// What `./admin-config.json` set, when the working directory has one.
    pub local: Option<LocalOverride>,
}

/// What a `./admin-config.json` in the working directory changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOverride {
    pub path: PathBuf,
    /// The values it sets that differ from the user's own config, in file order.
    pub settings: Vec<LocalSetting>,
    /// Top-level keys it holds that are ignored (`last_setup`).
    pub ignored: Vec<String>,
}

/// One value `./admin-config.json` sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSetting {
    /// `aws_service_names.long_lived_role_name`.
    pub key: String,
    pub value: String,
    /// The user's own value.
    pub own: String,
}

impl LocalSetting {
    /// True for the names of the AWS resources cogadmin finds, creates and changes.
    pub fn is_name(&self) -> bool {
        self.key.starts_with("aws_service_names.")
    }
}

impl LocalOverride {
    /// The resource names it sets that differ from the user's own config: each needs the
    /// administrator's consent (`--adopt`, or a confirmation on a terminal).
    pub fn names(&self) -> Vec<&LocalSetting> {
        self.settings.iter().filter(|s| s.is_name()).collect()
    }

    /// The line every command that uses the file prints: "using ./admin-config.json: ...".
    pub fn announcement(&self) -> String {
        let mut text = format!("using ./{LOCAL_OVERRIDE_FILE} ({})", self.path.display());
        if self.settings.is_empty() {
            text.push_str(": it sets nothing that differs from your admin config");
        } else {
            let what: Vec<String> = self
                .settings
                .iter()
                .map(|s| {
                    let kind = if s.is_name() { "name" } else { "setting" };
                    let key = s.key.rsplit('.').next().unwrap_or(&s.key);
                    format!(
                        "{kind} {key} = {:?} (your admin config: {:?})",
                        s.value, s.own
                    )
                })
                .collect();
            text.push_str(": ");
            text.push_str(&what.join(", "));
        }
        for key in &self.ignored {
            text.push_str(&format!(
                "; its `{key}` is ignored (only `cogadmin setup` records that, in admin.toml)"
            ));
        }
        text
    }

    /// The error for names used without consent.
    pub fn refusal(&self) -> AdminError {
        let names: Vec<String> = self
            .names()
            .iter()
            .map(|s| format!("{} = {:?} (your admin config: {:?})", s.key, s.value, s.own))
            .collect();
        AdminError::LocalNames {
            path: self.path.clone(),
            names: names.join(", "),
        }
    }
}

/// Reads the admin config: `admin.toml`, or else the legacy `~/.cognito-admin-config.json`,
/// then `<cwd>/admin-config.json` over it (its `last_setup` ignored); defaults for anything
/// none of them sets.
pub fn load(env: &dyn Env, cwd: &Path) -> Result<LoadedAdminConfig, AdminError> {
    let path = paths::admin_config_file(env)?;
    let (own, mut sources) = home_config(env, &path)?;
    own.validate()
        .map_err(|message| AdminError::ConfigInvalid {
            path: sources.last().cloned().unwrap_or_else(|| path.clone()),
            message,
        })?;
    let mut config = own.clone();
    let local_path = cwd.join(LOCAL_OVERRIDE_FILE);
    let mut local = None;
    if let Some(mut patch) = read_json(&local_path)? {
        let mut ignored = Vec::new();
        if let Value::Object(map) = &mut patch
            && map.remove("last_setup").is_some()
        {
            ignored.push("last_setup".to_owned());
        }
        config = apply_json(&local_path, &config, &patch)?;
        config
            .validate()
            .map_err(|message| AdminError::ConfigInvalid {
                path: local_path.clone(),
                message,
            })?;
        let mut settings = Vec::new();
        changed_leaves(
            "",
            &serde_json::to_value(&own).expect("the admin config always serializes"),
            &serde_json::to_value(&config).expect("the admin config always serializes"),
            &mut settings,
        );
        sources.push(local_path.clone());
        local = Some(LocalOverride {
            path: local_path,
            settings,
            ignored,
        });
    }
    Ok(LoadedAdminConfig {
        config,
        path,
        sources,
        own,
        local,
    })
}

/// The leaves of `new` that differ from `old`, as dotted keys.
fn changed_leaves(prefix: &str, old: &Value, new: &Value, out: &mut Vec<LocalSetting>) {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, value) in new {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                changed_leaves(&path, old.get(key).unwrap_or(&Value::Null), value, out);
            }
        }
        (old, new) if old != new => out.push(LocalSetting {
            key: prefix.to_owned(),
            value: text(new),
            own: text(old),
        }),
        _ => {}
    }
}

/// `admin.toml` if it exists, else defaults with the legacy home file applied.
fn home_config(env: &dyn Env, path: &Path) -> Result<(AdminConfig, Vec<PathBuf>), AdminError> {
    if let Some(text) = read_text(path)? {
        return Ok((parse_toml(path, &text)?, vec![path.to_path_buf()]));
    }
    let mut config = AdminConfig::default();
    let mut sources = Vec::new();
    if let Some(legacy) = paths::legacy_admin_config_file(env)
        && let Some(patch) = read_json(&legacy)?
    {
        config = apply_json(&legacy, &config, &patch)?;
        sources.push(legacy);
    }
    Ok((config, sources))
}

fn read_text(path: &Path) -> Result<Option<String>, AdminError> {
    let Some(bytes) = fsutil::read_optional(path)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| AdminError::ConfigInvalid {
            path: path.to_path_buf(),
            message: "the file is not UTF-8 text".to_owned(),
        })
}

fn read_json(path: &Path) -> Result<Option<Value>, AdminError> {
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| AdminError::ConfigParse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column().max(1),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        })
}

/// Parses `admin.toml`; errors carry the line and column.
pub fn parse_toml(path: &Path, text: &str) -> Result<AdminConfig, AdminError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = line_and_column(text, offset);
        AdminError::ConfigParse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_owned(),
        }
    })
}

/// Applies a JSON file over `base`, key by key, as the original merged its files. Keys
/// cogadmin does not know (the original's or a newer version's) are ignored.
fn apply_json(path: &Path, base: &AdminConfig, patch: &Value) -> Result<AdminConfig, AdminError> {
    let mut merged = serde_json::to_value(base).expect("the admin config always serializes");
    merge_known_keys(&mut merged, patch);
    serde_json::from_value(merged).map_err(|e| AdminError::ConfigInvalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn merge_known_keys(base: &mut Value, patch: &Value) {
    let (Value::Object(base), Value::Object(patch)) = (base, patch) else {
        return;
    };
    for (key, value) in patch {
        match base.get_mut(key) {
            Some(existing @ Value::Object(_)) if value.is_object() => {
                merge_known_keys(existing, value);
            }
            Some(existing) => *existing = value.clone(),
            None => {}
        }
    }
}

/// Changes `admin.toml` under its lock: reads it (or, when it does not exist yet, starts from
/// the legacy home file so its settings carry over), applies `change`, validates, and writes it
/// back atomically with mode 0600. Comments and keys cogadmin does not set are kept.
pub fn update(env: &dyn Env, change: impl FnOnce(&mut AdminConfig)) -> Result<PathBuf, AdminError> {
    let path = paths::admin_config_file(env)?;
    let lock = FileLock::acquire(&path)?;
    let existing = read_text(&path)?;
    let mut config = match &existing {
        Some(text) => parse_toml(&path, text)?,
        None => home_config(env, &path)?.0,
    };
    change(&mut config);
    config
        .validate()
        .map_err(|message| AdminError::ConfigInvalid {
            path: path.clone(),
            message,
        })?;
    let mut doc: toml_edit::DocumentMut =
        existing
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e: toml_edit::TomlError| AdminError::ConfigInvalid {
                path: path.clone(),
                message: e.message().to_owned(),
            })?;
    let fresh: toml_edit::DocumentMut = render(&config)
        .parse()
        .expect("the admin config renders as valid TOML");
    merge_tables(doc.as_table_mut(), fresh.as_table());
    if let Some(parent) = path.parent() {
        fsutil::ensure_dir(parent, Some(0o700))?;
    }
    fsutil::write_atomic(&lock, doc.to_string().as_bytes(), 0o600)?;
    Ok(path)
}

/// The config as TOML text (for dry runs and for new files).
pub fn render(config: &AdminConfig) -> String {
    toml::to_string(config).expect("the admin config always serializes")
}

/// Sets every key of `src` in `dst`, recursing into tables; values that are already equal are
/// left untouched so their comments survive.
fn merge_tables(dst: &mut toml_edit::Table, src: &toml_edit::Table) {
    for (key, item) in src.iter() {
        match (dst.get_mut(key), item) {
            (Some(toml_edit::Item::Table(existing)), toml_edit::Item::Table(new)) => {
                merge_tables(existing, new);
            }
            (Some(toml_edit::Item::Value(existing)), toml_edit::Item::Value(new))
                if existing.clone().decorated("", "").to_string()
                    == new.clone().decorated("", "").to_string() => {}
            _ => {
                dst.insert(key, item.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cogauth_core::env::MapEnv;

    fn home() -> (tempfile::TempDir, MapEnv) {
        let dir = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with("HOME", dir.path().to_str().unwrap());
        (dir, env)
    }

    #[test]
    fn defaults_are_the_originals() {
        let (dir, env) = home();
        let loaded = load(&env, dir.path()).unwrap();
        let c = &loaded.config;
        assert_eq!(
            c.aws_service_names.iam_user_name,
            "CognitoCredentialProxyUser"
        );
        assert_eq!(
            c.aws_service_names.lambda_execution_role_name,
            "CognitoCredentialProxyRole"
        );
        assert_eq!(
            c.aws_service_names.long_lived_role_name,
            "CognitoLongLivedRole"
        );
        assert_eq!(
            c.aws_service_names.lambda_function_name,
            "cognito-credential-proxy"
        );
        assert_eq!(
            c.aws_service_names.identity_pool_name,
            "CognitoAuthIdentityPool"
        );
        assert_eq!(c.aws_configuration.default_region, "us-east-1");
        assert_eq!(c.aws_configuration.lambda_timeout, 30);
        assert_eq!(c.aws_configuration.max_session_duration, 43200);
        assert_eq!(c.aws_configuration.default_bucket, "my-s3-bucket");
        assert!(loaded.sources.is_empty());
        assert_eq!(loaded.path, dir.path().join(".config/cogauth/admin.toml"));
    }

    #[test]
    fn legacy_files_are_read_and_the_local_one_wins() {
        let (dir, env) = home();
        std::fs::write(
            dir.path().join(".cognito-admin-config.json"),
            r#"{"aws_service_names": {"identity_pool_name": "LegacyPool", "unknown_key": 1},
                "aws_configuration": {"default_region": "eu-west-1", "lambda_runtime": "python3.9"}}"#,
        )
        .unwrap();
        let project = dir.path().join("project");
        std::fs::create_dir(&project).unwrap();
        std::fs::write(
            project.join("admin-config.json"),
            r#"{"aws_configuration": {"default_region": "ap-southeast-1"}}"#,
        )
        .unwrap();
        let loaded = load(&env, &project).unwrap();
        assert_eq!(
            loaded.config.aws_service_names.identity_pool_name,
            "LegacyPool"
        );
        assert_eq!(
            loaded.config.aws_configuration.default_region,
            "ap-southeast-1"
        );
        assert_eq!(loaded.sources.len(), 2);
    }

    #[test]
    fn update_writes_0600_toml_that_carries_the_legacy_settings_over() {
        let (dir, env) = home();
        std::fs::write(
            dir.path().join(".cognito-admin-config.json"),
            r#"{"aws_service_names": {"identity_pool_name": "LegacyPool"}}"#,
        )
        .unwrap();
        let path = update(&env, |c| {
            c.last_setup = Some(RecordedSetup {
                region: "us-east-1".into(),
                user_pool_id: "us-east-1_abc".into(),
                ..RecordedSetup::default()
            });
        })
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let loaded = load(&env, dir.path()).unwrap();
        assert_eq!(loaded.sources, vec![path]);
        assert_eq!(
            loaded.config.aws_service_names.identity_pool_name,
            "LegacyPool"
        );
        assert_eq!(
            loaded.config.last_setup.unwrap().user_pool_id,
            "us-east-1_abc"
        );
    }

    #[test]
    fn update_keeps_comments() {
        let (dir, env) = home();
        let path = dir.path().join(".config/cogauth/admin.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "# my admin settings\n[aws_configuration]\ndefault_region = \"eu-west-2\" # London\n",
        )
        .unwrap();
        update(&env, |c| c.aws_configuration.lambda_timeout = 60).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my admin settings\n"), "{text}");
        assert!(
            text.contains("default_region = \"eu-west-2\" # London"),
            "{text}"
        );
        assert!(text.contains("lambda_timeout = 60"), "{text}");
    }

    #[test]
    fn errors_name_the_file_and_position() {
        let (dir, env) = home();
        let path = dir.path().join(".config/cogauth/admin.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "[aws_configuration]\ndefault_regoin = \"x\"\n").unwrap();
        let err = load(&env, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column 1") && err.contains("default_regoin"),
            "{err}"
        );
        std::fs::write(&path, "[aws_configuration]\nmax_session_duration = 60\n").unwrap();
        let err = load(&env, dir.path()).unwrap_err().to_string();
        assert!(err.contains("3600 to 43200"), "{err}");
        // A broken file is never rewritten.
        assert!(update(&env, |_| {}).is_err());
        std::fs::write(dir.path().join("admin-config.json"), "{\"a\": ").unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = load(&env, dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("admin-config.json") && err.contains("line 1"),
            "{err}"
        );
    }
}
