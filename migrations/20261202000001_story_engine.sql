-- The story engine (docs/clustering.md, "Where decisions run"). Decisions are made in memory by one
-- process and written in batches; the per-article index tables move into the engine's memory,
-- checkpointed in engine_snapshots and rebuilt from the decision log. What consumers read stays in
-- the same tables and views.

-- 'ready': the text is stored and waits for the engine. A stored article whose text changed waits
-- with recluster_requested.
ALTER TABLE articles DROP CONSTRAINT articles_state_check;
ALTER TABLE articles ADD CONSTRAINT articles_state_check
    CHECK (state IN ('pending', 'ready', 'stored', 'duplicate', 'failed'));
ALTER TABLE articles ADD COLUMN recluster_requested boolean NOT NULL DEFAULT false;
-- The engine's queue, in the order it takes articles (event time first).
CREATE INDEX articles_ready ON articles (event_at, article_id) WHERE state = 'ready' OR recluster_requested;
-- A ready article already owns its canonical URL.
DROP INDEX articles_canonical_url;
CREATE UNIQUE INDEX articles_canonical_url ON articles (canonical_url) WHERE state IN ('ready', 'stored');

-- Revisions keep what the engine saw of them, so the decision log can be replayed.
ALTER TABLE article_revisions ADD COLUMN source text, ADD COLUMN event_at timestamptz;

-- Which revision a membership was decided on, and the decision's position in the log.
ALTER TABLE story_members ADD COLUMN revision integer NOT NULL DEFAULT 0, ADD COLUMN seq bigint;

-- Every decision in the order it was made, with its evidence (candidates and scores). Replaying it
-- from a snapshot rebuilds the engine's state exactly.
CREATE TABLE cluster_log (
    seq        bigint      PRIMARY KEY,
    article_id bigint      NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
    revision   integer     NOT NULL,
    decision   jsonb       NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);

-- Checkpoints of the engine's state (postcard + zstd), split into chunks.
CREATE TABLE engine_snapshots (
    snapshot_id bigserial   PRIMARY KEY,
    seq         bigint      NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now(),
    bytes       bigint      NOT NULL,
    articles    integer     NOT NULL,
    stories     integer     NOT NULL
);
CREATE TABLE engine_snapshot_chunks (
    snapshot_id bigint  NOT NULL REFERENCES engine_snapshots (snapshot_id) ON DELETE CASCADE,
    chunk       integer NOT NULL,
    data        bytea   NOT NULL,
    PRIMARY KEY (snapshot_id, chunk)
);

-- History stored before the log existed: each membership becomes a logged "joined" decision, in
-- event order, so the engine rebuilds its window state from it on first start.
INSERT INTO cluster_log (seq, article_id, revision, decision)
SELECT row_number() OVER (ORDER BY a.event_at, m.article_id), m.article_id, a.revision,
       jsonb_build_object('placement', jsonb_build_object(
           'kind', 'joined', 'story', m.story_id, 'method', m.method,
           'similarity', COALESCE(m.similarity, 1), 'near_duplicate_of', m.near_duplicate_of))
FROM story_members m JOIN articles a USING (article_id)
WHERE a.state = 'stored';
UPDATE story_members m SET seq = l.seq, revision = l.revision FROM cluster_log l WHERE l.article_id = m.article_id;

ALTER TABLE stories DROP COLUMN centroid, DROP COLUMN centroid_members, DROP COLUMN centroid_df;
DROP TABLE story_terms, lsh_bands, article_fingerprints, term_df, corpus_stats, boilerplate_lines;

-- Bodies and raw pages are written at thousands a second: lz4 compresses them several times faster
-- than the default pglz, where the server was built with it.
DO $$
BEGIN
    IF 'lz4' = ANY ((SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression')::text[]) THEN
        ALTER TABLE articles ALTER COLUMN body SET COMPRESSION lz4;
        ALTER TABLE article_revisions ALTER COLUMN body SET COMPRESSION lz4;
    END IF;
END
$$;
