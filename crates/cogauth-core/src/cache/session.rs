//! What the session cache keeps per profile.

use std::fmt;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::{CredentialSource, Credentials};

/// One profile's login: enough to refresh it silently and to hand out its credentials.
///
/// Serialized as JSON. Fields that a later version adds must be optional (`#[serde(default)]`),
/// so a cache written by an older cogauth still loads.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    pub profile: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub username: String,
    /// The user's `sub` (absent from caches written by earlier versions): the cached identity
    /// id belongs to this user of this pool and client, and is never sent for another.
    #[serde(default)]
    pub user_sub: Option<String>,
    /// The secret that keeps the login alive; replaced atomically when Cognito rotates it.
    #[serde(with = "crate::credentials::optional_secret_string", default)]
    pub refresh_token: Option<SecretString>,
    /// Needed with the refresh token when device tracking is on (an identifier, not a secret).
    #[serde(default)]
    pub device_key: Option<String>,
    /// The confirmed device's group key (`DeviceGroupKey`), with [`Self::device_password`].
    #[serde(default)]
    pub device_group_key: Option<String>,
    /// The secret this machine proves its device with (device SRP); only for the device of
    /// [`Self::device_key`], confirmed by this machine.
    #[serde(with = "crate::credentials::optional_secret_string", default)]
    pub device_password: Option<SecretString>,
    /// Whether the pool remembers the device (it may then skip MFA).
    #[serde(default)]
    pub device_remembered: Option<bool>,
    /// The name the device was confirmed with.
    #[serde(default)]
    pub device_name: Option<String>,
    /// The name typed at the login that confirmed the device (maybe an alias of
    /// [`Self::username`]): a later login presents the device only for this user.
    #[serde(default)]
    pub device_login_name: Option<String>,
    #[serde(default)]
    pub identity_id: Option<String>,
    #[serde(default)]
    pub credentials: Option<Credentials>,
    #[serde(default)]
    pub source: Option<CredentialSource>,
    /// When the ID and access tokens expire (the refresh token lives longer).
    #[serde(default)]
    pub tokens_expire_at: Option<DateTime<Utc>>,
    /// The ID token of the last login or refresh, for `cogauth token` and the roles it names.
    #[serde(with = "crate::credentials::optional_secret_string", default)]
    pub id_token: Option<SecretString>,
    /// The access token of the last login or refresh, for `cogauth token --access`.
    #[serde(with = "crate::credentials::optional_secret_string", default)]
    pub access_token: Option<SecretString>,
    /// The role the login chose (`--role`, `role_arn` or the picker): refreshes keep it. `None`:
    /// the identity pool chose.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// How the login proved who the user is (`srp`, `choice: EMAIL_OTP`, `custom`, ...).
    #[serde(default)]
    pub signed_in_with: Option<String>,
    /// Whether the app client rotates refresh tokens, as the last refresh showed (a new refresh
    /// token in its answer); `None` until the first refresh.
    #[serde(default)]
    pub refresh_rotates: Option<bool>,
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.profile)
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("user_sub", &self.user_sub)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "** redacted **"),
            )
            .field("device_key", &self.device_key)
            .field("device_group_key", &self.device_group_key)
            .field(
                "device_password",
                &self.device_password.as_ref().map(|_| "** redacted **"),
            )
            .field("device_remembered", &self.device_remembered)
            .field("device_name", &self.device_name)
            .field("device_login_name", &self.device_login_name)
            .field("identity_id", &self.identity_id)
            // Credentials redacts its own secrets.
            .field("credentials", &self.credentials)
            .field("source", &self.source)
            .field("tokens_expire_at", &self.tokens_expire_at)
            .field(
                "id_token",
                &self.id_token.as_ref().map(|_| "** redacted **"),
            )
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "** redacted **"),
            )
            .field("role_arn", &self.role_arn)
            .field("signed_in_with", &self.signed_in_with)
            .field("refresh_rotates", &self.refresh_rotates)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let at = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let session = Session {
            profile: "dev".into(),
            user_pool_id: "us-east-1_Pool".into(),
            client_id: "client".into(),
            username: "alice".into(),
            user_sub: Some("sub-1".into()),
            refresh_token: Some("canary-refresh".to_owned().into()),
            device_key: Some("us-east-1_device".into()),
            device_group_key: Some("-group".into()),
            device_password: Some("canary-device-password".to_owned().into()),
            device_remembered: Some(true),
            device_name: Some("cogauth".into()),
            device_login_name: Some("alice".into()),
            identity_id: Some("us-east-1:id".into()),
            credentials: Some(Credentials::new(
                "ASIAKEY",
                "canary-secret",
                "canary-token",
                at,
            )),
            source: Some(CredentialSource::BasicFlow),
            tokens_expire_at: Some(at),
            id_token: Some("canary-id".to_owned().into()),
            access_token: Some("canary-access".to_owned().into()),
            role_arn: Some("arn:aws:iam::123456789012:role/Dev".into()),
            signed_in_with: Some("srp".into()),
            refresh_rotates: Some(true),
            updated_at: at,
        };
        let shown = format!("{session:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(
            shown.contains("alice") && shown.contains("ASIAKEY") && shown.contains("role/Dev"),
            "{shown}"
        );
        assert!(
            shown.contains("refresh_token: Some(\"** redacted **\")"),
            "{shown}"
        );
    }
}
