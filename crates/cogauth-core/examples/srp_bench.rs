//! Times the client side of one SRP login (`A = g^a mod N`, the password key, the claim
//! signature) on known-answer vectors, for `cargo xtask bench`. Build it in release mode:
//!
//! ```sh
//! cargo run --release -p cogauth-core --example srp_bench -- 200
//! ```
//!
//! Prints one JSON line: `{"iterations": N, "median_us": ..., "min_us": ..., "max_us": ...,
//! "median_us_1024_bit_a": ..., "before_median_us": ..., "before_iterations": ...}`:
//! - `median_us`: a login as cogauth makes it (a 320-bit `a`, vector `pw-cogauth-a`);
//! - `median_us_1024_bit_a`: the same with the 1024-bit `a` the AWS client libraries draw
//!   (vector `case1`), which takes the general exponentiation;
//! - `before_median_us`: vector `case1` computed as cogauth did before its fixed-width
//!   arithmetic, with num-bigint (three `modpow`s), so that the ratio comes from one run on one
//!   machine. It runs every fourth iteration, interleaved with the others.
//!
//! Every computation's signature is checked against its vector, so a wrong (or optimised away)
//! computation cannot produce a timing.

use std::time::{Duration, Instant};

use cogauth_core::srp::{self, SrpClient};
use num_bigint::BigUint;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};

const COGAUTH_VECTORS: &str = include_str!("../tests/data/srp/password-srp-with-server.json");
const AWS_CLIENT_VECTORS: &str = include_str!("../tests/data/srp/amazon-cognito-identity-js.json");

/// One PASSWORD_VERIFIER vector.
struct Vector {
    small_a: Vec<u8>,
    pool_name: String,
    user: String,
    password: SecretString,
    srp_b_hex: String,
    salt_hex: String,
    secret_block: String,
    timestamp: String,
    expected: String,
}

impl Vector {
    fn load(file: &str, name: &str) -> Self {
        let file: Value = serde_json::from_str(file).expect("the vector file is JSON");
        let v = file["srp"]
            .as_array()
            .expect("the vector file has an `srp` list")
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no SRP vector named {name}"));
        let field = |key: &str| {
            v[key]
                .as_str()
                .unwrap_or_else(|| panic!("the SRP vector has no string `{key}`"))
                .to_owned()
        };
        Self {
            small_a: hex::decode(field("small_a_hex")).expect("small_a_hex is hex"),
            pool_name: srp::pool_name(&field("pool_id"))
                .expect("a valid pool id")
                .to_owned(),
            user: field("user_id_for_srp"),
            password: SecretString::from(field("password")),
            srp_b_hex: field("srp_b_hex"),
            salt_hex: field("salt_hex"),
            secret_block: field("secret_block_b64"),
            timestamp: field("timestamp"),
            expected: field("expected_password_claim_signature"),
        }
    }

    /// One login with `cogauth_core::srp`; returns its time.
    fn cogauth(&self) -> Duration {
        let started = Instant::now();
        let client = SrpClient::with_small_a(&self.small_a).expect("a valid a");
        let key = client
            .password_key(
                &self.pool_name,
                &self.user,
                &self.password,
                &self.srp_b_hex,
                &self.salt_hex,
            )
            .expect("a valid challenge");
        let signature = key.claim_signature(
            &self.pool_name,
            &self.user,
            &self.secret_block,
            &self.timestamp,
        );
        let elapsed = started.elapsed();
        assert_eq!(signature, self.expected, "the SRP computation is wrong");
        elapsed
    }

    /// One login computed as cogauth did before (num-bigint, variable time); returns its time.
    fn before(&self) -> Duration {
        let started = Instant::now();
        let key = before::password_key(self);
        let signature = srp_signature(&key, self);
        let elapsed = started.elapsed();
        assert_eq!(
            signature, self.expected,
            "the num-bigint computation is wrong"
        );
        elapsed
    }
}

/// The claim signature from a raw key (the same HMAC as `PasswordKey::claim_signature`).
fn srp_signature(key: &[u8], v: &Vector) -> String {
    use base64::Engine as _;
    use hmac::Mac;
    let mut mac = <hmac::Hmac<Sha256>>::new_from_slice(key).expect("any key length");
    mac.update(v.pool_name.as_bytes());
    mac.update(v.user.as_bytes());
    mac.update(&srp::decode_secret_block(&v.secret_block));
    mac.update(v.timestamp.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The computation as `srp.rs` made it before the fixed-width arithmetic, for the ratio only.
mod before {
    use super::*;

    const N_HEX: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

    fn padded(n: &BigUint) -> Vec<u8> {
        let mut bytes = n.to_bytes_be();
        if bytes[0] & 0x80 != 0 {
            bytes.insert(0, 0);
        }
        bytes
    }

    fn sha(parts: &[&[u8]]) -> BigUint {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        BigUint::from_bytes_be(&h.finalize())
    }

    pub(super) fn password_key(v: &Vector) -> [u8; 16] {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("hex");
        let g = BigUint::from(2u32);
        let k = sha(&[&padded(&n), &padded(&g)]);
        let a = BigUint::from_bytes_be(&v.small_a) % &n;
        let large_a = g.modpow(&a, &n);
        let large_b = BigUint::parse_bytes(v.srp_b_hex.as_bytes(), 16).expect("hex");
        let salt = BigUint::parse_bytes(v.salt_hex.as_bytes(), 16).expect("hex");
        let u = sha(&[&padded(&large_a), &padded(&large_b)]);
        let identity = Sha256::new()
            .chain_update(v.pool_name.as_bytes())
            .chain_update(v.user.as_bytes())
            .chain_update(b":")
            .chain_update(v.password.expose_secret().as_bytes())
            .finalize();
        let x = sha(&[&padded(&salt), identity.as_slice()]);
        let g_x = g.modpow(&x, &n);
        let base = ((&large_b % &n) + &n - (&k * g_x) % &n) % &n;
        let premaster = base.modpow(&(a + &u * &x), &n);
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(&padded(&u)), &padded(&premaster));
        let mut key = [0u8; 16];
        hkdf.expand(b"Caldera Derived Key", &mut key)
            .expect("16 bytes");
        key
    }
}

fn micros(samples: &mut [Duration]) -> (u128, u128, u128) {
    samples.sort_unstable();
    (
        samples[samples.len() / 2].as_micros(),
        samples[0].as_micros(),
        samples[samples.len() - 1].as_micros(),
    )
}

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("the argument is a number of iterations"))
        .unwrap_or(100)
        .max(1);
    let cogauth = Vector::load(COGAUTH_VECTORS, "pw-cogauth-a");
    let aws_client = Vector::load(AWS_CLIENT_VECTORS, "case1");

    let mut now = Vec::with_capacity(iterations);
    let mut long_a = Vec::new();
    let mut before = Vec::new();
    for i in 0..iterations {
        now.push(cogauth.cogauth());
        if i % 4 == 0 {
            long_a.push(aws_client.cogauth());
            before.push(aws_client.before());
        }
    }
    let (median, min, max) = micros(&mut now);
    println!(
        "{}",
        serde_json::json!({
            "iterations": iterations,
            "median_us": median,
            "min_us": min,
            "max_us": max,
            "median_us_1024_bit_a": micros(&mut long_a).0,
            "before_median_us": micros(&mut before).0,
            "before_iterations": before.len(),
        })
    );
}
