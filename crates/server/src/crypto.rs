//! Sealing at rest, with envelope keys (RustCrypto's XChaCha20-Poly1305, random 24-byte
//! nonces):
//!
//! - the **master key** comes from configuration (a key file), never from the database; it
//!   has an id (a hash of the key, so a wrong key is recognised before anything is opened);
//! - each visitor has a **data key**, kept only wrapped by the master key, in the key store
//!   ([`crate::keystore`]), a file apart from the database: erasing a visitor deletes their
//!   data key, and with it every copy of their data, backups of the database included;
//! - a sealed value's associated data names its table, column and row, so a ciphertext moved
//!   to another row or column does not open;
//! - the **blind-index key** (for finding a person by email or name without decrypting) is
//!   derived from the master key by HKDF when the store is first set up, then kept wrapped, so
//!   a rotation of the master key re-wraps it and every index stays valid.
//!
//! No key, plaintext or ciphertext ever appears in a `Debug`, an error or a log line.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The first line of a master key file.
pub const KEY_FILE_HEADER: &str = "confide master key v1";
/// What sealed values start with (a format version).
const SEALED_V1: u8 = 1;
const NONCE: usize = 24;

/// Why something could not be sealed or opened. None of these names the data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("a sealed value does not open with its key (tampered, moved, or the wrong key)")]
    Tampered,
    #[error("a sealed value has an unknown format")]
    Format,
    #[error("no randomness available")]
    Random,
    #[error("{0}")]
    KeyFile(String),
}

/// 32 secret bytes, wiped when dropped, hidden from `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Secret([u8; 32]);

impl Secret {
    pub fn random() -> Result<Self, CryptoError> {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|_| CryptoError::Random)?;
        Ok(Self(b))
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let b: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(b))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A master key and its id.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    pub id: String,
    secret: Secret,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish()
    }
}

impl MasterKey {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self::from_secret(Secret::random()?))
    }

    fn from_secret(secret: Secret) -> Self {
        let digest =
            Sha256::digest([b"confide master key id".as_slice(), secret.as_bytes()].concat());
        let id = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Self { id, secret }
    }

    /// The key file's text: the header line, then the key in base64.
    pub fn to_file_text(&self) -> String {
        format!(
            "{KEY_FILE_HEADER}\n{}\n",
            base64::engine::general_purpose::STANDARD.encode(self.secret.as_bytes())
        )
    }

    /// A key from a key file's text (or from `CONFIDE_ENCRYPTION_KEY`'s value: the base64 key
    /// alone, or the whole file).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let body = text
            .trim()
            .strip_prefix(KEY_FILE_HEADER)
            .unwrap_or(text.trim())
            .trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| CryptoError::KeyFile("the key is not base64".into()))?;
        let secret = Secret::from_bytes(&bytes)
            .ok_or_else(|| CryptoError::KeyFile("a key is 32 bytes".into()))?;
        Ok(Self::from_secret(secret))
    }

    /// Reads a key file, which only its owner may read (mode 0600 or stricter).
    pub fn read_file(path: &Path) -> Result<Self, CryptoError> {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| {
            CryptoError::KeyFile(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(CryptoError::KeyFile(format!(
                "the key file {} may be read by others; run chmod 600 {}",
                path.display(),
                path.display()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            CryptoError::KeyFile(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        Self::parse(&text).map_err(|e| CryptoError::KeyFile(format!("{}: {e}", path.display())))
    }

    /// Writes a new key file (mode 0600); refuses to overwrite one.
    pub fn write_file(&self, path: &Path) -> Result<(), CryptoError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                CryptoError::KeyFile(format!(
                    "cannot create the key file {}: {e}",
                    path.display()
                ))
            })?;
        f.write_all(self.to_file_text().as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| {
                CryptoError::KeyFile(format!("cannot write the key file {}: {e}", path.display()))
            })
    }

    /// Wraps a data key for `owner` (what it belongs to, bound as associated data).
    pub fn wrap(&self, key: &Secret, owner: &str) -> Result<Vec<u8>, CryptoError> {
        seal(&self.secret, &ad("data key", owner), key.as_bytes())
    }

    pub fn unwrap(&self, wrapped: &[u8], owner: &str) -> Result<Secret, CryptoError> {
        let bytes = open(&self.secret, &ad("data key", owner), wrapped)?;
        Secret::from_bytes(&bytes).ok_or(CryptoError::Format)
    }

    /// A new blind-index key, derived from this master key by HKDF with a random salt.
    /// The key live events between nodes are sealed with (drafts on PostgreSQL's
    /// notification queue): the same on every node that has this master key.
    pub fn derive_bus_key(&self) -> Result<Secret, CryptoError> {
        let hk = hkdf::Hkdf::<Sha256>::new(None, self.secret.as_bytes());
        let mut out = [0u8; 32];
        hk.expand(b"confide node bus v1", &mut out)
            .map_err(|_| CryptoError::Format)?;
        Ok(Secret(out))
    }

    pub fn derive_index_key(&self) -> Result<Secret, CryptoError> {
        let salt = Secret::random()?;
        let hk = hkdf::Hkdf::<Sha256>::new(Some(salt.as_bytes()), self.secret.as_bytes());
        let mut out = [0u8; 32];
        hk.expand(b"confide blind index v1", &mut out)
            .map_err(|_| CryptoError::Format)?;
        Ok(Secret(out))
    }
}

/// The associated data of a sealed value: what kind it is and whose (table, column, row).
pub fn ad(kind: &str, row: &str) -> Vec<u8> {
    format!("confide v1\0{kind}\0{row}").into_bytes()
}

/// `plaintext` sealed under `key`, bound to `ad`: version, nonce, ciphertext and tag.
pub fn seal(key: &Secret, ad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
    let mut nonce = [0u8; NONCE];
    getrandom::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: ad,
            },
        )
        .map_err(|_| CryptoError::Format)?;
    let mut out = Vec::with_capacity(1 + NONCE + ct.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens what [`seal`] made with the same key and associated data.
pub fn open(key: &Secret, ad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (&version, rest) = sealed.split_first().ok_or(CryptoError::Format)?;
    if version != SEALED_V1 || rest.len() < NONCE + 16 {
        return Err(CryptoError::Format);
    }
    let (nonce, ct) = rest.split_at(NONCE);
    XChaCha20Poly1305::new(key.as_bytes().into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: ad })
        .map_err(|_| CryptoError::Tampered)
}

/// A blind index: HMAC-SHA256 under the index key of `kind` and the normalised `value`. The
/// same person's email (or name word) always gives the same bytes; nobody without the key
/// can compute or reverse them.
pub fn blind_index(key: &Secret, kind: &str, value: &str) -> Vec<u8> {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        // HMAC takes a key of any length.
        Err(_) => return Vec::new(),
    };
    mac.update(kind.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// An email as the index keeps it: trimmed, lower case.
pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The words of a name as the index keeps them: lower case, accents and other marks
/// removed (`Zoë` → `zoe`), split at white space, hyphens and apostrophes.
pub fn name_tokens(name: &str) -> Vec<String> {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    let mut tokens: Vec<String> = folded
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '\'' | '’' | '.' | ','))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_its_row() {
        let key = Secret::random().expect("key");
        let sealed = seal(&key, &ad("messages.body", "7:3"), b"hello").expect("seal");
        assert!(!sealed.windows(5).any(|w| w == b"hello"));
        assert_eq!(
            open(&key, &ad("messages.body", "7:3"), &sealed).expect("open"),
            b"hello"
        );
        // Copied to another row or column, or opened with another key: refused.
        assert_eq!(
            open(&key, &ad("messages.body", "7:4"), &sealed),
            Err(CryptoError::Tampered)
        );
        assert_eq!(
            open(&key, &ad("conversations.prechat", "7:3"), &sealed),
            Err(CryptoError::Tampered)
        );
        let other = Secret::random().expect("key");
        assert_eq!(
            open(&other, &ad("messages.body", "7:3"), &sealed),
            Err(CryptoError::Tampered)
        );
        // A flipped bit anywhere.
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(
                open(&key, &ad("messages.body", "7:3"), &t).is_err(),
                "byte {i}"
            );
        }
        assert_eq!(open(&key, b"", b""), Err(CryptoError::Format));
        // Two seals of the same text differ (random nonces).
        assert_ne!(
            seal(&key, b"a", b"x").expect("seal"),
            seal(&key, b"a", b"x").expect("seal")
        );
    }

    #[test]
    fn data_keys_are_wrapped_for_their_owner_and_keys_have_stable_ids() {
        let master = MasterKey::generate().expect("master");
        let again = MasterKey::parse(&master.to_file_text()).expect("parse");
        assert_eq!(again.id, master.id);
        assert_eq!(again, master);
        assert_eq!(master.id.len(), 12);
        let other = MasterKey::generate().expect("master");
        assert_ne!(other.id, master.id);
        let dek = Secret::random().expect("dek");
        let wrapped = master.wrap(&dek, "visitor:5").expect("wrap");
        assert_eq!(master.unwrap(&wrapped, "visitor:5").expect("unwrap"), dek);
        assert!(
            master.unwrap(&wrapped, "visitor:6").is_err(),
            "another owner"
        );
        assert!(
            other.unwrap(&wrapped, "visitor:5").is_err(),
            "another master key"
        );
        let shown = format!("{master:?} {dek:?}");
        assert!(!shown.contains(&base64::engine::general_purpose::STANDARD.encode(dek.as_bytes())));
        assert!(MasterKey::parse("confide master key v1\nnot base64!\n").is_err());
        assert!(MasterKey::parse("c2hvcnQ=").is_err(), "too short");
    }

    #[test]
    fn blind_indexes_match_the_same_person_only() {
        let key = Secret::random().expect("key");
        assert_eq!(
            blind_index(&key, "email", &normal_email(" Ada@Example.COM ")),
            blind_index(&key, "email", &normal_email("ada@example.com"))
        );
        assert_ne!(
            blind_index(&key, "email", "ada@example.com"),
            blind_index(&key, "name", "ada@example.com"),
            "kinds do not mix"
        );
        let other = Secret::random().expect("key");
        assert_ne!(
            blind_index(&key, "email", "a@b.c"),
            blind_index(&other, "email", "a@b.c")
        );
        assert_eq!(
            name_tokens("Zoë  O'Neil-Müller"),
            vec!["muller", "neil", "o", "zoe"]
        );
        assert_eq!(name_tokens("ÅSA ångström"), vec!["angstrom", "asa"]);
    }
}
