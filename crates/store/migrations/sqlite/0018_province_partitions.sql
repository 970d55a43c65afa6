-- Dialect-specific from here (the whole file: partitioning is PostgreSQL's)
-- Declarative partitioning by province is PostgreSQL's (postgres/0018_province_partitions.sql);
-- the embedded SQLite database keeps its tables whole. This file keeps the two histories
-- numbered alike.
SELECT 1;
