-- The attack surface of each platform manifest, read from its layers and config at sync
-- (PlinthCore's SurfaceReport, as JSON): sizes, layer and file counts, shells, package
-- managers, setuid, setgid and world-writable files, user, ports, entrypoint, healthcheck.
CREATE TABLE manifest_surface (
    manifest_digest TEXT PRIMARY KEY NOT NULL,
    report          TEXT NOT NULL
);
