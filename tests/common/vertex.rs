//! A loopback emulation of Google's OAuth side of Vertex AI: a token endpoint that
//! verifies the service account's JWT-bearer assertion (RS256 signature against the
//! test key's public half, `iss`, `scope`, `aud` = its own URL, `iat`/`exp`) and the
//! authorized-user refresh-token grant, numbering the tokens it issues; a
//! service-account JSON made here pointing at it.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses a subset of these helpers"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RsaKeyPair, UnparsedPublicKey};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// TEST-ONLY RSA key, generated for these tests with `openssl genpkey -algorithm RSA
/// -pkeyopt rsa_keygen_bits:2048`. It belongs to no Google account and protects
/// nothing; never use it anywhere else.
pub const TEST_ONLY_PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDTfvecpV7e5xfB\nR9sisXXTqV/C6tYZTV387WqbeoZUbpADOf1wc3LFtb4MPD03RuwYsZrixalNXQam\nunz2zMxygt2JxvecMiIIj7uxJ0YA7Gq5KrduCKJAixGIRQFd6hz9Ls6aFTWBXiLh\nYEj5guiF/yalk06zcNXcFM+eWGeu1ICvbwcQh1DNZfWsBYeiEwah8e1vN1ldpH+Y\nWACrg6QK0excJ/YQ9kT8aLYw5WsdwwEytE9SaQL0hV9auy6NzYI3BRwNHn0hjqP4\nQ22lc880Xk9xHSZhBZRYrBYoWiMe27j39PLYkkIKaJeZPULlIeLUHasxkXpJ4SmV\n+7u/z6GJAgMBAAECggEAIFo59B9DQcjK/vjdd336/rZYR5UBzEa5URaw/04BB3W5\nl5dtgp/+bL+47d6Megy3fVg0empvKWjzZVoorIjhNhvOWiRIE1TYlO5bxqUx1bP/\nPV+18IyR5AVXWLzpkR1eHYgP+E0J7XC3guS7iljb9fIfziXtsjsD/pG7vXFbkZ15\nRaQo/OiIQEbD/bCFWf12vjTCBeVW9ifbdkORCpRSRzooohnBBji/swtVSONRDLol\niFu95Fny77WMfiiVUycl95z8AQbYHSSrTqWm4E8WlS6EFuUgLF5nXapI0bgO6c8A\nnxTAagbMWjXibCa8uCyQEY38q+wsCM5Zqr81vUwTowKBgQDv8ZST/CCrGk+XtiRO\nYO0XqLfHye8y3LHYrjrZ4Z7VJyRjwZkcQ9YzWRXwr07OjmMUgPQ9ovjpNgV7nG3y\nGd/psNRMU+0yYG9pZj08Jorbm1BVvjPhcTxoR2FWP47p2I3Cqrac7+NECdMnxaVh\n1ecE5HSN1F1EbQG3m2QaYWXwRwKBgQDhpg5FYKMr4LGazgSoXmMV63JCntmvu5zB\nW6DEhf5WyhAYurTEpli2o16LKPA9RKF/e2yr5tiSmuCqNu46Ayz+Y1gZcvTEy1Mm\nAY10ng9qVzVLInVlFy5l99MkAmRtHqzb5DJtczSK/TYTESsrFenBRx+SziPFT3I0\nPDjn6CYXrwKBgF6LAu84dirVKC1wIGgduu4KlbeMMssIuK7XH+tAAlScorMH0muX\nsyvyWznF6bhr1FB86z/qGkfR+GEXZx7w4RB0k4Irw5eI9f1CwrgTu70COqo+UrTu\n6E1yasEQNCCiKmFc4K1/vD3P3TqbnymonemIlwBXgBR5GyccfFoErKT7AoGBAI1J\nV0gzcRfJMguXEa2GpA4WhU2XfwAcvdMIF0rWB2G6VYfWZ9d1vLhm5IzHzlzeeyyC\nUJH2EgcBuMh7aoCiemqyM3iD1STflqmGcVbinQ5dmn34Dn+Em0W3fdnfMZhti5iH\ncte7OdwJHfGkX14z81BUwz09m4Iw83Ynew4h+q/7AoGBAMIg1xFSmSblyIcoiWtG\nL+4S87Xe1xEj28JGTKkofCJOhS4qNyALm4xMfmLSdYXChrmkkHNcdIpLwSRx4Fxx\nSY6bqcdiwqWCvYDNrNvM5sDDh3B8/9Jfp/FJf7oXnqkOZTaoL2dW8ITfslVx9din\nGxZA+B+8OEyKoz/9vibGhPhh\n-----END PRIVATE KEY-----";

/// The emulated service account.
pub const CLIENT_EMAIL: &str = "instructor-test@test-project.iam.gserviceaccount.com";
/// Its key id (the JWT's `kid`).
pub const KEY_ID: &str = "0123456789abcdef-test-key-id";
/// Its project.
pub const PROJECT: &str = "test-project";
/// The scope Vertex AI needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The emulated gcloud user credentials.
pub const CLIENT_ID: &str = "764086051850-test.apps.googleusercontent.com";
/// Their client secret.
pub const CLIENT_SECRET: &str = "d-FL95Q19q7MQmFpd7hHD0Ty-test-secret";
/// Their refresh token.
pub const REFRESH_TOKEN: &str = "1//0test-refresh-token-secret";

/// The token endpoint on loopback.
pub struct TokenEndpoint {
    /// The server (route `/token`).
    pub server: MockServer,
    issuer: Arc<Issuer>,
}

struct Issuer {
    uri: String,
    /// How long each issued token lives (the last one repeats).
    lifetimes: Vec<u64>,
    issued: AtomicUsize,
    /// Why the last refused request was refused.
    refusals: Mutex<Vec<String>>,
}

impl TokenEndpoint {
    /// A token endpoint whose tokens live `lifetimes[i]` seconds (the last one
    /// repeats), named `ya29.test-token-<n>` from 1.
    pub async fn start(lifetimes: &[u64]) -> Self {
        let server = MockServer::start().await;
        let issuer = Arc::new(Issuer {
            uri: format!("{}/token", server.uri()),
            lifetimes: lifetimes.to_vec(),
            issued: AtomicUsize::new(0),
            refusals: Mutex::new(Vec::new()),
        });
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(Responder(issuer.clone()))
            .mount(&server)
            .await;
        Self { server, issuer }
    }

    /// Its URL, the service account's `token_uri`.
    pub fn token_uri(&self) -> &str {
        &self.issuer.uri
    }

    /// How many tokens it issued.
    pub fn issued(&self) -> usize {
        self.issuer.issued.load(Ordering::SeqCst)
    }

    /// Why it refused requests, in order.
    pub fn refusals(&self) -> Vec<String> {
        self.issuer.refusals.lock().unwrap().clone()
    }

    /// A service-account key file's JSON for the test key, with this `token_uri`.
    pub fn service_account_json(&self) -> String {
        service_account_json(CLIENT_EMAIL, self.token_uri())
    }

    /// gcloud user credentials (`authorized_user`) with this `token_uri`.
    pub fn authorized_user_json(&self) -> String {
        json!({"type": "authorized_user", "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN,
            "quota_project_id": "quota-project", "token_uri": self.token_uri(),
            "universe_domain": "googleapis.com"})
        .to_string()
    }

    /// Credentials of the emulated service account.
    pub fn credentials(&self) -> instructor::providers::GoogleCredentials {
        instructor::providers::GoogleCredentials::from_json(&self.service_account_json()).unwrap()
    }
}

/// A service-account key file's JSON for the test key.
pub fn service_account_json(client_email: &str, token_uri: &str) -> String {
    json!({"type": "service_account", "project_id": PROJECT, "private_key_id": KEY_ID,
        "private_key": TEST_ONLY_PRIVATE_KEY, "client_email": client_email,
        "client_id": "113456789012345678901", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri, "universe_domain": "googleapis.com"})
    .to_string()
}

struct Responder(Arc<Issuer>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let issuer = &self.0;
        let form = parse_form(&request.body);
        let checked = match field(&form, "grant_type") {
            "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
                verify_assertion(field(&form, "assertion"), &issuer.uri)
            }
            "refresh_token" => verify_refresh(&form),
            other => Err(format!("unsupported grant_type {other:?}")),
        };
        if let Err(why) = checked {
            issuer.refusals.lock().unwrap().push(why.clone());
            return ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_grant", "error_description": why}));
        }
        let n = issuer.issued.fetch_add(1, Ordering::SeqCst);
        let lifetime = issuer
            .lifetimes
            .get(n)
            .or(issuer.lifetimes.last())
            .copied()
            .unwrap_or(3600);
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("ya29.test-token-{}", n + 1),
            "expires_in": lifetime, "token_type": "Bearer"}))
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn verify_refresh(form: &[(String, String)]) -> Result<(), String> {
    for (name, expected) in [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", REFRESH_TOKEN),
    ] {
        if field(form, name) != expected {
            return Err(format!("wrong {name}"));
        }
    }
    Ok(())
}

/// Checks a JWT-bearer assertion as Google's token endpoint does: the RS256
/// signature against the test key, `kid`, and the claims `iss`, `scope`, `aud`
/// (`token_uri`), `iat` (now) and `exp` (at most an hour later).
pub fn verify_assertion(assertion: &str, token_uri: &str) -> Result<(), String> {
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return Err("the assertion is not a JWT".into());
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string());
    let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key());
    public
        .verify(format!("{header}.{claims}").as_bytes(), &decode(signature)?)
        .map_err(|_| "Invalid JWT Signature.".to_owned())?;
    let header: Value = serde_json::from_slice(&decode(header)?).map_err(|e| e.to_string())?;
    let claims: Value = serde_json::from_slice(&decode(claims)?).map_err(|e| e.to_string())?;
    if header != json!({"alg": "RS256", "typ": "JWT", "kid": KEY_ID}) {
        return Err(format!("bad header {header}"));
    }
    if claims["iss"] != CLIENT_EMAIL {
        return Err(format!("unknown issuer {}", claims["iss"]));
    }
    if claims["scope"] != SCOPE {
        return Err(format!("bad scope {}", claims["scope"]));
    }
    if claims["aud"] != token_uri {
        return Err(format!("bad audience {}", claims["aud"]));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let iat = claims["iat"].as_u64().ok_or("no iat")?;
    let exp = claims["exp"].as_u64().ok_or("no exp")?;
    if iat.abs_diff(now) > 60 || exp <= now || exp - iat > 3600 {
        return Err(format!("bad times iat={iat} exp={exp} now={now}"));
    }
    Ok(())
}

/// The test key's public half (DER `RSAPublicKey`).
fn public_key() -> Vec<u8> {
    let body: String = TEST_ONLY_PRIVATE_KEY
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = STANDARD.decode(body).unwrap();
    let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
    pair.public_key().as_ref().to_vec()
}

/// An `application/x-www-form-urlencoded` body, decoded.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
