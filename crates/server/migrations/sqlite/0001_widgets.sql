-- Widgets: one per embed snippet. The key is public (it sits in every host page).
CREATE TABLE widgets (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL  -- unix seconds, server time
);
