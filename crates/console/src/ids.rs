//! Client-generated message ids: 128 random bits from `crypto.getRandomValues` as 32 hex
//! digits (works on plain-HTTP origins too, unlike `randomUUID`).

use confide_protocol::chat::ClientMsgId;

/// A fresh id for a reply.
pub fn new_client_id() -> ClientMsgId {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        // No Web Crypto: still unique enough for a resend key within one conversation.
        for chunk in bytes.chunks_mut(4) {
            let n = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
            chunk.copy_from_slice(&n.to_le_bytes());
        }
    }
    hex_id(&bytes)
}

/// 16 bytes as a 32-character lowercase hex id.
pub fn hex_id(bytes: &[u8; 16]) -> ClientMsgId {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    ClientMsgId::parse(&hex).expect("32 hex digits are a valid client id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ids_are_valid_client_ids() {
        let id = hex_id(&[0xab; 16]);
        assert_eq!(id.as_str(), "ab".repeat(16));
        assert_eq!(hex_id(&[0; 16]).as_str().len(), 32);
    }
}
