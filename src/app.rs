//! The application: views, ingest and HTTP server built from settings, run until stopped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Settings;
use crate::demo::encoder::Encoders;
use crate::demo::Demo;
use crate::events::TopicMap;
use crate::graphql::build_gateway_with;
use crate::ingest::client::ConnectError;
use crate::ingest::{spawn_consumer, Applier, ConsumerHandle, IngestParts, KafkaClient};
use crate::reservations::decider::DeciderHandle;
use crate::reservations::pools::{reservation_topics, start_pools, PoolParts};
use crate::server::listener::ConnectionLimits;
use crate::server::live::LiveTimings;
use crate::server::{router, AppParts, AppState};
use crate::shutdown::{shutdown_channel, ShutdownTrigger};
use crate::snapshot::SnapshotSchedule;
use crate::startup::{banner_topics, checked_client, client_header, start_plan};
use crate::status::{IngestStats, IngestStatus, Progress, Readiness};
use crate::views::storefronts::Storefronts;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Manifest(#[from] crate::graphql::persisted::ManifestError),
    #[error("embedded Kafka cluster: {0}")]
    Embedded(#[from] rdkafka::error::KafkaError),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    #[error(transparent)]
    Kafka(#[from] ConnectError),
    #[error(
        "checkout.quote_secret (or quote_secret_file) must be set when serving from a real Kafka: \
         every replica must sign quotes with the same key, or a quote shown by one fails at \
         checkout on another (set VITRINE_CHECKOUT__QUOTE_SECRET)"
    )]
    MissingQuoteSecret,
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("schema registry: {0}")]
    Registry(String),
    #[error(transparent)]
    ReservationsTopic(#[from] crate::reservations::topic_check::TopicCheckError),
}

/// A built application, listening but not yet serving.
pub struct App {
    listener: TcpListener,
    /// The brokers ingest reads: the configured ones, or the embedded cluster's.
    brokers: String,
    state: AppState,
    consumer: ConsumerHandle,
    /// Decide the reservations partitions this replica owns in the deciders' groups (one per
    /// stock pool with a reservations topic).
    deciders: Vec<DeciderHandle>,
    demo: Option<Demo>,
    snapshots: Option<SnapshotSchedule>,
    /// Ends every subscription when the server shuts down.
    shutdown: ShutdownTrigger,
    /// Longest a graceful shutdown may take.
    shutdown_timeout: Duration,
    metrics_upkeep: Duration,
    connections: ConnectionLimits,
}

impl App {
    /// Binds the listener, loads the demo baseline if no broker is configured, and starts ingest.
    pub async fn build(mut settings: Settings) -> Result<Self, AppError> {
        let real_kafka = !settings.kafka.brokers.trim().is_empty();
        if !real_kafka && settings.banners.is_empty() && settings.demo.banners {
            settings.banners = crate::demo::banners::demo_banners();
        }
        if real_kafka && settings.checkout.quote_secret.is_empty() {
            return Err(AppError::MissingQuoteSecret);
        }
        if !settings.graphql.trusted_documents.is_empty() {
            // Fail start-up on a manifest that cannot be read, rather than serve without it.
            let manifest = &settings.graphql.trusted_documents;
            crate::graphql::persisted::PersistedQueries::new(0, manifest, false)?;
        }
        let banners = settings.resolved_banners()?;
        let specs: Vec<_> = banners.iter().map(|b| b.spec()).collect();
        let fronts = Arc::new(Storefronts::build(&specs));
        let stats = Arc::new(IngestStats::default());
        let readiness = Arc::new(Readiness::default());
        let progress = Arc::new(Progress::new());
        progress.set_contact_timeout(settings.kafka.contact_timeout_ms as i64);
        let topics = TopicMap::for_banners(&banners, &settings.topics);
        let formats = crate::ingest::TopicFormats::build(
            &settings.formats,
            &settings.schema_registry,
            &topics,
        )
        .map_err(AppError::Registry)?;
        let registry = formats.as_ref().map(|f| Arc::clone(f.registry()));
        let status = Arc::new(IngestStatus {
            registry: registry.clone(),
            fronts: Arc::clone(&fronts),
            stats: Arc::clone(&stats),
            readiness: Arc::clone(&readiness),
            progress: Arc::clone(&progress),
            unready_past_lag_ms: settings.server.unready_past_lag_ms as i64,
            decider: Arc::default(),
            banner_topics: Arc::new(banner_topics(&fronts, &banners, &settings.topics.intl)),
        });
        let gateway = build_gateway_with(Arc::clone(&status), &settings);
        let routes = Arc::new(topics.clone());
        let applier = Applier::over(
            Arc::clone(&fronts),
            Some(Arc::clone(&routes)),
            Arc::clone(&stats),
        )
        .with_hub(Arc::clone(gateway.hub()))
        .with_base_currency(&settings.pricing.base_currency)
        .with_formats(formats);

        let addr = settings.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| AppError::Bind { addr, source })?;

        let (brokers, demo) = if settings.kafka.brokers.trim().is_empty() {
            // Binary topics in the demo too: the trickle is written as a serializer would.
            let encoders = match applier.formats() {
                Some(_) => {
                    let (s, t) = (settings.clone(), topics.clone());
                    tokio::task::spawn_blocking(move || Encoders::register(&s, &t))
                        .await
                        .map_err(|e| AppError::Registry(e.to_string()))?
                        .map_err(AppError::Registry)?
                }
                None => None,
            };
            let demo = Demo::start(&settings.demo, &applier, &topics, encoders)?;
            (demo.bootstrap_servers().to_string(), Some(demo))
        } else {
            (settings.kafka.brokers.clone(), None)
        };
        tracing::info!(brokers, embedded = demo.is_some(), "starting ingest");
        let parts = IngestParts {
            topics,
            applier,
            readiness: Arc::clone(&readiness),
            progress: Arc::clone(&progress),
            start: start_plan(&settings, demo.is_some()),
        };
        let client = match &demo {
            Some(_) => KafkaClient::at(&brokers),
            None => checked_client(&settings, &brokers).await?,
        };
        let consumer = spawn_consumer(&client, &settings.kafka, parts)?;
        if demo.is_none() {
            for topic in reservation_topics(&banners) {
                crate::reservations::topic_check::check_reservations_topic(
                    &client,
                    topic,
                    &settings.reservations,
                    settings.snapshot.interval_secs,
                )
                .await?;
            }
        }
        let (desks, deciders) = start_pools(PoolParts {
            client: &client,
            banners: &banners,
            fronts: &fronts,
            settings: &settings,
            progress: &progress,
            status: &status.decider,
            ownership: &gateway.api_settings().ownership,
        })?;
        gateway.install_desks(desks);
        let snapshots =
            (demo.is_none() && !settings.snapshot.dir.is_empty()).then(|| SnapshotSchedule {
                dir: settings.snapshot.dir.clone().into(),
                keep: settings.snapshot.keep,
                interval: Duration::from_secs(settings.snapshot.interval_secs),
                fronts: Arc::clone(&fronts),
                topics: routes,
                progress: Arc::clone(&progress),
                readiness: Arc::clone(&readiness),
                registry,
            });

        let (shutdown, listening) = shutdown_channel();
        let subs = &settings.subscriptions;
        let state = AppState::new(AppParts {
            gateway,
            status,
            max_body_bytes: settings.server.max_body_bytes,
            max_batch_size: settings.graphql.max_batch_size,
            cors_allowed_origins: settings.server.cors_allowed_origins.clone(),
            ws_allowed_origins: settings.server.allowed_origins.clone(),
            body_read_timeout: Duration::from_millis(settings.server.body_read_timeout_ms.max(1)),
            client_header: client_header(&subs.client_header),
            graphiql: settings.server.graphiql,
            live: LiveTimings {
                sse_keepalive: Duration::from_millis(subs.sse_keepalive_ms.max(100)),
                ws_ping_interval: Duration::from_millis(subs.ws_ping_interval_ms.max(10)),
                ws_pong_timeout: Duration::from_millis(subs.ws_pong_timeout_ms),
                ws_send_timeout: Duration::from_millis(subs.ws_send_timeout_ms.max(1)),
            },
            shutdown: listening,
            compression_min_bytes: settings.server.compression_min_bytes,
        });
        Ok(Self {
            listener,
            brokers,
            state,
            consumer,
            deciders,
            demo,
            snapshots,
            shutdown,
            shutdown_timeout: Duration::from_millis(settings.server.shutdown_timeout_ms),
            metrics_upkeep: Duration::from_millis(settings.server.metrics_upkeep_ms.max(10)),
            connections: ConnectionLimits {
                header_read_timeout: Duration::from_millis(
                    settings.server.header_read_timeout_ms.max(1),
                ),
                max_connections: settings.server.max_connections,
                max_per_client: settings.server.max_connections_per_client,
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Bootstrap servers of the Kafka that ingest reads (the embedded cluster in demo mode).
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until Ctrl-C or SIGTERM.
    pub async fn run_until_stopped(self) -> Result<(), AppError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes, then shuts down within `server.shutdown_timeout_ms`:
    /// subscriptions are told to end, requests in flight finish (for at most half the bound),
    /// ingest stops and the shutdown snapshot is written.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        tracing::info!(url = %format!("http://{}/", self.local_addr()), "serving GraphQL");
        let periodic = self
            .snapshots
            .clone()
            .map(|w| tokio::spawn(w.run_periodically()));
        let upkeep = tokio::spawn(crate::server::metrics::run_upkeep(self.metrics_upkeep));
        let clock = tokio::spawn(run_hold_clock(Arc::clone(&self.state.status.fronts)));
        let draining = self.state.shutdown.clone();
        let views = Arc::clone(&self.state.status.fronts);
        let mut serve = Box::pin(crate::server::listener::serve(
            self.listener,
            router(self.state),
            self.connections,
            draining,
        ));
        let served = tokio::select! {
            served = &mut serve => served,
            _ = signal => {
                self.shutdown.trigger();
                let drain = self.shutdown_timeout / 2;
                match tokio::time::timeout(drain, &mut serve).await {
                    Ok(served) => served,
                    Err(_) => {
                        tracing::warn!(drain_ms = drain.as_millis() as u64, "requests still in flight at the shutdown bound; dropping them");
                        Ok(())
                    }
                }
            }
        }
        .map_err(AppError::Serve);
        if let Some(periodic) = periodic {
            periodic.abort();
        }
        upkeep.abort();
        clock.abort();
        drop(serve);
        // Leaving the deciders' group first hands this replica's partitions over at once.
        for decider in self.deciders {
            let _ = tokio::task::spawn_blocking(move || decider.stop()).await;
        }
        let rest = Self::stop_ingest(self.consumer, self.snapshots, self.demo);
        if tokio::time::timeout(self.shutdown_timeout / 2, rest)
            .await
            .is_err()
        {
            tracing::warn!(
                "ingest stop and shutdown snapshot did not finish within the shutdown bound"
            );
        }
        // The views go last, off this thread: freeing a million records one by one took 1.6 s
        // of the termination grace period, for memory the process is about to give back.
        let _ = std::thread::Builder::new()
            .name("drop-views".into())
            .spawn(move || drop(views));
        tracing::info!("stopped");
        served
    }

    /// Stops ingest, then writes the shutdown snapshot (the offsets are final now) and stops
    /// the demo cluster.
    async fn stop_ingest(
        consumer: ConsumerHandle,
        snapshots: Option<SnapshotSchedule>,
        demo: Option<Demo>,
    ) {
        let _ = tokio::task::spawn_blocking(move || consumer.stop()).await;
        if let Some(snapshots) = snapshots {
            snapshots.write_now().await;
        }
        if let Some(demo) = demo {
            demo.stop().await;
        }
    }
}

/// Moves the views' read clock every 250 ms: availability follows holds as they expire
/// (decisions never read it: they use the log's time).
async fn run_hold_clock(fronts: Arc<Storefronts>) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        fronts.advance_clock(crate::clock::unix_ms());
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
