//! Never overwrite what could not be read: a managed file that is not UTF-8, or that its
//! backend cannot parse, is refused with its position by every verb that would write or
//! show a change (`apply`, `diff`, `render --out` onto the root, `undefine`), exit 2, and
//! left byte for byte. One body for every backend in the registry.

use super::support::{HOST_A, NULL_DIR, Sandbox, assert_tree};

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

#[test]
fn a_managed_file_whose_name_is_not_utf8_is_named_not_passed_over() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    std::fs::create_dir_all(sb.at(NULL_DIR)).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9\x1b.xml");
    std::fs::write(sb.at(NULL_DIR).join(name), "<interface/>\n").unwrap();
    // A name the backend would not read is no concern of its.
    std::fs::write(
        sb.at(NULL_DIR)
            .join(std::ffi::OsStr::from_bytes(b"\xe9.txt")),
        "",
    )
    .unwrap();
    // The tree's own snapshot takes names for UTF-8: this one takes them as they are.
    let listing = || {
        let mut all: Vec<_> = std::fs::read_dir(sb.at(NULL_DIR))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.file_name(), std::fs::read(e.path()).unwrap())
            })
            .collect();
        all.sort();
        all
    };
    let before = listing();
    for args in [
        &["--backend", "null", "diff", &a][..],
        &["--backend", "null", "apply", "--yes", &a][..],
    ] {
        sb.run(args).expect(2).stderr_has(&format!(
            "{}/{NULL_DIR}/caf\\xe9\\u{{1b}}.xml has a name that is not valid UTF-8; netloom \
             reads only files named in UTF-8",
            sb.root().display()
        ));
        assert_eq!(listing(), before, "{args:?}");
    }
}
