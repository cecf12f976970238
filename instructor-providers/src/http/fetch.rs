//! Downloading a media URL a provider takes inline only, safely (see
//! [`UrlFetchPolicy`]): each hop's host is resolved here and every address checked
//! with [`AddressClass::of`] before any connection; the connection is pinned to the
//! checked addresses (the client's resolver knows only those, so a second DNS answer
//! cannot swap them); redirects are followed by hand, each target checked again; the
//! body is counted against the cap chunk by chunk; no proxy is used.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use instructor_core::{AddressClass, Error, FetchFailure, Media, MediaFetchError, UrlFetchPolicy};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, Url, header};

use super::USER_AGENT;

/// `media` with the content of its URL inline, downloaded under `policy` and capped
/// at `max_bytes`.
pub(crate) async fn fetch_media(
    media: &Media,
    policy: &UrlFetchPolicy,
    max_bytes: u64,
) -> Result<Media, Error> {
    let url = media.url().unwrap_or_default();
    let fetch = Fetch {
        part: media.label(),
        policy,
        max_bytes,
    };
    match tokio::time::timeout(policy.timeout, fetch.run(url)).await {
        Ok(Ok((bytes, content_type))) => {
            tracing::debug!(
                url = %instructor_core::provider::redact_url(url),
                bytes = bytes.len(),
                "downloaded a media URL the provider takes inline only"
            );
            Ok(media.inlined(&bytes, content_type.as_deref()))
        }
        Ok(Err(error)) => Err(error.into()),
        Err(_) => Err(fetch
            .fail(url, FetchFailure::Timeout(policy.timeout))
            .into()),
    }
}

/// One download: the part it is for (named in errors), the policy and the cap.
struct Fetch<'a> {
    part: String,
    policy: &'a UrlFetchPolicy,
    max_bytes: u64,
}

/// The body and its `Content-Type`.
type Downloaded = (Vec<u8>, Option<String>);

impl Fetch<'_> {
    fn fail(&self, url: &str, failure: FetchFailure) -> MediaFetchError {
        MediaFetchError::new(self.part.clone(), url, failure)
    }

    /// Follows `url` and its redirects, each hop checked before it connects.
    async fn run(&self, url: &str) -> Result<Downloaded, MediaFetchError> {
        let mut url = Url::parse(url).map_err(|_| self.fail(url, FetchFailure::InvalidUrl))?;
        let pinned = Arc::new(Pinned::default());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(pinned.clone())
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| {
                self.fail(url.as_str(), FetchFailure::Connection)
                    .with_source(e)
            })?;
        for _ in 0..=self.policy.max_redirects {
            self.admit(&url, &pinned).await?;
            let response = client.get(url.clone()).send().await.map_err(|e| {
                self.fail(url.as_str(), FetchFailure::Connection)
                    .with_source(e.without_url())
            })?;
            match redirect_target(&url, &response) {
                Some(Ok(next)) => url = next,
                Some(Err(())) => return Err(self.fail(url.as_str(), FetchFailure::InvalidUrl)),
                None => return self.body(&url, response).await,
            }
        }
        Err(self.fail(
            url.as_str(),
            FetchFailure::TooManyRedirects(self.policy.max_redirects),
        ))
    }

    /// Checks `url`'s scheme and host and, for a host name, resolves it, checks every
    /// address and pins the name to them.
    async fn admit(&self, url: &Url, pinned: &Pinned) -> Result<(), MediaFetchError> {
        let fail = |failure| self.fail(url.as_str(), failure);
        if !matches!(url.scheme(), "http" | "https") {
            return Err(fail(FetchFailure::Scheme(url.scheme().to_owned())));
        }
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return Err(fail(FetchFailure::InvalidUrl));
        };
        let host_str = url.host_str().unwrap_or_default();
        let trusted = self.policy.allows_host(host_str, port);
        let forbidden = |address: IpAddr| {
            let class = AddressClass::of(address).filter(|_| !trusted)?;
            Some(fail(FetchFailure::ForbiddenAddress {
                host: host_str.to_owned(),
                address,
                class,
            }))
        };
        match host {
            url::Host::Ipv4(ip) => forbidden(ip.into()).map_or(Ok(()), Err),
            url::Host::Ipv6(ip) => forbidden(ip.into()).map_or(Ok(()), Err),
            url::Host::Domain(name) => {
                let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|e| fail(FetchFailure::Unresolved).with_source(e))?
                    .collect();
                if addresses.is_empty() {
                    return Err(fail(FetchFailure::Unresolved));
                }
                if let Some(error) = addresses.iter().find_map(|a| forbidden(a.ip())) {
                    return Err(error);
                }
                pinned.pin(name, addresses);
                Ok(())
            }
        }
    }

    /// The body of a final answer, read chunk by chunk up to the cap.
    async fn body(
        &self,
        url: &Url,
        mut response: reqwest::Response,
    ) -> Result<Downloaded, MediaFetchError> {
        let fail = |failure| self.fail(url.as_str(), failure);
        let status = response.status();
        if !status.is_success() {
            return Err(fail(FetchFailure::Status(status.as_u16())));
        }
        let too_large = || {
            fail(FetchFailure::TooLarge {
                limit: self.max_bytes,
            })
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(too_large());
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fail(FetchFailure::Connection).with_source(e.without_url()))?
        {
            if body.len() as u64 + chunk.len() as u64 > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, content_type))
    }
}

/// Where a redirect answer points: `None` for an answer that is not a redirect,
/// `Some(Err)` for a redirect whose `Location` is missing or unreadable.
fn redirect_target(url: &Url, response: &reqwest::Response) -> Option<Result<Url, ()>> {
    let redirect = matches!(
        response.status(),
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    );
    if !redirect {
        return None;
    }
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok());
    Some(location.and_then(|l| url.join(l).ok()).ok_or(()))
}

/// A resolver that knows only the names pinned to their checked addresses: any
/// other name fails, so the client never connects anywhere unchecked.
#[derive(Default)]
struct Pinned(Mutex<HashMap<String, Vec<SocketAddr>>>);

impl Pinned {
    fn pin(&self, name: &str, addresses: Vec<SocketAddr>) {
        if let Ok(mut pinned) = self.0.lock() {
            pinned.insert(name.to_owned(), addresses);
        }
    }
}

impl Resolve for Pinned {
    fn resolve(&self, name: Name) -> Resolving {
        let addresses = self
            .0
            .lock()
            .ok()
            .and_then(|pinned| pinned.get(name.as_str()).cloned());
        Box::pin(async move {
            match addresses {
                Some(addresses) => Ok(Box::new(addresses.into_iter()) as Addrs),
                None => Err(format!("{} was not checked before connecting", name.as_str()).into()),
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_resolver_knows_only_the_checked_names() {
        let pinned = Pinned::default();
        let checked: SocketAddr = "93.184.215.14:443".parse().unwrap();
        pinned.pin("files.example", vec![checked]);
        let resolved: Vec<SocketAddr> = pinned
            .resolve("files.example".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(resolved, [checked]);
        let other = pinned.resolve("rebind.example".parse().unwrap()).await;
        assert!(other.is_err(), "an unchecked name must not resolve");
    }
}
