-- Adaptive poll intervals (issue 11, item 5): the interval a feed's own publishing rate asks for,
-- learned from the dates in its latest document (poll::schedule::observed_interval) and kept within
-- poll.min_interval_secs .. poll.max_interval_secs. NULL: not learned (a feed with its own
-- interval_secs, poll.adaptive = false, or a document without two distinct dates); the configured
-- interval applies. A 304 keeps it; the next document replaces it.
ALTER TABLE feeds ADD COLUMN learned_interval_secs integer CHECK (learned_interval_secs > 0);

-- The view gains the column at its end (CREATE OR REPLACE keeps the reader role's grant).
CREATE OR REPLACE VIEW feed_status AS
SELECT f.feed_id,
       f.url,
       f.fetch_url,
       f.name,
       f.title,
       CASE
           WHEN NOT f.active THEN 'disabled'
           WHEN f.last_outcome = 'cooling_down' THEN 'cooling_down'
           WHEN f.consecutive_failures > 0 THEN 'failing'
           WHEN f.last_outcome = 'not_modified' THEN 'not_modified'
           ELSE 'ok'
       END AS state,
       f.last_checked_at,
       f.last_success_at,
       f.last_error,
       f.consecutive_failures,
       f.next_check_at,
       (SELECT count(*) FROM feed_entries e
        WHERE e.feed_id = f.feed_id AND e.first_seen_at > now() - interval '24 hours') AS articles_last_24h,
       f.learned_interval_secs
FROM feeds f;
