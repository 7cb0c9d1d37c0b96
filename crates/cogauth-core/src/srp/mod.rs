//! The client side of Cognito's SRP-6a, as pure functions: the password (USER_SRP_AUTH) and
//! remembered devices ([`device`]: ConfirmDevice's verifier, DEVICE_SRP_AUTH).
//!
//! The flow: [`SrpClient::generate`] picks the secret `a` and gives `SRP_A` for InitiateAuth;
//! Cognito answers PASSWORD_VERIFIER with `SRP_B`, `SALT`, `SECRET_BLOCK` and `USER_ID_FOR_SRP`;
//! [`SrpClient::password_key`] turns those and the password into a 16-byte key, and
//! [`PasswordKey::claim_signature`] signs the claim that goes back as
//! `PASSWORD_CLAIM_SIGNATURE`. The password never leaves the machine.
//!
//! Nothing here reads the clock or a random source except the `generate` functions, so every
//! step can be checked against known-answer vectors ([`SrpClient::with_small_a`] injects `a`;
//! `tests/data/srp/` holds vectors from amazon-cognito-identity-js, checked with pycognito).
//!
//! The arithmetic (`group`, on `arith`) is fixed-width Montgomery arithmetic in constant
//! time, because one exponent is derived from the password: the steps taken depend on public
//! lengths (of `a`'s bytes, of the password), never on the secrets' values. The one exception is
//! the protocol's own: `S` is hashed in its minimal big-endian form, as the AWS clients and the
//! server hash it, so a premaster secret with leading zero bytes hashes a little faster. Secrets
//! (`a`, every value derived from the password, the premaster secret and the key) live in
//! fixed-size arrays that are wiped when dropped; copies the compiler makes in registers and on
//! the stack are out of reach.

mod arith;
pub mod device;
mod group;

use std::fmt;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use group::{BYTES, L, Words};

pub use device::DeviceVerifier;

/// Bytes of randomness in `a`: 320 bits. The AWS client libraries draw 1024 bits; 320 is above
/// every recommendation for this 3072-bit group (twice its 128-bit strength for SP 800-56A
/// rev. 3, 256 bits for RFC 5054, 275 for RFC 7919's ffdhe3072, 260 for RFC 3526), and a
/// shorter `a` is most of what makes a login's SRP fast: `A = g^a` costs 19 squarings with the
/// comb, and `S`'s exponent `a + u·x` stays at 513 bits. The server cannot tell the difference.
const SMALL_A_BYTES: usize = group::COMB_EXPONENT_BITS / 8;
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
    #[error("the SRP secret `a` has {0} bytes: it must have 1 to 384 (3072 bits)")]
    SmallALength(usize),
    #[error("user pool id `{0}` has no `_`: expected `<region>_<name>`, e.g. `us-east-1_AbC123`")]
    InvalidPoolId(String),
}

/// The big-endian bytes of a non-negative number as the AWS clients hash them: minimal length,
/// with a leading zero byte when the high bit is set (the encoding of a positive signed
/// integer), and a single zero byte for zero.
fn padded(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let significant = &bytes[start..];
    let mut out = Vec::with_capacity(significant.len() + 1);
    if significant.first().is_none_or(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(significant);
    out
}

/// [`padded`] for secrets: the result is wiped when dropped.
fn padded_secret(bytes: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(padded(bytes))
}

/// Lower-case hex without leading zeros (`0` for zero), as the AWS clients send `SRP_A`.
fn minimal_hex(bytes: &[u8]) -> String {
    let hex = hex::encode(bytes);
    match hex.trim_start_matches('0') {
        "" => "0".to_owned(),
        digits => digits.to_owned(),
    }
}

/// A non-negative hexadecimal number from the server, as big-endian bytes. Any length; an odd
/// number of digits is read with a leading zero, as the AWS clients do.
fn parse_hex(value: &str, name: &'static str) -> Result<Vec<u8>, SrpError> {
    let digits = value.trim();
    if digits.is_empty() {
        return Err(SrpError::NotHex { name });
    }
    let even = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits.to_owned()
    };
    hex::decode(even).map_err(|_| SrpError::NotHex { name })
}

/// SHA-256 of the parts, in order.
fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// The 256-bit big-endian `digest` as little-endian words.
fn digest_words(digest: &[u8; 32]) -> [u64; 4] {
    let mut w = [0u64; 4];
    for (i, chunk) in digest.rchunks(8).enumerate() {
        w[i] = u64::from_be_bytes(chunk.try_into().expect("8 bytes"));
    }
    w
}

/// `k = H(pad(N) || pad(g))`, in Montgomery form.
fn multiplier() -> &'static Words {
    static K: OnceLock<Words> = OnceLock::new();
    K.get_or_init(|| {
        let k = sha256(&[&padded(group::be_bytes(&group::N).as_ref()), &[2]]);
        let mut bytes = [0u8; BYTES];
        bytes[BYTES - 32..].copy_from_slice(&k);
        group::to_montgomery(&group::words_from_be(&bytes))
    })
}

/// `x = H(pad(salt) || H(prefix || user || ":" || password))`: the private key the verifier
/// `g^x` is made of. `prefix` is the pool name (user passwords) or the device group key.
fn private_key(salt: &[u8], prefix: &str, user: &str, password: &str) -> Zeroizing<[u64; 4]> {
    let mut identity = Zeroizing::new(sha256(&[
        prefix.as_bytes(),
        user.as_bytes(),
        b":",
        password.as_bytes(),
    ]));
    let mut x = Zeroizing::new(sha256(&[&padded(salt), identity.as_ref()]));
    let words = Zeroizing::new(digest_words(&x));
    identity.zeroize();
    x.zeroize();
    words
}

/// g^x mod N for a private key x, as big-endian bytes (the device verifier).
fn verifier_bytes(x: &[u64; 4]) -> Zeroizing<[u8; BYTES]> {
    let mut v = group::pow_g(x);
    let mut plain = group::from_montgomery(&v);
    let bytes = group::be_bytes(&plain);
    v.zeroize();
    plain.zeroize();
    bytes
}

/// One login's SRP state: the secret `a` and the public `A = g^a mod N`.
pub struct SrpClient {
    /// `a`, little-endian words, reduced modulo N.
    small_a: Zeroizing<Words>,
    /// A public bound on the bit length of `a`: eight times the bytes it was made from.
    small_a_bits: usize,
    /// `A` (not in Montgomery form).
    large_a: Words,
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
    /// A fresh client with a 320-bit `a` from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; SMALL_A_BYTES]);
        loop {
            rand::rngs::OsRng.fill_bytes(bytes.as_mut());
            if let Ok(client) = Self::with_small_a(bytes.as_ref()) {
                return client;
            }
        }
    }

    /// A client with a given `a` (big-endian bytes, 1 to 384 of them), for known-answer tests.
    /// `a` is taken modulo N. Up to 40 bytes, `A` is computed with the precomputed comb; longer
    /// values (the AWS clients' 128 bytes) take the general exponentiation.
    pub fn with_small_a(small_a: &[u8]) -> Result<Self, SrpError> {
        if small_a.is_empty() || small_a.len() > BYTES {
            return Err(SrpError::SmallALength(small_a.len()));
        }
        let mut raw = Zeroizing::new(group::words_from_be(small_a));
        let small_a_words = Zeroizing::new(group::reduced(*raw));
        raw.zeroize();
        if group::is_zero(&small_a_words) {
            return Err(SrpError::ZeroSmallA);
        }
        let small_a_bits = 8 * small_a.len();
        let mut large_a_mont = if small_a_bits <= group::COMB_EXPONENT_BITS {
            group::pow_g(&small_a_words[..group::COMB_EXPONENT_BITS / 64])
        } else {
            let two = group::to_montgomery(&group::words_from_be(&[2]));
            group::pow(&two, small_a_words.as_ref(), small_a_bits)
        };
        let large_a = group::from_montgomery(&large_a_mont);
        large_a_mont.zeroize();
        Ok(Self {
            small_a: small_a_words,
            small_a_bits,
            large_a,
        })
    }

    /// `SRP_A` for InitiateAuth (and DEVICE_SRP_AUTH): lower-case hex without padding, as the
    /// AWS clients send it.
    pub fn srp_a_hex(&self) -> String {
        minimal_hex(group::be_bytes(&self.large_a).as_ref())
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
        self.key(
            pool_name,
            user_id_for_srp,
            password.expose_secret(),
            srp_b_hex,
            salt_hex,
        )
    }

    /// The key for DEVICE_PASSWORD_VERIFIER: the same exchange as [`Self::password_key`] with
    /// the device group key in place of the pool name, the device key in place of the user id,
    /// and the device password ([`DeviceVerifier::device_password`]) in place of the password;
    /// `srp_b_hex` and `salt_hex` are that challenge's `SRP_B` and `SALT`.
    pub fn device_password_key(
        &self,
        device_group_key: &str,
        device_key: &str,
        device_password: &SecretString,
        srp_b_hex: &str,
        salt_hex: &str,
    ) -> Result<PasswordKey, SrpError> {
        self.key(
            device_group_key,
            device_key,
            device_password.expose_secret(),
            srp_b_hex,
            salt_hex,
        )
    }

    /// `K = HKDF(salt = pad(u), pad(S))` with `S = (B - k·g^x)^(a + u·x) mod N`.
    fn key(
        &self,
        prefix: &str,
        user: &str,
        password: &str,
        srp_b_hex: &str,
        salt_hex: &str,
    ) -> Result<PasswordKey, SrpError> {
        let large_b = parse_hex(srp_b_hex, "SRP_B")?;
        let large_b_mod_n = group::reduce_be(&large_b);
        if group::is_zero(&large_b_mod_n) {
            return Err(SrpError::UnsafeServerB);
        }
        let salt = parse_hex(salt_hex, "SALT")?;

        // u = H(pad(A) || pad(B)), B as the server sent it.
        let u_digest = sha256(&[
            &padded(group::be_bytes(&self.large_a).as_ref()),
            &padded(&large_b),
        ]);
        if u_digest == [0; 32] {
            return Err(SrpError::ZeroScrambler);
        }
        let u = digest_words(&u_digest);

        let x = private_key(&salt, prefix, user, password);

        // The base B - k·g^x, in Montgomery form.
        let mut g_x = Zeroizing::new(group::pow_g(x.as_ref()));
        let mut k_g_x = Zeroizing::new(group::mul(multiplier(), &g_x));
        g_x.zeroize();
        let base = Zeroizing::new(group::sub(&group::to_montgomery(&large_b_mod_n), &k_g_x));
        k_g_x.zeroize();

        // The exponent a + u·x, one word wider than N, and a public bound on its length.
        let mut exponent = Zeroizing::new([0u64; L + 1]);
        exponent[..L].copy_from_slice(self.small_a.as_ref());
        add_product(&mut exponent, &u, &x);
        let exponent_bits = self.small_a_bits.max(512) + 1;

        let mut premaster_mont =
            Zeroizing::new(group::pow(&base, exponent.as_ref(), exponent_bits));
        let premaster = Zeroizing::new(group::from_montgomery(&premaster_mont));
        premaster_mont.zeroize();
        let ikm = padded_secret(group::be_bytes(&premaster).as_ref());

        let hkdf = Hkdf::<Sha256>::new(Some(&padded(&u_digest)), &ikm);
        let mut key = Zeroizing::new([0u8; KEY_BYTES]);
        hkdf.expand(HKDF_INFO, key.as_mut())
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        Ok(PasswordKey(key))
    }
}

/// `acc += u·x`, in constant time (`acc` has room: a < N and u·x < 2^512).
fn add_product(acc: &mut [u64; L + 1], u: &[u64; 4], x: &[u64; 4]) {
    let mut product = Zeroizing::new([0u64; 8]);
    for (i, ui) in u.iter().enumerate() {
        let mut carry = 0u128;
        for (j, xj) in x.iter().enumerate() {
            let t = u128::from(*ui) * u128::from(*xj) + u128::from(product[i + j]) + carry;
            product[i + j] = t as u64;
            carry = t >> 64;
        }
        product[i + 4] = carry as u64;
    }
    let mut carry = 0u64;
    for (i, word) in acc.iter_mut().enumerate() {
        let addend = product.get(i).copied().unwrap_or(0);
        let (s1, c1) = word.overflowing_add(addend);
        let (s2, c2) = s1.overflowing_add(carry);
        *word = s2;
        carry = u64::from(c1 | c2);
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

    /// `PASSWORD_CLAIM_SIGNATURE` for DEVICE_PASSWORD_VERIFIER: the device group key in place of
    /// the pool name and the device key in place of the user id, as amazon-cognito-identity-js
    /// signs it.
    pub fn device_claim_signature(
        &self,
        device_group_key: &str,
        device_key: &str,
        secret_block: &str,
        timestamp: &str,
    ) -> String {
        self.claim_signature(device_group_key, device_key, secret_block, timestamp)
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
    use num_bigint::BigUint;

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

    fn modulus() -> BigUint {
        BigUint::from_bytes_be(group::be_bytes(&group::N).as_ref())
    }

    #[test]
    fn server_b_that_is_a_multiple_of_n_is_refused() {
        let client = SrpClient::with_small_a(&[7; 40]).unwrap();
        let n = modulus();
        for b in [BigUint::ZERO, n.clone(), &n * 3u32, &n << 3100] {
            let err = client
                .password_key("Pool", "alice", &password(), &b.to_str_radix(16), "ab12")
                .unwrap_err();
            assert!(matches!(err, SrpError::UnsafeServerB), "{err}");
        }
        // one more than a multiple of N is fine
        let fine = (&n * 3u32 + 1u32).to_str_radix(16);
        assert!(
            client
                .password_key("Pool", "alice", &password(), &fine, "ab12")
                .is_ok()
        );
    }

    #[test]
    fn malformed_server_values_are_refused() {
        let client = SrpClient::with_small_a(&[7; 40]).unwrap();
        for bad in ["not hex", "", "  ", "12 34", "0x12"] {
            let err = client
                .password_key("Pool", "alice", &password(), bad, "ab12")
                .unwrap_err();
            assert!(matches!(err, SrpError::NotHex { name: "SRP_B" }), "{bad:?}");
        }
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
        assert!(matches!(
            SrpClient::with_small_a(&[]),
            Err(SrpError::SmallALength(0))
        ));
        assert!(matches!(
            SrpClient::with_small_a(&[1; 385]),
            Err(SrpError::SmallALength(385))
        ));
    }

    #[test]
    fn a_is_taken_modulo_n_and_a_matches_num_bigint() {
        let n = modulus();
        for a in [
            vec![1u8],
            vec![0xff; 40],
            vec![0x5a; 41],
            vec![0xff; 384],
            (&n + 5u32).to_bytes_be(),
        ] {
            let client = SrpClient::with_small_a(&a).unwrap();
            let want = BigUint::from(2u32).modpow(&(BigUint::from_bytes_be(&a) % &n), &n);
            assert_eq!(
                client.srp_a_hex(),
                want.to_str_radix(16),
                "{} bytes",
                a.len()
            );
        }
    }

    #[test]
    fn generated_clients_differ_and_a_is_in_range() {
        let one = SrpClient::generate();
        let two = SrpClient::generate();
        assert_ne!(one.srp_a_hex(), two.srp_a_hex());
        assert_eq!(one.small_a_bits, 320);
        let a = BigUint::parse_bytes(one.srp_a_hex().as_bytes(), 16).unwrap();
        assert!(a < modulus() && a > BigUint::from(1u8));
    }

    #[test]
    fn padding_adds_a_zero_byte_only_when_the_high_bit_is_set() {
        assert_eq!(padded(&[0x7f]), vec![0x7f]);
        assert_eq!(padded(&[0x80]), vec![0, 0x80]);
        assert_eq!(padded(&[0, 0, 1, 2]), vec![1, 2]);
        assert_eq!(padded(&[0, 0x80]), vec![0, 0x80]);
        assert_eq!(padded(&[0, 0]), vec![0]);
        assert_eq!(padded(&[]), vec![0]);
        assert_eq!(minimal_hex(&[0, 0x0a, 0xbc]), "abc");
        assert_eq!(minimal_hex(&[0, 0]), "0");
        assert_eq!(parse_hex("abc", "X").unwrap(), vec![0x0a, 0xbc]);
        assert_eq!(parse_hex(" 00FF\n", "X").unwrap(), vec![0, 0xff]);
    }

    #[test]
    fn the_exponent_is_a_plus_u_times_x() {
        let n = modulus();
        let mut acc = [0u64; L + 1];
        acc[..L].copy_from_slice(&group::words_from_be(&(&n - 1u32).to_bytes_be()));
        let u = [u64::MAX; 4];
        let x = [u64::MAX; 4];
        add_product(&mut acc, &u, &x);
        let got =
            BigUint::from_bytes_le(&acc.iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<_>>());
        let max256 = (BigUint::from(1u8) << 256) - 1u8;
        assert_eq!(got, &n - 1u32 + &max256 * &max256);
    }

    #[test]
    fn debug_hides_the_secrets() {
        let client = SrpClient::with_small_a(&[0x5a; 40]).unwrap();
        let shown = format!("{client:?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.contains("5a5a5a"), "{shown}");
        let key = client
            .password_key("Pool", "alice", &password(), "abcdef", "ab12")
            .unwrap();
        assert_eq!(format!("{key:?}"), "PasswordKey(** redacted **)");
    }
}
