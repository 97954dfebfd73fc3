-- Operators' lifecycle and second factors (issue 15).
--
-- disabled_at: a disabled operator cannot sign in and their sessions end; they stay, with
-- their history, until removed. password_hash is '' until a one-time link is used.
ALTER TABLE operators ADD COLUMN disabled_at INTEGER;
-- The authenticator app's secret, sealed with its own data key (keystore), pending until
-- confirmed with a code (totp_enabled = 1). totp_last_step: the last time step a code was
-- accepted for, so a code works once.
ALTER TABLE operators ADD COLUMN totp_key_ref BLOB;
ALTER TABLE operators ADD COLUMN totp_secret BLOB;
ALTER TABLE operators ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- One-time links to set a password: only the SHA-256 of the token; one live link per
-- operator (a new one replaces it); used once.
CREATE TABLE account_links (
    token_hash   BLOB    PRIMARY KEY,
    operator_id  INTEGER NOT NULL UNIQUE REFERENCES operators(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

-- Recovery codes: only their SHA-256; each signs in once.
CREATE TABLE recovery_codes (
    operator_id  INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    code_hash    BLOB    NOT NULL,
    used_at      INTEGER,
    PRIMARY KEY (operator_id, code_hash)
);
