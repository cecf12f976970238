//! Writing results: one JSON line per document, and reading an earlier output back
//! for `--resume`.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use serde_json::{Value, json};

/// The output line for a document that succeeded.
pub(crate) fn value_line(id: &Value, value: &Value) -> String {
    let mut line = json!({ "id": id, "value": value }).to_string();
    line.push('\n');
    line
}

/// The output line for a document that failed.
pub(crate) fn error_line(id: &Value, kind: &str, message: &str) -> String {
    let mut line = json!({ "id": id, "error": { "kind": kind, "message": message } }).to_string();
    line.push('\n');
    line
}

/// A short, stable name for what went wrong, for the `kind` of an error line.
pub(crate) fn error_kind(error: &instructor::Error) -> &'static str {
    use instructor::Error as E;
    match error {
        E::Http(e) if e.status == 429 => "rate_limited",
        E::Http(_) => "http",
        E::Connection(_) => "connection",
        E::Timeout(_) => "timeout",
        E::Refusal(_) => "refusal",
        E::Truncated { .. } => "truncated",
        E::ContentFiltered { .. } => "content_filtered",
        E::RetriesExhausted(_) => "validation",
        E::TokenBudgetExceeded { .. } => "token_budget",
        E::Response(_) | E::Stream(_) => "response",
        E::Config(_) | E::Dialect(_) | E::Template(_) => "config",
        E::Batch(instructor::BatchError::NotRun { .. }) => "not_run",
        E::Batch(instructor::BatchError::ItemFailed { .. }) => "provider",
        E::Batch(_) => "batch",
        _ => "other",
    }
}

/// The key an id is compared by (its JSON text: `"7"` and `7` are different ids).
pub(crate) fn id_key(id: &Value) -> String {
    id.to_string()
}

/// Reads the ids already written to `path` by an earlier run, and cuts off a torn
/// last line (one without its newline, or not JSON) so its document is redone.
/// A missing file has no ids.
pub(crate) fn ids_done(path: &Path) -> io::Result<HashSet<String>> {
    let mut done = HashSet::new();
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(done),
        Err(e) => return Err(e),
    };
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut good_end: u64 = 0;
    let mut torn = false;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        let complete = line.last() == Some(&b'\n');
        let id = serde_json::from_slice::<Value>(&line)
            .ok()
            .and_then(|v| v.get("id").cloned());
        match (complete, id) {
            (true, Some(id)) => {
                done.insert(id_key(&id));
                good_end += n as u64;
                torn = false;
            }
            // A whole line that is not ours: keep it, it is not ours to delete.
            (true, None) => {
                good_end += n as u64;
                torn = false;
            }
            (false, _) => torn = true,
        }
    }
    if torn {
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(good_end)?;
    }
    Ok(done)
}

/// Where output lines go: a file (each line one `write`, so a killed run leaves at
/// most one torn line) or stdout.
pub(crate) struct Sink {
    inner: Box<dyn Write>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl Sink {
    /// `path` (appended to when `append`, else truncated), or stdout.
    pub(crate) fn open(path: Option<&Path>, append: bool) -> io::Result<Self> {
        let inner: Box<dyn Write> = match path {
            Some(path) => {
                let file = OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(path)?;
                Box::new(file)
            }
            None => Box::new(io::stdout()),
        };
        Ok(Self { inner })
    }

    /// Writes one whole line and flushes it.
    pub(crate) fn write_line(&mut self, line: &str) -> io::Result<()> {
        self.inner.write_all(line.as_bytes())?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_cut_and_its_id_not_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let good = format!(
            "{}{}",
            value_line(&json!("a"), &json!({"x": 1})),
            error_line(&json!(2), "validation", "bad")
        );
        std::fs::write(&path, format!("{good}{{\"id\": \"c\", \"val")).unwrap();
        let done = ids_done(&path).unwrap();
        assert_eq!(done, HashSet::from(["\"a\"".to_string(), "2".to_string()]));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), good);
    }

    #[test]
    fn a_complete_file_is_left_alone_and_a_missing_one_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        assert!(ids_done(&path).unwrap().is_empty());
        let text = value_line(&json!(1), &json!(null));
        std::fs::write(&path, &text).unwrap();
        assert_eq!(ids_done(&path).unwrap().len(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
