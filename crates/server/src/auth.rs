//! Secrets: random bearer tokens (stored only as SHA-256) and argon2id password hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::fmt;

/// A fresh bearer token: 32 random bytes as 43 characters of unpadded base64url.
pub fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A password as typed. Its `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 1024;

    /// A new password must be 10 characters or more (and at most 1 KiB).
    pub fn new(s: String) -> Result<Self, String> {
        if s.chars().count() < Self::MIN_CHARS {
            return Err(format!(
                "a password needs at least {} characters",
                Self::MIN_CHARS
            ));
        }
        if s.len() > Self::MAX_BYTES {
            return Err("a password is at most 1024 bytes".into());
        }
        Ok(Self(s))
    }

    /// A password offered at login: not checked for strength, only bounded.
    pub fn offered(s: String) -> Option<Self> {
        (s.len() <= Self::MAX_BYTES).then_some(Self(s))
    }

    pub fn hash(&self) -> anyhow::Result<String> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    }

    pub fn verify(&self, phc: &str) -> bool {
        PasswordHash::new(phc)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(self.0.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password hash nobody can match, verified against when the email is unknown so a login
/// takes as long for an unknown email as for a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        Password("unused-dummy-password".into())
            .hash()
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(confide_protocol::chat::VisitorToken::parse(&a).is_ok());
    }

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let p = Password::new("correct horse battery".into()).expect("long enough");
        let phc = p.hash().expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(p.verify(&phc));
        let wrong = Password::offered("correct horse battery!".into()).expect("bounded");
        assert!(!wrong.verify(&phc));
        assert!(!p.verify("not a phc string"));
    }

    #[test]
    fn short_passwords_are_refused_and_debug_hides_them() {
        assert!(Password::new("short".into()).is_err());
        let p = Password::new("a long enough secret".into()).expect("ok");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
