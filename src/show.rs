//! How text from any input is shown to a person: one rule for errors, notes, tables and
//! headers alike.
//!
//! A value read from a file, a file name, a command-line argument or a daemon's answer may hold
//! a carriage return, an escape sequence or a bidirectional override, each of which lets it
//! rewrite what the terminal shows (a fake `ok`, a hidden line, reversed text). Such
//! characters are written escaped, the way Rust writes them: `\r`, `\n`, `\t`, and
//! `\u{1b}` for the rest. Everything else passes as it is, so clean text costs one scan and no
//! copy.
//!
//! A backslash is not escaped: it cannot move the cursor, and leaving it makes the rule
//! idempotent, so a message that holds an already shown message (an error inside a note)
//! looks the same however many times it went through here.
//!
//! Where a rule applies is the printing point, not the place a message is built: netloom's
//! own layout (the lines of a [`crate::Diagnostic`], one row of a table) is made of pieces
//! that are each shown here, and a message netloom builds never holds a line break of its
//! own, so escaping a whole message only ever escapes what came from a value.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::path::Path;

/// Whether `c` must not reach a terminal as itself: a control character (C0, which includes
/// CR, LF, TAB and ESC; DEL; C1), a bidirectional mark, embedding, override or isolate, or a
/// Unicode line or paragraph separator (a line break to some terminals and viewers).
pub fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Whether `s` can be shown as it is: [`must_escape`] decided on the bytes, with no early
/// exit, so the compiler makes vector code of it. Printable ASCII, what nearly every value
/// is, takes one comparison a byte; other text is looked at three bytes at a time, which
/// is enough to recognise every character that must be escaped (a `&str` is valid UTF-8).
fn is_clean(s: &str) -> bool {
    let bytes = s.as_bytes();
    let printable = bytes
        .iter()
        .fold(true, |all, &b| all & (b.wrapping_sub(0x20) < 0x5f));
    if printable {
        return true;
    }
    let next = bytes.get(1..).unwrap_or_default();
    let third = bytes.get(2..).unwrap_or_default();
    let body = bytes
        .iter()
        .zip(next)
        .zip(third)
        .fold(false, |any, ((&a, &b), &c)| any | starts_escape(a, b, c));
    let n = bytes.len();
    let tail = (n >= 2 && starts_escape(bytes[n - 2], bytes[n - 1], 0))
        || (n >= 1 && starts_escape(bytes[n - 1], 0, 0));
    !(body || tail)
}

/// Whether the UTF-8 bytes `a b c` start a character [`must_escape`] holds: a C0 control or
/// DEL (one byte), C1 (`c2 80`..`c2 9f`), U+061C (`d8 9c`), U+200E and U+200F
/// (`e2 80 8e`, `e2 80 8f`), U+2028..U+202E (`e2 80 a8`..`e2 80 ae`) or U+2066..U+2069
/// (`e2 81 a6`..`e2 81 a9`). Bitwise operators, not `&&`, so it stays branch-free.
#[inline(always)]
fn starts_escape(a: u8, b: u8, c: u8) -> bool {
    (a < 0x20)
        | (a == 0x7f)
        | ((a == 0xc2) & (b < 0xa0))
        | ((a == 0xd8) & (b == 0x9c))
        | ((a == 0xe2) & (b == 0x80) & ((c == 0x8e) | (c == 0x8f) | (c.wrapping_sub(0xa8) < 7)))
        | ((a == 0xe2) & (b == 0x81) & (c.wrapping_sub(0xa6) < 4))
}

/// Whether anything in `s` must be escaped before it is shown.
pub fn needs_escape(s: &str) -> bool {
    !is_clean(s)
}

/// `s` as it may be shown: borrowed when nothing in it needs escaping.
pub fn text(s: &str) -> Cow<'_, str> {
    if is_clean(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    // Writing into a String cannot fail.
    let _ = Escaping(&mut out).write_str(s);
    Cow::Owned(out)
}

/// A path as it may be shown: bytes that are not UTF-8 as U+FFFD (as `Path::display`), then
/// [`text`].
pub fn path(p: &Path) -> Cow<'_, str> {
    match p.to_string_lossy() {
        Cow::Borrowed(s) => text(s),
        Cow::Owned(s) => match text(&s) {
            Cow::Borrowed(_) => Cow::Owned(s),
            Cow::Owned(shown) => Cow::Owned(shown),
        },
    }
}

/// Displays what `T` displays, escaped by the rule as it is written: for format strings
/// (`format!("network '{}'", Shown(name))`) and for `Display` impls, without an
/// intermediate `String`. Width and alignment flags are not applied: pad the [`text`] of a
/// value instead.
#[derive(Debug, Clone, Copy)]
pub struct Shown<T>(pub T);

impl<T: fmt::Display> fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{}", self.0)
    }
}

/// A writer that escapes what goes through it.
struct Escaping<'a, W: fmt::Write + ?Sized>(&'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if is_clean(s) {
            return self.0.write_str(s);
        }
        let mut rest = s;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| must_escape(c)) {
            self.0.write_str(&rest[..at])?;
            match c {
                '\t' => self.0.write_str("\\t")?,
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                c => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

/// A value as quoted in a message: at most 40 characters, so a pasted blob does not drown
/// the message, with control and invisible characters escaped (`\u{200b}`), so the
/// message shows what is really there.
pub(crate) fn shorten(value: &str) -> String {
    let mut out = String::new();
    for (n, c) in value.chars().enumerate() {
        if n == 40 {
            out.push('…');
            break;
        }
        if c.is_control() || (!c.is_ascii() && !c.is_alphanumeric()) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        for s in [
            "",
            "eth0",
            "ifcfg-br0: ok",
            "réseau ünïcode 网络",
            "a\\rb",
            "x – y",
        ] {
            assert!(matches!(text(s), Cow::Borrowed(b) if b == s), "{s:?}");
        }
    }

    #[test]
    fn the_byte_check_misses_no_character() {
        // Every character alone (the last bytes are checked apart) and followed by more.
        let mut s = String::new();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            for after in ["", "xy"] {
                s.clear();
                s.push(c);
                s.push_str(after);
                assert_eq!(is_clean(&s), !must_escape(c), "U+{:04X}", u32::from(c));
            }
        }
    }

    #[test]
    fn text_that_only_looks_suspect_is_clean() {
        // Lead bytes 0xc2, 0xd8 and 0xe2 that start ordinary characters.
        for s in ["°C", "¼", "ذ", "a – b", "“quoted”", "€100", "\u{2030}"] {
            assert!(matches!(text(s), Cow::Borrowed(_)), "{s:?}");
        }
        let long = format!("{}\u{202e}", "a".repeat(200));
        assert_eq!(text(&long), format!("{}\\u{{202e}}", "a".repeat(200)));
        assert_eq!(text("a\u{7f}"), "a\\u{7f}");
        assert_eq!(text("~é\u{7e}"), "~é~");
    }

    #[test]
    fn control_characters_are_escaped_rust_style() {
        assert_eq!(text("a\rb"), "a\\rb");
        assert_eq!(text("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(text("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(text("\0\u{7f}\u{85}\u{9b}"), "\\u{0}\\u{7f}\\u{85}\\u{9b}");
    }

    #[test]
    fn bidirectional_controls_and_separators_are_escaped() {
        let all = [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
        ];
        for c in all {
            let shown = text(&format!("a{c}b")).into_owned();
            assert_eq!(shown, format!("a\\u{{{:x}}}b", u32::from(c)));
        }
        // Neighbours of the ranges are ordinary text.
        for c in [
            '\u{061b}', '\u{200d}', '\u{2027}', '\u{202f}', '\u{2065}', '\u{206a}',
        ] {
            let s = c.to_string();
            assert!(matches!(text(&s), Cow::Borrowed(_)), "{c:?}");
        }
    }

    #[test]
    fn nothing_shown_holds_a_character_that_must_be_escaped() {
        // Every C0, DEL and C1 character, and every character of the ranges, in one value.
        let mut all: String = (0u32..0x20)
            .chain(0x7f..0xa0)
            .filter_map(char::from_u32)
            .collect();
        all.push_str("\u{061c}\u{200e}\u{200f}\u{202a}\u{202e}\u{2066}\u{2069}ok");
        let shown = text(&all);
        assert!(!shown.chars().any(must_escape), "{shown}");
        assert!(shown.ends_with("ok"));
    }

    #[test]
    fn showing_twice_changes_nothing() {
        let once = text("x\r\u{1b}y\\n").into_owned();
        assert!(matches!(text(&once), Cow::Borrowed(_)));
        assert_eq!(Shown(&once).to_string(), once);
    }

    #[test]
    fn shown_escapes_whatever_is_displayed() {
        let name = "br\r0";
        assert_eq!(
            format!("network '{}' stopped", Shown(name)),
            "network 'br\\r0' stopped"
        );
        assert_eq!(Shown(format_args!("{}-{}", 'a', '\n')).to_string(), "a-\\n");
    }

    #[test]
    fn paths_are_shown_lossy_then_escaped() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(OsStr::from_bytes(b"dir/\x1b[2Jx\xff.xml"));
        assert_eq!(path(p), "dir/\\u{1b}[2Jx\u{fffd}.xml");
        assert!(matches!(
            path(Path::new("a/b.xml")),
            Cow::Borrowed("a/b.xml")
        ));
    }
}
