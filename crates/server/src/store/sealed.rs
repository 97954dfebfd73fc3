//! What the store seals and how: message bodies, the pre-chat values a visitor typed and
//! (standard mode) where they came from, each under its visitor's data key, with associated
//! data naming the table, column and row. Also the blind indexes written beside them, and the
//! pass that seals rows stored in plain text before sealing existed.

use super::db;
use super::{Store, StoreError};
use crate::crypto::{self, Secret};
use crate::keystore::{KeyError, KeyStore};
use confide_protocol::chat::ConversationId;
use confide_protocol::details::{FieldValue, VisitorDetails};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

impl From<KeyError> for StoreError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Erased => StoreError::Erased,
            KeyError::Store(e) => StoreError::Other(e),
            KeyError::Crypto(e) => e.into(),
            other => StoreError::Other(sqlx::Error::Protocol(other.to_string())),
        }
    }
}

impl From<crypto::CryptoError> for StoreError {
    fn from(e: crypto::CryptoError) -> Self {
        match e {
            crypto::CryptoError::Tampered | crypto::CryptoError::Format => StoreError::Unreadable,
            other => StoreError::Other(sqlx::Error::Protocol(other.to_string())),
        }
    }
}

/// The associated data of a message body.
pub(super) fn body_ad(conversation: i64, seq: i64) -> Vec<u8> {
    crypto::ad("messages.body", &format!("{conversation}:{seq}"))
}

fn prechat_ad(conversation: i64) -> Vec<u8> {
    crypto::ad("conversations.prechat", &conversation.to_string())
}

fn context_ad(conversation: i64) -> Vec<u8> {
    crypto::ad("conversations.context", &conversation.to_string())
}

/// What a visitor typed into the pre-chat form: kept as long as the transcript.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Prechat {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    custom: Vec<FieldValue>,
}

/// Where they came from (standard mode): kept only as long as the widget keeps details.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Context {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    os: Option<String>,
}

fn split(d: &VisitorDetails) -> (Prechat, Context) {
    (
        Prechat {
            name: d.name.clone(),
            email: d.email.clone(),
            custom: d.custom.clone(),
        },
        Context {
            page: d.page.clone(),
            referrer: d.referrer.clone(),
            browser: d.browser.clone(),
            os: d.os.clone(),
        },
    )
}

fn sealed_json<T: Serialize>(
    key: &Secret,
    ad: &[u8],
    value: &T,
    empty: bool,
) -> Result<Option<Vec<u8>>, StoreError> {
    if empty {
        return Ok(None);
    }
    let json = serde_json::to_vec(value).map_err(|e| super::json_error("details", &e))?;
    Ok(Some(crypto::seal(key, ad, &json)?))
}

fn opened_json<T: for<'de> Deserialize<'de> + Default>(
    key: &Secret,
    ad: &[u8],
    sealed: Option<&[u8]>,
) -> Result<T, StoreError> {
    match sealed {
        None => Ok(T::default()),
        Some(s) => {
            let json = crypto::open(key, ad, s)?;
            serde_json::from_slice(&json).map_err(|e| super::json_error("details", &e))
        }
    }
}

/// A conversation's details, sealed: the pre-chat values, the context, and the blind
/// indexes of the email and the name's words.
pub(super) struct SealedDetails {
    pub prechat: Option<Vec<u8>>,
    pub context: Option<Vec<u8>>,
    pub index: Vec<(&'static str, Vec<u8>)>,
}

pub(super) fn seal_details(
    keys: &KeyStore,
    key: &Secret,
    conversation: i64,
    details: &VisitorDetails,
) -> Result<SealedDetails, StoreError> {
    let (prechat, context) = split(details);
    let prechat_empty =
        prechat.name.is_none() && prechat.email.is_none() && prechat.custom.is_empty();
    let context_empty = context.page.is_none()
        && context.referrer.is_none()
        && context.browser.is_none()
        && context.os.is_none();
    let mut index = Vec::new();
    if let Some(email) = &prechat.email {
        index.push((
            "email",
            crypto::blind_index(keys.index_key(), "email", &crypto::normal_email(email)),
        ));
    }
    if let Some(name) = &prechat.name {
        for token in crypto::name_tokens(name) {
            index.push((
                "name",
                crypto::blind_index(keys.index_key(), "name", &token),
            ));
        }
    }
    Ok(SealedDetails {
        prechat: sealed_json(key, &prechat_ad(conversation), &prechat, prechat_empty)?,
        context: sealed_json(key, &context_ad(conversation), &context, context_empty)?,
        index,
    })
}

pub(super) fn open_details(
    key: &Secret,
    conversation: i64,
    prechat: Option<&[u8]>,
    context: Option<&[u8]>,
) -> Result<Option<VisitorDetails>, StoreError> {
    if prechat.is_none() && context.is_none() {
        return Ok(None);
    }
    let p: Prechat = opened_json(key, &prechat_ad(conversation), prechat)?;
    let c: Context = opened_json(key, &context_ad(conversation), context)?;
    Ok(Some(VisitorDetails {
        name: p.name,
        email: p.email,
        custom: p.custom,
        page: c.page,
        referrer: c.referrer,
        browser: c.browser,
        os: c.os,
    }))
}

impl Store {
    pub(super) fn keys(&self) -> Result<&Arc<KeyStore>, StoreError> {
        self.keys.as_ref().ok_or(StoreError::NoKeys)
    }

    /// The data key of a visitor (by their row).
    pub async fn visitor_key(&self, visitor_id: i64) -> Result<Arc<Secret>, StoreError> {
        let row: Option<(Option<Vec<u8>>,)> =
            db::query_as("SELECT key_ref FROM visitors WHERE id = ?")
                .bind(visitor_id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((Some(key_ref),)) => Ok(self.keys()?.get(&key_ref).await?),
            Some((None,)) => Err(StoreError::Erased),
            None => Err(StoreError::NotFound),
        }
    }

    /// The data key of a conversation's visitor.
    pub async fn conversation_key(
        &self,
        conversation: ConversationId,
    ) -> Result<Arc<Secret>, StoreError> {
        let row: Option<(Option<Vec<u8>>,)> = db::query_as(
            "SELECT v.key_ref FROM conversations c LEFT JOIN visitors v ON v.id = c.visitor_id \
             WHERE c.id = ?",
        )
        .bind(conversation.0)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((Some(key_ref),)) => Ok(self.keys()?.get(&key_ref).await?),
            Some((None,)) => Err(StoreError::Erased),
            None => Err(StoreError::NotFound),
        }
    }

    /// Refuses a key store that is not the one this database is sealed with: one that holds
    /// none of the data keys of the latest visitors (a new, emptied or another installation's
    /// key store would make every sealed row unreadable, and new rows would be sealed under
    /// keys the old ones never see), or whose blind-index key is not the one the database
    /// recorded at its first sealed start. The second catches what the first cannot: nodes
    /// that start on an empty shared database, each with a key store of its own (the first
    /// to record its mark wins; every other refuses).
    pub(super) async fn keys_match(&self) -> anyhow::Result<()> {
        self.keys_hold_latest().await?;
        let mark = crate::crypto::blind_index(self.keys()?.index_key(), "key store", "");
        db::query(
            "INSERT INTO key_store_mark (id, mark) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(mark.as_slice())
        .execute(&self.pool)
        .await?;
        let (recorded,): (Vec<u8>,) = db::query_as("SELECT mark FROM key_store_mark WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        if recorded != mark {
            anyhow::bail!(
                "the key store is not the one this database was first sealed with (its \
                 blind-index key differs): every node must use the same key_store; restore \
                 keys.db if it was replaced"
            );
        }
        Ok(())
    }

    /// The first half of [`Store::keys_match`]: some of the newest visitors' data keys are
    /// in the key store (or there are none).
    async fn keys_hold_latest(&self) -> anyhow::Result<()> {
        let refs: Vec<(Vec<u8>,)> = db::query_as(
            "SELECT key_ref FROM visitors WHERE key_ref IS NOT NULL ORDER BY id DESC LIMIT 20",
        )
        .fetch_all(&self.pool)
        .await?;
        if refs.is_empty() {
            return Ok(());
        }
        let keys = self.keys()?;
        for (key_ref,) in &refs {
            match keys.get(key_ref).await {
                Ok(_) => return Ok(()),
                Err(KeyError::Erased) => {}
                Err(e) => return Err(anyhow::anyhow!("{e}")),
            }
        }
        anyhow::bail!(
            "the key store holds none of this database's data keys: it is not the key store \
             this database was sealed with (check key_store, or restore keys.db)"
        )
    }

    /// Seals what was stored in plain text before sealing existed, a batch at a time, so it
    /// can stop anywhere and go on at the next start: visitors get data keys, conversations
    /// without a visitor get one, details move into sealed columns with their blind indexes,
    /// message bodies are sealed and their plain text overwritten. Returns rows sealed.
    pub(super) async fn seal_existing(&self, batch: i64) -> Result<u64, StoreError> {
        let keys = Arc::clone(self.keys()?);
        let mut sealed = 0u64;
        // Visitors without a data key.
        loop {
            let ids: Vec<(i64,)> =
                db::query_as("SELECT id FROM visitors WHERE key_ref IS NULL LIMIT ?")
                    .bind(batch)
                    .fetch_all(&self.pool)
                    .await?;
            if ids.is_empty() {
                break;
            }
            for (id,) in ids {
                let (key_ref, _) = keys.create(self.now_ms()).await?;
                db::query("UPDATE visitors SET key_ref = ? WHERE id = ?")
                    .bind(key_ref)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                sealed += 1;
            }
        }
        // Conversations without a visitor (messages left without a token, before every one
        // got a visitor): each gets a visitor of its own, whose token nobody holds.
        loop {
            let rows: Vec<(i64, i64)> = db::query_as(
                "SELECT id, widget_id FROM conversations WHERE visitor_id IS NULL LIMIT ?",
            )
            .bind(batch)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for (id, widget) in rows {
                let token = crate::auth::new_token()
                    .map_err(|e| StoreError::Other(sqlx::Error::Protocol(e.to_string())))?;
                let visitor = self
                    .create_visitor(widget, &crate::auth::token_hash(&token), 0)
                    .await?;
                db::query("UPDATE conversations SET visitor_id = ? WHERE id = ?")
                    .bind(visitor)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                sealed += 1;
            }
        }
        // Details in plain JSON.
        loop {
            let rows: Vec<(i64, String, i64)> = db::query_as(
                "SELECT id, details, visitor_id FROM conversations WHERE details IS NOT NULL LIMIT ?",
            )
            .bind(batch)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for (id, json, visitor) in rows {
                let details: VisitorDetails =
                    serde_json::from_str(&json).map_err(|e| super::json_error("details", &e))?;
                let key = self.visitor_key(visitor).await?;
                let s = seal_details(&keys, &key, id, &details)?;
                let mut tx = self.pool.begin().await?;
                db::query(
                    "UPDATE conversations SET prechat = ?, context = ?, details = NULL WHERE id = ?",
                )
                .bind(s.prechat)
                .bind(s.context)
                .bind(id)
                .execute(&mut tx)
                .await?;
                for (kind, digest) in s.index {
                    db::query(
                        "INSERT INTO blind_index (conversation_id, kind, digest) VALUES (?, ?, ?)",
                    )
                    .bind(id)
                    .bind(kind)
                    .bind(digest)
                    .execute(&mut tx)
                    .await?;
                }
                tx.commit().await?;
                sealed += 1;
            }
        }
        // Message bodies in plain text.
        loop {
            let rows: Vec<(i64, i64, String, i64)> = db::query_as(
                "SELECT m.conversation_id, m.seq, m.body, c.visitor_id FROM messages m \
                 JOIN conversations c ON c.id = m.conversation_id WHERE m.sealed IS NULL LIMIT ?",
            )
            .bind(batch)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.pool.begin().await?;
            for (conversation, seq, body, visitor) in rows {
                let key = self.visitor_key(visitor).await?;
                let s = crypto::seal(&key, &body_ad(conversation, seq), body.as_bytes())?;
                db::query(
                    "UPDATE messages SET sealed = ?, body = '' WHERE conversation_id = ? AND seq = ?",
                )
                .bind(s)
                .bind(conversation)
                .bind(seq)
                .execute(&mut tx)
                .await?;
                sealed += 1;
            }
            tx.commit().await?;
        }
        if sealed > 0 {
            // The plain text's old pages leave the WAL too.
            self.flush_erasure().await;
            tracing::info!(rows = sealed, "sealed rows stored before sealing existed");
        }
        Ok(sealed)
    }
}
