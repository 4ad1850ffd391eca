//! The story list's query string → a [`StoryFilter`] (pure). A value that does not parse is reported
//! on the page and its filter left out, rather than refusing the whole request.

use crate::store::browse::StoryFilter;
use chrono::{DateTime, NaiveDate, Utc};

/// Stories per page.
pub const PER_PAGE: i64 = 25;
/// Pages beyond this are refused (an OFFSET scan that deep serves nobody).
const MAX_PAGE: i64 = 10_000;

/// What the form sent, echoed back into it, and the filter it means.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub q: String,
    pub publisher: String,
    pub from: String,
    pub to: String,
    /// 1-based.
    pub page: i64,
    /// One message per value that did not parse.
    pub problems: Vec<String>,
    pub filter: StoryFilter,
}

/// Parses `q` (headline words), `publisher`, `from` and `to` (YYYY-MM-DD, both days included, or RFC
/// 3339) and `page`.
pub fn parse(raw: Option<&str>) -> ListQuery {
    let mut out = ListQuery { page: 1, ..ListQuery::default() };
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.trim().to_owned();
        match key.as_ref() {
            "q" => out.q = value,
            "publisher" => out.publisher = value,
            "from" => out.from = value,
            "to" => out.to = value,
            "page" if !value.is_empty() => match value.parse::<i64>() {
                Ok(p) if (1..=MAX_PAGE).contains(&p) => out.page = p,
                _ => out.problems.push(format!("page {value:?} is not a number from 1 to {MAX_PAGE}")),
            },
            _ => {}
        }
    }
    let since = time(&out.from, false).unwrap_or_else(|e| {
        out.problems.push(format!("from: {e}"));
        None
    });
    let until = time(&out.to, true).unwrap_or_else(|e| {
        out.problems.push(format!("to: {e}"));
        None
    });
    out.filter = StoryFilter {
        words: out.q.split_whitespace().map(str::to_owned).collect(),
        publisher: (!out.publisher.is_empty()).then(|| out.publisher.clone()),
        since,
        until,
        offset: (out.page - 1) * PER_PAGE,
        // One more than shown, to know whether a next page exists.
        limit: PER_PAGE + 1,
    };
    out
}

/// A date means its whole day: `from` its start, `to` the start of the next day.
fn time(value: &str, end_of_day: bool) -> Result<Option<DateTime<Utc>>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("{value:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"))?;
    let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
    Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
}

/// The query string for `page` of the same filter (for the pager links).
pub fn page_link(q: &ListQuery, page: i64) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("q", &q.q), ("publisher", &q.publisher), ("from", &q.from), ("to", &q.to)] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    format!("/?{}", s.finish())
}

/// The list filtered by one publisher (the chips' links).
pub fn publisher_link(publisher: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    s.append_pair("publisher", publisher);
    format!("/?{}", s.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_query_lists_the_first_page_unfiltered() {
        let q = parse(None);
        assert_eq!(q.page, 1);
        assert!(q.problems.is_empty());
        assert_eq!(q.filter, StoryFilter { offset: 0, limit: PER_PAGE + 1, ..StoryFilter::default() });
    }

    #[test]
    fn words_publisher_dates_and_page() {
        let q = parse(Some("q=+Assad++Tehran&publisher=aljazeera.com&from=2022-05-08&to=2022-05-09&page=3"));
        assert!(q.problems.is_empty(), "{:?}", q.problems);
        assert_eq!(q.filter.words, ["Assad", "Tehran"]);
        assert_eq!(q.filter.publisher.as_deref(), Some("aljazeera.com"));
        assert_eq!(q.filter.since.map(|t| t.to_rfc3339()).as_deref(), Some("2022-05-08T00:00:00+00:00"));
        // `to` includes its whole day.
        assert_eq!(q.filter.until.map(|t| t.to_rfc3339()).as_deref(), Some("2022-05-10T00:00:00+00:00"));
        assert_eq!(q.filter.offset, 2 * PER_PAGE);
        assert_eq!(
            page_link(&q, 4),
            "/?q=Assad++Tehran&publisher=aljazeera.com&from=2022-05-08&to=2022-05-09&page=4"
        );
    }

    #[test]
    fn bad_values_are_reported_and_left_out() {
        let q = parse(Some("from=yesterday&page=0&to=2022-13-01"));
        assert_eq!(q.problems.len(), 3, "{:?}", q.problems);
        assert_eq!((q.filter.since, q.filter.until, q.page), (None, None, 1));
    }

    #[test]
    fn publisher_links_are_encoded() {
        assert_eq!(publisher_link("a&b.example"), "/?publisher=a%26b.example");
    }
}
