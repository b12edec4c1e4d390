//! One test body for every host backend in the registry (ripgrep's habit): every interface
//! case a backend renders imports back to the declaration, up to that backend's stated
//! equivalences (`util::equivalence`); what import gives is interface XML that reads back to
//! itself; and each top-level interface comes back alone when asked for by name.

use netloom::backend::{Backend, BackendError, Snapshot};
use netloom::backends;
use netloom::model::{Host, IfaceName};

use crate::util::{equivalence, repo, xml_files};

/// The files `backend` renders for `host` on an empty root, as the root it would leave.
fn rendered(backend: &dyn Backend, host: &Host) -> Result<Snapshot, BackendError> {
    let files = backend.render(host, &Snapshot::default())?;
    Ok(Snapshot {
        files: files.into_iter().map(|f| (f.path, f.contents)).collect(),
        ..Snapshot::default()
    })
}

#[test]
fn every_case_a_backend_renders_imports_back_to_its_declaration() {
    let cases = xml_files(&repo().join("tests/data/interfaces"));
    for backend in backends::ALL.iter().copied() {
        let same = equivalence::of(backend.name());
        let mut checked = 0;
        for path in &cases {
            let name = format!("{}: {}", backend.name(), path.display());
            let text = std::fs::read_to_string(path).unwrap();
            let host = netloom::xml::read_str(&path.display().to_string(), &text).unwrap();
            let files = match rendered(backend, &host) {
                Ok(files) => files,
                // What a backend cannot express is pinned by its golden `.refused` case.
                Err(BackendError::Unsupported { .. }) => continue,
                Err(e) => panic!("{name}: {e}"),
            };
            let got = backend
                .import(&files, &[])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(same(got.clone()), same(host.clone()), "{name}");
            let xml = netloom::xml::to_xml(&got);
            let again = netloom::xml::read_str("again.xml", &xml).unwrap();
            assert_eq!(
                again, got,
                "{name}: the imported XML reads back to itself\n{xml}"
            );
            for i in &host.interfaces {
                let one = [IfaceName::parse(i.name.as_str()).unwrap()];
                let alone = backend
                    .import(&files, &one)
                    .unwrap_or_else(|e| panic!("{name}: {}: {e}", i.name));
                let want = Host {
                    interfaces: vec![i.clone()],
                };
                assert_eq!(same(alone), same(want), "{name}: {} alone", i.name);
            }
            checked += 1;
        }
        assert!(
            checked >= 7,
            "{}: only {checked} cases were round-tripped",
            backend.name()
        );
    }
}
