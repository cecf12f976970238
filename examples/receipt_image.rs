//! A receipt image to a typed struct: `Message::user(..).image(Image::from_..)`.
//!
//! ```sh
//! cargo run --example receipt_image                                   # offline: replays a recorded answer
//! OPENAI_API_KEY=sk-... cargo run --example receipt_image -- receipt.jpg  # a real receipt, the real API
//! ```
//!
//! An image may come from a URL (`Image::from_url`, an `https://` or a `data:` URL),
//! a local file (`Image::from_path`, read when the part is built), bytes
//! (`Image::from_bytes`) or base64 (`Image::from_base64`); the MIME type is detected
//! from the bytes (PNG, JPEG, GIF, WebP, ...). Offline, the example sends a tiny
//! embedded PNG and a local server replays a recorded answer; with a key, pass the
//! path of a real receipt photo.

#[path = "support/media.rs"]
mod media;
#[path = "support/replay.rs"]
mod replay;

use instructor::prelude::*;
use instructor::{Image, MediaLimits};
use serde::{Deserialize, Serialize};

/// One line of a receipt.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    /// The item as printed.
    name: String,
    #[instruct(range(min = 0.0))]
    price: f64,
}

/// What a shop receipt says.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Receipt {
    merchant: String,
    items: Vec<Item>,
    /// The amount paid, taxes included.
    total: f64,
    /// ISO 4217 code, e.g. EUR.
    #[instruct(pattern = "^[A-Z]{3}$")]
    currency: String,
}

/// A 1x1 PNG: enough for the replay (and for MIME sniffing), not for a real model.
const TINY_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (provider, replay) = replay::openai_or_replay(vec![
        r#"{"merchant": "Café Lumière", "items": [{"name": "Croissant", "price": 2.5}, {"name": "Cappuccino", "price": 3.8}], "total": 6.3, "currency": "EUR"}"#,
    ])
    .await?;
    replay::announce(replay.is_none(), "OpenAI", "OPENAI_API_KEY");

    // A path given on the command line is read now; else the embedded sample.
    let image = match std::env::args().nth(1) {
        Some(path) => Image::from_path(path)?,
        None => Image::from_bytes(TINY_PNG),
    };
    let client = instructor::from_openai(provider)
        .with_model("gpt-4o-mini")
        .with_media_limits(MediaLimits::default().max_part_bytes(10 << 20));
    let request = Request::default()
        .system("Read the receipt. Prices as printed, in the receipt's currency.")
        .message(Message::user("Extract this receipt.").image(image.with_detail("high")))
        .on_kwargs(|body| media::print_content("sent", body, "/messages/1/content"));
    let receipt: Receipt = client.create(request).await?;
    println!("\n{receipt:#?}");
    if replay.is_some() {
        assert_eq!(receipt.items.len(), 2);
        assert!((receipt.total - 6.3).abs() < 1e-9);
    }
    Ok(())
}
