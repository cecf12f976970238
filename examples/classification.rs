//! Classification with enums: a single label (spam or not), then several labels for a
//! support ticket. The enum's variants become the schema's `enum`, so the model can
//! only pick one of them, and the result is matched exhaustively.
//!
//! ```sh
//! cargo run --example classification                        # offline: replays recorded answers
//! OPENAI_API_KEY=sk-... cargo run --example classification  # the real OpenAI API
//! ```

#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a text is spam.
#[derive(Instruct, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Label {
    /// Unsolicited, deceptive or bulk messages.
    Spam,
    /// Everything else.
    NotSpam,
}

/// The single-label prediction.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SinglePrediction {
    class_label: Label,
}

/// The kinds of support ticket.
#[derive(Instruct, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TicketLabel {
    /// Something does not work.
    TechIssue,
    /// Payments, invoices, plans.
    Billing,
    /// Anything else.
    GeneralQuery,
}

/// Every label that applies to a ticket.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MultiClassPrediction {
    #[instruct(min_items = 1, unique_items)]
    class_labels: Vec<TicketLabel>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    replay::announce(
        replay::has_env("OPENAI_API_KEY"),
        "OpenAI",
        "OPENAI_API_KEY",
    );
    let (provider, _replay) = replay::openai_or_replay(vec![
        r#"{"class_label": "spam"}"#,
        r#"{"class_labels": ["tech_issue", "billing"]}"#,
    ])
    .await?;
    let client = instructor::from_openai(provider).with_model("gpt-4o-mini");

    // Single-label classification.
    let data = "Hello there I'm a Nigerian prince and I want to give you money";
    let prediction: SinglePrediction = client
        .create(Request::default().user(format!("Classify the following text: {data}")))
        .await?;
    println!("{prediction:?}");
    match prediction.class_label {
        Label::Spam => println!("-> moved to the spam folder"),
        Label::NotSpam => println!("-> delivered"),
    }

    // Multi-label classification.
    let ticket = "My account is locked and I can't access my billing info.";
    let prediction: MultiClassPrediction = client
        .create(Request::default().user(format!("Classify the following support ticket: {ticket}")))
        .await?;
    println!("{prediction:?}");
    for label in &prediction.class_labels {
        let queue = match label {
            TicketLabel::TechIssue => "engineering",
            TicketLabel::Billing => "finance",
            TicketLabel::GeneralQuery => "front desk",
        };
        println!("-> routed to {queue}");
    }
    Ok(())
}
