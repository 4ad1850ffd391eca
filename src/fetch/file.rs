//! `file://` URLs: local or archived feeds and the pages they link to. Read with the same size limit as
//! HTTP bodies; the file's modification time serves as `Last-Modified`, so a poller's conditional request
//! on an unchanged file answers "not modified" just like a web server would.

use super::{FetchError, Response};
use std::path::Path;
use tokio::io::AsyncReadExt;

pub(crate) async fn read(
    url: &url::Url,
    last_modified: Option<&str>,
    limit: u64,
) -> Result<Response, FetchError> {
    let path = url.to_file_path().map_err(|()| FetchError::InvalidUrl {
        url: url.to_string(),
        reason: "not a local file path".into(),
    })?;
    let io = |source| FetchError::Io { path: path.clone(), source };
    let file = tokio::fs::File::open(&path).await.map_err(io)?;
    let meta = file.metadata().await.map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory")));
    }
    if meta.len() > limit {
        return Err(FetchError::TooLarge { url: url.to_string(), limit });
    }
    let modified = meta.modified().ok().map(httpdate::fmt_http_date);
    let mut response = Response {
        final_url: url.clone(),
        permanent_redirect: None,
        not_modified: false,
        content_type: content_type(&path).map(str::to_owned),
        etag: None,
        last_modified: modified.clone(),
        max_age: None,
        expires: None,
        body: bytes::Bytes::new(),
    };
    if modified.is_some() && modified.as_deref() == last_modified {
        response.not_modified = true;
        return Ok(response);
    }
    // The file may grow between metadata and read: the limit is enforced on what is actually read.
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut buf).await.map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(FetchError::TooLarge { url: url.to_string(), limit });
    }
    response.body = buf.into();
    Ok(response)
}

/// Media type guessed from the extension; `None` lets the consumer sniff.
fn content_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "rdf" => "application/rdf+xml",
        "xml" => "application/xml",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "xhtml" => "application/xhtml+xml",
        "txt" => "text/plain",
        _ => return None,
    })
}
