//! The protocol's JSON forms, written and read with [`crate::json`] instead of serde (see
//! there why). Every value is still built through the protocol's own validating parsers
//! (`MessageText::parse`, `ClientMsgId::parse`, ...), and the tests below compare each frame
//! with what `serde_json` makes of the protocol types, so a change to the protocol that this
//! file misses fails a test.

use crate::json::{Json, ObjectWriter};
use crate::state::Outgoing;
use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConsentGiven, ConversationId, LeaveMessage, MessageText,
    OperatorInfo, ReceiptInfo, VisitorClient, VisitorConversation, VisitorServer, VisitorToken,
};
use confide_protocol::details::{FieldValue, PageContext, PrechatValues, VisitorDetails};
use confide_protocol::{ErrorBody, ErrorCode};

/// A frame the widget sends, as the server's `VisitorClient` expects it.
pub fn encode_client(frame: &VisitorClient) -> String {
    match frame {
        VisitorClient::Hello {
            widget,
            token,
            last_seq,
            consent,
            context,
            fields,
        } => {
            let mut w = ObjectWriter::new()
                .str("type", "hello")
                .str("widget", widget.as_str());
            if let Some(token) = token {
                w = w.str("token", token.as_str());
            }
            if let Some(seq) = last_seq {
                w = w.uint("last_seq", *seq);
            }
            if let Some(consent) = consent {
                w = w.raw("consent", &encode_consent(consent));
            }
            if let Some(context) = context {
                w = w.raw("context", &encode_context(context));
            }
            if let Some(fields) = fields {
                w = w.raw("fields", &encode_fields(fields));
            }
            w.finish()
        }
        VisitorClient::Send { id, text } => ObjectWriter::new()
            .str("type", "send")
            .str("id", id.as_str())
            .str("text", text.as_str())
            .finish(),
        VisitorClient::Typing { active } => ObjectWriter::new()
            .str("type", "typing")
            .bool("active", *active)
            .finish(),
        VisitorClient::Read { seq } => ObjectWriter::new()
            .str("type", "read")
            .uint("seq", *seq)
            .finish(),
        VisitorClient::Draft { text } => ObjectWriter::new()
            .str("type", "draft")
            .str("text", text.as_str())
            .finish(),
        VisitorClient::Conversations { before } => with_conversation(
            ObjectWriter::new().str("type", "conversations"),
            "before",
            *before,
        ),
        VisitorClient::Export { conversation } => with_conversation(
            ObjectWriter::new().str("type", "export"),
            "conversation",
            *conversation,
        ),
        VisitorClient::Delete { conversation } => with_conversation(
            ObjectWriter::new().str("type", "delete"),
            "conversation",
            *conversation,
        ),
        VisitorClient::Withdraw => ObjectWriter::new().str("type", "withdraw").finish(),
        VisitorClient::Ping => ObjectWriter::new().str("type", "ping").finish(),
    }
}

fn with_conversation(w: ObjectWriter, key: &str, c: Option<ConversationId>) -> String {
    match c {
        Some(c) => w.int(key, c.0),
        None => w,
    }
    .finish()
}

/// The body of `POST /api/widget/{key}/leave-message`.
pub fn encode_leave_message(msg: &LeaveMessage) -> String {
    let mut w = ObjectWriter::new();
    if let Some(email) = &msg.email {
        w = w.str("email", email);
    }
    if let Some(consent) = &msg.consent {
        w = w.raw("consent", &encode_consent(consent));
    }
    if let Some(fields) = &msg.fields {
        w = w.raw("fields", &encode_fields(fields));
    }
    if let Some(token) = &msg.token {
        w = w.str("token", token.as_str());
    }
    w.str("text", msg.text.as_str()).finish()
}

fn encode_context(c: &PageContext) -> String {
    let mut w = ObjectWriter::new();
    if let Some(page) = &c.page {
        w = w.str("page", page);
    }
    if let Some(referrer) = &c.referrer {
        w = w.str("referrer", referrer);
    }
    w.finish()
}

/// Pre-chat values, as `hello` carries them and as local storage keeps them.
pub fn encode_fields(f: &PrechatValues) -> String {
    let mut w = ObjectWriter::new();
    if let Some(name) = &f.name {
        w = w.str("name", name);
    }
    if let Some(email) = &f.email {
        w = w.str("email", email);
    }
    if !f.custom.is_empty() {
        let custom = f
            .custom
            .iter()
            .fold(ObjectWriter::new(), |w, (k, v)| w.str(k, v));
        w = w.raw("custom", &custom.finish());
    }
    w.finish()
}

/// Reads stored pre-chat values; `None` for anything that is not an object of strings.
pub fn decode_fields(text: &str) -> Option<PrechatValues> {
    let v = Json::parse(text).filter(|v| matches!(v, Json::Obj(_)))?;
    let string = |key| optional(&v, key, |x| x.as_str().map(str::to_owned));
    let mut custom = std::collections::BTreeMap::new();
    match v.get("custom") {
        None => {}
        Some(Json::Obj(pairs)) => {
            // Inserted one by one: collecting into a map pulls a sort into the bundle.
            for (k, x) in pairs {
                custom.insert(k.clone(), x.as_str()?.to_owned());
            }
        }
        Some(_) => return None,
    }
    Some(PrechatValues {
        name: string("name")?,
        email: string("email")?,
        custom,
    })
}

fn visitor_details(v: &Json) -> Option<VisitorDetails> {
    let string = |key| optional(v, key, |x| x.as_str().map(str::to_owned));
    let custom = match v.get("custom") {
        None | Some(Json::Null) => Vec::new(),
        Some(x) => x
            .as_array()?
            .iter()
            .map(|f| {
                Some(FieldValue {
                    key: f.get("key")?.as_str()?.to_owned(),
                    label: f.get("label")?.as_str()?.to_owned(),
                    value: f.get("value")?.as_str()?.to_owned(),
                })
            })
            .collect::<Option<_>>()?,
    };
    Some(VisitorDetails {
        name: string("name")?,
        email: string("email")?,
        custom,
        page: string("page")?,
        referrer: string("referrer")?,
        browser: string("browser")?,
        os: string("os")?,
    })
}

/// A frame from the server; `None` for anything the protocol's serde form would refuse.
pub fn decode_server(text: &str) -> Option<VisitorServer> {
    let v = Json::parse(text)?;
    let frame = match v.get("type")?.as_str()? {
        "welcome" => VisitorServer::Welcome {
            token: VisitorToken::parse(v.get("token")?.as_str()?).ok()?,
            conversation: conversation(&v)?,
            operators_online: v.get("operators_online")?.as_bool()?,
            operator: optional(&v, "operator", operator_info)?,
        },
        "message" => VisitorServer::Message {
            message: chat_message(v.get("message")?)?,
        },
        "ack" => VisitorServer::Ack {
            id: client_id(v.get("id")?)?,
            seq: v.get("seq")?.as_u64()?,
            at: v.get("at")?.as_i64()?,
        },
        "typing" => VisitorServer::Typing {
            active: v.get("active")?.as_bool()?,
        },
        "presence" => VisitorServer::Presence {
            operators_online: v.get("operators_online")?.as_bool()?,
        },
        "closed" => VisitorServer::Closed {
            conversation: ConversationId(v.get("conversation")?.as_i64()?),
        },
        "transcript" => VisitorServer::Transcript {
            conversation: conversation(&v)?,
            messages: v
                .get("messages")?
                .as_array()?
                .iter()
                .map(chat_message)
                .collect::<Option<_>>()?,
            receipt: optional(&v, "receipt", receipt_info)?,
            details: optional(&v, "details", |d| visitor_details(d).map(Box::new))?,
            more: optional(&v, "more", Json::as_bool)?.unwrap_or(false),
        },
        "conversations" => VisitorServer::Conversations {
            conversations: v
                .get("conversations")?
                .as_array()?
                .iter()
                .map(visitor_conversation)
                .collect::<Option<_>>()?,
            more: optional(&v, "more", Json::as_bool)?.unwrap_or(false),
        },
        "deleted" => VisitorServer::Deleted {
            conversation: conversation(&v)?,
        },
        "withdrawn" => VisitorServer::Withdrawn {
            at: v.get("at")?.as_i64()?,
            conversations_deleted: v.get("conversations_deleted")?.as_u64()?,
        },
        "pong" => VisitorServer::Pong,
        "error" => VisitorServer::Error {
            error: error_body(v.get("error")?)?,
        },
        _ => return None,
    };
    Some(frame)
}

/// The consent a visitor gave, as `hello` carries it and as local storage keeps it:
/// `{"language": ..., "version": ..., "text_sha256": ...}`.
pub fn encode_consent(consent: &ConsentGiven) -> String {
    ObjectWriter::new()
        .str("language", &consent.language)
        .uint("version", u64::from(consent.version))
        .str("text_sha256", &consent.text_sha256)
        .finish()
}

/// Reads a stored consent; `None` for anything that is not one (a hash must be 64 lower-case
/// hex digits), so a damaged entry only means the visitor is asked again.
pub fn decode_consent(text: &str) -> Option<ConsentGiven> {
    let v = Json::parse(text)?;
    let language = v.get("language")?.as_str()?;
    let hash = v.get("text_sha256")?.as_str()?;
    let lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    if language.is_empty() || hash.len() != 64 || !hash.chars().all(lower_hex) {
        return None;
    }
    Some(ConsentGiven {
        language: language.to_owned(),
        version: u32::try_from(v.get("version")?.as_u64()?).ok()?,
        text_sha256: hash.to_owned(),
    })
}

/// An HTTP error body `{code, message}`.
pub fn decode_error_body(text: &str) -> Option<ErrorBody> {
    error_body(&Json::parse(text)?)
}

/// The outbox as session storage keeps it: `[{"id": ..., "text": ...}]`.
pub fn encode_outbox(outbox: &[Outgoing]) -> String {
    let items: Vec<String> = outbox
        .iter()
        .map(|o| {
            ObjectWriter::new()
                .str("id", o.id.as_str())
                .str("text", o.text.as_str())
                .finish()
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// Reads a stored outbox; entries that do not parse or validate are dropped.
pub fn decode_outbox(text: &str) -> Vec<Outgoing> {
    let Some(Json::Arr(items)) = Json::parse(text) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            Some(Outgoing {
                id: client_id(item.get("id")?)?,
                text: MessageText::parse(item.get("text")?.as_str()?).ok()?,
            })
        })
        .collect()
}

/// A field that may be absent or null (`None`), else must read with `f` (`Some(Some(..))`);
/// the outer `None` means present but wrong, which refuses the frame as serde would.
fn optional<T>(v: &Json, key: &str, f: impl FnOnce(&Json) -> Option<T>) -> Option<Option<T>> {
    match v.get(key) {
        None | Some(Json::Null) => Some(None),
        Some(x) => f(x).map(Some),
    }
}

/// An optional `conversation` field.
fn visitor_conversation(v: &Json) -> Option<VisitorConversation> {
    Some(VisitorConversation {
        id: ConversationId(v.get("id")?.as_i64()?),
        open: v.get("open")?.as_bool()?,
        offline: v.get("offline")?.as_bool()?,
        started_at: v.get("started_at")?.as_i64()?,
        last_at: v.get("last_at")?.as_i64()?,
        messages: v.get("messages")?.as_u64()?,
    })
}

fn conversation(v: &Json) -> Option<Option<ConversationId>> {
    optional(v, "conversation", |c| c.as_i64().map(ConversationId))
}

fn receipt_info(v: &Json) -> Option<ReceiptInfo> {
    Some(ReceiptInfo {
        language: v.get("language")?.as_str()?.to_owned(),
        version: u32::try_from(v.get("version")?.as_u64()?).ok()?,
        text_sha256: v.get("text_sha256")?.as_str()?.to_owned(),
        policy_url: optional(v, "policy_url", |u| u.as_str().map(str::to_owned))?,
        at: v.get("at")?.as_i64()?,
        withdrawn_at: optional(v, "withdrawn_at", Json::as_i64)?,
    })
}

fn client_id(v: &Json) -> Option<ClientMsgId> {
    ClientMsgId::parse(v.as_str()?).ok()
}

fn operator_info(v: &Json) -> Option<OperatorInfo> {
    Some(OperatorInfo {
        name: v.get("name")?.as_str()?.to_owned(),
        initials: v.get("initials")?.as_str()?.to_owned(),
    })
}

fn chat_message(v: &Json) -> Option<ChatMessage> {
    Some(ChatMessage {
        seq: v.get("seq")?.as_u64()?,
        id: client_id(v.get("id")?)?,
        author: match v.get("author")?.as_str()? {
            "visitor" => Author::Visitor,
            "operator" => Author::Operator,
            "system" => Author::System,
            _ => return None,
        },
        author_name: optional(v, "author_name", |n| n.as_str().map(str::to_owned))?,
        text: MessageText::parse(v.get("text")?.as_str()?).ok()?,
        at: v.get("at")?.as_i64()?,
    })
}

fn error_body(v: &Json) -> Option<ErrorBody> {
    let code = v.get("code")?.as_str()?;
    Some(ErrorBody {
        code: *ErrorCode::ALL.iter().find(|c| c.as_str() == code)?,
        message: v.get("message")?.as_str()?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use confide_protocol::chat::DraftText;
    use confide_protocol::WidgetKey;

    fn id(s: &str) -> ClientMsgId {
        ClientMsgId::parse(s).expect("id")
    }

    fn text(s: &str) -> MessageText {
        MessageText::parse(s).expect("text")
    }

    fn token() -> VisitorToken {
        VisitorToken::parse(&"T".repeat(43)).expect("token")
    }

    fn consent() -> ConsentGiven {
        ConsentGiven {
            language: "de".into(),
            version: u32::MAX,
            text_sha256: "0123456789abcdef".repeat(4),
        }
    }

    fn values() -> PrechatValues {
        PrechatValues {
            name: Some("Zoë \"Z\" O'Neil".into()),
            email: None,
            custom: [
                ("order".to_owned(), "A-77 <b>".to_owned()),
                ("b".to_owned(), String::new()),
            ]
            .into(),
        }
    }

    fn details() -> VisitorDetails {
        VisitorDetails {
            name: Some("Zoë".into()),
            email: Some("z@example.com".into()),
            custom: vec![FieldValue {
                key: "order".into(),
                label: "Order \"no\"".into(),
                value: "A-77".into(),
            }],
            page: Some("https://shop.example/pricing".into()),
            referrer: None,
            browser: Some("Firefox".into()),
            os: Some("Linux".into()),
        }
    }

    /// One of every server frame, with awkward text.
    fn server_frames() -> Vec<VisitorServer> {
        let message = |author, author_name: Option<&str>| ChatMessage {
            seq: 7,
            id: id("0123456789abcdef0123456789abcdef"),
            author,
            author_name: author_name.map(str::to_owned),
            text: text("<b>hi</b> \"quoted\" \\ new\nline é 😀"),
            at: 1_763_800_000_123,
        };
        let mut frames = vec![
            VisitorServer::Welcome {
                token: token(),
                conversation: None,
                operators_online: false,
                operator: None,
            },
            VisitorServer::Welcome {
                token: token(),
                conversation: Some(ConversationId(12)),
                operators_online: true,
                operator: Some(OperatorInfo {
                    name: "Zoë O'Neil".into(),
                    initials: "ZO".into(),
                }),
            },
            VisitorServer::Message {
                message: message(Author::Operator, Some("Ada Lovelace")),
            },
            VisitorServer::Message {
                message: message(Author::Visitor, None),
            },
            VisitorServer::Message {
                message: message(Author::System, None),
            },
            VisitorServer::Ack {
                id: id("abcdefgh"),
                seq: 3,
                at: -1,
            },
            VisitorServer::Typing { active: true },
            VisitorServer::Typing { active: false },
            VisitorServer::Presence {
                operators_online: true,
            },
            VisitorServer::Closed {
                conversation: ConversationId(12),
            },
            VisitorServer::Pong,
            VisitorServer::Transcript {
                conversation: None,
                messages: vec![],
                receipt: None,
                details: None,
                more: false,
            },
            VisitorServer::Transcript {
                conversation: Some(ConversationId(3)),
                messages: vec![],
                receipt: None,
                details: Some(Box::new(details())),
                more: true,
            },
            VisitorServer::Transcript {
                conversation: Some(ConversationId(12)),
                messages: vec![
                    message(Author::Visitor, None),
                    message(Author::Operator, Some("Ada Lovelace")),
                ],
                receipt: Some(ReceiptInfo {
                    language: "de".into(),
                    version: 2,
                    text_sha256: "ab".repeat(32),
                    policy_url: Some("https://example.com/p".into()),
                    at: 1_763_800_000_000,
                    withdrawn_at: None,
                }),
                details: None,
                more: false,
            },
            VisitorServer::Transcript {
                conversation: None,
                messages: vec![],
                receipt: Some(ReceiptInfo {
                    language: "en".into(),
                    version: 0,
                    text_sha256: "cd".repeat(32),
                    policy_url: None,
                    at: 5,
                    withdrawn_at: Some(6),
                }),
                details: Some(Box::default()),
                more: false,
            },
            VisitorServer::Conversations {
                conversations: vec![],
                more: false,
            },
            VisitorServer::Conversations {
                conversations: vec![
                    VisitorConversation {
                        id: ConversationId(9),
                        open: true,
                        offline: false,
                        started_at: 1_763_800_000_000,
                        last_at: 1_763_800_060_000,
                        messages: 4,
                    },
                    VisitorConversation {
                        id: ConversationId(2),
                        open: false,
                        offline: true,
                        started_at: 1,
                        last_at: 2,
                        messages: 1,
                    },
                ],
                more: true,
            },
            VisitorServer::Deleted { conversation: None },
            VisitorServer::Deleted {
                conversation: Some(ConversationId(12)),
            },
            VisitorServer::Withdrawn {
                at: 1_763_800_000_000,
                conversations_deleted: 3,
            },
        ];
        for code in ErrorCode::ALL {
            frames.push(VisitorServer::Error {
                error: ErrorBody::new(code, "a message"),
            });
        }
        frames
    }

    #[test]
    fn every_server_frame_reads_as_the_protocol_wrote_it() {
        for frame in server_frames() {
            let json = serde_json::to_string(&frame).expect("serialize");
            assert_eq!(decode_server(&json).as_ref(), Some(&frame), "{json}");
        }
    }

    #[test]
    fn server_frames_with_extra_fields_or_nulls_read_like_serde_reads_them() {
        for json in [
            r#"{"type":"typing","active":true,"extra":[1,{"x":null}]}"#,
            r#"{"type":"welcome","token":"TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT","conversation":null,"operators_online":true,"operator":null}"#,
            r#"{"type":"welcome","token":"TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT","operators_online":true}"#,
            r#"{"type":"message","message":{"seq":1,"id":"abcdefgh","author":"visitor","author_name":null,"text":"x","at":5}}"#,
        ] {
            let ours = decode_server(json);
            let theirs: VisitorServer = serde_json::from_str(json).expect("serde reads it");
            assert_eq!(ours, Some(theirs), "{json}");
        }
    }

    #[test]
    fn frames_the_protocol_refuses_are_refused() {
        for json in [
            r#"{"type":"shout"}"#,
            r#"{"active":true}"#,
            r#"{"type":"typing"}"#,
            r#"{"type":"typing","active":"yes"}"#,
            r#"{"type":"ack","id":"short","seq":1,"at":1}"#,
            r#"{"type":"ack","id":"abcdefgh","seq":-1,"at":1}"#,
            r#"{"type":"message","message":{"seq":1,"id":"abcdefgh","author":"visitor","text":"   ","at":5}}"#,
            r#"{"type":"message","message":{"seq":1,"id":"abcdefgh","author":"robot","text":"x","at":5}}"#,
            r#"{"type":"welcome","token":"short","operators_online":true}"#,
            r#"{"type":"error","error":{"code":"no_such_code","message":"m"}}"#,
            r#"{"type":"closed","conversation":"12"}"#,
            "not json",
        ] {
            assert!(
                serde_json::from_str::<VisitorServer>(json).is_err(),
                "serde takes {json}"
            );
            assert_eq!(decode_server(json), None, "{json}");
        }
    }

    #[test]
    fn every_client_frame_is_read_back_by_the_protocol() {
        let frames = [
            VisitorClient::Hello {
                widget: WidgetKey::parse("demo").expect("key"),
                token: None,
                last_seq: None,
                consent: None,
                context: None,
                fields: None,
            },
            VisitorClient::Hello {
                widget: WidgetKey::parse("demo-2_x").expect("key"),
                token: Some(token()),
                last_seq: Some(41),
                consent: None,
                context: Some(PageContext {
                    page: Some("https://shop.example/a\"b".into()),
                    referrer: None,
                }),
                fields: Some(PrechatValues::default()),
            },
            VisitorClient::Hello {
                widget: WidgetKey::parse("demo").expect("key"),
                token: Some(token()),
                last_seq: None,
                consent: Some(consent()),
                context: Some(PageContext {
                    page: None,
                    referrer: Some("https://search.example/".into()),
                }),
                fields: Some(values()),
            },
            VisitorClient::Send {
                id: id("0123456789abcdef0123456789abcdef"),
                text: text("line\nbreak \"q\" \\ \u{1} </script> é 😀"),
            },
            VisitorClient::Typing { active: true },
            VisitorClient::Typing { active: false },
            VisitorClient::Read { seq: 9 },
            VisitorClient::Draft {
                text: DraftText::parse("").expect("draft"),
            },
            VisitorClient::Draft {
                text: DraftText::parse("half a \"thought\"\n").expect("draft"),
            },
            VisitorClient::Conversations { before: None },
            VisitorClient::Conversations {
                before: Some(ConversationId(40)),
            },
            VisitorClient::Export { conversation: None },
            VisitorClient::Export {
                conversation: Some(ConversationId(7)),
            },
            VisitorClient::Delete { conversation: None },
            VisitorClient::Delete {
                conversation: Some(ConversationId(i64::MAX)),
            },
            VisitorClient::Withdraw,
            VisitorClient::Ping,
        ];
        for frame in frames {
            let json = encode_client(&frame);
            let back: VisitorClient = serde_json::from_str(&json).expect("the server reads it");
            assert_eq!(back, frame, "{json}");
        }
    }

    #[test]
    fn a_typing_frame_is_a_bare_boolean() {
        assert_eq!(
            encode_client(&VisitorClient::Typing { active: true }),
            r#"{"type":"typing","active":true}"#
        );
    }

    #[test]
    fn leave_message_bodies_are_read_by_the_protocol() {
        for (email, consent, fields, token) in [
            (None, None, None, None),
            (
                Some("v@example.com".to_owned()),
                Some(consent()),
                Some(values()),
                Some(token()),
            ),
        ] {
            let msg = LeaveMessage {
                email,
                text: text("please call \"me\"\nback"),
                consent,
                fields,
                token,
            };
            let back: LeaveMessage =
                serde_json::from_str(&encode_leave_message(&msg)).expect("valid");
            assert_eq!(back, msg);
        }
    }

    #[test]
    fn stored_fields_survive_a_round_trip_and_damaged_ones_are_ignored() {
        for v in [values(), PrechatValues::default()] {
            let json = encode_fields(&v);
            assert_eq!(decode_fields(&json), Some(v.clone()), "{json}");
            let theirs: PrechatValues = serde_json::from_str(&json).expect("serde reads it");
            assert_eq!(theirs, v);
        }
        for bad in [
            r#"{"name":1}"#,
            r#"{"custom":{"a":1}}"#,
            r#"{"custom":[]}"#,
            "[]",
            "x",
        ] {
            assert_eq!(decode_fields(bad), None, "{bad}");
        }
    }

    #[test]
    fn error_bodies_read_as_written() {
        let body = ErrorBody::new(ErrorCode::TooLarge, "too \"big\"");
        let json = serde_json::to_string(&body).expect("serialize");
        assert_eq!(decode_error_body(&json), Some(body));
        assert_eq!(decode_error_body("<html>"), None);
    }

    #[test]
    fn the_outbox_survives_a_round_trip_and_bad_entries_are_dropped() {
        let out = vec![
            Outgoing {
                id: id("0123456789abcdef"),
                text: text("hello <b>there</b>\n\"x\""),
            },
            Outgoing {
                id: id("abcdefgh"),
                text: text("second"),
            },
        ];
        assert_eq!(decode_outbox(&encode_outbox(&out)), out);
        assert_eq!(decode_outbox(&encode_outbox(&[])), vec![]);
        assert_eq!(decode_outbox("not json"), vec![]);
        assert_eq!(decode_outbox("{}"), vec![]);
        let mixed = r#"[{"id":"short","text":"x"},{"id":"abcdefgh","text":"  "},7,{"id":"abcdefgh","text":"ok"}]"#;
        let kept = decode_outbox(mixed);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].text.as_str(), "ok");
    }

    #[test]
    fn a_consent_survives_storage_and_reads_as_the_protocol_writes_it() {
        let given = consent();
        assert_eq!(decode_consent(&encode_consent(&given)), Some(given.clone()));
        let theirs = serde_json::to_string(&given).expect("serialize");
        assert_eq!(decode_consent(&theirs), Some(given.clone()));
        let back: ConsentGiven =
            serde_json::from_str(&encode_consent(&given)).expect("the server reads it");
        assert_eq!(back, given);
    }

    #[test]
    fn a_damaged_stored_consent_is_ignored() {
        let hash = "a".repeat(64);
        for bad in [
            "not json".to_owned(),
            "{}".to_owned(),
            format!(r#"{{"language":"","version":1,"text_sha256":"{hash}"}}"#),
            format!(r#"{{"language":"en","version":-1,"text_sha256":"{hash}"}}"#),
            format!(r#"{{"language":"en","version":4294967296,"text_sha256":"{hash}"}}"#),
            format!(r#"{{"language":"en","version":"1","text_sha256":"{hash}"}}"#),
            r#"{"language":"en","version":1,"text_sha256":"abc"}"#.to_owned(),
            format!(
                r#"{{"language":"en","version":1,"text_sha256":"{}"}}"#,
                "A".repeat(64)
            ),
            format!(
                r#"{{"language":"en","version":1,"text_sha256":"{}"}}"#,
                "g".repeat(64)
            ),
        ] {
            assert_eq!(decode_consent(&bad), None, "{bad}");
        }
        assert!(decode_consent(&format!(
            r#"{{"language":"en","version":1,"text_sha256":"{hash}"}}"#
        ))
        .is_some());
    }
}
