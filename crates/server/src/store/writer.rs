//! The one writer of messages: a task that owns its own SQLite connection, takes every
//! message waiting in its queue, stores them in one transaction, and answers each sender only
//! after that transaction committed. One fsync (with `durability = full`) then covers a whole
//! batch, and writers never wait on each other for SQLite's single write lock.
//!
//! Within the batch each message has its own savepoint, so one that fails (a conversation
//! deleted meanwhile) fails alone. Sequence numbers are taken in the transaction, in queue
//! order, so sequence order is commit order, as with one transaction per message.

use super::{author_str, message_from_row, Appended, MessageRow, StoreError, MESSAGE_COLUMNS};
use crate::clock::Clock;
use crate::keystore::KeyStore;
use confide_protocol::chat::{
    Author, ChatMessage, ClientMsgId, ConversationId, ConversationSummary, MessageText,
};
use confide_protocol::WidgetKey;
use sqlx::sqlite::SqliteConnection;
use sqlx::Connection;
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
    /// Starts the writer; a conversation takes at most `max_messages`; bodies are sealed
    /// with their visitor's data key from `keys`.
    pub fn start(
        conn: SqliteConnection,
        clock: Arc<dyn Clock>,
        max_messages: u64,
        keys: Option<Arc<KeyStore>>,
    ) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(conn, clock, max_messages, keys, rx));
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
    mut conn: SqliteConnection,
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
            store_batch(&mut conn, &context, &mut widget_keys, &mut batch).await;
        }
    }
    let _ = conn.close().await;
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

async fn store_batch(
    conn: &mut SqliteConnection,
    context: &Context<'_>,
    keys: &mut HashMap<i64, WidgetKey>,
    batch: &mut Vec<(Append, oneshot::Sender<Reply>)>,
) {
    let mut results: Vec<Reply> = Vec::with_capacity(batch.len());
    let began = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await;
    if let Err(e) = began {
        let e = StoreError::from(e);
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(Err(copy(&e)));
        }
        return;
    }
    for (job, _) in batch.iter() {
        let now = context.clock.now_ms();
        let one = async {
            sqlx::query("SAVEPOINT message").execute(&mut *conn).await?;
            let stored = store_one(conn, keys, job, now, context).await;
            match &stored {
                Ok(_) => sqlx::query("RELEASE message").execute(&mut *conn).await?,
                Err(_) => {
                    sqlx::query("ROLLBACK TO message")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("RELEASE message").execute(&mut *conn).await?
                }
            };
            stored
        };
        results.push(one.await);
    }
    let committed = sqlx::query("COMMIT").execute(&mut *conn).await;
    match committed {
        Ok(_) => {
            for ((_, reply), result) in batch.drain(..).zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            let e = StoreError::from(e);
            for (_, reply) in batch.drain(..) {
                let _ = reply.send(Err(copy(&e)));
            }
        }
    }
}

/// One message inside the batch's transaction: its original when the id was stored before,
/// else the conversation's next sequence number, with the summary the row now gives.
async fn store_one(
    conn: &mut SqliteConnection,
    keys: &mut HashMap<i64, WidgetKey>,
    job: &Append,
    now: i64,
    context: &Context<'_>,
) -> Reply {
    let max_messages = context.max_messages;
    let data_key = conversation_key(conn, context, job.conversation).await?;
    let existing: Option<MessageRow> = match job.resend_of {
        Some(visitor) => {
            sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} JOIN conversations c ON c.id = m.conversation_id \
                 WHERE c.visitor_id = ? AND m.client_id = ? AND m.author = 'visitor'"
            ))
            .bind(visitor)
            .bind(job.id.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} WHERE m.conversation_id = ? AND m.client_id = ?"
            ))
            .bind(job.conversation.0)
            .bind(job.id.as_str())
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    if let Some(row) = existing {
        return Ok(Appended {
            message: message_from_row(row, &data_key)?,
            created: false,
            summary: None,
        });
    }
    let row: Option<(i64, bool, bool, i64, i64)> = sqlx::query_as(
        "UPDATE conversations SET last_seq = last_seq + 1, last_at = ?, unread = unread + ? \
         WHERE id = ? AND last_seq < ? RETURNING last_seq, open, offline, unread, widget_id",
    )
    .bind(now)
    .bind(i64::from(job.author == Author::Visitor))
    .bind(job.conversation.0)
    .bind(i64::try_from(max_messages).unwrap_or(i64::MAX))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seq, open, offline, unread, widget_id)) = row else {
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM conversations WHERE id = ?")
            .bind(job.conversation.0)
            .fetch_optional(&mut *conn)
            .await?;
        return Err(match exists {
            Some(_) => StoreError::Full,
            None => StoreError::NotFound,
        });
    };
    let sealed = crate::crypto::seal(
        &data_key,
        &super::sealed::body_ad(job.conversation.0, seq),
        job.text.as_str().as_bytes(),
    )?;
    // The alias visitors see, kept with the message so that it outlives the operator.
    let author_name = match job.operator_id {
        Some(op) => sqlx::query_as::<_, (String,)>("SELECT alias FROM operators WHERE id = ?")
            .bind(op)
            .fetch_optional(&mut *conn)
            .await?
            .map(|(n,)| n),
        None => None,
    };
    sqlx::query(
        "INSERT INTO messages (conversation_id, seq, client_id, author, operator_id, author_alias, \
         body, sealed, at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?)",
    )
    .bind(job.conversation.0)
    .bind(seq)
    .bind(job.id.as_str())
    .bind(author_str(job.author))
    .bind(job.operator_id)
    .bind(&author_name)
    .bind(sealed)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let widget = match keys.get(&widget_id) {
        Some(k) => k.clone(),
        None => {
            let (key,): (String,) = sqlx::query_as("SELECT key FROM widgets WHERE id = ?")
                .bind(widget_id)
                .fetch_one(&mut *conn)
                .await?;
            let key = WidgetKey::parse(&key).map_err(|_| StoreError::NotFound)?;
            keys.insert(widget_id, key.clone());
            key
        }
    };
    Ok(Appended {
        message: ChatMessage {
            seq: seq as u64,
            id: job.id.clone(),
            author: job.author,
            author_name,
            text: job.text.clone(),
            at: now,
        },
        created: true,
        summary: Some(ConversationSummary {
            id: job.conversation,
            widget,
            open,
            last_seq: seq as u64,
            unread: unread as u64,
            last_at: now,
            offline,
        }),
    })
}

/// The data key of the conversation's visitor.
async fn conversation_key(
    conn: &mut SqliteConnection,
    context: &Context<'_>,
    conversation: ConversationId,
) -> Result<Arc<crate::crypto::Secret>, StoreError> {
    let keys = context.keys.ok_or(StoreError::NoKeys)?;
    let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(
        "SELECT v.key_ref FROM conversations c LEFT JOIN visitors v ON v.id = c.visitor_id \
         WHERE c.id = ?",
    )
    .bind(conversation.0)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some((Some(key_ref),)) => Ok(keys.get(&key_ref).await?),
        Some((None,)) => Err(StoreError::Erased),
        None => Err(StoreError::NotFound),
    }
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
