//! Input text with its name, and the mapping from byte offsets to `line:col`.
//!
//! Every reader (XML now, the nom readers of native files later) reports problems by byte
//! offset; this is the one place that turns an offset into the position and source excerpt a
//! person sees, so all of netloom's messages point the same way. Positioning must stay cheap
//! even for a file of one huge line with thousands of problems, met in any order (a note
//! points back at an earlier place): the line index is built once, ASCII lines take columns
//! by subtraction, and other lines count characters from the nearest checkpoint, one every
//! [`BLOCK`] bytes.

use std::cell::OnceCell;
use std::io::Read;
use std::path::Path;

use crate::error::{Diagnostic, Position, Snippet};

/// The most bytes netloom reads of one input unless told otherwise: 64 MiB, hundreds of
/// times a large real configuration, yet small enough to hold and parse whole.
pub const DEFAULT_MAX_INPUT: u64 = 64 << 20;

/// An input larger than the limit it is read under.
#[derive(Debug, thiserror::Error)]
#[error("larger than the input size limit of {} (raise it with --max-input-size)", size_text(*.limit))]
pub struct TooLarge {
    /// The limit, in bytes.
    pub limit: u64,
}

/// A size for people: whole KiB, MiB or GiB where it is one, else bytes.
pub fn size_text(bytes: u64) -> String {
    let units = [(30, "GiB"), (20, "MiB"), (10, "KiB")];
    match units
        .iter()
        .find(|(shift, _)| bytes >= 1 << shift && bytes.is_multiple_of(1 << shift))
    {
        Some((shift, unit)) => format!("{} {unit}", bytes >> shift),
        None => format!("{bytes} bytes"),
    }
}

/// All of `reader` when it holds at most `limit` bytes. Reading stops one byte past the
/// limit, so an endless stream (`/dev/zero`, a pipe from `yes`) costs at most the limit;
/// an input beyond it is an error of kind `FileTooLarge` carrying [`TooLarge`].
pub fn read_bounded(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    read_with_capacity(reader, limit, 0)
}

/// [`read_bounded`] for a file: one whose size is known to be over the limit is refused
/// without reading it.
pub fn read_file_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    read_open_file(file, &meta, limit)
}

/// [`read_file_bounded`] for a file already open, with its metadata.
pub fn read_open_file(
    file: std::fs::File,
    meta: &std::fs::Metadata,
    limit: u64,
) -> std::io::Result<Vec<u8>> {
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(limit));
    }
    let size = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    read_with_capacity(file, limit, size)
}

fn read_with_capacity(reader: impl Read, limit: u64, capacity: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::FileTooLarge, TooLarge { limit })
}

/// Lines up to this many characters are shown whole; longer ones as a window of `CONTEXT`
/// characters on each side of the column.
const SHOW_WHOLE: usize = 120;
const CONTEXT: usize = 60;

/// Bytes between two checkpoints of the character count: the most a column costs to count.
const BLOCK: usize = 1024;

/// One input: the name it is reported under (a path as given, or `<stdin>`) and its text.
#[derive(Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    /// The bytes of a leading byte-order mark that were dropped.
    dropped: usize,
    /// Built on the first error only: valid input never pays for it.
    index: OnceCell<LineIndex>,
}

#[derive(Debug)]
struct LineIndex {
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
    /// Whether each line is pure ASCII, where a column is a byte difference.
    ascii: Vec<bool>,
    /// The number of characters before byte `i * BLOCK`, for columns on other lines.
    chars: Vec<usize>,
}

impl LineIndex {
    /// The number of characters in `text` before byte `offset` (a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let block = offset / BLOCK;
        let counted = self.chars.get(block).copied().unwrap_or(0);
        let from = block * BLOCK;
        counted
            + text.as_bytes()[from..offset]
                .iter()
                .filter(|b| starts_char(**b))
                .count()
    }
}

/// Whether a byte of UTF-8 begins a character (is not a continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xc0 != 0x80
}

impl SourceFile {
    /// Wraps text that is already known to be UTF-8. A leading byte-order mark is dropped, so
    /// columns on the first line match what an editor shows.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut text = text.into();
        let dropped = if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
            '\u{feff}'.len_utf8()
        } else {
            0
        };
        Self {
            name: name.into(),
            text,
            dropped,
            index: OnceCell::new(),
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
                let at = partial.text.len();
                let bad = bytes.get(valid).copied().unwrap_or(0);
                Err(Box::new(partial.diagnostic(
                    at,
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

    fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| {
            let mut starts = vec![0];
            let mut ascii = Vec::new();
            let mut chars = Vec::with_capacity(self.text.len() / BLOCK + 1);
            let mut count = 0;
            let mut line_ascii = true;
            for (i, b) in self.text.bytes().enumerate() {
                if i % BLOCK == 0 {
                    chars.push(count);
                }
                count += usize::from(starts_char(b));
                line_ascii &= b.is_ascii();
                if b == b'\n' {
                    starts.push(i + 1);
                    ascii.push(line_ascii);
                    line_ascii = true;
                }
            }
            ascii.push(line_ascii);
            LineIndex {
                starts,
                ascii,
                chars,
            }
        })
    }

    /// Byte range of a 1-based line, without its line ending.
    fn line_range(&self, line: u32) -> (usize, usize) {
        let idx = self.index();
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = idx.starts.get(i) else {
            return (self.text.len(), self.text.len());
        };
        let end = idx
            .starts
            .get(i + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let end = if self.text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        (start, end)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let idx = self.index();
        let line = idx.starts.partition_point(|&s| s <= offset).max(1);
        let start = idx.starts[line - 1];
        let line_no = u32::try_from(line).unwrap_or(u32::MAX);
        let col = if idx.ascii[line - 1] {
            offset - start + 1
        } else {
            idx.chars_before(&self.text, offset) - idx.chars_before(&self.text, start) + 1
        };
        Position {
            line: line_no,
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    /// A diagnostic pointing at a byte offset of this file.
    pub fn diagnostic(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let offset = self.floor_char_boundary(offset.min(self.text.len()));
        let pos = self.position(offset);
        let (start, end) = self.line_range(pos.line);
        let offset = offset.clamp(start, end);
        let before = &self.text[start..offset];
        let after = &self.text[offset..end];
        let whole = self.text[start..end].chars().nth(SHOW_WHOLE).is_none();
        let (left, right) = if whole {
            (0, after.len())
        } else {
            (
                before
                    .char_indices()
                    .rev()
                    .nth(CONTEXT - 1)
                    .map_or(0, |(i, _)| i),
                after
                    .char_indices()
                    .nth(CONTEXT)
                    .map_or(after.len(), |(i, _)| i),
            )
        };
        let mut text = String::new();
        if left > 0 {
            text.push('…');
        }
        text.extend(
            before[left..]
                .chars()
                .chain(after[..right].chars())
                .map(visible),
        );
        let caret = usize::from(left > 0) + before[left..].chars().count();
        if right < after.len() {
            text.push('…');
        }
        Diagnostic::new(self.name.clone(), Some(pos), message).with_snippet(Snippet {
            line: pos.line,
            text,
            caret,
        })
    }

    /// A problem at byte `offset` into the text as it was given, byte-order mark included:
    /// what a parser of native files (shell, interfaces) reports, since it reads that text.
    pub fn diagnostic_in_input(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(offset.saturating_sub(self.dropped), message)
    }

    /// A diagnostic at a 1-based line and column, for parsers that report positions
    /// themselves.
    pub fn diagnostic_at(&self, pos: Position, message: impl Into<String>) -> Diagnostic {
        let (start, end) = self.line_range(pos.line);
        let offset = self.text[start..end]
            .char_indices()
            .nth((pos.col as usize).saturating_sub(1))
            .map_or(end, |(i, _)| start + i);
        self.diagnostic(offset, message)
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// Shows a control character (a lone carriage return, an escape) as U+FFFD, one column wide,
/// so a snippet cannot move the cursor or recolour the terminal. Tabs stay: the caret line
/// copies them.
fn visible(c: char) -> char {
    if c.is_control() && c != '\t' {
        '\u{fffd}'
    } else {
        c
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
        let line2 = "ab\ncdé".len();
        assert_eq!(src.position(line2), Position { line: 2, col: 4 });
    }

    #[test]
    fn columns_count_characters_in_any_order_of_lookup() {
        let text = "é1é2é3";
        let src = SourceFile::new("f", text);
        let at = |c: char| text.find(c).unwrap();
        // Forward and backward: each is counted afresh.
        assert_eq!(src.position(at('2')).col, 4);
        assert_eq!(src.position(at('3')).col, 6);
        assert_eq!(src.position(at('1')).col, 2);
    }

    #[test]
    fn columns_on_long_lines_count_across_checkpoints() {
        // Two- and three-byte characters, so blocks of the index start inside characters.
        let line: String = (0..3 * BLOCK)
            .map(|i| if i % 3 == 0 { 'é' } else { 'x' })
            .collect();
        let text = format!("a€\n{line}\nb");
        let src = SourceFile::new("f", text.as_str());
        let second = text.find('\n').unwrap() + 1;
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        for (n, (i, _)) in chars.iter().enumerate().rev().step_by(97) {
            let col = u32::try_from(n + 1).unwrap();
            assert_eq!(src.position(second + i), Position { line: 2, col });
        }
        assert_eq!(src.position(text.len() - 1), Position { line: 3, col: 1 });
    }

    #[test]
    fn positions_on_one_long_line_met_in_any_order_cost_linear_time() {
        // A minified file that is not ASCII, with problems whose notes point back at an
        // earlier place: each lookup used to count the line's characters from its start.
        crate::scaling::assert_linear(
            "positions back and forth along a line of n elements",
            1_000,
            |n| SourceFile::new("f", format!("é{}", "<a x='1'/>".repeat(n))),
            |src| {
                for at in (0..src.text().len()).step_by(10) {
                    std::hint::black_box(src.position(at));
                    std::hint::black_box(src.position(2));
                }
            },
        );
    }

    #[test]
    fn a_byte_order_mark_does_not_count_as_a_column() {
        let src = SourceFile::new("f", "\u{feff}<a/>");
        assert_eq!(src.text(), "<a/>");
        assert_eq!(src.position(1).col, 2);
    }

    #[test]
    fn offsets_into_the_input_count_the_dropped_byte_order_mark() {
        // A shell parser reads "\u{feff}A=1\nDEVICE=x y": 'x' is at byte 14 of that text.
        let src = SourceFile::new("f", "\u{feff}A=1\nDEVICE=x y");
        let d = src.diagnostic_in_input(14, "bad");
        assert_eq!(d.location(), "f:2:8");
        let plain = SourceFile::new("f", "A=1\nDEVICE=x y");
        assert_eq!(plain.diagnostic_in_input(11, "bad").location(), "f:2:8");
    }

    #[test]
    fn snippets_are_windowed_and_free_of_control_characters() {
        let line = format!("{}X{}\r", "a".repeat(500), "b\u{1b}".repeat(500));
        let src = SourceFile::new("f", format!("{line}\nnext"));
        let text = src.diagnostic(500, "m").to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "f:1:501: m");
        assert!(lines[1].chars().count() < 2 * CONTEXT + 10, "{}", lines[1]);
        assert!(!lines[1].contains('\u{1b}') && !lines[1].contains('\r'));
        let x = lines[1].find('X').unwrap();
        let caret = lines[2].find('^').unwrap();
        assert_eq!(
            lines[1][..x].chars().count(),
            lines[2][..caret].chars().count()
        );
    }

    #[test]
    fn crlf_lines_are_shown_without_their_ending() {
        let src = SourceFile::new("f", "<a>\r\n  junk\r\n</a>");
        let d = src.diagnostic(7, "m").to_string();
        assert_eq!(d, "f:2:3: m\n 2 |   junk\n   |   ^");
    }

    #[test]
    fn reading_stops_one_byte_past_the_limit() {
        assert_eq!(read_bounded(&b"abcd"[..], 4).unwrap(), b"abcd");
        // An endless reader: only limit + 1 bytes are taken from it.
        let err = read_bounded(std::io::repeat(b'x'), 1000).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert_eq!(
            err.to_string(),
            "larger than the input size limit of 1000 bytes (raise it with --max-input-size)"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'x'; 2048]).unwrap();
        assert_eq!(read_file_bounded(&path, 2048).unwrap().len(), 2048);
        let err = read_file_bounded(&path, 2047).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn sizes_are_shown_in_the_largest_whole_unit() {
        assert_eq!(size_text(DEFAULT_MAX_INPUT), "64 MiB");
        assert_eq!(size_text(3 << 30), "3 GiB");
        assert_eq!(size_text(1536), "1536 bytes");
        assert_eq!(size_text(2048), "2 KiB");
        assert_eq!(size_text(1000), "1000 bytes");
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
