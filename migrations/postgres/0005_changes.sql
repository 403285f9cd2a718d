-- The catalog-wide changes page and feed read tag runs newest first, across every tracked
-- tag, a page at a time: an index in that order keeps that a short walk at any size.
CREATE INDEX observations_by_time ON observations(first_seen, id);

-- Counts the commits that change the catalog, by any process on this database: each
-- process compares it (at most once a second) to know that its caches are stale.
CREATE TABLE store_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO store_version (id, version) VALUES (1, 0);

-- The changes page reads audited changes newest first by time.
CREATE INDEX audit_events_by_time ON audit_events(at, id);
