//! The operators' history (issue 14): every conversation, open, closed or left while nobody
//! was online, newest first and a page at a time, filtered by widget, status and dates, and
//! searched by exact email, by a word of the name (case and accents aside) or by id. The
//! server searches through blind indexes, without opening the stored values.

use crate::chat::ConversationId;
use crate::WidgetKey;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Conversations in one page.
pub const HISTORY_PAGE: u32 = 50;
/// The longest email or name searched for, in characters.
pub const MAX_SEARCH_CHARS: usize = 254;

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
}

impl fmt::Debug for HistoryRow {
    /// Names and emails are personal data: never in a debug line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistoryRow")
            .field("id", &self.id)
            .field("widget", &self.widget)
            .field("status", &self.status)
            .field("messages", &self.messages)
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
}

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
}
