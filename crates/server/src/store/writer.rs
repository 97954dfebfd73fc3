//! The one writer of messages: a task that takes every message waiting in its queue, stores
//! them in one transaction on a connection of its own, and answers each sender only after
//! that transaction committed. One fsync (with `durability = full`) then covers a whole
//! batch, and writers never wait on each other for the database's write lock.
//!
//! A batch takes a few statements whatever its size: everything its messages need is read
//! first ([`Reads`]), decided in memory ([`decide`]), then written in one insert and one
//! update. A message that cannot be stored (a conversation deleted meanwhile) fails alone,
//! before anything is written for it. Sequence numbers are given in queue order inside the
//! transaction, so sequence order is commit order, as with one transaction per message.
//!
//! The statements and the decisions are the same on both backends; what runs them is not.
//! On SQLite the connection lives on a thread of its own ([`super::sqlite::WriterThread`])
//! that runs a whole batch without a hop between threads per statement; on PostgreSQL it is
//! an sqlx connection, driven from this task, replaced from the pool when it stops answering.

use super::db;
use super::{author_str, message_from_row, Appended, MessageRow, StoreError};
use crate::clock::Clock;
use crate::crypto::Secret;
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
/// How many times the writer lets other tasks run while it gathers a batch.
const GATHER_YIELDS: u32 = 4;

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

pub(super) type Reply = Result<Appended, StoreError>;

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

/// The connection the writer owns.
pub(crate) enum Own {
    Sqlite(rusqlite::Connection),
    /// With the pool it takes a new one from when this one stops answering.
    Postgres(db::Conn, db::Pool),
}

/// The writer's connection at work.
enum Backend {
    Sqlite(super::sqlite::WriterThread),
    Postgres(db::Conn, db::Pool),
}

/// What every message of a batch is stored under.
#[derive(Clone)]
pub(super) struct Context {
    pub(super) clock: Arc<dyn Clock>,
    pub(super) max_messages: u64,
    pub(super) keys: Option<Arc<KeyStore>>,
}

impl Writer {
    /// Starts the writer on `own`; a conversation takes at most `max_messages`; bodies are
    /// sealed with their visitor's data key from `keys`.
    pub(crate) fn start(
        own: Own,
        clock: Arc<dyn Clock>,
        max_messages: u64,
        keys: Option<Arc<KeyStore>>,
    ) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let context = Context {
            clock,
            max_messages,
            keys,
        };
        let backend = match own {
            Own::Sqlite(conn) => {
                Backend::Sqlite(super::sqlite::WriterThread::start(conn, context.clone()))
            }
            Own::Postgres(conn, pool) => Backend::Postgres(conn, pool),
        };
        tokio::spawn(run(backend, context, rx));
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

pub(super) fn closed() -> StoreError {
    StoreError::Other(sqlx::Error::PoolClosed)
}

async fn run(mut backend: Backend, context: Context, mut rx: mpsc::Receiver<Job>) {
    let mut jobs: Vec<Append> = Vec::with_capacity(MAX_BATCH);
    let mut replies: Vec<oneshot::Sender<Reply>> = Vec::with_capacity(MAX_BATCH);
    let mut closing = None;
    // PostgreSQL: widget keys by id, for summaries (a widget's key never changes). The
    // SQLite thread keeps its own.
    let mut widget_keys: HashMap<i64, WidgetKey> = HashMap::new();
    while closing.is_none() {
        let Some(first) = rx.recv().await else { break };
        // Everything that queued while the last batch committed goes into this one.
        let mut next = Some(first);
        let mut yields = 0;
        while let Some(job) = next.take() {
            match job {
                Job::Append(a, reply) => {
                    jobs.push(a);
                    replies.push(reply);
                }
                Job::Close(done) => {
                    closing = Some(done);
                    break;
                }
            }
            if jobs.len() < MAX_BATCH {
                next = rx.try_recv().ok();
                if next.is_none() && yields < GATHER_YIELDS {
                    // Senders woken by the last batch's answers may be about to queue:
                    // give them a turn, and take what they queued into this batch.
                    yields += 1;
                    tokio::task::yield_now().await;
                    next = rx.try_recv().ok();
                }
            }
        }
        if jobs.is_empty() {
            continue;
        }
        let stored = match &mut backend {
            Backend::Sqlite(thread) => {
                let (back, stored) = thread.store(std::mem::take(&mut jobs)).await;
                jobs = back;
                stored
            }
            Backend::Postgres(conn, pool) => {
                let mut stored = try_batch(conn, &context, &mut widget_keys, &jobs).await;
                if stored.is_err() {
                    // The connection may be gone (a restart, a terminated backend) or
                    // another node's writer may have won a deadlock: once more, on a
                    // working connection. A batch that did commit before the connection
                    // dropped is found again by its ids, and answered as stored.
                    reconnect(conn, pool).await;
                    stored = try_batch(conn, &context, &mut widget_keys, &jobs).await;
                }
                stored
            }
        };
        answer(&mut replies, stored);
        jobs.clear();
    }
    match backend {
        Backend::Sqlite(thread) => thread.close().await,
        Backend::Postgres(conn, _) => conn.close().await,
    }
    if let Some(done) = closing {
        let _ = done.send(());
    }
}

/// After a failed batch on PostgreSQL: a new connection from `pool` when the writer's own
/// no longer answers (the server restarted, or it was terminated), so writes go on.
async fn reconnect(conn: &mut db::Conn, pool: &db::Pool) {
    if db::query("SELECT 1").execute(&mut *conn).await.is_ok() {
        return;
    }
    match pool.acquire_own().await {
        Ok(mut fresh) => {
            let name = format!("SET application_name = '{}'", super::postgres::WRITER);
            let _ = db::query(name).execute(&mut fresh).await;
            std::mem::replace(conn, fresh).close().await;
        }
        Err(e) => {
            tracing::warn!(error = %StoreError::from(e), "the writer cannot reconnect yet");
        }
    }
}

/// PostgreSQL: stores the batch in one transaction, each message's result once it
/// committed. The conversations' rows are locked as they are read (`FOR UPDATE`), so
/// writers on several nodes take turns per conversation.
async fn try_batch(
    conn: &mut db::Conn,
    context: &Context,
    widget_keys: &mut HashMap<i64, WidgetKey>,
    jobs: &[Append],
) -> Result<Vec<Reply>, StoreError> {
    let began = db::query("BEGIN").execute(&mut *conn).await;
    let stored = match began {
        Ok(_) => store_all(conn, context, widget_keys, jobs).await,
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

/// The batch's reads, decisions and writes, inside the open transaction on `conn`.
async fn store_all(
    conn: &mut db::Conn,
    context: &Context,
    widget_keys: &mut HashMap<i64, WidgetKey>,
    jobs: &[Append],
) -> Result<Vec<Reply>, StoreError> {
    let reads = Reads::new(conn.kind(), jobs);
    let mut found = Found {
        conversations: reads.conversations.run_as().fetch_all(&mut *conn).await?,
        in_conversation: reads.in_conversation.run_as().fetch_all(&mut *conn).await?,
        ..Found::default()
    };
    if let Some(s) = reads.of_visitor {
        found.of_visitor = s
            .run_as::<VisitorMessageRow>()
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(split_visitor)
            .collect();
    }
    if let Some(s) = reads.aliases {
        found.aliases = s.run_as().fetch_all(&mut *conn).await?;
    }
    let data_keys = data_keys(context.keys.as_deref(), &found).await?;
    if let Some(s) = widgets_missing(&found, widget_keys) {
        let rows: Vec<(i64, String)> = s.run_as().fetch_all(&mut *conn).await?;
        remember_widgets(widget_keys, rows)?;
    }
    let decided = decide(context, jobs, found, &data_keys, widget_keys)?;
    for write in decided.writes {
        write.run().execute(&mut *conn).await?;
    }
    Ok(decided.results)
}

/// Answers every sender of the batch (after the commit).
fn answer(replies: &mut Vec<oneshot::Sender<Reply>>, stored: Result<Vec<Reply>, StoreError>) {
    match stored {
        Ok(results) => {
            for (reply, result) in replies.drain(..).zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            for reply in replies.drain(..) {
                let _ = reply.send(Err(copy(&e)));
            }
        }
    }
}

/// One statement of a batch with its values, for either backend's connection.
pub(super) struct Stmt<'a> {
    pub(super) sql: String,
    pub(super) args: Vec<db::Arg<'a>>,
}

impl<'a> Stmt<'a> {
    fn run(self) -> db::Query<'a, ()> {
        self.args
            .into_iter()
            .fold(db::query(self.sql), |q, a| q.bind(a))
    }

    fn run_as<O: db::Row>(self) -> db::Query<'a, O> {
        self.run().rows()
    }
}

/// `?, ?, …` for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// A conversation's row as the batch reads it: id, last sequence number, open, offline,
/// unread, widget, last message's time, and its visitor's data-key reference.
pub(super) type ConversationRow = (i64, i64, bool, bool, i64, i64, i64, Option<Vec<u8>>);
/// A visitor's id and one of their messages.
type VisitorMessageRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<Vec<u8>>,
    String,
    i64,
    i64,
);

fn split_visitor(r: VisitorMessageRow) -> (i64, MessageRow) {
    (r.0, (r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8))
}

/// What a batch reads before it decides.
pub(super) struct Reads<'a> {
    /// The conversations ([`ConversationRow`]).
    pub(super) conversations: Stmt<'a>,
    /// Ids stored before in the same conversation, by any author ([`MessageRow`]).
    pub(super) in_conversation: Stmt<'a>,
    /// Visitors' ids stored before in any of their conversations (visitor, then
    /// [`MessageRow`]); none when no message of the batch is a visitor's.
    pub(super) of_visitor: Option<Stmt<'a>>,
    /// The aliases of the operators writing (id, alias); none when no operator is.
    pub(super) aliases: Option<Stmt<'a>>,
}

impl<'a> Reads<'a> {
    pub(super) fn new(kind: db::Kind, jobs: &'a [Append]) -> Self {
        let mut ids: Vec<i64> = jobs.iter().map(|j| j.conversation.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let conversations = Stmt {
            sql: format!(
                "SELECT c.id, c.last_seq, c.open, c.offline, c.unread, c.widget_id, c.last_at, \
                 v.key_ref FROM conversations c LEFT JOIN visitors v ON v.id = c.visitor_id \
                 WHERE c.id IN ({}){}",
                marks(ids.len()),
                match kind {
                    db::Kind::Sqlite => "",
                    db::Kind::Postgres => " ORDER BY c.id FOR UPDATE OF c",
                }
            ),
            args: ids.into_iter().map(db::Arg::from).collect(),
        };
        // A join from the wanted pairs, so each is one search of the unique index (a
        // row-value `IN` would scan the table).
        let in_conversation = Stmt {
            sql: format!(
                "WITH wanted(conversation_id, client_id) AS (VALUES {}) SELECT {} \
                 FROM wanted w JOIN messages m ON m.conversation_id = w.conversation_id \
                 AND m.client_id = w.client_id LEFT JOIN operators o ON o.id = m.operator_id",
                vec!["(?, ?)"; jobs.len()].join(", "),
                super::message_fields!()
            ),
            args: jobs
                .iter()
                .flat_map(|j| [j.conversation.0.into(), j.id.as_str().into()])
                .collect(),
        };
        let resends: Vec<db::Arg<'a>> = jobs
            .iter()
            .filter_map(|j| j.resend_of.map(|v| [v.into(), j.id.as_str().into()]))
            .flatten()
            .collect();
        let of_visitor = (!resends.is_empty()).then(|| Stmt {
            sql: format!(
                "WITH wanted(visitor_id, client_id) AS (VALUES {}) SELECT w.visitor_id, {} \
                 FROM wanted w JOIN conversations c ON c.visitor_id = w.visitor_id \
                 JOIN messages m ON m.conversation_id = c.id AND m.client_id = w.client_id \
                 LEFT JOIN operators o ON o.id = m.operator_id WHERE m.author = 'visitor'",
                vec!["(?, ?)"; resends.len() / 2].join(", "),
                super::message_fields!()
            ),
            args: resends,
        });
        let mut operators: Vec<i64> = jobs.iter().filter_map(|j| j.operator_id).collect();
        operators.sort_unstable();
        operators.dedup();
        let aliases = (!operators.is_empty()).then(|| Stmt {
            sql: format!(
                "SELECT id, alias FROM operators WHERE id IN ({})",
                marks(operators.len())
            ),
            args: operators.into_iter().map(db::Arg::from).collect(),
        });
        Self {
            conversations,
            in_conversation,
            of_visitor,
            aliases,
        }
    }
}

/// What the reads found.
#[derive(Default)]
pub(super) struct Found {
    pub(super) conversations: Vec<ConversationRow>,
    pub(super) in_conversation: Vec<MessageRow>,
    pub(super) of_visitor: Vec<(i64, MessageRow)>,
    pub(super) aliases: Vec<(i64, String)>,
}

/// The data keys of the conversations' visitors, by reference (an error for a key that is
/// gone, which fails only that conversation's messages).
pub(super) type DataKeys = HashMap<Vec<u8>, Result<Arc<Secret>, StoreError>>;

/// Looks up the data key of every conversation found (most come from the key store's cache).
pub(super) async fn data_keys(
    keys: Option<&KeyStore>,
    found: &Found,
) -> Result<DataKeys, StoreError> {
    let keys = keys.ok_or(StoreError::NoKeys)?;
    let mut out = DataKeys::new();
    for r in found.conversations.iter().filter_map(|c| c.7.as_ref()) {
        if !out.contains_key(r) {
            out.insert(r.clone(), keys.get(r).await.map_err(StoreError::from));
        }
    }
    Ok(out)
}

/// The statement that reads the keys of the widgets found that `known` lacks, if any (a
/// widget's key never changes, so the writer keeps them for its life).
pub(super) fn widgets_missing(
    found: &Found,
    known: &HashMap<i64, WidgetKey>,
) -> Option<Stmt<'static>> {
    let mut ids: Vec<i64> = found
        .conversations
        .iter()
        .map(|c| c.5)
        .filter(|id| !known.contains_key(id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    (!ids.is_empty()).then(|| Stmt {
        sql: format!(
            "SELECT id, key FROM widgets WHERE id IN ({})",
            marks(ids.len())
        ),
        args: ids.into_iter().map(db::Arg::from).collect(),
    })
}

pub(super) fn remember_widgets(
    known: &mut HashMap<i64, WidgetKey>,
    rows: Vec<(i64, String)>,
) -> Result<(), StoreError> {
    for (id, key) in rows {
        known.insert(
            id,
            WidgetKey::parse(&key).map_err(|_| StoreError::NotFound)?,
        );
    }
    Ok(())
}

/// A conversation as the batch finds it, and as its messages move it on.
struct Conversation {
    last_seq: i64,
    open: bool,
    offline: bool,
    unread: i64,
    widget: Option<WidgetKey>,
    last_at: i64,
    /// Its visitor's data key (`Erased` when the visitor's key is gone).
    key: Result<Arc<Secret>, StoreError>,
    touched: bool,
}

/// Each message's result, and the statements that store what it decided (none, or one
/// insert and one update).
pub(super) struct Decided {
    pub(super) results: Vec<Reply>,
    pub(super) writes: Vec<Stmt<'static>>,
}

/// Each message in queue order: its sequence number, or the message stored before under its
/// id, or why it cannot be stored; what this batch stores counts as stored before for the
/// messages after it. Bodies are sealed here.
pub(super) fn decide(
    context: &Context,
    jobs: &[Append],
    found: Found,
    data_keys: &DataKeys,
    widget_keys: &HashMap<i64, WidgetKey>,
) -> Result<Decided, StoreError> {
    let max_seq = i64::try_from(context.max_messages).unwrap_or(i64::MAX);
    let mut conversations: HashMap<i64, Conversation> = found
        .conversations
        .into_iter()
        .map(
            |(id, last_seq, open, offline, unread, widget_id, last_at, key_ref)| {
                let key = match key_ref.and_then(|r| data_keys.get(&r)) {
                    Some(Ok(k)) => Ok(Arc::clone(k)),
                    Some(Err(e)) => Err(copy(e)),
                    None => Err(StoreError::Erased),
                };
                let conversation = Conversation {
                    last_seq,
                    open,
                    offline,
                    unread,
                    widget: widget_keys.get(&widget_id).cloned(),
                    last_at,
                    key,
                    touched: false,
                };
                (id, conversation)
            },
        )
        .collect();
    let in_conversation: HashMap<(i64, String), MessageRow> = found
        .in_conversation
        .into_iter()
        .map(|row| ((row.7, row.1.clone()), row))
        .collect();
    let of_visitor: HashMap<(i64, String), MessageRow> = found
        .of_visitor
        .into_iter()
        .map(|(visitor, row)| ((visitor, row.1.clone()), row))
        .collect();
    let aliases: HashMap<i64, String> = found.aliases.into_iter().collect();

    let mut results: Vec<Reply> = Vec::with_capacity(jobs.len());
    let mut rows: Vec<db::Arg<'static>> = Vec::new();
    let mut new_in_conversation: HashMap<(i64, String), ChatMessage> = HashMap::new();
    let mut new_of_visitor: HashMap<(i64, String), ChatMessage> = HashMap::new();
    for job in jobs {
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
        let Some(widget) = state.widget.clone() else {
            results.push(Err(StoreError::NotFound));
            continue;
        };
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
        rows.extend([
            conversation.into(),
            seq.into(),
            client_id.into(),
            author_str(job.author).to_owned().into(),
            job.operator_id.into(),
            author_name.into(),
            sealed.into(),
            now.into(),
        ]);
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
    let mut writes = Vec::new();
    if !rows.is_empty() {
        writes.push(Stmt {
            sql: format!(
                "INSERT INTO messages (conversation_id, seq, client_id, author, operator_id, \
                 author_alias, sealed, body, at) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?, '', ?)"; rows.len() / 8].join(", ")
            ),
            args: rows,
        });
        let mut touched: Vec<(i64, &Conversation)> = conversations
            .iter()
            .filter(|(_, c)| c.touched)
            .map(|(id, c)| (*id, c))
            .collect();
        touched.sort_unstable_by_key(|(id, _)| *id);
        writes.push(Stmt {
            sql: format!(
                "UPDATE conversations SET last_seq = v.column2, last_at = v.column3, \
                 unread = v.column4 FROM (VALUES {}) AS v WHERE conversations.id = v.column1",
                vec!["(?, ?, ?, ?)"; touched.len()].join(", ")
            ),
            args: touched
                .into_iter()
                .flat_map(|(id, c)| {
                    [
                        id.into(),
                        c.last_seq.into(),
                        c.last_at.into(),
                        c.unread.into(),
                    ]
                })
                .collect(),
        });
    }
    Ok(Decided { results, writes })
}

/// The same failure for every sender of a batch (sqlx errors do not clone).
pub(super) fn copy(e: &StoreError) -> StoreError {
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
