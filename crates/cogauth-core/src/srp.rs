//! The client side of Cognito's SRP-6a (USER_SRP_AUTH), as pure functions.
//!
//! The flow: [`SrpClient::generate`] picks the secret `a` and gives `SRP_A` for InitiateAuth;
//! Cognito answers PASSWORD_VERIFIER with `SRP_B`, `SALT`, `SECRET_BLOCK` and `USER_ID_FOR_SRP`;
//! [`SrpClient::password_key`] turns those and the password into a 16-byte key, and
//! [`PasswordKey::claim_signature`] signs the claim that goes back as
//! `PASSWORD_CLAIM_SIGNATURE`. The password never leaves the machine.
//!
//! Nothing here reads the clock or a random source except [`SrpClient::generate`], so every
//! step can be checked against known-answer vectors ([`SrpClient::with_small_a`] injects `a`).
//!
//! Secrets (`a`, every value derived from the password, the premaster secret and the key) are
//! wiped when dropped. `num-bigint` cannot zeroize its own temporaries, so this is best effort:
//! the named intermediates are overwritten, the library's internal scratch space is not.

use std::fmt;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use num_traits::{One, Zero};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// The 3072-bit MODP group of RFC 3526 (group 15), the modulus Cognito uses.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9",
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64",
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B",
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31",
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const GENERATOR: u32 = 2;
/// Bytes of randomness in `a`, as the AWS client libraries use.
const SMALL_A_BYTES: usize = 128;
/// The HKDF `info` Cognito fixes for the password authentication key.
const HKDF_INFO: &[u8] = b"Caldera Derived Key";
const KEY_BYTES: usize = 16;

/// Why an SRP step was refused.
#[derive(Debug, thiserror::Error)]
pub enum SrpError {
    #[error("the server's {name} is not a hexadecimal number")]
    NotHex { name: &'static str },
    #[error(
        "the server's SRP_B is a multiple of the group modulus: refusing to continue, as it would \
         let anyone pass as the server"
    )]
    UnsafeServerB,
    #[error(
        "the SRP scrambling parameter u is zero: refusing to continue, as it would reveal the \
         password verifier"
    )]
    ZeroScrambler,
    #[error("the SRP secret `a` is zero modulo the group modulus")]
    ZeroSmallA,
    #[error("user pool id `{0}` has no `_`: expected `<region>_<name>`, e.g. `us-east-1_AbC123`")]
    InvalidPoolId(String),
}

fn modulus() -> &'static BigUint {
    static N: OnceLock<BigUint> = OnceLock::new();
    N.get_or_init(|| BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("the group modulus is hex"))
}

/// `k = H(pad(N) || pad(g))`.
fn multiplier() -> &'static BigUint {
    static K: OnceLock<BigUint> = OnceLock::new();
    K.get_or_init(|| {
        let mut h = Sha256::new();
        h.update(padded_bytes(modulus()));
        h.update(padded_bytes(&BigUint::from(GENERATOR)));
        BigUint::from_bytes_be(&h.finalize())
    })
}

/// The big-endian bytes of `n` as the AWS clients hash them: minimal length, with a leading
/// zero byte when the high bit is set (the encoding of a positive signed integer).
fn padded_bytes(n: &BigUint) -> Vec<u8> {
    let mut bytes = n.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    bytes
}

/// A big integer that is overwritten before its memory is freed.
struct SecretUint(BigUint);

impl SecretUint {
    fn new(n: BigUint) -> Self {
        Self(n)
    }
}

impl Drop for SecretUint {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites every digit of `n` in place: OR-ing with an all-ones value at least as wide
/// writes through the existing digit buffer instead of allocating a new one.
fn wipe(n: &mut BigUint) {
    let bits = n.bits();
    if bits == 0 {
        return;
    }
    let ones = (BigUint::one() << (bits.div_ceil(64) * 64)) - 1u32;
    *n |= &ones;
    std::hint::black_box(&*n);
}

/// Bytes that are zeroized when dropped (the padded premaster secret).
fn secret_padded_bytes(n: &BigUint) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(padded_bytes(n))
}

fn parse_hex(value: &str, name: &'static str) -> Result<BigUint, SrpError> {
    BigUint::parse_bytes(value.trim().as_bytes(), 16).ok_or(SrpError::NotHex { name })
}

/// One login's SRP state: the secret `a` and the public `A = g^a mod N`.
pub struct SrpClient {
    small_a: SecretUint,
    large_a: BigUint,
}

impl fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrpClient")
            .field("small_a", &"** redacted **")
            .field("srp_a", &self.srp_a_hex())
            .finish()
    }
}

impl SrpClient {
    /// A fresh client with `a` from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; SMALL_A_BYTES]);
        loop {
            rand::rngs::OsRng.fill_bytes(bytes.as_mut());
            if let Ok(client) = Self::with_small_a(bytes.as_ref()) {
                return client;
            }
        }
    }

    /// A client with a given `a` (big-endian bytes), for known-answer tests.
    pub fn with_small_a(small_a: &[u8]) -> Result<Self, SrpError> {
        let n = modulus();
        let mut raw = BigUint::from_bytes_be(small_a);
        let small_a = SecretUint::new(&raw % n);
        wipe(&mut raw);
        if small_a.0.is_zero() {
            return Err(SrpError::ZeroSmallA);
        }
        let large_a = BigUint::from(GENERATOR).modpow(&small_a.0, n);
        Ok(Self { small_a, large_a })
    }

    /// `SRP_A` for InitiateAuth: lower-case hex without padding, as the AWS clients send it.
    pub fn srp_a_hex(&self) -> String {
        self.large_a.to_str_radix(16)
    }

    /// The password authentication key for one PASSWORD_VERIFIER challenge.
    ///
    /// `pool_name` is the part of the pool id after `_` ([`pool_name`]); `user_id_for_srp`,
    /// `srp_b_hex` and `salt_hex` are the challenge's `USER_ID_FOR_SRP`, `SRP_B` and `SALT`.
    /// Refuses `B ≡ 0 (mod N)` and `u = 0`, the two values that would break SRP's guarantees.
    pub fn password_key(
        &self,
        pool_name: &str,
        user_id_for_srp: &str,
        password: &SecretString,
        srp_b_hex: &str,
        salt_hex: &str,
    ) -> Result<PasswordKey, SrpError> {
        let n = modulus();
        let large_b = parse_hex(srp_b_hex, "SRP_B")?;
        if (&large_b % n).is_zero() {
            return Err(SrpError::UnsafeServerB);
        }
        let salt = parse_hex(salt_hex, "SALT")?;

        let u = {
            let mut h = Sha256::new();
            h.update(padded_bytes(&self.large_a));
            h.update(padded_bytes(&large_b));
            BigUint::from_bytes_be(&h.finalize())
        };
        if u.is_zero() {
            return Err(SrpError::ZeroScrambler);
        }

        // x = H(pad(salt) || H(pool_name || user_id || ":" || password))
        let x = {
            let mut identity = Sha256::new();
            identity.update(pool_name.as_bytes());
            identity.update(user_id_for_srp.as_bytes());
            identity.update(b":");
            identity.update(password.expose_secret().as_bytes());
            let mut identity_hash = identity.finalize();
            let mut h = Sha256::new();
            h.update(padded_bytes(&salt));
            h.update(identity_hash.as_slice());
            identity_hash.as_mut_slice().zeroize();
            let mut x_hash = h.finalize();
            let x = SecretUint::new(BigUint::from_bytes_be(&x_hash));
            x_hash.as_mut_slice().zeroize();
            x
        };

        // S = (B - k * g^x) ^ (a + u * x) mod N, with the base taken modulo N first so it
        // stays non-negative.
        let g_x = SecretUint::new(BigUint::from(GENERATOR).modpow(&x.0, n));
        let k_g_x = SecretUint::new((multiplier() * &g_x.0) % n);
        let base = SecretUint::new(((&large_b % n) + n - &k_g_x.0) % n);
        let u_x = SecretUint::new(&u * &x.0);
        let exponent = SecretUint::new(&self.small_a.0 + &u_x.0);
        let premaster = SecretUint::new(base.0.modpow(&exponent.0, n));

        let ikm = secret_padded_bytes(&premaster.0);
        let hkdf = Hkdf::<Sha256>::new(Some(&padded_bytes(&u)), &ikm);
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        hkdf.expand(HKDF_INFO, key.as_mut())
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        Ok(PasswordKey(key))
    }
}

/// The 16-byte key derived from the password and the exchange; zeroized when dropped.
pub struct PasswordKey(Zeroizing<[u8; KEY_BYTES]>);

impl fmt::Debug for PasswordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordKey(** redacted **)")
    }
}

impl PasswordKey {
    /// `PASSWORD_CLAIM_SIGNATURE`: base64 of HMAC-SHA256 over
    /// `pool_name || user_id_for_srp || secret_block || timestamp`, where `secret_block` is
    /// the challenge's `SECRET_BLOCK` decoded with [`decode_secret_block`] and `timestamp` is
    /// [`format_timestamp`]'s output (the same string goes back as `TIMESTAMP`).
    pub fn claim_signature(
        &self,
        pool_name: &str,
        user_id_for_srp: &str,
        secret_block: &str,
        timestamp: &str,
    ) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes a key of any length");
        mac.update(pool_name.as_bytes());
        mac.update(user_id_for_srp.as_bytes());
        mac.update(&decode_secret_block(secret_block));
        mac.update(timestamp.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// The bytes of a `SECRET_BLOCK` for the signature. Cognito sends base64; an emulator may send
/// something else (moto sends a UUID), which is then signed as its raw bytes. The block itself
/// always goes back to the server unchanged.
pub fn decode_secret_block(secret_block: &str) -> Vec<u8> {
    STANDARD
        .decode(secret_block)
        .unwrap_or_else(|_| secret_block.as_bytes().to_vec())
}

/// The pool name SRP hashes: the part of the user pool id after `_`.
pub fn pool_name(user_pool_id: &str) -> Result<&str, SrpError> {
    match user_pool_id.split_once('_') {
        Some((_, name)) if !name.is_empty() => Ok(name),
        _ => Err(SrpError::InvalidPoolId(user_pool_id.to_owned())),
    }
}

/// `TIMESTAMP` as Cognito checks it: `Ddd Mmm D HH:MM:SS UTC YYYY`, in English, with the day of
/// the month not zero-padded (`Thu Nov 5 09:03:07 UTC 2026`).
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamp_day_of_month_is_not_padded() {
        let at = Utc.with_ymd_and_hms(2026, 11, 5, 9, 3, 7).unwrap();
        assert_eq!(format_timestamp(at), "Thu Nov 5 09:03:07 UTC 2026");
        let at = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 59).unwrap();
        assert_eq!(format_timestamp(at), "Thu Feb 29 23:59:59 UTC 2024");
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(format_timestamp(at), "Wed Jan 1 00:00:00 UTC 2025");
    }

    #[test]
    fn secret_block_decodes_base64_and_falls_back_to_raw_bytes() {
        assert_eq!(decode_secret_block("c2VjcmV0YmxvY2s="), b"secretblock");
        let moto = "0c6b1f6e-6e4b-4b0e-9f39-3f0f3f4d2a11";
        assert_eq!(decode_secret_block(moto), moto.as_bytes());
        assert_eq!(decode_secret_block(""), b"");
    }

    #[test]
    fn pool_name_is_the_part_after_the_underscore() {
        assert_eq!(pool_name("us-east-1_AbC123").unwrap(), "AbC123");
        assert!(matches!(
            pool_name("us-east-1"),
            Err(SrpError::InvalidPoolId(_))
        ));
        assert!(matches!(
            pool_name("us-east-1_"),
            Err(SrpError::InvalidPoolId(_))
        ));
    }

    fn password() -> SecretString {
        SecretString::from("Passw0rd!Good".to_owned())
    }

    #[test]
    fn server_b_that_is_a_multiple_of_n_is_refused() {
        let client = SrpClient::with_small_a(&[7; 128]).unwrap();
        for b in [BigUint::zero(), modulus().clone(), modulus() * 3u32] {
            let err = client
                .password_key("Pool", "alice", &password(), &b.to_str_radix(16), "ab12")
                .unwrap_err();
            assert!(matches!(err, SrpError::UnsafeServerB), "{err}");
        }
    }

    #[test]
    fn malformed_server_values_are_refused() {
        let client = SrpClient::with_small_a(&[7; 128]).unwrap();
        let err = client
            .password_key("Pool", "alice", &password(), "not hex", "ab12")
            .unwrap_err();
        assert!(matches!(err, SrpError::NotHex { name: "SRP_B" }));
        let err = client
            .password_key("Pool", "alice", &password(), "ab12", "")
            .unwrap_err();
        assert!(matches!(err, SrpError::NotHex { name: "SALT" }));
    }

    #[test]
    fn small_a_that_is_zero_modulo_n_is_refused() {
        assert!(matches!(
            SrpClient::with_small_a(&[0; 128]),
            Err(SrpError::ZeroSmallA)
        ));
        assert!(matches!(
            SrpClient::with_small_a(&modulus().to_bytes_be()),
            Err(SrpError::ZeroSmallA)
        ));
    }

    #[test]
    fn generated_clients_differ_and_a_is_in_range() {
        let one = SrpClient::generate();
        let two = SrpClient::generate();
        assert_ne!(one.srp_a_hex(), two.srp_a_hex());
        assert!(&one.large_a < modulus() && !one.large_a.is_zero());
    }

    #[test]
    fn padded_bytes_add_a_zero_byte_only_when_the_high_bit_is_set() {
        assert_eq!(padded_bytes(&BigUint::from(0x7fu32)), vec![0x7f]);
        assert_eq!(padded_bytes(&BigUint::from(0x80u32)), vec![0, 0x80]);
        assert_eq!(padded_bytes(&BigUint::from(0x0102u32)), vec![1, 2]);
        assert_eq!(padded_bytes(&BigUint::zero()), vec![0]);
    }

    #[test]
    fn wipe_overwrites_in_place() {
        let mut n = BigUint::parse_bytes(b"123456789abcdef0123456789", 16).unwrap();
        let digits = n.iter_u64_digits().len();
        wipe(&mut n);
        assert!(n.iter_u64_digits().all(|d| d == u64::MAX));
        assert_eq!(n.iter_u64_digits().len(), digits);
    }

    #[test]
    fn debug_hides_the_secrets() {
        let client = SrpClient::with_small_a(&[0x5a; 128]).unwrap();
        let shown = format!("{client:?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.contains("5a5a5a"), "{shown}");
        let key = client
            .password_key("Pool", "alice", &password(), "abcdef", "ab12")
            .unwrap();
        assert_eq!(format!("{key:?}"), "PasswordKey(** redacted **)");
    }
}
