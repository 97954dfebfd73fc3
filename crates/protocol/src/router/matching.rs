//! The small matchers the rules use: BCP 47 language prefixes, URL globs, URL hosts and
//! `HH:MM` times. Hand-written (no regex) to keep the widget small; each is linear or, for
//! globs, at most pattern length × URL length steps.

/// Whether the visitor's language `tag` falls under the rule's `prefix`, BCP 47 style: equal,
/// or `tag` continues `prefix` with a new subtag. Case-insensitive, and `_` counts as `-`
/// (some systems write `de_AT`). `de` matches `de`, `de-AT` and `DE-at` but not `dex`;
/// `pt-BR` matches `pt-BR` but not `pt` or `pt-PT`.
pub fn language_matches(prefix: &str, tag: &str) -> bool {
    fn norm(b: u8) -> u8 {
        if b == b'_' {
            b'-'
        } else {
            b.to_ascii_lowercase()
        }
    }
    let (p, t) = (prefix.as_bytes(), tag.as_bytes());
    if p.is_empty() || t.len() < p.len() {
        return false;
    }
    p.iter().zip(t).all(|(a, b)| norm(*a) == norm(*b))
        && t.get(p.len()).is_none_or(|b| norm(*b) == b'-')
}

/// Whether `text` matches `pattern` as a whole, where `*` stands for any run of characters
/// (`/` included, possibly none) and `?` for exactly one character. Everything else matches
/// itself, case-sensitively. There is no escape: a URL has no literal `*` worth matching.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // After a `*`: where the pattern resumes, and where in the text this try started.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, ti));
            }
            Some(b'?') => {
                pi += 1;
                ti += char_len(t[ti]);
            }
            Some(c) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and try again from there.
                Some((resume, start)) => {
                    let next = start + char_len(t[start]);
                    star = Some((resume, next));
                    pi = resume;
                    ti = next;
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|b| *b == b'*')
}

/// The length of the UTF-8 character that starts with byte `b`.
fn char_len(b: u8) -> usize {
    match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// The URL without its `#fragment`: the router never looks at fragments.
pub fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// The host of an absolute URL (`scheme://[user@]host[:port]/…`), without port, user info or
/// a trailing dot; `None` when there is no `://` or no host. IPv6 hosts keep their brackets.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port
            .find(']')
            .map_or(host_port, |end| &host_port[..=end])
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

/// Minutes since midnight of an `HH:MM` time (24-hour clock, two digits each). With
/// `allow_midnight_end`, `24:00` is also accepted (1440), to end a window at midnight.
pub fn parse_time(s: &str, allow_midnight_end: bool) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hours = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let minutes = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    match (hours, minutes) {
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        (24, 0) if allow_midnight_end => Some(1440),
        _ => None,
    }
}

/// A well-formed BCP 47 language tag or prefix: subtags of 1 to 8 ASCII letters or digits
/// joined by `-`, the first 2 to 3 letters (`de`, `pt-BR`, `zh-Hant`, `es-419`).
pub fn is_language_prefix(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok
        && s.len() <= 35
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The region subtag of a language tag, upper-cased: `de-AT` → `AT`, `zh-Hant-TW` → `TW`,
/// `sr-Latn-RS` → `RS`. `None` without one, or when it is a number (`es-419`).
pub fn language_region(tag: &str) -> Option<[u8; 2]> {
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next()?;
    if !(2..=8).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    for part in parts {
        let letters = part.bytes().all(|b| b.is_ascii_alphabetic());
        match (part.len(), letters) {
            (2, true) => {
                let b = part.as_bytes();
                return Some([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]);
            }
            // An extended language (3 letters) or a script (4 letters) may come first.
            (3 | 4, true) => {}
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_prefix_matches_whole_subtags_only() {
        assert!(language_matches("de", "de"));
        assert!(language_matches("de", "de-AT"));
        assert!(language_matches("de", "DE-at"));
        assert!(language_matches("DE", "de-CH-1996"));
        assert!(language_matches("de", "de_AT"));
        assert!(!language_matches("de", "dex"));
        assert!(!language_matches("de", "d"));
        assert!(!language_matches("de", "en-DE"));
        assert!(language_matches("pt-BR", "pt-BR"));
        assert!(language_matches("pt-BR", "pt-br"));
        assert!(!language_matches("pt-BR", "pt-PT"));
        assert!(!language_matches("pt-BR", "pt"));
        assert!(!language_matches("pt-BR", "pt-BRA"));
        assert!(language_matches("zh-Hant", "zh-Hant-TW"));
        assert!(!language_matches("", "de"));
        assert!(!language_matches("de", ""));
    }

    #[test]
    fn a_glob_matches_the_whole_text() {
        let g = "https://*.x.com/docs/*";
        assert!(glob_matches(g, "https://a.x.com/docs/intro"));
        assert!(glob_matches(g, "https://a.b.x.com/docs/"));
        assert!(
            !glob_matches(g, "https://x.com/docs/intro"),
            "needs a subdomain"
        );
        assert!(!glob_matches(g, "https://a.x.com/doc"));
        assert!(!glob_matches(g, "http://a.x.com/docs/intro"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("", ""));
        assert!(!glob_matches("", "a"));
        assert!(glob_matches("a**b", "ab"));
        assert!(glob_matches("a*b*c", "aXbYbZc"));
        assert!(!glob_matches("a*b*c", "aXbYbZ"));
        assert!(
            glob_matches("*aab", "aaaab"),
            "backtracks past a partial match"
        );
        assert!(glob_matches("?", "é"), "? is one character, not one byte");
        assert!(glob_matches("?é?", "aéb"));
        assert!(!glob_matches("??", "é"));
        assert!(glob_matches("*é", "aaé"));
        assert!(glob_matches("https://x.com/?", "https://x.com/a"));
        assert!(!glob_matches("https://x.com/?", "https://x.com/"));
        assert!(
            !glob_matches("https://X.com/*", "https://x.com/"),
            "case-sensitive"
        );
        assert!(glob_matches("*/pricing", "https://x.com/pricing"));
    }

    #[test]
    fn a_worst_case_glob_stays_fast() {
        let text = "a".repeat(2048);
        let pattern = format!("{}b", "*a".repeat(100));
        assert!(!glob_matches(&pattern, &text));
    }

    #[test]
    fn the_host_is_found_without_port_user_or_path() {
        assert_eq!(url_host("https://shop.x.com/a?b#c"), Some("shop.x.com"));
        assert_eq!(url_host("https://shop.x.com"), Some("shop.x.com"));
        assert_eq!(url_host("https://u:p@shop.x.com:8443/"), Some("shop.x.com"));
        assert_eq!(url_host("https://shop.x.com./"), Some("shop.x.com"));
        assert_eq!(url_host("http://[::1]:8080/"), Some("[::1]"));
        assert_eq!(url_host("https:///path"), None);
        assert_eq!(url_host("shop.x.com/path"), None);
        assert_eq!(without_fragment("https://x.com/a#top"), "https://x.com/a");
    }

    #[test]
    fn times_are_two_digit_hours_and_minutes() {
        assert_eq!(parse_time("00:00", false), Some(0));
        assert_eq!(parse_time("09:30", false), Some(570));
        assert_eq!(parse_time("23:59", false), Some(1439));
        assert_eq!(parse_time("24:00", false), None);
        assert_eq!(parse_time("24:00", true), Some(1440));
        for bad in [
            "9:00",
            "09:60",
            "25:00",
            "24:01",
            "0900",
            "09:00 ",
            "ab:cd",
            "",
            "٠٩:٠٠",
        ] {
            assert_eq!(parse_time(bad, true), None, "{bad}");
        }
    }

    #[test]
    fn language_tags_and_their_regions() {
        for ok in ["de", "pt-BR", "zh-Hant", "zh-Hant-TW", "es-419", "gsw"] {
            assert!(is_language_prefix(ok), "{ok}");
        }
        for bad in [
            "", "d", "de-", "-de", "de_AT", "deutsch", "de--AT", "*", "de AT", "1a",
        ] {
            assert!(!is_language_prefix(bad), "{bad}");
        }
        let region = |t: &str| language_region(t).map(|r| String::from_utf8_lossy(&r).into_owned());
        assert_eq!(region("de-AT").as_deref(), Some("AT"));
        assert_eq!(region("de-at").as_deref(), Some("AT"));
        assert_eq!(region("en_GB").as_deref(), Some("GB"));
        assert_eq!(region("zh-Hant-TW").as_deref(), Some("TW"));
        assert_eq!(region("de").as_deref(), None);
        assert_eq!(region("es-419").as_deref(), None);
        assert_eq!(region("en-US-x-twain").as_deref(), Some("US"));
        assert_eq!(region("x-AT").as_deref(), None);
    }
}
