//! Input text with its name, and the mapping from byte offsets to `line:col`.
//!
//! Every reader (XML now, the nom readers of native files later) reports problems by byte
//! offset; this is the one place that turns an offset into the position and source line a
//! person sees, so all of netloom's messages point the same way.

use std::cell::OnceCell;

use crate::error::{Diagnostic, Position};

/// One input: the name it is reported under (a path as given, or `<stdin>`) and its text.
#[derive(Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    /// Byte offset of the start of every line, built on the first error only: valid input
    /// never pays for it.
    line_starts: OnceCell<Vec<usize>>,
}

impl SourceFile {
    /// Wraps text that is already known to be UTF-8.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            line_starts: OnceCell::new(),
        }
    }

    /// Wraps raw bytes, refusing anything that is not UTF-8 with a positioned diagnostic
    /// (XML parsers and shells alike would otherwise guess at the encoding).
    pub fn from_bytes(name: impl Into<String>, bytes: Vec<u8>) -> Result<Self, Box<Diagnostic>> {
        let name = name.into();
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self::new(name, text)),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                // Everything before the bad byte is valid, so it can be positioned normally.
                let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
                let partial = Self::new(name, prefix);
                let bad = bytes.get(valid).copied().unwrap_or(0);
                Err(Box::new(partial.diagnostic(
                    valid,
                    format!("the file is not valid UTF-8: byte 0x{bad:02x} at offset {valid}"),
                )))
            }
        }
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let start = starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> &str {
        let starts = self.line_starts();
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = starts.get(idx) else {
            return "";
        };
        let end = starts.get(idx + 1).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// A diagnostic pointing at a byte offset of this file.
    pub fn diagnostic(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let pos = self.position(offset);
        Diagnostic::new(self.name.clone(), Some(pos), message)
            .with_source_line(self.line_text(pos.line))
    }

    /// A diagnostic at a 1-based line and column, for parsers that report positions
    /// themselves.
    pub fn diagnostic_at(&self, pos: Position, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.name.clone(), Some(pos), message)
            .with_source_line(self.line_text(pos.line))
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let src = SourceFile::new("f", "ab\ncdé\n  x");
        assert_eq!(src.position(0), Position { line: 1, col: 1 });
        assert_eq!(src.position(3), Position { line: 2, col: 1 });
        // 'x' sits after a two-byte character on the line before: columns count characters.
        assert_eq!(
            src.position(src.text().len() - 1),
            Position { line: 3, col: 3 }
        );
        assert_eq!(src.line_text(2), "cdé");
        assert_eq!(src.line_text(9), "");
    }

    #[test]
    fn invalid_utf8_is_positioned_at_the_bad_byte() {
        let err = SourceFile::from_bytes("f.xml", b"<a>\n  \xff</a>".to_vec()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("f.xml:2:3: the file is not valid UTF-8: byte 0xff"),
            "{text}"
        );
    }
}
