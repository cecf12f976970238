//! Several clients behind one: a fallback chain ([`Client::fallback`]) tries the next
//! client when one fails in a way another model or provider may not, and round robin
//! ([`Client::round_robin`]) spreads calls over them. Both serve `create`,
//! `create_with_completion`, `create_parallel`, `create_many`, and the opening of
//! `create_partial` and `create_iterable` (a stream, once open, stays with its client). The [`CallSummary`] says which client answered
//! (`answered_by`) and sums the usage of every client tried.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Client;
use super::call::CallSummary;
use super::request::Request;
use crate::completion::Usage;
use crate::error::{Error, Result};

/// How a routed client picks among its clients.
#[derive(Debug)]
pub(crate) enum Route {
    /// In order, the next one when a call fails in a way [`falls_through`] accepts.
    Fallback {
        clients: Vec<Client>,
        statuses: Vec<u16>,
    },
    /// One after the other, call by call.
    RoundRobin {
        clients: Vec<Client>,
        next: AtomicUsize,
    },
}

/// HTTP statuses a fallback chain moves on from unless told otherwise: rate limits
/// and server errors.
const DEFAULT_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504, 529];

impl Client {
    /// A client that calls `clients` in order: when one fails to reach its provider
    /// (connection, timeout, a broken stream), answers with a rate-limit or server
    /// status (408, 429, 5xx, 529; see [`Client::fallback_on_status`]), or runs out of
    /// reasks, the next one is called with the same request. The last client's
    /// failure is returned. Configuration errors, refusals and the like are returned
    /// at once. An empty list is a configuration error on every call.
    pub fn fallback(clients: impl IntoIterator<Item = Client>) -> Client {
        let clients: Vec<Client> = clients.into_iter().collect();
        routed(
            clients.clone(),
            Route::Fallback {
                clients,
                statuses: DEFAULT_STATUSES.to_vec(),
            },
        )
    }

    /// For a [`fallback`](Client::fallback) client: the HTTP statuses that move on to
    /// the next client (instead of the default rate-limit and server statuses).
    #[must_use]
    pub fn fallback_on_status(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        if let Some(route) = &self.route
            && let Route::Fallback { clients, .. } = route.as_ref()
        {
            let clients = clients.clone();
            self.route = Some(Arc::new(Route::Fallback {
                clients,
                statuses: statuses.into_iter().collect(),
            }));
        }
        self
    }

    /// A client that sends each call to the next of `clients` in turn.
    pub fn round_robin(clients: impl IntoIterator<Item = Client>) -> Client {
        let clients: Vec<Client> = clients.into_iter().collect();
        routed(
            clients.clone(),
            Route::RoundRobin {
                clients,
                next: AtomicUsize::new(0),
            },
        )
    }
}

/// The routed client: the first client (which says which provider
/// and mode the client has), with the route.
fn routed(clients: Vec<Client>, route: Route) -> Client {
    let mut first = match clients.first() {
        Some(first) => first.clone(),
        None => {
            // Nothing to route to: every call fails with a clear message.
            let mut client = Client::new(NoClients);
            client.mode_error =
                Some("a fallback or round-robin client needs at least one client".to_owned());
            client
        }
    };
    first.route = Some(Arc::new(route));
    first
}

/// Whether a fallback chain tries its next client after `error`.
fn falls_through(error: &Error, statuses: &[u16]) -> bool {
    match error {
        Error::Http(e) => statuses.contains(&e.status),
        Error::Connection(_)
        | Error::Timeout(_)
        | Error::Stream(_)
        | Error::RetriesExhausted(_) => true,
        _ => false,
    }
}

impl Route {
    /// Runs `call` on the clients the route picks, with the summary's usage and
    /// `answered_by` set. (`call` must not route again: routed members are used as
    /// their first client.)
    pub(crate) async fn run<V, F, Fut>(&self, request: Request, call: F) -> Result<(V, CallSummary)>
    where
        F: Fn(Client, Request) -> Fut,
        Fut: Future<Output = Result<(V, CallSummary)>>,
    {
        match self {
            Route::RoundRobin { clients, next } => {
                if clients.is_empty() {
                    return Err(Error::config(
                        "a round-robin client has no clients".to_owned(),
                    ));
                }
                let index = next.fetch_add(1, Ordering::Relaxed) % clients.len();
                let (value, mut summary) = call(clients[index].clone(), request).await?;
                summary.answered_by = index;
                Ok((value, summary))
            }
            Route::Fallback { clients, statuses } => {
                let mut spent = Usage::default();
                let mut last_error = None;
                for (index, client) in clients.iter().enumerate() {
                    match call(client.clone(), request.clone()).await {
                        Ok((value, mut summary)) => {
                            summary.total_usage += spent;
                            summary.answered_by = index;
                            return Ok((value, summary));
                        }
                        Err(error) if falls_through(&error, statuses) => {
                            tracing::info!(client = index, %error, "falling back to the next client");
                            spent += error.usage().unwrap_or_default();
                            last_error = Some(error);
                        }
                        Err(error) => return Err(error),
                    }
                }
                Err(last_error.unwrap_or_else(|| {
                    Error::config("a fallback client has no clients".to_owned())
                }))
            }
        }
    }
}

impl Route {
    /// Opens a stream on the clients the route picks: a fallback chain moves on when
    /// opening fails in a way [`falls_through`] accepts (once a stream is open, it
    /// stays with its client).
    pub(crate) async fn open<S, F, Fut>(&self, request: Request, open: F) -> Result<S>
    where
        F: Fn(Client, Request) -> Fut,
        Fut: Future<Output = Result<S>>,
    {
        let call = |client: Client, request: Request| {
            let opened = open(client, request);
            async move { opened.await.map(|stream| (stream, CallSummary::bare())) }
        };
        self.run(request, call).await.map(|(stream, _)| stream)
    }
}

/// The provider of a routed client made from no clients: every call fails first, with
/// the client's configuration error, so this never sends.
#[derive(Debug)]
struct NoClients;

#[async_trait::async_trait]
impl crate::provider::Provider for NoClients {
    fn name(&self) -> &str {
        "none"
    }

    fn supported_modes(&self) -> &[crate::mode::Mode] {
        &[crate::mode::Mode::Tools]
    }

    fn build_body(&self, _: &crate::provider::ProviderRequest) -> Result<serde_json::Value> {
        Err(Error::config("no clients to route to".to_owned()))
    }

    async fn send(
        &self,
        _: &crate::provider::ProviderRequest,
        _: &serde_json::Value,
    ) -> Result<crate::completion::Completion> {
        Err(Error::config("no clients to route to".to_owned()))
    }
}
