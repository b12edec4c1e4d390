//! What interface XML holds beyond libvirt's schema, in netloom's own namespace
//! (`urn:netloom:xml:1`, written `nl:`): one element inside the libvirt element it belongs to,
//! whose attributes are the options (`<bond><nl:bond lacp_rate='fast'/>…</bond>`).

use roxmltree::Node;

use super::reader::{Reader, parse_yes_no, shorten};
use crate::model::{
    AgeingTime, BridgeOptions, HelloTime, MaxAge, ValueError, VlanOptions, VlanProtocol,
};

/// Reads the attributes of a netloom element `el`: each of `known` through `set`, a bad
/// value refused at the value, any other attribute refused naming the known ones; and no
/// children. Returns the names set, with where each is, for checks across them.
pub(super) fn attributes(
    r: &mut Reader,
    el: Node,
    what: &str,
    known: &[&str],
    mut set: impl FnMut(&str, &str) -> Result<(), ValueError>,
) -> Vec<(String, usize)> {
    r.children(el, what, &[], None);
    r.check_attrs(el, what, known);
    let mut out = Vec::new();
    for a in el.attributes() {
        if a.namespace().is_some() || !known.contains(&a.name()) {
            continue;
        }
        match set(a.name(), a.value()) {
            Ok(()) => out.push((a.name().to_owned(), a.range_qname().start)),
            Err(e) => r.error(
                a.range_value().start,
                format!(
                    "invalid {} '{}' on {what}: {e}",
                    a.name(),
                    shorten(a.value())
                ),
            ),
        }
    }
    out
}

/// `<nl:bridge priority='…' hello_time='…' max_age='…' ageing_time='…'
/// multicast_snooping='yes|no'/>`: times in seconds.
pub(super) fn bridge(r: &mut Reader, el: Node) -> BridgeOptions {
    let mut o = BridgeOptions::default();
    let known = [
        "priority",
        "hello_time",
        "max_age",
        "ageing_time",
        "multicast_snooping",
    ];
    attributes(r, el, "<nl:bridge>", &known, |name, v| {
        match name {
            "priority" => o.priority = Some(BridgeOptions::parse_priority(v)?),
            "hello_time" => o.hello_time = Some(HelloTime::parse(v)?),
            "max_age" => o.max_age = Some(MaxAge::parse(v)?),
            "ageing_time" => o.ageing_time = Some(AgeingTime::parse(v)?),
            _ => o.multicast_snooping = Some(parse_yes_no(v)?),
        }
        Ok(())
    });
    o
}

/// `<nl:vlan protocol='802.1Q|802.1ad' reorder_hdr='yes|no' gvrp='…' mvrp='…'
/// loose_binding='…'/>`.
pub(super) fn vlan(r: &mut Reader, el: Node) -> VlanOptions {
    let mut o = VlanOptions::default();
    let known = ["protocol", "reorder_hdr", "gvrp", "mvrp", "loose_binding"];
    attributes(r, el, "<nl:vlan>", &known, |name, v| {
        match name {
            "protocol" => o.protocol = Some(VlanProtocol::parse(v)?),
            "reorder_hdr" => o.reorder_hdr = Some(parse_yes_no(v)?),
            "gvrp" => o.gvrp = Some(parse_yes_no(v)?),
            "mvrp" => o.mvrp = Some(parse_yes_no(v)?),
            _ => o.loose_binding = Some(parse_yes_no(v)?),
        }
        Ok(())
    });
    o
}
