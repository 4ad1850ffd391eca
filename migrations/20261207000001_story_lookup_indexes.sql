-- Lookups the batch writer makes on every batch or merge. Without them each is a sequential scan of
-- `stories`, whose cost grows with history (measured: one scan of every story per batch at 100k
-- articles, from the representative-headline update).
CREATE INDEX stories_representative ON stories (representative_article_id);
CREATE INDEX stories_merged_into ON stories (merged_into) WHERE merged_into IS NOT NULL;
