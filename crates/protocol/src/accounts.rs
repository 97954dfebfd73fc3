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

/// An operator as the Operators page lists them (`GET /api/admin/operators`): the real name
/// and email are for the console only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub alias: String,
    pub role: String,
    /// Disabled: cannot sign in; sessions ended; kept with their history.
    #[serde(default)]
    pub disabled: bool,
    /// A password is set (false until the one-time link is used).
    #[serde(default)]
    pub password_set: bool,
    /// An authenticator app is enrolled.
    #[serde(default)]
    pub totp: bool,
    /// Passkeys registered.
    #[serde(default)]
    pub passkeys: u32,
    /// Unix ms.
    pub created_at: i64,
}

/// `POST /api/admin/operators`: a new operator, who sets their password through the
/// one-time link the answer carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOperator {
    pub email: String,
    /// The real name: console and audit log only.
    pub name: String,
    /// What visitors see; the name's first word when absent.
    #[serde(default)]
    pub alias: Option<String>,
    pub role: String,
}

impl std::fmt::Debug for NewOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewOperator")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// `PATCH /api/admin/operators/{id}`: each field present is changed. A change that would
/// leave no operator whose role may manage operators is refused (409 `conflict`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Removes the operator's authenticator app, passkeys and recovery codes (they lost their
    /// phone);
    /// they enrol again at their next sign-in if their role requires it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_second_factor: bool,
}

impl std::fmt::Debug for OperatorChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorChange")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .field("clear_second_factor", &self.clear_second_factor)
            .finish_non_exhaustive()
    }
}

/// How long a one-time link (to set a first password, or a new one after a reset) stays good.
pub const LINK_TTL_HOURS: i64 = 24;

/// A one-time link: the answer to adding an operator (201) and to
/// `POST /api/admin/operators/{id}/reset-password`. `path` (under the server's address) opens
/// the console's set-password page; its token is after the `#`, so it never reaches a log.
/// The link works once, until `expires_at`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeLink {
    pub operator: OperatorView,
    pub path: String,
    /// Unix ms.
    pub expires_at: i64,
}

impl std::fmt::Debug for OneTimeLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneTimeLink")
            .field("operator", &self.operator.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// `POST /api/account/password` (no session): sets the password a one-time link was made
/// for. 410 `link_expired` when the link was used, replaced or is too old.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub token: String,
    pub password: String,
}

impl std::fmt::Debug for SetPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetPassword { token: ***, password: *** }")
    }
}

/// `POST /api/operator/password`: an operator changes their own password; the current one
/// is needed (a wrong one counts toward the sign-in throttle). Their other sessions end.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current: String,
    pub new: String,
}

impl std::fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePassword { current: ***, new: *** }")
    }
}

/// `POST /api/operator/totp`: a new authenticator secret, pending until confirmed with a
/// code from the app. `qr_svg` is the `otpauth://` URI as a QR code (an SVG document).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, for typing into the app by hand.
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment { .. }")
    }
}

/// `POST /api/operator/totp/confirm` (a code from the app) and
/// `POST /api/operator/totp/remove` (the password, to take it off).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorProof {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl std::fmt::Debug for SecondFactorProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecondFactorProof { .. }")
    }
}

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

/// The answer to confirming an authenticator: ten one-time recovery codes, shown this once
/// (the server keeps only their hashes). Each signs in once in place of a code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.codes.len())
    }
}

/// A name or alias as typed: trimmed, 1 to [`crate::chat::MAX_NAME_CHARS`] characters, no
/// hidden format characters. The error quotes nothing of it.
pub fn checked_display_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > crate::chat::MAX_NAME_CHARS {
        return Err(format!("1 to {} characters", crate::chat::MAX_NAME_CHARS));
    }
    if let Some(found) = crate::text::hidden_format(name) {
        return Err(crate::text::hidden_format_problem(&found));
    }
    Ok(name.to_owned())
}

/// The longest name an operator gives a passkey, in characters.
pub const MAX_PASSKEY_NAME: usize = 60;
/// The most passkeys one operator may register.
pub const MAX_PASSKEYS: usize = 10;

/// One of the operator's passkeys (`GET /api/operator/passkeys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    /// Unix ms.
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
}

/// A WebAuthn ceremony's first answer: `options` is the JSON the browser's
/// `PublicKeyCredential.parseCreationOptionsFromJSON` (registration) or
/// `parseRequestOptionsFromJSON` (sign-in) takes, under its `publicKey` member; `ticket` names
/// the ceremony in the second request (sign-in only; a registration belongs to its session).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ticket: String,
    pub options: String,
}

impl std::fmt::Debug for PasskeyChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasskeyChallenge { .. }")
    }
}

/// `POST /api/operator/passkeys/register/finish`: the new credential (the JSON of the
/// browser's `PublicKeyCredential.toJSON()`) and the operator's name for it. The answer is
/// [`RecoveryCodes`]: ten new ones when the operator had none, else none.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPasskey {
    pub name: String,
    pub credential: String,
}

impl std::fmt::Debug for NewPasskey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPasskey { .. }")
    }
}

/// `POST /api/operator/login/passkey`: the password first (throttled like any sign-in); the
/// answer is a [`PasskeyChallenge`] for the operator's passkeys.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginStart {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for PasskeyLoginStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasskeyLoginStart { email: ***, password: *** }")
    }
}

/// `POST /api/operator/login/passkey/finish`: the ceremony's ticket and the browser's
/// assertion (`PublicKeyCredential.toJSON()`); the answer is the sign-in's.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyLoginFinish {
    pub ticket: String,
    pub credential: String,
}

impl std::fmt::Debug for PasskeyLoginFinish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasskeyLoginFinish { .. }")
    }
}
