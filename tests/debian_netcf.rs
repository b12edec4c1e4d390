//! netcf's 18 Debian cases: what the Debian backend writes for each of netcf's interface
//! XMLs means what netcf wrote (`tests/debian/schema/CASE.xml`, an Augeas tree of
//! `/etc/network/interfaces`), apart from the deliberate differences listed in
//! [`DIFFERENCES`] with their reasons; and the importer reads netcf's files back to netcf's
//! interface XML.
//!
//! "Means the same" is compared as facts per interface, after the normalisations ifupdown
//! itself applies: `_` and `-` in option names are the same, `address A` + `netmask M` is
//! `address A/prefix`, repeated stanzas of one method are one method, netcf's
//! `pre-up echo 0 > …/autoconf` is `autoconf 0`, and its `up ifconfig … inet6 add A/P` hooks
//! are addresses (their `post-down`/`down` undo lines carry no meaning of their own).

use std::collections::{BTreeMap, BTreeSet};

use netloom::backend::{Backend, Snapshot};
use netloom::backends::debian::Debian;
use netloom::syntax::interfaces::{self, LineKind};
use roxmltree::Document;

use crate::util::shared;

/// One stanza: interface, family, method and its options in order.
#[derive(Debug)]
struct Stanza {
    name: String,
    family: String,
    method: String,
    options: Vec<(String, String)>,
}

/// `(class, name)` of each `auto`/`allow-*` word: who starts when.
type Starts = Vec<(String, String)>;

/// Interface name to the facts that describe it.
type Facts = BTreeMap<String, BTreeSet<String>>;

fn prefix_of(mask: &str) -> String {
    match mask.parse::<std::net::Ipv4Addr>() {
        Ok(m) => u32::from(m).count_ones().to_string(),
        Err(_) => mask.to_owned(),
    }
}

fn facts(starts: &[(String, String)], stanzas: &[Stanza]) -> Facts {
    let mut out = Facts::new();
    for (class, name) in starts {
        out.entry(name.clone()).or_default().insert(class.clone());
    }
    for s in stanzas {
        let set = out.entry(s.name.clone()).or_default();
        let fam = &s.family;
        set.insert(format!("{fam} {}", s.method));
        let netmask = s
            .options
            .iter()
            .find(|(k, _)| k == "netmask")
            .map(|(_, v)| prefix_of(v));
        let autoconf_hook = format!("echo 0 > /proc/sys/net/ipv6/conf/{}/autoconf", s.name);
        let undo_hook = format!("echo 1 > /proc/sys/net/ipv6/conf/{}/autoconf", s.name);
        let add = format!("/sbin/ifconfig {} inet6 add ", s.name);
        let del = format!("/sbin/ifconfig {} inet6 del ", s.name);
        for (key, value) in &s.options {
            let key = interfaces::normal_key(key);
            let fact = match key.as_str() {
                "netmask" => continue,
                "address" if value.contains('/') => format!("{fam} address {value}"),
                "address" => match &netmask {
                    Some(p) => format!("{fam} address {value}/{p}"),
                    None => format!("{fam} address {value}"),
                },
                "gateway" | "autoconf" | "accept-ra" => format!("{fam} {key} {value}"),
                "pre-up" if *value == autoconf_hook => "inet6 autoconf 0".to_owned(),
                "post-down" if *value == undo_hook => continue,
                "up" if value.starts_with(&add) => {
                    format!("inet6 address {}", &value[add.len()..])
                }
                "down" if value.starts_with(&del) => continue,
                "hwaddress" => format!("hwaddress {}", value.to_ascii_lowercase()),
                _ => format!("{key} {value}"),
            };
            set.insert(fact);
        }
    }
    out
}

/// netcf's expected Augeas tree for `/etc/network/interfaces`.
fn netcf_side(xml: &str) -> (Starts, Vec<Stanza>) {
    let doc = Document::parse(xml).unwrap();
    let mut starts = Vec::new();
    let mut stanzas = Vec::new();
    for array in doc.descendants().filter(|n| n.has_tag_name("array")) {
        match array.attribute("label") {
            Some("auto") => {
                for node in array.descendants().filter(|n| n.has_tag_name("node")) {
                    starts.push((
                        "auto".to_owned(),
                        node.attribute("value").unwrap().to_owned(),
                    ));
                }
            }
            Some("iface") => {
                for el in array.children().filter(|n| n.has_tag_name("element")) {
                    let mut s = Stanza {
                        name: el.attribute("key").unwrap().to_owned(),
                        family: String::new(),
                        method: String::new(),
                        options: Vec::new(),
                    };
                    for node in el.children().filter(|n| n.has_tag_name("node")) {
                        let label = node.attribute("label").unwrap();
                        let value = node.attribute("value").unwrap_or("").to_owned();
                        match label {
                            "family" => s.family = value,
                            "method" => s.method = value,
                            _ => s.options.push((label.to_owned(), value)),
                        }
                    }
                    stanzas.push(s);
                }
            }
            other => panic!("unexpected array {other:?}"),
        }
    }
    (starts, stanzas)
}

/// What the Debian backend writes for `xml`, as the same shapes.
fn our_side(name: &str, xml: &str) -> (Starts, Vec<Stanza>, Vec<(String, String)>) {
    let host = netloom::xml::read_str(name, xml).unwrap();
    let files = Debian.render(&host, &Snapshot::default()).unwrap();
    let mut starts = Vec::new();
    let mut stanzas: Vec<Stanza> = Vec::new();
    let mut texts = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("etc/network/interfaces.d/"))
    {
        texts.push((f.path.clone(), f.contents.clone()));
        let parsed = interfaces::parse(&f.path, &f.contents).unwrap();
        for line in &parsed.lines {
            match &line.kind {
                LineKind::Allow { class, names } => {
                    let class = if class == "auto" {
                        "auto".to_owned()
                    } else {
                        format!("allow-{class}")
                    };
                    starts.extend(names.iter().map(|n| (class.clone(), n.text.clone())));
                }
                LineKind::Iface {
                    name,
                    family,
                    method,
                } => stanzas.push(Stanza {
                    name: name.text.clone(),
                    family: family.text.clone(),
                    method: method.text.clone(),
                    options: Vec::new(),
                }),
                LineKind::Option { key, value } => stanzas.last_mut().unwrap().options.push((
                    key.text.clone(),
                    value.as_ref().map(|v| v.text.clone()).unwrap_or_default(),
                )),
                _ => {}
            }
        }
    }
    (starts, stanzas, texts)
}

/// A fact one side has and the other lacks: `(case, "+" ours only | "-" netcf only,
/// interface, fact, why)`.
type Difference = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const DIFFERENCES: &[Difference] = &[
    (
        "ethernet-static-no-prefix",
        "-",
        "eth1",
        "inet address 192.168.0.5",
        "an address without a prefix is written with the one ifupdown derives (the class's), \
         so import reads it back as written and render, import, render is a fixed point",
    ),
    (
        "ethernet-static-no-prefix",
        "+",
        "eth1",
        "inet address 192.168.0.5/24",
        "the same",
    ),
    (
        "bond-defaults",
        "-",
        "bond0",
        "bond-primary eth1",
        "netcf wrote bond_primary for every mode; the kernel honours a primary only in \
         active-backup (and a few balance modes netcf did not model), and the model has a \
         primary only there",
    ),
    (
        "bridge",
        "+",
        "br0",
        "inet manual",
        "ifupdown's dhcp method ignores `mtu` (ifup -n runs no `ip link set mtu`), so netcf's \
         MTU was silently lost; an `inet manual` stanza first carries it",
    ),
    (
        "ethernet-dhcp",
        "+",
        "eth0",
        "inet manual",
        "the same: `mtu 1492` in an `inet dhcp` stanza does nothing",
    ),
    (
        "bridge-bond",
        "+",
        "bond0",
        "mtu 1500",
        "a port with a stanza of its own gets the bridge's MTU: the kernel does not push a \
         bridge's MTU down to its ports, and bridge-utils sets it only on ports it attaches",
    ),
    (
        "ipv6-autoconf",
        "-",
        "eth0",
        "inet6 manual",
        "netcf left SLAAC to the kernel's default with `inet6 manual`; `inet6 auto` asks \
         ifupdown for it, so a host whose default is off still gets it",
    ),
    (
        "ipv6-autoconf",
        "+",
        "eth0",
        "inet6 auto",
        "the other half of the line above",
    ),
    (
        "ipv6-autoconf-dhcp",
        "+",
        "eth0",
        "inet6 autoconf 1",
        "netcf relied on the kernel's default again; `autoconf 1` says it (ifupdown's \
         `inet6 dhcp` leaves autoconf alone otherwise)",
    ),
    (
        "ipv6-local",
        "-",
        "eth0",
        "inet6 manual",
        "netcf wrote `inet6 manual` with `pre-up echo 0 > …/autoconf` hooks; the native form \
         of \"IPv6 with only a link-local address\" is `inet6 auto` with `accept_ra 0`: no \
         router advertisement is read, so SLAAC never configures an address, with no hooks",
    ),
    (
        "ipv6-local",
        "-",
        "eth0",
        "inet6 autoconf 0",
        "as above: the hook is gone",
    ),
    ("ipv6-local", "+", "eth0", "inet6 auto", "as above"),
    ("ipv6-local", "+", "eth0", "inet6 accept-ra 0", "as above"),
];

fn interface_text(starts: &[(String, String)], stanzas: &[Stanza]) -> String {
    let mut out = String::new();
    for (class, name) in starts {
        out.push_str(&format!("{class} {name}\n"));
    }
    for s in stanzas {
        out.push_str(&format!("iface {} {} {}\n", s.name, s.family, s.method));
        for (k, v) in &s.options {
            out.push_str(&format!("    {k} {v}\n"));
        }
    }
    out
}

#[test]
fn the_debian_backend_means_what_netcf_wrote_for_its_18_cases() {
    let Some(dir) = shared("conformance/netcf/tests") else {
        return;
    };
    let mut found: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    let mut cases = 0;
    let mut report = String::new();
    for schema in crate::util::xml_files(&dir.join("debian/schema")) {
        let case = schema.file_stem().unwrap().to_string_lossy().into_owned();
        if case == "schemas" {
            continue;
        }
        cases += 1;
        let input =
            std::fs::read_to_string(dir.join("interface").join(format!("{case}.xml"))).unwrap();
        let (their_starts, theirs) = netcf_side(&std::fs::read_to_string(&schema).unwrap());
        let (our_starts, ours, texts) = our_side(&case, &input);
        let (a, b) = (facts(&our_starts, &ours), facts(&their_starts, &theirs));
        let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        let empty = BTreeSet::new();
        for name in names {
            let (x, y) = (a.get(name).unwrap_or(&empty), b.get(name).unwrap_or(&empty));
            for f in x.difference(y) {
                found.insert((case.clone(), "+".into(), name.clone(), f.clone()));
            }
            for f in y.difference(x) {
                found.insert((case.clone(), "-".into(), name.clone(), f.clone()));
            }
        }
        report.push_str(&format!(
            "== {case}\n--- netcf\n{}",
            interface_text(&their_starts, &theirs)
        ));
        for (path, text) in texts {
            report.push_str(&format!("--- {path}\n{text}"));
        }
    }
    assert_eq!(cases, 18, "netcf has 18 Debian cases");
    let documented: BTreeSet<(String, String, String, String)> = DIFFERENCES
        .iter()
        .map(|(c, s, n, f, _)| ((*c).into(), (*s).into(), (*n).into(), (*f).into()))
        .collect();
    let unexplained: Vec<_> = found.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&found).collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "differences from netcf that DIFFERENCES does not explain:\n{}\n\ndocumented differences that no longer occur:\n{}\n\n{report}",
        unexplained
            .iter()
            .map(|d| format!(
                "    (\"{}\", \"{}\", \"{}\", \"{}\", \"\"),",
                d.0, d.1, d.2, d.3
            ))
            .collect::<Vec<_>>()
            .join("\n"),
        stale
            .iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

/// The importer reads what netcf wrote (its own idioms included: `netmask`, `_` option
/// names, the autoconf `pre-up` hook, `up ifconfig` addresses) back to netcf's interface XML.
#[test]
fn netcf_written_files_import_back_to_netcfs_interface_xml() {
    let Some(dir) = shared("conformance/netcf/tests") else {
        return;
    };
    let mut failures = Vec::new();
    let mut cases = 0;
    for schema in crate::util::xml_files(&dir.join("debian/schema")) {
        let case = schema.file_stem().unwrap().to_string_lossy().into_owned();
        if case == "schemas" {
            continue;
        }
        cases += 1;
        let (starts, stanzas) = netcf_side(&std::fs::read_to_string(&schema).unwrap());
        let mut snap = Snapshot::default();
        snap.files.insert(
            "etc/network/interfaces".into(),
            interface_text(&starts, &stanzas),
        );
        let input =
            std::fs::read_to_string(dir.join("interface").join(format!("{case}.xml"))).unwrap();
        let want = netloom::xml::read_str(&case, &input).unwrap();
        // netcf's XML leaves some prefixes to the reader; ifupdown's are read.
        let same = crate::util::equivalence::debian;
        match Debian.import(&snap, &[]) {
            Ok(got) if same(got.clone()) == same(want.clone()) => {}
            Ok(got) => failures.push(format!(
                "{case}: imported\n{}\nwanted\n{}",
                netloom::xml::to_xml(&got),
                netloom::xml::to_xml(&want)
            )),
            Err(e) => failures.push(format!("{case}: {e}")),
        }
    }
    assert_eq!(cases, 18);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
