//! The crate's shape, checked: no dependency cycle between top-level modules, the pure modules
//! (`events`, `views`, `pricing`) use no I/O crate, and no source file outgrows ~400 lines.
//! Reads the sources as text: test modules (`#[cfg(test)]` onwards, `*_tests.rs`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules that must stay pure, and what they may not touch.
const PURE: &[&str] = &["events", "views", "pricing"];
const IO: &[&str] = &[
    "tokio", "rdkafka", "axum", "reqwest", "std::fs", "std::net", "hyper", "zstd",
];
const MAX_FILE_LINES: usize = 400;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/ingest/consumer.rs` -> `ingest`).
fn top_module(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

/// The file's text before its test module; empty for a test-only file.
fn non_test_source(file: &Path) -> String {
    if file.to_string_lossy().ends_with("_tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(file).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Top-level modules named as `crate::NAME` in `text`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let name: String = text[at + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    found
}

struct Crate {
    deps: BTreeMap<String, BTreeSet<String>>,
    sources: Vec<(PathBuf, String, String)>,
}

fn read_crate() -> Crate {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut sources = vec![];
    for file in files {
        let module = top_module(&src, &file);
        let text = non_test_source(&file);
        let used = crate_paths(&text);
        let entry = deps.entry(module.clone()).or_default();
        entry.extend(used.into_iter().filter(|m| *m != module));
        sources.push((file, module, text));
    }
    Crate { deps, sources }
}

/// A cycle through `module`, if any, as the path that closes it.
fn cycle_from(
    module: &str,
    deps: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|m| m == module) {
        let mut cycle = path[at..].to_vec();
        cycle.push(module.to_string());
        return Some(cycle);
    }
    path.push(module.to_string());
    for next in deps.get(module).into_iter().flatten() {
        if let Some(cycle) = cycle_from(next, deps, path) {
            return Some(cycle);
        }
    }
    path.pop();
    None
}

#[test]
fn no_cycle_between_top_level_modules() {
    let krate = read_crate();
    assert!(krate.deps.contains_key("ingest") && krate.deps.contains_key("events"));
    for module in krate.deps.keys() {
        let cycle = cycle_from(module, &krate.deps, &mut vec![]);
        assert!(
            cycle.is_none(),
            "module cycle: {}",
            cycle.unwrap().join(" -> ")
        );
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let mut deps = BTreeMap::new();
    deps.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    deps.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        cycle_from("a", &deps, &mut vec![]),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}

#[test]
fn pure_modules_use_no_io() {
    let krate = read_crate();
    for (file, module, text) in &krate.sources {
        if !PURE.contains(&module.as_str()) {
            continue;
        }
        for io in IO {
            let used = text.lines().any(|line| {
                let code = line.split("//").next().unwrap_or("");
                code.contains(&format!("{io}::")) || code.contains(&format!("use {io}"))
            });
            assert!(!used, "{} ({module}) uses {io}", file.display());
        }
        for forbidden in ["ingest", "graphql", "server", "app", "snapshot", "demo"] {
            let reached = krate.deps[module.as_str()].contains(forbidden);
            assert!(!reached, "pure module {module} depends on {forbidden}");
        }
    }
}

#[test]
fn source_files_stay_small() {
    let krate = read_crate();
    for (file, _, _) in &krate.sources {
        let lines = std::fs::read_to_string(file).unwrap().lines().count();
        assert!(
            lines <= MAX_FILE_LINES,
            "{} has {lines} lines (at most {MAX_FILE_LINES}): split it by meaning",
            file.display()
        );
    }
}
