//! Never overwrite what could not be read: a managed file that is not UTF-8, or that its
//! backend cannot parse, is refused with its position by every verb that would write or
//! show a change (`apply`, `diff`, `render --out` onto the root, `undefine`), exit 2, and
//! left byte for byte. One body for every backend in the registry.

use super::support::{Sandbox, assert_tree};

const HOST: &str = "<interfaces>
  <interface type='ethernet' name='eth0'><start mode='onboot'/>\
<protocol family='ipv4'><dhcp/></protocol></interface>
</interfaces>
";

/// A file each backend reads and merges into, and a line that makes it unparseable; `None`
/// for a backend whose files are wholly its own, which it writes without reading.
fn unparseable(backend: &str, eth0: &str) -> Option<(String, &'static str)> {
    match backend {
        "ifcfg" => Some((eth0.to_owned(), "DEVICE='eth0")),
        "debian" => Some(("etc/network/interfaces".to_owned(), "  bogus-without-iface")),
        "nm" => Some((eth0.to_owned(), "[connection")),
        // etc/netloom/null/NAME.xml holds one interface, all of it netloom's.
        "null" => None,
        other => panic!("say here what makes a file of the {other} backend unparseable"),
    }
}

/// Runs every verb on the root, each of which must refuse with `needle` and change nothing.
fn refused_by_every_verb(sb: &Sandbox, backend: &str, host: &str, needle: &str) {
    let root = sb.root().display().to_string();
    let verbs: [&[&str]; 4] = [
        &["--backend", backend, "apply", "--yes", host],
        &["--backend", backend, "diff", host],
        &["--backend", backend, "render", "--out", &root, host],
        &["--backend", backend, "undefine", "--yes", "eth0"],
    ];
    let before = sb.tree();
    for args in verbs {
        let what = format!("{backend}: {}", args[2]);
        let out = sb.run(args);
        assert_eq!(out.code(), Some(2), "{what}: {}", out.stderr);
        assert!(
            out.stderr.contains(needle),
            "{what}: {needle:?} not in:\n{}",
            out.stderr
        );
        assert_tree(&sb.tree(), &before, &what);
    }
}

#[test]
fn a_managed_file_that_cannot_be_read_losslessly_is_refused_by_every_verb_of_every_backend() {
    for backend in netloom::backends::ALL {
        let name = backend.name();
        let sb = Sandbox::new();
        let host = sb.input("host.xml", HOST);
        let root = sb.root().display().to_string();
        sb.run(&["--backend", name, "render", "--out", &root, &host])
            .expect(0);
        let eth0 = sb
            .tree()
            .into_keys()
            .find(|p| p.rsplit('/').next().is_some_and(|n| n.contains("eth0")))
            .unwrap_or_else(|| panic!("{name} wrote no file for eth0"));
        let original = std::fs::read(sb.at(&eth0)).unwrap();

        // A Latin-1 comment, before anything a parser would look at.
        let latin1 = [&b"# caf\xe9\n"[..], &original].concat();
        std::fs::write(sb.at(&eth0), &latin1).unwrap();
        refused_by_every_verb(
            &sb,
            name,
            &host,
            &format!("{eth0}:1:6: the file is not valid UTF-8: byte 0xe9 at offset 5"),
        );
        assert_eq!(std::fs::read(sb.at(&eth0)).unwrap(), latin1, "{name}");
        std::fs::write(sb.at(&eth0), &original).unwrap();

        if let Some((rel, garbage)) = unparseable(name, &eth0) {
            let mut text = std::fs::read_to_string(sb.at(&rel)).unwrap();
            let line = text.lines().count() + 1;
            text.push_str(garbage);
            text.push('\n');
            std::fs::write(sb.at(&rel), &text).unwrap();
            refused_by_every_verb(&sb, name, &host, &format!("{rel}:{line}:"));
            assert_eq!(
                std::fs::read_to_string(sb.at(&rel)).unwrap(),
                text,
                "{name}"
            );
        }
    }
}
