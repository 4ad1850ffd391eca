-- The consumer contract (docs/sql.md). Change only with a new migration and a note in the docs.

-- One row per live story; stories merged into another one disappear from here (see story_merges).
CREATE VIEW story_clusters AS
SELECT s.story_id,
       s.title,
       s.representative_article_id,
       s.article_count,
       s.source_count,
       s.reprint_count,
       s.first_seen_at,
       s.last_updated_at,
       s.first_event_at AS first_published_at,
       s.last_event_at  AS last_published_at
FROM stories s
WHERE s.merged_into IS NULL
  AND s.article_count > 0;

-- One row per stored article with its story membership and the evidence for it.
CREATE VIEW story_articles AS
SELECT m.story_id,
       a.article_id,
       a.external_id,
       a.feed_id,
       a.source,
       a.url,
       a.canonical_url,
       a.title,
       a.published_at,
       a.fetched_at,
       a.event_at,
       m.near_duplicate_of,
       m.similarity,
       m.method,
       m.joined_at,
       m.fingerprint_version,
       m.config_version,
       a.language,
       a.authors,
       a.extraction_method
FROM story_members m
JOIN articles a USING (article_id)
WHERE a.state = 'stored';
