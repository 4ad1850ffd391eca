-- newsdedup schema, version 1.
-- Tables are internal; consumers read the views `story_clusters` and `story_articles` (docs/sql.md).

CREATE TABLE feeds (
    feed_id              bigserial PRIMARY KEY,
    -- The URL as configured: the feed's identity.
    url                  text        NOT NULL UNIQUE,
    -- Where it is fetched from now: a permanent redirect's target, once one was seen.
    fetch_url            text,
    name                 text,
    title                text,
    active               boolean     NOT NULL DEFAULT true,
    etag                 text,
    last_modified        text,
    next_check_at        timestamptz NOT NULL DEFAULT now(),
    last_checked_at      timestamptz,
    last_success_at      timestamptz,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    last_error           text,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feeds_due ON feeds (next_check_at) WHERE active;

-- One row per article, from discovery (state 'pending') to clustered ('stored').
CREATE TABLE articles (
    article_id         bigserial PRIMARY KEY,
    feed_id            bigint      REFERENCES feeds (feed_id) ON DELETE SET NULL,
    external_id        text        UNIQUE,
    -- The canonicalised link; NULL for a feed entry without one (its feed content is the body).
    url                text        UNIQUE,
    canonical_url      text,
    source             text,
    state              text        NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'stored', 'duplicate', 'failed')),
    duplicate_of       bigint      REFERENCES articles (article_id),
    -- What the feed said about the entry: the fallback when the page cannot be fetched.
    feed_title         text,
    feed_content       text,
    feed_published_at  timestamptz,
    allow_file         boolean     NOT NULL DEFAULT false,
    -- Scrape work queue. A stored article is queued again (refresh_requested) when its feed entry
    -- changes.
    refresh_requested  boolean     NOT NULL DEFAULT false,
    attempts           integer     NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL DEFAULT now(),
    lease_until        timestamptz,
    last_error         text,
    -- Extracted content.
    title              text,
    body               text,
    authors            text[]      NOT NULL DEFAULT '{}',
    published_at       timestamptz,
    modified_at        timestamptz,
    language           text,
    site_name          text,
    image_url          text,
    description        text,
    extraction_method  text,
    extractor_version  integer,
    content_hash       bigint,
    revision           integer     NOT NULL DEFAULT 0,
    -- The time the clusterer placed it at: published_at, else the feed's date, else fetched_at.
    event_at           timestamptz,
    discovered_at      timestamptz NOT NULL DEFAULT now(),
    fetched_at         timestamptz
);
CREATE UNIQUE INDEX articles_canonical_url ON articles (canonical_url) WHERE state = 'stored';
CREATE INDEX articles_pending ON articles (next_attempt_at, article_id)
    WHERE state = 'pending' OR refresh_requested;
CREATE INDEX articles_event_at ON articles (event_at) WHERE state = 'stored';

-- Every URL and feed entry that has been seen to mean an article: the alias table that keeps GUID or
-- URL changes from creating duplicates.
CREATE TABLE article_urls (
    url        text   PRIMARY KEY,
    article_id bigint NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE
);
CREATE INDEX article_urls_article ON article_urls (article_id);

CREATE TABLE feed_entries (
    feed_id       bigint      NOT NULL REFERENCES feeds (feed_id) ON DELETE CASCADE,
    entry_key     text        NOT NULL,
    article_id    bigint      NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
    -- Digest of the entry's title, content and dates: a change means the article was edited.
    content_hash  bigint,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX feed_entries_article ON feed_entries (article_id);

-- Earlier versions of an article whose text changed.
CREATE TABLE article_revisions (
    article_id   bigint      NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
    revision     integer     NOT NULL,
    title        text,
    body         text,
    content_hash bigint,
    replaced_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, revision)
);

-- The fetched page, zstd-compressed, so bodies can be re-extracted without refetching.
CREATE TABLE raw_pages (
    article_id        bigint      PRIMARY KEY REFERENCES articles (article_id) ON DELETE CASCADE,
    fetched_at        timestamptz NOT NULL,
    final_url         text        NOT NULL,
    content_type      text,
    extractor_version integer     NOT NULL,
    html_zstd         bytea       NOT NULL
);
CREATE INDEX raw_pages_fetched ON raw_pages (fetched_at);

-- Reprint tier: MinHash signature, exact shingle set and LSH band keys of each stored article.
CREATE TABLE article_fingerprints (
    article_id          bigint      PRIMARY KEY REFERENCES articles (article_id) ON DELETE CASCADE,
    fingerprint_version smallint    NOT NULL,
    shingle_count       integer     NOT NULL,
    signature           bytea       NOT NULL,
    -- Sorted u64 shingle hashes (little-endian); NULL once evicted by retention.
    shingles            bytea,
    source              text,
    event_at            timestamptz NOT NULL,
    -- Story tier: weighted term frequencies {term: tf}; counted in term_df until evicted.
    terms               jsonb,
    terms_counted       boolean     NOT NULL DEFAULT false
);
CREATE INDEX article_fingerprints_counted ON article_fingerprints (event_at) WHERE terms_counted;
CREATE INDEX article_fingerprints_shingles ON article_fingerprints (event_at, article_id)
    WHERE shingles IS NOT NULL;

-- Document frequencies over the articles inside the retention window, maintained incrementally.
CREATE TABLE term_df (
    term text    PRIMARY KEY,
    df   integer NOT NULL
);
CREATE TABLE corpus_stats (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    doc_count bigint  NOT NULL
);
INSERT INTO corpus_stats (doc_count) VALUES (0);

-- Boilerplate memory: how many articles contained each (masked) title segment or body line. Lines
-- seen in enough earlier articles are site chrome and ignored by the story tier.
CREATE TABLE boilerplate_lines (
    line_key  bigint      PRIMARY KEY,
    count     integer     NOT NULL,
    last_seen timestamptz NOT NULL
);
CREATE INDEX boilerplate_lines_last_seen ON boilerplate_lines (last_seen);

CREATE TABLE lsh_bands (
    band_key   bigint NOT NULL,
    article_id bigint NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
    PRIMARY KEY (band_key, article_id)
);
-- Edits and retention delete an article's bands under the clustering lock.
CREATE INDEX lsh_bands_article ON lsh_bands (article_id);

CREATE TABLE stories (
    story_id                  bigserial PRIMARY KEY,
    representative_article_id bigint      REFERENCES articles (article_id),
    title                     text,
    article_count             integer     NOT NULL DEFAULT 0,
    source_count              integer     NOT NULL DEFAULT 0,
    reprint_count             integer     NOT NULL DEFAULT 0,
    first_seen_at             timestamptz NOT NULL,
    last_updated_at           timestamptz NOT NULL,
    first_event_at            timestamptz NOT NULL,
    last_event_at             timestamptz NOT NULL,
    -- Story tier: the centroid {term: summed unit-length tf of the first members} (IDF is applied
    -- when comparing) and how many articles shaped it.
    centroid                  jsonb       NOT NULL DEFAULT '{}',
    centroid_members          integer     NOT NULL DEFAULT 0,
    -- Document frequency of each centroid term (in the centroid's term order) at the last update,
    -- so scoring needs current frequencies only for the article's own terms.
    centroid_df               bigint[]    NOT NULL DEFAULT '{}',
    merged_into               bigint      REFERENCES stories (story_id)
);
CREATE INDEX stories_active ON stories (last_event_at) WHERE merged_into IS NULL;

-- Inverted index from each live story's heaviest centroid terms (by tf·idf, the weight) to the story:
-- story-tier candidates.
CREATE TABLE story_terms (
    term     text   NOT NULL,
    story_id bigint NOT NULL REFERENCES stories (story_id) ON DELETE CASCADE,
    weight   real   NOT NULL,
    PRIMARY KEY (term, story_id)
);
CREATE INDEX story_terms_story ON story_terms (story_id);

CREATE TABLE story_members (
    article_id          bigint      PRIMARY KEY REFERENCES articles (article_id) ON DELETE CASCADE,
    story_id            bigint      NOT NULL REFERENCES stories (story_id),
    method              text        NOT NULL CHECK (method IN ('seed', 'reprint', 'story')),
    similarity          real,
    near_duplicate_of   bigint      REFERENCES articles (article_id),
    fingerprint_version smallint    NOT NULL,
    config_version      text        NOT NULL,
    joined_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX story_members_story ON story_members (story_id);

CREATE TABLE story_merges (
    merge_id      bigserial PRIMARY KEY,
    from_story_id bigint      NOT NULL REFERENCES stories (story_id),
    into_story_id bigint      NOT NULL REFERENCES stories (story_id),
    at            timestamptz NOT NULL DEFAULT now(),
    reason        text        NOT NULL,
    article_id    bigint      REFERENCES articles (article_id)
);
