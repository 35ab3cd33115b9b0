//! Retries with exponential backoff and jitter, wrapped around one request.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::error::{HoistError, Result};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for temporary store errors (500, 503, damaged transfer).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// How long to keep waiting for a network that is down; `None` = for ever (the
    /// queue continues by itself when the link returns).
    pub network_wait: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            network_wait: None,
        }
    }
}

impl RetryPolicy {
    /// "Equal jitter": half the exponential delay fixed, half random, so retries of
    /// many parts spread out instead of hitting a recovering store at once.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Runs `op` until it succeeds, fails permanently, runs out of attempts, or `stop`
/// fires. `on_retry(attempt, delay, error)` is told before each wait.
pub async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    stop: &CancellationToken,
    mut on_retry: impl FnMut(u32, Duration, &HoistError),
    mut op: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    let mut offline_since: Option<Instant> = None;
    loop {
        if stop.is_cancelled() {
            return Err(HoistError::Cancelled);
        }
        let result = tokio::select! {
            biased;
            _ = stop.cancelled() => return Err(HoistError::Cancelled),
            r = op() => r,
        };
        let err = match result {
            Ok(v) => return Ok(v),
            Err(e) if !e.is_retryable() => return Err(e),
            Err(e) => e,
        };
        attempt += 1;
        if err.is_connectivity() {
            let since = *offline_since.get_or_insert_with(Instant::now);
            if policy
                .network_wait
                .is_some_and(|limit| since.elapsed() >= limit)
            {
                return Err(err);
            }
        } else {
            offline_since = None;
            if attempt >= policy.max_attempts {
                return Err(err);
            }
        }
        let delay = policy.delay(attempt.min(policy.max_attempts));
        on_retry(attempt, delay, &err);
        tokio::select! {
            biased;
            _ = stop.cancelled() => return Err(HoistError::Cancelled),
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            network_wait: Some(Duration::from_millis(50)),
        }
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let mut retries = 0;
        let r = with_retry(
            &fast(5),
            &CancellationToken::new(),
            |_, _, _| retries += 1,
            || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(HoistError::StoreBusy {
                        status: 503,
                        message: "SlowDown".into(),
                    })
                } else {
                    Ok(7)
                }
            },
        )
        .await;
        assert_eq!(r.unwrap(), 7);
        assert_eq!(retries, 2);
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = with_retry(
            &fast(5),
            &CancellationToken::new(),
            |_, _, _| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(HoistError::NoSuchBucket("b".into()))
            },
        )
        .await;
        assert_eq!(r.unwrap_err().code(), crate::ErrorCode::NoSuchBucket);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn attempts_are_limited_for_store_errors_and_time_for_network() {
        let r: Result<()> = with_retry(
            &fast(3),
            &CancellationToken::new(),
            |_, _, _| {},
            || async {
                Err(HoistError::StoreBusy {
                    status: 500,
                    message: String::new(),
                })
            },
        )
        .await;
        assert!(r.is_err());
        let calls = AtomicU32::new(0);
        let r: Result<()> = with_retry(
            &fast(3),
            &CancellationToken::new(),
            |_, _, _| {},
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(HoistError::Network("refused".into()))
            },
        )
        .await;
        assert_eq!(r.unwrap_err().code(), crate::ErrorCode::Network);
        assert!(
            calls.load(Ordering::SeqCst) > 3,
            "network errors wait by time, not by attempts"
        );
    }

    #[tokio::test]
    async fn stop_interrupts_the_wait() {
        let stop = CancellationToken::new();
        stop.cancel();
        let r: Result<()> = with_retry(
            &RetryPolicy::default(),
            &stop,
            |_, _, _| {},
            || async { Err(HoistError::Network("down".into())) },
        )
        .await;
        assert_eq!(r.unwrap_err().code(), crate::ErrorCode::Cancelled);
    }

    #[test]
    fn delays_grow_and_stay_capped() {
        let p = RetryPolicy::default();
        assert!(p.delay(1) <= Duration::from_millis(400));
        assert!(p.delay(30) <= p.max_delay);
        assert!(p.delay(30) >= p.max_delay / 2);
    }
}
