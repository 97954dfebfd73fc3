-- Each operator sees their console sessions and can end them (issue 15): a session gets an id
-- that can be shown and named (never its token or token hash), and the browser and OS family
-- it was opened from (one of ua.rs's fixed names; never the user agent, never an address).
-- Rebuilt with AUTOINCREMENT (migrations run with foreign keys off, see Store::open).
CREATE TABLE sessions_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash      BLOB    NOT NULL UNIQUE,
    operator_id     INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    last_active_at  INTEGER NOT NULL DEFAULT 0,
    browser         TEXT,
    os              TEXT
);
INSERT INTO sessions_new (token_hash, operator_id, created_at, expires_at, last_active_at)
    SELECT token_hash, operator_id, created_at, expires_at, last_active_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_operator ON sessions (operator_id);
