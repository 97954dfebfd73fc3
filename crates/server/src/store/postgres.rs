//! The PostgreSQL backend (issue 17), as far as it goes so far: its schema
//! (`migrations/postgres`), kept column for column with the SQLite one by
//! `tests/api/postgres.rs`. The store's trait and this backend's queries are next; until
//! then `confide serve` refuses a `postgres://` database URL.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;

/// The PostgreSQL schema's migrations, run at start-up like SQLite's.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A pool on `url` (`postgres://user@host:port/database`) with the schema migrated.
pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|_| anyhow::anyhow!("the PostgreSQL URL does not parse"))?
        .application_name("confide");
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
