//! Passkeys (issue 15): each operator's WebAuthn credentials, and the ceremonies between
//! their two requests. webauthn-rs's types travel as JSON text: the store does not parse them.

use super::db;
use super::{Store, StoreError};
use confide_protocol::accounts::PasskeyView;

/// How long a ceremony's second request may take.
pub const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;

/// A ceremony's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    Register,
    SignIn,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Ceremony::Register => "register",
            Ceremony::SignIn => "sign_in",
        }
    }
}

impl Store {
    /// The operator's passkeys, as webauthn-rs's JSON, with their row ids.
    pub async fn passkeys_of(&self, operator: i64) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(
            db::query_as("SELECT id, passkey FROM passkeys WHERE operator_id = ? ORDER BY id")
                .bind(operator)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The operator's passkeys as their Account page lists them.
    pub async fn passkey_views(&self, operator: i64) -> Result<Vec<PasskeyView>, StoreError> {
        let rows: Vec<(i64, String, i64, Option<i64>)> = db::query_as(
            "SELECT id, name, created_at, last_used_at FROM passkeys WHERE operator_id = ? \
             ORDER BY id",
        )
        .bind(operator)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, last_used_at)| PasskeyView {
                id,
                name,
                created_at,
                last_used_at,
            })
            .collect())
    }

    /// Stores a new passkey; `Conflict` when that credential is registered already.
    pub async fn add_passkey(
        &self,
        operator: i64,
        credential_id: &[u8],
        passkey: &str,
        name: &str,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = db::query_as(
            "INSERT INTO passkeys (operator_id, credential_id, passkey, name, created_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(operator)
        .bind(credential_id)
        .bind(passkey)
        .bind(name)
        .bind(self.clock.now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// After a sign-in with it: its new signature counter and when.
    pub async fn passkey_used(&self, id: i64, passkey: &str) -> Result<(), StoreError> {
        db::query("UPDATE passkeys SET passkey = ?, last_used_at = ? WHERE id = ?")
            .bind(passkey)
            .bind(self.clock.now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes one of the operator's passkeys; false when they have none with that id.
    pub async fn remove_passkey(&self, operator: i64, id: i64) -> Result<bool, StoreError> {
        let done = db::query("DELETE FROM passkeys WHERE id = ? AND operator_id = ?")
            .bind(id)
            .bind(operator)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps a ceremony's state under its ticket (replacing the operator's earlier one of the
    /// same kind); expired ones go.
    pub async fn begin_ceremony(
        &self,
        ticket_hash: &[u8],
        operator: i64,
        kind: Ceremony,
        state: &str,
    ) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let mut tx = self.pool.begin().await?;
        db::query(
            "DELETE FROM webauthn_ceremonies WHERE expires_at <= ? \
             OR (operator_id = ? AND kind = ?)",
        )
        .bind(now)
        .bind(operator)
        .bind(kind.as_str())
        .execute(&mut tx)
        .await?;
        db::query(
            "INSERT INTO webauthn_ceremonies (ticket_hash, operator_id, kind, state, expires_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(ticket_hash)
        .bind(operator)
        .bind(kind.as_str())
        .bind(state)
        .bind(now + CEREMONY_TTL_MS)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a ceremony's state (once): `(operator, state)`; `NotFound` when it was used,
    /// replaced, or is too old.
    pub async fn take_ceremony(
        &self,
        ticket_hash: &[u8],
        kind: Ceremony,
    ) -> Result<(i64, String), StoreError> {
        let row: Option<(i64, String)> = db::query_as(
            "DELETE FROM webauthn_ceremonies WHERE ticket_hash = ? AND kind = ? \
             AND expires_at > ? RETURNING operator_id, state",
        )
        .bind(ticket_hash)
        .bind(kind.as_str())
        .bind(self.clock.now_ms())
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Whether the operator has recovery codes (used or not).
    pub async fn has_recovery_codes(&self, operator: i64) -> Result<bool, StoreError> {
        let (n,): (i64,) =
            db::query_as("SELECT COUNT(*) FROM recovery_codes WHERE operator_id = ?")
                .bind(operator)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// Stores the operator's recovery codes' hashes (replacing any).
    pub async fn set_recovery_codes(
        &self,
        operator: i64,
        codes: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        super::operators::replace_recovery_codes(&mut tx, operator, codes).await?;
        tx.commit().await?;
        Ok(())
    }
}
