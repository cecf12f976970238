//! The reask loop: attempts until an answer parses and validates, each rejected answer
//! followed by messages saying what was wrong; a truncated, filtered or refused answer
//! stops the call at once. Transport retries live in the provider; this loop only
//! reasks, and never touches the caller's [`Request`].

use serde_json::Value;
use tracing::Instrument;

use super::Client;
use super::answer::answer_json;
use super::hooks::HookPayload;
use super::reask::reask_messages;
use super::request::{DEFAULT_MAX_RETRIES, Request};
use crate::completion::{Completion, FinishReason, Usage};
use crate::error::{AttemptError, Error, FailedAttempt, Result, RetriesExhausted};
use crate::mode::Mode;
use crate::provider::{ProviderRequest, ResponseSpec};
use crate::validate::ValidationContext;

/// What a successful call took, returned by
/// [`create_with_completion`](crate::Client::create_with_completion): the provider's
/// [`Completion`] that produced the value, usage summed over every attempt (failed
/// ones included), and how many attempts were made.
///
/// Named for the whole call, not one answer: a [`Completion`] is one provider
/// response to one HTTP attempt; a call may make several (reasks), and this sums
/// them up. Its failing counterpart is [`RetriesExhausted`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CallSummary {
    /// The response that produced the value.
    pub last: Completion,
    /// Usage summed over all attempts.
    pub total_usage: Usage,
    /// How many attempts were made (1 = no reask; 0 = answered from the client's
    /// [`ResponseCache`](crate::ResponseCache)).
    pub attempts: u32,
    /// Which client answered, for a [`fallback`](crate::Client::fallback) or
    /// [`round_robin`](crate::Client::round_robin) client (its position in the list);
    /// 0 otherwise.
    pub answered_by: usize,
}

impl CallSummary {
    /// The details of a call: its last completion, the usage of every attempt, and
    /// how many attempts it took.
    pub fn new(last: Completion, total_usage: Usage, attempts: u32) -> Self {
        Self {
            last,
            total_usage,
            attempts,
            answered_by: 0,
        }
    }

    /// A summary with nothing in it (for calls that report only their values).
    pub(crate) fn bare() -> Self {
        Self::new(Completion::from_raw(Value::Null), Usage::default(), 0)
    }

    /// Usage summed over all attempts.
    pub fn usage(&self) -> Usage {
        self.total_usage
    }

    /// The provider's raw JSON of the successful response.
    pub fn raw(&self) -> &Value {
        &self.last.raw
    }
}

impl Client {
    /// The response-cache key of a call whose first attempt sends `body` as `create`
    /// sends it (not streamed): `create`, `create_partial` and `create_iterable`
    /// share entries.
    pub(crate) fn cache_key(
        &self,
        cache: &crate::cache::ResponseCache,
        call: &ProviderRequest,
        body: &serde_json::Value,
        request: &Request,
    ) -> String {
        cache.key(
            self.provider.name(),
            &call.mode.to_string(),
            &call.model,
            body,
            request.context.as_ref(),
        )
    }

    /// The reask loop shared by every entry point; `tools` are a union's members
    /// (see [`ProviderRequest::tools`]), empty for one response model.
    pub(super) async fn run<V>(
        &self,
        request: Request,
        response: ResponseSpec,
        tools: Vec<ResponseSpec>,
        parse: impl Fn(Mode, &Completion, &ValidationContext<'_>) -> Result<V, AttemptError>,
    ) -> Result<(V, CallSummary)> {
        let mut call = self.prepare_call(&request, response, false).await?;
        call.tools = tools;
        let max_retries = request.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        let context = ValidationContext::from_option(request.context.as_ref());
        let span = tracing::info_span!(
            "instructor.create",
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = self.provider.name(),
            gen_ai.request.model = %call.model,
            instructor.mode = %self.mode,
            instructor.max_retries = max_retries,
            gen_ai.usage.input_tokens = tracing::field::Empty,
            gen_ai.usage.output_tokens = tracing::field::Empty,
            instructor.attempts = tracing::field::Empty,
        );
        // The first attempt's body, built once: the cache key is made from it, and
        // the first attempt sends it.
        let mut first_body = None;
        let cached = match (&self.cache, request.no_cache) {
            (Some(cache), false) => {
                let body = self.provider.build_body(&call)?;
                let key = self.cache_key(cache, &call, &body, &request);
                first_body = Some(body);
                Some((cache, key))
            }
            _ => None,
        };
        if let Some((cache, key)) = &cached
            && let Some(completion) = cache.get(key)
            && let Ok(value) = parse(self.mode, &completion, &context)
        {
            // Answered before and validated: no request, no usage.
            let done = CallSummary {
                last: completion,
                total_usage: Usage::default(),
                attempts: 0,
                answered_by: 0,
            };
            return Ok((value, done));
        }
        let mut total = Usage::default();
        let mut failed = Vec::new();
        for attempt in 1..=max_retries + 1 {
            let attempt_span = tracing::info_span!(parent: &span, "instructor.attempt", instructor.attempt = attempt);
            let completion = self
                .attempt(&call, attempt, first_body.take())
                .instrument(attempt_span)
                .await?;
            total += completion.usage;
            call.meters.record(&completion.usage);
            span.record("gen_ai.usage.input_tokens", total.prompt_tokens);
            span.record("gen_ai.usage.output_tokens", total.completion_tokens);
            span.record("instructor.attempts", attempt);
            self.emit(
                &call,
                &HookPayload::Usage {
                    usage: &completion.usage,
                    total: &total,
                },
            );
            check_finish(&completion, total)?;
            let parsed = match parse(self.mode, &completion, &context) {
                Ok(value) => self
                    .run_checks(&request, &completion, &call.response.name)
                    .await?
                    .map(|()| value),
                Err(error) => Err(error),
            };
            match parsed {
                Ok(value) => {
                    if let Some((cache, key)) = &cached {
                        cache.put(key, &completion);
                    }
                    let done = CallSummary {
                        last: completion,
                        total_usage: total,
                        attempts: attempt,
                        answered_by: 0,
                    };
                    return Ok((value, done));
                }
                Err(error) => {
                    let will_retry = attempt <= max_retries;
                    tracing::debug!(parent: &span, attempt, %error, "attempt failed");
                    self.emit_failure(&call, &error, attempt, will_retry);
                    let reask = reask_messages(self.mode, &completion, &error);
                    call.reask.append(&mut call.messages, reask);
                    failed.push(FailedAttempt {
                        number: attempt,
                        completion,
                        error,
                    });
                    if let Some(budget) = request.token_budget
                        && total.total_tokens >= budget
                        && will_retry
                    {
                        return Err(Error::TokenBudgetExceeded {
                            budget,
                            used: total.total_tokens,
                        });
                    }
                }
            }
        }
        Err(Error::RetriesExhausted(Box::new(RetriesExhausted {
            attempts: failed,
            usage: total,
        })))
    }

    /// The request's answer checks ([`Request::check`]) on a parsed answer: `Ok(Err)`
    /// with every rejection (to reask), `Err` when a check could not run.
    async fn run_checks(
        &self,
        request: &Request,
        completion: &Completion,
        name: &str,
    ) -> Result<Result<(), AttemptError>> {
        if request.checks().is_empty() {
            return Ok(Ok(()));
        }
        let Some(answer) = answer_json(self.mode, completion, name)
            .ok()
            .and_then(|json| serde_json::from_str::<Value>(json).ok())
        else {
            return Ok(Ok(()));
        };
        let mut failures = crate::validate::ValidationErrors::default();
        for check in request.checks() {
            if let Err(errors) = check.run(&answer).await? {
                failures.extend(errors);
            }
        }
        Ok(if failures.is_empty() {
            Ok(())
        } else {
            Err(AttemptError::Validation(failures))
        })
    }

    /// Tells the hooks an attempt's answer was rejected (and whether it was the last).
    pub(crate) fn emit_failure(
        &self,
        call: &ProviderRequest,
        error: &AttemptError,
        attempt: u32,
        will_retry: bool,
    ) {
        let payload = HookPayload::ParseError {
            error,
            attempt,
            will_retry,
        };
        self.emit(call, &payload);
        if !will_retry {
            self.emit(call, &HookPayload::CompletionLastAttempt { error, attempt });
        }
    }

    pub(crate) fn emit_kwargs(
        &self,
        call: &ProviderRequest,
        body: &serde_json::Value,
        attempt: u32,
    ) {
        self.emit(call, &HookPayload::CompletionKwargs { body, attempt });
    }

    /// One HTTP attempt of `call`, sending `body` when it was already built for it.
    async fn attempt(
        &self,
        call: &ProviderRequest,
        attempt: u32,
        body: Option<serde_json::Value>,
    ) -> Result<Completion> {
        let body = match body {
            Some(body) => body,
            None => self.provider.build_body(call)?,
        };
        call.meters.admit(&body)?;
        self.emit_kwargs(call, &body, attempt);
        match self.provider.send(call, &body).await {
            Ok(completion) => {
                let payload = HookPayload::CompletionResponse {
                    raw: &completion.raw,
                    attempt,
                };
                self.emit(call, &payload);
                Ok(completion)
            }
            Err(error) => {
                self.emit(
                    call,
                    &HookPayload::CompletionError {
                        error: &error,
                        attempt,
                    },
                );
                Err(error)
            }
        }
    }
}

/// Stops at once on a truncated, filtered or refused answer: a reask would not help.
pub(crate) fn check_finish(completion: &Completion, usage: Usage) -> Result<()> {
    if let Some(refusal) = &completion.refusal {
        return Err(Error::Refusal(refusal.clone()));
    }
    match completion.finish_reason {
        Some(FinishReason::Length) => {
            let partial = completion
                .tool_calls
                .first()
                .map(|c| c.arguments.clone())
                .or_else(|| completion.text.clone())
                .unwrap_or_default();
            Err(Error::Truncated {
                partial,
                usage,
                completion: Box::new(completion.clone()),
            })
        }
        Some(FinishReason::ContentFilter) => Err(Error::ContentFiltered {
            usage,
            completion: Box::new(completion.clone()),
        }),
        _ => Ok(()),
    }
}
