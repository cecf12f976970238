//! Provider batch jobs: triage 12 support tickets through OpenAI's Batch API (half the
//! price of live calls, no rate limits to pace), save the job to a file, carry on
//! from that file, read typed results as they stream in, and run one reask round for
//! the tickets whose answer failed validation.
//!
//! ```sh
//! cargo run --example batch                          # offline, local emulation
//! OPENAI_API_KEY=sk-... cargo run --example batch    # the real OpenAI Batch API
//! ```
//!
//! Offline, a small emulation of OpenAI's Files and Batches endpoints runs inside
//! the example (`support/batch_server.rs`) and the job ends after a few polls. A real
//! batch takes minutes to hours (up to its 24-hour window): this example then polls
//! until it ends (1 s, doubling to 60 s), so leave it running, or stop it and carry on
//! later from the saved job file. One ticket's answer has a priority of 9 (the
//! schema says 1 to 4): it fails validation, and the reask round sends it back with
//! its error, as `create` would on its second attempt.

#[path = "support/batch_server.rs"]
mod batch_server;
#[path = "support/replay.rs"]
mod replay;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use instructor::{BatchItem, BatchJob, Progress};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a support ticket is about.
#[derive(Instruct, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Category {
    /// Payments, invoices, plans.
    Billing,
    /// Something does not work.
    Bug,
    /// Logins, passwords, profiles.
    Account,
    /// A request for something new.
    Feature,
}

/// A support ticket, triaged.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ticket {
    category: Category,
    /// 1 (can wait) to 4 (urgent).
    #[instruct(range(min = 1, max = 4))]
    priority: u8,
    /// The problem in a few words.
    summary: String,
}

const TICKETS: [&str; 12] = [
    "[T01] I was charged twice for my March invoice.",
    "[T02] The export button does nothing in Firefox.",
    "[T03] I can't log in since I changed my email address.",
    "[T04] Could you add dark mode to the dashboard?",
    "[T05] Our whole team gets a 500 error on the reports page. Urgent!",
    "[T06] How do I switch from the monthly to the yearly plan?",
    "[T07] The app crashes when I upload a photo larger than 10 MB.",
    "[T08] Please delete my account and all my data.",
    "[T09] It would be great to have an API for the calendar.",
    "[T10] My card was declined but the money left my bank account.",
    "[T11] Password reset emails never arrive.",
    "[T12] Search results are empty for words with accents.",
];

/// Offline answers, by the ticket's tag.
const ANSWERS: [(&str, &str); 12] = [
    (
        "[T01]",
        r#"{"category": "billing", "priority": 3, "summary": "Charged twice for the March invoice"}"#,
    ),
    (
        "[T02]",
        r#"{"category": "bug", "priority": 2, "summary": "Export button broken in Firefox"}"#,
    ),
    (
        "[T03]",
        r#"{"category": "account", "priority": 3, "summary": "Cannot log in after changing email"}"#,
    ),
    (
        "[T04]",
        r#"{"category": "feature", "priority": 1, "summary": "Dark mode for the dashboard"}"#,
    ),
    (
        "[T05]",
        r#"{"category": "bug", "priority": 4, "summary": "Reports page returns 500 for the team"}"#,
    ),
    (
        "[T06]",
        r#"{"category": "billing", "priority": 1, "summary": "Switch to the yearly plan"}"#,
    ),
    (
        "[T07]",
        r#"{"category": "bug", "priority": 9, "summary": "Crash uploading photos over 10 MB"}"#,
    ),
    (
        "[T08]",
        r#"{"category": "account", "priority": 2, "summary": "Delete the account and its data"}"#,
    ),
    (
        "[T09]",
        r#"{"category": "feature", "priority": 1, "summary": "An API for the calendar"}"#,
    ),
    (
        "[T10]",
        r#"{"category": "billing", "priority": 4, "summary": "Declined card but money was taken"}"#,
    ),
    (
        "[T11]",
        r#"{"category": "account", "priority": 3, "summary": "Password reset emails not arriving"}"#,
    ),
    (
        "[T12]",
        r#"{"category": "bug", "priority": 2, "summary": "Search fails on accented words"}"#,
    ),
];

/// The emulated model: the recorded answer for the ticket in the body; a reasked
/// body (it holds the earlier answer and its errors) gets a priority within range.
fn answer(body: &Value) -> String {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let user = messages
        .iter()
        .find(|m| m["role"] == "user")
        .map(|m| m["content"].to_string())
        .unwrap_or_default();
    let recorded = ANSWERS
        .iter()
        .find(|(tag, _)| user.contains(tag))
        .map_or("{}", |(_, answer)| answer);
    if messages.iter().any(|m| m["role"] == "assistant") {
        return recorded.replace("\"priority\": 9", "\"priority\": 3");
    }
    recorded.to_owned()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = replay::has_env("OPENAI_API_KEY");
    replay::announce(live, "OpenAI Batch", "OPENAI_API_KEY");
    let _server;
    let (provider, poll) = if live {
        let poll = (Duration::from_secs(1), Duration::from_secs(60));
        (OpenAI::from_env()?, poll)
    } else {
        let server = batch_server::BatchServer::start(answer).await;
        let provider = OpenAI::new("offline").base_url(server.base_url());
        _server = server;
        (
            provider,
            (Duration::from_millis(20), Duration::from_millis(100)),
        )
    };
    let client = instructor::from_openai(provider).with_model("gpt-4o-mini");
    let batches = client
        .batch::<Ticket>()
        .poll_interval(poll.0, poll.1)
        .on_progress(|p: &Progress| {
            println!(
                "  polled: {}/{} answered by the provider, {} failed, {:.1} s",
                p.done,
                p.total.unwrap_or(0),
                p.failed,
                p.elapsed.as_secs_f64()
            );
        });

    // One line per ticket, under our own ids; each body is what `create` would send.
    let requests = TICKETS.iter().enumerate().map(|(i, text)| {
        let request = Request::default()
            .system("Triage the support ticket.")
            .user(*text)
            .max_tokens(200);
        (format!("ticket-{:02}", i + 1), request)
    });
    let job = batches.submit(requests).await?;
    println!("Submitted {} tickets as {:?}.", job.len(), job.batch_ids());

    // The job is plain JSON: save it, and carry on from it in another process (or
    // tomorrow). Here we read it back as a later run would.
    let path = std::env::temp_dir().join(format!("instructor-batch-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string_pretty(&job)?)?;
    let job: BatchJob = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    println!("Saved the job to {} and loaded it back.", path.display());

    let job = batches.wait(&job).await?;
    println!("The job ended: {:?}.\n", job.last_status().map(|s| s.state));

    // Results as they are read (a million-line output never sits in memory); only the
    // items that failed validation are kept, for the reask round.
    let mut triaged: BTreeMap<String, Result<Ticket, String>> = BTreeMap::new();
    let mut to_fix: Vec<BatchItem<Ticket>> = Vec::new();
    let mut tokens = 0;
    let mut results = batches.results_stream(&job).await?;
    while let Some(item) = results.next().await {
        let item = item?;
        tokens += item.usage.total_tokens;
        match item.result {
            Ok(ticket) => {
                triaged.insert(item.custom_id, Ok(ticket));
            }
            Err(Error::RetriesExhausted(ref failed)) => {
                println!("{} failed validation: {failed}", item.custom_id);
                to_fix.push(item);
            }
            Err(error) => {
                triaged.insert(item.custom_id, Err(error.to_string()));
            }
        }
    }

    // One reask round: a follow-up job with only those items, each with its errors.
    if let Some(retry) = batches.reask(&job, &to_fix).await? {
        println!("Reasking {} item(s) in a follow-up job.", retry.len());
        let retry = batches.wait(&retry).await?;
        for item in batches.results(&retry).await? {
            tokens += item.usage.total_tokens;
            triaged.insert(item.custom_id, item.result.map_err(|e| e.to_string()));
        }
    }

    println!("\nEvery ticket, once:");
    for (id, outcome) in &triaged {
        match outcome {
            Ok(t) => println!(
                "  {id}: {:?}, priority {}: {}",
                t.category, t.priority, t.summary
            ),
            Err(error) => println!("  {id}: failed: {error}"),
        }
    }
    println!("{} tickets, {tokens} tokens in all.", triaged.len());
    let _ = std::fs::remove_file(&path);
    Ok(())
}
