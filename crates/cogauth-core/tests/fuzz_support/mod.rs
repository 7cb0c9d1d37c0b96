//! Runs a proptest property for a time budget instead of a fixed number of cases, so the same
//! target is a few-second smoke run in `cargo test` and a long run in `scripts/fuzz.sh`.
//!
//! cargo-fuzz needs a nightly toolchain; proptest runs on stable, shrinks what it finds to a
//! minimal input, and prints it: every such input becomes a named regression test.

use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

/// Seconds each target runs in `cargo test` when `COGAUTH_FUZZ_SECONDS` is not set.
const SMOKE_SECONDS: u64 = 3;

/// The time budget of one target: `COGAUTH_FUZZ_SECONDS`, else a short smoke run.
pub fn budget() -> Duration {
    #[allow(clippy::disallowed_methods)] // a test switch, not configuration of the library
    let seconds = std::env::var("COGAUTH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(SMOKE_SECONDS);
    Duration::from_secs(seconds)
}

/// Checks `property` on inputs from the strategy `make` returns until the budget is spent (at
/// least one batch). Fails the test with the shrunk input if the property fails or panics.
/// Returns the number of cases run, which the caller may assert a floor on.
pub fn fuzz<S>(
    name: &str,
    make: impl Fn() -> S + Sync,
    property: impl Fn(S::Value) -> Result<(), TestCaseError> + Sync,
) -> u64
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    // Deeply nested strategies take more stack in a debug build than a test thread has, so
    // the strategy is built and run on a thread of its own.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name(name.to_owned())
            .stack_size(256 << 20)
            .spawn_scoped(scope, || run(name, &make(), &property))
            .expect("start the fuzz thread")
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn run<S>(
    name: &str,
    strategy: &S,
    property: &impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> u64
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    const BATCH: u32 = 256;
    let deadline = Instant::now() + budget();
    let mut cases = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases: BATCH,
            failure_persistence: None,
            // Shrinking a crasher must not eat the whole budget.
            max_shrink_time: 30_000,
            ..Config::default()
        });
        match runner.run(strategy, property) {
            Ok(()) => cases += u64::from(BATCH),
            Err(TestError::Fail(why, input)) => {
                panic!("fuzz target `{name}` failed: {why}\nminimal input: {input:#?}")
            }
            Err(TestError::Abort(why)) => panic!("fuzz target `{name}` aborted: {why}"),
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    eprintln!("fuzz target `{name}`: {cases} cases in {:?}", budget());
    cases
}
