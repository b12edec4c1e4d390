//! What the Debian backend writes for every case in `tests/data/interfaces` is read by real
//! ifupdown: `ifquery` parses every stanza and lists the interfaces to bring up, and
//! `ifup -n` (no action) accepts every top-level interface. Cases the backend must refuse
//! are listed with their refusals. Skipped, with a printed reason, where ifupdown is not
//! installed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use netloom::backend::{Backend, BackendError, Snapshot};
use netloom::backends::debian::{DIR, Debian};

use crate::util::{self, repo, xml_files};

/// A case's expected outcome.
enum Expect {
    /// Rendered; `auto` and `allow-hotplug` interfaces (without `lo`), sorted.
    Lists(&'static [&'static str], &'static [&'static str]),
    /// Refused: (interface, setting) of every refusal.
    Refused(&'static [(&'static str, &'static str)]),
}
use Expect::{Lists, Refused};

const CASES: &[(&str, Expect)] = &[
    ("bond-8023ad", Lists(&["bond0"], &[])),
    ("bond-arpmon-all", Lists(&[], &[])),
    (
        "bond-options",
        Lists(&["bond0", "bond1", "bond2", "bond3"], &[]),
    ),
    (
        "bond-options-beyond-ifenslave",
        Refused(&[
            ("bond0", "<nl:bond min_links='2'/>"),
            ("bond0", "<nl:bond all_slaves_active='yes'/>"),
            ("bond0", "<nl:bond resend_igmp='2'/>"),
        ]),
    ),
    ("bridge-all-port-kinds", Lists(&["br1"], &[])),
    (
        "bridge-multicast-snooping",
        Refused(&[("br1", "<nl:bridge multicast_snooping='no'/>")]),
    ),
    ("bridge-options", Lists(&["br0"], &[])),
    ("bridge-stp-defaults", Lists(&["br0", "br1", "br2"], &[])),
    (
        "interface-uuid",
        Refused(&[
            ("br0", "<uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>"),
            ("br1", "<uuid>0b5c7e2a-3d4f-4a6b-8c9d-0e1f2a3b4c5d</uuid>"),
        ]),
    ),
    ("bridge-stp-options-without-stp", Lists(&["br2"], &[])),
    (
        "cloned-mac",
        Refused(&[
            ("eth0", "<nl:cloned-mac address='02:00:00:00:00:01'/>"),
            ("eth1", "<nl:cloned-mac address='02:00:00:00:00:02'/>"),
        ]),
    ),
    (
        "dhcp-with-gateway",
        Refused(&[
            ("eth1", "<dhcp peerdns='no'/>"),
            (
                "eth1",
                "<route gateway='192.0.2.254'> with DHCP and no static address",
            ),
        ]),
    ),
    ("empty-host", Lists(&[], &[])),
    ("ethernet-static", Lists(&["eth0"], &[])),
    ("interleaved", Lists(&["eth2"], &[])),
    ("routes-dns", Lists(&["eth0"], &[])),
    ("shared-nic", Lists(&["br0"], &[])),
    ("vlan-derived-name", Lists(&["eth0.100"], &[])),
    (
        "vlan-options",
        Refused(&[
            ("eth0.100", "<nl:vlan protocol='802.1ad'/>"),
            ("eth0.100", "<nl:vlan reorder_hdr='no'/>"),
            ("eth0.100", "<nl:vlan gvrp='yes'/>"),
            ("eth0.100", "<nl:vlan mvrp='yes'/>"),
            ("eth0.100", "<nl:vlan loose_binding='yes'/>"),
            ("eth0.200", "<nl:vlan protocol='802.1Q'/>"),
            ("eth0.200", "<nl:vlan gvrp='no'/>"),
        ]),
    ),
    (
        "vlan-named",
        Refused(&[(
            "vlan42",
            "<interface type='vlan' name='vlan42'> with <vlan tag='7'>",
        )]),
    ),
    (
        "whole-host",
        Lists(&["bond0", "bond0.200", "br100", "eth0"], &["eth3"]),
    ),
];

/// Whether `ifquery` runs at all; if not, says so (and fails under CI).
fn have_ifupdown() -> bool {
    util::runnable("ifquery", util::tools::absent("ifquery"))
}

fn run(program: &str, args: &[&str]) -> Output {
    util::tools::command(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} does not start: {e}"))
}

fn lines(out: &Output) -> BTreeSet<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| *l != "lo")
        .map(str::to_owned)
        .collect()
}

/// Every rendered interfaces.d file, concatenated into one file ifupdown reads with `-i`.
fn check(case: &str, text: &str, expect: (&[&str], &[&str]), dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let file = dir.join(case);
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.join(format!("{case}.state"));
    let state = state.to_str().unwrap();
    for (allow, want) in [("auto", expect.0), ("hotplug", expect.1)] {
        let out = run("ifquery", &["-i", file, "--list", "--allow", allow]);
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        if !out.status.success() || lines(&out) != want {
            failures.push(format!(
                "{case}: ifquery --list --allow {allow}: {:?} {:?}, expected {want:?}\n{text}",
                out.status,
                lines(&out)
            ));
        }
    }
    let stanzas: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("iface "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    for name in stanzas {
        let out = run("ifquery", &["-i", file, "--", name]);
        if !out.status.success() || !out.stderr.is_empty() {
            failures.push(format!(
                "{case}: ifquery {name}: {:?}\n{}\n{text}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    for name in expect.0.iter().chain(expect.1) {
        let out = run(
            "ifup",
            &[
                "-n",
                "--force",
                "-i",
                file,
                "--state-dir",
                state,
                "--",
                name,
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        // `-n` prints the commands it would run on standard error; its own complaints start
        // with its name.
        let unexpected = stderr.lines().any(|l| l.starts_with("ifup:"));
        if !out.status.success() || unexpected {
            failures.push(format!(
                "{case}: ifup -n {name}: {:?}\n{stderr}\n{text}",
                out.status
            ));
        }
    }
    failures
}

#[test]
fn every_case_reads_back_through_ifquery_or_is_refused_as_expected() {
    let inputs = xml_files(&repo().join("tests/data/interfaces"));
    let listed: BTreeSet<&str> = CASES.iter().map(|(c, _)| *c).collect();
    let found: BTreeSet<String> = inputs
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        found,
        listed.iter().map(|s| s.to_string()).collect(),
        "every case needs an expected outcome here"
    );
    let ifupdown = have_ifupdown();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (case, expect) in CASES {
        let path = repo().join(format!("tests/data/interfaces/{case}.xml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let host = netloom::xml::read_str(case, &text).unwrap();
        match (Debian.render(&host, &Snapshot::default()), expect) {
            (Ok(files), Lists(auto, hotplug)) => {
                let text: String = files
                    .iter()
                    .filter(|f| f.path.starts_with(&format!("{DIR}/")))
                    .map(|f| f.contents.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                if ifupdown {
                    failures.extend(check(case, &text, (auto, hotplug), dir.path()));
                }
            }
            (Err(BackendError::Unsupported { refusals, .. }), Refused(want)) => {
                let got: Vec<(&str, &str)> = refusals
                    .iter()
                    .map(|r| (r.interface.as_str(), r.setting.as_str()))
                    .collect();
                if got != *want {
                    failures.push(format!("{case}: refused {got:?}, expected {want:?}"));
                }
            }
            (Ok(_), Refused(_)) => failures.push(format!("{case}: rendered, expected a refusal")),
            (Err(e), _) => failures.push(format!("{case}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
