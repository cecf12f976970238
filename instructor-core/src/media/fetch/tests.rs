#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use super::*;

fn class(ip: &str) -> Option<AddressClass> {
    AddressClass::of(ip.parse::<IpAddr>().unwrap())
}

#[test]
fn every_forbidden_ipv4_class_is_refused() {
    use AddressClass::*;
    let cases = [
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Unspecified),
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("10.0.0.1", Private),
        ("10.255.255.255", Private),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("192.168.1.1", Private),
        ("100.64.0.1", SharedAddressSpace),
        ("100.127.255.255", SharedAddressSpace),
        ("169.254.0.1", LinkLocal),
        ("169.254.169.254", Metadata),
        ("169.254.170.2", Metadata),
        ("100.100.100.200", Metadata),
        ("224.0.0.1", Multicast),
        ("239.255.255.250", Multicast),
        ("255.255.255.255", Broadcast),
        ("240.0.0.1", Reserved),
        ("192.0.0.8", Reserved),
        ("198.18.0.1", Reserved),
        ("198.19.255.255", Reserved),
        ("192.0.2.1", Documentation),
        ("198.51.100.7", Documentation),
        ("203.0.113.9", Documentation),
    ];
    for (ip, expected) in cases {
        assert_eq!(class(ip), Some(expected), "{ip}");
    }
}

#[test]
fn every_forbidden_ipv6_class_is_refused() {
    use AddressClass::*;
    let cases = [
        ("::", Unspecified),
        ("::1", Loopback),
        ("fd00::1", UniqueLocal),
        ("fdff:ffff::1", UniqueLocal),
        ("fc00::1", UniqueLocal),
        ("fd00:ec2::254", Metadata),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("fec0::1", Private),
        ("ff02::1", Multicast),
        ("2001:db8::1", Documentation),
        ("3fff::1", Documentation),
        ("2001::1", Reserved),
        ("100::1", Reserved),
        ("4000::1", Reserved),
        ("64:ff9b:1::1", Private),
        // IPv6 carrying IPv4: mapped, compatible, NAT64, 6to4.
        ("::ffff:127.0.0.1", Loopback),
        ("::ffff:169.254.169.254", Metadata),
        ("::ffff:10.1.2.3", Private),
        ("::ffff:0.0.0.0", Unspecified),
        ("::127.0.0.1", Loopback),
        ("::8.8.8.8", Reserved),
        ("64:ff9b::a9fe:a9fe", Metadata),
        ("64:ff9b::7f00:1", Loopback),
        ("2002:c0a8:0101::1", Private),
        ("2002:7f00:0001::1", Loopback),
    ];
    for (ip, expected) in cases {
        assert_eq!(class(ip), Some(expected), "{ip}");
    }
}

#[test]
fn public_addresses_pass() {
    for ip in [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "169.253.255.255",
        "192.169.0.1",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:0808:0808::1",
    ] {
        assert_eq!(class(ip), None, "{ip}");
    }
}

#[test]
fn allowed_hosts_match_name_and_port() {
    let policy = UrlFetchPolicy::default()
        .allow_host("Files.Example")
        .allow_host("127.0.0.1:8080")
        .allow_host("[::1]:9000");
    assert!(policy.allows_host("files.example", 443));
    assert!(policy.allows_host("FILES.example", 80));
    assert!(policy.allows_host("127.0.0.1", 8080));
    assert!(!policy.allows_host("127.0.0.1", 8081));
    assert!(policy.allows_host("[::1]", 9000));
    assert!(!policy.allows_host("::1", 9000));
    assert!(!policy.allows_host("other.example", 443));
    assert!(!UrlFetchPolicy::default().allows_host("localhost", 80));
}

#[test]
fn a_fetch_error_names_part_url_and_class() {
    let error = MediaFetchError::new(
        "the audio part (audio/wav, from a URL)",
        "http://u:secret@10.0.0.5/a.wav",
        FetchFailure::ForbiddenAddress {
            host: "10.0.0.5".into(),
            address: "10.0.0.5".parse().unwrap(),
            class: AddressClass::Private,
        },
    );
    assert_eq!(error.forbidden_class(), Some(AddressClass::Private));
    let text = Error::from(error).to_string();
    assert!(
        text.contains("the audio part") && text.contains("a private address"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
}

/// Takes images as URLs and nothing else; "downloads" a WAV, recording each cap.
#[derive(Debug, Default)]
struct InlineOnlyAudio {
    caps: std::sync::Mutex<Vec<u64>>,
}

#[async_trait::async_trait]
impl Provider for InlineOnlyAudio {
    fn name(&self) -> &str {
        "inline-only"
    }

    fn supported_modes(&self) -> &[Mode] {
        &[Mode::Tools]
    }

    fn takes_url(&self, _: Mode, media: &Media) -> bool {
        media.kind() == crate::MediaKind::Image
    }

    async fn fetch_url(
        &self,
        media: &Media,
        _: &UrlFetchPolicy,
        max_bytes: u64,
    ) -> Result<Media, Error> {
        self.caps.lock().unwrap().push(max_bytes);
        Ok(media.inlined(b"RIFF\x24\0\0\0WAVEfmt ", Some("application/octet-stream")))
    }

    fn build_body(&self, _: &crate::provider::ProviderRequest) -> Result<serde_json::Value, Error> {
        unreachable!()
    }

    async fn send(
        &self,
        _: &crate::provider::ProviderRequest,
        _: &serde_json::Value,
    ) -> Result<crate::Completion, Error> {
        unreachable!()
    }
}

fn messages() -> Vec<Message> {
    vec![
        Message::user("x")
            .image(crate::Image::from_url("https://a.example/i.png"))
            .audio(crate::Audio::from_url("https://a.example/clip").with_filename("clip.wav"))
            .image(crate::Image::from_bytes(b"\x89PNG\r\n\x1a\n\0\0")),
    ]
}

#[tokio::test]
async fn only_parts_the_provider_cannot_take_are_downloaded() {
    let provider = InlineOnlyAudio::default();
    let mut messages = messages();
    let limits = MediaLimits::default().max_request_bytes(1000);
    inline_urls(
        &provider,
        Mode::Tools,
        &mut messages,
        &UrlFetchPolicy::default(),
        &limits,
    )
    .await
    .unwrap();
    let media: Vec<&Media> = media_parts(&messages).collect();
    assert_eq!(media[0].url(), Some("https://a.example/i.png"));
    assert_eq!(media[1].url(), None);
    assert_eq!(media[1].mime(), Some("audio/wav"), "sniffed from the bytes");
    assert_eq!(media[1].filename(), Some("clip.wav"));
    assert_eq!(
        media[1].decode().unwrap().unwrap(),
        b"RIFF\x24\0\0\0WAVEfmt "
    );
    // The cap is what the request's total leaves (1000 minus the inline PNG).
    assert_eq!(*provider.caps.lock().unwrap(), [990]);
}

#[tokio::test]
async fn a_disabled_policy_downloads_nothing() {
    let provider = InlineOnlyAudio::default();
    let mut messages = messages();
    let before = messages.clone();
    inline_urls(
        &provider,
        Mode::Tools,
        &mut messages,
        &UrlFetchPolicy::disabled(),
        &MediaLimits::default(),
    )
    .await
    .unwrap();
    assert_eq!(messages, before);
    assert!(provider.caps.lock().unwrap().is_empty());
}

#[test]
fn downloaded_content_takes_the_sniffed_then_declared_type() {
    let part = Media::from_url(crate::MediaKind::File, "https://a.example/notes");
    let text = part.inlined(b"hello", Some("Text/Plain; charset=utf-8"));
    assert_eq!(text.mime(), Some("text/plain"));
    let pdf = part.inlined(b"%PDF-1.4\n", Some("text/html"));
    assert_eq!(pdf.mime(), Some("application/pdf"));
    let unknown = Media::from_url(crate::MediaKind::File, "https://a.example/n.csv")
        .inlined(b"a,b", Some("application/octet-stream"));
    assert_eq!(unknown.mime(), Some("text/csv"), "the URL's extension");
}
