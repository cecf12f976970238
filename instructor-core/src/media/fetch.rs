//! Downloading URL parts a provider cannot take as URLs: the policy
//! ([`UrlFetchPolicy`]), the address classes never connected to ([`AddressClass`]),
//! the typed failure ([`MediaFetchError`]), and the step that runs when a request is
//! prepared ([`inline_urls`]).
//!
//! The download itself is the provider's ([`Provider::fetch_url`]); the providers of
//! `instructor-providers` share one fetcher that resolves each host itself, refuses
//! every address [`AddressClass::of`] classifies before connecting, pins the
//! connection to the checked addresses, follows redirects by hand (each hop checked
//! again), and counts the body against the cap while it streams.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::error::{BoxError, Error};
use crate::media::{Media, MediaLimits, check_messages};
use crate::message::{Message, Part};
use crate::mode::Mode;
use crate::provider::Provider;

/// When and how this crate downloads a media URL itself: only for a part the
/// provider cannot take as a URL (OpenAI chat audio and PDFs, Anthropic text files),
/// and never from a loopback, private, link-local, metadata or otherwise non-public
/// address (see [`AddressClass`]), redirects included.
///
/// On by default. [`UrlFetchPolicy::disabled`] keeps such parts refused before
/// anything is sent; [`UrlFetchPolicy::allow_host`] trusts a host you run (an
/// intranet file server) whatever its addresses. Downloads go straight to the host,
/// never through a proxy (a proxy would connect to addresses this crate cannot
/// check), and count against [`MediaLimits::max_part_bytes`] while they stream.
///
/// ```
/// use std::time::Duration;
/// use instructor_core::UrlFetchPolicy;
///
/// let policy = UrlFetchPolicy::default()
///     .allow_host("files.intranet.example:8443")
///     .max_redirects(2)
///     .timeout(Duration::from_secs(10));
/// assert!(policy.allows_host("files.intranet.example", 8443));
/// assert!(!policy.allows_host("files.intranet.example", 443));
/// assert!(!UrlFetchPolicy::disabled().enabled);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UrlFetchPolicy {
    /// Whether URL parts a provider cannot take are downloaded (else refused).
    pub enabled: bool,
    /// Hosts trusted whatever their addresses: `host` (any port) or `host:port`;
    /// an IPv6 literal in brackets (`[::1]:8080`).
    pub allowed_hosts: Vec<String>,
    /// The most redirects followed (each one checked like the first URL).
    pub max_redirects: u32,
    /// The most one download may take, redirects included.
    pub timeout: Duration,
}

impl UrlFetchPolicy {
    /// The default number of redirects followed: 5.
    pub const DEFAULT_MAX_REDIRECTS: u32 = 5;
    /// The default timeout of one download: 30 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Never download: a URL part the provider cannot take is refused with
    /// [`Error::Config`] before anything is sent.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Trusts `host` (`name`, `name:port`, `1.2.3.4:80`, `[::1]:8080`): its
    /// addresses are not checked. For a server you run; every other host still is.
    #[must_use]
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// Sets the most redirects followed.
    #[must_use]
    pub fn max_redirects(mut self, redirects: u32) -> Self {
        self.max_redirects = redirects;
        self
    }

    /// Sets the most one download may take.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether `host` (as a URL spells it: a name, an IPv4 literal, or an IPv6
    /// literal in brackets) on `port` is trusted by [`UrlFetchPolicy::allow_host`].
    pub fn allows_host(&self, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        let with_port = format!("{host}:{port}");
        self.allowed_hosts
            .iter()
            .any(|allowed| *allowed == host || *allowed == with_port)
    }
}

impl Default for UrlFetchPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            allowed_hosts: Vec::new(),
            max_redirects: Self::DEFAULT_MAX_REDIRECTS,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }
}

/// A class of addresses a download never connects to (unless its host is allowed
/// with [`UrlFetchPolicy::allow_host`]).
///
/// ```
/// use std::net::IpAddr;
/// use instructor_core::AddressClass;
///
/// let class = |ip: &str| AddressClass::of(ip.parse::<IpAddr>().unwrap());
/// assert_eq!(class("127.0.0.1"), Some(AddressClass::Loopback));
/// assert_eq!(class("169.254.169.254"), Some(AddressClass::Metadata));
/// assert_eq!(class("::ffff:10.0.0.1"), Some(AddressClass::Private));
/// assert_eq!(class("93.184.215.14"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// `0.0.0.0/8`, `::`: "this host", which connects to the local machine.
    Unspecified,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, IPv6 site-local
    /// `fec0::/10`, local-use NAT64 `64:ff9b:1::/48`.
    Private,
    /// Carrier-grade NAT, `100.64.0.0/10`.
    SharedAddressSpace,
    /// `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// A cloud metadata service: `169.254.169.254`, `169.254.170.2`,
    /// `100.100.100.200`, `fd00:ec2::254`.
    Metadata,
    /// IPv6 unique local addresses, `fc00::/7`.
    UniqueLocal,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`,
    /// `3fff::/20`.
    Documentation,
    /// Anything else that is not public unicast: `240.0.0.0/4`, `192.0.0.0/24`,
    /// `198.18.0.0/15`, IPv4-compatible IPv6, `100::/64`, `2001::/23` (Teredo
    /// included), and IPv6 outside `2000::/3`.
    Reserved,
}

impl AddressClass {
    /// The class of `ip`, or `None` for a public address a download may connect
    /// to. An IPv6 address carrying an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`,
    /// NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is classed by the IPv4 address.
    pub fn of(ip: IpAddr) -> Option<Self> {
        match ip {
            IpAddr::V4(ip) => Self::of_v4(ip),
            IpAddr::V6(ip) => Self::of_v6(ip),
        }
    }

    fn of_v4(ip: Ipv4Addr) -> Option<Self> {
        let [a, b, c, d] = ip.octets();
        Some(match (a, b, c, d) {
            (169, 254, 169, 254) | (169, 254, 170, 2) | (100, 100, 100, 200) => Self::Metadata,
            (255, 255, 255, 255) => Self::Broadcast,
            (0, ..) => Self::Unspecified,
            (127, ..) => Self::Loopback,
            (10, ..) | (192, 168, ..) => Self::Private,
            (172, b, ..) if b & 0xf0 == 16 => Self::Private,
            (100, b, ..) if b & 0xc0 == 64 => Self::SharedAddressSpace,
            (169, 254, ..) => Self::LinkLocal,
            (192, 0, 2, _) | (198, 51, 100, _) | (203, 0, 113, _) => Self::Documentation,
            (224..=239, ..) => Self::Multicast,
            (240..=255, ..) | (192, 0, 0, _) | (192, 88, 99, _) => Self::Reserved,
            (198, 18 | 19, ..) => Self::Reserved,
            _ => return None,
        })
    }

    fn of_v6(ip: Ipv6Addr) -> Option<Self> {
        if let Some(v4) = ip.to_ipv4_mapped() {
            return Self::of_v4(v4);
        }
        let s = ip.segments();
        let embedded = |hi: u16, lo: u16| {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            Ipv4Addr::new(a, b, c, d)
        };
        Some(match s {
            [0, 0, 0, 0, 0, 0, 0, 0] => Self::Unspecified,
            [0, 0, 0, 0, 0, 0, 0, 1] => Self::Loopback,
            // IPv4-compatible (deprecated): never public, whatever it carries.
            [0, 0, 0, 0, 0, 0, hi, lo] => Self::of_v4(embedded(hi, lo)).unwrap_or(Self::Reserved),
            [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] => Self::Metadata,
            [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return Self::of_v4(embedded(hi, lo)),
            [0x64, 0xff9b, 1, ..] => Self::Private,
            [0x2002, hi, lo, ..] => return Self::of_v4(embedded(hi, lo)),
            [0x2001, 0xdb8, ..] => Self::Documentation,
            [0x2001, b, ..] if b < 0x200 => Self::Reserved,
            [0x100, 0, 0, 0, ..] => Self::Reserved,
            [0x3fff, b, ..] if b < 0x1000 => Self::Documentation,
            [a, ..] if a & 0xfe00 == 0xfc00 => Self::UniqueLocal,
            [a, ..] if a & 0xffc0 == 0xfe80 => Self::LinkLocal,
            [a, ..] if a & 0xffc0 == 0xfec0 => Self::Private,
            [a, ..] if a & 0xff00 == 0xff00 => Self::Multicast,
            [a, ..] if a & 0xe000 != 0x2000 => Self::Reserved,
            _ => return None,
        })
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "an unspecified (this-host) address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::SharedAddressSpace => "a carrier-grade NAT address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata address",
            Self::UniqueLocal => "a unique local IPv6 address",
            Self::Multicast => "a multicast address",
            Self::Broadcast => "the broadcast address",
            Self::Documentation => "a documentation address",
            Self::Reserved => "a reserved address",
        })
    }
}

/// What went wrong downloading a media URL (see [`MediaFetchError`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchFailure {
    /// The host is, or resolves to, an address of a forbidden class: no connection
    /// was made.
    ForbiddenAddress {
        /// The host as the URL names it.
        host: String,
        /// The address refused (the first forbidden one it resolved to).
        address: IpAddr,
        /// Its class.
        class: AddressClass,
    },
    /// The URL (or a redirect's target) is neither `https` nor `http`.
    Scheme(String),
    /// The URL (or a redirect's `Location`) could not be read as a URL.
    InvalidUrl,
    /// More redirects than [`UrlFetchPolicy::max_redirects`].
    TooManyRedirects(u32),
    /// The body is larger than the cap (said by `Content-Length`, or counted while
    /// it streamed); the rest was not read.
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// The server answered with an error status.
    Status(u16),
    /// The host name did not resolve.
    Unresolved,
    /// The connection failed or broke (the cause is the error's source).
    Connection,
    /// The download took longer than [`UrlFetchPolicy::timeout`].
    Timeout(Duration),
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ForbiddenAddress {
                host,
                address,
                class,
            } => {
                let literal = host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
                if literal == Some(*address) {
                    write!(f, "{host} is {class}")?;
                } else {
                    write!(f, "{host} is {class} ({address})")?;
                }
                f.write_str(", which this crate never connects to; allow a host you trust with `UrlFetchPolicy::allow_host`")
            }
            Self::Scheme(scheme) => write!(
                f,
                "`{scheme}:` URLs are not downloaded (https or http only)"
            ),
            Self::InvalidUrl => f.write_str("not a valid URL"),
            Self::TooManyRedirects(n) => write!(f, "more than {n} redirects"),
            Self::TooLarge { limit } => write!(
                f,
                "the content is larger than the {limit} bytes allowed (`MediaLimits`); the rest was not read"
            ),
            Self::Status(status) => write!(f, "the server answered HTTP {status}"),
            Self::Unresolved => f.write_str("the host name did not resolve"),
            Self::Connection => f.write_str("the connection failed"),
            Self::Timeout(after) => write!(f, "no complete answer within {after:?}"),
        }
    }
}

/// A media URL this crate had to download (the provider takes the part inline
/// only) and could not: which part, which URL (a redirect's target, when that one
/// failed), and why. Reported before anything is sent to the provider; never
/// retried.
#[derive(Debug)]
#[non_exhaustive]
pub struct MediaFetchError {
    /// The part, in words: "the audio part (audio/wav, from a URL)".
    pub part: String,
    /// The URL that failed, with any password or key in it redacted.
    pub url: String,
    /// What went wrong.
    pub failure: FetchFailure,
    source: Option<BoxError>,
}

impl MediaFetchError {
    /// The failure of `part` at `url` (redacted here).
    pub fn new(part: impl Into<String>, url: &str, failure: FetchFailure) -> Self {
        Self {
            part: part.into(),
            url: crate::header::redact_url(url),
            failure,
            source: None,
        }
    }

    /// The same failure with the error that caused it.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The forbidden class of address that was refused, when that is what failed.
    pub fn forbidden_class(&self) -> Option<AddressClass> {
        match &self.failure {
            FetchFailure::ForbiddenAddress { class, .. } => Some(*class),
            _ => None,
        }
    }
}

impl fmt::Display for MediaFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot download {} from {}: {}",
            self.part, self.url, self.failure
        )
    }
}

impl std::error::Error for MediaFetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<MediaFetchError> for Error {
    fn from(e: MediaFetchError) -> Self {
        Self::MediaFetch(Box::new(e))
    }
}

/// Replaces every URL part of `messages` that `provider` cannot take as a URL in
/// `mode` with its downloaded content (when `policy` is enabled), each download
/// capped at what `limits` leave for it; then checks the parts again. Parts the
/// provider takes as URLs, and every part when the policy is disabled, stay as
/// they are (the provider refuses what it cannot take).
pub(crate) async fn inline_urls(
    provider: &dyn Provider,
    mode: Mode,
    messages: &mut [Message],
    policy: &UrlFetchPolicy,
    limits: &MediaLimits,
) -> Result<(), Error> {
    if !policy.enabled {
        return Ok(());
    }
    let mut total: u64 = media_parts(messages).map(Media::inline_bytes).sum();
    let mut fetched_any = false;
    for part in messages.iter_mut().flat_map(|m| m.parts.iter_mut()) {
        let Part::Media(media) = part else { continue };
        if media.url().is_none() || provider.takes_url(mode, media) {
            continue;
        }
        let budget = limits
            .max_part_bytes
            .min(limits.max_request_bytes.saturating_sub(total));
        let inline = provider.fetch_url(media, policy, budget).await?;
        total = total.saturating_add(inline.inline_bytes());
        *media = inline;
        fetched_any = true;
    }
    if fetched_any {
        check_messages(messages, limits)?;
    }
    Ok(())
}

fn media_parts(messages: &[Message]) -> impl Iterator<Item = &Media> {
    messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Media(media) => Some(media),
            _ => None,
        })
}

#[cfg(test)]
mod tests;
