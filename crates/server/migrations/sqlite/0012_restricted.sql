-- Restriction of processing (GDPR Art. 18, issue 14): a restricted conversation is kept
-- (the purge passes it by), cannot be replied to or erased, and agents do not see it, until
-- an admin lifts the restriction. NULL: not restricted; otherwise since when (unix ms).
ALTER TABLE conversations ADD COLUMN restricted_at INTEGER;
