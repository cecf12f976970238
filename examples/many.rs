//! Many documents in one process: triage 20 support tickets with `create_many`, at
//! most 4 calls in flight, within a rate limit, with a progress line as each finishes.
//!
//! ```sh
//! cargo run --example many                          # offline, local replay server
//! OPENAI_API_KEY=sk-... cargo run --example many    # the real OpenAI API
//! ```
//!
//! The requests are pulled from an iterator as slots free up (a million would never
//! sit in memory); results come out as they finish with `.stream()`, or in input order
//! with `.collect().await`. One ticket's recorded answer is invalid every time (a
//! priority of 9): its reask fails too, and that one failure stops nothing else.
//! Offline, a local server replays a recorded answer for each ticket.

#[path = "support/replay.rs"]
mod replay;

use futures::StreamExt;
use instructor::prelude::*;
use instructor::providers::OpenAI;
use instructor::{Progress, RateLimit};
use serde::{Deserialize, Serialize};

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

const TICKETS: [&str; 20] = [
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
    "[T13] Can we get SSO with Okta?",
    "[T14] The invoice PDF shows the wrong VAT number.",
    "[T15] Two-factor codes are rejected as expired right away.",
    "[T16] Notifications arrive twice on Android.",
    "[T17] Add a keyboard shortcut to archive a message, please.",
    "[T18] I want a refund for the unused months of my plan.",
    "[T19] My profile picture reverts to the old one after a day.",
    "[T20] The dashboard takes 30 seconds to load since Monday.",
];

const ANSWERS: [(&str, &str); 20] = [
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
    (
        "[T13]",
        r#"{"category": "feature", "priority": 2, "summary": "SSO with Okta"}"#,
    ),
    (
        "[T14]",
        r#"{"category": "billing", "priority": 2, "summary": "Wrong VAT number on invoice PDF"}"#,
    ),
    (
        "[T15]",
        r#"{"category": "account", "priority": 4, "summary": "Two-factor codes rejected as expired"}"#,
    ),
    (
        "[T16]",
        r#"{"category": "bug", "priority": 1, "summary": "Duplicate notifications on Android"}"#,
    ),
    (
        "[T17]",
        r#"{"category": "feature", "priority": 1, "summary": "Shortcut to archive a message"}"#,
    ),
    (
        "[T18]",
        r#"{"category": "billing", "priority": 2, "summary": "Refund for unused months"}"#,
    ),
    (
        "[T19]",
        r#"{"category": "account", "priority": 1, "summary": "Profile picture reverts"}"#,
    ),
    (
        "[T20]",
        r#"{"category": "bug", "priority": 3, "summary": "Dashboard slow to load since Monday"}"#,
    ),
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let live = replay::has_env("OPENAI_API_KEY");
    replay::announce(live, "OpenAI", "OPENAI_API_KEY");
    let _replay;
    let provider = if live {
        OpenAI::from_env()?
    } else {
        let replay = replay::Replay::start_keyed(ANSWERS.to_vec()).await;
        let provider = OpenAI::new("offline").base_url(replay.base_url());
        _replay = replay;
        provider
    };
    let client = instructor::from_openai(provider).with_model("gpt-4o-mini");

    // 600 requests a minute is 10 a second: the 20 tickets take about a second.
    let limit = RateLimit::new()
        .requests_per_minute(600)
        .tokens_per_minute(200_000);
    let requests = TICKETS.iter().map(|text| {
        Request::default()
            .system("Triage the support ticket.")
            .user(*text)
            .max_retries(1)
            .max_tokens(200)
    });
    let mut results = client
        .create_many::<Ticket>(requests)
        .concurrency(4)
        .rate_limit(limit.clone())
        .on_progress(|p: &Progress| {
            println!(
                "  progress: {}/{} done, {} failed, {} in flight, {} tokens, {:.1} s",
                p.done,
                p.total.map_or("?".to_owned(), |t| t.to_string()),
                p.failed,
                p.in_flight,
                p.usage.total_tokens,
                p.elapsed.as_secs_f64()
            );
        })
        .stream();

    println!("As they finish (ticket number: result):");
    let mut urgent = Vec::new();
    while let Some((index, result)) = results.next().await {
        match result {
            Ok(ticket) => {
                println!(
                    "T{:02}: {:?}, priority {}: {}",
                    index + 1,
                    ticket.category,
                    ticket.priority,
                    ticket.summary
                );
                if ticket.priority == 4 {
                    urgent.push(index + 1);
                }
            }
            Err(error) => println!("T{:02}: failed: {error}", index + 1),
        }
    }
    urgent.sort_unstable();
    println!("\nUrgent tickets: {urgent:?}");

    // The one-liner over plain texts, every result in input order; this run shares the
    // first one's limit (a clone of a RateLimit shares its budget).
    let first_three = Ticket::extract_many(&client, TICKETS[..3].iter().copied())
        .rate_limit(limit)
        .await;
    println!("\nThe one-liner, in input order:");
    for (text, ticket) in TICKETS.iter().zip(&first_three) {
        match ticket {
            Ok(ticket) => println!("  {text} -> {:?}", ticket.category),
            Err(error) => println!("  {text} -> failed: {error}"),
        }
    }
    Ok(())
}
