-- Roles as permissions (issue 15, protocol `roles`): an operator's `role` names a row here,
-- whose permissions (a Permissions JSON document) the server checks on every operator-side
-- request and frame. admin and agent are built in and never change.
CREATE TABLE roles (
    name        TEXT    PRIMARY KEY,
    permissions TEXT    NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
INSERT INTO roles (name, permissions, builtin, created_at) VALUES
    ('admin', '{"transcripts":"edit","settings":true,"operators":true,"audit":true,"api_tokens":true}', 1, 0),
    ('agent', '{}', 1, 0);

-- operators.role was checked against the two built-in names; it now names a row of roles.
-- The table is rebuilt (migrations run with foreign keys off, see Store::open, so nothing that
-- refers to it is touched), with AUTOINCREMENT: an operator id, which the audit log keeps, is
-- never given to another operator.
CREATE TABLE operators_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name           TEXT    NOT NULL,
    alias          TEXT    NOT NULL DEFAULT '',
    role           TEXT    NOT NULL REFERENCES roles(name),
    password_hash  TEXT    NOT NULL,  -- argon2id PHC string
    created_at     INTEGER NOT NULL
);
INSERT INTO operators_new (id, email, name, alias, role, password_hash, created_at)
    SELECT id, email, name, alias, role, password_hash, created_at FROM operators;
DROP TABLE operators;
ALTER TABLE operators_new RENAME TO operators;
