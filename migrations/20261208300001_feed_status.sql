-- Feed health (issue 11, items 4 and 5): what the last poll did, permanent redirects seen but not yet
-- adopted, and the `feed_status` view (docs/sql.md).

-- The last poll's outcome. `cooling_down`: the publisher answered 429 (or 503 with Retry-After) and
-- the feed waits as asked; that is neither a success nor a failure.
ALTER TABLE feeds
    ADD COLUMN last_outcome text CHECK (last_outcome IN ('ok', 'not_modified', 'cooling_down', 'failed')),
    -- A permanent redirect's target seen on consecutive polls that returned a parseable feed; it
    -- becomes `fetch_url` after `poll.redirect_confirmations` of them.
    ADD COLUMN redirect_candidate     text,
    ADD COLUMN redirect_confirmations integer NOT NULL DEFAULT 0;

UPDATE feeds SET last_outcome = CASE WHEN consecutive_failures > 0 THEN 'failed' ELSE 'ok' END
WHERE last_checked_at IS NOT NULL;

-- "Articles in the last 24 h" counts new entries per feed by first sighting.
CREATE INDEX feed_entries_first_seen ON feed_entries (feed_id, first_seen_at);

-- One row per configured feed (feeds removed from the config stay, as `disabled`).
CREATE VIEW feed_status AS
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
        WHERE e.feed_id = f.feed_id AND e.first_seen_at > now() - interval '24 hours') AS articles_last_24h
FROM feeds f;
