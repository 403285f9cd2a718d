-- What sync found and verified of a digest's signatures under its entry's policy: whether a
-- trusted signature verified, how (`key`), by whom (the key's fingerprint), where it was found
-- (the cosign `.sig` tag or the referrers), how many were found, and why, in words.
CREATE TABLE signature_checks (
    digest     TEXT PRIMARY KEY NOT NULL,
    verified   INTEGER NOT NULL,
    method     TEXT,
    signer     TEXT,
    source     TEXT,
    found      INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
