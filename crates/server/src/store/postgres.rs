//! The PostgreSQL backend: its own migrations (`migrations/postgres`, kept column for column
//! with the SQLite schema by `tests/api/postgres.rs`), a pool, and a connection of its own
//! for the message writer. The queries are the store's shared ones (see [`super::db`]).

use super::db::{Conn, Pool};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// The PostgreSQL schema's migrations, run at start-up like SQLite's.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The message writer's connection's name (in `pg_stat_activity`).
pub const WRITER: &str = "confide-writer";

/// Connections in the pool of one node.
const POOL: u32 = 16;

fn options(url: &str) -> anyhow::Result<PgConnectOptions> {
    // The URL is not quoted: it may carry a password.
    Ok(PgConnectOptions::from_str(url)
        .map_err(|_| anyhow::anyhow!("the PostgreSQL URL does not parse"))?
        .application_name("confide"))
}

/// Connects to `url` (`postgres://user@host:port/database`) and applies every pending
/// migration (several nodes starting at once take turns: sqlx holds an advisory lock).
pub(super) async fn open(url: &str) -> anyhow::Result<(Pool, Conn)> {
    let options = options(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(POOL)
        .connect_with(options.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {}", pg_error(&e)))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    let conn = sqlx::ConnectOptions::connect(&options.application_name(WRITER))
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {}", pg_error(&e)))?;
    Ok((Pool::Postgres(pool), Conn::Postgres(conn)))
}

/// A connection error without the server's own words, which may name the user or host.
fn pg_error(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Io(_) => "the server cannot be reached",
        sqlx::Error::Tls(_) => "TLS failed",
        sqlx::Error::Database(_) => "the server refused (user, password or database)",
        sqlx::Error::PoolTimedOut => "timed out",
        _ => "the connection failed",
    }
}
