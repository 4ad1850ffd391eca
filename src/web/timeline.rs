//! The small arrival timeline of a story: one tick per article at its `event_at`, between the
//! story's first and last report, as inline SVG (pure; no script, no external asset).

use chrono::{DateTime, Utc};
use maud::{Markup, html};

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 14.0;
/// Room at each end so the first and last ticks are whole.
const PAD: f64 = 2.0;

/// x positions (0..=WIDTH) of the ticks: linear in time; a story whose reports share one instant
/// has them all in the middle.
pub fn tick_positions(arrivals: &[DateTime<Utc>]) -> Vec<f64> {
    let (Some(first), Some(last)) = (arrivals.iter().min(), arrivals.iter().max()) else {
        return Vec::new();
    };
    let span = (*last - *first).num_milliseconds() as f64;
    arrivals
        .iter()
        .map(|t| {
            if span <= 0.0 {
                WIDTH / 2.0
            } else {
                PAD + (WIDTH - 2.0 * PAD) * ((*t - *first).num_milliseconds() as f64 / span)
            }
        })
        .collect()
}

/// The SVG, with a text alternative naming the span.
pub fn svg(arrivals: &[DateTime<Utc>]) -> Markup {
    let label = match (arrivals.iter().min(), arrivals.iter().max()) {
        (Some(a), _) if arrivals.len() == 1 => format!("1 report at {}", a.format("%Y-%m-%d %H:%M")),
        (Some(a), Some(b)) => format!(
            "{} reports from {} to {}",
            arrivals.len(),
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        ),
        _ => "no reports".to_owned(),
    };
    html! {
        svg class="timeline" width=(WIDTH) height=(HEIGHT) viewBox={"0 0 " (WIDTH) " " (HEIGHT)}
            role="img" aria-label=(label) xmlns="http://www.w3.org/2000/svg" {
            title { (label) }
            line x1="0" y1=(HEIGHT / 2.0) x2=(WIDTH) y2=(HEIGHT / 2.0) stroke="#ccc" stroke-width="1" {}
            @for x in tick_positions(arrivals) {
                rect x=(format!("{:.1}", x - 1.0)) y="1" width="2" height=(HEIGHT - 2.0) fill="#1a5fb4" {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("valid").with_timezone(&Utc)
    }

    #[test]
    fn ticks_spread_over_the_span_in_time_order() {
        let xs = tick_positions(&[
            t("2022-05-08T12:00:00Z"),
            t("2022-05-08T18:00:00Z"),
            t("2022-05-09T12:00:00Z"),
        ]);
        assert_eq!(xs.len(), 3);
        assert!((xs[0] - PAD).abs() < 1e-9 && (xs[2] - (WIDTH - PAD)).abs() < 1e-9, "{xs:?}");
        assert!((xs[1] - (PAD + (WIDTH - 2.0 * PAD) / 4.0)).abs() < 1e-9, "{xs:?}");
    }

    #[test]
    fn one_instant_is_centred_and_nothing_draws_nothing() {
        let same = t("2022-05-08T12:00:00Z");
        assert_eq!(tick_positions(&[same, same]), [WIDTH / 2.0, WIDTH / 2.0]);
        assert!(tick_positions(&[]).is_empty());
        let markup = svg(&[same]).into_string();
        assert_eq!(markup.matches("<rect").count(), 1, "{markup}");
        assert!(markup.contains("1 report at 2022-05-08 12:00"), "{markup}");
    }
}
