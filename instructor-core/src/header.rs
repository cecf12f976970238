//! [`Header`]: an extra HTTP header whose value never prints when it carries a
//! credential.

use std::fmt;

/// What a redacted value prints as.
pub(crate) const REDACTED: &str = "<redacted>";

/// Header names that always carry credentials, lowercase.
const CREDENTIAL_NAMES: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "x-goog-api-key",
    "cookie",
    "set-cookie",
];

/// Parts of a header name that suggest a credential (`x-portkey-api-key`,
/// `helicone-auth`, `x-session-token`, ...), lowercase.
const CREDENTIAL_WORDS: &[&str] = &[
    "auth",
    "key",
    "token",
    "secret",
    "password",
    "cookie",
    "session",
    "signature",
    "credential",
];

/// Whether a header with this name carries a credential, compared case-insensitively:
/// `authorization`, `proxy-authorization`, `api-key`, `x-api-key`, `x-goog-api-key`,
/// `cookie`, and any name containing `auth`, `key`, `token`, `secret`, `password`,
/// `cookie`, `session`, `signature` or `credential`.
///
/// ```
/// use instructor_core::is_credential_header;
///
/// assert!(is_credential_header("Authorization"));
/// assert!(is_credential_header("X-Portkey-Api-Key"));
/// assert!(!is_credential_header("anthropic-version"));
/// ```
pub fn is_credential_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    CREDENTIAL_NAMES.contains(&name.as_str()) || CREDENTIAL_WORDS.iter().any(|w| name.contains(w))
}

/// An extra HTTP header. A sensitive one (a credential header by its name, see
/// [`is_credential_header`], or one made with [`Header::sensitive`]) shows its value
/// as `<redacted>` in `Debug` and `Display`, and is marked sensitive on the wire.
///
/// ```
/// use instructor_core::Header;
///
/// let auth = Header::new("Authorization", "Bearer sk-secret");
/// assert!(auth.is_sensitive());
/// assert_eq!(auth.to_string(), "Authorization: <redacted>");
/// assert!(!format!("{auth:?}").contains("sk-secret"));
///
/// let tenant = Header::sensitive("x-tenant", "acme");
/// assert_eq!(tenant.to_string(), "x-tenant: <redacted>");
/// assert_eq!(Header::new("x-trace", "abc").to_string(), "x-trace: abc");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Header {
    name: String,
    value: String,
    sensitive: bool,
}

impl Header {
    /// A header; sensitive if its name is a credential header's.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let sensitive = is_credential_header(&name);
        Self {
            name,
            value: value.into(),
            sensitive,
        }
    }

    /// A header whose value is a secret whatever its name.
    pub fn sensitive(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            sensitive: true,
        }
    }

    /// The header name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value itself, for the wire (never log it when [`Header::is_sensitive`]).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether the value is a secret.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// Whether this header has `name`, compared case-insensitively.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn shown_value(&self) -> &str {
        if self.sensitive {
            REDACTED
        } else {
            &self.value
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("name", &self.name)
            .field("value", &self.shown_value())
            .finish()
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.shown_value())
    }
}

/// A URL for logs and `Debug`: a password in it and the values of query
/// parameters whose names suggest a credential (`key`, `api_key`, `token`,
/// `sig`, ...) become `<redacted>`.
///
/// ```
/// use instructor_core::provider::redact_url;
///
/// assert_eq!(
///     redact_url("https://g.example/v1beta/models/m:generateContent?key=AIza123&alt=sse"),
///     "https://g.example/v1beta/models/m:generateContent?key=<redacted>&alt=sse"
/// );
/// assert_eq!(redact_url("https://u:pw@h.example/v1"), "https://u:<redacted>@h.example/v1");
/// ```
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        // A fragment may carry a token (OAuth implicit flow): never shown.
        if !fragment.is_empty() {
            out.push_str(REDACTED);
        }
    }
    out
}

/// `scheme://user:password@host/...` with the password redacted.
fn redact_userinfo(base: &str) -> String {
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let rest = &base[authority_start..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return base.to_owned();
    };
    let userinfo = &authority[..at];
    let shown_user = match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:{REDACTED}"),
        None => REDACTED.to_owned(),
    };
    format!(
        "{}{shown_user}{}",
        &base[..authority_start],
        &base[authority_start + at..]
    )
}

fn redact_query(query: &str) -> String {
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _value)) if is_credential_param(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    pairs.join("&")
}

/// Query parameter names that carry credentials (`key`, `api_key`, `access_token`,
/// `sig`, `X-Amz-Signature`, `code`, ...), compared case-insensitively.
fn is_credential_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "key" | "sig" | "code" | "pass" | "pwd") || is_credential_header(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_are_recognised_in_any_case() {
        for name in [
            "authorization",
            "AUTHORIZATION",
            "Proxy-Authorization",
            "api-key",
            "X-Api-Key",
            "x-goog-api-key",
            "Cookie",
            "cf-aig-authorization",
            "Helicone-Auth",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in ["anthropic-version", "x-trace", "OpenAI-Project", "X-Title"] {
            assert!(!is_credential_header(name), "{name}");
        }
    }

    #[test]
    fn urls_lose_their_secrets_and_keep_the_rest() {
        let cases = [
            ("https://h.example/v1", "https://h.example/v1"),
            (
                "https://h.example/v1?api-version=2024-10-21",
                "https://h.example/v1?api-version=2024-10-21",
            ),
            (
                "https://h.example/v1?alt=sse&KEY=s3cr3t",
                "https://h.example/v1?alt=sse&KEY=<redacted>",
            ),
            (
                "https://h.example/v1?access_token=t0k&x-amz-signature=abc",
                "https://h.example/v1?access_token=<redacted>&x-amz-signature=<redacted>",
            ),
            (
                "http://user:pw@h.example:8080/x?y=1",
                "http://user:<redacted>@h.example:8080/x?y=1",
            ),
            ("http://tok@h.example/x", "http://<redacted>@h.example/x"),
            ("https://h.example/x#t0k", "https://h.example/x#<redacted>"),
            ("not a url ? key=1", "not a url ? key=<redacted>"),
            ("", ""),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_handled_without_panicking(url in "\\PC*") {
            let _ = redact_url(&url);
        }

        #[test]
        fn a_key_in_the_query_or_the_userinfo_never_shows(
            host in "[a-z]{1,12}\\.example",
            key in "K-[A-Za-z0-9_\\-]{8,40}",
            name in "(key|api_key|API-KEY|access_token|sig|X-Goog-Api-Key)",
        ) {
            let shown = redact_url(&format!("https://u:{key}@{host}/v1?alt=sse&{name}={key}#{key}"));
            proptest::prop_assert!(!shown.contains(&key), "{}", shown);
            proptest::prop_assert!(shown.contains(&host) && shown.contains("alt=sse"), "{}", shown);
        }

        #[test]
        fn a_url_without_credentials_is_unchanged(
            path in "[a-z0-9/:.\\-]{0,30}",
            version in "[0-9\\-]{1,10}",
        ) {
            let url = format!("https://h.example/{path}?api-version={version}&alt=sse");
            proptest::prop_assert_eq!(redact_url(&url), url);
        }
    }

    #[test]
    fn a_sensitive_value_never_prints() {
        let headers = vec![
            Header::new("Authorization", "Bearer sk-1"),
            Header::sensitive("x-tenant", "tenant-secret"),
            Header::new("x-trace", "abc"),
        ];
        let shown = format!("{headers:?} {headers:#?} {}", headers[1]);
        assert!(!shown.contains("sk-1") && !shown.contains("tenant-secret"));
        assert!(shown.contains("abc"));
    }
}
