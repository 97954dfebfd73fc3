-- A row id is never handed out twice. Without AUTOINCREMENT, SQLite gives a new row the
-- highest id + 1, so erasing the newest conversation (or visitor, or receipt) made its id
-- the next one's: a console that still had the old conversation open could show another
-- visitor's under it. The tables are rebuilt with AUTOINCREMENT. Migrations run on a
-- connection without foreign-key enforcement (see Store::open), so dropping the old tables
-- deletes nothing that refers to them; the references name the tables, which the rebuilt
-- ones replace under the same names.

CREATE TABLE visitors_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    widget_id   INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
INSERT INTO visitors_new (id, widget_id, token_hash, created_at, expires_at)
    SELECT id, widget_id, token_hash, created_at, expires_at FROM visitors;
DROP TABLE visitors;
ALTER TABLE visitors_new RENAME TO visitors;

CREATE TABLE consent_receipts_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    widget_id    INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    visitor_id   INTEGER REFERENCES visitors(id) ON DELETE SET NULL,
    language     TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    text_sha256  TEXT    NOT NULL,
    policy_url   TEXT,
    created_at   INTEGER NOT NULL,
    withdrawn_at INTEGER
);
INSERT INTO consent_receipts_new
    (id, widget_id, visitor_id, language, version, text_sha256, policy_url, created_at, withdrawn_at)
    SELECT id, widget_id, visitor_id, language, version, text_sha256, policy_url, created_at, withdrawn_at
    FROM consent_receipts;
DROP TABLE consent_receipts;
ALTER TABLE consent_receipts_new RENAME TO consent_receipts;
CREATE INDEX consent_receipts_by_visitor ON consent_receipts (visitor_id);

CREATE TABLE conversations_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    widget_id      INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    visitor_id     INTEGER REFERENCES visitors(id) ON DELETE SET NULL,
    open           INTEGER NOT NULL DEFAULT 1,
    offline        INTEGER NOT NULL DEFAULT 0,
    contact_email  TEXT,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    read_seq       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    last_at        INTEGER NOT NULL,
    receipt_id     INTEGER REFERENCES consent_receipts(id) ON DELETE SET NULL,
    details        TEXT,
    unread         INTEGER NOT NULL DEFAULT 0
);
INSERT INTO conversations_new
    (id, widget_id, visitor_id, open, offline, contact_email, last_seq, read_seq, created_at,
     last_at, receipt_id, details, unread)
    SELECT id, widget_id, visitor_id, open, offline, contact_email, last_seq, read_seq,
           created_at, last_at, receipt_id, details, unread
    FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;
CREATE INDEX conversations_by_visitor ON conversations (visitor_id, open);
CREATE INDEX conversations_open ON conversations (open, last_at);
