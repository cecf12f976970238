//! A PDF to a typed struct: `Message::user(..).pdf(Pdf::from_..)`, on OpenAI's chat
//! API (a `file` part) and, offline, the same message as Anthropic and Gemini would
//! receive it (a `document` block, an `inlineData` part).
//!
//! ```sh
//! cargo run --example pdf_extraction --features anthropic,gemini                    # offline
//! OPENAI_API_KEY=sk-... cargo run --example pdf_extraction --features anthropic,gemini -- invoice.pdf
//! ```
//!
//! Offline, the example builds a one-page PDF in memory and a local server replays a
//! recorded answer. A PDF from an `https://` URL goes as a URL where the provider
//! takes one (Anthropic, Gemini, OpenAI's Responses API); OpenAI's chat API takes
//! PDFs inline only, so there the client downloads the URL first, never from a
//! loopback, private or metadata address (refused before connecting, redirects
//! included); with `UrlFetchPolicy::disabled()` such a URL is a clear error before
//! anything is sent.

#[path = "support/media.rs"]
mod media;
#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use instructor::{Pdf, UrlFetchPolicy};
use serde::{Deserialize, Serialize};

/// What an invoice says.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Invoice {
    /// The invoice number as printed.
    number: String,
    customer: String,
    #[instruct(range(min = 0.0))]
    total: f64,
    /// ISO 4217 code.
    #[instruct(pattern = "^[A-Z]{3}$")]
    currency: String,
}

/// A one-page PDF whose page shows `text` (valid: the cross-reference offsets are
/// computed).
fn one_page_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 14 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    pdf
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (provider, replay) = replay::openai_or_replay(vec![
        r#"{"number": "INV-2024-042", "customer": "Acme GmbH", "total": 1250.0, "currency": "EUR"}"#,
    ])
    .await?;
    replay::announce(replay.is_none(), "OpenAI", "OPENAI_API_KEY");

    let pdf = match std::env::args().nth(1) {
        Some(path) => Pdf::from_path(path)?,
        None => Pdf::from_bytes(one_page_pdf(
            "Invoice INV-2024-042 - Acme GmbH - Total 1250.00 EUR",
        ))
        .with_filename("invoice.pdf"),
    };
    let message = Message::user("Extract the invoice.").pdf(pdf);
    let client = instructor::from_openai(provider).with_model("gpt-4o-mini");
    let request = Request::default()
        .message(message.clone())
        .on_kwargs(|body| media::print_content("OpenAI chat", body, "/messages/0/content"));
    let invoice: Invoice = client.create(request).await?;
    println!("\n{invoice:#?}\n");
    if replay.is_some() {
        assert_eq!(invoice.number, "INV-2024-042");
    }

    // The same message as the other providers would send it (built, not sent).
    #[cfg(feature = "anthropic")]
    {
        let anthropic =
            instructor::from_anthropic(instructor::providers::Anthropic::new("offline"))
                .with_model("claude-sonnet-4-5");
        let prepared =
            anthropic.prepare::<Invoice>(&Request::default().message(message.clone()))?;
        let body = anthropic.provider().build_body(&prepared)?;
        media::print_content("Anthropic", &body, "/messages/0/content");
    }
    #[cfg(feature = "gemini")]
    {
        let gemini = instructor::from_gemini(instructor::providers::Gemini::new("offline"))
            .with_model("gemini-2.5-flash");
        let prepared = gemini.prepare::<Invoice>(&Request::default().message(message.clone()))?;
        let body = gemini.provider().build_body(&prepared)?;
        media::print_content("Gemini", &body, "/contents/0/parts");
    }

    // A PDF URL on OpenAI's chat API is downloaded first, but never from a cloud
    // metadata address (nor loopback, private, link-local): refused before connecting.
    let metadata = Request::default().message(Message::user_with_pdf(
        "Extract the invoice.",
        "http://169.254.169.254/latest/meta-data/invoice.pdf",
    ));
    match client.create::<Invoice>(metadata).await {
        Err(Error::MediaFetch(error)) => println!("\nas expected: {error}"),
        other => return Err(format!("expected a refused download, got {other:?}").into()),
    }
    // With downloads off, a URL there is refused before anything is sent.
    let no_downloads = client.with_url_fetch(UrlFetchPolicy::disabled());
    let by_url = Request::default().message(Message::user_with_pdf(
        "Extract the invoice.",
        "https://files.example.com/invoice.pdf",
    ));
    match no_downloads.create::<Invoice>(by_url).await {
        Err(error @ Error::Config(_)) => println!("as expected: {error}"),
        other => return Err(format!("expected a configuration error, got {other:?}").into()),
    }
    Ok(())
}
