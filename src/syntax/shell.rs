//! Shell `KEY=value` files, as RHEL/Fedora ifcfg files are written. initscripts *source* them
//! with bash, so bash's reading is the only correct one. This reader accepts the part of the
//! language whose meaning bash settles without running anything: bare words, single and
//! double quotes, backslash escapes and their concatenations. Anything else in a value is
//! refused with a byte offset instead of guessed at. The reader is lossless: every input byte
//! belongs to one line, and printing the file gives the input back, so [`ShellFile::set`]
//! changes only the line it has to.
//!
//! Decisions where bash leaves room, or a real file needs a rule:
//! - **Comments after a value** follow bash: `#` starts a comment only after an unquoted
//!   blank (`A=1 # x`), so `A=a#b` is `a#b`. [`ShellFile::set`] keeps that comment.
//! - **`export KEY=value`** is an assignment (under `set -a` the export changes nothing) and
//!   keeps its `export ` when rewritten. `export KEY` alone, `declare`, `if …` and every other
//!   command are opaque "other" lines, kept verbatim and never interpreted. A line that ends in
//!   a backslash is joined to the next one, as bash does. Assignments inside other constructs
//!   (an `if` body) are still read, even though bash might skip them.
//! - **CR** is an ordinary character, as in bash: only `\n` ends a line, so `A=yes\r` on a
//!   CRLF line is `yes\r`, and a carriage return after a blank is a command. NetworkManager's
//!   ifcfg-rh reader takes an unquoted one for a blank instead and drops it, so
//!   [`ShellFile::bare_cr`] says where the first one is, for the ifcfg backend to refuse.
//!   [`ShellFile::set`] writes `\n` line endings only, whatever the file used.
//! - **Refused**, besides unterminated quotes: `$` and backticks (outside single quotes,
//!   unless escaped), the metacharacters `;&|<>()`, an unquoted blank followed by more text,
//!   an unquoted `~` where bash expands it (at the start of the value or after a `:`), and the
//!   `KEY+=` and `KEY[i]=` forms.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use nom::IResult;
use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_till, take_while, take_while1};
use nom::character::complete::{anychar, char, one_of, satisfy, space0, space1};
use nom::combinator::{all_consuming, eof, map, not, opt, peek, recognize, value, verify};
use nom::error::{ErrorKind, ParseError};
use nom::multi::{fold_many0, many0, many0_count};
use nom::sequence::{pair, preceded, terminated, tuple};

/// A parsed shell file. It keeps the original text of every line, so netloom can change one
/// variable in a user's file without reformatting what the user wrote.
#[derive(Debug, Clone, Default)]
pub struct ShellFile {
    lines: Vec<Line>,
    /// Each key's last assignment, for a file of more than [`INDEX_FROM`] lines: built with
    /// the lines and after each edit, so that looking up every key of a long file (an
    /// importer reads `IPADDR0` to `IPADDR999`) costs no scan per key. A short file, the
    /// common case, is scanned: cheaper than hashing, and bounded.
    index: Option<HashMap<Box<str>, Last>>,
}

/// Files of more lines than this get an index of their keys.
const INDEX_FROM: usize = 64;

/// Where a key's last assignment is, and how many lines assign it.
#[derive(Debug, Clone, Copy)]
struct Last {
    /// Its line.
    line: usize,
    /// The byte offset where that line starts.
    at: usize,
    count: usize,
}

/// Two files are equal when their lines are: the index follows from them.
impl PartialEq for ShellFile {
    fn eq(&self, other: &Self) -> bool {
        self.lines == other.lines
    }
}

impl Eq for ShellFile {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// Blank line, comment or other command: kept as written, never interpreted.
    Verbatim(String),
    Assign(Assignment),
}

/// One `KEY=value` line. The line is kept as written in one string (`head`, `raw`, `tail`
/// and `eol` back to back) with offsets into it: parsing 10,000 files allocates two strings
/// a line, not six.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Assignment {
    /// Offset in `text` of the first unquoted carriage return in the value, if any.
    bare_cr: Option<usize>,
    text: String,
    /// The key, inside the head (indentation, optional `export `, the key and `=`).
    key: Range<usize>,
    /// The value as written, quotes and escapes included; the head ends where it starts.
    raw: Range<usize>,
    /// End of the trailing blanks and comment; the line ending (`\n`, or nothing at the end
    /// of the file) follows.
    tail_end: usize,
    /// The value bash assigns.
    value: String,
}

impl Assignment {
    fn new(head: &str, key: &str, word: Word<'_>, tail: &str, eol: &str) -> Self {
        let Word {
            raw,
            value,
            bare_cr,
        } = word;
        let key_start = head.len() - 1 - key.len();
        let raw_start = head.len();
        let raw_end = raw_start + raw.len();
        let tail_end = raw_end + tail.len();
        let mut text = String::with_capacity(tail_end + eol.len());
        for part in [head, raw, tail, eol] {
            text.push_str(part);
        }
        Self {
            bare_cr: bare_cr.map(|at| raw_start + at),
            text,
            key: key_start..key_start + key.len(),
            raw: raw_start..raw_end,
            tail_end,
            value,
        }
    }

    fn key(&self) -> &str {
        &self.text[self.key.clone()]
    }

    fn raw(&self) -> &str {
        &self.text[self.raw.clone()]
    }

    fn tail(&self) -> &str {
        &self.text[self.raw.end..self.tail_end]
    }

    fn eol(&self) -> &str {
        &self.text[self.tail_end..]
    }

    /// Rewrites the value as written, keeping head, tail and line ending.
    fn set_raw(&mut self, raw: &str) {
        self.bare_cr = None;
        let old = self.raw.len();
        self.text.replace_range(self.raw.clone(), raw);
        self.raw.end = self.raw.start + raw.len();
        self.tail_end = self.tail_end + raw.len() - old;
    }

    fn set_eol(&mut self, eol: &str) {
        self.text.truncate(self.tail_end);
        self.text.push_str(eol);
    }
}

impl Line {
    /// The line as it stands in the file.
    fn text(&self) -> &str {
        match self {
            Line::Verbatim(s) => s,
            Line::Assign(a) => &a.text,
        }
    }

    fn key(&self) -> Option<&str> {
        match self {
            Line::Assign(a) => Some(a.key()),
            Line::Verbatim(_) => None,
        }
    }

    /// Ends a last line that has no line ending, keeping what bash reads from it.
    fn terminate(&mut self) {
        match self {
            Line::Verbatim(s) if !s.ends_with('\n') => s.push('\n'),
            Line::Assign(a) if a.eol().is_empty() => {
                // A bare value ending in `\` would continue onto the next line once a newline
                // follows, so it is quoted first.
                if a.tail().is_empty() && a.raw().ends_with('\\') {
                    let quoted = quote(&a.value);
                    a.set_raw(&quoted);
                }
                a.set_eol("\n");
            }
            _ => {}
        }
    }
}

impl ShellFile {
    /// Parses `text`, refusing only what bash would reject or what could run code or mean
    /// something we cannot decode faithfully; see the module documentation for the details.
    pub fn parse(text: &str) -> Result<ShellFile, ShellError> {
        match all_consuming(many0(line))(text) {
            Ok((_, lines)) => Ok(ShellFile::from_lines(lines)),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(ShellError {
                offset: text.len().saturating_sub(e.at.len()),
                message: e.message(),
            }),
            Err(nom::Err::Incomplete(_)) => Err(ShellError {
                offset: text.len(),
                message: "unexpected end of input".to_owned(),
            }),
        }
    }

    fn from_lines(lines: Vec<Line>) -> Self {
        let mut file = ShellFile { lines, index: None };
        file.reindex();
        file
    }

    /// Rebuilds [`ShellFile::index`] after the lines changed.
    fn reindex(&mut self) {
        if self.lines.len() <= INDEX_FROM {
            self.index = None;
            return;
        }
        let mut index: HashMap<Box<str>, Last> = HashMap::new();
        let mut at = 0;
        for (line, l) in self.lines.iter().enumerate() {
            if let Some(key) = l.key() {
                match index.get_mut(key) {
                    Some(last) => {
                        *last = Last {
                            line,
                            at,
                            count: last.count + 1,
                        }
                    }
                    None => {
                        index.insert(key.into(), Last { line, at, count: 1 });
                    }
                }
            }
            at += l.text().len();
        }
        self.index = Some(index);
    }

    /// Where the last assignment of `key` is: from the index, or by a scan of a short file.
    fn find(&self, key: &str) -> Option<Last> {
        if let Some(index) = &self.index {
            return index.get(key).copied();
        }
        let mut at = 0;
        let mut found = None;
        for (line, l) in self.lines.iter().enumerate() {
            if l.key() == Some(key) {
                let count = found.map_or(0, |f: Last| f.count) + 1;
                found = Some(Last { line, at, count });
            }
            at += l.text().len();
        }
        found
    }

    /// The value bash ends up with after sourcing the file: the last assignment wins.
    pub fn get(&self, key: &str) -> Option<&str> {
        let assignment = match &self.index {
            Some(index) => self.lines.get(index.get(key)?.line),
            // The hot path of reading 10,000 short files: from the end, stopping early.
            None => self.lines.iter().rev().find(|l| l.key() == Some(key)),
        };
        match assignment? {
            Line::Assign(a) => Some(a.value.as_str()),
            Line::Verbatim(_) => None,
        }
    }

    /// Byte offset of the value of the last assignment of `key` (where bash's reading of it
    /// begins), so a problem with the value can be reported at `file:line:col`.
    pub fn offset(&self, key: &str) -> Option<usize> {
        let last = self.find(key)?;
        match self.lines.get(last.line)? {
            Line::Assign(a) => Some(last.at + a.raw.start),
            Line::Verbatim(_) => None,
        }
    }

    /// How many lines assign `key`.
    pub fn count(&self, key: &str) -> usize {
        match &self.index {
            Some(index) => index.get(key).map_or(0, |last| last.count),
            None => self.lines.iter().filter(|l| l.key() == Some(key)).count(),
        }
    }

    /// Byte offset of the first carriage return that is part of a value without being
    /// quoted or escaped (`A=yes\r` on a CRLF line): bash keeps it in the value, while
    /// NetworkManager's ifcfg-rh reader takes it for a blank and drops it.
    pub fn bare_cr(&self) -> Option<usize> {
        let mut at = 0;
        for line in &self.lines {
            match line {
                Line::Verbatim(s) => at += s.len(),
                Line::Assign(a) => {
                    if let Some(cr) = a.bare_cr {
                        return Some(at + cr);
                    }
                    at += a.text.len();
                }
            }
        }
        None
    }

    /// Every assignment in file order, duplicates included, for callers that must see all
    /// of them (e.g. to warn about a key set twice).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().filter_map(|line| match line {
            Line::Assign(a) => Some((a.key(), a.value.as_str())),
            Line::Verbatim(_) => None,
        })
    }

    /// Makes bash read `value` for `key` while disturbing the file as little as possible:
    /// the last assignment is rewritten in place (its indentation, `export` and comment
    /// kept), or left byte for byte if it already holds `value`; earlier assignments of the
    /// key go, so the file says it once. A missing key is appended as `KEY=<quoted>` with
    /// a `\n` line ending (never `\r\n`, whatever the file's lines end with). An invalid key
    /// (see [`is_key`]) is ignored, since no line could hold it safely: check keys with
    /// [`is_key`] first. NUL bytes are dropped, as [`quote`] explains.
    pub fn set(&mut self, key: &str, value: &str) {
        self.set_all([(key, value)]);
    }

    /// [`ShellFile::set`] for many keys in one pass over the file, as if each were set in
    /// turn: setting 1,000 keys of a 1,000-line file costs two passes, not a thousand.
    /// Missing keys are appended in the order given.
    pub fn set_all<'k>(&mut self, pairs: impl IntoIterator<Item = (&'k str, &'k str)>) {
        // Each key once, where it was first given, with the value it was given last.
        let mut wanted: Vec<(&str, String)> = Vec::new();
        let mut position: HashMap<&str, usize> = HashMap::new();
        for (key, value) in pairs {
            if !is_key(key) {
                continue;
            }
            let value = value.replace('\0', "");
            match position.get(key) {
                Some(&i) => wanted[i].1 = value,
                None => {
                    position.insert(key, wanted.len());
                    wanted.push((key, value));
                }
            }
        }
        if wanted.is_empty() {
            return;
        }
        let mut appended = Vec::new();
        // The line of each key's last assignment, before any line moves.
        let mut kept: HashMap<&str, usize> = HashMap::new();
        let mut repeated = false;
        for (key, value) in wanted {
            let Some(found) = self.find(key) else {
                appended.push((key, value));
                continue;
            };
            repeated |= found.count > 1;
            kept.insert(key, found.line);
            let last = found.line;
            if let Some(Line::Assign(a)) = self.lines.get_mut(last)
                && a.value != value
            {
                a.set_raw(&quote(&value));
                a.value = value;
            }
        }
        // Earlier assignments of a key that is set go: the file says it once.
        let mut index = 0;
        self.lines.retain(|l| {
            if !repeated {
                return true;
            }
            let earlier = l
                .key()
                .and_then(|k| kept.get(k))
                .is_some_and(|&line| line != index);
            index += 1;
            !earlier
        });
        if !appended.is_empty()
            && let Some(line) = self.lines.last_mut()
        {
            line.terminate();
        }
        for (key, value) in appended {
            let raw = quote(&value);
            let head = format!("{key}=");
            let word = Word {
                raw: &raw,
                value,
                bare_cr: None,
            };
            self.lines
                .push(Line::Assign(Assignment::new(&head, key, word, "", "\n")));
        }
        self.reindex();
    }

    /// Deletes every assignment of `key`, whole lines included, so that bash no longer sees
    /// the variable from this file.
    pub fn remove(&mut self, key: &str) {
        self.remove_all([key]);
    }

    /// [`ShellFile::remove`] for many keys in one pass over the file.
    pub fn remove_all<'k>(&mut self, keys: impl IntoIterator<Item = &'k str>) {
        let gone: HashSet<&str> = keys.into_iter().collect();
        self.lines
            .retain(|l| !l.key().is_some_and(|k| gone.contains(k)));
        self.reindex();
    }
}

/// Prints the file exactly as parsed, plus the edits made since: this is what makes merging
/// into a user's file safe.
impl fmt::Display for ShellFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            match line {
                Line::Verbatim(text) => f.write_str(text)?,
                Line::Assign(a) => f.write_str(&a.text)?,
            }
        }
        Ok(())
    }
}

/// Why a file was refused and where, so the caller can point the user at `file:line:col`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    /// Byte offset into the parsed text of the offending character (the opening quote for
    /// an unterminated one).
    pub offset: usize,
    /// Lowercase description of what was found and what was expected instead.
    pub message: String,
}

/// Just the message: the caller adds the location in its own format.
impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// So callers can wrap it with `?` into `anyhow` or their own error types.
impl std::error::Error for ShellError {}

/// Quotes `value` so that `set -a; . FILE` in bash assigns exactly `value`. Plain values
/// stay bare, so files keep the look of hand-written ifcfg files; everything else is
/// single-quoted, the one quoting where bash interprets nothing but the closing quote.
///
/// Bash variables cannot hold NUL bytes, so callers must not pass them; any that slip
/// through are dropped (the closest value bash can hold) rather than written.
pub fn quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:,+=@%-".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_owned();
    }
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        match c {
            '\'' => quoted.push_str("'\\''"),
            '\0' => {}
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// Whether `key` can be assigned with `KEY=value`; anything else would be read by bash as a
/// command, so callers check keys before [`ShellFile::set`].
pub fn is_key(key: &str) -> bool {
    all_consuming(name)(key).is_ok()
}

// ---- grammar ----

/// The parse error: where (`at` is the rest of the input) and a message for the user.
/// nom builds one of these every time an alternative does not match, so a plain nom error
/// keeps only its kind and the message is written once, when the error is reported.
#[derive(Debug)]
struct Fail<'a> {
    at: &'a str,
    message: Cow<'static, str>,
    /// Set for nom's own errors, whose message is `unexpected input (KIND)`.
    kind: Option<ErrorKind>,
}

impl Fail<'_> {
    fn message(self) -> String {
        match self.kind {
            Some(kind) => format!("unexpected input ({})", kind.description()),
            None => self.message.into_owned(),
        }
    }
}

impl<'a> ParseError<&'a str> for Fail<'a> {
    fn from_error_kind(at: &'a str, kind: ErrorKind) -> Self {
        Fail {
            at,
            message: Cow::Borrowed(""),
            kind: Some(kind),
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<&'a str, T, Fail<'a>>;

fn fail<'a, T>(at: &'a str, message: impl Into<Cow<'static, str>>) -> Res<'a, T> {
    let message = message.into();
    Err(nom::Err::Failure(Fail {
        at,
        message,
        kind: None,
    }))
}

/// Runs `parser`, turning a recoverable error into a failure at `at`: once a quote has
/// opened, a missing close is an error in the file, not a cue to try another reading.
fn must<'a, O>(
    at: &'a str,
    message: &'static str,
    mut parser: impl FnMut(&'a str) -> Res<'a, O>,
) -> impl FnMut(&'a str) -> Res<'a, O> {
    move |input| match parser(input) {
        Err(nom::Err::Error(_)) => fail(at, message),
        other => other,
    }
}

fn line(input: &str) -> Res<'_, Line> {
    let verbatim = map(alt((comment, other)), |s: &str| {
        Line::Verbatim(s.to_owned())
    });
    preceded(not(eof), alt((assignment, verbatim)))(input)
}

fn comment(input: &str) -> Res<'_, &str> {
    recognize(tuple((
        space0,
        char('#'),
        take_till(|c| c == '\n'),
        opt(char('\n')),
    )))(input)
}

/// Any other command (or a blank line), with its backslash-newline continuations.
fn other(input: &str) -> Res<'_, &str> {
    let continued = verify(physical_line, |l: &str| {
        let trailing = l.strip_suffix('\n').unwrap_or("");
        trailing.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
    });
    recognize(pair(many0_count(continued), physical_line))(input)
}

fn physical_line(input: &str) -> Res<'_, &str> {
    recognize(pair(take_till(|c| c == '\n'), opt(char('\n'))))(input)
}

/// Text up to the line ending.
fn line_text(input: &str) -> Res<'_, &str> {
    take_till(|c| c == '\n')(input)
}

/// Only `\n` ends a line, as in bash: a CRLF's `\r` is part of the line.
fn end_of_line(input: &str) -> Res<'_, &str> {
    alt((tag("\n"), eof))(input)
}

fn name(input: &str) -> Res<'_, &str> {
    let first = satisfy(|c| c.is_ascii_alphabetic() || c == '_');
    recognize(pair(
        first,
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))(input)
}

fn assignee(input: &str) -> Res<'_, &str> {
    preceded(pair(space0, opt(pair(tag("export"), space1))), name)(input)
}

/// `[i]=` or `[i]+=` after a name: an array assignment.
fn subscript(input: &str) -> Res<'_, &str> {
    let index = take_till(|c| c == ']' || c == '\n');
    recognize(tuple((
        char('['),
        index,
        char(']'),
        opt(char('+')),
        char('='),
    )))(input)
}

fn equals(input: &str) -> Res<'_, char> {
    char('=')(input)
}

fn assignment(input: &str) -> Res<'_, Line> {
    let (rest, key) = assignee(input)?;
    if rest.starts_with("+=") {
        let message = "append assignment '+=' is not supported; expected '='";
        return fail(rest, message);
    }
    if subscript(rest).is_ok() {
        let message = "array assignment is not supported; expected '=' after the name";
        return fail(rest, message);
    }
    let (rest, _) = equals(rest)?;
    let head = &input[..input.len() - rest.len()];
    let (rest, word) = word(rest)?;
    let (rest, tail) = recognize(opt(pair(space1, opt(pair(char('#'), line_text)))))(rest)?;
    let Ok((rest, eol)) = end_of_line(rest) else {
        return stray(rest, !tail.is_empty());
    };
    let line = Line::Assign(Assignment::new(head, key, word, tail, eol));
    Ok((rest, line))
}

/// The error for what stopped a value before the end of its line.
fn stray<T>(at: &str, after_blank: bool) -> Res<'_, T> {
    let message: Cow<'static, str> = match at.chars().next() {
        Some('\r') if after_blank => "carriage return after a blank would run as a command in \
                                      bash (CRLF line endings?); expected the line to end, or a \
                                      '#' comment"
            .into(),
        _ if after_blank => "unquoted blank in value followed by more text; expected the value \
                             in quotes, or a '#' comment"
            .into(),
        Some('$') => {
            "unquoted '$' in value would expand in bash; expected '\\$' or single quotes".into()
        }
        Some('`') => {
            "unquoted '`' in value would run a command in bash; expected single quotes".into()
        }
        Some(c) => {
            format!("unquoted '{c}' in value is a shell metacharacter; expected quotes").into()
        }
        None => "unexpected end of input".into(),
    };
    fail(at, message)
}

/// One piece of a value; a value is their concatenation.
#[derive(Clone)]
enum Piece<'a> {
    /// Unquoted text, where bash may expand a `~`.
    Bare(&'a str),
    /// A backslash-newline, which bash deletes before reading the line.
    Joined,
    /// Quoted or escaped text, taken literally.
    Text(Cow<'a, str>),
    /// An unquoted carriage return: bash keeps it like any other character.
    Cr,
}

/// A whole value as written, what bash assigns, and where its first unquoted carriage
/// return is.
struct Word<'a> {
    raw: &'a str,
    value: String,
    bare_cr: Option<usize>,
}

/// A whole value: its text as written and what bash assigns.
fn word(input: &str) -> Res<'_, Word<'_>> {
    let mut decoded = String::new();
    let mut bare_cr = None;
    let mut rest = input;
    // Bash expands an unquoted `~` at the start of the value and right after an unquoted `:`.
    let mut tilde_expands = true;
    loop {
        let (next, part) = match piece(rest) {
            Err(nom::Err::Error(_)) => break,
            other => other?,
        };
        match part {
            Piece::Bare(text) => {
                let tilde = match text.find(":~") {
                    _ if tilde_expands && text.starts_with('~') => Some(0),
                    colon => colon.map(|i| i + 1),
                };
                if let Some(i) = tilde {
                    let message = "unquoted '~' here would expand to a home directory in bash; \
                                   expected it quoted";
                    return fail(&rest[i..], message);
                }
                tilde_expands = text.ends_with(':');
                decoded.push_str(text);
            }
            Piece::Joined => {}
            Piece::Text(text) => {
                tilde_expands = false;
                decoded.push_str(&text);
            }
            Piece::Cr => {
                tilde_expands = false;
                bare_cr.get_or_insert(input.len() - rest.len());
                decoded.push('\r');
            }
        }
        rest = next;
    }
    let raw = &input[..input.len() - rest.len()];
    let word = Word {
        raw,
        value: decoded,
        bare_cr,
    };
    Ok((rest, word))
}

fn piece(input: &str) -> Res<'_, Piece<'_>> {
    let bare = |c: char| !" \t\n\r'\"\\$`;&|<>()".contains(c);
    alt((
        map(take_while1(bare), Piece::Bare),
        single_quoted,
        double_quoted,
        escaped,
        value(Piece::Cr, char('\r')),
    ))(input)
}

/// `\x` is `x`; a backslash-newline disappears; a backslash ending the file is itself.
fn escaped(input: &str) -> Res<'_, Piece<'_>> {
    let after = alt((
        value(Piece::Joined, char('\n')),
        map(recognize(anychar), |c: &str| Piece::Text(c.into())),
        map(eof, |_| Piece::Text("\\".into())),
    ));
    preceded(char('\\'), after)(input)
}

fn single_quoted(input: &str) -> Res<'_, Piece<'_>> {
    let message = "unterminated single-quoted value; expected a closing \"'\"";
    let body = must(
        input,
        message,
        terminated(take_till(|c| c == '\''), char('\'')),
    );
    map(preceded(char('\''), body), |s: &str| Piece::Text(s.into()))(input)
}

fn double_quoted(input: &str) -> Res<'_, Piece<'_>> {
    let message = "unterminated double-quoted value; expected a closing '\"'";
    let text = fold_many0(double_quoted_piece, String::new, |mut text, piece| {
        text.push_str(piece);
        text
    });
    let body = must(input, message, terminated(text, close_double_quote));
    map(preceded(char('"'), body), |s| Piece::Text(s.into()))(input)
}

/// Inside double quotes, a backslash escapes only `"`, `\`, `$`, `` ` `` and newline; before
/// any other character it stays.
fn double_quoted_piece(input: &str) -> Res<'_, &str> {
    let special = alt((recognize(one_of("\"\\$`")), value("", char('\n'))));
    alt((
        is_not("\"\\$`"),
        preceded(char('\\'), special),
        terminated(tag("\\"), peek(anychar)),
    ))(input)
}

fn close_double_quote(input: &str) -> Res<'_, char> {
    let message = match input.chars().next() {
        Some('$') => "unescaped '$' inside double quotes would expand in bash; expected '\\$'",
        Some('`') => "unescaped '`' inside double quotes would run a command; expected '\\`'",
        _ => return char('"')(input),
    };
    fail(input, message)
}

#[cfg(test)]
mod tests;
