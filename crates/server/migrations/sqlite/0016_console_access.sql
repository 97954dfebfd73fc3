-- Who may reach the console, the operator API and the operator socket (issue 15): a list of
-- addresses and CIDR ranges (IPv4 and IPv6), a JSON array of strings; empty lets every address
-- in. An operator's address is compared with it, never stored.
CREATE TABLE console_access (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    allowlist TEXT    NOT NULL
);
INSERT INTO console_access (id, allowlist) VALUES (1, '[]');
