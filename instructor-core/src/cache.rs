//! A response cache: a call whose request was answered before (and validated) is
//! answered again from the cache, without a request to the provider.
//!
//! Opt-in per client ([`Client::with_cache`](crate::Client::with_cache)); a request
//! can bypass it ([`Request::no_cache`](crate::Request::no_cache)). The key covers
//! everything that changes the answer: the namespace, the provider, the mode, the
//! model and the exact body of the first attempt (messages, schema, tools, sampling
//! settings, extra body), and the validation context. Only a validated answer is
//! stored: the provider's final response, stored under the first attempt's key and
//! read back through the same parsing and validation as a fresh one (an entry that no
//! longer validates, say after a validator changed, is a miss).
//!
//! Streamed calls share the entries: `create_partial` and `create_iterable` key their
//! first attempt as `create` would send it (not streamed), so any of the three can
//! answer for the others. A hit replays the stored answer as a stream (its text or
//! each tool call in one delta, then its finish reason) through the same parsing and
//! validation, with no request and no usage; a streamed answer is stored once it
//! validated (for `create_iterable`, once every item did).
//!
//! In memory (`moka`, bounded, with a time to live) or on disk (one JSON file per
//! entry under a directory, written atomically, expired by age).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::completion::Completion;

/// Where and how long answers are kept. Cheap to clone (clones share the store).
#[derive(Clone)]
pub struct ResponseCache {
    store: Store,
    namespace: String,
    ttl: Option<Duration>,
}

#[derive(Clone)]
enum Store {
    Memory(moka::sync::Cache<String, Arc<Completion>>),
    Disk(Arc<PathBuf>),
}

/// Entries kept in memory by default.
const DEFAULT_MEMORY_ENTRIES: u64 = 10_000;

impl ResponseCache {
    /// An in-memory cache of up to 10,000 answers (see
    /// [`memory_with_capacity`](ResponseCache::memory_with_capacity)), kept until
    /// evicted or past the [`ttl`](ResponseCache::ttl).
    pub fn memory() -> Self {
        Self::memory_with_capacity(DEFAULT_MEMORY_ENTRIES)
    }

    /// An in-memory cache of up to `entries` answers.
    pub fn memory_with_capacity(entries: u64) -> Self {
        Self {
            store: Store::Memory(moka::sync::Cache::new(entries)),
            namespace: String::new(),
            ttl: None,
        }
    }

    /// A cache of JSON files under `dir` (created when needed), shared by every
    /// process that uses the same directory.
    pub fn disk(dir: impl AsRef<Path>) -> Self {
        Self {
            store: Store::Disk(Arc::new(dir.as_ref().to_owned())),
            namespace: String::new(),
            ttl: None,
        }
    }

    /// Entries older than `ttl` are misses (and replaced when answered again).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        if let Store::Memory(cache) = &self.store {
            // A fresh store: the builder's time to live applies from here on.
            let capacity = cache
                .policy()
                .max_capacity()
                .unwrap_or(DEFAULT_MEMORY_ENTRIES);
            self.store = Store::Memory(
                moka::sync::Cache::builder()
                    .max_capacity(capacity)
                    .time_to_live(ttl)
                    .build(),
            );
        }
        self
    }

    /// Keys are prefixed with `namespace`: caches with different namespaces never
    /// answer for each other (bump it when prompts change meaning).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The key of a call's first attempt.
    pub(crate) fn key(
        &self,
        provider: &str,
        mode: &str,
        model: &str,
        body: &Value,
        context: Option<&Value>,
    ) -> String {
        let material = json!({
            "namespace": self.namespace,
            "provider": provider,
            "mode": mode,
            "model": model,
            "body": body,
            "context": context,
        });
        let digest = Sha256::digest(material.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The stored answer for `key`, unless missing or expired.
    pub(crate) fn get(&self, key: &str) -> Option<Completion> {
        match &self.store {
            Store::Memory(cache) => cache.get(key).map(|c| (*c).clone()),
            Store::Disk(dir) => {
                let path = self.path(dir, key);
                if let Some(ttl) = self.ttl {
                    let age = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| SystemTime::now().duration_since(t).ok())?;
                    if age > ttl {
                        return None;
                    }
                }
                let text = std::fs::read_to_string(path).ok()?;
                serde_json::from_str(&text).ok()
            }
        }
    }

    /// Stores a validated answer; a disk write that fails is logged and skipped (the
    /// call has its answer either way).
    pub(crate) fn put(&self, key: &str, completion: &Completion) {
        match &self.store {
            Store::Memory(cache) => cache.insert(key.to_owned(), Arc::new(completion.clone())),
            Store::Disk(dir) => {
                if let Err(error) = self.write(dir, key, completion) {
                    tracing::warn!(%error, "the response cache could not store an answer");
                }
            }
        }
    }

    fn path(&self, dir: &Path, key: &str) -> PathBuf {
        dir.join(format!("{key}.json"))
    }

    fn write(&self, dir: &Path, key: &str, completion: &Completion) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_string(completion).map_err(std::io::Error::other)?;
        let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, self.path(dir, key))
    }
}

impl fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let store = match &self.store {
            Store::Memory(cache) => format!("memory ({} entries)", cache.entry_count()),
            Store::Disk(dir) => format!("disk ({})", dir.display()),
        };
        f.debug_struct("ResponseCache")
            .field("store", &store)
            .field("namespace", &self.namespace)
            .field("ttl", &self.ttl)
            .finish()
    }
}
