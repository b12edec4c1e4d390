//! Which backend a root uses without `--backend`, decided as a person would: a RHEL 9 root
//! (NetworkManager's directory, an ifcfg directory holding only its readme) and a Debian
//! desktop (an interfaces file for `lo` alone) are NetworkManager's; a root whose ifcfg
//! files configure interfaces beside an empty NetworkManager directory is ifcfg's; only two
//! backends that both configure interfaces ask for `--backend`, naming what each does.

use std::path::Path;

use serde_json::Value;

use crate::util::{netloom, repo};

const SCRIPTS: &str = "etc/sysconfig/network-scripts";
const KEYFILES: &str = "etc/NetworkManager/system-connections";

/// A keyfile for an ethernet profile of `dev`.
fn keyfile(dev: &str) -> String {
    format!(
        "[connection]\nid={dev}\nuuid=1b4e28ba-2fa1-11d2-883f-0016d3cca427\ntype=ethernet\n\
         interface-name={dev}\n\n[ipv4]\nmethod=auto\n"
    )
}

/// A temporary root with these files (an empty text makes a directory).
fn root(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let at = dir.path().join(path);
        if text.is_empty() {
            std::fs::create_dir_all(&at).unwrap();
            continue;
        }
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(&at, text).unwrap();
        if path.ends_with(".nmconnection") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&at, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    dir
}

/// `backends --format json` on the root: the chosen backend, and each present one's names.
fn backends(root: &Path) -> (Value, Vec<(String, Value)>) {
    let run = netloom(
        &[
            "backends",
            "--format",
            "json",
            "--root",
            root.to_str().unwrap(),
        ],
        &repo(),
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let present = doc["backends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["present"] == true)
        .map(|b| {
            (
                b["name"].as_str().unwrap().to_owned(),
                b["configures"].clone(),
            )
        })
        .collect();
    (doc["chosen"].clone(), present)
}

/// `diff` of the shipped example on the root, without --backend.
fn diff(root: &Path) -> crate::util::Run {
    netloom(
        &[
            "diff",
            "--root",
            root.to_str().unwrap(),
            "examples/host.xml",
        ],
        &repo(),
        None,
    )
}

#[test]
fn a_rhel9_root_with_only_the_ifcfg_readme_is_networkmanagers() {
    let readme = format!("{SCRIPTS}/readme-ifcfg-rh.txt");
    let tmp = root(&[
        (
            &readme,
            "NetworkManager stores new profiles in keyfile format\n",
        ),
        (KEYFILES, ""),
    ]);
    let (chosen, present) = backends(tmp.path());
    assert_eq!(chosen, "nm");
    assert_eq!(
        present,
        [
            ("ifcfg".into(), serde_json::json!([])),
            ("nm".into(), serde_json::json!([]))
        ]
    );
    let run = diff(tmp.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    crate::util::assert_contains(&run.stdout, &format!("b/{KEYFILES}/"));
}

#[test]
fn an_interfaces_file_for_lo_alone_does_not_make_a_desktop_debian() {
    let tmp = root(&[
        (
            "etc/network/interfaces",
            "# interfaces(5) file used by ifup(8) and ifdown(8)\n\
             source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n",
        ),
        ("etc/network/interfaces.d", ""),
        (
            &format!("{KEYFILES}/Wired.nmconnection"),
            &keyfile("enp1s0"),
        ),
    ]);
    let (chosen, present) = backends(tmp.path());
    assert_eq!(chosen, "nm");
    assert_eq!(
        present,
        [
            ("debian".into(), serde_json::json!([])),
            ("nm".into(), serde_json::json!(["enp1s0"]))
        ]
    );
    assert_eq!(diff(tmp.path()).code, 1);
}

#[test]
fn ifcfg_files_beside_an_empty_networkmanager_directory_are_ifcfg() {
    let tmp = root(&[
        (
            &format!("{SCRIPTS}/ifcfg-eth0"),
            "DEVICE=eth0\nONBOOT=yes\nBOOTPROTO=dhcp\n",
        ),
        (KEYFILES, ""),
    ]);
    assert_eq!(backends(tmp.path()).0, "ifcfg");
    let run = netloom(
        &["backends", "--root", tmp.path().to_str().unwrap()],
        &repo(),
        None,
    );
    assert_eq!(
        run.stdout,
        "ifcfg  (used by the root)\ndebian\nnm  (files there: nm configures no interface)\n"
    );
}

#[test]
fn two_managers_configuring_interfaces_ask_for_backend_naming_each() {
    let tmp = root(&[
        (
            "etc/network/interfaces",
            "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n",
        ),
        (&format!("{KEYFILES}/eth1.nmconnection"), &keyfile("eth1")),
    ]);
    assert_eq!(backends(tmp.path()).0, Value::Null);
    let run = diff(tmp.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "has two managers configuring interfaces: debian configures eth0; nm configures \
             eth1; give --backend"
        ),
        "{}",
        run.stderr
    );
    // Told which, it goes ahead.
    let told = netloom(
        &[
            "diff",
            "--backend",
            "nm",
            "--root",
            tmp.path().to_str().unwrap(),
            "examples/host.xml",
        ],
        &repo(),
        None,
    );
    assert_eq!(told.code, 1, "{}", told.stderr);
}

#[test]
fn two_backends_configuring_nothing_without_networkmanager_ask() {
    let tmp = root(&[
        (&format!("{SCRIPTS}/readme-ifcfg-rh.txt"), "readme\n"),
        (
            "etc/network/interfaces",
            "auto lo\niface lo inet loopback\n",
        ),
    ]);
    let run = diff(tmp.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "has files of several backends and none configures an interface (ifcfg configures \
             no interface; debian configures no interface); give --backend"
        ),
        "{}",
        run.stderr
    );
}
