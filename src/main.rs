//! The `vitrine` binary: parse the command line, load settings, run.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use vitrine::app::App;
use vitrine::cli::{Cli, Command, ServeArgs};
use vitrine::config::Settings;
use vitrine::demo::feed::{run_feed, FeedOptions};

/// mimalloc: the request path allocates many small, short-lived objects (GraphQL values,
/// futures); glibc malloc showed up at ~15% of CPU in profiles.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(run(Cli::parse()));
    // The app bounds its own shutdown; a blocking task still running past it (a snapshot write
    // cut off by the bound) must not hold the process open.
    runtime.shutdown_timeout(Duration::from_secs(1));
    result
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Feed(args)) => {
            let mut settings = Settings::load(args.config.as_deref())?;
            let mut overrides = String::new();
            if let Some(format) = &args.format {
                overrides += &format!("formats.default = {}\n", toml_text(format));
            }
            if let Some(url) = &args.registry {
                overrides += &format!("schema_registry.url = {}\n", toml_text(url));
            }
            if !overrides.is_empty() {
                settings = settings.with_overrides(&overrides)?;
            }
            vitrine::telemetry::init(&settings.log);
            let options = FeedOptions {
                brokers: args.brokers,
                products: args.products,
                seed: args.seed,
                partitions: args.partitions,
                live: args.live,
                live_interval: Duration::from_millis(args.interval_ms.max(1)),
                live_per_tick: args.per_tick.max(1),
            };
            run_feed(options, &settings).await
        }
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Probe(args)) => {
            probe(&args.url, Duration::from_millis(args.timeout_ms)).await
        }
        None => serve(cli.serve).await,
    }
}

/// GETs `url`: Ok when it answers 2xx within `timeout`.
async fn probe(url: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

/// A TOML string literal of `text`.
fn toml_text(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut settings = Settings::load(args.config.as_deref())?;
    let telemetry = vitrine::telemetry::init_with(&settings.log, &settings.telemetry);
    if let Some(listen) = args.listen {
        settings.server.listen = listen;
    }
    if let Some(brokers) = args.brokers {
        settings.kafka.brokers = brokers;
    }
    let app = App::build(settings).await.context("starting vitrine")?;
    let served = app.run_until_stopped().await;
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .ok();
    served?;
    Ok(())
}
