//! What the properties found, each pinned by the smallest input that showed it.

use netloom::backend::{Backend, Snapshot};
use netloom::backends::ifcfg::Ifcfg;

/// Found by the round trip: an empty IPv4 protocol renders as `BOOTPROTO=none`, which
/// imported back as no protocol at all, so the second render lost the line.
#[test]
fn fuzz_found_an_empty_ipv4_protocol_round_trips_through_ifcfg() {
    let xml = "<interface type='ethernet' name='eth1'><protocol family='ipv4'/></interface>";
    let host = netloom::xml::read_str("found.xml", xml).unwrap();
    let files = Ifcfg.render(&host, &Snapshot::default()).unwrap();
    let snap = Snapshot {
        files: files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect(),
        ..Snapshot::default()
    };
    let back = Ifcfg.import(&snap, &[]).unwrap();
    assert_eq!(netloom::xml::to_xml(&back), netloom::xml::to_xml(&host));
    assert_eq!(Ifcfg.render(&back, &Snapshot::default()).unwrap(), files);
}
