//! The time, behind a seam, so token-lifetime checks are testable with a fixed clock.

use std::fmt;

/// Seconds since the Unix epoch.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// A clock that reads a fixed time (tests, and replaying a decision).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0
    }
}
