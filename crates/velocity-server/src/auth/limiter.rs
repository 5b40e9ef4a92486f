//! Counting failed logins per email and per client address in fixed windows, so password
//! guessing is slowed down whichever of the two an attacker varies.
//!
//! An attempt is counted before the (slow) password check and given back if it succeeds, so
//! parallel guesses cannot all pass the check before any failure is recorded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A bound on failures per key within a window.
#[derive(Debug)]
pub struct LoginLimiter {
    window: Duration,
    per_email: u32,
    per_address: u32,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(window: Duration, per_email: u32, per_address: u32) -> LoginLimiter {
        LoginLimiter {
            window,
            per_email,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(email: &str, address: &str) -> [String; 2] {
        [format!("email:{email}"), format!("addr:{address}")]
    }

    /// Counts an attempt, or returns the seconds to wait when the email or the address is
    /// locked out.
    pub fn begin(&self, email: &str, address: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.retain(|_, (_, start)| now.duration_since(*start) < self.window);
        let keys = Self::keys(email, address);
        let limits = [self.per_email, self.per_address];
        let wait = keys
            .iter()
            .zip(limits)
            .filter_map(|(key, limit)| {
                let (count, start) = failures.get(key)?;
                (*count >= limit)
                    .then(|| (self.window - now.duration_since(*start)).as_secs().max(1))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for key in keys {
            failures.entry(key).or_insert((0, now)).0 += 1;
        }
        Ok(())
    }

    /// Gives a successful attempt back: the email's count is cleared, the address's reduced.
    pub fn succeeded(&self, email: &str, address: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let [email_key, address_key] = Self::keys(email, address);
        failures.remove(&email_key);
        if let Some((count, _)) = failures.get_mut(&address_key) {
            *count = count.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_an_email_after_its_limit_and_success_unlocks() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 3, 100);
        for _ in 0..3 {
            assert!(limiter.begin("a@b.co", "1.1.1.1").is_ok());
        }
        let wait = limiter.begin("a@b.co", "2.2.2.2").unwrap_err();
        assert!((1..=60).contains(&wait));
        limiter.succeeded("a@b.co", "1.1.1.1");
        assert!(limiter.begin("a@b.co", "2.2.2.2").is_ok());
    }

    #[test]
    fn locks_an_address_across_emails() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 100, 2);
        assert!(limiter.begin("a@b.co", "9.9.9.9").is_ok());
        assert!(limiter.begin("c@d.co", "9.9.9.9").is_ok());
        assert!(limiter.begin("e@f.co", "9.9.9.9").is_err());
        assert!(limiter.begin("e@f.co", "8.8.8.8").is_ok());
    }

    #[test]
    fn successes_do_not_use_up_an_address() {
        let limiter = LoginLimiter::new(Duration::from_secs(60), 100, 2);
        for _ in 0..10 {
            assert!(limiter.begin("a@b.co", "7.7.7.7").is_ok());
            limiter.succeeded("a@b.co", "7.7.7.7");
        }
    }
}
