//! `<bridge stp='…' delay='…'>` and its ports.

use roxmltree::Node;

use super::check::Defs;
use super::interface::{Nested, nested};
use super::reader::{Reader, parse_on_off};
use crate::model::{Bridge, ForwardDelay};

/// Reads `<bridge>` of the interface whose definition is `me`; ports are recorded in `defs`
/// with `me` as their master.
pub(super) fn bridge(r: &mut Reader, el: Node, me: usize, defs: &mut Defs) -> Bridge {
    let what = "<bridge>";
    r.check_attrs(el, what, &["stp", "delay"]);
    let stp = r.optional(el, what, "stp", parse_on_off);
    let delay = r.optional(el, what, "delay", ForwardDelay::parse);
    let ports = r
        .children(el, what, &["interface"], None)
        .into_iter()
        .filter_map(|p| nested(r, p, defs, Nested::Port(me)))
        .collect();
    Bridge { stp, delay, ports }
}
