//! Validation with a model as the judge, and a reask when a validator rejects an
//! answer (the Rust twin of "Validation" on the instructor front page, seed 002,
//! which uses `llm_validator("don't say objectionable things")`).
//!
//! ```sh
//! cargo run --example validation                        # offline: replays recorded answers
//! OPENAI_API_KEY=sk-... cargo run --example validation  # the real OpenAI API
//! ```
//!
//! instructor for Rust has no `llm_validator`: validators are plain synchronous
//! functions, so they cannot call a model. Part 1 asks the model for a verdict with
//! the same prompt and verdict model as Python's `llm_validator`, then reports the
//! failure at the field, as pydantic would. Part 2 puts a local rule in a field
//! validator, which makes `create` reask the model with the error.

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use instructor::validate::Validator;
use serde::{Deserialize, Serialize};

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct QuestionAnswer {
    question: String,
    answer: String,
}

/// Python's `llm_validator` response model.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(name = "Validator")]
struct Verdict {
    /// Whether the value is valid given the rules.
    is_valid: bool,
    /// The reason the value is invalid, if any.
    reason: Option<String>,
    /// A corrected value, if the value is invalid.
    fixed_value: Option<String>,
}

/// `llm_validator(statement)` applied to `value`: `Ok(Err(reason))` when the model
/// judges that the value breaks the statement.
async fn llm_validator(
    client: &Client,
    statement: &str,
    value: &str,
) -> instructor::Result<Result<(), String>> {
    let verdict: Verdict = client
        .create(
            Request::new("gpt-4o-mini")
                .system(
                    "You are a world class validation model. Capable to determine if the \
                     following value is valid for the statement, if it is not, explain why \
                     and suggest a new value.",
                )
                .user(format!("Does `{value}` follow the rules: {statement}"))
                .temperature(0.0),
        )
        .await?;
    Ok(if verdict.is_valid {
        Ok(())
    } else {
        Err(verdict
            .reason
            .unwrap_or_else(|| "no reason given".to_owned()))
    })
}

/// Part 2's answer, checked by a local rule.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(name = "QuestionAnswer")]
struct QuestionAnswerNoEvil {
    question: String,
    #[instruct(validate = no_objectionable)]
    answer: String,
}

/// A stand-in for `llm_validator` that runs locally: rejects objectionable words.
fn no_objectionable(answer: &str, _: &ValidationContext<'_>) -> Result<(), String> {
    let lower = answer.to_lowercase();
    match ["evil", "steal", "sin", "debauchery"].iter().find(|word| {
        lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == **word)
    }) {
        Some(word) => Err(format!(
            "don't say objectionable things (the answer says `{word}`)"
        )),
        None => Ok(()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );

    // --- Seed 002 "Validation": constructing `QuestionAnswer` fails because the model
    // judges the answer objectionable.
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"is_valid": false, "reason": "The statement promotes objectionable behavior by encouraging evil and stealing.", "fixed_value": null}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider);
    let qa = QuestionAnswer {
        question: "What is the meaning of life?".to_owned(),
        answer: "The meaning of life is to be evil and steal".to_owned(),
    };
    let verdict = llm_validator(&client, "don't say objectionable things", &qa.answer).await?;
    let context = ValidationContext::empty();
    let mut validator = Validator::new(&context);
    if let Err(reason) = verdict {
        validator.at_field("answer", |v| {
            v.report("custom", format!("Assertion failed, {reason}"))
        });
    }
    match validator.finish() {
        Ok(()) => println!("Valid: {qa:?}"),
        Err(errors) => println!("QuestionAnswer is invalid: {errors}"),
    }

    // Part 2 (not in the seed, from instructor's reask docs): the rule in a field
    // validator; offline, the first recorded answer repeats the context's wording, is
    // rejected, and the reask gets an acceptable answer.
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"question": "What is the meaning of life?", "answer": "According to the devil, the meaning of life is a life of sin and debauchery."}"#,
        r#"{"question": "What is the meaning of life?", "answer": "The context only reports the devil's view of life; it does not give a meaning of life I can recommend."}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider);
    client.on(HookEvent::ParseError, |payload| {
        if let instructor::HookPayload::ParseError { error, attempt, .. } = payload {
            println!("Attempt {attempt} rejected, reasking with:\n{error}");
        }
    });
    let context = "The according to the devil the meaning of life is a life of sin and debauchery.";
    let qa: QuestionAnswerNoEvil = client
        .create(
            Request::new("gpt-4o-mini")
                .system(
                    "You are a system that answers questions based on the context. answer \
                     exactly what the question asks using the context.",
                )
                .user(format!(
                    "using the context: {context}\n\nAnswer the following question: What is \
                     the meaning of life?"
                ))
                .max_retries(2),
        )
        .await?;
    println!("After the reask: {qa:#?}");
    Ok(())
}
