//! The conformance suite: configuration files from the projects that own each format
//! (NetworkManager's ifcfg-rh and keyfile test data, ifupdown's test cases and examples), each
//! imported into a root of its own, with the reading checked in beside it.
//!
//! A case is one file placed where its tool reads it, with the files its tool reads together
//! with it (an ifcfg file's aliases, `route-`, `keys-` and `network-` files), or a group of
//! files named in the format's `groups` list. Its expected reading,
//! `tests/data/conformance/FORMAT/expected/CASE.txt`, is the verdict (imported, skipped or
//! refused), the interface XML, and the notes or errors, as `netloom import` shows them.
//! `UPDATE_GOLDEN=1` rewrites them; each is reviewed against what the owner's reader does
//! (docs/ifcfg.md and docs/networkmanager.md list where netloom deliberately differs).
//! Every case that imports must also import to the same XML after its own backend renders
//! it: a second import changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netloom::backend::{Backend, BackendError, Imported, NoteKind, Snapshot};
use netloom::model::Host;

use crate::golden::reconcile;
use crate::util::repo;

/// One format of the suite: where its files are, which backend reads them, and where each
/// file goes under a root.
struct Format {
    /// The folder under `tests/data/conformance/`.
    dir: &'static str,
    /// The backend that imports it.
    backend: &'static str,
    /// The cases of the folder's files.
    cases: fn(&Path) -> Vec<Case>,
}

/// Files placed under a root and imported together.
#[derive(Debug, Default)]
struct Case {
    name: String,
    /// Path under the root to the file's name in `files/`.
    files: Vec<(String, String)>,
    /// Extra files of the root, such as `sys/class/net/NAME/address`, with their text.
    extra: Vec<(String, String)>,
}

const FORMATS: &[Format] = &[
    Format {
        dir: "ifcfg",
        backend: "ifcfg",
        cases: ifcfg_cases,
    },
    Format {
        dir: "keyfile",
        backend: "nm",
        cases: keyfile_cases,
    },
    Format {
        dir: "interfaces",
        backend: "debian",
        cases: interfaces_cases,
    },
];

/// The names in `files/`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("files"))
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const IFCFG_DIR: &str = "etc/sysconfig/network-scripts";

/// Where an ifcfg test file goes: its own name, without the `.cexpected` or `.expected` of a
/// file NetworkManager's tests compare what they write with.
fn ifcfg_path(name: &str) -> String {
    let base = name
        .strip_suffix(".cexpected")
        .or_else(|| name.strip_suffix(".expected"))
        .unwrap_or(name);
    format!("{IFCFG_DIR}/{base}")
}

/// One case per `ifcfg-*` file that is not an alias of another, with its aliases and the
/// `route-`, `route6-`, `keys-` and `network-` files of the same name (NetworkManager's
/// tests read `network-test-X` as `/etc/sysconfig/network` for `ifcfg-test-X`).
fn ifcfg_cases(dir: &Path) -> Vec<Case> {
    let all = names(dir);
    let mut cases = Vec::new();
    for name in all.iter().filter(|n| n.starts_with("ifcfg-")) {
        if let Some((base, _)) = name.split_once(':')
            && all.iter().any(|n| n == base)
        {
            continue;
        }
        let suffix = &name["ifcfg-".len()..];
        let mut files = vec![(ifcfg_path(name), name.clone())];
        for other in &all {
            if other.starts_with(&format!("{name}:")) {
                files.push((ifcfg_path(other), other.clone()));
            }
        }
        for tag in ["route-", "route6-", "keys-"] {
            let companion = format!("{tag}{suffix}");
            if all.contains(&companion) {
                files.push((format!("{IFCFG_DIR}/{companion}"), companion));
            }
        }
        let network = format!("network-{suffix}");
        if all.contains(&network) {
            files.push(("etc/sysconfig/network".to_owned(), network));
        }
        cases.push(Case {
            name: name.clone(),
            files,
            extra: Vec::new(),
        });
    }
    cases.extend(groups(dir, ifcfg_path));
    cases
}

/// One case per keyfile, where NetworkManager reads it: in `system-connections/` under its
/// own name (NetworkManager reads files there without the `.nmconnection` suffix too).
fn keyfile_cases(dir: &Path) -> Vec<Case> {
    let path = |name: &str| format!("etc/NetworkManager/system-connections/{name}");
    let mut cases: Vec<Case> = names(dir)
        .into_iter()
        .filter(|n| !n.ends_with(".pem"))
        .map(|name| Case {
            files: vec![(path(&name), name.clone())],
            name,
            extra: Vec::new(),
        })
        .collect();
    cases.extend(groups(dir, path));
    cases
}

/// One case per file, as `/etc/network/interfaces`.
fn interfaces_cases(dir: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = names(dir)
        .into_iter()
        .map(|name| Case {
            files: vec![("etc/network/interfaces".to_owned(), name.clone())],
            name,
            extra: Vec::new(),
        })
        .collect();
    cases.extend(groups(dir, |_| "etc/network/interfaces".to_owned()));
    cases
}

/// The cases of `groups`: one per line, `NAME: FILE... [sys:DEV=MAC]...`, for files read
/// together (a bond and its ports) and for roots with live devices (`sys/class/net/DEV/address`).
fn groups(dir: &Path, path: fn(&str) -> String) -> Vec<Case> {
    let Ok(text) = std::fs::read_to_string(dir.join("groups")) else {
        return Vec::new();
    };
    let mut cases = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, rest) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("groups: '{line}' is not NAME: FILE..."));
        let mut case = Case {
            name: format!("group-{}", name.trim()),
            ..Case::default()
        };
        for word in rest.split_whitespace() {
            if let Some(sys) = word.strip_prefix("sys:") {
                let (dev, mac) = sys.split_once('=').expect("sys:DEV=MAC");
                case.extra
                    .push((format!("sys/class/net/{dev}/address"), format!("{mac}\n")));
            } else {
                case.files.push((path(word), word.to_owned()));
            }
        }
        cases.push(case);
    }
    cases
}

/// The cases of a format that rightly import nothing and say nothing (a file of only the
/// loopback): `nothing`, one `CASE: why` a line.
fn nothing_allowed(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("nothing")).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').next().unwrap_or_default().trim().to_owned())
        .collect()
}

/// How a case was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// At least one interface.
    Imported,
    /// No interface, and notes saying what was skipped.
    Skipped,
    /// An error naming the problem.
    Refused,
    /// No interface and not a word about why: what the suite must never see.
    Nothing,
}

impl Verdict {
    fn name(self) -> &'static str {
        match self {
            Verdict::Imported => "imported",
            Verdict::Skipped => "skipped",
            Verdict::Refused => "refused",
            Verdict::Nothing => "nothing",
        }
    }
}

/// The root of a case.
fn snapshot(dir: &Path, case: &Case) -> Snapshot {
    let mut snap = Snapshot::default();
    for (at, name) in &case.files {
        let bytes = std::fs::read(dir.join("files").join(name)).unwrap();
        match String::from_utf8(bytes) {
            // NetworkManager's tests compare what they write with these templates after
            // putting the profile's UUID in; so does the suite, with a fixed one.
            Ok(text) if name.ends_with(".cexpected") => {
                let text = text.replace("${UUID}", "ab3c0f2e-1a41-4a0c-9d4e-1f6c8f6a1b2c");
                snap.files.insert(at.clone(), text);
            }
            Ok(text) => {
                snap.files.insert(at.clone(), text);
            }
            Err(_) => panic!("{name}: not UTF-8; the suite places only text files"),
        }
    }
    for (at, text) in &case.extra {
        snap.files.insert(at.clone(), text.clone());
    }
    snap
}

/// A case's reading as the expected file holds it, its verdict, and the host when it
/// imported.
fn reading(backend: &dyn Backend, snap: &Snapshot) -> (String, Verdict, Option<Host>) {
    match backend.import_noted(snap, &[]) {
        Ok(Imported { host, notes }) => {
            let skipped = notes.iter().any(|n| n.kind == NoteKind::Skipped);
            let verdict = match (host.interfaces.is_empty(), skipped) {
                (false, _) => Verdict::Imported,
                (true, true) => Verdict::Skipped,
                (true, false) => Verdict::Nothing,
            };
            let mut out = format!("verdict: {}\n", verdict.name());
            if !host.interfaces.is_empty() {
                out.push_str("--- interfaces\n");
                out.push_str(&netloom::xml::to_xml(&host));
            }
            if !notes.is_empty() {
                out.push_str("--- notes\n");
                for note in &notes {
                    out.push_str(&format!("{note}\n"));
                }
            }
            (out, verdict, Some(host))
        }
        Err(e) => {
            let mut out = format!("verdict: {}\n--- errors\n", Verdict::Refused.name());
            out.push_str(&e.to_string());
            out.push('\n');
            (out, Verdict::Refused, None)
        }
    }
}

/// Renders `host` with `backend` into an empty root and imports it again: the XML must not
/// change.
fn second_import(backend: &dyn Backend, host: &Host) -> Result<(), String> {
    let files = match backend.render(host, &Snapshot::default()) {
        Ok(files) => files,
        Err(e @ BackendError::Unsupported { .. }) => {
            return Err(format!("its own backend refuses what it imported: {e}"));
        }
        Err(e) => return Err(format!("render fails: {e}")),
    };
    let snap = Snapshot {
        files: files.into_iter().map(|f| (f.path, f.contents)).collect(),
        ..Snapshot::default()
    };
    let again = backend
        .import(&snap, &[])
        .map_err(|e| format!("the rendered files do not import: {e}"))?;
    // Order is compared only where render keeps it: each backend writes one file per
    // device, read back in name order.
    let (first, second) = (
        netloom::xml::to_xml(&by_name(host.clone())),
        netloom::xml::to_xml(&by_name(again)),
    );
    if first != second {
        return Err(format!(
            "a second import gives other XML:\n{}",
            crate::util::diff(&first, &second, "first", "second")
        ));
    }
    Ok(())
}

/// `host` with its interfaces, bridge ports and bond slaves in name order (an active-backup
/// bond's primary first, as every backend writes it).
fn by_name(mut host: Host) -> Host {
    use netloom::model::{Bond, InterfaceKind, PortKind};
    fn bond(b: &mut Bond) {
        let first = usize::from(b.primary().is_some());
        b.slaves[first..].sort_by(|x, y| x.name.cmp(&y.name));
    }
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    for i in &mut host.interfaces {
        match &mut i.kind {
            InterfaceKind::Bond(b) => bond(b),
            InterfaceKind::Bridge(br) => {
                br.ports.sort_by(|x, y| x.name.cmp(&y.name));
                for p in &mut br.ports {
                    if let PortKind::Bond(b) = &mut p.kind {
                        bond(b);
                    }
                }
            }
            InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => {}
        }
    }
    host
}

#[test]
fn every_file_of_the_owners_imports_to_its_reading() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for format in FORMATS {
        let dir = repo().join("tests/data/conformance").join(format.dir);
        let backend = netloom::backends::find(format.backend).unwrap();
        let mut expected: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
        let cases = (format.cases)(&dir);
        assert!(!cases.is_empty(), "{}: no cases", format.dir);
        for case in &cases {
            let snap = snapshot(&dir, case);
            let (text, verdict, host) = reading(backend, &snap);
            *counts.entry(verdict).or_default() += 1;
            if let Some(host) = host.filter(|h| !h.interfaces.is_empty())
                && let Err(why) = second_import(backend, &host)
            {
                failures.push(format!("{}: {}: {why}", format.dir, case.name));
            }
            expected.insert(PathBuf::from(format!("{}.txt", case.name)), text);
        }
        let allowed = nothing_allowed(&dir);
        for case in &cases {
            let text = &expected[&PathBuf::from(format!("{}.txt", case.name))];
            let nothing = text.starts_with("verdict: nothing");
            match (nothing, allowed.contains(&case.name)) {
                (true, false) => failures.push(format!(
                    "{}: {}: imports nothing and says nothing; list it in `nothing` with why, \
                     or make the import say what it left out",
                    format.dir, case.name
                )),
                (false, true) => failures.push(format!(
                    "{}: {}: listed in `nothing`, but it reads as {}",
                    format.dir,
                    case.name,
                    text.lines().next().unwrap_or_default()
                )),
                _ => {}
            }
        }
        let summary: Vec<String> = counts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.name()))
            .collect();
        eprintln!(
            "conformance: {}: {} cases: {}",
            format.dir,
            cases.len(),
            summary.join(", ")
        );
        failures.extend(reconcile(&dir.join("expected"), &expected, update));
    }
    assert!(
        failures.is_empty(),
        "{} conformance failures:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
