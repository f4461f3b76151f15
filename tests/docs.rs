//! The docs hold together: every relative link in the README and `docs/` reaches a file (and a
//! heading, when it names one); `docs/settings.md` is generated from `config/default.toml`
//! (`UPDATE_DOCS=1 cargo test --test docs` rewrites it), so every setting is documented there
//! with its environment variable; and every `VITRINE_*` variable the README, the docs, the
//! Dockerfile or the manifests name is a setting that exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every Markdown file under docs/.
fn documents() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = vec![repo().join("README.md")];
    walk(&repo().join("docs"), &mut out);
    out
}

/// Text outside fenced code blocks.
fn prose(text: &str) -> String {
    let mut fenced = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// GitHub's anchor for a heading: lower-cased, punctuation dropped, spaces as hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors a Markdown file offers: its headings' and explicit `<a id="...">`s.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in prose(text).lines() {
        if line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
        let mut rest = line;
        while let Some(at) = rest.find("<a id=\"") {
            let tail = &rest[at + 7..];
            let end = tail.find('"').unwrap_or(tail.len());
            out.insert(tail[..end].to_string());
            rest = &tail[end..];
        }
    }
    out
}

/// The targets of Markdown links `[..](target)` in `text`.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let tail = &rest[at + 2..];
        let end = tail.find(')').unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn every_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&prose(&text)) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let path = match file {
                "" => doc.clone(),
                _ => doc.parent().unwrap().join(file),
            };
            if !path.exists() {
                broken.push(format!("{}: {target} (no such file)", doc.display()));
                continue;
            }
            if let Some(anchor) = anchor {
                let offered = anchors(&std::fs::read_to_string(&path).unwrap_or_default());
                if !offered.contains(anchor) {
                    broken.push(format!("{}: {target} (no such heading)", doc.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// One setting of `config/default.toml`: its dotted path, default (as written) and comment.
struct Setting {
    path: String,
    default: String,
    doc: String,
}

/// The settings of `config/default.toml`, in order: `key = value` lines and optional keys
/// written as comments (`# key = value`) under a `[section]`, each with the comment above it.
/// `[[banners]]` entries and free-form maps (`[kafka.librdkafka]`, `[formats.topics]`) are
/// files only: the latter are listed as `section.*`.
fn settings(toml: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut doc: Vec<String> = Vec::new();
    let is_key = |s: &str| {
        s.split_once(" = ").is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
    };
    for line in toml.lines() {
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            if section == "kafka.librdkafka" || section == "formats.topics" {
                out.push(Setting {
                    path: format!("{section}.*"),
                    default: "(none)".into(),
                    doc: String::new(),
                });
            }
            doc.clear();
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            if !section.is_empty() && is_key(comment) && !comment.starts_with(' ') {
                let (key, value) = comment.split_once(" = ").unwrap();
                out.push(Setting {
                    path: format!("{section}.{key}"),
                    default: format!("(unset; e.g. {value})"),
                    doc: doc.join(" "),
                });
                continue;
            }
            match out.last_mut() {
                // A map's description follows its header.
                Some(last)
                    if last.path.ends_with(".*") && doc.is_empty() && last.doc.is_empty() =>
                {
                    last.doc = comment.to_string()
                }
                Some(last) if last.path.ends_with(".*") && doc.is_empty() => {
                    last.doc = format!("{} {comment}", last.doc)
                }
                _ => doc.push(comment.to_string()),
            }
            continue;
        }
        if line.is_empty() {
            doc.clear();
            continue;
        }
        if let Some((key, value)) = line.split_once(" = ") {
            if !section.is_empty() {
                out.push(Setting {
                    path: format!("{section}.{}", key.trim()),
                    default: value.trim().to_string(),
                    doc: doc.join(" "),
                });
            }
            doc.clear();
        }
    }
    out
}

fn env_name(path: &str) -> String {
    format!("VITRINE_{}", path.replace('.', "__").to_uppercase())
}

fn settings_doc(settings: &[Setting]) -> String {
    let mut out = String::from(
        "# Settings\n\nEvery setting of [`config/default.toml`](../config/default.toml), generated from \
         it (`UPDATE_DOCS=1 cargo test --test docs` rewrites this page; a test fails when they \
         drift). `vitrine --config FILE` layers a file over these defaults; the environment \
         variable beside each setting overrides both. An unknown key or a bad value stops \
         start-up with a message naming it. Several storefronts (`[[banners]]`) are set in a \
         file only; see the comments in `config/default.toml` and \
         [design/banners.md](design/banners.md).\n",
    );
    let mut section = "";
    for s in settings {
        let (this, _) = s.path.rsplit_once('.').unwrap();
        if this != section {
            section = this;
            out.push_str(&format!(
                "\n## [{this}]\n\n| setting | environment | default | what it does |\n|---|---|---|---|\n"
            ));
        }
        let (env, doc) = match s.path.ends_with(".*") {
            true => ("(file only)".to_string(), s.doc.replace('|', "\\|")),
            false => (
                format!("`{}`", env_name(&s.path)),
                s.doc.replace('|', "\\|"),
            ),
        };
        let key = s.path.rsplit_once('.').unwrap().1;
        let default = s.default.replace('|', "\\|");
        out.push_str(&format!("| `{key}` | {env} | `{default}` | {doc} |\n"));
    }
    out
}

#[test]
fn the_settings_page_is_generated_from_the_defaults() {
    let toml = std::fs::read_to_string(repo().join("config/default.toml")).unwrap();
    let expected = settings_doc(&settings(&toml));
    let path = repo().join("docs/settings.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let found = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        found == expected,
        "docs/settings.md is out of date: UPDATE_DOCS=1 cargo test --test docs"
    );
}

/// `VITRINE_*` names in `text` that look like settings (a section and a key).
fn variables(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("VITRINE_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + name.len().max(1)..];
        if name.contains("__") && !name.ends_with('_') {
            out.insert(name);
        }
    }
    out
}

#[test]
fn every_variable_the_docs_name_is_a_setting() {
    let toml = std::fs::read_to_string(repo().join("config/default.toml")).unwrap();
    let known: BTreeSet<String> = settings(&toml)
        .iter()
        .filter(|s| !s.path.ends_with(".*"))
        .map(|s| env_name(&s.path))
        .collect();
    assert!(known.contains("VITRINE_SERVER__LISTEN") && known.len() > 100);
    let mut sources = documents();
    sources.push(repo().join("Dockerfile"));
    sources.push(repo().join("config/default.toml"));
    for dir in ["deploy", "deploy/k8s"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap().flatten() {
            if entry.path().is_file() {
                sources.push(entry.path());
            }
        }
    }
    let mut unknown = Vec::new();
    for source in sources {
        let text = std::fs::read_to_string(&source).unwrap();
        for name in variables(&text) {
            if !known.contains(&name) {
                unknown.push(format!("{}: {name}", source.display()));
            }
        }
    }
    assert!(unknown.is_empty(), "not settings:\n{}", unknown.join("\n"));
}
