//! The operators' history: every conversation, filtered and searched a page at a time.
//! Searching by email or by a word of the name goes through the blind indexes (HMACs of the
//! normalised values), so nothing is opened to search; only the rows of the page are opened,
//! to show their pre-chat name and email.

use super::{Store, StoreError};
use crate::crypto;
use confide_protocol::chat::ConversationId;
use confide_protocol::history::{ConversationStatus, HistoryRow, HISTORY_PAGE};
use confide_protocol::WidgetKey;
use sqlx::{QueryBuilder, Sqlite};

/// What a history page is asked for, already checked by the caller.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub widget_id: Option<i64>,
    pub status: Option<ConversationStatus>,
    /// Started at or after (unix ms).
    pub from: Option<i64>,
    /// Started at or before (unix ms).
    pub to: Option<i64>,
    /// An email address, matched exactly (case and surrounding space aside).
    pub email: Option<String>,
    /// Words of a name: a conversation matches when any of them is a word of its name.
    pub name: Option<String>,
    pub conversation: Option<ConversationId>,
    /// Only conversations older (lower id) than this one.
    pub before: Option<ConversationId>,
}

impl std::fmt::Debug for HistoryQuery {
    /// The email and name searched for are personal data: never in a debug line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryQuery")
            .field("widget_id", &self.widget_id)
            .field("status", &self.status)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("email", &self.email.as_ref().map(|_| "…"))
            .field("name", &self.name.as_ref().map(|_| "…"))
            .field("conversation", &self.conversation)
            .field("before", &self.before)
            .finish()
    }
}

type Row = (i64, String, bool, bool, i64, i64, i64);

impl Store {
    /// One page of the history, newest first, and whether older conversations match.
    pub async fn history(&self, q: &HistoryQuery) -> Result<(Vec<HistoryRow>, bool), StoreError> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT c.id, w.key, c.open, c.offline, c.created_at, c.last_at, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) \
             FROM conversations c JOIN widgets w ON w.id = c.widget_id WHERE 1 = 1",
        );
        if let Some(w) = q.widget_id {
            sql.push(" AND c.widget_id = ").push_bind(w);
        }
        match q.status {
            Some(ConversationStatus::Open) => sql.push(" AND c.open = 1 AND c.offline = 0"),
            Some(ConversationStatus::Closed) => sql.push(" AND c.open = 0 AND c.offline = 0"),
            Some(ConversationStatus::Left) => sql.push(" AND c.offline = 1"),
            None => &mut sql,
        };
        if let Some(from) = q.from {
            sql.push(" AND c.created_at >= ").push_bind(from);
        }
        if let Some(to) = q.to {
            sql.push(" AND c.created_at <= ").push_bind(to);
        }
        if let Some(c) = q.conversation {
            sql.push(" AND c.id = ").push_bind(c.0);
        }
        if let Some(before) = q.before {
            sql.push(" AND c.id < ").push_bind(before.0);
        }
        if q.email.is_some() || q.name.is_some() {
            let index = self.keys()?.index_key();
            if let Some(email) = &q.email {
                let digest = crypto::blind_index(index, "email", &crypto::normal_email(email));
                sql.push(
                    " AND c.id IN (SELECT conversation_id FROM blind_index \
                     WHERE kind = 'email' AND digest = ",
                )
                .push_bind(digest)
                .push(")");
            }
            if let Some(name) = &q.name {
                sql.push(
                    " AND c.id IN (SELECT conversation_id FROM blind_index \
                     WHERE kind = 'name' AND digest IN (",
                );
                let mut words = sql.separated(", ");
                let tokens = crypto::name_tokens(name);
                for token in &tokens {
                    words.push_bind(crypto::blind_index(index, "name", token));
                }
                if tokens.is_empty() {
                    // No word: nothing matches (an empty digest is no digest).
                    words.push_bind(Vec::<u8>::new());
                }
                sql.push("))");
            }
        }
        sql.push(" ORDER BY c.id DESC LIMIT ")
            .push_bind(i64::from(HISTORY_PAGE) + 1);
        let mut rows: Vec<Row> = sql.build_query_as().fetch_all(&self.pool).await?;
        let more = rows.len() > HISTORY_PAGE as usize;
        rows.truncate(HISTORY_PAGE as usize);
        let mut page = Vec::with_capacity(rows.len());
        for (id, key, open, offline, started_at, last_at, messages) in rows {
            let id = ConversationId(id);
            let details = self.conversation_details(id).await?.unwrap_or_default();
            page.push(HistoryRow {
                id,
                widget: WidgetKey::parse(&key).map_err(|_| StoreError::NotFound)?,
                status: match (offline, open) {
                    (true, _) => ConversationStatus::Left,
                    (false, true) => ConversationStatus::Open,
                    (false, false) => ConversationStatus::Closed,
                },
                started_at,
                last_at,
                messages: u64::try_from(messages).unwrap_or(0),
                name: details.name,
                email: details.email,
            });
        }
        Ok((page, more))
    }
}
