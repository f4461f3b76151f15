//! Persisted queries: Apollo's automatic persisted queries (APQ: a request may carry only
//! `extensions.persistedQuery.sha256Hash`; an unknown hash answers `PERSISTED_QUERY_NOT_FOUND`
//! and the client sends the text once to register it) in a store bounded by bytes, and trusted
//! documents: a manifest of allowed operations (Apollo's persisted query manifest, or GraphQL
//! Codegen's `persisted-documents.json`) with a mode that refuses anything else
//! (`PERSISTED_QUERY_REQUIRED`).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::Request;
use serde::Deserialize;

use super::errors::ApiError;

/// The extension a persisted query is named by.
const EXTENSION: &str = "persistedQuery";

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the trusted documents manifest {path}: {reason}")]
    Read { path: String, reason: String },
}

/// Apollo's `persisted-query-manifest.json`.
#[derive(Deserialize)]
struct ApolloManifest {
    operations: Vec<ApolloOperation>,
}

#[derive(Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

/// Documents are named by the lowercase hex SHA-256 of their text (APQ and the manifests).
pub use crate::digest::sha256_hex;

/// Known documents by hash: the trusted manifest, then those registered through APQ.
pub struct PersistedQueries {
    trusted: HashMap<String, Arc<str>>,
    /// Only manifest documents may run.
    trusted_only: bool,
    /// APQ registrations, bounded by bytes; `None` when APQ is off.
    registered: Option<moka::sync::Cache<String, Arc<str>>>,
}

impl std::fmt::Debug for PersistedQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersistedQueries")
            .field("trusted", &self.trusted.len())
            .field("trusted_only", &self.trusted_only)
            .finish_non_exhaustive()
    }
}

impl PersistedQueries {
    /// `apq_bytes` 0 turns APQ registration off; `manifest` empty: no trusted documents.
    pub fn new(apq_bytes: u64, manifest: &str, trusted_only: bool) -> Result<Self, ManifestError> {
        let trusted = if manifest.is_empty() {
            HashMap::new()
        } else {
            read_manifest(manifest)?
        };
        let registered = (apq_bytes > 0 && !trusted_only).then(|| {
            moka::sync::Cache::builder()
                .weigher(|key: &String, text: &Arc<str>| {
                    u32::try_from(key.len() + text.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(apq_bytes)
                .build()
        });
        Ok(Self {
            trusted,
            trusted_only,
            registered,
        })
    }

    /// The persisted-query store from the settings. An unreadable manifest refuses every document
    /// in trusted-only mode (start-up checks it first, see `App::build`).
    pub fn from_settings(settings: &crate::config::GraphqlSettings) -> Self {
        let (bytes, manifest, only) = (
            settings.apq_cache_bytes,
            settings.trusted_documents.as_str(),
            settings.trusted_documents_only,
        );
        PersistedQueries::new(bytes, manifest, only).unwrap_or_else(|error| {
            tracing::error!(%error, "trusted documents unreadable");
            PersistedQueries::new(0, "", false)
                .map(|p| p.refusing(only))
                .expect("an empty store builds")
        })
    }

    /// This store, refusing every document when `refuse` (a trusted-only deployment whose
    /// manifest could not be read).
    pub fn refusing(mut self, refuse: bool) -> Self {
        self.trusted_only |= refuse;
        self
    }

    /// Turns a request naming a persisted query into one with its text; registers a text
    /// sent with its hash; in trusted-only mode refuses any other document.
    pub fn resolve(&self, mut request: Request) -> Result<Request, ApiError> {
        let hash = match request.extensions.0.get(EXTENSION) {
            None => None,
            Some(ext) => Some(persisted_hash(ext)?),
        };
        let has_text = !request.query.trim().is_empty();
        match (hash, has_text) {
            (None, _) => {
                if self.trusted_only && !self.trusted.contains_key(&sha256_hex(&request.query)) {
                    return Err(ApiError::PersistedQueryRequired);
                }
                Ok(request)
            }
            (Some(hash), false) => {
                let known = self
                    .trusted
                    .get(&hash)
                    .cloned()
                    .or_else(|| self.registered.as_ref().and_then(|r| r.get(&hash)));
                let Some(text) = known else {
                    return Err(ApiError::PersistedQueryNotFound);
                };
                request.query = text.to_string();
                Ok(request)
            }
            (Some(hash), true) => {
                if sha256_hex(&request.query) != hash {
                    return Err(ApiError::PersistedQueryHashMismatch);
                }
                if self.trusted.contains_key(&hash) {
                    return Ok(request);
                }
                if self.trusted_only {
                    return Err(ApiError::PersistedQueryRequired);
                }
                if let Some(registered) = &self.registered {
                    registered.insert(hash, Arc::from(request.query.as_str()));
                }
                Ok(request)
            }
        }
    }
}

/// The hash of `{"version": 1, "sha256Hash": "..."}`.
fn persisted_hash(ext: &async_graphql::Value) -> Result<String, ApiError> {
    let async_graphql::Value::Object(fields) = ext else {
        return Err(ApiError::PersistedQueryNotSupported);
    };
    let version = fields.get("version");
    if version != Some(&async_graphql::Value::from(1)) {
        return Err(ApiError::PersistedQueryNotSupported);
    }
    match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(hash.to_ascii_lowercase())
        }
        _ => Err(ApiError::PersistedQueryNotSupported),
    }
}

/// Reads Apollo's manifest (`{"format": "apollo-persisted-query-manifest", "operations": [{"id",
/// "body"}]}`) or GraphQL Codegen's (`{"<sha256>": "<document>"}`). Every id is checked against
/// its body's hash.
fn read_manifest(path: &str) -> Result<HashMap<String, Arc<str>>, ManifestError> {
    let fail = |reason: String| ManifestError::Read {
        path: path.to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let pairs: Vec<(String, String)> = if value.get("operations").is_some() {
        let manifest: ApolloManifest =
            serde_json::from_value(value).map_err(|e| fail(e.to_string()))?;
        manifest
            .operations
            .into_iter()
            .map(|o| (o.id, o.body))
            .collect()
    } else {
        let map: HashMap<String, String> =
            serde_json::from_value(value).map_err(|e| fail(e.to_string()))?;
        map.into_iter().collect()
    };
    let mut out = HashMap::new();
    for (id, body) in pairs {
        if sha256_hex(&body) != id.to_ascii_lowercase() {
            return Err(fail(format!(
                "operation {id}: the id is not the SHA-256 of its body"
            )));
        }
        out.insert(id.to_ascii_lowercase(), Arc::from(body.as_str()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let ext =
            async_graphql::Value::from_json(serde_json::json!({"version": 1, "sha256Hash": hash}))
                .unwrap();
        let mut r = Request::new(query);
        r.extensions.0.insert(EXTENSION.into(), ext);
        r
    }

    #[test]
    fn apq_registers_then_serves_by_hash() {
        let apq = PersistedQueries::new(1 << 20, "", false).unwrap();
        let q = "{ viewStatus { ready } }";
        let h = sha256_hex(q);
        assert!(matches!(
            apq.resolve(with_hash("", &h)),
            Err(ApiError::PersistedQueryNotFound)
        ));
        assert!(matches!(
            apq.resolve(with_hash("{ other }", &h)),
            Err(ApiError::PersistedQueryHashMismatch)
        ));
        assert_eq!(apq.resolve(with_hash(q, &h)).unwrap().query, q);
        assert_eq!(apq.resolve(with_hash("", &h)).unwrap().query, q);
        assert!(matches!(
            apq.resolve(with_hash("", "xyz")),
            Err(ApiError::PersistedQueryNotSupported)
        ));
    }

    #[test]
    fn trusted_only_refuses_everything_else() {
        let dir = std::env::temp_dir().join(format!("vitrine-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let q = "query Status { viewStatus { ready } }";
        let path = dir.join("manifest.json");
        let manifest = serde_json::json!({"format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{"id": sha256_hex(q), "name": "Status", "type": "query", "body": q}]});
        std::fs::write(&path, manifest.to_string()).unwrap();
        let trusted = PersistedQueries::new(1 << 20, path.to_str().unwrap(), true).unwrap();
        assert_eq!(
            trusted
                .resolve(with_hash("", &sha256_hex(q)))
                .unwrap()
                .query,
            q
        );
        assert!(
            trusted.resolve(Request::new(q)).is_ok(),
            "the same text, sent whole"
        );
        let other = "{ viewStatus { bootstrapping } }";
        assert!(matches!(
            trusted.resolve(Request::new(other)),
            Err(ApiError::PersistedQueryRequired)
        ));
        assert!(matches!(
            trusted.resolve(with_hash(other, &sha256_hex(other))),
            Err(ApiError::PersistedQueryRequired)
        ));
        // Codegen's format, and a manifest whose id lies.
        std::fs::write(&path, serde_json::json!({ sha256_hex(q): q }).to_string()).unwrap();
        assert!(PersistedQueries::new(0, path.to_str().unwrap(), true).is_ok());
        std::fs::write(
            &path,
            serde_json::json!({ sha256_hex(other): q }).to_string(),
        )
        .unwrap();
        assert!(PersistedQueries::new(0, path.to_str().unwrap(), true).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
