//! The Debian backend through the command line, as an installer, a CI job and an admin use
//! it: apply into a root that already has the user's files, diff for drift, roll back to the
//! exact bytes, undefine, import and list, and refuse bad input without writing anything.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{netloom, repo, shared};

/// Every file under `dir` (journal, lock and the XML inputs aside) with its bytes; the other
/// backends' command-line tests use it too.
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .filter(|(rel, _)| !rel.starts_with("var/lib/netloom") && !rel.ends_with(".xml"))
        .collect()
}

/// A scratch copy of a merge case's root, with its host.xml beside it.
fn case(name: &str) -> (tempfile::TempDir, String) {
    let data = repo().join("tests/data/merge/debian").join(name);
    let dir = tempfile::tempdir().unwrap();
    let out = crate::util::tools::command("cp")
        .args(["-a", &format!("{}/.", data.join("root").display())])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::copy(data.join("host.xml"), dir.path().join("host.xml")).unwrap();
    let root = dir.path().display().to_string();
    (dir, root)
}

fn deb<'a>(root: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    crate::util::taken(&[("--backend", "debian"), ("--root", root)], args)
}

#[test]
fn apply_splices_diff_sees_no_drift_and_rollback_restores_every_byte() {
    let (dir, root) = case("keeps-user-bytes");
    let before = tree(dir.path());
    let run = netloom(&deb(&root, &["diff", "host.xml"]), dir.path(), None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("-iface eth0 inet dhcp\n")
            && run.stdout.contains("+iface eth0 inet static\n"),
        "{}",
        run.stdout
    );
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let golden = repo().join("golden/debian/merge-keeps-user-bytes");
    for rel in ["etc/network/interfaces", "etc/network/interfaces.d/eth0"] {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(rel)).unwrap(),
            std::fs::read_to_string(golden.join(rel)).unwrap(),
            "{rel}"
        );
    }
    // A CI job's drift check: nothing to do now.
    let run = netloom(&deb(&root, &["diff", "host.xml"]), dir.path(), None);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    // A hand edit of netloom's file is drift.
    let own = dir.path().join("etc/network/interfaces.d/eth0");
    let applied = std::fs::read_to_string(&own).unwrap();
    std::fs::write(&own, applied.replace("192.0.2.10", "192.0.2.99")).unwrap();
    let run = netloom(&deb(&root, &["diff", "host.xml"]), dir.path(), None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    crate::util::assert_contains(&run.stdout, "-    address 192.0.2.99/24");
    // Undo the edit, then roll the apply back: every byte as before, netloom's file gone.
    std::fs::write(&own, applied).unwrap();
    let run = netloom(&deb(&root, &["rollback", "--yes"]), dir.path(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn stale_files_and_their_source_lines_go_and_dotted_names_are_sourced() {
    let (dir, root) = case("dotted-names-and-stale");
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.path().join("etc/network/interfaces.d/br9.5").exists());
    let main = std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap();
    assert!(!main.contains("br9.5"), "{main}");
    assert!(
        main.ends_with("source /etc/network/interfaces.d/eth0.42\n"),
        "{main}"
    );
    // The user's file in interfaces.d lost only the port's stanza.
    let user =
        std::fs::read_to_string(dir.path().join("etc/network/interfaces.d/user-eth1")).unwrap();
    assert_eq!(user, "# mine\n");
}

#[test]
fn undefine_takes_out_netloom_files_and_user_definitions_alike() {
    let (dir, root) = case("sourced-file");
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = netloom(
        &deb(&root, &["undefine", "--yes", "bond0"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!dir.path().join("etc/network/interfaces.d/bond0").exists());
    let main = std::fs::read_to_string(dir.path().join("etc/network/interfaces")).unwrap();
    assert_eq!(
        main,
        "auto lo\niface lo inet loopback\n\nsource interfaces.local\n"
    );
    // eth3 is the user's, in a sourced file: undefine removes its stanza and auto word only.
    let run = netloom(
        &deb(&root, &["undefine", "--yes", "eth3"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let local = std::fs::read_to_string(dir.path().join("etc/network/interfaces.local")).unwrap();
    assert_eq!(local, "\n\n");
    let run = netloom(&deb(&root, &["list"]), dir.path(), None);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn list_and_import_read_netcfs_debian_root() {
    let Some(fsroot) = shared("conformance/netcf/tests/debian/fsroot") else {
        return;
    };
    let root = fsroot.display().to_string();
    // No --backend: etc/network/interfaces says Debian.
    let run = netloom(&["list", "--root", &root], &repo(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "br0\nbond0\neth3\neth4\n");
    let run = netloom(&["import", "--root", &root, "bond0"], &repo(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for want in [
        "<interface type='bond' name='bond0'>",
        "<ip address='10.0.1.27' prefix='24'/>",
        "<bond mode='active-backup'>",
        "<interface type='ethernet' name='eth2'/>",
    ] {
        assert!(run.stdout.contains(want), "{want}:\n{}", run.stdout);
    }
}

#[test]
fn refusals_and_bad_user_files_exit_2_and_write_nothing() {
    let (dir, root) = case("keeps-user-bytes");
    let before = tree(dir.path());
    let vlan = repo().join("tests/data/interfaces/vlan-named.xml");
    let run = netloom(
        &deb(&root, &["apply", "--yes", vlan.to_str().unwrap()]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "interface 'vlan42': <interface type='vlan' name='vlan42'> with <vlan tag='7'>"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);

    let main = dir.path().join("etc/network/interfaces");
    let text = std::fs::read_to_string(&main).unwrap();
    for (bad, want) in [
        (
            "    address 192.0.2.1\n",
            "etc/network/interfaces:1:5: option 'address' outside an iface or mapping stanza",
        ),
        (
            "source /etc/elsewhere\n",
            "etc/network/interfaces:1:8: netloom reads /etc/network/interfaces",
        ),
    ] {
        std::fs::write(&main, format!("{bad}{text}")).unwrap();
        let before = tree(dir.path());
        for verb in ["diff", "apply"] {
            let mut args = deb(&root, &[verb]);
            if verb == "apply" {
                args.push("--yes");
            }
            args.push("host.xml");
            let run = netloom(&args, dir.path(), None);
            assert_eq!(run.code, 2, "{verb}: {}", run.stderr);
            assert!(run.stderr.contains(want), "{verb}: {}", run.stderr);
        }
        assert_eq!(tree(dir.path()), before);
    }
}

const ETH0: &str = "<interface type='ethernet' name='eth0'><start mode='onboot'/>\
<protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol></interface>";

/// A root whose main interfaces file holds `main`, and `host.xml` (eth0) beside it.
fn main_root(main: &[u8]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("etc/network")).unwrap();
    std::fs::write(tmp.path().join("etc/network/interfaces"), main).unwrap();
    std::fs::write(tmp.path().join("host.xml"), ETH0).unwrap();
    let root = tmp.path().display().to_string();
    (tmp, root)
}

#[test]
fn a_file_ifupdown_reads_that_is_not_utf8_is_refused_at_its_first_bad_byte() {
    let (tmp, root) = main_root(b"auto lo\niface lo inet loopback\n# B\xfcro\n");
    let before = tree(tmp.path());
    for verb in [
        &["import"][..],
        &["list"],
        &["diff", "host.xml"],
        &["apply", "--yes", "host.xml"],
    ] {
        let run = netloom(&deb(&root, verb), tmp.path(), None);
        assert_eq!(run.code, 2, "{verb:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(
                "etc/network/interfaces:3:4: the file is not valid UTF-8: byte 0xfc at offset 34"
            ),
            "{verb:?}: {}",
            run.stderr
        );
    }
    assert_eq!(tree(tmp.path()), before);
}

#[test]
fn crlf_files_read_as_ifupdown_reads_them_and_merges_write_no_carriage_return() {
    // ifupdown takes a `\r` for a blank (C's isspace), so this reads as its LF twin.
    let crlf = "auto lo eth0\r\niface lo inet loopback\r\n\r\niface eth0 inet dhcp\r\n";
    let (tmp, root) = main_root(crlf.as_bytes());
    let run = netloom(&deb(&root, &["list"]), tmp.path(), None);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "eth0\n"),
        "{}",
        run.stderr
    );
    let run = netloom(&deb(&root, &["import", "eth0"]), tmp.path(), None);
    assert!(
        run.stdout.contains("<start mode='onboot'/>") && run.stdout.contains("<dhcp/>"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    // The merge rewrites the `auto` line and appends a `source` line, both with `\n`; the
    // user's own lines keep their bytes.
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        tmp.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let main = std::fs::read_to_string(tmp.path().join("etc/network/interfaces")).unwrap();
    assert_eq!(
        main,
        "auto lo\niface lo inet loopback\r\n\r\nsource /etc/network/interfaces.d/eth0\n"
    );
    let own = std::fs::read_to_string(tmp.path().join("etc/network/interfaces.d/eth0")).unwrap();
    assert!(!own.contains('\r'), "{own:?}");
    let run = netloom(&deb(&root, &["diff", "host.xml"]), tmp.path(), None);
    assert_eq!(run.code, 0, "no drift after the merge: {}", run.stdout);

    // A `\r` inside a value is part of it for ifupdown, so the address is refused there.
    let (tmp, root) = main_root(b"iface eth0 inet static\r\n  address 192.0.2.1\r/24\r\n");
    let run = netloom(&deb(&root, &["import"]), tmp.path(), None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    crate::util::assert_contains(&run.stderr, "etc/network/interfaces:2:11: invalid address");
}

#[test]
fn a_bond_slaves_mac_is_a_link_file_applied_imported_merged_and_undefined_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    let xml =
        std::fs::read_to_string(repo().join("tests/data/interfaces/bond-8023ad.xml")).unwrap();
    std::fs::write(dir.path().join("host.xml"), &xml).unwrap();
    let link = |slave: &str| {
        dir.path()
            .join(format!("etc/systemd/network/10-netloom-{slave}.link"))
    };
    // A file of the user's where netloom's must go: refused, nothing written.
    std::fs::create_dir_all(link("ens3f0").parent().unwrap()).unwrap();
    std::fs::write(link("ens3f0"), "[Match]\nOriginalName=x\n").unwrap();
    let before = tree(dir.path());
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("10-netloom-ens3f0.link") && run.stderr.contains("not netloom's"),
        "{}",
        run.stderr
    );
    assert_eq!(tree(dir.path()), before);
    std::fs::remove_file(link("ens3f0")).unwrap();
    // Applied: one .link file per slave with a MAC, none for the slave without.
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(link("ens3f1")).unwrap();
    assert!(
        text.contains("[Match]\nPermanentMACAddress=00:1b:21:3a:4b:5d\n\n[Link]\nName=ens3f1\n"),
        "{text}"
    );
    assert!(link("ens3f0").exists() && !link("ens4f0").exists());
    // Imported back into the slaves' MACs.
    let run = netloom(&deb(&root, &["import"]), dir.path(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for mac in ["00:1b:21:3a:4b:5d", "00:1b:21:3a:4b:5c"] {
        crate::util::assert_contains(&run.stdout, &format!("<mac address='{mac}'/>"));
    }
    // A slave that loses its MAC loses its file; undefining the bond takes the rest.
    let without = xml.replace("<mac address='00:1b:21:3a:4b:5c'/>", "");
    std::fs::write(dir.path().join("host.xml"), without).unwrap();
    let run = netloom(
        &deb(&root, &["apply", "--yes", "host.xml"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(link("ens3f1").exists() && !link("ens3f0").exists());
    let run = netloom(
        &deb(&root, &["undefine", "--yes", "bond0"]),
        dir.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!link("ens3f1").exists());
    // Rolled back: the .link file is back with the bond.
    let run = netloom(&deb(&root, &["rollback", "--yes"]), dir.path(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(link("ens3f1")).unwrap(), text);
}
