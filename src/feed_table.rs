//! `newsdedup feeds`: the `feed_status` view as a plain-text table for a terminal (pure).

use crate::store::feeds::FeedStatus;
use chrono::{DateTime, Utc};

/// Errors longer than this are cut (the full text is in `feed_status.last_error`).
const ERROR_WIDTH: usize = 80;

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn cut(s: &str, width: usize) -> String {
    let one_line = s.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= width {
        one_line
    } else {
        let mut c: String = one_line.chars().take(width.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// A learned poll interval, short and rounded down: `45s`, `12m`, `3h20m`, `1d`.
fn every(secs: i32) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 if secs % 3600 >= 60 => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86_400),
    }
}

/// One header line, then one line per feed; times in UTC.
pub fn render(rows: &[FeedStatus]) -> String {
    let header = [
        "ID",
        "STATE",
        "FAILS",
        "LAST SUCCESS (UTC)",
        "NEXT CHECK (UTC)",
        "24H",
        "LEARNED",
        "FEED",
        "LAST ERROR",
    ];
    let mut table: Vec<[String; 9]> = vec![header.map(str::to_owned)];
    for r in rows {
        let feed = match &r.name {
            Some(name) => format!("{name} <{}>", r.url),
            None => r.url.clone(),
        };
        table.push([
            r.feed_id.to_string(),
            r.state.clone(),
            r.consecutive_failures.to_string(),
            time(r.last_success_at),
            time(Some(r.next_check_at)),
            r.articles_last_24h.to_string(),
            r.learned_interval_secs.map_or_else(|| "-".to_owned(), every),
            feed,
            cut(r.last_error.as_deref().unwrap_or(""), ERROR_WIDTH),
        ]);
    }
    let mut widths = [0usize; 9];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, state: &str, error: Option<&str>) -> FeedStatus {
        FeedStatus {
            feed_id: id,
            url: format!("https://feed{id}.example/rss"),
            fetch_url: None,
            name: (id == 1).then(|| "First".to_owned()),
            title: None,
            state: state.to_owned(),
            last_checked_at: None,
            last_success_at: None,
            last_error: error.map(str::to_owned),
            consecutive_failures: i32::from(error.is_some()),
            next_check_at: DateTime::parse_from_rfc3339("2026-12-08T00:02:00Z")
                .expect("valid")
                .with_timezone(&Utc),
            articles_last_24h: 3,
            learned_interval_secs: (id == 1).then_some(12_000),
        }
    }

    #[test]
    fn columns_line_up_and_long_errors_are_cut() {
        let long = format!("HTTP status 500\n{}", "x".repeat(200));
        let text = render(&[row(1, "ok", None), row(22, "failing", Some(&long))]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("ID  STATE    FAILS"), "{text}");
        assert!(lines[1].starts_with("1   ok       0"), "{text}");
        assert!(lines[1].contains("3h20m    First <https://feed1.example/rss>"), "{text}");
        assert!(lines[2].contains("3    -        https://feed22"), "{text}");
        assert!(lines[2].starts_with("22  failing  1      never"), "{text}");
        assert!(lines[2].contains("2026-12-08 00:02:00") && lines[2].ends_with('…'), "{text}");
        let state_col = lines[0].find("STATE");
        assert_eq!(lines[2].find("failing"), state_col);
    }

    #[test]
    fn learned_intervals_read_at_a_glance() {
        let cases = [(45, "45s"), (720, "12m"), (3600, "1h"), (12_000, "3h20m"), (86_400, "1d"), (-5, "0s")];
        for (secs, text) in cases {
            assert_eq!(every(secs), text, "{secs}");
        }
    }
}
