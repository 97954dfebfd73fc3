//! The embedded backend: one SQLite file in WAL mode, migrated at start-up, with a pool for
//! reads and a connection of its own for the message writer.

use super::db::{Conn, Pool};
use crate::config::Durability;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens (creating if needed) the file at `path`, readable by this user only, and applies
/// every pending migration.
pub(super) async fn open(path: &Path, durability: Durability) -> anyhow::Result<(Pool, Conn)> {
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
    let conn = sqlx::ConnectOptions::connect(&options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
    Ok((Pool::Sqlite(pool), Conn::Sqlite(conn)))
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
