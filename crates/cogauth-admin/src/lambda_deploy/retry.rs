//! Bounded exponential backoff for the eventual consistency of IAM and Lambda: a role or user
//! created a moment ago may not be usable yet ("The role defined for the function cannot be
//! assumed by Lambda", "Invalid principal in policy"), and a function being updated refuses
//! the next change for a few seconds. Only those errors are retried, a bounded number of times.

use std::future::Future;
use std::time::Duration;

/// How long to wait between attempts: `first`, doubling, at most `max`, `attempts` in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub attempts: u32,
}

impl Backoff {
    /// New IAM principals and roles usually propagate within seconds, rarely over 30.
    pub const PROPAGATION: Self = Self {
        first: Duration::from_millis(500),
        max: Duration::from_secs(8),
        attempts: 10,
    };

    /// The pauses between attempts (one fewer than the attempts).
    pub fn delays(&self) -> impl Iterator<Item = Duration> + '_ {
        let mut next = self.first;
        (1..self.attempts).map(move |_| {
            let current = next.min(self.max);
            next = next.saturating_mul(2);
            current
        })
    }
}

/// Runs `op` until it succeeds, fails with an error `transient` does not accept, or the
/// attempts run out (then the last error is returned, with the number of attempts made).
pub async fn retry<T, E, F, Fut>(
    backoff: Backoff,
    transient: impl Fn(&E) -> bool,
    mut op: F,
) -> Result<T, (E, u32)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delays = backoff.delays();
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(e) if transient(&e) => match delays.next() {
                Some(delay) => {
                    tracing::info!(attempt, ?delay, "not ready yet (IAM propagation); retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                None => return Err((e, attempt)),
            },
            Err(e) => return Err((e, attempt)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let b = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(5),
            attempts: 6,
        };
        let secs: Vec<u64> = b.delays().map(|d| d.as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 5, 5]);
        let total: Duration = Backoff::PROPAGATION.delays().sum();
        assert!(total <= Duration::from_secs(60), "bounded: {total:?}");
    }

    const QUICK: Backoff = Backoff {
        first: Duration::ZERO,
        max: Duration::ZERO,
        attempts: 4,
    };

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let calls = Cell::new(0);
        let result: Result<&str, _> = retry(
            QUICK,
            |e: &&str| *e == "not yet",
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err("not yet") } else { Ok("done") } }
            },
        )
        .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test]
    async fn attempts_are_bounded_and_other_errors_are_not_retried() {
        let calls = Cell::new(0);
        let result: Result<(), _> = retry(
            QUICK,
            |_: &&str| true,
            || {
                calls.set(calls.get() + 1);
                async { Err("not yet") }
            },
        )
        .await;
        assert_eq!(result.unwrap_err(), ("not yet", 4));
        assert_eq!(calls.get(), 4);

        calls.set(0);
        let result: Result<(), _> = retry(
            QUICK,
            |e: &&str| *e == "not yet",
            || {
                calls.set(calls.get() + 1);
                async { Err("denied") }
            },
        )
        .await;
        assert_eq!(result.unwrap_err(), ("denied", 1));
        assert_eq!(calls.get(), 1);
    }
}
