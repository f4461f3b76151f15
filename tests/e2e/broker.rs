//! A tansu broker process on a free loopback port, on SQLite in a scratch directory, killed on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Broker {
    pub address: String,
    child: Child,
    /// The broker's own data directory (removed on drop), if the test did not give one.
    scratch: Option<PathBuf>,
}

pub fn tansu_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TANSU_BIN") {
        return PathBuf::from(path);
    }
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cargo"));
    let installed = cargo_home.join("bin/tansu");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tansu")
    }
}

/// A free loopback port, never one this process handed out before: a test that restarts a
/// broker on its port must not find another test's broker there.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Waits (at most 20 s) until something accepts connections at `address`.
pub fn wait_listening(address: &str, what: &str) {
    let started = Instant::now();
    while TcpStream::connect(address).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} did not listen on {address}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Broker {
    /// A broker on its SQLite engine in a fresh directory. (Its in-memory engine answers
    /// ListOffsets LATEST with the base offset of the newest batch plus one, not the log end.)
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "vitrine-tansu-{}-{}",
            std::process::id(),
            vitrine::clock::since_epoch().as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut broker = Self::start_on_sqlite(&dir);
        broker.scratch = Some(dir);
        broker
    }

    /// A broker keeping its data in `dir/tansu.db` (which tests may edit while it runs).
    pub fn start_on_sqlite(dir: &std::path::Path) -> Self {
        // A relative path: tansu mangles absolute ones.
        Self::start_in("sqlite://tansu.db", dir)
    }

    fn start_in(storage: &str, dir: &std::path::Path) -> Self {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let binary = tansu_binary();
        let child = Command::new(&binary)
            .current_dir(dir)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", storage])
            .stdout(Stdio::null())
            .stderr(if std::env::var("TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the tansu broker ({}): {e}; run scripts/install-tansu.sh",
                    binary.display()
                )
            });
        let address = format!("127.0.0.1:{port}");
        wait_listening(&address, "tansu");
        Self {
            address,
            child,
            scratch: None,
        }
    }

    /// Freezes the broker (SIGSTOP): connections stay open, nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws a paused broker (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {which}");
    }

    /// Kills the broker: the network partner vanishes.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Serves one file over HTTP on a free loopback port (a stand-in for an S3 presigned URL);
/// returns its URL, with a query string like a presigned one.
pub async fn serve_file(path: PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/baseline.snap.zst",
        axum::routing::get(move || {
            let path = path.clone();
            async move { std::fs::read(path).unwrap() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{port}/baseline.snap.zst?X-Amz-Signature=secret")
}
