-- The change feed (docs/sql.md, "story_events"): one row per change a consumer may want to follow,
-- written by the story engine in the same transaction as the change itself, and announced with
-- NOTIFY newsdedup_events carrying the batch's last seq. Only the engine lock's holder writes here,
-- one transaction at a time, so seq values commit in increasing order and "everything after seq N"
-- never skips a row that commits later (seq may have gaps: a rolled-back batch uses values up).
CREATE TABLE story_events (
    seq           bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    kind          text        NOT NULL
                  CHECK (kind IN ('story_created', 'article_added', 'story_merged', 'article_revised')),
    story_id      bigint      NOT NULL,
    article_id    bigint,
    -- story_merged: the story that was merged into story_id.
    from_story_id bigint,
    payload       jsonb       NOT NULL DEFAULT '{}'
);
-- Retention (engine.event_retention_days) deletes by age.
CREATE INDEX story_events_at ON story_events (at);
