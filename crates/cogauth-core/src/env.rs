//! The process environment, behind a seam.
//!
//! `cogauth-core` never calls `std::env::var`: every read goes through an [`Env`], so tests pass
//! a [`MapEnv`] instead of mutating the process environment (which races between test threads).
//! Every variable the project reads is a constant in [`vars`], documented once.

use std::collections::HashMap;
use std::fmt;

/// Read access to environment variables.
pub trait Env: Send + Sync + fmt::Debug {
    /// The variable's value; unset and empty are both `None`, as the AWS tools treat them.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the process environment
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// A fixed environment, for tests and for embedders that resolve settings themselves.
#[derive(Debug, Default, Clone)]
pub struct MapEnv(HashMap<String, String>);

impl MapEnv {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MapEnv {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// Every environment variable cogauth reads.
pub mod vars {
    /// Overrides the user pool id of the selected profile (kept from the original tool).
    pub const COGNITO_USER_POOL_ID: &str = "COGNITO_USER_POOL_ID";
    /// Overrides the app client id of the selected profile (kept from the original tool).
    pub const COGNITO_CLIENT_ID: &str = "COGNITO_CLIENT_ID";
    /// Overrides the identity pool id of the selected profile (kept from the original tool).
    pub const COGNITO_IDENTITY_POOL_ID: &str = "COGNITO_IDENTITY_POOL_ID";
    /// Overrides the region of the selected profile (the AWS tools' own variable).
    pub const AWS_REGION: &str = "AWS_REGION";
    /// Selects the profile when `--profile` is not given.
    pub const COGAUTH_PROFILE: &str = "COGAUTH_PROFILE";
    /// Path of the configuration file, replacing the XDG location.
    pub const COGAUTH_CONFIG: &str = "COGAUTH_CONFIG";
    /// Base directory for configuration (XDG Base Directory specification).
    pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
    /// Base directory for the session cache (XDG Base Directory specification).
    pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
    /// The user's home directory.
    pub const HOME: &str = "HOME";
    /// Location of the AWS shared credentials file (the AWS tools' own variable).
    pub const AWS_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
    /// Location of the AWS config file (the AWS tools' own variable).
    pub const AWS_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
    /// Endpoint for every AWS service (the AWS tools' own variable; used against the emulator).
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    /// Endpoint for Cognito user pools only.
    pub const AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: &str =
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER";
    /// Endpoint for Cognito identity pools only.
    pub const AWS_ENDPOINT_URL_COGNITO_IDENTITY: &str = "AWS_ENDPOINT_URL_COGNITO_IDENTITY";
    /// Endpoint for STS only.
    pub const AWS_ENDPOINT_URL_STS: &str = "AWS_ENDPOINT_URL_STS";
    /// Endpoint for Lambda only.
    pub const AWS_ENDPOINT_URL_LAMBDA: &str = "AWS_ENDPOINT_URL_LAMBDA";
    /// Endpoint for IAM only.
    pub const AWS_ENDPOINT_URL_IAM: &str = "AWS_ENDPOINT_URL_IAM";
    /// Endpoint for Secrets Manager only (cogadmin's proxy key).
    pub const AWS_ENDPOINT_URL_SECRETS_MANAGER: &str = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
    /// Turns off endpoint overrides from the environment, as the AWS SDKs do.
    pub const AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS";
    /// Set by `cogauth exec` in the child's environment, to refuse nesting.
    pub const COGAUTH_EXEC_PROFILE: &str = "COGAUTH_EXEC_PROFILE";
    /// The longest one AWS call may take, retries included, in whole seconds (default 60).
    pub const COGAUTH_AWS_TIMEOUT: &str = "COGAUTH_AWS_TIMEOUT";
    /// Replaces the AWS federation endpoint of `cogauth console` (both the sign-in token and
    /// the login URL), e.g. for a test's fake endpoint; https, or http to loopback only.
    pub const COGAUTH_FEDERATION_ENDPOINT: &str = "COGAUTH_FEDERATION_ENDPOINT";
    /// How long browser sign-in waits for the browser to come back, in whole seconds (default
    /// 300, at most 3600).
    pub const COGAUTH_CALLBACK_TIMEOUT: &str = "COGAUTH_CALLBACK_TIMEOUT";
    /// The web browser for browser sign-in: commands separated by `:`, each with `%s` where the
    /// URL goes (else the URL is appended); unset, the platform's opener (read by the CLI).
    pub const BROWSER: &str = "BROWSER";
}
