-- API tokens. Only the SHA-256 of a token's secret is kept; `id` is the token's public part,
-- used to find the record.
CREATE TABLE tokens (
    id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    role        TEXT NOT NULL CHECK (role IN ('reader', 'curator', 'admin')),
    secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);

-- A curator holding a tag at an earlier approved digest (rollback), until released.
CREATE TABLE holds (
    image_name  TEXT NOT NULL REFERENCES images(name) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    digest      TEXT NOT NULL REFERENCES manifests(digest),
    held_by     TEXT NOT NULL,
    held_at     TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    PRIMARY KEY (image_name, tag)
);

-- Optimistic concurrency for entry updates: an update names the revision it read.
ALTER TABLE images ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

-- The audit log is a hash chain: each event carries the hash of the one before it and
-- its own hash over its fields and that link (see AuditChain). `image` is the entry the
-- event concerns, for changelogs; `before` and `after` are JSON states. Writers on every
-- replica append one at a time (the store's write lock), so the chain never forks.
ALTER TABLE audit_events ADD COLUMN image TEXT;
ALTER TABLE audit_events ADD COLUMN before TEXT;
ALTER TABLE audit_events ADD COLUMN after TEXT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE INDEX audit_events_by_image ON audit_events(image, id);
CREATE INDEX audit_events_by_subject ON audit_events(subject, id);

-- Append-only: a sealed event (one with its hash) is never updated or deleted by Plinth.
-- (Someone who owns the tables can drop these triggers; `plinth audit verify` catches what they do then.)
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW WHEN (OLD.hash IS NOT NULL)
    EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW
    EXECUTE FUNCTION audit_events_append_only();

-- Webhook delivery: per webhook, the last event delivered (events go out in order, one at a
-- time), and every attempt's outcome.
CREATE TABLE webhook_cursors (
    webhook       TEXT PRIMARY KEY NOT NULL,
    last_event_id BIGINT NOT NULL
);
CREATE TABLE webhook_deliveries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook     TEXT NOT NULL,
    event_id    BIGINT NOT NULL REFERENCES audit_events(id),
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    status      INTEGER,
    error       TEXT
);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(webhook, event_id);
