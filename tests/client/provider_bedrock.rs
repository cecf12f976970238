//! AWS Bedrock's Converse API over real HTTP on loopback, against an emulation that
//! verifies every request's SigV4 signature (recomputed independently in
//! `tests/common/bedrock.rs`, itself checked here against AWS's published test-suite
//! vectors): the exact request body of every mode (snapshot), the model id
//! percent-encoded in the path (ARNs too), typed results, reasks in Converse's shapes
//! (`toolUse` echoed, `toolResult` in a user turn, turns alternating), usage with
//! prompt-cache counts summed over attempts, images and documents as bytes, typed
//! errors (a bad signature is a 403, throttling is retried and re-signed), and
//! `from_provider("bedrock/..")` from environment keys and from profile files.
//! Streaming is in `provider_bedrock_stream.rs`.
#![cfg(feature = "bedrock")]

use crate::common::person::{BAD, GOOD, IVAN, User, user};
use std::time::Duration;

use crate::common::bedrock::{
    ACCESS_KEY, MODEL, REGION, SECRET_KEY, aws_error, canonical_request, ok, serve,
    serve_with_token, signature, string_to_sign,
};
use instructor::prelude::*;
use instructor::providers::{AwsCredentials, Bedrock, RetryPolicy};
use instructor::{Image, Pdf};
use serde_json::{Value, json};

fn credentials() -> AwsCredentials {
    AwsCredentials::new(ACCESS_KEY, SECRET_KEY)
}

fn provider(url: &str, credentials: AwsCredentials) -> Bedrock {
    Bedrock::new(REGION, credentials)
        .endpoint(url)
        .retry_policy(RetryPolicy::new(
            2,
            Duration::from_millis(5),
            Duration::from_millis(100),
        ))
}

fn client(url: &str) -> Client {
    instructor::from_bedrock(provider(url, credentials())).with_model(MODEL)
}

/// A Converse answer.
fn converse(content: Value, stop_reason: &str, usage: (u64, u64)) -> Value {
    json!({"output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": usage.0, "outputTokens": usage.1, "totalTokens": usage.0 + usage.1},
        "metrics": {"latencyMs": 321}})
}

fn tool_use(id: &str, input: &str) -> Value {
    json!({"toolUse": {"toolUseId": id, "name": "User", "input": serde_json::from_str::<Value>(input).unwrap()}})
}

/// What the model answers in `mode` when it means `json`.
fn answer(mode: Mode, json: &str, usage: (u64, u64)) -> Value {
    match mode {
        Mode::Tools => converse(
            json!([{"text": "I will extract the user."}, tool_use("tooluse_abc", json)]),
            "tool_use",
            usage,
        ),
        Mode::ParallelTools => converse(
            json!([tool_use("tooluse_1", json), tool_use("tooluse_2", IVAN)]),
            "tool_use",
            usage,
        ),
        Mode::MdJson => converse(
            json!([{"text": format!("Here it is:\n```json\n{json}\n```")}]),
            "end_turn",
            usage,
        ),
        _ => converse(json!([{"text": json}]), "end_turn", usage),
    }
}

const MODES: [Mode; 5] = [
    Mode::Tools,
    Mode::ParallelTools,
    Mode::JsonSchema,
    Mode::Json,
    Mode::MdJson,
];

fn request() -> Request {
    Request::default()
        .system("Extract the user.")
        .user("Jason is 25 years old.")
}

async fn run(client: &Client, mode: Mode, request: Request) -> instructor::Result<Vec<User>> {
    if mode == Mode::ParallelTools {
        client.create_parallel::<User>(request).await
    } else {
        client.create::<User>(request).await.map(|u| vec![u])
    }
}

const CONVERSE_PATH: &str = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";

#[test]
fn the_emulations_verifier_reproduces_the_aws_test_suite_vectors() {
    // get-vanilla and post-x-www-form-urlencoded from AWS's SigV4 test suite.
    let scope = "20150830/us-east-1/service/aws4_request";
    let host = ("host".to_owned(), "example.amazonaws.com".to_owned());
    let date = ("x-amz-date".to_owned(), "20150830T123600Z".to_owned());
    let get = canonical_request(
        "GET",
        "/",
        "",
        &[host.clone(), date.clone()],
        &["host", "x-amz-date"],
        b"",
    );
    assert_eq!(
        get,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let sts = string_to_sign("20150830T123600Z", scope, &get);
    assert!(sts.ends_with("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"));
    assert_eq!(
        signature(SECRET_KEY, scope, &sts),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );

    let body = b"Param1=value1";
    let headers = [
        (
            "content-type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ),
        host,
        ("content-length".to_owned(), "13".to_owned()),
        date,
        (
            "x-amz-content-sha256".to_owned(),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e".to_owned(),
        ),
    ];
    let post = canonical_request(
        "POST",
        "/",
        "",
        &headers,
        &[
            "content-length",
            "content-type",
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
        ],
        body,
    );
    let sts = string_to_sign("20150830T123600Z", scope, &post);
    assert!(sts.ends_with("b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb"));
    assert_eq!(
        signature(SECRET_KEY, scope, &sts),
        "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
    );
}

#[tokio::test]
async fn every_mode_sends_its_request_shape_signed_and_returns_a_typed_value() {
    for mode in MODES {
        let emulation = serve(vec![ok(answer(mode, GOOD, (10, 5)))]).await;
        let client = client(&emulation.url).try_with_mode(mode).unwrap();
        let users = run(&client, mode, request())
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let mut expected = vec![user("Jason", 25)];
        if mode == Mode::ParallelTools {
            expected.push(user("Ivan", 28));
        }
        assert_eq!(users, expected, "{mode}");
        let received = emulation.received();
        assert_eq!(received.len(), 1, "{mode}");
        assert_eq!(received[0].signature, Ok(()), "{mode}");
        assert_eq!(received[0].method, "POST");
        assert_eq!(received[0].path, CONVERSE_PATH);
        assert_eq!(received[0].header("content-type"), Some("application/json"));
        let body = received[0].json();
        assert!(body.get("modelId").is_none() && body.get("model").is_none());
        assert_eq!(
            body["system"][0]["text"]
                .as_str()
                .map(|s| s.starts_with("Extract the user.")),
            Some(true),
            "{mode}"
        );
        assert_eq!(body["messages"][0]["role"], "user", "{mode}");
        insta::assert_json_snapshot!(format!("bedrock_request_{}", mode.name()), body);
    }
}

#[tokio::test]
async fn mode_shapes_and_request_options() {
    let emulation = serve(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))]).await;
    assert_eq!(client(&emulation.url).mode(), Mode::Tools, "the default");
    for other in [Mode::AnthropicTools, Mode::GeminiTools, Mode::ToolsStrict] {
        assert!(
            client(&emulation.url).try_with_mode(other).is_err(),
            "{other} is refused at construction"
        );
    }
    let request = request()
        .max_tokens(512)
        .temperature(0.0)
        .extra_body(json!({"additionalModelRequestFields": {"top_k": 5}}));
    let _: User = client(&emulation.url).create(request).await.unwrap();
    let body = emulation.received()[0].json();
    assert_eq!(
        body["inferenceConfig"],
        json!({"maxTokens": 512, "temperature": 0.0})
    );
    assert_eq!(body["additionalModelRequestFields"]["top_k"], 5);
    assert_eq!(
        body["toolConfig"]["toolChoice"],
        json!({"tool": {"name": "User"}})
    );
    let spec = &body["toolConfig"]["tools"][0]["toolSpec"];
    assert_eq!(spec["name"], "User");
    assert_eq!(spec["description"], "A person mentioned in the text.");
    assert_eq!(
        spec["inputSchema"]["json"]["required"],
        json!(["name", "age"])
    );
}

#[tokio::test]
async fn json_schema_mode_sends_bedrocks_structured_output_config() {
    let emulation = serve(vec![ok(answer(Mode::JsonSchema, GOOD, (1, 1)))]).await;
    let _: User = client(&emulation.url)
        .with_mode(Mode::JsonSchema)
        .create(request())
        .await
        .unwrap();
    let body = emulation.received()[0].json();
    let format = &body["outputConfig"]["textFormat"];
    assert_eq!(format["type"], "json_schema");
    let definition = &format["structure"]["jsonSchema"];
    assert_eq!(definition["name"], "User");
    // The schema travels as a JSON string, objects closed.
    let schema: Value = serde_json::from_str(definition["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["name"]["type"], "string");
    assert!(body.get("toolConfig").is_none());
}

#[tokio::test]
async fn every_mode_reasks_in_converse_shape_with_alternating_turns() {
    for mode in MODES {
        let emulation = serve(vec![
            ok(answer(mode, BAD, (10, 5))),
            ok(answer(mode, GOOD, (12, 6))),
        ])
        .await;
        let client = client(&emulation.url).with_mode(mode);
        let users = run(&client, mode, request().max_retries(1))
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(users[0], user("Jason", 25), "{mode}");
        let received = emulation.received();
        assert_eq!(received.len(), 2, "{mode}");
        assert!(received.iter().all(|r| r.signature.is_ok()));
        let second = received[1].json();
        let turns = second["messages"].as_array().unwrap();
        for pair in turns.windows(2) {
            assert_ne!(pair[0]["role"], pair[1]["role"], "{mode}: roles alternate");
        }
        assert!(
            second
                .to_string()
                .contains("name: must be at least 2 characters long (got 1)"),
            "{mode}: the error is sent"
        );
        let reask = turns[1..].to_vec();
        assert_eq!(reask[0]["role"], "assistant");
        if matches!(mode, Mode::Tools | Mode::ParallelTools) {
            let uses: Vec<&Value> = reask[0]["content"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|b| b.get("toolUse"))
                .collect();
            assert_eq!(
                uses[0]["input"],
                serde_json::from_str::<Value>(BAD).unwrap()
            );
            let results: Vec<&Value> = reask[1]["content"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|b| b.get("toolResult"))
                .collect();
            assert_eq!(results.len(), uses.len(), "{mode}: every call answered");
            for (result, call) in results.iter().zip(&uses) {
                assert_eq!(result["toolUseId"], call["toolUseId"]);
            }
        }
        insta::assert_json_snapshot!(format!("bedrock_reask_{}", mode.name()), reask);
    }
}

#[tokio::test]
async fn usage_with_cache_counts_sums_over_attempts() {
    let mut first = answer(Mode::Tools, BAD, (100, 20));
    first["usage"]["cacheReadInputTokens"] = json!(1000);
    let mut second = answer(Mode::Tools, GOOD, (130, 22));
    second["usage"]["cacheWriteInputTokens"] = json!(50);
    let emulation = serve(vec![ok(first), ok(second)]).await;
    let (_, completion) = client(&emulation.url)
        .create_with_completion::<User>(request().max_retries(1))
        .await
        .unwrap();
    let u = completion.usage();
    assert_eq!(
        (u.prompt_tokens, u.completion_tokens, u.total_tokens),
        (1280, 42, 1322)
    );
    assert_eq!((u.cached_tokens, u.cache_creation_tokens), (1000, 50));
    assert_eq!(completion.attempts, 2);
    assert_eq!(completion.raw()["metrics"]["latencyMs"], 321);
}

#[tokio::test]
async fn max_tokens_is_truncation_and_is_not_reasked() {
    let cut = r#"{"name": "Jas"#;
    let emulation = serve(vec![ok(converse(
        json!([{"text": cut}]),
        "max_tokens",
        (10, 64),
    ))])
    .await;
    match client(&emulation.url)
        .with_mode(Mode::JsonSchema)
        .create::<User>(request().max_retries(2))
        .await
    {
        Err(Error::Truncated { partial, usage, .. }) => {
            assert_eq!(partial, cut);
            assert_eq!(usage.completion_tokens, 64);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emulation.received().len(), 1);
}

#[tokio::test]
async fn a_model_arn_is_one_percent_encoded_path_segment_and_still_verifies() {
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0";
    let emulation = serve(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))]).await;
    let _: User = client(&emulation.url)
        .create(
            Request::new(arn)
                .system("Extract the user.")
                .user("Jason is 25 years old."),
        )
        .await
        .unwrap();
    let received = &emulation.received()[0];
    assert_eq!(received.signature, Ok(()));
    assert_eq!(
        received.path,
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    );
}

#[tokio::test]
async fn a_session_token_is_sent_and_signed() {
    const TOKEN: &str = "FwoGZXIvYXdzEXAMPLE-session-token";
    let emulation =
        serve_with_token(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))], Some(TOKEN)).await;
    let provider = provider(&emulation.url, credentials().with_session_token(TOKEN));
    assert!(!format!("{provider:?}").contains(TOKEN));
    let _: User = instructor::from_bedrock(provider)
        .with_model(MODEL)
        .create(request())
        .await
        .unwrap();
    let received = &emulation.received()[0];
    assert_eq!(received.signature, Ok(()));
    assert_eq!(received.header("x-amz-security-token"), Some(TOKEN));
}

#[tokio::test]
async fn a_wrong_secret_is_a_403_signature_error_never_retried_nor_printed() {
    const WRONG: &str = "wrong-secret-key-0123456789";
    let emulation = serve(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))]).await;
    let client = instructor::from_bedrock(provider(
        &emulation.url,
        AwsCredentials::new(ACCESS_KEY, WRONG),
    ))
    .with_model(MODEL);
    let error = client.create::<User>(request()).await.unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(http.status, 403);
    assert_eq!(http.kind.as_deref(), Some("InvalidSignatureException"));
    assert_eq!(http.request_id.as_deref(), Some("req-123"));
    assert!(
        http.message
            .starts_with("The request signature we calculated does not match")
    );
    assert_eq!(emulation.received().len(), 1, "a 403 is final");
    let shown = format!("{error:?} {error} {client:?}");
    assert!(!shown.contains(WRONG), "the secret never prints");
    let signature = emulation.received()[0]
        .header("authorization")
        .unwrap()
        .rsplit("Signature=")
        .next()
        .unwrap()
        .to_owned();
    assert!(!shown.contains(&signature), "the signature never prints");
}

#[tokio::test]
async fn throttling_is_retried_and_each_attempt_is_signed() {
    let emulation = serve(vec![
        aws_error(
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        ),
        ok(answer(Mode::Tools, GOOD, (1, 1))),
    ])
    .await;
    let user: User = client(&emulation.url).create(request()).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
    let received = emulation.received();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|r| r.signature.is_ok()));
}

#[tokio::test]
async fn throttling_that_persists_is_a_typed_429_after_the_retries() {
    let throttled = aws_error(429, "ThrottlingException", "Too many requests");
    let emulation = serve(vec![throttled.clone(), throttled.clone(), throttled]).await;
    let error = client(&emulation.url)
        .create::<User>(request())
        .await
        .unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (http.status, http.kind.as_deref()),
        (429, Some("ThrottlingException"))
    );
    assert_eq!(
        emulation.received().len(),
        3,
        "the first try and two retries"
    );
}

#[tokio::test]
async fn a_validation_exception_is_final() {
    let emulation = serve(vec![aws_error(
        400,
        "ValidationException",
        "The model returned the following errors: tools.0: bad schema",
    )])
    .await;
    let error = client(&emulation.url)
        .create::<User>(request())
        .await
        .unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (http.status, http.kind.as_deref()),
        (400, Some("ValidationException"))
    );
    assert!(http.message.contains("bad schema"));
    assert_eq!(emulation.received().len(), 1);
}

/// The smallest PNG (1x1) and a tiny PDF header.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
];
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";

#[tokio::test]
async fn images_and_documents_go_as_bytes_and_the_rest_is_refused_before_sending() {
    let emulation = serve(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))]).await;
    let message = Message::user("Who is on the badge?")
        .image(Image::from_bytes(PNG))
        .pdf(Pdf::from_bytes(PDF).with_filename("badge_scan.v2.pdf"));
    let _: User = client(&emulation.url)
        .create(Request::default().message(message))
        .await
        .unwrap();
    let body = emulation.received()[0].json();
    let content = &body["messages"][0]["content"];
    assert_eq!(content[0], json!({"text": "Who is on the badge?"}));
    assert_eq!(content[1]["image"]["format"], "png");
    let bytes = content[1]["image"]["source"]["bytes"].as_str().unwrap();
    assert_eq!(bytes, Image::from_bytes(PNG).into_media().base64().unwrap());
    assert_eq!(content[2]["document"]["format"], "pdf");
    assert_eq!(content[2]["document"]["name"], "badge scan v2");

    // Audio is refused; a URL is refused when downloads are off.
    let refused = [
        (
            client(&emulation.url),
            Message::user("listen").audio(instructor::Audio::from_bytes(b"RIFF\0\0\0\0WAVEfmt ")),
        ),
        (
            client(&emulation.url).with_url_fetch(instructor::UrlFetchPolicy::disabled()),
            Message::user("look").image(Image::from_url("https://example.com/cat.png")),
        ),
    ];
    for (client, message) in refused {
        let error = client
            .create::<User>(Request::default().message(message))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("cannot be sent to Bedrock")),
            "{error:?}"
        );
    }
    // Otherwise a URL is downloaded first (Converse takes bytes only), and never
    // from a private address.
    let error = client(&emulation.url)
        .create::<User>(
            Request::default()
                .message(Message::user("look").image(Image::from_url("http://10.0.0.7/cat.png"))),
        )
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::MediaFetch(_)), "{error:?}");
    assert_eq!(emulation.received().len(), 1, "nothing else was sent");
}

#[tokio::test]
async fn a_bedrock_client_prints_no_secret() {
    let provider = Bedrock::new(REGION, credentials().with_session_token("token-0123456789"))
        .endpoint("http://127.0.0.1:9/");
    assert_eq!(provider.url(), "http://127.0.0.1:9");
    assert_eq!(provider.region(), REGION);
    let shown = format!("{provider:?} {provider:#?}");
    assert!(shown.contains(ACCESS_KEY), "{shown}");
    assert!(
        !shown.contains(SECRET_KEY) && !shown.contains("token-0123456789"),
        "{shown}"
    );
}

/// Set for the child processes of the `from_provider` tests.
const CHILD: &str = "INSTRUCTOR_TEST_BEDROCK_CHILD";

/// Runs `test` in a child run of this binary with `vars` set (never in this
/// process) and checks it passed; off the runtime's thread, which keeps serving the
/// emulation meanwhile.
async fn run_child(test: &'static str, vars: Vec<(&'static str, String)>) {
    tokio::task::spawn_blocking(move || run_child_blocking(test, &vars))
        .await
        .unwrap();
}

fn run_child_blocking(test: &str, vars: &[(&str, String)]) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", test, "--ignored", "--test-threads=1"])
        .env(CHILD, "1");
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    ] {
        command.env_remove(name);
    }
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn from_provider_reads_environment_keys_region_and_endpoint() {
    let emulation = serve(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))]).await;
    run_child(
        "provider_bedrock::from_provider_child",
        vec![
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
            ("AWS_DEFAULT_REGION", "eu-west-1".to_owned()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_owned()),
            ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulation.url.clone()),
        ],
    )
    .await;
    let received = emulation.received();
    assert_eq!(received.len(), 1, "the child called the emulation");
    assert_eq!(received[0].signature, Ok(()));
    assert_eq!(
        received[0].path, CONVERSE_PATH,
        "split at the first '/' only"
    );
}

/// On AWS compute (an ECS task here) there are no keys in the environment: the
/// container endpoint hands out temporary ones, which sign the call with their
/// session token.
#[tokio::test]
async fn from_provider_takes_temporary_keys_from_the_container_endpoint() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE-task-token";
    let emulation =
        serve_with_token(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))], Some(TOKEN)).await;
    let endpoint = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/credentials/task"))
        .and(header("authorization", "task-auth"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "AccessKeyId": ACCESS_KEY,
            "SecretAccessKey": SECRET_KEY,
            "Token": TOKEN,
            "Expiration": "2999-01-01T00:00:00Z",
        })))
        .expect(1)
        .mount(&endpoint)
        .await;
    let home = std::env::temp_dir().join(format!("instructor-bedrock-ecs-{}", std::process::id()));
    run_child(
        "provider_bedrock::from_provider_child",
        vec![
            ("HOME", home.display().to_string()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ENDPOINT_URL", emulation.url.clone()),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/v2/credentials/task", endpoint.uri()),
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "task-auth".to_owned()),
        ],
    )
    .await;
    let received = emulation.received();
    assert_eq!(received.len(), 1, "the child called the emulation");
    assert_eq!(
        received[0].signature,
        Ok(()),
        "the endpoint's keys and session token signed it"
    );
}

#[tokio::test]
async fn from_provider_reads_a_profile_from_the_shared_files() {
    let emulation = serve(vec![ok(answer(Mode::Tools, GOOD, (1, 1)))]).await;
    let dir =
        std::env::temp_dir().join(format!("instructor-bedrock-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.join("credentials");
    let config = dir.join("config");
    std::fs::write(
        &credentials,
        format!("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = nope\n\n[bedrock-test]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"),
    )
    .unwrap();
    std::fs::write(
        &config,
        format!("[profile bedrock-test]\nregion = {REGION}\n"),
    )
    .unwrap();
    run_child(
        "provider_bedrock::from_provider_child",
        vec![
            ("AWS_PROFILE", "bedrock-test".to_owned()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.display().to_string(),
            ),
            ("AWS_CONFIG_FILE", config.display().to_string()),
            ("AWS_ENDPOINT_URL", emulation.url.clone()),
        ],
    )
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    let received = emulation.received();
    assert_eq!(received.len(), 1, "the child called the emulation");
    assert_eq!(
        received[0].signature,
        Ok(()),
        "the profile's keys and region signed it"
    );
}

/// Run by the `from_provider` tests with the variables set.
#[tokio::test]
#[ignore = "run as a child process with the AWS variables set"]
async fn from_provider_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    let client = instructor::from_provider(&format!("bedrock/{MODEL}")).unwrap();
    assert_eq!(client.provider().name(), "bedrock");
    assert_eq!(client.mode(), Mode::Tools);
    let user: User = client.create(request()).await.unwrap();
    assert_eq!(user, self::user("Jason", 25));
}

#[test]
fn from_provider_without_credentials_or_region_says_what_to_set() {
    if std::env::var("AWS_ACCESS_KEY_ID").is_ok() || std::env::var("AWS_REGION").is_ok() {
        return;
    }
    let error = instructor::from_provider("bedrock/anthropic.claude-v2")
        .err()
        .map(|e| e.to_string());
    // Either is missing on a machine without AWS configuration.
    if let Some(error) = error {
        assert!(
            error.contains("AWS_REGION") || error.contains("AWS_ACCESS_KEY_ID"),
            "{error}"
        );
    }
}
