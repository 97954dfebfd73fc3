//! The one writer of messages: a task that owns its own SQLite connection, takes every
//! message waiting in its queue, stores them in one transaction, and answers each sender only
//! after that transaction committed. One fsync (with `durability = full`) then covers a whole
//! batch, and writers never wait on each other for SQLite's single write lock.
//!
//! A batch takes a few statements whatever its size (see [`store_all`]): everything a message
//! needs is read first, decided in memory, then written in one insert and one update. A
//! message that cannot be stored (a conversation deleted meanwhile) fails alone, before
//! anything is written for it. Sequence numbers are given in queue order inside the
//! transaction, so sequence order is commit order, as with one transaction per message.

use super::db;
use super::{author_str, message_from_row, Appended, MessageRow, StoreError};
use crate::clock::Clock;
use crate::keystore::KeyStore;
use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConversationId, ConversationSummary, MessageText,
};
use confide_protocol::WidgetKey;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Messages stored in one transaction at most.
pub const MAX_BATCH: usize = 256;
/// Messages waiting for the writer before senders wait for room.
const QUEUE: usize = 4096;

/// A message to store.
#[derive(Debug)]
pub struct Append {
    pub conversation: ConversationId,
    pub id: ClientMsgId,
    pub author: Author,
    pub operator_id: Option<i64>,
    pub text: MessageText,
    /// A visitor's message: a resend is looked for in all of this visitor's conversations,
    /// not only this one.
    pub resend_of: Option<i64>,
}

type Reply = Result<Appended, StoreError>;

#[derive(Debug)]
enum Job {
    Append(Append, oneshot::Sender<Reply>),
    /// Finish what is queued, close the connection, then answer.
    Close(oneshot::Sender<()>),
}

/// The writer's queue. Cloning it is cheap; the task ends when every handle is gone or
/// [`Writer::close`] is called.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on `conn` (on PostgreSQL, replaced from `reconnect` when it stops
    /// answering); a conversation takes at most `max_messages`; bodies are sealed with their
    /// visitor's data key from `keys`.
    pub(crate) fn start(
        conn: db::Conn,
        reconnect: Option<db::Pool>,
        clock: Arc<dyn Clock>,
        max_messages: u64,
        keys: Option<Arc<KeyStore>>,
    ) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(conn, reconnect, clock, max_messages, keys, rx));
        Self { jobs }
    }

    pub async fn append(&self, job: Append) -> Reply {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Append(job, tx))
            .await
            .map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?
    }

    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.jobs.send(Job::Close(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn closed() -> StoreError {
    StoreError::Other(sqlx::Error::PoolClosed)
}

async fn run(
    mut conn: db::Conn,
    reconnect: Option<db::Pool>,
    clock: Arc<dyn Clock>,
    max_messages: u64,
    keys: Option<Arc<KeyStore>>,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut batch: Vec<(Append, oneshot::Sender<Reply>)> = Vec::with_capacity(MAX_BATCH);
    let mut closing = None;
    // Widget keys by id, for summaries (a widget's key never changes).
    let mut widget_keys: HashMap<i64, WidgetKey> = HashMap::new();
    while closing.is_none() {
        let Some(first) = rx.recv().await else { break };
        // Everything that queued while the last batch committed goes into this one.
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Append(a, reply) => batch.push((a, reply)),
                Job::Close(done) => {
                    closing = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            let context = Context {
                clock: clock.as_ref(),
                max_messages,
                keys: keys.as_deref(),
            };
            let mut stored = try_batch(&mut conn, &context, &mut widget_keys, &batch).await;
            if stored.is_err() && reconnect.is_some() {
                // PostgreSQL: the connection may be gone (a restart, a terminated backend)
                // or another node's writer may have won a deadlock: once more, on a working
                // connection. A batch that did commit before the connection dropped is found
                // again by its ids, and answered as stored.
                conn = reconnected(conn, reconnect.as_ref()).await;
                stored = try_batch(&mut conn, &context, &mut widget_keys, &batch).await;
            }
            answer(&mut batch, stored);
        }
    }
    conn.close().await;
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

/// Stores the batch in one transaction and answers every sender (after the commit).
/// What every message of a batch is stored under.
struct Context<'a> {
    clock: &'a dyn Clock,
    max_messages: u64,
    keys: Option<&'a KeyStore>,
}

/// After a failed batch on PostgreSQL: a new connection from `pool` when the writer's own
/// no longer answers (the server restarted, or it was terminated), so writes go on.
async fn reconnected(mut conn: db::Conn, pool: Option<&db::Pool>) -> db::Conn {
    let Some(pool) = pool else { return conn };
    if db::query("SELECT 1").execute(&mut conn).await.is_ok() {
        return conn;
    }
    match pool.acquire_own().await {
        Ok(mut fresh) => {
            conn.close().await;
            let name = format!("SET application_name = '{}'", super::postgres::WRITER);
            let _ = db::query(name).execute(&mut fresh).await;
            fresh
        }
        Err(e) => {
            tracing::warn!(error = %StoreError::from(e), "the writer cannot reconnect yet");
            conn
        }
    }
}

/// Stores the batch in one transaction: each message's result once it committed.
async fn try_batch(
    conn: &mut db::Conn,
    context: &Context<'_>,
    widget_keys: &mut HashMap<i64, WidgetKey>,
    batch: &[(Append, oneshot::Sender<Reply>)],
) -> Result<Vec<Reply>, StoreError> {
    // SQLite: the write lock at once. PostgreSQL: the conversations' rows are locked as
    // they are read (`FOR UPDATE`), so writers on several nodes take turns per conversation.
    let began = db::query(match conn.kind() {
        db::Kind::Sqlite => "BEGIN IMMEDIATE",
        db::Kind::Postgres => "BEGIN",
    })
    .execute(&mut *conn)
    .await;
    let stored = match began {
        Ok(_) => store_all(conn, context, widget_keys, batch).await,
        Err(e) => Err(StoreError::from(e)),
    };
    let committed = match stored {
        Ok(results) => match db::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => Ok(results),
            Err(e) => Err(StoreError::from(e)),
        },
        Err(e) => Err(e),
    };
    if committed.is_err() {
        let _ = db::query("ROLLBACK").execute(&mut *conn).await;
    }
    committed
}

/// Answers every sender of the batch (after the commit).
fn answer(
    batch: &mut Vec<(Append, oneshot::Sender<Reply>)>,
    stored: Result<Vec<Reply>, StoreError>,
) {
    match stored {
        Ok(results) => {
            for ((_, reply), result) in batch.drain(..).zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            for (_, reply) in batch.drain(..) {
                let _ = reply.send(Err(copy(&e)));
            }
        }
    }
}

/// A conversation as the batch finds it, and as its messages move it on.
struct Conversation {
    last_seq: i64,
    open: bool,
    offline: bool,
    unread: i64,
    widget_id: i64,
    last_at: i64,
    /// Its visitor's data key (`Erased` when the visitor's key is gone).
    key: Result<Arc<crate::crypto::Secret>, StoreError>,
    touched: bool,
}

/// A message the batch stores, as its row.
struct NewRow {
    conversation: i64,
    seq: i64,
    client_id: String,
    author: &'static str,
    operator_id: Option<i64>,
    alias: Option<String>,
    sealed: Vec<u8>,
    at: i64,
}

/// `?, ?, …` for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The whole batch inside one transaction, in a few statements whatever its size: the
/// conversations, the ids stored before and the operators' aliases are read once; sequence
/// numbers, limits and duplicates are decided in memory in queue order (so sequence order is
/// commit order); then one insert and one update write it all. A message that cannot be
/// stored (its conversation gone, full, or erased; its id taken by another author) fails
/// alone, before anything is written for it.
async fn store_all(
    conn: &mut db::Conn,
    context: &Context<'_>,
    widget_keys: &mut HashMap<i64, WidgetKey>,
    batch: &[(Append, oneshot::Sender<Reply>)],
) -> Result<Vec<Reply>, StoreError> {
    let max_seq = i64::try_from(context.max_messages).unwrap_or(i64::MAX);
    let keys = context.keys.ok_or(StoreError::NoKeys)?;

    // The conversations, with their visitors' data keys.
    let mut ids: Vec<i64> = batch.iter().map(|(j, _)| j.conversation.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "SELECT c.id, c.last_seq, c.open, c.offline, c.unread, c.widget_id, c.last_at, \
             v.key_ref FROM conversations c LEFT JOIN visitors v ON v.id = c.visitor_id \
             WHERE c.id IN ({}){}",
        marks(ids.len()),
        match conn.kind() {
            db::Kind::Sqlite => "",
            db::Kind::Postgres => " ORDER BY c.id FOR UPDATE OF c",
        }
    );
    let mut query = db::query_as::<(i64, i64, bool, bool, i64, i64, i64, Option<Vec<u8>>)>(&sql);
    for id in &ids {
        query = query.bind(id);
    }
    let mut conversations: HashMap<i64, Conversation> = HashMap::new();
    for (id, last_seq, open, offline, unread, widget_id, last_at, key_ref) in
        query.fetch_all(&mut *conn).await?
    {
        let key = match key_ref {
            Some(r) => keys.get(&r).await.map_err(StoreError::from),
            None => Err(StoreError::Erased),
        };
        conversations.insert(
            id,
            Conversation {
                last_seq,
                open,
                offline,
                unread,
                widget_id,
                last_at,
                key,
                touched: false,
            },
        );
    }

    // Ids stored before: in the same conversation (any author), and a visitor's in any of
    // their conversations.
    let mut in_conversation: HashMap<(i64, String), MessageRow> = HashMap::new();
    {
        // A join from the wanted pairs, so each is one search of the unique index (a row-value
        // `IN` would scan the table).
        let sql = format!(
            "WITH wanted(conversation_id, client_id) AS (VALUES {}) SELECT {} \
             FROM wanted w JOIN messages m ON m.conversation_id = w.conversation_id \
             AND m.client_id = w.client_id LEFT JOIN operators o ON o.id = m.operator_id",
            vec!["(?, ?)"; batch.len()].join(", "),
            super::message_fields!()
        );
        let mut q = db::query_as::<MessageRow>(&sql);
        for (job, _) in batch {
            q = q.bind(job.conversation.0).bind(job.id.as_str());
        }
        for row in q.fetch_all(&mut *conn).await? {
            in_conversation.insert((row.7, row.1.clone()), row);
        }
    }
    let mut of_visitor: HashMap<(i64, String), MessageRow> = HashMap::new();
    let resends: Vec<(i64, &str)> = batch
        .iter()
        .filter_map(|(j, _)| j.resend_of.map(|v| (v, j.id.as_str())))
        .collect();
    if !resends.is_empty() {
        let sql = format!(
            "WITH wanted(visitor_id, client_id) AS (VALUES {}) SELECT w.visitor_id, {} \
             FROM wanted w JOIN conversations c ON c.visitor_id = w.visitor_id \
             JOIN messages m ON m.conversation_id = c.id AND m.client_id = w.client_id \
             LEFT JOIN operators o ON o.id = m.operator_id WHERE m.author = 'visitor'",
            vec!["(?, ?)"; resends.len()].join(", "),
            super::message_fields!()
        );
        let mut q = db::query_as::<(
            i64,
            i64,
            String,
            String,
            Option<String>,
            Option<Vec<u8>>,
            String,
            i64,
            i64,
        )>(&sql);
        for (visitor, id) in &resends {
            q = q.bind(visitor).bind(*id);
        }
        for (visitor, seq, client_id, author, alias, sealed, body, at, conversation) in
            q.fetch_all(&mut *conn).await?
        {
            of_visitor.insert(
                (visitor, client_id.clone()),
                (
                    seq,
                    client_id,
                    author,
                    alias,
                    sealed,
                    body,
                    at,
                    conversation,
                ),
            );
        }
    }

    // The aliases visitors see, kept with each message so that they outlive the operator.
    let mut operators: Vec<i64> = batch.iter().filter_map(|(j, _)| j.operator_id).collect();
    operators.sort_unstable();
    operators.dedup();
    let mut aliases: HashMap<i64, String> = HashMap::new();
    if !operators.is_empty() {
        let sql = format!(
            "SELECT id, alias FROM operators WHERE id IN ({})",
            marks(operators.len())
        );
        let mut q = db::query_as::<(i64, String)>(&sql);
        for id in &operators {
            q = q.bind(id);
        }
        aliases.extend(q.fetch_all(&mut *conn).await?);
    }

    // Each message in queue order. What this batch stores counts as stored before for the
    // messages after it.
    let mut results: Vec<Reply> = Vec::with_capacity(batch.len());
    let mut rows: Vec<NewRow> = Vec::new();
    let mut new_in_conversation: HashMap<(i64, String), ChatMessage> = HashMap::new();
    let mut new_of_visitor: HashMap<(i64, String), ChatMessage> = HashMap::new();
    for (job, _) in batch {
        let now = context.clock.now_ms();
        let conversation = job.conversation.0;
        let client_id = job.id.as_str().to_owned();
        let Some(state) = conversations.get_mut(&conversation) else {
            results.push(Err(StoreError::NotFound));
            continue;
        };
        let data_key = match &state.key {
            Ok(k) => k.clone(),
            Err(e) => {
                results.push(Err(copy(e)));
                continue;
            }
        };
        let earlier = |message: ChatMessage| {
            Ok(Appended {
                message,
                created: false,
                summary: None,
            })
        };
        // The same id sent again: the message stored the first time.
        if let Some(visitor) = job.resend_of {
            let key = (visitor, client_id.clone());
            if let Some(m) = new_of_visitor.get(&key) {
                results.push(earlier(m.clone()));
                continue;
            }
            if let Some(row) = of_visitor.get(&key) {
                results.push(message_from_row(row.clone(), &data_key).and_then(earlier));
                continue;
            }
        }
        let key = (conversation, client_id.clone());
        let taken = new_in_conversation.get(&key).cloned().map(Ok).or_else(|| {
            in_conversation
                .get(&key)
                .map(|r| message_from_row(r.clone(), &data_key))
        });
        if let Some(found) = taken {
            // A visitor's id is only theirs: one taken by an operator's message is a conflict.
            results.push(if job.resend_of.is_some() {
                Err(StoreError::Conflict)
            } else {
                found.and_then(earlier)
            });
            continue;
        }
        if state.last_seq >= max_seq {
            results.push(Err(StoreError::Full));
            continue;
        }
        let seq = state.last_seq + 1;
        let sealed = match crate::crypto::seal(
            &data_key,
            &super::sealed::body_ad(conversation, seq),
            job.text.as_str().as_bytes(),
        ) {
            Ok(s) => s,
            Err(e) => {
                results.push(Err(e.into()));
                continue;
            }
        };
        state.last_seq = seq;
        state.last_at = now;
        state.unread += i64::from(job.author == Author::Visitor);
        state.touched = true;
        let author_name = job.operator_id.and_then(|op| aliases.get(&op).cloned());
        let message = ChatMessage {
            seq: seq as u64,
            id: job.id.clone(),
            author: job.author,
            author_name: author_name.clone(),
            text: job.text.clone(),
            at: now,
        };
        new_in_conversation.insert(key, message.clone());
        if let Some(visitor) = job.resend_of {
            new_of_visitor.insert((visitor, client_id.clone()), message.clone());
        }
        let widget = widget_key(conn, widget_keys, state.widget_id).await?;
        rows.push(NewRow {
            conversation,
            seq,
            client_id,
            author: author_str(job.author),
            operator_id: job.operator_id,
            alias: author_name,
            sealed,
            at: now,
        });
        results.push(Ok(Appended {
            message,
            created: true,
            summary: Some(ConversationSummary {
                id: job.conversation,
                widget,
                open: state.open,
                last_seq: seq as u64,
                unread: state.unread as u64,
                last_at: now,
                offline: state.offline,
            }),
        }));
    }

    // Everything in two statements.
    if !rows.is_empty() {
        let sql = format!(
            "INSERT INTO messages (conversation_id, seq, client_id, author, operator_id, \
             author_alias, body, sealed, at) VALUES {}",
            vec!["(?, ?, ?, ?, ?, ?, '', ?, ?)"; rows.len()].join(", ")
        );
        let mut q = db::query(&sql);
        for r in &rows {
            q = q
                .bind(r.conversation)
                .bind(r.seq)
                .bind(&r.client_id)
                .bind(r.author)
                .bind(r.operator_id)
                .bind(&r.alias)
                .bind(&r.sealed)
                .bind(r.at);
        }
        q.execute(&mut *conn).await?;
        let touched: Vec<(&i64, &Conversation)> =
            conversations.iter().filter(|(_, c)| c.touched).collect();
        let sql = format!(
            "UPDATE conversations SET last_seq = v.column2, last_at = v.column3, \
             unread = v.column4 FROM (VALUES {}) AS v WHERE conversations.id = v.column1",
            vec!["(?, ?, ?, ?)"; touched.len()].join(", ")
        );
        let mut q = db::query(&sql);
        for (id, c) in &touched {
            q = q.bind(**id).bind(c.last_seq).bind(c.last_at).bind(c.unread);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(results)
}

/// A widget's key by its id (it never changes: kept for the writer's life).
async fn widget_key(
    conn: &mut db::Conn,
    keys: &mut HashMap<i64, WidgetKey>,
    widget_id: i64,
) -> Result<WidgetKey, StoreError> {
    if let Some(k) = keys.get(&widget_id) {
        return Ok(k.clone());
    }
    let (key,): (String,) = db::query_as("SELECT key FROM widgets WHERE id = ?")
        .bind(widget_id)
        .fetch_one(&mut *conn)
        .await?;
    let key = WidgetKey::parse(&key).map_err(|_| StoreError::NotFound)?;
    keys.insert(widget_id, key.clone());
    Ok(key)
}

/// The same failure for every sender of a batch (sqlx errors do not clone).
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict => StoreError::Conflict,
        StoreError::Full => StoreError::Full,
        StoreError::Erased => StoreError::Erased,
        StoreError::NoKeys => StoreError::NoKeys,
        StoreError::Unreadable => StoreError::Unreadable,
        StoreError::Other(inner) => StoreError::Other(sqlx::Error::Protocol(inner.to_string())),
    }
}
