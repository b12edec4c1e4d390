//! The generators' grammars, learned from the repository's own inputs: the real element and
//! attribute names and values of XML, so generated XML goes as deep as real XML does, and
//! the lines and words of native files.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use super::Choices;
use super::inputs::{Root, XML_INPUTS};

/// A grammar learned from real documents: which elements occur as roots and inside which
/// others, which attributes each carries, which values each attribute and which text each
/// element has. Names are kept as written, prefix included.
#[derive(Default)]
pub struct XmlGrammar {
    docs: Vec<Tree>,
    roots: Vec<String>,
    names: Vec<String>,
    children: BTreeMap<String, Vec<String>>,
    attrs: BTreeMap<String, Vec<String>>,
    attr_names: Vec<String>,
    values: BTreeMap<String, Vec<String>>,
    texts: BTreeMap<String, Vec<String>>,
}

/// Elements in one generated document at most, so a grammar with cycles stays small.
const MAX_ELEMENTS: usize = 160;
const MAX_DEPTH: usize = 7;

/// The grammar of every XML input above.
pub static XML: LazyLock<XmlGrammar> = LazyLock::new(|| {
    let texts: Vec<String> = XML_INPUTS
        .iter()
        .filter_map(|(_, b)| String::from_utf8(b.clone()).ok())
        .collect();
    let g = XmlGrammar::learn(&texts);
    assert!(
        g.roots.len() >= 4 && g.names.len() > 60,
        "the XML grammar is too small"
    );
    g
});

type Learned = BTreeMap<String, BTreeSet<String>>;

/// A real document's elements, kept to be written again with small changes.
struct Tree {
    name: String,
    attrs: Vec<(String, String)>,
    text: Option<String>,
    kids: Vec<Tree>,
}

impl Tree {
    fn of(text: &str, el: roxmltree::Node) -> Self {
        let inherited: Vec<(Option<&str>, &str)> = el
            .parent_element()
            .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
            .unwrap_or_default();
        let mut attrs: Vec<(String, String)> = el
            .namespaces()
            .filter(|ns| ns.name() != Some("xml") && !inherited.contains(&(ns.name(), ns.uri())))
            .map(|ns| {
                let attr = ns.name().map_or("xmlns".into(), |p| format!("xmlns:{p}"));
                (attr, ns.uri().to_owned())
            })
            .collect();
        attrs.extend(
            el.attributes()
                .map(|a| (text[a.range_qname()].to_owned(), a.value().to_owned())),
        );
        Self {
            name: qname(text, el),
            attrs,
            text: el
                .children()
                .filter(|k| k.is_text())
                .filter_map(|k| k.text())
                .find(|t| !t.trim().is_empty())
                .map(|t| t.trim().to_owned()),
            kids: el
                .children()
                .filter(|k| k.is_element())
                .map(|k| Self::of(text, k))
                .collect(),
        }
    }
}

impl XmlGrammar {
    fn learn(texts: &[String]) -> Self {
        let (mut roots, mut names, mut attr_names) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let (mut children, mut attrs, mut values, mut contents): (
            Learned,
            Learned,
            Learned,
            Learned,
        ) = Default::default();
        let mut docs = Vec::new();
        for text in texts {
            let Ok(doc) = roxmltree::Document::parse(text) else {
                continue;
            };
            docs.push(Tree::of(text, doc.root_element()));
            roots.insert(qname(text, doc.root_element()));
            for el in doc.descendants().filter(|n| n.is_element()) {
                let name = qname(text, el);
                names.insert(name.clone());
                let kids = children.entry(name.clone()).or_default();
                for k in el.children() {
                    if k.is_element() {
                        kids.insert(qname(text, k));
                    } else if let Some(t) = k.text().filter(|t| !t.trim().is_empty()) {
                        contents
                            .entry(name.clone())
                            .or_default()
                            .insert(t.trim().to_owned());
                    }
                }
                let own = attrs.entry(name.clone()).or_default();
                let mut seen: Vec<(String, String)> = el
                    .attributes()
                    .map(|a| (text[a.range_qname()].to_owned(), a.value().to_owned()))
                    .collect();
                // Namespace declarations made here, not inherited.
                let inherited: Vec<(Option<&str>, &str)> = el
                    .parent_element()
                    .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
                    .unwrap_or_default();
                for ns in el.namespaces() {
                    if ns.name() != Some("xml") && !inherited.contains(&(ns.name(), ns.uri())) {
                        let attr = ns.name().map_or("xmlns".into(), |p| format!("xmlns:{p}"));
                        seen.push((attr, ns.uri().to_owned()));
                    }
                }
                for (attr, value) in seen {
                    own.insert(attr.clone());
                    attr_names.insert(attr.clone());
                    values.entry(attr).or_default().insert(value);
                }
            }
        }
        let flat = |m: Learned| -> BTreeMap<String, Vec<String>> {
            m.into_iter()
                .map(|(k, v)| (k, v.into_iter().collect()))
                .collect()
        };
        Self {
            docs,
            roots: roots.into_iter().collect(),
            names: names.into_iter().collect(),
            children: flat(children),
            attrs: flat(attrs),
            attr_names: attr_names.into_iter().collect(),
            values: flat(values),
            texts: flat(contents),
        }
    }

    /// One document: two times in three a real one with a few changes (an attribute dropped
    /// or given another value seen for it or a hostile one, an element dropped, repeated or
    /// replaced by a made-up one), else one made up from the grammar: every attribute and
    /// child the element was seen with, with values seen for them, now and then one left out,
    /// repeated, misplaced, or hostile. Either may get markup the readers must refuse.
    pub fn document(&self, c: &mut Choices) -> String {
        let mut out = String::new();
        match c.below(24) {
            1 => out.push_str("<?xml version='1.0' encoding='UTF-8'?>\n"),
            2 => out.push_str("<?xml version=\"1.0\" encoding=\"UTF-16\"?>"),
            3 => out.push('\u{feff}'),
            4 => out.push_str("\u{feff}\u{feff}"),
            5 => out.push_str("<!DOCTYPE x [<!ENTITY a 'aaaa'>]>"),
            6 => out.push_str("<!-- a comment -->\n"),
            7 => out.push_str("<?pi data?>"),
            8 => out.push_str(" \r\n\t"),
            _ => {}
        }
        let mut count = 0;
        if c.below(3) < 2 {
            let doc = c.pick(&self.docs);
            self.rewrite(c, doc, 0, &mut count, &mut out);
        } else {
            let root = if c.one_in(16) {
                c.pick(&self.names)
            } else {
                c.pick(&self.roots)
            };
            self.element(c, root, 0, &mut count, &mut out);
        }
        match c.below(24) {
            1 => out.push_str("<second/>"),
            2 => out.push_str("trailing text"),
            3 => out.push_str("<!-- after -->\n"),
            4 => out.push('\0'),
            _ => {}
        }
        out
    }

    /// A real element written again, with rare changes.
    fn rewrite(
        &self,
        c: &mut Choices,
        tree: &Tree,
        depth: usize,
        count: &mut usize,
        out: &mut String,
    ) {
        *count += 1;
        out.push('<');
        out.push_str(&tree.name);
        for (attr, value) in &tree.attrs {
            match c.below(96) {
                95 => {}
                93 | 94 => self.attribute(c, attr, out),
                92 => {
                    self.attribute(c, attr, out);
                    self.attribute(c, attr, out);
                }
                _ => {
                    out.push_str(&format!(" {attr}='"));
                    escape(c, value, '\'', out);
                    out.push('\'');
                }
            }
        }
        if c.one_in(80) {
            let attr = c.pick(&self.attr_names).clone();
            self.attribute(c, &attr, out);
        }
        let text = match &tree.text {
            Some(_) if c.one_in(60) => self.texts.get(&tree.name).map(|t| c.pick(t).as_str()),
            Some(_) if c.one_in(120) => Some(c.hostile()),
            t => t.as_deref(),
        };
        if tree.kids.is_empty() && text.is_none() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Some(t) = text {
            escape(c, t, '<', out);
        }
        for kid in &tree.kids {
            out.push('\n');
            out.push_str(&"  ".repeat(depth + 1));
            match c.below(120) {
                119 => {}
                118 => {
                    self.rewrite(c, kid, depth + 1, count, out);
                    self.rewrite(c, kid, depth + 1, count, out);
                }
                117 => self.element(c, &kid.name, depth + 1, count, out),
                116 => {
                    let name = c.pick(&self.names).clone();
                    self.element(c, &name, depth + 1, count, out);
                }
                _ => self.rewrite(c, kid, depth + 1, count, out),
            }
        }
        if !tree.kids.is_empty() {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
        let close = if c.one_in(80) {
            c.pick(&self.names).as_str()
        } else {
            &tree.name
        };
        out.push_str(&format!("</{close}>"));
    }

    fn element(
        &self,
        c: &mut Choices,
        name: &str,
        depth: usize,
        count: &mut usize,
        out: &mut String,
    ) {
        *count += 1;
        out.push('<');
        out.push_str(name);
        for attr in self.attrs.get(name).into_iter().flatten() {
            match c.below(8) {
                7 => {}
                6 => {
                    self.attribute(c, attr, out);
                    self.attribute(c, attr, out);
                }
                _ => self.attribute(c, attr, out),
            }
        }
        if c.one_in(10) {
            let attr = if c.one_in(3) {
                c.hostile().to_owned()
            } else {
                c.pick(&self.attr_names).clone()
            };
            self.attribute(c, &attr, out);
        }
        let mut kids: Vec<&str> = Vec::new();
        if depth < MAX_DEPTH {
            for kid in self.children.get(name).into_iter().flatten() {
                for _ in 0..[1, 0, 2, 1][c.below(4)] {
                    kids.push(kid);
                }
            }
            if c.one_in(12) {
                kids.push(c.pick(&self.names).as_str());
            }
        }
        let text = match self.texts.get(name) {
            Some(t) if !c.one_in(10) => Some(c.pick(t).as_str()),
            _ if c.one_in(20) => Some(c.hostile()),
            _ => None,
        };
        if kids.is_empty() && text.is_none() {
            out.push_str(if c.one_in(16) { ">" } else { "/>" });
            if !out.ends_with("/>") {
                out.push_str(&format!("</{name}>"));
            }
            return;
        }
        out.push('>');
        if let Some(t) = text {
            escape(c, t, '<', out);
        }
        for kid in kids {
            if *count >= MAX_ELEMENTS {
                break;
            }
            match c.below(12) {
                1 => out.push_str("\n  "),
                2 => out.push_str("\r\n"),
                3 => out.push_str("<!--x-->"),
                4 => out.push_str("<![CDATA[ ]]>"),
                5 => out.push_str(&format!(
                    "&{};",
                    c.pick(&["amp", "lt", "nbsp", "#10", "#0", "#xD800"])
                )),
                _ => {}
            }
            self.element(c, kid, depth + 1, count, out);
        }
        let close = if c.one_in(40) {
            c.pick(&self.names).as_str()
        } else {
            name
        };
        out.push_str(&format!("</{close}>"));
    }

    fn attribute(&self, c: &mut Choices, attr: &str, out: &mut String) {
        let value = match self.values.get(attr) {
            Some(v) if !c.one_in(8) => c.pick(v).as_str(),
            _ => c.hostile(),
        };
        let quote = if c.one_in(4) { '"' } else { '\'' };
        out.push(' ');
        out.push_str(attr);
        out.push('=');
        out.push(quote);
        escape(c, value, quote, out);
        out.push(quote);
    }
}

/// `value` as XML text inside `quote` (or `<` for element text): escaped, or now and then raw.
fn escape(c: &mut Choices, value: &str, quote: char, out: &mut String) {
    if c.one_in(24) {
        out.push_str(value);
        return;
    }
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' if quote == '\'' => out.push_str("&apos;"),
            '"' if quote == '"' => out.push_str("&quot;"),
            _ => out.push(ch),
        }
    }
}

/// An element's name as written, prefix included.
fn qname(text: &str, el: roxmltree::Node) -> String {
    let raw = &text[el.range().start + 1..];
    let end = raw
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(raw.len());
    raw[..end].to_owned()
}

/// Changes a root of native files line by line, the way hands and tools damage them: a
/// line from another file of the same kind put in, one taken out or repeated, a word
/// swapped for another or for a hostile one, another line ending, a file added or dropped.
pub struct LineMutator {
    lines: Vec<String>,
    words: Vec<String>,
}

impl LineMutator {
    /// Learns the lines and words of every file of `roots`.
    pub fn learn(roots: &[Root]) -> Self {
        let (mut lines, mut words) = (BTreeSet::new(), BTreeSet::new());
        for text in roots.iter().flat_map(|r| r.files.values()) {
            for line in text.lines() {
                lines.insert(line.to_owned());
                for w in line.split(|c: char| c.is_whitespace() || matches!(c, '=' | ',' | ';')) {
                    if !w.is_empty() {
                        words.insert(w.to_owned());
                    }
                }
            }
        }
        Self {
            lines: lines.into_iter().collect(),
            words: words.into_iter().collect(),
        }
    }

    /// `root`'s files after up to a dozen changes.
    pub fn mutate(&self, c: &mut Choices, root: &Root) -> BTreeMap<String, String> {
        let mut files = root.files.clone();
        if files.is_empty() {
            files.insert(String::from("etc/empty"), String::new());
        }
        for _ in 0..c.below(12) {
            let paths: Vec<String> = files.keys().cloned().collect();
            let path = c.pick(&paths).clone();
            let text = files.get_mut(&path).unwrap();
            match c.below(9) {
                0 => {
                    let new = if c.one_in(6) {
                        c.hostile().to_owned()
                    } else {
                        c.pick(&self.lines).clone()
                    };
                    edit_lines(c, text, |lines, at| lines.insert(at, format!("{new}\n")));
                }
                1 => edit_lines(c, text, |lines, at| {
                    if at < lines.len() {
                        lines.remove(at);
                    }
                }),
                2 => edit_lines(c, text, |lines, at| {
                    if let Some(l) = lines.get(at).cloned() {
                        lines.insert(at, l);
                    }
                }),
                3 | 4 => {
                    let word = if c.one_in(3) {
                        c.hostile().to_owned()
                    } else {
                        c.pick(&self.words).clone()
                    };
                    replace_word(c, text, &word);
                }
                5 => {
                    let ending: &&str = c.pick(&["\r\n", "\r", "\n\n", " \\\n", "\\\n"]);
                    *text = text.replace('\n', ending);
                }
                6 => {
                    let cut = floor(text, c.below(text.len() + 1));
                    text.truncate(cut);
                }
                7 => {
                    let name = format!("{path}{}", c.pick(&["", ".bak", "x", "-0", "~", ".d/x"]));
                    let copy = text.clone();
                    files.insert(name, copy);
                }
                _ => {
                    if files.len() > 1 {
                        files.remove(&path);
                    }
                }
            }
        }
        files
    }
}

fn edit_lines(c: &mut Choices, text: &mut String, f: impl FnOnce(&mut Vec<String>, usize)) {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let at = c.below(lines.len() + 1);
    f(&mut lines, at);
    *text = lines.concat();
}

fn replace_word(c: &mut Choices, text: &mut String, word: &str) {
    let starts: Vec<usize> = text
        .char_indices()
        .filter(|&(i, ch)| {
            !ch.is_whitespace()
                && text[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|p| p.is_whitespace() || matches!(p, '=' | ','))
        })
        .map(|(i, _)| i)
        .collect();
    if starts.is_empty() {
        text.push_str(word);
        return;
    }
    let start = starts[c.below(starts.len())];
    let end = text[start..]
        .find(|ch: char| ch.is_whitespace() || matches!(ch, '=' | ','))
        .map_or(text.len(), |e| start + e);
    text.replace_range(start..end, word);
}

/// The largest char boundary at or before `at`.
pub fn floor(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
