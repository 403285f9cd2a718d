-- What sync flags for reviewers on a new run of a tag, comma-separated:
-- `index-only-churn` (the index digest changed, every platform digest stayed the same),
-- `dropped-platform:<os/arch[/variant]>` (a platform of the entry missing from the new digest).
-- A flagged digest is never approved automatically.
ALTER TABLE observations ADD COLUMN flags TEXT NOT NULL DEFAULT '';

-- The last sync attempt of each tracked tag: a failure keeps the last good digest (the
-- observations) and is recorded here with its time and reason.
CREATE TABLE tag_sync_state (
    repository      TEXT NOT NULL,
    tag             TEXT NOT NULL,
    last_attempt_at TEXT NOT NULL,
    last_success_at TEXT,
    last_error      TEXT,
    last_error_at   TEXT,
    PRIMARY KEY (repository, tag)
);
