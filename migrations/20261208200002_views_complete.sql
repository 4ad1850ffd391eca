-- The consumer views carry what consumers need (docs/sql.md lists every column). Existing columns keep
-- their names, types and order; the new ones are appended.

CREATE OR REPLACE VIEW story_clusters AS
SELECT s.story_id,
       s.title,
       s.representative_article_id,
       s.article_count,
       s.source_count,
       s.reprint_count,
       s.first_seen_at,
       s.last_updated_at,
       s.first_event_at AS first_published_at,
       s.last_event_at  AS last_published_at,
       r.source         AS representative_source,
       ARRAY(SELECT DISTINCT a.source
             FROM story_members m JOIN articles a USING (article_id)
             WHERE m.story_id = s.story_id AND a.state = 'stored' AND a.source IS NOT NULL
             ORDER BY a.source) AS sources,
       s.first_event_at,
       s.last_event_at
FROM stories s
LEFT JOIN articles r ON r.article_id = s.representative_article_id
WHERE s.merged_into IS NULL
  AND s.article_count > 0;

CREATE OR REPLACE VIEW story_articles AS
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
       a.extraction_method,
       a.body,
       a.description,
       a.image_url,
       a.site_name,
       a.modified_at,
       a.revision AS revision_count
FROM story_members m
JOIN articles a USING (article_id)
WHERE a.state = 'stored';
