//! Remembered devices: the SRP verifier a device registers with `ConfirmDevice`.
//!
//! When a login returns `NewDeviceMetadata` (a `DeviceKey` and a `DeviceGroupKey`), the client
//! makes up a random device password, derives an SRP verifier from it, and sends the verifier
//! and its salt as `DeviceSecretVerifierConfig`. Later logins prove the device password with
//! DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER: [`SrpClient`](super::SrpClient) for `SRP_A`,
//! [`SrpClient::device_password_key`](super::SrpClient::device_password_key) and
//! [`PasswordKey::device_claim_signature`](super::PasswordKey::device_claim_signature).
//!
//! Every encoding follows amazon-cognito-identity-js (`AuthenticationHelper.generateHashDevice`
//! and `CognitoUser`), checked against its output in `tests/data/srp/device-srp.json`:
//! - the device password is the standard base64 (with padding) of 40 random bytes;
//! - the salt is 16 random bytes as a positive integer in the AWS clients' padded encoding
//!   (leading zero bytes dropped, a zero byte added when the high bit is set);
//! - `x = H(pad(salt) || H(DeviceGroupKey || DeviceKey || ":" || device password))`, the
//!   verifier is `g^x mod N` padded the same way;
//! - `Salt` and `PasswordVerifier` are the standard base64 of those bytes.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use super::{padded, private_key, verifier_bytes};

/// Random bytes in a device password.
pub const DEVICE_PASSWORD_RANDOM_BYTES: usize = 40;
/// Random bytes in a device verifier's salt.
pub const DEVICE_SALT_RANDOM_BYTES: usize = 16;

/// A new device's secret and the `DeviceSecretVerifierConfig` that registers it.
pub struct DeviceVerifier {
    device_password: SecretString,
    salt: String,
    password_verifier: String,
}

impl fmt::Debug for DeviceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceVerifier")
            .field("device_password", &"** redacted **")
            .field("salt", &self.salt)
            .field("password_verifier", &self.password_verifier)
            .finish()
    }
}

impl DeviceVerifier {
    /// A new random device password and its verifier, for the device `device_key` of the group
    /// `device_group_key` (the two keys of `NewDeviceMetadata`).
    pub fn generate(device_group_key: &str, device_key: &str) -> Self {
        let mut password = Zeroizing::new([0u8; DEVICE_PASSWORD_RANDOM_BYTES]);
        let mut salt = [0u8; DEVICE_SALT_RANDOM_BYTES];
        rand::rngs::OsRng.fill_bytes(password.as_mut());
        rand::rngs::OsRng.fill_bytes(&mut salt);
        Self::from_random(device_group_key, device_key, &password, &salt)
    }

    /// The verifier made from given random bytes, for known-answer tests.
    pub fn from_random(
        device_group_key: &str,
        device_key: &str,
        password_random: &[u8; DEVICE_PASSWORD_RANDOM_BYTES],
        salt_random: &[u8; DEVICE_SALT_RANDOM_BYTES],
    ) -> Self {
        let device_password = SecretString::from(STANDARD.encode(password_random));
        let salt = padded(salt_random);
        let x = private_key(
            &salt,
            device_group_key,
            device_key,
            device_password.expose_secret(),
        );
        let verifier = verifier_bytes(&x);
        Self {
            device_password,
            salt: STANDARD.encode(&salt),
            password_verifier: STANDARD.encode(padded(verifier.as_ref())),
        }
    }

    /// The device password: the secret the device keeps, to answer DEVICE_PASSWORD_VERIFIER.
    pub fn device_password(&self) -> &SecretString {
        &self.device_password
    }

    /// `DeviceSecretVerifierConfig.Salt` (base64).
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// `DeviceSecretVerifierConfig.PasswordVerifier` (base64).
    pub fn password_verifier(&self) -> &str {
        &self.password_verifier
    }

    /// The device password, for the session store, once the verifier has been sent.
    pub fn into_device_password(self) -> SecretString {
        self.device_password
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::srp::SrpClient;

    #[test]
    fn generated_verifiers_differ_and_have_the_js_shapes() {
        let one = DeviceVerifier::generate("-AbCdEfGh", "us-east-1_device");
        let two = DeviceVerifier::generate("-AbCdEfGh", "us-east-1_device");
        assert_ne!(
            one.device_password().expose_secret(),
            two.device_password().expose_secret()
        );
        assert_ne!(one.salt(), two.salt());
        // base64 of 40 bytes: 56 characters ending in `=`
        assert_eq!(one.device_password().expose_secret().len(), 56);
        assert!(one.device_password().expose_secret().ends_with('='));
        let salt = STANDARD.decode(one.salt()).unwrap();
        assert!((1..=17).contains(&salt.len()));
        let verifier = STANDARD.decode(one.password_verifier()).unwrap();
        assert!((300..=385).contains(&verifier.len()));
    }

    #[test]
    fn the_device_password_is_the_one_the_verifier_proves() {
        // The verifier registers x; a login with the same password derives the same x, one with
        // another password does not: checked through a server-side computation of the key.
        use num_bigint::BigUint;
        let group_key = "-AbCdEfGh";
        let device_key = "us-east-1_device";
        let verifier = DeviceVerifier::from_random(group_key, device_key, &[9; 40], &[0x81; 16]);
        let n = BigUint::from_bytes_be(crate::srp::group::be_bytes(&crate::srp::group::N).as_ref());
        let g = BigUint::from(2u8);
        let v = BigUint::from_bytes_be(&STANDARD.decode(verifier.password_verifier()).unwrap());
        let salt_hex = hex::encode(STANDARD.decode(verifier.salt()).unwrap());
        let k = BigUint::from_bytes_be(&super::super::sha256(&[&padded(&n.to_bytes_be()), &[2]]));
        let b = BigUint::from(0x1234_5678_9abc_def0_u64);
        let large_b = (&k * &v + g.modpow(&b, &n)) % &n;

        let client = SrpClient::with_small_a(&[3; 40]).unwrap();
        let large_a = BigUint::parse_bytes(client.srp_a_hex().as_bytes(), 16).unwrap();
        let u = BigUint::from_bytes_be(&super::super::sha256(&[
            &padded(&large_a.to_bytes_be()),
            &padded(&large_b.to_bytes_be()),
        ]));
        let s = (&large_a * v.modpow(&u, &n) % &n).modpow(&b, &n);
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(
            Some(&padded(&u.to_bytes_be())),
            &padded(&s.to_bytes_be()),
        );
        let mut server_key = [0u8; 16];
        hkdf.expand(b"Caldera Derived Key", &mut server_key)
            .unwrap();
        let server_signature = {
            use hmac::Mac;
            let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(&server_key).unwrap();
            mac.update(
                format!("{group_key}{device_key}secretblockTue Jan 2 03:04:05 UTC 2024").as_bytes(),
            );
            STANDARD.encode(mac.finalize().into_bytes())
        };

        let sign = |password: &SecretString| {
            client
                .device_password_key(
                    group_key,
                    device_key,
                    password,
                    &large_b.to_str_radix(16),
                    &salt_hex,
                )
                .unwrap()
                .device_claim_signature(
                    group_key,
                    device_key,
                    "c2VjcmV0YmxvY2s=",
                    "Tue Jan 2 03:04:05 UTC 2024",
                )
        };
        assert_eq!(sign(verifier.device_password()), server_signature);
        let wrong = SecretString::from(format!("{}x", verifier.device_password().expose_secret()));
        assert_ne!(sign(&wrong), server_signature);
    }

    #[test]
    fn debug_hides_the_device_password() {
        let verifier = DeviceVerifier::from_random("-g", "d", &[0x41; 40], &[1; 16]);
        let password = verifier.device_password().expose_secret().to_owned();
        let shown = format!("{verifier:?}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains(&password), "{shown}");
        assert!(shown.contains(verifier.salt()));
    }
}
