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

/// Interface XML for one NIC with `n` static routes per family (each through a gateway on
/// its network, every tenth in a table of its own) and `n / 10` DNS servers.
fn many_routes(n: usize) -> String {
    let mut v4 = String::new();
    let mut v6 = String::new();
    for i in 0..n {
        let table = if i % 10 == 0 { " table='200'" } else { "" };
        v4.push_str(&format!(
            "<nl:route destination='10.{}.{}.0' prefix='24' gateway='192.0.2.254' \
             metric='{i}'{table}/>",
            i / 256 % 256,
            i % 256
        ));
        v6.push_str(&format!(
            "<nl:route destination='2001:db8:{i:x}::' prefix='48' gateway='fe80::1'{table}/>"
        ));
    }
    for i in 0..n / 10 {
        v4.push_str(&format!(
            "<nl:dns server='198.51.{}.{}'/>",
            i / 250,
            i % 250 + 1
        ));
    }
    format!(
        "<interface xmlns:nl='urn:netloom:xml:1' type='ethernet' name='eth0'>\
         <protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/>{v4}</protocol>\
         <protocol family='ipv6'><ip address='2001:db8::10' prefix='64'/>{v6}</protocol>\
         </interface>"
    )
}

#[test]
fn ten_thousand_routes_read_render_and_import_in_linear_time_with_every_backend() {
    use crate::util::scaling::assert_linear;
    for backend in backends::ALL.iter().copied() {
        let what = format!(
            "{}: n routes per family read, rendered and imported",
            backend.name()
        );
        assert_linear(&what, 1_000, many_routes, |xml| {
            let host = netloom::xml::read_str("routes.xml", xml).unwrap();
            let files = rendered(backend, &host).unwrap();
            let back = backend.import(&files, &[]).unwrap();
            let routes = |h: &Host| h.interfaces[0].ipv4.as_ref().map(|v| v.routes.len());
            assert_eq!(routes(&back), routes(&host));
        });
    }
}
