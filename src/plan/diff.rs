//! A plan as text: a unified diff per file, and the same as JSON for machines.
//!
//! The diff is git's extended format (`diff --git`, mode lines, `/dev/null` for an absent
//! side) so that a user can keep it, review it and apply it by hand with `git apply` or
//! `patch -p1` run in the target root. Each file's block is built in one reusable buffer and
//! handed to the writer whole: a plan over thousands of files costs a few thousand writes,
//! not one per line.

use std::io::{self, Write};

use serde::Serialize;
use similar::{ChangeTag, DiffOp, TextDiff};

use super::{Action, Change, FileState, Plan};

/// Lines of unchanged context around each change, as `diff -u` and git use.
const CONTEXT: usize = 3;

/// git's default colours (`color.diff.*`): bold headers, cyan hunk headers, red and green
/// lines, and the short reset git writes at the end of every coloured line.
const META: &[u8] = b"\x1b[1m";
const FRAG: &[u8] = b"\x1b[36m";
const OLD: &[u8] = b"\x1b[31m";
const NEW: &[u8] = b"\x1b[32m";
const RESET: &[u8] = b"\x1b[m";

/// GNU diff's marker for a last line without its newline, which `patch` and `git apply`
/// need to reproduce the file exactly.
const NO_NEWLINE: &[u8] = b"\\ No newline at end of file\n";

/// How a diff is written: for a person, or as a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Look {
    /// git's default colours.
    pub color: bool,
    /// A line of a file shown as a person is shown text ([`crate::show`]): a carriage
    /// return or escape sequence in a file must not act on the terminal. Implied by colour.
    pub escape: bool,
}

/// Writes the plan as unified diffs, one per changed file, in plan order (sorted by path).
///
/// The output applies with `git apply` or `patch -p1` in the target root and turns the
/// current files into the planned ones. With `look.color`, lines carry git's default
/// colours; with neither colour nor `look.escape` the output holds the files' bytes exactly
/// and no escape bytes of its own, so it can be saved as a patch.
///
/// Two things no text patch can carry, and the tools refuse: binary contents (shown as
/// "Binary files ... differ", as `git diff` does without `--binary`), and, for `git apply`
/// only, a change of permissions alone that keeps the executable bit (0644 to 0600): git
/// records nothing but 100644 and 100755, and since 2.42 calls such a block "only garbage".
/// GNU patch applies those exactly, so they are written as git would write them.
pub fn write_diff(plan: &Plan, out: &mut dyn Write, look: Look) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    for change in &plan.changes {
        buf.clear();
        write_change(change, &mut buf, look)?;
        out.write_all(&buf)?;
    }
    Ok(())
}

/// One change in `--format json`; field order is the key order in the output.
#[derive(Serialize)]
struct JsonChange<'a> {
    path: &'a str,
    action: &'static str,
    old_mode: Option<String>,
    new_mode: Option<String>,
    binary: bool,
    diff: String,
}

/// The whole plan in `--format json`; field order is the key order in the output.
#[derive(Serialize)]
struct JsonPlan<'a> {
    /// The version of the shape, as every `--format json` document carries (docs/json.md).
    version: u32,
    root: &'a str,
    backend: &'a str,
    changed: bool,
    changes: Vec<JsonChange<'a>>,
}

/// Writes the plan as one compact JSON object and a newline, for scripts and tools that
/// should not parse diffs: the target `root`, the backend, whether anything changes, and per
/// file its path, action, modes (4-digit octal strings, `null` for an absent side), whether
/// it is binary, and the uncoloured diff block exactly as [`write_diff`] writes it.
pub fn write_json(plan: &Plan, root: &str, out: &mut dyn Write) -> io::Result<()> {
    let changes = json_changes(plan)?;
    let doc = JsonPlan {
        version: 1,
        root,
        backend: plan.backend,
        changed: !plan.changes.is_empty(),
        changes,
    };
    serde_json::to_writer(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Each change of the plan as `--format json` shows it.
fn json_changes(plan: &Plan) -> io::Result<Vec<JsonChange<'_>>> {
    let mut changes = Vec::with_capacity(plan.changes.len());
    let mut buf = Vec::new();
    for change in &plan.changes {
        buf.clear();
        let binary = write_change(change, &mut buf, Look::default())?;
        changes.push(JsonChange {
            path: &change.path,
            action: change.action().as_str(),
            old_mode: change.old.as_ref().map(|s| json_mode(s.mode)),
            new_mode: change.new.as_ref().map(|s| json_mode(s.mode)),
            binary,
            // Contents are only written when they are UTF-8 and the path is a String, so
            // this is lossless; lossy only to avoid a panic path.
            diff: String::from_utf8_lossy(&buf).into_owned(),
        });
    }
    Ok(changes)
}

/// Each change of the plan as the object `--format json` shows it in `changes`, for a
/// document that lists several plans' changes (`diff --fleet`, which adds the host).
pub fn change_values(plan: &Plan) -> io::Result<Vec<serde_json::Value>> {
    json_changes(plan)?
        .iter()
        .map(|c| serde_json::to_value(c).map_err(io::Error::from))
        .collect()
}

/// A mode as JSON shows it: `0644`, `4755`.
fn json_mode(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// A mode as git writes it in headers: `100644`. git itself only records 100644 and 100755;
/// any other permission bits are written as they are, which `patch` honours and `git apply`
/// reduces to "executable or not". Set-id and sticky bits make it `104755`, one digit more.
fn git_mode(mode: u32) -> String {
    if mode & 0o7000 != 0 {
        format!("10{:04o}", mode & 0o7777)
    } else {
        format!("100{:03o}", mode & 0o777)
    }
}

/// The contents as text, or `None` when they must be shown as "Binary files ... differ"
/// instead: not UTF-8, or holding a NUL byte (git's own test for binary).
fn text(bytes: &[u8]) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// Appends one header line (`diff --git`, modes, `index`, `---`, `+++`), bold with colour.
fn meta(buf: &mut Vec<u8>, color: bool, text: &[u8]) {
    if color {
        buf.extend_from_slice(META);
        buf.extend_from_slice(text);
        buf.extend_from_slice(RESET);
    } else {
        buf.extend_from_slice(text);
    }
    buf.push(b'\n');
}

/// Writes the block of one change into `buf`; returns whether it was shown as binary.
fn write_change(change: &Change, buf: &mut Vec<u8>, look: Look) -> io::Result<bool> {
    let color = look.color;
    let a = quote("a/", &change.path);
    let b = quote("b/", &change.path);
    meta(buf, color, format!("diff --git {a} {b}").as_bytes());

    let empty = FileState {
        bytes: Vec::new(),
        mode: 0,
    };
    let (old, new) = match change.action() {
        Action::Create => {
            let new = change.new.as_ref().unwrap_or(&empty);
            meta(
                buf,
                color,
                format!("new file mode {}", git_mode(new.mode)).as_bytes(),
            );
            (&empty, new)
        }
        Action::Delete => {
            let old = change.old.as_ref().unwrap_or(&empty);
            meta(
                buf,
                color,
                format!("deleted file mode {}", git_mode(old.mode)).as_bytes(),
            );
            (old, &empty)
        }
        Action::Modify => {
            let old = change.old.as_ref().unwrap_or(&empty);
            let new = change.new.as_ref().unwrap_or(&empty);
            if old.mode != new.mode {
                meta(
                    buf,
                    color,
                    format!("old mode {}", git_mode(old.mode)).as_bytes(),
                );
                meta(
                    buf,
                    color,
                    format!("new mode {}", git_mode(new.mode)).as_bytes(),
                );
            }
            (old, new)
        }
    };
    if old.bytes == new.bytes {
        // A mode change, or an empty file created or deleted: the header says it all. For
        // the empty file git adds the hashes of the empty blob and of nothing, and GNU patch
        // needs them: without them it takes deleting an empty file for a reversed patch.
        match change.action() {
            Action::Create => meta(buf, color, b"index 0000000..e69de29"),
            Action::Delete => meta(buf, color, b"index e69de29..0000000"),
            Action::Modify => {}
        }
        return Ok(false);
    }
    let dev_null = "/dev/null";
    let a = if change.old.is_some() { &a } else { dev_null };
    let b = if change.new.is_some() { &b } else { dev_null };
    let (Some(old_text), Some(new_text)) = (text(&old.bytes), text(&new.bytes)) else {
        writeln!(buf, "Binary files {a} and {b} differ")?;
        return Ok(true);
    };

    // GNU patch ends a file name at whitespace unless a tab follows it; git adds one.
    let tab = if change.path.contains(' ') { "\t" } else { "" };
    meta(buf, color, format!("--- {a}{tab}").as_bytes());
    meta(buf, color, format!("+++ {b}{tab}").as_bytes());
    hunks(buf, old_text, new_text, look)?;
    Ok(false)
}

/// Appends the hunks of a line diff from `old` to `new`, with [`CONTEXT`] lines around.
fn hunks(buf: &mut Vec<u8>, old: &str, new: &str, look: Look) -> io::Result<()> {
    let color = look.color;
    let diff = TextDiff::from_lines(old, new);
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        if color {
            buf.extend_from_slice(FRAG);
        }
        buf.extend_from_slice(b"@@ -");
        range(buf, first.old_range().start, last.old_range().end)?;
        buf.extend_from_slice(b" +");
        range(buf, first.new_range().start, last.new_range().end)?;
        buf.extend_from_slice(b" @@");
        if color {
            buf.extend_from_slice(RESET);
        }
        buf.push(b'\n');
        for op in &group {
            lines(buf, &diff, op, look);
        }
    }
    Ok(())
}

/// Appends the lines of one diff operation, each with its sign and, for a last line
/// without a newline, GNU's marker after it.
fn lines(buf: &mut Vec<u8>, diff: &TextDiff<'_, '_, str>, op: &DiffOp, look: Look) {
    let (color, escape) = (look.color, look.color || look.escape);
    for change in diff.iter_changes(op) {
        let (sign, paint) = match change.tag() {
            ChangeTag::Equal => (b' ', None),
            ChangeTag::Delete => (b'-', Some(OLD)),
            ChangeTag::Insert => (b'+', Some(NEW)),
        };
        let value = change.value().as_bytes();
        let (text, complete) = match value.strip_suffix(b"\n") {
            Some(text) => (text, true),
            None => (value, false),
        };
        match paint.filter(|_| color) {
            // Colour, or a terminal, means a person reads it, never `patch`: a carriage
            // return or escape sequence in a file must not act on the terminal.
            None if escape => {
                buf.push(sign);
                shown(buf, text);
            }
            Some(c) => {
                buf.extend_from_slice(c);
                buf.push(sign);
                shown(buf, text);
                buf.extend_from_slice(RESET);
            }
            None => {
                buf.push(sign);
                buf.extend_from_slice(text);
            }
        }
        buf.push(b'\n');
        if !complete {
            buf.extend_from_slice(NO_NEWLINE);
        }
    }
}

/// Appends a line of a file as a person is shown it ([`crate::show`]), tabs kept: the
/// indentation of a configuration file is not a hazard.
fn shown(buf: &mut Vec<u8>, line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    for (i, piece) in text.split('\t').enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        buf.extend_from_slice(crate::show::text(piece).as_bytes());
    }
}

/// Appends a hunk range as GNU diff does: `start,len`, just `start` for one line, and for
/// an empty range the line before it (`0,0` at the top of a file).
fn range(buf: &mut Vec<u8>, start: usize, end: usize) -> io::Result<()> {
    match end.saturating_sub(start) {
        0 => write!(buf, "{start},0"),
        1 => write!(buf, "{}", start + 1),
        len => write!(buf, "{},{len}", start + 1),
    }
}

/// `prefix` and `path` as git writes a name: as they are, or in double quotes with C
/// escapes when the path holds a quote, a backslash, a control or a non-ASCII byte (git's
/// `core.quotePath` default), which both `git apply` and GNU patch read back.
fn quote(prefix: &str, path: &str) -> String {
    let needs = |c: u8| c < 0x20 || c == 0x7f || c >= 0x80 || c == b'"' || c == b'\\';
    if !path.bytes().any(needs) {
        let mut s = String::with_capacity(prefix.len() + path.len());
        s.push_str(prefix);
        s.push_str(path);
        return s;
    }
    let mut s = String::with_capacity(prefix.len() + path.len() * 2 + 2);
    s.push('"');
    s.push_str(prefix);
    for c in path.bytes() {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\x07' => s.push_str("\\a"),
            b'\x08' => s.push_str("\\b"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\x0b' => s.push_str("\\v"),
            b'\x0c' => s.push_str("\\f"),
            b'\r' => s.push_str("\\r"),
            c if needs(c) => s.push_str(&format!("\\{c:03o}")),
            c => s.push(char::from(c)),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests;
