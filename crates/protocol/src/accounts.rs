//! Operators' accounts (issue 15): their console sessions, as they and admins see them.

use serde::{Deserialize, Serialize};

/// One live console session: where it was opened from (browser and OS family only, never an
/// address) and when. `GET /api/operator/sessions` lists the operator's own (`current` marks
/// the one asking); `GET /api/admin/sessions` everyone's, with whose they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    pub operator_id: i64,
    /// The operator's real name (admins' list only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_name: Option<String>,
    /// `Chrome`, `Firefox`…, `Other`; absent for sessions opened before this was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Server time, unix ms.
    pub created_at: i64,
    pub last_active_at: i64,
    #[serde(default)]
    pub current: bool,
}

/// `POST /api/operator/sessions/end-others`: how many ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub ended: u64,
}

/// The most entries the console's allowlist holds.
pub const MAX_ALLOWLIST: usize = 100;

/// `GET /api/admin/access`: the addresses and CIDR ranges (IPv4 or IPv6) the console, the
/// operator API and the operator socket answer; empty: every address. `PUT` saves it; a list
/// that would shut out the address saving it needs `lock_out_confirmed` (409 `conflict`
/// otherwise). `confide access reset` empties it from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleAccess {
    pub allowlist: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lock_out_confirmed: bool,
}
