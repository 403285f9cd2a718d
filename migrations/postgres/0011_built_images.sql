-- Lineage: built images Plinth judged by their base (`plinth check --image`, `POST /v1/check`
-- with images, the Gatekeeper provider, a registry's push notification), each platform
-- manifest of a repository once, with the base its layers begin with, the reference it was
-- last judged as, how it reached Plinth, and when Plinth first and last saw it.
CREATE TABLE built_images (
    repository  TEXT NOT NULL,
    manifest    TEXT NOT NULL,
    base_digest TEXT NOT NULL,
    reference   TEXT NOT NULL,
    source      TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (repository, manifest)
);
CREATE INDEX built_images_base ON built_images (base_digest);
