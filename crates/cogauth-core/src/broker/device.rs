//! This machine's remembered device in the session store: which login presents it, what a
//! login or refresh keeps of it, and what logout does with it.
//!
//! The device key, group key and device password live in the profile's session (0600, written
//! under the profile's lock, the password a `SecretString` redacted in `Debug`). A login
//! presents the device only for the user who confirmed it (by the name typed then, or the
//! user name Cognito knows). A plain logout ends the session and keeps the device, so the next
//! login from this machine still skips MFA where the pool allows it; `logout --forget-device`
//! has the pool forget it (ForgetDevice, with an access token from one last refresh) and
//! removes it here. A device the pool refuses is removed here at once.

use secrecy::{ExposeSecret, SecretString};

use super::{Broker, BrokerError, refresh_grant};
use crate::cache::{Session, SessionLock};
use crate::userpool::Device;

/// The device `session` holds, if a login typed as `typed` may present it.
pub(super) fn known_device(session: &Session, typed: &str) -> Option<Device> {
    let same_user =
        session.device_login_name.as_deref() == Some(typed) || session.username == typed;
    if !same_user {
        return None;
    }
    Some(Device {
        key: session.device_key.clone()?,
        group_key: session.device_group_key.clone()?,
        password: session.device_password.clone()?,
        remembered: session.device_remembered.unwrap_or(false),
        name: session.device_name.clone().unwrap_or_default(),
    })
}

/// Stores `device` in `session`, for the user who logged in as `login_name`.
pub(super) fn set(session: &mut Session, device: Device, login_name: &str) {
    session.device_key = Some(device.key);
    session.device_group_key = Some(device.group_key);
    session.device_password = Some(device.password);
    session.device_remembered = Some(device.remembered);
    session.device_name = Some(device.name);
    session.device_login_name = Some(login_name.to_owned());
}

/// Copies the device of `from` into `session` (a refresh keeps it).
pub(super) fn copy(session: &mut Session, from: &Session) {
    session.device_key = from.device_key.clone();
    session.device_group_key = from.device_group_key.clone();
    session.device_password = from.device_password.clone();
    session.device_remembered = from.device_remembered;
    session.device_name = from.device_name.clone();
    session.device_login_name = from.device_login_name.clone();
}

fn clear(session: &mut Session) {
    session.device_key = None;
    session.device_group_key = None;
    session.device_password = None;
    session.device_remembered = None;
    session.device_name = None;
    session.device_login_name = None;
}

impl Broker {
    /// Removes the device from the stored session (the pool refused it).
    pub(super) fn forget_device_here(
        &self,
        lock: &SessionLock,
        previous: &Session,
    ) -> Result<(), BrokerError> {
        let mut session = previous.clone();
        clear(&mut session);
        session.updated_at = self.clock.now();
        self.store.save(lock, &session)?;
        Ok(())
    }

    /// At logout: replaces `session` with one that holds only its device (no refresh token,
    /// no credentials, no identity), when it has a device this machine can prove. Returns the
    /// device key kept.
    pub(super) fn keep_only_device(
        &self,
        lock: &SessionLock,
        session: &Session,
    ) -> Result<Option<String>, BrokerError> {
        if session.device_password.is_none() || session.device_key.is_none() {
            return Ok(None);
        }
        let mut kept = Session {
            profile: session.profile.clone(),
            user_pool_id: session.user_pool_id.clone(),
            client_id: session.client_id.clone(),
            username: session.username.clone(),
            user_sub: session.user_sub.clone(),
            refresh_token: None,
            device_key: None,
            device_group_key: None,
            device_password: None,
            device_remembered: None,
            device_name: None,
            device_login_name: None,
            identity_id: None,
            credentials: None,
            source: None,
            tokens_expire_at: None,
            id_token: None,
            access_token: None,
            role_arn: None,
            signed_in_with: None,
            refresh_rotates: session.refresh_rotates,
            updated_at: self.clock.now(),
        };
        copy(&mut kept, session);
        self.store.save(lock, &kept)?;
        Ok(session.device_key.clone())
    }

    /// At `logout --forget-device`: ForgetDevice with an access token from one last refresh.
    /// Returns the refresh token to revoke when that refresh rotated it.
    pub(super) async fn forget_device_at_pool(
        &self,
        _lock: &SessionLock,
        session: &Session,
    ) -> Result<Option<SecretString>, String> {
        let device_key = session.device_key.clone().unwrap_or_default();
        let Some(grant) = refresh_grant(session) else {
            return Err(format!(
                "ForgetDevice needs a session, and profile `{}` has none: log in, then run \
                 `cogauth logout --forget-device` again (or remove device `{device_key}` in the \
                 Cognito console)",
                self.profile()
            ));
        };
        let authenticator = self.authenticator(false).map_err(|e| e.to_string())?;
        let user = authenticator
            .refresh_user(&grant)
            .await
            .map_err(|e| e.to_string())?;
        let rotated = user
            .tokens
            .refresh_token
            .clone()
            .filter(|t| t.expose_secret() != grant.refresh_token.expose_secret());
        let region = self.region_of(session)?;
        crate::aws::cognito_idp(self.env.as_ref(), &region)
            .forget_device()
            .access_token(user.tokens.access_token.expose_secret())
            .device_key(&device_key)
            .send()
            .await
            .map_err(|e| format!("ForgetDevice failed: {}", crate::aws::classify(&e)))?;
        Ok(rotated)
    }
}
