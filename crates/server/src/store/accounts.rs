//! Operators' console sessions as they and admins see them (issue 15): listed by id, family
//! and times, and ended one at a time or all but the current one.

use super::db;
use super::{Store, StoreError};
use confide_protocol::accounts::SessionView;

type SessionRow = (i64, i64, String, Option<String>, Option<String>, i64, i64);

/// A session that was ended: its id and owner, and its token hash (to close its sockets).
#[derive(Clone)]
pub struct Ended {
    pub id: i64,
    pub operator_id: i64,
    pub token_hash: Vec<u8>,
}

impl std::fmt::Debug for Ended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ended")
            .field("id", &self.id)
            .field("operator_id", &self.operator_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Live sessions (not expired, not idle for `idle_ms`), newest activity first; one
    /// operator's when `operator` is given.
    pub async fn live_sessions(
        &self,
        operator: Option<i64>,
        idle_ms: i64,
    ) -> Result<Vec<SessionView>, StoreError> {
        let now = self.clock.now_ms();
        let rows: Vec<SessionRow> = db::query_as(
            "SELECT s.id, s.operator_id, o.name, s.browser, s.os, s.created_at, s.last_active_at \
             FROM sessions s JOIN operators o ON o.id = s.operator_id \
             WHERE s.expires_at > ? AND s.last_active_at > ? AND (? IS NULL OR s.operator_id = ?) \
             ORDER BY s.last_active_at DESC, s.id DESC",
        )
        .bind(now)
        .bind(now - idle_ms)
        .bind(operator)
        .bind(operator)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, operator_id, name, browser, os, created_at, last_active_at)| SessionView {
                    id,
                    operator_id,
                    operator_name: Some(name),
                    browser,
                    os,
                    created_at,
                    last_active_at,
                    current: false,
                },
            )
            .collect())
    }

    /// Ends the session `id` (only if it is `operator`'s, when given).
    pub async fn end_session(
        &self,
        id: i64,
        operator: Option<i64>,
    ) -> Result<Option<Ended>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = db::query_as(
            "DELETE FROM sessions WHERE id = ? AND (? IS NULL OR operator_id = ?) \
             RETURNING operator_id, token_hash",
        )
        .bind(id)
        .bind(operator)
        .bind(operator)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(operator_id, token_hash)| Ended {
            id,
            operator_id,
            token_hash,
        }))
    }

    /// Ends every session of `operator` but the one with id `keep`.
    pub async fn end_other_sessions(
        &self,
        operator: i64,
        keep: i64,
    ) -> Result<Vec<Ended>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ended = end_sessions(&mut tx, operator, Some(keep)).await?;
        tx.commit().await?;
        Ok(ended)
    }
}

impl Store {
    /// The console's allowlist as saved (entries already checked); empty lets everyone in.
    pub async fn console_allowlist(&self) -> Result<Vec<String>, StoreError> {
        let row: Option<(String,)> =
            db::query_as("SELECT allowlist FROM console_access WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        match row {
            None => Ok(Vec::new()),
            Some((json,)) => {
                serde_json::from_str(&json).map_err(|e| super::json_error("console_access", &e))
            }
        }
    }

    /// Replaces the console's allowlist.
    pub async fn save_console_allowlist(&self, entries: &[String]) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(entries).map_err(|e| super::json_error("console_access", &e))?;
        db::query(
            "INSERT INTO console_access (id, allowlist) VALUES (1, ?) \
             ON CONFLICT (id) DO UPDATE SET allowlist = excluded.allowlist",
        )
        .bind(json)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Ends the operator's sessions (all, or all but `keep`).
pub(super) async fn end_sessions(
    tx: &mut db::Tx<'_>,
    operator: i64,
    keep: Option<i64>,
) -> Result<Vec<Ended>, StoreError> {
    let rows: Vec<(i64, Vec<u8>)> = db::query_as(
        "DELETE FROM sessions WHERE operator_id = ? AND (? IS NULL OR id <> ?) \
         RETURNING id, token_hash",
    )
    .bind(operator)
    .bind(keep)
    .bind(keep)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, token_hash)| Ended {
            id,
            operator_id: operator,
            token_hash,
        })
        .collect())
}
