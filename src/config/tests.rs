//! Settings: defaults, layers, secrets and the checks that stop start-up.

use super::*;

#[test]
fn defaults_parse_and_validate() {
    let s = Settings::defaults();
    assert_eq!(s.server.listen.port(), 8080);
    assert_eq!(s.graphql.max_page_size, 100);
    assert!(s.kafka.brokers.is_empty());
    s.validate().unwrap();
}

/// Secrets that look like numbers or booleans are taken as their exact text, from the
/// environment (the only test here that sets it) and from files; nothing about them is
/// ever printed, not even in an error.
#[test]
fn secrets_are_text_whatever_they_look_like_and_never_printed() {
    std::env::set_var("VITRINE_KAFKA__SECURITY__PASSWORD", "0123456");
    std::env::set_var("VITRINE_CHECKOUT__QUOTE_SECRET", "true");
    let loaded = Settings::load(None);
    std::env::remove_var("VITRINE_KAFKA__SECURITY__PASSWORD");
    std::env::remove_var("VITRINE_CHECKOUT__QUOTE_SECRET");
    let s = loaded.unwrap();
    assert_eq!(s.kafka.security.password.expose(), "0123456");
    assert_eq!(s.checkout.quote_secret.expose(), "true");
    assert!(!format!("{s:?}").contains("0123456"));

    let digits = Settings::defaults()
        .with_overrides("[kafka.security]\npassword = 98765\n")
        .unwrap();
    assert_eq!(digits.kafka.security.password.expose(), "98765");
    let refused = Settings::defaults()
        .with_overrides("[kafka.security]\npassword = 31.4159\n")
        .unwrap_err()
        .to_string();
    assert!(!refused.contains("31.4159"), "{refused}");

    let passthrough = Settings::defaults()
        .with_overrides("[kafka.librdkafka]\n\"ssl.key.password\" = \"hunter2\"\n")
        .unwrap();
    let shown = format!("{passthrough:?}");
    assert!(
        !shown.contains("hunter2") && shown.contains("ssl.key.password"),
        "{shown}"
    );
}

/// A passthrough key that would undo `[kafka.security]` is refused, naming it.
#[test]
fn the_passthrough_cannot_weaken_security() {
    for key in [
        "security.protocol",
        "enable.ssl.certificate.verification",
        "ssl.endpoint.identification.algorithm",
        "sasl.password",
        "SASL.Mechanisms",
    ] {
        let refused = Settings::defaults()
            .with_overrides(&format!("[kafka.librdkafka]\n\"{key}\" = \"x\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains(key) && refused.contains("[kafka.security]"),
            "{refused}"
        );
    }
    assert!(Settings::defaults()
        .with_overrides("[kafka.librdkafka]\n\"socket.keepalive.enable\" = \"true\"\n")
        .is_ok());
}

#[test]
fn the_quote_secret_comes_from_a_file_and_never_shows() {
    let file = std::env::temp_dir().join(format!("vitrine-quote-{}", std::process::id()));
    std::fs::write(&file, "from-a-file\n").unwrap();
    let s = Settings::defaults()
        .with_overrides(&format!(
            "[checkout]\nquote_secret_file = \"{}\"",
            file.display()
        ))
        .unwrap();
    assert_eq!(s.checkout.quote_secret.expose(), "from-a-file");
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("from-a-file") && shown.contains("[redacted]"),
        "{shown}"
    );
    let missing = Settings::defaults()
        .with_overrides("[checkout]\nquote_secret_file = \"/nonexistent/vitrine-secret\"");
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("checkout.quote_secret_file"));
    let _ = std::fs::remove_file(file);
}

#[test]
fn unknown_key_is_named() {
    let err = Settings::defaults()
        .with_overrides("[server]\nlisten_port = 3")
        .unwrap_err()
        .to_string();
    assert!(err.contains("listen_port"), "{err}");
}

#[test]
fn wrong_value_is_named() {
    let err = Settings::defaults()
        .with_overrides("[graphql]\ndefault_page_size = 500")
        .unwrap_err()
        .to_string();
    assert!(err.contains("graphql.default_page_size"), "{err}");
}

#[test]
fn binary_formats_are_checked_against_the_topics_and_the_registry() {
    let refused = |toml: &str| {
        Settings::defaults()
            .with_overrides(toml)
            .unwrap_err()
            .to_string()
    };
    assert!(refused("[formats]\ndefault = \"avro\"").contains("schema_registry.url"));
    let registry = "[schema_registry]\nurl = \"http://registry:8081\"\n";
    let on_reservations =
        format!("{registry}[formats.topics]\n\"vitrine.reservations\" = \"avro\"");
    assert!(refused(&on_reservations).contains("reservations topic"));
    let unknown = format!("{registry}[formats.topics]\n\"vitrine.prizes\" = \"avro\"");
    assert!(refused(&unknown).contains("vitrine.prizes"));
    assert!(refused("[formats]\ndefault = \"thrift\"").contains("thrift"));
    let both =
        format!("{registry}username = \"u\"\nbearer_token = \"t\"\n[formats]\ndefault = \"avro\"");
    assert!(refused(&both).contains("not both"));
    let fine = format!("{registry}[formats]\ndefault = \"protobuf\"\n[formats.topics]\n\"vitrine.intl\" = \"json\"");
    let s = Settings::defaults().with_overrides(&fine).unwrap();
    assert_eq!(
        s.formats.of("vitrine.prices"),
        super::registry::Format::Protobuf
    );
    assert_eq!(s.formats.of("vitrine.intl"), super::registry::Format::Json);
}

#[test]
fn the_registry_password_comes_from_a_file_and_never_shows() {
    let file = std::env::temp_dir().join(format!("vitrine-sr-{}", std::process::id()));
    std::fs::write(&file, "sr-secret\n").unwrap();
    let s = Settings::defaults()
        .with_overrides(&format!(
            "[schema_registry]\nusername = \"key\"\npassword_file = \"{}\"",
            file.display()
        ))
        .unwrap();
    assert_eq!(s.schema_registry.password.expose(), "sr-secret");
    assert!(!format!("{s:?}").contains("sr-secret"));
    let _ = std::fs::remove_file(file);
}
