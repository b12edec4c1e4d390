//! `render`, `import`, `list` and `backends` with the ifcfg backend, as a user runs them.

use std::os::unix::fs::PermissionsExt;

use crate::util::{netloom, repo, shared};

fn fsroot() -> Option<String> {
    shared("conformance/netcf/tests/redhat/fsroot").map(|p| p.display().to_string())
}

#[test]
fn list_gives_netcfs_top_level_interfaces() {
    let Some(root) = fsroot() else { return };
    let run = netloom(
        &["list", "--backend", "ifcfg", "--root", &root],
        &repo(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // netcf's own list test: br0 br1 br2 bond0 lo eth3 eth4 (netloom lists in file order).
    // The loopback is the distribution's, as NetworkManager reads ifcfg-lo: not listed.
    assert_eq!(run.stdout, "bond0\nbr0\nbr1\nbr2\neth3\neth4\n");
}

#[test]
fn import_follows_netcfs_lookup_rules() {
    let Some(root) = fsroot() else { return };
    // No --backend: the root's network-scripts directory says ifcfg. Options go before the verb.
    let run = netloom(&["--root", &root, "import", "eth4"], &repo(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // ifcfg-by-hwaddr matches the live MAC in sys/class/net/eth4/address; the decoy, with
    // ONBOOT=no and another HWADDR, loses.
    crate::util::assert_contains(&run.stdout, "<mac address='00:00:00:00:00:01'/>");
    crate::util::assert_contains(&run.stdout, "<start mode='onboot'/>");

    let run = netloom(&["import", "eth3", "--root", &root], &repo(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("<interface type='ethernet' name='eth3'>"),
        "{}",
        run.stdout
    );

    let run = netloom(&["import", "--root", &root, "eth1"], &repo(), None);
    assert_eq!(run.code, 2);
    crate::util::assert_contains(
        &run.stderr,
        "'eth1' is part of 'bond0'; name 'bond0' instead",
    );
    assert!(run.stderr.contains("ifcfg-eth1:4:8:"), "{}", run.stderr);

    let run = netloom(&["import", "--root", &root, "eth9"], &repo(), None);
    assert_eq!(run.code, 2);
    crate::util::assert_contains(&run.stderr, "no ifcfg file configures 'eth9'");
}

#[test]
fn unreadable_ifcfg_files_are_reported_with_positions_and_all_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("etc/sysconfig/network-scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::write(
        scripts.join("ifcfg-eth0"),
        "DEVICE=eth0\nIPADDR=10.0.0.300\nPREFIX=24\n",
    )
    .unwrap();
    std::fs::write(
        scripts.join("ifcfg-eth1"),
        "DEVICE=eth1\nBOOTPROTO=\"$(dhcp)\"\n",
    )
    .unwrap();
    std::fs::write(
        scripts.join("ifcfg-eth2.bak"),
        "this is a backup: ignored (\n",
    )
    .unwrap();
    let root = dir.path().display().to_string();
    let run = netloom(&["import", "--root", &root], &repo(), None);
    assert_eq!(run.code, 2, "{}", run.stdout);
    crate::util::assert_contains(
        &run.stderr,
        "etc/sysconfig/network-scripts/ifcfg-eth1:2:12:",
    );
    let run2 = {
        std::fs::remove_file(scripts.join("ifcfg-eth1")).unwrap();
        netloom(&["import", "--root", &root], &repo(), None)
    };
    assert_eq!(run2.code, 2);
    assert!(
        run2.stderr.starts_with(
            "etc/sysconfig/network-scripts/ifcfg-eth0:2:8: invalid IPADDR '10.0.0.300'"
        ),
        "{}",
        run2.stderr
    );
}

#[test]
fn render_out_writes_a_root_and_merges_into_it_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("root");
    let out_s = out.display().to_string();
    let run = netloom(
        &[
            "render",
            "--backend",
            "ifcfg",
            "examples/host.xml",
            "--out",
            &out_s,
        ],
        &repo(),
        None,
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let br0 = out.join("etc/sysconfig/network-scripts/ifcfg-br0");
    let text = std::fs::read_to_string(&br0).unwrap();
    assert!(
        text.contains("TYPE=Bridge\n") && text.contains("IPADDR=192.0.2.10\n"),
        "{text}"
    );
    assert_eq!(
        std::fs::metadata(&br0).unwrap().permissions().mode() & 0o777,
        0o644
    );

    // The user adds a key and a comment; the next render keeps both and changes nothing else.
    std::fs::write(&br0, format!("# mine\n{text}ZONE=trusted\n")).unwrap();
    let again = netloom(
        &["render", "examples/host.xml", "--out", &out_s],
        &repo(),
        None,
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(&br0).unwrap(),
        format!("# mine\n{text}ZONE=trusted\n")
    );

    // Without --out the same files are printed, each under a header naming its path.
    let printed = netloom(
        &[
            "render",
            "--backend",
            "ifcfg",
            "--root",
            &out_s,
            "examples/host.xml",
        ],
        &repo(),
        None,
    );
    assert_eq!(printed.code, 0);
    assert!(
        printed
            .stdout
            .contains("==> etc/sysconfig/network-scripts/ifcfg-br0 <==\n# mine\n"),
        "{}",
        printed.stdout
    );
    assert_eq!(printed.stdout.matches("==> ").count(), 7);
}

#[test]
fn the_backend_is_detected_or_asked_for() {
    let empty = tempfile::tempdir().unwrap();
    let root = empty.path().display().to_string();
    let run = netloom(
        &["render", "--root", &root, "examples/host.xml"],
        &repo(),
        None,
    );
    assert_eq!(run.code, 2);
    crate::util::assert_contains(&run.stderr, "cannot tell which backend");
    crate::util::assert_contains(&run.stderr, "give --backend (one of: ifcfg, debian, nm)");

    let run = netloom(
        &["render", "--backend", "wicked", "examples/host.xml"],
        &repo(),
        None,
    );
    assert_eq!(run.code, 2);
    crate::util::assert_contains(&run.stderr, "unknown backend 'wicked'; available: ifcfg");

    let Some(fs) = fsroot() else { return };
    let run = netloom(&["backends", "--root", &fs], &repo(), None);
    assert_eq!(run.stdout, "ifcfg  (used by the root)\ndebian\nnm\n");
    let run = netloom(&["backends", "--root", &root], &repo(), None);
    assert_eq!(run.stdout, "ifcfg\ndebian\nnm\n");
}

#[test]
fn a_byte_order_mark_does_not_shift_the_position_of_a_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("etc/sysconfig/network-scripts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ifcfg-eth0"),
        "\u{feff}TYPE=Ethernet\nDEVICE=bad/name\n",
    )
    .unwrap();
    let root = tmp.path().to_str().unwrap();
    let run = netloom(
        &["import", "--backend", "ifcfg", "--root", root],
        &repo(),
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The value starts in column 8 of line 2, however many bytes the BOM has.
    assert!(
        run.stderr
            .starts_with("etc/sysconfig/network-scripts/ifcfg-eth0:2:8: invalid DEVICE"),
        "{}",
        run.stderr
    );
}

const ETH0: &str = "<interface type='ethernet' name='eth0'><start mode='onboot'/>\
<protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol></interface>";

/// A root holding one ifcfg file with `text`, and `host.xml` (eth0) beside it.
fn ifcfg_root(file: &str, text: &[u8]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("etc/sysconfig/network-scripts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
    std::fs::write(tmp.path().join("host.xml"), ETH0).unwrap();
    let root = tmp.path().display().to_string();
    (tmp, root)
}

/// Runs every verb that reads the root; each must exit 2 with `want` in its errors and leave
/// every byte under the root as it was.
fn every_verb_refuses(dir: &std::path::Path, root: &str, want: &str) {
    let before = crate::debian_cli::tree(dir);
    for verb in [
        &["import"][..],
        &["list"],
        &["diff", "host.xml"],
        &["apply", "--yes", "host.xml"],
    ] {
        let mut args = vec!["--backend", "ifcfg", "--root", root];
        args.extend_from_slice(verb);
        let run = netloom(&args, dir, None);
        assert_eq!(run.code, 2, "{verb:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(want), "{verb:?}: {}", run.stderr);
    }
    assert_eq!(crate::debian_cli::tree(dir), before);
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_its_first_bad_byte_and_never_overwritten() {
    // One Latin-1 byte in a comment of the very file apply would merge into: apply used to
    // take the file for absent and replace it.
    let (tmp, root) = ifcfg_root("ifcfg-eth0", b"DEVICE=eth0\nONBOOT=no\n# caf\xe9\n");
    every_verb_refuses(
        tmp.path(),
        &root,
        "etc/sysconfig/network-scripts/ifcfg-eth0:3:6: the file is not valid UTF-8: byte 0xe9",
    );
    // Another device's file stops a plan too: it may configure eth0 (by DEVICE or HWADDR).
    let (tmp, root) = ifcfg_root("ifcfg-lan", b"DEVICE=eth0\nNAME=B\xfcro\n");
    every_verb_refuses(
        tmp.path(),
        &root,
        "etc/sysconfig/network-scripts/ifcfg-lan:2:7: the file is not valid UTF-8: byte 0xfc",
    );
}

#[test]
fn a_crlf_file_is_refused_where_bash_and_networkmanager_disagree() {
    // bash reads `yes\r` here, NetworkManager's ifcfg-rh `yes`: no reading is the host's.
    let text = "# written on Windows\r\nDEVICE=eth0\r\nONBOOT=yes\r\nIPADDR=192.0.2.10\r\n";
    let (tmp, root) = ifcfg_root("ifcfg-eth0", text.as_bytes());
    every_verb_refuses(
        tmp.path(),
        &root,
        "etc/sysconfig/network-scripts/ifcfg-eth0:2:12: carriage return in a value",
    );
}

#[test]
fn a_merge_writes_no_carriage_return_of_its_own() {
    // A CR in a comment means the same to every reader: the file merges, and the CR stays
    // the only one.
    let text = "# written on Windows\r\nDEVICE=eth0\nONBOOT=no\nZONE=work\n";
    let (tmp, root) = ifcfg_root("ifcfg-eth0", text.as_bytes());
    let run = netloom(
        &[
            "--backend",
            "ifcfg",
            "--root",
            &root,
            "apply",
            "--yes",
            "host.xml",
        ],
        tmp.path(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = tmp.path().join("etc/sysconfig/network-scripts/ifcfg-eth0");
    let merged = std::fs::read_to_string(&path).unwrap();
    assert!(
        merged.starts_with("# written on Windows\r\nDEVICE=eth0\nONBOOT=yes\nZONE=work\n"),
        "{merged:?}"
    );
    assert!(merged.contains("\nIPADDR=192.0.2.10\n"), "{merged:?}");
    assert_eq!(merged.matches('\r').count(), 1, "{merged:?}");
    let run = netloom(
        &["--backend", "ifcfg", "--root", &root, "diff", "host.xml"],
        tmp.path(),
        None,
    );
    assert_eq!(run.code, 0, "no drift after the merge: {}", run.stdout);
}
