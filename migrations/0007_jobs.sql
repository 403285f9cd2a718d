-- Periodic jobs (the sync pass): when the latest run started and whether it finished, so that
-- across replicas a job runs once per interval, and a run cut short (its replica died) is
-- finished by another, skipping what it already did.
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
