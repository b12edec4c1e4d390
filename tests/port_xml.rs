//! Guest ports in XML: libvirt's `<networkport>` fixtures round-trip byte for byte, guest
//! documents of every interface type round-trip, and bad guest interfaces are refused
//! with positioned messages.

use netloom::SourceFile;
use netloom::model::guest::{Guest, GuestForm, GuestSource, GuestType};
use netloom::model::network::{MacvtapMode, Plug, PlugType};
use netloom::xml;

use crate::util;

/// libvirt's `virnetworkportxml2xmltest` cases.
const NETPORT_CASES: &[&str] = &[
    "plug-bridge-basic",
    "plug-bridge-mactbl",
    "plug-bridge",
    "plug-direct",
    "plug-hostdev-pci-unmanaged",
    "plug-hostdev-pci",
    "plug-network-basic",
    "plug-network",
    "plug-none",
];

fn read_guest(name: &str, text: &str) -> Result<Guest, String> {
    xml::read_guest(&SourceFile::new(name, text)).map_err(|e| e.to_string())
}

fn guest_fixture(name: &str) -> (String, String) {
    let path = util::repo().join("tests/data/guest").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    (path.display().to_string(), text)
}

#[test]
fn libvirts_networkport_fixtures_round_trip_byte_for_byte() {
    let Some(dir) = util::shared("conformance/libvirt/tests/virnetworkportxml2xmldata") else {
        return;
    };
    let files = util::xml_files(&dir);
    let mut stems: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    stems.sort();
    let mut want: Vec<String> = NETPORT_CASES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        stems, want,
        "the fixture folder holds exactly libvirt's 9 cases"
    );
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let src = SourceFile::new(path.display().to_string(), text.clone());
        let port = match xml::read_netport(&src) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: does not read:\n{e}", path.display()));
                continue;
            }
        };
        let out = xml::netport_to_xml(&port);
        if out != text {
            let name = path.display().to_string();
            failures.push(util::diff(&text, &out, &name, "written"));
            continue;
        }
        let again = xml::read_netport(&SourceFile::new("written", out)).unwrap();
        if again != port {
            failures.push(format!("{}: reads back differently", path.display()));
        }
    }
    assert_eq!(files.len(), 9);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn networkport_fixtures_read_into_the_model() {
    let Some(dir) = util::shared("conformance/libvirt/tests/virnetworkportxml2xmldata") else {
        return;
    };
    let read = |stem: &str| {
        let path = dir.join(format!("{stem}.xml"));
        let text = std::fs::read_to_string(&path).unwrap();
        xml::read_netport(&SourceFile::new(stem, text)).unwrap()
    };
    let port = read("plug-network");
    assert_eq!(port.owner.name.as_str(), "memtest");
    assert_eq!(port.group.as_ref().map(|g| g.as_str()), Some("web1"));
    assert_eq!(port.class_id, Some(1729));
    assert_eq!(port.bandwidth.unwrap().inbound.unwrap().floor, Some(2000));
    let tags: Vec<u16> = port.vlan.unwrap().tags.iter().map(|t| t.id).collect();
    assert_eq!(tags, [2, 1729]);
    assert_eq!(port.port.unwrap().isolated, Some(true));
    assert_eq!(port.trust_guest_rx_filters, Some(true));
    match port.plug.unwrap() {
        Plug::Bridge { kind, bridge, .. } => {
            assert_eq!(kind, PlugType::Network);
            assert_eq!(bridge.as_str(), "virbr0");
        }
        other => panic!("{other:?}"),
    }
    match read("plug-direct").plug.unwrap() {
        Plug::Direct { dev, mode } => {
            assert_eq!((dev.as_str(), mode), ("ens3", MacvtapMode::Vepa));
        }
        other => panic!("{other:?}"),
    }
    match read("plug-hostdev-pci-unmanaged").plug.unwrap() {
        Plug::HostdevPci {
            managed, address, ..
        } => {
            assert_eq!(managed, Some(false));
            assert_eq!(
                (address.domain, address.bus, address.slot, address.function),
                (1, 2, 3, 4)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read("plug-none").plug, None);
}

#[test]
fn a_guest_with_every_interface_type_round_trips() {
    let (name, text) = guest_fixture("all-types.xml");
    let guest = read_guest(&name, &text).unwrap();
    assert_eq!(guest.form, GuestForm::Domain);
    assert_eq!(guest.name.as_ref().unwrap().as_str(), "web-01");
    let kinds: Vec<&str> = guest.interfaces.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "network", "network", "network", "network", "network", "bridge", "direct", "direct",
            "ethernet", "user", "server", "server", "client", "mcast", "none"
        ]
    );
    for kind in GuestType::ALL {
        assert!(kinds.contains(&kind.as_str()), "{kind} is covered");
    }
    let actuals: Vec<PlugType> = guest
        .interfaces
        .iter()
        .filter_map(|i| i.actual.as_ref().map(|a| a.plug.kind()))
        .collect();
    assert_eq!(
        actuals,
        [
            PlugType::Network,
            PlugType::Bridge,
            PlugType::Direct,
            PlugType::HostdevPci
        ]
    );
    let first = &guest.interfaces[0];
    assert_eq!(first.link_up, Some(false));
    assert_eq!(first.port.unwrap().isolated, Some(true));
    assert_eq!(first.target.as_ref().unwrap().as_str(), "vnet0");
    assert!(matches!(
        &first.source,
        GuestSource::Network { portgroup: Some(pg), portid: Some(_), .. } if pg.as_str() == "web"
    ));
    assert!(matches!(
        guest.interfaces[13].source,
        GuestSource::Socket {
            address: Some(a),
            port: 5558
        } if a.is_multicast()
    ));
    assert!(matches!(
        guest.interfaces[11].source,
        GuestSource::Socket {
            address: None,
            port: 5559
        }
    ));

    let out = xml::guest_to_xml(&guest);
    assert_eq!(out, text, "{}", util::diff(&text, &out, &name, "written"));
    assert_eq!(read_guest("written", &out).unwrap(), guest);
}

#[test]
fn interfaces_keep_their_order() {
    let text = "<devices>\n  <interface type='user'>\n    <mac address='52:54:00:00:00:03'/>\n  </interface>\n  <interface type='network'>\n    <mac address='52:54:00:00:00:01'/>\n    <source network='default'/>\n  </interface>\n  <interface type='bridge'>\n    <mac address='52:54:00:00:00:02'/>\n    <source bridge='br0'/>\n  </interface>\n  <interface type='user'>\n    <mac address='52:54:00:00:00:00'/>\n  </interface>\n</devices>\n";
    let guest = read_guest("d.xml", text).unwrap();
    assert_eq!(guest.form, GuestForm::Devices);
    let macs: Vec<String> = guest
        .interfaces
        .iter()
        .map(|i| i.mac.unwrap().to_string())
        .collect();
    assert_eq!(
        macs,
        [
            "52:54:00:00:00:03",
            "52:54:00:00:00:01",
            "52:54:00:00:00:02",
            "52:54:00:00:00:00"
        ]
    );
    assert_eq!(xml::guest_to_xml(&guest), text);
}

#[test]
fn a_whole_domain_is_read_for_its_interfaces_only() {
    let text = r#"<domain type='kvm' id='3' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>db-02</name>
  <uuid>
    4dea22b3-1d52-d8f3-2516-782e98ab3fa0
  </uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/db-02.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:6e:11:02'/>
      <source network='default'/>
      <model type='virtio'/>
      <driver name='vhost' queues='2'/>
      <alias name='net0'/>
      <rom bar='off'/>
      <boot order='2'/>
      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
    </interface>
    <serial type='pty'/>
    <interface type='bridge'>
      <source bridge='br0'/>
    </interface>
    <graphics type='vnc' port='-1'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-no-hpet'/>
  </qemu:commandline>
</domain>
"#;
    let guest = read_guest("dom.xml", text).unwrap();
    assert_eq!(guest.name.as_ref().unwrap().as_str(), "db-02");
    assert_eq!(
        guest.uuid.unwrap().to_string(),
        "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"
    );
    assert_eq!(guest.interfaces.len(), 2);
    let want = "<domain>\n  <name>db-02</name>\n  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n  <devices>\n    <interface type='network'>\n      <mac address='52:54:00:6e:11:02'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n    <interface type='bridge'>\n      <source bridge='br0'/>\n    </interface>\n  </devices>\n</domain>\n";
    let out = xml::guest_to_xml(&guest);
    assert_eq!(out, want);
    assert_eq!(read_guest("written", &out).unwrap(), guest);
}

/// Every diagnostic line (`file:line:col: message`) of refusing `text` as `t.xml`.
fn refusals(text: &str) -> Vec<String> {
    let err = read_guest("t.xml", text).expect_err("must be refused");
    err.lines()
        .filter(|l| l.starts_with("t.xml:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn bad_interfaces_are_refused_where_the_problem_is() {
    let cases: &[(&str, &str)] = &[
        (
            "<interface type='vhostuser'/>\n",
            "t.xml:1:18: invalid type 'vhostuser' on <interface>: expected 'network', 'bridge'",
        ),
        (
            "<interface type='network'>\n  <source portgroup='web'/>\n</interface>\n",
            "t.xml:2:3: <source> of <interface type='network'> is missing the required attribute 'network'",
        ),
        (
            "<interface type='network'>\n  <source bridge='br0'/>\n</interface>\n",
            "t.xml:2:11: <source bridge> is for <interface type='bridge'>; <interface type='network'> expects <source network>",
        ),
        (
            "<interface type='user'>\n  <mac address='52:54:00:zz:00:01'/>\n</interface>\n",
            "t.xml:2:17: invalid address '52:54:00:zz:00:01' on <mac>: expected a MAC address",
        ),
        (
            "<interface type='mcast'>\n  <source address='192.168.1.1' port='5558'/>\n</interface>\n",
            "t.xml:2:20: invalid address '192.168.1.1' on <source> of <interface type='mcast'>: expected a multicast group",
        ),
        (
            "<interface type='server'>\n  <source port='0'/>\n</interface>\n",
            "t.xml:2:17: invalid port '0' on <source> of <interface type='server'>: expected a port number from 1 to 65535",
        ),
        (
            "<interface type='user'>\n  <mac address='52:54:00:00:00:01'/>\n  <mac address='52:54:00:00:00:02'/>\n</interface>\n",
            "t.xml:3:3: <mac> appears more than once in <interface>; it may appear once",
        ),
        (
            "<interface type='user'>\n  <filterref filter='clean-traffic'/>\n</interface>\n",
            "t.xml:2:3: unknown element <filterref> in <interface>; expected <mac>, <source>",
        ),
    ];
    for (text, want) in cases {
        let got = refusals(text);
        assert_eq!(got.len(), 1, "{text}: {got:#?}");
        assert!(
            got[0].starts_with(want),
            "{text}: {}\nwanted {want}",
            got[0]
        );
    }
}

#[test]
fn every_problem_of_a_guest_is_reported_in_one_run() {
    let text = "<domain>\n  <name>a/b</name>\n  <devices>\n    <interface type='ethernet'>\n      <source bridge='br0'/>\n    </interface>\n    <interface type='bridge' trust='yes'/>\n    <interface type='client'>\n      <source port='70000'/>\n      <link state='off'/>\n    </interface>\n  </devices>\n</domain>\n";
    let got = refusals(text);
    let want = [
        "t.xml:2:9: invalid <name> 'a/b'",
        "t.xml:5:7: <interface type='ethernet'> takes no <source>",
        "t.xml:7:5: <interface type='bridge'> needs <source bridge>",
        "t.xml:7:30: unknown attribute 'trust' on <interface>",
        "t.xml:9:7: <source> of <interface type='client'> is missing the required attribute 'address'",
        "t.xml:9:21: invalid port '70000' on <source> of <interface type='client'>",
        "t.xml:10:20: invalid state 'off' on <link>: expected 'up' or 'down'",
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (line, want) in got.iter().zip(want) {
        assert!(line.starts_with(want), "{line}\nwanted {want}");
    }
}

#[test]
fn only_guest_roots_are_accepted() {
    let got = refusals("<network>\n  <name>n</name>\n</network>\n");
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with(
            "t.xml:1:1: expected <domain>, <devices> or <interface> as the root element, found <network>"
        ),
        "{got:?}"
    );
}

/// A guest named `name` with one user-mode NIC of model `model`, as `g.xml` in a scratch
/// root, and `netloom --root ROOT ARGS… g.xml` run in it.
fn port_verb(name: &str, model: &str, args: &[&str]) -> (util::Run, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "<domain>\n  <name>{name}</name>\n  <devices>\n    <interface type='user'>\n      \
         <mac address='52:54:00:00:00:01'/>\n      <model type='{model}'/>\n    </interface>\n  \
         </devices>\n</domain>\n"
    );
    std::fs::write(tmp.path().join("g.xml"), text).unwrap();
    let mut all = util::taken(&[("--root", tmp.path().to_str().unwrap())], args);
    all.push("g.xml");
    (util::netloom(&all, tmp.path(), None), tmp)
}

/// The names in a scratch root besides the guest document.
fn made(root: &tempfile::TempDir) -> Vec<String> {
    std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "g.xml")
        .collect()
}

#[test]
fn a_guest_name_too_long_for_its_state_file_is_refused_and_nothing_is_made() {
    let long = "g".repeat(251);
    let (r, root) = port_verb(&long, "virtio", &["port", "plug", "--guest", "vm1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("g.xml:2:9: invalid <name>"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("1 to 250 bytes"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert_eq!(made(&root), Vec::<String>::new());
    // The owner named on the command line has the same limit.
    let (r, root) = port_verb("vm1", "virtio", &["port", "plug", "--guest", &long]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    crate::util::assert_contains(&r.stderr, "expected a guest name of 1 to 250 bytes");
    assert_eq!(made(&root), Vec::<String>::new());
    // The longest name plugs, and its record is a 255-byte file name.
    let longest = "g".repeat(250);
    let (r, root) = port_verb(&longest, "virtio", &["port", "plug", "--guest", &longest]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let record = root
        .path()
        .join("run/netloom/guests")
        .join(format!("{longest}.json"));
    assert!(record.is_file(), "{}", record.display());
}

#[test]
fn a_nic_model_qemu_would_read_as_a_request_for_help_is_refused_at_its_position() {
    for (model, part) in [
        ("help", "makes QEMU list its devices and exit"),
        ("?", "'?' is not allowed"),
        ("e1000,help", "',' is not allowed"),
    ] {
        for verb in [
            &["port", "qemu-args"][..],
            &["port", "plug", "--guest", "vm1"],
        ] {
            let (r, root) = port_verb("vm1", model, verb);
            assert_eq!(r.code, 2, "{model} {verb:?}: {}", r.stderr);
            assert!(
                r.stderr.starts_with("g.xml:6:20: invalid type"),
                "{model}: {}",
                r.stderr
            );
            assert!(r.stderr.contains(part), "{model}: {}", r.stderr);
            assert!(r.stdout.is_empty());
            assert_eq!(made(&root), Vec::<String>::new());
        }
    }
    let (r, _root) = port_verb("vm1", "e1000e", &["port", "qemu-args"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    crate::util::assert_contains(&r.stdout, "\ne1000e,netdev=hostnet0,id=net0,");
}
