//! The repository's own inputs, which the generators start from: tests/data, golden,
//! examples, and libvirt's network and port cases in ../shared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use netloom::backend::Snapshot;
use netloom::model::Host;
use walkdir::WalkDir;

use crate::util::repo;

/// Every regular file under `dir`, sorted, as (path relative to `dir`, bytes).
pub fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy();
            (rel.replace('\\', "/"), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Every XML input: the repository's (interface, network and guest XML, invalid cases
/// included, and the canonical outputs) and libvirt's network and network port cases.
pub static XML_INPUTS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    let mut out = Vec::new();
    let r = repo();
    for dir in ["tests/data", "examples", "golden/dumpxml", "golden/null"] {
        for (rel, bytes) in files_under(&r.join(dir)) {
            if rel.ends_with(".xml") {
                out.push((format!("{dir}/{rel}"), bytes));
            }
        }
    }
    for dir in [
        "conformance/libvirt/tests/networkxml2xmlin",
        "conformance/libvirt/tests/virnetworkportxml2xmldata",
    ] {
        if let Some(d) = crate::util::shared(dir) {
            for (rel, bytes) in files_under(&d) {
                out.push((format!("{dir}/{rel}"), bytes));
            }
        }
    }
    assert!(out.len() > 60, "only {} XML inputs found", out.len());
    out
});

/// One target root of native files a backend reads: a golden output or a merge case's
/// existing files, with the host the case declares (to render onto it).
pub struct Root {
    pub name: String,
    pub files: BTreeMap<String, String>,
    pub host: Host,
}

impl Root {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            files: self.files.clone(),
            ..Snapshot::default()
        }
    }
}

/// Every root for the backend `name`: `golden/NAME/CASE/` and
/// `tests/data/merge/NAME/CASE/root/`.
pub fn roots(name: &str) -> Vec<Root> {
    let r = repo();
    let mut out = Vec::new();
    let host = |path: PathBuf| {
        let text = std::fs::read_to_string(&path).unwrap();
        netloom::xml::read_str(&path.display().to_string(), &text).unwrap()
    };
    let cases = |dir: PathBuf| -> Vec<PathBuf> {
        let Ok(list) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut dirs: Vec<PathBuf> = list
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    };
    let text = |files: Vec<(String, Vec<u8>)>| -> BTreeMap<String, String> {
        files
            .into_iter()
            .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
            .collect()
    };
    for case in cases(r.join("golden").join(name)) {
        let stem = case.file_name().unwrap().to_string_lossy().into_owned();
        let input = match stem.strip_prefix("merge-") {
            Some(m) => r
                .join("tests/data/merge")
                .join(name)
                .join(m)
                .join("host.xml"),
            None => r.join("tests/data/interfaces").join(format!("{stem}.xml")),
        };
        out.push(Root {
            name: format!("golden/{name}/{stem}"),
            files: text(files_under(&case)),
            host: host(input),
        });
    }
    for case in cases(r.join("tests/data/merge").join(name)) {
        out.push(Root {
            name: format!("{}", case.strip_prefix(&r).unwrap().display()),
            files: text(files_under(&case.join("root"))),
            host: host(case.join("host.xml")),
        });
    }
    out
}
