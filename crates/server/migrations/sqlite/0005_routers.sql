-- Routers: a public key the embed snippet names instead of a widget (data-router), a name for
-- the console, and the rules (one RouterRules JSON document, validated before it is saved).
-- The widget fetches the rules and decides in the browser; nothing about visitors is stored here.
CREATE TABLE routers (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    rules       TEXT    NOT NULL,  -- RouterRules JSON
    created_at  INTEGER NOT NULL   -- unix seconds, server time
);
