//! Public widget keys: the `KEY` in `data-widget="KEY"` and in the iframe URL `/w/KEY`.
//!
//! A key is public (it sits in every host page), so it is no secret, but it crosses a trust
//! boundary in URLs and must be validated before it reaches the store or a log line.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Shortest accepted key.
pub const KEY_MIN_LEN: usize = 4;
/// Longest accepted key.
pub const KEY_MAX_LEN: usize = 64;

/// A validated widget key: 4 to 64 ASCII letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct WidgetKey(String);

/// Why a string is not a widget key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    TooShort,
    TooLong,
    BadCharacter,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::TooShort => write!(f, "a widget key has at least {KEY_MIN_LEN} characters"),
            KeyError::TooLong => write!(f, "a widget key has at most {KEY_MAX_LEN} characters"),
            KeyError::BadCharacter => {
                f.write_str("a widget key uses only ASCII letters, digits, '-' and '_'")
            }
        }
    }
}

impl std::error::Error for KeyError {}

impl WidgetKey {
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        if s.len() < KEY_MIN_LEN {
            return Err(KeyError::TooShort);
        }
        if s.len() > KEY_MAX_LEN {
            return Err(KeyError::TooLong);
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(KeyError::BadCharacter);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key in the iframe path `/w/KEY`, if `path` is exactly that shape.
    pub fn from_widget_path(path: &str) -> Result<Self, KeyError> {
        let rest = path.strip_prefix("/w/").unwrap_or("");
        Self::parse(rest.trim_end_matches('/'))
    }
}

impl fmt::Display for WidgetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for WidgetKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        WidgetKey::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_dash_and_underscore() {
        let key = WidgetKey::parse("demo-Site_01").expect("valid key");
        assert_eq!(key.as_str(), "demo-Site_01");
    }

    #[test]
    fn rejects_keys_outside_the_length_bounds() {
        assert_eq!(WidgetKey::parse("abc"), Err(KeyError::TooShort));
        assert_eq!(WidgetKey::parse(""), Err(KeyError::TooShort));
        let long = "a".repeat(KEY_MAX_LEN + 1);
        assert_eq!(WidgetKey::parse(&long), Err(KeyError::TooLong));
        assert!(WidgetKey::parse(&"a".repeat(KEY_MAX_LEN)).is_ok());
    }

    #[test]
    fn rejects_characters_that_could_escape_a_path_or_markup() {
        for bad in [
            "demo/../x",
            "demo key",
            "dem<o>",
            "démo",
            "demo%2f",
            "demo.js",
        ] {
            assert_eq!(WidgetKey::parse(bad), Err(KeyError::BadCharacter), "{bad}");
        }
    }

    #[test]
    fn deserializing_validates_the_key() {
        let ok: WidgetKey = serde_json::from_str("\"demo\"").expect("valid");
        assert_eq!(ok.as_str(), "demo");
        assert!(serde_json::from_str::<WidgetKey>("\"a/b/c\"").is_err());
    }

    #[test]
    fn reads_the_key_from_the_iframe_path() {
        assert_eq!(
            WidgetKey::from_widget_path("/w/demo")
                .expect("key")
                .as_str(),
            "demo"
        );
        assert_eq!(
            WidgetKey::from_widget_path("/w/demo/")
                .expect("key")
                .as_str(),
            "demo"
        );
        assert!(WidgetKey::from_widget_path("/x/demo").is_err());
        assert!(WidgetKey::from_widget_path("/w/").is_err());
    }
}
