-- One record per person (issue 10): the ID-number fingerprint is unique among residents, and
-- among a provider's practitioners, enforced by the database so that concurrent creates of one
-- person cannot both land. Records without an ID number (NULL) are not constrained.
CREATE UNIQUE INDEX residents_id_number ON residents (id_number_hash) WHERE id_number_hash IS NOT NULL;
CREATE UNIQUE INDEX practitioners_provider_id_number ON practitioners (provider_code, id_number_hash) WHERE id_number_hash IS NOT NULL;
