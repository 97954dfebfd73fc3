//! Rate limits and caps, in this process's memory only (several nodes each keep their own).
//!
//! A client is known here by a keyed hash of its address ([`Limits::client`]): the key is
//! random for each process and never leaves it, the address is hashed in memory and dropped,
//! so neither reaches the database, a log or another process. Token buckets are the
//! `governor` crate's (GCRA); forgotten keys are dropped every minute.
//!
//! Sign-in has three locks before any password is hashed: a rate for the whole server, a
//! rate per client, and a backoff per account (keyed by the email the request names, whether
//! or not such an operator exists, so the answer is the same either way): five failures
//! free, then one more each 1, 2, 4 … seconds, and after twenty, one every fifteen minutes.
//! Hashing itself runs at most as many at once as there are cores.

use crate::config::Config;
use governor::{clock::Clock as _, DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client, as the limits know it: a keyed hash of its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(u64);

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least one (for `Retry-After`).
    pub fn secs(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

/// Failures of one account (by the email asked for), for the sign-in backoff.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_ms: i64,
}

/// Failures kept free before the backoff starts.
pub const FREE_FAILURES: u32 = 5;
/// From this many failures on, one attempt each [`LOCKED_FOR_MS`].
pub const LOCK_FAILURES: u32 = 20;
pub const LOCKED_FOR_MS: i64 = 15 * 60 * 1000;
/// Accounts tracked at most; past it, the ones still free are forgotten first.
const MAX_ACCOUNTS: usize = 100_000;

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

/// `n` a day, all of them at once if need be.
fn per_day(n: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_secs(24 * 3600) / n.get())
        .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
        .allow_burst(n)
}

/// A bucket's burst: a fifth of a minute's worth, at least a few.
fn burst(per_minute: u32) -> u32 {
    (per_minute / 5).max(3)
}

#[derive(Debug)]
pub struct Limits {
    key: [u8; 32],
    login_all: DefaultDirectRateLimiter,
    login_client: DefaultKeyedRateLimiter<ClientKey>,
    accounts: Mutex<HashMap<u64, Failures>>,
    hashing: tokio::sync::Semaphore,
    hashes: AtomicU64,
    hello_widget: DefaultKeyedRateLimiter<i64>,
    hello_client: DefaultKeyedRateLimiter<ClientKey>,
    leave_widget: DefaultKeyedRateLimiter<i64>,
    leave_client: DefaultKeyedRateLimiter<ClientKey>,
    conversations_visitor: DefaultKeyedRateLimiter<i64>,
    data_requests: DefaultKeyedRateLimiter<i64>,
    sockets: AtomicUsize,
    visitor_sockets: Mutex<HashMap<i64, u32>>,
    pub socket_messages: Quota,
    pub socket_typing: Quota,
    pub max_sockets: usize,
    pub sockets_per_visitor: u32,
    pub messages_per_conversation: u64,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        let mut key = [0u8; 32];
        // Without randomness the key is still unknown outside this process's memory.
        let _ = getrandom::fill(&mut key);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per_minute = |n: u32| quota(n, burst(n));
        Self {
            key,
            login_all: DefaultDirectRateLimiter::direct(quota(
                config.logins_per_minute,
                burst(config.logins_per_minute),
            )),
            login_client: DefaultKeyedRateLimiter::keyed(per_minute(
                config.logins_per_client_per_minute,
            )),
            accounts: Mutex::new(HashMap::new()),
            hashing: tokio::sync::Semaphore::new(cores),
            hashes: AtomicU64::new(0),
            hello_widget: DefaultKeyedRateLimiter::keyed(per_minute(
                config.hellos_per_widget_per_minute,
            )),
            hello_client: DefaultKeyedRateLimiter::keyed(per_minute(
                config.hellos_per_client_per_minute,
            )),
            leave_widget: DefaultKeyedRateLimiter::keyed(per_minute(
                config.leave_messages_per_widget_per_minute,
            )),
            leave_client: DefaultKeyedRateLimiter::keyed(per_minute(
                config.leave_messages_per_client_per_minute,
            )),
            conversations_visitor: DefaultKeyedRateLimiter::keyed(per_day(
                config.conversations_per_visitor_per_day,
            )),
            data_requests: DefaultKeyedRateLimiter::keyed(per_minute(
                config.data_requests_per_operator_per_minute,
            )),
            sockets: AtomicUsize::new(0),
            visitor_sockets: Mutex::new(HashMap::new()),
            socket_messages: quota(
                config.messages_per_socket_per_minute,
                burst(config.messages_per_socket_per_minute),
            ),
            socket_typing: quota(
                config.typing_per_socket_per_minute,
                burst(config.typing_per_socket_per_minute),
            ),
            max_sockets: config.max_sockets as usize,
            sockets_per_visitor: config.sockets_per_visitor,
            messages_per_conversation: u64::from(config.messages_per_conversation),
        }
    }

    /// The client behind `ip`, for the per-client limits; the address goes no further.
    pub fn client(&self, ip: IpAddr) -> ClientKey {
        ClientKey(self.keyed_hash(ip.to_string().as_bytes()))
    }

    fn keyed_hash(&self, bytes: &[u8]) -> u64 {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.key) {
            Ok(m) => m,
            // HMAC takes a key of any length.
            Err(_) => return 0,
        };
        mac.update(bytes);
        let out = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&out[..8]);
        u64::from_le_bytes(first)
    }

    /// Sign-in may try now? Checks the whole server's rate, the client's, and the account's
    /// backoff, in that order; `now_ms` is the store's clock.
    pub fn login_attempt(
        &self,
        client: Option<ClientKey>,
        email: &str,
        now_ms: i64,
    ) -> Result<(), RetryAfter> {
        let clock = governor::clock::DefaultClock::default();
        if let Err(wait) = self.login_all.check() {
            return Err(RetryAfter(wait.wait_time_from(clock.now())));
        }
        if let Some(c) = client {
            if let Err(wait) = self.login_client.check_key(&c) {
                return Err(RetryAfter(wait.wait_time_from(clock.now())));
            }
        }
        let account = self.account(email);
        let accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        match accounts.get(&account).and_then(|f| backoff_until(*f)) {
            Some(until) if until > now_ms => Err(RetryAfter(Duration::from_millis(
                u64::try_from(until - now_ms).unwrap_or(0),
            ))),
            _ => Ok(()),
        }
    }

    fn account(&self, email: &str) -> u64 {
        self.keyed_hash(email.trim().to_lowercase().as_bytes())
    }

    pub fn login_failed(&self, email: &str, now_ms: i64) {
        let account = self.account(email);
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        if accounts.len() >= MAX_ACCOUNTS && !accounts.contains_key(&account) {
            accounts.retain(|_, f| f.count >= FREE_FAILURES);
        }
        let f = accounts.entry(account).or_insert(Failures {
            count: 0,
            last_ms: now_ms,
        });
        f.count = f.count.saturating_add(1);
        f.last_ms = now_ms;
    }

    pub fn login_succeeded(&self, email: &str) {
        let account = self.account(email);
        self.accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&account);
    }

    /// A place to hash a password (at most one per core at once).
    pub async fn hashing(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let permit = self.hashing.acquire().await.ok()?;
        self.hashes.fetch_add(1, Ordering::Relaxed);
        Some(permit)
    }

    /// Passwords hashed so far (for tests and the bench).
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::Relaxed)
    }

    /// A `hello` for this widget from this client, now?
    pub fn hello(&self, widget: i64, client: Option<ClientKey>) -> Result<(), RetryAfter> {
        keyed(&self.hello_widget, &widget)?;
        match client {
            Some(c) => keyed(&self.hello_client, &c),
            None => Ok(()),
        }
    }

    /// A message left for this widget from this client, now?
    pub fn leave_message(&self, widget: i64, client: Option<ClientKey>) -> Result<(), RetryAfter> {
        keyed(&self.leave_widget, &widget)?;
        match client {
            Some(c) => keyed(&self.leave_client, &c),
            None => Ok(()),
        }
    }

    /// May this visitor start another conversation now?
    pub fn new_conversation(&self, visitor: i64) -> Result<(), RetryAfter> {
        keyed(&self.conversations_visitor, &visitor)
    }

    /// May this operator read or change the history, a person's data or the audit log now?
    pub fn data_request(&self, operator: i64) -> Result<(), RetryAfter> {
        keyed(&self.data_requests, &operator)
    }

    /// Counts a WebSocket until the guard drops; `None` when the process has its maximum.
    pub fn socket(self: &Arc<Self>) -> Option<SocketGuard> {
        let before = self.sockets.fetch_add(1, Ordering::AcqRel);
        let guard = SocketGuard {
            limits: Arc::clone(self),
            visitor: None,
        };
        (before < self.max_sockets).then_some(guard)
    }

    /// WebSockets open now.
    pub fn open_sockets(&self) -> usize {
        self.sockets.load(Ordering::Acquire)
    }

    /// Counts this socket as one of `visitor`'s; `false` when they have their maximum.
    pub fn visitor_socket(&self, guard: &mut SocketGuard, visitor: i64) -> bool {
        let mut open = self
            .visitor_sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let n = open.entry(visitor).or_insert(0);
        if *n >= self.sockets_per_visitor {
            if *n == 0 {
                open.remove(&visitor);
            }
            return false;
        }
        *n += 1;
        guard.visitor = Some(visitor);
        true
    }

    /// Forgets keys whose buckets are full again, and accounts no longer held back.
    pub fn forget_old(&self, now_ms: i64) {
        for limiter in [&self.login_client, &self.hello_client, &self.leave_client] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in [
            &self.hello_widget,
            &self.leave_widget,
            &self.conversations_visitor,
        ] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let mut accounts = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        accounts.retain(|_, f| now_ms - f.last_ms < 24 * 3600 * 1000);
    }
}

/// When an account with these failures may try again, if it must wait at all.
fn backoff_until(f: Failures) -> Option<i64> {
    if f.count < FREE_FAILURES {
        return None;
    }
    if f.count >= LOCK_FAILURES {
        return Some(f.last_ms + LOCKED_FOR_MS);
    }
    let wait = 1000i64 << (f.count - FREE_FAILURES).min(20);
    Some(f.last_ms + wait.min(LOCKED_FOR_MS))
}

fn keyed<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), RetryAfter> {
    limiter.check_key(key).map_err(|wait| {
        RetryAfter(wait.wait_time_from(governor::clock::DefaultClock::default().now()))
    })
}

/// One open WebSocket, counted until dropped.
#[derive(Debug)]
pub struct SocketGuard {
    limits: Arc<Limits>,
    visitor: Option<i64>,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.limits.sockets.fetch_sub(1, Ordering::AcqRel);
        if let Some(v) = self.visitor {
            let mut open = self
                .limits
                .visitor_sockets
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(n) = open.get_mut(&v) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    open.remove(&v);
                }
            }
        }
    }
}

/// A per-socket bucket (messages, typing): refusals are answered with `rate_limited`.
pub type SocketBucket = DefaultDirectRateLimiter;

pub fn socket_bucket(quota: Quota) -> SocketBucket {
    DefaultDirectRateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::new(&Config {
            logins_per_minute: 10_000,
            logins_per_client_per_minute: 10_000,
            ..Config::default()
        })
    }

    #[test]
    fn the_backoff_starts_after_five_failures_and_locks_after_twenty() {
        let l = limits();
        let t = 1_000_000;
        for n in 0..FREE_FAILURES {
            assert_eq!(l.login_attempt(None, "a@example.com", t), Ok(()), "{n}");
            l.login_failed("a@example.com", t);
        }
        // The sixth waits a second after the fifth failure.
        assert_eq!(
            l.login_attempt(None, "A@Example.com ", t + 500),
            Err(RetryAfter(Duration::from_millis(500)))
        );
        assert_eq!(l.login_attempt(None, "a@example.com", t + 1000), Ok(()));
        // Another address is its own account.
        assert_eq!(l.login_attempt(None, "b@example.com", t), Ok(()));
        let mut now = t;
        for _ in FREE_FAILURES..LOCK_FAILURES {
            l.login_failed("a@example.com", now);
            now += LOCKED_FOR_MS;
        }
        now -= LOCKED_FOR_MS;
        assert_eq!(
            l.login_attempt(None, "a@example.com", now + LOCKED_FOR_MS - 1),
            Err(RetryAfter(Duration::from_millis(1)))
        );
        assert_eq!(
            l.login_attempt(None, "a@example.com", now + LOCKED_FOR_MS),
            Ok(())
        );
        l.login_succeeded("a@example.com");
        assert_eq!(l.login_attempt(None, "a@example.com", now), Ok(()));
    }

    #[test]
    fn clients_are_known_by_a_keyed_hash_only() {
        let l = limits();
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        assert_eq!(l.client(ip), l.client(ip));
        assert_ne!(l.client(ip), l.client("203.0.113.8".parse().expect("ip")));
        // Another process (another key) sees another value for the same address.
        assert_ne!(l.client(ip), limits().client(ip));
        let shown = format!("{:?}", l.client(ip));
        assert!(!shown.contains("203.0.113"), "{shown}");
    }

    #[test]
    fn sockets_are_counted_per_process_and_per_visitor() {
        let l = Arc::new(Limits::new(&Config {
            max_sockets: 3,
            sockets_per_visitor: 2,
            ..Config::default()
        }));
        let mut a = l.socket().expect("1");
        let mut b = l.socket().expect("2");
        assert!(l.visitor_socket(&mut a, 7));
        assert!(l.visitor_socket(&mut b, 7));
        let mut c = l.socket().expect("3");
        assert!(!l.visitor_socket(&mut c, 7), "a third of visitor 7's");
        assert!(l.socket().is_none(), "a fourth socket");
        drop(a);
        assert!(l.visitor_socket(&mut c, 7), "one of theirs closed");
        assert!(l.socket().is_some());
    }
}
