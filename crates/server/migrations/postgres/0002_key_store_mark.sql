-- The key store a database is sealed with, recorded at its first sealed start: an HMAC under
-- the key store's blind-index key of a fixed label (it reveals nothing of the key). A start
-- with another key store is refused (store/sealed.rs, keys_match).
CREATE TABLE key_store_mark (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    mark  BYTEA   NOT NULL
);
