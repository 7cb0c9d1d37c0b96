//! Times the client side of one SRP login (`A = g^a mod N`, the password key, the claim
//! signature) on known-answer vectors, for `cargo xtask bench`. Build it in release mode:
//!
//! ```sh
//! cargo run --release -p cogauth-core --example srp_bench -- 200
//! ```
//!
//! Prints one JSON line: `{"iterations": N, "median_us": ..., "min_us": ..., "max_us": ...,
//! "median_us_1024_bit_a": ...}`. `median_us` is a login as cogauth makes it (a 320-bit `a`,
//! vector `pw-cogauth-a`); `median_us_1024_bit_a` is the same computation with the 1024-bit `a`
//! the AWS client libraries draw (vector `case1`), which takes the general exponentiation. Every
//! iteration's signature is checked against its vector, so a wrong (or optimised away)
//! computation cannot produce a timing.

use std::time::Instant;

use cogauth_core::srp::{self, SrpClient};
use secrecy::SecretString;
use serde_json::Value;

const COGAUTH_VECTORS: &str = include_str!("../tests/data/srp/password-srp-with-server.json");
const AWS_CLIENT_VECTORS: &str = include_str!("../tests/data/srp/amazon-cognito-identity-js.json");

fn field<'a>(vector: &'a Value, name: &str) -> &'a str {
    vector[name]
        .as_str()
        .unwrap_or_else(|| panic!("the SRP vector has no string `{name}`"))
}

fn vector(file: &str, name: &str) -> Value {
    let file: Value = serde_json::from_str(file).expect("the vector file is JSON");
    file["srp"]
        .as_array()
        .expect("the vector file has an `srp` list")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no SRP vector named {name}"))
        .clone()
}

/// The sorted times of `iterations` logins on `vector`, in microseconds.
fn time(vector: &Value, iterations: usize) -> Vec<u128> {
    let small_a = hex::decode(field(vector, "small_a_hex")).expect("small_a_hex is hex");
    let pool_name = srp::pool_name(field(vector, "pool_id")).expect("a valid pool id");
    let user = field(vector, "user_id_for_srp");
    let password = SecretString::from(field(vector, "password").to_owned());
    let expected = field(vector, "expected_password_claim_signature");

    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let client = SrpClient::with_small_a(&small_a).expect("a valid a");
        let key = client
            .password_key(
                pool_name,
                user,
                &password,
                field(vector, "srp_b_hex"),
                field(vector, "salt_hex"),
            )
            .expect("a valid challenge");
        let signature = key.claim_signature(
            pool_name,
            user,
            field(vector, "secret_block_b64"),
            field(vector, "timestamp"),
        );
        samples.push(started.elapsed().as_micros());
        assert_eq!(signature, expected, "the SRP computation is wrong");
    }
    samples.sort_unstable();
    samples
}

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("the argument is a number of iterations"))
        .unwrap_or(100)
        .max(1);
    let cogauth = time(&vector(COGAUTH_VECTORS, "pw-cogauth-a"), iterations);
    let aws_client = time(&vector(AWS_CLIENT_VECTORS, "case1"), iterations.div_ceil(4));
    println!(
        "{}",
        serde_json::json!({
            "iterations": iterations,
            "median_us": cogauth[cogauth.len() / 2],
            "min_us": cogauth[0],
            "max_us": cogauth[cogauth.len() - 1],
            "median_us_1024_bit_a": aws_client[aws_client.len() / 2],
        })
    );
}
