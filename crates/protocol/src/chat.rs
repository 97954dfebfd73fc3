//! The chat protocol: validated values and the JSON frames of `/ws/visitor` and `/ws/operator`.
//!
//! Every frame is a JSON object with a `type` field. Delivery rules, enforced by the server:
//! - every message carries a client-generated [`ClientMsgId`], unique per conversation; a
//!   resend of the same id is answered with the original [`Ack`](VisitorServer::Ack) and stores
//!   nothing new;
//! - every stored message gets the conversation's next sequence number (strictly increasing,
//!   from 1); a message is stored before it is acknowledged;
//! - after a reconnect a client says the last sequence it saw and receives everything after it.

use crate::details::{PageContext, PrechatValues, VisitorDetails};
use crate::{ErrorBody, WidgetKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest message, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 4000;
/// Largest WebSocket frame the server accepts, in bytes. A maximal message in a `send` frame,
/// even one made of 4-byte characters or escapes, fits.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// The server pings idle sockets this often, in seconds, and drops ones silent for 3 times as long.
pub const HEARTBEAT_SECS: u64 = 20;
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 80;

/// WebSocket close codes the server uses (4000-4999 are for applications).
pub mod close {
    /// The first frame was not a valid `hello`, or a frame could not be parsed at all.
    pub const PROTOCOL: u16 = 4400;
    /// The visitor token or the operator session is wrong or expired.
    pub const UNAUTHORIZED: u16 = 4401;
    /// A frame larger than [`super::MAX_FRAME_BYTES`].
    pub const TOO_LARGE: u16 = 4413;
    /// No such widget.
    pub const WIDGET_NOT_FOUND: u16 = 4404;
    /// The widget requires consent; the hello carried none, or an outdated one.
    pub const CONSENT_REQUIRED: u16 = 4451;
    /// The hello's pre-chat fields do not satisfy the widget's settings (a required one is
    /// missing, say, after the settings changed): ask the visitor again.
    pub const FIELDS_INVALID: u16 = 4422;
    /// Too many of something at once (hellos from this client or for this widget, or this
    /// visitor's open sockets): reconnect later, as for 1013.
    pub const RATE_LIMITED: u16 = 4429;
}

/// Message text: 1 to [`MAX_TEXT_CHARS`] characters, not only white space. Its `Debug` never
/// shows the text, so it can sit in structs that get logged.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MessageText(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong {
        max: usize,
    },
    /// An invisible format character (see [`crate::text`]), named as `U+XXXX`.
    Hidden(String),
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Empty => f.write_str("a message needs some text"),
            TextError::TooLong { max } => write!(f, "a message has at most {max} characters"),
            TextError::Hidden(c) => {
                write!(f, "a message {}", crate::text::hidden_format_problem(c))
            }
        }
    }
}

impl std::error::Error for TextError {}

/// At most [`MAX_TEXT_CHARS`] characters and no invisible format characters: the rules
/// messages and drafts share.
fn check_length(s: &str) -> Result<(), TextError> {
    if s.chars().count() > MAX_TEXT_CHARS {
        return Err(TextError::TooLong {
            max: MAX_TEXT_CHARS,
        });
    }
    if let Some(found) = crate::text::hidden_format(s) {
        return Err(TextError::Hidden(found));
    }
    Ok(())
}

impl MessageText {
    pub fn parse(s: &str) -> Result<Self, TextError> {
        if s.trim().is_empty() {
            return Err(TextError::Empty);
        }
        check_length(s)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MessageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageText({} chars)", self.0.chars().count())
    }
}

impl<'de> Deserialize<'de> for MessageText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        MessageText::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A client-generated message id: 8 to 64 ASCII letters, digits, `-` or `_` (a UUID fits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ClientMsgId(String);

impl ClientMsgId {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let ok_len = (8..=64).contains(&s.len());
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok_len && ok_chars {
            Ok(Self(s.to_owned()))
        } else {
            Err("a message id has 8 to 64 ASCII letters, digits, '-' or '_'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ClientMsgId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClientMsgId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The visitor's bearer token: proves a browser owns its conversation. Sent only inside the
/// first WebSocket frame, never in a URL. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct VisitorToken(String);

impl VisitorToken {
    /// Tokens are 43 characters of unpadded base64url (32 random bytes).
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let ok = s.len() == 43
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("not a visitor token")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VisitorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VisitorToken(***)")
    }
}

impl<'de> Deserialize<'de> for VisitorToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        VisitorToken::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A conversation's id, as operators see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConversationId(pub i64);

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Visitor,
    Operator,
    System,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Position in the conversation, from 1, strictly increasing.
    pub seq: u64,
    /// The id its sender generated.
    pub id: ClientMsgId,
    pub author: Author,
    /// The operator's display name for operator messages; `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    pub text: MessageText,
    /// Server time it was stored, unix milliseconds.
    pub at: i64,
}

/// What the widget shows about the operator answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub name: String,
    /// Initials for the avatar (no image is fetched).
    pub initials: String,
}

/// Frames the widget sends on `/ws/visitor`. The first must be `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum VisitorClient {
    /// Opens the session. Without a token the server issues one (a new visitor); with one it
    /// resumes that visitor's conversation and replays every message after `last_seq`.
    Hello {
        widget: WidgetKey,
        #[serde(default)]
        token: Option<VisitorToken>,
        #[serde(default)]
        last_seq: Option<u64>,
        /// Required when the widget requires consent: what the visitor agreed to.
        #[serde(default)]
        consent: Option<ConsentGiven>,
        /// Standard mode only: the host page and its referrer. Refused in privacy mode.
        #[serde(default)]
        context: Option<PageContext>,
        /// The pre-chat fields the visitor filled in, checked against the widget's settings
        /// and stored with the conversation the visitor starts.
        #[serde(default)]
        fields: Option<PrechatValues>,
    },
    Send {
        id: ClientMsgId,
        text: MessageText,
    },
    /// A bare on/off: the draft itself never leaves the browser.
    Typing {
        active: bool,
    },
    /// The visitor has seen everything up to `seq`.
    Read {
        seq: u64,
    },
    /// The unsent draft, for operators' live preview: only when the widget's `live_preview` is
    /// on (never in privacy mode). An empty text clears it. Forwarded, never stored or logged.
    Draft {
        text: DraftText,
    },
    /// Every conversation stored under this visitor's token (open, closed, left messages),
    /// newest first, a page at a time: those older than `before` when given. Answered with
    /// `conversations`.
    Conversations {
        #[serde(default)]
        before: Option<ConversationId>,
    },
    /// What is stored about one of this visitor's conversations (the current one when
    /// `conversation` is absent): answered with `transcript`.
    Export {
        #[serde(default)]
        conversation: Option<ConversationId>,
    },
    /// Delete one of this visitor's conversations (the current one when `conversation` is
    /// absent) and its messages; the consent receipt is kept.
    Delete {
        #[serde(default)]
        conversation: Option<ConversationId>,
    },
    /// Withdraw consent: every conversation of this visitor is deleted and each receipt
    /// records the withdrawal time. Answered with `withdrawn`; the socket then closes.
    Withdraw,
    Ping,
}

/// An unsent draft: like [`MessageText`] but may be empty. Its `Debug` hides the text.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DraftText(String);

impl DraftText {
    pub fn parse(s: &str) -> Result<Self, TextError> {
        check_length(s)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DraftText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DraftText({} chars)", self.0.chars().count())
    }
}

impl<'de> Deserialize<'de> for DraftText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DraftText::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The disclaimer a visitor ticked: its language, the consent version, and the SHA-256 (64
/// lower-case hex digits) of `Disclaimer::shown_text()` exactly as displayed. The server
/// checks both against the widget's current settings before it accepts the visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentGiven {
    pub language: String,
    pub version: u32,
    pub text_sha256: String,
}

/// A consent receipt as operators see it on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptInfo {
    pub language: String,
    pub version: u32,
    pub text_sha256: String,
    pub policy_url: Option<String>,
    /// Server time the visitor started, unix milliseconds.
    pub at: i64,
    pub withdrawn_at: Option<i64>,
}

/// `GET /api/widget/{key}/config`: everything the widget needs before the visitor starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetConfig {
    pub settings: crate::settings::WidgetSettings,
}

/// Frames the server sends on `/ws/visitor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorServer {
    /// Answer to `hello`. Keep `token` (in the iframe's storage) to resume later.
    Welcome {
        token: VisitorToken,
        /// `None` until the visitor's first message starts a conversation.
        conversation: Option<ConversationId>,
        operators_online: bool,
        operator: Option<OperatorInfo>,
    },
    /// A stored message: replayed after `hello`, or live.
    Message {
        message: ChatMessage,
    },
    /// The visitor's message `id` is stored as `seq`.
    Ack {
        id: ClientMsgId,
        seq: u64,
        at: i64,
    },
    Typing {
        active: bool,
    },
    Presence {
        operators_online: bool,
    },
    /// An operator ended the conversation; the next message starts a new one.
    Closed {
        conversation: ConversationId,
    },
    /// Everything stored about the current conversation (before a first message: no
    /// conversation and no messages, but the receipt of the consent given). A long one comes
    /// in parts of at most a few hundred messages: every part but the last has `more`; the
    /// receipt and details come with the first.
    Transcript {
        conversation: Option<ConversationId>,
        messages: Vec<ChatMessage>,
        receipt: Option<ReceiptInfo>,
        /// Pre-chat fields and (standard mode) page context stored with the conversation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<Box<VisitorDetails>>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// A page of the visitor's conversations, newest first; `more` when older ones remain
    /// (ask again with `before` = the last id).
    Conversations {
        conversations: Vec<VisitorConversation>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// The conversation and its messages are deleted.
    Deleted {
        conversation: Option<ConversationId>,
    },
    /// Consent withdrawn at `at` (server time, unix ms); the visitor's conversations are
    /// deleted. The socket closes after this frame.
    Withdrawn {
        at: i64,
        conversations_deleted: u64,
    },
    Pong,
    Error {
        error: ErrorBody,
    },
}

/// Conversations in one `conversations` page.
pub const VISITOR_CONVERSATIONS_PAGE: u32 = 50;

/// One of a visitor's conversations, as their privacy panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorConversation {
    pub id: ConversationId,
    /// Not yet closed by an operator.
    pub open: bool,
    /// Left with the leave-a-message form.
    pub offline: bool,
    /// Server time, unix ms.
    pub started_at: i64,
    pub last_at: i64,
    pub messages: u64,
}

/// A conversation as the console's inbox lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: ConversationId,
    pub widget: WidgetKey,
    pub open: bool,
    /// Highest sequence number so far.
    pub last_seq: u64,
    /// Visitor messages the operators have not marked read.
    pub unread: u64,
    /// Server time of the last message, unix milliseconds.
    pub last_at: i64,
    /// True when it came from the leave-a-message form.
    pub offline: bool,
}

/// Frames the console sends on `/ws/operator` (authenticated by the session cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperatorClient {
    /// Watch a conversation: the server replays messages after `last_seq`, then sends live ones.
    Open {
        conversation: ConversationId,
        #[serde(default)]
        last_seq: Option<u64>,
    },
    Send {
        conversation: ConversationId,
        id: ClientMsgId,
        text: MessageText,
    },
    Typing {
        conversation: ConversationId,
        active: bool,
    },
    Read {
        conversation: ConversationId,
        seq: u64,
    },
    Close {
        conversation: ConversationId,
    },
    /// Stop watching a conversation (its view was closed): no more of its messages, typing
    /// or drafts on this socket; its summary still comes with the inbox.
    Unwatch {
        conversation: ConversationId,
    },
    /// The next page of the inbox, older than `before` (from `inbox_more` or an
    /// `inbox_page`'s `more`).
    InboxPage {
        before: InboxCursor,
    },
    Ping,
}

/// Where a page of the inbox ends: the last conversation's activity time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxCursor {
    pub last_at: i64,
    pub id: ConversationId,
}

/// Conversations an inbox page holds at most.
pub const INBOX_PAGE: u32 = 100;

/// Frames the server sends on `/ws/operator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperatorServer {
    Hello {
        operator: OperatorInfo,
    },
    /// The open conversations with the latest activity (at most [`INBOX_PAGE`]), sent on
    /// connect.
    Inbox {
        conversations: Vec<ConversationSummary>,
    },
    /// Sent after `inbox` when more open conversations are older than its last one: ask for
    /// them with `inbox_page`.
    InboxMore {
        before: InboxCursor,
    },
    /// An older page of open conversations; `more` when there are older ones still.
    InboxPage {
        conversations: Vec<ConversationSummary>,
        more: Option<InboxCursor>,
    },
    /// A conversation appeared or changed (new message, unread count, closed).
    Conversation {
        conversation: ConversationSummary,
    },
    Message {
        conversation: ConversationId,
        message: ChatMessage,
    },
    /// The consent receipt the conversation was started under, sent on `open`.
    Receipt {
        conversation: ConversationId,
        receipt: ReceiptInfo,
    },
    /// What the visitor filled in and (standard mode) where they came from, sent on `open`
    /// when anything is stored.
    Details {
        conversation: ConversationId,
        details: VisitorDetails,
    },
    /// The visitor's unsent draft (live preview; empty when cleared or sent).
    Draft {
        conversation: ConversationId,
        text: DraftText,
    },
    Ack {
        conversation: ConversationId,
        id: ClientMsgId,
        seq: u64,
        at: i64,
    },
    Typing {
        conversation: ConversationId,
        active: bool,
    },
    Pong,
    Error {
        error: ErrorBody,
    },
}

/// `POST /api/operator/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The second factor, when the operator has one: six digits from their authenticator
    /// app, or one of their recovery codes. Without it such an operator gets 401
    /// `second_factor_required` (only once the password is right).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginRequest { email: ***, password: *** }")
    }
}

/// `GET /api/operator/me` and the login answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorMe {
    pub id: i64,
    /// The real name (the console only).
    pub name: String,
    /// What visitors see.
    #[serde(default)]
    pub alias: String,
    pub role: String,
    /// What the role may do: the console shows only that (the server checks it anyway).
    #[serde(default)]
    pub permissions: crate::roles::Permissions,
    /// An authenticator app is enrolled.
    #[serde(default)]
    pub totp: bool,
    /// Passkeys registered.
    #[serde(default)]
    pub passkeys: u32,
    /// The role requires a second factor and this operator has none: the console shows
    /// only the enrolment, and the server refuses everything else (403
    /// `enrolment_required`).
    #[serde(default)]
    pub must_enrol: bool,
}

/// The answer to a left message (201): the conversation it started, and the visitor's token
/// (the one sent, or a new one when none was), which reaches it later from the privacy panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftMessage {
    pub conversation: ConversationId,
    pub token: VisitorToken,
}

/// `POST /api/widget/{key}/leave-message`: when no operator is online.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveMessage {
    /// Optional: where the site may answer.
    #[serde(default)]
    pub email: Option<String>,
    pub text: MessageText,
    /// Required when the widget requires consent, as in `hello`.
    #[serde(default)]
    pub consent: Option<ConsentGiven>,
    /// Pre-chat fields, as in `hello`.
    #[serde(default)]
    pub fields: Option<PrechatValues>,
    /// The visitor's token, when the widget has one: the conversation then belongs to that
    /// visitor (their export, delete and withdrawal reach it).
    #[serde(default)]
    pub token: Option<VisitorToken>,
}

impl fmt::Debug for LeaveMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaveMessage")
            .field("email", &self.email.as_ref().map(|_| "***"))
            .field("text", &self.text)
            .field("consent", &self.consent)
            .field("fields", &self.fields)
            .field("token", &self.token)
            .finish()
    }
}

/// The alias an operator gets when none is given: the first word of their name. Visitors see
/// the alias, never the name.
pub fn default_alias(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Initials for an avatar: the first letter of the first two words, upper-cased.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_must_have_content_and_respect_the_limit() {
        assert_eq!(MessageText::parse("   \n"), Err(TextError::Empty));
        assert!(MessageText::parse(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
        assert_eq!(
            MessageText::parse(&"é".repeat(MAX_TEXT_CHARS + 1)),
            Err(TextError::TooLong {
                max: MAX_TEXT_CHARS
            })
        );
    }

    #[test]
    fn debug_never_shows_text_tokens_or_credentials() {
        let text = MessageText::parse("my secret problem").expect("text");
        assert!(!format!("{text:?}").contains("secret"));
        let token = VisitorToken::parse(&"a".repeat(43)).expect("token");
        assert!(!format!("{token:?}").contains("aaaa"));
        let login = LoginRequest {
            email: "op@example.com".into(),
            password: "hunter2".into(),
            code: Some("123456".into()),
        };
        let shown = format!("{login:?}");
        assert!(
            !shown.contains("example") && !shown.contains("hunter2") && !shown.contains("123456"),
            "{shown}"
        );
        let leave = LeaveMessage {
            email: Some("v@example.com".into()),
            text: text.clone(),
            consent: None,
            fields: None,
            token: None,
        };
        let draft = DraftText::parse("my secret draft").expect("draft");
        assert!(!format!("{:?}", VisitorClient::Draft { text: draft }).contains("secret"));
        assert!(!format!("{leave:?}").contains("example"));
    }

    #[test]
    fn frames_have_a_type_tag_and_refuse_unknown_types_and_fields() {
        let hello: VisitorClient =
            serde_json::from_str(r#"{"type":"hello","widget":"demo"}"#).expect("hello");
        assert_eq!(
            hello,
            VisitorClient::Hello {
                widget: WidgetKey::parse("demo").expect("key"),
                token: None,
                last_seq: None,
                consent: None,
                context: None,
                fields: None,
            }
        );
        assert!(serde_json::from_str::<VisitorClient>(r#"{"type":"shout"}"#).is_err());
        assert!(serde_json::from_str::<VisitorClient>(
            r#"{"type":"typing","active":true,"draft":"hello"}"#
        )
        .is_err());
        assert!(serde_json::from_str::<VisitorClient>(
            r#"{"type":"send","id":"abcdefgh","text":"   "}"#
        )
        .is_err());
        let ack = serde_json::to_value(VisitorServer::Ack {
            id: ClientMsgId::parse("abcdefgh").expect("id"),
            seq: 3,
            at: 1,
        })
        .expect("ack");
        assert_eq!(ack["type"], "ack");
        assert_eq!(ack["seq"], 3);
    }

    #[test]
    fn client_ids_are_bounded_and_plain() {
        assert!(ClientMsgId::parse("0b6f1d8e-1c2a-4f5e-9a7b-1234567890ab").is_ok());
        assert!(ClientMsgId::parse("short").is_err());
        assert!(ClientMsgId::parse(&"x".repeat(65)).is_err());
        assert!(ClientMsgId::parse("has space!").is_err());
    }

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("ada lovelace byron"), "AL");
        assert_eq!(initials("Zoë"), "Z");
        assert_eq!(initials(""), "");
    }
}
