-- Compare-and-set (issue 10): every record that changes state carries a version, raised by one
-- on each change. An update names the version it read (`… WHERE id = $1 AND version = $2`), so
-- of two writers that read the same version exactly one lands; the other is told (409).
ALTER TABLE divisions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE communities ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE providers ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE facilities ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE practitioners ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE residents ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
