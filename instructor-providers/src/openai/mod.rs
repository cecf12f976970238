//! OpenAI Chat Completions and Responses API, and every OpenAI-compatible service
//! (Azure OpenAI, OpenRouter, WorkflowAI, Ollama, Groq, Together, Fireworks,
//! DeepSeek, Cerebras, Mistral, xAI, LM Studio, llama.cpp, vLLM).

mod batch;
mod chunk;
mod config;
mod convert;
mod de;
mod mistral;
mod stream;
mod wire;

pub use config::{AzureOpenAI, OpenAI};

use instructor_core::provider::{BatchEngine, EventStream, Provider, ProviderRequest};
use instructor_core::{Completion, Error, Media, MediaKind, Mode, UrlFetchPolicy};
use serde_json::Value;

use crate::http::HttpRequest;

impl OpenAI {
    /// The HTTP request for `body`, and whether it goes to the Responses API.
    fn http_request<'a>(
        &self,
        request: &ProviderRequest,
        body: &'a Value,
    ) -> (HttpRequest<'a>, bool) {
        let responses = request.mode == Mode::ResponsesTools;
        let url = if responses {
            self.responses_url()
        } else {
            self.chat_url(&request.model)
        };
        let http = HttpRequest {
            url,
            headers: self.request_headers(&request.headers),
            body,
            timeout: request.timeout,
            gate: request.gate.clone(),
        };
        (http, responses)
    }
}

#[async_trait::async_trait]
impl Provider for OpenAI {
    fn name(&self) -> &str {
        &self.name
    }

    fn supported_modes(&self) -> &[Mode] {
        self.modes
    }

    fn default_mode(&self) -> Mode {
        self.default_mode
    }

    /// OpenAI's Batch API (and Azure OpenAI's); other compatible services have none.
    fn batch_engine(&self) -> Option<&dyn BatchEngine> {
        matches!(self.name.as_str(), "openai" | "azure").then_some(self as &dyn BatchEngine)
    }

    fn build_body(&self, request: &ProviderRequest) -> Result<Value, Error> {
        if request.mode == Mode::ResponsesTools {
            wire::responses_body(request)
        } else {
            let mut body = wire::chat_body(request, self.stream_usage)?;
            if self.name == "mistral" {
                mistral::adjust(request, &mut body)?;
            }
            Ok(body)
        }
    }

    /// Chat Completions takes images as URLs, audio and files inline only; the
    /// Responses API takes image and file URLs (and no audio at all).
    fn takes_url(&self, mode: Mode, media: &Media) -> bool {
        mode == Mode::ResponsesTools || media.kind() == MediaKind::Image
    }

    async fn fetch_url(
        &self,
        media: &Media,
        policy: &UrlFetchPolicy,
        max_bytes: u64,
    ) -> Result<Media, Error> {
        crate::http::fetch::fetch_media(media, policy, max_bytes).await
    }

    async fn send(&self, request: &ProviderRequest, body: &Value) -> Result<Completion, Error> {
        let (http, responses) = self.http_request(request, body);
        let raw = self.transport.post_json(&http).await?;
        if responses {
            convert::responses_completion(raw)
        } else {
            convert::chat_completion(raw)
        }
    }

    async fn send_stream(
        &self,
        request: &ProviderRequest,
        body: &Value,
    ) -> Result<EventStream, Error> {
        let (http, responses) = self.http_request(request, body);
        let response = self.transport.post_stream(&http).await?;
        Ok(stream::events(response, responses))
    }
}
