//! Chat Completions stream chunks, read without building a JSON tree: only the fields
//! the stream uses, deserialized straight from the event's text, with strings
//! borrowed from it unless they contain escapes; everything else is skipped.
//!
//! A chunk of an unexpected shape (a non-string `arguments`, a negative `index`, an
//! array where an object belongs, a repeated key …) fails that strict reading and is
//! read leniently from a parsed [`Value`] instead, as [`Chunk::from_value`] documents.
//! Both readings feed the same [`Chunk::events`].

use std::borrow::Cow;

use instructor_core::Error;
use instructor_core::provider::StreamEvent;
use serde::Deserialize;
use serde_json::Value;

use super::convert::{finish_reason, usage};
use super::de::{Object, Text, first_object, object, text_at};
use crate::http::events::{event_json, mid_stream_error};

/// Decodes one chunk's `data:` into `out` (the provider's `error` object is an `Err`).
pub(super) fn decode(data: &str, out: &mut Vec<StreamEvent>) -> Result<(), Error> {
    match serde_json::from_str::<Object<Chunk<'_>>>(data) {
        Ok(Object(chunk)) => chunk.events(out),
        Err(_) => Chunk::from_value(&event_json(data)?).events(out),
    }
}

/// The error for a non-null `error` member of a stream event.
pub(super) fn reported_error(error: &Value) -> Error {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| error.to_string(), str::to_owned);
    mid_stream_error(&message)
}

/// One `chat.completion.chunk`: what the stream uses of it.
#[derive(Debug, Default, Deserialize)]
struct Chunk<'a> {
    /// An error reported mid-stream (`null`: none).
    error: Option<Value>,
    /// Token usage (in the last chunk, with `stream_options.include_usage`).
    usage: Option<Value>,
    /// Groq's own place for the usage of a stream: `x_groq.usage`.
    #[serde(default)]
    x_groq: Option<Value>,
    /// The first choice (the others are skipped).
    #[serde(borrow, default, deserialize_with = "first_object")]
    choices: Option<Choice<'a>>,
}

#[derive(Debug, Deserialize)]
struct Choice<'a> {
    #[serde(borrow, default, deserialize_with = "object")]
    delta: Option<Delta<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Text<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    content: Option<Text<'a>>,
    #[serde(borrow)]
    refusal: Option<Text<'a>>,
    #[serde(borrow)]
    tool_calls: Option<Vec<Object<ToolCall<'a>>>>,
    /// The legacy `functions` API's call.
    #[serde(borrow, default, deserialize_with = "object")]
    function_call: Option<Function<'a>>,
}

#[derive(Debug, Deserialize)]
struct ToolCall<'a> {
    /// Which call (missing: its position in the list).
    index: Option<u64>,
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow, default, deserialize_with = "object")]
    function: Option<Function<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Function<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    arguments: Option<Text<'a>>,
}

impl Chunk<'_> {
    /// The chunk's events, in order: usage, text, refusal, tool calls, the legacy
    /// function call, the finish reason.
    fn events(self, out: &mut Vec<StreamEvent>) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(reported_error(error));
        }
        let groq = self.x_groq.as_ref().and_then(|x| x.get("usage"));
        if let Some(u) = self.usage.as_ref().or(groq).filter(|u| u.is_object()) {
            out.push(StreamEvent::Usage(usage(Some(u))));
        }
        let Some(choice) = self.choices else {
            return Ok(());
        };
        let delta = choice.delta.unwrap_or_default();
        if let Some(text) = delta.content.and_then(Text::non_empty) {
            out.push(StreamEvent::TextDelta(text));
        }
        if let Some(refusal) = delta.refusal.and_then(Text::non_empty) {
            out.push(StreamEvent::RefusalDelta(refusal));
        }
        for (position, Object(call)) in delta.tool_calls.into_iter().flatten().enumerate() {
            let function = call.function.unwrap_or_default();
            out.push(StreamEvent::ToolCallDelta {
                // Saturating on 32-bit targets; core bounds the index.
                index: call
                    .index
                    .map_or(position, |i| usize::try_from(i).unwrap_or(usize::MAX)),
                id: call.id.map(Text::owned),
                name: function.name.map(Text::owned),
                arguments: function.arguments.map(Text::owned).unwrap_or_default(),
            });
        }
        if let Some(call) = delta.function_call {
            out.push(StreamEvent::ToolCallDelta {
                index: 0,
                id: None,
                name: call.name.map(Text::owned),
                arguments: call.arguments.map(Text::owned).unwrap_or_default(),
            });
        }
        if let Some(reason) = choice.finish_reason {
            out.push(StreamEvent::Finish(finish_reason(&reason.0)));
        }
        Ok(())
    }
}

impl<'a> Chunk<'a> {
    /// The same fields read leniently: a member of an unexpected type counts as
    /// absent, except a tool call's non-string `arguments`, kept as its JSON text.
    fn from_value(data: &'a Value) -> Self {
        let choice = data
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first());
        Chunk {
            error: data.get("error").filter(|e| !e.is_null()).cloned(),
            usage: data.get("usage").cloned(),
            x_groq: data.get("x_groq").cloned(),
            choices: choice.map(|choice| Choice {
                delta: choice.get("delta").map(delta_from_value),
                finish_reason: text_at(choice, "finish_reason"),
            }),
        }
    }
}

fn delta_from_value(delta: &Value) -> Delta<'_> {
    Delta {
        content: text_at(delta, "content"),
        refusal: text_at(delta, "refusal"),
        tool_calls: delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .map(|calls| calls.iter().map(tool_call_from_value).collect()),
        function_call: delta
            .get("function_call")
            .filter(|c| c.is_object())
            .map(|c| Function {
                name: text_at(c, "name"),
                arguments: text_at(c, "arguments"),
            }),
    }
}

fn tool_call_from_value(call: &Value) -> Object<ToolCall<'_>> {
    let function = call.get("function").map(|f| Function {
        name: text_at(f, "name"),
        arguments: match f.get("arguments") {
            Some(Value::String(s)) => Some(Text(Cow::Borrowed(s))),
            Some(Value::Null) | None => None,
            Some(other) => Some(Text(Cow::Owned(other.to_string()))),
        },
    });
    Object(ToolCall {
        index: call.get("index").and_then(Value::as_u64),
        id: text_at(call, "id"),
        function,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use instructor_core::FinishReason;

    fn strict(data: &str) -> Option<Result<Vec<StreamEvent>, String>> {
        let Object(chunk) = serde_json::from_str::<Object<Chunk<'_>>>(data).ok()?;
        let mut out = Vec::new();
        Some(
            chunk
                .events(&mut out)
                .map(|()| out)
                .map_err(|e| e.to_string()),
        )
    }

    fn lenient(data: &str) -> Result<Vec<StreamEvent>, String> {
        let value: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        Chunk::from_value(&value)
            .events(&mut out)
            .map(|()| out)
            .map_err(|e| e.to_string())
    }

    fn decoded(data: &str) -> Result<Vec<StreamEvent>, String> {
        let mut out = Vec::new();
        decode(data, &mut out)
            .map(|()| out)
            .map_err(|e| e.to_string())
    }

    fn call(index: usize, id: Option<&str>, name: Option<&str>, arguments: &str) -> StreamEvent {
        StreamEvent::ToolCallDelta {
            index,
            id: id.map(str::to_owned),
            name: name.map(str::to_owned),
            arguments: arguments.to_owned(),
        }
    }

    #[test]
    fn well_formed_chunks_read_strictly_as_they_read_leniently() {
        let chunks = [
            r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"User","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"na"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"a"}},{"index":3,"function":{"arguments":"b"}}]}}]}"#,
            r#"{"choices":[{"delta":{"content":"Hi \u00e9\n"}},{"delta":{"content":"second choice"}}]}"#,
            r#"{"choices":[{"delta":{"content":""}}]}"#,
            r#"{"choices":[{"delta":{"refusal":"I can't"}}]}"#,
            r#"{"choices":[{"delta":{"function_call":{"name":"f","arguments":"{}"}}}]}"#,
            r#"{"choices":[{"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#,
            r#"{"choices":null,"delta":5,"extra":[1,{"a":null}]}"#,
            r#"{"choices":[{"delta":null,"finish_reason":"length"}]}"#,
            r#"{"error":{"message":"overloaded","type":"server_error"}}"#,
            r#"{"error":{"code":500},"choices":[]}"#,
            r#"{"error":null,"choices":[{"delta":{"content":"x"}}]}"#,
            GROQ_LAST,
        ];
        for data in chunks {
            let strict = strict(data).unwrap_or_else(|| panic!("not read strictly: {data}"));
            assert_eq!(strict, lenient(data), "{data}");
        }
    }

    /// Groq's last chunk: the usage under `x_groq`, asked or not.
    const GROQ_LAST: &str = r#"{"choices":[{"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_1","usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}}"#;

    #[test]
    fn groq_usage_is_read_from_x_groq() {
        for events in [
            strict(GROQ_LAST).unwrap().unwrap(),
            lenient(GROQ_LAST).unwrap(),
        ] {
            let total = events.iter().find_map(|e| match e {
                StreamEvent::Usage(u) => Some(u.total_tokens),
                _ => None,
            });
            assert_eq!(total, Some(7), "{events:?}");
        }
    }

    #[test]
    fn odd_shapes_read_leniently() {
        let cases: [(&str, Vec<StreamEvent>); 7] = [
            // A non-string `arguments` is its JSON text; a negative index, the position.
            (
                r#"{"choices":[{"delta":{"tool_calls":[{"index":-1,"function":{"arguments":{"a":[1,2.5]}}}]}}]}"#,
                vec![call(0, None, None, r#"{"a":[1,2.5]}"#)],
            ),
            (
                r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":7}}]}}]}"#,
                vec![call(0, None, None, "7")],
            ),
            // The legacy call's non-string arguments count as none.
            (
                r#"{"choices":[{"delta":{"function_call":{"name":"f","arguments":{"a":1}}}}]}"#,
                vec![call(0, None, Some("f"), "")],
            ),
            // Members of the wrong type are absent.
            (
                r#"{"choices":[{"delta":{"content":5,"tool_calls":[null,{"id":3}]},"finish_reason":1}]}"#,
                vec![call(0, None, None, ""), call(1, None, None, "")],
            ),
            (
                r#"{"choices":[{"delta":["x"],"finish_reason":"stop"}]}"#,
                vec![StreamEvent::Finish(FinishReason::Stop)],
            ),
            (r#"{"choices":{"delta":{"content":"x"}}}"#, vec![]),
            (r#"[{"message":"not an object"},null,null]"#, vec![]),
        ];
        for (data, expected) in cases {
            assert!(strict(data).is_none(), "read strictly: {data}");
            assert_eq!(decoded(data), Ok(expected), "{data}");
        }
    }

    #[test]
    fn errors_and_bad_json() {
        assert_eq!(
            decoded(r#"{"error":{"message":"overloaded"}}"#),
            Err(mid_stream_error("overloaded").to_string())
        );
        assert_eq!(
            decoded(r#"{"error":"boom","choices":[{"delta":[]}]}"#),
            Err(mid_stream_error("\"boom\"").to_string())
        );
        assert!(
            decoded("{\"choices\":[")
                .unwrap_err()
                .contains("invalid JSON")
        );
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let data = r#"{"choices":[{"delta":{"tool_calls":[{"function":{"name":"User","arguments":"{\"a"}}]}}]}"#;
        let Object(chunk) = serde_json::from_str::<Object<Chunk<'_>>>(data).unwrap();
        let delta = chunk.choices.unwrap().delta.unwrap();
        let Object(call) = &delta.tool_calls.unwrap()[0];
        let function = call.function.as_ref().unwrap();
        assert!(matches!(function.name, Some(Text(Cow::Borrowed("User")))));
        assert!(matches!(&function.arguments, Some(Text(Cow::Owned(a))) if a == "{\"a"));
    }
}
