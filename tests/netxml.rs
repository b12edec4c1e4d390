//! Network XML: libvirt's own fixtures read and round-trip, positioned refusals, the
//! defaults netloom fills in, and the CLI on network files.

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
