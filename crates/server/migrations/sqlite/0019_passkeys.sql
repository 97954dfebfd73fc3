-- Passkeys (WebAuthn, issue 15): an operator's second factor, beside or instead of an
-- authenticator app. `passkey` is webauthn-rs's Passkey as JSON: the credential id, its public
-- key and signature counter; nothing secret. `name` is the operator's label for it.
CREATE TABLE passkeys (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id    INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    credential_id  BLOB    NOT NULL UNIQUE,
    passkey        TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX passkeys_by_operator ON passkeys (operator_id);

-- A ceremony between its two requests (registration by a session, or sign-in by a ticket):
-- webauthn-rs's state as JSON, under the SHA-256 of a random ticket; used once, 5 minutes.
-- In the database rather than memory, so the second request may reach another node.
CREATE TABLE webauthn_ceremonies (
    ticket_hash  BLOB    PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('register', 'sign_in')),
    state        TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL
);
