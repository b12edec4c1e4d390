//! The files ifupdown reads, back into the model: [`super::render`]'s table inverted, plus
//! the idioms netcf wrote, so that a host either of them managed imports as declared.
//!
//! Stanzas are met in ifupdown's reading order (sourced files in place) and grouped per
//! interface; an identical repeated stanza counts once. `lo`, `loopback` stanzas, `mapping`
//! stanzas, `no-auto-down`, `no-scripts` and `rename` are not part of the model. Options the
//! model has no place for are skipped, as netcf did; what the model forbids (a method it
//! cannot express, a bad value, two gateways, a bond without slaves, a port claimed twice)
//! is a positioned error, all of them reported at once. Judgements where ifupdown leaves a
//! choice, each the way ifupdown 0.8 and its helpers act:
//! - A bond is what ifenslave makes one: `bond-slaves` (or `slaves`, `none` included) or
//!   `bond-mode`, or a name other stanzas give in `bond-master`; those slaves follow the
//!   listed ones. `bond-primary` moves the first of its names that is a slave to the front.
//! - A vlan is a stanza with `vlan-raw-device`, or a dotted name; the tag is after the last
//!   dot (or after `vlan`), the parent `vlan-raw-device` or the part before that dot. A
//!   dotted port without a stanza is a vlan too: bridge-utils creates it.
//! - IPv6 autoconf is what the last `inet6` stanza leaves: its `autoconf` option; without
//!   one off for `static` (ifupdown's default `autoconf 0`), and for `dhcp` and `manual` on
//!   unless netcf's `pre-up echo 0 > …/autoconf` hook is there; `auto` is on unless
//!   `accept_ra 0` (link-local only). `inet6 manual` alone is IPv6 with autoconf (or, with
//!   the hook, link-local only), as netcf wrote both.
//! - A MAC is read for ethernet devices only (interface XML has none for the other kinds);
//!   bond slaves get none (render refuses them) and ports' MTUs are their bridge's.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use super::MAIN;
use super::include::{self, Graph};
use crate::backend::{BackendError, Imported, Note, NoteKind, Snapshot};
use crate::error::{Diagnostic, Diagnostics, Position};
use crate::model::{Host, IfaceName, Interface, MacAddr, ValueError};
use crate::source::SourceFile;
use crate::syntax::interfaces::{Line, LineKind, Word, normal_key};

mod build;
mod route;

/// A place in one of the graph's files.
#[derive(Debug, Clone, Copy)]
struct At {
    file: usize,
    pos: Position,
}

/// An option's value and where it is.
#[derive(Debug, Clone, Copy)]
struct Val<'g> {
    word: &'g Word,
    file: usize,
    /// Whether the line is one physical line, where a column inside the value is exact.
    flat: bool,
}

impl<'g> Val<'g> {
    fn text(self) -> &'g str {
        &self.word.text
    }

    fn at(self) -> At {
        self.at_offset(0)
    }

    /// Where byte `offset` of the value is; on a continued line, where the value starts.
    fn at_offset(self, offset: usize) -> At {
        let mut pos = self.word.pos;
        if self.flat {
            let chars = self
                .word
                .text
                .get(..offset)
                .map_or(0, |s| s.chars().count());
            pos.col = pos.col.saturating_add(u32::try_from(chars).unwrap_or(0));
        }
        At {
            file: self.file,
            pos,
        }
    }

    /// The value's words, each with where it is.
    fn words(self) -> impl Iterator<Item = (&'g str, At)> {
        let text = self.text();
        let base = text.as_ptr() as usize;
        text.split_ascii_whitespace()
            .map(move |w| (w, self.at_offset(w.as_ptr() as usize - base)))
    }
}

/// One option of a stanza: its key as [`normal_key`] gives it, the key as written, its value,
/// and whether the import read it into the model.
struct Opt<'g> {
    key: Cow<'g, str>,
    written: &'g Word,
    val: Val<'g>,
    used: Cell<bool>,
}

/// One `iface` stanza: its header words and its options.
struct Stanza<'g> {
    name: &'g Word,
    family: &'g Word,
    method: &'g Word,
    file: usize,
    opts: Vec<Opt<'g>>,
}

impl<'g> Stanza<'g> {
    fn at(&self, word: &Word) -> At {
        At {
            file: self.file,
            pos: word.pos,
        }
    }

    /// Every value of `key`, each marked as read into the model as it is taken.
    fn all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = Val<'g>> + 's {
        self.opts.iter().filter(move |o| o.key == key).map(|o| {
            o.used.set(true);
            o.val
        })
    }

    /// The first value of `key`, marked as read.
    fn opt(&self, key: &str) -> Option<Val<'g>> {
        self.all(key).next()
    }

    /// Every value of `key`, without marking them: for options only some of whose values
    /// the import reads (a hook it recognises among others).
    fn each<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s Opt<'g>> + 's {
        self.opts.iter().filter(move |o| o.key == key)
    }

    /// What makes two stanzas the same: family, method, and every option in order.
    fn signature(&self) -> (&str, &str, Vec<(&str, &str)>) {
        let opts = self.opts.iter().map(|o| (o.key.as_ref(), o.val.text()));
        (&self.family.text, &self.method.text, opts.collect())
    }
}

/// What a group of stanzas makes, judged as ifupdown's helpers judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ethernet,
    Bond,
    Bridge,
    Vlan,
}

/// A bridge port or bond slave, from its master's list (or its own `bond-master`).
struct Member {
    name: IfaceName,
    at: At,
    group: Option<usize>,
}

/// Whether an option describes the device rather than one stanza's addressing, so that
/// the interface has one value of it.
fn link_key(key: &str) -> bool {
    matches!(
        key,
        "mtu"
            | "hwaddress"
            | "bridge-ports"
            | "bridge-stp"
            | "bridge-fd"
            | "bond-slaves"
            | "slaves"
            | "bond-master"
            | "bond-mode"
            | "bond-primary"
            | "bond-miimon"
            | "bond-updelay"
            | "bond-downdelay"
            | "bond-use-carrier"
            | "bond-arp-interval"
            | "bond-arp-ip-target"
            | "bond-arp-validate"
            | "bond-lacp-rate"
            | "bond-xmit-hash-policy"
            | "bond-ad-select"
            | "bond-primary-reselect"
            | "bond-fail-over-mac"
            | "bond-num-grat-arp"
            | "bond-num-unsol-na"
            | "bond-packets-per-slave"
            | "bond-tlb-dynamic-lb"
            | "bridge-bridgeprio"
            | "bridge-hello"
            | "bridge-maxage"
            | "bridge-ageing"
            | "vlan-raw-device"
    )
}

/// Every problem found, positioned in the graph's files, and every note.
struct Problems<'g> {
    graph: &'g Graph,
    texts: Vec<&'g str>,
    sources: HashMap<usize, SourceFile>,
    placed: Vec<(usize, Position, Diagnostic)>,
    unplaced: Vec<Diagnostic>,
    notes: Vec<(usize, Position, Note)>,
}

impl Problems<'_> {
    fn location(&self, at: At) -> String {
        let path = self
            .graph
            .files
            .get(at.file)
            .map_or("", |f| f.path.as_str());
        format!("{path}:{}:{}", at.pos.line, at.pos.col)
    }

    fn add(&mut self, at: At, message: impl Into<String>, note: Option<String>) {
        let (graph, texts) = (self.graph, &self.texts);
        let source = self.sources.entry(at.file).or_insert_with(|| {
            let path = graph.files.get(at.file).map_or("", |f| f.path.as_str());
            SourceFile::new(path, texts.get(at.file).copied().unwrap_or_default())
        });
        let mut d = source.diagnostic_at(at.pos, message);
        if let Some(note) = note {
            d = d.with_note(note);
        }
        self.placed.push((at.file, at.pos, d));
    }

    fn at(&mut self, at: At, message: impl Into<String>) {
        self.add(at, message, None);
    }

    /// A note of `kind` at `at`.
    fn note(&mut self, at: At, kind: NoteKind, message: impl Into<String>) {
        let (graph, texts) = (self.graph, &self.texts);
        let source = self.sources.entry(at.file).or_insert_with(|| {
            let path = graph.files.get(at.file).map_or("", |f| f.path.as_str());
            SourceFile::new(path, texts.get(at.file).copied().unwrap_or_default())
        });
        let d = source.diagnostic_at(at.pos, message);
        self.notes.push((at.file, at.pos, Note::new(kind, d)));
    }

    /// Parses `v` with a model parser; a bad value is reported at it, named by `key`.
    fn parse<T>(
        &mut self,
        v: Val,
        key: &str,
        f: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        self.parse_at(v.text(), v.at(), key, f)
    }

    fn parse_at<T>(
        &mut self,
        text: &str,
        at: At,
        key: &str,
        f: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        f(text)
            .map_err(|e| self.at(at, format!("invalid {key} '{text}': {e}")))
            .ok()
    }
}

/// What was read: the stanzas per interface, who starts when, and (after
/// [`Read::members`]) each interface's kind and which interfaces are parts of which.
struct Read<'g> {
    groups: Vec<Vec<Stanza<'g>>>,
    /// Each group's device: the stanzas' name, or the part before the colon of an alias
    /// (`iface eth1:1` is more of `eth1`).
    bases: Vec<&'g str>,
    by_name: HashMap<&'g str, usize>,
    onboot: HashSet<&'g str>,
    hotplug: HashSet<&'g str>,
    kinds: Vec<Kind>,
    members: Vec<Vec<Member>>,
    /// Member name to its master's group and where it is listed.
    claims: HashMap<&'g str, (usize, At)>,
    /// Why a group is not read, and where that is said: a kind the model does not hold.
    skipped: Vec<Option<(At, String)>>,
    /// The groups read into the host, in order.
    visited: RefCell<Vec<usize>>,
    /// Notes found while reading, said when the import is: how a pattern was followed, or
    /// why it was not.
    pending: Vec<(At, NoteKind, String)>,
    /// The logical interfaces patterns start devices as (`auto /eth*=eth`), with the pattern.
    templates: Vec<(&'g str, &'g str)>,
    /// The MAC each of netloom's `.link` files names a device by (a bond slave's `<mac>`).
    links: HashMap<String, MacAddr>,
}

/// The device name and MAC of each of netloom's `.link` files (see
/// [`super::render::link_files`]): the `Name=` and `PermanentMACAddress=` it wrote, read
/// only from a file that has its header, is named after that device and says both.
fn link_macs(existing: &Snapshot) -> HashMap<String, MacAddr> {
    (existing.files.iter())
        .filter_map(|(path, text)| {
            let name = super::render::link_name(path)?;
            let body = text.strip_prefix(super::render::HEADER)?;
            let value = |key: &str| {
                (body.lines()).find_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
            };
            let mac = MacAddr::parse(value("PermanentMACAddress")?.trim()).ok()?;
            (value("Name")?.trim() == name).then(|| (name.to_owned(), mac))
        })
        .collect()
}

/// A `mapping` stanza: its patterns, its script and the logical names of its `map` lines.
struct Mapping<'g> {
    patterns: &'g [Word],
    at: At,
    script: Option<&'g str>,
    logical: Vec<&'g str>,
}

impl<'g> Mapping<'g> {
    /// A `mapping` line, placed at its first pattern; its script and `map` lines follow.
    fn new(patterns: &'g [Word], line: &Line, file: usize) -> Self {
        let pos = patterns.first().map_or(
            Position {
                line: line.number,
                col: 1,
            },
            |w| w.pos,
        );
        Mapping {
            patterns,
            at: At { file, pos },
            script: None,
            logical: Vec::new(),
        }
    }
}

/// What [`Read::collect`]'s walk carries from one line to the next, and what it keeps for
/// once every stanza is known: the start patterns, the mappings and the started aliases.
#[derive(Default)]
struct Walk<'g> {
    patterns: Vec<(&'g str, &'g Word, usize)>,
    mappings: Vec<Mapping<'g>>,
    aliases_started: Vec<(&'g str, &'g Word, usize)>,
    /// The stanza option lines belong to: its group, and its index in the group.
    current: Option<(usize, usize)>,
    /// Whether option lines outside a stanza are the last mapping's.
    mapping_open: bool,
}

impl<'g> Walk<'g> {
    /// A mapping's lines: its script, and the logical names it maps to.
    fn mapping_option(&mut self, key: &Word, word: &'g Word) {
        if let Some(m) = self.mappings.last_mut().filter(|_| self.mapping_open) {
            match key.text.as_str() {
                "script" => m.script = Some(word.text.as_str()),
                "map" => m.logical.extend(word.text.split_ascii_whitespace().last()),
                _ => {}
            }
        }
    }
}

/// Reads the interfaces `names` (every top-level one when empty) from the files ifupdown
/// reads, so `import` and `undefine` see what ifupdown would bring up.
pub(super) fn import(existing: &Snapshot, names: &[IfaceName]) -> Result<Imported, BackendError> {
    let graph = include::read(&existing.files, &existing.binary)?;
    let texts: Vec<&str> = (graph.files.iter())
        .map(|f| existing.files.get(&f.path).map_or("", String::as_str))
        .collect();
    let live = live_macs(existing);
    let mut read = Read::collect(&graph, &texts, &live);
    read.links = link_macs(existing);
    let mut p = Problems {
        graph: &graph,
        texts,
        sources: HashMap::new(),
        placed: Vec::new(),
        unplaced: Vec::new(),
        notes: Vec::new(),
    };
    read.members(&mut p);
    let mut tops: Vec<usize> = Vec::new();
    if names.is_empty() {
        tops = read.every_top(&mut p);
    }
    for name in names {
        read.named_top(name, &mut tops, &mut p);
    }
    let interfaces = tops
        .into_iter()
        .filter_map(|g| read.interface(g, &mut p))
        .collect();
    read.unread_options(&mut p);
    p.imported(interfaces)
}

/// The MAC of each device under `sys/class/net`, which `mac/MAC` patterns match.
fn live_macs(existing: &Snapshot) -> HashMap<&str, &str> {
    (existing.files.iter())
        .filter_map(|(path, text)| {
            let dev = path
                .strip_prefix("sys/class/net/")?
                .strip_suffix("/address")?;
            Some((dev, text.trim()))
        })
        .collect()
}

impl Problems<'_> {
    /// The host read, with the notes in file order, or every problem met, in file order.
    fn imported(mut self, interfaces: Vec<Interface>) -> Result<Imported, BackendError> {
        if self.placed.is_empty() && self.unplaced.is_empty() {
            self.notes.sort_by_key(|(f, pos, _)| (*f, *pos));
            let notes = self.notes.into_iter().map(|(_, _, n)| n).collect();
            return Ok(Imported {
                host: Host { interfaces },
                notes,
            });
        }
        self.placed.sort_by_key(|(f, pos, _)| (*f, *pos));
        let all = self
            .placed
            .into_iter()
            .map(|(_, _, d)| d)
            .chain(self.unplaced);
        Err(BackendError::Invalid(Diagnostics(all.collect())))
    }
}

impl Read<'_> {
    /// Every interface that is not part of another nor skipped, with the notes the walk
    /// kept and one for each interface skipped: a whole import says what it left.
    fn every_top(&mut self, p: &mut Problems) -> Vec<usize> {
        for (at, kind, message) in std::mem::take(&mut self.pending) {
            p.note(at, kind, message);
        }
        for (at, why) in self.skipped.iter().flatten() {
            let message = format!("skipped: {why}; netloom leaves its stanzas alone");
            p.note(*at, NoteKind::Skipped, message);
        }
        let free = |g: &usize| {
            !self.claims.contains_key(self.name(*g))
                && self.skipped.get(*g).is_some_and(Option::is_none)
        };
        (0..self.groups.len()).filter(free).collect()
    }

    /// The interface `name` asked for, added to `tops` once, or why it cannot be: it is
    /// skipped, part of another (whose top-level name to ask for instead), or nowhere.
    fn named_top(&self, name: &IfaceName, tops: &mut Vec<usize>, p: &mut Problems) {
        match (
            self.by_name.get(name.as_str()),
            self.claims.get(name.as_str()),
        ) {
            (Some(&g), None) if self.skipped.get(g).is_some_and(Option::is_some) => {
                if let Some(Some((at, why))) = self.skipped.get(g) {
                    p.at(*at, format!("'{name}' is not imported: it is {why}"));
                }
            }
            (Some(&g), None) if !tops.contains(&g) => tops.push(g),
            (Some(_), None) => {}
            (_, Some(&(master, at))) => {
                // A slave's bond may be a bridge port: claims are at most two deep.
                let mut top = master;
                for _ in 0..2 {
                    top = self.claims.get(self.name(top)).map_or(top, |c| c.0);
                }
                let (master, top) = (self.name(master), self.name(top));
                p.at(
                    at,
                    format!("'{name}' is part of '{master}'; name '{top}' instead"),
                );
            }
            (None, None) => p.unplaced.push(Diagnostic::new(
                MAIN,
                None,
                format!("no iface stanza in /{MAIN} or the files it sources configures '{name}'"),
            )),
        }
    }
}

impl<'g> Read<'g> {
    /// Walks the graph in reading order: start lines, and every interface's stanzas.
    fn collect(graph: &'g Graph, texts: &[&str], live: &HashMap<&str, &str>) -> Self {
        let mut read = Read::empty(graph.order.len());
        let mut walk = Walk::default();
        for &(file, l) in &graph.order {
            let Some(line) = graph.files.get(file).and_then(|s| s.file.lines.get(l)) else {
                continue;
            };
            read.line(&mut walk, line, file, texts);
        }
        read.follow_patterns(&walk.patterns, live);
        read.note_alias_starts(&walk.aliases_started);
        read.drop_repeated_stanzas();
        read.skipped = (0..read.groups.len())
            .map(|g| read.foreign(g).or_else(|| read.mapped(g, &walk.mappings)))
            .collect();
        read.note_mapped_starts(&walk.mappings);
        read
    }

    /// Nothing read yet, sized for `lines` lines: at most one interface, and one start
    /// word, per line.
    fn empty(lines: usize) -> Self {
        Read {
            groups: Vec::new(),
            by_name: HashMap::with_capacity(lines),
            onboot: HashSet::with_capacity(lines),
            hotplug: HashSet::new(),
            kinds: Vec::new(),
            members: Vec::new(),
            claims: HashMap::new(),
            skipped: Vec::new(),
            visited: RefCell::new(Vec::new()),
            bases: Vec::new(),
            pending: Vec::new(),
            templates: Vec::new(),
            links: HashMap::new(),
        }
    }

    /// One line of the walk: a stanza opens, an option joins the open stanza (or mapping),
    /// a start line or a mapping is recorded; anything else closes what was open.
    fn line(&mut self, walk: &mut Walk<'g>, line: &'g Line, file: usize, texts: &[&str]) {
        match &line.kind {
            LineKind::Iface {
                name,
                family,
                method,
            } => walk.current = self.stanza(name, family, method, file),
            LineKind::Option {
                key,
                value: Some(word),
            } => match walk.current {
                Some(stanza) => self.option(stanza, line, key, word, file, texts),
                None => walk.mapping_option(key, word),
            },
            LineKind::Allow { class, names } => {
                walk.current = None;
                walk.mapping_open = false;
                self.start_line(walk, class, names, file);
            }
            LineKind::Mapping { patterns } => {
                walk.current = None;
                walk.mapping_open = true;
                walk.mappings.push(Mapping::new(patterns, line, file));
            }
            _ => {
                walk.current = None;
                walk.mapping_open = false;
            }
        }
    }

    /// An `iface` line opens a stanza in its device's group (an alias's is its base
    /// device's); where it sits, or `None` for the loopback, which is not the model's.
    fn stanza(
        &mut self,
        name: &'g Word,
        family: &'g Word,
        method: &'g Word,
        file: usize,
    ) -> Option<(usize, usize)> {
        let base = name.text.split(':').next().unwrap_or_default();
        if base == "lo" || method.text == "loopback" {
            return None;
        }
        let next = self.groups.len();
        let g = *self.by_name.entry(base).or_insert(next);
        if g == next {
            self.groups.push(Vec::new());
            self.bases.push(base);
        }
        self.groups[g].push(Stanza {
            name,
            family,
            method,
            file,
            opts: Vec::new(),
        });
        Some((g, self.groups[g].len() - 1))
    }

    /// An option line of stanza `s` of group `g`, with whether it is one physical line (a
    /// column inside its value is exact only then).
    fn option(
        &mut self,
        (g, s): (usize, usize),
        line: &Line,
        key: &'g Word,
        word: &'g Word,
        file: usize,
        texts: &[&str],
    ) {
        // One physical line: no newline before the one that ends it.
        let end = line.span.end.saturating_sub(1);
        let bytes = texts
            .get(file)
            .and_then(|t| t.as_bytes().get(line.span.start..end));
        let flat = !bytes.unwrap_or_default().contains(&b'\n');
        // Most keys are already normal: copy only those that are not.
        let normal = match key.text.contains('_') {
            true => Cow::Owned(normal_key(&key.text)),
            false => Cow::Borrowed(key.text.as_str()),
        };
        self.groups[g][s].opts.push(Opt {
            key: normal,
            written: key,
            val: Val { word, file, flat },
            used: Cell::new(false),
        });
    }

    /// An `auto` or `allow-hotplug` line: its names start now, its patterns (`/GLOB`,
    /// `mac/MAC`) once every stanza is known, and its aliases are noted.
    fn start_line(&mut self, walk: &mut Walk<'g>, class: &'g str, names: &'g [Word], file: usize) {
        let set = match class {
            "auto" => &mut self.onboot,
            "hotplug" => &mut self.hotplug,
            _ => return,
        };
        for n in names {
            if n.text.contains('/') {
                walk.patterns.push((class, n, file));
            } else {
                if n.text.contains(':') {
                    walk.aliases_started.push((class, n, file));
                }
                set.insert(n.text.as_str());
            }
        }
    }

    /// An identical repeated stanza counts once, as ifupdown runs it once. Hashed, so that
    /// 10,000 stanzas of one interface are not compared pairwise.
    fn drop_repeated_stanzas(&mut self) {
        for stanzas in self.groups.iter_mut().filter(|s| s.len() > 1) {
            let first: Vec<bool> = {
                let mut seen = HashSet::with_capacity(stanzas.len());
                stanzas.iter().map(|s| seen.insert(s.signature())).collect()
            };
            let mut i = 0;
            stanzas.retain(|_| {
                i += 1;
                first[i - 1]
            });
        }
    }

    /// Why group `g` is not read as a device of its own name: a logical interface a
    /// mapping maps devices to, or a device a mapping maps to a logical interface. Either
    /// way ifup picks the stanza by running the mapping's script, which netloom does not run.
    fn mapped(&self, g: usize, mappings: &[Mapping<'g>]) -> Option<(At, String)> {
        let name = self.name(g);
        let first = self.first(g)?;
        let at = first.at(first.name);
        if let Some((_, pattern)) = self.templates.iter().find(|(l, _)| *l == name) {
            let why = format!(
                "a logical interface the pattern '{pattern}' starts devices as, a template \
                 interface XML has no place for"
            );
            return Some((at, why));
        }
        for m in mappings {
            let script = m.script.unwrap_or("its script");
            if m.logical.contains(&name) {
                let why = format!(
                    "a logical interface of the mapping at line {} (ifup maps a device to it by \
                     running {script}, which netloom does not run)",
                    m.at.pos.line
                );
                return Some((at, why));
            }
            if m.patterns.iter().any(|p| include::glob(&p.text, name)) {
                let why = format!(
                    "a device the mapping at line {} maps (ifup picks its stanza by running \
                     {script}, which netloom does not run)",
                    m.at.pos.line
                );
                return Some((at, why));
            }
        }
        None
    }

    /// Notes for the names an `auto` or `allow-` line starts that have no stanza and that a
    /// mapping maps: ifup brings them up as whatever the mapping's script prints.
    fn note_mapped_starts(&mut self, mappings: &[Mapping<'g>]) {
        let started: Vec<&'g str> = self.onboot.iter().chain(&self.hotplug).copied().collect();
        let mut notes = Vec::new();
        for name in started {
            if self.by_name.contains_key(name) {
                continue;
            }
            if let Some(m) = mappings
                .iter()
                .find(|m| m.patterns.iter().any(|p| include::glob(&p.text, name)))
            {
                let script = m.script.unwrap_or("its script");
                let why = format!(
                    "'{name}' is brought up through this mapping, as whatever logical interface \
                     {script} prints; netloom does not run it, so '{name}' is not imported"
                );
                notes.push((m.at, NoteKind::Skipped, why));
            }
        }
        notes.sort_by_key(|(at, _, why)| (at.file, at.pos, why.clone()));
        notes.dedup_by(|a, b| a.2 == b.2);
        self.pending.extend(notes);
    }

    /// The devices `auto` and `allow-` patterns start, as ifupdown expands them when ifup
    /// runs: `/GLOB` against the names of the stanzas (a root is not the running kernel, so
    /// each stanza stands for the device it names), `mac/MAC` against the devices under
    /// `sys/class/net`. A pattern with `=LOGICAL`, a count, or another variable is not
    /// followed, and a note says so.
    fn follow_patterns(
        &mut self,
        patterns: &[(&'g str, &'g Word, usize)],
        live: &HashMap<&str, &str>,
    ) {
        for &(class, word, file) in patterns {
            let at = At {
                file,
                pos: word.pos,
            };
            let text = word.text.as_str();
            match self.pattern_matches(text, live) {
                Ok(matched) => self.start_matched(class, text, at, &matched),
                Err(why) => self.pending.push((
                    at,
                    NoteKind::NotImported,
                    format!("the pattern '{text}' is not followed: {why}"),
                )),
            }
        }
    }

    /// The stanzas' devices the pattern `text` matches, or why it is not followed (and a
    /// pattern with `=LOGICAL` kept as a template, whose stanzas are then skipped).
    fn pattern_matches(
        &mut self,
        text: &'g str,
        live: &HashMap<&str, &str>,
    ) -> Result<Vec<&'g str>, String> {
        let (pattern, logical) = match text.split_once('=') {
            Some((p, l)) => (p, Some(l)),
            None => (text, None),
        };
        let (variable, rest) = pattern.split_once('/').unwrap_or(("", pattern));
        let (value, options) = rest.split_once('/').unwrap_or((rest, ""));
        if let Some(logical) = logical {
            self.templates.push((logical, text));
            return Err(
                "it starts devices as the logical interface after '=', a template \
                        interface XML has no place for"
                    .to_owned(),
            );
        }
        if !options.is_empty() {
            return Err(
                "it picks the n-th matching device in the kernel's order, which a \
                        root does not have"
                    .to_owned(),
            );
        }
        match variable {
            "" => Ok((self.bases.iter().copied())
                .filter(|b| include::glob(value, b))
                .collect()),
            "mac" => {
                let wanted = value.to_ascii_lowercase();
                let devices: Vec<&str> = live
                    .iter()
                    .filter(|(_, mac)| include::glob(&wanted, &mac.to_ascii_lowercase()))
                    .map(|(dev, _)| *dev)
                    .collect();
                Ok((self.bases.iter().copied())
                    .filter(|b| devices.contains(b))
                    .collect())
            }
            other => Err(format!(
                "it matches sys/class/net/DEVICE/{other}, which netloom does not read"
            )),
        }
    }

    /// Starts the devices a followed pattern matched, and notes which they are.
    fn start_matched(&mut self, class: &str, text: &str, at: At, matched: &[&'g str]) {
        let set = match class {
            "auto" => &mut self.onboot,
            "hotplug" => &mut self.hotplug,
            _ => return,
        };
        set.extend(matched.iter().copied());
        let shown = match matched {
            [] => "no stanza here".to_owned(),
            names => names.join(", "),
        };
        let message = format!(
            "'{text}' starts {shown}: the stanzas whose devices it matches (ifupdown matches \
             the devices the kernel knows when ifup runs)"
        );
        self.pending.push((at, NoteKind::Derived, message));
    }

    /// Notes for an alias started by `auto` or `allow-` when its device is not: netloom reads
    /// one start mode per device.
    fn note_alias_starts(&mut self, aliases: &[(&'g str, &'g Word, usize)]) {
        for &(class, word, file) in aliases {
            let base = word.text.split(':').next().unwrap_or_default();
            let set = if class == "auto" {
                &self.onboot
            } else {
                &self.hotplug
            };
            if !set.contains(base) {
                let at = At {
                    file,
                    pos: word.pos,
                };
                let message = format!(
                    "'{}' is kept in the file but not imported: netloom reads one start mode for \
                     '{base}' and its aliases, and '{base}' is not on an {class} line",
                    word.text
                );
                self.pending.push((at, NoteKind::NotImported, message));
            }
        }
    }

    /// Why group `g` is of a kind the model does not hold, and where that is said: a PPP link,
    /// a tunnel, a CAN or IPX interface (by its method or family), or Wi-Fi (by its `wpa-*`
    /// or `wireless-*` options).
    fn foreign(&self, g: usize) -> Option<(At, String)> {
        for s in self.stanzas(g) {
            let (family, method) = (s.family.text.as_str(), s.method.text.as_str());
            let what = match (family, method) {
                ("can", _) => Some("a CAN bus interface"),
                ("ipx", _) => Some("an IPX interface"),
                ("inet", "ppp" | "wvdial") => Some("a PPP link"),
                ("inet", "tunnel") | ("inet6", "tunnel" | "v4tunnel" | "6to4") => {
                    Some("an IP tunnel")
                }
                _ => None,
            };
            if let Some(what) = what {
                let at = s.at(if family == "inet" || family == "inet6" {
                    s.method
                } else {
                    s.family
                });
                let why = format!("{what} ({family} {method}), which interface XML does not hold");
                return Some((at, why));
            }
            if let Some(o) = s
                .opts
                .iter()
                .find(|o| o.key.starts_with("wpa-") || o.key.starts_with("wireless-"))
            {
                let why = format!(
                    "a Wi-Fi interface ({}), which interface XML does not hold",
                    o.written.text
                );
                return Some((s.at(o.written), why));
            }
        }
        None
    }

    /// Notes for the options of every stanza read that the model has no place for. A link
    /// option repeated with the same value is read with the first.
    fn unread_options(&self, p: &mut Problems) {
        let visited = self.visited.borrow();
        let mut seen = HashSet::with_capacity(visited.len());
        for &g in visited.iter() {
            if !seen.insert(g) {
                continue;
            }
            let read: HashSet<(&str, &str)> = (self.stanzas(g).flat_map(|t| &t.opts))
                .filter(|o| o.used.get() && link_key(&o.key))
                .map(|o| (o.key.as_ref(), o.val.text()))
                .collect();
            for s in self.stanzas(g) {
                for o in &s.opts {
                    let repeated = read.contains(&(o.key.as_ref(), o.val.text()));
                    if o.used.get() || repeated {
                        continue;
                    }
                    let message =
                        format!("{} is kept in the file but not imported", o.written.text);
                    p.note(s.at(o.written), NoteKind::NotImported, message);
                }
            }
        }
    }

    fn name(&self, g: usize) -> &'g str {
        self.bases.get(g).copied().unwrap_or_default()
    }

    fn first(&self, g: usize) -> Option<&Stanza<'g>> {
        self.groups.get(g).and_then(|s| s.first())
    }

    fn stanzas(&self, g: usize) -> impl Iterator<Item = &Stanza<'g>> {
        self.groups.get(g).into_iter().flatten()
    }

    /// The value of a link option, from whichever stanza of the interface has it.
    fn link(&self, g: usize, key: &str) -> Option<Val<'g>> {
        self.stanzas(g).find_map(|s| s.opt(key))
    }

    /// Judges every interface's kind and records its ports or slaves, refusing a device
    /// claimed twice or by a master it cannot belong to.
    fn members(&mut self, p: &mut Problems) {
        let mut referrers: HashMap<&str, Vec<(usize, Val)>> = HashMap::new();
        for g in 0..self.groups.len() {
            if let Some(v) = self.link(g, "bond-master") {
                match self.by_name.contains_key(v.text()) {
                    true => referrers.entry(v.text()).or_default().push((g, v)),
                    false => p.at(
                        v.at(),
                        format!("bond-master '{}' has no iface stanza", v.text()),
                    ),
                }
            }
        }
        self.kinds = (0..self.groups.len())
            .map(|g| {
                let keys = ["bond-slaves", "slaves", "bond-mode"];
                if keys.iter().any(|k| self.link(g, k).is_some())
                    || referrers.contains_key(self.name(g))
                {
                    Kind::Bond
                } else if self.link(g, "bridge-ports").is_some() {
                    Kind::Bridge
                } else if self.link(g, "vlan-raw-device").is_some() || self.name(g).contains('.') {
                    Kind::Vlan
                } else {
                    Kind::Ethernet
                }
            })
            .collect();
        self.members = (0..self.groups.len()).map(|_| Vec::new()).collect();
        for g in 0..self.groups.len() {
            let key = match self.kinds[g] {
                Kind::Bridge => "bridge-ports",
                Kind::Bond if self.link(g, "bond-slaves").is_none() => "slaves",
                Kind::Bond => "bond-slaves",
                Kind::Ethernet | Kind::Vlan => continue,
            };
            let list = self.link(g, key).filter(|v| v.text() != "none");
            for (word, at) in list.into_iter().flat_map(Val::words) {
                if matches!(word, "all" | "none" | "regex" | "noregex") {
                    let why = "names devices by pattern; interface XML lists each by name";
                    p.at(at, format!("'{word}' in {key} {why}"));
                } else {
                    self.claim(g, word, at, key, p);
                }
            }
            for &(h, v) in referrers.get(self.name(g)).into_iter().flatten() {
                let slave = self.name(h);
                // Already listed by this bond: a claim, found by name rather than by a scan
                // of the bond's members.
                let listed = self.claims.get(slave).map(|c| c.0);
                if listed != Some(g) {
                    self.claim(g, slave, v.at(), "bond-master", p);
                }
            }
        }
    }

    fn claim(&mut self, g: usize, word: &'g str, at: At, key: &str, p: &mut Problems) {
        let master = self.name(g);
        let role = if self.kinds[g] == Kind::Bond {
            "slave"
        } else {
            "port"
        };
        if word == master {
            return p.at(at, format!("'{word}' cannot be a {role} of itself"));
        }
        let Some(name) = p.parse_at(word, at, key, IfaceName::parse) else {
            return;
        };
        if let Some(&(first, first_at)) = self.claims.get(word) {
            let note = Some(format!("first listed at {}", p.location(first_at)));
            let message = if first == g {
                format!("'{word}' is listed twice in '{master}'")
            } else {
                let other = self.name(first);
                format!(
                    "'{word}' is claimed by two masters, '{other}' and '{master}'; a port or \
                     slave belongs to one master"
                )
            };
            return p.add(at, message, note);
        }
        let group = self.by_name.get(word).copied();
        let kind = group.map_or(Kind::Ethernet, |h| self.kinds[h]);
        match (self.kinds[g], kind) {
            (Kind::Bridge, Kind::Bridge) => {
                p.at(
                    at,
                    format!("bridge '{word}' cannot be a port of bridge '{master}'"),
                );
            }
            (Kind::Bond, Kind::Bond | Kind::Bridge | Kind::Vlan) => {
                let kind = format!("{kind:?}").to_ascii_lowercase();
                p.at(
                    at,
                    format!("a bond slave must be an ethernet device; '{word}' is a {kind}"),
                );
            }
            _ => {
                self.claims.insert(word, (g, at));
                self.members[g].push(Member { name, at, group });
            }
        }
    }
}

#[cfg(test)]
mod tests;
