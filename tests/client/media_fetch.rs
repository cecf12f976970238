//! Media URLs this crate downloads (issue 16 item 3): only where the provider takes
//! the kind inline only (OpenAI chat audio and PDFs here), never from a loopback,
//! private, link-local, metadata or other non-public address, redirects included,
//! each refused before any connection (a listener on the forbidden port never sees
//! one); the size cap enforced while the body streams; the download inlined into
//! the request body (snapshot), once per call (not again on a reask), and on
//! Anthropic for a text file. Every server is on loopback, trusted through
//! `UrlFetchPolicy::allow_host` where a test needs a download to succeed.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::{bodies, client as openai_client, serve_chat, tool_answer};
use instructor::prelude::*;
use instructor::{
    AddressClass, Audio, FetchFailure, Image, MediaFetchError, MediaLimits, Part, Pdf,
    UrlFetchPolicy,
};
use serde::{Deserialize, Serialize};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the recording says.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Summary {
    title: String,
}

const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0";
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";

/// A listener on a port that must never see a connection.
struct Trap(TcpListener);

impl Trap {
    fn bind(ip: &str) -> Option<Self> {
        let listener = TcpListener::bind((ip, 0)).ok()?;
        listener.set_nonblocking(true).unwrap();
        Some(Self(listener))
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    /// Fails if anything connected (a finished handshake waits in the backlog).
    fn assert_untouched(&self, case: &str) {
        match self.0.accept() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("{case}: the forbidden listener was connected to: {other:?}"),
        }
    }
}

/// The OpenAI chat client over `server`, downloading under `policy`.
fn fetching(server: &MockServer, policy: UrlFetchPolicy) -> Client {
    openai_client(server).with_url_fetch(policy)
}

fn audio_request(url: &str) -> Request {
    Request::new("gpt-4o").message(Message::user("Transcribe.").audio(Audio::from_url(url)))
}

/// The download error of a call sending an audio part from `url`.
async fn refusal(client: &Client, url: &str) -> MediaFetchError {
    match client.create::<Summary>(audio_request(url)).await {
        Err(Error::MediaFetch(error)) => *error,
        other => panic!("{url}: expected a download error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_forbidden_address_class_is_refused_without_connecting() {
    let provider = serve_chat(vec![]).await;
    let trap = Trap::bind("127.0.0.1").unwrap();
    let port = trap.port();
    let client = fetching(
        &provider,
        UrlFetchPolicy::default().timeout(Duration::from_secs(20)),
    );
    use AddressClass::*;
    let cases = [
        (format!("http://127.0.0.1:{port}/a.wav"), Loopback),
        (format!("http://localhost:{port}/a.wav"), Loopback),
        (format!("http://[::ffff:127.0.0.1]:{port}/a.wav"), Loopback),
        (format!("http://[::ffff:7f00:1]:{port}/a.wav"), Loopback),
        // Spellings of 127.0.0.1 and of "this host" (which reaches the listener).
        (format!("http://2130706433:{port}/a.wav"), Loopback),
        (format!("http://0x7f.1:{port}/a.wav"), Loopback),
        (format!("http://0.0.0.0:{port}/a.wav"), Unspecified),
        (format!("http://[::]:{port}/a.wav"), Unspecified),
        ("http://10.0.0.1/a.wav".into(), Private),
        ("http://10.255.255.254/a.wav".into(), Private),
        ("http://172.16.0.1/a.wav".into(), Private),
        ("http://172.31.255.254/a.wav".into(), Private),
        ("http://192.168.0.1/a.wav".into(), Private),
        ("http://100.64.0.1/a.wav".into(), SharedAddressSpace),
        ("http://169.254.169.254/latest/meta-data/".into(), Metadata),
        ("http://169.254.1.1/a.wav".into(), LinkLocal),
        ("http://[fd00::1]/a.wav".into(), UniqueLocal),
        ("http://[fd12:3456::1]:8080/a.wav".into(), UniqueLocal),
        ("http://[fd00:ec2::254]/a.wav".into(), Metadata),
        ("http://[fe80::1]/a.wav".into(), LinkLocal),
        ("http://[::ffff:169.254.169.254]/a.wav".into(), Metadata),
        ("http://[::ffff:10.0.0.1]/a.wav".into(), Private),
        ("http://[ff02::1]/a.wav".into(), Multicast),
        ("https://192.0.2.1/a.wav".into(), Documentation),
    ];
    for (url, class) in &cases {
        let started = Instant::now();
        let error = refusal(&client, url).await;
        assert_eq!(error.forbidden_class(), Some(*class), "{url}: {error}");
        // Refused before connecting: no connect timeout was waited for.
        assert!(started.elapsed() < Duration::from_secs(5), "{url}");
        assert!(error.to_string().contains("the audio part"), "{error}");
        trap.assert_untouched(url);
    }
    // IPv6 loopback, with its own listener where the machine has IPv6.
    if let Some(trap6) = Trap::bind("::1") {
        let url = format!("http://[::1]:{}/a.wav", trap6.port());
        let error = refusal(&client, &url).await;
        assert_eq!(error.forbidden_class(), Some(Loopback), "{error}");
        trap6.assert_untouched(&url);
    }
    assert!(bodies(&provider).await.is_empty(), "nothing may be sent");
}

/// A trusted file server on loopback and its client.
async fn file_server() -> (MockServer, UrlFetchPolicy) {
    let files = MockServer::start().await;
    let policy = UrlFetchPolicy::default().allow_host(files.address().to_string());
    (files, policy)
}

async fn redirect(files: &MockServer, from: &str, to: &str) {
    Mock::given(method("GET"))
        .and(path(from))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", to))
        .mount(files)
        .await;
}

#[tokio::test]
async fn a_redirect_to_a_forbidden_address_is_refused_without_connecting() {
    let provider = serve_chat(vec![]).await;
    let trap = Trap::bind("127.0.0.1").unwrap();
    let port = trap.port();
    let (files, policy) = file_server().await;
    let client = fetching(&provider, policy);
    let targets = [
        (
            "/to-loopback",
            format!("http://127.0.0.1:{port}/a.wav"),
            AddressClass::Loopback,
        ),
        (
            "/to-localhost",
            format!("http://localhost:{port}/a.wav"),
            AddressClass::Loopback,
        ),
        (
            "/to-mapped",
            format!("http://[::ffff:7f00:1]:{port}/a.wav"),
            AddressClass::Loopback,
        ),
        (
            "/to-metadata",
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            AddressClass::Metadata,
        ),
        (
            "/to-private",
            "https://10.1.2.3/a.wav".to_owned(),
            AddressClass::Private,
        ),
    ];
    for (from, to, _) in &targets {
        redirect(&files, from, to).await;
    }
    // A second hop: the first redirect stays on the trusted server.
    redirect(&files, "/hop", "/to-metadata").await;
    for (from, to, class) in &targets {
        let error = refusal(&client, &format!("{}{from}", files.uri())).await;
        assert_eq!(error.forbidden_class(), Some(*class), "{from}: {error}");
        assert_eq!(&error.url, to, "the error names the redirect's target");
        trap.assert_untouched(from);
    }
    let error = refusal(&client, &format!("{}/hop", files.uri())).await;
    assert_eq!(error.forbidden_class(), Some(AddressClass::Metadata));
    assert!(bodies(&provider).await.is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn redirect_loops_schemes_and_statuses_fail_typed() {
    let provider = serve_chat(vec![]).await;
    let (files, policy) = file_server().await;
    let client = fetching(&provider, policy.max_redirects(3));
    redirect(&files, "/loop", "/loop").await;
    redirect(&files, "/to-file", "file:///etc/passwd").await;
    Mock::given(method("GET"))
        .and(path("/gone.wav"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&files)
        .await;
    let failure = |path: &str| {
        let url = format!("{}{path}", files.uri());
        let client = client.clone();
        async move { refusal(&client, &url).await.failure }
    };
    assert_eq!(failure("/loop").await, FetchFailure::TooManyRedirects(3));
    assert_eq!(
        failure("/to-file").await,
        FetchFailure::Scheme("file".into())
    );
    assert_eq!(failure("/gone.wav").await, FetchFailure::Status(404));
    // A host not allowed, on the same server's port: refused as loopback.
    let other = format!("http://localhost:{}/gone.wav", files.address().port());
    assert_eq!(
        refusal(&client, &other).await.forbidden_class(),
        Some(AddressClass::Loopback)
    );
    let hits = files.received_requests().await.unwrap();
    assert_eq!(hits.len(), 4 + 1 + 1, "3 redirects followed, then refused");
    assert!(bodies(&provider).await.is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn a_download_is_sent_inline_and_only_when_the_provider_needs_it() {
    // A first answer that fails validation: the reask sends the same content
    // without downloading again.
    let provider = serve_chat(vec![
        tool_answer("Summary", r#"{"titel":"t"}"#, (1, 1)),
        tool_answer("Summary", r#"{"title":"t"}"#, (1, 1)),
    ])
    .await;
    let (files, policy) = file_server().await;
    let serve = |route: &'static str, bytes: &'static [u8], mime: &'static str| {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_raw(bytes, mime))
    };
    serve("/clip.wav", WAV, "audio/wav").mount(&files).await;
    // No extension, a generic type: the bytes say it is a PDF.
    serve("/scan", PDF, "application/octet-stream")
        .mount(&files)
        .await;
    redirect(&files, "/contract.pdf", "/scan").await;
    let client = fetching(&provider, policy);
    let message = Message::user("Summarize these.")
        // Taken as a URL by OpenAI chat: never downloaded.
        .image(Image::from_url("https://images.example/photo.png"))
        .audio(Audio::from_url(format!("{}/clip.wav", files.uri())))
        .pdf(Pdf::from_url(format!("{}/contract.pdf", files.uri())));
    let request = Request::new("gpt-4o").message(message.clone());
    client.create::<Summary>(request.clone()).await.unwrap();
    let sent = bodies(&provider).await;
    assert_eq!(sent.len(), 2, "one reask");
    assert_eq!(sent[0]["messages"][0], sent[1]["messages"][0]);
    insta::assert_json_snapshot!("media_downloaded_openai_chat", sent[0]["messages"]);
    let fetched: Vec<String> = files
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(fetched, ["/clip.wav", "/contract.pdf", "/scan"]);
    // The caller's request still holds the URL.
    match &request.messages[0].parts[2] {
        Part::Media(audio) => assert!(audio.url().is_some(), "{audio:?}"),
        other => panic!("{other:?}"),
    }
    // The Responses API takes a PDF URL itself: nothing downloaded.
    let responses = fetching(&provider, UrlFetchPolicy::default()).with_mode(Mode::ResponsesTools);
    let pdf = Request::new("gpt-4o")
        .message(Message::user("x").pdf(Pdf::from_url(format!("{}/contract.pdf", files.uri()))));
    let prepared = responses.prepare::<Summary>(&pdf).unwrap();
    let body = responses.provider().build_body(&prepared).unwrap();
    assert!(
        body["input"][0]["content"][1]["file_url"].is_string(),
        "{body}"
    );
    assert_eq!(files.received_requests().await.unwrap().len(), 3);
}

/// A loopback server answering every connection with `head`, then (if `stream`)
/// an endless chunked body; the bytes of body it managed to write.
fn raw_server(head: &'static str, stream: bool) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let count = written.clone();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(socket) = socket else { return };
            let count = count.clone();
            std::thread::spawn(move || answer(socket, head, stream, &count));
        }
    });
    (address, written)
}

fn answer(mut socket: TcpStream, head: &str, stream: bool, written: &AtomicU64) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.ends_with(b"\r\n\r\n") {
        match socket.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    if socket.write_all(head.as_bytes()).is_err() {
        return;
    }
    if !stream {
        // Hold the connection open: the client must not wait for a body.
        std::thread::sleep(Duration::from_secs(10));
        return;
    }
    let chunk = [b'\0'; 64 << 10];
    let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
    frame.extend_from_slice(&chunk);
    frame.extend_from_slice(b"\r\n");
    while socket.write_all(&frame).is_ok() {
        written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
}

#[tokio::test]
async fn the_size_cap_is_enforced_while_the_body_streams() {
    let provider = serve_chat(vec![]).await;
    let cap: u64 = 1 << 20;
    let (address, written) = raw_server(
        "HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n",
        true,
    );
    let client = fetching(
        &provider,
        UrlFetchPolicy::default()
            .allow_host(address.to_string())
            .timeout(Duration::from_secs(30)),
    )
    .with_media_limits(MediaLimits::default().max_part_bytes(cap));
    let started = Instant::now();
    // The body never ends: only a cap counted while streaming can stop it.
    let error = refusal(&client, &format!("http://{address}/endless.wav")).await;
    let elapsed = started.elapsed();
    assert_eq!(
        error.failure,
        FetchFailure::TooLarge { limit: cap },
        "{error}"
    );
    let sent = written.load(Ordering::Relaxed);
    println!("cap {cap} B: refused after {elapsed:?}; the server had written {sent} B");
    assert!(sent < 32 * cap, "{sent} bytes written before the refusal");
    assert!(bodies(&provider).await.is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn a_content_length_over_the_cap_is_refused_before_reading() {
    let provider = serve_chat(vec![]).await;
    let (address, _) = raw_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 1073741824\r\n\r\n",
        false,
    );
    let client = fetching(
        &provider,
        UrlFetchPolicy::default()
            .allow_host(address.to_string())
            .timeout(Duration::from_secs(5)),
    );
    let error = refusal(&client, &format!("http://{address}/huge.wav")).await;
    assert_eq!(
        error.failure,
        FetchFailure::TooLarge {
            limit: MediaLimits::DEFAULT_PART_BYTES
        },
        "{error}"
    );
}

/// What a failure must be.
type Expect = fn(&FetchFailure) -> bool;

#[tokio::test]
async fn hostile_answers_fail_typed_without_panicking() {
    let provider = serve_chat(vec![]).await;
    let cases: [(&str, Expect); 3] = [
        // A redirect whose Location is not a URL.
        (
            "HTTP/1.1 302 Found\r\nLocation: http://[oops\r\nContent-Length: 0\r\n\r\n",
            |f| *f == FetchFailure::InvalidUrl,
        ),
        // A redirect with no Location.
        ("HTTP/1.1 301 Moved\r\nContent-Length: 0\r\n\r\n", |f| {
            *f == FetchFailure::InvalidUrl
        }),
        // Headers but never a body: the download's timeout.
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", |f| {
            matches!(f, FetchFailure::Timeout(_))
        }),
    ];
    for (head, expected) in cases {
        let (address, _) = raw_server(head, false);
        let client = fetching(
            &provider,
            UrlFetchPolicy::default()
                .allow_host(address.to_string())
                .timeout(Duration::from_millis(500)),
        );
        let error = refusal(&client, &format!("http://{address}/a.wav")).await;
        assert!(expected(&error.failure), "{head:?}: {error}");
    }
}

#[cfg(feature = "anthropic")]
#[tokio::test]
async fn anthropic_downloads_a_text_file_and_leaves_a_pdf_url_to_the_provider() {
    use instructor::providers::{Anthropic, RetryPolicy};
    use serde_json::json;
    let answer = json!({"id": "msg_01", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5", "stop_reason": "tool_use", "stop_sequence": null,
        "content": [{"type": "tool_use", "id": "t1", "name": "Summary", "input": {"title": "t"}}],
        "usage": {"input_tokens": 1, "output_tokens": 1}});
    let provider = crate::common::serve(
        "/v1/messages",
        vec![ResponseTemplate::new(200).set_body_json(answer)],
    )
    .await;
    let (files, policy) = file_server().await;
    Mock::given(method("GET"))
        .and(path("/notes.txt"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(&b"Total: 12.50 EUR"[..], "text/plain"),
        )
        .mount(&files)
        .await;
    let client = instructor::from_anthropic(
        Anthropic::new("k")
            .base_url(provider.uri())
            .retry_policy(RetryPolicy::none()),
    )
    .with_model("claude-sonnet-4-5")
    .with_url_fetch(policy);
    let message = Message::user("Read these.")
        .attachment(instructor::Attachment::from_url(format!(
            "{}/notes.txt",
            files.uri()
        )))
        .pdf(Pdf::from_url("https://files.example/contract.pdf"));
    client
        .create::<Summary>(Request::default().message(message))
        .await
        .unwrap();
    let sent = bodies(&provider).await;
    let content = &sent[0]["messages"][0]["content"];
    assert_eq!(
        content[1]["source"],
        json!({"type": "text", "media_type": "text/plain", "data": "Total: 12.50 EUR"})
    );
    assert_eq!(
        content[2]["source"],
        json!({"type": "url", "url": "https://files.example/contract.pdf"})
    );
    assert_eq!(files.received_requests().await.unwrap().len(), 1);
}
