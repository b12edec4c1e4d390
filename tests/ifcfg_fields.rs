//! Nothing is silently dropped: every setting of the model changes what the ifcfg backend
//! writes, or is refused by name where NetworkManager would not read it. A host that sets
//! every field is rendered, then once per field with only that field changed; each variant
//! must render differently or be refused. The host and the changes are every backend's
//! (`util::fields`): their rows say what ifcfg must do.

use netloom::backends::ifcfg::Ifcfg;

use crate::util::fields::{self, Native};

fn render(xml: &str) -> Vec<(String, String)> {
    fields::render(&Ifcfg, xml).unwrap()
}

fields::walk_test!(Native::Ifcfg);

#[test]
fn the_order_of_top_level_interfaces_is_not_a_setting() {
    let base = &fields::host(Native::Ifcfg);
    let files = render(base);
    // Nor is the order of top-level interfaces: ifcfg keeps one file per device, and
    // initscripts reads them in name order. Move the vlan to the front.
    let (start, end) = (
        base.find("  <interface type='vlan' name='vlan7'>").unwrap(),
        base.find("  <interface type='bridge' name='br0'>").unwrap(),
    );
    let vlan = &base[start..end];
    let root = "<interfaces xmlns:nl='urn:netloom:xml:1'>\n";
    let moved = base
        .replacen(vlan, "", 1)
        .replacen(root, &format!("{root}{vlan}"), 1);
    assert_ne!(&moved, base);
    assert_eq!(files, render(&moved), "interface order changed the files");
}
