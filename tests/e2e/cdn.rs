//! Through a caching reverse proxy (nginx from Debian's packages, `proxy_cache` on, as a CDN
//! would), a price change shows within the answer's `max-age`: no cached answer outlives it.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use vitrine::demo::Publisher;
use vitrine::events::{Record, TopicMap};
use vitrine::views::ViewKind;

use crate::broker::{free_port, wait_listening, Broker};
use crate::common::{fresh_topics, scenario};
use crate::process::{feed, Vitrine};
use crate::snapshots::temp_dir;

const MAX_AGE_SECS: u64 = 2;

/// nginx in front of `upstream`, caching by URL; stopped on drop.
struct Proxy {
    address: String,
    dir: std::path::PathBuf,
}

impl Proxy {
    fn start(upstream: &str) -> Self {
        let dir = temp_dir("nginx");
        std::fs::create_dir_all(dir.join("cache")).unwrap();
        let port = free_port();
        let user =
            String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
        let conf = format!(
            "user {user};\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{ access_log off;\n proxy_cache_path {d}/cache keys_zone=t:4m;\n\
             server {{ listen 127.0.0.1:{port};\n location /graphql {{ proxy_pass http://{upstream};\n\
             proxy_cache t; proxy_cache_key $request_uri; proxy_cache_revalidate on;\n\
             add_header X-Cache-Status $upstream_cache_status; }} }} }}\n",
            user = user.trim(),
            d = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let status = Command::new("nginx")
            .args(["-c", dir.join("nginx.conf").to_str().unwrap()])
            .args([
                "-p",
                dir.to_str().unwrap(),
                "-e",
                dir.join("error.log").to_str().unwrap(),
            ])
            .status()
            .expect("nginx runs (Debian package nginx-light; scripts/test.sh installs it)");
        assert!(status.success());
        let address = format!("127.0.0.1:{port}");
        wait_listening(&address, "nginx");
        Self { address, dir }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("nginx.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_price_change_shows_through_the_proxy_within_max_age() {
    let broker = Broker::start();
    let topics = fresh_topics("e2e-cdn");
    feed(&broker.address, &topics, 5);
    let max_age = MAX_AGE_SECS.to_string();
    let vitrine = Vitrine::start_with(
        &broker.address,
        &topics,
        &[("VITRINE_GRAPHQL__CACHE_MAX_AGE_SECS", max_age.as_str())],
    );
    vitrine.client.wait_ready().await;
    let upstream = vitrine
        .client
        .base
        .trim_start_matches("http://")
        .to_string();
    let proxy = Proxy::start(&upstream);
    let mut url = reqwest::Url::parse(&format!("http://{}/graphql", proxy.address)).unwrap();
    url.query_pairs_mut().append_pair(
        "query",
        "{ product(id: \"p000001\") { variants { sku price { amount } } } }",
    );
    let http = reqwest::Client::new();
    let fetch = || async {
        let r = http.get(url.clone()).send().await.unwrap();
        let status = r.headers()["x-cache-status"].to_str().unwrap().to_string();
        (status, r.text().await.unwrap())
    };
    let (first, _) = fetch().await;
    assert_eq!(first, "MISS");
    let (second, _) = fetch().await;
    assert_eq!(second, "HIT", "the proxy caches what Vitrine allows");

    let price = json!({"sku": "p000001-0", "version": 9_000, "currency": "USD", "list": 777_700});
    let publisher = Publisher::connect(&broker.address, TopicMap::new(&topics)).unwrap();
    let changed = Instant::now();
    scenario::publish(
        &publisher,
        &[Record {
            kind: ViewKind::Prices,
            key: "p000001-0".into(),
            payload: Some(price.to_string().into_bytes()),
        }],
    )
    .await;
    // Stale answers may be served until the cached one's max-age runs out, never after (the
    // bound allows for the change reaching the views and a poll interval).
    let bound = Duration::from_secs(MAX_AGE_SECS) + Duration::from_secs(3);
    loop {
        let (_, body) = fetch().await;
        if body.contains("7777.00") {
            break;
        }
        assert!(
            changed.elapsed() < bound,
            "a stale answer outlived max-age {MAX_AGE_SECS} s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
