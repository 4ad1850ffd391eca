-- The reader role (20261208100002) also reads the change feed and the feed health view, which came
-- after it. Re-granting the story views is harmless and keeps the role's rights in one place to read.
GRANT SELECT ON story_clusters, story_articles, story_merges, story_events, feed_status TO newsdedup_reader;
