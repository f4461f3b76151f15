//! Starting the real application in-process on a free port.

use std::sync::Once;

use tokio::sync::oneshot;
use vitrine::app::App;
use vitrine::config::Settings;

use crate::common::Client;

pub struct TestApp {
    pub client: Client,
    /// Bootstrap servers of the Kafka the app reads (its embedded cluster in demo mode).
    pub brokers: String,
    stop: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            served.await.expect("app task ends cleanly");
        }
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            tracing_subscriber::fmt().with_env_filter("info").init();
        }
    });
}

/// Starts the app with the defaults, a small demo catalog with no trickle, and `overrides` (TOML).
/// Every planned answer is checked against async-graphql's (`planner = "verify"`).
pub async fn spawn_app(overrides: &str) -> TestApp {
    init_logs();
    let settings = Settings::defaults()
        .with_overrides(
            "[server]\nlisten = \"127.0.0.1:0\"\n[demo]\nproducts = 60\nlive_interval_ms = 0\n\
             [kafka]\nfetch_wait_max_ms = 10\n[subscriptions]\nsse_keepalive_ms = 300\n\
             [graphql]\nplanner = \"verify\"\n",
        )
        .and_then(|s| s.with_overrides(overrides))
        .expect("test settings");
    spawn_with(settings).await
}

pub async fn spawn_with(settings: Settings) -> TestApp {
    init_logs();
    let app = App::build(settings).await.expect("app builds");
    let client = Client::new(format!("http://127.0.0.1:{}", app.port()));
    let brokers = app.brokers().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("app runs");
    });
    TestApp {
        client,
        brokers,
        stop: Some(stop),
        served: Some(served),
    }
}
