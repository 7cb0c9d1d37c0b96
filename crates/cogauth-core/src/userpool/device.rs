//! Remembered devices: confirming a new device, proving a known one.
//!
//! - A login that ends with `NewDeviceMetadata` (the pool tracks devices, and no confirmed
//!   device was proven) confirms it: a random device password, its SRP verifier and salt
//!   ([`DeviceVerifier`]) go to ConfirmDevice, with the access token. Cognito answers whether
//!   the user must choose (`UserConfirmationNecessary`, the pool's
//!   DeviceOnlyRememberedOnUserPrompt): then the user is asked on the terminal (or
//!   `--remember-device` answers; no terminal means no), and UpdateDeviceStatus remembers it.
//!   Otherwise the pool remembers every confirmed device. Either way the device key, group key
//!   and password are kept in the session store: a tracked device is proven at each login, and
//!   its refresh token is bound to it.
//! - A login that presents a known device (`DEVICE_KEY` in InitiateAuth and in the
//!   PASSWORD_VERIFIER answer) is asked DEVICE_SRP_AUTH (answered with a new SRP_A) and
//!   DEVICE_PASSWORD_VERIFIER (the device password's proof, as for the user's password but
//!   with the group key and device key). Cognito may ask for it after the first factor or after
//!   an MFA answer: the login answers it whenever it comes. Whether MFA follows is the pool's
//!   decision (a remembered device with ChallengeRequiredOnNewDevice skips it).
//! - A proof the pool refuses is [`UserPoolError::DeviceRejected`] (the broker forgets the
//!   device, so the next login starts without it), not a wrong password.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_cognitoidentityprovider::types::{
    DeviceRememberedStatusType, DeviceSecretVerifierConfigType,
};
use secrecy::{ExposeSecret, SecretString};

use super::challenge::Challenge;
use super::cognito::{Login, Reply};
use super::error::Step;
use super::{Device, UserPoolError};
use crate::aws;
use crate::prompt::PromptError;
use crate::srp::{self, DeviceVerifier, SrpClient};

/// The name a device gets when the caller gives none.
pub const DEFAULT_DEVICE_NAME: &str = "cogauth";

impl Login<'_> {
    /// DEVICE_SRP_AUTH: a new SRP exchange for the known device.
    pub(super) fn device_srp_answers(
        &mut self,
        challenge: &Challenge,
    ) -> Result<HashMap<String, String>, UserPoolError> {
        let device = self.request.device.as_ref().ok_or_else(|| {
            challenge.malformed("it came although the login presented no device".to_owned())
        })?;
        let srp = SrpClient::generate();
        let answers = HashMap::from([
            ("DEVICE_KEY".to_owned(), device.key.clone()),
            ("SRP_A".to_owned(), srp.srp_a_hex()),
        ]);
        self.device_srp = Some(srp);
        Ok(answers)
    }

    /// DEVICE_PASSWORD_VERIFIER: the device password's proof; a refusal is the device's.
    pub(super) async fn device_password_verifier(
        &mut self,
        challenge: Challenge,
    ) -> Result<Reply, UserPoolError> {
        let device = self.request.device.clone().ok_or_else(|| {
            challenge.malformed("it came although the login presented no device".to_owned())
        })?;
        let srp = self.device_srp.take().ok_or_else(|| {
            challenge.malformed("it came before DEVICE_SRP_AUTH was answered".to_owned())
        })?;
        let secret_block = challenge.parameter("SECRET_BLOCK")?;
        let key = srp.device_password_key(
            &device.group_key,
            &device.key,
            &device.password,
            challenge.parameter("SRP_B")?,
            challenge.parameter("SALT")?,
        )?;
        let timestamp = srp::format_timestamp(self.pool.clock().now());
        let signature =
            key.device_claim_signature(&device.group_key, &device.key, secret_block, &timestamp);
        let answers = HashMap::from([
            ("DEVICE_KEY".to_owned(), device.key.clone()),
            ("PASSWORD_CLAIM_SIGNATURE".to_owned(), signature),
            (
                "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                secret_block.to_owned(),
            ),
            ("TIMESTAMP".to_owned(), timestamp),
        ]);
        let reply = self
            .pool
            .respond(
                "DEVICE_PASSWORD_VERIFIER",
                challenge.session,
                answers,
                &self.username,
            )
            .await;
        match reply {
            Err(UserPoolError::IncorrectCredentials) => Err(UserPoolError::DeviceRejected {
                device_key: device.key,
            }),
            Ok(reply) => {
                self.device_proven = true;
                Ok(reply)
            }
            other => other,
        }
    }

    /// The device the login ends with: the new one confirmed now (from `NewDeviceMetadata`),
    /// else the known one it proved.
    pub(super) async fn device_after_login(
        &mut self,
        new_device: Option<(String, String)>,
        access_token: &SecretString,
    ) -> Result<Option<Device>, UserPoolError> {
        match new_device {
            Some((key, group_key)) => self
                .confirm_device(key, group_key, access_token)
                .await
                .map(Some),
            None if self.device_proven => Ok(self.request.device.clone()),
            None => Ok(None),
        }
    }

    /// ConfirmDevice, then (when the pool asks the user) the question and UpdateDeviceStatus.
    async fn confirm_device(
        &mut self,
        key: String,
        group_key: String,
        access_token: &SecretString,
    ) -> Result<Device, UserPoolError> {
        let name = self
            .request
            .device_name
            .clone()
            .unwrap_or_else(|| DEFAULT_DEVICE_NAME.to_owned());
        let verifier = DeviceVerifier::generate(&group_key, &key);
        let config = DeviceSecretVerifierConfigType::builder()
            .password_verifier(verifier.password_verifier())
            .salt(verifier.salt())
            .build();
        let started = Instant::now();
        let out = self
            .pool
            .client()
            .confirm_device()
            .access_token(access_token.expose_secret())
            .device_key(&key)
            .device_secret_verifier_config(config)
            .device_name(&name)
            .send()
            .await;
        self.pool.log_call("ConfirmDevice", started, out.is_ok());
        let out = out.map_err(|e| {
            self.pool.fail(
                Step::Challenge,
                "ConfirmDevice",
                &self.username,
                aws::classify(&e),
            )
        })?;
        let remembered = if out.user_confirmation_necessary {
            let yes = match self.request.remember_device {
                Some(answer) => answer,
                None => self.ask_to_remember(&name)?,
            };
            if yes {
                self.update_device_status(&key, access_token).await?;
            }
            yes
        } else {
            true
        };
        Ok(Device {
            key,
            group_key,
            password: verifier.into_device_password(),
            remembered,
            name,
        })
    }

    /// Whether to remember this device; no terminal means no (the login goes on).
    fn ask_to_remember(&self, name: &str) -> Result<bool, UserPoolError> {
        let choices = [
            "no".to_owned(),
            "yes: later logins from this machine may skip MFA".to_owned(),
        ];
        let question = format!("Remember this device (`{name}`) with the user pool?");
        match self.prompter.choose(&question, &choices) {
            Ok(index) => Ok(index == 1),
            Err(PromptError::NoTerminal { .. }) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    async fn update_device_status(
        &self,
        key: &str,
        access_token: &SecretString,
    ) -> Result<(), UserPoolError> {
        let started = Instant::now();
        let out = self
            .pool
            .client()
            .update_device_status()
            .access_token(access_token.expose_secret())
            .device_key(key)
            .device_remembered_status(DeviceRememberedStatusType::Remembered)
            .send()
            .await;
        self.pool
            .log_call("UpdateDeviceStatus", started, out.is_ok());
        out.map(|_| ()).map_err(|e| {
            self.pool.fail(
                Step::Challenge,
                "UpdateDeviceStatus",
                &self.username,
                aws::classify(&e),
            )
        })
    }
}
