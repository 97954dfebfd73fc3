//! The operators' history: every conversation, filtered and searched a page at a time.
//! Searching by email or by a word of the name goes through the blind indexes (HMACs of the
//! normalised values), so nothing is opened to search; only the rows of the page are opened,
//! to show their pre-chat name and email.

use super::db;
use super::{Store, StoreError};
use crate::crypto;
use confide_protocol::chat::ConversationId;
use confide_protocol::history::{ConversationStatus, HistoryRow, HISTORY_PAGE};
use confide_protocol::WidgetKey;

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
    /// Only these conversations (a selection of ids).
    pub ids: Option<Vec<ConversationId>>,
    /// Only conversations older (lower id) than this one.
    pub before: Option<ConversationId>,
    /// Only these widgets' conversations (a role limited to some widgets).
    pub scope: Option<Vec<WidgetKey>>,
    /// Leave restricted conversations out (a role without edit access to transcripts).
    pub hide_restricted: bool,
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
            .field("ids", &self.ids.as_ref().map(Vec::len))
            .field("before", &self.before)
            .field("scope", &self.scope)
            .field("hide_restricted", &self.hide_restricted)
            .finish()
    }
}

type Row = (i64, String, bool, bool, i64, i64, i64, bool);

/// Conversations per round when a selection is walked (exports, erasures).
pub const SELECTION_BATCH: u32 = 100;

impl Store {
    /// `SELECT <columns> FROM conversations c JOIN widgets w … WHERE <the query's filters>`.
    fn filtered<'q>(
        &self,
        columns: &str,
        q: &'q HistoryQuery,
    ) -> Result<db::Query<'q, ()>, StoreError> {
        let mut sql = db::query(format!(
            "SELECT {columns} FROM conversations c JOIN widgets w ON w.id = c.widget_id WHERE 1 = 1"
        ));
        if let Some(w) = q.widget_id {
            sql.push(" AND c.widget_id = ").push_bind(w);
        }
        match q.status {
            Some(ConversationStatus::Open) => sql.push(" AND c.open AND NOT c.offline"),
            Some(ConversationStatus::Closed) => sql.push(" AND NOT c.open AND NOT c.offline"),
            Some(ConversationStatus::Left) => sql.push(" AND c.offline"),
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
        if let Some(ids) = &q.ids {
            sql.push(" AND c.id IN ")
                .push_list(ids.iter().map(|id| id.0));
        }
        if let Some(before) = q.before {
            sql.push(" AND c.id < ").push_bind(before.0);
        }
        if let Some(widgets) = &q.scope {
            sql.push(" AND w.key IN ")
                .push_list(widgets.iter().map(|w| w.as_str()));
        }
        if q.hide_restricted {
            sql.push(" AND c.restricted_at IS NULL");
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
                     WHERE kind = 'name' AND digest IN ",
                );
                // No word: nothing matches.
                let tokens = crypto::name_tokens(name);
                sql.push_list(
                    tokens
                        .iter()
                        .map(|token| crypto::blind_index(index, "name", token)),
                )
                .push(")");
            }
        }
        Ok(sql)
    }

    /// One page of the history, newest first, and whether older conversations match.
    pub async fn history(&self, q: &HistoryQuery) -> Result<(Vec<HistoryRow>, bool), StoreError> {
        let mut rows = self.history_rows(q, HISTORY_PAGE + 1).await?;
        let more = rows.len() > HISTORY_PAGE as usize;
        rows.truncate(HISTORY_PAGE as usize);
        Ok((rows, more))
    }

    /// At most `limit` matching conversations, newest first, with their pre-chat name and
    /// email opened.
    pub async fn history_rows(
        &self,
        q: &HistoryQuery,
        limit: u32,
    ) -> Result<Vec<HistoryRow>, StoreError> {
        let mut sql = self.filtered(
            "c.id, w.key, c.open, c.offline, c.created_at, c.last_at, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id), \
             c.restricted_at IS NOT NULL",
            q,
        )?;
        sql.push(" ORDER BY c.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<Row> = sql.rows().fetch_all(&self.pool).await?;
        let mut page = Vec::with_capacity(rows.len());
        for (id, key, open, offline, started_at, last_at, messages, restricted) in rows {
            let id = ConversationId(id);
            // A visitor erased meanwhile leaves nothing to open: the row shows without them.
            let details = match self.conversation_details(id).await {
                Ok(d) => d.unwrap_or_default(),
                Err(StoreError::Erased) => Default::default(),
                Err(e) => return Err(e),
            };
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
                restricted,
            });
        }
        Ok(page)
    }

    /// How many conversations match (every page).
    pub async fn history_count(&self, q: &HistoryQuery) -> Result<u64, StoreError> {
        let sql = self.filtered("COUNT(*)", q)?;
        let (n,): (i64,) = sql.rows().fetch_one(&self.pool).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The ids of every matching conversation, newest first.
    pub async fn history_ids(&self, q: &HistoryQuery) -> Result<Vec<ConversationId>, StoreError> {
        let mut sql = self.filtered("c.id", q)?;
        sql.push(" ORDER BY c.id DESC");
        let rows: Vec<(i64,)> = sql.rows().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(id,)| ConversationId(id)).collect())
    }

    /// What "find a person" shows besides the rows: counts, dates, and the receipts' ids.
    pub async fn history_totals(&self, q: &HistoryQuery) -> Result<HistoryTotals, StoreError> {
        let sql = self.filtered(
            // PostgreSQL's SUM of integers is NUMERIC: cast back.
            "COUNT(*), CAST(COALESCE(SUM((SELECT COUNT(*) FROM messages m \
             WHERE m.conversation_id = c.id)), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.offline THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.restricted_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
             MIN(c.created_at), MAX(c.last_at)",
            q,
        )?;
        let (total, messages, left, restricted, first_at, last_at): (
            i64,
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
        ) = sql.rows().fetch_one(&self.pool).await?;
        let mut sql = self.filtered("DISTINCT c.receipt_id", q)?;
        sql.push(" AND c.receipt_id IS NOT NULL ORDER BY c.receipt_id");
        let receipts: Vec<(i64,)> = sql.rows().fetch_all(&self.pool).await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(HistoryTotals {
            total: count(total),
            messages: count(messages),
            left: count(left),
            restricted: count(restricted),
            first_at,
            last_at,
            receipts: receipts.into_iter().map(|(id,)| id).collect(),
        })
    }
}

/// Totals over every conversation a query matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryTotals {
    pub total: u64,
    pub messages: u64,
    pub left: u64,
    pub restricted: u64,
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    /// Receipt row ids, ascending.
    pub receipts: Vec<i64>,
}
