//! Error envelopes of every provider, parsed into status, type, code and message:
//! OpenAI `{"error":{message,type,param,code}}`, Anthropic
//! `{"type":"error","error":{type,message}}`, Gemini `{"error":{code,message,status}}`
//! (also wrapped in an array), vLLM's flat `{"object":"error","message",..}`, Ollama's
//! `{"error":"text"}`, OAuth's `{"error","error_description"}`, AWS's flat
//! `{"message"}` or `{"Message"}` (its type in the `x-amzn-errortype` header), and
//! plain text.

use instructor_core::HttpError;
use serde_json::Value;

/// Parses an error body of any known shape.
pub fn parse_error_body(status: u16, body: &[u8]) -> HttpError {
    let mut error = super::http_error(status, default_message(status));
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let text = super::snippet(body);
        if !text.trim().is_empty() {
            error.message = text.trim().to_owned();
        }
        return error;
    };
    let value = match value {
        Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
        other => other,
    };
    let envelope = match value.get("error") {
        Some(Value::String(message)) => {
            // OAuth's `{"error": "invalid_grant", "error_description": ".."}` too.
            error.message = message.clone();
            if let Some(description) = value.get("error_description").and_then(Value::as_str) {
                error.message = format!("{message}: {description}");
                error.code = Some(message.clone());
            }
            return error;
        }
        Some(inner @ Value::Object(_)) => inner,
        _ => &value,
    };
    let text = |key: &str| match envelope.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // AWS services write `message` or `Message`.
    if let Some(message) = text("message").or_else(|| text("Message")) {
        error.message = message;
    }
    error.kind = text("type").or_else(|| text("status"));
    error.retry_after = retry_info_delay(envelope);
    error.code = text("code")
        .filter(|c| c.parse::<u16>().is_err())
        .or_else(|| {
            envelope
                .get("details")
                .and_then(Value::as_array)
                .and_then(|d| {
                    d.iter()
                        .find_map(|x| x.get("reason").and_then(Value::as_str))
                })
                .map(str::to_owned)
        });
    error
}

/// Google's `details: [{"@type": "...RetryInfo", "retryDelay": "34.4s"}]`, bounded
/// as a `retry-after` header is (see [`super::retry`]).
fn retry_info_delay(envelope: &Value) -> Option<std::time::Duration> {
    let delay = envelope
        .get("details")?
        .as_array()?
        .iter()
        .find(|d| {
            d.get("@type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("RetryInfo"))
        })?
        .get("retryDelay")?
        .as_str()?;
    // A protobuf Duration in JSON: seconds with an `s` suffix; bounded like a header.
    super::retry::seconds_delay(delay.strip_suffix('s')?, 1.0)
}

fn default_message(status: u16) -> String {
    match status {
        400 => "bad request",
        401 => "unauthorized (check the API key)",
        403 => "forbidden",
        404 => "not found",
        429 => "rate limited",
        500..=599 => "server error",
        _ => "request failed",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::parse_error_body;

    #[test]
    fn every_envelope_shape() {
        let openai = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        let e = parse_error_body(429, openai);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref(), e.code.as_deref()),
            (
                "You exceeded your current quota",
                Some("insufficient_quota"),
                Some("insufficient_quota")
            )
        );

        let anthropic =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let e = parse_error_body(529, anthropic);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref()),
            ("Overloaded", Some("overloaded_error"))
        );

        let gemini = br#"[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}]"#;
        let e = parse_error_body(400, gemini);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref(), e.code.as_deref()),
            (
                "API key not valid.",
                Some("INVALID_ARGUMENT"),
                Some("API_KEY_INVALID")
            )
        );

        let vllm = br#"{"object":"error","message":"bad model","type":"BadRequestError","param":null,"code":400}"#;
        let e = parse_error_body(400, vllm);
        assert_eq!(
            (e.message.as_str(), e.kind.as_deref(), e.code),
            ("bad model", Some("BadRequestError"), None)
        );

        let ollama = br#"{"error":"model 'x' not found"}"#;
        assert_eq!(parse_error_body(404, ollama).message, "model 'x' not found");

        let oauth = br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#;
        let e = parse_error_body(400, oauth);
        assert_eq!(
            (e.message.as_str(), e.code.as_deref()),
            (
                "invalid_grant: Invalid JWT Signature.",
                Some("invalid_grant")
            )
        );

        let aws = br#"{"Message":"The security token included in the request is invalid."}"#;
        assert_eq!(
            parse_error_body(403, aws).message,
            "The security token included in the request is invalid."
        );

        let quota = br#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34.4s"}]}}"#;
        let e = parse_error_body(429, quota);
        assert_eq!(
            e.retry_after,
            Some(std::time::Duration::from_millis(34_400))
        );
        assert_eq!(e.kind.as_deref(), Some("RESOURCE_EXHAUSTED"));

        // Fuzz finding: a huge `retryDelay` panicked in `Duration::from_secs_f64`.
        for (delay, expected) in [
            ("1e30s", Some(super::super::retry::MAX_SERVER_DELAY)),
            ("-5s", None),
            ("NaNs", None),
            ("34.4", None),
            ("s", None),
        ] {
            let body = format!(
                r#"{{"error":{{"code":429,"details":[{{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"{delay}"}}]}}}}"#
            );
            assert_eq!(
                parse_error_body(429, body.as_bytes()).retry_after,
                expected,
                "{delay}"
            );
        }

        assert_eq!(parse_error_body(502, b"Bad Gateway").message, "Bad Gateway");
        assert_eq!(parse_error_body(503, b"").message, "server error");
    }
}
