//! `SECRET_HASH`: the proof of the app client's secret that Cognito wants with every request
//! of a client that has one.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// `base64(HMAC-SHA256(key = client_secret, username || client_id))`.
///
/// `username` must be the name Cognito knows the user by at that point: the typed one for
/// InitiateAuth, the one a challenge names afterwards, `cognito:username` for a refresh.
pub fn secret_hash(client_secret: &SecretString, username: &str, client_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(client_secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_an_independent_computation() {
        // Python: base64.b64encode(hmac.new(b"client-secret-123", b"alice" + b"client-id-abc",
        //         hashlib.sha256).digest())
        let secret = SecretString::from("client-secret-123".to_owned());
        assert_eq!(
            secret_hash(&secret, "alice", "client-id-abc"),
            "tNvi6doVa+VYB2gR7P6CukM269nf8bcgbutBH3BbvYE="
        );
    }
}
