//! Media parts: images, audio, PDFs and other files, from a URL, a local path, bytes
//! or base64, with the MIME type detected from the content (magic bytes) or given.
//!
//! ```
//! use instructor_core::{Image, Message, Pdf};
//!
//! let png = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0];
//! let message = Message::user("Compare these")
//!     .image(Image::from_url("https://example.com/a.jpg"))
//!     .image(Image::from_bytes(png))
//!     .pdf(Pdf::from_url("data:application/pdf;base64,JVBERi0xLjQK"));
//! assert_eq!(message.parts.len(), 4);
//! ```
//!
//! Contract:
//! - A part holds either a remote URL, which the provider fetches, or its content as
//!   base64 (bytes, a file, base64 text and `data:` URLs all become that).
//! - A local path is read when the part is built ([`Image::from_path`] and its
//!   siblings), never later, and only the path the caller passed. Nothing else is
//!   ever read from disk: a `file:` URL is refused.
//! - Nothing is checked against a provider here. When a request is prepared (before
//!   anything is sent) every part is checked against the [`MediaLimits`] and for a
//!   known MIME type of its kind; then each provider maps the parts it can take to
//!   its wire format and refuses the others with [`Error::Config`] naming the part and
//!   the provider.
//! - A URL is downloaded by this crate only where the provider takes that kind
//!   inline only (OpenAI chat audio, PDFs and files; Anthropic text files), when a
//!   call starts (`create` and its siblings, not [`Client::prepare`](crate::Client::prepare)),
//!   and never from a loopback, private, link-local, metadata or other non-public
//!   address, redirects included, each checked before connecting: see
//!   [`UrlFetchPolicy`] (on by default; [`UrlFetchPolicy::disabled`] refuses such
//!   parts instead) and [`MediaFetchError`]. The download counts against
//!   [`MediaLimits::max_part_bytes`] while it streams.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::Error;

mod fetch;

pub(crate) use fetch::inline_urls;
pub use fetch::{AddressClass, FetchFailure, MediaFetchError, UrlFetchPolicy};

/// What a media part holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MediaKind {
    /// An image (PNG, JPEG, GIF, WebP, ...).
    Image,
    /// An audio clip (WAV, MP3, ...).
    Audio,
    /// A PDF document.
    Pdf,
    /// Any other file, sent with its MIME type (plain text, CSV, video, ...).
    File,
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Pdf => "PDF",
            Self::File => "file",
        })
    }
}

/// Where a media part's content is, as the providers receive it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaSource {
    /// A remote `https://` (or `http://`) URL the provider fetches itself (or, where
    /// it takes the kind inline only, this crate downloads first: see
    /// [`UrlFetchPolicy`]).
    Url(String),
    /// The content itself, base64-encoded (standard alphabet, padded).
    Base64(String),
}

impl fmt::Debug for MediaSource {
    /// A URL in full; base64 content by its length only (it may be megabytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) if url.len() > 200 => write!(f, "Url({:?}…)", truncate(url, 200)),
            Self::Url(url) => f.debug_tuple("Url").field(url).finish(),
            Self::Base64(data) => write!(f, "Base64(<{} chars>)", data.len()),
        }
    }
}

fn truncate(text: &str, max: usize) -> &str {
    let end = (0..=max)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    &text[..end]
}

/// One media part of a message: its kind, its source, its MIME type (detected or
/// given) and, for files, a file name. Built through [`Image`], [`Audio`], [`Pdf`]
/// and [`Attachment`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Media {
    kind: MediaKind,
    source: MediaSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl Media {
    /// A part from a URL: a `data:…;base64,` URL becomes inline content (its media
    /// type is the MIME type); any other URL is kept for the provider to fetch, its
    /// MIME type guessed from the path's extension.
    pub fn from_url(kind: MediaKind, url: impl Into<String>) -> Self {
        let url = url.into();
        if let Some((mime, data)) = split_data_url(&url) {
            let mime = (!mime.is_empty()).then(|| mime.to_owned());
            let mut media = Self::from_base64(kind, data);
            if mime.is_some() {
                media.mime = mime;
            }
            return media;
        }
        let mime = mime_from_extension(url_path(&url)).map(str::to_owned);
        let filename = url_path(&url)
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        Self::new(kind, MediaSource::Url(url), mime, filename)
    }

    /// A part from a local file, read now (the caller chose the path). A file larger
    /// than [`MediaLimits::DEFAULT_PART_BYTES`] is refused without being read: read
    /// it yourself and use [`Media::from_bytes`] (with raised limits) to send more.
    /// The MIME type is detected from the content, else from the extension.
    pub fn from_path(kind: MediaKind, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let unreadable = |e: std::io::Error| {
            Error::config(format!(
                "cannot read the {kind} file {}: {e}",
                path.display()
            ))
        };
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > MediaLimits::DEFAULT_PART_BYTES {
            return Err(Error::config(format!(
                "the {kind} file {} has {size} bytes, more than the {} a part may have by default; read it yourself and use `from_bytes` with raised `MediaLimits`",
                path.display(),
                MediaLimits::DEFAULT_PART_BYTES
            )));
        }
        let bytes = std::fs::read(path).map_err(unreadable)?;
        let mut media = Self::from_bytes(kind, &bytes);
        if media.mime.is_none() {
            media.mime = path
                .to_str()
                .and_then(mime_from_extension)
                .map(str::to_owned);
        }
        media.filename = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
        Ok(media)
    }

    /// A part from its bytes; the MIME type is detected from them.
    pub fn from_bytes(kind: MediaKind, bytes: impl AsRef<[u8]>) -> Self {
        let bytes = bytes.as_ref();
        let mime = sniff_mime(bytes).map(str::to_owned);
        Self::new(
            kind,
            MediaSource::Base64(STANDARD.encode(bytes)),
            mime,
            None,
        )
    }

    /// A part from base64 text (whitespace is ignored); the MIME type is detected
    /// from the decoded content. Invalid base64 is reported when the request is
    /// prepared.
    pub fn from_base64(kind: MediaKind, data: impl Into<String>) -> Self {
        let mut data: String = data.into();
        data.retain(|c| !c.is_ascii_whitespace());
        let head = &data[..data.len().min(32) / 4 * 4];
        let mime = STANDARD
            .decode(head)
            .ok()
            .and_then(|bytes| sniff_mime(&bytes))
            .map(str::to_owned);
        Self::new(kind, MediaSource::Base64(data), mime, None)
    }

    fn new(
        kind: MediaKind,
        source: MediaSource,
        mime: Option<String>,
        filename: Option<String>,
    ) -> Self {
        Self {
            kind,
            source,
            mime,
            filename,
            detail: None,
        }
    }

    /// The same part with the MIME type given (overrides the detected one).
    #[must_use]
    pub fn with_mime(mut self, mime: impl Into<String>) -> Self {
        self.mime = Some(mime.into());
        self
    }

    /// The same part with a file name (sent where the provider takes one).
    #[must_use]
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        self.filename = Some(filename.into());
        self
    }

    /// The same part with an image detail level (`low`, `high` or `auto`; OpenAI).
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// What the part holds.
    pub fn kind(&self) -> MediaKind {
        self.kind
    }

    /// Where its content is.
    pub fn source(&self) -> &MediaSource {
        &self.source
    }

    /// Its MIME type, detected or given (`application/pdf` for a PDF); `None` when
    /// neither was possible.
    pub fn mime(&self) -> Option<&str> {
        match (&self.mime, self.kind) {
            (Some(mime), _) => Some(mime),
            (None, MediaKind::Pdf) => Some("application/pdf"),
            (None, _) => None,
        }
    }

    /// Its file name: the one given, else the last segment of its path or URL.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// Its image detail level, if one was given.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The remote URL, for a part the provider fetches.
    pub fn url(&self) -> Option<&str> {
        match &self.source {
            MediaSource::Url(url) => Some(url),
            MediaSource::Base64(_) => None,
        }
    }

    /// The base64 content, for an inline part.
    pub fn base64(&self) -> Option<&str> {
        match &self.source {
            MediaSource::Base64(data) => Some(data),
            MediaSource::Url(_) => None,
        }
    }

    /// The inline content decoded (`None` for a remote URL); invalid base64 is a
    /// configuration error.
    pub fn decode(&self) -> Result<Option<Vec<u8>>, Error> {
        match &self.source {
            MediaSource::Base64(data) => STANDARD
                .decode(data)
                .map(Some)
                .map_err(|_| Error::config(format!("{} is not valid base64", self.label()))),
            MediaSource::Url(_) => Ok(None),
        }
    }

    /// The MIME type, or a configuration error saying how to give it (for providers
    /// that must send one).
    pub fn require_mime(&self) -> Result<&str, Error> {
        self.mime().ok_or_else(|| {
            Error::config(format!(
                "the MIME type of {} is unknown (not detected from its content or URL): give it with `.with_mime(..)`",
                self.label()
            ))
        })
    }

    /// The inline content as a `data:<mime>;base64,<data>` URL; `None` for a remote
    /// URL.
    pub fn data_url(&self) -> Result<Option<String>, Error> {
        match &self.source {
            MediaSource::Base64(data) => {
                Ok(Some(format!("data:{};base64,{data}", self.require_mime()?)))
            }
            MediaSource::Url(_) => Ok(None),
        }
    }

    /// The same part with `bytes` as its inline content: what a download of its URL
    /// returned (`content_type` is the response's `Content-Type`). The MIME type is
    /// the one detected from the bytes, else the content type (unless it is
    /// `application/octet-stream` or similar), else the part's own; the file name,
    /// kind and detail level stay.
    pub fn inlined(&self, bytes: &[u8], content_type: Option<&str>) -> Self {
        let declared = content_type
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| t.contains('/') && !t.ends_with("/octet-stream"));
        let mime = sniff_mime(bytes)
            .map(str::to_owned)
            .or(declared)
            .or_else(|| self.mime.clone());
        Self {
            kind: self.kind,
            source: MediaSource::Base64(STANDARD.encode(bytes)),
            mime,
            filename: self.filename.clone(),
            detail: self.detail.clone(),
        }
    }

    /// The part in words for error messages: "the image part (from a URL)".
    pub fn label(&self) -> String {
        let from = match self.source {
            MediaSource::Url(_) => "from a URL",
            MediaSource::Base64(_) => "inline content",
        };
        match self.mime() {
            Some(mime) => format!("the {} part ({mime}, {from})", self.kind),
            None => format!("the {} part ({from})", self.kind),
        }
    }

    /// The decoded size in bytes of inline content (from the base64 length); 0 for
    /// a URL.
    pub fn inline_bytes(&self) -> u64 {
        match &self.source {
            MediaSource::Base64(data) => {
                let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
                (data.len() / 4 * 3).saturating_sub(padding) as u64
            }
            MediaSource::Url(_) => 0,
        }
    }

    /// Pre-flight checks every provider shares: the size cap, valid base64, a usable
    /// URL scheme and a MIME type that fits the kind.
    pub(crate) fn check(&self, limits: &MediaLimits) -> Result<(), Error> {
        let size = self.inline_bytes();
        if size > limits.max_part_bytes {
            return Err(Error::config(format!(
                "{} has {size} bytes, more than the {} allowed per part (`MediaLimits::max_part_bytes`)",
                self.label(),
                limits.max_part_bytes
            )));
        }
        match &self.source {
            MediaSource::Base64(data) => {
                if data.is_empty() || STANDARD.decode(data).is_err() {
                    return Err(Error::config(format!(
                        "{} is not valid base64",
                        self.label()
                    )));
                }
            }
            MediaSource::Url(url) => {
                let scheme = url.split_once(':').map_or("", |(s, _)| s);
                if !matches!(scheme.to_ascii_lowercase().as_str(), "https" | "http") {
                    return Err(Error::config(format!(
                        "{} has a URL that is neither https, http nor a base64 `data:` URL; use `from_path` for a local file",
                        self.label()
                    )));
                }
            }
        }
        if let Some(mime) = self.mime() {
            let fits = match self.kind {
                MediaKind::Image => mime.starts_with("image/"),
                MediaKind::Audio => mime.starts_with("audio/"),
                MediaKind::Pdf => mime == "application/pdf",
                _ => true,
            };
            if !fits {
                return Err(Error::config(format!(
                    "{} holds {mime} content, not a {} (use the part type that matches, or `Attachment`)",
                    self.label(),
                    self.kind
                )));
            }
        } else if self.base64().is_some() {
            self.require_mime()?;
        }
        Ok(())
    }
}

/// Checks every media part of `messages` against `limits` (and [`Media::check`]),
/// before a request is built.
pub(crate) fn check_messages(
    messages: &[crate::Message],
    limits: &MediaLimits,
) -> Result<(), Error> {
    let mut total: u64 = 0;
    for media in messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            crate::Part::Media(media) => Some(media),
            _ => None,
        })
    {
        media.check(limits)?;
        total = total.saturating_add(media.inline_bytes());
    }
    if total > limits.max_request_bytes {
        return Err(Error::config(format!(
            "the request's inline media add up to {total} bytes, more than the {} allowed per request (`MediaLimits::max_request_bytes`)",
            limits.max_request_bytes
        )));
    }
    Ok(())
}

/// Size caps on media, checked when a request is prepared (before anything is
/// sent): decoded bytes of each inline part and of all of a request's inline parts.
/// Remote URLs the provider fetches count for nothing; a URL this crate downloads
/// (see [`UrlFetchPolicy`]) counts once downloaded, and the download stops as soon
/// as it would cross what the caps leave for it.
///
/// ```
/// use instructor_core::{MediaLimits, Request};
///
/// let request = Request::new("gpt-4o")
///     .media_limits(MediaLimits::default().max_part_bytes(5 << 20));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaLimits {
    /// The most decoded bytes one part may have.
    pub max_part_bytes: u64,
    /// The most decoded bytes all of a request's parts may have together.
    pub max_request_bytes: u64,
}

impl MediaLimits {
    /// The default cap per part: 20 MiB.
    pub const DEFAULT_PART_BYTES: u64 = 20 << 20;
    /// The default cap per request: 32 MiB (Anthropic's request limit).
    pub const DEFAULT_REQUEST_BYTES: u64 = 32 << 20;

    /// Sets the cap per part.
    #[must_use]
    pub fn max_part_bytes(mut self, bytes: u64) -> Self {
        self.max_part_bytes = bytes;
        self
    }

    /// Sets the cap per request.
    #[must_use]
    pub fn max_request_bytes(mut self, bytes: u64) -> Self {
        self.max_request_bytes = bytes;
        self
    }
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_part_bytes: Self::DEFAULT_PART_BYTES,
            max_request_bytes: Self::DEFAULT_REQUEST_BYTES,
        }
    }
}

/// The MIME type of `bytes` from their magic numbers, if recognised.
pub(crate) fn sniff_mime(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    Some(if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"\xff\xd8\xff") {
        "image/jpeg"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        "audio/wav"
    } else if at(0, b"%PDF-") {
        "application/pdf"
    } else if at(0, b"ID3") || (bytes.len() > 1 && bytes[0] == 0xff && bytes[1] & 0xe6 == 0xe2) {
        // An ID3 tag, or an MPEG audio layer III frame header (sync bits, layer 3).
        "audio/mpeg"
    } else if at(0, b"fLaC") {
        "audio/flac"
    } else if at(0, b"OggS") {
        "audio/ogg"
    } else if at(4, b"ftypM4A") {
        "audio/mp4"
    } else if at(4, b"ftyp") {
        "video/mp4"
    } else if at(0, b"BM") && bytes.len() > 14 {
        "image/bmp"
    } else {
        return None;
    })
}

/// The MIME type a file name's extension stands for, if known.
pub(crate) fn mime_from_extension(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "flac" => "audio/flac",
        "ogg" => "audio/ogg",
        "m4a" => "audio/mp4",
        "mp4" => "video/mp4",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "html" => "text/html",
        _ => return None,
    })
}

/// The path of a URL (without its query and fragment).
fn url_path(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// A base64 `data:` URL split into its media type and payload.
pub(crate) fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let media = meta.strip_suffix(";base64")?;
    Some((media, data))
}

/// Declares a typed constructor for one media kind.
macro_rules! media_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $method:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(Media);

        impl $name {
            #[doc = concat!("A ", stringify!($method), " from a URL: `https://…` (fetched by the provider, or downloaded first where it takes the kind inline only: see [`UrlFetchPolicy`]) or a base64 `data:` URL.")]
            pub fn from_url(url: impl Into<String>) -> Self {
                Self(Media::from_url($kind, url))
            }

            #[doc = concat!("A ", stringify!($method), " from a local file, read now (see [`Media::from_path`]).")]
            pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
                Media::from_path($kind, path).map(Self)
            }

            #[doc = concat!("A ", stringify!($method), " from its bytes; the MIME type is detected from them.")]
            pub fn from_bytes(bytes: impl AsRef<[u8]>) -> Self {
                Self(Media::from_bytes($kind, bytes))
            }

            #[doc = concat!("A ", stringify!($method), " from base64 text; the MIME type is detected from the content.")]
            pub fn from_base64(data: impl Into<String>) -> Self {
                Self(Media::from_base64($kind, data))
            }

            /// The same part with the MIME type given (overrides the detected one).
            #[must_use]
            pub fn with_mime(self, mime: impl Into<String>) -> Self {
                Self(self.0.with_mime(mime))
            }

            /// The same part with a file name (sent where the provider takes one).
            #[must_use]
            pub fn with_filename(self, filename: impl Into<String>) -> Self {
                Self(self.0.with_filename(filename))
            }

            /// The provider-neutral part.
            pub fn into_media(self) -> Media {
                self.0
            }
        }

        impl From<$name> for Media {
            fn from(part: $name) -> Self {
                part.0
            }
        }

        impl From<$name> for crate::Part {
            fn from(part: $name) -> Self {
                crate::Part::Media(part.0)
            }
        }
    };
}

media_type!(
    /// An image part (PNG, JPEG, GIF, WebP): `Message::user("..").image(Image::from_url(..))`.
    Image,
    MediaKind::Image,
    image
);
media_type!(
    /// An audio part (WAV, MP3, ...): `Message::user("..").audio(Audio::from_path(..)?)`.
    Audio,
    MediaKind::Audio,
    audio
);
media_type!(
    /// A PDF part: `Message::user("..").pdf(Pdf::from_url(..))`.
    Pdf,
    MediaKind::Pdf,
    pdf
);
media_type!(
    /// Any other file, sent with its MIME type where the provider takes it (Gemini
    /// takes most types, OpenAI its documented file types, Anthropic plain text):
    /// `Message::user("..").attachment(Attachment::from_path("notes.txt")?)`.
    Attachment,
    MediaKind::File,
    file
);

impl Image {
    /// The same image with a detail level (`low`, `high` or `auto`; OpenAI).
    #[must_use]
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        Self(self.0.with_detail(detail))
    }
}

#[cfg(test)]
mod tests;
