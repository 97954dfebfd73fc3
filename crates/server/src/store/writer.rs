//! The one writer of messages: a task that owns its own SQLite connection, takes every
//! message waiting in its queue, stores them in one transaction, and answers each sender only
//! after that transaction committed. One fsync (with `durability = full`) then covers a whole
//! batch, and writers never wait on each other for SQLite's single write lock.
//!
//! Within the batch each message has its own savepoint, so one that fails (a conversation
//! deleted meanwhile) fails alone. Sequence numbers are taken in the transaction, in queue
//! order, so sequence order is commit order, as with one transaction per message.

use super::{author_str, message_from_row, MessageRow, StoreError, MESSAGE_COLUMNS};
use crate::clock::Clock;
use confide_protocol::chat::{Author, ChatMessage, ClientMsgId, ConversationId, MessageText};
use sqlx::sqlite::SqliteConnection;
use sqlx::Connection;
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
}

/// The stored message, and whether this call stored it (`false`: `id` was stored before).
pub type Appended = Result<(ChatMessage, bool), StoreError>;

#[derive(Debug)]
enum Job {
    Append(Append, oneshot::Sender<Appended>),
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
    pub fn start(conn: SqliteConnection, clock: Arc<dyn Clock>) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(conn, clock, rx));
        Self { jobs }
    }

    pub async fn append(&self, job: Append) -> Appended {
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

async fn run(mut conn: SqliteConnection, clock: Arc<dyn Clock>, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<(Append, oneshot::Sender<Appended>)> = Vec::with_capacity(MAX_BATCH);
    let mut closing = None;
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
            store_batch(&mut conn, clock.as_ref(), &mut batch).await;
        }
    }
    let _ = conn.close().await;
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

/// Stores the batch in one transaction and answers every sender (after the commit).
async fn store_batch(
    conn: &mut SqliteConnection,
    clock: &dyn Clock,
    batch: &mut Vec<(Append, oneshot::Sender<Appended>)>,
) {
    let mut results: Vec<Appended> = Vec::with_capacity(batch.len());
    let began = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await;
    if let Err(e) = began {
        let e = StoreError::from(e);
        for (_, reply) in batch.drain(..) {
            let _ = reply.send(Err(copy(&e)));
        }
        return;
    }
    for (job, _) in batch.iter() {
        let now = clock.now_ms();
        let one = async {
            sqlx::query("SAVEPOINT message").execute(&mut *conn).await?;
            let stored = store_one(conn, job, now).await;
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
/// else the conversation's next sequence number.
async fn store_one(conn: &mut SqliteConnection, job: &Append, now: i64) -> Appended {
    let existing: Option<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS} WHERE m.conversation_id = ? AND m.client_id = ?"
    ))
    .bind(job.conversation.0)
    .bind(job.id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = existing {
        return Ok((message_from_row(row)?, false));
    }
    let seq: Option<(i64,)> = sqlx::query_as(
        "UPDATE conversations SET last_seq = last_seq + 1, last_at = ? \
         WHERE id = ? RETURNING last_seq",
    )
    .bind(now)
    .bind(job.conversation.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seq,)) = seq else {
        return Err(StoreError::NotFound);
    };
    sqlx::query(
        "INSERT INTO messages (conversation_id, seq, client_id, author, operator_id, body, at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(job.conversation.0)
    .bind(seq)
    .bind(job.id.as_str())
    .bind(author_str(job.author))
    .bind(job.operator_id)
    .bind(job.text.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let author_name = match job.operator_id {
        Some(op) => sqlx::query_as::<_, (String,)>("SELECT name FROM operators WHERE id = ?")
            .bind(op)
            .fetch_optional(&mut *conn)
            .await?
            .map(|(n,)| n),
        None => None,
    };
    Ok((
        ChatMessage {
            seq: seq as u64,
            id: job.id.clone(),
            author: job.author,
            author_name,
            text: job.text.clone(),
            at: now,
        },
        true,
    ))
}

/// The same failure for every sender of a batch (sqlx errors do not clone).
fn copy(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict => StoreError::Conflict,
        StoreError::Other(inner) => StoreError::Other(sqlx::Error::Protocol(inner.to_string())),
    }
}
