//! Ethernet devices, and netloom's one extension: `<shared bridge='br0'/>`.
//!
//! "Share this NIC with guests" is the most common host change libvirt users make
//! (`virsh iface-bridge`): the NIC becomes the port of a new bridge and its addressing, MTU
//! and start mode move to the bridge. Writing that as a bridge by hand means restating the
//! NIC inside it; `<shared>` says it in one line and is read as exactly that bridge.

use roxmltree::Node;

use super::check::Defs;
use super::reader::single_value;
use super::reader::{Reader, attribute, parse_on_off};
use crate::model::{
    Bridge, Ethernet, ForwardDelay, IfaceName, Interface, InterfaceKind, Ipv4, Ipv6, Link, MacAddr,
    Mtu, Port, PortKind, StartMode,
};

/// The ethernet settings among an interface's children.
pub(super) fn ethernet(r: &mut Reader, kids: &[Node], what: &str, link: Option<Link>) -> Ethernet {
    let mac = r
        .once(kids, "mac", what)
        .and_then(|n| single_value(r, n, "<mac>", "address", MacAddr::parse));
    let cloned_mac = r
        .once(kids, "cloned-mac", what)
        .and_then(|n| single_value(r, n, "<nl:cloned-mac>", "address", MacAddr::parse));
    Ethernet {
        mac,
        cloned_mac,
        link,
    }
}

/// What a top-level ethernet interface with `<shared>` hands over to its new bridge.
pub(super) struct Shared<'a, 'i> {
    /// `None` when the NIC's name was unreadable (already reported).
    pub(super) nic: Option<IfaceName>,
    pub(super) nic_el: Node<'a, 'i>,
    /// The NIC's `<uuid>`, which goes to the bridge with its addressing.
    pub(super) uuid: Option<crate::model::Uuid>,
    pub(super) ethernet: Ethernet,
    pub(super) start: Option<StartMode>,
    pub(super) mtu: Option<Mtu>,
    pub(super) ipv4: Option<Ipv4>,
    pub(super) ipv6: Option<Ipv6>,
}

/// Turns a NIC with `<shared bridge='…' [stp='…'] [delay='…']/>` into the bridge it means.
/// `stp` and `delay` are the options of `virsh iface-bridge`.
pub(super) fn shared(r: &mut Reader, el: Node, nic: Shared, defs: &mut Defs) -> Option<Interface> {
    let what = "<shared>";
    r.check_attrs(el, what, &["bridge", "stp", "delay"]);
    r.children(el, what, &[], None);
    let name = r.value(el, what, "bridge", IfaceName::parse);
    let stp = r.optional(el, what, "stp", parse_on_off);
    let delay = r.optional(el, what, "delay", ForwardDelay::parse);
    let (name, nic_name) = (name?, nic.nic?);
    if name == nic_name {
        let at = attribute(el, "bridge").map_or(el.range().start, |a| a.range_value().start);
        r.error(
            at,
            format!("the bridge needs a name of its own; '{name}' is the NIC being shared"),
        );
        return None;
    }
    let file = r.file_index;
    let bridge_def = defs.add(file, el.range().start, Some(&name), None);
    defs.add(
        file,
        nic.nic_el.range().start,
        Some(&nic_name),
        Some(bridge_def),
    );
    Some(Interface {
        name,
        uuid: nic.uuid,
        start: nic.start,
        mtu: nic.mtu,
        ipv4: nic.ipv4,
        ipv6: nic.ipv6,
        kind: InterfaceKind::Bridge(Bridge {
            stp,
            delay,
            ports: vec![Port {
                name: nic_name,
                kind: PortKind::Ethernet(nic.ethernet),
            }],
            options: Default::default(),
        }),
    })
}
