//! The read-only story browser on the service's HTTP port: `/` (live stories, filtered and paged),
//! `/stories/{id}` (one story's articles and merge lineage; a merged-away id redirects to the story it
//! ended in) and `/feeds` (feed health). Server-rendered HTML, no script, GET only: the router has no
//! other method and the store calls it makes only read.
//!
//! - [`query`]: the list's query string → filter (pure).
//! - [`pages`]: the HTML (maud escapes every value).
//! - [`timeline`]: the arrival timeline as inline SVG (pure).

pub mod pages;
pub mod query;
pub mod timeline;

use crate::store::browse::StoryLookup;
use crate::store::{Store, StoreError};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::Markup;

/// The browser's routes, ready to merge into the service's router.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/", get(story_list))
        .route("/stories/{id}", get(story))
        .route("/feeds", get(feeds))
        .with_state(store)
}

/// What a handler could not do, as the page the reader gets.
enum PageError {
    NotFound(String),
    Store(StoreError),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Store(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound(what) => {
                (StatusCode::NOT_FOUND, pages::message("Not found", &what)).into_response()
            }
            PageError::Store(e) => {
                // The reader learns that the database failed, the log learns why.
                tracing::error!(error = %e, "story browser: database query failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::message("Database error", "The database did not answer; try again."),
                )
                    .into_response()
            }
        }
    }
}

async fn story_list(State(store): State<Store>, RawQuery(raw): RawQuery) -> Result<Markup, PageError> {
    let q = query::parse(raw.as_deref());
    let stories = store.browse_stories(&q.filter).await?;
    Ok(pages::story_list(&q, &stories))
}

async fn story(State(store): State<Store>, Path(id): Path<String>) -> Result<Response, PageError> {
    let not_found = || PageError::NotFound(format!("There is no story {id}."));
    let story_id: i64 = id.parse().map_err(|_| not_found())?;
    match store.lookup_story(story_id).await? {
        StoryLookup::Live => {}
        StoryLookup::MergedInto(survivor) => {
            // Temporary: the survivor may itself be merged later, and the next request follows that.
            return Ok(Redirect::to(&format!("/stories/{survivor}")).into_response());
        }
        StoryLookup::Missing => return Err(not_found()),
    }
    // Merged between the two reads: the reader reloads and is redirected.
    let summary = store.story_summary(story_id).await?.ok_or_else(not_found)?;
    let articles = store.story_members(story_id).await?;
    let lineage = store.merge_lineage(story_id).await?;
    Ok(pages::story_page(&summary, &articles, &lineage).into_response())
}

async fn feeds(State(store): State<Store>) -> Result<Markup, PageError> {
    Ok(pages::feeds_page(&store.feed_statuses().await?))
}
