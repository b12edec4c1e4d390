//! The golden harness: every case's output is compared with the file under `golden/`.
//!
//! Each suite produces a map of relative path to text for its folder under `golden/`; the
//! harness compares the whole set (nothing missing, nothing extra), prints a unified diff
//! for every mismatch and fails once at the end with all of them. `UPDATE_GOLDEN=1`
//! rewrites the expected files and removes stale ones instead; read the resulting
//! `git diff` like code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netloom::backend::{Backend, Snapshot};
use netloom::engine::TargetRoot;
use walkdir::WalkDir;

use crate::util::{canonical, diff, netloom, repo, xml_files};

/// Suites that are not backends. Every other folder under `golden/` must be a backend in
/// the registry.
const SUITES: &[&str] = &["dumpxml", "errors"];

fn update() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// `golden/dumpxml/CASE.xml`: the canonical form of `tests/data/interfaces/CASE.xml`.
/// Each is also read back, which must give the same model and the same text.
fn dumpxml(failures: &mut Vec<String>) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for input in xml_files(&repo().join("tests/data/interfaces")) {
        let name = format!(
            "interfaces/{}",
            input.file_name().unwrap().to_string_lossy()
        );
        let text = std::fs::read_to_string(&input).unwrap();
        let canonical = match canonical(&name, &text) {
            Ok((_, canonical)) => canonical,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let stem = input.file_stem().unwrap().to_string_lossy().into_owned();
        out.insert(PathBuf::from(format!("{stem}.xml")), canonical);
    }
    out
}

/// `golden/errors/CASE.txt`: what `netloom validate invalid/CASE.xml` prints on standard
/// error. It must also exit 2 and print nothing on standard output.
fn errors(failures: &mut Vec<String>) -> BTreeMap<PathBuf, String> {
    let data = repo().join("tests/data");
    let mut out = BTreeMap::new();
    for input in xml_files(&data.join("invalid")) {
        let rel = format!("invalid/{}", input.file_name().unwrap().to_string_lossy());
        let run = netloom(&["validate", &rel], &data, None);
        if run.code != 2 || !run.stdout.is_empty() {
            failures.push(format!(
                "{rel}: expected exit 2 and no output, got exit {} and {:?}",
                run.code, run.stdout
            ));
        }
        if run.stderr.contains("panicked") {
            failures.push(format!("{rel}: netloom panicked:\n{}", run.stderr));
        }
        let stem = input.file_stem().unwrap().to_string_lossy().into_owned();
        out.insert(PathBuf::from(format!("{stem}.txt")), run.stderr);
    }
    out
}

/// `golden/BACKEND/CASE/PATH`: the files a backend renders for
/// `tests/data/interfaces/CASE.xml` into an empty root, and, for `merge-CASE`, what it
/// renders for `tests/data/merge/BACKEND/CASE/host.xml` into the root beside it (the user's
/// existing files). A case the backend refuses is `golden/BACKEND/CASE.refused`, the
/// message naming each setting it cannot express.
fn backend_cases(backend: &dyn Backend, failures: &mut Vec<String>) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut cases: Vec<(String, PathBuf, Snapshot)> =
        xml_files(&repo().join("tests/data/interfaces"))
            .into_iter()
            .map(|p| {
                (
                    p.file_stem().unwrap().to_string_lossy().into_owned(),
                    p,
                    Snapshot::default(),
                )
            })
            .collect();
    let merge = repo().join("tests/data/merge").join(backend.name());
    if merge.is_dir() {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&merge)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        for dir in dirs {
            let root = TargetRoot::open(&dir.join("root")).unwrap();
            let snap = root.snapshot(backend.scan()).unwrap();
            let name = format!("merge-{}", dir.file_name().unwrap().to_string_lossy());
            cases.push((name, dir.join("host.xml"), snap));
        }
    }
    for (case, input, existing) in cases {
        let text = std::fs::read_to_string(&input).unwrap();
        let host = match netloom::xml::read_str(&input.display().to_string(), &text) {
            Ok(h) => h,
            Err(e) => {
                failures.push(format!("{} does not read:\n{e}", input.display()));
                continue;
            }
        };
        match backend.render(&host, &existing) {
            Ok(files) => {
                for f in files {
                    out.insert(PathBuf::from(&case).join(&f.path), f.contents);
                }
            }
            // A refusal is an output like any other: its text is reviewed as a golden file.
            Err(e @ netloom::backend::BackendError::Unsupported { .. }) => {
                out.insert(PathBuf::from(format!("{case}.refused")), format!("{e}\n"));
            }
            Err(e) => failures.push(format!("{}: {case}: {e}", backend.name())),
        }
    }
    out
}

/// Compares `produced` with the files under `dir` (or, when `update`, makes them equal) and
/// returns a description, with a diff, of every difference.
pub fn reconcile(dir: &Path, produced: &BTreeMap<PathBuf, String>, update: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let existing: Vec<PathBuf> = if dir.is_dir() {
        WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
            .collect()
    } else {
        Vec::new()
    };
    for (rel, new) in produced {
        let path = dir.join(rel);
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() == Some(new.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, new).unwrap();
            continue;
        }
        let shown = path.display().to_string();
        let head = if old.is_some() {
            "differs"
        } else {
            "is missing"
        };
        problems.push(format!(
            "{shown} {head}:\n{}",
            diff(
                old.as_deref().unwrap_or(""),
                new,
                &format!("expected/{shown}"),
                &format!("actual/{shown}")
            )
        ));
    }
    for rel in existing.iter().filter(|r| !produced.contains_key(*r)) {
        let path = dir.join(rel);
        if update {
            std::fs::remove_file(&path).unwrap();
        } else {
            problems.push(format!("{} is stale: no case produces it", path.display()));
        }
    }
    problems
}

#[test]
fn golden() {
    let root = repo().join("golden");
    let mut failures = Vec::new();
    let dump = dumpxml(&mut failures);
    failures.extend(reconcile(&root.join("dumpxml"), &dump, update()));
    let errs = errors(&mut failures);
    failures.extend(reconcile(&root.join("errors"), &errs, update()));

    let mut rendered = 0;
    for backend in netloom::backends::ALL {
        let files = backend_cases(*backend, &mut failures);
        rendered += files.len();
        failures.extend(reconcile(&root.join(backend.name()), &files, update()));
    }
    assert!(
        rendered > 0 || netloom::backends::ALL.is_empty(),
        "no backend rendered anything"
    );

    let backends: Vec<&str> = netloom::backends::ALL.iter().map(|b| b.name()).collect();
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !SUITES.contains(&name.as_str()) && !backends.contains(&name.as_str()) {
            failures.push(format!(
                "golden/{name} is neither a suite ({SUITES:?}) nor a registered backend"
            ));
        }
    }
    assert!(
        dump.len() >= 10 && errs.len() >= 20,
        "the golden inputs went missing"
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("{f}\n");
        }
        panic!(
            "{} golden mismatch(es); if the new output is right, run UPDATE_GOLDEN=1 cargo test golden and review the diff",
            failures.len()
        );
    }
}

#[test]
fn the_harness_reports_changed_missing_and_stale_files_and_blesses_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("same.txt"), "kept\n").unwrap();
    std::fs::write(dir.path().join("changed.txt"), "old line\n").unwrap();
    std::fs::write(dir.path().join("stale.txt"), "nobody makes me\n").unwrap();
    let produced: BTreeMap<PathBuf, String> = [
        ("same.txt", "kept\n"),
        ("changed.txt", "new line\n"),
        ("sub/missing.txt", "fresh\n"),
    ]
    .into_iter()
    .map(|(p, t)| (PathBuf::from(p), t.to_owned()))
    .collect();

    let problems = reconcile(dir.path(), &produced, false);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    let all = problems.join("\n");
    assert!(
        all.contains("changed.txt differs") && all.contains("-old line\n+new line"),
        "{all}"
    );
    assert!(
        all.contains("missing.txt is missing") && all.contains("+fresh"),
        "{all}"
    );
    assert!(all.contains("stale.txt is stale"), "{all}");
    // Nothing was touched while checking.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("changed.txt")).unwrap(),
        "old line\n"
    );

    assert!(reconcile(dir.path(), &produced, true).is_empty());
    assert!(reconcile(dir.path(), &produced, false).is_empty());
    assert!(!dir.path().join("stale.txt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sub/missing.txt")).unwrap(),
        "fresh\n"
    );
}
