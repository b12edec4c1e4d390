//! The splice against hostile and unusual user trees; each case was a reproduced bug.

use std::collections::BTreeMap;

use crate::backend::{Backend, Snapshot};
use crate::backends::debian::Debian;
use crate::source::SourceFile;

const ETH0: &str = "<interface type='ethernet' name='eth0'><start mode='onboot'/>\
<protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol></interface>";
const VLAN: &str = "<interface type='vlan' name='eth0.42'><start mode='onboot'/>\
<vlan tag='42'><interface name='eth0'/></vlan></interface>";
const BRIDGE: &str = "<interface type='bridge' name='br0'><bridge>\
<interface type='ethernet' name='eth1'/></bridge></interface>";

fn snap(files: &[(&str, &str)], binary: &[&str]) -> Snapshot {
    Snapshot {
        files: files
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect(),
        binary: binary
            .iter()
            .map(|p| {
                // "# Büro" in Latin-1: the bad byte is at line 2, column 4.
                let bytes = b"auto eth0\n# B\xfcro\n".to_vec();
                let problem = SourceFile::from_bytes(*p, bytes).unwrap_err();
                ((*p).to_owned(), *problem)
            })
            .collect(),
    }
}

fn render(xml: &str, existing: &Snapshot) -> Result<BTreeMap<String, String>, String> {
    let host = crate::xml::read_str("host.xml", xml).map_err(|e| e.to_string())?;
    Debian
        .render(&host, existing)
        .map(|files| files.into_iter().map(|f| (f.path, f.contents)).collect())
        .map_err(|e| e.to_string())
}

#[test]
fn files_that_are_not_utf8_stop_everything_instead_of_vanishing() {
    for (existing, want) in [
        (
            snap(&[], &["etc/network/interfaces"]),
            ("etc/network/interfaces:2:4: ", "ifupdown reads this file"),
        ),
        (
            snap(
                &[("etc/network/interfaces", "source interfaces.d/*\n")],
                &["etc/network/interfaces.d/buero"],
            ),
            (
                "etc/network/interfaces.d/buero:2:4: ",
                "ifupdown reads this file",
            ),
        ),
        (
            snap(
                &[("etc/network/interfaces", "source interfaces.d/*\n")],
                &["etc/network/interfaces.d/eth0"],
            ),
            (
                "etc/network/interfaces.d/eth0:2:4: ",
                "netloom writes this file",
            ),
        ),
    ] {
        let err = render(ETH0, &existing).unwrap_err();
        let (at, note) = want;
        assert!(
            err.starts_with(&format!("{at}the file is not valid UTF-8: byte 0xfc")),
            "{err}"
        );
        assert!(err.contains(&format!("= note: {note}")), "{err}");
    }
}

#[test]
fn a_trailing_continuation_does_not_swallow_the_added_source_line() {
    let main = "source-directory /etc/network/interfaces.d\niface eth1 inet manual\n    post-up echo hi \\\n";
    let out = render(VLAN, &snap(&[("etc/network/interfaces", main)], &[])).unwrap();
    assert_eq!(
        out["etc/network/interfaces"],
        format!("{main}\nsource /etc/network/interfaces.d/eth0.42\n")
    );
    // And without a final newline.
    let main = main.trim_end_matches('\n');
    let out = render(VLAN, &snap(&[("etc/network/interfaces", main)], &[])).unwrap();
    assert_eq!(
        out["etc/network/interfaces"],
        format!("{main}\n\nsource /etc/network/interfaces.d/eth0.42\n")
    );
}

#[test]
fn mappings_renames_and_no_scripts_on_managed_interfaces_are_refused_at_the_line() {
    for (main, xml, want) in [
        (
            "mapping eth*\n    script /bin/true\n",
            ETH0,
            "etc/network/interfaces:1:9: this mapping decides which stanza configures 'eth0'",
        ),
        (
            "auto lo\nrename eth0=lan0\n",
            ETH0,
            "etc/network/interfaces:2:8: this renames to or from 'eth0'",
        ),
        (
            "no-scripts lo eth1\n",
            BRIDGE,
            "etc/network/interfaces:1:15: no-scripts stops the bridge, bond and vlan hooks for 'eth1'",
        ),
    ] {
        let err = render(xml, &snap(&[("etc/network/interfaces", main)], &[])).unwrap_err();
        assert!(err.contains(want), "{main:?}: {err}");
    }
    // Lines about other interfaces are the user's business.
    let main = "mapping wlan*\n    script /bin/true\nrename eth5=lan5\nno-scripts eth6\nno-auto-down eth0\n";
    let out = render(ETH0, &snap(&[("etc/network/interfaces", main)], &[])).unwrap();
    assert!(out["etc/network/interfaces"].starts_with(main));
}

#[test]
fn a_new_main_file_does_not_switch_on_user_files_nothing_read_before() {
    let old = "auto eth0 eth1\niface eth0 inet dhcp\niface eth1 inet dhcp\n";
    let out = render(ETH0, &snap(&[("etc/network/interfaces.d/old", old)], &[])).unwrap();
    let main = &out["etc/network/interfaces"];
    assert!(!main.contains("interfaces.d/*"), "{main}");
    assert!(
        main.ends_with("\nsource /etc/network/interfaces.d/eth0\n"),
        "{main}"
    );
    assert!(!out.contains_key("etc/network/interfaces.d/old"));
    // With nothing of the user's there, Debian's default main file.
    let out = render(ETH0, &Snapshot::default()).unwrap();
    assert!(out["etc/network/interfaces"].ends_with("\n\nsource /etc/network/interfaces.d/*\n"));
}

#[test]
fn an_auto_line_split_by_a_continuation_is_rebuilt_as_an_auto_line() {
    let main = "source interfaces.d/*\niface eth1 inet manual\nau\\\nto eth0 eth1\nallow-hot\\\nplug eth0 eth2\n";
    let out = render(ETH0, &snap(&[("etc/network/interfaces", main)], &[])).unwrap();
    assert_eq!(
        out["etc/network/interfaces"],
        "source interfaces.d/*\niface eth1 inet manual\nauto eth1\nallow-hotplug eth2\n"
    );
}

#[test]
fn sources_that_multiply_are_refused_and_long_plain_chains_are_followed() {
    let mut files = vec![(
        "etc/network/interfaces".to_owned(),
        "source interfaces.d/f0\n".to_owned(),
    )];
    for i in 0..13 {
        files.push((
            format!("etc/network/interfaces.d/f{i}"),
            format!("source f{}\n", i + 1).repeat(8),
        ));
    }
    let existing = Snapshot {
        files: files.into_iter().collect(),
        ..Snapshot::default()
    };
    // Followed naively, this is 8^13 files to read: the refusal is what keeps it short (and
    // `cargo bench --bench debian` times it).
    let err = render(ETH0, &existing).unwrap_err();
    assert!(err.contains("source each other so often"), "{err}");

    let mut files = vec![(
        "etc/network/interfaces".to_owned(),
        "source interfaces.d/f0\n".to_owned(),
    )];
    for i in 0..18 {
        files.push((
            format!("etc/network/interfaces.d/f{i}"),
            format!("source f{}\n", i + 1),
        ));
    }
    files.push((
        "etc/network/interfaces.d/f18".to_owned(),
        "auto eth0\niface eth0 inet dhcp\n".to_owned(),
    ));
    let existing = Snapshot {
        files: files.into_iter().collect(),
        ..Snapshot::default()
    };
    let out = render(ETH0, &existing).unwrap();
    assert_eq!(out["etc/network/interfaces.d/f18"], "");
}

#[test]
fn a_user_file_where_netloom_writes_is_replaced_only_when_nothing_would_be_lost() {
    let main = ("etc/network/interfaces", "source interfaces.d/*\n");
    let plain = (
        "etc/network/interfaces.d/eth0",
        "auto eth0\niface eth0 inet dhcp\n",
    );
    assert!(render(ETH0, &snap(&[main, plain], &[])).is_ok());
    for text in [
        "# eth0 is the uplink\nauto eth0\niface eth0 inet dhcp\n",
        "auto eth0 eth1\niface eth0 inet dhcp\niface eth1 inet dhcp\n",
    ] {
        let err = render(
            ETH0,
            &snap(&[main, ("etc/network/interfaces.d/eth0", text)], &[]),
        )
        .unwrap_err();
        assert!(err.contains("would be lost"), "{err}");
    }
}

#[test]
fn splicing_many_interfaces_into_a_main_file_without_a_source_all_line_is_linear() {
    // netloom adds one `source` line per interface there; the next plan follows each.
    use crate::scaling::assert_linear;
    let input = |n: usize| {
        let xml: String = (0..n)
            .map(|i| {
                format!("<interface type='ethernet' name='e{i}'><start mode='onboot'/></interface>")
            })
            .collect();
        let host =
            crate::xml::read_str("h.xml", &format!("<interfaces>{xml}</interfaces>")).unwrap();
        let main = "auto lo\niface lo inet loopback\n";
        let first = Debian
            .render(&host, &snap(&[("etc/network/interfaces", main)], &[]))
            .unwrap();
        let applied = Snapshot {
            files: first.into_iter().map(|f| (f.path, f.contents)).collect(),
            ..Snapshot::default()
        };
        (host, applied)
    };
    assert_linear(
        "re-planning n sourced interfaces",
        500,
        input,
        |(host, applied)| {
            let again = Debian.render(host, applied).unwrap();
            assert!(again.len() >= 500);
        },
    );
}

#[test]
fn an_alias_of_a_managed_interface_goes_with_it() {
    let main = "auto eth0 eth0:1 eth9\niface eth0 inet dhcp\niface eth0:1 inet static\n  \
                address 198.51.100.1/24\niface eth9 inet dhcp\n";
    let files = render(ETH0, &snap(&[("etc/network/interfaces", main)], &[])).unwrap();
    assert_eq!(
        files["etc/network/interfaces"],
        "auto eth9\niface eth9 inet dhcp\nsource /etc/network/interfaces.d/eth0\n"
    );
}
