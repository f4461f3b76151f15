//! `schema.graphql` is generated from the code: this fails when they drift.
//! `UPDATE_SCHEMA=1 cargo test --test schema` rewrites the file.

#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let generated = vitrine::graphql::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(path, &generated).expect("schema.graphql written");
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test --test schema`"
    );
}
