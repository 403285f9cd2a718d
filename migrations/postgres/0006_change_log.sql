-- What each change touched (the store_version it moved to, and its scopes: `*`, `entry:NAME`,
-- `digest:sha256:…`, one a line), so that a replica's caches forget only the answers a change
-- touches, whichever replica made it (each change is also announced on the `plinth_changes`
-- channel). The store keeps the latest few thousand.
CREATE TABLE store_changes (
    version BIGINT PRIMARY KEY NOT NULL,
    scopes  TEXT NOT NULL
);
