-- What each digest's health grade is made from (see the SQLite migration of the same number:
-- the same table, and the same rule that a change to what a row was made from drops it in
-- the change's transaction). Here the triggers fire once per statement, over its rows.
CREATE TABLE digest_health (
    digest          TEXT NOT NULL,
    image_name      TEXT NOT NULL,
    entry_revision  INTEGER NOT NULL,
    basis           TEXT NOT NULL,
    PRIMARY KEY (digest, image_name)
);
CREATE INDEX digest_health_by_image ON digest_health(image_name);

CREATE FUNCTION digest_health_drop_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM digest_health;
    RETURN NULL;
END $$;
CREATE TRIGGER digest_health_advisories AFTER INSERT OR UPDATE OR DELETE ON advisories
    FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_all();

CREATE FUNCTION digest_health_drop_image() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        DELETE FROM digest_health WHERE image_name = NEW.image_name;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM digest_health WHERE image_name = OLD.image_name;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER digest_health_exceptions AFTER INSERT OR UPDATE OR DELETE ON advisory_exceptions
    FOR EACH ROW EXECUTE FUNCTION digest_health_drop_image();

CREATE FUNCTION digest_health_drop_new_manifests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM digest_health WHERE digest IN (SELECT manifest_digest FROM changed_rows)
        OR digest IN (SELECT c.index_digest FROM index_children c JOIN changed_rows r ON c.child_digest = r.manifest_digest);
    RETURN NULL;
END $$;
CREATE TRIGGER digest_health_packages_insert AFTER INSERT ON packages
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_new_manifests();
CREATE TRIGGER digest_health_packages_delete AFTER DELETE ON packages
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_new_manifests();
CREATE TRIGGER digest_health_os_insert AFTER INSERT ON manifest_os
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_new_manifests();
CREATE TRIGGER digest_health_os_update AFTER UPDATE ON manifest_os
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_new_manifests();
CREATE TRIGGER digest_health_os_delete AFTER DELETE ON manifest_os
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_new_manifests();

CREATE FUNCTION digest_health_drop_new_indexes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM digest_health WHERE digest IN (SELECT index_digest FROM changed_rows);
    RETURN NULL;
END $$;
CREATE TRIGGER digest_health_children_insert AFTER INSERT ON index_children
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION digest_health_drop_new_indexes();
