//! Fitting netloom's files into the user's: taking the definitions of the interfaces netloom
//! manages out of every file ifupdown reads, keeping every other byte, and making sure
//! ifupdown reads netloom's own files.

use std::collections::{BTreeMap, BTreeSet};

use crate::backend::{BackendError, Removal, RenderedFile};
use crate::error::{Diagnostic, Diagnostics};
use crate::source::SourceFile;
use crate::syntax::interfaces::{File, LineKind};

use super::include::{self, Graph, Unreadable};
use super::{DIR, MAIN};

/// The start of a new main file, Debian's own.
const NEW_MAIN: &str = "# This file describes the network interfaces available on your system\n\
# and how to activate them. For more information, see interfaces(5).\n\n";

/// What a new main file reads when `interfaces.d` holds only netloom's files: Debian's
/// default. With user files there, which nothing read before, it names netloom's files one
/// by one instead, so as not to switch those on.
const SOURCE_ALL: &str = "source /etc/network/interfaces.d/*\n";

/// The existing files (relative path to text), netloom's rendered files and which of the
/// existing ones are netloom's: everything [`plan`] needs.
pub(super) struct Inputs<'a> {
    /// What is on disk now.
    pub(super) existing: &'a BTreeMap<String, String>,
    /// Files that matched the scan but are not UTF-8.
    pub(super) binary: &'a Unreadable,
    /// netloom's files for the declaration: `interfaces.d/NAME` to text.
    pub(super) own: Vec<RenderedFile>,
    /// Existing files netloom wrote (by their header).
    pub(super) owned: BTreeSet<String>,
    /// Every interface name the declaration defines, ports and slaves included.
    pub(super) managed: BTreeSet<String>,
}

/// The files to write for a declaration: netloom's own, and the user's files ifupdown reads
/// with the managed interfaces taken out and, where needed, a `source` line added.
pub(super) fn plan(inputs: Inputs<'_>) -> Result<Vec<RenderedFile>, BackendError> {
    let rendered: BTreeSet<&str> = inputs.own.iter().map(|f| f.path.as_str()).collect();
    // Netloom's files that the declaration no longer has: the engine deletes them.
    let stale: BTreeSet<String> = (inputs.owned.iter())
        .filter(|p| !rendered.contains(p.as_str()))
        .cloned()
        .collect();
    let mut planned: BTreeMap<String, String> = (inputs.existing.iter())
        .filter(|(p, _)| !stale.contains(*p))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    place_own(&inputs, &mut planned)?;
    if let Some(main) = new_main(&inputs, &rendered) {
        planned.insert(MAIN.to_owned(), main);
    }
    let mut appended: BTreeSet<String> = BTreeSet::new();
    // Stripping can only remove lines and a `source` line is added once per file, so this
    // settles in a few rounds; the bound is a guard, not a expectation.
    for round in 0..8 {
        let graph = include::read_except(&planned, inputs.binary, &|p| rendered.contains(p))?;
        if round == 0 {
            check_conflicts(&graph, &planned, &inputs.managed)?;
        }
        let stripped = strip_all(&graph, &mut planned, &inputs.managed, &stale);
        let sourced = source_unread(&graph, &rendered, &mut planned, &mut appended)?;
        if !stripped && !sourced {
            return Ok(changed_files(inputs.existing, planned, &rendered));
        }
    }
    Err(BackendError::Invalid(Diagnostics(vec![Diagnostic::new(
        MAIN,
        None,
        "the files ifupdown reads do not settle after netloom's changes; please report this",
    )])))
}

/// Puts netloom's own files in the plan, refusing where one would replace a file of the
/// user's that cannot be read, or that defines more than the interface netloom now manages.
fn place_own(
    inputs: &Inputs<'_>,
    planned: &mut BTreeMap<String, String>,
) -> Result<(), BackendError> {
    let mut problems = Vec::new();
    for f in &inputs.own {
        if let Some(problem) = inputs.binary.get(&f.path) {
            problems.push(problem.clone().with_note(
                "netloom writes this file for the interface it is named after, and this one \
                 is the user's and cannot be read; move it elsewhere",
            ));
        }
        if let Some(text) = inputs.existing.get(&f.path)
            && !inputs.owned.contains(&f.path)
        {
            // The user's own file where netloom's must go: fine when all it defines is the
            // interface netloom now manages, which stripping removes.
            check_replaceable(&f.path, text, &inputs.managed, &mut problems);
        }
        planned.insert(f.path.clone(), f.contents.clone());
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(BackendError::Invalid(Diagnostics(problems))),
    }
}

/// A main file for a root without one: Debian's, sourcing `interfaces.d/*` unless that
/// holds files of the user's that nothing read before.
fn new_main(inputs: &Inputs<'_>, rendered: &BTreeSet<&str>) -> Option<String> {
    let (existing, binary) = (inputs.existing, inputs.binary);
    if existing.contains_key(MAIN) || binary.contains_key(MAIN) {
        return None;
    }
    let strangers = existing
        .keys()
        .chain(binary.keys())
        .any(|p| p.starts_with(DIR) && !inputs.owned.contains(p) && !rendered.contains(p.as_str()));
    Some(match strangers {
        true => NEW_MAIN.to_owned(),
        false => format!("{NEW_MAIN}{SOURCE_ALL}"),
    })
}

/// Refuses, before anything is stripped, a managed interface defined in a way netloom
/// cannot take out of the user's files.
fn check_conflicts(
    graph: &Graph,
    planned: &BTreeMap<String, String>,
    managed: &BTreeSet<String>,
) -> Result<(), BackendError> {
    let mut problems = Vec::new();
    for source in &graph.files {
        if let Some(text) = planned.get(&source.path) {
            conflicts(&source.path, &source.file, text, managed, &mut problems);
        }
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(BackendError::Invalid(Diagnostics(problems))),
    }
}

/// Takes the managed interfaces (and the stale files' `source` lines) out of every file
/// ifupdown reads; whether any changed.
fn strip_all(
    graph: &Graph,
    planned: &mut BTreeMap<String, String>,
    managed: &BTreeSet<String>,
    stale: &BTreeSet<String>,
) -> bool {
    let mut changed = false;
    for source in &graph.files {
        let Some(text) = planned.get(&source.path) else {
            continue;
        };
        let new = strip(&source.file, text, managed, stale);
        if &new != text {
            planned.insert(source.path.clone(), new);
            changed = true;
        }
    }
    changed
}

/// Appends to the main file a `source` line for each of netloom's files ifupdown would not
/// read; whether any was added. A file still unread after its line is a bug, said.
fn source_unread(
    graph: &Graph,
    rendered: &BTreeSet<&str>,
    planned: &mut BTreeMap<String, String>,
    appended: &mut BTreeSet<String>,
) -> Result<bool, BackendError> {
    let unread: Vec<&str> = (rendered.iter().copied())
        .filter(|p| !graph.reads(p))
        .collect();
    if unread.is_empty() {
        return Ok(false);
    }
    let main = planned.entry(MAIN.to_owned()).or_default();
    if !main.is_empty() && !main.ends_with('\n') {
        main.push('\n');
    }
    // A last line ending in a backslash would swallow the first line appended: an
    // empty line ends it without changing what it says.
    if main.strip_suffix('\n').is_some_and(|m| m.ends_with('\\')) {
        main.push('\n');
    }
    for path in unread {
        if !appended.insert(path.to_owned()) {
            return Err(BackendError::Invalid(Diagnostics(vec![Diagnostic::new(
                MAIN,
                None,
                format!(
                    "ifupdown would still not read /{path} after netloom added a \
                     source line for it; please report this"
                ),
            )])));
        }
        main.push_str(&format!("source /{path}\n"));
    }
    Ok(true)
}

/// The files that differ from what exists, netloom's own always included.
fn changed_files(
    existing: &BTreeMap<String, String>,
    planned: BTreeMap<String, String>,
    own: &BTreeSet<&str>,
) -> Vec<RenderedFile> {
    planned
        .into_iter()
        .filter(|(p, t)| own.contains(p.as_str()) || existing.get(p) != Some(t))
        .map(|(path, contents)| RenderedFile {
            path,
            contents,
            mode: 0o644,
        })
        .collect()
}

/// The `.link` files of a declaration (see [`super::render::link_files`]), which ifupdown
/// does not read; refused where a file of the user's has the path.
pub(super) fn links(
    host: &crate::model::Host,
    existing: &BTreeMap<String, String>,
    owned: &BTreeSet<String>,
) -> Result<Vec<RenderedFile>, BackendError> {
    let mut files: Vec<RenderedFile> = Vec::new();
    for iface in &host.interfaces {
        files.extend(super::render::link_files(iface)?);
    }
    let problems: Vec<Diagnostic> = (files.iter())
        .filter(|f| existing.contains_key(&f.path) && !owned.contains(&f.path))
        .map(|f| {
            // At its first line, where netloom's header would be.
            Diagnostic::new(
                &f.path,
                Some(crate::error::Position { line: 1, col: 1 }),
                "this .link file is not netloom's (its first line is not netloom's header), \
                 and netloom writes one here to name a bond slave by its MAC; move it elsewhere",
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(BackendError::Invalid(Diagnostics(problems)))
    }
}

/// What removing the interfaces `names` changes: netloom's files for `tops` are deleted
/// and the user's files no longer define any of `names`.
pub(super) fn remove(
    existing: &BTreeMap<String, String>,
    binary: &Unreadable,
    owned: &BTreeSet<String>,
    tops: &[String],
    names: &BTreeSet<String>,
) -> Result<Removal, BackendError> {
    // Its file, and the .link files of its slaves.
    let removed: BTreeSet<String> = (tops.iter())
        .map(|t| format!("{DIR}/{t}"))
        .chain(names.iter().map(|n| super::render::link_path(n)))
        .filter(|p| owned.contains(p))
        .collect();
    let graph: Graph = include::read(existing, binary)?;
    let mut files = Vec::new();
    for source in &graph.files {
        if owned.contains(&source.path) {
            continue;
        }
        let Some(text) = existing.get(&source.path) else {
            continue;
        };
        let new = strip(&source.file, text, names, &removed);
        if &new != text {
            files.push(RenderedFile {
                path: source.path.clone(),
                contents: new,
                mode: 0o644,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Removal {
        files,
        removed: removed.into_iter().collect(),
    })
}

/// A user file at the path netloom writes must define nothing but managed interfaces.
fn check_replaceable(
    path: &str,
    text: &str,
    managed: &BTreeSet<String>,
    problems: &mut Vec<Diagnostic>,
) {
    let file = match crate::syntax::interfaces::parse(path, text) {
        Ok(f) => f,
        Err(Diagnostics(d)) => {
            problems.extend(d);
            return;
        }
    };
    let kept = strip(&file, text, managed, &BTreeSet::new());
    let Ok(rest) = crate::syntax::interfaces::parse(path, &kept) else {
        return;
    };
    if let Some(line) = rest.lines.iter().find(|l| l.kind != LineKind::Blank) {
        let col = line.indent.chars().count() as u32 + 1;
        let pos = crate::error::Position {
            line: line.number,
            col,
        };
        problems.push(SourceFile::new(path, kept.as_str()).diagnostic_at(
            pos,
            "netloom writes this file for the interface it is named after, and it holds \
             more than that interface's definition (other interfaces or comments), which \
             would be lost; move them to another file",
        ));
    }
}

/// `text` without the definitions of `names` (their `iface` stanzas, their words on `auto`
/// and `allow-*` lines) and without `source` lines naming exactly one of the `gone` files.
/// Every other byte is kept.
pub(super) fn strip(
    file: &File,
    text: &str,
    names: &BTreeSet<String>,
    gone: &BTreeSet<String>,
) -> String {
    // An alias (`eth1:1`) goes with its device.
    let defines = |word: &str| {
        names.contains(word)
            || word
                .split_once(':')
                .is_some_and(|(base, _)| names.contains(base))
    };
    let mut drop = vec![false; file.lines.len()];
    for stanza in &file.stanzas {
        if let LineKind::Iface { name, .. } = &file.lines[stanza.header].kind
            && defines(&name.text)
        {
            for d in &mut drop[stanza.header..stanza.end] {
                *d = true;
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in file.lines.iter().enumerate() {
        let raw = &text[line.span.clone()];
        if drop[i] {
            continue;
        }
        match &line.kind {
            LineKind::Allow {
                class,
                names: words,
            } if words.iter().any(|w| defines(&w.text)) => {
                let kept: Vec<&str> = words
                    .iter()
                    .map(|w| w.text.as_str())
                    .filter(|w| !defines(w))
                    .collect();
                if !kept.is_empty() {
                    // From the class, not the text: a continuation may split the keyword.
                    out.push_str(&line.indent);
                    if class == "auto" {
                        out.push_str("auto");
                    } else {
                        out.push_str("allow-");
                        out.push_str(class);
                    }
                    for w in kept {
                        out.push(' ');
                        out.push_str(w);
                    }
                    out.push_str(terminator(raw));
                }
            }
            LineKind::Source { path }
                if path
                    .text
                    .strip_prefix('/')
                    .is_some_and(|p| gone.contains(p)) => {}
            _ => out.push_str(raw),
        }
    }
    out
}

/// Lines that would change which stanza configures a managed interface, or stop its hooks:
/// a `mapping` whose pattern matches it, a `rename` of it or to it, `no-scripts` for it.
/// netloom cannot take those out without changing what the user meant for other
/// interfaces, so it refuses at the line.
fn conflicts(
    path: &str,
    file: &File,
    text: &str,
    managed: &BTreeSet<String>,
    problems: &mut Vec<Diagnostic>,
) {
    let source = std::cell::OnceCell::new();
    let mut report = |word: &crate::syntax::interfaces::Word, what: String| {
        let source = source.get_or_init(|| SourceFile::new(path, text));
        problems.push(source.diagnostic_at(word.pos, what));
    };
    for line in &file.lines {
        match &line.kind {
            LineKind::Mapping { patterns } => {
                for p in patterns {
                    // A plain name is looked up; only a pattern is matched against every
                    // managed name.
                    let plain = !p.text.contains(['*', '?', '[']);
                    let name = match plain {
                        true => managed.get(&p.text),
                        false => managed.iter().find(|n| include::glob(&p.text, n)),
                    };
                    if let Some(name) = name {
                        report(
                            p,
                            format!(
                                "this mapping decides which stanza configures '{name}', which \
                                 netloom now manages, so netloom's own would not be used; \
                                 remove the mapping or leave '{name}' out of the declaration"
                            ),
                        );
                    }
                }
            }
            LineKind::Rename { pairs } => {
                for p in pairs {
                    let hit = p.text.split('=').find(|side| managed.contains(*side));
                    if let Some(name) = hit {
                        report(
                            p,
                            format!(
                                "this renames to or from '{name}', which netloom now manages; \
                                 name the interface in the declaration as the system will \
                                 call it and remove the rename"
                            ),
                        );
                    }
                }
            }
            LineKind::NoScripts { names } => {
                for n in names.iter().filter(|n| managed.contains(&n.text)) {
                    report(
                        n,
                        format!(
                            "no-scripts stops the bridge, bond and vlan hooks for '{}', which \
                             netloom now manages and which need them; remove it from this line",
                            n.text
                        ),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The line terminator for a line netloom rewrites in place of `raw`: `\n` where `raw` had
/// one (netloom never writes a `\r`, and ifupdown reads `\r\n` and `\n` alike), nothing
/// where `raw` ended the file without one.
fn terminator(raw: &str) -> &'static str {
    if raw.ends_with('\n') { "\n" } else { "" }
}

#[cfg(test)]
mod tests;
