//! What the widget keeps in the iframe's own storage, and its message ids, as pure functions.
//! The browser calls live in [`crate::browser`]; the outbox's JSON form in [`crate::frames`].

use confide_protocol::chat::ClientMsgId;
use confide_protocol::WidgetKey;

/// `localStorage` key of the visitor token, so a later visit resumes the conversation.
pub fn token_key(widget: &WidgetKey) -> String {
    format!("confide.token.{widget}")
}

/// `localStorage` key of the consent the visitor gave (language, version, hash of the text),
/// kept next to the token so a returning visitor is not asked again for the same version.
pub fn consent_key(widget: &WidgetKey) -> String {
    format!("confide.consent.{widget}")
}

/// `localStorage` key of the pre-chat values the visitor filled in, so a returning visitor is
/// not asked again; removed with the consent (withdrawal, refusal).
pub fn fields_key(widget: &WidgetKey) -> String {
    format!("confide.fields.{widget}")
}

/// `localStorage` key of the interface language the visitor picked in the widget's menu. One
/// for the whole chat origin, so the router page (which does not know the widget yet) reads
/// it too; it says nothing about the visitor but a language.
pub const LANGUAGE_KEY: &str = "confide.lang";

/// `sessionStorage` key where a router leaves the settings of the widget it picked (as
/// `{"settings": …}`, the config endpoint's form); read once, then removed.
pub fn preloaded_key(widget: &WidgetKey) -> String {
    format!("confide.preloaded.{widget}")
}

/// `sessionStorage` key of the unacknowledged messages, so a reload resends them.
pub fn outbox_key(widget: &WidgetKey) -> String {
    format!("confide.outbox.{widget}")
}

/// Bytes as lower-case hex, two digits each (a SHA-256 digest becomes 64 characters).
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// A client message id from 16 random bytes: 32 lowercase hex characters.
pub fn client_id_from(bytes: &[u8; 16]) -> Option<ClientMsgId> {
    // Always valid; `ok()` rather than `expect` keeps panic formatting out of the bundle.
    ClientMsgId::parse(&hex(bytes)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_widget() {
        let key = WidgetKey::parse("demo").expect("key");
        assert_eq!(token_key(&key), "confide.token.demo");
        assert_eq!(outbox_key(&key), "confide.outbox.demo");
        assert_eq!(consent_key(&key), "confide.consent.demo");
    }

    #[test]
    fn hex_is_lower_case_with_two_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0x10, 0xab, 0xff]), "000f10abff");
        // SHA-256 of "abc" (FIPS 180-2 example), as WebCrypto returns its bytes.
        let digest = [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad,
        ];
        assert_eq!(
            hex(&digest),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn client_ids_are_32_hex_characters() {
        let id = client_id_from(&[0xab; 16]).expect("valid");
        assert_eq!(id.as_str(), "ab".repeat(16));
        let id = client_id_from(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 255])
            .expect("valid");
        assert_eq!(id.as_str(), "000102030405060708090a0b0c0d0eff");
    }
}
