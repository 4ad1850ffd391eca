//! Reads for the story browser (`src/web/`): live stories with filters and pages, one story's
//! articles and merge lineage, and where a merged-away story id went. Only the documented views and
//! `story_merges` are read, so the browser shows what consumers see.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};

/// Which live stories to list, newest activity first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoryFilter {
    /// Every word must occur in the headline (case-insensitive, as a substring).
    pub words: Vec<String>,
    /// Only stories with an article from this outlet (`source`, exact).
    pub publisher: Option<String>,
    /// Only stories with a report at or after this time (`last_published_at`).
    pub since: Option<DateTime<Utc>>,
    /// Only stories with a report before this time (`first_published_at`).
    pub until: Option<DateTime<Utc>>,
    /// Rows skipped (pagination).
    pub offset: i64,
    /// Rows returned at most.
    pub limit: i64,
}

/// One live story as the list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StorySummary {
    pub story_id: i64,
    pub title: Option<String>,
    pub article_count: i32,
    pub source_count: i32,
    pub reprint_count: i32,
    pub first_seen_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    pub first_published_at: DateTime<Utc>,
    pub last_published_at: DateTime<Utc>,
    /// Distinct outlets, alphabetical.
    pub publishers: Vec<String>,
    /// Its most distinctive terms, stemmed (`story_clusters.top_terms`).
    pub top_terms: Vec<String>,
    /// Every member's `event_at`, ascending (the arrival timeline).
    pub arrivals: Vec<DateTime<Utc>>,
}

/// One member of a story, from `story_articles`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoryArticle {
    pub article_id: i64,
    pub source: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub event_at: DateTime<Utc>,
    pub method: String,
    pub similarity: Option<f32>,
    pub near_duplicate_of: Option<i64>,
    pub joined_at: DateTime<Utc>,
}

/// A story merged, directly or through others, into the one shown.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MergeStep {
    pub from_story_id: i64,
    pub into_story_id: i64,
    pub at: DateTime<Utc>,
    pub reason: String,
    pub article_id: Option<i64>,
}

/// Where a story id leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoryLookup {
    /// A live story.
    Live,
    /// Merged away; this is the live story its merges end in.
    MergedInto(i64),
    /// No such story, or it ended empty.
    Missing,
}

/// Merge chains are followed at most this far (a chain is as long as the merges of one story, a
/// handful; the bound only keeps a corrupt cycle from looping).
const MAX_MERGE_DEPTH: i32 = 1000;

/// A [`StorySummary`] per row of `story_clusters c`; callers add the filter with `concat!`, so the
/// query stays a static string (sqlx refuses strings built at run time).
macro_rules! summary_select {
    () => {
        "SELECT c.story_id, c.title, c.article_count, c.source_count, c.reprint_count, c.first_seen_at,
            c.last_updated_at, c.first_published_at, c.last_published_at, c.sources AS publishers,
            c.top_terms,
            ARRAY(SELECT a.event_at FROM story_articles a
                  WHERE a.story_id = c.story_id ORDER BY a.event_at) AS arrivals
     FROM story_clusters c"
    };
}

/// `%`, `_` and `\` match themselves in an ILIKE pattern only when escaped.
fn like_pattern(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// Live stories matching `filter`, most recent activity (`last_updated_at`) first.
    pub async fn browse_stories(&self, filter: &StoryFilter) -> Result<Vec<StorySummary>, StoreError> {
        let patterns: Vec<String> = filter.words.iter().map(|w| like_pattern(w)).collect();
        Ok(sqlx::query_as(concat!(
            summary_select!(),
            " WHERE c.title ILIKE ALL($1::text[])
               AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM story_articles a
                                                 WHERE a.story_id = c.story_id AND a.source = $2))
               AND ($3::timestamptz IS NULL OR c.last_published_at >= $3)
               AND ($4::timestamptz IS NULL OR c.first_published_at < $4)
             ORDER BY c.last_updated_at DESC, c.story_id DESC
             OFFSET $5 LIMIT $6"
        ))
        .bind(&patterns)
        .bind(&filter.publisher)
        .bind(filter.since)
        .bind(filter.until)
        .bind(filter.offset)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether `story_id` is live, merged away (and into which live story, following `story_merges`
    /// to its end), or unknown.
    pub async fn lookup_story(&self, story_id: i64) -> Result<StoryLookup, StoreError> {
        let live: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM story_clusters WHERE story_id = $1)")
                .bind(story_id)
                .fetch_one(&self.pool)
                .await?;
        if live {
            return Ok(StoryLookup::Live);
        }
        // A story may merge into a younger one too (an edited article), so the chain is followed
        // merge by merge, never by comparing ids.
        let end: Option<i64> = sqlx::query_scalar(
            "WITH RECURSIVE chain(story_id, depth) AS (
                 SELECT $1::bigint, 0
                 UNION ALL
                 SELECT m.into_story_id, c.depth + 1
                 FROM chain c
                 JOIN LATERAL (SELECT into_story_id FROM story_merges
                               WHERE from_story_id = c.story_id ORDER BY at DESC, merge_id DESC LIMIT 1) m ON true
                 WHERE c.depth < $2
             )
             SELECT c.story_id FROM chain c JOIN story_clusters s USING (story_id)
             ORDER BY c.depth DESC LIMIT 1",
        )
        .bind(story_id)
        .bind(MAX_MERGE_DEPTH)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match end {
            Some(survivor) if survivor != story_id => StoryLookup::MergedInto(survivor),
            _ => StoryLookup::Missing,
        })
    }

    /// A live story's row, as the list shows it.
    pub async fn story_summary(&self, story_id: i64) -> Result<Option<StorySummary>, StoreError> {
        Ok(sqlx::query_as(concat!(summary_select!(), " WHERE c.story_id = $1"))
            .bind(story_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A story's articles in time order (`event_at`, then id).
    pub async fn story_members(&self, story_id: i64) -> Result<Vec<StoryArticle>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT article_id, source, title, url, published_at, event_at, method, similarity,
                    near_duplicate_of, joined_at
             FROM story_articles WHERE story_id = $1 ORDER BY event_at, article_id",
        )
        .bind(story_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every merge that ended in `story_id`, directly or through stories merged before, oldest first.
    pub async fn merge_lineage(&self, story_id: i64) -> Result<Vec<MergeStep>, StoreError> {
        Ok(sqlx::query_as(
            "WITH RECURSIVE lineage(merge_id, from_story_id, into_story_id, at, reason, article_id, depth) AS (
                 SELECT merge_id, from_story_id, into_story_id, at, reason, article_id, 0
                 FROM story_merges WHERE into_story_id = $1
                 UNION ALL
                 SELECT m.merge_id, m.from_story_id, m.into_story_id, m.at, m.reason, m.article_id, l.depth + 1
                 FROM story_merges m JOIN lineage l ON m.into_story_id = l.from_story_id
                 WHERE l.depth < $2 AND m.from_story_id <> $1
             )
             SELECT DISTINCT ON (merge_id) from_story_id, into_story_id, at, reason, article_id
             FROM lineage ORDER BY merge_id",
        )
        .bind(story_id)
        .bind(MAX_MERGE_DEPTH)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_in_words_match_literally() {
        assert_eq!(like_pattern("assad"), "%assad%");
        assert_eq!(like_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
