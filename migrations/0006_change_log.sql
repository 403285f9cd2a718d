-- What each change touched (the store_version it moved to, and its scopes: `*`, `entry:NAME`,
-- `digest:sha256:…`, one a line), so that a process's caches forget only the answers a change
-- touches, whichever process made it. The store keeps the latest few thousand.
CREATE TABLE store_changes (
    version INTEGER PRIMARY KEY NOT NULL,
    scopes  TEXT NOT NULL
);
