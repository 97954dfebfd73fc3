//! Second factors (issue 15): authenticator-app codes (RFC 6238: SHA-1, six digits, 30 s,
//! one step of drift each way, each step accepted once) and recovery codes (ten per
//! enrolment, each `xxxxx-xxxxx` of 50 random bits, kept only as SHA-256, each used once).

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// The issuer authenticator apps show next to the account.
pub const ISSUER: &str = "Confide";
const STEP_SECS: u64 = 30;
const SECRET_BYTES: usize = 20;

/// A fresh authenticator secret (160 bits, RFC 4226's recommendation).
pub fn new_secret() -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

fn totp(secret: &[u8], account: &str) -> anyhow::Result<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(ISSUER.to_owned()),
        account.replace(':', " "),
    )
    .map_err(|e| anyhow::anyhow!("totp: {e}"))
}

/// What the enrolment screen shows: the secret in base32, the `otpauth://` URI, and the URI
/// as a QR code (an SVG document).
pub fn enrolment(
    secret: &[u8],
    account: &str,
) -> anyhow::Result<confide_protocol::accounts::TotpEnrolment> {
    let totp = totp(secret, account)?;
    let uri = totp.get_url();
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| anyhow::anyhow!("qr: {e}"))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(confide_protocol::accounts::TotpEnrolment {
        secret: totp.get_secret_base32(),
        uri,
        qr_svg,
    })
}

/// Whether `code` looks like an authenticator code (six digits) rather than a recovery code.
pub fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The time step `code` is right for at `now_ms` (this one, the one before or after), if
/// any. The caller refuses a step already used.
pub fn code_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    if !is_totp_code(code) {
        return None;
    }
    let totp = totp(secret, "").ok()?;
    let now = u64::try_from(now_ms).ok()? / 1000 / STEP_SECS;
    // Oldest first: when two steps match (they never do in practice), the earlier is used.
    (now.saturating_sub(1)..=now + 1)
        .find(|step| {
            let expected = totp.generate(step * STEP_SECS);
            constant_time_eq(expected.as_bytes(), code.as_bytes())
        })
        .and_then(|step| i64::try_from(step).ok())
}

/// Compares in time that depends on the length only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Crockford's base32, lowercase: no i, l, o or u to misread.
const CODE_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Ten new recovery codes, as shown once to the operator.
pub fn new_recovery_codes() -> anyhow::Result<Vec<String>> {
    (0..confide_protocol::accounts::RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            let chars: String = bytes
                .iter()
                .map(|b| char::from(CODE_ALPHABET[usize::from(b & 31)]))
                .collect();
            Ok(format!("{}-{}", &chars[..5], &chars[5..]))
        })
        .collect()
}

/// What the database keeps of a recovery code: the SHA-256 of its letters and digits,
/// lowercased (so `ABCDE-FGHJK`, `abcde fghjk` and `abcdefghjk` are the same code).
pub fn recovery_hash(code: &str) -> Vec<u8> {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 vectors (the secret is "12345678901234567890"), cut to
    /// six digits.
    #[test]
    fn codes_match_the_rfc_vectors_within_one_step() {
        let secret = b"12345678901234567890";
        assert_eq!(code_step(secret, "287082", 59_000), Some(1));
        assert_eq!(
            code_step(secret, "081804", 1_111_111_109_000),
            Some(37_037_036)
        );
        assert_eq!(
            code_step(secret, "005924", 1_234_567_890_000),
            Some(41_152_263)
        );
        // One step later still works, two do not.
        assert_eq!(
            code_step(secret, "005924", 1_234_567_890_000 + 30_000),
            Some(41_152_263)
        );
        assert_eq!(
            code_step(secret, "005924", 1_234_567_890_000 + 60_000),
            None
        );
        assert_eq!(code_step(secret, "005925", 1_234_567_890_000), None);
        assert_eq!(code_step(secret, "00592", 1_234_567_890_000), None);
        assert_eq!(code_step(secret, "abcdef", 1_234_567_890_000), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_match_however_typed() {
        let codes = new_recovery_codes().expect("codes");
        assert_eq!(codes.len(), 10);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        let c = &codes[0];
        assert_eq!(c.len(), 11);
        assert_eq!(recovery_hash(c), recovery_hash(&c.to_uppercase()));
        assert_eq!(recovery_hash(c), recovery_hash(&c.replace('-', " ")));
        assert_ne!(recovery_hash(c), recovery_hash(&codes[1]));
    }

    #[test]
    fn the_enrolment_carries_the_secret_in_its_uri_and_a_qr_code() {
        let secret = new_secret().expect("secret");
        let e = enrolment(&secret, "op:1@example.com").expect("enrolment");
        assert!(e.uri.starts_with("otpauth://totp/Confide:"), "{}", e.uri);
        assert!(e.uri.contains(&format!("secret={}", e.secret)));
        assert!(e.qr_svg.contains("<svg"));
        assert_eq!(e.secret.len(), 32);
    }
}
