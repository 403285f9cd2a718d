-- What each digest's health grade is made from, kept so that lookups, lists and the matrix
-- read it instead of matching advisories per request: the advisories that affect the
-- digest's packages (an index: its platform manifests'), each with its severity, publication,
-- whether a fix exists and the expiry of the entry's exception for it, as PlinthCatalog's
-- HealthBasis JSON. One row per digest and the entry whose OS and exceptions it was matched
-- with, at that entry's revision (an edited entry is matched again). The grade itself is
-- worked out from it at read time: it also depends on the verdict and the clock.
--
-- A row is dropped whenever what it was made from changes, in the same transaction: by the
-- triggers below when an advisory is imported or replaced or the entry's exceptions change;
-- by the store's write of a digest's packages, OS or platform manifests (one statement a
-- write: a trigger a row cost an apply of 800,000 packages half a minute), for the digest and
-- every index that lists it. The next ask makes it again.
CREATE TABLE digest_health (
    digest          TEXT NOT NULL,
    image_name      TEXT NOT NULL,
    entry_revision  INTEGER NOT NULL,
    basis           TEXT NOT NULL,
    PRIMARY KEY (digest, image_name)
);
CREATE INDEX digest_health_by_image ON digest_health(image_name);

CREATE TRIGGER digest_health_advisory_insert AFTER INSERT ON advisories WHEN EXISTS (SELECT 1 FROM digest_health) BEGIN DELETE FROM digest_health; END;
CREATE TRIGGER digest_health_advisory_update AFTER UPDATE ON advisories WHEN EXISTS (SELECT 1 FROM digest_health) BEGIN DELETE FROM digest_health; END;
CREATE TRIGGER digest_health_advisory_delete AFTER DELETE ON advisories WHEN EXISTS (SELECT 1 FROM digest_health) BEGIN DELETE FROM digest_health; END;

CREATE TRIGGER digest_health_exception_insert AFTER INSERT ON advisory_exceptions WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN DELETE FROM digest_health WHERE image_name = NEW.image_name; END;
CREATE TRIGGER digest_health_exception_update AFTER UPDATE ON advisory_exceptions WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN DELETE FROM digest_health WHERE image_name IN (OLD.image_name, NEW.image_name); END;
CREATE TRIGGER digest_health_exception_delete AFTER DELETE ON advisory_exceptions WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN DELETE FROM digest_health WHERE image_name = OLD.image_name; END;
