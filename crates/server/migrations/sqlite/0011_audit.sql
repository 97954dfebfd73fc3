-- The audit log (store/audit.rs): ids, fixed action names and counts, never content. Each
-- entry holds the previous entry's hash and its own; retention removes entries from the old
-- end and leaves the last removed one's id and hash in audit_anchor, which the oldest
-- remaining entry must follow. AUTOINCREMENT: an id is never given twice.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,  -- unix ms, server time
    operator_id INTEGER,           -- who; NULL for the command line or the server itself
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    count       INTEGER,
    prev_hash   BLOB    NOT NULL UNIQUE,
    hash        BLOB    NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);

CREATE TABLE audit_anchor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_id   INTEGER NOT NULL,
    last_hash BLOB    NOT NULL
);
