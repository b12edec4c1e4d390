//! Fitting netloom's files into the user's: taking the definitions of the interfaces netloom
//! manages out of every file ifupdown reads, keeping every other byte, and making sure
//! ifupdown reads netloom's own files.

use std::collections::{BTreeMap, BTreeSet};

use crate::backend::{BackendError, Removal, RenderedFile};
use crate::error::{Diagnostic, Diagnostics};
use crate::source::SourceFile;
use crate::syntax::interfaces::{File, LineKind};

use super::include::{self, Graph};
use super::{DIR, MAIN};

/// A new main file: Debian's own default, so every file under `interfaces.d` is read.
const NEW_MAIN: &str = "# This file describes the network interfaces available on your system\n\
# and how to activate them. For more information, see interfaces(5).\n\
\n\
source /etc/network/interfaces.d/*\n";

/// The existing files (relative path to text), netloom's rendered files and which of the
/// existing ones are netloom's: everything [`plan`] needs.
pub(super) struct Inputs<'a> {
    /// What is on disk now.
    pub(super) existing: &'a BTreeMap<String, String>,
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
    let Inputs {
        existing,
        own,
        owned,
        managed,
    } = inputs;
    let rendered: BTreeSet<&str> = own.iter().map(|f| f.path.as_str()).collect();
    // Netloom's files that the declaration no longer has: the engine deletes them.
    let stale: BTreeSet<String> = owned
        .iter()
        .filter(|p| !rendered.contains(p.as_str()))
        .cloned()
        .collect();
    let mut planned: BTreeMap<String, String> = existing
        .iter()
        .filter(|(p, _)| !stale.contains(*p))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    let mut problems = Vec::new();
    for f in &own {
        if let Some(text) = existing.get(&f.path)
            && !owned.contains(&f.path)
        {
            // The user's own file where netloom's must go: fine when all it defines is the
            // interface netloom now manages, which stripping below removes.
            check_replaceable(&f.path, text, &managed, &mut problems);
        }
        planned.insert(f.path.clone(), f.contents.clone());
    }
    if !problems.is_empty() {
        return Err(BackendError::Invalid(Diagnostics(problems)));
    }
    if !existing.contains_key(MAIN) {
        planned.insert(MAIN.to_owned(), NEW_MAIN.to_owned());
    }
    // Stripping can only remove lines and a `source` line is added once per file, so this
    // settles in a few rounds; the bound is a guard, not a expectation.
    for _ in 0..8 {
        let graph = include::read_except(&planned, &|p| rendered.contains(p))?;
        let mut changed = false;
        for source in &graph.files {
            let Some(text) = planned.get(&source.path) else {
                continue;
            };
            let new = strip(&source.file, text, &managed, &stale);
            if &new != text {
                planned.insert(source.path.clone(), new);
                changed = true;
            }
        }
        let unread: Vec<&str> = rendered
            .iter()
            .copied()
            .filter(|p| !graph.reads(p))
            .collect();
        if !unread.is_empty() {
            let main = planned.entry(MAIN.to_owned()).or_default();
            if !main.is_empty() && !main.ends_with('\n') {
                main.push('\n');
            }
            for path in unread {
                main.push_str(&format!("source /{path}\n"));
            }
            changed = true;
        }
        if !changed {
            return Ok(changed_files(existing, planned, &rendered));
        }
    }
    Err(BackendError::Invalid(Diagnostics(vec![Diagnostic::new(
        MAIN,
        None,
        "the files ifupdown reads do not settle after netloom's changes; please report this",
    )])))
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

/// What removing the interfaces `names` changes: netloom's files for `tops` are deleted
/// and the user's files no longer define any of `names`.
pub(super) fn remove(
    existing: &BTreeMap<String, String>,
    owned: &BTreeSet<String>,
    tops: &[String],
    names: &BTreeSet<String>,
) -> Result<Removal, BackendError> {
    let removed: BTreeSet<String> = tops
        .iter()
        .map(|t| format!("{DIR}/{t}"))
        .filter(|p| owned.contains(p))
        .collect();
    let graph: Graph = include::read(existing)?;
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
    if let Some(line) = rest
        .lines
        .iter()
        .find(|l| !matches!(l.kind, LineKind::Blank | LineKind::Comment))
    {
        let col = line.indent.chars().count() as u32 + 1;
        let pos = crate::error::Position {
            line: line.number,
            col,
        };
        problems.push(SourceFile::new(path, kept.as_str()).diagnostic_at(
            pos,
            "netloom writes this file for the interface it is named after, and it holds \
                 other definitions too; move them to another file",
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
    let mut drop = vec![false; file.lines.len()];
    for stanza in &file.stanzas {
        if let LineKind::Iface { name, .. } = &file.lines[stanza.header].kind
            && names.contains(&name.text)
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
            LineKind::Allow { names: words, .. }
                if words.iter().any(|w| names.contains(&w.text)) =>
            {
                let kept: Vec<&str> = words
                    .iter()
                    .map(|w| w.text.as_str())
                    .filter(|w| !names.contains(*w))
                    .collect();
                if !kept.is_empty() {
                    let keyword = raw
                        .trim_start()
                        .split_ascii_whitespace()
                        .next()
                        .unwrap_or("auto");
                    out.push_str(&line.indent);
                    out.push_str(keyword);
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

/// The line terminator a raw line ends with.
fn terminator(raw: &str) -> &'static str {
    if raw.ends_with("\r\n") {
        "\r\n"
    } else if raw.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}
