//! What the widget keeps in the iframe's own storage, and its message ids, as pure functions.
//! The browser calls live in [`crate::browser`]; the outbox's JSON form in [`crate::frames`].

use confide_protocol::chat::ClientMsgId;
use confide_protocol::WidgetKey;

/// `localStorage` key of the visitor token, so a later visit resumes the conversation.
pub fn token_key(widget: &WidgetKey) -> String {
    format!("confide.token.{widget}")
}

/// `sessionStorage` key of the unacknowledged messages, so a reload resends them.
pub fn outbox_key(widget: &WidgetKey) -> String {
    format!("confide.outbox.{widget}")
}

/// A client message id from 16 random bytes: 32 lowercase hex characters.
pub fn client_id_from(bytes: &[u8; 16]) -> Option<ClientMsgId> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hex: String = bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .map(char::from)
        .collect();
    // Always valid; `ok()` rather than `expect` keeps panic formatting out of the bundle.
    ClientMsgId::parse(&hex).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_widget() {
        let key = WidgetKey::parse("demo").expect("key");
        assert_eq!(token_key(&key), "confide.token.demo");
        assert_eq!(outbox_key(&key), "confide.outbox.demo");
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
