//! `instructor`: typed extraction from the command line.
//!
//! ```text
//! instructor extract --schema user.json --model openai/gpt-4o-mini < note.txt
//! instructor extract --schema user.json --input docs.jsonl --out out.jsonl --resume
//! instructor batch submit --schema user.json --model openai/gpt-4o-mini --input docs.jsonl --job job.json
//! instructor batch results --job job.json --out out.jsonl --reask-rounds 1
//! ```
//!
//! Exit codes: 0 every document succeeded, 1 some failed (their errors are in the
//! output), 2 a usage or configuration error (one line on stderr).

use std::process::ExitCode;

use clap::Parser;

mod batch;
mod cli;
mod error;
mod extract;
mod input;
mod output;
mod progress;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        cli::Command::Extract(args) => runtime.block_on(extract::run(args)),
        cli::Command::Batch(command) => runtime.block_on(batch::run(command)),
    };
    match outcome {
        Ok(extract::Outcome::AllSucceeded) => ExitCode::SUCCESS,
        Ok(extract::Outcome::SomeFailed) => ExitCode::from(1),
        Err(error) => {
            eprintln!("{}", error.line());
            ExitCode::from(2)
        }
    }
}
