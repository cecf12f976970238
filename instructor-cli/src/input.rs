//! Reading documents: one plain-text document, or JSON Lines read one line at a time
//! (the input is never loaded whole).

use std::io::{self, BufRead};

use serde_json::Value;

/// One document to extract from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    /// Its id: the line's `id`, or its 1-based line number.
    pub(crate) id: Value,
    /// Its text.
    pub(crate) text: String,
}

/// One line of JSON Lines input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line {
    /// A document to extract from.
    Document(Document),
    /// A line that is not a document: reported in the output under `id`, never sent.
    Invalid {
        /// The line's id if it had a usable one, else its line number.
        id: Value,
        /// What is wrong with it.
        message: String,
    },
}

/// JSON Lines, read lazily: each `next` reads one line. Blank lines are skipped (they
/// still count for line numbers); an I/O error ends the iteration and is kept.
#[derive(Debug)]
pub(crate) struct JsonLines<R> {
    reader: R,
    line_number: u64,
    buffer: Vec<u8>,
    error: Option<io::Error>,
}

impl<R: BufRead> JsonLines<R> {
    /// Lines of `reader`.
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            line_number: 0,
            buffer: Vec::new(),
            error: None,
        }
    }

    /// The I/O error that ended the iteration early, if any.
    pub(crate) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        loop {
            if self.error.is_some() {
                return None;
            }
            self.buffer.clear();
            match self.reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error = Some(e);
                    return None;
                }
            }
            self.line_number += 1;
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_line(&self.buffer, self.line_number));
        }
    }
}

/// Reads one non-blank line.
fn parse_line(bytes: &[u8], line_number: u64) -> Line {
    let number = Value::from(line_number);
    let invalid = |message: String| Line::Invalid {
        id: number.clone(),
        message,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return invalid(format!("line {line_number} is not valid UTF-8"));
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return invalid(format!("line {line_number} is not JSON: {e}")),
    };
    match value {
        Value::String(text) => Line::Document(Document { id: number, text }),
        Value::Object(mut map) => {
            let id = match map.remove("id") {
                None => number,
                Some(id @ (Value::String(_) | Value::Number(_))) => id,
                Some(_) => {
                    return invalid(format!(
                        "line {line_number}: \"id\" must be a string or a number"
                    ));
                }
            };
            match map.remove("text") {
                Some(Value::String(text)) => Line::Document(Document { id, text }),
                Some(_) => Line::Invalid {
                    id,
                    message: format!("line {line_number}: \"text\" must be a string"),
                },
                None => Line::Invalid {
                    id,
                    message: format!("line {line_number} has no \"text\""),
                },
            }
        }
        _ => invalid(format!(
            "line {line_number} is neither {{\"id\": .., \"text\": \"..\"}} nor a JSON string"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(input: &[u8]) -> Vec<Line> {
        JsonLines::new(input).collect()
    }

    fn doc(id: Value, text: &str) -> Line {
        Line::Document(Document {
            id,
            text: text.to_string(),
        })
    }

    #[test]
    fn objects_strings_and_blank_lines() {
        let input =
            b"{\"id\": \"a\", \"text\": \"one\"}\n\n\"two\"\r\n{\"id\": 7, \"text\": \"three\"}";
        assert_eq!(
            lines(input),
            vec![
                doc(json!("a"), "one"),
                doc(json!(3), "two"),
                doc(json!(7), "three")
            ]
        );
    }

    #[test]
    fn bad_lines_are_reported_with_their_line_number_or_id() {
        let input = b"{\"id\": \"a\"}\nnot json\n\xff\xfe\n[1]\n{\"id\": [1], \"text\": \"x\"}\n{\"id\": \"b\", \"text\": 3}\n";
        let got = lines(input);
        let ids: Vec<Value> = got
            .iter()
            .map(|l| match l {
                Line::Invalid { id, .. } => id.clone(),
                Line::Document(d) => panic!("unexpected document {d:?}"),
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                json!("a"),
                json!(2),
                json!(3),
                json!(4),
                json!(5),
                json!("b")
            ]
        );
        let Line::Invalid { message, .. } = &got[2] else {
            unreachable!()
        };
        assert_eq!(message, "line 3 is not valid UTF-8");
    }
}
