//! Prompt caching (issue 16): a long shared prompt (a policy) marked as a cache
//! breakpoint is written to Anthropic's prompt cache by the first call and read by
//! the next ones, at the cache rate; the usage counters show it.
//!
//! ```sh
//! cargo run --example prompt_caching --features anthropic        # offline: a local replay emulates the cache
//! ANTHROPIC_API_KEY=sk-ant-... cargo run --example prompt_caching --features anthropic
//! ```

#[path = "support/replay_anthropic.rs"]
mod replay_anthropic;

use instructor::prelude::*;
use instructor::{CacheControl, Usage};
use serde::{Deserialize, Serialize};

/// Whether a refund request is allowed under the policy.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RefundDecision {
    allowed: bool,
    /// The policy clause the decision rests on.
    clause: String,
}

/// A long policy: every call starts with it, so it is worth caching (Anthropic caches
/// prefixes of 1,024 tokens or more).
fn policy() -> String {
    let clause = "Items may be returned within 30 days of delivery in their original packaging; \
                  shoes must be unworn; sale items are final; refunds go to the original payment method. ";
    format!(
        "You decide refund requests under this policy.\n\n{}",
        clause.repeat(60)
    )
}

fn show(label: &str, usage: &Usage) {
    println!(
        "{label}: {} prompt tokens, of which {} written to the cache and {} read from it",
        usage.prompt_tokens, usage.cache_creation_tokens, usage.cached_tokens
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (provider, replay) = replay_anthropic::anthropic_or_replay(vec![
        r#"{"allowed": true, "clause": "returns within 30 days"}"#,
        r#"{"allowed": false, "clause": "sale items are final"}"#,
    ])
    .await?;
    let model = match &replay {
        Some(_) => {
            println!(
                "ANTHROPIC_API_KEY not set: a local server replays answers and emulates the prompt cache.\n"
            );
            "claude-sonnet-4-5".to_owned()
        }
        None => std::env::var("ANTHROPIC_MODEL").unwrap_or_else(|_| "claude-sonnet-4-5".to_owned()),
    };
    let client = instructor::from_anthropic(provider);
    let policy = policy();
    for (label, question) in [
        (
            "first call",
            "I bought shoes 12 days ago and never wore them. Can I return them?",
        ),
        (
            "second call",
            "Can I return a sale jacket bought last week?",
        ),
    ] {
        let request = Request::new(&model)
            .max_tokens(256)
            .message(Message::system(policy.clone()).with_cache_control(CacheControl::Ephemeral))
            .user(question);
        let (decision, summary) = client
            .create_with_completion::<RefundDecision>(request)
            .await?;
        println!("{question}\n  -> {decision:?}");
        show(&format!("  {label}"), &summary.total_usage);
    }
    Ok(())
}
