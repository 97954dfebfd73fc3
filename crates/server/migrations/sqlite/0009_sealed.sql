-- Sealing at rest (crypto.rs, keystore.rs, store/sealed.rs). What a visitor wrote and typed
-- is sealed under their data key, kept in the key store apart from this file:
--   visitors.key_ref       which data key is theirs (the key itself is never here);
--   conversations.prechat  the pre-chat values they typed (sealed JSON), kept with the transcript;
--   conversations.context  page, referrer, browser and OS family (sealed JSON, standard mode
--                          only), kept for the shorter details period;
--   messages.sealed        the body, sealed; `body` is '' once a row is sealed.
-- conversations.details (plain JSON) is emptied by the sealing pass at start-up and no longer
-- written. blind_index holds keyed hashes of an email and of a name's words, so a person's
-- conversations are found without opening any of them.
ALTER TABLE visitors ADD COLUMN key_ref BLOB;
CREATE UNIQUE INDEX visitors_by_key_ref ON visitors (key_ref);
ALTER TABLE conversations ADD COLUMN prechat BLOB;
ALTER TABLE conversations ADD COLUMN context BLOB;
ALTER TABLE messages ADD COLUMN sealed BLOB;
CREATE TABLE blind_index (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('email', 'name')),
    digest          BLOB    NOT NULL
);
CREATE INDEX blind_index_lookup ON blind_index (kind, digest);
CREATE INDEX blind_index_by_conversation ON blind_index (conversation_id);
