-- Widget settings (a WidgetSettings JSON document; '' means Confide's defaults) and consent
-- receipts. A receipt outlives the conversations started under it: withdrawal deletes the
-- conversation and records withdrawn_at here.
ALTER TABLE widgets ADD COLUMN settings TEXT NOT NULL DEFAULT '';

CREATE TABLE consent_receipts (
    id           INTEGER PRIMARY KEY,
    widget_id    INTEGER NOT NULL REFERENCES widgets(id) ON DELETE CASCADE,
    visitor_id   INTEGER REFERENCES visitors(id) ON DELETE SET NULL,
    language     TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    text_sha256  TEXT    NOT NULL,  -- of Disclaimer::shown_text(), checked by the server
    policy_url   TEXT,
    created_at   INTEGER NOT NULL,  -- server time, unix ms
    withdrawn_at INTEGER
);
CREATE INDEX consent_receipts_by_visitor ON consent_receipts (visitor_id);

ALTER TABLE conversations ADD COLUMN receipt_id INTEGER REFERENCES consent_receipts(id) ON DELETE SET NULL;
