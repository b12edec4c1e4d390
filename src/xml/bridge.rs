//! `<bridge stp='…' delay='…'>` and its ports.

use roxmltree::Node;

use super::check::Defs;
use super::interface::{Nested, nested};
use super::reader::{Reader, parse_on_off};
use crate::model::{Bridge, ForwardDelay, IfaceName};

/// Reads `<bridge>` of the interface `name`; ports are recorded in `defs` with `name` as
/// their master.
pub(super) fn bridge(
    r: &mut Reader,
    el: Node,
    name: Option<&IfaceName>,
    defs: &mut Defs,
) -> Bridge {
    let what = "<bridge>";
    r.check_attrs(el, what, &["stp", "delay"]);
    let stp = r.optional(el, what, "stp", parse_on_off);
    let delay = r.optional(el, what, "delay", ForwardDelay::parse);
    let ports = r
        .children(el, what, &["interface"], None)
        .into_iter()
        .filter_map(|p| nested(r, p, defs, Nested::Port(name)))
        .collect();
    Bridge { stp, delay, ports }
}
