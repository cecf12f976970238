//! Transforms over loopback: `create` returns the fixed value, a failing transform is
//! reasked with its path and message, and a streamed answer's early field checks see
//! the transformed field (no reask for what a transform fixes).

use crate::common::sse::{Script, chat_tool_stream, pieces, stream_server};
use crate::common::{bodies, client, serve_chat, tool_answer};
use instructor::prelude::*;
use instructor::providers::OpenAI;
use serde::{Deserialize, Serialize};

fn tidy(value: String) -> Result<String, String> {
    Ok(value.trim().to_lowercase())
}

fn known_unit(value: String, context: &ValidationContext<'_>) -> Result<String, String> {
    let units = context
        .get("units")
        .and_then(|u| u.as_array())
        .cloned()
        .unwrap_or_default();
    if units.iter().any(|u| u.as_str() == Some(value.as_str())) {
        Ok(value)
    } else {
        Err(format!(
            "unknown unit `{value}`; use one of {}",
            serde_json::Value::Array(units)
        ))
    }
}

/// A measurement.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Measure {
    #[instruct(transform = tidy, transform = known_unit, pattern = "^[a-z]+$")]
    unit: String,
    value: f64,
}

fn request() -> Request {
    Request::default()
        .user("It weighs 3 KG")
        .context(serde_json::json!({"units": ["kg", "g"]}))
        .max_retries(1)
}

#[tokio::test]
async fn create_returns_the_transformed_value_and_reasks_a_failed_transform() {
    let server = serve_chat(vec![
        tool_answer("Measure", r#"{"unit": "Pounds", "value": 3}"#, (1, 1)),
        tool_answer("Measure", r#"{"unit": " KG ", "value": 3}"#, (1, 1)),
    ])
    .await;
    let measure: Measure = client(&server).create(request()).await.unwrap();
    assert_eq!(measure.unit, "kg");
    let reask = bodies(&server).await[1]["messages"].to_string();
    assert!(
        reask.contains(r#"unit: unknown unit `pounds`; use one of [\"kg\",\"g\"]"#),
        "{reask}"
    );
}

#[tokio::test]
async fn streamed_early_checks_see_the_transformed_field() {
    let args = r#"{"unit": " KG ", "value": 3}"#;
    let (url, _) = stream_server(vec![Script {
        events: chat_tool_stream("Measure", &pieces(args, 3), (1, 1)),
        ..Script::default()
    }])
    .await;
    let client =
        instructor::from_openai(OpenAI::new("sk-test").base_url(url)).with_model("gpt-4o-mini");
    // One scripted answer only: an early reask (the pattern failing on " KG ") would
    // find no second answer.
    let measure = client
        .create_partial::<Measure>(request().max_retries(0))
        .await
        .unwrap()
        .into_final()
        .await
        .unwrap();
    assert_eq!(measure.unit, "kg");
}
