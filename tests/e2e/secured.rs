//! The real binary against a secured Kafka, as managed clusters run it: SASL/SCRAM-SHA-512 over
//! TLS. tansu checks SCRAM credentials (users kept in its SQLite storage across the restart
//! that turns authentication on); Debian's stunnel4 in front of it serves TLS with a
//! certificate from a CA the test makes. Then the clear start-up errors: a wrong password and
//! an untrusted CA.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use vitrine::config::Settings;
use vitrine::demo::Publisher;
use vitrine::events::{Record, TopicMap};
use vitrine::ingest::KafkaClient;
use vitrine::views::ViewKind;

use crate::broker::{free_port, tansu_binary, wait_listening};
use crate::common::{fresh_topics, wait_until};
use crate::process::{feed_with, run_to_exit, Vitrine};
use crate::snapshots::temp_dir;

const USER: &str = "vitrine";
const PASSWORD: &str = "correct-horse-battery";

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA (`NAME.pem`), and with `broker`, a certificate for 127.0.0.1 signed by it.
fn make_ca(dir: &Path, name: &str) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
        ],
    );
}

fn make_broker_cert(dir: &Path) {
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "broker.key",
            "-out",
            "broker.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "broker.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "broker.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

/// Processes killed on drop.
struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn tansu(dir: &Path, port: u16, advertised: u16, authentication: bool) -> Child {
    let mut cmd = Command::new(tansu_binary());
    cmd.current_dir(dir)
        .args([
            "broker",
            "--listener-url",
            &format!("tcp://127.0.0.1:{port}"),
        ])
        .args([
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{advertised}"),
        ])
        // A relative path: tansu mangles absolute ones.
        .args(["--storage-engine", "sqlite://tansu.db"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if authentication {
        cmd.arg("--authentication");
    }
    cmd.spawn()
        .expect("tansu starts (scripts/install-tansu.sh builds it with libsql)")
}

/// tansu with one SCRAM user and authentication on, behind stunnel's TLS; the TLS address.
fn secured_broker(dir: &Path) -> (String, Killed) {
    make_ca(dir, "ca");
    make_ca(dir, "other-ca");
    make_broker_cert(dir);
    let (plain, tls) = (free_port(), free_port());
    let mut setup = tansu(dir, plain, tls, false);
    wait_listening(&format!("127.0.0.1:{plain}"), "tansu");
    let created = Command::new(tansu_binary())
        .args([
            "user",
            "create",
            "--broker",
            &format!("tcp://127.0.0.1:{plain}"),
            USER,
            PASSWORD,
        ])
        .output()
        .expect("tansu user runs");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let _ = setup.kill();
    let _ = setup.wait();
    let broker = tansu(dir, plain, tls, true);
    wait_listening(&format!("127.0.0.1:{plain}"), "tansu");
    let conf = format!(
        "foreground = yes\npid =\n[kafka]\naccept = 127.0.0.1:{tls}\nconnect = 127.0.0.1:{plain}\ncert = {}\nkey = {}\n",
        dir.join("broker.pem").display(),
        dir.join("broker.key").display()
    );
    std::fs::write(dir.join("stunnel.conf"), conf).unwrap();
    let stunnel = Command::new(if Path::new("/usr/bin/stunnel4").exists() {
        "stunnel4"
    } else {
        "stunnel"
    })
    .arg(dir.join("stunnel.conf"))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("stunnel4 starts (scripts/test.sh installs it)");
    let address = format!("127.0.0.1:{tls}");
    wait_listening(&address, "stunnel");
    (address, Killed(vec![broker, stunnel]))
}

fn security_env(dir: &Path, password_file: &Path, ca: &str) -> Vec<(&'static str, String)> {
    vec![
        ("VITRINE_KAFKA__SECURITY__PROTOCOL", "SASL_SSL".into()),
        (
            "VITRINE_KAFKA__SECURITY__SASL_MECHANISM",
            "SCRAM-SHA-512".into(),
        ),
        ("VITRINE_KAFKA__SECURITY__USERNAME", USER.into()),
        (
            "VITRINE_KAFKA__SECURITY__PASSWORD_FILE",
            password_file.display().to_string(),
        ),
        (
            "VITRINE_KAFKA__SECURITY__CA_FILE",
            dir.join(ca).display().to_string(),
        ),
        // A refusal is reported as soon as seen; the bound only matters on a loaded machine,
        // where the TLS and SCRAM handshakes through stunnel can take seconds.
        ("VITRINE_KAFKA__METADATA_TIMEOUT_MS", "20000".into()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn serves_the_catalog_and_live_changes_over_sasl_ssl_and_refuses_bad_credentials() {
    let dir: PathBuf = temp_dir("secured");
    let (address, _processes) = secured_broker(&dir);
    let topics = fresh_topics("e2e-secured");
    let good_password = dir.join("password");
    std::fs::write(&good_password, format!("{PASSWORD}\n")).unwrap();
    let env = security_env(&dir, &good_password, "ca.pem");

    feed_with(&address, &topics, 30, &borrowed(&env));
    let vitrine = Vitrine::start_with(&address, &topics, &borrowed(&env));
    vitrine.client.wait_ready().await;
    let count = vitrine
        .client
        .query("{ products(first: 0) { totalCount } }", json!({}))
        .await;
    assert_eq!(count["data"]["products"]["totalCount"], 30, "{count}");

    // A live change, published over SASL_SSL with the same client settings.
    let settings = Settings::defaults()
        .with_overrides(&format!(
            "[kafka.security]\nprotocol = \"SASL_SSL\"\nsasl_mechanism = \"SCRAM-SHA-512\"\n\
             username = \"{USER}\"\npassword = \"{PASSWORD}\"\nca_file = \"{}\"\n",
            dir.join("ca.pem").display()
        ))
        .unwrap();
    let client = KafkaClient::new(&settings.kafka, &address).unwrap();
    let publisher = Publisher::connect_to(&client, TopicMap::new(&topics)).unwrap();
    let value = json!({"sku": "p000001-0", "version": 9_000_000_000_000u64, "currency": "USD", "list": 4_321});
    publisher
        .send(&Record {
            kind: ViewKind::Prices,
            key: "p000001-0".into(),
            payload: Some(serde_json::to_vec(&value).unwrap()),
        })
        .unwrap();
    assert_eq!(publisher.flush(Duration::from_secs(20)).unwrap(), 0);
    let c = vitrine.client.clone();
    wait_until("the live change", Duration::from_secs(20), || {
        let c = c.clone();
        async move {
            let r = c
                .query(
                    "{ product(id: \"p000001\") { variants { sku price { amount } } } }",
                    json!({}),
                )
                .await;
            (r["data"]["product"]["variants"][0]["price"]["amount"] == "43.21").then_some(())
        }
    })
    .await;
    drop(vitrine);

    // A wrong password, then an untrusted CA: start-up stops with a message that says why.
    let wrong = dir.join("wrong-password");
    std::fs::write(&wrong, "not-the-password").unwrap();
    for (password, ca, why) in [
        (&wrong, "ca.pem", "wrong password"),
        (&good_password, "other-ca.pem", "untrusted CA"),
    ] {
        let env = security_env(&dir, password, ca);
        let (status, logs) =
            run_to_exit(&address, &topics, &borrowed(&env), Duration::from_secs(60));
        assert!(!status.success(), "{why}: {logs}");
        for needle in ["refused", &address, "SASL_SSL", "SCRAM-SHA-512"] {
            assert!(
                logs.contains(needle),
                "{why}: `{needle}` missing from {logs}"
            );
        }
        assert!(!logs.contains(PASSWORD), "the password never shows");
    }
    let _ = std::fs::remove_dir_all(dir);
}
