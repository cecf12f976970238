//! The command line's grammar: subcommands, flags and the worked examples in `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use instructor::Mode;

const TOP_EXAMPLES: &str = "\
Examples:
  # One document: the JSON object on stdout
  echo 'Jason is 25 years old' | instructor extract --schema user.json --model openai/gpt-4o-mini

  # A corpus in JSON Lines ({\"id\": ..., \"text\": ...} per line), 32 calls at a time,
  # resumable after a crash or Ctrl-C
  instructor extract --schema invoice.json --model anthropic/claude-sonnet-4-5 \\
      --input invoices.jsonl --out invoices.out.jsonl --concurrency 32 --rpm 500 --resume

Keys and base URLs come from the provider's environment variables (OPENAI_API_KEY,
ANTHROPIC_API_KEY, GEMINI_API_KEY, ...). --model defaults to $INSTRUCTOR_MODEL.";

const EXTRACT_EXAMPLES: &str = "\
Examples:
  # user.json: {\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"},
  #             \"age\": {\"type\": \"integer\", \"minimum\": 0}}, \"required\": [\"name\", \"age\"]}
  echo 'Jason is 25 years old' | instructor extract --schema user.json --model openai/gpt-4o-mini
  {\"name\":\"Jason\",\"age\":25}

  # JSON Lines in, JSON Lines out (completion order), one line per document:
  #   {\"id\": \"a1\", \"value\": {...}}   or   {\"id\": \"a1\", \"error\": {\"kind\": \"...\", \"message\": \"...\"}}
  instructor extract --schema user.json --input people.jsonl --out people.out.jsonl \\
      --concurrency 16 --rpm 300 --tpm 100000
  # killed half way? the same command with --resume skips the ids already in --out
  instructor extract --schema user.json --input people.jsonl --out people.out.jsonl --resume

Input lines are {\"id\": ..., \"text\": \"...\"} or a bare JSON string (its id is its line
number). Exit code: 0 every document succeeded, 1 some failed (their errors are in the
output), 2 a usage or configuration error.";

/// `instructor`: typed extraction from the command line.
#[derive(Debug, Parser)]
#[command(name = "instructor", version, about, after_help = TOP_EXAMPLES)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Extract a JSON value matching a JSON Schema from one document or from JSON Lines.
    #[command(after_help = EXTRACT_EXAMPLES)]
    Extract(ExtractArgs),
}

/// `instructor extract`.
#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// The JSON Schema of the value to extract (a file).
    #[arg(long, value_name = "SCHEMA.json")]
    pub(crate) schema: PathBuf,
    /// PROVIDER/MODEL, as `instructor::from_provider` reads it (`openai/gpt-4o-mini`,
    /// `anthropic/claude-sonnet-4-5`, `google/gemini-2.5-flash`, `ollama/llama3.2`, ...).
    #[arg(long, env = "INSTRUCTOR_MODEL", value_name = "PROVIDER/MODEL")]
    pub(crate) model: Option<String>,
    /// The mode (`tools`, `tools_strict`, `json_mode`, `json_schema`, `md_json`, ...);
    /// default: the provider's default.
    #[arg(long, value_parser = parse_mode)]
    pub(crate) mode: Option<Mode>,
    /// A system prompt sent before every document.
    #[arg(long, value_name = "TEXT")]
    pub(crate) system: Option<String>,
    /// Reasks after the first attempt when the answer fails the schema.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub(crate) retries: u32,
    /// The input: a file, or `-` for stdin. `.jsonl`/`.ndjson` files are JSON Lines.
    #[arg(long, default_value = "-", value_name = "FILE|-")]
    pub(crate) input: String,
    /// Read the input as JSON Lines whatever its name.
    #[arg(long)]
    pub(crate) jsonl: bool,
    /// Where to write the output (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// At most this many documents in flight.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) concurrency: u32,
    /// Requests per minute, spread evenly.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) rpm: Option<u32>,
    /// Tokens per minute (estimated before each call, corrected by the reported usage).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) tpm: Option<u32>,
    /// Skip the ids already in --out and append to it (a torn last line is redone).
    #[arg(long, requires = "out")]
    pub(crate) resume: bool,
    /// No progress bar on stderr (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    pub(crate) no_progress: bool,
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    text.parse::<Mode>().map_err(|e| e.to_string())
}
