//! INI files as GLib's `GKeyFile` reads them: NetworkManager's keyfiles
//! (`*.nmconnection`). The reader is lossless like the others here: every byte belongs to
//! one [`Line`], and [`Ini::print`] gives the input back.
//!
//! The rules follow `GKeyFile`, which is what NetworkManager's keyfile plugin reads with:
//! - One line is one item. Blank lines and lines whose first non-blank character is `#`
//!   are comments. `;` is treated as a comment too: `GKeyFile` would read `;x=1` as a key
//!   named `;x`, which no setting has, so NetworkManager ignores it either way.
//! - `[NAME]` starts a section (a group); blanks may surround it. Nothing may follow the
//!   `]`, and a name may not hold `[` or `]`.
//! - `KEY=VALUE`: blanks around the key and before the value are dropped; the value runs to
//!   the end of the line and is kept as written, with its escapes. [`unescape`] decodes a
//!   string value and [`split_list`] a list.
//! - Line endings: `GKeyFile` drops the `\r` of a CRLF ending (one `\r` right before the
//!   `\n`) and keeps any other, checked with glib 2.74's `g_key_file_load_from_file`. So a
//!   CRLF keyfile reads as its LF twin, and a `\r` anywhere else is refused below as the
//!   control character it is.
//! - A key before the first section, a line that is none of these, a control character
//!   other than tab, and a byte order mark are refused: `GKeyFile` fails to load such a
//!   file, so NetworkManager would drop the whole profile.
//!
//! Problems are collected for the whole file and reported at `file:line:col`.

use std::borrow::Cow;
use std::ops::Range;

use nom::IResult;
use nom::bytes::complete::{take_till, take_till1, take_while};
use nom::character::complete::{char, one_of};
use nom::combinator::{eof, rest};
use nom::sequence::{delimited, pair, terminated};

use crate::error::Diagnostics;
use crate::source::SourceFile;

/// What one line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// Nothing but blanks.
    Blank,
    /// A `#` or `;` comment.
    Comment,
    /// `[NAME]`: the byte range of the name.
    Section(Range<usize>),
    /// `KEY=VALUE`: the byte ranges of the key and of the raw value.
    Entry {
        /// The key, without surrounding blanks.
        key: Range<usize>,
        /// The value as written (escapes kept), without leading blanks.
        value: Range<usize>,
    },
}

/// One physical line: its bytes, terminator included, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The bytes of the line in the file, with its `\n` when it has one.
    pub span: Range<usize>,
    /// Its meaning.
    pub kind: LineKind,
}

/// A parsed file: every line, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ini {
    /// The lines; their spans cover the text exactly.
    pub lines: Vec<Line>,
}

/// One key of a section, borrowing the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'t> {
    /// The key.
    pub key: &'t str,
    /// The raw value, escapes included.
    pub value: &'t str,
    /// Byte offsets of the key and of the value in the file, for positioned problems.
    pub key_at: usize,
    /// See `key_at`.
    pub value_at: usize,
}

/// A section header or an entry, as [`Ini::items`] walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'t> {
    /// `[NAME]`, with the byte offset of the name.
    Section {
        /// The name between the brackets.
        name: &'t str,
        /// Its byte offset.
        at: usize,
    },
    /// `KEY=VALUE` in the last section named.
    Entry(Entry<'t>),
}

/// A section and its keys, in file order. A section named twice is two [`Section`]s here;
/// `GKeyFile` merges them, later keys winning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'t> {
    /// The name between the brackets.
    pub name: &'t str,
    /// Byte offset of the name.
    pub name_at: usize,
    /// The keys, in file order.
    pub entries: Vec<Entry<'t>>,
}

impl Ini {
    /// The text back: the concatenation of every line's span.
    pub fn print(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for line in &self.lines {
            out.push_str(text.get(line.span.clone()).unwrap_or_default());
        }
        out
    }

    /// Every section header and entry in file order, borrowing `text` (the text this was
    /// parsed from), without collecting them: what a reader of many files walks.
    pub fn items<'a, 't>(&'a self, text: &'t str) -> impl Iterator<Item = Item<'t>> + 'a
    where
        't: 'a,
    {
        self.lines.iter().filter_map(move |line| match &line.kind {
            LineKind::Section(name) => Some(Item::Section {
                name: text.get(name.clone()).unwrap_or_default(),
                at: name.start,
            }),
            LineKind::Entry { key, value } => Some(Item::Entry(Entry {
                key: text.get(key.clone()).unwrap_or_default(),
                value: text.get(value.clone()).unwrap_or_default(),
                key_at: key.start,
                value_at: value.start,
            })),
            LineKind::Blank | LineKind::Comment => None,
        })
    }

    /// The sections with their entries, borrowing `text` (the text this was parsed from).
    pub fn sections<'t>(&self, text: &'t str) -> Vec<Section<'t>> {
        let mut out: Vec<Section<'t>> = Vec::new();
        for line in &self.lines {
            match &line.kind {
                LineKind::Section(name) => out.push(Section {
                    name: text.get(name.clone()).unwrap_or_default(),
                    name_at: name.start,
                    entries: Vec::new(),
                }),
                LineKind::Entry { key, value } => {
                    // The parser refuses an entry before the first section.
                    if let Some(section) = out.last_mut() {
                        section.entries.push(Entry {
                            key: text.get(key.clone()).unwrap_or_default(),
                            value: text.get(value.clone()).unwrap_or_default(),
                            key_at: key.start,
                            value_at: value.start,
                        });
                    }
                }
                LineKind::Blank | LineKind::Comment => {}
            }
        }
        out
    }
}

const BOM: char = '\u{feff}';

/// `GKeyFile`'s blanks: space and tab.
fn blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn blanks(input: &str) -> IResult<&str, &str> {
    take_while(blank)(input)
}

/// `[NAME]` followed by nothing but blanks.
fn section(input: &str) -> IResult<&str, &str> {
    terminated(
        delimited(char('['), take_till1(|c| c == '[' || c == ']'), char(']')),
        pair(blanks, eof),
    )(input)
}

/// `KEY=VALUE`: the key with its trailing blanks, and the raw value.
fn entry(input: &str) -> IResult<&str, (&str, &str)> {
    let (input, key) = terminated(take_till(|c| c == '='), char('='))(input)?;
    let (input, _) = blanks(input)?;
    let (input, value) = rest(input)?;
    Ok((input, (key, value)))
}

fn comment(input: &str) -> IResult<&str, char> {
    one_of("#;")(input)
}

/// Parses `text`; `file` names it in problems. Every problem is reported, each at
/// `file:line:col`.
pub fn parse(file: &str, text: &str) -> Result<Ini, Diagnostics> {
    let mut lines = Vec::with_capacity(text.len() / 16 + 1);
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut at = 0;
    let mut in_section = false;
    while at < text.len() {
        let rest_of_file = &text[at..];
        // `GKeyFile` drops one `\r` before a `\n`, and keeps one at the end of the file
        // (where it is then refused as a control character).
        let (body, next) = match rest_of_file.find('\n') {
            Some(end) => {
                let body = &rest_of_file[..end];
                (body.strip_suffix('\r').unwrap_or(body), at + end + 1)
            }
            None => (rest_of_file, text.len()),
        };
        // A leading byte order mark is reported once; the line after it is read as usual.
        let (start, body) = match body.strip_prefix(BOM) {
            Some(after) if at == 0 => {
                let message = "unexpected byte order mark (U+FEFF); save the file without it";
                problems.push((0, message.to_owned()));
                (BOM.len_utf8(), after)
            }
            _ => (at, body),
        };
        check_characters(start, body, &mut problems);
        let kind = classify(start, body, &mut in_section, &mut problems);
        lines.push(Line {
            span: at..next,
            kind,
        });
        at = next;
    }
    if problems.is_empty() {
        return Ok(Ini { lines });
    }
    problems.sort_by_key(|p| p.0);
    let source = SourceFile::new(file, text);
    Err(Diagnostics(
        problems
            .into_iter()
            .map(|(at, message)| source.diagnostic_in_input(at, message))
            .collect(),
    ))
}

/// What the line starting at byte `start` with text `body` (no line ending) says.
fn classify(
    start: usize,
    body: &str,
    in_section: &mut bool,
    problems: &mut Vec<(usize, String)>,
) -> LineKind {
    let offset = |s: &str| start + (s.as_ptr() as usize - body.as_ptr() as usize);
    let line = body.trim_start_matches(blank);
    if line.is_empty() {
        return LineKind::Blank;
    }
    if comment(line).is_ok() {
        return LineKind::Comment;
    }
    if line.starts_with('[') {
        return match section(line) {
            Ok((_, name)) => {
                *in_section = true;
                let at = offset(name);
                LineKind::Section(at..at + name.len())
            }
            Err(_) => {
                let (at, what) = section_problem(line);
                problems.push((offset(line) + at, what.to_owned()));
                LineKind::Comment
            }
        };
    }
    match entry(line) {
        Ok((_, (key, value))) => {
            let key = key.trim_end_matches(blank);
            if key.is_empty() {
                problems.push((offset(line), "expected a key before '='".to_owned()));
            } else if !*in_section {
                let message = "expected a '[section]' line before the first key";
                problems.push((offset(line), message.to_owned()));
            }
            let (k, v) = (offset(key), offset(value));
            LineKind::Entry {
                key: k..k + key.len(),
                value: v..v + value.len(),
            }
        }
        Err(_) => {
            let message = "expected '[section]', 'key=value', a comment or a blank line";
            problems.push((offset(line), message.to_owned()));
            LineKind::Comment
        }
    }
}

/// Where a line starting with `[` goes wrong, and what was expected there.
fn section_problem(line: &str) -> (usize, &'static str) {
    let name_len = line[1..].find(['[', ']']).unwrap_or(line.len() - 1);
    let after = 1 + name_len;
    match line[after..].chars().next() {
        None => (after, "expected ']' to close the section name"),
        Some('[') => (after, "expected ']': a section name cannot hold '['"),
        Some(_) if name_len == 0 => (1, "expected a section name"),
        Some(_) => (after + 1, "expected the end of the line after ']'"),
    }
}

/// Refuses what `GKeyFile` cannot hold in a line: control characters other than tab (the
/// `\r` of a CRLF ending is already gone) and a byte order mark.
fn check_characters(start: usize, body: &str, problems: &mut Vec<(usize, String)>) {
    let suspect = |b: u8| (b < 0x20 && b != b'\t') || b >= 0x7f;
    if !body.bytes().fold(false, |found, b| found | suspect(b)) {
        return;
    }
    for (i, c) in body.char_indices() {
        if c == BOM {
            let message = "unexpected byte order mark (U+FEFF) inside the file";
            problems.push((start + i, message.to_owned()));
        } else if c.is_control() && c != '\t' {
            let message = format!("unexpected control character U+{:04X}", u32::from(c));
            problems.push((start + i, message));
        }
    }
}

/// A string value as `GKeyFile` decodes it: `\s` is a space, `\n`, `\t`, `\r` and `\\` as
/// in C. Any other escape is an error `GKeyFile` refuses the value for; the `Err` gives its
/// byte offset in `raw` and a message.
pub fn unescape(raw: &str) -> Result<Cow<'_, str>, (usize, String)> {
    unescape_with(raw, None)
}

fn unescape_with(raw: &str, separator: Option<char>) -> Result<Cow<'_, str>, (usize, String)> {
    if !raw.contains('\\') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().map(|(_, e)| e) {
            Some('s') => out.push(' '),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(e) if Some(e) == separator => out.push(e),
            Some(e) => return Err((i, format!("invalid escape sequence '\\{e}'"))),
            None => return Err((i, "a value cannot end with an escape character".into())),
        }
    }
    Ok(Cow::Owned(out))
}

/// A string as `GKeyFile` writes it (`g_key_file_set_string`): a leading space as `\s`,
/// line breaks, tabs and backslashes escaped. With `separator`, that character is escaped
/// too, as in an element of a list.
pub fn escape(value: &str, separator: Option<char>) -> Cow<'_, str> {
    let special =
        |c: char| matches!(c, '\n' | '\t' | '\r' | '\\') || Some(c) == separator || c == ' ';
    if !value.contains(special) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 4);
    for (i, c) in value.char_indices() {
        match c {
            ' ' if i == 0 => out.push_str("\\s"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if Some(c) == separator => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A list value (`a;b;c;`, `GKeyFile`'s string list with `separator` `;`): each element
/// decoded, with its byte offset in `raw`. A trailing separator ends the list rather than
/// adding an empty element.
pub fn split_list(raw: &str, separator: char) -> Result<Vec<(usize, String)>, (usize, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == separator {
            let piece = unescape_with(&raw[start..i], Some(separator))
                .map_err(|(at, m)| (start + at, m))?;
            out.push((start, piece.into_owned()));
            start = i + c.len_utf8();
        }
    }
    if start < raw.len() {
        let piece =
            unescape_with(&raw[start..], Some(separator)).map_err(|(at, m)| (start + at, m))?;
        out.push((start, piece.into_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
