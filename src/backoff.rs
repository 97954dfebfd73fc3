//! How long to wait before reconnecting: 0.5 s doubling up to 10 s, with jitter so that many
//! widgets cut off together do not all come back in the same instant.

/// The first retry waits about this long.
pub const FIRST_MS: u32 = 500;
/// No retry waits longer.
pub const MAX_MS: u32 = 10_000;

/// The delay before retry number `attempt` (0 for the first), given `r` uniform in [0, 1):
/// between half and all of `min(FIRST_MS * 2^attempt, MAX_MS)`.
pub fn delay_ms(attempt: u32, r: f64) -> u32 {
    // 500 << 5 is past the cap already; smaller shifts cannot overflow.
    let base = if attempt >= 5 {
        MAX_MS
    } else {
        (FIRST_MS << attempt).min(MAX_MS)
    };
    let r = if r.is_finite() {
        r.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = f64::from(base) / 2.0;
    // At most `base`, which fits in u32.
    (half + half * r).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_half_a_second_to_ten_seconds() {
        let top: Vec<u32> = (0..8).map(|a| delay_ms(a, 1.0)).collect();
        assert_eq!(
            top,
            vec![500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
        );
        assert_eq!(delay_ms(1000, 1.0), 10_000);
        assert_eq!(delay_ms(u32::MAX, 0.99), 9_950);
    }

    #[test]
    fn jitter_keeps_each_delay_between_half_and_all_of_its_base() {
        for attempt in 0..10 {
            let base = delay_ms(attempt, 1.0);
            for r in [0.0, 0.25, 0.5, 0.999] {
                let d = delay_ms(attempt, r);
                assert!(d >= base / 2 && d <= base, "attempt {attempt}, r {r}: {d}");
            }
        }
        assert_eq!(delay_ms(0, 0.0), 250);
        assert_eq!(delay_ms(0, f64::NAN), 250);
    }
}
