-- Retention: the purge job finds what has expired by these indexes, and a receipt's proof
-- period starts when no conversation refers to it any more (withdrawn ones included).
ALTER TABLE consent_receipts ADD COLUMN unreferenced_at INTEGER;  -- unix ms, set by the purge
CREATE INDEX conversations_by_widget_last ON conversations (widget_id, last_at);
CREATE INDEX conversations_by_widget_created ON conversations (widget_id, created_at);
CREATE INDEX conversations_by_receipt ON conversations (receipt_id);
CREATE INDEX consent_receipts_by_widget ON consent_receipts (widget_id, unreferenced_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX visitors_by_expiry ON visitors (expires_at);
