//! The proxy's configuration, read once at start-up from environment variables.
//!
//! A missing or malformed variable stops the function at start-up with one clear log line,
//! rather than failing every request.

use std::fmt;

use secrecy::SecretString;

/// The longest session STS grants for a role (12 hours).
pub const STS_MAX_DURATION_SECONDS: i32 = 43_200;
/// The shortest session STS grants (15 minutes).
pub const STS_MIN_DURATION_SECONDS: i32 = 900;

/// Every environment variable the proxy reads.
pub mod vars {
    /// The Cognito user pool whose ID tokens are accepted, e.g. `us-east-1_AbC123`.
    pub const USER_POOL_ID: &str = "USER_POOL_ID";
    /// Comma-separated app client ids; a token's `aud` must be one of them.
    pub const CLIENT_IDS: &str = "CLIENT_IDS";
    /// The role assumed for every caller unless the request names an allowed one.
    pub const DEFAULT_ROLE_ARN: &str = "DEFAULT_ROLE_ARN";
    /// Optional comma-separated roles a request may ask for with `role_arn`.
    pub const ALLOWED_ROLE_ARNS: &str = "ALLOWED_ROLE_ARNS";
    /// The longest session a caller may ask for, and the default (at most 43200).
    pub const MAX_DURATION_SECONDS: &str = "MAX_DURATION_SECONDS";
    /// The IAM user's access key id: AssumeRole is called as this user, not as the execution
    /// role, because role chaining caps sessions at one hour.
    pub const IAM_USER_ACCESS_KEY_ID: &str = "IAM_USER_ACCESS_KEY_ID";
    /// The IAM user's secret access key.
    pub const IAM_USER_SECRET_ACCESS_KEY: &str = "IAM_USER_SECRET_ACCESS_KEY";
    /// Optional JWKS URL replacing `<issuer>/.well-known/jwks.json` (used with an emulator).
    pub const COGAUTH_JWKS_URL: &str = "COGAUTH_JWKS_URL";
    /// The region STS is called in; Lambda sets it. Default: the user pool's region.
    pub const AWS_REGION: &str = "AWS_REGION";
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub user_pool_id: String,
    /// The user pool's region, from the prefix of its id.
    pub pool_region: String,
    /// The region STS is called in.
    pub sts_region: String,
    pub client_ids: Vec<String>,
    pub default_role_arn: String,
    pub allowed_role_arns: Vec<String>,
    pub max_duration_seconds: i32,
    pub iam_user_access_key_id: String,
    pub iam_user_secret_access_key: SecretString,
    pub jwks_url: String,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("user_pool_id", &self.user_pool_id)
            .field("sts_region", &self.sts_region)
            .field("client_ids", &self.client_ids)
            .field("default_role_arn", &self.default_role_arn)
            .field("allowed_role_arns", &self.allowed_role_arns)
            .field("max_duration_seconds", &self.max_duration_seconds)
            .field("iam_user_access_key_id", &self.iam_user_access_key_id)
            .field("iam_user_secret_access_key", &"** redacted **")
            .field("jwks_url", &self.jwks_url)
            .finish()
    }
}

/// A configuration problem; each names the variable and what is expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is not set: set it in the function's configuration")]
    Missing(&'static str),
    #[error("environment variable {name} = `{value}` is invalid: expected {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let require = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));

        let user_pool_id = require(vars::USER_POOL_ID)?;
        let pool_region = pool_region(&user_pool_id).ok_or_else(|| ConfigError::Invalid {
            name: vars::USER_POOL_ID,
            value: user_pool_id.clone(),
            expected: "a user pool id such as `us-east-1_AbC123`",
        })?;

        let client_ids = split_list(&require(vars::CLIENT_IDS)?);
        if client_ids.is_empty() || !client_ids.iter().all(|c| is_client_id(c)) {
            return Err(ConfigError::Invalid {
                name: vars::CLIENT_IDS,
                value: get(vars::CLIENT_IDS).unwrap_or_default(),
                expected: "comma-separated app client ids (letters and digits)",
            });
        }

        let default_role_arn = require(vars::DEFAULT_ROLE_ARN)?;
        if !is_role_arn(&default_role_arn) {
            return Err(ConfigError::Invalid {
                name: vars::DEFAULT_ROLE_ARN,
                value: default_role_arn,
                expected: "an IAM role ARN such as `arn:aws:iam::123456789012:role/Name`",
            });
        }

        let allowed_role_arns = get(vars::ALLOWED_ROLE_ARNS)
            .map(|v| split_list(&v))
            .unwrap_or_default();
        if let Some(bad) = allowed_role_arns.iter().find(|a| !is_role_arn(a)) {
            return Err(ConfigError::Invalid {
                name: vars::ALLOWED_ROLE_ARNS,
                value: bad.clone(),
                expected: "comma-separated IAM role ARNs",
            });
        }

        let max_duration_seconds = match get(vars::MAX_DURATION_SECONDS) {
            None => STS_MAX_DURATION_SECONDS,
            Some(v) => v
                .parse::<i32>()
                .ok()
                .filter(|d| (STS_MIN_DURATION_SECONDS..=STS_MAX_DURATION_SECONDS).contains(d))
                .ok_or(ConfigError::Invalid {
                    name: vars::MAX_DURATION_SECONDS,
                    value: v,
                    expected: "a number of seconds from 900 to 43200",
                })?,
        };

        let iam_user_access_key_id = require(vars::IAM_USER_ACCESS_KEY_ID)?;
        let iam_user_secret_access_key =
            SecretString::from(require(vars::IAM_USER_SECRET_ACCESS_KEY)?);

        let issuer = issuer(&pool_region, &user_pool_id);
        let jwks_url = match get(vars::COGAUTH_JWKS_URL) {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => url,
            Some(url) => {
                return Err(ConfigError::Invalid {
                    name: vars::COGAUTH_JWKS_URL,
                    value: url,
                    expected: "an http(s) URL",
                });
            }
            None => format!("{issuer}/.well-known/jwks.json"),
        };
        let sts_region = get(vars::AWS_REGION).unwrap_or_else(|| pool_region.clone());

        Ok(Self {
            user_pool_id,
            pool_region,
            sts_region,
            client_ids,
            default_role_arn,
            allowed_role_arns,
            max_duration_seconds,
            iam_user_access_key_id,
            iam_user_secret_access_key,
            jwks_url,
        })
    }

    /// The `iss` claim the pool's tokens carry.
    pub fn issuer(&self) -> String {
        issuer(&self.pool_region, &self.user_pool_id)
    }
}

fn issuer(region: &str, user_pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `us-east-1_AbC123` -> `us-east-1`.
fn pool_region(user_pool_id: &str) -> Option<String> {
    let (region, rest) = user_pool_id.split_once('_')?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let rest_ok = !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    (region_ok && rest_ok).then(|| region.to_owned())
}

fn is_client_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `arn:<partition>:iam::<12 digits>:role/<path/name>`.
pub fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let name = resource.strip_prefix("role/").unwrap_or_default();
    partition.starts_with("aws")
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 512
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const BASE: &[(&str, &str)] = &[
        ("USER_POOL_ID", "eu-west-1_AbC123"),
        ("CLIENT_IDS", "client1, client2"),
        (
            "DEFAULT_ROLE_ARN",
            "arn:aws:iam::123456789012:role/CognitoLongLivedRole",
        ),
        ("IAM_USER_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("IAM_USER_SECRET_ACCESS_KEY", "secret"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        let mut all: Vec<(&str, &str)> = BASE
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .copied()
            .collect();
        all.extend_from_slice(extra);
        env(&all)
    }

    #[test]
    fn minimal_configuration_gets_defaults() {
        let c = with(&[]).unwrap();
        assert_eq!(c.pool_region, "eu-west-1");
        assert_eq!(c.sts_region, "eu-west-1");
        assert_eq!(c.client_ids, ["client1", "client2"]);
        assert_eq!(c.max_duration_seconds, 43_200);
        assert!(c.allowed_role_arns.is_empty());
        assert_eq!(
            c.issuer(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            c.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
        assert_eq!(c.iam_user_secret_access_key.expose_secret(), "secret");
        assert!(!format!("{c:?}").contains("secret\""));
    }

    #[test]
    fn optional_variables_are_read() {
        let c = with(&[
            ("AWS_REGION", "us-west-2"),
            ("MAX_DURATION_SECONDS", "3600"),
            (
                "ALLOWED_ROLE_ARNS",
                "arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:role/p/b",
            ),
            (
                "COGAUTH_JWKS_URL",
                "http://127.0.0.1:5000/pool/.well-known/jwks.json",
            ),
        ])
        .unwrap();
        assert_eq!(c.sts_region, "us-west-2");
        assert_eq!(c.max_duration_seconds, 3600);
        assert_eq!(c.allowed_role_arns.len(), 2);
        assert_eq!(
            c.jwks_url,
            "http://127.0.0.1:5000/pool/.well-known/jwks.json"
        );
    }

    #[test]
    fn missing_variables_are_named() {
        for name in [
            "USER_POOL_ID",
            "CLIENT_IDS",
            "DEFAULT_ROLE_ARN",
            "IAM_USER_ACCESS_KEY_ID",
            "IAM_USER_SECRET_ACCESS_KEY",
        ] {
            let err = with(&[(name, "")]).unwrap_err();
            assert_eq!(err, ConfigError::Missing(name));
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn malformed_variables_are_rejected() {
        let cases: &[(&str, &str)] = &[
            ("USER_POOL_ID", "nounderscore"),
            ("USER_POOL_ID", "us-east-1_"),
            ("CLIENT_IDS", " , "),
            ("CLIENT_IDS", "ok,not ok"),
            ("DEFAULT_ROLE_ARN", "arn:aws:iam::123:role/x"),
            ("DEFAULT_ROLE_ARN", "arn:aws:iam::123456789012:user/x"),
            ("ALLOWED_ROLE_ARNS", "arn:aws:iam::123456789012:role/a,nope"),
            ("MAX_DURATION_SECONDS", "43201"),
            ("MAX_DURATION_SECONDS", "899"),
            ("MAX_DURATION_SECONDS", "12h"),
            ("COGAUTH_JWKS_URL", "file:///etc/passwd"),
        ];
        for (name, value) in cases {
            match with(&[(name, value)]) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(&n, name),
                other => panic!("{name}={value}: expected invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn role_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/Name"));
        assert!(is_role_arn(
            "arn:aws-cn:iam::123456789012:role/path/Na+me=,.@_-"
        ));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/"));
        assert!(!is_role_arn("arn:aws:sts::123456789012:role/x"));
        assert!(!is_role_arn("arn:aws:iam::123456789012:role/a b"));
    }
}
