//! An audio clip to a typed struct: `Message::user(..).audio(Audio::from_..)`, sent to
//! OpenAI's chat API as `input_audio` (base64 WAV or MP3).
//!
//! ```sh
//! cargo run --example audio_extraction                                          # offline
//! OPENAI_API_KEY=sk-... cargo run --example audio_extraction -- voicemail.wav   # a real clip, the real API
//! ```
//!
//! Offline, the example sends a tenth of a second of generated silence (a valid WAV)
//! and a local server replays a recorded answer. With a key it asks
//! `gpt-4o-audio-preview`, which takes audio input. Audio goes to OpenAI's chat API
//! and to Gemini; Anthropic and OpenAI's Responses API take none, and refuse it
//! before anything is sent.

#[path = "support/media.rs"]
mod media;
#[path = "support/replay.rs"]
mod replay;

use instructor::Audio;
use instructor::prelude::*;
use serde::{Deserialize, Serialize};

/// A voicemail, summarised.
#[derive(Instruct, Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Voicemail {
    caller: String,
    /// What they want, in one sentence.
    request: String,
    callback_number: Option<String>,
    urgent: bool,
}

/// `millis` of 16-bit mono silence at 8 kHz, as a WAV file.
fn silent_wav(millis: u32) -> Vec<u8> {
    let rate: u32 = 8000;
    let data_len = rate * millis / 1000 * 2;
    let mut wav = Vec::new();
    wav.extend(b"RIFF");
    wav.extend((36 + data_len).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(rate.to_le_bytes());
    wav.extend((rate * 2).to_le_bytes());
    wav.extend(2u16.to_le_bytes());
    wav.extend(16u16.to_le_bytes());
    wav.extend(b"data");
    wav.extend(data_len.to_le_bytes());
    wav.resize(wav.len() + data_len as usize, 0);
    wav
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (provider, replay) = replay::openai_or_replay(vec![
        r#"{"caller": "Dana from Northwind", "request": "Move Thursday's delivery to Friday morning.", "callback_number": "+1 555 0100", "urgent": true}"#,
    ])
    .await?;
    replay::announce(replay.is_none(), "OpenAI", "OPENAI_API_KEY");

    let clip = match std::env::args().nth(1) {
        Some(path) => Audio::from_path(path)?,
        None => Audio::from_bytes(silent_wav(100)),
    };
    let client = instructor::from_openai(provider).with_model("gpt-4o-audio-preview");
    let request = Request::default()
        .message(Message::user("Summarise this voicemail.").audio(clip))
        .on_kwargs(|body| media::print_content("sent", body, "/messages/0/content"));
    let voicemail: Voicemail = client.create(request).await?;
    println!("\n{voicemail:#?}");
    if replay.is_some() {
        assert!(voicemail.urgent);
    }

    // The Responses API takes no audio: a clear error, nothing sent.
    let responses = client.clone().with_mode(Mode::ResponsesTools);
    let again = Request::default()
        .message(Message::user("Summarise.").audio(Audio::from_bytes(silent_wav(10))));
    match responses.create::<Voicemail>(again).await {
        Err(error @ Error::Config(_)) => println!("\nas expected: {error}"),
        other => return Err(format!("expected a configuration error, got {other:?}").into()),
    }
    Ok(())
}
