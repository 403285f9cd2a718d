-- PostgreSQL: the same schema as ../0001_catalog.sql. Times are kept as the same fixed-width
-- UTC text (Timestamp.format) on both backends: they sort as times, and the audit chain's
-- hashes cover the exact text, so a catalog copied between backends verifies unchanged.

-- Catalog entries, as applied from catalog-as-code files or the API.
-- `document` holds the whole entry as JSON; the columns beside it are the fields
-- that queries filter on and that invariants need.
CREATE TABLE images (
    name        TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 2 AND 63),
    repository  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'deprecated', 'retired')),
    document    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- The tags each entry tracks. One (repository, tag) belongs to one entry at most.
CREATE TABLE image_tags (
    image_name  TEXT NOT NULL REFERENCES images(name) ON DELETE CASCADE,
    repository  TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (image_name, tag),
    UNIQUE (repository, tag)
);

-- Every manifest or index Plinth has seen, keyed by digest. `content` holds the
-- exact bytes received when a registry served them (NULL for seeded facts).
CREATE TABLE manifests (
    digest      TEXT PRIMARY KEY NOT NULL,
    media_type  TEXT NOT NULL,
    content     BYTEA,
    first_seen  TEXT NOT NULL
);

-- Index (or manifest list) to platform manifest; attestations are flagged.
CREATE TABLE index_children (
    index_digest   TEXT NOT NULL REFERENCES manifests(digest),
    child_digest   TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    platform       TEXT NOT NULL,
    is_attestation BOOLEAN NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (index_digest, child_digest)
);
CREATE INDEX index_children_by_child ON index_children(child_digest);

-- Tag history: one row per run of a tag pointing at a digest. When the tag moves,
-- a new row starts; a row is never rewritten but for its last_seen.
CREATE TABLE observations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository  TEXT NOT NULL,
    tag         TEXT NOT NULL,
    digest      TEXT NOT NULL REFERENCES manifests(digest),
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    source      TEXT NOT NULL,
    CHECK (last_seen >= first_seen)
);
CREATE INDEX observations_by_tag ON observations(repository, tag, first_seen);
CREATE INDEX observations_by_digest ON observations(digest);

-- Approval of a digest for an entry, by a curator or an automatic policy.
CREATE TABLE approvals (
    image_name  TEXT NOT NULL REFERENCES images(name) ON DELETE CASCADE,
    digest      TEXT NOT NULL REFERENCES manifests(digest),
    approved_by TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    reason      TEXT,
    PRIMARY KEY (image_name, digest)
);

-- A revoked digest is revoked wherever it appears.
CREATE TABLE revocations (
    digest      TEXT PRIMARY KEY NOT NULL,
    revoked_by  TEXT NOT NULL,
    revoked_at  TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (length(reason) > 0)
);

-- OS packages read from a platform manifest's layers (or seeded).
CREATE TABLE packages (
    manifest_digest TEXT NOT NULL,
    type            TEXT NOT NULL,
    name            TEXT NOT NULL,
    version         TEXT NOT NULL,
    arch            TEXT,
    source_name     TEXT,
    source_version  TEXT
);
CREATE UNIQUE INDEX packages_identity ON packages(manifest_digest, type, name, version, coalesce(arch, ''));

-- Every change: who, when, why. The id is the event's place in the chain, given by the
-- writer that appends it (see 0003).
CREATE TABLE audit_events (
    id          BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    reason      TEXT,
    detail      TEXT
);
