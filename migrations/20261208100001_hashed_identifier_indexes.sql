-- Identifiers that come from the network (entry GUIDs, links, canonical URLs, import ids) can be of
-- any length. A btree entry must fit in a third of a page (2,704 bytes after compression), so one
-- long incompressible URL made its whole statement fail. The unique indexes now hold the identifier's
-- MD5 (32 characters) and the full value stays in the row where consumers read it. Lookups compare
-- `md5(col) = md5($1) AND col = $1`: the first finds the row through the index, the second keeps the
-- comparison exact.
ALTER TABLE feeds DROP CONSTRAINT feeds_url_key;
CREATE UNIQUE INDEX feeds_url_md5 ON feeds (md5(url));

ALTER TABLE articles DROP CONSTRAINT articles_url_key;
CREATE UNIQUE INDEX articles_url_md5 ON articles (md5(url));
ALTER TABLE articles DROP CONSTRAINT articles_external_id_key;
CREATE UNIQUE INDEX articles_external_id_md5 ON articles (md5(external_id));
DROP INDEX articles_canonical_url;
CREATE UNIQUE INDEX articles_canonical_url ON articles (md5(canonical_url)) WHERE state IN ('ready', 'stored');

ALTER TABLE article_urls DROP CONSTRAINT article_urls_pkey;
ALTER TABLE article_urls ALTER COLUMN url SET NOT NULL;
CREATE UNIQUE INDEX article_urls_url_md5 ON article_urls (md5(url));

ALTER TABLE feed_entries DROP CONSTRAINT feed_entries_pkey;
ALTER TABLE feed_entries ALTER COLUMN entry_key SET NOT NULL;
CREATE UNIQUE INDEX feed_entries_key_md5 ON feed_entries (feed_id, md5(entry_key));
