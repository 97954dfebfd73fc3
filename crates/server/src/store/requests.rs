//! Data-subject requests answered by operators (issue 14): a conversation read whole, erased,
//! corrected or restricted. Erasure here is the visitor's own erasure: rows overwritten
//! (`secure_delete`), the WAL checkpointed, and a visitor left with no conversation loses
//! their token and their data key (crypto-shredding), so copies in backups stay sealed for
//! good. A restricted conversation (Art. 18) is kept: neither erased here nor purged, until an
//! admin lifts the restriction.

use super::db;
use super::{sealed, Store, StoreError};
use confide_protocol::chat::ConversationId;
use confide_protocol::details::{PrechatValues, VisitorDetails};
use std::collections::BTreeSet;

/// What an erasure did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    /// Conversations erased.
    pub erased: Vec<ConversationId>,
    pub messages: u64,
    /// Named but not there.
    pub missing: Vec<ConversationId>,
    /// Left as they were: restricted.
    pub restricted: Vec<ConversationId>,
    /// Data keys destroyed (visitors left with nothing).
    pub keys: u64,
}

/// What a restriction (or its lifting) changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restricted {
    /// Conversations whose state changed.
    pub changed: Vec<ConversationId>,
    /// Of those, the ones that were open and are now closed.
    pub closed: Vec<ConversationId>,
    pub missing: Vec<ConversationId>,
}

/// Row facts of the named conversations: (id, visitor, restricted, open).
type Facts = Vec<(i64, Option<i64>, bool, bool)>;

impl Store {
    async fn facts(&self, ids: &[ConversationId]) -> Result<Facts, StoreError> {
        let mut sql = db::query(
            "SELECT id, visitor_id, restricted_at IS NOT NULL, open FROM conversations WHERE id IN ",
        );
        sql.push_list(ids.iter().map(|id| id.0));
        Ok(sql.rows().fetch_all(&self.pool).await?)
    }

    /// Erases the named conversations that exist and are not restricted, a batch at a time,
    /// and reports the rest. Their receipts stay (they follow the retention rule, not the
    /// erasure). A visitor with no conversation left loses their token and data key.
    pub async fn erase_conversations(&self, ids: &[ConversationId]) -> Result<Erased, StoreError> {
        let mut done = Erased::default();
        let mut visitors = BTreeSet::new();
        let unique: BTreeSet<ConversationId> = ids.iter().copied().collect();
        let unique: Vec<ConversationId> = unique.into_iter().collect();
        for batch in unique.chunks(super::purge::BATCH as usize) {
            let facts = self.facts(batch).await?;
            for id in batch {
                match facts.iter().find(|f| f.0 == id.0) {
                    None => done.missing.push(*id),
                    Some((_, _, true, _)) => done.restricted.push(*id),
                    Some((_, visitor, false, _)) => {
                        done.messages += self.delete_messages(id.0).await?;
                        let gone = db::query(
                            "DELETE FROM conversations WHERE id = ? AND restricted_at IS NULL",
                        )
                        .bind(id.0)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                        if gone == 1 {
                            done.erased.push(*id);
                            visitors.extend(*visitor);
                        } else {
                            // Restricted in the meantime (its messages went before; the
                            // restriction keeps what is left).
                            done.restricted.push(*id);
                        }
                    }
                }
            }
            tokio::task::yield_now().await;
        }
        done.keys = self.shred_emptied(&visitors).await?;
        self.flush_erasure().await;
        Ok(done)
    }

    /// The visitors among `visitors` who have no conversation left: their token ends and
    /// their data key is destroyed. Returns the keys destroyed.
    async fn shred_emptied(&self, visitors: &BTreeSet<i64>) -> Result<u64, StoreError> {
        let now = self.clock.now_ms();
        let mut refs = Vec::new();
        for &visitor in visitors {
            let gone: Option<(Option<Vec<u8>>,)> = db::query_as(
                "SELECT key_ref FROM visitors WHERE id = ? \
                 AND NOT EXISTS (SELECT 1 FROM conversations WHERE visitor_id = ?)",
            )
            .bind(visitor)
            .bind(visitor)
            .fetch_optional(&self.pool)
            .await?;
            if let Some((key_ref,)) = gone {
                db::query(format!(
                    "UPDATE visitors SET expires_at = {}(expires_at, ?), key_ref = NULL \
                     WHERE id = ?",
                    self.pool.kind().least()
                ))
                .bind(now)
                .bind(visitor)
                .execute(&self.pool)
                .await?;
                refs.extend(key_ref);
            }
        }
        if !refs.is_empty() {
            self.keys()?.erase(&refs).await?;
        }
        Ok(refs.len() as u64)
    }

    /// Restricts (or lifts the restriction of) the named conversations. Restricting closes an
    /// open conversation: nobody replies to it any more.
    pub async fn restrict_conversations(
        &self,
        ids: &[ConversationId],
        restricted: bool,
    ) -> Result<Restricted, StoreError> {
        let now = self.clock.now_ms();
        let mut done = Restricted::default();
        let unique: BTreeSet<ConversationId> = ids.iter().copied().collect();
        let unique: Vec<ConversationId> = unique.into_iter().collect();
        for batch in unique.chunks(super::purge::BATCH as usize) {
            let facts = self.facts(batch).await?;
            let mut tx = self.pool.begin().await?;
            for id in batch {
                let Some(&(_, _, was, open)) = facts.iter().find(|f| f.0 == id.0) else {
                    done.missing.push(*id);
                    continue;
                };
                if was == restricted {
                    continue;
                }
                let changed = if restricted {
                    db::query(
                        "UPDATE conversations SET restricted_at = ?, open = FALSE \
                         WHERE id = ? AND restricted_at IS NULL",
                    )
                    .bind(now)
                    .bind(id.0)
                    .execute(&mut tx)
                    .await?
                } else {
                    db::query(
                        "UPDATE conversations SET restricted_at = NULL \
                         WHERE id = ? AND restricted_at IS NOT NULL",
                    )
                    .bind(id.0)
                    .execute(&mut tx)
                    .await?
                }
                .rows_affected();
                if changed == 1 {
                    done.changed.push(*id);
                    if restricted && open {
                        done.closed.push(*id);
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Whether the conversation is restricted (`NotFound` when there is none).
    pub async fn is_restricted(&self, conversation: ConversationId) -> Result<bool, StoreError> {
        let row: Option<(bool,)> =
            db::query_as("SELECT restricted_at IS NOT NULL FROM conversations WHERE id = ?")
                .bind(conversation.0)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(r,)| r).ok_or(StoreError::NotFound)
    }

    /// Replaces the visitor-provided values of a conversation (already checked by the
    /// caller: custom keys are the conversation's own) and its blind indexes, in one
    /// transaction; the context (page, browser) stays. Returns the details as now stored.
    pub async fn rectify(
        &self,
        conversation: ConversationId,
        values: &PrechatValues,
    ) -> Result<VisitorDetails, StoreError> {
        let mut details = self
            .conversation_details(conversation)
            .await?
            .unwrap_or_default();
        details.name = values.name.clone();
        details.email = values.email.clone();
        details
            .custom
            .retain_mut(|f| match values.custom.get(&f.key) {
                Some(v) => {
                    f.value = v.clone();
                    true
                }
                None => false,
            });
        let key = self.conversation_key(conversation).await?;
        let s = sealed::seal_details(self.keys()?, &key, conversation.0, &details)?;
        let mut tx = self.pool.begin().await?;
        let done = db::query("UPDATE conversations SET prechat = ?, context = ? WHERE id = ?")
            .bind(s.prechat)
            .bind(s.context)
            .bind(conversation.0)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        db::query("DELETE FROM blind_index WHERE conversation_id = ?")
            .bind(conversation.0)
            .execute(&mut tx)
            .await?;
        for (kind, digest) in s.index {
            db::query("INSERT INTO blind_index (conversation_id, kind, digest) VALUES (?, ?, ?)")
                .bind(conversation.0)
                .bind(kind)
                .bind(digest)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        // The old values' pages leave the WAL.
        self.flush_erasure().await;
        Ok(details)
    }
}
