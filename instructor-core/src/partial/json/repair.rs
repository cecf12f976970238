//! Lenient syntax ([`PartialJson::with_lenient_syntax`]): a single-pass repairer in
//! front of the strict byte machine. Each input byte becomes zero or more bytes of
//! strict JSON, fed to the parser at once, so the parser's policies and guarantees
//! (chunking never changes the outcome, snapshots only grow) hold unchanged: the
//! repairer's state depends only on the bytes before, whatever the chunking.
//!
//! What it accepts, and what it feeds the parser instead:
//! - trailing commas (`[1, 2,]`, `{"a": 1,}`): the comma is held until the next
//!   significant byte and dropped before a closer;
//! - comments, `// ...` to the end of the line and `/* ... */`: replaced by a space;
//! - single-quoted strings (`'it\'s'`): double-quoted, inner `"` escaped;
//! - unquoted keys (`{name: "A"}`, letters, digits, `_` and `$`): quoted;
//! - raw control characters inside strings (a real newline or tab): escaped;
//! - an escape JSON does not know (`\d`, `\'`): `\'` is `'`, others keep the backslash;
//! - Python's `True`, `False`, `None` as values: `true`, `false`, `null`.
//!
//! Offsets in errors, [`OpenValue`](super::OpenValue) and [`OpenList`](super::OpenList)
//! count the repaired text's bytes (which raw-text mode keeps).

use super::{ObjectState, PartialJson, PartialJsonError, Phase, Token};

/// Where the repairer is in the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum Lexer {
    /// Between tokens.
    #[default]
    Normal,
    /// In a double-quoted string (`escaped`: after a backslash).
    Double { escaped: bool },
    /// In a single-quoted string (`escaped`: after a backslash).
    Single { escaped: bool },
    /// After a `/` that may open a comment.
    Slash,
    /// In a `// ...` comment.
    LineComment,
    /// In a `/* ... */` comment (`star`: after a `*`).
    BlockComment { star: bool },
    /// In an unquoted key (its opening quote was fed).
    BareKey,
    /// A word in value position starting with an upper-case letter (`True`), held
    /// until it ends.
    Word(String),
}

/// The repairer's state.
#[derive(Debug, Clone, Default)]
pub(super) struct Repair {
    lexer: Lexer,
    /// A `,` read but not fed yet (dropped if a closer follows).
    comma: bool,
}

/// The longest word held in [`Lexer::Word`]; a longer one is fed as it is.
const MAX_WORD: usize = 5;

fn is_key_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || matches!(byte, b'_' | b'$')
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'$')
}

impl PartialJson {
    /// Whether the repairer rewrites this byte (else it goes to the parser as is):
    /// inside the root value, and before or after it in strict prose mode.
    fn repairing(&self) -> bool {
        self.repair.is_some() && (!self.lenient || self.phase == Phase::Inside)
    }

    /// One input byte in lenient-syntax mode: repaired and fed.
    pub(super) fn lenient_byte(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        if !self.repairing() {
            if let Some(repair) = &mut self.repair {
                *repair = Repair::default();
            }
            return self.feed(byte);
        }
        let lexer = self
            .repair
            .as_mut()
            .map(|r| std::mem::take(&mut r.lexer))
            .unwrap_or_default();
        let next = match lexer {
            Lexer::Normal => return self.normal_byte(byte),
            Lexer::Double { escaped } => self.string_byte_lenient(byte, escaped, b'"')?,
            Lexer::Single { escaped } => self.string_byte_lenient(byte, escaped, b'\'')?,
            Lexer::Slash => match byte {
                b'/' => Lexer::LineComment,
                b'*' => Lexer::BlockComment { star: false },
                _ => {
                    self.feed_significant(b'/')?;
                    return self.normal_byte(byte);
                }
            },
            Lexer::LineComment if byte == b'\n' => {
                self.feed(b'\n')?;
                Lexer::Normal
            }
            Lexer::LineComment => Lexer::LineComment,
            Lexer::BlockComment { star: true } if byte == b'/' => {
                self.feed(b' ')?;
                Lexer::Normal
            }
            Lexer::BlockComment { .. } => Lexer::BlockComment { star: byte == b'*' },
            Lexer::BareKey if is_key_byte(byte) => {
                self.feed(byte)?;
                Lexer::BareKey
            }
            Lexer::BareKey => {
                self.feed(b'"')?;
                return self.normal_byte(byte);
            }
            Lexer::Word(mut word) if byte.is_ascii_alphanumeric() && word.len() < MAX_WORD => {
                word.push(byte as char);
                Lexer::Word(word)
            }
            Lexer::Word(word) => {
                self.feed_word(&word)?;
                return self.normal_byte(byte);
            }
        };
        self.set_lexer(next);
        Ok(())
    }

    fn set_lexer(&mut self, lexer: Lexer) {
        if let Some(repair) = &mut self.repair {
            repair.lexer = lexer;
        }
    }

    /// A byte between tokens.
    fn normal_byte(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        let next = match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                self.feed(byte)?;
                Lexer::Normal
            }
            b'/' => Lexer::Slash,
            b',' => {
                self.feed_pending_comma()?;
                // A space ends a number or literal now, as the comma would.
                self.feed(b' ')?;
                if let Some(repair) = &mut self.repair {
                    repair.comma = true;
                }
                Lexer::Normal
            }
            b'"' => {
                self.feed_significant(b'"')?;
                Lexer::Double { escaped: false }
            }
            b'\'' => {
                self.feed_significant(b'"')?;
                Lexer::Single { escaped: false }
            }
            b'}' | b']' => {
                if let Some(repair) = &mut self.repair {
                    repair.comma = false;
                }
                self.feed(byte)?;
                Lexer::Normal
            }
            _ if is_key_start(byte) && self.expects_key() => {
                self.feed_significant(b'"')?;
                self.feed(byte)?;
                Lexer::BareKey
            }
            b'T' | b'F' | b'N' if self.expects_value() => {
                self.feed_pending_comma()?;
                Lexer::Word((byte as char).to_string())
            }
            _ => {
                self.feed_significant(byte)?;
                Lexer::Normal
            }
        };
        self.set_lexer(next);
        Ok(())
    }

    /// A byte inside a string quoted with `quote`; returns the next state.
    fn string_byte_lenient(
        &mut self,
        byte: u8,
        escaped: bool,
        quote: u8,
    ) -> Result<Lexer, PartialJsonError> {
        let again = |escaped| {
            if quote == b'"' {
                Lexer::Double { escaped }
            } else {
                Lexer::Single { escaped }
            }
        };
        if escaped {
            match byte {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u' => {
                    self.feed(b'\\')?;
                    self.feed(byte)?;
                }
                b'\'' => self.feed(b'\'')?,
                _ => {
                    // An escape JSON does not know: the backslash is text.
                    self.feed(b'\\')?;
                    self.feed(b'\\')?;
                    return self.string_byte_lenient(byte, false, quote);
                }
            }
            return Ok(again(false));
        }
        match byte {
            b'\\' => return Ok(again(true)),
            _ if byte == quote => {
                self.feed(b'"')?;
                return Ok(Lexer::Normal);
            }
            b'"' => {
                self.feed(b'\\')?;
                self.feed(b'"')?;
            }
            b'\n' => self.feed_all(b"\\n")?,
            b'\r' => self.feed_all(b"\\r")?,
            b'\t' => self.feed_all(b"\\t")?,
            0x00..=0x1f => self.feed_all(format!("\\u{byte:04x}").as_bytes())?,
            _ => self.feed(byte)?,
        }
        Ok(again(false))
    }

    /// Feeds a held word, Python's literals as JSON's.
    fn feed_word(&mut self, word: &str) -> Result<(), PartialJsonError> {
        let json = match word {
            "True" => "true",
            "False" => "false",
            "None" => "null",
            other => other,
        };
        self.feed_all(json.as_bytes())
    }

    /// What the repairer still holds at the end of the input, fed.
    pub(super) fn flush_repair(&mut self) -> Result<(), PartialJsonError> {
        if !self.repairing() {
            return Ok(());
        }
        let lexer = self
            .repair
            .as_mut()
            .map(|r| std::mem::take(&mut r.lexer))
            .unwrap_or_default();
        match lexer {
            Lexer::Word(word) => self.feed_word(&word),
            Lexer::Slash => self.feed_significant(b'/'),
            _ => Ok(()),
        }
    }

    /// Feeds a byte that starts a token, after a held comma.
    fn feed_significant(&mut self, byte: u8) -> Result<(), PartialJsonError> {
        self.feed_pending_comma()?;
        self.feed(byte)
    }

    fn feed_pending_comma(&mut self) -> Result<(), PartialJsonError> {
        if let Some(repair) = &mut self.repair
            && std::mem::take(&mut repair.comma)
        {
            return self.feed(b',');
        }
        Ok(())
    }

    fn feed_all(&mut self, bytes: &[u8]) -> Result<(), PartialJsonError> {
        bytes.iter().try_for_each(|&b| self.feed(b))
    }

    /// Whether the parser waits for a key (a held comma counts as fed).
    fn expects_key(&self) -> bool {
        let comma = self.repair.as_ref().is_some_and(|r| r.comma);
        matches!(self.token, Token::None)
            && match self.stack.last() {
                Some(super::Frame::Object { state, .. }) => match state {
                    ObjectState::KeyOrEnd | ObjectState::Key => true,
                    ObjectState::CommaOrEnd => comma,
                    _ => false,
                },
                _ => false,
            }
    }

    /// Whether the parser waits for a value.
    fn expects_value(&self) -> bool {
        if !matches!(self.token, Token::None) {
            return false;
        }
        match self.stack.last() {
            Some(super::Frame::Object { state, .. }) => *state == ObjectState::Value,
            Some(super::Frame::Array { .. }) => true,
            None => self.phase == Phase::Before,
        }
    }
}
