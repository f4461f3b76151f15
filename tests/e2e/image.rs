//! The container image's steps (`deploy/image-steps.sh`, which the Dockerfile runs) outside a
//! container, since no container engine runs on these machines: the binary and the default
//! settings installed into a fresh root, the non-root user's snapshot directory, the gateway
//! started from that root as uid 10001 on a real broker; a product page answers, the image's
//! health check (`vitrine probe`) agrees with readiness, and a clean stop writes its snapshot
//! as that user.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::broker::{free_port, Broker};
use crate::common::fresh_topics;
use crate::process::{configure, feed};
use crate::snapshots::temp_dir;

const UID: u32 = 10001;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn step(args: &[&str]) {
    let status = Command::new(repo().join("deploy/image-steps.sh"))
        .args(args)
        .status()
        .expect("image-steps.sh runs");
    assert!(status.success(), "image-steps.sh {args:?}: {status}");
}

/// `vitrine probe` of the installed binary: did `url` answer 2xx?
fn probe(root: &Path, url: &str) -> bool {
    Command::new(root.join("usr/local/bin/vitrine"))
        .args(["probe", "--url", url, "--timeout-ms", "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("probe runs")
        .success()
}

fn owner_of(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("exists").uid()
}

fn uid_of(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    let line = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .expect("Uid line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_image_steps_serve_a_product_page_as_a_non_root_user() {
    let whoami = uid_of(std::process::id());
    assert_eq!(
        whoami, 0,
        "switching to uid {UID} needs root (as the image build does)"
    );
    let dir = temp_dir("image");
    let root = dir.join("root");
    std::fs::create_dir(&root).unwrap();
    // The non-root user must reach the root's files.
    for path in [dir.as_path(), root.as_path()] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let root_arg = root.to_str().unwrap();
    step(&[
        "install",
        env!("CARGO_BIN_EXE_vitrine"),
        repo().to_str().unwrap(),
        root_arg,
    ]);
    step(&["user", root_arg]);
    assert_eq!(
        std::fs::read_to_string(root.join("etc/vitrine/vitrine.toml")).unwrap(),
        std::fs::read_to_string(repo().join("config/default.toml")).unwrap(),
        "the default settings ship as they are"
    );
    let snapshots = root.join("var/lib/vitrine/snapshots");
    assert_eq!(owner_of(&snapshots), UID);

    let broker = Broker::start();
    let topics = fresh_topics("e2e-image");
    feed(&broker.address, &topics, 50);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let config = root.join("etc/vitrine/vitrine.toml");
    let mut run = Command::new(repo().join("deploy/image-steps.sh"));
    configure(&mut run, &broker.address, &topics);
    let mut child = run
        .args(["run", root_arg, "serve", "--config"])
        .arg(&config)
        .args(["--listen", &listen])
        .stdout(Stdio::null())
        .spawn()
        .expect("the installed gateway starts");
    let ready = format!("{base}/health/ready");
    let started = Instant::now();
    while !probe(&root, &ready) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the gateway exited before it was ready"
        );
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not ready in 90 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(uid_of(child.id()), UID, "runs as the image's user");
    assert!(
        !probe(&root, &format!("{base}/no-such-page")),
        "the probe fails on anything but 2xx"
    );
    let page: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({"query": "{ product(id: \"p000001\") { id variants { sku price { amount } } } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"]["product"]["id"], "p000001", "{page}");

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean stop: {exit}");
    let written: Vec<_> = std::fs::read_dir(&snapshots).unwrap().flatten().collect();
    assert!(
        written.iter().any(|e| owner_of(&e.path()) == UID),
        "the shutdown snapshot is written by the image's user: {written:?}"
    );
    assert!(
        !probe(&root, &ready),
        "the probe fails when nothing answers"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
