#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use super::*;
use crate::{Message, Part};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
const WAV: &[u8] = b"RIFF\x24\0\0\0WAVEfmt ";
const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\n";

#[test]
fn magic_bytes_give_the_mime_type() {
    let cases: &[(&[u8], Option<&str>)] = &[
        (PNG, Some("image/png")),
        (JPEG, Some("image/jpeg")),
        (b"GIF89a\x01\0", Some("image/gif")),
        (b"GIF87a\x01\0", Some("image/gif")),
        (b"RIFF\0\0\0\0WEBPVP8 ", Some("image/webp")),
        (WAV, Some("audio/wav")),
        (PDF, Some("application/pdf")),
        (b"ID3\x04\0\0\0\0\0\0", Some("audio/mpeg")),
        (b"\xff\xfb\x90\x64", Some("audio/mpeg")),
        (b"\xff\xf3\x90\x64", Some("audio/mpeg")),
        (b"fLaC\0\0\0\x22", Some("audio/flac")),
        (b"OggS\0\x02", Some("audio/ogg")),
        (b"\0\0\0\x20ftypM4A \0", Some("audio/mp4")),
        (b"\0\0\0\x20ftypisom\0", Some("video/mp4")),
        (b"hello, world", None),
        (b"", None),
        (b"\xff", None),
        (b"RIFF\0\0\0\0AVI ", None),
    ];
    for (bytes, expected) in cases {
        assert_eq!(sniff_mime(bytes), *expected, "{bytes:?}");
    }
}

#[test]
fn every_source_detects_or_takes_the_mime_type() {
    assert_eq!(
        Image::from_bytes(PNG).into_media().mime(),
        Some("image/png")
    );
    let b64 = STANDARD.encode(JPEG);
    assert_eq!(
        Image::from_base64(&b64).into_media().mime(),
        Some("image/jpeg")
    );
    // Whitespace in base64 (wrapped lines) is dropped.
    let wrapped = format!("{}\n{}", &b64[..8], &b64[8..]);
    assert_eq!(
        Image::from_base64(wrapped).into_media().base64(),
        Some(b64.as_str())
    );
    // A data URL's own media type wins over sniffing; the payload is inline.
    let data = Image::from_url(format!("data:image/x-custom;base64,{b64}")).into_media();
    assert_eq!(
        (data.mime(), data.base64()),
        (Some("image/x-custom"), Some(b64.as_str()))
    );
    // A remote URL: from its extension, else unknown; a PDF is always a PDF.
    let url = Image::from_url("https://x.test/scan.PNG?sig=1").into_media();
    assert_eq!(
        (url.mime(), url.url(), url.filename()),
        (
            Some("image/png"),
            Some("https://x.test/scan.PNG?sig=1"),
            Some("scan.PNG")
        )
    );
    assert_eq!(
        Image::from_url("https://x.test/img").into_media().mime(),
        None
    );
    assert_eq!(
        Pdf::from_url("https://x.test/doc").into_media().mime(),
        Some("application/pdf")
    );
    // Given beats detected.
    assert_eq!(
        Audio::from_bytes(WAV)
            .with_mime("audio/x-wav")
            .into_media()
            .mime(),
        Some("audio/x-wav")
    );
}

#[test]
fn a_path_is_read_when_the_part_is_built() {
    let dir = std::env::temp_dir().join(format!("instructor-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("receipt.bin");
    std::fs::write(&path, PNG).unwrap();
    let image = Image::from_path(&path).unwrap().into_media();
    std::fs::remove_file(&path).unwrap();
    // Read then, not later: the file is gone and the part still holds it.
    assert_eq!(image.base64(), Some(STANDARD.encode(PNG).as_str()));
    assert_eq!(
        (image.mime(), image.filename()),
        (Some("image/png"), Some("receipt.bin"))
    );
    // Unknown content: the extension decides.
    let notes = dir.join("notes.txt");
    std::fs::write(&notes, "plain words").unwrap();
    assert_eq!(
        Attachment::from_path(&notes).unwrap().into_media().mime(),
        Some("text/plain")
    );
    let missing = Pdf::from_path(dir.join("missing.pdf"))
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("cannot read the PDF file") && missing.contains("missing.pdf"),
        "{missing}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_never_prints_the_content() {
    let image = Image::from_bytes(vec![0u8; 3000]);
    let shown = format!("{image:?}");
    assert!(shown.contains("Base64(<4000 chars>)"), "{shown}");
}

#[test]
fn caps_per_part_and_per_request_are_checked() {
    let limits = MediaLimits::default()
        .max_part_bytes(20)
        .max_request_bytes(30);
    let part = |n: usize| {
        Message::user("x").image(Image::from_bytes([PNG, &vec![0; n - PNG.len()]].concat()))
    };
    assert!(check_messages(&[part(20)], &limits).is_ok());
    let err = check_messages(&[part(21)], &limits)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("21 bytes") && err.contains("20 allowed per part"),
        "{err}"
    );
    let err = check_messages(&[part(20), part(20)], &limits)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("40 bytes") && err.contains("30 allowed per request"),
        "{err}"
    );
    // A URL is fetched by the provider: it counts for nothing.
    let url = Message::user("x").image(Image::from_url("https://x.test/a.png"));
    assert!(check_messages(&[url.clone(), url, part(20)], &limits).is_ok());
    // Exact sizes from base64 padding.
    for n in 0..7 {
        let media = Media::from_bytes(MediaKind::File, vec![1u8; n]);
        assert_eq!(media.inline_bytes(), n as u64);
    }
}

#[test]
fn preflight_refuses_bad_content() {
    let check = |m: Media| {
        check_messages(
            &[Message::user("x").with_part(Part::Media(m))],
            &MediaLimits::default(),
        )
        .unwrap_err()
        .to_string()
    };
    let err = check(Image::from_bytes(PDF).into_media());
    assert!(
        err.contains("holds application/pdf content, not a image"),
        "{err}"
    );
    let err = check(Image::from_bytes(b"???").into_media());
    assert!(
        err.contains("MIME type of the image part") && err.contains("with_mime"),
        "{err}"
    );
    let err = check(
        Audio::from_base64("not base64!")
            .with_mime("audio/wav")
            .into_media(),
    );
    assert!(err.contains("not valid base64"), "{err}");
    let err = check(Pdf::from_url("file:///etc/passwd").into_media());
    assert!(err.contains("neither https"), "{err}");
    assert!(
        check_messages(
            &[Message::user("x").pdf(Pdf::from_bytes(PDF))],
            &MediaLimits::default()
        )
        .is_ok()
    );
}
