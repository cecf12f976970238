//! Google credentials for Vertex AI on loopback: the emulated token endpoint's
//! checks can fail (a tampered signature, a wrong issuer or audience), gcloud user
//! credentials trade their refresh token (billing `x-goog-user-project`), the
//! metadata server's token and project, the Application Default Credentials search
//! (`GCE_METADATA_HOST`, gcloud's file under `CLOUDSDK_CONFIG`, a metadata server
//! that does not answer) in child processes, and secrets that never print.
#![cfg(feature = "vertexai")]

use std::path::PathBuf;

use crate::common::vertex::{
    CLIENT_SECRET, REFRESH_TOKEN, SCOPE, TEST_ONLY_PRIVATE_KEY, TokenEndpoint, parse_form,
    service_account_json, verify_assertion,
};
use instructor::prelude::*;
use instructor::providers::{GoogleCredentials, RetryPolicy, VertexAI};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MODEL: &str = "gemini-2.5-flash";

#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    name: String,
    age: u32,
}

fn route(project: &str) -> String {
    format!(
        "/v1/projects/{project}/locations/us-central1/publishers/google/models/{MODEL}:generateContent"
    )
}

fn answer() -> Value {
    json!({"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "User", "args": {"name": "Jason", "age": 25}}}]},
        "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}})
}

/// Mounts the Gemini route of `project` on `server`.
async fn mount_api(server: &MockServer, project: &str) {
    Mock::given(method("POST"))
        .and(path(route(project)))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer()))
        .mount(server)
        .await;
}

fn request() -> Request {
    Request::new(MODEL).user("Jason is 25 years old.")
}

fn client(root: &str, credentials: GoogleCredentials) -> Client {
    let provider = VertexAI::new(credentials)
        .base_url(root)
        .retry_policy(RetryPolicy::none());
    instructor::from_vertexai(provider).with_model(MODEL)
}

#[tokio::test]
async fn the_token_endpoint_checks_the_signature_issuer_and_audience() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    assert_eq!(tokens_at.credentials().kind(), "service_account");
    let api = MockServer::start().await;
    mount_api(&api, "test-project").await;
    let _: User = client(&api.uri(), tokens_at.credentials())
        .create(request())
        .await
        .unwrap();
    // The assertion as sent is valid.
    let sent = tokens_at.server.received_requests().await.unwrap();
    let form = parse_form(&sent[0].body);
    let assertion = &form.iter().find(|(k, _)| k == "assertion").unwrap().1;
    assert_eq!(verify_assertion(assertion, tokens_at.token_uri()), Ok(()));
    // Claims changed after signing: the signature no longer holds.
    let parts: Vec<&str> = assertion.split('.').collect();
    let forged_claims = {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["scope"], SCOPE);
        claims["scope"] = json!("https://www.googleapis.com/auth/everything");
        engine.encode(claims.to_string())
    };
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert_eq!(
        verify_assertion(&forged, tokens_at.token_uri()),
        Err("Invalid JWT Signature.".to_owned())
    );
    // The audience is the token endpoint the account names.
    assert!(verify_assertion(assertion, "https://oauth2.googleapis.com/token").is_err());

    // Another account (same key, other email) is refused, and the refusal is a typed
    // HTTP error naming the endpoint, with no secret in it.
    let other = GoogleCredentials::from_json(&service_account_json(
        "intruder@other.iam.gserviceaccount.com",
        tokens_at.token_uri(),
    ))
    .unwrap();
    let error = client(&api.uri(), other)
        .create::<User>(request())
        .await
        .unwrap_err();
    let Error::Http(http) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(http.status, 400);
    assert!(
        http.message.contains("token endpoint") && http.message.contains("invalid_grant"),
        "{}",
        http.message
    );
    assert_eq!(tokens_at.refusals().len(), 1, "{:?}", tokens_at.refusals());
    assert!(tokens_at.refusals()[0].contains("unknown issuer"));
    assert_eq!(
        api.received_requests().await.unwrap().len(),
        1,
        "no call without a token"
    );
}

#[tokio::test]
async fn gcloud_user_credentials_trade_their_refresh_token() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let credentials = GoogleCredentials::from_json(&tokens_at.authorized_user_json()).unwrap();
    assert_eq!(credentials.kind(), "authorized_user");
    assert_eq!(credentials.project_id(), Some("quota-project"));
    let api = MockServer::start().await;
    mount_api(&api, "quota-project").await;
    let client = client(&api.uri(), credentials);
    for _ in 0..3 {
        let _: User = client.create(request()).await.unwrap();
    }
    assert_eq!(tokens_at.issued(), 1);
    assert!(
        tokens_at.refusals().is_empty(),
        "{:?}",
        tokens_at.refusals()
    );
    let sent = tokens_at.server.received_requests().await.unwrap();
    let form = parse_form(&sent[0].body);
    assert!(
        form.contains(&("grant_type".into(), "refresh_token".into())),
        "{form:?}"
    );
    let received = api.received_requests().await.unwrap();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            "Bearer ya29.test-token-1"
        );
        assert_eq!(
            r.headers.get("x-goog-user-project").unwrap(),
            "quota-project"
        );
    }
}

/// A client for the project `fed-project` at `root` (the project is not in the
/// federation's credentials).
fn federated_client(root: &str, credentials: GoogleCredentials) -> Client {
    let provider = VertexAI::new(credentials)
        .project("fed-project")
        .base_url(root)
        .retry_policy(RetryPolicy::none());
    instructor::from_vertexai(provider).with_model(MODEL)
}

const AUDIENCE: &str =
    "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/oidc";

/// Google's STS at `/v1/token`: exchanges `subject` for `token`.
async fn mount_sts(server: &MockServer, subject: &str, token: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/token"))
        .and(wiremock::matchers::body_string_contains(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange",
        ))
        .and(wiremock::matchers::body_string_contains(format!(
            "subject_token={subject}&"
        )))
        .and(wiremock::matchers::body_string_contains(
            "audience=%2F%2Fiam.googleapis.com%2Fprojects%2F123",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer", "expires_in": 3600})))
        .mount(server)
        .await;
}

/// Workload identity federation from a token file: the file's token is exchanged at
/// STS once, and the federated token calls Vertex.
#[tokio::test]
async fn a_federated_token_file_is_exchanged_at_sts() {
    let dir = temp_dir("federation-file");
    let token_file = dir.join("oidc-token");
    std::fs::write(&token_file, "oidc-subject-1\n").unwrap();
    let sts = MockServer::start().await;
    mount_sts(&sts, "oidc-subject-1", "ya29.federated").await;
    let file = json!({"type": "external_account", "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{}/v1/token", sts.uri()),
        "credential_source": {"file": token_file.display().to_string()}});
    let credentials = GoogleCredentials::from_json(&file.to_string()).unwrap();
    assert_eq!(credentials.kind(), "external_account");
    let api = MockServer::start().await;
    mount_api(&api, "fed-project").await;
    let client = federated_client(&api.uri(), credentials);
    for _ in 0..2 {
        let _: User = client.create(request()).await.unwrap();
    }
    assert_eq!(
        sts.received_requests().await.unwrap().len(),
        1,
        "one exchange, cached"
    );
    for r in api.received_requests().await.unwrap() {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            "Bearer ya29.federated"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// From a URL (Azure's managed identity answers JSON), then the service account
/// named in the file impersonated with the federated token.
#[tokio::test]
async fn a_federated_token_from_a_url_impersonates_the_service_account() {
    let idp = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/identity/token"))
        .and(header("metadata", "True"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "azure-subject-2"})),
        )
        .mount(&idp)
        .await;
    let google = MockServer::start().await;
    mount_sts(&google, "azure-subject-2", "ya29.federated-2").await;
    let impersonate =
        "/v1/projects/-/serviceAccounts/bot@p.iam.gserviceaccount.com:generateAccessToken";
    Mock::given(method("POST"))
        .and(path(impersonate))
        .and(header("authorization", "Bearer ya29.federated-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "accessToken": "ya29.impersonated", "expireTime": "2999-01-01T00:00:00Z"})))
        .expect(1)
        .mount(&google)
        .await;
    let file = json!({"type": "external_account", "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{}/v1/token", google.uri()),
        "service_account_impersonation_url": format!("{}{impersonate}", google.uri()),
        "credential_source": {"url": format!("{}/identity/token", idp.uri()),
            "headers": {"Metadata": "True"},
            "format": {"type": "json", "subject_token_field_name": "access_token"}}});
    let credentials = GoogleCredentials::from_json(&file.to_string()).unwrap();
    assert!(!format!("{credentials:?}").contains("azure-subject"));
    let api = MockServer::start().await;
    mount_api(&api, "fed-project").await;
    let client = federated_client(&api.uri(), credentials);
    let _: User = client.create(request()).await.unwrap();
    let sent = &api.received_requests().await.unwrap()[0];
    assert_eq!(
        sent.headers.get("authorization").unwrap(),
        "Bearer ya29.impersonated"
    );
}

/// STS refusing the subject token (and echoing it) never shows it.
#[tokio::test]
async fn a_refused_subject_token_is_scrubbed_from_the_error() {
    let dir = temp_dir("federation-refused");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "subject-token-that-is-secret").unwrap();
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "bad token subject-token-that-is-secret"})))
        .mount(&sts)
        .await;
    let file = json!({"type": "external_account", "audience": AUDIENCE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": format!("{}/v1/token", sts.uri()),
        "credential_source": {"file": token_file.display().to_string()}});
    let credentials = GoogleCredentials::from_json(&file.to_string()).unwrap();
    let api = MockServer::start().await;
    let client = federated_client(&api.uri(), credentials);
    let error = client.create::<User>(request()).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("subject-token-that-is-secret"), "{shown}");
    assert!(api.received_requests().await.unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_echoed_refresh_token_is_scrubbed_from_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant",
            "error_description": format!("Bad refresh token {REFRESH_TOKEN} for client secret {CLIENT_SECRET}")})))
        .mount(&server)
        .await;
    let endpoint = TokenEndpoint::start(&[3600]).await;
    let json = endpoint
        .authorized_user_json()
        .replace(endpoint.token_uri(), &format!("{}/token", server.uri()));
    let credentials = GoogleCredentials::from_json(&json).unwrap();
    let error = client("http://127.0.0.1:9", credentials)
        .create::<User>(request())
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("Bad refresh token <redacted>"), "{shown}");
    assert!(
        !shown.contains(REFRESH_TOKEN) && !shown.contains(CLIENT_SECRET),
        "{shown}"
    );
}

/// A metadata server on loopback: a token and the project, each only with the
/// `Metadata-Flavor: Google` header.
async fn metadata_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/computeMetadata/v1/instance/service-accounts/default/token"))
        .and(header("Metadata-Flavor", "Google"))
        .and(query_param("scopes", SCOPE))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "ya29.metadata-token", "expires_in": 3599, "token_type": "Bearer"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/computeMetadata/v1/project/project-id"))
        .and(header("Metadata-Flavor", "Google"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("meta-project")))
        .mount(&server)
        .await;
    mount_api(&server, "meta-project").await;
    server
}

async fn requests_to(server: &MockServer, prefix: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with(prefix))
        .count()
}

#[tokio::test]
async fn the_metadata_server_gives_the_token_and_the_project() {
    let server = metadata_server().await;
    let host = server.uri().trim_start_matches("http://").to_owned();
    let credentials = GoogleCredentials::metadata_server_at(&host);
    assert_eq!(credentials.kind(), "metadata_server");
    let client = client(&server.uri(), credentials);
    for _ in 0..2 {
        let _: User = client.create(request()).await.unwrap();
    }
    assert_eq!(
        requests_to(&server, "/computeMetadata/v1/instance").await,
        1
    );
    assert_eq!(requests_to(&server, "/computeMetadata/v1/project").await, 1);
    let calls: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == route("meta-project"))
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].headers.get("authorization").unwrap(),
        "Bearer ya29.metadata-token"
    );
}

#[test]
fn credential_files_that_cannot_be_used_say_why_without_secrets() {
    let from_aws = json!({"type": "external_account", "audience": "//iam.googleapis.com/x",
        "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
        "credential_source": {"environment_id": "aws1", "regional_cred_verification_url": "x"}});
    let error = GoogleCredentials::from_json(&from_aws.to_string()).unwrap_err();
    assert!(error.to_string().contains("from AWS"), "{error}");
    let no_source = json!({"type": "external_account", "audience": "//iam.googleapis.com/x",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt"});
    let error = GoogleCredentials::from_json(&no_source.to_string()).unwrap_err();
    assert!(error.to_string().contains("credential_source"), "{error}");
    let no_key = json!({"type": "service_account", "client_email": "a@b.c"});
    let error = GoogleCredentials::from_json(&no_key.to_string()).unwrap_err();
    assert!(error.to_string().contains("private_key"), "{error}");
    let bad_key = service_account_json("a@b.c", "http://127.0.0.1:9/token").replace("MII", "XXMII");
    let error = GoogleCredentials::from_json(&bad_key).unwrap_err();
    assert!(
        !format!("{error} {error:?}").contains("PRIVATE KEY"),
        "{error:?}"
    );
    let error =
        GoogleCredentials::from_json(&format!("{{\"secret\": \"{REFRESH_TOKEN}\"")).unwrap_err();
    assert!(
        !format!("{error} {error:?}").contains(REFRESH_TOKEN),
        "{error:?}"
    );
    let missing = GoogleCredentials::from_file("/nonexistent/sa.json").unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/sa.json"),
        "{missing}"
    );
}

#[tokio::test]
async fn no_debug_prints_a_key_a_secret_or_a_token() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let api = MockServer::start().await;
    mount_api(&api, "test-project").await;
    let service_account = tokens_at.credentials();
    let user = GoogleCredentials::from_json(&tokens_at.authorized_user_json()).unwrap();
    let fixed = GoogleCredentials::access_token("ya29.fixed-secret-token");
    let client = client(&api.uri(), service_account.clone());
    let _: User = client.create(request()).await.unwrap(); // a token is now cached
    let key_line = TEST_ONLY_PRIVATE_KEY.lines().nth(3).unwrap();
    let shown = format!(
        "{service_account:?} {service_account:#?} {user:?} {fixed:?} {client:?} {:?}",
        VertexAI::new(fixed.clone())
    );
    for secret in [
        key_line,
        "PRIVATE KEY",
        CLIENT_SECRET,
        REFRESH_TOKEN,
        "ya29.",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("instructor-test@test-project"), "{shown}");
}

/// Set for the child processes of the ADC tests: what to check.
const CHILD: &str = "INSTRUCTOR_TEST_VERTEX_ADC_CHILD";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("instructor-vertex-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs [`adc_child`] with `case` and the variables, none of Google's inherited.
fn run_child(case: &str, vars: &[(&str, String)]) {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "provider_vertex_auth::adc_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD, case);
    for name in [
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GCE_METADATA_HOST",
        "CLOUDSDK_CONFIG",
    ] {
        command.env_remove(name);
    }
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{case}: {stdout}");
    assert!(
        stdout.contains("1 passed"),
        "{case}: the child ran: {stdout}"
    );
}

#[tokio::test]
async fn adc_falls_back_to_the_metadata_server_at_gce_metadata_host() {
    let server = metadata_server().await;
    let empty = temp_dir("empty");
    run_child(
        "metadata",
        &[
            (
                "GCE_METADATA_HOST",
                server.uri().trim_start_matches("http://").to_owned(),
            ),
            ("CLOUDSDK_CONFIG", empty.display().to_string()),
            ("GOOGLE_VERTEX_BASE_URL", server.uri()),
        ],
    );
    let _ = std::fs::remove_dir_all(&empty);
    assert_eq!(
        requests_to(&server, "/computeMetadata/v1/instance").await,
        1
    );
    assert_eq!(requests_to(&server, &route("meta-project")).await, 1);
}

#[tokio::test]
async fn adc_reads_gclouds_file_under_cloudsdk_config() {
    let tokens_at = TokenEndpoint::start(&[3600]).await;
    let api = MockServer::start().await;
    mount_api(&api, "quota-project").await;
    let config = temp_dir("gcloud");
    std::fs::write(
        config.join("application_default_credentials.json"),
        tokens_at.authorized_user_json(),
    )
    .unwrap();
    run_child(
        "gcloud",
        &[
            ("CLOUDSDK_CONFIG", config.display().to_string()),
            ("GCE_METADATA_HOST", "127.0.0.1:1".to_owned()),
            ("GOOGLE_VERTEX_BASE_URL", api.uri()),
        ],
    );
    let _ = std::fs::remove_dir_all(&config);
    assert_eq!(tokens_at.issued(), 1);
    assert_eq!(api.received_requests().await.unwrap().len(), 1);
}

#[test]
fn adc_without_any_credentials_says_where_it_looked() {
    let empty = temp_dir("none");
    run_child(
        "none",
        &[
            ("CLOUDSDK_CONFIG", empty.display().to_string()),
            // Nothing listens on port 1: the metadata server does not answer.
            ("GCE_METADATA_HOST", "127.0.0.1:1".to_owned()),
            ("GOOGLE_CLOUD_PROJECT", "p".to_owned()),
            ("GOOGLE_VERTEX_BASE_URL", "http://127.0.0.1:1".to_owned()),
        ],
    );
    let _ = std::fs::remove_dir_all(&empty);
}

/// Run by the ADC tests with the variables set.
#[tokio::test]
#[ignore = "run as a child process with the Google variables set"]
async fn adc_child() {
    let Ok(case) = std::env::var(CHILD) else {
        return;
    };
    let credentials = GoogleCredentials::from_env().unwrap();
    match case.as_str() {
        "metadata" => {
            assert_eq!(credentials.kind(), "metadata_server");
            let user: User = instructor::from_provider(&format!("vertexai/{MODEL}"))
                .unwrap()
                .create(request())
                .await
                .unwrap();
            assert_eq!(user.name, "Jason");
        }
        "gcloud" => {
            assert_eq!(credentials.kind(), "authorized_user");
            let user: User = instructor::from_provider(&format!("vertexai/{MODEL}"))
                .unwrap()
                .create(request())
                .await
                .unwrap();
            assert_eq!(user.age, 25);
        }
        "none" => {
            assert_eq!(credentials.kind(), "metadata_server");
            let provider = VertexAI::from_env()
                .unwrap()
                .retry_policy(RetryPolicy::none());
            let error = instructor::from_vertexai(provider)
                .with_model(MODEL)
                .create::<User>(request())
                .await
                .unwrap_err();
            let Error::Config(detail) = &error else {
                panic!("{error:?}")
            };
            for place in ["GOOGLE_APPLICATION_CREDENTIALS", "gcloud", "127.0.0.1:1"] {
                assert!(detail.contains(place), "{place}: {detail}");
            }
        }
        other => panic!("unknown case {other}"),
    }
}
