-- Home services' areas, issue 11 (SQLite; keep in step with postgres/): the communities
-- within an outlet's home-service walking distance, computed on the walking network when the
-- offering is created or changed (`area_computed_at` NULL: no network, not computed).
ALTER TABLE offerings ADD COLUMN area_computed_at BIGINT;

CREATE TABLE offering_areas (
    offering_id BIGINT NOT NULL,
    community_id TEXT NOT NULL,
    distance_m DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (offering_id, community_id)
);
