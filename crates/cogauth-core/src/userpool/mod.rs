//! The user-pool stage: a username (and a password, a one-time code or a custom answer) in,
//! Cognito tokens out.
//!
//! - USER_SRP_AUTH by default (the password never leaves the machine, see [`crate::srp`]);
//!   USER_PASSWORD_AUTH when the profile asks for it.
//! - USER_AUTH, choice-based sign-in (`auth_flow = "choice"`, [`choice`]): SELECT_CHALLENGE
//!   among the pool's first factors, EMAIL_OTP and SMS_OTP codes, the password or SRP; a
//!   passkey (WEB_AUTHN) needs the browser ([`UserPoolError::PasskeyNeedsBrowser`]).
//! - CUSTOM_AUTH (`auth_flow = "custom"`, [`custom`]): the pool's Lambda triggers ask
//!   CUSTOM_CHALLENGEs, each shown and answered; CUSTOM_WITH_SRP proves the password first.
//! - `SECRET_HASH` goes with every request when the app client has a secret: InitiateAuth,
//!   every challenge answer, and refresh.
//! - Challenges are answered through a [`Prompter`]: NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA,
//!   SMS_MFA, SELECT_MFA_TYPE and MFA_SETUP (authenticator-app enrolment). Any other challenge
//!   is an error that names it.
//! - Refresh ([`refresh`]): GetTokensFromRefreshToken, which rotates the refresh token when the
//!   app client says so; REFRESH_TOKEN_AUTH on endpoints that do not offer the operation.
//! - Remembered devices ([`device`]): a `NewDeviceMetadata` is confirmed (ConfirmDevice with a
//!   verifier of a random device password) and, when the pool asks the user, remembered on
//!   request (UpdateDeviceStatus); later logins present the device and prove it
//!   (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER), so a remembered device skips MFA when the
//!   pool says so; refresh sends its DEVICE_KEY.

mod challenge;
pub mod choice;
mod cognito;
pub mod custom;
pub mod device;
mod error;
pub mod refresh;
mod secret_hash;

use std::fmt;

use secrecy::SecretString;

pub use cognito::CognitoUserPool;
pub(crate) use cognito::claim;
pub use error::UserPoolError;
pub use secret_hash::secret_hash;

use crate::config::{AuthFlow, PreferredChallenge};
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
    /// `auth_flow = "choice"`: the first factor to ask for when the pool offers it.
    pub preferred_challenge: Option<PreferredChallenge>,
    /// `auth_flow = "custom"`: CUSTOM_WITH_SRP, the password proven by SRP first.
    pub custom_with_srp: bool,
}

/// A device this machine confirmed with the user pool: what a login presents (`DEVICE_KEY`)
/// and proves (device SRP with the device password), and what a refresh sends.
#[derive(Clone)]
pub struct Device {
    /// `DeviceKey` of `NewDeviceMetadata`: an identifier, not a secret.
    pub key: String,
    /// `DeviceGroupKey` of `NewDeviceMetadata` (one per user).
    pub group_key: String,
    /// The random secret whose verifier ConfirmDevice registered.
    pub password: SecretString,
    /// Whether the pool remembers it (then it may skip MFA); a device the user declined to
    /// remember is still tracked, and still proven at each login.
    pub remembered: bool,
    /// The name it was confirmed with (ListDevices shows it).
    pub name: String,
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("key", &self.key)
            .field("group_key", &self.group_key)
            .field("password", &"** redacted **")
            .field("remembered", &self.remembered)
            .field("name", &self.name)
            .finish()
    }
}

/// What the user typed (or passed non-interactively).
#[derive(Clone, Default)]
pub struct LoginRequest {
    pub username: String,
    /// The password, when it was given up front (`--password-stdin`). Otherwise it is asked
    /// through the [`Prompter`] when the sign-in needs it, and only then: a choice-based
    /// sign-in with a one-time code, or a custom one without SRP, never asks for it.
    pub password: Option<SecretString>,
    /// Answers the first MFA code question (`--mfa-code`); later ones go to the prompter.
    pub mfa_code: Option<String>,
    /// The device this machine confirmed for this user at an earlier login, if any: presented
    /// and proven, so that a remembered device skips MFA. The broker fills it in from the
    /// session store.
    pub device: Option<Device>,
    /// When the pool remembers devices only if the user says so: `Some` answers without asking
    /// (`--remember-device`), `None` asks on the terminal (no terminal: not remembered).
    pub remember_device: Option<bool>,
    /// The name a newly confirmed device gets (default `cogauth`).
    pub device_name: Option<String>,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|_| "** redacted **"),
            )
            .field(
                "mfa_code",
                &self.mfa_code.as_ref().map(|_| "** redacted **"),
            )
            .field("device", &self.device)
            .field("remember_device", &self.remember_device)
            .field("device_name", &self.device_name)
            .finish()
    }
}

impl LoginRequest {
    /// A browser sign-in: `login_hint` (`-u`) prefills the sign-in page; there is no password,
    /// the managed login pages ask for what the pool needs.
    pub fn browser(login_hint: Option<String>) -> Self {
        Self {
            username: login_hint.unwrap_or_default(),
            ..Default::default()
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
    /// How the login proved who the user is, for `cogauth status`: `srp`, `password`,
    /// `choice: EMAIL_OTP`, `custom with SRP`, ...; `None` after a refresh.
    pub signed_in_with: Option<String>,
    /// After a login on a pool that tracks devices: the device it confirmed, or the one it
    /// proved. `None` after a refresh, and where the pool tracks no device.
    pub device: Option<Device>,
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

    /// New tokens for `grant` (GetTokensFromRefreshToken, else REFRESH_TOKEN_AUTH, with the
    /// client secret and DEVICE_KEY where needed; see [`refresh`]). The returned session
    /// carries a refresh token or device key only if Cognito issued a new one: a new refresh
    /// token means the old one is dead (rotation), and the caller must store the new one before
    /// anything else can fail. An expired or revoked refresh token is
    /// [`UserPoolError::RefreshTokenRejected`], one replaced by rotation
    /// [`UserPoolError::RefreshTokenReused`].
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
            preferred_challenge: None,
            custom_with_srp: false,
        };
        let request = LoginRequest {
            username: "alice".to_owned(),
            password: Some(SecretString::from("password-canary".to_owned())),
            mfa_code: Some("123456".to_owned()),
            device: Some(Device {
                key: "eu-west-1_device".to_owned(),
                group_key: "-group".to_owned(),
                password: SecretString::from("device-canary".to_owned()),
                remembered: true,
                name: "cogauth".to_owned(),
            }),
            ..Default::default()
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
            signed_in_with: Some("srp".to_owned()),
            device: request.device.clone(),
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
