//! The purge: what each widget's retention (`WidgetSettings::retention`) says has expired is
//! deleted, with the injected clock, in small transactions so chat traffic waits for at most
//! one batch. Erasure here is the same as a visitor's: rows are overwritten
//! (`secure_delete`), the WAL is checkpointed, and a visitor who has nothing left loses their
//! data key (crypto-shredding), so backups of what they wrote no longer open.
//!
//! Kept how long:
//! - a conversation (messages, pre-chat values, blind indexes), until `transcript_months`
//!   after its last message; a restricted one (Art. 18) stays, details included, until the
//!   restriction is lifted;
//! - its details (page, referrer, browser and OS family), until `details_days` after it started;
//! - a consent receipt, while a conversation refers to it, then `receipt_months` more;
//! - a visitor (token hash, data key), until their token has expired and no conversation is left;
//! - a console session, until it expires or has been idle for `session_idle_minutes`;
//! - a data key no visitor refers to (a start that failed between the two), one hour.

use super::db;
use super::{Store, StoreError};
use confide_protocol::settings::WidgetSettings;

/// Rows (conversations, receipts, sessions, visitors, keys) per transaction.
pub const BATCH: i64 = 200;
/// Messages deleted per transaction while a conversation's are removed.
const MESSAGE_BATCH: i64 = 2_000;
/// A data key with no visitor is kept this long (its visitor row is written just after it).
const ORPHAN_KEY_GRACE_MS: i64 = 3_600_000;

/// What one purge deleted. Counts only: never a value, an id or a widget key in the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub conversations: u64,
    pub messages: u64,
    pub details: u64,
    pub receipts: u64,
    pub visitors: u64,
    pub sessions: u64,
    pub keys: u64,
    /// Audit entries past their retention, from the old end.
    pub audit: u64,
}

impl PurgeCounts {
    pub fn total(&self) -> u64 {
        self.conversations
            + self.messages
            + self.details
            + self.receipts
            + self.visitors
            + self.sessions
            + self.keys
            + self.audit
    }
}

impl Store {
    /// Deletes everything that has expired at the clock's now. `session_idle_ms` is the
    /// console's idle limit, `audit_months` how long audit entries are kept. Each batch is its own transaction; between batches the task
    /// yields, so the writer and readers go on.
    pub async fn purge(
        &self,
        session_idle_ms: i64,
        audit_months: u32,
    ) -> Result<PurgeCounts, StoreError> {
        let now = self.clock.now_ms();
        let mut counts = PurgeCounts::default();
        let widgets: Vec<(i64, String)> = db::query_as("SELECT id, settings FROM widgets")
            .fetch_all(&self.pool)
            .await?;
        for (widget_id, settings) in widgets {
            // A widget saved before settings existed has the defaults, like everywhere else.
            let retention = serde_json::from_str::<WidgetSettings>(&settings)
                .map(|s| s.retention)
                .unwrap_or_default();
            let (transcripts, details, receipts) = retention.periods_ms();
            self.purge_transcripts(widget_id, now - transcripts, &mut counts)
                .await?;
            counts.details += self.purge_details(widget_id, now - details).await?;
            counts.receipts += self.purge_receipts(widget_id, now, now - receipts).await?;
        }
        counts.sessions += self.purge_sessions(now, now - session_idle_ms).await?;
        let (visitors, keys) = self.purge_visitors(now).await?;
        counts.visitors += visitors;
        counts.keys += keys;
        counts.keys += self.purge_orphan_keys(now - ORPHAN_KEY_GRACE_MS).await?;
        counts.audit += self.purge_audit(now, audit_months).await?;
        if counts.total() > 0 {
            self.flush_erasure().await;
        }
        Ok(counts)
    }

    async fn purge_transcripts(
        &self,
        widget_id: i64,
        before: i64,
        counts: &mut PurgeCounts,
    ) -> Result<(), StoreError> {
        loop {
            let ids: Vec<(i64,)> = db::query_as(
                "SELECT id FROM conversations WHERE widget_id = ? AND last_at < ? \
                 AND restricted_at IS NULL LIMIT ?",
            )
            .bind(widget_id)
            .bind(before)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            for &(id,) in &ids {
                counts.messages += self.delete_messages(id).await?;
            }
            let mut tx = self.pool.begin().await?;
            for &(id,) in &ids {
                // Checked again: a message that arrived meanwhile keeps the conversation.
                counts.conversations += db::query(
                    "DELETE FROM conversations WHERE id = ? AND last_at < ? \
                     AND restricted_at IS NULL",
                )
                .bind(id)
                .bind(before)
                .execute(&mut tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            tokio::task::yield_now().await;
            if (ids.len() as i64) < BATCH {
                return Ok(());
            }
        }
    }

    /// Deletes a conversation's messages, several transactions for a long conversation rather
    /// than one that holds the write lock for all of them. Returns how many.
    pub(super) async fn delete_messages(&self, conversation: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let gone = db::query(
                "DELETE FROM messages WHERE conversation_id = ? AND seq IN \
                 (SELECT seq FROM messages WHERE conversation_id = ? ORDER BY seq LIMIT ?)",
            )
            .bind(conversation)
            .bind(conversation)
            .bind(MESSAGE_BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
            total += gone;
            tokio::task::yield_now().await;
            if gone < MESSAGE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    async fn purge_details(&self, widget_id: i64, before: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let done = db::query(
                "UPDATE conversations SET context = NULL, details = NULL WHERE id IN \
                 (SELECT id FROM conversations WHERE widget_id = ? AND created_at < ? \
                  AND restricted_at IS NULL \
                  AND (context IS NOT NULL OR details IS NOT NULL) LIMIT ?)",
            )
            .bind(widget_id)
            .bind(before)
            .bind(BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
            total += done;
            tokio::task::yield_now().await;
            if done < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// A receipt's proof period starts when no conversation refers to it: the purge marks
    /// it then (and unmarks it if one does again), and deletes it a period later.
    async fn purge_receipts(
        &self,
        widget_id: i64,
        now: i64,
        before: i64,
    ) -> Result<u64, StoreError> {
        const REFERRED: &str =
            "EXISTS (SELECT 1 FROM conversations c WHERE c.receipt_id = consent_receipts.id)";
        db::query(format!(
            "UPDATE consent_receipts SET unreferenced_at = NULL \
             WHERE widget_id = ? AND unreferenced_at IS NOT NULL AND {REFERRED}"
        ))
        .bind(widget_id)
        .execute(&self.pool)
        .await?;
        db::query(format!(
            "UPDATE consent_receipts SET unreferenced_at = ? \
             WHERE widget_id = ? AND unreferenced_at IS NULL AND NOT {REFERRED}"
        ))
        .bind(now)
        .bind(widget_id)
        .execute(&self.pool)
        .await?;
        let mut total = 0;
        loop {
            let done = db::query(format!(
                "DELETE FROM consent_receipts WHERE id IN \
                 (SELECT id FROM consent_receipts WHERE widget_id = ? AND unreferenced_at < ? \
                  AND NOT {REFERRED} LIMIT ?)"
            ))
            .bind(widget_id)
            .bind(before)
            .bind(BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
            total += done;
            tokio::task::yield_now().await;
            if done < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    async fn purge_sessions(&self, now: i64, idle_before: i64) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let done = db::query(
                "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions \
                 WHERE expires_at <= ? OR last_active_at <= ? LIMIT ?)",
            )
            .bind(now)
            .bind(idle_before)
            .bind(BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
            total += done;
            tokio::task::yield_now().await;
            if done < BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Visitors whose token has expired and who have no conversation left: the row and the
    /// data key go. Returns (visitors, keys).
    async fn purge_visitors(&self, now: i64) -> Result<(u64, u64), StoreError> {
        let (mut visitors, mut keys) = (0, 0);
        loop {
            let mut tx = self.pool.begin().await?;
            let gone: Vec<(Option<Vec<u8>>,)> = db::query_as(
                "DELETE FROM visitors WHERE id IN (SELECT v.id FROM visitors v \
                 WHERE v.expires_at <= ? \
                 AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = v.id) \
                 LIMIT ?) RETURNING key_ref",
            )
            .bind(now)
            .bind(BATCH)
            .fetch_all(&mut tx)
            .await?;
            tx.commit().await?;
            let refs: Vec<Vec<u8>> = gone.iter().filter_map(|(r,)| r.clone()).collect();
            if let Some(store) = &self.keys {
                store.erase(&refs).await?;
                keys += refs.len() as u64;
            }
            visitors += gone.len() as u64;
            tokio::task::yield_now().await;
            if (gone.len() as i64) < BATCH {
                return Ok((visitors, keys));
            }
        }
    }

    /// Data keys no visitor or operator refers to: a visitor row that was never written after
    /// its key, or one deleted while the key store could not be reached.
    async fn purge_orphan_keys(&self, created_before: i64) -> Result<u64, StoreError> {
        let Some(store) = &self.keys else {
            return Ok(0);
        };
        let mut total = 0;
        for chunk in store
            .refs_created_before(created_before)
            .await?
            .chunks(BATCH as usize)
        {
            // A key is a visitor's or (sealing an authenticator secret) an operator's.
            let mut known = db::query("SELECT key_ref FROM visitors WHERE key_ref IN ");
            known
                .push_list(chunk.iter().map(|r| r.as_slice()))
                .push(" UNION ALL SELECT totp_key_ref FROM operators WHERE totp_key_ref IN ")
                .push_list(chunk.iter().map(|r| r.as_slice()));
            let known: std::collections::HashSet<Vec<u8>> = known
                .rows::<(Vec<u8>,)>()
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(r,)| r)
                .collect();
            let orphans: Vec<Vec<u8>> = chunk
                .iter()
                .filter(|r| !known.contains(*r))
                .cloned()
                .collect();
            store.erase(&orphans).await?;
            total += orphans.len() as u64;
            tokio::task::yield_now().await;
        }
        Ok(total)
    }
}
