//! Stories and memberships, as the story engine changes them: one transaction per batch of
//! decisions (with its change-feed events), written through the connection that holds the engine
//! lock.

use super::StoreError;
use super::engine::EngineConn;
use crate::decision::{Changes, MemberRow, StoryRow};
use sqlx::{Connection, PgConnection};

impl EngineConn {
    /// Writes a batch of decisions in one transaction: the change-feed events, stories,
    /// memberships, merges, re-pointed reprints, the log, and the articles' state. `durable = false` skips waiting for the WAL flush
    /// (imports, which are idempotent and can simply be re-run).
    pub async fn commit(
        &mut self,
        c: &Changes,
        config_version: &str,
        durable: bool,
    ) -> Result<(), StoreError> {
        if c.is_empty() {
            return Ok(());
        }
        let mut tx = self.conn.begin().await?;
        if !durable {
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
        }
        super::events::append(&mut tx, &c.events()).await?;
        upsert_stories(&mut tx, &c.stories).await?;
        upsert_members(&mut tx, &c.members, config_version).await?;
        if !c.kept.is_empty() {
            let (ids, revisions): (Vec<i64>, Vec<i32>) = c.kept.iter().copied().unzip();
            sqlx::query(
                "UPDATE story_members m SET revision = x.rev FROM unnest($1::bigint[], $2::int[]) AS x(id, rev)
                 WHERE m.article_id = x.id",
            )
            .bind(&ids)
            .bind(&revisions)
            .execute(&mut *tx)
            .await?;
        }
        for m in &c.merges {
            sqlx::query("UPDATE story_members SET story_id = $1 WHERE story_id = $2")
                .bind(m.into)
                .bind(m.from)
                .execute(&mut *tx)
                .await?;
            // Earlier merges into `from` now point at `into`, so one hop always reaches a live story.
            sqlx::query("UPDATE stories SET merged_into = $1 WHERE merged_into = $2")
                .bind(m.into)
                .bind(m.from)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO story_merges (from_story_id, into_story_id, reason, article_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(m.from)
            .bind(m.into)
            .bind(m.reason)
            .bind(m.article_id)
            .execute(&mut *tx)
            .await?;
        }
        if !c.repoints.is_empty() {
            let ids: Vec<i64> = c.repoints.iter().map(|r| r.article_id).collect();
            let originals: Vec<i64> = c.repoints.iter().map(|r| r.original).collect();
            let sims: Vec<f32> = c.repoints.iter().map(|r| r.similarity as f32).collect();
            sqlx::query(
                "UPDATE story_members m SET near_duplicate_of = x.original, method = 'reprint', similarity = x.sim
                 FROM unnest($1::bigint[], $2::bigint[], $3::real[]) AS x(id, original, sim)
                 WHERE m.article_id = x.id AND m.near_duplicate_of IS NULL",
            )
            .bind(&ids)
            .bind(&originals)
            .bind(&sims)
            .execute(&mut *tx)
            .await?;
        }
        let seqs: Vec<i64> = c.log.iter().map(|(d, _)| d.seq).collect();
        let ids: Vec<i64> = c.log.iter().map(|(d, _)| d.article_id).collect();
        let revisions: Vec<i32> = c.log.iter().map(|(d, _)| d.revision).collect();
        let entries: Vec<&str> = c.log.iter().map(|(_, json)| json.as_str()).collect();
        sqlx::query(
            "INSERT INTO cluster_log (seq, article_id, revision, decision)
             SELECT x.seq, x.id, x.rev, x.entry::jsonb FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[])
                 AS x(seq, id, rev, entry)",
        )
        .bind(&seqs)
        .bind(&ids)
        .bind(&revisions)
        .bind(&entries)
        .execute(&mut *tx)
        .await?;
        // An article revised again while it was being decided stays queued for its newer text.
        sqlx::query(
            "UPDATE articles a SET state = 'stored', recluster_requested = (a.revision <> x.rev), lease_until = NULL
             FROM unnest($1::bigint[], $2::int[]) AS x(id, rev)
             WHERE a.article_id = x.id",
        )
        .bind(&ids)
        .bind(&revisions)
        .execute(&mut *tx)
        .await?;
        // A representative's headline may have changed with a kept revision (only revised articles
        // can have one, so most batches skip this).
        let revised: Vec<i64> =
            c.log.iter().filter(|(d, _)| d.revision > 0).map(|(d, _)| d.article_id).collect();
        if !revised.is_empty() {
            sqlx::query(
                "UPDATE stories s SET title = a.title FROM articles a
                 WHERE a.article_id = s.representative_article_id AND a.article_id = ANY($1)
                   AND s.title IS DISTINCT FROM a.title",
            )
            .bind(&revised)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn upsert_stories(conn: &mut PgConnection, rows: &[StoryRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(rows.len());
    let (mut reps, mut counts, mut sources, mut reprints) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut firsts, mut lasts, mut merged, mut terms) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        ids.push(r.story_id);
        reps.push(r.representative);
        counts.push(r.article_count);
        sources.push(r.source_count);
        reprints.push(r.reprint_count);
        firsts.push(r.first_event_at);
        lasts.push(r.last_event_at);
        merged.push(r.merged_into);
        // One space-separated string per story: unnest() would flatten an array of arrays, and
        // terms never contain spaces. NULL keeps the stored terms.
        terms.push(r.top_terms.as_ref().map(|t| t.join(" ")));
    }
    sqlx::query(
        "INSERT INTO stories (story_id, representative_article_id, title, article_count, source_count, reprint_count,
                              first_seen_at, last_updated_at, first_event_at, last_event_at, merged_into, top_terms)
         SELECT x.id, x.rep, a.title, x.n, x.sources, x.reprints, now(), now(), x.first, x.last, x.merged,
                string_to_array(x.terms, ' ')
         FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::int[], $5::int[], $6::timestamptz[],
                     $7::timestamptz[], $8::bigint[], $9::text[])
              AS x(id, rep, n, sources, reprints, first, last, merged, terms)
         LEFT JOIN articles a ON a.article_id = x.rep
         ON CONFLICT (story_id) DO UPDATE SET
             representative_article_id = EXCLUDED.representative_article_id, title = EXCLUDED.title,
             article_count = EXCLUDED.article_count, source_count = EXCLUDED.source_count,
             reprint_count = EXCLUDED.reprint_count, last_updated_at = now(),
             first_event_at = EXCLUDED.first_event_at, last_event_at = EXCLUDED.last_event_at,
             merged_into = EXCLUDED.merged_into,
             top_terms = COALESCE(EXCLUDED.top_terms, stories.top_terms)",
    )
    .bind(&ids)
    .bind(&reps)
    .bind(&counts)
    .bind(&sources)
    .bind(&reprints)
    .bind(&firsts)
    .bind(&lasts)
    .bind(&merged)
    .bind(&terms)
    .execute(conn)
    .await?;
    Ok(())
}

async fn upsert_members(
    conn: &mut PgConnection,
    rows: &[MemberRow],
    config_version: &str,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.article_id).collect();
    let stories: Vec<i64> = rows.iter().map(|r| r.story_id).collect();
    let methods: Vec<&str> = rows.iter().map(|r| r.method.as_str()).collect();
    let sims: Vec<f32> = rows.iter().map(|r| r.similarity as f32).collect();
    let originals: Vec<Option<i64>> = rows.iter().map(|r| r.near_duplicate_of).collect();
    let revisions: Vec<i32> = rows.iter().map(|r| r.revision).collect();
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    sqlx::query(
        "INSERT INTO story_members (article_id, story_id, method, similarity, near_duplicate_of,
                                    fingerprint_version, config_version, revision, seq)
         SELECT x.id, x.story, x.method, x.sim, x.original, $8, $9, x.rev, x.seq
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::real[], $5::bigint[], $6::int[], $7::bigint[])
             AS x(id, story, method, sim, original, rev, seq)
         ON CONFLICT (article_id) DO UPDATE SET
             story_id = EXCLUDED.story_id, method = EXCLUDED.method, similarity = EXCLUDED.similarity,
             near_duplicate_of = EXCLUDED.near_duplicate_of, fingerprint_version = EXCLUDED.fingerprint_version,
             config_version = EXCLUDED.config_version, revision = EXCLUDED.revision, seq = EXCLUDED.seq,
             joined_at = now()",
    )
    .bind(&ids)
    .bind(&stories)
    .bind(&methods)
    .bind(&sims)
    .bind(&originals)
    .bind(&revisions)
    .bind(&seqs)
    .bind(crate::dedup::minhash::FINGERPRINT_VERSION)
    .bind(config_version)
    .execute(conn)
    .await?;
    Ok(())
}
