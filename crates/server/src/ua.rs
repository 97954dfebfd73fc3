//! Browser and OS family from a `User-Agent` header, for standard-mode widgets only. The
//! header itself is never stored or logged: only one of the fixed names below is kept, so a
//! user agent can never smuggle text into the database.
//!
//! A family classifier needs a dozen substring checks in the right order; the full parsers
//! (uap-core's regex list) would add a regex engine and a 200 KB rule file to the server for
//! detail (versions, devices) that Confide deliberately does not keep.

/// The browser and OS family of a request's `User-Agent`; the header itself goes no further.
/// Whether they are kept depends on the widget's privacy mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UaFamily {
    pub browser: &'static str,
    pub os: &'static str,
}

impl UaFamily {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Option<Self> {
        headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .map(|ua| UaFamily {
                browser: browser_family(ua),
                os: os_family(ua),
            })
    }
}

/// The browser family: `Edge`, `Opera`, `Samsung Internet`, `Firefox`, `Chrome`, `Safari`,
/// else `Other`.
pub fn browser_family(ua: &str) -> &'static str {
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    const RULES: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chromium/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    RULES
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map_or("Other", |(_, name)| *name)
}

/// The OS family: `Windows`, `Android`, `iOS`, `macOS`, `ChromeOS`, `Linux`, else `Other`.
pub fn os_family(ua: &str) -> &'static str {
    const RULES: &[(&str, &str)] = &[
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("iPod", "iOS"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    RULES
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map_or("Other", |(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_user_agents_map_to_their_families() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
                "Chrome",
                "Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0",
                "Edge",
                "Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari",
                "macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari",
                "iOS",
            ),
            (
                "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0",
                "Firefox",
                "Android",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
                "Samsung Internet",
                "Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
                "Chrome",
                "ChromeOS",
            ),
            ("curl/8.5.0", "Other", "Other"),
            ("", "Other", "Other"),
        ];
        for (ua, browser, os) in cases {
            assert_eq!(browser_family(ua), browser, "{ua}");
            assert_eq!(os_family(ua), os, "{ua}");
        }
    }
}
