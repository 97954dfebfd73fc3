-- When the operator of a session last did something (a request or a frame other than a
-- ping): console sessions also end after session_idle_minutes without activity.
ALTER TABLE sessions ADD COLUMN last_active_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_active_at = created_at;
