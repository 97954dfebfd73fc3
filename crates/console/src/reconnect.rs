//! The pure parts of keeping the operator socket up: where it connects and how long to wait
//! between attempts.

/// First wait after a lost connection, in milliseconds.
pub const FIRST_RETRY_MS: u32 = 500;
/// Longest wait between attempts.
pub const MAX_RETRY_MS: u32 = 10_000;

/// Waits 0.5 s, 1 s, 2 s, … up to 10 s between attempts; back to 0.5 s once connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next_ms: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next_ms: FIRST_RETRY_MS,
        }
    }
}

impl Backoff {
    /// How long to wait before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> u32 {
        let now = self.next_ms;
        self.next_ms = (self.next_ms * 2).min(MAX_RETRY_MS);
        now
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// `ws://host/ws/operator` on a plain page, `wss://` on an HTTPS one: the same origin as
/// the console, so the session cookie goes along and `connect-src 'self'` allows it.
pub fn socket_url(page_protocol: &str, host: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss:"
    } else {
        "ws:"
    };
    format!("{scheme}//{host}/ws/operator")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_to_ten_and_resets() {
        let mut b = Backoff::default();
        let waits: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
        assert_eq!(
            waits,
            vec![500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
        );
        b.reset();
        assert_eq!(b.next_delay(), 500);
    }

    #[test]
    fn the_socket_follows_the_page_scheme_and_host() {
        assert_eq!(
            socket_url("https:", "chat.example.com"),
            "wss://chat.example.com/ws/operator"
        );
        assert_eq!(
            socket_url("http:", "127.0.0.1:8080"),
            "ws://127.0.0.1:8080/ws/operator"
        );
    }
}
