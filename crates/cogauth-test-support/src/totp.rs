//! TOTP codes for moto's software tokens. moto's secret is fixed and only 60 bits long (too
//! short for RFC-checked constructors), and moto allows no clock skew, so codes are only
//! generated early enough in a 30 s step to still be current when moto checks them.

use std::time::{SystemTime, UNIX_EPOCH};

use totp_rs::{Builder, Secret, Totp};

/// moto's software-token secret (base32).
pub const MOTO_TOTP_SECRET: &str = "ASDFASDFASDF";
const STEP_SECONDS: u64 = 30;
const SAFE_SECONDS_INTO_STEP: u64 = 25;

pub fn moto_totp() -> Totp {
    Builder::new()
        .with_secret(Secret::try_from_base32(MOTO_TOTP_SECRET).expect("base32 secret"))
        .with_step_duration(STEP_SECONDS)
        .build_noncompliant()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The code for the current step, waiting out the end of a step first.
pub fn current_code() -> String {
    loop {
        let now = unix_now();
        if now % STEP_SECONDS < SAFE_SECONDS_INTO_STEP {
            return moto_totp().generate(now).to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// A code that is wrong now and in the neighbouring steps.
pub fn wrong_code() -> String {
    let totp = moto_totp();
    let now = unix_now();
    let valid: Vec<String> = [now - STEP_SECONDS, now, now + STEP_SECONDS]
        .iter()
        .map(|t| totp.generate(*t).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{:06}", (n * 7_919 + 123_456) % 1_000_000))
        .find(|code| !valid.contains(code))
        .expect("a code that is not current")
}
