//! The visitor's privacy panel, as pure data and functions: what the server says it stores
//! about this conversation (`transcript`), and the two downloads made from it, the JSON one
//! and the plain-text one (`[HH:MM] Name: text` per message). Tested natively; the panel itself
//! is `components::privacy`.

use crate::json::{push_str, ObjectWriter};
use confide_protocol::chat::{Author, ChatMessage, ConversationId, ReceiptInfo};
use confide_protocol::details::VisitorDetails;

/// The answer to `export`: the current conversation's stored messages and the consent receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    pub conversation: Option<ConversationId>,
    pub messages: Vec<ChatMessage>,
    pub receipt: Option<ReceiptInfo>,
    /// Pre-chat values and (standard mode) page context stored with the conversation.
    pub details: Option<Box<VisitorDetails>>,
    /// More parts are on their way (a long transcript comes in parts).
    pub more: bool,
}

/// The step the panel shows before a destructive action goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Delete,
    /// Every conversation listed (consent stays).
    DeleteAll,
    Withdraw,
}

/// The JSON download: `{"messages": [...], "receipt": {...} | null, "details": {...}}`
/// (details only when something is stored), in the protocol's own forms (the tests read it
/// back with serde).
pub fn transcript_json(t: &Transcript) -> String {
    let messages: Vec<String> = t.messages.iter().map(message_json).collect();
    let receipt = t
        .receipt
        .as_ref()
        .map_or_else(|| "null".to_owned(), receipt_json);
    let mut w = ObjectWriter::new()
        .raw("messages", &format!("[{}]", messages.join(",")))
        .raw("receipt", &receipt);
    if let Some(d) = t.details.as_ref().filter(|d| !d.is_empty()) {
        w = w.raw("details", &details_json(d));
    }
    w.finish()
}

/// The "download all" file: `{"conversations": [{"id": 7, "transcript": {...}}, ...]}`, each
/// transcript as [`transcript_json`] writes it, in the order given (newest first).
pub fn all_json(all: &[Transcript]) -> String {
    let items: Vec<String> = all
        .iter()
        .map(|t| {
            let id = t.conversation.map_or(0, |c| c.0);
            ObjectWriter::new()
                .int("id", id)
                .raw("transcript", &transcript_json(t))
                .finish()
        })
        .collect();
    ObjectWriter::new()
        .raw("conversations", &format!("[{}]", items.join(",")))
        .finish()
}

fn details_json(d: &VisitorDetails) -> String {
    let mut w = ObjectWriter::new();
    for (key, value) in details_rows(d) {
        w = w.str(key, value);
    }
    if !d.custom.is_empty() {
        let custom: Vec<String> = d
            .custom
            .iter()
            .map(|f| {
                ObjectWriter::new()
                    .str("key", &f.key)
                    .str("label", &f.label)
                    .str("value", &f.value)
                    .finish()
            })
            .collect();
        w = w.raw("custom", &format!("[{}]", custom.join(",")));
    }
    w.finish()
}

/// The details' plain values as (protocol field name, value), in display order.
pub fn details_rows(d: &VisitorDetails) -> Vec<(&'static str, &str)> {
    [
        ("name", &d.name),
        ("email", &d.email),
        ("page", &d.page),
        ("referrer", &d.referrer),
        ("browser", &d.browser),
        ("os", &d.os),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect()
}

fn message_json(m: &ChatMessage) -> String {
    let mut w = ObjectWriter::new()
        .uint("seq", m.seq)
        .str("id", m.id.as_str())
        .str("author", author_str(m.author));
    if let Some(name) = &m.author_name {
        w = w.str("author_name", name);
    }
    w.str("text", m.text.as_str()).int("at", m.at).finish()
}

fn receipt_json(r: &ReceiptInfo) -> String {
    let opt_str = |v: &Option<String>| {
        let mut out = String::new();
        match v {
            Some(s) => push_str(&mut out, s),
            None => out.push_str("null"),
        }
        out
    };
    ObjectWriter::new()
        .str("language", &r.language)
        .uint("version", u64::from(r.version))
        .str("text_sha256", &r.text_sha256)
        .raw("policy_url", &opt_str(&r.policy_url))
        .int("at", r.at)
        .raw(
            "withdrawn_at",
            &r.withdrawn_at
                .map_or_else(|| "null".to_owned(), |n| n.to_string()),
        )
        .finish()
}

/// The wire name of an author (also the `data-author` attribute).
pub fn author_str(author: Author) -> &'static str {
    match author {
        Author::Visitor => "visitor",
        Author::Operator => "operator",
        Author::System => "system",
    }
}

/// The text download: one line per message, `[HH:MM] Visitor: text` or
/// `[HH:MM] <operator name>: text`. `offset_min(at)` is the local time's offset from UTC in
/// minutes at that instant (east positive); `names` are the visitor's, an unnamed operator's
/// and the system's, in the visitor's language. Line breaks inside a message are kept,
/// indented.
pub fn transcript_text(
    messages: &[ChatMessage],
    offset_min: impl Fn(i64) -> i64,
    names: [&str; 3],
) -> String {
    let mut out = String::new();
    let [visitor, operator, system] = names;
    for m in messages {
        let minutes = (m.at.div_euclid(60_000) + offset_min(m.at)).rem_euclid(24 * 60);
        let who = match m.author {
            Author::Visitor => visitor,
            Author::Operator => m.author_name.as_deref().unwrap_or(operator),
            Author::System => system,
        };
        out.push_str(&format!(
            "[{:02}:{:02}] {who}: {}\n",
            minutes / 60,
            minutes % 60,
            m.text.as_str().replace('\n', "\n    ")
        ));
    }
    out
}

/// A policy link is shown only when it is an https URL (the server validated it; this keeps
/// `javascript:` and the like out of an `href` whatever happens).
pub fn safe_policy_url(receipt: &ReceiptInfo) -> Option<&str> {
    receipt
        .policy_url
        .as_deref()
        .filter(|u| u.starts_with("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::chat::{ClientMsgId, MessageText};

    const EN: [&str; 3] = ["Visitor", "Operator", "System"];

    fn msg(seq: u64, author: Author, name: Option<&str>, text: &str, at: i64) -> ChatMessage {
        ChatMessage {
            seq,
            id: ClientMsgId::parse(&format!("{seq:0>8}")).expect("id"),
            author,
            author_name: name.map(str::to_owned),
            text: MessageText::parse(text).expect("text"),
            at,
        }
    }

    fn receipt(policy: Option<&str>, withdrawn_at: Option<i64>) -> ReceiptInfo {
        ReceiptInfo {
            language: "de".into(),
            version: 3,
            text_sha256: "ab".repeat(32),
            policy_url: policy.map(str::to_owned),
            at: 1_763_800_000_000,
            withdrawn_at,
        }
    }

    fn transcript(receipt: Option<ReceiptInfo>) -> Transcript {
        Transcript {
            conversation: Some(ConversationId(4)),
            messages: vec![
                msg(
                    1,
                    Author::Visitor,
                    None,
                    "hi \"there\" \\ <b>x</b>\nsecond",
                    0,
                ),
                msg(
                    2,
                    Author::Operator,
                    Some("Zoë O'Neil"),
                    "hello 😀",
                    3_599_999,
                ),
                msg(3, Author::System, None, "closed", 86_399_999),
            ],
            receipt,
            details: None,
            more: false,
        }
    }

    #[test]
    fn the_text_download_has_one_line_per_message_with_local_time_and_author() {
        let t = transcript(None);
        assert_eq!(
            transcript_text(&t.messages, |_| 0, EN),
            "[00:00] Visitor: hi \"there\" \\ <b>x</b>\n    second\n\
             [00:59] Zoë O'Neil: hello 😀\n\
             [23:59] System: closed\n"
        );
        // UTC+2 and UTC-1 wrap round midnight.
        let plus_two = transcript_text(&t.messages, |_| 120, EN);
        assert!(plus_two.starts_with("[02:00] Visitor"), "{plus_two}");
        assert!(plus_two.contains("[01:59] System"), "{plus_two}");
        let minus_one = transcript_text(&t.messages, |_| -60, EN);
        assert!(minus_one.starts_with("[23:00] Visitor"), "{minus_one}");
        let nameless = [msg(1, Author::Operator, None, "x", 60_000)];
        assert_eq!(
            transcript_text(&nameless, |_| 0, EN),
            "[00:01] Operator: x\n"
        );
        assert_eq!(transcript_text(&[], |_| 0, EN), "");
    }

    #[test]
    fn the_json_download_reads_back_as_the_protocols_messages_and_receipt() {
        for r in [
            None,
            Some(receipt(Some("https://example.com/p?a=\"1\""), None)),
            Some(receipt(None, Some(1_763_900_000_000))),
        ] {
            let t = transcript(r);
            let v: serde_json::Value =
                serde_json::from_str(&transcript_json(&t)).expect("valid JSON");
            let messages: Vec<ChatMessage> =
                serde_json::from_value(v["messages"].clone()).expect("messages");
            assert_eq!(messages, t.messages);
            let back: Option<ReceiptInfo> =
                serde_json::from_value(v["receipt"].clone()).expect("receipt");
            assert_eq!(back, t.receipt);
            assert_eq!(
                v.as_object().map(|o| o.len()),
                Some(2),
                "messages and receipt only"
            );
        }
        let empty = Transcript {
            conversation: None,
            messages: vec![],
            receipt: None,
            details: Some(Box::default()),
            more: false,
        };
        assert_eq!(transcript_json(&empty), r#"{"messages":[],"receipt":null}"#);
    }

    #[test]
    fn downloading_all_gives_every_transcript_under_its_id_in_order() {
        let mut older = transcript(None);
        older.conversation = Some(ConversationId(2));
        older.messages.truncate(1);
        let newer = transcript(Some(receipt(None, None)));
        let v: serde_json::Value =
            serde_json::from_str(&all_json(&[newer.clone(), older.clone()])).expect("json");
        let list = v["conversations"].as_array().expect("a list");
        assert_eq!(list.len(), 2);
        for (item, t) in list.iter().zip([&newer, &older]) {
            assert_eq!(item["id"], t.conversation.expect("id").0);
            let alone: serde_json::Value = serde_json::from_str(&transcript_json(t)).expect("json");
            assert_eq!(
                item["transcript"], alone,
                "as the single download writes it"
            );
        }
        assert_eq!(all_json(&[]), r#"{"conversations":[]}"#);
    }

    #[test]
    fn the_json_download_carries_the_stored_details_as_the_protocol_writes_them() {
        let details = VisitorDetails {
            name: Some("Zoë \"Z\"".into()),
            email: None,
            custom: vec![confide_protocol::details::FieldValue {
                key: "order".into(),
                label: "Order no.".into(),
                value: "A-77\n".into(),
            }],
            page: Some("https://shop.example/pricing".into()),
            referrer: Some("https://search.example/".into()),
            browser: Some("Firefox".into()),
            os: None,
        };
        let t = Transcript {
            details: Some(Box::new(details.clone())),
            ..transcript(None)
        };
        let v: serde_json::Value = serde_json::from_str(&transcript_json(&t)).expect("json");
        let back: VisitorDetails = serde_json::from_value(v["details"].clone()).expect("details");
        assert_eq!(back, details);
        assert_eq!(
            v["details"],
            serde_json::to_value(&details).expect("serde"),
            "the same fields as the protocol's form"
        );
    }

    #[test]
    fn only_https_policy_links_are_shown() {
        assert_eq!(
            safe_policy_url(&receipt(Some("https://example.com/p"), None)),
            Some("https://example.com/p")
        );
        for bad in [
            Some("javascript:alert(1)"),
            Some("http://example.com"),
            None,
        ] {
            assert_eq!(safe_policy_url(&receipt(bad, None)), None);
        }
    }
}
