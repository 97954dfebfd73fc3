//! The operators' history (issue 14): every conversation, open, closed or left while nobody
//! was online, newest first and a page at a time, filtered by widget, status and dates, and
//! searched by exact email, by a word of the name (case and accents aside) or by id. The
//! server searches through blind indexes, without opening the stored values.

use crate::chat::{ChatMessage, ConversationId, ReceiptInfo};
use crate::details::VisitorDetails;
use crate::WidgetKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Conversations in one page.
pub const HISTORY_PAGE: u32 = 50;
/// The longest email or name searched for, in characters.
pub const MAX_SEARCH_CHARS: usize = 254;
/// The most conversation ids one selection may name (a bigger one is "all that match").
pub const MAX_SELECTED: usize = 500;
/// The most conversations "find a person" lists on its screen (every one is still exported
/// and erased: those act on the filter, not on the list).
pub const PERSON_LIST: u32 = 200;
/// Audit entries in one page.
pub const AUDIT_PAGE: u32 = 100;

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// A chat not yet closed by an operator.
    Open,
    /// A chat an operator closed.
    Closed,
    /// A message left while no operator was online.
    Left,
}

impl ConversationStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            "left" => Some(Self::Left),
            _ => None,
        }
    }
}

/// One row of a history page. `name` and `email` are what the visitor typed into the
/// pre-chat form, if anything.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: ConversationId,
    pub widget: WidgetKey,
    pub status: ConversationStatus,
    /// Server time, unix ms.
    pub started_at: i64,
    pub last_at: i64,
    pub messages: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Restricted (Art. 18): kept through the purge, no replies, hidden from agents.
    #[serde(default)]
    pub restricted: bool,
}

impl fmt::Debug for HistoryRow {
    /// Names and emails are personal data: never in a debug line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryRow")
            .field("id", &self.id)
            .field("widget", &self.widget)
            .field("status", &self.status)
            .field("messages", &self.messages)
            .field("restricted", &self.restricted)
            .field("name", &self.name.as_ref().map(|_| "…"))
            .field("email", &self.email.as_ref().map(|_| "…"))
            .finish()
    }
}

/// `GET /api/admin/conversations`: a page, newest first; `more` when older ones match
/// (ask again with `before` = the last id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub conversations: Vec<HistoryRow>,
    pub more: bool,
    /// How many conversations match in all (every page), for "all N that match".
    #[serde(default)]
    pub total: u64,
}

/// What a selection "all that match" matches: the history's filters, without paging. Travels
/// as the query string of `GET /api/admin/conversations` and `GET /api/admin/export`
/// ([`HistoryFilter::to_query`]) and as JSON in erase and restrict requests.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget: Option<WidgetKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConversationStatus>,
    /// Started at or after (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// Started at or before (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<ConversationId>,
}

impl fmt::Debug for HistoryFilter {
    /// The email and name searched for are personal data: never in a debug line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryFilter")
            .field("widget", &self.widget)
            .field("status", &self.status)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("email", &self.email.as_ref().map(|_| "…"))
            .field("name", &self.name.as_ref().map(|_| "…"))
            .field("conversation", &self.conversation)
            .finish()
    }
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Left => "left",
        }
    }
}

impl HistoryFilter {
    /// The filter as query-string pairs (names as `GET /api/admin/conversations` reads them),
    /// percent-encoded, joined with `&`; empty when nothing is filtered.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(w) = &self.widget {
            pairs.push(("widget", w.as_str().to_owned()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().to_owned()));
        }
        if let Some(v) = self.from {
            pairs.push(("from", v.to_string()));
        }
        if let Some(v) = self.to {
            pairs.push(("to", v.to_string()));
        }
        if let Some(v) = &self.email {
            pairs.push(("email", v.clone()));
        }
        if let Some(v) = &self.name {
            pairs.push(("name", v.clone()));
        }
        if let Some(v) = self.conversation {
            pairs.push(("conversation", v.0.to_string()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Which conversations an export, an erasure or a restriction acts on: the ids picked (at most
/// [`MAX_SELECTED`]), or every conversation the filter matches. Exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Selection {
    Ids(Vec<ConversationId>),
    Matching(HistoryFilter),
}

/// `POST /api/admin/conversations/erase`. `expect` is the count the operator confirmed: when
/// the selection now holds a different number, nothing is erased (409 `conflict`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    pub selection: Selection,
    pub expect: u64,
}

/// `POST /api/admin/conversations/restrict`: restrict (`true`) or lift (`false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictRequest {
    pub selection: Selection,
    pub restricted: bool,
}

/// What an erasure or a restriction did: `done` conversations; the ids named that do not exist
/// (`missing`); those left as they were because they are restricted (an erasure leaves a
/// restricted conversation alone until the restriction is lifted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionDone {
    pub done: u64,
    /// Messages erased with them (erasure only).
    #[serde(default)]
    pub messages: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<ConversationId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restricted: Vec<ConversationId>,
}

/// `GET /api/admin/conversations/{id}`: one conversation, read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    pub conversation: HistoryRow,
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ReceiptInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<VisitorDetails>,
}

/// `PUT /api/admin/conversations/{id}/details`: the visitor-provided values, corrected. Each
/// replaces what is stored; `None` or an empty value removes it; custom fields are named by
/// the keys the conversation already has.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rectify {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
}

impl fmt::Debug for Rectify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rectify")
            .field("name", &self.name.as_ref().map(|_| "…"))
            .field("email", &self.email.as_ref().map(|_| "…"))
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// `GET /api/admin/person?email=…[&name=…]`: everything held on one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonFound {
    /// Their conversations, newest first (at most [`PERSON_LIST`]; `total` counts them all).
    pub conversations: Vec<HistoryRow>,
    pub total: u64,
    /// Messages in all of them.
    pub messages: u64,
    /// How many of them are messages left while nobody was online.
    pub left: u64,
    /// How many are restricted.
    pub restricted: u64,
    /// The consent receipts their conversations were started under.
    pub receipts: Vec<ReceiptInfo>,
    /// The first and last activity over all of them (unix ms), when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<i64>,
}

/// The plain-language report for the reply to a person's request: what was found and, after
/// an erasure, what was done; counts and dates (UTC, `YYYY-MM-DD`), never content, names or
/// addresses. `today` is unix ms.
pub fn person_report(found: &PersonFound, erased: Option<&SelectionDone>, today: i64) -> String {
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut out = format!(
        "On {} we searched our chat records for the email address you gave.",
        utc_date(today)
    );
    if found.total == 0 {
        out.push_str(" We found no conversations, messages or consent records linked to it.");
    } else {
        out.push_str(&format!(
            " We found {} with {}",
            plural(found.total, "conversation", "conversations"),
            plural(found.messages, "message", "messages"),
        ));
        if let (Some(first), Some(last)) = (found.first_at, found.last_at) {
            if utc_date(first) == utc_date(last) {
                out.push_str(&format!(", on {}", utc_date(first)));
            } else {
                out.push_str(&format!(
                    ", between {} and {}",
                    utc_date(first),
                    utc_date(last)
                ));
            }
        }
        out.push('.');
        if found.left > 0 {
            out.push_str(&format!(
                " Of these, {} left while nobody was online.",
                plural(found.left, "was a message", "were messages")
            ));
        }
        out.push_str(&format!(
            " They were started under {}.",
            plural(
                found.receipts.len() as u64,
                "consent record",
                "consent records"
            )
        ));
    }
    if let Some(done) = erased {
        out.push_str(&format!(
            " On {} we erased {} and {}; their encryption keys were destroyed, so copies in \
             backups can no longer be read.",
            utc_date(today),
            plural(done.done, "conversation", "conversations"),
            plural(done.messages, "message", "messages"),
        ));
        if !done.restricted.is_empty() {
            out.push_str(&format!(
                " We kept {} because its processing is restricted.",
                plural(
                    done.restricted.len() as u64,
                    "conversation",
                    "conversations"
                )
            ));
        }
        if found.receipts.is_empty() {
            out.push_str(" No consent records were kept.");
        } else {
            out.push_str(
                " Consent records hold no message content and are kept for the period \
                 stated in our privacy notice, to show that consent was given.",
            );
        }
    }
    out
}

/// `YYYY-MM-DD` of a unix-ms instant, in UTC (proleptic Gregorian; Howard Hinnant's
/// days-to-civil).
pub fn utc_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a unix-ms instant (ISO 8601, UTC), as exports write times.
pub fn utc_datetime(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_date(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// One audit entry as the console's audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    /// Server time, unix ms.
    pub at: i64,
    /// Who; `None` for the command line or the server itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<i64>,
    pub action: String,
    /// Ids only (`conversation:12`, `widget:3`), or `filter` for "all that match".
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// Which entries the audit page lists and its CSV export holds; travels as the query string
/// of `GET /api/admin/audit` and `/api/admin/audit/export` ([`AuditFilter::to_query`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// One of [`AUDIT_ACTIONS`].
    pub action: Option<String>,
    /// An operator's id.
    pub operator: Option<i64>,
    /// At or after (unix ms).
    pub from: Option<i64>,
    /// At or before (unix ms).
    pub to: Option<i64>,
}

impl AuditFilter {
    /// `action=&operator=&from=&to=`, only those set, percent-encoded.
    pub fn to_query(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(a) = &self.action {
            pairs.push(format!("action={}", percent_encode(a)));
        }
        if let Some(o) = self.operator {
            pairs.push(format!("operator={o}"));
        }
        if let Some(f) = self.from {
            pairs.push(format!("from={f}"));
        }
        if let Some(t) = self.to {
            pairs.push(format!("to={t}"));
        }
        pairs.join("&")
    }
}

/// `GET /api/admin/audit?action=&operator=&from=&to=&before=`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    pub more: bool,
    /// Whether the whole chain verifies, and the first broken entry when not.
    pub intact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<i64>,
}

/// The audit actions, as stored and as the audit page filters them.
pub const AUDIT_ACTIONS: [&str; 32] = [
    "sign_in",
    "sign_out",
    "widget_created",
    "settings_changed",
    "router_created",
    "router_changed",
    "operator_added",
    "operator_removed",
    "transcript_opened",
    "history_searched",
    "person_searched",
    "exported",
    "erased",
    "rectified",
    "restricted",
    "restriction_lifted",
    "audit_read",
    "audit_exported",
    "role_created",
    "role_changed",
    "session_ended",
    "access_changed",
    "access_reset",
    "operator_changed",
    "password_link_issued",
    "password_set",
    "password_changed",
    "second_factor_enrolled",
    "second_factor_removed",
    "recovery_code_used",
    "passkey_added",
    "passkey_removed",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_names_or_emails() {
        let row = HistoryRow {
            id: ConversationId(3),
            widget: WidgetKey::parse("demo").expect("key"),
            status: ConversationStatus::Left,
            started_at: 1,
            last_at: 2,
            messages: 1,
            name: Some("Grace Canary".into()),
            email: Some("grace@example.com".into()),
            restricted: false,
        };
        let debug = format!("{row:?}");
        assert!(!debug.contains("Canary") && !debug.contains('@'), "{debug}");
        assert_eq!(
            serde_json::to_value(&row).expect("json")["status"],
            "left",
            "statuses travel as words"
        );
        assert_eq!(
            ConversationStatus::parse("closed"),
            Some(ConversationStatus::Closed)
        );
        assert_eq!(ConversationStatus::parse("Closed"), None);
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_date(1_796_601_599_999), "2026-12-06");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_datetime(1_796_601_599_999), "2026-12-06T23:59:59Z");
        assert_eq!(utc_datetime(3_723_000), "1970-01-01T01:02:03Z");
    }

    #[test]
    fn a_filter_travels_percent_encoded_in_a_fixed_order() {
        let f = HistoryFilter {
            email: Some("a+b@example.com".into()),
            name: Some("Zoë Ann".into()),
            status: Some(ConversationStatus::Closed),
            ..HistoryFilter::default()
        };
        assert_eq!(
            f.to_query(),
            "status=closed&email=a%2Bb%40example.com&name=Zo%C3%AB%20Ann"
        );
        assert_eq!(HistoryFilter::default().to_query(), "");
        let debug = format!("{f:?}");
        assert!(!debug.contains("Zo") && !debug.contains('@'), "{debug}");
    }

    #[test]
    fn selections_are_one_of_ids_or_a_filter() {
        let ids: Selection = serde_json::from_str(r#"{"ids":[3,4]}"#).expect("ids");
        assert_eq!(
            ids,
            Selection::Ids(vec![ConversationId(3), ConversationId(4)])
        );
        let all: Selection =
            serde_json::from_str(r#"{"matching":{"email":"a@b.co"}}"#).expect("filter");
        assert!(matches!(all, Selection::Matching(f) if f.email.as_deref() == Some("a@b.co")));
        assert!(serde_json::from_str::<Selection>(r#"{"ids":[1],"matching":{}}"#).is_err());
        assert!(serde_json::from_str::<Selection>(r#"{"matching":{"mail":"x"}}"#).is_err());
    }

    #[test]
    fn the_report_has_counts_and_dates_and_nothing_else() {
        let day = 86_400_000;
        let found = PersonFound {
            conversations: Vec::new(),
            total: 2,
            messages: 5,
            left: 1,
            restricted: 0,
            receipts: vec![ReceiptInfo {
                language: "en".into(),
                version: 1,
                text_sha256: "ab".into(),
                policy_url: None,
                at: 20_000 * day,
                withdrawn_at: None,
            }],
            first_at: Some(20_000 * day),
            last_at: Some(20_003 * day + 5),
        };
        let report = person_report(&found, None, 20_010 * day);
        assert_eq!(
            report,
            "On 2024-10-14 we searched our chat records for the email address you gave. \
             We found 2 conversations with 5 messages, between 2024-10-04 and 2024-10-07. \
             Of these, 1 was a message left while nobody was online. \
             They were started under 1 consent record."
        );
        let done = SelectionDone {
            done: 2,
            messages: 5,
            ..SelectionDone::default()
        };
        let after = person_report(&found, Some(&done), 20_010 * day);
        assert!(
            after.contains("we erased 2 conversations and 5 messages"),
            "{after}"
        );
        let none = PersonFound {
            total: 0,
            messages: 0,
            left: 0,
            receipts: Vec::new(),
            first_at: None,
            last_at: None,
            ..found
        };
        assert!(person_report(&none, None, 0).contains("We found no conversations"));
    }
}
