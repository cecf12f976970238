//! `create_many` over loopback HTTP: the concurrency bound (with reasks and transport
//! retries in the mix), rate limits against a server that answers 429 above its
//! rate, the run-wide pause on a 429 burst, progress, input-order `collect`,
//! completion-order `stream`, and cancellation by dropping the stream.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed expectation is a panic

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use instructor::prelude::*;
use instructor::providers::{OpenAI, RetryPolicy};
use instructor::{Error, Progress, RateLimit};
use serde::Deserialize;
use serde_json::{Value, json};

/// One numbered item.
#[derive(Instruct, Debug, Clone, PartialEq, Deserialize)]
struct Item {
    /// The item's number.
    id: u32,
}

/// One request as the server saw it.
struct Call {
    /// The item's number (from the first user message, `item N`).
    item: u32,
    /// 1-based count of requests for this item (reasks and retries included).
    attempt: u32,
}

/// What the server answers, after `delay`.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
    delay: Duration,
}

impl Reply {
    /// A valid answer for `item`.
    fn ok(item: u32) -> Self {
        Self::answer(&format!(r#"{{"id": {item}}}"#))
    }

    /// A tool call to `Item` with these arguments (usage 10 + 5).
    fn answer(arguments: &str) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: common::tool_answer("Item", arguments, (10, 5)),
            delay: Duration::ZERO,
        }
    }

    /// An answer that does not parse as `Item` (the client reasks).
    fn invalid() -> Self {
        Self::answer(r#"{"id": "not a number"}"#)
    }

    fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: json!({"error": {"message": "scripted", "type": "server_error", "param": null, "code": null}}),
            delay: Duration::ZERO,
        }
    }

    /// A 429 asking to wait `wait`.
    fn too_many(wait: Duration) -> Self {
        let mut reply = Self::status(429);
        reply
            .headers
            .push(("retry-after-ms", wait.as_millis().max(1).to_string()));
        reply
    }

    fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Script = Arc<dyn Fn(&Call) -> Reply + Send + Sync>;

#[derive(Default)]
struct Stats {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Every request: when it arrived and the status it got.
    log: Mutex<Vec<(Instant, u16)>>,
    attempts: Mutex<HashMap<u32, u32>>,
}

impl Stats {
    fn requests(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn with_status(&self, status: u16) -> usize {
        let log = self.log.lock().unwrap();
        log.iter().filter(|(_, s)| *s == status).count()
    }
}

/// A scripted OpenAI-compatible server on loopback that counts calls in flight.
struct Server {
    addr: SocketAddr,
    stats: Arc<Stats>,
}

struct InFlight(Arc<Stats>);

impl InFlight {
    fn enter(stats: &Arc<Stats>) -> Self {
        let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(Arc::clone(stats))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Server {
    async fn start(script: impl Fn(&Call) -> Reply + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(Stats::default());
        let script: Script = Arc::new(script);
        let shared = Arc::clone(&stats);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let stats = Arc::clone(&shared);
                let script = Arc::clone(&script);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let stats = Arc::clone(&stats);
                        let script = Arc::clone(&script);
                        async move { Ok::<_, Infallible>(handle(request, &stats, &script).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, stats }
    }

    fn client(&self) -> Client {
        self.client_with(RetryPolicy::new(
            2,
            Duration::from_millis(10),
            Duration::from_secs(2),
        ))
    }

    fn client_with(&self, retry: RetryPolicy) -> Client {
        let provider = OpenAI::new("sk-test")
            .base_url(format!("http://{}/v1", self.addr))
            .retry_policy(retry);
        instructor::from_openai(provider).with_model("gpt-4o-mini")
    }
}

async fn handle(
    request: hyper::Request<Incoming>,
    stats: &Arc<Stats>,
    script: &Script,
) -> hyper::Response<Full<Bytes>> {
    let _in_flight = InFlight::enter(stats);
    let arrived = Instant::now();
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let item = first_user_text(&body)
        .and_then(|text| text.strip_prefix("item ")?.parse().ok())
        .unwrap_or(u32::MAX);
    let attempt = {
        let mut attempts = stats.attempts.lock().unwrap();
        let count = attempts.entry(item).or_insert(0);
        *count += 1;
        *count
    };
    let reply = script(&Call { item, attempt });
    stats.log.lock().unwrap().push((arrived, reply.status));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = hyper::Response::builder()
        .status(reply.status)
        .header("content-type", "application/json");
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    response
        .body(Full::new(Bytes::from(reply.body.to_string())))
        .unwrap()
}

fn first_user_text(body: &Value) -> Option<&str> {
    body["messages"]
        .as_array()?
        .iter()
        .find(|m| m["role"] == "user")?["content"]
        .as_str()
}

fn requests(n: u32) -> impl Iterator<Item = Request> + Send + 'static {
    (0..n).map(|i| Request::default().user(format!("item {i}")))
}

fn assert_in_order(results: &[instructor::Result<Item>], n: u32) {
    assert_eq!(results.len(), n as usize);
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(item) => assert_eq!(item.id as usize, i, "input order"),
            Err(error) => panic!("item {i} failed: {error}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_bound_holds_with_reasks_and_transport_retries() {
    // Every fifth item answers invalid first (a reask), every fifth + 1 fails with a
    // 500 first (a transport retry), every fifth + 2 does both.
    let server = Server::start(|call| {
        let reply = match (call.item % 5, call.attempt) {
            (1, 1) | (3, 2) => Reply::invalid(),
            (2, 1) | (3, 1) => Reply::status(500),
            _ => Reply::ok(call.item),
        };
        reply.after(Duration::from_millis(15))
    })
    .await;
    let finals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&finals);
    let results = server
        .client()
        .create_many::<Item>(requests(160))
        .concurrency(8)
        .on_progress(move |p: &Progress| seen.lock().unwrap().push(p.clone()))
        .collect()
        .await;
    assert_in_order(&results, 160);
    let stats = &server.stats;
    assert_eq!(
        stats.max_in_flight.load(Ordering::SeqCst),
        8,
        "the server saw exactly the bound in flight"
    );
    // 160 first tries, 32 reasks, 32 transport retries, and both for 32 items.
    assert_eq!(stats.requests(), 160 + 32 + 32 + 2 * 32);
    assert_eq!(stats.with_status(500), 64);
    let finals = finals.lock().unwrap();
    let last = finals.last().unwrap();
    assert_eq!((last.done, last.failed, last.in_flight), (160, 0, 0));
    // 224 answers (160 valid, 64 invalid) of 15 tokens each.
    assert_eq!(last.usage.total_tokens, 224 * 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_at_the_servers_rate_meets_only_a_handful_of_429s() {
    // The server takes 500 requests a second (a bucket of one second's worth) and
    // answers 429 with retry-after-ms above that.
    const RATE: f64 = 500.0;
    let bucket = Mutex::new((RATE, Instant::now()));
    let server = Server::start(move |call| {
        let mut bucket = bucket.lock().unwrap();
        let now = Instant::now();
        bucket.0 = (bucket.0 + RATE * now.duration_since(bucket.1).as_secs_f64()).min(RATE);
        bucket.1 = now;
        if bucket.0 >= 1.0 {
            bucket.0 -= 1.0;
            Reply::ok(call.item)
        } else {
            Reply::too_many(Duration::from_secs_f64((1.0 - bucket.0) / RATE))
        }
    })
    .await;
    let started = Instant::now();
    // Each 429 waits out its retry-after; on a loaded machine one item can meet a
    // few in a row, so the transport may retry more than the default twice (the
    // count of 429s below is what the test is about).
    let results = server
        .client_with(RetryPolicy::new(
            8,
            Duration::from_millis(10),
            Duration::from_secs(2),
        ))
        .create_many::<Item>(requests(1_000))
        .concurrency(64)
        .rate_limit(RateLimit::new().requests_per_minute(500 * 60))
        .collect()
        .await;
    let elapsed = started.elapsed();
    assert_in_order(&results, 1_000);
    let limited = server.stats.with_status(429);
    // Client and server run at exactly the same rate, so jitter between sending and
    // arriving bunches a few requests: about 2% of 1,000 met a 429 in measured runs
    // (each then waits out its retry-after); no storm.
    assert!(limited <= 50, "{limited} 429s");
    // A burst of one second's share, then 500 a second: the other 500 take a second.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
}

/// A server that answers 30 ms late, except in a 400 ms window opened by the 150th
/// request, when it answers 429 at once with the window's remaining time.
async fn burst_server() -> (Server, Arc<Mutex<Option<Instant>>>) {
    let window: Arc<Mutex<Option<Instant>>> = Arc::default();
    let opened = Arc::clone(&window);
    let seen = AtomicUsize::new(0);
    let server = Server::start(move |call| {
        let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
        let now = Instant::now();
        let mut window = opened.lock().unwrap();
        if n == 150 {
            *window = Some(now);
        }
        match *window {
            Some(start) if now < start + Duration::from_millis(400) => {
                Reply::too_many(start + Duration::from_millis(400) - now)
            }
            _ => Reply::ok(call.item).after(Duration::from_millis(30)),
        }
    })
    .await;
    (server, window)
}

/// Requests that arrived while the 429 window was open.
fn arrivals_in_window(server: &Server, window: &Mutex<Option<Instant>>) -> usize {
    let start = window.lock().unwrap().expect("the window opened");
    let end = start + Duration::from_millis(400);
    let log = server.stats.log.lock().unwrap();
    log.iter()
        .filter(|(at, _)| *at >= start && *at < end)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_burst_pauses_the_whole_run() {
    let (server, window) = burst_server().await;
    let results = server
        .client()
        .create_many::<Item>(requests(400))
        .concurrency(32)
        .collect()
        .await;
    assert_in_order(&results, 400);
    let during = arrivals_in_window(&server, &window);
    // Only the calls already on their way when the first 429 came back (without
    // the pause every one of the 32 slots spends a request: see the next test). 5-7
    // on a quiet machine; up to 20 seen with the machine loaded.
    assert!(
        during <= 20,
        "{during} requests arrived during the pause (32 in flight)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_run_wide_pause_the_same_burst_is_a_storm() {
    // The same run by hand (32 `create` calls at a time): each call finds the 429 on
    // its own, so every slot spends a request in the window.
    let (server, window) = burst_server().await;
    let client = server.client();
    let results: Vec<_> = futures::stream::iter(requests(400))
        .map(|request| client.create::<Item>(request))
        .buffered(32)
        .collect()
        .await;
    assert_in_order(&results, 400);
    let during = arrivals_in_window(&server, &window);
    assert!(during >= 16, "{during}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_adds_up_and_collect_keeps_input_order() {
    // Every sixth item never answers validly (it fails after one reask).
    let server = Server::start(|call| {
        let reply = if call.item % 6 == 0 {
            Reply::invalid()
        } else {
            Reply::ok(call.item)
        };
        reply.after(Duration::from_millis(u64::from(call.item % 7)))
    })
    .await;
    let reports = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let seen = Arc::clone(&reports);
    let requests = (0..60).map(|i| Request::default().user(format!("item {i}")).max_retries(1));
    let results = server
        .client()
        .create_many::<Item>(requests)
        .concurrency(6)
        .on_progress(move |p: &Progress| seen.lock().unwrap().push(p.clone()))
        .collect()
        .await;
    assert_eq!(results.len(), 60);
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(item) => assert_eq!(item.id as usize, i),
            Err(Error::RetriesExhausted(failure)) => {
                assert_eq!(i % 6, 0, "item {i} failed");
                assert_eq!(failure.attempts.len(), 2);
            }
            Err(other) => panic!("item {i}: {other}"),
        }
    }
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 61, "one per item and one at the end");
    for (n, report) in reports.iter().take(60).enumerate() {
        assert_eq!(report.done, n + 1);
        assert_eq!(report.total, Some(60));
        assert!(report.in_flight <= 6 && report.done + report.in_flight <= 60);
    }
    let last = &reports[60];
    let mut before = reports[59].clone();
    before.elapsed = last.elapsed;
    assert_eq!(last, &before, "the final report repeats the last item's");
    assert_eq!((last.done, last.failed, last.in_flight), (60, 10, 0));
    assert_eq!(last.succeeded(), 50);
    // 50 items answered once, 10 twice; 15 tokens an answer.
    assert_eq!(last.usage.total_tokens, 70 * 15);
    assert!(last.elapsed >= reports[0].elapsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_yields_each_index_once_in_completion_order() {
    // Item 0 is slow: the others finish first.
    let server = Server::start(|call| {
        let delay = if call.item == 0 { 800 } else { 2 };
        Reply::ok(call.item).after(Duration::from_millis(delay))
    })
    .await;
    let totals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&totals);
    // A filtered iterator does not know its length: no total.
    let requests = requests(40).filter(|_| true);
    let mut stream = server
        .client()
        .create_many::<Item>(requests)
        .concurrency(8)
        .on_progress(move |p: &Progress| seen.lock().unwrap().push(p.total))
        .stream();
    let mut order = Vec::new();
    while let Some((index, result)) = stream.next().await {
        assert_eq!(result.unwrap().id as usize, index);
        order.push(index);
    }
    assert_eq!(order.last(), Some(&0), "the slow item comes out last");
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..40).collect::<Vec<_>>());
    assert!(totals.lock().unwrap().iter().all(Option::is_none));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_cancels_the_calls_in_flight_and_starts_no_new_one() {
    // The first ten items answer at once, the others after 150 ms.
    let server = Server::start(|call| {
        let delay = if call.item < 10 { 2 } else { 150 };
        Reply::ok(call.item).after(Duration::from_millis(delay))
    })
    .await;
    let client = server.client();
    let responses = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&responses);
    client.on(HookEvent::CompletionResponse, move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&pulled);
    // A million requests, made only as they are pulled.
    let requests = (0..1_000_000).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        Request::default().user(format!("item {i}"))
    });
    let mut stream = client.create_many::<Item>(requests).concurrency(4).stream();
    for _ in 0..10 {
        let (index, result) = stream.next().await.unwrap();
        assert!(index < 10 && result.is_ok());
    }
    drop(stream);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_drop = server.stats.requests();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.stats.requests(),
        after_drop,
        "no call after the drop"
    );
    assert!(after_drop <= 10 + 4, "{after_drop}");
    let pulled = pulled.load(Ordering::SeqCst);
    assert!(pulled <= 10 + 4, "{pulled} requests pulled");
    assert_eq!(
        responses.load(Ordering::SeqCst),
        10,
        "the slow calls in flight were dropped, not awaited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_sharing_a_rate_limit_share_its_budget() {
    let server = Server::start(|call| Reply::ok(call.item)).await;
    let client = server.client();
    // 6,000 a minute: 100 at once, then 100 a second, for both runs together.
    let limit = RateLimit::new().requests_per_minute(6_000);
    let started = Instant::now();
    let (a, b) = tokio::join!(
        client
            .create_many::<Item>(requests(100))
            .concurrency(16)
            .rate_limit(limit.clone())
            .collect(),
        client
            .create_many::<Item>(requests(100))
            .concurrency(16)
            .rate_limit(limit.clone())
            .collect(),
    );
    let elapsed = started.elapsed();
    assert_in_order(&a, 100);
    assert_in_order(&b, 100);
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_limit_spreads_calls_by_their_estimate() {
    let server = Server::start(|call| Reply::ok(call.item)).await;
    // Each call is estimated at about 1,000 tokens (its max_tokens): with 600,000
    // tokens a minute (10,000 a second) the first 9 go at once, the next 9 in a
    // second.
    let requests = (0..18).map(|i| {
        Request::default()
            .user(format!("item {i}"))
            .max_tokens(1_000)
    });
    let started = Instant::now();
    let results = server
        .client()
        .create_many::<Item>(requests)
        .concurrency(18)
        .rate_limit(RateLimit::new().tokens_per_minute(600_000))
        .collect()
        .await;
    let elapsed = started.elapsed();
    assert_in_order(&results, 18);
    assert!(elapsed >= Duration::from_millis(800), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_many_is_the_one_liner() {
    let server = Server::start(|call| Reply::ok(call.item)).await;
    let client = server.client();
    let texts: Vec<String> = (0..5).map(|i| format!("item {i}")).collect();
    let items = Item::extract_many(&client, texts).await;
    assert_in_order(&items, 5);
}
