//! The native readers: shell `KEY=value` (ifcfg), interfaces(5) (Debian) and INI keyfiles
//! (NetworkManager), alone on arbitrary text, and every host backend's import and merge on
//! its own roots damaged line by line. None panics; every problem is positioned inside the
//! file it is about; an unmodified parse prints back byte for byte, as each reader claims.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use netloom::Diagnostics;
use netloom::backend::{Backend, BackendError, Snapshot};
use netloom::backends::nm::keyfile;
use netloom::model::Host;
use netloom::syntax::{ini, interfaces, shell::ShellFile};
use proptest::prelude::*;

use super::grammar::LineMutator;
use super::inputs::{Root, roots};
use super::{Choices, config, misplaced, positioned};

/// How a file of a root is read on its own, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Shell,
    Interfaces,
    Keyfile,
    Xml,
    Other,
}

pub fn format_of(path: &str) -> Format {
    let base = path.rsplit('/').next().unwrap_or(path);
    if base.starts_with("ifcfg-") {
        Format::Shell
    } else if path.contains("etc/network/") {
        Format::Interfaces
    } else if base.ends_with(".nmconnection") {
        Format::Keyfile
    } else if base.ends_with(".xml") {
        Format::Xml
    } else {
        Format::Other
    }
}

/// The failures of the syntax reader of `format` on `text`: a refusal must point inside the
/// text, and an accepted text must print back unchanged.
pub fn syntax(format: Format, name: &str, text: &str) -> Vec<String> {
    let input = [(name, positioned(text))];
    let mut out = Vec::new();
    match format {
        Format::Shell => match ShellFile::parse(text) {
            Ok(f) if f.to_string() != text => out.push(format!("{name}: prints back changed")),
            Ok(_) => {}
            Err(e) if e.offset > text.len() || !text.is_char_boundary(e.offset) => {
                out.push(format!(
                    "{name}: offset {} is not in the text: {e}",
                    e.offset
                ));
            }
            Err(_) => {}
        },
        Format::Interfaces => match interfaces::parse(name, text) {
            Ok(f) if f.print(text) != text => out.push(format!("{name}: prints back changed")),
            Ok(_) => {}
            Err(d) => out.extend(misplaced(&d, &input)),
        },
        Format::Keyfile => {
            match ini::parse(name, text) {
                Ok(f) if f.print(text) != text => {
                    out.push(format!("{name}: prints back changed"));
                }
                Ok(_) => {}
                Err(d) => out.extend(misplaced(&d, &input)),
            }
            if let Err(d) = keyfile::read(name, text) {
                out.extend(misplaced(&d, &input));
            }
        }
        Format::Xml => out.extend(super::xml::read_all(&netloom::SourceFile::new(name, text))),
        Format::Other => {}
    }
    out
}

/// Problems about a requested name that nothing configures: they concern the request, not
/// a place in a file, so they come without a position. Each starts this way and names the
/// interface.
const NOT_CONFIGURED: &[&str] = &[
    "no ifcfg file configures '",
    "no iface stanza in /etc/network/interfaces or the files it sources configures '",
    "no NetworkManager profile configures '",
    "no file under etc/netloom/null configures '",
];

/// The failures of `result` (an import or render over `files`): a refusal must be positioned
/// inside one of the files, or be a name nothing configures.
fn refusal<T>(
    what: &str,
    result: Result<T, BackendError>,
    files: &BTreeMap<String, String>,
) -> Vec<String> {
    let inputs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), positioned(t)))
        .collect();
    match result {
        Ok(_) | Err(BackendError::Unsupported { .. }) => Vec::new(),
        Err(BackendError::Invalid(d)) => {
            let placed: Vec<_> =
                d.0.into_iter()
                    .filter(|d| {
                        d.position().is_some()
                            || !NOT_CONFIGURED.iter().any(|n| d.message().starts_with(n))
                    })
                    .collect();
            if placed.is_empty() {
                return Vec::new();
            }
            misplaced(&Diagnostics(placed), &inputs)
                .into_iter()
                .map(|m| format!("{what}: {m}"))
                .collect()
        }
        Err(e) => vec![format!("{what}: not a positioned refusal: {e}")],
    }
}

/// A host backend with its roots and what their lines are made of.
pub struct Subject {
    pub backend: &'static dyn Backend,
    pub roots: Vec<Root>,
    pub lines: LineMutator,
}

/// Every host backend in the registry.
pub static BACKENDS: LazyLock<Vec<Subject>> = LazyLock::new(|| {
    let all: Vec<Subject> = netloom::backends::ALL
        .iter()
        .copied()
        .map(|backend| {
            let roots = roots(backend.name());
            assert!(!roots.is_empty(), "{} has no golden roots", backend.name());
            let lines = LineMutator::learn(&roots);
            Subject {
                backend,
                roots,
                lines,
            }
        })
        .collect();
    assert!(all.len() >= 3, "fewer host backends than expected");
    all
});

/// One backend on one damaged root: import everything, import by name, render the case's
/// host onto it, and each file's syntax reader.
pub fn damaged_root(
    backend: &dyn Backend,
    root: &Root,
    files: &BTreeMap<String, String>,
) -> Vec<String> {
    let name = backend.name();
    let snap = Snapshot {
        files: files.clone(),
        ..Snapshot::default()
    };
    let mut out = refusal(&format!("{name} import"), backend.import(&snap, &[]), files);
    let names: Vec<_> = root
        .host
        .interfaces
        .iter()
        .map(|i| i.name.clone())
        .collect();
    out.extend(refusal(
        &format!("{name} import by name"),
        backend.import(&snap, &names),
        files,
    ));
    out.extend(refusal(
        &format!("{name} render onto it"),
        backend.render(&root.host, &snap),
        files,
    ));
    if let Ok(host) = backend.import(&snap, &[]) {
        // What was read is a valid host: its interface XML reads back to it.
        out.extend(crate::util::canonical(name, &netloom::xml::to_xml(&host)).err());
        if let Some(first) = host.interfaces.first() {
            let target = Host {
                interfaces: vec![first.clone()],
            };
            out.extend(refusal(
                &format!("{name} undefine"),
                backend.undefine(&snap, &target),
                files,
            ));
        }
    }
    for (path, text) in files {
        out.extend(syntax(format_of(path), path, text));
    }
    out
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn fuzz_native_syntax_takes_any_text(text in any::<String>()) {
        for (format, name) in [
            (Format::Shell, "ifcfg-x"),
            (Format::Interfaces, "interfaces"),
            (Format::Keyfile, "x.nmconnection"),
        ] {
            let failures = syntax(format, name, &text);
            prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Text made of the characters these formats give meaning to, so most of it gets past
    /// the first character.
    #[test]
    fn fuzz_native_syntax_takes_dense_text(
        text in "([A-Za-z0-9_=\"'\\\\$` ;#&|()~\\[\\]\t.:/,*-]|\r|\n|\r\n|\u{0}|\u{feff}|é){0,120}",
    ) {
        for (format, name) in [
            (Format::Shell, "ifcfg-x"),
            (Format::Interfaces, "interfaces"),
            (Format::Keyfile, "x.nmconnection"),
        ] {
            let failures = syntax(format, name, &text);
            prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
        }
    }

    /// Every host backend, one body: its golden and merge roots, damaged line by line.
    #[test]
    fn fuzz_every_backend_reads_its_damaged_roots(
        data in proptest::collection::vec(any::<u32>(), 0..64),
    ) {
        let mut c = Choices::new(&data);
        for s in BACKENDS.iter() {
            let root = c.pick(&s.roots);
            let files = s.lines.mutate(&mut c, root);
            let failures = damaged_root(s.backend, root, &files);
            prop_assert!(
                failures.is_empty(),
                "{} from {}:\n{}\n--- files ---\n{files:#?}",
                s.backend.name(), root.name, failures.join("\n")
            );
        }
    }
}

/// Every root reads as it is: the golden ones import (the properties above start from
/// inputs that work), and the merge cases' user files (some of them invalid on purpose)
/// meet the same properties as damaged ones.
#[test]
fn fuzz_every_backend_reads_its_roots_undamaged() {
    for Subject { backend, roots, .. } in BACKENDS.iter() {
        for root in roots {
            if let (true, Err(e)) = (
                root.name.starts_with("golden/"),
                backend.import(&root.snapshot(), &[]),
            ) {
                panic!("{} cannot import {}: {e}", backend.name(), root.name);
            }
            let failures = damaged_root(*backend, root, &root.files);
            assert!(
                failures.is_empty(),
                "{}: {}",
                root.name,
                failures.join("\n")
            );
        }
    }
}
