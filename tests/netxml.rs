//! Network XML: libvirt's own fixtures read and round-trip, positioned refusals, the
//! defaults netloom fills in, and the CLI on network files. At the end, the bounds every
//! kind of XML document shares (interface, network, guest and networkport XML): what is
//! refused before parsing, and reading in time linear in attributes and elements.

use std::collections::BTreeSet;
use std::path::Path;

use netloom::SourceFile;
use netloom::model::network::Network;
use netloom::xml::{self, NetworkChecks};

use crate::util;

/// The round-trip cases libvirt formats inactive (without `connections`).
const INACTIVE: &[&str] = &["passthrough-pf", "hostdev-pf", "hostdev-pf-driver-model"];

/// The inputs libvirt refuses to parse, with a fragment each message must contain.
const MUST_FAIL: &[(&str, &str)] = &[
    (
        "routed-network-no-dns-extra-elements",
        "<dns enable='no'> cannot have forwarders or records",
    ),
    (
        "open-network-with-forward-dev",
        "<forward mode='open'> takes no dev",
    ),
    ("hostdev-duplicate", "is listed twice in the <forward> pool"),
    ("passthrough-duplicate", "device 'eth3' is listed twice"),
];

/// Round-trip fixtures libvirt itself would refuse at define time; they read at parse
/// level only.
const PARSE_ONLY: &[&str] = &["8021Qbh-net", "passthrough-address-crash", "passthrough-pf"];

/// How many round trips are byte-identical to libvirt's output; raise it, never lower it.
const BYTE_IDENTICAL: usize = 43;

/// A fixture's text. libvirt's tree has symlinks between fixture folders, which the copy in
/// `shared/` holds as files containing the link target; those are followed here.
fn fixture(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let target = text.trim();
    if !target.starts_with('<') && target.ends_with(".xml") && !target.contains('\n') {
        return fixture(&path.parent().unwrap().join(target));
    }
    text
}

fn read_file(path: &Path, checks: NetworkChecks) -> Result<Network, String> {
    let text = fixture(path);
    let src = SourceFile::new(path.display().to_string(), text);
    xml::read_network_with(&src, checks).map_err(|e| e.to_string())
}

/// An element as a comparable value: namespace and name, attributes as a set, trimmed text
/// and children in order.
#[derive(Debug, PartialEq)]
struct Shape {
    name: (Option<String>, String),
    attrs: BTreeSet<(Option<String>, String, String)>,
    text: String,
    children: Vec<Shape>,
}

fn shape(node: roxmltree::Node) -> Shape {
    Shape {
        name: (
            node.tag_name().namespace().map(str::to_owned),
            node.tag_name().name().to_owned(),
        ),
        attrs: node
            .attributes()
            .map(|a| {
                (
                    a.namespace().map(str::to_owned),
                    a.name().to_owned(),
                    a.value().to_owned(),
                )
            })
            .collect(),
        text: node
            .children()
            .filter(|c| c.is_text())
            .map(|c| c.text().unwrap_or_default())
            .collect::<String>()
            .trim()
            .to_owned(),
        children: node
            .children()
            .filter(|c| c.is_element())
            .map(shape)
            .collect(),
    }
}

fn same_structure(a: &str, b: &str) -> bool {
    let (a, b) = (
        roxmltree::Document::parse(a).unwrap(),
        roxmltree::Document::parse(b).unwrap(),
    );
    shape(a.root_element()) == shape(b.root_element())
}

#[test]
fn libvirt_round_trips_are_structurally_equal_and_byte_identical() {
    let Some(inp) = util::shared("conformance/libvirt/tests/networkxml2xmlin") else {
        return;
    };
    let Some(outp) = util::shared("conformance/libvirt/tests/networkxml2xmlout") else {
        return;
    };
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut identical = 0;
    for path in util::xml_files(&outp) {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        cases += 1;
        let want = fixture(&path);
        let net = match read_file(&inp.join(format!("{stem}.xml")), NetworkChecks::Parse) {
            Ok(n) => n,
            Err(e) => {
                failures.push(format!("{stem}: does not read:\n{e}"));
                continue;
            }
        };
        let net = if INACTIVE.contains(&stem.as_str()) {
            net.without_live_state()
        } else {
            net
        };
        let got = xml::network_to_xml(&net);
        if got == want {
            identical += 1;
        } else if !same_structure(&got, &want) {
            failures.push(format!(
                "{stem}: differs in structure:\n{}",
                util::diff(&want, &got, "libvirt", "netloom")
            ));
        } else {
            eprintln!(
                "{stem}: same structure, different bytes:\n{}",
                util::diff(&want, &got, "libvirt", "netloom")
            );
        }
        // The canonical form reads back to the same network.
        match xml::read_network_with(&SourceFile::new("again", got.clone()), NetworkChecks::Parse) {
            Ok(again) if xml::network_to_xml(&again) == got => {}
            Ok(_) => failures.push(format!(
                "{stem}: writing the canonical form again changes it"
            )),
            Err(e) => failures.push(format!("{stem}: the canonical form does not read:\n{e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases, 43, "libvirt has 43 round-trip cases");
    assert!(
        identical >= BYTE_IDENTICAL,
        "{identical} of {cases} byte-identical, expected at least {BYTE_IDENTICAL}"
    );
}

#[test]
fn define_level_refuses_exactly_the_fixtures_libvirt_would_not_define() {
    let Some(outp) = util::shared("conformance/libvirt/tests/networkxml2xmlout") else {
        return;
    };
    let Some(inp) = util::shared("conformance/libvirt/tests/networkxml2xmlin") else {
        return;
    };
    let mut refused = Vec::new();
    for path in util::xml_files(&outp) {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if read_file(&inp.join(format!("{stem}.xml")), NetworkChecks::Define).is_err() {
            refused.push(stem);
        }
    }
    assert_eq!(refused, PARSE_ONLY);
}

#[test]
fn libvirts_parse_failures_are_refused_with_clear_messages() {
    let Some(inp) = util::shared("conformance/libvirt/tests/networkxml2xmlin") else {
        return;
    };
    for (stem, fragment) in MUST_FAIL {
        for checks in [NetworkChecks::Parse, NetworkChecks::Define] {
            let err = read_file(&inp.join(format!("{stem}.xml")), checks)
                .expect_err(&format!("{stem} must not read"));
            assert!(err.contains(fragment), "{stem}: {err}");
        }
    }
}

#[test]
fn every_dnsmasq_and_firewall_fixture_reads() {
    let mut count = 0;
    for dir in [
        "conformance/libvirt/tests/networkxml2confdata",
        "conformance/libvirt/tests/networkxml2firewalldata",
    ] {
        let Some(dir) = util::shared(dir) else { return };
        for path in util::xml_files(&dir) {
            if let Err(e) = read_file(&path, NetworkChecks::Define) {
                panic!("{e}");
            }
            count += 1;
        }
    }
    assert_eq!(count, 27 + 11);
}

/// The first diagnostic line of reading `text` as `t.xml`.
fn refusal(text: &str) -> String {
    let err = xml::read_network_str("t.xml", text).expect_err("must be refused");
    err.to_string()
}

fn wrap(body: &str) -> String {
    format!("<network>\n  <name>n</name>\n{body}</network>\n")
}

#[test]
fn injection_through_names_values_and_paths_is_refused_where_it_is_written() {
    let ip = |inner: &str| {
        wrap(&format!(
            "  <ip address='192.168.1.1' prefix='24'>\n{inner}  </ip>\n"
        ))
    };
    let cases: Vec<(String, &str)> = vec![
        // A literal newline in element text and a character reference in an attribute.
        (
            wrap("  <dns>\n    <host ip='192.168.1.9'><hostname>a\nb</hostname></host>\n  </dns>\n  <ip address='192.168.1.1' prefix='24'/>\n"),
            "t.xml:4:38: invalid <hostname> 'a\\u{a}b'",
        ),
        (
            wrap("  <domain name='example.com&#10;server=/x/1.2.3.4'/>\n"),
            "t.xml:3:17: invalid name 'example.com\\u{a}server=/x/1.2.3.4' on <domain>",
        ),
        (
            wrap("  <dns>\n    <txt name='t' value='v&#10;dhcp-script=/bin/sh'/>\n  </dns>\n"),
            "t.xml:4:26: invalid value 'v\\u{a}dhcp-script=/bin/sh' on <txt>",
        ),
        (
            ip("    <tftp root='/srv&#10;dhcp-script=/x'/>\n"),
            "t.xml:4:17: invalid root '/srv\\u{a}dhcp-script=/x' on <tftp>",
        ),
        (
            ip("    <dhcp>\n      <bootp file='a&#13;b'/>\n    </dhcp>\n"),
            "t.xml:5:20: invalid file 'a\\u{d}b' on <bootp>",
        ),
        (
            "<network xmlns:d='http://libvirt.org/schemas/network/dnsmasq/1.0'>\n  <name>n</name>\n  <d:options>\n    <d:option value='a=b&#10;c=d'/>\n  </d:options>\n</network>\n".to_owned(),
            "t.xml:4:22: invalid value 'a=b\\u{a}c=d' on <dnsmasq:option>",
        ),
        (
            wrap("  <title>one&#127;two</title>\n"),
            "t.xml:3:10: invalid <title> 'one\\u{7f}two'",
        ),
        // XML 1.0 has no escape character at all; the parser refuses it, positioned.
        (
            wrap("  <title>one&#27;[31m</title>\n"),
            "t.xml:3:13: malformed XML",
        ),
        (
            "<network>\n  <name>a\nb</name>\n</network>\n".to_owned(),
            "t.xml:2:9: invalid <name> 'a\\u{a}b'",
        ),
    ];
    for (text, want) in cases {
        let got = refusal(&text);
        assert!(got.starts_with(want), "want {want}\ngot {got}\nfor\n{text}");
    }
}

#[test]
fn bad_values_and_broken_rules_are_all_reported_positioned_in_one_run() {
    let text = "<network>
  <name>n</name>
  <forward mode='route'/>
  <bridge name='virbr9' stp='maybe' delay='x'/>
  <mac address='01:00:00:00:00:01'/>
  <dns enable='no'>
    <srv service='s' protocol='tcp' port='1'/>
  </dns>
  <ip address='192.168.1.1' netmask='255.0.255.0'/>
  <ip address='10.0.0.1' prefix='24'>
    <tftp root='/t'/>
    <dhcp>
      <range start='10.0.0.9' end='10.0.0.2'>
        <lease expiry='1'  unit='seconds'/>
      </range>
      <host mac='52:54:00:00:00:01' ip='10.0.1.5'/>
    </dhcp>
  </ip>
  <ip address='fd00::1' prefix='64'>
    <tftp root='/t'/>
  </ip>
  <route address='172.16.0.0' prefix='16' gateway='192.0.2.1'/>
  <bogus/>
</network>
";
    let got = refusal(text);
    let lines: Vec<&str> = got.lines().filter(|l| l.starts_with("t.xml:")).collect();
    let want = [
        "t.xml:4:30: invalid stp 'maybe' on <bridge>",
        "t.xml:4:44: invalid delay 'x' on <bridge>",
        "t.xml:5:17: invalid address '01:00:00:00:00:01' on <mac>: expected a unicast MAC address",
        "t.xml:7:5: <dns enable='no'> cannot have forwarders or records",
        "t.xml:7:37: port on <srv> needs a target to apply to",
        "t.xml:9:38: invalid netmask '255.0.255.0' on <ip>",
        "t.xml:13:7: DHCP range start 10.0.0.9 is after its end 10.0.0.2",
        "t.xml:14:9: a DHCP lease must last at least 2 minutes",
        "t.xml:16:41: DHCP host address 10.0.1.5 is outside the <ip>'s subnet 10.0.0.0/24",
        "t.xml:20:5: <tftp> is for IPv4 only",
        "t.xml:23:3: unknown element <bogus> in <network>",
    ];
    assert_eq!(lines.len(), want.len(), "{got}");
    for (line, want) in lines.iter().zip(want) {
        assert!(
            line.starts_with(want),
            "want {want}\ngot {line}\nall:\n{got}"
        );
    }
}

#[test]
fn mode_rules_point_at_the_offending_element() {
    let cases = [
        (
            "  <forward mode='route'/>\n  <ip address='10.0.0.1' prefix='24'/>\n  <route address='172.16.0.0' prefix='16' gateway='192.0.2.1'/>\n",
            "t.xml:5:52: route gateway 192.0.2.1 is not reachable",
        ),
        (
            "  <forward mode='bridge'/>\n  <bridge name='br0' stp='on'/>\n",
            "t.xml:4:22: <bridge> stp is only for networks with a bridge of their own",
        ),
        (
            "  <forward mode='vepa' dev='eth0'/>\n  <mtu size='9000'/>\n",
            "t.xml:4:3: <mtu> is only for networks with a bridge of their own",
        ),
        (
            "  <forward mode='bridge'/>\n  <bridge name='br0'/>\n  <ip address='10.0.0.1' prefix='24'/>\n",
            "t.xml:5:3: <ip> is not allowed: <forward mode='bridge'> uses a host bridge",
        ),
        (
            "  <ip address='10.0.0.1' prefix='24'>\n    <dhcp><range start='10.0.0.2' end='10.0.0.9'/></dhcp>\n  </ip>\n  <ip address='10.1.0.1' prefix='24'>\n    <dhcp><range start='10.1.0.2' end='10.1.0.9'/></dhcp>\n  </ip>\n",
            "t.xml:7:5: a second IPv4 <ip> with DHCP",
        ),
        (
            "  <forward mode='bridge'/>\n  <bridge name='br0'/>\n  <portgroup name='a' default='yes'/>\n  <portgroup name='a' default='yes'/>\n",
            "t.xml:6:3: portgroup 'a' is defined twice",
        ),
        (
            "  <forward>\n    <nat>\n      <port start='2000' end='1000'/>\n    </nat>\n  </forward>\n  <ip address='10.0.0.1' prefix='24'/>\n",
            "t.xml:5:7: <nat><port> start 2000 is not below its end 1000",
        ),
    ];
    for (body, want) in cases {
        let got = refusal(&wrap(body));
        assert!(
            got.lines().any(|l| l.starts_with(want)),
            "want {want}\ngot {got}"
        );
    }
}

/// A network of `hosts` static DHCP hosts, each with its own MAC, name and address.
fn dhcp_hosts(hosts: u32) -> String {
    let mut text = String::from(
        "<network>\n  <name>big</name>\n  <ip address='10.0.0.1' prefix='8'>\n    <dhcp>\n",
    );
    for i in 0..hosts {
        let [_, a, b, c] = (i + 2).to_be_bytes();
        text.push_str(&format!(
            "      <host mac='52:54:{a:02x}:{b:02x}:{c:02x}:01' name='h{i}' ip='10.{a}.{b}.{c}'/>\n"
        ));
    }
    text.push_str("    </dhcp>\n  </ip>\n</network>\n");
    text
}

/// The duplicate checks over DHCP hosts (MACs, names, addresses) stay linear: a quadratic
/// one would take minutes here. How fast the reader is, `cargo bench --bench network` says.
#[test]
fn fifty_thousand_dhcp_hosts_read_in_linear_time() {
    util::scaling::assert_linear(
        "reading a network's DHCP hosts",
        1_000,
        |n| dhcp_hosts(u32::try_from(n).unwrap()),
        |text| {
            std::hint::black_box(xml::read_network_str("big.xml", text).unwrap());
        },
    );
    let text = dhcp_hosts(50_000);
    let net = xml::read_network_str("big.xml", &text).unwrap();
    assert_eq!(net.ips[0].dhcp.as_ref().unwrap().hosts.len(), 50_000);
    // A duplicate at the very end is still found.
    let dup = text.replace(
        "    </dhcp>",
        "      <host mac='52:54:00:00:02:01' ip='10.9.9.9'/>\n    </dhcp>",
    );
    let err = xml::read_network_str("big.xml", &dup)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MAC address 52:54:00:00:02:01 is given to two"),
        "{err}"
    );
}

#[test]
fn fill_defaults_is_deterministic_and_only_fills_what_is_missing() {
    let text = "<network>\n  <name>lab</name>\n  <forward mode='nat'/>\n  <ip address='10.0.0.1' prefix='24'/>\n</network>\n";
    let mut a = xml::read_network_str("a.xml", text).unwrap();
    let mut b = xml::read_network_str("b.xml", text).unwrap();
    a.fill_defaults();
    b.fill_defaults();
    assert_eq!(a, b);
    let uuid = a.uuid.unwrap();
    assert_eq!(uuid, netloom::model::Uuid::derived("network", "lab"));
    let mac = a.mac.unwrap().to_string();
    assert!(mac.starts_with("52:54:00:"), "{mac}");
    assert!(a.bridge.is_none(), "no bridge name is invented");
    // Another name gives another UUID and MAC.
    let mut c = xml::read_network_str("c.xml", &text.replace("lab", "lab2")).unwrap();
    c.fill_defaults();
    assert_ne!(c.uuid, a.uuid);
    assert_ne!(c.mac, a.mac);
    // What is given stays; host-bridge networks get no MAC.
    let given = "<network>\n  <name>x</name>\n  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>\n  <mac address='52:54:00:aa:bb:cc'/>\n</network>\n";
    let mut g = xml::read_network_str("g.xml", given).unwrap();
    let before = g.clone();
    g.fill_defaults();
    assert_eq!(g, before);
    let bridged = "<network>\n  <name>x</name>\n  <forward mode='bridge'/>\n  <bridge name='br0'/>\n</network>\n";
    let mut h = xml::read_network_str("h.xml", bridged).unwrap();
    h.fill_defaults();
    assert!(h.mac.is_none() && h.uuid.is_some());
}

#[test]
fn cli_validates_and_dumps_networks_beside_interfaces() {
    let dir = tempfile::tempdir().unwrap();
    let net = "<network>\n  <name>lab</name>\n  <forward mode='nat' dev='eth0'/>\n  <ip address='10.0.0.1' prefix='24'/>\n</network>\n";
    let iface = "<interface type='ethernet' name='eth0'/>\n";
    let bad = "<network>\n  <name>lab</name>\n  <forward mode='nat'/>\n  <ip address='10.0.0.1' prefix='24' localPtr='maybe'/>\n</network>\n";
    std::fs::write(dir.path().join("net.xml"), net).unwrap();
    std::fs::write(dir.path().join("eth0.xml"), iface).unwrap();
    std::fs::write(dir.path().join("bad.xml"), bad).unwrap();

    let run = util::netloom(&["validate", "net.xml", "eth0.xml"], dir.path(), None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "net.xml: ok\neth0.xml: ok\n");

    let run = util::netloom(&["validate", "net.xml", "bad.xml"], dir.path(), None);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(run.stdout, "net.xml: ok\n");
    assert!(
        run.stderr
            .starts_with("bad.xml:4:48: invalid localPtr 'maybe' on <ip>: expected 'yes' or 'no'"),
        "{}",
        run.stderr
    );

    let run = util::netloom(&["dumpxml", "net.xml"], dir.path(), None);
    assert_eq!(run.code, 0, "{run:?}");
    let mut want = xml::read_network_str("net.xml", net).unwrap();
    want.fill_defaults();
    assert_eq!(run.stdout, xml::network_to_xml(&want));
    assert!(run.stdout.contains("<uuid>"), "{}", run.stdout);
    crate::util::assert_contains(&run.stdout, "<mac address='52:54:00:");
    crate::util::assert_contains(&run.stdout, "<interface dev='eth0'/>");
    // Same file, same output.
    let again = util::netloom(&["dumpxml", "-"], dir.path(), Some(net.as_bytes()));
    assert_eq!(again.stdout, run.stdout);

    let run = util::netloom(&["dumpxml", "bad.xml"], dir.path(), None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("bad.xml:4:48:"), "{}", run.stderr);
    assert!(run.stdout.is_empty());

    let run = util::netloom(&["dumpxml", "net.xml", "eth0.xml"], dir.path(), None);
    assert_eq!(run.code, 2, "{run:?}");
    crate::util::assert_contains(&run.stderr, "dumpxml prints one kind at a time");

    // Interface files alone behave as before.
    let run = util::netloom(&["dumpxml", "eth0.xml"], dir.path(), None);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, iface);
}

/// What a reviewer found slipping through: each is refused at its position, because each
/// would otherwise reach dnsmasq or the firewall meaning something else than written.
#[test]
fn subnets_ranges_and_names_dnsmasq_would_misread_are_refused() {
    let net = |body: &str| {
        format!(
            "<network>\n  <name>n</name>\n  <forward mode='nat'/>\n  <bridge name='br1'/>\n{body}</network>\n"
        )
    };
    let long = "a".repeat(64);
    let cases = [
        (
            net("  <ip address='10.1.1.1' prefix='0'/>\n"),
            "t.xml:5:34: prefix 0 on <ip> makes every address part of the network",
        ),
        (
            net("  <ip address='224.1.1.1'/>\n"),
            "t.xml:5:16: address 224.1.1.1 on <ip> is not a unicast address",
        ),
        (
            net("  <ip address='10.1.1.1' prefix='32' localPtr='yes'/>\n"),
            "t.xml:5:38: localPtr needs a prefix below 32 that is a multiple of 8",
        ),
        (
            net("  <ip family='ipv6' address='fd00::1' prefix='62' localPtr='yes'/>\n"),
            "t.xml:5:51: localPtr needs a prefix below 128 that is a multiple of 4",
        ),
        (
            net(
                "  <ip address='192.168.1.1' prefix='24'>\n    <dhcp>\n      <range start='192.168.1.0' end='192.168.1.9'/>\n    </dhcp>\n  </ip>\n",
            ),
            "t.xml:7:7: DHCP range start 192.168.1.0 is the network's own address",
        ),
        (
            net(
                "  <ip address='192.168.1.1' prefix='24'>\n    <dhcp>\n      <range start='192.168.1.9' end='192.168.1.255'/>\n    </dhcp>\n  </ip>\n",
            ),
            "t.xml:7:7: DHCP range end 192.168.1.255 is the network's broadcast address",
        ),
        (
            net(
                "  <ip address='10.0.0.1' prefix='8'>\n    <dhcp>\n      <range start='10.0.0.2' end='10.200.0.1'/>\n    </dhcp>\n  </ip>\n",
            ),
            "t.xml:7:7: DHCP range 10.0.0.2 to 10.200.0.1 is too large",
        ),
        (
            net(
                "  <ip family='ipv6' address='fd00::1' prefix='64'>\n    <dhcp>\n      <range start='fd00::1:2' end='fd00::2:1'/>\n    </dhcp>\n  </ip>\n",
            ),
            "t.xml:7:7: DHCP range fd00::1:2 to fd00::2:1 is too large",
        ),
        (
            net(
                "  <ip address='192.168.1.1' prefix='24'>\n    <tftp root='/a'/>\n  </ip>\n  <ip address='192.168.2.1' prefix='24'>\n    <tftp root='/b'/>\n  </ip>\n",
            ),
            "t.xml:9:5: a second <tftp>; dnsmasq serves one TFTP root per network",
        ),
        (
            net(&format!(
                "  <domain name='{long}.com'/>\n  <ip address='10.1.1.1' prefix='24'/>\n"
            )),
            "t.xml:5:17: invalid name",
        ),
    ];
    for (text, want) in &cases {
        let got = refusal(text);
        assert!(got.starts_with(want), "want {want}\ngot {got}\nfor\n{text}");
    }
    for name in [
        "infinite", "ignore", "IGNORE", "300", "5h", "5H", "10.0.0.7", "-x",
    ] {
        let text = net(&format!(
            "  <ip address='192.168.1.1' prefix='24'>\n    <dhcp>\n      <host mac='52:54:00:00:00:01' name='{name}' ip='192.168.1.3'/>\n    </dhcp>\n  </ip>\n"
        ));
        let got = refusal(&text);
        assert!(
            got.starts_with("t.xml:7:43: invalid name") && got.contains("dnsmasq"),
            "{name}: {got}"
        );
    }
    for name in ["h300", "300x", "3com", "infinite1"] {
        let text = net(&format!(
            "  <ip address='192.168.1.1' prefix='24'>\n    <dhcp>\n      <host mac='52:54:00:00:00:01' name='{name}' ip='192.168.1.3'/>\n    </dhcp>\n  </ip>\n"
        ));
        assert!(
            netloom::xml::read_network_str("t.xml", &text).is_ok(),
            "{name} is an ordinary host name"
        );
    }
}

// The bounds every kind of XML document shares.

/// A kind of XML document netloom reads.
struct Kind {
    name: &'static str,
    /// Reads a text as this kind, giving every problem as printed when it is refused.
    read: fn(&str) -> Result<(), String>,
    /// The root element's opening, before its attributes, and the rest of the document,
    /// around the root's children.
    open: &'static str,
    rest: (&'static str, &'static str),
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "interface",
        read: |t| {
            xml::read_str("t.xml", t)
                .map(drop)
                .map_err(|e| e.to_string())
        },
        open: "<interfaces",
        rest: (">", "</interfaces>"),
    },
    Kind {
        name: "network",
        read: |t| {
            xml::read_network_str("t.xml", t)
                .map(drop)
                .map_err(|e| e.to_string())
        },
        open: "<network",
        rest: ("><name>n</name>", "</network>"),
    },
    Kind {
        name: "guest",
        read: |t| {
            xml::read_guest(&SourceFile::new("t.xml", t))
                .map(drop)
                .map_err(|e| e.to_string())
        },
        open: "<domain",
        rest: ("><name>g</name>", "</domain>"),
    },
    Kind {
        name: "networkport",
        read: |t| {
            xml::read_netport(&SourceFile::new("t.xml", t))
                .map(drop)
                .map_err(|e| e.to_string())
        },
        open: "<networkport",
        rest: (">", "</networkport>"),
    },
];

impl Kind {
    /// A document of this kind: `attrs` on the root, `body` inside it.
    fn doc(&self, attrs: &str, body: &str) -> String {
        format!("{}{attrs}{}{body}{}\n", self.open, self.rest.0, self.rest.1)
    }

    /// The first line of the refusal of `text`.
    fn first_problem(&self, text: &str) -> String {
        let err = (self.read)(text).expect_err("must be refused");
        err.lines().next().unwrap_or_default().to_owned()
    }
}

fn attributes(n: usize) -> String {
    (0..n).map(|i| format!(" a{i}='x'")).collect()
}

/// The `line:col` of byte `offset` of a text with no line breaks before it.
fn col(offset: usize) -> String {
    format!("1:{}", offset + 1)
}

#[test]
fn eighty_thousand_attributes_are_refused_at_the_first_past_the_limit_in_every_kind() {
    for kind in &KINDS {
        let text = kind.doc(&attributes(80_000), "");
        let root = &kind.open[1..];
        let at = text.find(" a256=").unwrap() + 1;
        assert_eq!(
            kind.first_problem(&text),
            format!(
                "t.xml:{}: <{root}> has more than 256 attributes; netloom reads at most 256 on \
                 one element (libvirt writes fewer than 30)",
                col(at)
            ),
            "{}",
            kind.name
        );
        // At the limit the parser reads it: any problems are the grammar's own (a domain's
        // attributes are not netloom's to judge).
        let text = kind.doc(&attributes(256), "");
        let err = (kind.read)(&text).err().unwrap_or_default();
        assert!(!err.contains("more than 256"), "{}: {err}", kind.name);
    }
}

#[test]
fn nesting_and_namespaces_past_their_limits_are_refused_in_every_kind() {
    for kind in &KINDS {
        // The root, then 256 levels inside it: the last is one too deep.
        let body = format!("{}{}", "<x>".repeat(256), "</x>".repeat(256));
        let text = kind.doc("", &body);
        let at = text.find("<x>").unwrap() + 3 * 255;
        assert_eq!(
            kind.first_problem(&text),
            format!(
                "t.xml:{}: <x> is nested deeper than 256 levels; netloom reads documents at most \
                 256 levels deep (libvirt's have fewer than 20)",
                col(at)
            ),
            "{}",
            kind.name
        );
        let decls: String = (0..17).map(|i| format!(" xmlns:p{i}='urn:p{i}'")).collect();
        let text = kind.doc(&decls, "");
        let at = text.find(" xmlns:p16").unwrap() + 1;
        let root = &kind.open[1..];
        assert_eq!(
            kind.first_problem(&text),
            format!(
                "t.xml:{}: 'xmlns:p16' on <{root}> makes more than 16 namespace declarations on \
                 one element and its ancestors; netloom reads at most 16 (libvirt's documents \
                 use a few)",
                col(at)
            ),
            "{}",
            kind.name
        );
    }
}

#[test]
fn a_second_byte_order_mark_and_an_encoding_other_than_utf8_are_refused_in_every_kind() {
    for kind in &KINDS {
        let plain = kind.doc("", "");
        // One mark is dropped when the file is read; the reader sees the second.
        let text = format!("\u{feff}\u{feff}{plain}");
        assert_eq!(
            kind.first_problem(&text),
            "t.xml:1:1: a second byte-order mark; a file may begin with one at most",
            "{}",
            kind.name
        );
        for (encoding, refused) in [("UTF-16", true), ("latin1", true), ("utf-8", false)] {
            let text = format!("<?xml version='1.0' encoding='{encoding}'?>{plain}");
            let got = (kind.read)(&text).err().unwrap_or_default();
            let want = format!(
                "t.xml:1:31: the XML declaration says encoding '{encoding}', but netloom reads \
                 UTF-8 only; convert the file to UTF-8 and declare encoding='UTF-8' (or no \
                 encoding)"
            );
            assert_eq!(got.starts_with(&want), refused, "{}: {got}", kind.name);
        }
    }
}

/// Documents of `n` attributes in all, 200 on each of `n / 200` elements: where the
/// grammar has room for them (network `<metadata>`, a domain's other devices), or else
/// as unknown ones, each refused.
fn many_attributes(kind: &Kind, n: usize) -> String {
    let attrs = attributes(200);
    let body: String = (0..n / 200)
        .map(|i| match kind.name {
            "interface" => format!("<interface type='ethernet' name='e{i}'{attrs}/>"),
            "network" => format!("<m:x xmlns:m='urn:m'{attrs}/>"),
            "guest" => format!("<disk{attrs}/>"),
            _ => format!("<x{attrs}/>"),
        })
        .collect();
    match kind.name {
        "network" => kind.doc("", &format!("<metadata>{body}</metadata>")),
        "guest" => kind.doc("", &format!("<devices>{body}</devices>")),
        _ => kind.doc("", &body),
    }
}

/// Documents of `n` elements: interfaces of a host, DHCP hosts, guest interfaces, and for
/// a networkport (which repeats nothing) a repeated `<mac>`, each repeat refused.
fn many_elements(kind: &Kind, n: usize) -> String {
    let body: String = (0..n)
        .map(|i| {
            let [_, a, b, c] = u32::try_from(i + 2).unwrap().to_be_bytes();
            match kind.name {
                "interface" => format!("<interface type='ethernet' name='e{i}'/>"),
                "network" => format!(
                    "<host mac='52:54:{a:02x}:{b:02x}:{c:02x}:01' name='h{i}' ip='10.{a}.{b}.{c}'/>"
                ),
                "guest" => "<interface type='bridge'><source bridge='br0'/></interface>".to_owned(),
                _ => "<mac address='52:54:00:00:00:01'/>".to_owned(),
            }
        })
        .collect();
    match kind.name {
        "network" => kind.doc(
            "",
            &format!("<ip address='10.0.0.1' prefix='8'><dhcp>{body}</dhcp></ip>"),
        ),
        "guest" => kind.doc("", &format!("<devices>{body}</devices>")),
        _ => kind.doc("", &body),
    }
}

#[test]
fn every_kind_reads_in_time_linear_in_attributes_and_elements() {
    for kind in &KINDS {
        util::scaling::assert_linear(
            &format!("{} XML with n attributes", kind.name),
            1_000,
            |n| many_attributes(kind, n),
            |text| drop((kind.read)(text)),
        );
        util::scaling::assert_linear(
            &format!("{} XML with n elements", kind.name),
            100,
            |n| many_elements(kind, n),
            |text| drop((kind.read)(text)),
        );
    }
}

#[test]
fn addresses_and_routes_are_checked_in_linear_time() {
    // Each <ip> against every earlier one, and each route against every <ip>, was
    // quadratic: 200,000 of either took 20 s.
    let ip = |i: usize| {
        let [_, a, b, c] = u32::try_from(4 * i).unwrap().to_be_bytes();
        format!("10.{a}.{b}.{c}")
    };
    util::scaling::assert_linear(
        "an interface with n addresses",
        3_000,
        |n| {
            let ips: String = (0..n)
                .map(|i| format!("<ip address='{}' prefix='8'/>", ip(i)))
                .collect();
            format!(
                "<interface type='ethernet' name='e0'><protocol family='ipv4'>{ips}</protocol></interface>"
            )
        },
        |text| drop(xml::read_str("t.xml", text).unwrap()),
    );
    util::scaling::assert_linear(
        "a network with n addresses and n routes",
        4_000,
        |n| {
            let ips: String = (0..n)
                .map(|i| format!("<ip address='{}' prefix='30'/>", ip(i)))
                .collect();
            let routes: String = (0..n)
                .map(|i| {
                    let gw = ip(n - 1 - i).replace(".0", ".1");
                    format!("<route address='192.168.0.0' prefix='24' gateway='{gw}'/>")
                })
                .collect();
            wrap(&format!("<forward mode='route'/>{ips}{routes}"))
        },
        |text| drop(xml::read_network_str("t.xml", text)),
    );
}

#[test]
fn past_ten_thousand_problems_in_a_file_the_rest_are_counted_where_they_begin() {
    let body: String = (0..10_005)
        .map(|i| format!("<interface type='ethernet' name='e{i}' x='1'/>\n"))
        .collect();
    let text = format!("<interfaces>\n{body}</interfaces>\n");
    let err = xml::read_str("t.xml", &text).unwrap_err();
    assert_eq!(err.0.len(), 10_001);
    // The 10,001st unknown attribute is on line 10,002, the first not shown.
    let last = err.0.last().unwrap().to_string();
    assert!(
        last.starts_with(
            "t.xml:10002:42: 5 more problems are not shown, the first of them here; netloom \
             reports at most 10000 problems of one file"
        ),
        "{last}"
    );
}
