//! Temporary AWS credentials and the Cognito tokens, with their secrets zeroized on drop and
//! redacted in `Debug`.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

const REDACTED: &str = "** redacted **";

/// Where a set of credentials came from; shown to the user and kept in the session cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialSource {
    /// GetCredentialsForIdentity: the identity pool's enhanced flow, always 1 hour.
    IdentityPool,
    /// GetOpenIdToken + AssumeRoleWithWebIdentity: the basic flow, up to 12 hours.
    BasicFlow,
    /// The cogauth credential-proxy Lambda, up to 12 hours.
    LambdaProxy,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IdentityPool => "identity pool (enhanced flow, 1 h)",
            Self::BasicFlow => "identity pool (basic flow)",
            Self::LambdaProxy => "Lambda credential proxy",
        })
    }
}

/// Temporary AWS credentials. The secret key and session token are zeroized when dropped.
#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    #[serde(with = "secret_string")]
    pub secret_access_key: SecretString,
    #[serde(with = "secret_string")]
    pub session_token: SecretString,
    pub expiration: DateTime<Utc>,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: impl Into<String>,
        expiration: DateTime<Utc>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::from(secret_access_key.into()),
            session_token: SecretString::from(session_token.into()),
            expiration,
        }
    }

    pub fn secret_access_key(&self) -> &str {
        self.secret_access_key.expose_secret()
    }

    pub fn session_token(&self) -> &str {
        self.session_token.expose_secret()
    }

    /// True when fewer than `window` remain before expiry at `now`.
    pub fn expires_within(&self, now: DateTime<Utc>, window: chrono::Duration) -> bool {
        self.expiration - now < window
    }

    /// For the SDK's credential chain and `ProvideCredentials` implementations.
    pub fn to_aws(&self, provider_name: &'static str) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            &self.access_key_id,
            self.secret_access_key(),
            Some(self.session_token().to_owned()),
            Some(self.expiration.into()),
            provider_name,
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &REDACTED)
            .field("session_token", &REDACTED)
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// The user-pool tokens of one login. All three are secrets.
#[derive(Clone, Serialize, Deserialize)]
pub struct Tokens {
    #[serde(with = "secret_string")]
    pub id_token: SecretString,
    #[serde(with = "secret_string")]
    pub access_token: SecretString,
    #[serde(with = "optional_secret_string", default)]
    pub refresh_token: Option<SecretString>,
    /// When the ID and access tokens expire.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("id_token", &REDACTED)
            .field("access_token", &REDACTED)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| REDACTED),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Serde for `SecretString`: the cache file must hold the secret, so it is exposed only here.
pub(crate) mod secret_string {
    use secrecy::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.expose_secret())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

pub(crate) mod optional_secret_string {
    use secrecy::{ExposeSecret, SecretString};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(v.expose_secret()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "canary-secret",
            "canary-token",
            DateTime::UNIX_EPOCH,
        );
        let shown = format!("{creds:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("canary-secret"));
        assert!(!shown.contains("canary-token"));

        let tokens = Tokens {
            id_token: "canary-id".to_owned().into(),
            access_token: "canary-access".to_owned().into(),
            refresh_token: Some("canary-refresh".to_owned().into()),
            expires_at: DateTime::UNIX_EPOCH,
        };
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("canary"), "{shown}");
    }
}
