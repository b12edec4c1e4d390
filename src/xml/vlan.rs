//! `<vlan tag='…'><interface name='DEV'/><nl:vlan …/></vlan>`.

use roxmltree::Node;

use super::reader::{Reader, attribute};
use crate::model::{IfaceName, Link, NETLOOM_NS, Vlan, VlanTag};

/// Reads `<vlan>`; also returns where the parent's name is written, so a vlan named after
/// its own parent can be reported there.
pub(super) fn vlan(r: &mut Reader, el: Node, link: Option<Link>) -> Option<(Vlan, usize)> {
    let what = "<vlan>";
    r.check_attrs(el, what, &["tag"]);
    let tag = r.value(el, what, "tag", VlanTag::parse);
    let kids = r.children_ns(el, what, &["interface"], None, &[(NETLOOM_NS, "vlan")]);
    let options = r
        .once(&kids, "vlan", what)
        .map(|n| super::netloom::vlan(r, n))
        .unwrap_or_default();
    let Some(parent_el) = r.once(&kids, "interface", what) else {
        r.error(
            el.range().start,
            "<vlan> needs its parent device, as <interface name='DEV'/> inside it",
        );
        return None;
    };
    let pwhat = "the vlan's parent <interface>";
    r.check_attrs(parent_el, pwhat, &["name"]);
    r.children(parent_el, pwhat, &[], None);
    let parent = r.value(parent_el, pwhat, "name", IfaceName::parse);
    let parent_at =
        attribute(parent_el, "name").map_or(parent_el.range().start, |a| a.range_value().start);
    Some((
        Vlan {
            tag: tag?,
            parent: parent?,
            options,
            link,
        },
        parent_at,
    ))
}
