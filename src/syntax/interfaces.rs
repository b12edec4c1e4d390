//! Debian's `/etc/network/interfaces` (interfaces(5)), read the way ifupdown reads it and
//! kept lossless: every byte of the file belongs to exactly one [`Line`]'s span, so printing
//! the lines back gives the input, and the Debian backend can rewrite one stanza while the
//! user's comments, indentation and line endings stay as they were.
//!
//! The rules mirror ifupdown 0.8's `get_line` and `read_interfaces_defn`, checked against
//! `ifquery` 0.8.41 (the tests run it when it is installed):
//! - The file is read one physical line at a time and leading blanks are dropped. A line
//!   that then starts with `#` is a comment. There are no end-of-line comments, and a comment
//!   never continues onto the next line, even when it ends in a backslash: ifupdown skips
//!   comments before it looks for continuations.
//! - A line whose very last character before the `\n` is a backslash continues: the
//!   backslash goes and the next physical line is appended as written, leading blanks
//!   included. Only the last character counts. A backslash followed by spaces, or by the
//!   `\r` of a CRLF ending, is ordinary text, and ifupdown keeps it in the value.
//! - Trailing blanks of the joined line are dropped. Words are separated by runs of blanks,
//!   which are C's `isspace`: space, tab, `\r`, `\v`, `\f`.
//! - The first word picks the kind of line (see [`LineKind`]). `source-dir` is a prefix:
//!   ifupdown reads any word that starts with it as `source-directory`. Every other line is
//!   an option, valid only directly inside an `iface` or `mapping` stanza. Comments and blank
//!   lines do not end a stanza; any keyword line does.
//! - An option in an `iface` stanza needs a value, and a `mapping` stanza takes only `script`
//!   (once) and `map`, as in ifupdown.
//!
//! Stricter than ifupdown, which accepts these or only warns: a keyword line without its
//! names (`auto` alone), an `iface` line with a fourth word (ifupdown's `inherits` form, or a
//! word it ignores with a warning), a `rename` word that is not `CUR=NEW`, a line that starts
//! with blanks after joining (a first line of only a backslash), and a byte order mark or a
//! control character (ifupdown reads a BOM as text and stops reading a line at a NUL).
//! Refusing is safe; guessing what such a file means is not.

use std::borrow::Cow;
use std::ops::Range;

use nom::IResult;
use nom::bytes::complete::{take_till1, take_while};

use crate::error::{Diagnostics, Position};
use crate::source::SourceFile;

const BOM: char = '\u{feff}';

/// One word of a logical line, with where it starts in the file, so that a later check (an
/// unknown method, a bad address) can point at `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The word as ifupdown reads it: a word split by a continuation is joined.
    pub text: String,
    /// Where its first character is: the physical line it is on and the column there.
    pub pos: Position,
}

/// What a logical line says, as ifupdown classifies it by its first word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Nothing but blanks: kept for the print-back, meaningless to ifupdown.
    Blank,
    /// A line whose first non-blank character is `#`.
    Comment,
    /// `auto` (class "auto"), `allow-auto` (class "auto"), `allow-hotplug` (class "hotplug"),
    /// any `allow-X` (class "X"): the interfaces `ifup -a` or `ifup --allow=X` brings up.
    Allow {
        /// The class, `auto` for both spellings that ifupdown treats alike.
        class: String,
        /// The interface names, at least one.
        names: Vec<Word>,
    },
    /// `iface NAME FAMILY METHOD`: the header of an interface stanza.
    Iface {
        /// The logical interface name.
        name: Word,
        /// The address family (`inet`, `inet6`, ...); not checked here.
        family: Word,
        /// The method (`static`, `dhcp`, `manual`, ...); not checked here.
        method: Word,
    },
    /// `mapping PATTERN...`: the header of a mapping stanza.
    Mapping {
        /// The shell glob patterns, at least one.
        patterns: Vec<Word>,
    },
    /// `source PATH`: another file read in place of this line.
    Source {
        /// The rest of the line: one wordexp pattern, relative to this file's directory.
        path: Word,
    },
    /// `source-directory PATH` (or any word starting with `source-dir`).
    SourceDirectory {
        /// The rest of the line: one wordexp pattern naming directories.
        path: Word,
    },
    /// `no-auto-down NAME...`: interfaces `ifdown -a` leaves up.
    NoAutoDown {
        /// The interface names, at least one.
        names: Vec<Word>,
    },
    /// `no-scripts NAME...`: interfaces whose hook scripts do not run.
    NoScripts {
        /// The interface names, at least one.
        names: Vec<Word>,
    },
    /// `rename CUR=NEW...`.
    Rename {
        /// The `CUR=NEW` words as written, at least one.
        pairs: Vec<Word>,
    },
    /// `KEY [VALUE]` inside a stanza.
    Option {
        /// The key as written (see [`normal_key`] to compare keys as ifupdown's hooks do).
        key: Word,
        /// The rest of the line after the key and its blanks, if any: always present in an
        /// `iface` stanza, where ifupdown refuses an empty value.
        value: Option<Word>,
    },
}

/// One logical line: one or more physical lines joined by backslash continuations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Bytes of the source this logical line covers: every physical line it spans, each
    /// with its terminator ("\n" or "\r\n"; the last line of a file may have none).
    pub span: Range<usize>,
    /// 1-based number of its first physical line.
    pub number: u32,
    /// Leading whitespace of its first physical line (so a rewritten line can keep its
    /// indentation).
    pub indent: String,
    /// What the line says.
    pub kind: LineKind,
}

/// An `iface` or `mapping` stanza: indices into [`File::lines`], so an edit can replace or
/// extend exactly the lines that belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The `iface` or `mapping` line.
    pub header: usize,
    /// Its option lines, in order.
    pub options: Vec<usize>,
    /// One past the last line that belongs to it: its last option line, or the header when
    /// it has none; comments and blank lines after that belong to no stanza.
    pub end: usize,
}

/// A parsed interfaces file: every line, and the stanzas they form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Every logical line, in order; their spans cover the text exactly.
    pub lines: Vec<Line>,
    /// The `iface` and `mapping` stanzas, in order.
    pub stanzas: Vec<Stanza>,
}

impl File {
    /// The text back: the concatenation of every line's span, which is `text` itself for an
    /// unmodified parse. A span outside `text` (a `File` paired with the wrong text)
    /// contributes nothing.
    pub fn print(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in &self.lines {
            out.push_str(text.get(line.span.clone()).unwrap_or_default());
        }
        out
    }
}

/// The key ifupdown's hooks see: options reach them as `IF_<KEY>` variables, where `-` and
/// `_` are the same, so `bridge_ports` and `bridge-ports` are one option. Case is kept.
pub fn normal_key(key: &str) -> String {
    key.replace('_', "-")
}

/// Parses `text`; `file` names it in diagnostics. Every problem found is reported, each at
/// `file:line:col` with the source line, before the parse fails.
pub fn parse(file: &str, text: &str) -> Result<File, Diagnostics> {
    // One logical line per physical line is the common case; sizing the vector once saves
    // copying a large one as it grows.
    let physical_lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut reader = Reader {
        text,
        at: 0,
        number: 1,
        lines: Vec::with_capacity(physical_lines),
        stanzas: Vec::new(),
        open: Open::Nothing,
        problems: Vec::new(),
        pieces: Vec::new(),
        column: None,
    };
    while reader.at < text.len() {
        reader.logical_line();
    }
    if reader.problems.is_empty() {
        return Ok(File {
            lines: reader.lines,
            stanzas: reader.stanzas,
        });
    }
    Err(diagnose(file, text, reader.problems))
}

/// Turns problems at byte offsets into positioned diagnostics, in file order. The
/// [`SourceFile`] that positions them is built only here, so valid input never pays for it.
fn diagnose(file: &str, text: &str, mut problems: Vec<(usize, String)>) -> Diagnostics {
    problems.sort_by_key(|p| p.0);
    let source = SourceFile::new(file, text);
    Diagnostics(
        problems
            .into_iter()
            .map(|(at, message)| source.diagnostic_in_input(at, message))
            .collect(),
    )
}

/// C's `isspace`, which ifupdown splits and trims with.
fn blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

/// One physical line: its text without the `\n`, and whether a `\n` ends it. This is the
/// one scan over every byte of the file, so it uses `str::find` (memchr) rather than a
/// character-by-character combinator.
fn physical(input: &str) -> (&str, bool) {
    match input.find('\n') {
        Some(end) => (&input[..end], true),
        None => (input, false),
    }
}

/// The byte form of [`blank`]: every blank is ASCII, so splitting bytes at blanks always
/// splits the text at character boundaries, and bytes need no UTF-8 decoding.
fn blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

fn blanks(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(blank_byte)(input)
}

fn word(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_till1(blank_byte)(input)
}

/// The words of a logical line with their byte offsets in it, split as ifupdown's
/// `next_word` splits them.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = line.as_bytes();
    std::iter::from_fn(move || {
        let (after, _) = blanks(rest).ok()?;
        let (after, found) = word(after).ok()?;
        rest = after;
        let at = line.len() - after.len() - found.len();
        Some((at, line.get(at..at + found.len())?))
    })
}

/// The stanza that option lines currently belong to.
#[derive(Debug, Clone, Copy)]
enum Open {
    Nothing,
    Iface(usize),
    Mapping { stanza: usize, script: bool },
}

/// Where one physical line's contribution to the logical line starts, to turn an offset in
/// the joined text back into a place in the file.
#[derive(Debug, Clone, Copy, Default)]
struct Piece {
    /// Offset in the logical line.
    logical: usize,
    /// Offset in the file.
    src: usize,
    /// Where its physical line's text starts (after a leading BOM), for columns.
    line_start: usize,
    number: u32,
    /// Whether that line is ASCII, where a column is a byte difference.
    ascii: bool,
}

/// A physical line as read: where it starts and where its text does (later only after a
/// BOM), its text without the `\n` (a CRLF's `\r` included, as ifupdown sees it), and one
/// past its terminator.
struct Physical<'t> {
    start: usize,
    content_start: usize,
    content: &'t str,
    ascii: bool,
    newline: bool,
    end: usize,
    number: u32,
}

struct Reader<'t> {
    text: &'t str,
    /// Offset and number of the next physical line.
    at: usize,
    number: u32,
    lines: Vec<Line>,
    stanzas: Vec<Stanza>,
    open: Open,
    /// Byte offset and message of every problem found.
    problems: Vec<(usize, String)>,
    /// The current logical line's pieces, reused from line to line.
    pieces: Vec<Piece>,
    /// The last column counted on a line that is not ASCII: the line's start, the offset
    /// and its column.
    column: Option<(usize, usize, usize)>,
}

impl<'t> Reader<'t> {
    fn problem(&mut self, at: usize, message: impl Into<String>) {
        self.problems.push((at, message.into()));
    }

    fn next_physical(&mut self) -> Option<Physical<'t>> {
        let start = self.at;
        let rest = self.text.get(start..).filter(|r| !r.is_empty())?;
        let (content, newline) = physical(rest);
        let end = start + content.len() + usize::from(newline);
        let number = self.number;
        self.at = end;
        self.number = self.number.saturating_add(1);
        let (content_start, content) = match content.strip_prefix(BOM) {
            Some(after) if start == 0 => {
                self.problem(
                    0,
                    "unexpected byte order mark (U+FEFF); save the file without it",
                );
                (BOM.len_utf8(), after)
            }
            _ => (start, content),
        };
        let ascii = self.check_characters(content_start, content);
        Some(Physical {
            start,
            content_start,
            content,
            ascii,
            newline,
            end,
            number,
        })
    }

    /// Refuses characters a text file should not have: ifupdown would read them as part of
    /// a word (a BOM, an escape) or stop reading the line (a NUL). Says whether the line
    /// is plain ASCII, which it is unless a byte needed a closer look.
    fn check_characters(&mut self, start: usize, content: &str) -> bool {
        let suspect = |b: u8| (b < 0x20 && b != b'\t' && b != b'\r') || b >= 0x7f;
        // A fold rather than `any`, so that the common all-clear case is vectorised.
        if !content.bytes().fold(false, |found, b| found | suspect(b)) {
            return true;
        }
        for (i, c) in content.char_indices() {
            if c == BOM {
                let message = "unexpected byte order mark (U+FEFF) inside the file";
                self.problem(start + i, message);
            } else if c.is_control() && c != '\t' && c != '\r' {
                let message = format!("unexpected control character U+{:04X}", u32::from(c));
                self.problem(start + i, message);
            }
        }
        false
    }

    /// Reads one logical line, and what it means for the open stanza.
    fn logical_line(&mut self) {
        let Some(first) = self.next_physical() else {
            return;
        };
        // A CRLF line of blanks is indented by its blanks, not by its `\r`.
        let body = match first.content.strip_suffix('\r') {
            Some(body) if first.newline => body,
            _ => first.content,
        };
        let indent_len = body.len() - body.trim_start_matches(blank).len();
        let indent = first.content[..indent_len].to_owned();
        let stripped = &first.content[indent_len..];
        self.pieces.clear();
        self.pieces.push(Piece {
            logical: 0,
            src: first.content_start + indent_len,
            line_start: first.content_start,
            number: first.number,
            ascii: first.ascii,
        });
        if stripped.starts_with('#') {
            self.push(&first, first.end, indent, LineKind::Comment);
            return;
        }
        let mut end = first.end;
        let logical: Cow<'t, str> = if let Some(head) = stripped.strip_suffix('\\') {
            let mut joined = head.to_owned();
            while let Some(next) = self.next_physical() {
                self.pieces.push(Piece {
                    logical: joined.len(),
                    src: next.content_start,
                    line_start: next.content_start,
                    number: next.number,
                    ascii: next.ascii,
                });
                end = next.end;
                match next.content.strip_suffix('\\') {
                    Some(head) => joined.push_str(head),
                    None => {
                        joined.push_str(next.content);
                        break;
                    }
                }
            }
            let kept = joined.trim_end_matches(blank).len();
            joined.truncate(kept);
            Cow::Owned(joined)
        } else {
            Cow::Borrowed(stripped.trim_end_matches(blank))
        };
        let kind = self.classify(&logical);
        self.push(&first, end, indent, kind);
    }

    fn push(&mut self, first: &Physical<'_>, end: usize, indent: String, kind: LineKind) {
        self.lines.push(Line {
            span: first.start..end,
            number: first.number,
            indent,
            kind,
        });
    }

    /// The source offset of an offset in the current logical line.
    fn offset(&self, logical: usize) -> usize {
        let piece = self.piece(logical);
        piece.src + (logical - piece.logical)
    }

    /// The piece holding `logical`: pieces are in order, so a line continued over 10,000
    /// physical lines finds each word's by bisection, not by a scan.
    fn piece(&self, logical: usize) -> Piece {
        let after = self.pieces.partition_point(|p| p.logical <= logical);
        after
            .checked_sub(1)
            .and_then(|i| self.pieces.get(i))
            .copied()
            .unwrap_or_default()
    }

    fn word(&mut self, logical: usize, text: &str) -> Word {
        let piece = self.piece(logical);
        let at = piece.src + (logical - piece.logical);
        let col = if piece.ascii {
            at - piece.line_start + 1
        } else {
            // Words come in order: count on from the last one of the same line, so a long
            // line that is not ASCII is counted once, not once per word.
            let (from, col) = match self.column {
                Some((start, seen, col)) if start == piece.line_start && seen <= at => (seen, col),
                _ => (piece.line_start, 1),
            };
            let between = self.text.get(from..at).unwrap_or_default();
            let col = col + between.chars().count();
            self.column = Some((piece.line_start, at, col));
            col
        };
        Word {
            text: text.to_owned(),
            pos: Position {
                line: piece.number,
                col: u32::try_from(col).unwrap_or(u32::MAX),
            },
        }
    }

    /// The rest of the line from `next` on, as one word (a value or a path).
    fn rest(&mut self, line: &str, next: Option<(usize, &str)>) -> Option<Word> {
        next.map(|(at, _)| self.word(at, line.get(at..).unwrap_or_default()))
    }

    /// The remaining words of an `auto`-like line; an error at the keyword when there are
    /// none, and at each `rename` word that is not `CUR=NEW` (ifupdown would rename an
    /// interface to the empty name).
    fn names<'l>(
        &mut self,
        words: impl Iterator<Item = (usize, &'l str)>,
        keyword: &str,
        what: &str,
    ) -> Vec<Word> {
        let mut names = Vec::new();
        for (at, text) in words {
            let pair = text.split_once('=');
            if keyword == "rename" && !pair.is_some_and(|(c, n)| !c.is_empty() && !n.is_empty()) {
                let message = format!("expected CUR=NEW after 'rename', found '{text}'");
                self.problem(self.offset(at), message);
            }
            names.push(self.word(at, text));
        }
        if names.is_empty() {
            let message = format!("expected at least one {what} after '{keyword}'");
            self.problem(self.offset(0), message);
        }
        names
    }

    /// What a (non-comment) logical line says, checked against the stanza it is in.
    fn classify(&mut self, line: &str) -> LineKind {
        let mut all = words(line);
        let Some((at, keyword)) = all.next() else {
            return LineKind::Blank;
        };
        if at > 0 {
            let message = "a line starting with a lone backslash continues into blanks; expected \
                           a keyword or an option name first";
            // At the backslash, on the first physical line.
            let backslash = self.pieces.first().map_or(0, |p| p.src);
            self.problem(backslash, message);
            return LineKind::Blank;
        }
        let kind = match (keyword, keyword.strip_prefix("allow-")) {
            ("iface", _) => return self.iface(all),
            ("mapping", _) => {
                let patterns = self.names(all, keyword, "interface pattern");
                let stanza = self.open_stanza();
                self.open = Open::Mapping {
                    stanza,
                    script: false,
                };
                return LineKind::Mapping { patterns };
            }
            ("auto", _) => LineKind::Allow {
                class: "auto".to_owned(),
                names: self.names(all, keyword, "interface name"),
            },
            (_, Some(class)) if !class.is_empty() => LineKind::Allow {
                class: class.to_owned(),
                names: self.names(all, keyword, "interface name"),
            },
            ("source", _) => LineKind::Source {
                path: self.path(line, all, keyword),
            },
            _ if keyword.starts_with("source-dir") => LineKind::SourceDirectory {
                path: self.path(line, all, keyword),
            },
            ("no-auto-down", _) => LineKind::NoAutoDown {
                names: self.names(all, keyword, "interface name"),
            },
            ("no-scripts", _) => LineKind::NoScripts {
                names: self.names(all, keyword, "interface name"),
            },
            ("rename", _) => LineKind::Rename {
                pairs: self.names(all, keyword, "CUR=NEW pair"),
            },
            _ => return self.option(line, keyword, all),
        };
        self.open = Open::Nothing;
        kind
    }

    /// The path of a `source` line: the rest of it. A missing one is reported and read as
    /// empty (the parse fails anyway).
    fn path<'l>(
        &mut self,
        line: &'l str,
        mut words: impl Iterator<Item = (usize, &'l str)>,
        keyword: &str,
    ) -> Word {
        self.rest(line, words.next()).unwrap_or_else(|| {
            self.problem(self.offset(0), format!("expected a path after '{keyword}'"));
            self.word(0, "")
        })
    }

    /// Starts a stanza at the line being read; returns its index.
    fn open_stanza(&mut self) -> usize {
        let header = self.lines.len();
        self.stanzas.push(Stanza {
            header,
            options: Vec::new(),
            end: header + 1,
        });
        self.stanzas.len() - 1
    }

    fn iface<'l>(&mut self, mut words: impl Iterator<Item = (usize, &'l str)>) -> LineKind {
        // A broken header still opens its stanza, so its options are not reported too.
        self.open = Open::Iface(self.open_stanza());
        let found = (words.next(), words.next(), words.next(), words.next());
        let ((n, name), (f, family), (m, method)) = match found {
            (Some(name), Some(family), Some(method), None) => (name, family, method),
            (_, _, _, extra) => {
                let at = extra.map_or(0, |(at, _)| at);
                self.problem(self.offset(at), "expected 'iface NAME FAMILY METHOD'");
                return LineKind::Blank;
            }
        };
        LineKind::Iface {
            name: self.word(n, name),
            family: self.word(f, family),
            method: self.word(m, method),
        }
    }

    fn option<'l>(
        &mut self,
        line: &'l str,
        keyword: &str,
        mut words: impl Iterator<Item = (usize, &'l str)>,
    ) -> LineKind {
        let key = self.word(0, keyword);
        let value = self.rest(line, words.next());
        let index = self.lines.len();
        let problem = match self.open {
            Open::Nothing => Some(format!(
                "option '{keyword}' outside an iface or mapping stanza"
            )),
            Open::Iface(_) if value.is_none() => Some(format!("option '{keyword}' has no value")),
            Open::Mapping { script: true, .. } if keyword == "script" => {
                Some("a second 'script' in this mapping stanza; it runs one".to_owned())
            }
            Open::Mapping { stanza, .. } if keyword == "script" => {
                self.open = Open::Mapping {
                    stanza,
                    script: true,
                };
                None
            }
            Open::Mapping { .. } if keyword != "map" => Some(format!(
                "option '{keyword}' in a mapping stanza; expected 'script' or 'map'"
            )),
            Open::Iface(_) | Open::Mapping { .. } => None,
        };
        if let Some(message) = problem {
            self.problem(self.offset(0), message);
        }
        let stanza = match self.open {
            Open::Nothing => None,
            Open::Iface(stanza) | Open::Mapping { stanza, .. } => self.stanzas.get_mut(stanza),
        };
        if let Some(stanza) = stanza {
            stanza.options.push(index);
            stanza.end = index + 1;
        }
        LineKind::Option { key, value }
    }
}

#[cfg(test)]
mod tests;
