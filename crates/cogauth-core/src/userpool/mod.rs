//! The user-pool stage: a username and password in, Cognito tokens out.
//!
//! - USER_SRP_AUTH by default (the password never leaves the machine, see [`crate::srp`]);
//!   USER_PASSWORD_AUTH when the profile asks for it.
//! - `SECRET_HASH` goes with every request when the app client has a secret: InitiateAuth,
//!   every challenge answer, and refresh.
//! - Challenges are answered through a [`Prompter`]: NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA,
//!   SMS_MFA, SELECT_MFA_TYPE and MFA_SETUP (authenticator-app enrolment). Any other challenge
//!   is an error that names it.
//! - Device tracking: a `NewDeviceMetadata.DeviceKey` is kept and sent back on refresh, but
//!   the device itself is not confirmed (ConfirmDevice is out of scope), so Cognito does not
//!   remember it.

mod challenge;
mod cognito;
mod error;
mod secret_hash;

use std::fmt;

use secrecy::SecretString;

pub use cognito::CognitoUserPool;
pub use error::UserPoolError;
pub use secret_hash::secret_hash;

use crate::config::AuthFlow;
use crate::credentials::Tokens;
use crate::prompt::Prompter;

/// The app client to log in with.
#[derive(Debug, Clone)]
pub struct UserPoolConfig {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    /// The app client's secret, when it has one.
    pub client_secret: Option<SecretString>,
    pub auth_flow: AuthFlow,
}

/// What the user typed (or passed non-interactively).
#[derive(Clone)]
pub struct LoginRequest {
    pub username: String,
    pub password: SecretString,
    /// Answers the first MFA code question (`--mfa-code`); later ones go to the prompter.
    pub mfa_code: Option<String>,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"** redacted **")
            .field(
                "mfa_code",
                &self.mfa_code.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl LoginRequest {
    /// A browser sign-in: `login_hint` (`-u`) prefills the sign-in page; there is no password,
    /// the managed login pages ask for what the pool needs.
    pub fn browser(login_hint: Option<String>) -> Self {
        Self {
            username: login_hint.unwrap_or_default(),
            password: SecretString::from(String::new()),
            mfa_code: None,
        }
    }
}

/// A logged-in user.
#[derive(Debug, Clone)]
pub struct UserPoolSession {
    pub tokens: Tokens,
    /// `cognito:username` (USER_ID_FOR_SRP) used for SECRET_HASH on refresh
    pub username: String,
    /// The device key Cognito issued, when the pool tracks devices.
    pub device_key: Option<String>,
}

/// Logs a user in to a user pool and refreshes their tokens.
#[async_trait::async_trait]
pub trait UserPoolStage: Send + Sync {
    async fn login(
        &self,
        req: &LoginRequest,
        prompter: &dyn Prompter,
    ) -> Result<UserPoolSession, UserPoolError>;

    /// REFRESH_TOKEN_AUTH with SECRET_HASH (needs `username`) and DEVICE_KEY where given.
    /// The returned session carries the new refresh token when Cognito rotated it, else the old one.
    async fn refresh(
        &self,
        username: &str,
        refresh_token: &SecretString,
        device_key: Option<&str>,
    ) -> Result<UserPoolSession, UserPoolError>;
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let config = UserPoolConfig {
            region: "eu-west-1".to_owned(),
            user_pool_id: "eu-west-1_Pool".to_owned(),
            client_id: "client123".to_owned(),
            client_secret: Some(SecretString::from("secret-canary".to_owned())),
            auth_flow: AuthFlow::Srp,
        };
        let request = LoginRequest {
            username: "alice".to_owned(),
            password: SecretString::from("password-canary".to_owned()),
            mfa_code: Some("123456".to_owned()),
        };
        let session = UserPoolSession {
            tokens: Tokens {
                id_token: SecretString::from("id-canary".to_owned()),
                access_token: SecretString::from("access-canary".to_owned()),
                refresh_token: Some(SecretString::from("refresh-canary".to_owned())),
                expires_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            },
            username: "alice".to_owned(),
            device_key: Some("eu-west-1_device".to_owned()),
        };
        let pool = CognitoUserPool::new(
            config.clone(),
            &crate::env::MapEnv::new(),
            std::sync::Arc::new(crate::clock::SystemClock),
        );
        for shown in [
            format!("{config:?}"),
            format!("{request:?}"),
            format!("{session:?}"),
            format!("{pool:?}"),
        ] {
            assert!(!shown.contains("canary"), "{shown}");
            assert!(!shown.contains("123456"), "{shown}");
        }
        assert!(format!("{request:?}").contains("alice"));
    }
}
