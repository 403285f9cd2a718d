-- What each digest's health grade is made from, kept so that lookups, lists and the matrix
-- read it instead of matching advisories per request: the advisories that affect the
-- digest's packages (an index: its platform manifests'), each with its severity, publication,
-- whether a fix exists and the expiry of the entry's exception for it, as PlinthCatalog's
-- HealthBasis JSON. One row per digest and the entry whose OS and exceptions it was matched
-- with, at that entry's revision (an edited entry is matched again). The grade itself is
-- worked out from it at read time: it also depends on the verdict and the clock.
--
-- The triggers drop a row whenever what it was made from changes, in the same transaction:
-- an advisory imported or replaced, the entry's exceptions, the packages or OS read from the
-- digest or from a platform manifest of an index. The next ask makes it again. Each trigger
-- first probes whether any basis is kept at all, so that loading packages into a store that
-- keeps none (an apply, a first sync) costs one probe a row.
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

CREATE TRIGGER digest_health_packages_insert AFTER INSERT ON packages WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN
    DELETE FROM digest_health WHERE digest = NEW.manifest_digest;
    DELETE FROM digest_health WHERE digest IN (SELECT index_digest FROM index_children WHERE child_digest = NEW.manifest_digest);
END;
CREATE TRIGGER digest_health_packages_delete AFTER DELETE ON packages WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN
    DELETE FROM digest_health WHERE digest = OLD.manifest_digest;
    DELETE FROM digest_health WHERE digest IN (SELECT index_digest FROM index_children WHERE child_digest = OLD.manifest_digest);
END;
CREATE TRIGGER digest_health_os_insert AFTER INSERT ON manifest_os WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN
    DELETE FROM digest_health WHERE digest = NEW.manifest_digest;
    DELETE FROM digest_health WHERE digest IN (SELECT index_digest FROM index_children WHERE child_digest = NEW.manifest_digest);
END;
CREATE TRIGGER digest_health_os_update AFTER UPDATE ON manifest_os WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN
    DELETE FROM digest_health WHERE digest = NEW.manifest_digest;
    DELETE FROM digest_health WHERE digest IN (SELECT index_digest FROM index_children WHERE child_digest = NEW.manifest_digest);
END;
CREATE TRIGGER digest_health_os_delete AFTER DELETE ON manifest_os WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN
    DELETE FROM digest_health WHERE digest = OLD.manifest_digest;
    DELETE FROM digest_health WHERE digest IN (SELECT index_digest FROM index_children WHERE child_digest = OLD.manifest_digest);
END;
CREATE TRIGGER digest_health_children_insert AFTER INSERT ON index_children WHEN EXISTS (SELECT 1 FROM digest_health)
BEGIN DELETE FROM digest_health WHERE digest = NEW.index_digest; END;
