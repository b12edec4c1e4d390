//! The generic layers name no backend: the CLI, the engine, the live layer and the library's
//! error reach every backend through the registry (`netloom::backends::ALL`), so adding one
//! is a folder and a registry line. A backend's name written in one of them (`"nm"`, as
//! `backend.name() != "nm"` once was) is how a special case creeps back in.

use std::path::Path;

use netloom::backends;

/// The generic layers, relative to the repository.
const GENERIC: &[&str] = &[
    "src/cli",
    "src/engine",
    "src/live",
    "src/error.rs",
    "src/backend.rs",
];

/// Every `.rs` file at or below `path`.
fn sources(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            sources(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

#[test]
fn the_cli_engine_live_layer_and_error_name_no_backend() {
    let repo = crate::util::repo();
    let mut files = Vec::new();
    for layer in GENERIC {
        sources(&repo.join(layer), &mut files);
    }
    assert!(files.len() > 20, "the layers moved: {files:?}");
    let names: Vec<String> = backends::ALL
        .iter()
        .map(|b| format!("\"{}\"", b.name()))
        .collect();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            for name in &names {
                if line.contains(name.as_str()) {
                    let at = file.strip_prefix(&repo).unwrap().display();
                    found.push(format!("{at}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a backend named outside its folder and the registry:\n{}",
        found.join("\n")
    );
}
