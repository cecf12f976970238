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

  # The same corpus through the provider's batch engine (half the price, results
  # within 24 hours): submit, come back later, read the results
  instructor batch submit --schema invoice.json --model openai/gpt-4o-mini \\
      --input invoices.jsonl --job invoices.job.json
  instructor batch wait --job invoices.job.json
  instructor batch results --job invoices.job.json --out invoices.out.jsonl --reask-rounds 1

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
    /// Run JSON Lines through the provider's batch engine (OpenAI Batch API, Anthropic
    /// Message Batches, Gemini batch mode): submit, status, wait, results, cancel, list.
    #[command(subcommand, after_help = BATCH_EXAMPLES)]
    Batch(BatchCommand),
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

const BATCH_EXAMPLES: &str = "\
Examples:
  # people.jsonl: {\"id\": \"a1\", \"text\": \"Jason is 25 years old\"} per line
  instructor batch submit --schema user.json --model openai/gpt-4o-mini \\
      --input people.jsonl --job people.job.json
  {\"job\":\"people.job.json\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"batch_ids\":[\"batch_abc\"],\"items\":2,\"invalid_lines\":0}

  instructor batch status --job people.job.json      # where it stands, once
  {\"state\":\"in_progress\",\"counts\":{\"total\":2,\"succeeded\":1,\"failed\":0,\"pending\":1}}
  instructor batch wait --job people.job.json        # polls until it has ended (minutes to hours)

  # The results, in the same line format as `extract`; items whose answer failed the
  # schema get one more batch with their errors fed back (the job file holds the schema)
  instructor batch results --job people.job.json --out people.out.jsonl --reask-rounds 1

  instructor batch cancel --job people.job.json
  instructor batch list --provider openai

The job file is JSON (the library's BatchJob plus the input ids' types): keep it, and
any later command carries on from it, in another process or on another day. Each
follow-up job of --reask-rounds is saved next to it (people.job.round-2.json, ...): a
killed `results` run, started again with the same command, rewrites --out from the
start and reuses the follow-up jobs already submitted. Exit code: 0 every item
succeeded, 1 some failed (their errors are in the output), 2 a usage or configuration
error, or the job could not be read or reached.";

/// `instructor batch ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum BatchCommand {
    /// Submit one request per JSON Lines document as a provider batch; save the job file.
    #[command(
        after_help = "Example:\n  instructor batch submit --schema user.json --model openai/gpt-4o-mini \\\n      --input people.jsonl --job people.job.json --system 'Extract the person.'"
    )]
    Submit(SubmitArgs),
    /// Print where the job stands (JSON: state and the provider's counts).
    #[command(
        after_help = "Example:\n  instructor batch status --job people.job.json\n  {\"state\":\"in_progress\",\"counts\":{\"total\":2,\"succeeded\":1,\"failed\":0,\"pending\":1}}"
    )]
    Status(JobArgs),
    /// Poll until the job has ended; print its status and save it in the job file.
    #[command(
        after_help = "Example (a real batch takes minutes to hours; Ctrl-C and run it again later):\n  instructor batch wait --job people.job.json"
    )]
    Wait(WaitArgs),
    /// Write the results of an ended job as JSON Lines, optionally with reask rounds.
    #[command(
        after_help = "Example:\n  instructor batch results --job people.job.json --out people.out.jsonl --reask-rounds 1\n\nOne line per item: {\"id\": .., \"value\": {..}} or {\"id\": .., \"error\": {\"kind\": .., \"message\": ..}}.\nFollow-up jobs are saved beside the job file (people.job.round-2.json, ...); a killed\nrun started again with the same command rewrites --out and reuses them.\nExit code: 0 every item succeeded, 1 some failed, 2 a usage or configuration error."
    )]
    Results(ResultsArgs),
    /// Ask the provider to cancel the job; print its status.
    #[command(after_help = "Example:\n  instructor batch cancel --job people.job.json")]
    Cancel(JobArgs),
    /// Print the provider's most recent batch jobs (up to 100) as JSON.
    #[command(
        after_help = "Example:\n  instructor batch list --provider openai\n  [{\"batch_ids\":[\"batch_abc\"],\"model\":\"gpt-4o-mini\",\"mode\":\"Tools\",\"created_at\":1735689600,\"status\":{..}}]"
    )]
    List(ListArgs),
}

/// `instructor batch submit`.
#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// The JSON Schema of the value to extract (a file); the job file embeds it.
    #[arg(long, value_name = "SCHEMA.json")]
    pub(crate) schema: PathBuf,
    /// PROVIDER/MODEL, as `instructor::from_provider` reads it (`openai/gpt-4o-mini`,
    /// `anthropic/claude-sonnet-4-5`, `google/gemini-2.5-flash`, ...).
    #[arg(long, env = "INSTRUCTOR_MODEL", value_name = "PROVIDER/MODEL")]
    pub(crate) model: Option<String>,
    /// The mode; default: the provider's default.
    #[arg(long, value_parser = parse_mode)]
    pub(crate) mode: Option<Mode>,
    /// A system prompt sent before every document.
    #[arg(long, value_name = "TEXT")]
    pub(crate) system: Option<String>,
    /// The documents: JSON Lines (`{"id": .., "text": ".."}` or a bare JSON string
    /// per line), a file or `-` for stdin.
    #[arg(long, value_name = "FILE.jsonl|-")]
    pub(crate) input: String,
    /// Where to save the job (written whole, atomically).
    #[arg(long, value_name = "JOB.json")]
    pub(crate) job: PathBuf,
}

/// The job file a command works on.
#[derive(Debug, Args)]
pub(crate) struct JobArgs {
    /// The job file written by `batch submit`.
    #[arg(long, value_name = "JOB.json")]
    pub(crate) job: PathBuf,
}

/// How `wait` and `results` poll.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct PollArgs {
    /// Seconds before the second poll; each wait doubles, up to 60 s.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) poll_interval: f64,
    /// No progress bar on stderr (it is shown only when stderr is a terminal anyway).
    #[arg(long)]
    pub(crate) no_progress: bool,
}

/// `instructor batch wait`.
#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    /// The job file written by `batch submit` (its last status is updated).
    #[arg(long, value_name = "JOB.json")]
    pub(crate) job: PathBuf,
    /// Polling and progress.
    #[command(flatten)]
    pub(crate) poll: PollArgs,
}

/// `instructor batch results`.
#[derive(Debug, Args)]
pub(crate) struct ResultsArgs {
    /// The job file written by `batch submit`.
    #[arg(long, value_name = "JOB.json")]
    pub(crate) job: PathBuf,
    /// Where to write one line per item (rewritten from the start).
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) out: PathBuf,
    /// Up to N follow-up batches for the items whose answer failed the schema, each
    /// with its errors fed back; the final outcome of every item is written once.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) reask_rounds: u32,
    /// Refuse the job unless it was submitted for this schema (not needed: the job
    /// file embeds its schema).
    #[arg(long, value_name = "SCHEMA.json")]
    pub(crate) schema: Option<PathBuf>,
    /// Polling and progress (for the follow-up batches).
    #[command(flatten)]
    pub(crate) poll: PollArgs,
}

/// `instructor batch list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Whose jobs: `openai`, `anthropic` or `google` (keys from the environment).
    #[arg(long, value_parser = ["openai", "anthropic", "google", "gemini", "azure"])]
    pub(crate) provider: String,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!("expected seconds between 0 and 3600, got `{text}`")),
    }
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    text.parse::<Mode>().map_err(|e| e.to_string())
}
