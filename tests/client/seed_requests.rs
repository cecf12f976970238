//! The seed scenarios' requests (OpenAI, OpenRouter, WorkflowAI, Azure) produce the
//! right URL, headers and body, over real HTTP on loopback.

use crate::common::*;
use instructor::prelude::*;
use instructor::providers::{AzureOpenAI, OpenAI};
use serde::{Deserialize, Serialize};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserInfo {
    name: String,
    age: u32,
}

/// Whether an email address is personal or work.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct EmailAddressClassificationOutput {
    kind: String,
}

fn answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(tool_answer(
        "UserInfo",
        r#"{"name":"John Doe","age":32}"#,
        (1, 1),
    ))
}

fn content(json: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(text_answer(json, (1, 1)))
}

#[tokio::test]
async fn openai_tools() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-openai"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({"model": "gpt-4o-mini", "tool_choice": {"type": "function", "function": {"name": "UserInfo"}}})))
        .respond_with(answer())
        .expect(1)
        .mount(&server)
        .await;
    let client = instructor::from_openai(
        OpenAI::for_service(
            "openai",
            Some("sk-openai".into()),
            Some(format!("{}/v1", server.uri())),
        )
        .unwrap(),
    );
    let user: UserInfo = client
        .create(Request::new("gpt-4o-mini").user("John Doe is 32 years old."))
        .await
        .unwrap();
    assert_eq!(user.age, 32);
}

#[tokio::test]
async fn openrouter_structured_outputs_with_provider_routing_and_attribution_headers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-or"))
        .and(header("http-referer", "https://example.com"))
        .and(header("x-title", "My App"))
        .and(body_partial_json(json!({
            "model": "google/gemini-2.0-flash-001",
            "provider": {"require_parameters": true},
            "response_format": {"type": "json_schema", "json_schema": {"name": "UserInfo", "strict": true}}
        })))
        .respond_with(content(r#"{"name":"John Doe","age":32}"#))
        .expect(1)
        .mount(&server)
        .await;
    let provider = OpenAI::for_service(
        "openrouter",
        Some("sk-or".into()),
        Some(format!("{}/api/v1", server.uri())),
    )
    .unwrap()
    .header("HTTP-Referer", "https://example.com")
    .header("X-Title", "My App");
    let client = instructor::from_openai(provider).with_mode(Mode::OpenRouterStructuredOutputs);
    let request = Request::new("google/gemini-2.0-flash-001")
        .user("John Doe is 32 years old.")
        .extra_body(json!({"provider": {"require_parameters": true}}));
    let user: UserInfo = client.create(request).await.unwrap();
    assert_eq!(user.name, "John Doe");
    let body = &bodies(&server).await[0];
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["additionalProperties"],
        false
    );
}

#[tokio::test]
async fn workflowai_agent_model_templated_input_and_deployment() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer wai-key"))
        .respond_with(content(r#"{"kind":"personal"}"#))
        .expect(2)
        .mount(&server)
        .await;
    let provider = OpenAI::for_service(
        "workflowai",
        Some("wai-key".into()),
        Some(format!("{}/v1", server.uri())),
    )
    .unwrap();
    let client = instructor::from_openai(provider);
    assert_eq!(
        client.mode(),
        Mode::OpenRouterStructuredOutputs,
        "WorkflowAI's recommended mode is the preset's default"
    );

    let templated = Request::new("email-classifier-agent/gpt-4o-mini")
        .system("You must classify the email address as:\n- 'personal'\n- 'work'\n- 'unsure'")
        .user("The email address is:\n{{email_address}}")
        .extra_body(json!({"input": {"email_address": "steve@apple.com"}}));
    let out: EmailAddressClassificationOutput = client.create(templated).await.unwrap();
    assert_eq!(out.kind, "personal");

    let deployment = Request::new("email-classifier-agent/#1/production")
        .extra_body(json!({"input": {"email_address": "steve@apple.com"}}));
    let _: EmailAddressClassificationOutput = client.create(deployment).await.unwrap();

    let bodies = bodies(&server).await;
    assert_eq!(bodies[0]["model"], "email-classifier-agent/gpt-4o-mini");
    assert_eq!(
        bodies[0]["messages"][1]["content"], "The email address is:\n{{email_address}}",
        "server-side template untouched"
    );
    assert_eq!(
        bodies[0]["input"],
        json!({"email_address": "steve@apple.com"})
    );
    assert_eq!(bodies[1]["model"], "email-classifier-agent/#1/production");
    assert_eq!(bodies[1]["messages"], json!([]));
    assert_eq!(
        bodies[1]["response_format"]["json_schema"]["name"],
        "EmailAddressClassificationOutput"
    );
}

#[tokio::test]
async fn azure_deployment_and_v1_urls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/openai/deployments/gpt-4o-mini-deploy/chat/completions",
        ))
        .and(query_param("api-version", "2024-02-01"))
        .and(header("api-key", "az-key"))
        .respond_with(answer())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/openai/v1/chat/completions"))
        .and(header("api-key", "az-key"))
        .respond_with(answer())
        .expect(1)
        .mount(&server)
        .await;
    let classic = instructor::from_openai(AzureOpenAI::new(server.uri(), "az-key", "2024-02-01"))
        .with_model("gpt-4o-mini-deploy");
    let user = UserInfo::extract(&classic, "John Doe is 32").await.unwrap();
    assert_eq!(user.age, 32);
    let v1 = instructor::from_openai(AzureOpenAI::new(server.uri(), "az-key", "v1"))
        .with_model("gpt-4o-mini-deploy");
    let user = UserInfo::extract(&v1, "John Doe is 32").await.unwrap();
    assert_eq!(user.name, "John Doe");
    let bodies = bodies(&server).await;
    assert!(
        bodies.iter().all(|b| b.get("api-key").is_none()),
        "the key is a header, never in the body"
    );
}
