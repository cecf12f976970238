//! Simple types as response models: `bool`, `Vec<String>`, an enum, a number. On the
//! wire they are wrapped in `{"content": ...}`, lists in `create_iterable`'s
//! `{"tasks": [...]}` (tool and JSON answers must be objects), and unwrapped on
//! return, as Python instructor does.
//!
//! ```sh
//! cargo run --example simple_types                        # offline: replays recorded answers
//! OPENAI_API_KEY=sk-... cargo run --example simple_types  # the real OpenAI API
//! ```

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use serde::{Deserialize, Serialize};

/// The sentiment of a text.
#[derive(Instruct, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"content": true}"#,
        r#"{"tasks": ["red", "yellow", "blue"]}"#,
        r#"{"content": "negative"}"#,
        r#"{"content": 8}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider).with_model("gpt-4o-mini");

    let answer = client
        .create::<bool>(Request::default().user("Is the Eiffel Tower in Paris?"))
        .await?;
    println!("bool: {answer}");

    let colors: Vec<String> = client
        .create(Request::default().user("List the three primary colors of paint."))
        .await?;
    println!("Vec<String>: {colors:?}");

    let sentiment: Sentiment =
        client
            .create(Request::default().user(
                "What is the sentiment of: \"The delivery was late and the box was crushed.\"",
            ))
            .await?;
    println!("enum: {sentiment:?}");

    let planets: u32 = client
        .create(Request::default().user("How many planets are in the solar system?"))
        .await?;
    println!("u32: {planets}");
    Ok(())
}
