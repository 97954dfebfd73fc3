//! The key store: every visitor's data key, wrapped by the master key, and the wrapped
//! blind-index key, in a SQLite file of its own beside the database (`keys.db`), or, for
//! several nodes that must share it, in a PostgreSQL database of its own
//! (`key_store = postgres://…`).
//!
//! It is apart from the database on purpose. Erasing a visitor deletes their data key here
//! (crypto-shredding): a copy of the database made before, a backup included, no longer opens
//! for them. Back this file up on its own schedule, and keep few copies: a copy of the key
//! store made before an erasure can still open that visitor's data until it is gone too.
//!
//! A data key is found by a random reference (`key_ref`) that the visitor's row holds; the
//! key is written before the row, so no visitor is ever without one (a key whose row never
//! came is removed by the purge).

use crate::crypto::{CryptoError, MasterKey, Secret};
use crate::store::db::{self, Kind, Pool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The master keys a process knows: the primary wraps new keys, the others only unwrap (the
/// ones being rotated away from).
#[derive(Debug, Clone)]
pub struct KeyRing {
    pub primary: MasterKey,
    pub others: Vec<MasterKey>,
}

impl KeyRing {
    pub fn new(primary: MasterKey) -> Self {
        Self {
            primary,
            others: Vec::new(),
        }
    }

    fn by_id(&self, id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.primary)
            .chain(&self.others)
            .find(|k| k.id == id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The visitor's data key is gone: their data was erased.
    #[error("the data key is gone: this data was erased")]
    Erased,
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error("key store: {0}")]
    Store(#[from] sqlx::Error),
    #[error("{0}")]
    Refused(String),
}

/// A reference to a data key: 16 random bytes.
pub type KeyRef = Vec<u8>;

/// How many unwrapped data keys are kept in memory.
const CACHE: usize = 50_000;
/// How long a node that shares its key store (PostgreSQL) trusts a key it read: another node
/// may erase it meanwhile. After this it reads the key again, and finds it gone.
pub const SHARED_KEY_TTL: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct KeyStore {
    pool: Pool,
    ring: KeyRing,
    index_key: Secret,
    /// Unwrapped keys and when they were read.
    cache: Mutex<HashMap<KeyRef, (Arc<Secret>, Instant)>>,
    /// How long a cached key holds when the key store is shared ([`SHARED_KEY_TTL`]).
    shared_ttl: Duration,
}

fn owner(key_ref: &[u8]) -> String {
    let hex: String = key_ref.iter().map(|b| format!("{b:02x}")).collect();
    format!("data_keys:{hex}")
}

impl KeyStore {
    /// Opens (creating if needed) the key store at `path` with `ring`. Refuses, before
    /// anything is written, when a stored key is wrapped by a master key the ring lacks
    /// (the wrong key file, or a rotation not finished).
    pub async fn open(path: &Path, ring: KeyRing, durable: bool) -> Result<Self, KeyError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::private_dir(dir)
                .map_err(|e| KeyError::Refused(format!("cannot create {}: {e}", dir.display())))?;
        }
        let exists = path.exists();
        if !exists {
            crate::files::private_file(path)
                .map_err(|e| KeyError::Refused(format!("cannot create {}: {e}", path.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(if durable {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
            .pragma("secure_delete", "ON")
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self::open_pool(Pool::Sqlite(pool), ring).await
    }

    /// Opens (creating its tables if needed) the key store in the PostgreSQL database at
    /// `url`, which every node shares. Refuses as [`KeyStore::open`] does.
    pub async fn open_postgres(url: &str, ring: KeyRing) -> Result<Self, KeyError> {
        let options = <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url)
            .map_err(|_| KeyError::Refused("the key store's URL does not parse".into()))?
            .application_name("confide-keys");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|_| KeyError::Refused("cannot connect to the key store's database".into()))?;
        let pool = Pool::Postgres(pool);
        // Nodes starting together create the tables once: one at a time.
        let mut tx = pool.begin().await?;
        db::query("SELECT pg_advisory_xact_lock(7263523)")
            .execute(&mut tx)
            .await?;
        create_tables(&mut tx, Kind::Postgres).await?;
        tx.commit().await?;
        Self::open_pool(pool, ring).await
    }

    async fn open_pool(pool: Pool, ring: KeyRing) -> Result<Self, KeyError> {
        let kind = pool.kind();
        if kind == Kind::Sqlite {
            let mut tx = pool.begin().await?;
            create_tables(&mut tx, kind).await?;
            tx.commit().await?;
        }
        // Every key must open with a master key we have: check before writing anything.
        let kids: Vec<(String,)> =
            db::query_as("SELECT DISTINCT kid FROM data_keys UNION SELECT kid FROM install")
                .fetch_all(&pool)
                .await?;
        if let Some((kid,)) = kids.iter().find(|(kid,)| ring.by_id(kid).is_none()) {
            pool.close().await;
            return Err(KeyError::Refused(format!(
                "the key store's keys are wrapped by master key {kid}, which is not the \
                 configured one ({}): this is the wrong key file (or a rotation to it has \
                 not finished; configure the old key too)",
                ring.primary.id
            )));
        }
        // The first node to get here makes the blind-index key; the others read it.
        let key = ring.primary.derive_index_key()?;
        db::query(
            "INSERT INTO install (name, kid, wrapped) VALUES ('blind_index', ?, ?) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&ring.primary.id)
        .bind(ring.primary.wrap(&key, "install:blind_index")?)
        .execute(&pool)
        .await?;
        let (kid, wrapped): (String, Vec<u8>) =
            db::query_as("SELECT kid, wrapped FROM install WHERE name = 'blind_index'")
                .fetch_one(&pool)
                .await?;
        let index_key = ring
            .by_id(&kid)
            .ok_or(KeyError::Erased)?
            .unwrap(&wrapped, "install:blind_index")?;
        Ok(Self {
            pool,
            ring,
            index_key,
            cache: Mutex::new(HashMap::new()),
            shared_ttl: SHARED_KEY_TTL,
        })
    }

    /// The same key store trusting its cached keys for `ttl` when shared (for tests).
    pub fn with_shared_ttl(mut self, ttl: Duration) -> Self {
        self.shared_ttl = ttl;
        self
    }

    /// The key the blind indexes are made with.
    pub fn index_key(&self) -> &Secret {
        &self.index_key
    }

    /// The key events between nodes are sealed with (see [`crate::cluster`]).
    pub fn bus_key(&self) -> Result<Secret, KeyError> {
        Ok(self.ring.primary.derive_bus_key()?)
    }

    /// The configured primary master key's id.
    pub fn primary_id(&self) -> &str {
        &self.ring.primary.id
    }

    /// A new data key under a new reference, stored before anything is sealed with it.
    pub async fn create(&self, now_ms: i64) -> Result<(KeyRef, Arc<Secret>), KeyError> {
        let key = Secret::random()?;
        let key_ref = Secret::random()?.as_bytes()[..16].to_vec();
        db::query("INSERT INTO data_keys (key_ref, kid, wrapped, created_at) VALUES (?, ?, ?, ?)")
            .bind(&key_ref)
            .bind(&self.ring.primary.id)
            .bind(self.ring.primary.wrap(&key, &owner(&key_ref))?)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        let key = Arc::new(key);
        self.remember(&key_ref, &key);
        Ok((key_ref, key))
    }

    /// The data key behind `key_ref`; [`KeyError::Erased`] when it is gone.
    pub async fn get(&self, key_ref: &[u8]) -> Result<Arc<Secret>, KeyError> {
        let shared = self.pool.kind() == Kind::Postgres;
        if let Some((k, at)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key_ref)
        {
            if !shared || at.elapsed() < self.shared_ttl {
                return Ok(Arc::clone(k));
            }
        }
        let row: Option<(String, Vec<u8>)> =
            db::query_as("SELECT kid, wrapped FROM data_keys WHERE key_ref = ?")
                .bind(key_ref)
                .fetch_optional(&self.pool)
                .await?;
        let (kid, wrapped) = row.ok_or(KeyError::Erased)?;
        let master = self.ring.by_id(&kid).ok_or(KeyError::Erased)?;
        let key = Arc::new(master.unwrap(&wrapped, &owner(key_ref))?);
        self.remember(key_ref, &key);
        Ok(key)
    }

    fn remember(&self, key_ref: &[u8], key: &Arc<Secret>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE {
            cache.clear();
        }
        cache.insert(key_ref.to_vec(), (Arc::clone(key), Instant::now()));
    }

    /// Crypto-shredding: the data keys are deleted (on SQLite overwritten and the WAL
    /// emptied; on PostgreSQL the table vacuumed, see the deployment guide), so nothing
    /// sealed with them opens again, wherever a copy of it is.
    pub async fn erase(&self, key_refs: &[KeyRef]) -> Result<(), KeyError> {
        if key_refs.is_empty() {
            return Ok(());
        }
        self.forget(key_refs);
        let mut tx = self.pool.begin().await?;
        for r in key_refs {
            db::query("DELETE FROM data_keys WHERE key_ref = ?")
                .bind(r)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        db::query(match self.pool.kind() {
            Kind::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
            // The deleted rows' space is reclaimed now rather than at autovacuum's next pass.
            Kind::Postgres => "VACUUM data_keys",
        })
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drops unwrapped keys from this process's memory.
    fn forget(&self, key_refs: &[KeyRef]) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        for r in key_refs {
            cache.remove(r);
        }
    }

    /// Every key reference stored (for the purge of keys whose visitor never came).
    pub async fn refs_created_before(&self, before_ms: i64) -> Result<Vec<KeyRef>, KeyError> {
        let rows: Vec<(Vec<u8>,)> =
            db::query_as("SELECT key_ref FROM data_keys WHERE created_at < ?")
                .bind(before_ms)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(r,)| r).collect())
    }

    /// Re-wraps up to `batch` keys that are not under the primary master key; returns how
    /// many. Resumable: run it until it returns 0.
    pub async fn rotate(&self, batch: u32) -> Result<u64, KeyError> {
        let primary = &self.ring.primary;
        let rows: Vec<(Vec<u8>, String, Vec<u8>)> =
            db::query_as("SELECT key_ref, kid, wrapped FROM data_keys WHERE kid != ? LIMIT ?")
                .bind(&primary.id)
                .bind(i64::from(batch))
                .fetch_all(&self.pool)
                .await?;
        let mut tx = self.pool.begin().await?;
        let mut done = 0;
        for (key_ref, kid, wrapped) in rows {
            let old = self.ring.by_id(&kid).ok_or(KeyError::Erased)?;
            let key = old.unwrap(&wrapped, &owner(&key_ref))?;
            db::query("UPDATE data_keys SET kid = ?, wrapped = ? WHERE key_ref = ?")
                .bind(&primary.id)
                .bind(primary.wrap(&key, &owner(&key_ref))?)
                .bind(&key_ref)
                .execute(&mut tx)
                .await?;
            done += 1;
        }
        let install: Vec<(String, String, Vec<u8>)> =
            db::query_as("SELECT name, kid, wrapped FROM install WHERE kid != ?")
                .bind(&primary.id)
                .fetch_all(&mut tx)
                .await?;
        for (name, kid, wrapped) in install {
            let old = self.ring.by_id(&kid).ok_or(KeyError::Erased)?;
            let key = old.unwrap(&wrapped, &format!("install:{name}"))?;
            db::query("UPDATE install SET kid = ?, wrapped = ? WHERE name = ?")
                .bind(&primary.id)
                .bind(primary.wrap(&key, &format!("install:{name}"))?)
                .bind(&name)
                .execute(&mut tx)
                .await?;
            done += 1;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// How many keys are still wrapped by another master key than the primary.
    pub async fn not_rotated(&self) -> Result<i64, KeyError> {
        let (n,): (i64,) = db::query_as(
            "SELECT (SELECT COUNT(*) FROM data_keys WHERE kid != ?1) \
             + (SELECT COUNT(*) FROM install WHERE kid != ?1)",
        )
        .bind(&self.ring.primary.id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The key store's two tables, if they are not there yet.
async fn create_tables(tx: &mut db::Tx<'_>, kind: Kind) -> Result<(), sqlx::Error> {
    let (blob, int) = match kind {
        Kind::Sqlite => ("BLOB", "INTEGER"),
        Kind::Postgres => ("BYTEA", "BIGINT"),
    };
    db::query(format!(
        "CREATE TABLE IF NOT EXISTS data_keys (key_ref {blob} PRIMARY KEY, kid TEXT NOT NULL, \
         wrapped {blob} NOT NULL, created_at {int} NOT NULL)"
    ))
    .execute(&mut *tx)
    .await?;
    db::query(format!(
        "CREATE TABLE IF NOT EXISTS install (name TEXT PRIMARY KEY, kid TEXT NOT NULL, \
         wrapped {blob} NOT NULL)"
    ))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
