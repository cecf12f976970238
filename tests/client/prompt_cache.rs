//! Prompt caching (issue 16 item 4): cache breakpoints on messages and tools become
//! Anthropic's `cache_control`, `prompt_cache_key` reaches OpenAI and `cachedContent`
//! Gemini; a request without them sends what it sent before.

use instructor::prelude::*;
use instructor::providers::{Anthropic, Gemini, OpenAI};
use instructor::{CacheControl, Client};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A policy answer.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Answer {
    allowed: bool,
}

const POLICY: &str = "A 20-page refund policy ...";

fn body(client: &Client, request: Request) -> Value {
    let prepared = client.prepare::<Answer>(&request).unwrap();
    client.provider().build_body(&prepared).unwrap()
}

fn request() -> Request {
    Request::default()
        .message(Message::system(POLICY).with_cache_control(CacheControl::EphemeralOneHour))
        .message(
            Message::user("The shared examples ...").with_cache_control(CacheControl::Ephemeral),
        )
        .user("May I return shoes after 40 days?")
        .cache_tools(CacheControl::Ephemeral)
        .prompt_cache_key("refunds-v1")
        .cached_content("cachedContents/refund-policy")
}

#[test]
fn anthropic_marks_system_messages_and_tools() {
    let client = instructor::from_anthropic(Anthropic::new("k")).with_model("claude-sonnet-4-5");
    let body = body(&client, request());
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": POLICY, "cache_control": {"type": "ephemeral", "ttl": "1h"}}])
    );
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type": "text", "text": "The shared examples ...", "cache_control": {"type": "ephemeral"}}])
    );
    assert_eq!(
        body["messages"][1]["content"],
        "May I return shoes after 40 days?"
    );
    assert_eq!(
        body["tools"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert!(body.get("prompt_cache_key").is_none() && body.get("cachedContent").is_none());
    // Without breakpoints: plain string content and no cache_control anywhere.
    let plain = self::body(&client, Request::default().system(POLICY).user("x"));
    assert!(!plain.to_string().contains("cache_control"), "{plain}");
}

#[test]
fn openai_gets_its_cache_key_and_gemini_its_cached_content() {
    let openai = instructor::from_openai(OpenAI::new("k")).with_model("gpt-4o-mini");
    let sent = body(&openai, request());
    assert_eq!(sent["prompt_cache_key"], "refunds-v1");
    assert!(
        !sent.to_string().contains("cache_control"),
        "OpenAI caches by itself"
    );
    let responses = openai.clone().with_mode(Mode::ResponsesTools);
    assert_eq!(
        body(&responses, request())["prompt_cache_key"],
        "refunds-v1"
    );
    let gemini = instructor::from_gemini(Gemini::new("k")).with_model("gemini-2.5-flash");
    let sent = body(&gemini, request());
    assert_eq!(sent["cachedContent"], "cachedContents/refund-policy");
    assert!(sent.get("prompt_cache_key").is_none());
}

#[tokio::test]
async fn openai_reports_the_cached_prompt_tokens_of_chat_and_responses_answers() {
    let mut chat = crate::common::tool_answer("Answer", r#"{"allowed": true}"#, (2048, 5));
    chat["usage"]["prompt_tokens_details"] = json!({"cached_tokens": 1536});
    let server = crate::common::serve_chat(vec![chat]).await;
    let (_, summary) = crate::common::client(&server)
        .create_with_completion::<Answer>(request())
        .await
        .unwrap();
    assert_eq!(summary.total_usage.prompt_tokens, 2048);
    assert_eq!(summary.total_usage.cached_tokens, 1536);

    let mut responses =
        crate::common::responses_answer("Answer", r#"{"allowed": true}"#, (2048, 5));
    responses["usage"]["input_tokens_details"] = json!({"cached_tokens": 1024});
    let server = crate::common::serve(
        "/v1/responses",
        vec![wiremock::ResponseTemplate::new(200).set_body_json(responses)],
    )
    .await;
    let (_, summary) = crate::common::client(&server)
        .with_mode(Mode::ResponsesTools)
        .create_with_completion::<Answer>(request())
        .await
        .unwrap();
    assert_eq!(summary.total_usage.cached_tokens, 1024);
}
