//! The real `vitrine` binary as a child process on a free port, killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use vitrine::config::TopicSettings;

use crate::common::Client;

pub struct Vitrine {
    pub client: Client,
    child: Child,
    /// The last lines it logged (JSON).
    logs: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
}

/// Environment for the binary: brokers, topics, a free port, JSON logs.
fn command(brokers: &str, topics: &TopicSettings) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vitrine"));
    configure(&mut cmd, brokers, topics);
    cmd
}

/// The settings every end-to-end gateway runs with: the broker, the test's topics, a deciders'
/// group of their own, a quote secret, JSON logs.
pub fn configure(cmd: &mut Command, brokers: &str, topics: &TopicSettings) {
    cmd.env("VITRINE_KAFKA__BROKERS", brokers)
        // Every planned answer checked against async-graphql (answers differ: PLAN_MISMATCH).
        .env("VITRINE_GRAPHQL__PLANNER", "verify")
        .env("VITRINE_KAFKA__FETCH_WAIT_MAX_MS", "10")
        .env("VITRINE_TOPICS__PRODUCTS", &topics.products)
        .env("VITRINE_TOPICS__PRICES", &topics.prices)
        .env("VITRINE_TOPICS__INVENTORY", &topics.inventory)
        .env("VITRINE_TOPICS__INTL", &topics.intl)
        .env("VITRINE_TOPICS__RESERVATIONS", &topics.reservations)
        // A deciders' group per test: tests sharing the broker never rebalance each other.
        .env(
            "VITRINE_RESERVATIONS__DECIDER_GROUP",
            format!("{}.deciders", topics.reservations),
        )
        .env("VITRINE_RESERVATIONS__DECIDER_SESSION_TIMEOUT_MS", "6000")
        .env("VITRINE_CHECKOUT__QUOTE_SECRET", "e2e-quote-secret")
        .env("VITRINE_LOG__FORMAT", "json")
        .env("RUST_LOG", "info");
}

impl Vitrine {
    pub fn start(brokers: &str, topics: &TopicSettings) -> Self {
        Self::start_with(brokers, topics, &[])
    }

    /// Starts with extra `VITRINE_*` settings, e.g. `("VITRINE_SNAPSHOT__DIR", dir)`.
    pub fn start_with(brokers: &str, topics: &TopicSettings, env: &[(&str, &str)]) -> Self {
        Self::start_configured(brokers, topics, env, None)
    }

    /// [`Vitrine::start_with`] with a settings file (`--config`), e.g. for `[[banners]]`.
    pub fn start_configured(
        brokers: &str,
        topics: &TopicSettings,
        env: &[(&str, &str)],
        config: Option<&std::path::Path>,
    ) -> Self {
        let mut cmd = command(brokers, topics);
        for (key, value) in env {
            cmd.env(key, value);
        }
        if let Some(config) = config {
            cmd.arg("serve").arg("--config").arg(config);
        } else {
            cmd.arg("serve");
        }
        let mut child = cmd
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("vitrine starts");
        let stdout = child.stdout.take().unwrap();
        let (url_tx, url_rx) = mpsc::channel();
        let logs = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
        let kept = std::sync::Arc::clone(&logs);
        // Read the logs for the listening URL; keep draining them so the child never blocks.
        std::thread::spawn(move || {
            let echo = std::env::var("TEST_LOG").is_ok();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if echo {
                    eprintln!("{line}");
                }
                {
                    let mut kept = kept.lock().unwrap();
                    if kept.len() >= 5_000 {
                        kept.pop_front();
                    }
                    kept.push_back(line.clone());
                }
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) {
                    if let Some(url) = event["fields"]["url"].as_str() {
                        let _ = url_tx.send(url.trim_end_matches('/').to_string());
                    }
                }
            }
        });
        let base = url_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("vitrine logs the URL it serves");
        Self {
            client: Client::new(base),
            child,
            logs,
        }
    }

    /// The lines logged so far (the last 5,000).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().iter().cloned().collect()
    }
}

impl Vitrine {
    /// Ctrl-C (SIGINT), then its exit status and every line it logged, the last ones included.
    pub fn interrupt(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs")
            .success());
        let exit = self.child.wait().expect("vitrine can be waited on");
        std::thread::sleep(Duration::from_millis(300)); // the log reader drains the pipe
        (exit, self.logs())
    }

    /// SIGTERM, then wait for a clean exit (which writes the shutdown snapshot).
    pub fn stop_gracefully(self) {
        let exit = self.stop_within(Duration::from_secs(60));
        assert!(exit.success(), "clean shutdown: {exit}");
    }

    /// SIGTERM, then the exit status; panics if the process is still running after `bound`.
    pub fn stop_within(mut self, bound: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let started = std::time::Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait().expect("vitrine can be waited on") {
                return exit;
            }
            assert!(
                started.elapsed() < bound,
                "still running {bound:?} after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs the binary until it exits (panics past `bound`): its exit status and its logs.
pub fn run_to_exit(
    brokers: &str,
    topics: &TopicSettings,
    env: &[(&str, &str)],
    bound: Duration,
) -> (std::process::ExitStatus, String) {
    let mut cmd = command(brokers, topics);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let log = std::env::temp_dir().join(format!(
        "vitrine-exit-{}-{}.log",
        std::process::id(),
        vitrine::clock::since_epoch().as_nanos()
    ));
    let file = std::fs::File::create(&log).unwrap();
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("vitrine starts");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > bound {
            let _ = child.kill();
            panic!(
                "still running after {bound:?}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(log);
    (status, logs)
}

impl Drop for Vitrine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `vitrine feed` to completion.
pub fn feed(brokers: &str, topics: &TopicSettings, products: usize) {
    feed_with(brokers, topics, products, &[]);
}

/// [`feed`] with extra `VITRINE_*` settings (e.g. Kafka security).
pub fn feed_with(brokers: &str, topics: &TopicSettings, products: usize, env: &[(&str, &str)]) {
    feed_configured(brokers, topics, products, env, None);
}

/// [`feed_with`] with a settings file (`--config`): with `[[banners]]`, every price list.
pub fn feed_configured(
    brokers: &str,
    topics: &TopicSettings,
    products: usize,
    env: &[(&str, &str)],
    config: Option<&std::path::Path>,
) {
    let mut cmd = command(brokers, topics);
    for (key, value) in env {
        cmd.env(key, value);
    }
    if let Some(config) = config {
        cmd.arg("feed").arg("--config").arg(config);
    } else {
        cmd.arg("feed");
    }
    let status = cmd
        .args(["--brokers", brokers, "--products", &products.to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("vitrine feed runs");
    assert!(status.success(), "vitrine feed failed: {status}");
}
