//! What the properties found, each pinned by the smallest input that showed it.

use netloom::backend::{Backend, BackendError, Snapshot};
use netloom::backends::ifcfg::Ifcfg;
use netloom::backends::nm::Nm;
use netloom::backends::null::Null;

use crate::util::repo;

/// Found by the round trip: an empty IPv4 protocol rendered as `BOOTPROTO=none`, which
/// NetworkManager reads as IPv4 disabled, so import gives no protocol; render now writes
/// nothing for it, and render, import, render is a fixed point.
#[test]
fn fuzz_found_an_empty_ipv4_protocol_round_trips_through_ifcfg() {
    let xml = "<interface type='ethernet' name='eth1'><protocol family='ipv4'/></interface>";
    let host = netloom::xml::read_str("found.xml", xml).unwrap();
    let files = Ifcfg.render(&host, &Snapshot::default()).unwrap();
    assert!(
        !files[0].contents.contains("BOOTPROTO"),
        "{}",
        files[0].contents
    );
    let snap = Snapshot {
        files: files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect(),
        ..Snapshot::default()
    };
    let back = Ifcfg.import(&snap, &[]).unwrap();
    assert_eq!(
        netloom::xml::to_xml(&back),
        "<interface type='ethernet' name='eth1'/>\n"
    );
    assert_eq!(Ifcfg.render(&back, &Snapshot::default()).unwrap(), files);
}

/// Found by the damaged roots: a bond keyfile with `arp_interval` and no `arp_ip_target`
/// was refused without a position (the problem pointed at the missing key).
#[test]
fn fuzz_found_a_bond_keyfile_without_its_arp_target_is_refused_at_arp_interval() {
    let dir = "etc/NetworkManager/system-connections";
    let golden = repo().join("golden/nm/bond-arpmon-all").join(dir);
    let mut snap = Snapshot::default();
    for name in ["bond1.nmconnection", "eth4.nmconnection"] {
        let text = std::fs::read_to_string(golden.join(name)).unwrap();
        let text = text.replace("arp_ip_target=10.0.0.1\n", "");
        snap.files.insert(format!("{dir}/{name}"), text);
    }
    match Nm.import(&snap, &[]) {
        Err(BackendError::Invalid(d)) => {
            let got: Vec<String> =
                d.0.iter()
                    .map(|d| format!("{}: {}", d.location(), d.message()))
                    .collect();
            assert_eq!(
                got,
                [format!(
                    "{dir}/bond1.nmconnection:8:14: arp_interval monitors by ARP, and there is \
                     no arp_ip_target to probe; expected one IPv4 address"
                )]
            );
        }
        other => panic!("expected one positioned problem, got {other:?}"),
    }
}

/// Found by the damaged roots: an ifcfg file with both `MASTER=` and `BRIDGE=` imported as a
/// bond slave and a bridge port at once, a host whose XML does not read (the device twice).
/// It is read as NetworkManager reads it: a port of the bridge (BRIDGE is read first), with a
/// note that MASTER is ignored.
#[test]
fn fuzz_found_an_ifcfg_device_with_two_masters_is_one_masters_as_networkmanager_reads_it() {
    let dir = "etc/sysconfig/network-scripts";
    let golden = repo().join("golden/ifcfg/whole-host");
    let mut snap = Snapshot::default();
    for (path, bytes) in super::inputs::files_under(&golden) {
        let mut text = String::from_utf8(bytes).unwrap();
        if path == format!("{dir}/ifcfg-eth1") {
            text.insert_str(0, "BRIDGE=br100\n");
        }
        snap.files.insert(path, text);
    }
    let imported = Ifcfg.import_noted(&snap, &[]).unwrap();
    let xml = netloom::xml::to_xml(&imported.host);
    let again = netloom::xml::read_str("again.xml", &xml).unwrap();
    assert_eq!(again, imported.host, "{xml}");
    let br100 = xml.find("name='br100'").unwrap();
    assert!(xml[br100..].contains("name='eth1'"), "{xml}");
    let notes: Vec<String> = (imported.notes.iter())
        .map(|n| format!("{}: {}", n.at.location(), n.at.message()))
        .collect();
    assert_eq!(
        notes,
        [format!(
            "{dir}/ifcfg-eth1:7:8: MASTER is not imported: NetworkManager reads BRIDGE first, so \
             this device is a port of 'br100' and MASTER is ignored"
        )]
    );
}

/// Every problem of an import of `files`, as `file:line:col: message`.
fn refused(backend: &dyn Backend, files: &[(&str, &str)]) -> Vec<String> {
    let snap = Snapshot {
        files: (files.iter())
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect(),
        ..Snapshot::default()
    };
    match backend.import(&snap, &[]) {
        Err(BackendError::Invalid(d)) => (d.0.iter())
            .map(|d| format!("{}: {}", d.location(), d.message()))
            .collect(),
        other => panic!("expected positioned problems, got {other:?}"),
    }
}

/// Found by the damaged roots: a keyfile with an MTU below IPv6's minimum and IPv6 on
/// imported as a host its own interface XML refuses.
#[test]
fn fuzz_found_an_mtu_too_small_for_ipv6_is_refused_by_nm_and_ifcfg_import() {
    let keyfile = "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n\
                   [ethernet]\nmtu=200\n\n[ipv6]\nmethod=auto\n";
    let path = "etc/NetworkManager/system-connections/eth0.nmconnection";
    assert_eq!(
        refused(&Nm, &[(path, keyfile)]),
        [format!(
            "{path}:7:5: MTU 200 is below 1280, the minimum for IPv6, which this profile enables"
        )]
    );
    let path = "etc/sysconfig/network-scripts/ifcfg-eth0";
    assert_eq!(
        refused(&Ifcfg, &[(path, "DEVICE=eth0\nMTU=200\nIPV6INIT=yes\n")]),
        [format!(
            "{path}:2:5: MTU 200 is below 1280, the minimum for IPv6, and IPV6INIT=yes"
        )]
    );
}

/// Found by the mutation corpus: the null backend read each file alone, so a device in two
/// of its files (a slave of one bond, and a top-level interface) came back twice.
#[test]
fn fuzz_found_the_null_backend_reads_its_files_as_one_host() {
    let bond = "<interface type='bond' name='bond0'><bond>\n\
                <interface type='ethernet' name='eth0'/></bond></interface>\n";
    let eth = "<interface type='ethernet' name='eth0'/>\n";
    assert_eq!(
        refused(
            &Null,
            &[
                ("etc/netloom/null/bond0.xml", bond),
                ("etc/netloom/null/eth0.xml", eth)
            ]
        ),
        ["etc/netloom/null/eth0.xml:1:1: interface 'eth0' is defined twice"]
    );
}

/// Found by the damaged roots (golden/ifcfg/vlan-named with `DEVICE=eth1` added after its
/// `DEVICE=vlan42`): a vlan named after its own parent imported as a host whose XML is
/// refused. The keyfile importer took the same; the Debian one already refused it.
#[test]
fn fuzz_found_a_vlan_that_is_its_own_parent_is_refused_by_ifcfg_and_nm_import() {
    let path = "etc/sysconfig/network-scripts/ifcfg-vlan42";
    let text = "DEVICE=eth1\nTYPE=Vlan\nVLAN=yes\nVLAN_ID=7\nPHYSDEV=eth1\n";
    assert_eq!(
        refused(&Ifcfg, &[(path, text)]),
        [format!(
            "{path}:5:9: vlan 'eth1' cannot be its own parent device"
        )]
    );
    let path = "etc/NetworkManager/system-connections/eth1.nmconnection";
    let text = "[connection]\nid=eth1\ntype=vlan\ninterface-name=eth1\n\n\
                [vlan]\nid=7\nparent=eth1\n";
    assert_eq!(
        refused(&Nm, &[(path, text)]),
        [format!(
            "{path}:8:8: vlan 'eth1' cannot be its own parent device"
        )]
    );
}

/// Found by the damaged roots (golden/ifcfg/bridge-all-port-kinds with `DEVICE=br1` added
/// to `ifcfg-eth6.4095`, while a copy of it kept `DEVICE=eth6.4095`): the file found by its
/// name for one device configured another that had its own file, so that device came back
/// twice.
#[test]
fn fuzz_found_two_ifcfg_files_for_one_device_are_refused() {
    let dir = "etc/sysconfig/network-scripts";
    let br1 = format!("{dir}/ifcfg-br1");
    let named = format!("{dir}/ifcfg-eth6.4095");
    let copy = format!("{dir}/ifcfg-eth6.4095x");
    let files = [
        (br1.as_str(), "DEVICE=br1\nTYPE=Bridge\n"),
        (named.as_str(), "DEVICE=eth6.4095\nDEVICE=br1\n"),
        (copy.as_str(), "DEVICE=eth6.4095\nBRIDGE=br1\n"),
    ];
    assert_eq!(
        refused(&Ifcfg, &files),
        [format!(
            "{named}:2:8: 'br1' is configured by {br1} too; a device has one ifcfg file"
        )]
    );
}
