-- OSV advisories, imported by `plinth advisories import`; an import replaces a record only
-- when its `modified` is newer. The fields matching reads are here; the record as imported is
-- in advisory_documents, so that matching's reads stay on small rows.
CREATE TABLE advisories (
    id          TEXT PRIMARY KEY NOT NULL,
    modified    TEXT NOT NULL,
    published   TEXT,
    withdrawn   TEXT,
    summary     TEXT,
    severity    TEXT NOT NULL CHECK (severity IN ('unknown', 'negligible', 'low', 'medium', 'high', 'critical')),
    score       DOUBLE PRECISION
);
CREATE TABLE advisory_documents (
    id          TEXT PRIMARY KEY NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    document    TEXT NOT NULL
);

-- One row per affected package of an advisory, found by (ecosystem, package): the matching
-- query. `affected` holds that entry's ECOSYSTEM ranges and versions list in the compact form
-- of AffectedCoding (the whole record stays in advisories.document).
CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    package     TEXT NOT NULL,
    affected    TEXT NOT NULL
);
CREATE INDEX advisory_packages_by_package ON advisory_packages(ecosystem, package);
CREATE INDEX advisory_packages_by_advisory ON advisory_packages(advisory_id);

-- A curator's word that an advisory does not affect an entry's images, with why and until when.
CREATE TABLE advisory_exceptions (
    image_name  TEXT NOT NULL REFERENCES images(name) ON DELETE CASCADE,
    advisory_id TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (length(reason) > 0),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (image_name, advisory_id)
);

-- The OS a platform manifest's layers say it is (os-release), when Plinth read them.
CREATE TABLE manifest_os (
    manifest_digest TEXT PRIMARY KEY NOT NULL,
    os_id           TEXT NOT NULL,
    version_id      TEXT,
    pretty_name     TEXT
);

-- The uncompressed layer digests (config rootfs.diff_ids) of each platform manifest Plinth
-- read, in order: an application image whose diff_ids begin with these is built on it.
CREATE TABLE manifest_layers (
    manifest_digest TEXT NOT NULL,
    position        INTEGER NOT NULL,
    diff_id         TEXT NOT NULL,
    PRIMARY KEY (manifest_digest, position)
);
CREATE INDEX manifest_layers_first ON manifest_layers(diff_id) WHERE position = 0;
