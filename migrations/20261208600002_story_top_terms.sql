-- Top terms of a story (issue 11, item 2): its most distinctive terms as the engine compares them
-- (stemmed, heaviest first), written with the story's other aggregates. NULL: never computed (a
-- story last changed before this migration, or one merged away before it had any).
ALTER TABLE stories ADD COLUMN top_terms text[];

-- The view gains the column at its end (CREATE OR REPLACE keeps the reader role's grant).
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
       s.last_event_at,
       COALESCE(s.top_terms, '{}') AS top_terms
FROM stories s
LEFT JOIN articles r ON r.article_id = s.representative_article_id
WHERE s.merged_into IS NULL
  AND s.article_count > 0;
