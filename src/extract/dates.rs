//! Date strings as news pages write them → UTC timestamps.
//!
//! Pages use ISO 8601 with and without offsets, RFC 2822, `2019-11-19 10:00:00`, "November 19, 2019",
//! Unix epochs (parse.ly, some CMSs) and dates in URL paths. Dates without a zone are taken as UTC:
//! a few hours' error is harmless to story clustering, a missing date is not.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;
use std::sync::LazyLock;

/// Parses one date string; `None` when it is not a plausible publication date.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim().trim_end_matches(['.', ',']).trim();
    if s.is_empty() || s.len() > 80 {
        return None;
    }
    let parsed = parse_iso(s)
        .or_else(|| DateTime::parse_from_rfc2822(s).ok().map(|d| d.with_timezone(&Utc)))
        .or_else(|| parse_epoch(s))
        .or_else(|| parse_written(s));
    parsed.filter(is_plausible)
}

/// A date in a URL path: `/2022/05/08/`, `/2022-05-08/`, `/20220508/` (ISO order only; `/05/08/2022`
/// is ambiguous between US and European order).
pub fn date_from_url(url: &str) -> Option<DateTime<Utc>> {
    static URL_DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"/((?:19|20)\d\d)[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:[/_.-]|$)|/((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)")
            .expect("static regex")
    });
    let caps = URL_DATE.captures(url)?;
    let num =
        |a: usize, b: usize| caps.get(a).or_else(|| caps.get(b)).and_then(|m| m.as_str().parse::<u32>().ok());
    let year = i32::try_from(num(1, 4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(2, 5)?, num(3, 6)?)?;
    Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))).filter(is_plausible)
}

fn is_plausible(d: &DateTime<Utc>) -> bool {
    (1990..=2100).contains(&d.year())
}

fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    // Normalise the common deviations: a space instead of "T", "+0000" offsets, a space before the
    // offset, a trailing " UTC"/" GMT".
    let mut t = s.replacen(' ', "T", 1);
    for zone in ["TUTC", "TGMT", " UTC", " GMT", "UTC", "GMT"] {
        if let Some(stripped) = t.strip_suffix(zone) {
            t = format!("{}Z", stripped.trim_end());
        }
    }
    let t = t.replace(" +", "+").replace(" -", "-");
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S%.fZ"]
    {
        if let Ok(d) = DateTime::parse_from_str(&t, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = t.trim_end_matches('Z');
    for fmt in
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%dT%H:%M:%S", "%Y/%m/%dT%H:%M"]
    {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(Utc.from_utc_datetime(&d));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
        }
    }
    None
}

/// Unix time in seconds or milliseconds (10 or 13 digits).
fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    match s.len() {
        10 => DateTime::from_timestamp(n, 0),
        13 => DateTime::from_timestamp_millis(n),
        _ => None,
    }
}

/// "November 19, 2019", "Nov 19, 2019 10:30 AM", "19 November 2019", "Tuesday, 19 Nov 2019 10:30".
fn parse_written(s: &str) -> Option<DateTime<Utc>> {
    let cleaned: String = s
        .replace(['\u{a0}', ','], " ")
        .replace(". ", " ")
        .replace(" at ", " ")
        .replace("Sept ", "Sep ")
        .split_whitespace()
        .filter(|w| {
            !is_weekday(w) && !matches!(w.to_ascii_uppercase().as_str(), "UTC" | "GMT" | "ET" | "EST" | "EDT")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let date_formats = ["%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y"];
    for fmt in date_formats {
        for time in [" %I:%M %p", " %I:%M%p", " %H:%M:%S", " %H:%M", " %H.%M"] {
            if let Ok(d) = NaiveDateTime::parse_from_str(&cleaned, &format!("{fmt}{time}")) {
                return Some(Utc.from_utc_datetime(&d));
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(&cleaned, fmt) {
            return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
        }
    }
    None
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let w = word.to_ascii_lowercase();
    w.len() >= 3 && DAYS.iter().any(|d| d.starts_with(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(d: Option<DateTime<Utc>>) -> String {
        d.map(|d| d.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn iso_variants_seen_on_news_sites() {
        // article:published_time (WordPress), JSON-LD (Arc), sailthru.date, parsely-pub-date, NYT pdate.
        assert_eq!(iso(parse_date("2019-11-19T10:29:21+00:00")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("2019-11-19T05:29:21.123-05:00")), "2019-11-19T10:29:21.123+00:00");
        assert_eq!(iso(parse_date("2019-11-19T10:29:21+0100")), "2019-11-19T09:29:21+00:00");
        assert_eq!(iso(parse_date("2019-11-19 10:29:21")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("2019-11-19T10:29:21Z")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("2019-11-19T10:29")), "2019-11-19T10:29:00+00:00");
        assert_eq!(iso(parse_date("2019-11-19 10:29:21 -0500")), "2019-11-19T15:29:21+00:00");
        assert_eq!(iso(parse_date("2019-11-19 10:29:21 UTC")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("2019-11-19")), "2019-11-19T00:00:00+00:00");
        assert_eq!(iso(parse_date("20191119")), "2019-11-19T00:00:00+00:00");
    }

    #[test]
    fn rfc2822_epoch_and_written_dates() {
        assert_eq!(iso(parse_date("Tue, 19 Nov 2019 10:29:21 GMT")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("1574159361")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("1574159361000")), "2019-11-19T10:29:21+00:00");
        assert_eq!(iso(parse_date("November 19, 2019")), "2019-11-19T00:00:00+00:00");
        assert_eq!(iso(parse_date("Nov. 19, 2019 at 10:29 AM")), "2019-11-19T10:29:00+00:00");
        assert_eq!(iso(parse_date("Tue 19 Nov 2019 10.29 GMT")), "2019-11-19T10:29:00+00:00");
        assert_eq!(iso(parse_date("19 Nov 2019")), "2019-11-19T00:00:00+00:00");
        assert_eq!(iso(parse_date("Sept. 9, 2021")), "2021-09-09T00:00:00+00:00");
    }

    #[test]
    fn rejects_non_dates() {
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_date("1800-01-01"), None);
        assert_eq!(parse_date("12345"), None);
    }

    #[test]
    fn url_dates() {
        let d = |u| iso(date_from_url(u));
        assert_eq!(d("https://www.example.com/2022/05/08/assad-visits-tehran/"), "2022-05-08T00:00:00+00:00");
        assert_eq!(d("https://example.com/news/2022-05-08/story.html"), "2022-05-08T00:00:00+00:00");
        assert_eq!(d("https://example.com/world/20220508_story"), "2022-05-08T00:00:00+00:00");
        assert_eq!(d("https://example.com/2022/5/8"), "2022-05-08T00:00:00+00:00");
        assert_eq!(d("https://example.com/article/12345678/story"), "");
        assert_eq!(d("https://example.com/2022/13/40/x"), "");
        assert_eq!(d("https://example.com/news/story-2022"), "");
    }
}
