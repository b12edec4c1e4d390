//! `<bond>`: mode, link monitor and slaves.

use roxmltree::Node;

use super::check::{Defs, Nested, ReadNested};
use super::reader::{Reader, named, parse_u32};
use crate::model::{
    ArpValidate, Arpmon, BOND_OPTION_NAMES, Bond, BondMode, BondMonitor, BondOptions, Carrier,
    IfaceName, Link, Miimon, NETLOOM_NS, PortKind, Slave, parse_host_ipv4,
};

/// Reads `<bond>` of the interface `name`, whose definition is `me`; its slaves are recorded
/// in `defs` with `me` as their master.
pub(super) fn bond(
    r: &mut Reader,
    el: Node,
    name: Option<&IfaceName>,
    me: usize,
    link: Option<Link>,
    defs: &mut Defs,
    nested: ReadNested,
) -> Bond {
    let what = "<bond>";
    r.check_attrs(el, what, &["mode"]);
    let mode = r.optional(el, what, "mode", BondMode::parse);
    let kids = r.children_ns(
        el,
        what,
        &["miimon", "arpmon", "interface"],
        None,
        &[(NETLOOM_NS, "bond")],
    );
    let options = r
        .once(&kids, "bond", what)
        .filter(|n| n.tag_name().namespace() == Some(NETLOOM_NS))
        .map(|n| options(r, n, mode))
        .unwrap_or_default();

    let monitors: Vec<Node> = kids
        .iter()
        .copied()
        .filter(|n| matches!(n.tag_name().name(), "miimon" | "arpmon"))
        .collect();
    if let [first, rest @ ..] = monitors.as_slice() {
        for extra in rest {
            r.error_see(
                extra.range().start,
                format!(
                    "<{}> is a second link monitor; a bond has one, <miimon> or <arpmon>",
                    extra.tag_name().name()
                ),
                "first monitor given",
                first.range().start,
            );
        }
    }
    let monitor = monitors.first().and_then(|&m| match m.tag_name().name() {
        "miimon" => miimon(r, m).map(BondMonitor::Mii),
        _ => arpmon(r, m).map(BondMonitor::Arp),
    });

    let slave_els = named(&kids, "interface");
    if slave_els.is_empty() {
        let who = name
            .map(|n| format!("bond '{n}'"))
            .unwrap_or_else(|| "this bond".into());
        r.error(
            el.range().start,
            format!(
                "{who} has no slaves; list at least one <interface type='ethernet'> inside <bond>"
            ),
        );
    }
    let slaves = slave_els
        .into_iter()
        .filter_map(|s| nested(r, s, defs, Nested::Slave(me)))
        .filter_map(|port| match port.kind {
            PortKind::Ethernet(ethernet) => Some(Slave {
                name: port.name,
                ethernet,
            }),
            // `nested` refuses every other kind of slave.
            PortKind::Vlan(_) | PortKind::Bond(_) => None,
        })
        .collect();
    Bond {
        mode,
        monitor,
        options,
        slaves,
        link,
    }
}

/// `<nl:bond lacp_rate='fast' …/>`: the driver's other options, by their driver names, each
/// checked against its range and against the bond's mode.
fn options(r: &mut Reader, el: Node, mode: Option<BondMode>) -> BondOptions {
    let what = "<nl:bond>";
    r.children(el, what, &[], None);
    let mut options = BondOptions::default();
    for a in el.attributes() {
        if a.namespace().is_some() {
            continue;
        }
        let name = a.name();
        match options.set_xml(name, a.value()) {
            Ok(true) => {
                if let Some(why) = BondOptions::mode_problem(name, mode) {
                    r.error(
                        a.range_qname().start,
                        format!("{why}; the bonding driver refuses it in other modes"),
                    );
                }
            }
            Ok(false) => {}
            Err(e) => {
                let value = super::reader::shorten(a.value());
                r.error(
                    a.range_value().start,
                    format!("invalid {name} '{value}' on {what}: {e}"),
                );
            }
        }
    }
    r.check_attrs(el, what, BOND_OPTION_NAMES);
    options
}

fn miimon(r: &mut Reader, el: Node) -> Option<Miimon> {
    let what = "<miimon>";
    r.check_attrs(el, what, &["freq", "downdelay", "updelay", "carrier"]);
    r.children(el, what, &[], None);
    let freq = r.value(el, what, "freq", parse_u32);
    let downdelay = r.optional(el, what, "downdelay", parse_u32);
    let updelay = r.optional(el, what, "updelay", parse_u32);
    let carrier = r.optional(el, what, "carrier", Carrier::parse);
    Some(Miimon {
        freq: freq?,
        downdelay,
        updelay,
        carrier,
    })
}

fn arpmon(r: &mut Reader, el: Node) -> Option<Arpmon> {
    let what = "<arpmon>";
    r.check_attrs(el, what, &["interval", "target", "validate"]);
    r.children(el, what, &[], None);
    let interval = r.value(el, what, "interval", parse_u32);
    let target = r.value(el, what, "target", parse_host_ipv4);
    let validate = r.optional(el, what, "validate", ArpValidate::parse);
    Some(Arpmon {
        interval: interval?,
        target: target?,
        validate,
    })
}
