//! Parallel tools over a union of models (Python's `Iterable[Weather | GoogleSearch]`
//! in `PARALLEL_TOOLS`), over real HTTP on loopback: one tool per variant, each the
//! variant's model's own tool (request bodies snapshot per provider), each call read
//! back into its variant by tool name, and a reask for a call to an unknown tool or a
//! call that fails validation, the other calls told they were valid.

use crate::common::{bodies, client, serve_chat, tool_answer_many};
use instructor::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The units a forecast is given in.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Units {
    Imperial,
    Metric,
}

/// Looks up the weather in a city.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Weather {
    /// The city.
    location: String,
    units: Units,
}

/// Searches the web.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct GoogleSearch {
    /// What to search for.
    #[instruct(min_length = 3)]
    query: String,
}

/// What to do next: one of the two tools.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Action {
    Weather(Weather),
    Search(GoogleSearch),
}

/// The same union, untagged: the calls do not go through the enum's tagging.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Lookup {
    Weather(Weather),
    Search(GoogleSearch),
}

/// Not a union: simple types are answered as one wrapped value, as before.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(f64),
}

/// Two variants offered as one tool: refused before anything is sent.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Twice {
    Here(Weather),
    There(Weather),
}

const TORONTO: &str = r#"{"location":"Toronto","units":"metric"}"#;
const DALLAS: &str = r#"{"location":"Dallas","units":"imperial"}"#;
const SUPER_BOWL: &str = r#"{"query":"who won the super bowl"}"#;
const SHORT: &str = r#"{"query":"sb"}"#;

const VALID: &str = "This call is valid; repeat it unchanged alongside the corrected calls.";
const UNKNOWN: &str = "Validation Error found:\ncalled unknown tool `Calculator`; the tools are `Weather`, `GoogleSearch`\nRecall the function correctly, fix the errors";
const TOO_SHORT: &str = "Validation Error found:\n1 validation error found:\n- query: must be at least 3 characters long (got 2)\nRecall the function correctly, fix the errors";

fn weather(location: &str, units: Units) -> Weather {
    Weather {
        location: location.into(),
        units,
    }
}

fn search(query: &str) -> GoogleSearch {
    GoogleSearch {
        query: query.into(),
    }
}

fn expected() -> Vec<Action> {
    vec![
        Action::Weather(weather("Toronto", Units::Metric)),
        Action::Weather(weather("Dallas", Units::Imperial)),
        Action::Search(search("who won the super bowl")),
    ]
}

fn request() -> Request {
    request_for("gpt-4o-mini")
}

fn request_for(model: &str) -> Request {
    Request::new(model)
        .system("You must always use tools")
        .user("What is the weather in toronto and dallas and who won the super bowl?")
}

/// The text of every `tool` message at the end of a reask body, in order.
fn openai_tool_results(body: &Value) -> Vec<String> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_derived_enum_of_models_is_a_union_and_other_enums_are_not() {
    let members = Action::union_members().unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.tool().name.as_str()).collect();
    assert_eq!(names, ["Weather", "GoogleSearch"]);
    assert_eq!(members[0].tool(), Weather::tool(), "the model's own tool");
    assert_eq!(
        members[1].tool().description,
        "Searches the web.",
        "described from its struct"
    );
    assert!(Lookup::union_members().is_some());
    assert!(Scalar::union_members().is_none());
    assert!(Units::union_members().is_none());
    assert!(Weather::union_members().is_none());
}

#[test]
fn prepare_shows_the_union_tools_in_parallel_mode_only() {
    let provider = instructor::providers::OpenAI::new("sk-test").base_url("http://127.0.0.1:9/v1");
    let client = instructor::from_openai(provider);
    let names = |client: &Client| -> Vec<String> {
        let prepared = client.prepare::<Action>(&request()).unwrap();
        prepared
            .tool_specs()
            .iter()
            .map(|t| t.name.clone())
            .collect()
    };
    assert_eq!(
        names(&client.clone().with_mode(Mode::ParallelTools)),
        ["Weather", "GoogleSearch"]
    );
    assert_eq!(names(&client.with_mode(Mode::Tools)), ["Action"]);
}

#[tokio::test]
async fn openai_offers_one_tool_per_variant_and_maps_each_call_back() {
    let server = serve_chat(vec![tool_answer_many(
        &[
            ("Weather", TORONTO),
            ("Weather", DALLAS),
            ("GoogleSearch", SUPER_BOWL),
        ],
        (10, 5),
    )])
    .await;
    let actions: Vec<Action> = client(&server).create_parallel(request()).await.unwrap();
    assert_eq!(actions, expected());
    let body = &bodies(&server).await[0];
    assert_eq!(body["tool_choice"], "auto");
    insta::assert_json_snapshot!("parallel_union_openai_request", body);
}

#[tokio::test]
async fn the_tagging_of_the_union_does_not_change_the_wire() {
    let server = serve_chat(vec![
        tool_answer_many(&[("GoogleSearch", SUPER_BOWL)], (1, 1)),
        tool_answer_many(&[("GoogleSearch", SUPER_BOWL)], (1, 1)),
    ])
    .await;
    let client = client(&server);
    let tagged: Vec<Action> = client.create_parallel(request()).await.unwrap();
    let untagged: Vec<Lookup> = client.create_parallel(request()).await.unwrap();
    assert_eq!(tagged, [Action::Search(search("who won the super bowl"))]);
    assert_eq!(untagged, [Lookup::Search(search("who won the super bowl"))]);
    let bodies = bodies(&server).await;
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn an_unknown_tool_is_reasked_and_the_valid_calls_are_told_so() {
    let server = serve_chat(vec![
        tool_answer_many(
            &[
                ("Weather", TORONTO),
                ("Calculator", r#"{"expression":"1+1"}"#),
            ],
            (10, 5),
        ),
        tool_answer_many(
            &[
                ("Weather", TORONTO),
                ("Weather", DALLAS),
                ("GoogleSearch", SUPER_BOWL),
            ],
            (10, 5),
        ),
    ])
    .await;
    let actions: Vec<Action> = client(&server)
        .create_parallel(request().max_retries(1))
        .await
        .unwrap();
    assert_eq!(actions, expected());
    let bodies = bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    assert_eq!(openai_tool_results(&bodies[1]), [VALID, UNKNOWN]);
}

#[tokio::test]
async fn one_variants_failing_call_is_reasked_alone() {
    let server = serve_chat(vec![
        tool_answer_many(
            &[
                ("Weather", TORONTO),
                ("GoogleSearch", SHORT),
                ("Weather", DALLAS),
            ],
            (10, 5),
        ),
        tool_answer_many(
            &[
                ("Weather", TORONTO),
                ("Weather", DALLAS),
                ("GoogleSearch", SUPER_BOWL),
            ],
            (10, 5),
        ),
    ])
    .await;
    let actions: Vec<Action> = client(&server)
        .create_parallel(request().max_retries(1))
        .await
        .unwrap();
    assert_eq!(actions, expected());
    let bodies = bodies(&server).await;
    assert_eq!(openai_tool_results(&bodies[1]), [VALID, TOO_SHORT, VALID]);
}

/// A union with its own check: no weather for Dallas.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[instruct(validate = no_dallas)]
enum Checked {
    Weather(Weather),
    Search(GoogleSearch),
}

fn no_dallas(action: &Checked) -> Result<(), String> {
    match action {
        Checked::Weather(w) if w.location == "Dallas" => Err("Dallas is not served".to_owned()),
        _ => Ok(()),
    }
}

#[tokio::test]
async fn the_unions_own_validators_run_on_each_call() {
    let server = serve_chat(vec![tool_answer_many(
        &[("Weather", TORONTO), ("Weather", DALLAS)],
        (10, 5),
    )])
    .await;
    let error = client(&server)
        .create_parallel::<Checked>(request().max_retries(0))
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("tool call 2") && text.contains("Dallas is not served"),
        "{text}"
    );
    assert!(!text.contains("tool call 1"), "{text}");
}

#[tokio::test]
async fn out_of_retries_the_error_lists_each_failing_call() {
    let server = serve_chat(vec![tool_answer_many(
        &[("Calculator", "{}"), ("GoogleSearch", SHORT)],
        (10, 5),
    )])
    .await;
    let error = client(&server)
        .create_parallel::<Action>(request().max_retries(0))
        .await
        .unwrap_err();
    let Error::RetriesExhausted(details) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        details.attempts[0].error.to_string(),
        "tool call 1: called unknown tool `Calculator`; the tools are `Weather`, `GoogleSearch`\n\
         tool call 2: 1 validation error found:\n- query: must be at least 3 characters long (got 2)"
    );
}

#[tokio::test]
async fn an_enum_of_simple_types_keeps_one_wrapped_tool() {
    let server = serve_chat(vec![tool_answer_many(
        &[
            ("Scalar", r#"{"content":"a"}"#),
            ("Scalar", r#"{"content":2.5}"#),
        ],
        (1, 1),
    )])
    .await;
    let values: Vec<Scalar> = client(&server)
        .create_parallel(request().max_retries(0))
        .await
        .unwrap();
    assert_eq!(values, [Scalar::Text("a".into()), Scalar::Number(2.5)]);
    let tools = bodies(&server).await[0]["tools"].clone();
    assert_eq!(tools.as_array().unwrap().len(), 1);
    assert_eq!(tools[0]["function"]["name"], "Scalar");
}

#[tokio::test]
async fn two_variants_with_one_tool_name_are_refused_before_sending() {
    let server = serve_chat(vec![]).await;
    let error = client(&server)
        .create_parallel::<Twice>(request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert!(
        error.to_string().contains("offered as the tool `Weather`"),
        "{error}"
    );
    assert!(bodies(&server).await.is_empty());
}

#[cfg(feature = "anthropic")]
mod anthropic {
    use super::*;
    use crate::common::serve;
    use instructor::providers::Anthropic;
    use serde_json::json;
    use wiremock::ResponseTemplate;

    const MODEL: &str = "claude-3-5-sonnet-20240620";

    fn tool_use(id: &str, name: &str, input: &str) -> Value {
        json!({"type": "tool_use", "id": id, "name": name,
            "input": serde_json::from_str::<Value>(input).unwrap()})
    }

    fn message(calls: &[(&str, &str)]) -> ResponseTemplate {
        let content: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (name, input))| tool_use(&format!("toolu_0{i}"), name, input))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"id": "msg_01", "type": "message",
            "role": "assistant", "model": MODEL, "content": content, "stop_reason": "tool_use",
            "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 5}}))
    }

    #[tokio::test]
    async fn anthropic_offers_one_tool_per_variant_and_reasks_per_call() {
        let server = serve(
            "/v1/messages",
            vec![
                message(&[
                    ("Weather", TORONTO),
                    ("GoogleSearch", SHORT),
                    ("Calculator", "{}"),
                ]),
                message(&[
                    ("Weather", TORONTO),
                    ("Weather", DALLAS),
                    ("GoogleSearch", SUPER_BOWL),
                ]),
            ],
        )
        .await;
        let client =
            instructor::from_anthropic(Anthropic::new("sk-ant-test").base_url(server.uri()))
                .with_model(MODEL);
        let actions: Vec<Action> = client
            .create_parallel(request_for(MODEL).max_retries(1))
            .await
            .unwrap();
        assert_eq!(actions, expected());
        let bodies = bodies(&server).await;
        insta::assert_json_snapshot!("parallel_union_anthropic_request", bodies[0]);
        let messages = bodies[1]["messages"].as_array().unwrap();
        let results = messages.last().unwrap()["content"].as_array().unwrap();
        let texts: Vec<(&str, bool)> = results
            .iter()
            .map(|r| {
                (
                    r["content"].as_str().unwrap(),
                    r["is_error"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(texts, [(VALID, false), (TOO_SHORT, true), (UNKNOWN, true)]);
    }
}

#[cfg(feature = "gemini")]
mod gemini {
    use super::*;
    use crate::common::serve;
    use instructor::providers::Gemini;
    use serde_json::json;
    use wiremock::ResponseTemplate;

    const MODEL: &str = "gemini-1.5-flash-latest";
    const ROUTE: &str = "/v1beta/models/gemini-1.5-flash-latest:generateContent";

    fn answer(calls: &[(&str, &str)]) -> ResponseTemplate {
        let parts: Vec<Value> = calls
            .iter()
            .map(|(name, args)| json!({"functionCall": {"name": name, "args": serde_json::from_str::<Value>(args).unwrap()}}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"candidates": [{"content": {"role": "model",
            "parts": parts}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}}))
    }

    #[tokio::test]
    async fn gemini_declares_one_function_per_variant_and_reasks_per_call() {
        let server = serve(
            ROUTE,
            vec![
                answer(&[
                    ("Calculator", "{}"),
                    ("GoogleSearch", SHORT),
                    ("Weather", TORONTO),
                ]),
                answer(&[
                    ("Weather", TORONTO),
                    ("Weather", DALLAS),
                    ("GoogleSearch", SUPER_BOWL),
                ]),
            ],
        )
        .await;
        let provider = Gemini::new("AIza-test").base_url(format!("{}/v1beta", server.uri()));
        let client = instructor::from_gemini(provider).with_model(MODEL);
        let actions: Vec<Action> = client
            .create_parallel(request_for(MODEL).max_retries(1))
            .await
            .unwrap();
        assert_eq!(actions, expected());
        let bodies = bodies(&server).await;
        insta::assert_json_snapshot!("parallel_union_gemini_request", bodies[0]);
        let contents = bodies[1]["contents"].as_array().unwrap();
        let responses: Vec<&Value> = contents.last().unwrap()["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["functionResponse"]["response"])
            .collect();
        assert_eq!(responses[0]["error"], UNKNOWN);
        assert_eq!(responses[1]["error"], TOO_SHORT);
        assert_eq!(responses[2]["result"], VALID);
    }
}
