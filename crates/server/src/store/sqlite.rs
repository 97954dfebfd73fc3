//! The embedded backend: one SQLite file in WAL mode, migrated at start-up, with a pool for
//! reads and a connection of its own for the message writer, on a thread of its own.

use super::db::{self, Pool};
use super::writer::{self, Append, Context, Found, Reads, Reply, Stmt};
use super::StoreError;
use crate::config::Durability;
use confide_protocol::WidgetKey;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::path::Path;
use tokio::sync::oneshot;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the file at `path`, readable by this user only, and applies
/// every pending migration. Returns the pool and the writer's connection.
pub(super) async fn open(
    path: &Path,
    durability: Durability,
) -> anyhow::Result<(Pool, rusqlite::Connection)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::private_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot create database folder {}: {e}", dir.display()))?;
    }
    // Readable by this user only; SQLite gives its -wal and -shm files the same mode.
    crate::files::private_file(path)
        .map_err(|e| anyhow::anyhow!("cannot create database {}: {e}", path.display()))?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match durability {
            Durability::Full => SqliteSynchronous::Full,
            Durability::Normal => SqliteSynchronous::Normal,
        })
        .foreign_keys(true)
        // Erasure means erased: deleted rows are overwritten with zeros, not left in
        // free pages of the file.
        .pragma("secure_delete", "ON")
        .busy_timeout(std::time::Duration::from_secs(5));
    // Migrations run on their own connection without foreign-key enforcement, as
    // SQLite's table rebuilds need (dropping a table with foreign keys on would first
    // delete every row that refers to it); every other connection enforces them.
    let mut migrating = sqlx::ConnectOptions::connect(&options.clone().foreign_keys(false))
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
    MIGRATOR
        .run(&mut migrating)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    let _ = sqlx::Connection::close(migrating).await;
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
    let writer = writer_connection(path, durability)
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
    Ok((Pool::Sqlite(pool), writer))
}

/// The writer's connection, set up as the pool's are.
fn writer_connection(
    path: &Path,
    durability: Durability,
) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    // A batch's statements differ only by how many messages it holds.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// A batch for the writer's thread, and where its results go (with the batch, to be
/// filled again).
type Work = (
    Vec<Append>,
    oneshot::Sender<(Vec<Append>, Result<Vec<Reply>, StoreError>)>,
);

/// The message writer's SQLite connection, on a thread of its own: it runs a whole batch
/// (about eight statements) without a hop between threads per statement, which sqlx's
/// connection takes (each costs a wake-up of its worker thread and one of the task).
pub(crate) struct WriterThread {
    work: std::sync::mpsc::Sender<Work>,
    ended: oneshot::Receiver<()>,
}

impl WriterThread {
    /// Starts the thread (inside the runtime, whose handle it keeps to look keys up).
    pub(super) fn start(conn: rusqlite::Connection, context: Context) -> Self {
        let (work, queue) = std::sync::mpsc::channel::<Work>();
        let (done, ended) = oneshot::channel();
        let runtime = tokio::runtime::Handle::current();
        let spawned = std::thread::Builder::new()
            .name("confide-writer".into())
            .spawn(move || {
                let mut widget_keys = HashMap::new();
                while let Ok((jobs, back)) = queue.recv() {
                    let stored = store(&conn, &context, &runtime, &mut widget_keys, &jobs);
                    let _ = back.send((jobs, stored));
                }
                if let Err((_, e)) = conn.close() {
                    tracing::warn!(error = %e, "the writer's connection did not close cleanly");
                }
                let _ = done.send(());
            });
        if let Err(e) = spawned {
            // Every batch then fails with "closed", as after a close.
            tracing::error!(error = %e, "cannot start the writer's thread");
        }
        Self { work, ended }
    }

    /// Stores `jobs` in one transaction: each message's result once it committed.
    pub(super) async fn store(
        &self,
        jobs: Vec<Append>,
    ) -> (Vec<Append>, Result<Vec<Reply>, StoreError>) {
        let (back, result) = oneshot::channel();
        if let Err(std::sync::mpsc::SendError((jobs, _))) = self.work.send((jobs, back)) {
            return (jobs, Err(writer::closed()));
        }
        result
            .await
            .unwrap_or_else(|_| (Vec::new(), Err(writer::closed())))
    }

    /// Lets the thread finish, and waits until its connection is closed.
    pub(super) async fn close(self) {
        drop(self.work);
        let _ = self.ended.await;
    }
}

/// One batch in one transaction, taken at once (`BEGIN IMMEDIATE`).
fn store(
    conn: &rusqlite::Connection,
    context: &Context,
    runtime: &tokio::runtime::Handle,
    widget_keys: &mut HashMap<i64, WidgetKey>,
    jobs: &[Append],
) -> Result<Vec<Reply>, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let stored = store_all(conn, context, runtime, widget_keys, jobs)
        .and_then(|results| Ok(conn.execute_batch("COMMIT").map(|()| results)?));
    if stored.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    stored
}

/// The batch's reads, decisions and writes (see [`writer`]).
fn store_all(
    conn: &rusqlite::Connection,
    context: &Context,
    runtime: &tokio::runtime::Handle,
    widget_keys: &mut HashMap<i64, WidgetKey>,
    jobs: &[Append],
) -> Result<Vec<Reply>, StoreError> {
    let reads = Reads::new(db::Kind::Sqlite, jobs);
    let mut found = Found {
        conversations: fetch(conn, &reads.conversations, |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?,
        in_conversation: fetch(conn, &reads.in_conversation, |r| message_row(r, 0))?,
        ..Found::default()
    };
    if let Some(s) = &reads.of_visitor {
        found.of_visitor = fetch(conn, s, |r| Ok((r.get(0)?, message_row(r, 1)?)))?;
    }
    if let Some(s) = &reads.aliases {
        found.aliases = fetch(conn, s, |r| Ok((r.get(0)?, r.get(1)?)))?;
    }
    // Almost always from the key store's cache; a miss reads the key store.
    let data_keys = runtime.block_on(writer::data_keys(context.keys.as_deref(), &found))?;
    if let Some(s) = writer::widgets_missing(&found, widget_keys) {
        let rows = fetch(conn, &s, |r| Ok((r.get(0)?, r.get(1)?)))?;
        writer::remember_widgets(widget_keys, rows)?;
    }
    let decided = writer::decide(context, jobs, found, &data_keys, widget_keys)?;
    for s in &decided.writes {
        conn.prepare_cached(&s.sql)?
            .execute(rusqlite::params_from_iter(&s.args))?;
    }
    Ok(decided.results)
}

fn fetch<T>(
    conn: &rusqlite::Connection,
    s: &Stmt<'_>,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare_cached(&s.sql)?
        .query_map(rusqlite::params_from_iter(&s.args), row)?
        .collect()
}

/// A [`super::MessageRow`] from the columns of [`super::message_fields`] at `at`.
fn message_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<super::MessageRow> {
    Ok((
        r.get(at)?,
        r.get(at + 1)?,
        r.get(at + 2)?,
        r.get(at + 3)?,
        r.get(at + 4)?,
        r.get(at + 5)?,
        r.get(at + 6)?,
        r.get(at + 7)?,
    ))
}

impl rusqlite::ToSql for db::Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            db::Arg::Bool(Some(b)) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            db::Arg::Int(Some(i)) => ToSqlOutput::Owned(Value::Integer(*i)),
            db::Arg::Real(Some(f)) => ToSqlOutput::Owned(Value::Real(*f)),
            db::Arg::Text(Some(t)) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            db::Arg::Blob(Some(b)) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
            db::Arg::Bool(None)
            | db::Arg::Int(None)
            | db::Arg::Real(None)
            | db::Arg::Text(None)
            | db::Arg::Blob(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// SQLite's own message names the constraint or the failure, never a value.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Other(sqlx::Error::Protocol(format!("sqlite: {e}")))
    }
}

/// After an erasure: copies the WAL into the database file and empties it, so the
/// pre-deletion page images in the WAL are gone too. Best effort: with readers active the
/// checkpoint may stop early, and the next one finishes it.
pub(super) async fn checkpoint(pool: &SqlitePool) {
    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
    {
        tracing::warn!(error = %e, "checkpoint after erasure failed");
    }
}
