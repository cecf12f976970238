//! A custom validator that reads the request's context: the answer's citation must be
//! a verbatim quote of the text chunk given in the context (Python's
//! `validation_context` with `ValidationInfo.context`). The same context also fills
//! the prompt template.
//!
//! ```sh
//! cargo run --example validation_context                        # offline: replays recorded answers
//! OPENAI_API_KEY=sk-... cargo run --example validation_context  # the real OpenAI API
//! ```
//!
//! Offline, the first recorded answer paraphrases instead of quoting, so the validator
//! rejects it and the model is reasked with the error.

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An answer and the exact sentence fragment it rests on.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AnswerWithCitation {
    answer: String,
    /// A verbatim quote from the text chunk.
    #[instruct(validate = citation_exists)]
    citation: String,
}

/// The citation must occur in the context's `text_chunk` (no check without one).
fn citation_exists(citation: &str, ctx: &ValidationContext<'_>) -> Result<(), String> {
    match ctx.get("text_chunk").and_then(|chunk| chunk.as_str()) {
        Some(chunk) if !chunk.contains(citation) => {
            Err(format!("Citation `{citation}` not found in text chunks"))
        }
        _ => Ok(()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"answer": "Jason went to the University of Waterloo.", "citation": "Jason graduated from the University of Waterloo"}"#,
        r#"{"answer": "Jason went to the University of Waterloo.", "citation": "studied at the University of Waterloo"}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider);
    client.on(HookEvent::ParseError, |payload| {
        if let instructor::HookPayload::ParseError { error, attempt, .. } = payload {
            println!("Attempt {attempt} rejected, reasking with:\n{error}\n");
        }
    });

    let text_chunk = "Jason Liu is a machine learning engineer who lives in San Francisco. \
                      He was born in Toronto and studied at the University of Waterloo.";
    let request = Request::new("gpt-4o-mini")
        .user("Answer the question: {{ question }} using the text chunk: {{ text_chunk }}")
        .context(json!({"question": "Where did Jason go to school?", "text_chunk": text_chunk}))
        .max_retries(2);
    let resp: AnswerWithCitation = client.create(request).await?;
    println!("{resp:#?}");

    // The same validator, run by hand against another context.
    let other = json!({"text_chunk": "Jason lives in San Francisco."});
    match resp.validate(&ValidationContext::new(&other)) {
        Ok(()) => println!("Also valid against the other chunk."),
        Err(errors) => println!("Against another chunk: {errors}"),
    }
    Ok(())
}
