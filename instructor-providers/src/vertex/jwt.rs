//! The JWT-bearer grant's assertion (RFC 7523) as Google's token endpoint takes it:
//! `{"alg":"RS256","typ":"JWT","kid":<private_key_id>}` and the claims `iss` (the
//! service account's email), `scope`, `aud` (the account's own `token_uri`), `iat`
//! and `exp` (one hour later), signed RSASSA-PKCS1-v1_5 with SHA-256 by `ring`.
//! The private key is parsed once, when the credentials are read, and never kept
//! as text.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use instructor_core::{Error, ErrorDetail};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;

/// How long an assertion is valid: Google accepts at most one hour.
const LIFETIME_SECS: u64 = 3600;

/// A service account's RSA key, ready to sign. Its `Debug` prints no key material.
pub(crate) struct SigningKey {
    key: RsaKeyPair,
    rng: SystemRandom,
}

impl SigningKey {
    /// Reads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what Google issues) or
    /// PKCS#1 (`BEGIN RSA PRIVATE KEY`). The error never quotes the key.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, Error> {
        let der = pem_body(pem)?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map_err(|e| {
                Error::Config(ErrorDetail::new(format!(
                    "the service account's private_key is not an RSA key ring can use: {e}"
                )))
            })?;
        Ok(Self {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// A signed assertion for `claims`, issued now.
    pub(crate) fn assertion(&self, claims: &Claims<'_>) -> Result<String, Error> {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = claims.key_id.filter(|k| !k.is_empty()) {
            header["kid"] = kid.into();
        }
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let payload = json!({
            "iss": claims.issuer,
            "scope": claims.scope,
            "aud": claims.audience,
            "iat": iat,
            "exp": iat + LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| Error::config("signing the token request failed".to_owned()))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// What an assertion claims.
pub(crate) struct Claims<'a> {
    /// `iss`: the service account's email.
    pub(crate) issuer: &'a str,
    /// `scope`: space-separated OAuth scopes.
    pub(crate) scope: &'a str,
    /// `aud`: the token endpoint.
    pub(crate) audience: &'a str,
    /// `kid` in the header: the key's id.
    pub(crate) key_id: Option<&'a str>,
}

/// The DER bytes between a PEM file's `-----BEGIN` and `-----END` lines.
fn pem_body(pem: &str) -> Result<Vec<u8>, Error> {
    let bad = || Error::config("the service account's private_key is not a PEM key".to_owned());
    let start = pem.find("-----BEGIN").ok_or_else(bad)?;
    let rest = &pem[start..];
    let body_start = rest.find('\n').ok_or_else(bad)? + 1;
    let body_end = rest.find("-----END").ok_or_else(bad)?;
    let body: String = rest
        .get(body_start..body_end)
        .ok_or_else(bad)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).map_err(|_| bad())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use super::{SigningKey, pem_body};

    #[test]
    fn a_key_that_is_not_pem_is_refused_without_quoting_it() {
        let error = SigningKey::from_pem("not-a-key-secret-material").unwrap_err();
        assert!(!error.to_string().contains("secret-material"), "{error}");
        assert!(pem_body("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----").is_err());
        let error =
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .unwrap_err();
        assert!(error.to_string().contains("not an RSA key"), "{error}");
    }
}
