//! The NetworkManager keyfile backend: round trips (render, write, read, import) over every
//! golden case, positioned reader errors, what it owns in a directory it shares with the
//! user, and the command line (mode 0600, merge, undefine, detection).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use netloom::backend::{Backend, BackendError, Snapshot};
use netloom::backends::nm::{self, Nm, Settings, Value, import, keyfile, render};
use netloom::model::{Host, IfaceName};

use crate::util::equivalence::nm as normalise;
use crate::util::{netloom, repo, xml_files};

const KEYFILES: &str = "etc/NetworkManager/system-connections";

/// Every golden input NetworkManager can express, and the field walk's host.
fn cases() -> Vec<(String, Host)> {
    let mut out: Vec<(String, Host)> = xml_files(&repo().join("tests/data/interfaces"))
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.display().to_string();
            let host = netloom::xml::read_str(&name, &text).unwrap();
            (name, host)
        })
        .filter(|(_, h)| render::profiles(h).is_ok())
        .collect();
    let walk = netloom::xml::read_str("walk.xml", &crate::nm_fields::BASE).unwrap();
    out.push(("the field walk's host".into(), walk));
    out
}

fn snapshot(files: impl IntoIterator<Item = (String, String)>) -> Snapshot {
    Snapshot {
        files: files.into_iter().collect(),
        ..Snapshot::default()
    }
}

fn rendered(host: &Host) -> Snapshot {
    let files = Nm.render(host, &Snapshot::default()).unwrap();
    snapshot(files.into_iter().map(|f| (f.path, f.contents)))
}

fn names(list: &[&str]) -> Vec<IfaceName> {
    list.iter().map(|n| IfaceName::parse(n).unwrap()).collect()
}

/// From the settings a profile is made of, as NetworkManager hands them over D-Bus; from its
/// keyfiles, `round_trip.rs` checks it with every backend.
#[test]
fn every_case_imports_back_from_its_settings() {
    let cases = cases();
    assert!(cases.len() >= 8, "only {} cases", cases.len());
    for (name, host) in cases {
        let profiles = render::profiles(&host).unwrap();
        let got = import::host(&profiles, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(got.notes.is_empty(), "{name}: {:?}", got.notes);
        assert_eq!(
            normalise(got.host),
            normalise(host),
            "{name}: from the settings"
        );
    }
}

#[test]
fn settings_written_and_read_back_keep_every_managed_key() {
    for (name, host) in cases() {
        for p in render::profiles(&host).unwrap() {
            let text = keyfile::write(&p);
            let back = keyfile::read("f", &text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
            // Writing what was read gives the same bytes: the writer's output is its own
            // fixed point, as NetworkManager's is.
            assert_eq!(keyfile::write(&back), text, "{name}");
            assert_eq!(back.uuid(), p.uuid());
            // Every key netloom manages comes back, but the defaults NetworkManager leaves
            // out of its keyfiles.
            let want = p.managed().without_defaults();
            assert_eq!(back.managed(), want, "{name}: {}\n{text}", p.id().unwrap());
        }
    }
}

#[test]
fn reader_problems_name_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let keyfiles = dir.path().join(KEYFILES);
    std::fs::create_dir_all(&keyfiles).unwrap();
    std::fs::write(
        keyfiles.join("eth0.nmconnection"),
        "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ethernet]\nmtu=jumbo\n",
    )
    .unwrap();
    std::fs::write(keyfiles.join("eth1.nmconnection"), "id=eth1\n[connection\n").unwrap();
    let root = dir.path().display().to_string();
    let run = netloom(
        &["import", "--backend", "nm", "--root", &root],
        &repo(),
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    for want in [
        "etc/NetworkManager/system-connections/eth0.nmconnection:7:5: invalid mtu 'jumbo': expected a whole number",
        "etc/NetworkManager/system-connections/eth1.nmconnection:1:1: expected a '[section]' line before the first key",
        "etc/NetworkManager/system-connections/eth1.nmconnection:2:12: expected ']' to close the section name",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    // A value the model refuses points at the key too.
    std::fs::remove_file(keyfiles.join("eth1.nmconnection")).unwrap();
    std::fs::write(
        keyfiles.join("eth0.nmconnection"),
        "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ethernet]\nmtu=40\n\n[ipv4]\nmethod=shared\n",
    )
    .unwrap();
    let run = netloom(
        &["import", "--backend", "nm", "--root", &root],
        &repo(),
        None,
    );
    assert_eq!(run.code, 2);
    crate::util::assert_contains(
        &run.stderr,
        "eth0.nmconnection:7:5: invalid mtu '40': expected a whole number from 68 to 65535",
    );
    assert!(
        run.stderr.contains(
            "eth0.nmconnection:10:8: ipv4.method 'shared' cannot be expressed in interface XML"
        ),
        "{}",
        run.stderr
    );
}

/// A Wi-Fi profile as NetworkManager writes it, and a wired one the user made by hand.
const WIFI: &str = "[connection]\nid=Home\nuuid=0b8d8d2e-6b9e-4a4a-9d8c-5a0c8b1e2f30\ntype=wifi\ninterface-name=wlan0\n\n[wifi]\nmode=infrastructure\nssid=Home\n\n[wifi-security]\nkey-mgmt=wpa-psk\npsk=secret\n\n[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=default\nmethod=auto\n\n[proxy]\n";
const USER_WIRED: &str = "[connection]\nid=Wired connection 1\nuuid=1b8d8d2e-6b9e-4a4a-9d8c-5a0c8b1e2f31\ntype=ethernet\ninterface-name=eth7\n\n[ethernet]\n\n[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=default\nmethod=auto\n\n[proxy]\n";

#[test]
fn only_keyfiles_with_netloom_uuids_are_owned() {
    let wifi = format!("{KEYFILES}/Home.nmconnection");
    assert!(!Nm.owns(&wifi, Some(WIFI)));
    assert!(!Nm.owns(&format!("{KEYFILES}/eth7.nmconnection"), Some(USER_WIRED)));
    let host = netloom::xml::read_str(
        "h.xml",
        "<interface type='ethernet' name='eth0'><protocol family='ipv4'><dhcp/></protocol></interface>",
    )
    .unwrap();
    let ours = Nm.render(&host, &Snapshot::default()).unwrap();
    assert_eq!(ours[0].path, nm::path("eth0"));
    assert!(Nm.owns(&ours[0].path, Some(&ours[0].contents)));
    // The same text elsewhere, unreadable text, or a UUID derived from another name is not.
    assert!(!Nm.owns(
        "etc/NetworkManager/eth0.nmconnection",
        Some(&ours[0].contents)
    ));
    assert!(!Nm.owns(&ours[0].path, None));
    let renamed = ours[0]
        .contents
        .replace("interface-name=eth0", "interface-name=eth1");
    assert!(!Nm.owns(&ours[0].path, Some(&renamed)));
}

#[test]
fn import_skips_other_profile_types_and_reads_user_profiles() {
    let files = snapshot([
        (format!("{KEYFILES}/Home.nmconnection"), WIFI.to_owned()),
        (
            format!("{KEYFILES}/Wired connection 1.nmconnection"),
            USER_WIRED.to_owned(),
        ),
        (
            format!("{KEYFILES}/.hidden.nmconnection"),
            "not a keyfile".to_owned(),
        ),
    ]);
    let host = Nm.import(&files, &[]).unwrap();
    assert_eq!(
        netloom::xml::to_xml(&host),
        "<interface type='ethernet' name='eth7'>\n  <uuid>1b8d8d2e-6b9e-4a4a-9d8c-5a0c8b1e2f31</uuid>\n  <start mode='onboot'/>\n  <protocol family='ipv4'>\n    <dhcp/>\n  </protocol>\n  <protocol family='ipv6'>\n    <autoconf/>\n  </protocol>\n</interface>\n",
        "a user's profile keeps its own UUID, so applying the XML updates that profile"
    );
    match Nm.import(&files, &names(&["wlan0"])) {
        Err(BackendError::Invalid(d)) => assert!(
            d.to_string()
                .contains("no NetworkManager profile configures 'wlan0'"),
            "{d}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_profile_with_the_xmls_uuid_is_written_into_the_keyfile_that_holds_it() {
    let theirs = format!("{KEYFILES}/Wired connection 1.nmconnection");
    let files = snapshot([(theirs.clone(), USER_WIRED.to_owned())]);
    // What `import` gives for the user's profile, applied back with an address.
    let host = netloom::xml::read_str(
        "h.xml",
        "<interface type='ethernet' name='eth7'><uuid>1b8d8d2e-6b9e-4a4a-9d8c-5a0c8b1e2f31</uuid>\
         <protocol family='ipv4'><ip address='192.0.2.7' prefix='24'/></protocol></interface>",
    )
    .unwrap();
    let out = Nm.render(&host, &files).unwrap();
    assert_eq!(
        out.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        [theirs.as_str()],
        "one profile per UUID: no second keyfile beside the user's"
    );
    let written = keyfile::read(&out[0].path, &out[0].contents).unwrap();
    assert_eq!(written.uuid(), Some("1b8d8d2e-6b9e-4a4a-9d8c-5a0c8b1e2f31"));
    crate::util::assert_contains(&out[0].contents, "address1=192.0.2.7/24");
    assert!(nm::netlooms(&written), "{}", out[0].contents);
    assert!(Nm.owns(&theirs, Some(&out[0].contents)));
    // Another UUID is another profile, in the keyfile named after the device.
    let other = netloom::xml::read_str(
        "h.xml",
        "<interface type='ethernet' name='eth7'><uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid></interface>",
    )
    .unwrap();
    let out = Nm.render(&other, &files).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].path, format!("{KEYFILES}/eth7.nmconnection"));
}

#[test]
fn a_uuid_netloom_derives_for_another_device_is_refused() {
    let derived = render::uuid("eno1");
    let host = netloom::xml::read_str(
        "h.xml",
        &format!(
            "<interfaces><interface type='ethernet' name='eth1'><uuid>{derived}</uuid></interface>\
             <interface type='ethernet' name='eno1'/></interfaces>"
        ),
    )
    .unwrap();
    match Nm.render(&host, &Snapshot::default()) {
        Err(BackendError::Unsupported { refusals, .. }) => {
            assert_eq!(refusals.len(), 1, "{refusals:?}");
            assert!(
                refusals[0].why.contains("'eth1' has this UUID too"),
                "{refusals:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const BRIDGED: &str = "<interfaces>
  <interface type='bridge' name='br0'>
    <start mode='onboot'/>
    <protocol family='ipv4'><ip address='198.51.100.10' prefix='24'/><route gateway='198.51.100.1'/></protocol>
    <bridge stp='off' delay='0'>
      <interface type='ethernet' name='eth0'><mac address='02:4e:4d:00:00:10'/></interface>
      <interface type='vlan' name='eth1.5'><vlan tag='5'><interface name='eth1'/></vlan></interface>
    </bridge>
  </interface>
  <interface type='ethernet' name='eth2'>
    <protocol family='ipv4'><dhcp/></protocol>
  </interface>
</interfaces>
";

#[test]
fn apply_writes_0600_keyfiles_beside_the_users_and_undefine_removes_a_bridge_with_its_ports() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    write(dir.path(), &format!("{KEYFILES}/Home.nmconnection"), WIFI);
    write(dir.path(), "host.xml", BRIDGED);
    let nm = |args: &[&str]| {
        let all = crate::util::taken(&[("--backend", "nm"), ("--root", root.as_str())], args);
        netloom(&all, dir.path(), None)
    };
    let run = nm(&["apply", "--yes", "host.xml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in ["br0", "eth0", "eth1.5", "eth2"] {
        let path = dir.path().join(nm::path(name));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    let run = nm(&["diff", "host.xml"]);
    assert_eq!(run.code, 0, "no drift after apply: {}", run.stdout);
    let run = nm(&["list"]);
    assert_eq!(run.stdout, "br0\neth2\n", "{}", run.stderr);

    // A DNS server added with nmcli is netloom's, as the model holds it: drift.
    let eth2 = dir.path().join(nm::path("eth2"));
    let text = std::fs::read_to_string(&eth2).unwrap();
    let with = |dns: &str| {
        text.replace(
            "method=auto\n\n[ipv6]",
            &format!("{dns}\nmethod=auto\n\n[ipv6]"),
        )
    };
    std::fs::write(&eth2, with("dns=192.0.2.53;")).unwrap();
    let run = nm(&["diff", "host.xml"]);
    assert_eq!(run.code, 1, "a plain server is netloom's: {}", run.stdout);
    // One the model cannot hold (DNS over TLS) is the user's, and survives the next apply.
    std::fs::write(&eth2, with("dns=dns+tls://192.0.2.53#dns.example;")).unwrap();
    let run = nm(&["diff", "host.xml"]);
    assert_eq!(run.code, 0, "the user's DNS is not drift: {}", run.stdout);

    let run = nm(&["undefine", "--yes", "br0"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in ["br0", "eth0", "eth1.5"] {
        assert!(!dir.path().join(nm::path(name)).exists(), "{name}");
    }
    assert!(
        std::fs::read_to_string(&eth2)
            .unwrap()
            .contains("dns=dns+tls://192.0.2.53#dns.example;")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(KEYFILES).join("Home.nmconnection")).unwrap(),
        WIFI
    );

    // A declaration without eth2 removes netloom's keyfile, never the user's Wi-Fi.
    write(dir.path(), "none.xml", "<interfaces/>");
    let run = nm(&["apply", "--yes", "none.xml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!eth2.exists());
    assert!(dir.path().join(KEYFILES).join("Home.nmconnection").exists());
}

#[test]
fn a_port_is_imported_through_its_controller() {
    let host = netloom::xml::read_str("b.xml", BRIDGED).unwrap();
    let files = rendered(&host);
    match Nm.import(&files, &names(&["eth0"])) {
        Err(BackendError::Invalid(d)) => {
            let text = d.to_string();
            assert!(
                text.contains("'eth0' is part of 'br0'; name 'br0' instead"),
                "{text}"
            );
            assert!(text.contains("eth0.nmconnection:6:8:"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // A port whose controller has no profile is left out, as ifcfg leaves out a file whose
    // BRIDGE= names nothing.
    let mut orphan = files.clone();
    orphan.files.remove(&nm::path("br0"));
    let got = Nm.import(&orphan, &[]).unwrap();
    let names: Vec<&str> = got.interfaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["eth2"]);
}

#[test]
fn the_root_says_which_backend_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    std::fs::create_dir_all(dir.path().join(KEYFILES)).unwrap();
    let run = netloom(&["backends", "--root", &root], &repo(), None);
    assert_eq!(run.stdout, "ifcfg\ndebian\nnm  (used by the root)\n");
    // A RHEL 9 root has both directories, the ifcfg one without a file in it: the root is
    // NetworkManager's (tests/detect.rs has the other cases).
    std::fs::create_dir_all(dir.path().join("etc/sysconfig/network-scripts")).unwrap();
    let run = netloom(&["list", "--root", &root], &repo(), None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = netloom(&["backends", "--root", &root], &repo(), None);
    assert_eq!(
        run.stdout,
        "ifcfg  (files there: ifcfg configures no interface)
debian
nm  (used by the root)
"
    );
}

/// A setting built from (key, value) pairs.
fn section(pairs: Vec<(&str, Value)>) -> std::collections::BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

fn empty_strs() -> Value {
    Value::Strs(Vec::new())
}

fn empty_dicts() -> Value {
    Value::Dicts(Vec::new())
}

/// What `GetSettings` returned for a profile's IP setting in the sandbox, less the
/// deprecated `addresses` and `routes` (whose D-Bus types a [`Value`] cannot hold, and which
/// the live client drops).
fn ip(
    method: &str,
    addresses: Vec<(&str, u32)>,
    gateway: Option<&str>,
) -> std::collections::BTreeMap<String, Value> {
    let data = addresses
        .into_iter()
        .map(|(a, p)| section(vec![("address", s(a)), ("prefix", Value::U32(p))]))
        .collect();
    let mut out = section(vec![
        ("address-data", Value::Dicts(data)),
        ("dns-search", empty_strs()),
        ("method", s(method)),
        ("route-data", empty_dicts()),
    ]);
    if let Some(gw) = gateway {
        out.insert("gateway".into(), s(gw));
    }
    out
}

#[test]
fn what_get_settings_returns_imports_and_writes_as_network_manager_wrote_it() {
    // NetworkManager 1.42.4's GetSettings for the shared-nic and whole-host cases after
    // AddConnection2 of netloom's settings (sandbox, transcribed).
    let conn = |id: &str, kind: &str, master: Option<&str>| {
        let mut c = section(vec![
            ("id", s(id)),
            ("interface-name", s(id)),
            ("permissions", empty_strs()),
            ("type", s(kind)),
            ("uuid", s(&render::uuid(id))),
        ]);
        if let Some(m) = master {
            c.insert("master".into(), s(&render::uuid(m)));
            c.insert("slave-type".into(), s("bridge"));
        }
        c
    };
    let wired = |extra: Vec<(&str, Value)>| {
        let mut w = section(vec![
            ("auto-negotiate", Value::Bool(false)),
            ("mac-address-blacklist", empty_strs()),
            ("s390-options", Value::StrMap(Default::default())),
        ]);
        w.extend(section(extra));
        w
    };
    let br0 = Settings(
        [
            ("connection".to_owned(), conn("br0", "bridge", None)),
            (
                "802-3-ethernet".to_owned(),
                wired(vec![("mtu", Value::U32(1500))]),
            ),
            (
                "bridge".to_owned(),
                section(vec![
                    ("forward-delay", Value::U32(0)),
                    ("interface-name", s("br0")),
                    ("stp", Value::Bool(false)),
                    ("vlans", empty_dicts()),
                ]),
            ),
            ("ipv4".to_owned(), ip("auto", vec![], None)),
            ("ipv6".to_owned(), ip("auto", vec![], None)),
            ("proxy".to_owned(), Default::default()),
        ]
        .into_iter()
        .collect(),
    );
    let eth0 = Settings(
        [
            (
                "connection".to_owned(),
                conn("eth0", "802-3-ethernet", Some("br0")),
            ),
            (
                "802-3-ethernet".to_owned(),
                wired(vec![
                    ("mac-address", Value::Bytes(vec![0x52, 0x54, 0, 0, 0, 1])),
                    ("mtu", Value::U32(1500)),
                ]),
            ),
            (
                "bridge-port".to_owned(),
                section(vec![("vlans", empty_dicts())]),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let golden = repo().join("golden/nm/shared-nic").join(KEYFILES);
    for p in [&br0, &eth0] {
        let file = golden.join(format!("{}.nmconnection", p.id().unwrap()));
        assert_eq!(keyfile::write(p), std::fs::read_to_string(file).unwrap());
    }
    let text =
        std::fs::read_to_string(repo().join("tests/data/interfaces/shared-nic.xml")).unwrap();
    let want = netloom::xml::read_str("shared-nic.xml", &text).unwrap();
    let got = import::host(&[br0, eth0], &[]).unwrap().host;
    assert_eq!(normalise(got), normalise(want));

    let eth0 = Settings(
        [
            (
                "connection".to_owned(),
                conn("eth0", "802-3-ethernet", None),
            ),
            ("802-3-ethernet".to_owned(), wired(vec![])),
            (
                "ipv4".to_owned(),
                ip("manual", vec![("192.0.2.5", 24)], Some("192.0.2.1")),
            ),
            ("ipv6".to_owned(), ip("disabled", vec![], None)),
            ("proxy".to_owned(), Default::default()),
        ]
        .into_iter()
        .collect(),
    );
    let file = repo()
        .join("golden/nm/whole-host")
        .join(KEYFILES)
        .join("eth0.nmconnection");
    assert_eq!(
        keyfile::write(&eth0),
        std::fs::read_to_string(file).unwrap()
    );
    let got = netloom::xml::to_xml(&import::host(&[eth0], &[]).unwrap().host);
    assert_eq!(
        got,
        "<interface type='ethernet' name='eth0'>\n  <start mode='onboot'/>\n  <protocol family='ipv4'>\n    <ip address='192.0.2.5' prefix='24'/>\n    <route gateway='192.0.2.1'/>\n  </protocol>\n</interface>\n"
    );
}

#[test]
fn a_keyfile_already_at_the_path_is_merged_into_keeping_the_users_settings() {
    let host = netloom::xml::read_str(
        "h.xml",
        "<interface type='ethernet' name='eth7'><start mode='none'/><protocol family='ipv4'><dhcp peerdns='no'/></protocol></interface>",
    )
    .unwrap();
    let path = nm::path("eth7");
    // The user's zone and cloned MAC policy (a word, which the model does not hold) stay.
    let user = USER_WIRED
        .replace("interface-name=eth7\n", "interface-name=eth7\nzone=work\n")
        .replace("[ethernet]\n", "[ethernet]\ncloned-mac-address=stable\n");
    let existing = snapshot([(path.clone(), user)]);
    let files = Nm.render(&host, &existing).unwrap();
    let text = &files[0].contents;
    assert!(
        text.contains("[ethernet]\ncloned-mac-address=stable\n"),
        "{text}"
    );
    let want_uuid = format!("uuid={}\n", render::uuid("eth7"));
    assert!(text.contains(&want_uuid), "{text}");
    assert!(
        text.contains("id=eth7\n") && text.contains("zone=work\n"),
        "{text}"
    );
    assert!(
        text.contains("autoconnect=false\n") && text.contains("ignore-auto-dns=true\n"),
        "{text}"
    );
    assert!(Nm.owns(&path, Some(text)));
    // A keyfile of another kind at that path keeps nothing.
    let existing = snapshot([(path.clone(), WIFI.replace("wlan0", "eth7"))]);
    let files = Nm.render(&host, &existing).unwrap();
    let fresh = Nm.render(&host, &Snapshot::default()).unwrap();
    assert_eq!(files, fresh);
    // An unreadable one is an error, not a file silently replaced.
    let existing = snapshot([(path, "[connection\n".to_owned())]);
    assert!(matches!(
        Nm.render(&host, &existing),
        Err(BackendError::Invalid(_))
    ));
}

/// A root holding keyfiles (relative name, bytes) and `host.xml` declaring eth7.
fn keyfile_root(files: &[(&str, &[u8])]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(KEYFILES);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    write(
        tmp.path(),
        "host.xml",
        "<interface type='ethernet' name='eth7'><protocol family='ipv4'><dhcp/></protocol></interface>",
    );
    let root = tmp.path().display().to_string();
    (tmp, root)
}

fn nm_run(dir: &Path, root: &str, args: &[&str]) -> crate::util::Run {
    let all = crate::util::taken(&[("--backend", "nm"), ("--root", root)], args);
    netloom(&all, dir, None)
}

#[test]
fn a_keyfile_that_is_not_utf8_is_refused_at_its_first_bad_byte_and_never_overwritten() {
    // At the path netloom merges into, and as another profile an import cannot read.
    let latin1 = USER_WIRED.replace("id=Wired connection 1", "id=B\u{fc}ro");
    let latin1: Vec<u8> = latin1.chars().map(|c| c as u8).collect();
    for name in ["eth7.nmconnection", "Buero.nmconnection"] {
        let (tmp, root) = keyfile_root(&[(name, &latin1)]);
        let before = crate::debian_cli::tree(tmp.path());
        let merges = name.starts_with("eth7");
        for verb in [
            &["import"][..],
            &["list"],
            &["diff", "host.xml"],
            &["apply", "--yes", "host.xml"],
        ] {
            let run = nm_run(tmp.path(), &root, verb);
            let plans = verb.len() > 1;
            if plans && !merges {
                // Beside netloom's file, the user's unreadable profile is left alone.
                assert_ne!(run.code, 2, "{verb:?}: {}", run.stderr);
                continue;
            }
            assert_eq!(run.code, 2, "{verb:?}: {}{}", run.stdout, run.stderr);
            let want = format!(
                "{KEYFILES}/{name}:2:5: the file is not valid UTF-8: byte 0xfc at offset 17"
            );
            assert!(run.stderr.contains(&want), "{verb:?}: {}", run.stderr);
        }
        if merges {
            assert_eq!(crate::debian_cli::tree(tmp.path()), before);
        } else {
            let kept = std::fs::read(tmp.path().join(KEYFILES).join(name)).unwrap();
            assert_eq!(kept, latin1);
        }
    }
}

#[test]
fn crlf_keyfiles_read_as_gkeyfile_reads_them_and_merges_write_no_carriage_return() {
    // GKeyFile drops the `\r` of a CRLF ending: the profile reads as its LF twin.
    let user = USER_WIRED.replace("interface-name=eth7\n", "interface-name=eth7\nzone=work\n");
    let crlf = user.replace('\n', "\r\n");
    let (lf_dir, lf_root) = keyfile_root(&[("eth7.nmconnection", user.as_bytes())]);
    let (tmp, root) = keyfile_root(&[("eth7.nmconnection", crlf.as_bytes())]);
    let lf = nm_run(lf_dir.path(), &lf_root, &["import"]);
    let run = nm_run(tmp.path(), &root, &["import"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, lf.stdout);
    let run = nm_run(tmp.path(), &root, &["apply", "--yes", "host.xml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let merged = std::fs::read_to_string(tmp.path().join(nm::path("eth7"))).unwrap();
    assert!(merged.contains("zone=work\n"), "{merged}");
    assert!(!merged.contains('\r'), "{merged:?}");
    // A `\r` GKeyFile keeps (one more before the ending, or at the end of the file) is
    // refused at its position as the control character it is.
    for (text, want) in [
        (
            "[connection]\r\nid=a\r\r\n",
            "eth7.nmconnection:2:5: unexpected control character U+000D",
        ),
        (
            "[connection]\r\nid=a\r",
            "eth7.nmconnection:2:5: unexpected control character U+000D",
        ),
    ] {
        let (tmp, root) = keyfile_root(&[("eth7.nmconnection", text.as_bytes())]);
        let run = nm_run(tmp.path(), &root, &["import"]);
        assert_eq!(run.code, 2, "{text:?}");
        assert!(run.stderr.contains(want), "{text:?}: {}", run.stderr);
    }
}

#[test]
fn import_problems_of_keys_a_keyfile_lacks_are_positioned_too() {
    // arp_interval without arp_ip_target: the problem is at the key that asks for a target.
    let bond = "[connection]\nid=bond0\ntype=bond\ninterface-name=bond0\n\n[bond]\nmode=active-backup\narp_interval=100\n";
    let slave = "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\nmaster=bond0\nslave-type=bond\n";
    // Each address the model refuses is reported at its own line.
    let eth1 = "[connection]\nid=eth1\ntype=ethernet\ninterface-name=eth1\n\n[ipv4]\nmethod=manual\naddress1=192.0.2.1/24\naddress2=0.0.0.0/24\naddress3=224.0.0.1/24\n";
    let (tmp, root) = keyfile_root(&[
        ("bond0.nmconnection", bond.as_bytes()),
        ("eth0.nmconnection", slave.as_bytes()),
        ("eth1.nmconnection", eth1.as_bytes()),
    ]);
    let run = nm_run(tmp.path(), &root, &["import"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    for want in [
        "bond0.nmconnection:8:14: arp_interval monitors by ARP, and there is no arp_ip_target",
        "eth1.nmconnection:9:10: invalid address '0.0.0.0'",
        "eth1.nmconnection:10:10: invalid address '224.0.0.1'",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    assert_eq!(
        run.stderr.matches("nmconnection:").count(),
        3,
        "{}",
        run.stderr
    );
}
