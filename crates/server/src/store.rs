//! Storage: one SQLite file (embedded) through sqlx, migrated at start-up.

use crate::config::DatabaseUrl;
use confide_protocol::WidgetKey;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::time::{SystemTime, UNIX_EPOCH};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflicts with stored data")]
    Conflict,
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widget {
    pub id: i64,
    pub key: WidgetKey,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database and applies every pending migration.
    pub async fn open(url: &DatabaseUrl) -> anyhow::Result<Self> {
        let path = url
            .sqlite_path()
            .ok_or_else(|| anyhow::anyhow!("the database URL names no file"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                anyhow::anyhow!("cannot create database folder {}: {e}", dir.display())
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
        Ok(Self { pool })
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn widget_by_key(&self, key: &WidgetKey) -> Result<Widget, StoreError> {
        let row: (i64, String, String) =
            sqlx::query_as("SELECT id, key, name FROM widgets WHERE key = ?")
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
        let done = sqlx::query(
            "INSERT INTO widgets (key, name, created_at) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING",
        )
        .bind(key.as_str())
        .bind(name)
        .bind(unix_now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn widget_count(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM widgets")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
