//! The `newsdedup` binary: parses the command line, loads the config, sets up logging, and hands over
//! to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use newsdedup::config::Settings;
use newsdedup::ingest::Ingestor;
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
    /// GET a URL and exit 0 on HTTP 200 (the container's HEALTHCHECK).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
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
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::CheckConfig { config } => {
            let settings = Settings::load(&config)?;
            println!("{}: ok ({} feeds)", config.display(), settings.feeds.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, config } => {
            let settings = Settings::load(&config)?;
            let store = Store::open(&settings.database.url, settings.database.max_connections.get())
                .await
                .context("opening the database")?;
            let ingestor = Ingestor::new(store, &settings.cluster);
            let summary = newsdedup::import::run_file(&ingestor, &file).await?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck { url } => healthcheck(&url).await,
    }
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
