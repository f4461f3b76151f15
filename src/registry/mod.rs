//! The schema registry client ingest decodes Avro and Protobuf values with: writer schemas
//! cached by id (bounded; ids never change meaning), an unknown id remembered for a while (its
//! records are malformed, never waited for), a registry that is down or failing waited for
//! with backoff (the partition waits, nothing is skipped, status says why), concurrent misses
//! for one id fetched once, and the cache written into snapshots so a restart decodes with the
//! registry down.

mod http;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::sync::Cache;
use serde::{Deserialize, Serialize};

pub use http::{FetchError, RegistryHttp};

use crate::clock::unix_ms;
use crate::config::SchemaRegistrySettings;
use crate::events::formats::{SchemaRef, SchemaText, WriterSchema};

/// A schema held: its text (for snapshots) and its parsed form.
#[derive(Clone)]
struct Held {
    text: Arc<SchemaText>,
    writer: WriterSchema,
}

/// A schema as a snapshot carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedSchema {
    pub id: SchemaRef,
    #[serde(flatten)]
    pub text: SchemaText,
}

/// Why a schema could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    /// The registry does not know it, or it cannot be used: the record is malformed.
    #[error("{0}")]
    Unknown(String),
    /// The process is stopping while the registry was being waited for.
    #[error("stopping")]
    Halted,
}

/// What status reports of the registry.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryReport {
    pub cached_schemas: u64,
    /// Schemas fetched, fetches that failed (and were retried), ids found unknown.
    pub fetched: u64,
    pub failures: u64,
    pub not_found: u64,
    /// While a partition waits for the registry: which schema, since when, and why.
    pub waiting: Option<Waiting>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    pub schema: String,
    pub since_ms: i64,
    pub error: String,
}

/// The client: one per process, shared by every apply worker.
pub struct Registry {
    http: Option<RegistryHttp>,
    held: Cache<SchemaRef, Held>,
    unknown: Cache<SchemaRef, Arc<str>>,
    retry_initial: Duration,
    retry_max: Duration,
    halted: AtomicBool,
    fetched: AtomicU64,
    failures: AtomicU64,
    not_found: AtomicU64,
    waiting: Mutex<Option<Waiting>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("report", &self.report())
            .finish()
    }
}

impl Registry {
    pub fn new(settings: &SchemaRegistrySettings) -> Result<Self, String> {
        // reqwest's blocking client starts a runtime of its own, which it refuses to do on a
        // thread that is inside one (start-up is): built on a thread of its own.
        let http = if settings.url.is_empty() {
            None
        } else {
            let built = std::thread::scope(|s| s.spawn(|| RegistryHttp::new(settings)).join());
            Some(built.map_err(|_| "the registry client panicked while starting".to_string())??)
        };
        Ok(Self {
            http,
            held: Cache::new(settings.cache_capacity.max(1)),
            unknown: Cache::builder()
                .max_capacity(settings.cache_capacity.max(1))
                .time_to_live(Duration::from_millis(settings.not_found_ttl_ms.max(1)))
                .build(),
            retry_initial: Duration::from_millis(settings.retry_initial_ms.max(1)),
            retry_max: Duration::from_millis(
                settings.retry_max_ms.max(settings.retry_initial_ms).max(1),
            ),
            halted: AtomicBool::new(false),
            fetched: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            not_found: AtomicU64::new(0),
            waiting: Mutex::new(None),
        })
    }

    /// The writer schema `id` names, waiting (with backoff) while the registry is unavailable.
    pub fn resolve(&self, id: SchemaRef) -> Result<WriterSchema, Unresolved> {
        let mut backoff = self.retry_initial;
        let mut since = None;
        loop {
            match self.try_resolve(id) {
                Err(FetchError::Unavailable(error)) => {
                    self.failures.fetch_add(1, Ordering::Relaxed);
                    let since_ms = *since.get_or_insert_with(unix_ms);
                    if self.set_waiting(id, since_ms, &error) {
                        tracing::warn!(schema = %id, %error, "schema registry unavailable; the partition waits");
                    }
                    if self.sleep(backoff) {
                        self.clear_waiting();
                        return Err(Unresolved::Halted);
                    }
                    backoff = (backoff * 2).min(self.retry_max);
                }
                other => {
                    if since.is_some() {
                        self.clear_waiting();
                        tracing::info!(schema = %id, "schema registry answers again");
                    }
                    return other.map_err(|e| Unresolved::Unknown(e.to_string()));
                }
            }
        }
    }

    fn try_resolve(&self, id: SchemaRef) -> Result<WriterSchema, FetchError> {
        if let Some(held) = self.held.get(&id) {
            return Ok(held.writer);
        }
        if let Some(reason) = self.unknown.get(&id) {
            return Err(FetchError::NotFound(reason.to_string()));
        }
        // One fetch per id however many workers miss it at once; failures are not cached here.
        let found = self.held.try_get_with(id, || self.fetch(id));
        match found {
            Ok(held) => Ok(held.writer),
            Err(error) => {
                let error = FetchError::clone(&error);
                if let FetchError::NotFound(reason) = &error {
                    self.not_found.fetch_add(1, Ordering::Relaxed);
                    self.unknown.insert(id, Arc::from(reason.as_str()));
                    tracing::warn!(schema = %id, %reason, "schema unknown to the registry; its records are malformed");
                }
                Err(error)
            }
        }
    }

    fn fetch(&self, id: SchemaRef) -> Result<Held, FetchError> {
        let http = self
            .http
            .as_ref()
            .ok_or_else(|| FetchError::NotFound("no schema registry configured".into()))?;
        let text = http.schema(id)?;
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let writer = WriterSchema::parse(&text).map_err(|e| FetchError::NotFound(e.to_string()))?;
        Ok(Held {
            text: Arc::new(text),
            writer,
        })
    }

    /// Sleeps `pause` unless halted meanwhile (`true`: halted).
    fn sleep(&self, pause: Duration) -> bool {
        let step = Duration::from_millis(20);
        let mut left = pause;
        while !left.is_zero() {
            if self.halted.load(Ordering::Relaxed) {
                return true;
            }
            let now = left.min(step);
            std::thread::sleep(now);
            left -= now;
        }
        self.halted.load(Ordering::Relaxed)
    }

    /// Records the wait; `true` the first time for this schema (to log once).
    fn set_waiting(&self, id: SchemaRef, since_ms: i64, error: &str) -> bool {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let first = waiting.as_ref().is_none_or(|w| w.schema != id.to_string());
        *waiting = Some(Waiting {
            schema: id.to_string(),
            since_ms,
            error: error.to_string(),
        });
        first
    }

    fn clear_waiting(&self) {
        *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Ends every wait (the process is stopping): waiting records stay unapplied.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::Relaxed);
    }

    /// Every schema held, for a snapshot.
    pub fn export(&self) -> Vec<CachedSchema> {
        let mut out: Vec<CachedSchema> = self
            .held
            .iter()
            .map(|(id, held)| CachedSchema {
                id: *id,
                text: SchemaText::clone(&held.text),
            })
            .collect();
        out.sort_by_key(|s| s.id);
        out
    }

    /// Takes schemas from a snapshot (one that does not parse is left to be fetched again).
    pub fn seed(&self, schemas: &[CachedSchema]) {
        for cached in schemas {
            if let Ok(writer) = WriterSchema::parse(&cached.text) {
                let text = Arc::new(cached.text.clone());
                self.held.insert(cached.id, Held { text, writer });
            }
        }
    }

    pub fn report(&self) -> RegistryReport {
        self.held.run_pending_tasks();
        RegistryReport {
            cached_schemas: self.held.entry_count(),
            fetched: self.fetched.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            not_found: self.not_found.load(Ordering::Relaxed),
            waiting: self
                .waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}
