//! A strict reader over a parsed XML tree that records every problem it meets.
//!
//! The grammar code asks this reader for attributes and children by name and gets `Option`s
//! back; whatever is missing, unknown or out of range is recorded as a positioned
//! [`Diagnostic`] and reading goes on, so one run reports every problem in a file, up to
//! [`MAX_PROBLEMS`] of them.

use std::collections::HashMap;
use std::hash::Hash;

use roxmltree::{Attribute, Node};

use crate::error::Diagnostic;
use crate::model::{ValueError, join_or, one_of};
/// Re-exported: every reader quotes values this way.
pub(crate) use crate::show::shorten;
use crate::source::SourceFile;

/// The most problems reported of one file. Each costs a message and a source excerpt, and
/// a hostile file within the input size limit could hold millions (every attribute
/// unknown), gigabytes of messages no one reads; past this many, the rest are only counted.
pub(crate) const MAX_PROBLEMS: usize = 10_000;

/// The reading state of one file.
pub(crate) struct Reader<'s> {
    src: &'s SourceFile,
    /// Index of the file among the inputs, so cross-file checks can point back into it.
    pub(crate) file_index: usize,
    /// What the document is called in messages (`interface XML`, `network XML`).
    dialect: &'static str,
    diags: Vec<Diagnostic>,
    /// The problems past [`MAX_PROBLEMS`]: where the first is, and how many there are.
    unreported: Option<(usize, usize)>,
}

impl<'s> Reader<'s> {
    pub(crate) fn new(src: &'s SourceFile, file_index: usize) -> Self {
        Self::with_dialect(src, file_index, "interface XML")
    }

    /// A reader whose messages name the document `dialect` (such as `network XML`).
    pub(crate) fn with_dialect(
        src: &'s SourceFile,
        file_index: usize,
        dialect: &'static str,
    ) -> Self {
        Self {
            src,
            file_index,
            dialect,
            diags: Vec::new(),
            unreported: None,
        }
    }

    /// The text being read.
    pub(crate) fn source(&self) -> &'s SourceFile {
        self.src
    }

    /// The problems found, in the order of their positions; past [`MAX_PROBLEMS`], one more
    /// that says how many were not reported, where the first of them is.
    pub(crate) fn into_diagnostics(self) -> Vec<Diagnostic> {
        let mut diags = self.diags;
        if let Some((offset, count)) = self.unreported {
            diags.push(self.src.diagnostic(
                offset,
                format!(
                    "{count} more problem{} not shown, the first of them here; netloom reports \
                     at most {MAX_PROBLEMS} problems of one file",
                    if count == 1 { " is" } else { "s are" }
                ),
            ));
        }
        diags.sort_by_key(|d| d.position());
        diags
    }

    /// Whether there is room for one more problem; if not, it is counted as unreported.
    fn room(&mut self, offset: usize) -> bool {
        if self.diags.len() < MAX_PROBLEMS {
            return true;
        }
        let (_, count) = self.unreported.get_or_insert((offset, 0));
        *count += 1;
        false
    }

    /// Records a problem at a byte offset.
    pub(crate) fn error(&mut self, offset: usize, message: impl Into<String>) {
        if self.room(offset) {
            self.diags.push(self.src.diagnostic(offset, message));
        }
    }

    /// Records a problem with a note (such as where something was first given).
    pub(crate) fn error_noted(&mut self, offset: usize, message: impl Into<String>, note: String) {
        if self.room(offset) {
            let d = self.src.diagnostic(offset, message);
            self.diags.push(d.with_note(note));
        }
    }

    /// Records a problem with a note pointing at an earlier place in the same file.
    pub(crate) fn error_see(
        &mut self,
        offset: usize,
        message: impl Into<String>,
        note: &str,
        earlier: usize,
    ) {
        if self.room(offset) {
            let at = self.location(earlier);
            let d = self.src.diagnostic(offset, message);
            self.diags.push(d.with_note(format!("{note} at {at}")));
        }
    }

    /// `file:line:col` of a byte offset, for notes.
    pub(crate) fn location(&self, offset: usize) -> String {
        let p = self.src.position(offset);
        format!("{}:{}:{}", self.src.name(), p.line, p.col)
    }

    /// The parsed document, or `None` with the problem reported. The bounds on attributes,
    /// nesting and namespaces are checked first (see [`super::bounds`]), so what reaches the
    /// parser costs it a constant per byte; the prolog's problems (a second byte-order mark,
    /// an encoding other than UTF-8) are reported and reading goes on.
    pub(crate) fn document(&mut self) -> Option<roxmltree::Document<'s>> {
        let text = self.src.text();
        for p in super::bounds::prolog(text) {
            self.error(p.offset, p.message);
        }
        if let Err(p) = super::bounds::limits(text) {
            self.error(p.offset, p.message);
            return None;
        }
        match roxmltree::Document::parse(text) {
            Ok(doc) => Some(doc),
            Err(err) => {
                self.xml_error(&err);
                None
            }
        }
    }

    /// Reports the parser's own error (malformed XML) at the position it gives.
    pub(crate) fn xml_error(&mut self, err: &roxmltree::Error) {
        let pos = err.pos();
        // roxmltree puts " at ROW:COL" inside its messages; the position goes in front here.
        let msg = err.to_string().replace(&format!(" at {pos}"), "");
        if let roxmltree::Error::DtdDetected = err {
            let at = self.src.text().find("<!DOCTYPE").unwrap_or(0);
            self.error(
                at,
                "a DTD is not accepted (its entities could expand without bound); remove the <!DOCTYPE>",
            );
            return;
        }
        let offset = match err {
            roxmltree::Error::UnexpectedEndOfStream
            | roxmltree::Error::UnclosedRootNode
            | roxmltree::Error::NoRootNode => Some(self.src.text().len()),
            _ => None,
        };
        match offset {
            Some(end) => self.error(end, format!("malformed XML: {msg}")),
            None => {
                let d = self.src.diagnostic_at(
                    crate::error::Position {
                        line: pos.row,
                        col: pos.col,
                    },
                    format!("malformed XML: {msg}"),
                );
                // The parser stops at its first error, so there is room for it.
                self.diags.push(d);
            }
        }
    }

    /// An element's name as written (`x:mtu`), for messages.
    pub(crate) fn element_name(&self, el: Node) -> &'s str {
        let raw = self
            .src
            .text()
            .get(el.range().start + 1..)
            .unwrap_or_default();
        let end = raw
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .unwrap_or(raw.len());
        &raw[..end]
    }

    /// Reports an element that is in an XML namespace the dialect does not use there.
    pub(crate) fn foreign_element(&mut self, el: Node, uri: &str) {
        let name = self.element_name(el);
        let dialect = self.dialect;
        self.error(
            el.range().start,
            format!("element <{name}> is in namespace '{uri}'; {dialect} uses no namespace"),
        );
    }

    /// Refuses every attribute of `el` not in `allowed` (and any namespaced one).
    pub(crate) fn check_attrs(&mut self, el: Node, what: &str, allowed: &[&str]) {
        for a in el.attributes() {
            let at = a.range_qname();
            if let Some(uri) = a.namespace() {
                let name = self.src.text().get(at.clone()).unwrap_or_default();
                let dialect = self.dialect;
                self.error(
                    at.start,
                    format!("attribute '{name}' on {what} is in namespace '{uri}'; {dialect} uses no namespace"),
                );
                continue;
            }
            if allowed.contains(&a.name()) {
                continue;
            }
            let msg = if allowed.is_empty() {
                format!(
                    "unknown attribute '{}' on {what}; it takes no attributes",
                    a.name()
                )
            } else {
                format!(
                    "unknown attribute '{}' on {what}; expected {}",
                    a.name(),
                    one_of(allowed.iter().copied())
                )
            };
            self.error(at.start, msg);
        }
    }

    /// A required attribute, or a problem naming it.
    pub(crate) fn required<'a, 'i>(
        &mut self,
        el: Node<'a, 'i>,
        what: &str,
        name: &str,
    ) -> Option<Attribute<'a, 'i>> {
        let found = attribute(el, name);
        if found.is_none() {
            self.error(
                el.range().start,
                format!("{what} is missing the required attribute '{name}'"),
            );
        }
        found
    }

    /// Parses an attribute's value; a bad value is reported at the value itself.
    pub(crate) fn parse<T>(
        &mut self,
        attr: Attribute,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        match parse(attr.value()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(
                    attr.range_value().start,
                    format!(
                        "invalid {} '{}' on {what}: {e}",
                        attr.name(),
                        shorten(attr.value())
                    ),
                );
                None
            }
        }
    }

    /// An optional attribute, parsed. `None` when absent or invalid (then it is reported).
    pub(crate) fn optional<T>(
        &mut self,
        el: Node,
        what: &str,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        attribute(el, name).and_then(|a| self.parse(a, what, parse))
    }

    /// A required attribute, parsed.
    pub(crate) fn value<T>(
        &mut self,
        el: Node,
        what: &str,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        self.required(el, what, name)
            .and_then(|a| self.parse(a, what, parse))
    }

    /// The document's root element when it is one of `names` (in no namespace); otherwise
    /// `None`, with the problem reported: a known name in a foreign namespace, or another
    /// element.
    pub(crate) fn root<'a, 'i>(
        &mut self,
        doc: &'a roxmltree::Document<'i>,
        names: &[&str],
    ) -> Option<Node<'a, 'i>> {
        let el = doc.root_element();
        let name = el.tag_name().name();
        if !names.contains(&name) {
            let written = self.element_name(el);
            let list: Vec<String> = names.iter().map(|n| format!("<{n}>")).collect();
            self.error(
                el.range().start,
                format!(
                    "expected {} as the root element, found <{written}>",
                    crate::model::join_or(list)
                ),
            );
            return None;
        }
        if let Some(uri) = el.tag_name().namespace() {
            self.foreign_element(el, uri);
            return None;
        }
        Some(el)
    }

    /// The element children of `el`, refusing unknown elements (naming the allowed ones) and
    /// any text that is not white space. Comments and processing instructions are skipped.
    /// `hint` is added to the message when a refused element is one the user plainly meant
    /// for another level, such as `<mtu>` on a bridge port.
    pub(crate) fn children<'a, 'i>(
        &mut self,
        el: Node<'a, 'i>,
        what: &str,
        allowed: &[&str],
        hint: Option<(&[&str], &str)>,
    ) -> Vec<Node<'a, 'i>> {
        self.children_ns(el, what, allowed, hint, &[])
    }

    /// [`Reader::children`], also accepting the namespaced elements `foreign` lists as
    /// (namespace URI, local name), whatever prefix they are written with.
    pub(crate) fn children_ns<'a, 'i>(
        &mut self,
        el: Node<'a, 'i>,
        what: &str,
        allowed: &[&str],
        hint: Option<(&[&str], &str)>,
        foreign: &[(&str, &str)],
    ) -> Vec<Node<'a, 'i>> {
        let mut out = Vec::new();
        for child in el.children() {
            if child.is_text() {
                let text = child.text().unwrap_or_default();
                if !text.trim().is_empty() {
                    // Point into the raw source: the parsed text has CRLF folded and
                    // character references expanded, so its offsets do not line up.
                    let range = child.range();
                    let raw = self.src.text().get(range.clone()).unwrap_or_default();
                    let skip = raw.find(|c: char| !c.is_whitespace()).unwrap_or(0);
                    let msg = format!("unexpected text '{}' in {what}", shorten(text.trim()));
                    self.error(range.start + skip, msg);
                }
                continue;
            }
            if !child.is_element() {
                continue;
            }
            let name = child.tag_name().name();
            if let Some(uri) = child.tag_name().namespace() {
                if foreign.contains(&(uri, name)) {
                    out.push(child);
                } else if uri == crate::model::NETLOOM_NS {
                    // netloom's own namespace: say what it has here, if anything.
                    let here: Vec<String> = (foreign.iter())
                        .filter(|(u, _)| *u == uri)
                        .map(|(_, n)| format!("<nl:{n}>"))
                        .collect();
                    let written = self.element_name(child);
                    let expected = match here.is_empty() {
                        true => "netloom's namespace has no element here".to_owned(),
                        false => format!("expected {} of netloom's namespace", join_or(here)),
                    };
                    let msg = format!("unknown element <{written}> in {what}; {expected}");
                    self.error(child.range().start, msg);
                } else {
                    self.foreign_element(child, uri);
                }
                continue;
            }
            if allowed.contains(&name) {
                out.push(child);
                continue;
            }
            let expected = if allowed.is_empty() {
                String::from("it takes no child elements")
            } else {
                let list: Vec<String> = allowed.iter().map(|a| format!("<{a}>")).collect();
                format!("expected {}", join_or(list))
            };
            let mut msg = format!("unknown element <{name}> in {what}; {expected}");
            if let Some((names, text)) = hint
                && names.contains(&name)
            {
                msg.push_str("; ");
                msg.push_str(text);
            }
            self.error(child.range().start, msg);
        }
        out
    }

    /// The single `name` child among `nodes`; each further one is reported with a note
    /// pointing at the first.
    pub(crate) fn once<'a, 'i>(
        &mut self,
        nodes: &[Node<'a, 'i>],
        name: &str,
        what: &str,
    ) -> Option<Node<'a, 'i>> {
        let mut found = nodes.iter().filter(|n| n.tag_name().name() == name);
        let first = found.next().copied()?;
        let shown = match first.tag_name().namespace() {
            Some(crate::model::NETLOOM_NS) => format!("nl:{name}"),
            _ => name.to_owned(),
        };
        for extra in found {
            self.error_see(
                extra.range().start,
                format!("<{shown}> appears more than once in {what}; it may appear once"),
                "first given",
                first.range().start,
            );
        }
        Some(first)
    }
}

/// An attribute without a namespace (`roxmltree` matches namespaced ones by local name too).
pub(crate) fn attribute<'a, 'i>(el: Node<'a, 'i>, name: &str) -> Option<Attribute<'a, 'i>> {
    el.attributes()
        .find(|a| a.namespace().is_none() && a.name() == name)
}

/// Records `key`, given at `at`, in `seen`; when it was given before, says `message` there
/// with a note at the first, and returns false: one place for every "given twice" refusal.
pub(crate) fn first_time<K: Hash + Eq>(
    r: &mut Reader,
    seen: &mut HashMap<K, usize>,
    key: K,
    at: usize,
    message: impl FnOnce() -> String,
) -> bool {
    if let Some(&first) = seen.get(&key) {
        r.error_see(at, message(), "first given", first);
        return false;
    }
    seen.insert(key, at);
    true
}

/// The children of `nodes` with a given tag, in order.
pub(crate) fn named<'a, 'i>(nodes: &[Node<'a, 'i>], name: &str) -> Vec<Node<'a, 'i>> {
    nodes
        .iter()
        .copied()
        .filter(|n| n.tag_name().name() == name)
        .collect()
}

/// `on`/`off`, libvirt's `virOnOff`.
pub(crate) fn parse_on_off(s: &str) -> Result<bool, ValueError> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(ValueError("expected 'on' or 'off'".into())),
    }
}

/// `yes`/`no`, libvirt's `virYesNo`.
pub(crate) fn parse_yes_no(s: &str) -> Result<bool, ValueError> {
    match s {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(ValueError("expected 'yes' or 'no'".into())),
    }
}

/// A whole number as the schema's `unsignedInt`.
pub(crate) fn parse_u32(s: &str) -> Result<u32, ValueError> {
    crate::model::parse_uint(s)
        .ok_or_else(|| ValueError(format!("expected a whole number from 0 to {}", u32::MAX)))
}

/// An element with one required attribute and nothing else, such as `<mtu size='…'/>`.
pub(crate) fn single_value<T>(
    r: &mut Reader,
    el: Node,
    what: &str,
    attr: &str,
    parse: impl FnOnce(&str) -> Result<T, crate::model::ValueError>,
) -> Option<T> {
    r.check_attrs(el, what, &[attr]);
    r.children(el, what, &[], None);
    r.value(el, what, attr, parse)
}
