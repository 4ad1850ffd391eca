//! A deterministic synthetic news stream for tests that need more than a handful of articles: events
//! with their own names, places and figures, each told by several outlets over a few hours, on a
//! background of shared vocabulary. Rendered as JSONL for `import`, or as RSS feeds and HTML pages for
//! the local test server.

use chrono::{DateTime, Duration, Utc};

pub struct Article {
    /// Unique, also the page's file name.
    pub id: String,
    pub event: usize,
    pub outlet: usize,
    pub published: DateTime<Utc>,
    pub title: String,
    /// Paragraphs.
    pub body: Vec<String>,
}

/// splitmix64: a fixed, well-mixed sequence from a seed, so every run sees the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn word(rng: &mut Rng, syllables: usize) -> String {
    const SYL: [&str; 24] = [
        "ka", "lo", "mi", "ra", "ten", "vo", "shi", "dar", "bel", "nu", "qui", "sor", "pa", "gre", "tu",
        "lin", "mor", "el", "zan", "fi", "hu", "bra", "ost", "wen",
    ];
    (0..syllables).map(|_| SYL[rng.below(SYL.len())]).collect()
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// `events` events, each reported by 2–5 of `outlets` outlets, starting at `start` and one event
/// every three hours, in publication order. `seed` picks the words.
pub fn corpus(events: usize, outlets: usize, start: DateTime<Utc>, seed: u64) -> Vec<Article> {
    let mut rng = Rng(seed);
    let background: Vec<String> = (0..5000).map(|_| word(&mut rng, 3)).collect();
    let topics: Vec<Vec<String>> =
        (0..8).map(|_| (0..30).map(|_| background[rng.below(background.len())].clone()).collect()).collect();
    let mut out = Vec::new();
    for e in 0..events {
        let names: Vec<String> = (0..6).map(|_| capitalise(&word(&mut rng, 4))).collect();
        let figure = 10 + rng.below(990);
        let topic = &topics[rng.below(topics.len())];
        let tellers = 2 + rng.below(4);
        let first = rng.below(outlets);
        for k in 0..tellers {
            let outlet = (first + k * 7) % outlets;
            let published = start + Duration::hours(3 * e as i64) + Duration::minutes(20 * k as i64 + 1);
            let mut body = Vec::new();
            for p in 0..5 {
                let mut words = Vec::new();
                for i in 0..40 {
                    let w = match rng.below(20) {
                        0..=6 => names[(p + i + k) % names.len()].clone(),
                        7 => figure.to_string(),
                        8..=11 => topic[rng.below(topic.len())].clone(),
                        _ => background[rng.below(background.len())].clone(),
                    };
                    words.push(w);
                }
                body.push(format!("{}.", words.join(" ")));
            }
            out.push(Article {
                id: format!("e{e:04}-o{outlet:02}"),
                event: e,
                outlet,
                published,
                title: format!(
                    "{} and {} in {}: {figure} {}",
                    names[0],
                    names[1],
                    names[2],
                    topic[k % topic.len()]
                ),
                body,
            });
        }
    }
    out.sort_by(|a, b| a.published.cmp(&b.published).then_with(|| a.id.cmp(&b.id)));
    out
}

/// One `import` line.
pub fn jsonl_line(a: &Article) -> String {
    serde_json::json!({
        "id": a.id,
        "url": format!("https://outlet{}.example/{}", a.outlet, a.id),
        "source": format!("outlet{}.example", a.outlet),
        "published": a.published.to_rfc3339(),
        "title": a.title,
        "body": a.body.join("\n\n"),
    })
    .to_string()
}

/// The article's web page. It carries no date of its own: the feed's is the only one.
pub fn page(a: &Article) -> String {
    let paragraphs: String = a.body.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta property=\"og:site_name\" content=\"Outlet {o}\"></head><body><nav><a href=\"/\">Home</a></nav>\
         <article><h1>{t}</h1>\n{paragraphs}</article>\
         <footer>Outlet {o}</footer></body></html>",
        t = a.title,
        o = a.outlet,
    )
}

/// An RSS 2.0 feed of `items`, linking to `/articles/{id}.html` on `base`.
pub fn rss(base: &str, name: &str, items: &[&Article]) -> String {
    let entries: String = items
        .iter()
        .map(|a| {
            format!(
                "<item><title>{t}</title><link>{base}/articles/{id}.html</link><guid>{base}/articles/{id}.html</guid>\
                 <pubDate>{d}</pubDate><description>{s}</description></item>\n",
                t = a.title,
                id = a.id,
                d = a.published.to_rfc2822(),
                s = a.body[0],
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title><link>{base}/</link>\
         <description>{name}</description>\n{entries}</channel></rss>"
    )
}

/// `(external id or URL file name) → set of its story's members`, so that partitions can be compared
/// across databases whose story ids differ.
pub fn partition(rows: &[(String, i64)]) -> Vec<Vec<String>> {
    let mut by_story: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for (id, story) in rows {
        by_story.entry(*story).or_default().push(id.clone());
    }
    let mut groups: Vec<Vec<String>> = by_story
        .into_values()
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    groups.sort();
    groups
}
