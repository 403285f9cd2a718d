-- What each digest's health grade is made from (see the SQLite migration of the same number:
-- the same table, and the same rule that a change to what a row was made from drops it in
-- the change's transaction: triggers for advisories and exceptions, the store's write of a
-- digest's packages, OS or platform manifests for the rest).
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
