//! User configuration: named profiles in a TOML file, resolved with flags and environment.
//!
//! ```toml
//! default_profile = "work"          # optional; else $COGAUTH_PROFILE, else "default"
//!
//! [profiles.work]
//! user_pool_id = "us-east-1_AbC123"
//! client_id = "1example23456789"
//! identity_pool_id = "us-east-1:8f1c2a3b-1234-4abc-9def-0123456789ab"
//! region = "us-east-1"              # default: the user pool id's prefix
//! ```
//!
//! [`mod@file`] reads and writes the file, [`resolve`] applies precedence (flags, then environment,
//! then file, then defaults) in one place and records where each value came from, [`legacy`]
//! reads the original tool's JSON, [`admin_names`] the one key of the admin config a login
//! needs, and [`ids`] validates identifiers.

pub mod admin_names;
pub mod file;
pub mod ids;
pub mod legacy;
pub mod resolve;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use file::{ConfigFile, ProfileConfig};
pub use resolve::{Origin, Overrides, Settings, Sourced};

/// The profile used when neither `--profile`, `COGAUTH_PROFILE` nor `default_profile` names one.
pub const DEFAULT_PROFILE: &str = "default";
/// The Lambda proxy's function name in the original tool, kept as the default.
pub const DEFAULT_LAMBDA_FUNCTION: &str = "cognito-credential-proxy";
/// Hours of credentials asked of the basic flow and the Lambda proxy.
pub const DEFAULT_DURATION_HOURS: u32 = 12;
/// The browser flow's loopback callback when the profile names none. Cognito matches callback
/// URLs exactly, port included, so the app client must list this very URL (`cogadmin setup
/// --managed-login` registers it). The port is outside the range Linux hands out for outgoing
/// connections (32768-60999) and not a common development server's.
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:28435/callback";
/// The scopes the browser flow asks for when the profile names none.
/// `aws.cognito.signin.user.admin` lets the access token call GetUser, which the Lambda proxy
/// uses to check that the session was not revoked.
pub const DEFAULT_OAUTH_SCOPES: &str = "openid email profile aws.cognito.signin.user.admin";

/// How the user-pool stage proves the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthFlow {
    /// USER_SRP_AUTH: the password never leaves the machine.
    #[default]
    Srp,
    /// USER_PASSWORD_AUTH: the password is sent to Cognito over TLS.
    Password,
    /// USER_AUTH, choice-based sign-in: the pool offers its first factors (a password, an email
    /// or SMS one-time code, a passkey) and the user picks one, or `preferred_challenge` does.
    Choice,
    /// CUSTOM_AUTH: challenges defined by the pool's Lambda triggers; with `custom_with_srp`,
    /// the password is proven by SRP first (CUSTOM_WITH_SRP).
    Custom,
    /// The pool's managed login pages in a web browser (authorization code with PKCE): for
    /// federated users, passkeys and anything else a terminal cannot do. See
    /// [`crate::managed_login`].
    Browser,
}

/// The first factor to ask for at a choice-based sign-in (`preferred_challenge`), as Cognito
/// names it in `PREFERRED_CHALLENGE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PreferredChallenge {
    /// A one-time code sent by email.
    EmailOtp,
    /// A one-time code sent by text message.
    SmsOtp,
    /// The password, sent to Cognito over TLS.
    Password,
    /// The password, proven by SRP (it never leaves the machine).
    PasswordSrp,
    /// A passkey: it needs the browser.
    WebAuthn,
}

/// How the identity stage turns the ID token into AWS credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityFlow {
    /// GetCredentialsForIdentity: 1 hour, the pool chooses the role.
    #[default]
    Enhanced,
    /// GetOpenIdToken + AssumeRoleWithWebIdentity: up to the role's MaxSessionDuration.
    Basic,
}

/// How credentials are handed to the AWS tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AwsIntegration {
    /// Plaintext keys in `~/.aws/credentials`.
    #[default]
    Credentials,
    /// `credential_process` in `~/.aws/config`: nothing secret on disk outside the cache.
    Process,
}

macro_rules! display_as_serde_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let v = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
                f.write_str(v.as_str().unwrap_or_default())
            }
        }
        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                serde_json::from_value(serde_json::Value::String(s.to_owned()))
                    .map_err(|_| format!("`{s}` is not one of: {}", <$t>::NAMES.join(", ")))
            }
        }
    )*};
}
display_as_serde_name!(AuthFlow, IdentityFlow, AwsIntegration, PreferredChallenge);

impl AuthFlow {
    pub const NAMES: &[&str] = &["srp", "password", "choice", "custom", "browser"];
}
impl PreferredChallenge {
    pub const NAMES: &[&str] = &[
        "EMAIL_OTP",
        "SMS_OTP",
        "PASSWORD",
        "PASSWORD_SRP",
        "WEB_AUTHN",
    ];
}
impl IdentityFlow {
    pub const NAMES: &[&str] = &["enhanced", "basic"];
}
impl AwsIntegration {
    pub const NAMES: &[&str] = &["credentials", "process"];
}

/// Errors in the configuration; each names the file or key and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file `{path}` is invalid at line {line}, column {column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("config file `{path}` is not UTF-8 text")]
    NotUtf8 { path: PathBuf },
    #[error("legacy config file `{path}` is not valid JSON: {message}")]
    LegacyParse { path: PathBuf, message: String },
    #[error("`{key}` = `{value}` (from {origin}) is not a valid {what}: expected {expected}")]
    InvalidValue {
        key: &'static str,
        value: String,
        origin: Origin,
        what: &'static str,
        expected: &'static str,
    },
    #[error(
        "`{key}` is not set for profile `{profile}`: run `cogauth configure --profile {profile}`{hint}"
    )]
    Missing {
        key: &'static str,
        profile: String,
        hint: String,
    },
    /// The config file exists and lacks the profile (most likely a typo), and neither flags
    /// nor the environment define it.
    #[error(
        "profile `{profile}` is not in `{}` (profiles there: {}){}",
        path.display(),
        list_or_none(available),
        not_found_fix(profile, available, legacy.as_deref())
    )]
    ProfileNotFound {
        profile: String,
        path: PathBuf,
        /// The profiles the file has.
        available: Vec<String>,
        /// The original tool's `~/.cognito-cli-config.json`, when it exists: it is read only
        /// while no config file exists, so it must be imported.
        legacy: Option<PathBuf>,
    },
    /// Nothing defines the profile: no config file, no legacy file, no environment.
    #[error(
        "profile `{profile}` is not configured: there is no config file `{}`: run `cogauth configure --profile {profile}`, or set COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID and COGNITO_IDENTITY_POOL_ID",
        path.display()
    )]
    NotConfigured { profile: String, path: PathBuf },
    #[error("invalid profile name `{0}`: use letters, digits, `-`, `_` and `.`")]
    BadProfileName(String),
    #[error(transparent)]
    Path(#[from] crate::paths::PathError),
    #[error(transparent)]
    Fs(#[from] crate::fsutil::FsError),
}

fn list_or_none(names: &[String]) -> String {
    match names.is_empty() {
        true => "none".to_owned(),
        false => names.join(", "),
    }
}

/// What to do about a profile missing from the config file: import the legacy file when there
/// is one, else pick a known profile (the closest first) or create it.
fn not_found_fix(profile: &str, available: &[String], legacy: Option<&Path>) -> String {
    let near = closest(profile, available)
        .map(|p| format!("did you mean `{p}`? "))
        .unwrap_or_default();
    match legacy {
        Some(legacy) => format!(
            ": {near}the original tool's `{}` is read only while no config file exists: run \
             `cogauth configure --profile {profile} --import-legacy` to import it as this profile",
            legacy.display()
        ),
        None if available.is_empty() => {
            format!(": run `cogauth configure --profile {profile}`")
        }
        None => format!(
            ": {near}pass one of those to --profile, or run `cogauth configure --profile \
             {profile}` to create it"
        ),
    }
}

/// The known profile one or two edits away from `profile`, if exactly one is closest.
fn closest<'a>(profile: &str, known: &'a [String]) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for name in known {
        let d = edit_distance(profile, name);
        match best {
            _ if d > 2 => {}
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tie = true,
            _ => {
                best = Some((d, name));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, name)| name)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit (`wrok` -> `work`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// The regions a profile's ids contradict: Cognito answers for a pool only in the pool's own
/// region, and cogauth calls both pools in `region`. Each entry names the id and its region.
pub fn region_conflicts(
    region: &str,
    user_pool_id: Option<&str>,
    identity_pool_id: Option<&str>,
) -> Vec<String> {
    let mut conflicts = Vec::new();
    if let Some(pool) = user_pool_id
        && let Some(own) = ids::region_of_user_pool(pool)
        && own != region
    {
        conflicts.push(format!("user pool `{pool}` is in {own}"));
    }
    if let Some(pool) = identity_pool_id
        && let Some(own) = ids::region_of_identity_pool(pool)
        && own != region
    {
        conflicts.push(format!("identity pool `{pool}` is in {own}"));
    }
    conflicts
}

/// A validated string key: its name, what it is, what is expected, and the check.
type Rule = (&'static str, &'static str, &'static str, fn(&str) -> bool);

const RULES: &[Rule] = &[
    (
        "user_pool_id",
        ids::IdKind::UserPoolId.name(),
        ids::IdKind::UserPoolId.expected(),
        ids::is_user_pool_id,
    ),
    (
        "client_id",
        ids::IdKind::ClientId.name(),
        ids::IdKind::ClientId.expected(),
        ids::is_client_id,
    ),
    (
        "identity_pool_id",
        ids::IdKind::IdentityPoolId.name(),
        ids::IdKind::IdentityPoolId.expected(),
        ids::is_identity_pool_id,
    ),
    (
        "region",
        ids::IdKind::Region.name(),
        ids::IdKind::Region.expected(),
        ids::is_region,
    ),
    (
        "role_arn",
        ids::IdKind::RoleArn.name(),
        ids::IdKind::RoleArn.expected(),
        ids::is_role_arn,
    ),
    (
        "managed_login_url",
        "managed login URL",
        "the base URL of the user pool's domain, https://<prefix>.auth.<region>.amazoncognito.com \
         or https://<custom domain> (http only for localhost)",
        ids::is_managed_login_url,
    ),
    (
        "redirect_uri",
        "redirect URI",
        "a callback URL registered on the app client, e.g. http://localhost:28435/callback",
        ids::is_redirect_uri,
    ),
    (
        "identity_provider",
        "identity provider name",
        "the name of an identity provider of the user pool, e.g. Google, or COGNITO",
        ids::is_identity_provider,
    ),
    (
        "oauth_scopes",
        "list of OAuth scopes",
        "scopes separated by spaces, e.g. `openid email profile aws.cognito.signin.user.admin`",
        ids::is_oauth_scopes,
    ),
];

/// Checks one value of a key that has a rule; other keys pass.
pub fn check_value(key: &str, value: &str, origin: &Origin) -> Result<(), ConfigError> {
    match RULES.iter().find(|(k, ..)| *k == key) {
        Some((key, what, expected, ok)) if !ok(value) => Err(ConfigError::InvalidValue {
            key,
            value: value.to_owned(),
            origin: origin.clone(),
            what,
            expected,
        }),
        _ => Ok(()),
    }
}

/// Durations are whole hours from 1 to 12 (the longest STS session a role can allow).
pub fn check_duration(hours: u32, origin: &Origin) -> Result<(), ConfigError> {
    if (1..=12).contains(&hours) {
        return Ok(());
    }
    Err(ConfigError::InvalidValue {
        key: "duration_hours",
        value: hours.to_string(),
        origin: origin.clone(),
        what: "duration",
        expected: "a whole number of hours from 1 to 12",
    })
}

impl ProfileConfig {
    /// Checks every value that is set, as loading would, before it is written.
    pub fn validate(&self, origin: &Origin) -> Result<(), ConfigError> {
        let strings = [
            ("user_pool_id", &self.user_pool_id),
            ("client_id", &self.client_id),
            ("identity_pool_id", &self.identity_pool_id),
            ("region", &self.region),
            ("role_arn", &self.role_arn),
            ("managed_login_url", &self.managed_login_url),
            ("redirect_uri", &self.redirect_uri),
            ("identity_provider", &self.identity_provider),
            ("oauth_scopes", &self.oauth_scopes),
        ];
        for (key, value) in strings {
            if let Some(v) = value {
                check_value(key, v, origin)?;
            }
        }
        match self.duration_hours {
            Some(h) => check_duration(h, origin),
            None => Ok(()),
        }
    }
}

/// Profile names end up in INI section headers and file names: keep them plain
/// ([`ids::ProfileName`]).
pub fn is_valid_profile_name(name: &str) -> bool {
    ids::ProfileName::is_valid(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_profile_it_meant() {
        let known = ["work".to_owned(), "dev".to_owned(), "prod".to_owned()];
        assert_eq!(closest("wrok", &known), Some("work"));
        assert_eq!(closest("dve", &known), Some("dev"));
        assert_eq!(closest("staging", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_region_against_the_pools() {
        let pool = Some("us-east-1_AbC");
        let ipool = Some("eu-west-1:8f1c2a3b-1234-4abc-9def-0123456789ab");
        assert!(region_conflicts("us-east-1", pool, None).is_empty());
        assert_eq!(
            region_conflicts("eu-west-1", pool, ipool),
            vec!["user pool `us-east-1_AbC` is in us-east-1"]
        );
        assert_eq!(region_conflicts("us-east-1", pool, ipool).len(), 1);
    }
}
