//! The proxy's configuration, read once at start-up from environment variables.
//!
//! A missing or malformed variable stops the function at start-up with one clear log line,
//! rather than failing every request.

use std::fmt;

use cogauth_ids::{ClientId, IdKind, RoleArn, UserPoolId};
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
    /// The ARN of the Secrets Manager secret that holds the IAM user's access key, as the JSON
    /// `{"AccessKeyId": "AKIA...", "SecretAccessKey": "..."}`. AssumeRole is called as this
    /// user, not as the execution role, because role chaining caps sessions at one hour. The
    /// secret is read at start-up and again (once) when STS rejects the key, which is how a
    /// rotated key is picked up.
    pub const IAM_USER_SECRET_ARN: &str = "IAM_USER_SECRET_ARN";
    /// Deprecated: the IAM user's access key id in plain sight. Still honoured when
    /// `IAM_USER_SECRET_ARN` is not set, with a warning at start-up, so that a function's code
    /// can be updated before its configuration is migrated (`cogadmin lambda deploy`).
    pub const IAM_USER_ACCESS_KEY_ID: &str = "IAM_USER_ACCESS_KEY_ID";
    /// Deprecated: the IAM user's secret access key in plain sight (see above).
    pub const IAM_USER_SECRET_ACCESS_KEY: &str = "IAM_USER_SECRET_ACCESS_KEY";
    /// `true` refuses requests that carry no `access_token`; `false` (the default, for old
    /// clients) serves them on the ID token alone, without the revocation check.
    pub const REQUIRE_ACCESS_TOKEN: &str = "REQUIRE_ACCESS_TOKEN";
    /// Optional JWKS URL replacing `<issuer>/.well-known/jwks.json` (used with an emulator):
    /// `https://`, or `http://` to a loopback address only.
    pub const COGAUTH_JWKS_URL: &str = "COGAUTH_JWKS_URL";
    /// The endpoint of the Cognito user pools API (GetUser), as the AWS SDKs read it.
    pub const AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: &str =
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
    /// The endpoint of every AWS API, as the AWS SDKs read it.
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    /// `true` makes the AWS SDKs, and so the proxy, ignore the two variables above.
    pub const AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
    /// The region STS is called in; Lambda sets it. Default: the user pool's region.
    pub const AWS_REGION: &str = "AWS_REGION";
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub user_pool_id: UserPoolId,
    /// The region STS is called in.
    pub sts_region: String,
    pub client_ids: Vec<ClientId>,
    pub default_role_arn: RoleArn,
    pub allowed_role_arns: Vec<RoleArn>,
    pub max_duration_seconds: i32,
    /// Where the IAM user's access key comes from.
    pub iam_key: IamKeyConfig,
    /// Refuse requests without an access token (see [`vars::REQUIRE_ACCESS_TOKEN`]).
    pub require_access_token: bool,
    pub jwks_url: String,
    /// The Cognito user pools API, for GetUser (no trailing slash).
    pub cognito_endpoint: String,
    /// What the operator should fix, logged once at start-up (never a secret).
    pub warnings: Vec<String>,
}

/// Where the IAM user's access key comes from.
#[derive(Clone)]
pub enum IamKeyConfig {
    /// A Secrets Manager secret (`IAM_USER_SECRET_ARN`), read with the execution role.
    SecretsManager {
        arn: String,
        /// The secret's region, from its ARN.
        region: String,
    },
    /// The deprecated plaintext variables.
    Environment {
        access_key_id: String,
        secret_access_key: SecretString,
    },
}

impl fmt::Debug for IamKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SecretsManager { arn, region } => f
                .debug_struct("SecretsManager")
                .field("arn", arn)
                .field("region", region)
                .finish(),
            Self::Environment { access_key_id, .. } => f
                .debug_struct("Environment")
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"** redacted **")
                .finish(),
        }
    }
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
            .field("iam_key", &self.iam_key)
            .field("require_access_token", &self.require_access_token)
            .field("jwks_url", &self.jwks_url)
            .field("cognito_endpoint", &self.cognito_endpoint)
            .finish_non_exhaustive()
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

        // The ids follow the same rules as in cogauth and cogadmin (`cogauth-ids`).
        let invalid = |name: &'static str, e: cogauth_ids::IdError| ConfigError::Invalid {
            name,
            value: e.value,
            expected: e.kind.expected(),
        };
        let user_pool_id = UserPoolId::parse(&require(vars::USER_POOL_ID)?)
            .map_err(|e| invalid(vars::USER_POOL_ID, e))?;

        let client_ids = split_list(&require(vars::CLIENT_IDS)?)
            .into_iter()
            .map(ClientId::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(vars::CLIENT_IDS, e))?;
        if client_ids.is_empty() {
            return Err(ConfigError::Invalid {
                name: vars::CLIENT_IDS,
                value: get(vars::CLIENT_IDS).unwrap_or_default(),
                expected: IdKind::ClientId.expected(),
            });
        }

        let default_role_arn = RoleArn::try_from(require(vars::DEFAULT_ROLE_ARN)?)
            .map_err(|e| invalid(vars::DEFAULT_ROLE_ARN, e))?;

        let allowed_role_arns = get(vars::ALLOWED_ROLE_ARNS)
            .map(|v| split_list(&v))
            .unwrap_or_default()
            .into_iter()
            .map(RoleArn::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(vars::ALLOWED_ROLE_ARNS, e))?;
        let pool_region = user_pool_id.region().to_owned();

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

        let mut warnings = Vec::new();
        let iam_key = iam_key(&get, &mut warnings)?;

        let require_access_token = match get(vars::REQUIRE_ACCESS_TOKEN) {
            None => {
                warnings.push(format!(
                    "{} is not set, so requests with an ID token alone are served and a revoked \
                     or signed-out session keeps getting credentials until its ID token \
                     expires: set it to true once every client sends its access token",
                    vars::REQUIRE_ACCESS_TOKEN
                ));
                false
            }
            Some(v) => parse_bool(&v).ok_or(ConfigError::Invalid {
                name: vars::REQUIRE_ACCESS_TOKEN,
                value: v,
                expected: "true or false",
            })?,
        };

        let issuer = user_pool_id.issuer();
        let jwks_url = match get(vars::COGAUTH_JWKS_URL) {
            Some(url) => {
                check_endpoint_url(&url).map_err(|expected| ConfigError::Invalid {
                    name: vars::COGAUTH_JWKS_URL,
                    value: url.clone(),
                    expected,
                })?;
                url
            }
            None => format!("{issuer}/.well-known/jwks.json"),
        };

        let ignore_endpoints = get(vars::AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)
            .and_then(|v| parse_bool(&v))
            .unwrap_or(false);
        let configured_endpoint = [
            vars::AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER,
            vars::AWS_ENDPOINT_URL,
        ]
        .into_iter()
        .filter(|_| !ignore_endpoints)
        .find_map(|name| get(name).map(|value| (name, value)));
        let cognito_endpoint = match configured_endpoint {
            Some((name, url)) => {
                // GetUser sends the caller's access token: never in clear to another host.
                check_endpoint_url(&url).map_err(|expected| ConfigError::Invalid {
                    name,
                    value: url.clone(),
                    expected,
                })?;
                url.trim_end_matches('/').to_owned()
            }
            None => format!("https://cognito-idp.{pool_region}.amazonaws.com"),
        };
        let sts_region = get(vars::AWS_REGION).unwrap_or_else(|| pool_region.clone());

        Ok(Self {
            user_pool_id,
            sts_region,
            client_ids,
            default_role_arn,
            allowed_role_arns,
            max_duration_seconds,
            iam_key,
            require_access_token,
            jwks_url,
            cognito_endpoint,
            warnings,
        })
    }

    /// The `iss` claim the pool's tokens carry.
    pub fn issuer(&self) -> String {
        self.user_pool_id.issuer()
    }

    /// The app client ids, as the token verifier compares them with `aud` and `client_id`.
    pub fn client_id_strings(&self) -> Vec<String> {
        self.client_ids.iter().map(ToString::to_string).collect()
    }
}

/// The IAM user's key: the secret when `IAM_USER_SECRET_ARN` is set (it wins over the old
/// variables), else the deprecated plaintext pair, with a warning either way they are present.
fn iam_key(
    get: &impl Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<IamKeyConfig, ConfigError> {
    let plaintext = [
        vars::IAM_USER_ACCESS_KEY_ID,
        vars::IAM_USER_SECRET_ACCESS_KEY,
    ]
    .into_iter()
    .filter(|name| get(name).is_some())
    .collect::<Vec<_>>();
    if let Some(arn) = get(vars::IAM_USER_SECRET_ARN) {
        let region = secret_arn_region(&arn).ok_or_else(|| ConfigError::Invalid {
            name: vars::IAM_USER_SECRET_ARN,
            value: arn.clone(),
            expected: "a Secrets Manager secret ARN such as \
                       `arn:aws:secretsmanager:us-east-1:123456789012:secret:name-AbCdEf`",
        })?;
        if !plaintext.is_empty() {
            warnings.push(format!(
                "{} is set, so {} {} ignored: remove {} from the function's configuration \
                 (`cogadmin lambda deploy` does)",
                vars::IAM_USER_SECRET_ARN,
                plaintext.join(" and "),
                if plaintext.len() == 1 { "is" } else { "are" },
                if plaintext.len() == 1 { "it" } else { "them" },
            ));
        }
        return Ok(IamKeyConfig::SecretsManager { arn, region });
    }
    if plaintext.is_empty() {
        return Err(ConfigError::Missing(vars::IAM_USER_SECRET_ARN));
    }
    let access_key_id = get(vars::IAM_USER_ACCESS_KEY_ID)
        .ok_or(ConfigError::Missing(vars::IAM_USER_ACCESS_KEY_ID))?;
    let secret_access_key = get(vars::IAM_USER_SECRET_ACCESS_KEY)
        .map(SecretString::from)
        .ok_or(ConfigError::Missing(vars::IAM_USER_SECRET_ACCESS_KEY))?;
    warnings.push(format!(
        "the IAM user's key is read from {} and {}, which anyone allowed \
         lambda:GetFunctionConfiguration can read: migrate the function with \
         `cogadmin lambda deploy`, which moves the key to Secrets Manager and sets {}",
        vars::IAM_USER_ACCESS_KEY_ID,
        vars::IAM_USER_SECRET_ACCESS_KEY,
        vars::IAM_USER_SECRET_ARN,
    ));
    Ok(IamKeyConfig::Environment {
        access_key_id,
        secret_access_key,
    })
}

/// `arn:<partition>:secretsmanager:<region>:<12 digits>:secret:<name>` -> the region.
fn secret_arn_region(arn: &str) -> Option<String> {
    let [_, _, "secretsmanager", region, account, resource] = arn_fields(arn)? else {
        return None;
    };
    let name = resource.strip_prefix("secret:")?;
    let name_ok = (1..=512).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
    (cogauth_ids::is_region(region) && is_account(account) && name_ok).then(|| region.to_owned())
}

/// The six fields of an ARN, `arn:<partition>:<service>:<region>:<account>:<resource>` (the
/// resource may hold colons), for an AWS partition.
fn arn_fields(arn: &str) -> Option<[&str; 6]> {
    let mut parts = arn.splitn(6, ':');
    let fields = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    (fields[0] == "arn" && fields[1].starts_with("aws")).then_some(fields)
}

/// Twelve digits.
fn is_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// An endpoint the proxy sends tokens to or trusts keys from: `https://` anywhere, `http://`
/// only to a loopback address (an emulator on the same host), where nobody on the network can
/// read or change what goes over it. `localhost` is refused: a name can resolve elsewhere.
pub fn check_endpoint_url(url: &str) -> Result<(), &'static str> {
    const EXPECTED: &str =
        "an https:// URL, or http:// to a loopback address such as http://127.0.0.1:5000";
    let parsed = reqwest::Url::parse(url).map_err(|_| EXPECTED)?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(EXPECTED);
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let host = host.trim_start_matches('[').trim_end_matches(']');
            match host.parse::<std::net::IpAddr>() {
                Ok(ip) if ip.is_loopback() => Ok(()),
                _ => Err(EXPECTED),
            }
        }
        _ => Err(EXPECTED),
    }
}

/// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case.
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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

    const SECRET_ARN: &str =
        "arn:aws:secretsmanager:eu-central-1:123456789012:secret:cogauth/proxy-key-AbCdEf";

    const BASE: &[(&str, &str)] = &[
        ("USER_POOL_ID", "eu-west-1_AbC123"),
        ("CLIENT_IDS", "client1, client2"),
        (
            "DEFAULT_ROLE_ARN",
            "arn:aws:iam::123456789012:role/CognitoLongLivedRole",
        ),
        ("IAM_USER_SECRET_ARN", SECRET_ARN),
        ("REQUIRE_ACCESS_TOKEN", "true"),
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
        assert_eq!(c.user_pool_id.region(), "eu-west-1");
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
        assert_eq!(
            c.cognito_endpoint,
            "https://cognito-idp.eu-west-1.amazonaws.com"
        );
        match &c.iam_key {
            IamKeyConfig::SecretsManager { arn, region } => {
                assert_eq!(
                    (arn.as_str(), region.as_str()),
                    (SECRET_ARN, "eu-central-1")
                );
            }
            other => panic!("expected the secret, got {other:?}"),
        }
        assert!(c.require_access_token);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn the_old_plaintext_key_still_works_with_a_warning_to_migrate() {
        let c = with(&[
            ("IAM_USER_SECRET_ARN", ""),
            ("IAM_USER_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("IAM_USER_SECRET_ACCESS_KEY", "plain-secret"),
        ])
        .unwrap();
        match &c.iam_key {
            IamKeyConfig::Environment {
                access_key_id,
                secret_access_key,
            } => {
                assert_eq!(access_key_id, "AKIAEXAMPLE");
                assert_eq!(secret_access_key.expose_secret(), "plain-secret");
            }
            other => panic!("expected the plaintext key, got {other:?}"),
        }
        let shown = format!("{c:?} {:?}", c.warnings);
        assert!(!shown.contains("plain-secret"), "{shown}");
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].contains("cogadmin lambda deploy")
                && c.warnings[0].contains("IAM_USER_SECRET_ARN"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn the_secret_wins_over_the_old_variables_which_are_reported() {
        let c = with(&[
            ("IAM_USER_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("IAM_USER_SECRET_ACCESS_KEY", "plain-secret"),
        ])
        .unwrap();
        assert!(matches!(c.iam_key, IamKeyConfig::SecretsManager { .. }));
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0]
                .contains("IAM_USER_ACCESS_KEY_ID and IAM_USER_SECRET_ACCESS_KEY are ignored"),
            "{:?}",
            c.warnings
        );
        assert!(!format!("{c:?} {:?}", c.warnings).contains("plain-secret"));
    }

    #[test]
    fn require_access_token_defaults_to_off_with_a_warning() {
        let c = with(&[("REQUIRE_ACCESS_TOKEN", "")]).unwrap();
        assert!(!c.require_access_token);
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("REQUIRE_ACCESS_TOKEN"))
        );
        for (value, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("on", true),
            ("yes", true),
            ("false", false),
            ("0", false),
            ("Off", false),
            ("no", false),
        ] {
            let c = env(&[BASE, &[("REQUIRE_ACCESS_TOKEN", value)]].concat()).unwrap();
            assert_eq!(c.require_access_token, expected, "{value}");
        }
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
    fn the_cognito_endpoint_follows_the_sdk_variables() {
        let c = with(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/")]).unwrap();
        assert_eq!(c.cognito_endpoint, "http://127.0.0.1:4566");
        let c = with(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "https://idp.example.com",
            ),
        ])
        .unwrap();
        assert_eq!(c.cognito_endpoint, "https://idp.example.com");
        let c = with(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ])
        .unwrap();
        assert_eq!(
            c.cognito_endpoint,
            "https://cognito-idp.eu-west-1.amazonaws.com"
        );
        match with(&[("AWS_ENDPOINT_URL", "http://10.0.0.8:4566")]) {
            Err(ConfigError::Invalid { name, .. }) => assert_eq!(name, "AWS_ENDPOINT_URL"),
            other => panic!("plain HTTP to another host: {other:?}"),
        }
    }

    #[test]
    fn jwks_over_plain_http_only_from_loopback() {
        for url in [
            "https://keys.example.com/jwks.json",
            "http://127.0.0.1:5000/jwks.json",
            "http://127.8.9.10/jwks.json",
            "http://[::1]:8080/jwks.json",
        ] {
            let c = env(&[BASE, &[("COGAUTH_JWKS_URL", url)]].concat());
            assert_eq!(c.map(|c| c.jwks_url).as_deref(), Ok(url));
        }
        for url in [
            "http://cognito-idp.us-east-1.amazonaws.com/pool/.well-known/jwks.json",
            "http://localhost:5000/jwks.json",
            "http://10.0.0.1/jwks.json",
            "http://0.0.0.0/jwks.json",
            "http://[::ffff:10.0.0.1]/jwks.json",
            "http://127.0.0.1.nip.io/jwks.json",
            "ftp://127.0.0.1/jwks.json",
            "file:///etc/passwd",
            "https://",
            "not a url",
        ] {
            match env(&[BASE, &[("COGAUTH_JWKS_URL", url)]].concat()) {
                Err(ConfigError::Invalid {
                    name: "COGAUTH_JWKS_URL",
                    expected,
                    ..
                }) => assert!(expected.contains("loopback"), "{expected}"),
                other => panic!("{url}: expected invalid, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_variables_are_named() {
        for name in ["USER_POOL_ID", "CLIENT_IDS", "DEFAULT_ROLE_ARN"] {
            let err = with(&[(name, "")]).unwrap_err();
            assert_eq!(err, ConfigError::Missing(name));
            assert!(err.to_string().contains(name));
        }
        let err = with(&[("IAM_USER_SECRET_ARN", "")]).unwrap_err();
        assert_eq!(err, ConfigError::Missing("IAM_USER_SECRET_ARN"));
        // Half of the old pair names the other half.
        for (set, missing) in [
            ("IAM_USER_ACCESS_KEY_ID", "IAM_USER_SECRET_ACCESS_KEY"),
            ("IAM_USER_SECRET_ACCESS_KEY", "IAM_USER_ACCESS_KEY_ID"),
        ] {
            let err = with(&[("IAM_USER_SECRET_ARN", ""), (set, "x")]).unwrap_err();
            assert_eq!(err, ConfigError::Missing(missing));
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
            ("IAM_USER_SECRET_ARN", "cogauth/proxy-key"),
            (
                "IAM_USER_SECRET_ARN",
                "arn:aws:ssm:us-east-1:123456789012:parameter/x",
            ),
            (
                "IAM_USER_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:1234:secret:x",
            ),
            (
                "IAM_USER_SECRET_ARN",
                "arn:aws:secretsmanager::123456789012:secret:x",
            ),
            ("REQUIRE_ACCESS_TOKEN", "sometimes"),
        ];
        for (name, value) in cases {
            match with(&[(name, value)]) {
                Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(&n, name),
                other => panic!("{name}={value}: expected invalid, got {other:?}"),
            }
        }
    }

    /// The proxy and the CLIs share one set of id rules (`cogauth-ids`): the proxy used to
    /// refuse the client ids with `_` or `+` that Cognito issues and cogauth accepts.
    #[test]
    fn ids_follow_the_same_rules_as_cogauth() {
        let c = with(&[
            ("CLIENT_IDS", "abc_def,a+b"),
            (
                "ALLOWED_ROLE_ARNS",
                "arn:aws-cn:iam::123456789012:role/path/Na+me=.@_-",
            ),
        ])
        .unwrap();
        assert_eq!(c.client_ids, ["abc_def", "a+b"]);
        assert_eq!(c.allowed_role_arns[0].name(), "Na+me=.@_-");
        for bad in [
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/x",
            "arn:aws:iam::123456789012:role/a b",
        ] {
            match with(&[("DEFAULT_ROLE_ARN", bad)]) {
                Err(ConfigError::Invalid {
                    name,
                    value,
                    expected,
                }) => {
                    assert_eq!((name, value.as_str()), ("DEFAULT_ROLE_ARN", bad));
                    assert!(
                        expected.starts_with("arn:aws:iam::<12-digit account>"),
                        "{expected}"
                    );
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
