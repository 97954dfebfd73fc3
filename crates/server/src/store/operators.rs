//! Operators' lifecycle (issue 15): listed, added without a password (a one-time link sets
//! it), changed (role, name, alias, disabled), removed, and their second factor (an
//! authenticator secret sealed with its own data key, and hashed recovery codes).
//!
//! Every change that could leave nobody able to manage operators (the last enabled operator
//! whose role grants `operators` demoted, disabled or removed) is refused with `Conflict`,
//! inside the transaction that would make it.

use super::accounts::{end_sessions, Ended};
use super::db;
use super::{Operator, OperatorRow, Store, StoreError, OPERATOR_COLUMNS};
use crate::crypto;
use confide_protocol::accounts::{OperatorChange, OperatorView};

/// What was changed, for the audit log and the sockets to close.
#[derive(Debug, Default)]
pub struct Changed {
    pub view: Option<OperatorView>,
    /// Sessions ended by the change (the operator was disabled).
    pub ended: Vec<Ended>,
    /// The operator's permissions changed: their sockets reconnect under the new ones.
    pub role_changed: bool,
    pub second_factor_cleared: bool,
}

/// The pending or enrolled authenticator secret of an operator.
pub struct TotpState {
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: i64,
}

impl std::fmt::Debug for TotpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpState")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

fn totp_ad(operator: i64) -> Vec<u8> {
    crypto::ad("totp", &operator.to_string())
}

async fn managers(tx: &mut db::Tx<'_>) -> Result<i64, StoreError> {
    // Enabled operators whose role may manage operators.
    let sql = format!(
        "SELECT COUNT(*) FROM operators o JOIN roles r ON r.name = o.role \
         WHERE {} AND o.disabled_at IS NULL",
        tx.kind().json_flag("r.permissions", "operators")
    );
    let (n,): (i64,) = db::query_as(sql).fetch_one(&mut *tx).await?;
    Ok(n)
}

/// Commits unless the transaction took away the last manager.
async fn commit_unless_last_manager(mut tx: db::Tx<'_>, before: i64) -> Result<(), StoreError> {
    if before > 0 && managers(&mut tx).await? == 0 {
        tx.rollback().await?;
        return Err(StoreError::Conflict);
    }
    tx.commit().await?;
    Ok(())
}

fn view_of(op: &Operator, created_at: i64) -> OperatorView {
    OperatorView {
        id: op.id,
        email: op.email.clone(),
        name: op.name.clone(),
        alias: op.alias.clone(),
        role: op.role.clone(),
        disabled: op.disabled,
        password_set: !op.password_hash.is_empty(),
        totp: op.totp,
        passkeys: op.passkeys,
        created_at,
    }
}

impl Store {
    pub async fn operator_by_id(&self, id: i64) -> Result<Operator, StoreError> {
        let row: OperatorRow = db::query_as(format!(
            "SELECT {OPERATOR_COLUMNS} FROM operators o WHERE o.id = ?"
        ))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(super::operator_from_row(row))
    }

    /// One operator as the Operators page shows them.
    pub async fn operator_view(&self, id: i64) -> Result<OperatorView, StoreError> {
        let op = self.operator_by_id(id).await?;
        let (created_at,): (i64,) = db::query_as("SELECT created_at FROM operators WHERE id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(view_of(&op, created_at))
    }

    /// Every operator, by name.
    pub async fn operator_views(&self) -> Result<Vec<OperatorView>, StoreError> {
        let rows: Vec<super::OperatorWith> = db::query_as(format!(
            "SELECT {OPERATOR_COLUMNS}, o.created_at AS extra FROM operators o \
             ORDER BY lower(o.name), o.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| view_of(&super::operator_from_row(row.operator), row.extra))
            .collect())
    }

    /// Applies `change` (fields already checked; `role` names an existing role). Disabling
    /// ends the operator's sessions; `Conflict` when no manager would be left.
    pub async fn change_operator(
        &self,
        id: i64,
        change: &OperatorChange,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.pool.begin().await?;
        let before = managers(&mut tx).await?;
        let (role, disabled, totp_key): (String, Option<i64>, Option<Vec<u8>>) =
            db::query_as("SELECT role, disabled_at, totp_key_ref FROM operators WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let mut out = Changed::default();
        if let Some(new_role) = &change.role {
            if *new_role != role {
                db::query("UPDATE operators SET role = ? WHERE id = ?")
                    .bind(new_role)
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                out.role_changed = true;
            }
        }
        if let Some(name) = &change.name {
            db::query("UPDATE operators SET name = ? WHERE id = ?")
                .bind(name)
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        if let Some(alias) = &change.alias {
            db::query("UPDATE operators SET alias = ? WHERE id = ?")
                .bind(alias)
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        match (change.disabled, disabled) {
            (Some(true), None) => {
                db::query("UPDATE operators SET disabled_at = ? WHERE id = ?")
                    .bind(self.clock.now_ms())
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                out.ended = end_sessions(&mut tx, id, None).await?;
            }
            (Some(false), Some(_)) => {
                db::query("UPDATE operators SET disabled_at = NULL WHERE id = ?")
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
            }
            _ => {}
        }
        if change.clear_second_factor {
            clear_totp(&mut tx, id).await?;
            db::query("DELETE FROM passkeys WHERE operator_id = ?")
                .bind(id)
                .execute(&mut tx)
                .await?;
            out.second_factor_cleared = true;
        }
        commit_unless_last_manager(tx, before).await?;
        if out.second_factor_cleared {
            if let (Some(key), Some(keys)) = (totp_key, &self.keys) {
                keys.erase(&[key]).await?;
            }
        }
        out.view = Some(self.operator_view(id).await?);
        Ok(out)
    }

    /// Removes the operator (their sessions and links go with them; their messages keep the
    /// alias they were written under). `Conflict` for the last manager.
    pub async fn remove_operator_by_id(&self, id: i64) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let before = managers(&mut tx).await?;
        let gone: Option<(i64, Option<Vec<u8>>)> =
            db::query_as("DELETE FROM operators WHERE id = ? RETURNING id, totp_key_ref")
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
        commit_unless_last_manager(tx, before).await?;
        if let (Some((_, Some(key))), Some(keys)) = (&gone, &self.keys) {
            keys.erase(std::slice::from_ref(key)).await?;
        }
        Ok(gone.map(|(id, _)| id))
    }

    /// Removes the operator with this email (the command line). `Conflict` for the last
    /// manager.
    pub async fn remove_operator(&self, email: &str) -> Result<Option<i64>, StoreError> {
        let id: Option<(i64,)> =
            db::query_as("SELECT id FROM operators WHERE lower(email) = lower(?)")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        match id {
            Some((id,)) => self.remove_operator_by_id(id).await,
            None => Ok(None),
        }
    }

    /// A one-time link for the operator: replaces any earlier one. With `reset`, their
    /// password stops working and their sessions end now.
    pub async fn issue_link(
        &self,
        operator: i64,
        token_hash: &[u8],
        ttl_ms: i64,
        reset: bool,
    ) -> Result<(i64, Vec<Ended>), StoreError> {
        let now = self.clock.now_ms();
        let mut tx = self.pool.begin().await?;
        db::query(
            "INSERT INTO account_links (token_hash, operator_id, created_at, expires_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (operator_id) DO UPDATE SET \
             token_hash = excluded.token_hash, created_at = excluded.created_at, \
             expires_at = excluded.expires_at",
        )
        .bind(token_hash)
        .bind(operator)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut tx)
        .await?;
        let mut ended = Vec::new();
        if reset {
            db::query("UPDATE operators SET password_hash = '' WHERE id = ?")
                .bind(operator)
                .execute(&mut tx)
                .await?;
            ended = end_sessions(&mut tx, operator, None).await?;
        }
        tx.commit().await?;
        Ok((now + ttl_ms, ended))
    }

    /// Whether a one-time link with this token is there and not expired (before the password
    /// is hashed for it).
    pub async fn link_is_live(&self, token_hash: &[u8]) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = db::query_as(
            "SELECT operator_id FROM account_links WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(self.clock.now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Uses a one-time link: sets the password and deletes the link. `NotFound` when the
    /// link was used, replaced or has expired (or its operator was removed).
    pub async fn use_link(
        &self,
        token_hash: &[u8],
        password_hash: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(i64,)> = db::query_as(
            "DELETE FROM account_links WHERE token_hash = ? AND expires_at > ? \
             RETURNING operator_id",
        )
        .bind(token_hash)
        .bind(self.clock.now_ms())
        .fetch_optional(&mut tx)
        .await?;
        let Some((operator,)) = row else {
            return Err(StoreError::NotFound);
        };
        db::query("UPDATE operators SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(operator)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(operator)
    }

    /// A new password for the operator; their sessions but `keep` end.
    pub async fn set_password(
        &self,
        operator: i64,
        password_hash: &str,
        keep: i64,
    ) -> Result<Vec<Ended>, StoreError> {
        db::query("UPDATE operators SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(operator)
            .execute(&self.pool)
            .await?;
        self.end_other_sessions(operator, keep).await
    }

    /// Starts (or restarts) an enrolment: the secret is sealed under a new data key and
    /// waits for a code. An enrolled operator must remove theirs first (`Conflict`).
    pub async fn begin_totp(&self, operator: i64, secret: &[u8]) -> Result<(), StoreError> {
        let (enabled, previous): (bool, Option<Vec<u8>>) =
            db::query_as("SELECT totp_enabled, totp_key_ref FROM operators WHERE id = ?")
                .bind(operator)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
        if enabled {
            return Err(StoreError::Conflict);
        }
        let keys = self.keys()?;
        let (key_ref, key) = keys.create(self.clock.now_ms()).await?;
        let sealed = crypto::seal(&key, &totp_ad(operator), secret)?;
        db::query(
            "UPDATE operators SET totp_key_ref = ?, totp_secret = ?, totp_last_step = 0 \
             WHERE id = ? AND NOT totp_enabled",
        )
        .bind(&key_ref)
        .bind(&sealed)
        .bind(operator)
        .execute(&self.pool)
        .await?;
        if let Some(previous) = previous {
            keys.erase(&[previous]).await?;
        }
        Ok(())
    }

    /// The operator's authenticator secret, pending or enrolled; `NotFound` when none.
    pub async fn totp(&self, operator: i64) -> Result<TotpState, StoreError> {
        type Row = (Option<Vec<u8>>, Option<Vec<u8>>, bool, i64);
        let row: Option<Row> = db::query_as(
            "SELECT totp_key_ref, totp_secret, totp_enabled, totp_last_step FROM operators \
             WHERE id = ?",
        )
        .bind(operator)
        .fetch_optional(&self.pool)
        .await?;
        let Some((Some(key_ref), Some(sealed), enabled, last_step)) = row else {
            return Err(StoreError::NotFound);
        };
        let key = self.keys()?.get(&key_ref).await?;
        let secret = crypto::open(&key, &totp_ad(operator), &sealed)?;
        Ok(TotpState {
            secret,
            enabled,
            last_step,
        })
    }

    /// Records that a code of time step `step` was accepted; false when a code of that step
    /// or a later one was already (a code works once).
    pub async fn accept_totp_step(&self, operator: i64, step: i64) -> Result<bool, StoreError> {
        let done = db::query(
            "UPDATE operators SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
        )
        .bind(step)
        .bind(operator)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Confirms the pending enrolment and stores the recovery codes' hashes (replacing any).
    pub async fn enable_totp(&self, operator: i64, codes: &[Vec<u8>]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        db::query("UPDATE operators SET totp_enabled = TRUE WHERE id = ?")
            .bind(operator)
            .execute(&mut tx)
            .await?;
        replace_recovery_codes(&mut tx, operator, codes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses a recovery code: `Some(codes left)` when it was one of the operator's unused
    /// codes, `None` otherwise.
    pub async fn use_recovery_code(
        &self,
        operator: i64,
        hash: &[u8],
    ) -> Result<Option<i64>, StoreError> {
        let done = db::query(
            "UPDATE recovery_codes SET used_at = ? WHERE operator_id = ? AND code_hash = ? \
             AND used_at IS NULL",
        )
        .bind(self.clock.now_ms())
        .bind(operator)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let (left,): (i64,) = db::query_as(
            "SELECT COUNT(*) FROM recovery_codes WHERE operator_id = ? AND used_at IS NULL",
        )
        .bind(operator)
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(left))
    }

    /// Removes the operator's authenticator (and its data key) and recovery codes.
    pub async fn remove_totp(&self, operator: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let key: Option<(Option<Vec<u8>>,)> =
            db::query_as("SELECT totp_key_ref FROM operators WHERE id = ?")
                .bind(operator)
                .fetch_optional(&mut tx)
                .await?;
        clear_totp(&mut tx, operator).await?;
        tx.commit().await?;
        if let (Some((Some(key),)), Some(keys)) = (key, &self.keys) {
            keys.erase(&[key]).await?;
        }
        Ok(())
    }
}

async fn clear_totp(tx: &mut db::Tx<'_>, operator: i64) -> Result<(), StoreError> {
    db::query(
        "UPDATE operators SET totp_key_ref = NULL, totp_secret = NULL, totp_enabled = FALSE, \
         totp_last_step = 0 WHERE id = ?",
    )
    .bind(operator)
    .execute(&mut *tx)
    .await?;
    db::query("DELETE FROM recovery_codes WHERE operator_id = ?")
        .bind(operator)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The operator's recovery codes become these (their hashes).
pub(super) async fn replace_recovery_codes(
    tx: &mut db::Tx<'_>,
    operator: i64,
    codes: &[Vec<u8>],
) -> Result<(), StoreError> {
    db::query("DELETE FROM recovery_codes WHERE operator_id = ?")
        .bind(operator)
        .execute(&mut *tx)
        .await?;
    for hash in codes {
        db::query("INSERT INTO recovery_codes (operator_id, code_hash) VALUES (?, ?)")
            .bind(operator)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
