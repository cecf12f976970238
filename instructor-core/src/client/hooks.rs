//! Hooks: observe every stage of a call. A hook that panics never breaks the call.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::completion::Usage;
use crate::error::{AttemptError, Error};

/// The stages a hook can observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HookEvent {
    /// The exact provider request body, before it is sent.
    CompletionKwargs,
    /// The provider's raw response.
    CompletionResponse,
    /// The provider call failed (HTTP, connection, timeout, ...).
    CompletionError,
    /// The last attempt failed parsing or validation.
    CompletionLastAttempt,
    /// An attempt failed parsing or validation (a reask follows if retries remain).
    ParseError,
    /// Usage of an attempt, and the running total.
    Usage,
}

/// What a hook receives.
#[derive(Debug)]
#[non_exhaustive]
pub enum HookPayload<'a> {
    /// See [`HookEvent::CompletionKwargs`].
    CompletionKwargs {
        /// The request body.
        body: &'a Value,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// See [`HookEvent::CompletionResponse`].
    CompletionResponse {
        /// The raw response JSON.
        raw: &'a Value,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// See [`HookEvent::CompletionError`].
    CompletionError {
        /// The error.
        error: &'a Error,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// See [`HookEvent::CompletionLastAttempt`].
    CompletionLastAttempt {
        /// What was wrong.
        error: &'a AttemptError,
        /// 1-based attempt number.
        attempt: u32,
    },
    /// See [`HookEvent::ParseError`].
    ParseError {
        /// What was wrong.
        error: &'a AttemptError,
        /// 1-based attempt number.
        attempt: u32,
        /// Whether retries remain.
        will_retry: bool,
    },
    /// See [`HookEvent::Usage`].
    Usage {
        /// This attempt's usage.
        usage: &'a Usage,
        /// The total so far.
        total: &'a Usage,
    },
}

impl HookPayload<'_> {
    /// The event this payload belongs to.
    pub fn event(&self) -> HookEvent {
        match self {
            Self::CompletionKwargs { .. } => HookEvent::CompletionKwargs,
            Self::CompletionResponse { .. } => HookEvent::CompletionResponse,
            Self::CompletionError { .. } => HookEvent::CompletionError,
            Self::CompletionLastAttempt { .. } => HookEvent::CompletionLastAttempt,
            Self::ParseError { .. } => HookEvent::ParseError,
            Self::Usage { .. } => HookEvent::Usage,
        }
    }
}

/// Identifies a registered hook, for [`Client::off`](crate::Client::off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HookHandle(u64);

pub(crate) type HookFn = Arc<dyn Fn(&HookPayload<'_>) + Send + Sync>;

/// Adapters from a hook taking one event's own data to a payload hook, shared by
/// the typed registrations of [`Client`](crate::Client) and [`Request`](crate::Request).
pub(crate) mod typed {
    use std::sync::Arc;

    use serde_json::Value;

    use super::{HookEvent, HookFn, HookPayload};
    use crate::completion::Usage;
    use crate::error::{AttemptError, Error};

    /// The request body, before it is sent.
    pub(crate) fn kwargs(f: impl Fn(&Value) + Send + Sync + 'static) -> (HookEvent, HookFn) {
        let hook: HookFn = Arc::new(move |p| {
            if let HookPayload::CompletionKwargs { body, .. } = p {
                f(body);
            }
        });
        (HookEvent::CompletionKwargs, hook)
    }

    /// The provider's raw response.
    pub(crate) fn response(f: impl Fn(&Value) + Send + Sync + 'static) -> (HookEvent, HookFn) {
        let hook: HookFn = Arc::new(move |p| {
            if let HookPayload::CompletionResponse { raw, .. } = p {
                f(raw);
            }
        });
        (HookEvent::CompletionResponse, hook)
    }

    /// A failed provider call.
    pub(crate) fn error(f: impl Fn(&Error) + Send + Sync + 'static) -> (HookEvent, HookFn) {
        let hook: HookFn = Arc::new(move |p| {
            if let HookPayload::CompletionError { error, .. } = p {
                f(error);
            }
        });
        (HookEvent::CompletionError, hook)
    }

    /// An answer that failed parsing or validation.
    pub(crate) fn parse_error(
        f: impl Fn(&AttemptError) + Send + Sync + 'static,
    ) -> (HookEvent, HookFn) {
        let hook: HookFn = Arc::new(move |p| {
            if let HookPayload::ParseError { error, .. } = p {
                f(error);
            }
        });
        (HookEvent::ParseError, hook)
    }

    /// The last attempt's failure.
    pub(crate) fn last_attempt(
        f: impl Fn(&AttemptError) + Send + Sync + 'static,
    ) -> (HookEvent, HookFn) {
        let hook: HookFn = Arc::new(move |p| {
            if let HookPayload::CompletionLastAttempt { error, .. } = p {
                f(error);
            }
        });
        (HookEvent::CompletionLastAttempt, hook)
    }

    /// One attempt's usage.
    pub(crate) fn usage(f: impl Fn(&Usage) + Send + Sync + 'static) -> (HookEvent, HookFn) {
        let hook: HookFn = Arc::new(move |p| {
            if let HookPayload::Usage { usage, .. } = p {
                f(usage);
            }
        });
        (HookEvent::Usage, hook)
    }
}

/// A call's own hooks ([`Request::on`](crate::Request::on) and the typed
/// registrations), run after the client's.
#[derive(Clone, Default)]
pub(crate) struct CallHooks(Vec<(HookEvent, HookFn)>);

impl CallHooks {
    pub(crate) fn push(&mut self, entry: (HookEvent, HookFn)) {
        self.0.push(entry);
    }

    /// Calls this call's hooks for the payload's event; panics are caught and logged.
    pub(crate) fn emit(&self, payload: &HookPayload<'_>) {
        let event = payload.event();
        for (_, f) in self.0.iter().filter(|(e, _)| *e == event) {
            call_hook(f, payload);
        }
    }
}

impl std::fmt::Debug for CallHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CallHooks({})", self.0.len())
    }
}

impl PartialEq for CallHooks {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((a, f), (b, g))| a == b && Arc::ptr_eq(f, g))
    }
}

/// The registered hooks of a client (shared by its clones).
#[derive(Default)]
pub(crate) struct Hooks {
    next: AtomicU64,
    entries: RwLock<Vec<(HookHandle, HookEvent, HookFn)>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.entries.read().map(|e| e.len()).unwrap_or(0);
        write!(f, "Hooks({n})")
    }
}

impl Hooks {
    pub(crate) fn on(&self, event: HookEvent, f: HookFn) -> HookHandle {
        let handle = HookHandle(self.next.fetch_add(1, Ordering::Relaxed));
        self.write().push((handle, event, f));
        handle
    }

    pub(crate) fn off(&self, handle: HookHandle) -> bool {
        let mut entries = self.write();
        let before = entries.len();
        entries.retain(|(h, _, _)| *h != handle);
        entries.len() != before
    }

    pub(crate) fn clear(&self) {
        self.write().clear();
    }

    pub(crate) fn clear_event(&self, event: HookEvent) {
        self.write().retain(|(_, e, _)| *e != event);
    }

    /// Calls every hook of the payload's event; panics are caught and logged.
    pub(crate) fn emit(&self, payload: &HookPayload<'_>) {
        let event = payload.event();
        let matching: Vec<HookFn> = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, e, _)| *e == event)
            .map(|(_, _, f)| Arc::clone(f))
            .collect();
        for f in matching {
            call_hook(&f, payload);
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<(HookHandle, HookEvent, HookFn)>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Calls one hook; a panic is caught and logged, and the call goes on.
fn call_hook(f: &HookFn, payload: &HookPayload<'_>) {
    if catch_unwind(AssertUnwindSafe(|| f(payload))).is_err() {
        let event = payload.event();
        tracing::warn!(?event, "an instructor hook panicked; the call goes on");
    }
}
