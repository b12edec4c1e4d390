//! The mutation corpus: the repository's own inputs (tests/data, golden, examples, and
//! libvirt's cases beside it) damaged byte by byte (flipped bits, cut short, spans repeated
//! or deleted, carriage returns, NULs, quotes, markup, huge numbers, bytes that are not
//! UTF-8 put in) and given to the reader each is for: no panic, every problem positioned.

use std::collections::BTreeMap;

use netloom::SourceFile;
use proptest::prelude::*;

use super::inputs::XML_INPUTS;
use super::native::{BACKENDS, damaged_root};
use super::{Choices, config, misplaced, positioned};

/// What is put into an input: what breaks parsers and what breaks the programs after them.
const INSERTS: &[&[u8]] = &[
    b"\r",
    b"\r\n",
    b"\n",
    b"\0",
    b"\"",
    b"'",
    b"<",
    b">",
    b"&",
    b"\\",
    b"=",
    b"[",
    b"#",
    b"$(",
    b"`",
    b"]]>",
    b"<!--",
    b"&#0;",
    b"-1",
    b"4294967296",
    b"99999999999999999999999999999999",
    b"\x1b[2J",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
];

/// `bytes` after up to six changes, each drawn from `c`.
pub fn mutate(c: &mut Choices, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..=c.below(6) {
        let len = bytes.len();
        let at = c.below(len + 1);
        match c.below(6) {
            0 if len > 0 => {
                let i = at.min(len - 1);
                bytes[i] ^= 1 << c.below(8);
            }
            1 => bytes.truncate(at),
            2 => {
                let end = (at + 1 + c.below(64)).min(len);
                let span = bytes[at.min(end)..end].to_vec();
                let to = c.below(len + 1);
                bytes.splice(to..to, span);
            }
            3 => {
                let end = (at + 1 + c.below(64)).min(len);
                bytes.drain(at.min(end)..end);
            }
            _ => {
                let insert = INSERTS[c.below(INSERTS.len())];
                bytes.splice(at..at, insert.iter().copied());
            }
        }
    }
    bytes
}

/// One XML input, damaged, to every XML reader.
fn xml_case(c: &mut Choices) -> Result<(), String> {
    let (name, bytes) = c.pick(&XML_INPUTS[..]);
    let bytes = mutate(c, bytes.clone());
    let failures = match SourceFile::from_bytes(name.clone(), bytes.clone()) {
        Ok(file) => super::xml::read_all(&file),
        Err(d) => misplaced(
            &netloom::Diagnostics(vec![*d]),
            &[(name, positioned(&String::from_utf8_lossy(&bytes)))],
        ),
    };
    if failures.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{name} damaged:\n{}\n--- input ---\n{}",
        failures.join("\n"),
        String::from_utf8_lossy(&bytes)
    ))
}

/// One file of one backend's root, damaged; its bytes read as UTF-8 as far as they go
/// (replacement characters for the rest: a root the library reads holds text).
fn native_case(c: &mut Choices) -> Result<(), String> {
    let subject = c.pick(&BACKENDS[..]);
    let (backend, root) = (subject.backend, c.pick(&subject.roots));
    let mut files: BTreeMap<String, String> = root.files.clone();
    let paths: Vec<String> = files.keys().cloned().collect();
    if paths.is_empty() {
        return Ok(());
    }
    let path = c.pick(&paths).clone();
    let bytes = mutate(c, files[&path].clone().into_bytes());
    files.insert(path.clone(), String::from_utf8_lossy(&bytes).into_owned());
    let failures = damaged_root(backend, root, &files);
    if failures.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} of {} damaged:\n{}\n--- {path} ---\n{}",
        backend.name(),
        root.name,
        failures.join("\n"),
        files[&path]
    ))
}

proptest! {
    #![proptest_config(config(768))]

    #[test]
    fn fuzz_damaged_repository_inputs_are_refused_in_place(
        data in proptest::collection::vec(any::<u32>(), 0..32),
    ) {
        let mut c = Choices::new(&data);
        let result = if c.below(2) == 0 { xml_case(&mut c) } else { native_case(&mut c) };
        prop_assert!(result.is_ok(), "{}", result.unwrap_err());
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// A native file that is not UTF-8, read by `netloom import` from a root: exit 2 and
    /// the first bad byte's `file:line:col`.
    #[test]
    fn fuzz_native_files_that_are_not_utf8_are_refused_in_place(
        data in proptest::collection::vec(any::<u32>(), 0..32),
    ) {
        let mut c = Choices::new(&data);
        let subject = c.pick(&BACKENDS[..]);
        let (backend, root) = (subject.backend, c.pick(&subject.roots));
        let paths: Vec<&String> = root.files.keys().collect();
        prop_assume!(!paths.is_empty() && backend.name() != "null");
        let path = *c.pick(&paths);
        let mut bytes = mutate(&mut c, root.files[path].clone().into_bytes());
        let at = c.below(bytes.len() + 1);
        bytes.splice(at..at, [0xff]);
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in &root.files {
            let file = dir.path().join(p);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, if p == path { bytes.as_slice() } else { text.as_bytes() }).unwrap();
        }
        let root_arg = dir.path().display().to_string();
        let run = crate::util::netloom(
            &["import", "--backend", backend.name(), "--root", &root_arg],
            dir.path(),
            None,
        );
        let positioned = run.stderr.lines().any(|l| {
            l.split_once(&format!("{path}:"))
                .and_then(|(_, rest)| rest.split_once(": "))
                .is_some_and(|(pos, _)| {
                    pos.split(':').count() == 2 && pos.split(':').all(|n| n.parse::<u32>().is_ok())
                })
        });
        prop_assert!(
            run.code == 2 && positioned && !run.stderr.contains("panicked"),
            "{} {path}: exit {}\n{}", backend.name(), run.code, run.stderr
        );
    }
}
