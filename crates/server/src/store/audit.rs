//! The audit log: who did what, when, to which ids. It holds ids, fixed action names and
//! counts, never message text, names, emails or addresses. Append-only and hash-chained: each
//! entry carries the SHA-256 of the one before it and its own, computed over its fields, so
//! an entry edited, removed or put in afterwards breaks the chain where it happened, and
//! [`Store::verify_audit`] (`confide audit verify`) names the first such entry.
//!
//! Retention removes entries from the old end only, and records the last removed entry's id
//! and hash as the anchor the first remaining entry must follow, so what remains still
//! verifies. A chain cut at its old end together with a forged anchor, or cut at its new end,
//! cannot be told from the chain alone: `confide audit verify` prints the newest entry's hash
//! so that it can be kept elsewhere and compared later.

use super::db;
use super::{Store, StoreError};
use sha2::{Digest, Sha256};

/// A month of the audit retention (`audit_retention_months`): 30 days, as for every retention.
const MONTH_MS: i64 = 30 * 86_400_000;

/// What an operator (or the command line) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignIn,
    SignOut,
    WidgetCreated,
    SettingsChanged,
    RouterCreated,
    RouterChanged,
    OperatorAdded,
    OperatorRemoved,
    /// An operator opened a conversation's transcript.
    TranscriptOpened,
    /// A page of the history was served (`count`: its rows).
    HistorySearched,
    /// "Find a person" was run (`count`: conversations found).
    PersonSearched,
    /// A selection was exported (`target`: its ids or `filter`; `count`: conversations).
    Exported,
    /// A selection was erased (`count`: conversations erased).
    Erased,
    /// A conversation's visitor-provided values were corrected.
    Rectified,
    /// A selection was restricted (`count`: conversations newly restricted).
    Restricted,
    /// A restriction was lifted (`count`: conversations).
    RestrictionLifted,
    /// A page of the audit log was read (`count`: its entries).
    AuditRead,
    /// The audit log was exported as CSV (`count`: entries).
    AuditExported,
    /// A role was created (`target`: `role:<name>`).
    RoleCreated,
    /// A role's permissions changed (`count`: operators holding it).
    RoleChanged,
    /// A console session was ended by its operator or an admin (`target`:
    /// `operator:<id>,session:<id>`).
    SessionEnded,
    /// The console's allowlist was saved (`count`: entries).
    AccessChanged,
    /// The console's allowlist was emptied from the command line.
    AccessReset,
    /// An operator's role, name or alias changed, or they were disabled or enabled (`target`: `operator:<id>`).
    OperatorChanged,
    /// A one-time link to set a password was made (a new operator, or a reset).
    PasswordLinkIssued,
    /// A password was set through a one-time link.
    PasswordSet,
    /// An operator changed their own password.
    PasswordChanged,
    /// An operator enrolled an authenticator app.
    SecondFactorEnrolled,
    /// An operator's authenticator app was removed (by them or an admin).
    SecondFactorRemoved,
    /// An operator signed in with a recovery code (`count`: codes left).
    RecoveryCodeUsed,
    /// An operator registered a passkey.
    PasskeyAdded,
    /// An operator removed one of their passkeys.
    PasskeyRemoved,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::WidgetCreated => "widget_created",
            AuditAction::SettingsChanged => "settings_changed",
            AuditAction::RouterCreated => "router_created",
            AuditAction::RouterChanged => "router_changed",
            AuditAction::OperatorAdded => "operator_added",
            AuditAction::OperatorRemoved => "operator_removed",
            AuditAction::TranscriptOpened => "transcript_opened",
            AuditAction::HistorySearched => "history_searched",
            AuditAction::PersonSearched => "person_searched",
            AuditAction::Exported => "exported",
            AuditAction::Erased => "erased",
            AuditAction::Rectified => "rectified",
            AuditAction::Restricted => "restricted",
            AuditAction::RestrictionLifted => "restriction_lifted",
            AuditAction::AuditRead => "audit_read",
            AuditAction::AuditExported => "audit_exported",
            AuditAction::RoleCreated => "role_created",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::SessionEnded => "session_ended",
            AuditAction::AccessChanged => "access_changed",
            AuditAction::AccessReset => "access_reset",
            AuditAction::OperatorChanged => "operator_changed",
            AuditAction::PasswordLinkIssued => "password_link_issued",
            AuditAction::PasswordSet => "password_set",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::SecondFactorEnrolled => "second_factor_enrolled",
            AuditAction::SecondFactorRemoved => "second_factor_removed",
            AuditAction::RecoveryCodeUsed => "recovery_code_used",
            AuditAction::PasskeyAdded => "passkey_added",
            AuditAction::PasskeyRemoved => "passkey_removed",
        }
    }
}

/// One entry to append. `target` names ids only (`widget:3`, `operator:7`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who: `None` for the command line or the server itself.
    pub operator_id: Option<i64>,
    pub action: AuditAction,
    pub target: String,
    pub count: Option<i64>,
}

/// A stored entry, as `confide audit verify` and the tests read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    /// Server time, unix ms.
    pub at: i64,
    pub operator_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub count: Option<i64>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

pub use confide_protocol::history::AuditFilter;

/// What [`Store::verify_audit`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every entry follows the one before it and matches its hash. `newest` is the last
    /// entry's id and hash (hex), to be kept elsewhere.
    Intact {
        entries: u64,
        newest: Option<(i64, String)>,
    },
    /// The first entry that breaks the chain, and how.
    Broken { entry: i64, why: &'static str },
}

/// The hash the chain starts from, before any entry and before any purge.
const GENESIS: [u8; 32] = [0; 32];

/// SHA-256 over the previous hash and this entry's fields, each length-prefixed so that no
/// two different entries hash the same bytes.
fn entry_hash(prev: &[u8], row: &AuditRow) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(row.id.to_be_bytes());
    h.update(row.at.to_be_bytes());
    for field in [row.operator_id, row.count] {
        match field {
            Some(v) => {
                h.update([1]);
                h.update(v.to_be_bytes());
            }
            None => h.update([0]),
        }
    }
    for text in [&row.action, &row.target] {
        h.update((text.len() as u64).to_be_bytes());
        h.update(text.as_bytes());
    }
    h.finalize().to_vec()
}

const AUDIT_COLUMNS: &str =
    "SELECT id, at, operator_id, action, target, count, prev_hash, hash FROM audit_log";

type AuditTuple = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    Option<i64>,
    Vec<u8>,
    Vec<u8>,
);

fn audit_row(
    (id, at, operator_id, action, target, count, prev_hash, hash): AuditTuple,
) -> AuditRow {
    AuditRow {
        id,
        at,
        operator_id,
        action,
        target,
        count,
        prev_hash,
        hash,
    }
}

/// The advisory lock (PostgreSQL) under which entries are chained one at a time.
const AUDIT_LOCK: i64 = 0x0c0f_1de0_a0d1;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Rows read per round while verifying.
const VERIFY_PAGE: i64 = 1000;

impl Store {
    /// Appends `entry` at the clock's now and returns its id. The write lock is taken first
    /// (`BEGIN IMMEDIATE`), so two writers, in this process or another (the command line),
    /// never chain to the same entry.
    pub async fn audit(&self, entry: AuditEntry) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        conn.begin_exclusive(AUDIT_LOCK).await?;
        let result = async {
            let last: Option<(i64, Vec<u8>)> =
                db::query_as("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut conn)
                    .await?;
            let prev = match last {
                Some((_, hash)) => hash,
                None => self.audit_anchor(&mut conn).await?.1,
            };
            // An id is never given twice, purged ones included (AUTOINCREMENT; a sequence).
            let (next,): (i64,) = db::query_as(match self.pool.kind() {
                db::Kind::Sqlite => {
                    "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0) + 1"
                }
                db::Kind::Postgres => "SELECT nextval(pg_get_serial_sequence('audit_log', 'id'))",
            })
            .fetch_one(&mut conn)
            .await?;
            let mut row = AuditRow {
                id: next,
                at: self.now_ms(),
                operator_id: entry.operator_id,
                action: entry.action.as_str().to_owned(),
                target: entry.target,
                count: entry.count,
                prev_hash: prev,
                hash: Vec::new(),
            };
            row.hash = entry_hash(&row.prev_hash, &row);
            db::query(
                "INSERT INTO audit_log (id, at, operator_id, action, target, count, prev_hash, hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(row.id)
            .bind(row.at)
            .bind(row.operator_id)
            .bind(&row.action)
            .bind(&row.target)
            .bind(row.count)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .execute(&mut conn)
            .await?;
            Ok::<i64, StoreError>(row.id)
        }
        .await;
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        db::query(end).execute(&mut conn).await?;
        result
    }

    /// The anchor the oldest remaining entry follows: the last purged entry's id and hash,
    /// or (0, the genesis hash) before any purge.
    async fn audit_anchor(&self, conn: &mut db::Pooled) -> Result<(i64, Vec<u8>), StoreError> {
        let anchor: Option<(i64, Vec<u8>)> =
            db::query_as("SELECT last_id, last_hash FROM audit_anchor WHERE id = 1")
                .fetch_optional(conn)
                .await?;
        Ok(anchor.unwrap_or((0, GENESIS.to_vec())))
    }

    /// Entries with an id above `after`, oldest first, at most `limit`.
    pub async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        let rows = db::query_as(format!("{AUDIT_COLUMNS} WHERE id > ? ORDER BY id LIMIT ?"))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(audit_row).collect())
    }

    /// Entries that match `filter`, newest first, below id `before` when given, at most
    /// `limit`.
    pub async fn audit_search(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut sql = db::query_as(format!("{AUDIT_COLUMNS} WHERE 1 = 1"));
        if let Some(action) = &filter.action {
            sql.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(op) = filter.operator {
            sql.push(" AND operator_id = ").push_bind(op);
        }
        if let Some(from) = filter.from {
            sql.push(" AND at >= ").push_bind(from);
        }
        if let Some(to) = filter.to {
            sql.push(" AND at <= ").push_bind(to);
        }
        if let Some(before) = before {
            sql.push(" AND id < ").push_bind(before);
        }
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        let rows = sql.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(audit_row).collect())
    }

    /// Walks the whole chain from the anchor, a page at a time.
    pub async fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        let (mut last_id, mut expected) = {
            let mut conn = self.pool.acquire().await?;
            self.audit_anchor(&mut conn).await?
        };
        let mut entries = 0u64;
        loop {
            let page = self.audit_entries(last_id, VERIFY_PAGE).await?;
            let Some(last) = page.last().map(|r| r.id) else {
                break;
            };
            for row in &page {
                if row.prev_hash != expected {
                    return Ok(AuditCheck::Broken {
                        entry: row.id,
                        why: "does not follow the entry before it: an entry was removed, put in or changed before it",
                    });
                }
                if entry_hash(&row.prev_hash, row) != row.hash {
                    return Ok(AuditCheck::Broken {
                        entry: row.id,
                        why: "was changed after it was written: it does not match its hash",
                    });
                }
                expected = row.hash.clone();
                entries += 1;
            }
            last_id = last;
        }
        let newest = (entries > 0).then(|| (last_id, hex(&expected)));
        Ok(AuditCheck::Intact { entries, newest })
    }

    /// Removes entries older than `months` from the old end, in one transaction
    /// with the new anchor, so that what remains still verifies. Returns how many went.
    pub(crate) async fn purge_audit(&self, now: i64, months: u32) -> Result<u64, StoreError> {
        let before = now - i64::from(months) * MONTH_MS;
        let mut conn = self.pool.acquire().await?;
        conn.begin_exclusive(AUDIT_LOCK).await?;
        let result = async {
            let last: Option<(i64, Vec<u8>)> = db::query_as(
                "SELECT id, hash FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT 1",
            )
            .bind(before)
            .fetch_optional(&mut conn)
            .await?;
            let Some((last_id, last_hash)) = last else {
                return Ok(0);
            };
            let gone = db::query("DELETE FROM audit_log WHERE id <= ?")
                .bind(last_id)
                .execute(&mut conn)
                .await?
                .rows_affected();
            db::query(
                "INSERT INTO audit_anchor (id, last_id, last_hash) VALUES (1, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
            )
            .bind(last_id)
            .bind(last_hash)
            .execute(&mut conn)
            .await?;
            Ok::<u64, StoreError>(gone)
        }
        .await;
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        db::query(end).execute(&mut conn).await?;
        result
    }
}
