//! Typed, documented settings: `config/default.toml`, then an optional file, then `VITRINE_*` environment variables.

use std::net::SocketAddr;
use std::path::Path;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

pub use crate::pricing::checkout::RepricePolicy;
pub use banners::{AssortmentSettings, Banner, BannerSettings};
pub use graphql::{GraphqlSettings, PlannerMode};
pub use kafka::{KafkaSecurity, KafkaSettings, SaslMechanism, Secret, SecurityProtocol};
pub use registry::{FormatSettings, SchemaRegistrySettings};
pub use reservations::ReservationSettings;
pub use snapshot::SnapshotSettings;

pub mod banners;
pub mod graphql;
pub mod kafka;
pub mod registry;
pub mod reservations;
mod secrets;
pub mod snapshot;

/// The defaults shipped in the binary, the same text as `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// All of Vitrine's settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub graphql: GraphqlSettings,
    pub kafka: KafkaSettings,
    pub topics: TopicSettings,
    pub demo: DemoSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub telemetry: TelemetrySettings,
    pub pricing: PricingSettings,
    pub checkout: CheckoutSettings,
    pub subscriptions: SubscriptionSettings,
    pub snapshot: SnapshotSettings,
    pub reservations: ReservationSettings,
    /// Storefronts served by this process (none: one, `main`, on `[topics]`).
    #[serde(default)]
    pub banners: Vec<BannerSettings>,
    /// Where Avro and Protobuf topics' schemas come from.
    #[serde(default)]
    pub schema_registry: SchemaRegistrySettings,
    /// Each upstream topic's value format.
    #[serde(default)]
    pub formats: FormatSettings,
}

/// Live price and inventory subscriptions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSettings {
    /// Subscriptions one WebSocket connection may hold open (`TOO_MANY_SUBSCRIPTIONS` above).
    pub max_per_connection: usize,
    /// Subscriptions open at once over all connections.
    pub max_total: usize,
    /// Variants with pending updates one subscriber may hold (latest per variant); past this
    /// the subscriber gets a resync event instead.
    pub buffer_variants: usize,
    /// Changes ingest may be ahead of the slowest subscriber before that one must resync.
    pub hub_capacity: usize,
    /// Stock under this many units is `LOW_STOCK`.
    pub low_stock_below: i32,
    /// Keep-alive comment interval on SSE streams; a write is how a vanished client is noticed.
    pub sse_keepalive_ms: u64,
    /// How often the server pings each WebSocket client (ping frame plus the protocol's own
    /// keep-alive message).
    pub ws_ping_interval_ms: u64,
    /// How long past a ping interval a WebSocket client that sent nothing, not even a pong,
    /// keeps its connection.
    pub ws_pong_timeout_ms: u64,
    /// Longest one message to a WebSocket client may wait to be sent; a client that stops
    /// reading is closed past it (its slot freed, shutdown never waits on it).
    pub ws_send_timeout_ms: u64,
    /// Subscriptions one client may hold open over all its connections.
    pub max_per_client: usize,
    /// SKUs and product ids one subscription may name together (`TOO_MANY_IDS` above): a
    /// filter is held in memory for the subscription's life.
    pub max_filter_ids: usize,
    /// Header naming the client (its first comma-separated value), for deployments behind a
    /// proxy, e.g. `x-forwarded-for`; empty: the peer's IP address.
    pub client_header: String,
}

/// The base market.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PricingSettings {
    /// ISO 3166-1 alpha-2 country whose shoppers pay base prices (no conversion, duty or tax);
    /// also the market of queries that name no country.
    pub base_country: String,
    /// ISO 4217 currency of the amounts on the prices topic.
    pub base_currency: String,
}

/// Price quotes and how checkout treats them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckoutSettings {
    /// Secret that signs quotes (HMAC-SHA256); every replica needs the same. Required when
    /// serving from a real Kafka; the embedded demo uses a random one. Never shown in logs.
    pub quote_secret: Secret,
    /// A file holding the secret (a mounted secret; a trailing newline is ignored); read at
    /// start-up into `quote_secret`.
    pub quote_secret_file: String,
    /// How long a quote is honoured.
    pub quote_ttl_secs: i64,
    /// Units of one SKU per cart charged at a quoted price; the rest at today's price.
    pub max_quoted_quantity: i32,
    /// `honor`: an unexpired quote's amount is charged and a price change is reported;
    /// `reprice`: the current price is charged and the change reported.
    pub reprice_policy: RepricePolicy,
}

/// Spans exported over OpenTelemetry (off by default).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// OTLP/HTTP traces endpoint (JSON), e.g. `http://otel-collector:4318/v1/traces`; empty: no
    /// span export. The `OTEL_BSP_*` variables tune batching.
    pub otlp_endpoint: String,
    /// `service.name` of the exported spans.
    pub service_name: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            otlp_endpoint: String::new(),
            service_name: "vitrine".into(),
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log pipelines (one JSON object per line).
    pub format: LogFormat,
    /// Level filter in `RUST_LOG` syntax; the `RUST_LOG` variable, when set, wins.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// HTTP listener and request limits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Largest accepted request body; larger ones get `PAYLOAD_TOO_LARGE`.
    pub max_body_bytes: usize,
    /// Serve the GraphiQL explorer at `/` and to browsers at `/graphql`.
    pub graphiql: bool,
    /// Longest a client may take to send a request's headers; also the longest a keep-alive
    /// connection may sit idle.
    pub header_read_timeout_ms: u64,
    /// Longest a client may take to send a request's body (`408` past it).
    pub body_read_timeout_ms: u64,
    /// Connections open at once (WebSockets included); more wait in the listen backlog.
    pub max_connections: usize,
    /// Connections one peer address may hold open at once (WebSockets included); past it a
    /// new one's request is answered 429 `TOO_MANY_CONNECTIONS` and it is closed. Behind a proxy every
    /// connection comes from the proxy: raise it there. 0: no cap.
    pub max_connections_per_client: usize,
    /// Responses of at least this many bytes are compressed (gzip or brotli, as the client's
    /// `Accept-Encoding` prefers); 0 turns compression off.
    pub compression_min_bytes: u16,
    /// `/health/ready` answers 503 (`stale`) while any view lags more than this many ms (for
    /// instance with the broker out of contact); 0: stale views stay ready and are served.
    pub unready_past_lag_ms: u64,
    /// Origins browsers may call the API from (CORS); `["*"]` allows any.
    pub cors_allowed_origins: Vec<String>,
    /// Origins whose pages may open a WebSocket, besides the server's own (same host); a
    /// client that sends no `Origin` (an app, a server) is not a browser page and may.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// How often the metrics exporter folds recorded samples into its histograms, scraped or not.
    pub metrics_upkeep_ms: u64,
    /// Longest a graceful shutdown may take (close subscriptions, finish requests, stop
    /// ingest, write the snapshot) before the process exits anyway.
    pub shutdown_timeout_ms: u64,
}

/// Topic names of the event contract (see `docs/events.md`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TopicSettings {
    pub products: String,
    pub prices: String,
    pub inventory: String,
    pub intl: String,
    /// Hold requests and releases (`reserve`); empty turns reservations off.
    pub reservations: String,
}

/// The embedded demo: generated catalog and live trickle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Products in the generated catalog (each has 3 to 7 variants).
    pub products: usize,
    /// Seed of the generator: the same seed gives the same catalog.
    pub seed: u64,
    /// Pause between live price/inventory changes; 0 switches the trickle off.
    pub live_interval_ms: u64,
    /// Changes published at each tick (a faster stream than one per millisecond).
    pub live_changes_per_tick: u32,
    /// With no `[[banners]]` configured, serve the demo's two (`main` and `outlet`, see
    /// `demo::banners`).
    #[serde(default)]
    pub banners: bool,
}

/// A setting that could not be loaded; the message names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration error: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("configuration error: {field}: {reason}")]
    Rejected { field: &'static str, reason: String },
}

impl Settings {
    /// Defaults, then `file` if given, then `VITRINE_SECTION__KEY` environment variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Rejected {
                    field: "--config",
                    reason: format!("file {} does not exist", path.display()),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        let env = Env::prefixed("VITRINE_")
            .split("__")
            .ignore(&secrets::SECRET_VARS.map(|(_, key)| key));
        let settings: Settings = figment.merge(env).extract().map_err(Box::new)?;
        let settings = settings.with_secret_vars()?.with_secret_files()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone (tests start from these).
    pub fn defaults() -> Self {
        Figment::from(Toml::string(DEFAULT_TOML))
            .extract()
            .expect("config/default.toml is valid")
    }

    /// Overlays one more layer of settings, as a TOML fragment.
    pub fn with_overrides(self, toml: &str) -> Result<Self, ConfigError> {
        let settings: Settings = Figment::from(Serialized::defaults(self))
            .merge(Toml::string(toml))
            .extract()
            .map_err(Box::new)?;
        let settings = settings.with_secret_files()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let reject = |field, reason: &str| {
            Err(ConfigError::Rejected {
                field,
                reason: reason.to_string(),
            })
        };
        let header = &self.subscriptions.client_header;
        let token = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if !header.is_empty() && !header.bytes().all(token) {
            return reject("subscriptions.client_header", "must be an HTTP header name");
        }
        if self.graphql.max_page_size == 0 {
            return reject("graphql.max_page_size", "must be at least 1");
        }
        if self.graphql.facet_values == 0 || self.graphql.facet_values > 1000 {
            return reject("graphql.facet_values", "must be between 1 and 1000");
        }
        if self.graphql.facet_buckets == 0 || self.graphql.facet_buckets > 100 {
            return reject("graphql.facet_buckets", "must be between 1 and 100");
        }
        if self.graphql.default_page_size == 0
            || self.graphql.default_page_size > self.graphql.max_page_size
        {
            return reject(
                "graphql.default_page_size",
                "must be between 1 and graphql.max_page_size",
            );
        }
        let is_code = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_uppercase());
        if !is_code(&self.pricing.base_country, 2) {
            return reject(
                "pricing.base_country",
                "must be an ISO 3166-1 alpha-2 code like US",
            );
        }
        if !is_code(&self.pricing.base_currency, 3) {
            return reject("pricing.base_currency", "must be an ISO 4217 code like USD");
        }
        if self.checkout.quote_ttl_secs <= 0 {
            return reject("checkout.quote_ttl_secs", "must be positive");
        }
        let subs = &self.subscriptions;
        if subs.max_per_connection == 0 || subs.buffer_variants == 0 || subs.hub_capacity < 16 {
            return reject(
                "subscriptions",
                "max_per_connection and buffer_variants must be positive, hub_capacity at least 16",
            );
        }
        if let Some(key) = self.kafka.weakening_passthrough() {
            return Err(ConfigError::Rejected {
                field: "kafka.librdkafka",
                reason: format!(
                    "`{key}` would override [kafka.security] (the protocol, certificate checks \
                     or credentials) while the logs name the configured ones: set it in \
                     [kafka.security]"
                ),
            });
        }
        if self.snapshot.keep == 0 {
            return reject("snapshot.keep", "must be at least 1");
        }
        if self.server.max_body_bytes < 64 {
            return reject("server.max_body_bytes", "must be at least 64");
        }
        let topics = [
            &self.topics.products,
            &self.topics.prices,
            &self.topics.inventory,
        ];
        if topics.iter().any(|t| t.is_empty()) {
            return reject("topics", "topic names must not be empty");
        }
        if topics[0] == topics[1] || topics[1] == topics[2] || topics[0] == topics[2] {
            return reject("topics", "each view needs its own topic");
        }
        let banners = self.resolved_banners()?;
        let mut upstream: Vec<&str> = vec![];
        let mut reservations: Vec<&str> = vec![];
        for banner in &banners {
            upstream.extend([
                banner.products_topic.as_str(),
                banner.prices_topic.as_str(),
                banner.inventory_topic.as_str(),
            ]);
            reservations.push(banner.reservations_topic.as_str());
        }
        upstream.extend([
            self.topics.products.as_str(),
            self.topics.prices.as_str(),
            self.topics.inventory.as_str(),
            self.topics.intl.as_str(),
        ]);
        reservations.push(self.topics.reservations.as_str());
        upstream.retain(|t| !t.is_empty());
        registry::check(
            &self.formats,
            &self.schema_registry,
            &upstream,
            &reservations,
        )
    }

    /// The banners with every topic resolved, the default first (see [`banners::resolve`]).
    pub fn resolved_banners(&self) -> Result<Vec<Banner>, ConfigError> {
        banners::resolve(&self.banners, &self.topics)
    }
}

#[cfg(test)]
mod tests;
