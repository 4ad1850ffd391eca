-- A read-only role for consumers (docs/sql.md): SELECT on the documented contract and nothing else,
-- so a consumer's connection cannot change stories. It cannot log in; give it to a login role with
-- `GRANT newsdedup_reader TO alice`.
--
-- Roles belong to the whole cluster, grants to one database: every database migrated on the cluster
-- (test suites make many at once) creates the role if it is missing and grants on its own views. Two
-- migrations may create it at the same moment; the loser finds it made.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'newsdedup_reader') THEN
        CREATE ROLE newsdedup_reader NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO newsdedup_reader;
-- Views run with their owner's rights on the tables behind them, so the tables need no grant.
-- story_merges is a table, but part of the contract (consumers follow merged story ids through it).
GRANT SELECT ON story_clusters, story_articles, story_merges TO newsdedup_reader;
