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
pub(crate) use cognito::claim;
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
    /// The ID and access tokens, and the refresh token when Cognito issued one: always at a
    /// login, and at a refresh only when it rotated the token. A refresh that leaves it `None`
    /// keeps the [`RefreshGrant`]'s token (see [`RefreshGrant::renewed_by`]).
    pub tokens: Tokens,
    /// `cognito:username` (USER_ID_FOR_SRP) used for SECRET_HASH on refresh
    pub username: String,
    /// The ID token's `sub`: the user's id, never reused within the pool. Cached identity ids
    /// are keyed by it, so another user of the same profile never gets them.
    pub sub: Option<String>,
    /// The device key Cognito issued (`NewDeviceMetadata`), when the pool tracks devices; `None`
    /// keeps the grant's one.
    pub device_key: Option<String>,
}

/// What a silent refresh presents: what the session cache keeps between runs.
#[derive(Clone)]
pub struct RefreshGrant {
    /// `cognito:username`, for SECRET_HASH.
    pub username: String,
    pub refresh_token: SecretString,
    /// Sent as DEVICE_KEY when the pool tracks devices.
    pub device_key: Option<String>,
}

impl fmt::Debug for RefreshGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshGrant")
            .field("username", &self.username)
            .field("refresh_token", &"** redacted **")
            .field("device_key", &self.device_key)
            .finish()
    }
}

impl RefreshGrant {
    /// `session`, the answer to a refresh with this grant, made complete: a rotated refresh
    /// token or a new device key replace this grant's, and whatever the stage did not reissue
    /// is kept, so a refresh can never lose the refresh token.
    pub fn renewed_by(&self, mut session: UserPoolSession) -> UserPoolSession {
        if session.tokens.refresh_token.is_none() {
            session.tokens.refresh_token = Some(self.refresh_token.clone());
        }
        if session.device_key.is_none() {
            session.device_key = self.device_key.clone();
        }
        session
    }
}

/// Logs a user in to a user pool and refreshes their tokens.
#[async_trait::async_trait]
pub trait UserPoolStage: Send + Sync {
    async fn login(
        &self,
        req: &LoginRequest,
        prompter: &dyn Prompter,
    ) -> Result<UserPoolSession, UserPoolError>;

    /// New tokens for `grant` (REFRESH_TOKEN_AUTH with SECRET_HASH and DEVICE_KEY where
    /// needed). The returned session carries a refresh token or device key only if Cognito
    /// issued a new one; an expired or revoked refresh token is
    /// [`UserPoolError::RefreshTokenRejected`].
    async fn refresh(&self, grant: &RefreshGrant) -> Result<UserPoolSession, UserPoolError>;
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
            sub: Some("sub-1".to_owned()),
            device_key: Some("eu-west-1_device".to_owned()),
        };
        let grant = RefreshGrant {
            username: "alice".to_owned(),
            refresh_token: SecretString::from("grant-canary".to_owned()),
            device_key: None,
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
            format!("{grant:?}"),
            format!("{pool:?}"),
        ] {
            assert!(!shown.contains("canary"), "{shown}");
            assert!(!shown.contains("123456"), "{shown}");
        }
        assert!(format!("{request:?}").contains("alice"));
    }
}
