-- rpm packages keep two facts of their header beyond name, version and arch: the source
-- rpm's file name, and the modularity label of a package from a module stream (advisories
-- for a module apply only to its packages).
ALTER TABLE packages ADD COLUMN source_rpm TEXT;
ALTER TABLE packages ADD COLUMN module TEXT;
