//! The `newsdedup` binary: parses the command line, loads the config, sets up logging, and hands over
//! to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use newsdedup::config::Settings;
use newsdedup::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "newsdedup",
    version,
    about = "Poll news feeds, scrape articles, cluster stories in PostgreSQL"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: poll feeds, scrape, cluster, store. Stops on SIGTERM or Ctrl-C; SIGHUP reloads
    /// the config file.
    Run {
        #[arg(long, default_value = "config/feeds.toml")]
        config: PathBuf,
        /// Poll every feed once, process every pending article, print a summary and exit.
        #[arg(long)]
        once: bool,
    },
    /// Run the article extractor on a page, or the feed parser on a feed, and print JSON.
    Inspect {
        #[command(subcommand)]
        what: InspectWhat,
    },
    /// Validate a config file without touching the network or the database.
    CheckConfig {
        #[arg(long, default_value = "config/feeds.toml")]
        config: PathBuf,
    },
    /// Replay a JSONL file of articles through fingerprint → cluster → store, in file order.
    Import {
        /// One JSON object a line: {"id","url","source","published","title","body"}.
        file: PathBuf,
        #[arg(long, default_value = "config/feeds.toml")]
        config: PathBuf,
    },
    /// Re-run the current extractor over stored raw pages (no refetching); changed articles are revised
    /// and clustered again.
    Reextract {
        #[arg(long, default_value = "config/feeds.toml")]
        config: PathBuf,
        /// Only pages fetched at or after this time (RFC 3339, or a date YYYY-MM-DD).
        #[arg(long, value_parser = parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Also pages the current extractor version already produced.
        #[arg(long)]
        all: bool,
    },
    /// Print the feed health table (the `feed_status` view); `import`/`export` convert feed lists
    /// from and to OPML.
    Feeds {
        #[arg(long, global = true, default_value = "config/feeds.toml")]
        config: PathBuf,
        #[command(subcommand)]
        action: Option<FeedsAction>,
    },
    /// GET a URL and exit 0 on HTTP 200 (the container's HEALTHCHECK).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
}

#[derive(Subcommand)]
enum FeedsAction {
    /// Print `[[feeds]]` entries for the config from an OPML file (names kept); outlines that are not
    /// http(s) feeds are reported on stderr and skipped.
    Import { file: PathBuf },
    /// Write the configured feeds as OPML to stdout.
    Export,
}

#[derive(Subcommand)]
enum InspectWhat {
    /// PATH_OR_URL: an .html/.html.gz file (one JSON object), a directory of them (JSON lines with an
    /// `id` per file stem), or an http(s) URL fetched through the service's HTTP client.
    Article {
        path_or_url: String,
        /// Base URL of a saved page, to resolve its relative links.
        #[arg(long)]
        url: Option<url::Url>,
        /// Config whose [fetch] settings apply to URLs (defaults otherwise).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// PATH_OR_URL: a feed file (RSS, Atom, RDF or JSON Feed) or an http(s) URL fetched through the
    /// service's HTTP client. Prints one JSON line per entry as the poller sees it: identity, link,
    /// title and dates.
    Feed {
        path_or_url: String,
        /// Config whose [fetch] settings apply to URLs (defaults otherwise).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{s:?} is neither RFC 3339 nor YYYY-MM-DD"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // The reader went away (`| head`): what it wanted was printed.
        Err(e) if is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cause_chain(&e));
            ExitCode::FAILURE
        }
    };
    // Work abandoned at the stop deadline (an extraction still on a blocking thread) must not hold
    // the exit: dropping the runtime would wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

fn is_closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<newsdedup::inspect::InspectError>().is_some_and(|i| i.is_closed_pipe())
    })
}

/// Writes a line to stdout; an error (a closed pipe among them) is returned, not a panic.
fn print_line(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// The error and its causes on one line, each cause once: our error messages often include their
/// source already (so that a log line that prints only the top error says why), and `{:#}` would
/// then repeat it.
fn cause_chain(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // Colour codes only for a person at a terminal, not in files, pipes or `docker logs`.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(newsdedup::telemetry::LogWriter)
        .with_ansi(ansi);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run { config, once } => run_service(&config, once).await,
        Command::Inspect { what: InspectWhat::Article { path_or_url, url, config } } => {
            inspect_article(&path_or_url, url.as_ref(), config.as_deref()).await
        }
        Command::Inspect { what: InspectWhat::Feed { path_or_url, config } } => {
            inspect_feed(&path_or_url, config.as_deref()).await
        }
        Command::CheckConfig { config } => {
            let settings = Settings::load(&config)?;
            print_line(&format!("{}: ok ({} feeds)", config.display(), settings.feeds.len()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, config } => {
            let settings = Settings::load(&config)?;
            let store = Store::open(&settings.database.url, settings.database.max_connections.get())
                .await
                .context("opening the database")?;
            let mut importer =
                newsdedup::import::Importer::open(&store, &settings.cluster, &settings.engine).await?;
            if importer.queue_only() {
                eprintln!("another process runs the story engine: the records are stored for it to cluster");
            }
            let summary =
                newsdedup::import::run_file(&mut importer, &file, settings.engine.batch_size.get()).await?;
            importer.finish().await?;
            store.close().await;
            println!("{summary}");
            if summary.accepted() == 0 {
                eprintln!("error: no line of {} could be imported", file.display());
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck { url } => healthcheck(&url).await,
        Command::Feeds { config, action } => feeds(&config, action).await,
        Command::Reextract { config, since, all } => {
            let settings = Settings::load(&config)?;
            let store = Store::open(&settings.database.url, settings.database.max_connections.get())
                .await
                .context("opening the database")?;
            let rules = newsdedup::scrape::rules_by_feed(&settings.feeds, &store.feed_ids().await?);
            let summary = newsdedup::reextract::run(
                &store,
                &rules,
                since,
                all,
                std::time::Duration::from_millis(settings.scrape.extract_budget_ms),
            )
            .await?;
            println!("{summary}");
            match newsdedup::engine::Session::acquire(&store, &settings.cluster, &settings.engine).await? {
                Some(mut session) => {
                    let decided = session.drain(None).await?;
                    session.close().await?;
                    println!("clustered {} revised articles again", decided.stored() + decided.kept);
                }
                None => println!("the story engine runs in another process: it clusters the revisions"),
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run_service(config: &std::path::Path, once: bool) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    // Listening before the (possibly long) start: SIGHUP's default action would end the process.
    // (A SIGTERM during the start is then a stop as soon as the service runs.)
    let (reload_tx, reloads) = tokio::sync::mpsc::channel(4);
    let shutdown = tokio_util::sync::CancellationToken::new();
    if !once {
        listen_for_reloads(config.to_path_buf(), reload_tx)?;
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            trigger.cancel();
        });
    }
    let app = newsdedup::app::App::build(settings).await.context("starting newsdedup")?;
    // Closed at exit, so the server does not log every pooled connection as reset by peer.
    let store = app.store().clone();
    if once {
        let summary = app.run_once().await;
        store.close().await;
        println!("{}", summary?);
        return Ok(ExitCode::SUCCESS);
    }
    let result = app.run_reloading(shutdown, reloads).await;
    store.close().await;
    result?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// On each SIGHUP, reads and checks the config file again and hands it to the service; an invalid
/// file is logged with every error and the running configuration stays.
#[cfg(unix)]
fn listen_for_reloads(path: PathBuf, reloads: tokio::sync::mpsc::Sender<Settings>) -> anyhow::Result<()> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("listening for SIGHUP")?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match Settings::load(&path) {
                Ok(settings) => {
                    tracing::info!(config = %path.display(), "SIGHUP: reloading the configuration");
                    if reloads.send(settings).await.is_err() {
                        return;
                    }
                }
                Err(e) => tracing::error!(
                    config = %path.display(),
                    error = %e,
                    "SIGHUP: the configuration is invalid; keeping the current one"
                ),
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn listen_for_reloads(_: PathBuf, _: tokio::sync::mpsc::Sender<Settings>) -> anyhow::Result<()> {
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

async fn inspect_article(
    target: &str,
    base: Option<&url::Url>,
    config: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    use newsdedup::extract::{self, Page, SiteRules};
    use std::io::Write;
    let path = std::path::Path::new(target);
    if path.is_dir() {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let summary = newsdedup::inspect::inspect_dir(path, &mut out)?;
        out.flush()?;
        eprintln!(
            "{} pages, {} with an empty body, {} errors, {:.2}s",
            summary.pages,
            summary.empty_bodies,
            summary.errors.len(),
            summary.elapsed.as_secs_f64()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let article = match url::Url::parse(target) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            let resp = fetch(&url, newsdedup::fetch::Kind::Page, config).await?;
            if let Some(entries) =
                newsdedup::inspect::feed_entry_count(&resp.body, resp.content_type.as_deref())
            {
                return not_an_article(target, entries);
            }
            let page = Page {
                html: &resp.body,
                url: Some(&resp.final_url),
                content_type: resp.content_type.as_deref(),
            };
            extract::article(&page, &SiteRules::default())?
        }
        _ => {
            let bytes = newsdedup::inspect::read_page(path)?;
            if let Some(entries) = newsdedup::inspect::feed_entry_count(&bytes, None) {
                return not_an_article(target, entries);
            }
            newsdedup::inspect::inspect_file(path, base)?
        }
    };
    print_line(&serde_json::to_string_pretty(&article)?)?;
    Ok(ExitCode::SUCCESS)
}

fn not_an_article(target: &str, entries: usize) -> anyhow::Result<ExitCode> {
    eprintln!(
        "error: {target} is a feed ({entries} entries), not an article page: run `newsdedup inspect feed {target}`"
    );
    Ok(ExitCode::FAILURE)
}

async fn fetch(
    url: &url::Url,
    kind: newsdedup::fetch::Kind,
    config: Option<&std::path::Path>,
) -> anyhow::Result<newsdedup::fetch::Response> {
    let fetch_cfg = match config {
        Some(c) => Settings::load(c)?.fetch,
        None => newsdedup::config::FetchConfig::default(),
    };
    let fetcher = newsdedup::fetch::Fetcher::new(&fetch_cfg)?;
    Ok(fetcher.fetch(&newsdedup::fetch::Request::new(url, kind)).await?)
}

async fn inspect_feed(target: &str, config: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let (bytes, content_type, feed_url) = match url::Url::parse(target) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            let resp = fetch(&url, newsdedup::fetch::Kind::Feed, config).await?;
            (resp.body.to_vec(), resp.content_type, resp.final_url)
        }
        _ => {
            let path = std::path::Path::new(target);
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {target}"))?;
            let absolute = std::fs::canonicalize(path).with_context(|| format!("cannot read {target}"))?;
            let url = url::Url::from_file_path(&absolute)
                .map_err(|()| anyhow::anyhow!("{target}: not a usable file path"))?;
            (bytes, None, url)
        }
    };
    let feed = newsdedup::poll::parse::parse(&bytes, content_type.as_deref(), &feed_url)
        .with_context(|| format!("{target} is not a readable feed"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    newsdedup::inspect::write_feed_entries(&feed, &mut out)?;
    out.flush()?;
    eprintln!("{}: {} entries", feed.title.as_deref().unwrap_or(target), feed.entries.len());
    Ok(ExitCode::SUCCESS)
}

async fn feeds(config: &std::path::Path, action: Option<FeedsAction>) -> anyhow::Result<ExitCode> {
    use newsdedup::opml;
    match action {
        None => {
            let settings = Settings::load(config)?;
            let store = Store::open(&settings.database.url, settings.database.max_connections.get())
                .await
                .context("opening the database")?;
            let rows = store.feed_statuses().await;
            store.close().await;
            print!("{}", newsdedup::feed_table::render(&rows?));
        }
        Some(FeedsAction::Import { file }) => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let imported = opml::parse(&text).with_context(|| format!("{}", file.display()))?;
            for problem in &imported.skipped {
                eprintln!("{}: skipped {problem}", file.display());
            }
            print!("{}", opml::to_toml(&imported.feeds));
            eprintln!("{}: {} feeds", file.display(), imported.feeds.len());
        }
        Some(FeedsAction::Export) => {
            let settings = Settings::load(config)?;
            let feeds: Vec<opml::OpmlFeed> = settings
                .feeds
                .iter()
                .map(|f| opml::OpmlFeed { url: f.url.to_string(), name: f.name.clone() })
                .collect();
            print!("{}", opml::write(&format!("newsdedup feeds ({})", config.display()), &feeds));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn healthcheck(url: &str) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build()?;
    let status = client.get(url).send().await.with_context(|| format!("GET {url}"))?.status();
    if status == reqwest::StatusCode::OK {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{url}: HTTP {status}");
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot connect to the database: {0}")]
    struct Wrapping(#[source] std::io::Error);

    #[test]
    fn each_cause_is_printed_once() {
        let io = std::io::Error::other("connection refused");
        let e = anyhow::Error::new(Wrapping(io)).context("opening the database");
        assert_eq!(
            cause_chain(&e),
            "opening the database: cannot connect to the database: connection refused"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(cause_chain(&plain), "outer: inner");
    }
}
