//! Media parts (issue 16 items 1-3): the request body of every media kind x source
//! on every provider (OpenAI chat and Responses, Anthropic, Gemini) as snapshots, the
//! pre-flight error of each combination a provider cannot take (naming the part and
//! the provider, nothing sent), and the size caps.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::common::{bodies, client as openai_client, serve_chat, tool_answer};
use instructor::prelude::*;
use instructor::providers::OpenAI;
use instructor::{Attachment, Audio, Image, MediaLimits, Part, Pdf, UrlFetchPolicy};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the document says.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Summary {
    title: String,
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt ";
const MP3: &[u8] = b"ID3\x04\0\0\0\0\0\0";
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\n";
const TEXT: &[u8] = b"Total: 12.50 EUR";

/// A small file with `bytes`, kept for the test's life.
fn sample_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("instructor-media-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn b64(bytes: &[u8]) -> String {
    // The tests encode independently of the crate: a tiny standard base64 encoder.
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every source of one kind: URL, data URL, path, bytes, base64.
fn sources(kind: &str) -> Vec<(String, Part)> {
    let (bytes, ext, mime) = match kind {
        "image" => (PNG, "png", "image/png"),
        "audio" => (WAV, "wav", "audio/wav"),
        "audio_mp3" => (MP3, "mp3", "audio/mpeg"),
        "pdf" => (PDF, "pdf", "application/pdf"),
        _ => (TEXT, "txt", "text/plain"),
    };
    let url = format!("https://files.example.com/sample.{ext}");
    let data_url = format!("data:{mime};base64,{}", b64(bytes));
    let path = sample_file(&format!("sample-{kind}.{ext}"), bytes);
    let part = |make: &dyn Fn() -> Part| make();
    let list: Vec<(&str, Part)> = match kind {
        "image" => vec![
            ("url", part(&|| Image::from_url(&url).into())),
            ("data_url", part(&|| Image::from_url(&data_url).into())),
            ("path", part(&|| Image::from_path(&path).unwrap().into())),
            ("bytes", part(&|| Image::from_bytes(bytes).into())),
            ("base64", part(&|| Image::from_base64(b64(bytes)).into())),
        ],
        "audio" | "audio_mp3" => vec![
            ("url", part(&|| Audio::from_url(&url).into())),
            ("data_url", part(&|| Audio::from_url(&data_url).into())),
            ("path", part(&|| Audio::from_path(&path).unwrap().into())),
            ("bytes", part(&|| Audio::from_bytes(bytes).into())),
            ("base64", part(&|| Audio::from_base64(b64(bytes)).into())),
        ],
        "pdf" => vec![
            ("url", part(&|| Pdf::from_url(&url).into())),
            ("data_url", part(&|| Pdf::from_url(&data_url).into())),
            ("path", part(&|| Pdf::from_path(&path).unwrap().into())),
            ("bytes", part(&|| Pdf::from_bytes(bytes).into())),
            ("base64", part(&|| Pdf::from_base64(b64(bytes)).into())),
        ],
        _ => vec![
            ("url", part(&|| Attachment::from_url(&url).into())),
            ("data_url", part(&|| Attachment::from_url(&data_url).into())),
            (
                "path",
                part(&|| Attachment::from_path(&path).unwrap().into()),
            ),
            (
                "bytes",
                part(&|| Attachment::from_bytes(bytes).with_mime(mime).into()),
            ),
            (
                "base64",
                part(&|| Attachment::from_base64(b64(bytes)).with_mime(mime).into()),
            ),
        ],
    };
    list.into_iter().map(|(s, p)| (s.to_owned(), p)).collect()
}

const KINDS: [&str; 5] = ["image", "audio", "audio_mp3", "pdf", "text_file"];

/// The provider clients, each with where its user content sits in the body.
fn providers() -> Vec<(&'static str, Client, &'static str)> {
    let openai = instructor::from_openai(OpenAI::new("k")).with_model("gpt-4o");
    let mut list = vec![
        ("openai_chat", openai.clone(), "/messages/0/content"),
        (
            "openai_responses",
            openai.with_mode(Mode::ResponsesTools),
            "/input/0/content",
        ),
    ];
    #[cfg(feature = "anthropic")]
    list.push((
        "anthropic",
        instructor::from_anthropic(instructor::providers::Anthropic::new("k"))
            .with_model("claude-sonnet-4-5"),
        "/messages/0/content",
    ));
    #[cfg(feature = "gemini")]
    list.push((
        "gemini",
        instructor::from_gemini(instructor::providers::Gemini::new("k"))
            .with_model("gemini-2.5-flash"),
        "/contents/0/parts",
    ));
    list
}

/// The body built for `message`, or the pre-flight error's text.
fn build(client: &Client, message: Message) -> Result<Value, String> {
    let request = Request::default().message(message);
    let prepared = client
        .prepare::<Summary>(&request)
        .map_err(|e| e.to_string())?;
    client
        .provider()
        .build_body(&prepared)
        .map_err(|e| e.to_string())
}

/// For one provider: every kind x source, as the content sent or the error.
fn matrix(client: &Client, pointer: &str) -> BTreeMap<String, Value> {
    let mut table = BTreeMap::new();
    for kind in KINDS {
        for (source, part) in sources(kind) {
            let message = Message::user("Read this.").with_part(part);
            let entry = match build(client, message) {
                Ok(body) => body.pointer(pointer).cloned().unwrap_or(Value::Null),
                Err(error) => Value::from(format!("ERROR: {error}")),
            };
            table.insert(format!("{kind}/{source}"), entry);
        }
    }
    table
}

#[test]
fn every_kind_and_source_on_every_provider() {
    for (name, client, pointer) in providers() {
        let table = matrix(&client, pointer);
        // Every inline source of a kind sends the same bytes.
        for kind in KINDS {
            let inline: Vec<&Value> = ["data_url", "path", "bytes", "base64"]
                .iter()
                .map(|s| &table[&format!("{kind}/{s}")])
                .collect();
            assert!(
                inline
                    .windows(2)
                    .all(|w| strip_name(w[0]) == strip_name(w[1])),
                "{name} {kind}: {inline:?}"
            );
        }
        insta::assert_json_snapshot!(format!("media_{name}"), table);
    }
}

/// A value without file names (a path names the file, other sources do not).
fn strip_name(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(items) = value.as_array_mut() {
        for item in items {
            if let Some(file) = item.get_mut("file").and_then(Value::as_object_mut) {
                file.remove("filename");
            }
            if let Some(object) = item.as_object_mut() {
                object.remove("filename");
            }
        }
    }
    value
}

#[test]
fn many_parts_in_any_order() {
    let message = Message::user("Compare these")
        .image(Image::from_url("https://files.example.com/a.jpg").with_detail("high"))
        .image(Image::from_bytes(PNG))
        .pdf(Pdf::from_bytes(PDF).with_filename("contract.pdf"))
        .with_part(Part::Text("Which one is newer?".into()));
    for (name, client, pointer) in providers() {
        let body = build(&client, message.clone()).unwrap();
        insta::assert_json_snapshot!(
            format!("media_mixed_{name}"),
            body.pointer(pointer).unwrap()
        );
    }
}

#[test]
fn shortcuts_and_the_legacy_image_url() {
    let openai = instructor::from_openai(OpenAI::new("k")).with_model("gpt-4o");
    let legacy = build(
        &openai,
        Message::user_with_image("See", "https://x.test/a.png"),
    )
    .unwrap();
    assert_eq!(
        legacy["messages"][0]["content"],
        serde_json::json!([{"type": "text", "text": "See"}, {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}])
    );
    let pdf = build(
        &openai,
        Message::user_with_pdf("Read", format!("data:application/pdf;base64,{}", b64(PDF))),
    )
    .unwrap();
    assert_eq!(
        pdf["messages"][0]["content"][1]["file"]["filename"],
        "document.pdf"
    );
    let audio = build(
        &openai,
        Message::user_with_audio("Hear", format!("data:audio/wav;base64,{}", b64(WAV))),
    )
    .unwrap();
    assert_eq!(
        audio["messages"][0]["content"][1]["input_audio"]["format"],
        "wav"
    );
}

/// Every combination a provider cannot take, with the words its error must carry.
fn refused() -> Vec<(&'static str, &'static str, Part, &'static [&'static str])> {
    let url = |ext: &str| format!("https://files.example.com/x.{ext}");
    let mut list: Vec<(&str, &str, Part, &[&str])> = vec![
        (
            "openai_chat",
            "audio url",
            Audio::from_url(url("wav")).into(),
            &["audio part", "OpenAI Chat Completions", "inline only"],
        ),
        (
            "openai_chat",
            "pdf url",
            Pdf::from_url(url("pdf")).into(),
            &["PDF part", "OpenAI Chat Completions", "inline only"],
        ),
        (
            "openai_chat",
            "file url",
            Attachment::from_url(url("txt")).into(),
            &["file part", "OpenAI Chat Completions", "inline only"],
        ),
        (
            "openai_chat",
            "flac audio",
            Audio::from_bytes(b"fLaC\0\0\0\x22").into(),
            &["audio part (audio/flac", "wav or mp3"],
        ),
        (
            "openai_responses",
            "audio bytes",
            Audio::from_bytes(WAV).into(),
            &["audio part", "OpenAI Responses API", "not audio"],
        ),
        (
            "openai_responses",
            "audio url",
            Audio::from_url(url("mp3")).into(),
            &["audio part", "OpenAI Responses API"],
        ),
    ];
    if cfg!(feature = "anthropic") {
        list.extend::<Vec<(&str, &str, Part, &[&str])>>(vec![
            (
                "anthropic",
                "audio bytes",
                Audio::from_bytes(WAV).into(),
                &["audio part", "Anthropic", "no audio"],
            ),
            (
                "anthropic",
                "audio url",
                Audio::from_url(url("wav")).into(),
                &["audio part", "Anthropic"],
            ),
            (
                "anthropic",
                "bmp image",
                Image::from_bytes(b"BM\0\0\0\0\0\0\0\0\0\0\0\0\0\0").into(),
                &[
                    "image part (image/bmp",
                    "Anthropic",
                    "JPEG, PNG, GIF or WebP",
                ],
            ),
            (
                "anthropic",
                "csv url",
                Attachment::from_url(url("csv")).into(),
                &["file part", "Anthropic", "inline only"],
            ),
            (
                "anthropic",
                "mp4 file",
                Attachment::from_bytes(b"\0\0\0\x20ftypisom\0").into(),
                &["file part (video/mp4", "Anthropic", "PDF or plain text"],
            ),
            (
                "anthropic",
                "non-utf8 text",
                Attachment::from_bytes(b"\xff\xfe")
                    .with_mime("text/plain")
                    .into(),
                &["file part", "Anthropic", "UTF-8"],
            ),
        ]);
    }
    if cfg!(feature = "gemini") {
        list.push((
            "gemini",
            "image url without type",
            Image::from_url("https://files.example.com/img").into(),
            &["image part (from a URL)", "Gemini", "with_mime"],
        ));
    }
    list
}

#[test]
fn unsupported_combinations_fail_before_sending() {
    let clients: BTreeMap<&str, Client> = providers().into_iter().map(|(n, c, _)| (n, c)).collect();
    for (provider, case, part, words) in refused() {
        let error = build(&clients[provider], Message::user("x").with_part(part))
            .expect_err(&format!("{provider} {case} must be refused"));
        assert!(
            error.starts_with("configuration error"),
            "{provider} {case}: {error}"
        );
        for word in words {
            assert!(
                error.contains(word),
                "{provider} {case}: `{word}` missing from: {error}"
            );
        }
    }
}

#[test]
fn media_in_a_system_message_is_refused_where_system_is_text_only() {
    for (provider, client, _) in providers() {
        if provider.starts_with("openai") {
            continue;
        }
        let system = Message::system("Policy").pdf(Pdf::from_bytes(PDF));
        let request = Request::default().message(system).user("x");
        let prepared = client.prepare::<Summary>(&request).unwrap();
        let error = client
            .provider()
            .build_body(&prepared)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("PDF part") && error.contains("system instruction takes text only"),
            "{provider}: {error}"
        );
    }
}

#[tokio::test]
async fn a_refused_part_sends_nothing() {
    let server = serve_chat(vec![tool_answer("Summary", r#"{"title":"t"}"#, (1, 1))]).await;
    // With downloads off, a URL the provider takes inline only is refused.
    let client = openai_client(&server).with_url_fetch(UrlFetchPolicy::disabled());
    let request = Request::new("gpt-4o")
        .message(Message::user("x").audio(Audio::from_url("https://x.test/a.wav")));
    let error = client.create::<Summary>(request).await.unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(bodies(&server).await.is_empty(), "nothing may be sent");
    // The same part inline goes through.
    let request = Request::new("gpt-4o").message(Message::user("x").audio(Audio::from_bytes(WAV)));
    client.create::<Summary>(request).await.unwrap();
    assert_eq!(bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn caps_are_checked_before_sending() {
    let server = serve_chat(vec![tool_answer("Summary", r#"{"title":"t"}"#, (1, 1))]).await;
    let big = Image::from_bytes([PNG, &[0u8; 100]].concat());
    let client =
        openai_client(&server).with_media_limits(MediaLimits::default().max_part_bytes(64));
    let request = Request::new("gpt-4o").message(Message::user("x").image(big.clone()));
    let error = client
        .create::<Summary>(request.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("116 bytes") && error.contains("64 allowed per part"),
        "{error}"
    );
    // The request's own limits win over the client's; the total is capped too.
    let two = request
        .clone()
        .message(Message::user("y").image(big.clone()));
    let limits = MediaLimits::default()
        .max_part_bytes(200)
        .max_request_bytes(200);
    let error = client
        .create::<Summary>(two.media_limits(limits))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("232 bytes") && error.contains("200 allowed per request"),
        "{error}"
    );
    assert!(bodies(&server).await.is_empty(), "nothing may be sent");
    client
        .create::<Summary>(request.media_limits(limits))
        .await
        .unwrap();
    assert_eq!(bodies(&server).await.len(), 1);
}
