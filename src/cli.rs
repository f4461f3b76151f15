//! The command line: `vitrine [serve]`, `vitrine feed` and `vitrine probe`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "vitrine",
    version,
    about = "A GraphQL read gateway over Kafka-fed materialized views of products, prices and inventory.",
    long_about = "A GraphQL read gateway over Kafka-fed materialized views of products, prices and inventory.\n\n\
        With no broker configured, `vitrine` serves a demo: a generated catalog and a trickle of live\n\
        changes through librdkafka's in-process mock cluster. GraphiQL is at http://127.0.0.1:8080/."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve GraphQL over the views (the default).
    Serve(ServeArgs),
    /// Publish the generated demo catalog (and optionally live changes) to a Kafka cluster.
    Feed(FeedArgs),
    /// Ask a running gateway whether it is ready (exit 0) or not (exit 1): a container's
    /// health check without curl in the image.
    Probe(ProbeArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ProbeArgs {
    /// The endpoint to ask.
    #[arg(long, default_value = "http://127.0.0.1:8080/health/ready")]
    pub url: String,
    /// Milliseconds to wait for the answer.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Args, Default, Clone)]
pub struct ServeArgs {
    /// A TOML settings file layered over config/default.toml (env VITRINE_* still wins).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Kafka bootstrap servers (host:port,...). Without it: the embedded demo cluster.
    #[arg(long, value_name = "LIST")]
    pub brokers: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct FeedArgs {
    /// Kafka bootstrap servers (host:port,...).
    #[arg(long, value_name = "LIST")]
    pub brokers: String,
    /// Products to generate (about 5 variants each).
    #[arg(long, default_value_t = 10_000)]
    pub products: usize,
    /// Generator seed: the same seed gives the same catalog.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Partitions for topics that do not exist yet.
    #[arg(long, default_value_t = 3)]
    pub partitions: i32,
    /// After the catalog, keep publishing live price and stock changes until Ctrl-C.
    #[arg(long)]
    pub live: bool,
    /// Milliseconds between live changes.
    #[arg(long, default_value_t = 100)]
    pub interval_ms: u64,
    /// Live changes published at each interval (2 every 1 ms: 2,000 changes/s).
    #[arg(long, default_value_t = 1)]
    pub per_tick: u32,
    /// A TOML settings file (for topic names, formats and the schema registry).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write every upstream topic in this format (over `formats.default`): json, avro or
    /// protobuf; the contract's schemas (schemas/) are registered under `{topic}-value`.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// The schema registry's URL (over `schema_registry.url`).
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
}
