-- Live chat: visitors, conversations, messages, operators and their sessions.
-- Times are unix milliseconds, server time. No IP address, user agent or referrer is stored.

-- A browser that opened a widget. Only the SHA-256 of its bearer token is kept.
CREATE TABLE visitors (
    id          INTEGER PRIMARY KEY,
    widget_id   INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE operators (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash  TEXT    NOT NULL,  -- argon2id PHC string
    created_at     INTEGER NOT NULL
);

-- Operator login sessions; the cookie holds the token, the table only its SHA-256.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,
    operator_id  INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE TABLE conversations (
    id             INTEGER PRIMARY KEY,
    widget_id      INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    visitor_id     INTEGER REFERENCES visitors(id) ON DELETE SET NULL,
    open           INTEGER NOT NULL DEFAULT 1,
    offline        INTEGER NOT NULL DEFAULT 0,  -- from the leave-a-message form
    contact_email  TEXT,                        -- only if the visitor typed one
    last_seq       INTEGER NOT NULL DEFAULT 0,  -- highest message seq; bumped before each insert
    read_seq       INTEGER NOT NULL DEFAULT 0,  -- operators have read visitor messages up to here
    created_at     INTEGER NOT NULL,
    last_at        INTEGER NOT NULL
);
CREATE INDEX conversations_by_visitor ON conversations (visitor_id, open);
CREATE INDEX conversations_open ON conversations (open, last_at);

-- A message is identified by (conversation, seq); the sender's client id is unique per
-- conversation, which makes a resend idempotent.
CREATE TABLE messages (
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq              INTEGER NOT NULL,
    client_id        TEXT    NOT NULL,
    author           TEXT    NOT NULL CHECK (author IN ('visitor', 'operator', 'system')),
    operator_id      INTEGER REFERENCES operators(id) ON DELETE SET NULL,
    body             TEXT    NOT NULL,
    at               INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, client_id)
);
