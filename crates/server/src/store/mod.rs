//! Storage: one SQLite file (embedded) through sqlx, migrated at start-up. Messages are
//! written by one batching writer ([`writer`]); everything else goes through a small pool.

pub mod accounts;
pub mod audit;
pub(crate) mod db;
pub mod history;
pub mod operators;
pub mod passkeys;
pub mod postgres;
mod purge;
pub mod requests;
pub mod roles;
mod sealed;
mod sqlite;
pub mod writer;

pub use purge::{PurgeCounts, BATCH as PURGE_BATCH};

use crate::clock::{Clock, SystemClock};
use crate::config::DatabaseUrl;
use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConsentGiven, ConversationId, ConversationSummary,
    MessageText, ReceiptInfo,
};
use confide_protocol::details::VisitorDetails;
use confide_protocol::settings::WidgetSettings;
use confide_protocol::WidgetKey;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflicts with stored data")]
    Conflict,
    /// A conversation holds as many messages as it may.
    #[error("the conversation is full")]
    Full,
    /// The data key is gone: the data it sealed was erased.
    #[error("erased")]
    Erased,
    /// A sealed value did not open: tampered with, moved to another row, or sealed under
    /// another key. Never carries the value.
    #[error("a sealed value does not open (tampered with, moved, or another key)")]
    Unreadable,
    /// The store was opened without the key store (a command that reads no sealed data).
    #[error("no encryption key was configured")]
    NoKeys,
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

/// A JSON column that does not (de)serialize. Only the position is kept: serde_json's own
/// message may quote the value, which can be personal.
fn json_error(column: &str, e: &serde_json::Error) -> StoreError {
    StoreError::Other(sqlx::Error::Protocol(format!(
        "stored {column} JSON is broken ({:?} at line {} column {})",
        e.classify(),
        e.line(),
        e.column()
    )))
}

/// `(key, name)` rows with their keys parsed; a row whose key no longer parses is skipped.
fn keyed(rows: Vec<(String, String)>) -> Vec<(WidgetKey, String)> {
    rows.into_iter()
        .filter_map(|(k, n)| WidgetKey::parse(&k).ok().map(|k| (k, n)))
        .collect()
}

/// What a new conversation starts with.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewConversation<'a> {
    pub widget_id: i64,
    /// Whose it is: their data key seals it.
    pub visitor_id: i64,
    /// From the leave-a-message form.
    pub offline: bool,
    pub receipt_id: Option<i64>,
    pub details: Option<&'a VisitorDetails>,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => StoreError::Conflict,
            other => StoreError::Other(other),
        }
    }
}

/// A message as the writer stored it (or found it stored before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub message: ChatMessage,
    /// Whether this call stored it; `false`: its id was stored before and this is that one.
    pub created: bool,
    /// The conversation's summary right after the commit, when this call stored it.
    pub summary: Option<ConversationSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widget {
    pub id: i64,
    pub key: WidgetKey,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: db::Pool,
    writer: writer::Writer,
    clock: Arc<dyn Clock>,
    /// The data keys; `None` for commands that read and write no sealed data.
    keys: Option<Arc<crate::keystore::KeyStore>>,
}

pub use crate::config::Durability;

/// How the store keeps what it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Messages one conversation holds at most.
    pub messages_per_conversation: u64,
}

impl From<&crate::Config> for StoreOptions {
    fn from(config: &crate::Config) -> Self {
        Self {
            durability: config.durability,
            messages_per_conversation: u64::from(config.messages_per_conversation),
        }
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self::from(&crate::Config::default())
    }
}

impl Store {
    /// Opens (creating if needed) the database and applies every pending migration.
    pub async fn open(url: &DatabaseUrl) -> anyhow::Result<Self> {
        Self::open_with(url, Arc::new(SystemClock), StoreOptions::default()).await
    }

    /// As [`Store::open`], with the given clock.
    pub async fn open_with_clock(url: &DatabaseUrl, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::open_with(url, clock, StoreOptions::default()).await
    }

    /// As [`Store::open`], with the given clock and options, without the key store: for
    /// commands that read and write no sealed data (operators, audit).
    pub async fn open_with(
        url: &DatabaseUrl,
        clock: Arc<dyn Clock>,
        options: StoreOptions,
    ) -> anyhow::Result<Self> {
        Self::open_inner(url, clock, options, None).await
    }

    /// The store a server runs with: messages and what visitors typed are sealed with data
    /// keys from `keys`. Rows stored in plain text before are sealed first.
    pub async fn open_sealed(
        url: &DatabaseUrl,
        clock: Arc<dyn Clock>,
        options: StoreOptions,
        keys: Arc<crate::keystore::KeyStore>,
    ) -> anyhow::Result<Self> {
        let store = Self::open_inner(url, clock, options, Some(keys)).await?;
        if let Err(e) = store.keys_match().await {
            store.close().await;
            return Err(e);
        }
        store
            .seal_existing(500)
            .await
            .map_err(|e| anyhow::anyhow!("cannot seal the rows stored in plain text: {e}"))?;
        Ok(store)
    }

    async fn open_inner(
        url: &DatabaseUrl,
        clock: Arc<dyn Clock>,
        options: StoreOptions,
        keys: Option<Arc<crate::keystore::KeyStore>>,
    ) -> anyhow::Result<Self> {
        let StoreOptions {
            durability,
            messages_per_conversation,
        } = options;
        let (pool, own) = match url.postgres() {
            Some(url) => {
                let (pool, conn) = postgres::open(url).await?;
                let own = writer::Own::Postgres(conn, pool.clone());
                (pool, own)
            }
            None => {
                let path = url
                    .sqlite_path()
                    .ok_or_else(|| anyhow::anyhow!("the database URL names no file"))?;
                let (pool, conn) = sqlite::open(&path, durability).await?;
                (pool, writer::Own::Sqlite(conn))
            }
        };
        let writer = writer::Writer::start(
            own,
            Arc::clone(&clock),
            messages_per_conversation,
            keys.clone(),
        );
        Ok(Self {
            pool,
            writer,
            clock,
            keys,
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        db::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn widget_by_key(&self, key: &WidgetKey) -> Result<Widget, StoreError> {
        let row: (i64, String, String) =
            db::query_as("SELECT id, key, name FROM widgets WHERE key = ?")
                .bind(key.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(Widget {
            id: row.0,
            key: WidgetKey::parse(&row.1).map_err(|_| StoreError::NotFound)?,
            name: row.2,
        })
    }

    /// Creates the widget unless one with that key exists; returns whether it was created.
    pub async fn ensure_widget(&self, key: &WidgetKey, name: &str) -> Result<bool, StoreError> {
        let done = db::query(
            "INSERT INTO widgets (key, name, created_at, settings) VALUES (?, ?, ?, ?) \
             ON CONFLICT(key) DO NOTHING",
        )
        .bind(key.as_str())
        .bind(name)
        .bind(self.clock.now_ms() / 1000)
        .bind(
            serde_json::to_string(&WidgetSettings::defaults(PLACEHOLDER_PRIVACY_URL))
                .map_err(|e| json_error("settings", &e))?,
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every widget, by key.
    pub async fn widgets(&self) -> Result<Vec<(WidgetKey, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            db::query_as("SELECT key, name FROM widgets ORDER BY key")
                .fetch_all(&self.pool)
                .await?;
        Ok(keyed(rows))
    }

    pub async fn widget_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM widgets")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
        if let Some(k) = &self.keys {
            k.close().await;
        }
    }
}

/// A visitor found by token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visitor {
    pub id: i64,
    pub widget_id: i64,
}

/// An operator account. `password_hash` is an argon2id PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    pub id: i64,
    pub email: String,
    /// The real name: the console and the audit log only.
    pub name: String,
    /// What visitors see.
    pub alias: String,
    pub role: String,
    /// What the role may do (none when the role is gone).
    pub permissions: confide_protocol::roles::Permissions,
    /// `''` until a one-time link sets it.
    pub password_hash: String,
    /// Cannot sign in; no session of theirs opens anything.
    pub disabled: bool,
    /// An authenticator app is enrolled (and confirmed).
    pub totp: bool,
    /// Passkeys registered.
    pub passkeys: u32,
}

impl Operator {
    /// An authenticator app or a passkey: sign-in needs it after the password.
    pub fn has_second_factor(&self) -> bool {
        self.totp || self.passkeys > 0
    }

    /// Their role requires a second factor and they have none yet: they may only enrol.
    pub fn must_enrol(&self) -> bool {
        self.permissions.second_factor && !self.has_second_factor()
    }

    /// The same operator with the same access and the same names: what an open socket was
    /// admitted under. A new password or second factor changes none of it (their own
    /// console stays connected); a role, its permissions, a name, or having to enrol does.
    pub fn same_access(&self, other: &Operator) -> bool {
        self.id == other.id
            && self.role == other.role
            && self.permissions == other.permissions
            && self.name == other.name
            && self.alias == other.alias
            && self.must_enrol() == other.must_enrol()
    }
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An [`OperatorRow`]'s columns, of `operators o`.
pub(crate) const OPERATOR_COLUMNS: &str =
    "o.id AS id, o.email AS email, o.name AS name, o.alias AS alias, o.role AS role, \
     o.password_hash AS password_hash, \
     COALESCE((SELECT r.permissions FROM roles r WHERE r.name = o.role), '{}') AS permissions, \
     o.disabled_at IS NOT NULL AS disabled, o.totp_enabled AS totp, \
     (SELECT COUNT(*) FROM passkeys p WHERE p.operator_id = o.id) AS passkeys";

/// An operator as stored, with their role's permissions (JSON) and passkey count.
#[derive(sqlx::FromRow)]
pub(crate) struct OperatorRow {
    id: i64,
    email: String,
    name: String,
    alias: String,
    role: String,
    password_hash: String,
    permissions: String,
    disabled: bool,
    totp: bool,
    passkeys: i64,
}

/// An operator and one more column, `extra`.
#[derive(sqlx::FromRow)]
pub(crate) struct OperatorWith {
    #[sqlx(flatten)]
    pub(crate) operator: OperatorRow,
    pub(crate) extra: i64,
}

pub(crate) fn operator_from_row(
    OperatorRow {
        id,
        email,
        name,
        alias,
        role,
        password_hash,
        permissions,
        disabled,
        totp,
        passkeys: passkey_count,
    }: OperatorRow,
) -> Operator {
    Operator {
        id,
        email,
        name,
        alias,
        role,
        permissions: serde_json::from_str(&permissions).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a role's stored permissions do not parse: none granted");
            Default::default()
        }),
        password_hash,
        disabled,
        totp,
        passkeys: u32::try_from(passkey_count).unwrap_or(0),
    }
}

/// seq, client id, author, operator alias, sealed body, plain body (before sealing), time,
/// conversation.
type MessageRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<Vec<u8>>,
    String,
    i64,
    i64,
);

/// A stored message, opened with its conversation's data key.
fn message_from_row(
    row: MessageRow,
    key: &crate::crypto::Secret,
) -> Result<ChatMessage, StoreError> {
    let (seq, client_id, author, name, sealed, plain, at, conversation) = row;
    let bad =
        |what: &str| StoreError::Other(sqlx::Error::Protocol(format!("stored {what} is invalid")));
    let body = match sealed {
        Some(s) => String::from_utf8(crate::crypto::open(
            key,
            &sealed::body_ad(conversation, seq),
            &s,
        )?)
        .map_err(|_| bad("message text"))?,
        None => plain,
    };
    Ok(ChatMessage {
        seq: seq as u64,
        id: ClientMsgId::parse(&client_id).map_err(|_| bad("message id"))?,
        author: match author.as_str() {
            "visitor" => Author::Visitor,
            "operator" => Author::Operator,
            _ => Author::System,
        },
        author_name: name,
        text: MessageText::parse(&body).map_err(|_| bad("message text"))?,
        at,
    })
}

fn author_str(author: Author) -> &'static str {
    match author {
        Author::Visitor => "visitor",
        Author::Operator => "operator",
        Author::System => "system",
    }
}

/// The columns of a [`MessageRow`], from `messages m` and `operators o`.
macro_rules! message_fields {
    () => {
        "m.seq, m.client_id, m.author, COALESCE(m.author_alias, o.alias), m.sealed, m.body, \
         m.at, m.conversation_id"
    };
}
pub(crate) use message_fields;

const MESSAGE_COLUMNS: &str = concat!(
    message_fields!(),
    " FROM messages m LEFT JOIN operators o ON o.id = m.operator_id"
);

const SUMMARY_SELECT: &str = "SELECT c.id, w.key, c.open, c.last_seq, c.offline, c.last_at, \
     c.unread FROM conversations c JOIN widgets w ON w.id = c.widget_id";

type SummaryRow = (i64, String, bool, i64, bool, i64, i64);

fn summary_from_row(row: SummaryRow) -> Result<ConversationSummary, StoreError> {
    let (id, key, open, last_seq, offline, last_at, unread) = row;
    Ok(ConversationSummary {
        id: ConversationId(id),
        widget: WidgetKey::parse(&key).map_err(|_| StoreError::NotFound)?,
        open,
        last_seq: last_seq as u64,
        unread: unread as u64,
        last_at,
        offline,
    })
}

/// Chat: visitors, conversations, messages.
impl Store {
    pub async fn create_visitor(
        &self,
        widget_id: i64,
        token_hash: &[u8],
        ttl_ms: i64,
    ) -> Result<i64, StoreError> {
        let now = self.clock.now_ms();
        // The data key first: no visitor is ever without one.
        let (key_ref, _) = self.keys()?.create(now).await?;
        let (id,): (i64,) = db::query_as(
            "INSERT INTO visitors (widget_id, token_hash, created_at, expires_at, key_ref) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(widget_id)
        .bind(token_hash)
        .bind(now)
        .bind(now + ttl_ms)
        .bind(key_ref)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// The visitor holding this token for this widget, if the token has not expired.
    pub async fn visitor_by_token(
        &self,
        widget_id: i64,
        token_hash: &[u8],
    ) -> Result<Visitor, StoreError> {
        let (id, widget_id): (i64, i64) = db::query_as(
            "SELECT id, widget_id FROM visitors \
             WHERE token_hash = ? AND widget_id = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(widget_id)
        .bind(self.clock.now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(Visitor { id, widget_id })
    }

    /// The visitor's open conversation, if any.
    pub async fn open_conversation_of(
        &self,
        visitor_id: i64,
    ) -> Result<Option<ConversationId>, StoreError> {
        let row: Option<(i64,)> = db::query_as(
            "SELECT id FROM conversations WHERE visitor_id = ? AND open \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id,)| ConversationId(id)))
    }

    /// A new open conversation, linked to the consent receipt it starts under and carrying
    /// the visitor's details (stored only when there are any), sealed under the visitor's
    /// data key, with the blind indexes of the email and the name's words, in one
    /// transaction.
    pub async fn create_conversation(
        &self,
        new: NewConversation<'_>,
    ) -> Result<ConversationId, StoreError> {
        let now = self.clock.now_ms();
        let key = self.visitor_key(new.visitor_id).await?;
        let mut tx = self.pool.begin().await?;
        let (id,): (i64,) = db::query_as(
            "INSERT INTO conversations \
             (widget_id, visitor_id, offline, receipt_id, created_at, last_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.widget_id)
        .bind(new.visitor_id)
        .bind(new.offline)
        .bind(new.receipt_id)
        .bind(now)
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        if let Some(details) = new.details.filter(|d| !d.is_empty()) {
            let s = sealed::seal_details(self.keys()?, &key, id, details)?;
            db::query("UPDATE conversations SET prechat = ?, context = ? WHERE id = ?")
                .bind(s.prechat)
                .bind(s.context)
                .bind(id)
                .execute(&mut tx)
                .await?;
            for (kind, digest) in s.index {
                db::query(
                    "INSERT INTO blind_index (conversation_id, kind, digest) VALUES (?, ?, ?)",
                )
                .bind(id)
                .bind(kind)
                .bind(digest)
                .execute(&mut tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(ConversationId(id))
    }

    /// The details stored with a conversation, if any, opened.
    pub async fn conversation_details(
        &self,
        conversation: ConversationId,
    ) -> Result<Option<VisitorDetails>, StoreError> {
        type Sealed = Option<Vec<u8>>;
        let row: Option<(Sealed, Sealed)> =
            db::query_as("SELECT prechat, context FROM conversations WHERE id = ?")
                .bind(conversation.0)
                .fetch_optional(&self.pool)
                .await?;
        let Some((prechat, context)) = row else {
            return Ok(None);
        };
        if prechat.is_none() && context.is_none() {
            return Ok(None);
        }
        let key = self.conversation_key(conversation).await?;
        sealed::open_details(&key, conversation.0, prechat.as_deref(), context.as_deref())
    }

    /// Stores a message under the conversation's next sequence number, or, when `id` was
    /// stored before in this conversation, returns that original message. Goes through the
    /// batching [`writer`]: it returns once the batch holding the message has committed.
    pub async fn append_message(
        &self,
        conversation: ConversationId,
        id: &ClientMsgId,
        author: Author,
        operator_id: Option<i64>,
        text: &MessageText,
    ) -> Result<Appended, StoreError> {
        self.writer
            .append(writer::Append {
                conversation,
                id: id.clone(),
                author,
                operator_id,
                text: text.clone(),
                resend_of: None,
            })
            .await
    }

    /// A visitor's message: as [`Store::append_message`], except that a resend is matched
    /// across all of the visitor's conversations (one closed since included).
    pub async fn append_visitor_message(
        &self,
        visitor_id: i64,
        conversation: ConversationId,
        id: &ClientMsgId,
        text: &MessageText,
    ) -> Result<Appended, StoreError> {
        self.writer
            .append(writer::Append {
                conversation,
                id: id.clone(),
                author: Author::Visitor,
                operator_id: None,
                text: text.clone(),
                resend_of: Some(visitor_id),
            })
            .await
    }

    /// Messages with a sequence number above `after`, in order.
    pub async fn messages_after(
        &self,
        conversation: ConversationId,
        after: u64,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let rows: Vec<MessageRow> = db::query_as(format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.conversation_id = ? AND m.seq > ? ORDER BY m.seq"
        ))
        .bind(conversation.0)
        .bind(after as i64)
        .fetch_all(&self.pool)
        .await?;
        self.opened(conversation, rows).await
    }

    /// At most `limit` messages with a sequence number above `after`, in order.
    pub async fn messages_page(
        &self,
        conversation: ConversationId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let rows: Vec<MessageRow> = db::query_as(format!(
            "SELECT {MESSAGE_COLUMNS} WHERE m.conversation_id = ? AND m.seq > ? \
             ORDER BY m.seq LIMIT ?"
        ))
        .bind(conversation.0)
        .bind(after as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.opened(conversation, rows).await
    }

    /// A conversation's message rows, opened with its data key.
    async fn opened(
        &self,
        conversation: ConversationId,
        rows: Vec<MessageRow>,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.conversation_key(conversation).await?;
        rows.into_iter()
            .map(|row| message_from_row(row, &key))
            .collect()
    }

    pub async fn summary(
        &self,
        conversation: ConversationId,
    ) -> Result<ConversationSummary, StoreError> {
        let row: SummaryRow = db::query_as(format!("{SUMMARY_SELECT} WHERE c.id = ?"))
            .bind(conversation.0)
            .fetch_one(&self.pool)
            .await?;
        summary_from_row(row)
    }

    /// The last sequence number of each of `ids` that exists.
    pub async fn last_seqs(
        &self,
        ids: &[ConversationId],
    ) -> Result<Vec<(ConversationId, u64)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = db::query("SELECT id, last_seq FROM conversations WHERE id IN ");
        sql.push_list(ids.iter().map(|c| c.0));
        let rows: Vec<(i64, i64)> = sql.rows().fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(id, seq)| (ConversationId(id), u64::try_from(seq).unwrap_or(0)))
            .collect())
    }

    /// Summaries of the conversations active since `at_ms` (unix ms), oldest first, at most
    /// `limit`: what another node's inbox may have missed.
    pub async fn summaries_since(
        &self,
        at_ms: i64,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows: Vec<SummaryRow> = db::query_as(format!(
            "{SUMMARY_SELECT} WHERE c.last_at >= ? AND c.last_seq > 0 \
             ORDER BY c.last_at, c.id LIMIT ?"
        ))
        .bind(at_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(summary_from_row).collect()
    }

    /// The PostgreSQL pool, when the store runs on PostgreSQL (for the nodes' wake-ups).
    pub fn postgres_pool(&self) -> Option<sqlx::PgPool> {
        match &self.pool {
            db::Pool::Postgres(p) => Some(p.clone()),
            db::Pool::Sqlite(_) => None,
        }
    }

    /// Open conversations that have at least one message, most recent first, at most
    /// `limit`, older than `before` (activity time, then id) when given, of the widgets in
    /// `scope` when given.
    pub async fn open_summaries(
        &self,
        before: Option<(i64, ConversationId)>,
        limit: u32,
        scope: Option<&[WidgetKey]>,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let (at, id) = before.map_or((i64::MAX, i64::MAX), |(at, id)| (at, id.0));
        let mut sql = db::query(format!(
            "{SUMMARY_SELECT} WHERE c.open AND c.last_seq > 0 AND (c.last_at, c.id) < ("
        ));
        sql.push_bind(at).push(", ").push_bind(id).push(")");
        if let Some(widgets) = scope {
            sql.push(" AND w.key IN ")
                .push_list(widgets.iter().map(|w| w.as_str()));
        }
        sql.push(" ORDER BY c.last_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows: Vec<SummaryRow> = sql.rows().fetch_all(&self.pool).await?;
        rows.into_iter().map(summary_from_row).collect()
    }

    /// Operators have read the conversation up to `seq` (never moves backwards).
    pub async fn mark_read(
        &self,
        conversation: ConversationId,
        seq: u64,
    ) -> Result<(), StoreError> {
        // Both expressions see the row as it was: the count uses the new read_seq.
        let kind = self.pool.kind();
        let (max, min) = (kind.greatest(), kind.least());
        let done = db::query(format!(
            "UPDATE conversations SET read_seq = {max}(read_seq, {min}(?1, last_seq)), \
             unread = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id \
                AND m.author = 'visitor' AND m.seq > {max}(conversations.read_seq, {min}(?1, conversations.last_seq))) \
             WHERE id = ?2",
        ))
        .bind(seq as i64)
        .bind(conversation.0)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Closes the conversation; returns whether it was open.
    pub async fn close_conversation(
        &self,
        conversation: ConversationId,
    ) -> Result<bool, StoreError> {
        let exists = self.summary(conversation).await?;
        let done = db::query("UPDATE conversations SET open = FALSE WHERE id = ? AND open")
            .bind(exists.id.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The visitor whose conversation this is, if any.
    pub async fn conversation_visitor(
        &self,
        conversation: ConversationId,
    ) -> Result<Option<i64>, StoreError> {
        let (visitor,): (Option<i64>,) =
            db::query_as("SELECT visitor_id FROM conversations WHERE id = ?")
                .bind(conversation.0)
                .fetch_one(&self.pool)
                .await?;
        Ok(visitor)
    }

    /// A page of the visitor's conversations, newest first, older than `before` when given.
    pub async fn visitor_conversations(
        &self,
        visitor_id: i64,
        before: Option<ConversationId>,
        limit: u32,
    ) -> Result<Vec<confide_protocol::chat::VisitorConversation>, StoreError> {
        let rows: Vec<(i64, bool, bool, i64, i64, i64)> = db::query_as(
            "SELECT id, open, offline, created_at, last_at, last_seq FROM conversations \
             WHERE visitor_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(visitor_id)
        .bind(before.map_or(i64::MAX, |c| c.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, open, offline, started_at, last_at, last_seq)| {
                confide_protocol::chat::VisitorConversation {
                    id: ConversationId(id),
                    open,
                    offline,
                    started_at,
                    last_at,
                    messages: u64::try_from(last_seq).unwrap_or(0),
                }
            })
            .collect())
    }

    pub async fn message_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM messages")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn conversation_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM conversations")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

/// Operators and their sessions.
impl Store {
    /// Adds an operator whose alias is their name's first word.
    pub async fn add_operator(
        &self,
        email: &str,
        name: &str,
        role: &str,
        password_hash: &str,
    ) -> Result<i64, StoreError> {
        let alias = confide_protocol::chat::default_alias(name);
        self.add_operator_with_alias(email, name, &alias, role, password_hash)
            .await
    }

    /// Adds an operator; visitors see `alias`, never `name`.
    pub async fn add_operator_with_alias(
        &self,
        email: &str,
        name: &str,
        alias: &str,
        role: &str,
        password_hash: &str,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = db::query_as(
            "INSERT INTO operators (email, name, alias, role, password_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(email)
        .bind(name)
        .bind(alias)
        .bind(role)
        .bind(password_hash)
        .bind(self.clock.now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn operator_by_email(&self, email: &str) -> Result<Operator, StoreError> {
        let row: OperatorRow = db::query_as(format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators o WHERE lower(o.email) = lower(?)"
        ))
        .bind(email)
        .fetch_one(&self.pool)
        .await?;
        Ok(operator_from_row(row))
    }

    pub async fn operator_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM operators")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// A new console session; `device` is the browser and OS family it was opened from.
    pub async fn create_session(
        &self,
        operator_id: i64,
        token_hash: &[u8],
        ttl_ms: i64,
        device: Option<crate::ua::UaFamily>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        db::query(
            "INSERT INTO sessions (token_hash, operator_id, created_at, expires_at, \
             last_active_at, browser, os) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(token_hash)
        .bind(operator_id)
        .bind(now)
        .bind(now + ttl_ms)
        .bind(now)
        .bind(device.map(|d| d.browser))
        .bind(device.map(|d| d.os))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session and its operator, while it has neither expired nor been idle for
    /// `idle_ms`; `NotFound` otherwise (also when it was ended or its operator removed).
    pub async fn session(&self, token_hash: &[u8], idle_ms: i64) -> Result<Session, StoreError> {
        let now = self.clock.now_ms();
        let row: SessionRow = db::query_as(format!(
            "SELECT {OPERATOR_COLUMNS}, s.expires_at AS expires_at, \
             s.last_active_at AS last_active_at, s.id AS session_id \
             FROM sessions s JOIN operators o ON o.id = s.operator_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_active_at > ? \
             AND o.disabled_at IS NULL"
        ))
        .bind(token_hash)
        .bind(now)
        .bind(now - idle_ms)
        .fetch_one(&self.pool)
        .await?;
        let SessionRow {
            operator,
            expires_at,
            last_active_at,
            session_id: id,
        } = row;
        Ok(Session {
            id,
            operator: operator_from_row(operator),
            token_hash: token_hash.to_vec(),
            expires_at,
            last_active_at,
        })
    }

    /// The operator did something in this session. Written at most once a minute.
    pub async fn touch_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        db::query(
            "UPDATE sessions SET last_active_at = ? WHERE token_hash = ? AND last_active_at < ?",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now - SESSION_TOUCH_MS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ends the session; returns its operator's id when there was one.
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<Option<i64>, StoreError> {
        let gone: Option<(i64,)> =
            db::query_as("DELETE FROM sessions WHERE token_hash = ? RETURNING operator_id")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(gone.map(|(id,)| id))
    }
}

/// A session's activity is written at most this often.
pub const SESSION_TOUCH_MS: i64 = 60 * 1000;

/// A session's row with its operator's.
#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    operator: OperatorRow,
    expires_at: i64,
    last_active_at: i64,
    session_id: i64,
}

/// A live console session.
#[derive(Clone)]
pub struct Session {
    /// What the session is shown and named by (never its token).
    pub id: i64,
    pub operator: Operator,
    /// The SHA-256 of its token (what the table keeps).
    pub token_hash: Vec<u8>,
    pub expires_at: i64,
    pub last_active_at: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("operator", &self.operator)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Lookups across a visitor's conversations.
impl Store {
    /// The alias of the operator who wrote last in the conversation.
    pub async fn last_operator_alias(
        &self,
        conversation: ConversationId,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = db::query_as(
            "SELECT m.author_alias FROM messages m WHERE m.conversation_id = ? \
             AND m.author_alias IS NOT NULL ORDER BY m.seq DESC LIMIT 1",
        )
        .bind(conversation.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(name,)| name))
    }

    /// A message this visitor sent with this client id, in any of their conversations.
    pub async fn visitor_message(
        &self,
        visitor_id: i64,
        id: &ClientMsgId,
    ) -> Result<Option<ChatMessage>, StoreError> {
        let row: Option<MessageRow> = db::query_as(
            "SELECT m.seq, m.client_id, m.author, o.name, m.sealed, m.body, m.at, m.conversation_id \
             FROM conversations c \
             JOIN messages m ON m.conversation_id = c.id AND m.client_id = ? \
             LEFT JOIN operators o ON o.id = m.operator_id \
             WHERE c.visitor_id = ? AND m.author = 'visitor'",
        )
        .bind(id.as_str())
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => {
                let key = self.visitor_key(visitor_id).await?;
                message_from_row(row, &key).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// The privacy link a widget gets until its site owner sets one. Site owners must replace it.
pub const PLACEHOLDER_PRIVACY_URL: &str = "https://example.com/privacy";

type ReceiptRow = (i64, String, i64, String, Option<String>, i64, Option<i64>);

/// A receipt row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: i64,
    pub info: ReceiptInfo,
}

/// Widget settings and consent receipts.
impl Store {
    /// The widget's settings (Confide's defaults when none were saved), with the retention
    /// notice worded into every disclaimer.
    pub async fn widget_settings(&self, widget_id: i64) -> Result<WidgetSettings, StoreError> {
        let (text,): (String,) = db::query_as("SELECT settings FROM widgets WHERE id = ?")
            .bind(widget_id)
            .fetch_one(&self.pool)
            .await?;
        let mut settings = if text.is_empty() {
            WidgetSettings::defaults(PLACEHOLDER_PRIVACY_URL)
        } else {
            serde_json::from_str(&text).map_err(|e| json_error("settings", &e))?
        };
        settings.word_retention();
        Ok(settings)
    }

    /// Saves valid settings. The consent version is the server's to set: it goes up by one
    /// whenever any text the visitor agrees to changes (a disclaimer, or the retention notice
    /// worded from the periods and the mode), and stays otherwise. Returns what was saved.
    pub async fn save_widget_settings(
        &self,
        widget_id: i64,
        mut settings: WidgetSettings,
    ) -> Result<WidgetSettings, StoreError> {
        settings.word_retention();
        let current = self.widget_settings(widget_id).await?;
        settings.consent.version = if current.consent.texts == settings.consent.texts {
            current.consent.version
        } else {
            current.consent.version + 1
        };
        let text = serde_json::to_string(&settings)
            .map_err(|e| StoreError::Other(sqlx::Error::Protocol(e.to_string())))?;
        db::query("UPDATE widgets SET settings = ? WHERE id = ?")
            .bind(text)
            .bind(widget_id)
            .execute(&self.pool)
            .await?;
        Ok(settings)
    }

    /// The visitor's receipt for exactly this consent, creating it if the last one differs
    /// (another language, version or text) or was withdrawn.
    pub async fn receipt_for(
        &self,
        widget_id: i64,
        visitor_id: i64,
        given: &ConsentGiven,
        policy_url: Option<&str>,
    ) -> Result<i64, StoreError> {
        let last: Option<(i64, String, i64, String, Option<i64>)> = db::query_as(
            "SELECT id, language, version, text_sha256, withdrawn_at FROM consent_receipts \
             WHERE visitor_id = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((id, language, version, hash, None)) = last {
            if language == given.language
                && version == i64::from(given.version)
                && hash == given.text_sha256
            {
                return Ok(id);
            }
        }
        self.insert_receipt(widget_id, visitor_id, given, policy_url)
            .await
    }

    async fn insert_receipt(
        &self,
        widget_id: i64,
        visitor_id: i64,
        given: &ConsentGiven,
        policy_url: Option<&str>,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = db::query_as(
            "INSERT INTO consent_receipts \
             (widget_id, visitor_id, language, version, text_sha256, policy_url, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(widget_id)
        .bind(visitor_id)
        .bind(&given.language)
        .bind(i64::from(given.version))
        .bind(&given.text_sha256)
        .bind(policy_url)
        .bind(self.clock.now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// The receipt a conversation was started under.
    pub async fn conversation_receipt(
        &self,
        conversation: ConversationId,
    ) -> Result<Option<Receipt>, StoreError> {
        let row: Option<ReceiptRow> =
            db::query_as(
                "SELECT r.id, r.language, r.version, r.text_sha256, r.policy_url, r.created_at, \
                 r.withdrawn_at FROM conversations c JOIN consent_receipts r ON r.id = c.receipt_id \
                 WHERE c.id = ?",
            )
            .bind(conversation.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(receipt_from_row))
    }

    pub async fn receipt_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM consent_receipts")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn visitor_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM visitors")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

/// What visitors may do with their own data.
impl Store {
    pub async fn receipt_info(&self, id: i64) -> Result<ReceiptInfo, StoreError> {
        let row: ReceiptRow = db::query_as(
            "SELECT id, language, version, text_sha256, policy_url, created_at, withdrawn_at \
             FROM consent_receipts WHERE id = ?",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(receipt_from_row(row).info)
    }

    /// Every receipt, oldest first (for operators' records and tests).
    pub async fn all_receipts(&self) -> Result<Vec<ReceiptInfo>, StoreError> {
        let rows: Vec<ReceiptRow> = db::query_as(
            "SELECT id, language, version, text_sha256, policy_url, created_at, withdrawn_at \
             FROM consent_receipts ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| receipt_from_row(r).info).collect())
    }

    /// Deletes a conversation and (by cascade) its messages; its receipt stays.
    pub async fn delete_conversation(
        &self,
        conversation: ConversationId,
    ) -> Result<bool, StoreError> {
        let done = db::query("DELETE FROM conversations WHERE id = ?")
            .bind(conversation.0)
            .execute(&self.pool)
            .await?;
        self.flush_erasure().await;
        Ok(done.rows_affected() == 1)
    }

    /// Withdrawal: deletes every conversation of the visitor (messages cascade) and records
    /// the time on each of their receipts (whose proof period starts then, see `purge`), in one transaction; then their data key is
    /// destroyed. Returns the time and the conversations deleted.
    pub async fn withdraw_visitor(
        &self,
        visitor_id: i64,
    ) -> Result<(i64, Vec<ConversationId>), StoreError> {
        let now = self.clock.now_ms();
        let mut tx = self.pool.begin().await?;
        db::query(
            "UPDATE consent_receipts SET withdrawn_at = ?, unreferenced_at = ? \
             WHERE visitor_id = ? AND withdrawn_at IS NULL",
        )
        .bind(now)
        .bind(now)
        .bind(visitor_id)
        .execute(&mut tx)
        .await?;
        let ids: Vec<(i64,)> =
            db::query_as("DELETE FROM conversations WHERE visitor_id = ? RETURNING id")
                .bind(visitor_id)
                .fetch_all(&mut tx)
                .await?;
        // Their token ends, and their data key goes: any copy of what they wrote, backups
        // included, stays sealed for good.
        let key_ref: Option<(Option<Vec<u8>>,)> =
            db::query_as("SELECT key_ref FROM visitors WHERE id = ?")
                .bind(visitor_id)
                .fetch_optional(&mut tx)
                .await?;
        db::query("UPDATE visitors SET expires_at = ?, key_ref = NULL WHERE id = ?")
            .bind(now)
            .bind(visitor_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        if let Some((Some(key_ref),)) = key_ref {
            self.keys()?.erase(&[key_ref]).await?;
        }
        self.flush_erasure().await;
        Ok((
            now,
            ids.into_iter().map(|(id,)| ConversationId(id)).collect(),
        ))
    }
}

impl Store {
    /// After an erasure: copies the WAL into the database file and empties it, so the
    /// pre-deletion page images in the WAL are gone too. Best effort: with readers active
    /// the checkpoint may stop early, and the next one finishes it.
    pub(super) async fn flush_erasure(&self) {
        if let db::Pool::Sqlite(pool) = &self.pool {
            sqlite::checkpoint(pool).await;
        }
    }
}

fn receipt_from_row(row: ReceiptRow) -> Receipt {
    let (id, language, version, text_sha256, policy_url, at, withdrawn_at) = row;
    Receipt {
        id,
        info: ReceiptInfo {
            language,
            version: u32::try_from(version).unwrap_or(0),
            text_sha256,
            policy_url,
            at,
            withdrawn_at,
        },
    }
}

/// Routers: a key, a name and the rules (a RouterRules JSON document, validated by the caller
/// before it is saved).
impl Store {
    /// Creates the router unless one with that key exists; returns whether it was created.
    pub async fn create_router(
        &self,
        key: &WidgetKey,
        name: &str,
        rules: &confide_protocol::router::RouterRules,
    ) -> Result<bool, StoreError> {
        let text = serde_json::to_string(rules).map_err(|e| json_error("rules", &e))?;
        let done = db::query(
            "INSERT INTO routers (key, name, rules, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT(key) DO NOTHING",
        )
        .bind(key.as_str())
        .bind(name)
        .bind(text)
        .bind(self.clock.now_ms() / 1000)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every router's key and name, by key.
    pub async fn routers(&self) -> Result<Vec<(WidgetKey, String)>, StoreError> {
        let rows: Vec<(String, String)> =
            db::query_as("SELECT key, name FROM routers ORDER BY key")
                .fetch_all(&self.pool)
                .await?;
        Ok(keyed(rows))
    }

    /// The router's rules; `NotFound` when no router has this key.
    pub async fn router_rules(
        &self,
        key: &WidgetKey,
    ) -> Result<confide_protocol::router::RouterRules, StoreError> {
        let (text,): (String,) = db::query_as("SELECT rules FROM routers WHERE key = ?")
            .bind(key.as_str())
            .fetch_one(&self.pool)
            .await?;
        serde_json::from_str(&text).map_err(|e| json_error("rules", &e))
    }

    /// Replaces the router's rules; `NotFound` when no router has this key.
    pub async fn save_router_rules(
        &self,
        key: &WidgetKey,
        rules: &confide_protocol::router::RouterRules,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(rules).map_err(|e| json_error("rules", &e))?;
        let done = db::query("UPDATE routers SET rules = ? WHERE key = ?")
            .bind(text)
            .bind(key.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn router_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = db::query_as("SELECT COUNT(*) FROM routers")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}
