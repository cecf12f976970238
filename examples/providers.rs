//! The remaining provider tabs of the instructor front page (seed 002) in Rust, one
//! section each: Ollama, llama-cpp-python (the llama.cpp server), Vertex AI, Groq,
//! Litellm, Cohere, Cerebras and Fireworks. (OpenAI, Anthropic and Gemini have their
//! own examples: `quickstart`, `anthropic`, `gemini`.) Each section extracts the
//! tab's `ExtractUser` from the tab's prompt, in the tab's mode where instructor for
//! Rust has it, and prints the typed result.
//!
//! ```sh
//! cargo run --example providers                       # offline: replays recorded answers
//! GROQ_API_KEY=gsk_... cargo run --example providers  # Groq for real, the rest offline
//! ```
//!
//! Every section reads the variables a user of that service would set, calls the real
//! service when they are set, and otherwise replays recorded answers from a local
//! server speaking OpenAI's wire format (nothing leaves the machine):
//!
//! | tab | Rust | live when set |
//! | --- | --- | --- |
//! | Ollama | `from_provider("ollama/llama3")` | `OLLAMA_BASE_URL` or `OLLAMA_API_KEY` |
//! | llama-cpp-python | `from_provider("llamacpp/..")` (a `llama-server`) | `LLAMACPP_BASE_URL` or `LLAMACPP_API_KEY` |
//! | Vertex AI | `OpenAI::with_base_url` (Vertex's OpenAI-compatible endpoint; natively: the `vertexai` example) | `VERTEX_ACCESS_TOKEN` (+ `GOOGLE_CLOUD_PROJECT`, `GOOGLE_CLOUD_LOCATION`) |
//! | Groq | `from_provider("groq/..")` | `GROQ_API_KEY` |
//! | Litellm | `OpenAI::with_base_url` (a LiteLLM proxy) | `LITELLM_BASE_URL` (+ `LITELLM_API_KEY`) |
//! | Cohere | `OpenAI::with_base_url` (Cohere's compatibility API; natively: the `cohere` example) | `COHERE_API_KEY` |
//! | Cerebras | `from_provider("cerebras/..")` | `CEREBRAS_API_KEY` |
//! | Fireworks | `from_provider("fireworks/..")` | `FIREWORKS_API_KEY` |
//!
//! Offline, each section uses the tab's model name. Against a real service several of
//! those are retired, so a current default is used instead (printed); override it
//! with `<SERVICE>_MODEL` (`OLLAMA_MODEL`, `GROQ_MODEL`, `VERTEX_MODEL`, ...).

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use instructor::providers::OpenAI;
use replay::Replay;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ExtractUser {
    name: String,
    age: u32,
}

/// One tab: its label, the `from_provider` prefix (also the `<KEY>_MODEL` override's
/// name), the variables that switch it to the real service (any one of them), the
/// tab's model (used offline) and the model used against the real service.
struct Tab {
    name: &'static str,
    key: &'static str,
    live: &'static [&'static str],
    seed_model: &'static str,
    live_model: &'static str,
}

/// Opens a tab: `build(None, model)` for the real service when one of `tab.live` is
/// set, else `build(Some(replay_url), model)` over a new replay server answering
/// `answer`. The server is returned and must be kept alive while calling.
async fn open(
    tab: &Tab,
    answer: &'static str,
    build: impl FnOnce(Option<String>, &str) -> instructor::Result<Client>,
) -> instructor::Result<(Client, Option<Replay>)> {
    let live = tab.live.iter().any(|name| replay::has_env(name));
    println!("=== {}", tab.name);
    replay::announce(live, tab.name, &tab.live.join(" or "));
    let model_var = format!("{}_MODEL", tab.key.to_uppercase());
    let model = match std::env::var(&model_var) {
        Ok(model) if live && !model.trim().is_empty() => model,
        _ if live => tab.live_model.to_owned(),
        _ => tab.seed_model.to_owned(),
    };
    let replay = match live {
        true => None,
        false => Some(Replay::start(vec![answer]).await),
    };
    let client = build(replay.as_ref().map(Replay::base_url), &model)?;
    println!("model `{model}`, Mode::{:?}", client.mode());
    Ok((client, replay))
}

/// A tab with a `from_provider` preset: `instructor::from_provider("<key>/<model>")`
/// (the preset's URL and environment variables); offline, the same preset pointed at
/// the replay server (`OpenAI::for_service`).
async fn preset(
    tab: &Tab,
    mode: Mode,
    answer: &'static str,
) -> instructor::Result<(Client, Option<Replay>)> {
    open(tab, answer, |replay_url, model| {
        let client = match replay_url {
            None => instructor::from_provider(&format!("{}/{model}", tab.key))?,
            Some(url) => {
                let offline = OpenAI::for_service(tab.key, Some("offline".into()), Some(url))?;
                instructor::from_openai(offline).with_model(model)
            }
        };
        client.try_with_mode(mode)
    })
    .await
}

/// A tab over an OpenAI-compatible endpoint: `endpoint()` gives the real base URL and
/// key; offline, the replay server's.
async fn compatible(
    tab: &Tab,
    mode: Mode,
    answer: &'static str,
    endpoint: impl FnOnce() -> instructor::Result<(String, Option<String>)>,
) -> instructor::Result<(Client, Option<Replay>)> {
    open(tab, answer, |replay_url, model| {
        let (base_url, key) = match replay_url {
            None => endpoint()?,
            Some(url) => (url, Some("offline".to_owned())),
        };
        instructor::from_openai(OpenAI::with_base_url(base_url, key))
            .with_model(model)
            .try_with_mode(mode)
    })
    .await
}

/// The variable `name`, or `Error::Config` saying what it is for.
fn require(name: &str, what: &str) -> instructor::Result<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| Error::config(format!("set {name} ({what})")))
}

fn check(user: &ExtractUser, name: &str, age: u32) {
    assert_eq!(user.name, name);
    assert_eq!(user.age, age);
    println!("{user:?}\n");
}

const JASON_25: &str = r#"{"name": "Jason", "age": 25}"#;
const PROMPT: &str = "Extract Jason is 25 years old.";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // --- Ollama: the tab's `OpenAI(base_url="http://localhost:11434/v1")` in
    // `Mode.JSON` is the `ollama` preset (`OLLAMA_BASE_URL`, default that URL; Ollama
    // ignores the key, so none is needed).
    let tab = Tab {
        name: "Ollama",
        key: "ollama",
        live: &["OLLAMA_BASE_URL", "OLLAMA_API_KEY"],
        seed_model: "llama3",
        live_model: "llama3",
    };
    let (client, _replay) = preset(&tab, Mode::Json, JASON_25).await?;
    let resp: ExtractUser = client.create(Request::default().user(PROMPT)).await?;
    check(&resp, "Jason", 25);

    // --- llama-cpp-python: the tab loads a GGUF in-process and patches
    // `create_chat_completion_openai_v1` in `Mode.JSON_SCHEMA`. Rust cannot host the
    // model in-process; the `llamacpp` preset talks to llama.cpp's own server instead
    // (`LLAMACPP_BASE_URL`, default `http://localhost:8080/v1`), started with the
    // tab's settings as flags: `llama-server -m openhermes-2.5-mistral-7b.Q4_K_M.gguf
    // -ngl 99 -c 2048 --chat-template chatml`. `Mode::JsonSchema` sends the schema as
    // `response_format`, which llama-server turns into a grammar.
    let tab = Tab {
        name: "llama.cpp server",
        key: "llamacpp",
        live: &["LLAMACPP_BASE_URL", "LLAMACPP_API_KEY"],
        seed_model: "openhermes-2.5-mistral-7b",
        live_model: "openhermes-2.5-mistral-7b",
    };
    let answer = r#"{"name": "Jason", "age": 30}"#;
    let (client, _replay) = preset(&tab, Mode::JsonSchema, answer).await?;
    let user: ExtractUser = client
        .create(Request::default().user("Extract `Jason is 30 years old`"))
        .await?;
    check(&user, "Jason", 30);

    // --- Vertex AI: natively it is `examples/vertexai.rs` (feature `vertexai`:
    // `from_provider("vertexai/gemini-2.5-flash")`, Application Default Credentials,
    // tokens refreshed for you). This section shows the other route, Vertex AI's
    // OpenAI-compatible endpoint, with a bearer token you mint yourself
    // (`VERTEX_ACCESS_TOKEN=$(gcloud auth print-access-token)`; it expires after
    // about an hour and nothing refreshes it). `Mode::Tools` there is a forced
    // function call, which Vertex runs as Gemini function calling.
    let tab = Tab {
        name: "Vertex AI (OpenAI-compatible endpoint)",
        key: "vertex",
        live: &["VERTEX_ACCESS_TOKEN"],
        seed_model: "gemini-1.5-pro-preview-0409",
        live_model: "google/gemini-2.5-flash",
    };
    let (client, _replay) = compatible(&tab, Mode::Tools, JASON_25, || {
        let token = require("VERTEX_ACCESS_TOKEN", "gcloud auth print-access-token")?;
        let project = require("GOOGLE_CLOUD_PROJECT", "your Google Cloud project id")?;
        let location =
            std::env::var("GOOGLE_CLOUD_LOCATION").unwrap_or_else(|_| "us-central1".into());
        let host = match location.as_str() {
            "global" => "aiplatform.googleapis.com".to_owned(),
            region => format!("{region}-aiplatform.googleapis.com"),
        };
        let base_url = format!(
            "https://{host}/v1beta1/projects/{project}/locations/{location}/endpoints/openapi"
        );
        Ok((base_url, Some(token)))
    })
    .await?;
    let resp: ExtractUser = client.create(Request::default().user(PROMPT)).await?;
    check(&resp, "Jason", 25);

    // --- Groq: `from_groq(Groq())` in its default tool mode is the `groq` preset
    // (`GROQ_API_KEY`) in `Mode::Tools`. The tab's `llama3-70b-8192` is retired.
    let tab = Tab {
        name: "Groq",
        key: "groq",
        live: &["GROQ_API_KEY"],
        seed_model: "llama3-70b-8192",
        live_model: "llama-3.3-70b-versatile",
    };
    let (client, _replay) = preset(&tab, Mode::Tools, JASON_25).await?;
    let resp: ExtractUser = client.create(Request::default().user(PROMPT)).await?;
    check(&resp, "Jason", 25);

    // --- Litellm: Python's `from_litellm(completion)` routes in-process to any
    // provider. In Rust the same routing is LiteLLM's proxy, which speaks OpenAI's API:
    // `LITELLM_BASE_URL` (e.g. `http://localhost:4000`) and the proxy's key
    // `LITELLM_API_KEY` if it has one. The model is a name from the proxy's config.
    let tab = Tab {
        name: "LiteLLM proxy",
        key: "litellm",
        live: &["LITELLM_BASE_URL"],
        seed_model: "claude-3-opus-20240229",
        live_model: "claude-3-opus-20240229",
    };
    let (client, _replay) = compatible(&tab, Mode::Tools, JASON_25, || {
        let base_url = require("LITELLM_BASE_URL", "the LiteLLM proxy's address")?;
        Ok((base_url, std::env::var("LITELLM_API_KEY").ok()))
    })
    .await?;
    let resp: ExtractUser = client
        .create(Request::default().max_tokens(1024).user(PROMPT))
        .await?;
    check(&resp, "Jason", 25);

    // --- Cohere through its compatibility API (natively: the `cohere` example):
    // it is OpenAI-compatible, so `OpenAI::with_base_url` with `COHERE_API_KEY`. Python's
    // default `COHERE_TOOLS` puts the JSON schema in the prompt and parses the JSON the
    // model writes (no tool call): in Rust that is `Mode::MdJson`. The tab names no
    // model; the compatibility API needs one.
    let tab = Tab {
        name: "Cohere",
        key: "cohere",
        live: &["COHERE_API_KEY"],
        seed_model: "command-a-03-2025",
        live_model: "command-a-03-2025",
    };
    let (client, _replay) = compatible(&tab, Mode::MdJson, JASON_25, || {
        let key = require("COHERE_API_KEY", "your Cohere API key")?;
        Ok(("https://api.cohere.ai/compatibility/v1".into(), Some(key)))
    })
    .await?;
    let resp: ExtractUser = client.create(Request::default().user(PROMPT)).await?;
    check(&resp, "Jason", 25);

    // --- Cerebras: `from_cerebras(Cerebras(api_key=..))` (default `CEREBRAS_TOOLS`, a
    // forced tool call) is the `cerebras` preset (`CEREBRAS_API_KEY`) in
    // `Mode::Tools`. The tab's `llama3.1-70b` is retired.
    let tab = Tab {
        name: "Cerebras",
        key: "cerebras",
        live: &["CEREBRAS_API_KEY"],
        seed_model: "llama3.1-70b",
        live_model: "llama-3.3-70b",
    };
    let (client, _replay) = preset(&tab, Mode::Tools, JASON_25).await?;
    let resp: ExtractUser = client.create(Request::default().user(PROMPT)).await?;
    check(&resp, "Jason", 25);

    // --- Fireworks: `from_fireworks(Fireworks(api_key=..))` (default
    // `FIREWORKS_TOOLS`) is the `fireworks` preset (`FIREWORKS_API_KEY`) in
    // `Mode::Tools`.
    let tab = Tab {
        name: "Fireworks",
        key: "fireworks",
        live: &["FIREWORKS_API_KEY"],
        seed_model: "accounts/fireworks/models/llama-v3p2-1b-instruct",
        live_model: "accounts/fireworks/models/llama-v3p2-1b-instruct",
    };
    let (client, _replay) = preset(&tab, Mode::Tools, JASON_25).await?;
    let resp: ExtractUser = client.create(Request::default().user(PROMPT)).await?;
    check(&resp, "Jason", 25);
    Ok(())
}
