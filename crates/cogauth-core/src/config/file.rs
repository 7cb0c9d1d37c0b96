//! The TOML file: parse with clear errors, and edit in place so a user's comments survive.

use std::collections::BTreeMap;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{AuthFlow, AwsIntegration, ConfigError, IdentityFlow, PreferredChallenge};
use crate::fsutil::{self, FileLock};

/// The whole file.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
}

/// One `[profiles.<name>]` table. Every key is optional here; [`super::Settings`] says which
/// ones an operation needs.
#[derive(Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    #[serde(
        with = "crate::credentials::optional_secret_string",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_secret: Option<SecretString>,
    pub identity_pool_id: Option<String>,
    pub region: Option<String>,
    /// The default username for `cogauth login`.
    pub username: Option<String>,
    pub auth_flow: Option<AuthFlow>,
    pub identity_flow: Option<IdentityFlow>,
    /// The role for the basic flow (and `CustomRoleArn` for the enhanced flow).
    pub role_arn: Option<String>,
    /// Hours of credentials to ask for from the basic flow or the Lambda proxy (1 to 12).
    pub duration_hours: Option<u32>,
    /// The Lambda proxy's function name or ARN; when set, login upgrades through it.
    pub lambda_function: Option<String>,
    pub aws_integration: Option<AwsIntegration>,
    /// The base URL of the user pool's domain (managed login), for the browser flow and for
    /// finishing in the browser a login the terminal cannot (the original tool's key).
    pub managed_login_url: Option<String>,
    /// `auth_flow = "choice"`: the first factor to ask for when the pool offers it.
    pub preferred_challenge: Option<PreferredChallenge>,
    /// `auth_flow = "custom"`: prove the password by SRP before the custom challenges.
    pub custom_with_srp: Option<bool>,
    /// The browser flow's callback, registered on the app client (default
    /// [`super::DEFAULT_REDIRECT_URI`]).
    pub redirect_uri: Option<String>,
    /// Sent as `identity_provider=`: the browser goes straight to this IdP (e.g. Google, or a
    /// SAML or OIDC provider's name) instead of the sign-in page.
    pub identity_provider: Option<String>,
    /// The scopes the browser flow asks for, separated by spaces (default
    /// [`super::DEFAULT_OAUTH_SCOPES`]).
    pub oauth_scopes: Option<String>,
}

impl std::fmt::Debug for ProfileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileConfig")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "** redacted **"),
            )
            .field("identity_pool_id", &self.identity_pool_id)
            .field("region", &self.region)
            .field("username", &self.username)
            .field("auth_flow", &self.auth_flow)
            .field("identity_flow", &self.identity_flow)
            .field("role_arn", &self.role_arn)
            .field("duration_hours", &self.duration_hours)
            .field("lambda_function", &self.lambda_function)
            .field("aws_integration", &self.aws_integration)
            .field("managed_login_url", &self.managed_login_url)
            .field("preferred_challenge", &self.preferred_challenge)
            .field("custom_with_srp", &self.custom_with_srp)
            .field("redirect_uri", &self.redirect_uri)
            .field("identity_provider", &self.identity_provider)
            .field("oauth_scopes", &self.oauth_scopes)
            .finish()
    }
}

impl ConfigFile {
    /// Parses `text` read from `path`; errors carry the line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        parse_toml(path, text)
    }

    /// Reads the file; a missing file is `None`.
    pub fn load(path: &Path) -> Result<Option<Self>, ConfigError> {
        let Some(bytes) = fsutil::read_optional(path)? else {
            return Ok(None);
        };
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8 {
            path: path.to_path_buf(),
        })?;
        Self::parse(path, &text).map(Some)
    }
}

/// Parses TOML `text` read from `path` as a `T`; errors carry the line and column.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, column) = line_and_column(text, offset);
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_owned(),
        }
    })
}

/// The 1-based line and column (in characters) of a byte offset into `text`, for parse errors.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Sets the given keys of `[profiles.<name>]` in the file at `path`, creating the file if
/// needed. Other tables, keys and comments are kept as they are. Keys that are `None` in
/// `values` are left alone. The file is written atomically, locked, with mode 0600 (it may
/// hold a client secret).
pub fn write_profile(path: &Path, name: &str, values: &ProfileConfig) -> Result<(), ConfigError> {
    let lock = FileLock::acquire(path)?;
    let existing = fsutil::read_optional(path)?.unwrap_or_default();
    let text = String::from_utf8(existing).map_err(|_| ConfigError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    // Validate first: never rewrite a file we could not read back.
    ConfigFile::parse(path, &text)?;
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let (line, column) = line_and_column(&text, e.span().map_or(0, |s| s.start));
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().to_owned(),
        }
    })?;

    let profiles = doc.entry("profiles").or_insert_with(|| {
        let mut t = toml_edit::Table::new();
        t.set_implicit(true);
        toml_edit::Item::Table(t)
    });
    // A profile may be a `[profiles.x]` table, dotted keys, or an inline `x = { ... }`.
    let profile: &mut dyn toml_edit::TableLike = match profiles {
        toml_edit::Item::Table(t) => t
            .entry(name)
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
            .as_table_like_mut(),
        toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => t
            .entry(name)
            .or_insert(toml_edit::InlineTable::new().into())
            .as_inline_table_mut()
            .map(|t| t as &mut dyn toml_edit::TableLike),
        _ => None,
    }
    .expect("validated: `profiles` and each profile are tables");

    let mut set = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            set_item(profile, key, toml_edit::value(v));
        }
    };
    set("user_pool_id", values.user_pool_id.clone());
    set("client_id", values.client_id.clone());
    set(
        "client_secret",
        values
            .client_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned()),
    );
    set("identity_pool_id", values.identity_pool_id.clone());
    set("region", values.region.clone());
    set("username", values.username.clone());
    set("auth_flow", values.auth_flow.map(|v| v.to_string()));
    set("identity_flow", values.identity_flow.map(|v| v.to_string()));
    set("role_arn", values.role_arn.clone());
    set("lambda_function", values.lambda_function.clone());
    set(
        "aws_integration",
        values.aws_integration.map(|v| v.to_string()),
    );
    set("managed_login_url", values.managed_login_url.clone());
    set(
        "preferred_challenge",
        values.preferred_challenge.map(|v| v.to_string()),
    );
    set("redirect_uri", values.redirect_uri.clone());
    set("identity_provider", values.identity_provider.clone());
    set("oauth_scopes", values.oauth_scopes.clone());
    if let Some(on) = values.custom_with_srp {
        set_item(profile, "custom_with_srp", toml_edit::value(on));
    }
    if let Some(hours) = values.duration_hours {
        set_item(
            profile,
            "duration_hours",
            toml_edit::value(i64::from(hours)),
        );
    }

    fsutil::ensure_dir(path.parent().unwrap_or(Path::new(".")), Some(0o700))?;
    fsutil::write_atomic(&lock, doc.to_string().as_bytes(), 0o600)?;
    Ok(())
}

/// Sets `key` in place (`TableLike::insert` would reset the key's formatting and the comment
/// lines above it); a value already there keeps its spacing and trailing comment.
fn set_item(table: &mut dyn toml_edit::TableLike, key: &str, mut item: toml_edit::Item) {
    match table.get_mut(key) {
        Some(slot) => {
            if let (Some(old), Some(new)) = (slot.as_value(), item.as_value_mut()) {
                *new.decor_mut() = old.decor().clone();
            }
            *slot = item;
        }
        None => {
            table.insert(key, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_names_line_and_column() {
        let text = "[profiles.a]\nuser_pool_id = \"x\"\nbogus = 1\n";
        let err = ConfigFile::parse(Path::new("/c.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3, column 1"), "{err}");
        assert!(err.contains("bogus"), "{err}");
        assert!(err.contains("/c.toml"), "{err}");
    }

    #[test]
    fn malformed_toml_is_reported() {
        let err = ConfigFile::parse(Path::new("/c.toml"), "[profiles.a\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn write_keeps_comments_and_other_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cogauth/config.toml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "# my settings\n[profiles.other]\nclient_id = \"keep\" # note\n",
        )
        .unwrap();
        let values = ProfileConfig {
            user_pool_id: Some("us-east-1_abc".into()),
            client_secret: Some(SecretString::from("s3cr3t".to_owned())),
            duration_hours: Some(8),
            ..Default::default()
        };
        write_profile(&path, "new", &values).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# my settings\n[profiles.other]\nclient_id = \"keep\" # note\n"),
            "{text}"
        );
        let parsed = ConfigFile::parse(&path, &text).unwrap();
        let new = &parsed.profiles["new"];
        assert_eq!(new.user_pool_id.as_deref(), Some("us-east-1_abc"));
        assert_eq!(new.duration_hours, Some(8));
        assert_eq!(
            new.client_secret.as_ref().unwrap().expose_secret(),
            "s3cr3t"
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn write_refuses_to_touch_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "not = [valid").unwrap();
        assert!(write_profile(&path, "p", &ProfileConfig::default()).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not = [valid");
    }
}
