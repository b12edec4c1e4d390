//! How dnsmasq 2.90 reads one line of a conf file (and of a `dhcp-hostsfile`, which goes
//! through the same reader), so that user text lands in it as exactly one value.
//!
//! What `read_file` in dnsmasq's `option.c` does to a line, checked against the real
//! `dnsmasq --test` and against the answers of a running dnsmasq:
//! * `"` opens a quoted part that runs to the next unescaped `"`; an unbalanced quote is
//!   "missing \"" and dnsmasq refuses to start. Inside quotes `\"`, `\\`, `\t`, `\n`, `\e`,
//!   `\b`, `\r` are escapes (any other backslash stays as it is), and space, `,`, `:`, `.`
//!   are hidden from the option parsers, so `txt-record=t,"a,b"` is one string `a,b`.
//!   Quotes may start anywhere in a value and are removed.
//! * Outside quotes a `#` after white space (or at the start of the line) starts a comment:
//!   `txt-record=t,a #b` serves `a`. A `#` glued to the text before it is literal.
//! * Leading and trailing white space is dropped, and so is white space around each comma
//!   the option splits on. A backslash outside quotes is literal; there is no line
//!   continuation.
//! * Bytes above 0x7f are classified by the C library in dnsmasq's locale (it calls
//!   `setlocale`), so in a single-byte locale one could count as white space. Inside quotes
//!   no byte is classified, so quoting makes such text locale-proof.
//!
//! libvirt writes every value verbatim. Where that reads back as the value itself (every
//! conformance case) netloom writes it verbatim too, so the output stays byte-identical to
//! libvirt's; only a value dnsmasq would misread is quoted.

use std::borrow::Cow;

/// White space as C's `isspace` has it in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The prefixes dnsmasq 2.90's option parsers take as something other than text at the
/// start of a field (checked with `dnsmasq --test` and in `option.c`):
/// * `dhcp-boot` (and every option that reads tags with `dhcp_tags`) strips leading `tag:`
///   and `net:` fields as tags (`tag:!x` included), so `dhcp-boot=net:pxe.img` is a tag and
///   no file, which `--test` rejects;
/// * `dhcp-host` (so every hostsfile line) reads `set:` and `net:` as a tag to set, `tag:` as
///   a tag to match and `id:` (any case) as a client id.
///
/// The checks are case-blind, though only `id:` is in dnsmasq: quoting a value that did
/// not need it still reads back as the value, so erring that way costs nothing.
const TAG_PREFIXES: [&str; 4] = ["tag:", "set:", "net:", "id:"];

/// Whether `value` starts with one of [`TAG_PREFIXES`].
fn has_tag_prefix(value: &str) -> bool {
    TAG_PREFIXES.iter().any(|p| {
        value
            .get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })
}

/// Whether dnsmasq would read `value`, written after `option=` or after a comma, as
/// anything but itself: a quote, a comma, a comment, white space at either end, a prefix
/// dnsmasq takes as a tag or client id ([`TAG_PREFIXES`]; inside quotes the `:` is hidden
/// from the option parser, so the quoted value is plain text again), or a byte whose class
/// depends on the locale.
pub fn needs_quotes(value: &str) -> bool {
    let b = value.as_bytes();
    if b.first().copied().is_some_and(is_space) || b.last().copied().is_some_and(is_space) {
        return true;
    }
    if has_tag_prefix(value) {
        return true;
    }
    b.iter().enumerate().any(|(i, &c)| {
        matches!(c, b'"' | b',') || !c.is_ascii() || (c == b'#' && i > 0 && is_space(b[i - 1]))
    })
}

/// `value` as it must be written for dnsmasq to read exactly `value` back: unchanged when
/// that already holds (as libvirt writes it), else in double quotes with `\` and `"`
/// escaped. Only for values dnsmasq copies as a string (TXT data, paths, file names): inside
/// quotes `.` and `:` are hidden too, so an address must never go through here.
pub fn value(value: &str) -> Cow<'_, str> {
    if !needs_quotes(value) {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Cow::Owned(out)
}

/// Whether dnsmasq would stop at `line` with "missing \"": the same scan as its reader,
/// comments included (a quote after a comment does not count), and with the newline the
/// reader sees at the end of every line.
pub fn unbalanced_quote(line: &str) -> bool {
    let mut b = line.as_bytes().to_vec();
    b.push(b'\n');
    let mut white = true;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            // dnsmasq removes the opening quote and scans to the closing one, taking a
            // backslash and the escape letter after it as one character.
            i += 1;
            loop {
                match b.get(i) {
                    None => return true,
                    Some(b'"') => break,
                    Some(b'\\') if b.get(i + 1).is_some_and(|n| b"\"tnebr\\".contains(n)) => i += 2,
                    Some(_) => i += 1,
                }
            }
            // The closing quote is removed and the character after it is classified in the
            // same step, then skipped: a quote right after a quoted part is literal.
            i += 1;
        }
        match b.get(i) {
            Some(&c) if is_space(c) => white = true,
            Some(b'#') if white => return false,
            Some(_) => white = false,
            None => break,
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_stay_as_libvirt_writes_them() {
        for v in [
            "example value",
            "pxeboot.img",
            "/var/lib/tftproot",
            "a#b",
            "x\\y",
            "",
        ] {
            assert!(!needs_quotes(v), "{v:?}");
            assert_eq!(value(v), v);
        }
    }

    #[test]
    fn values_dnsmasq_would_misread_are_quoted_and_escaped() {
        assert_eq!(value("a,b"), "\"a,b\"");
        assert_eq!(value("a #b"), "\"a #b\"");
        assert_eq!(value(" lead"), "\" lead\"");
        assert_eq!(value("trail "), "\"trail \"");
        assert_eq!(value("x\"y\\z"), "\"x\\\"y\\\\z\"");
        assert_eq!(value("tag:x"), "\"tag:x\"");
        assert_eq!(value("set:x"), "\"set:x\"");
        assert_eq!(value("net:pxe.img"), "\"net:pxe.img\"");
        assert_eq!(value("tag:!x"), "\"tag:!x\"");
        assert_eq!(value("id:x"), "\"id:x\"");
        assert_eq!(value("ID:x"), "\"ID:x\"");
        assert_eq!(value("NET:x"), "\"NET:x\"");
        // A prefix only counts at the start, and a name merely beginning like one is text.
        assert_eq!(value("boot/net:x"), "boot/net:x");
        assert_eq!(value("netboot.img"), "netboot.img");
        assert_eq!(value("id"), "id");
        assert_eq!(value("caf\u{e9}"), "\"caf\u{e9}\"");
    }

    #[test]
    fn quote_balance_follows_dnsmasq() {
        for ok in [
            "foo=bar",
            "txt-record=a,\"b c\"",
            "x=\"a\\\"b\"",
            "x=1 # a \" in a comment",
            "# \"",
            "x=\"a\"\"b",
        ] {
            assert!(!unbalanced_quote(ok), "{ok:?}");
        }
        for bad in [
            "x=\"",
            "x=\"abc\\\"",
            "x=a\"b",
            "x=\"a\"\"b\"",
            "x=a#\"b",
            "x=a\\\"",
        ] {
            assert!(unbalanced_quote(bad), "{bad:?}");
        }
    }
}
