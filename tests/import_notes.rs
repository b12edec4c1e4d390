//! What an import cannot hold, said and left alone: files of kinds the model does not hold
//! (Wi-Fi, teams, PPP) survive an `apply` that does not mention them, byte for byte, in every
//! host backend; the verbs that read a root show the notes once; `import --strict` refuses.

use std::path::Path;

use crate::debian_cli::tree;
use crate::util::netloom;

const ETH0: &str = "<interface type='ethernet' name='eth0'><start mode='onboot'/>\
<protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol></interface>";

/// A root with `files` (relative path, text) and `host.xml` declaring only eth0.
fn root(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let at = tmp.path().join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    std::fs::write(tmp.path().join("host.xml"), ETH0).unwrap();
    tmp
}

fn run(dir: &Path, backend: &str, verb: &[&str]) -> crate::util::Run {
    let root = dir.display().to_string();
    let args = crate::util::taken(&[("--backend", backend), ("--root", &root)], verb);
    netloom(&args, dir, None)
}

/// Applies a host of eth0 alone: every file in `foreign` must be left byte for byte, and the
/// skipped note about each said once.
fn apply_leaves_alone(backend: &str, files: &[(&str, &str)], foreign: &[&str], said: &[&str]) {
    let tmp = root(files);
    let before = tree(tmp.path());
    let applied = run(tmp.path(), backend, &["apply", "--yes", "host.xml"]);
    assert_eq!(applied.code, 0, "{backend}: {}", applied.stderr);
    let after = tree(tmp.path());
    for path in foreign {
        assert!(after.contains_key(*path), "{backend}: {path} was removed");
        assert_eq!(
            after.get(*path),
            before.get(*path),
            "{backend}: {path} must be left byte for byte"
        );
    }
    for note in said {
        assert_eq!(
            applied.stderr.matches(note).count(),
            1,
            "{backend}: '{note}' once in:\n{}",
            applied.stderr
        );
    }
    // Applying again changes nothing, and the foreign files are still there.
    let again = run(tmp.path(), backend, &["diff", "host.xml"]);
    assert_eq!(again.code, 0, "{backend}: {}{}", again.stdout, again.stderr);
}

#[test]
fn apply_leaves_wifi_and_team_files_of_ifcfg_byte_for_byte() {
    let dir = "etc/sysconfig/network-scripts";
    let wifi = format!("{dir}/ifcfg-wlan0");
    let team = format!("{dir}/ifcfg-team0");
    let port = format!("{dir}/ifcfg-eth9");
    apply_leaves_alone(
        "ifcfg",
        &[
            (
                &wifi,
                "TYPE=Wireless\nDEVICE=wlan0\nESSID=home\nONBOOT=yes\n",
            ),
            (
                &team,
                "DEVICE=team0\nDEVICETYPE=Team\nTEAM_CONFIG='{\"runner\": {\"name\": \"lacp\"}}'\n",
            ),
            (
                &port,
                "DEVICE=eth9\nTEAM_MASTER=team0\nDEVICETYPE=TeamPort\nONBOOT=yes\n",
            ),
        ],
        &[&wifi, &team, &port],
        &[
            "ifcfg-wlan0:1:6: note: skipped: a Wi-Fi interface (TYPE=Wireless)",
            "ifcfg-team0:2:12: note: skipped: a team",
            "ifcfg-eth9:3:12: note: skipped: a port of a team",
        ],
    );
}

#[test]
fn apply_leaves_wifi_and_team_profiles_of_nm_byte_for_byte() {
    let dir = "etc/NetworkManager/system-connections";
    let wifi = format!("{dir}/home.nmconnection");
    let team = format!("{dir}/team0.nmconnection");
    let port = format!("{dir}/team0-port1");
    // A Wi-Fi profile that carries the UUID netloom derives from its device's name (as if
    // netloom's ethernet profile had been turned into a Wi-Fi one by hand) is still not
    // netloom's: import skips it, so no plan may delete it.
    let uuid_wifi = format!("{dir}/wlan1.nmconnection");
    let uuid_wifi_text = format!(
        "[connection]\nid=wlan1\nuuid={}\ntype=wifi\ninterface-name=wlan1\n\n[wifi]\nssid=x\n",
        netloom::backends::nm::render::uuid("wlan1")
    );
    apply_leaves_alone(
        "nm",
        &[
            (
                &wifi,
                "[connection]\nid=home\ntype=wifi\ninterface-name=wlan0\n\n[wifi]\nssid=home\n",
            ),
            (&uuid_wifi, &uuid_wifi_text),
            (
                &team,
                "[connection]\nid=team0\ntype=team\ninterface-name=team0\n\n[team]\nconfig={}\n",
            ),
            (
                &port,
                "[connection]\nid=team0-port1\ntype=ethernet\ninterface-name=eth9\n\
                 master=team0\nslave-type=team\n",
            ),
        ],
        &[&wifi, &uuid_wifi, &team, &port],
        &[
            "home.nmconnection:3:6: note: skipped: a profile of type 'wifi'",
            "wlan1.nmconnection:4:6: note: skipped: a profile of type 'wifi'",
            "team0.nmconnection:3:6: note: skipped: a profile of type 'team'",
            "team0-port1:5:8: note: skipped: its controller 'team0'",
        ],
    );
}

#[test]
fn apply_leaves_wifi_and_ppp_stanzas_of_debian_byte_for_byte() {
    let wifi = "etc/network/interfaces.d/wlan0";
    apply_leaves_alone(
        "debian",
        &[
            (
                "etc/network/interfaces",
                "source-directory /etc/network/interfaces.d\n\nauto ppp0\niface ppp0 inet ppp\n  \
                 provider isp\n",
            ),
            (
                wifi,
                "allow-hotplug wlan0\niface wlan0 inet dhcp\n  wpa-ssid home\n  wpa-psk secret\n",
            ),
        ],
        &[wifi, "etc/network/interfaces"],
        &[
            "interfaces:4:17: note: skipped: a PPP link (inet ppp)",
            "interfaces.d/wlan0:3:3: note: skipped: a Wi-Fi interface (wpa-ssid)",
        ],
    );
}

#[test]
fn every_verb_that_reads_a_root_shows_its_notes_once_and_strict_refuses() {
    let dir = "etc/sysconfig/network-scripts";
    let eth0 = format!("{dir}/ifcfg-eth0");
    let tmp = root(&[(
        &eth0,
        "DEVICE=eth0\nONBOOT=yes\nIPADDR=192.0.2.10\nPREFIX=24\nZONE=work\nETHTOOL_OPTS='-K eth0 gro off'\n",
    )]);
    let zone = "ifcfg-eth0:5:6: note: ZONE is kept in the file but not imported";
    let ethtool = "ifcfg-eth0:6:14: note: ETHTOOL_OPTS is kept in the file but not imported";
    for verb in [
        &["import"][..],
        &["list"],
        &["diff", "host.xml"],
        &["undefine", "--yes", "eth0"],
    ] {
        let done = run(tmp.path(), "ifcfg", verb);
        assert!(
            done.code == 0 || done.code == 1,
            "{verb:?}: {}",
            done.stderr
        );
        for note in [zone, ethtool] {
            assert_eq!(
                done.stderr.matches(note).count(),
                1,
                "{verb:?}: '{note}' once in:\n{}",
                done.stderr
            );
        }
        if verb[0] == "undefine" {
            break;
        }
    }
    // The notes went to standard error: the XML on standard output reads as it is.
    let tmp = root(&[(&eth0, "DEVICE=eth0\nZONE=work\n")]);
    let imported = run(tmp.path(), "ifcfg", &["import"]);
    assert!(netloom::xml::read_str("out.xml", &imported.stdout).is_ok());
    let strict = run(tmp.path(), "ifcfg", &["import", "--strict"]);
    assert_eq!(strict.code, 2, "{}", strict.stderr);
    assert!(strict.stdout.is_empty());
    assert!(
        strict.stderr.contains(
            "etc/sysconfig/network-scripts/ifcfg-eth0:2:6: ZONE is kept in the file but not \
             imported\n 2 | ZONE=work\n   |      ^\n  = note: --strict refuses what the import \
             cannot hold; without it, this is a note"
        ),
        "{}",
        strict.stderr
    );
}

#[test]
fn a_note_shows_what_a_hostile_value_holds_escaped() {
    let tmp = root(&[(
        "etc/sysconfig/network-scripts/ifcfg-eth0",
        "DEVICE=eth0\nTYPE='Wire\u{1b}[2Jless'\n",
    )]);
    let run = run(tmp.path(), "ifcfg", &["import"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    crate::util::assert_contains(&run.stderr, "TYPE=Wire\\u{1b}[2Jless");
}

/// What netloom writes, it reads back without a note, in every backend: a setting the XML
/// says once and a backend repeats on each port (the MTU, the start mode) is read with the
/// interface, not taken for the user's.
#[test]
fn what_netloom_writes_imports_back_without_a_note_in_every_backend() {
    use netloom::backend::Snapshot;
    let inputs = crate::util::xml_files(&crate::util::repo().join("tests/data/interfaces"));
    let mut checked = 0;
    for backend in netloom::backends::ALL {
        for input in &inputs {
            let name = input.file_name().unwrap().to_string_lossy().into_owned();
            let host =
                netloom::xml::read_str(&name, &std::fs::read_to_string(input).unwrap()).unwrap();
            let Ok(files) = backend.render(&host, &Snapshot::default()) else {
                continue; // refused: golden/BACKEND/NAME.refused says why
            };
            let snapshot = Snapshot {
                files: files.into_iter().map(|f| (f.path, f.contents)).collect(),
                ..Snapshot::default()
            };
            let imported = backend
                .import_noted(&snapshot, &[])
                .unwrap_or_else(|e| panic!("{} {name}: {e}", backend.name()));
            let notes: Vec<String> = imported.notes.iter().map(|n| n.to_string()).collect();
            assert!(notes.is_empty(), "{} {name}: {notes:#?}", backend.name());
            checked += 1;
        }
    }
    assert!(checked > 3 * 20, "only {checked} renders were checked");
}
