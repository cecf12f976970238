//! Configuration helpers every provider shares: environment variables (an unset or
//! empty variable is never silently an empty key), base URLs, extra body fields.

use std::{env, fmt};

use instructor_core::Error;
use instructor_core::provider::redact_url;
use serde_json::{Map, Value};

/// A base URL without its trailing slashes.
pub(crate) fn trim_url(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

/// A variable's value, if set and not blank.
pub(crate) fn optional_env(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Reads a required variable; an unset or empty variable is a configuration error.
#[cfg(any(feature = "openai", feature = "anthropic", feature = "cohere"))]
pub(crate) fn require_env(name: &str) -> Result<String, Error> {
    optional_env(name)
        .ok_or_else(|| Error::config(format!("environment variable {name} is not set")))
}

/// The first of `names` that is set, or a configuration error naming them all.
#[cfg(feature = "gemini")]
pub(crate) fn require_any_env(names: &[&str]) -> Result<String, Error> {
    names.iter().find_map(|n| optional_env(n)).ok_or_else(|| {
        Error::config(format!(
            "none of the environment variables {} is set",
            names.join(", ")
        ))
    })
}

/// Merges the request's `extra_body` into a body, verbatim (extra keys win).
pub(crate) fn merge_extra(body: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        body.insert(k.clone(), v.clone());
    }
}

/// A tool call's arguments as text: a string verbatim (a stream hands them over as
/// text), an object serialized, nothing as `{}`.
#[cfg(any(feature = "cohere", feature = "bedrock"))]
pub(crate) fn arguments_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "{}".to_owned(),
        Some(other) => other.to_string(),
    }
}

/// Usage as Anthropic and Bedrock report it: input tokens apart from those read
/// from or written to the prompt cache, so the prompt is their sum (saturating: the
/// counts are the server's word).
#[cfg(any(feature = "anthropic", feature = "bedrock"))]
pub(crate) fn usage_with_cache(
    input: u64,
    cache_read: u64,
    cache_write: u64,
    output: u64,
) -> instructor_core::Usage {
    let prompt = input.saturating_add(cache_read).saturating_add(cache_write);
    let mut usage = instructor_core::Usage::new(prompt, output, prompt.saturating_add(output));
    usage.cached_tokens = cache_read;
    usage.cache_creation_tokens = cache_write;
    usage
}

/// A string field of a JSON object.
pub(crate) fn str_field(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A `data:` URL split into its media type and base64 payload.
#[cfg(any(feature = "anthropic", feature = "gemini"))]
pub(crate) fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media = meta.strip_suffix(";base64")?;
    Some((media, data))
}

/// The error for a media part `provider` cannot take, before anything is sent:
/// "the audio part (audio/wav, inline content) cannot be sent to Anthropic: …".
#[cfg(any(
    feature = "openai",
    feature = "anthropic",
    feature = "gemini",
    feature = "bedrock"
))]
pub(crate) fn refuse(media: &instructor_core::Media, provider: &str, why: &str) -> Error {
    Error::config(format!(
        "{} cannot be sent to {provider}: {why}",
        media.label()
    ))
}

/// Refuses a media part in a system or developer message, for providers whose
/// system instruction takes text only (it would otherwise be dropped silently).
#[cfg(any(feature = "anthropic", feature = "gemini", feature = "bedrock"))]
pub(crate) fn text_only_system(
    messages: &[instructor_core::Message],
    provider: &str,
) -> Result<(), Error> {
    use instructor_core::{Part, Role};
    let media = messages
        .iter()
        .filter(|m| matches!(m.role, Role::System | Role::Developer))
        .flat_map(|m| &m.parts)
        .find_map(|p| match p {
            Part::Media(media) => Some(media),
            _ => None,
        });
    match media {
        Some(media) => Err(refuse(
            media,
            provider,
            "its system instruction takes text only; put the part in a user message",
        )),
        None => Ok(()),
    }
}

/// Why a URL is refused where a provider takes only inline content (the client
/// downloads such URLs first unless its `UrlFetchPolicy` is disabled).
#[cfg(any(feature = "openai", feature = "anthropic", feature = "bedrock"))]
pub(crate) const INLINE_ONLY: &str = "it takes this kind of content inline only and the URL was not downloaded (downloads are off with `UrlFetchPolicy::disabled`, and `Client::prepare` never downloads); pass the bytes (`from_bytes`), a local file (`from_path`), base64 or a `data:` URL";

/// A base URL without its trailing slashes. Its `Debug` hides a password or a
/// query-string key in it (see [`redact_url`]).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl(String);

impl BaseUrl {
    /// `url` without its trailing slashes.
    pub(crate) fn new(url: &str) -> Self {
        Self(trim_url(url))
    }

    /// `url` without its trailing slashes nor a trailing API version such as `/v1`
    /// (the provider adds its own), so a base URL is accepted with or without it.
    #[cfg(any(feature = "anthropic", feature = "cohere"))]
    pub(crate) fn without_version(url: &str, version: &str) -> Self {
        let url = Self::new(url);
        match url.as_str().strip_suffix(version) {
            Some(base) => Self::new(base),
            None => url,
        }
    }

    /// The URL, for building request URLs.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

/// The builder methods every provider client shares (`header`, `sensitive_header`,
/// `with_http_client`, `retry_policy`, `timeout`), for a type with
/// `headers: Vec<Header>` and `transport: Transport` fields. Expanded inside the
/// type's `impl` block.
macro_rules! transport_builders {
    () => {
        /// Adds a header sent with every request. A credential header
        /// (`Authorization`, `api-key`, `x-api-key`, `Cookie`, ...: see
        /// [`is_credential_header`](instructor_core::is_credential_header)) is
        /// sensitive: its value never prints.
        #[must_use]
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.headers.push(instructor_core::Header::new(name, value));
            self
        }

        /// Adds a header sent with every request whose value is a secret whatever
        /// its name (a gateway key, say): it never prints.
        #[must_use]
        pub fn sensitive_header(
            mut self,
            name: impl Into<String>,
            value: impl Into<String>,
        ) -> Self {
            self.headers
                .push(instructor_core::Header::sensitive(name, value));
            self
        }

        /// Sends every request through `client`: the caller's own proxies, root
        /// certificates, connection pool and default headers.
        ///
        /// This takes reqwest's type on purpose: it is the one reqwest type in this
        /// crate's API. Use the re-exported [`reqwest`](crate::reqwest)
        /// (`instructor::reqwest`) so the versions match. The provider's
        /// [`timeout`](Self::timeout) and [`retry_policy`](Self::retry_policy) still
        /// apply to each request; every request sends `User-Agent:
        /// instructor-rs/<version>` unless a `User-Agent` was set with
        /// [`header`](Self::header) (on the provider or the request), like the
        /// official OpenAI SDK.
        #[must_use]
        pub fn with_http_client(mut self, client: crate::reqwest::Client) -> Self {
            self.transport.set_client(client);
            self
        }

        /// Sets the transport retry policy (HTTP retries, apart from reasks).
        #[must_use]
        pub fn retry_policy(mut self, policy: crate::http::RetryPolicy) -> Self {
            self.transport.retry = policy;
            self
        }

        /// Sets the default timeout of each HTTP request.
        #[must_use]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.transport.timeout = timeout;
            self
        }
    };
}
pub(crate) use transport_builders;

/// The cursor of the next page of a `{"data": [..], "has_more", "last_id"}` listing
/// (OpenAI's and Anthropic's batch lists), or `None` on the last page.
#[cfg(any(feature = "openai", feature = "anthropic"))]
pub(crate) fn next_page_after(answer: &Value) -> Option<String> {
    let more = answer.get("has_more").and_then(Value::as_bool) == Some(true);
    let empty = answer
        .get("data")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    if !more || empty {
        return None;
    }
    str_field(answer, "last_id")
}

/// One JSON line of a batch results file read as `T` (`what` names the line in the
/// error, with a snippet of it), and its non-empty `custom_id`.
#[cfg(any(feature = "openai", feature = "anthropic"))]
pub(crate) fn batch_result_line<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
    custom_id: impl FnOnce(&T) -> Option<String>,
) -> Result<(T, String), Error> {
    let line: T = serde_json::from_slice(bytes).map_err(|e| {
        Error::Response(instructor_core::ErrorDetail::with_source(
            format!(
                "{what} is not a batch result: {}",
                crate::http::snippet(bytes)
            ),
            e,
        ))
    })?;
    let id = custom_id(&line)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::response(format!("{what} has no custom_id")))?;
    Ok((line, id))
}
