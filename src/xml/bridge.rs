//! `<bridge stp='…' delay='…'>`, its `<nl:bridge>` options and its ports.

use roxmltree::Node;

use super::check::{Defs, Nested, ReadNested};
use super::reader::{Reader, named, parse_on_off};
use crate::model::{Bridge, ForwardDelay, NETLOOM_NS};

/// Reads `<bridge>` of the interface whose definition is `me`; ports are recorded in `defs`
/// with `me` as their master.
pub(super) fn bridge(
    r: &mut Reader,
    el: Node,
    me: usize,
    defs: &mut Defs,
    nested: ReadNested,
) -> Bridge {
    let what = "<bridge>";
    r.check_attrs(el, what, &["stp", "delay"]);
    let stp = r.optional(el, what, "stp", parse_on_off);
    let delay = r.optional(el, what, "delay", ForwardDelay::parse);
    let kids = r.children_ns(el, what, &["interface"], None, &[(NETLOOM_NS, "bridge")]);
    let options = r
        .once(&kids, "bridge", what)
        .map(|n| super::netloom::bridge(r, n))
        .unwrap_or_default();
    let ports = named(&kids, "interface")
        .into_iter()
        .filter(|n| n.tag_name().namespace().is_none())
        .filter_map(|p| nested(r, p, defs, Nested::Port(me)))
        .collect();
    Bridge {
        stp,
        delay,
        options,
        ports,
    }
}
