//! Checking a visitor's consent against the widget's current disclaimer.

use confide_protocol::chat::ConsentGiven;
use confide_protocol::settings::WidgetSettings;
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of a disclaimer's exact shown text.
pub fn text_sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Ok when the widget needs no consent, or `given` names a language with a disclaimer, the
/// current version, and the hash of exactly that disclaimer's text.
pub fn check(settings: &WidgetSettings, given: Option<&ConsentGiven>) -> Result<(), &'static str> {
    if !settings.consent.required {
        return Ok(());
    }
    let given = given.ok_or("this chat needs your consent before it starts")?;
    let disclaimer = settings
        .consent
        .texts
        .get(&given.language)
        .ok_or("there is no disclaimer in that language")?;
    if given.version != settings.consent.version {
        return Err("the disclaimer has changed; please read it again");
    }
    if given.text_sha256 != text_sha256(&disclaimer.shown_text()) {
        return Err("the disclaimer shown is not the current one; please read it again");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(language: &str, version: u32, hash: String) -> ConsentGiven {
        ConsentGiven {
            language: language.into(),
            version,
            text_sha256: hash,
        }
    }

    #[test]
    fn consent_must_match_language_version_and_exact_text() {
        let s = WidgetSettings::defaults("https://example.com/privacy");
        let de = text_sha256(&s.consent.texts["de"].shown_text());
        assert_eq!(de.len(), 64);
        assert!(check(&s, Some(&given("de", 1, de.clone()))).is_ok());
        assert!(check(&s, None).is_err());
        assert!(check(&s, Some(&given("de", 2, de.clone()))).is_err());
        assert!(
            check(&s, Some(&given("en", 1, de.clone()))).is_err(),
            "German hash, English claimed"
        );
        assert!(check(&s, Some(&given("xx", 1, de.clone()))).is_err());
        assert!(check(&s, Some(&given("de", 1, de.to_uppercase()))).is_err());
        let mut off = s.clone();
        off.consent.required = false;
        assert!(check(&off, None).is_ok());
    }

    #[test]
    fn the_hash_is_sha256_of_the_shown_text() {
        // Reference computed independently: printf 'a\nb\nc\nd\n' | sha256sum
        assert_eq!(
            text_sha256("a\nb\nc\nd\n"),
            "cf2c7f63055d2e84af6e3f01ac1bb7fce598d20cf213fab2b56b8e8047b46ced"
        );
    }
}
