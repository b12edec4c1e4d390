//! What a document may hold before it is parsed, checked in one linear pass.
//!
//! roxmltree checks each attribute of an element against every earlier one (duplicates) and
//! each namespace declaration against those already in scope, so its cost grows with the
//! square of the attributes on one element and of the namespaces in scope: 80,000
//! attributes on one element, under 1 MB, took 14 s. Its recursion-free tree is cheap, but
//! netloom's own walks over `<metadata>` recurse, so a document nested a million deep would
//! overflow the stack. This pass counts those three things with a stack of open elements and
//! refuses a document that goes past a limit, positioned at the first attribute or element
//! beyond it, before roxmltree sees it; what it lets through costs roxmltree and netloom at
//! most a constant per byte.
//!
//! The limits sit far above anything libvirt writes (at most about 25 attributes on an
//! element, a few namespaces, fewer than 20 levels). The pass does not judge the rest of
//! the syntax: where the text is not well-formed it stops, and the parser says what is
//! wrong.
//!
//! The same pass reads the prolog: a second byte-order mark, and an XML declaration that
//! names an encoding other than UTF-8 (netloom reads UTF-8 only, so the declaration would
//! be false), are problems reported like any other, and reading goes on.

use crate::show::shorten;

/// The most attributes (namespace declarations included) one element may have.
pub(crate) const MAX_ATTRIBUTES: usize = 256;

/// The deepest an element may be nested (the root element is at depth 1).
pub(crate) const MAX_DEPTH: usize = 256;

/// The most namespace declarations an element and its ancestors may make together.
pub(crate) const MAX_NAMESPACES_IN_SCOPE: usize = 16;

/// The most namespace declarations in one document.
pub(crate) const MAX_NAMESPACES: usize = 4096;

/// A problem found before parsing: where it is (a byte offset) and what it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub offset: usize,
    pub message: String,
}

impl Problem {
    fn at(offset: usize, message: String) -> Self {
        Self { offset, message }
    }
}

/// The problems of the prolog: a second byte-order mark (the first was dropped when the
/// file was read) and a declared encoding other than UTF-8.
pub(crate) fn prolog(text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    if text.starts_with('\u{feff}') {
        out.push(Problem::at(
            0,
            "a second byte-order mark; a file may begin with one at most".to_owned(),
        ));
    }
    let decl = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((at, value)) = declared_encoding(decl)
        && !value.eq_ignore_ascii_case("UTF-8")
    {
        let offset = at + (text.len() - decl.len());
        out.push(Problem::at(
            offset,
            format!(
                "the XML declaration says encoding '{}', but netloom reads UTF-8 only; \
                 convert the file to UTF-8 and declare encoding='UTF-8' (or no encoding)",
                shorten(value)
            ),
        ));
    }
    out
}

/// The `encoding` of an XML declaration at the start of `text`, with the byte offset of
/// its value; `None` without one (or with a declaration too malformed to read, which the
/// parser reports).
fn declared_encoding(text: &str) -> Option<(usize, &str)> {
    let mut s = Cursor {
        text,
        pos: "<?xml".len(),
    };
    if !text.starts_with("<?xml") || !s.at_space() {
        return None;
    }
    loop {
        s.skip_space();
        if s.rest().starts_with("?>") {
            return None;
        }
        let name = s.name(b"=?")?;
        let (at, value) = s.value()?;
        if name == "encoding" {
            return Some((at, value));
        }
    }
}

/// Refuses a document beyond one of the limits, at the first place it goes beyond.
pub(crate) fn limits(text: &str) -> Result<(), Problem> {
    let mut scan = Scan {
        s: Cursor { text, pos: 0 },
        open: Vec::new(),
        declared: 0,
    };
    scan.run()
}

/// Whether the pass goes on or leaves the rest to the parser.
enum Step {
    Go,
    /// The text is not well-formed here (or holds a DTD, which the parser refuses).
    Stop,
}

struct Scan<'t> {
    s: Cursor<'t>,
    /// For each open element, the namespace declarations it and its ancestors make.
    open: Vec<usize>,
    /// Namespace declarations so far.
    declared: usize,
}

impl Scan<'_> {
    fn run(&mut self) -> Result<(), Problem> {
        while let Some(lt) = self.s.rest().find('<') {
            self.s.pos += lt;
            let rest = self.s.rest();
            let step = if rest.starts_with("<!--") {
                self.s.skip_past("-->")
            } else if rest.starts_with("<![CDATA[") {
                self.s.skip_past("]]>")
            } else if rest.starts_with("<!") {
                Step::Stop
            } else if rest.starts_with("<?") {
                self.s.skip_past("?>")
            } else if rest.starts_with("</") {
                self.open.pop();
                self.s.skip_past(">")
            } else {
                self.start_tag()?
            };
            if let Step::Stop = step {
                break;
            }
        }
        Ok(())
    }

    /// A start tag at the cursor (on its `<`): its depth, attributes and declarations.
    fn start_tag(&mut self) -> Result<Step, Problem> {
        let at = self.s.pos;
        self.s.pos += 1;
        let Some(name) = self.s.name(b"/") else {
            return Ok(Step::Stop);
        };
        if self.open.len() >= MAX_DEPTH {
            return Err(Problem::at(
                at,
                format!(
                    "<{}> is nested deeper than {MAX_DEPTH} levels; netloom reads documents \
                     at most {MAX_DEPTH} levels deep (libvirt's have fewer than 20)",
                    shorten(name)
                ),
            ));
        }
        let inherited = self.open.last().copied().unwrap_or(0);
        let mut attributes = 0;
        let mut own = 0;
        loop {
            self.s.skip_space();
            let rest = self.s.rest();
            if rest.starts_with('>') {
                self.s.pos += 1;
                self.open.push(inherited + own);
                return Ok(Step::Go);
            }
            if rest.starts_with("/>") {
                self.s.pos += 2;
                return Ok(Step::Go);
            }
            let attr_at = self.s.pos;
            let Some(attr) = self.s.name(b"=/") else {
                return Ok(Step::Stop);
            };
            attributes += 1;
            if attributes > MAX_ATTRIBUTES {
                return Err(Problem::at(
                    attr_at,
                    format!(
                        "<{}> has more than {MAX_ATTRIBUTES} attributes; netloom reads at most \
                         {MAX_ATTRIBUTES} on one element (libvirt writes fewer than 30)",
                        shorten(name)
                    ),
                ));
            }
            if attr == "xmlns" || attr.starts_with("xmlns:") {
                own += 1;
                self.declared += 1;
                self.namespace_limits(name, attr, attr_at, inherited + own)?;
            }
            if self.s.value().is_none() {
                return Ok(Step::Stop);
            }
        }
    }

    /// Refuses the declaration `attr` at `at` on `<name>` when it makes `in_scope`
    /// declarations on the element and its ancestors, or too many in the document.
    fn namespace_limits(
        &self,
        name: &str,
        attr: &str,
        at: usize,
        in_scope: usize,
    ) -> Result<(), Problem> {
        if in_scope > MAX_NAMESPACES_IN_SCOPE {
            return Err(Problem::at(
                at,
                format!(
                    "'{}' on <{}> makes more than {MAX_NAMESPACES_IN_SCOPE} namespace declarations \
                     on one element and its ancestors; netloom reads at most \
                     {MAX_NAMESPACES_IN_SCOPE} (libvirt's documents use a few)",
                    shorten(attr),
                    shorten(name)
                ),
            ));
        }
        if self.declared > MAX_NAMESPACES {
            return Err(Problem::at(
                at,
                format!(
                    "'{}' is namespace declaration number {}; netloom reads at most \
                     {MAX_NAMESPACES} in one document",
                    shorten(attr),
                    self.declared
                ),
            ));
        }
        Ok(())
    }
}

/// A position in a text, moved by the scanners above. Every stop it makes is at an ASCII
/// byte, so slicing there is always on a character boundary.
struct Cursor<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn rest(&self) -> &'t str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn at_space(&self) -> bool {
        self.rest().starts_with(is_space)
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(is_space).len();
    }

    /// Moves past the next `end`; `Stop` when there is none.
    fn skip_past(&mut self, end: &str) -> Step {
        match self.rest().find(end) {
            Some(i) => {
                self.pos += i + end.len();
                Step::Go
            }
            None => Step::Stop,
        }
    }

    /// A name: everything up to white space, `>` or one of `stops`; `None` when empty.
    fn name(&mut self, stops: &[u8]) -> Option<&'t str> {
        let rest = self.rest();
        let len = rest
            .bytes()
            .position(|b| is_space_byte(b) || b == b'>' || stops.contains(&b))
            .unwrap_or(rest.len());
        self.pos += len;
        (len > 0).then(|| &rest[..len])
    }

    /// `= 'value'` (or double-quoted) after a name: the byte offset of the value and the
    /// value; `None` when the text is not that.
    fn value(&mut self) -> Option<(usize, &'t str)> {
        self.skip_space();
        self.pos += self.rest().strip_prefix('=').map(|_| 1)?;
        self.skip_space();
        let rest = self.rest();
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let len = rest[1..].find(quote)?;
        let at = self.pos + 1;
        self.pos = at + len + 1;
        Some((at, &rest[1..=len]))
    }
}

/// XML's white space.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(n: usize) -> String {
        (0..n).map(|i| format!(" a{i}='x'")).collect()
    }

    #[test]
    fn an_element_may_have_as_many_attributes_as_the_limit() {
        let ok = format!("<a{}/>", attrs(MAX_ATTRIBUTES));
        assert_eq!(limits(&ok), Ok(()));
        let over = format!("<r>\n<a{}/></r>", attrs(MAX_ATTRIBUTES + 1));
        let p = limits(&over).unwrap_err();
        let last = format!(" a{MAX_ATTRIBUTES}=");
        assert_eq!(p.offset, over.find(&last).unwrap() + 1);
        assert!(
            p.message.starts_with("<a> has more than 256 attributes"),
            "{}",
            p.message
        );
    }

    #[test]
    fn markup_inside_values_comments_and_cdata_is_not_counted() {
        let many = attrs(MAX_ATTRIBUTES + 1);
        let text = format!(
            "<?xml version='1.0'?>\n<!-- <a{many}> -->\n<r k='<a{}'><![CDATA[<a{many}>]]><?pi <a{many}> ?></r>",
            many.replace('\'', "\"")
        );
        assert_eq!(limits(&text), Ok(()));
    }

    #[test]
    fn nesting_is_limited_and_closed_elements_leave_the_stack() {
        let deep = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert_eq!(limits(&deep(MAX_DEPTH)), Ok(()));
        let p = limits(&deep(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(p.offset, 3 * MAX_DEPTH);
        // Siblings do not add up: ten times the limit of elements, never deeper than two.
        let wide = format!("<r>{}</r>", "<a><b/></a>".repeat(10 * MAX_DEPTH));
        assert_eq!(limits(&wide), Ok(()));
    }

    #[test]
    fn namespaces_in_scope_count_the_ancestors() {
        let decl = |from: usize, n: usize| -> String {
            (from..from + n)
                .map(|i| format!(" xmlns:p{i}='urn:{i}'"))
                .collect()
        };
        let half = MAX_NAMESPACES_IN_SCOPE / 2;
        let ok = format!(
            "<r{}><a{}/><a{}/></r>",
            decl(0, half),
            decl(half, half),
            decl(half, half)
        );
        assert_eq!(limits(&ok), Ok(()));
        let over = format!("<r{}><a{}/></r>", decl(0, half), decl(half, half + 1));
        let p = limits(&over).unwrap_err();
        assert_eq!(p.offset, over.rfind(" xmlns:").unwrap() + 1);
        assert!(
            p.message.contains("more than 16 namespace declarations"),
            "{}",
            p.message
        );
    }

    #[test]
    fn namespace_declarations_are_limited_per_document() {
        let one = "<a xmlns:p='urn:p'/>";
        assert_eq!(
            limits(&format!("<r>{}</r>", one.repeat(MAX_NAMESPACES))),
            Ok(())
        );
        let text = format!("<r>{}</r>", one.repeat(MAX_NAMESPACES + 1));
        let p = limits(&text).unwrap_err();
        assert_eq!(p.offset, text.rfind("xmlns").unwrap());
    }

    #[test]
    fn malformed_text_is_left_to_the_parser() {
        for text in [
            "<a b>",
            "<a b='1",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>",
            "<a",
            "<",
            "<!--",
        ] {
            assert_eq!(limits(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn the_prolog_allows_one_byte_order_mark_and_utf8_only() {
        assert!(prolog("<?xml version='1.0' encoding='utf-8'?><a/>").is_empty());
        assert!(prolog("<?xml version=\"1.0\" encoding = \"UTF-8\" ?><a/>").is_empty());
        assert!(prolog("<a encoding='latin1'/>").is_empty());
        let text = "<?xml version='1.0' encoding='UTF-16'?><a/>";
        let p = prolog(text);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].offset, text.find("UTF-16").unwrap());
        assert!(
            p[0].message.contains("encoding 'UTF-16'"),
            "{}",
            p[0].message
        );
        let two = prolog("\u{feff}<?xml version='1.0' encoding='ascii'?><a/>");
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].offset, 0);
        assert_eq!(
            two[1].offset,
            "\u{feff}<?xml version='1.0' encoding='".len()
        );
    }
}
