//! `<interfaces>` and `<interface>`: the document root, the top level and nested devices.
//!
//! Top-level interfaces carry start mode, MTU and addressing; nested ones (bridge ports, bond
//! slaves) are bare and inherit those from their master, exactly as libvirt's grammar has it.

use roxmltree::{Document, Node};

use super::check::{Defs, Nested};
use super::netport::uuid_text;
use super::network::read::text_value;
use super::reader::{Reader, named, parse_u32, single_value};
use super::{bond, bridge, ethernet, ip, vlan};
use crate::model::{
    Host, IfaceName, Interface, InterfaceKind, Ipv4, Ipv6, Link, LinkState, Mtu, NETLOOM_NS, Port,
    PortKind, StartMode, Uuid, Vlan, keywords,
};

keywords! {
    /// The `type` of an `<interface>`.
    IfaceType {
        /// A NIC.
        Ethernet = "ethernet",
        /// A bond.
        Bond = "bond",
        /// A VLAN.
        Vlan = "vlan",
        /// A bridge.
        Bridge = "bridge",
    }
}

/// Elements a nested interface may not have, and why: said when someone writes them anyway.
const INHERITED: (&[&str], &str) = (
    &["start", "mtu", "protocol", "shared"],
    "a port or slave takes its start mode, MTU and addressing from its master",
);

/// Reads the root element: one `<interface>` or an `<interfaces>` list.
pub(super) fn read_document(r: &mut Reader, doc: &Document, host: &mut Host, defs: &mut Defs) {
    let Some(root) = r.root(doc, &["interface", "interfaces"]) else {
        return;
    };
    if root.tag_name().name() == "interface" {
        host.interfaces.extend(top(r, root, defs));
        return;
    }
    r.check_attrs(root, "<interfaces>", &[]);
    for el in r.children(root, "<interfaces>", &["interface"], None) {
        host.interfaces.extend(top(r, el, defs));
    }
}

/// The `type` attribute. Without a usable one the element's grammar is unknown, but its
/// attributes and name are still checked, so one run says as much as it can.
fn iface_type(r: &mut Reader, el: Node) -> Option<IfaceType> {
    let ty = r.value(el, "<interface>", "type", IfaceType::parse);
    if ty.is_none() {
        r.check_attrs(el, "<interface>", &["type", "name"]);
        r.optional(el, "<interface>", "name", IfaceName::parse);
    }
    ty
}

/// A top-level `<interface>`.
fn top(r: &mut Reader, el: Node, defs: &mut Defs) -> Option<Interface> {
    let ty = iface_type(r, el)?;
    let what = format!("<interface type='{ty}'>");
    r.check_attrs(el, &what, &["type", "name"]);
    let kids = r.children_ns(el, &what, top_children(ty), None, netloom_children(ty));
    let name = name_attr(r, el, &what, ty);
    let uuid = uuid(r, &kids, &what, defs);
    let start = r
        .once(&kids, "start", &what)
        .and_then(|n| single_value(r, n, "<start>", "mode", StartMode::parse));
    let (mtu, ipv4, ipv6) = mtu_and_protocols(r, &kids, &what);
    let link = link(r, &kids, &what);
    let file = r.file_index;
    let (name, kind) = match ty {
        IfaceType::Ethernet => {
            let eth = ethernet::ethernet(r, &kids, &what, link);
            if let Some(shared) = r.once(&kids, "shared", &what) {
                let parts = ethernet::Shared {
                    nic: name,
                    uuid,
                    nic_el: el,
                    ethernet: eth,
                    start,
                    mtu,
                    ipv4,
                    ipv6,
                };
                return ethernet::shared(r, shared, parts, defs);
            }
            defs.add(file, el.range().start, name.as_ref(), None);
            (name, InterfaceKind::Ethernet(eth))
        }
        IfaceType::Bond => {
            let me = defs.add(file, el.range().start, name.as_ref(), None);
            let node = kind_element(r, &kids, "bond", &what, el)?;
            let bond = bond::bond(r, node, name.as_ref(), me, link, defs, nested);
            (name, InterfaceKind::Bond(bond))
        }
        IfaceType::Vlan => {
            let node = kind_element(r, &kids, "vlan", &what, el)?;
            let (vlan, parent_at) = vlan::vlan(r, node, link)?;
            let name = vlan_name(r, el, name, &vlan, parent_at)?;
            defs.add(file, el.range().start, Some(&name), None);
            (Some(name), InterfaceKind::Vlan(vlan))
        }
        IfaceType::Bridge => {
            let me = defs.add(file, el.range().start, name.as_ref(), None);
            let node = kind_element(r, &kids, "bridge", &what, el)?;
            let bridge = bridge::bridge(r, node, me, defs, nested);
            (name, InterfaceKind::Bridge(bridge))
        }
    };
    Some(Interface {
        name: name?,
        uuid,
        start,
        mtu,
        ipv4,
        ipv6,
        kind,
    })
}

/// The children a top-level interface of type `ty` may have.
fn top_children(ty: IfaceType) -> &'static [&'static str] {
    match ty {
        IfaceType::Ethernet => &["uuid", "start", "mac", "link", "mtu", "protocol", "shared"],
        IfaceType::Bond => &["uuid", "start", "link", "mtu", "protocol", "bond"],
        IfaceType::Vlan => &["uuid", "start", "link", "mtu", "protocol", "vlan"],
        IfaceType::Bridge => &["uuid", "start", "mtu", "protocol", "bridge"],
    }
}

/// The interface's `<uuid>`, recorded in `defs` so that a second interface with the same
/// one, in any file, is refused.
fn uuid(r: &mut Reader, kids: &[Node], what: &str, defs: &mut Defs) -> Option<Uuid> {
    let uuid_el = r.once(kids, "uuid", what);
    let uuid = uuid_el.and_then(|n| text_value(r, n, "<uuid>", uuid_text));
    if let (Some(u), Some(n)) = (uuid, uuid_el) {
        defs.add_uuid(r.file_index, n.range().start, u);
    }
    uuid
}

/// `<mtu>` and the `<protocol>`s; an MTU too small for IPv6 is refused when the interface
/// has IPv6 addressing, as the kernel would drop IPv6 from the link.
fn mtu_and_protocols(
    r: &mut Reader,
    kids: &[Node],
    what: &str,
) -> (Option<Mtu>, Option<Ipv4>, Option<Ipv6>) {
    let mtu_el = r.once(kids, "mtu", what);
    let mtu = mtu_el.and_then(|n| single_value(r, n, "<mtu>", "size", Mtu::parse));
    let (ipv4, ipv6) = ip::protocols(r, &named(kids, "protocol"), what);
    if let (Some(m), Some(n), Some(_)) = (mtu, mtu_el, &ipv6)
        && m.get() < Mtu::MIN_IPV6
    {
        r.error(
            n.range().start,
            format!(
                "MTU {m} is below {}, the minimum for IPv6, and this interface has <protocol family='ipv6'>",
                Mtu::MIN_IPV6
            ),
        );
    }
    (mtu, ipv4, ipv6)
}

/// A nested `<interface>`: a bridge port or a bond slave, bare of start, MTU and addressing.
pub(super) fn nested(r: &mut Reader, el: Node, defs: &mut Defs, at: Nested) -> Option<Port> {
    let ty = iface_type(r, el)?;
    let (role, master) = match at {
        Nested::Port(m) => ("bridge port", m),
        Nested::Slave(m) => ("bond slave", m),
    };
    match (at, ty) {
        (Nested::Port(_), IfaceType::Bridge) => {
            r.error(
                el.range().start,
                "a bridge cannot be a port of another bridge; expected type 'ethernet', 'vlan' or 'bond'",
            );
            return None;
        }
        (Nested::Slave(_), IfaceType::Ethernet) | (Nested::Port(_), _) => {}
        (Nested::Slave(_), other) => {
            r.error(
                el.range().start,
                format!("a bond slave must be of type 'ethernet', found '{other}'"),
            );
            return None;
        }
    }
    let what = format!("{role} <interface type='{ty}'>");
    let allowed: &[&str] = match ty {
        IfaceType::Ethernet => &["mac", "link"],
        IfaceType::Bond => &["link", "bond"],
        IfaceType::Vlan | IfaceType::Bridge => &["link", "vlan"],
    };
    r.check_attrs(el, &what, &["type", "name"]);
    // A bond slave has no cloned MAC: the bonding driver sets its slaves' MACs.
    let netloom = match at {
        Nested::Slave(_) => &[],
        Nested::Port(_) => netloom_children(ty),
    };
    let kids = r.children_ns(el, &what, allowed, Some(INHERITED), netloom);
    let name = name_attr(r, el, &what, ty);
    let link = link(r, &kids, &what);
    let file = r.file_index;
    let kind = match ty {
        IfaceType::Ethernet => PortKind::Ethernet(ethernet::ethernet(r, &kids, &what, link)),
        IfaceType::Bond => {
            let me = defs.add(file, el.range().start, name.as_ref(), Some(master));
            let node = kind_element(r, &kids, "bond", &what, el)?;
            let bond = bond::bond(r, node, name.as_ref(), me, link, defs, nested);
            return Some(Port {
                name: name?,
                kind: PortKind::Bond(bond),
            });
        }
        IfaceType::Vlan | IfaceType::Bridge => {
            let node = kind_element(r, &kids, "vlan", &what, el)?;
            let (vlan, parent_at) = vlan::vlan(r, node, link)?;
            let name = vlan_name(r, el, name, &vlan, parent_at)?;
            defs.add(file, el.range().start, Some(&name), Some(master));
            return Some(Port {
                name,
                kind: PortKind::Vlan(vlan),
            });
        }
    };
    defs.add(file, el.range().start, name.as_ref(), Some(master));
    Some(Port { name: name?, kind })
}

/// The elements of netloom's namespace an `<interface>` of `ty` may have: a NIC's cloned MAC.
fn netloom_children(ty: IfaceType) -> &'static [(&'static str, &'static str)] {
    match ty {
        IfaceType::Ethernet => &[(NETLOOM_NS, "cloned-mac")],
        IfaceType::Bond | IfaceType::Vlan | IfaceType::Bridge => &[],
    }
}

/// The `name` attribute; only a vlan may leave it out.
fn name_attr(r: &mut Reader, el: Node, what: &str, ty: IfaceType) -> Option<IfaceName> {
    if ty == IfaceType::Vlan {
        r.optional(el, what, "name", IfaceName::parse)
    } else {
        r.value(el, what, "name", IfaceName::parse)
    }
}

/// A vlan's name: as written, or `DEV.TAG`; never its own parent.
fn vlan_name(
    r: &mut Reader,
    el: Node,
    name: Option<IfaceName>,
    vlan: &Vlan,
    parent_at: usize,
) -> Option<IfaceName> {
    let name = match name {
        Some(n) => n,
        None if super::reader::attribute(el, "name").is_some() => return None,
        None => match Vlan::default_name(&vlan.parent, vlan.tag) {
            Ok(n) => n,
            Err(e) => {
                r.error(el.range().start, format!("cannot name this vlan: {e}"));
                return None;
            }
        },
    };
    if name == vlan.parent {
        r.error(
            parent_at,
            format!("vlan '{name}' cannot be its own parent device"),
        );
        return None;
    }
    Some(name)
}

/// The element that gives an interface its kind (`<bond>`, `<vlan>`, `<bridge>`).
fn kind_element<'a, 'i>(
    r: &mut Reader,
    kids: &[Node<'a, 'i>],
    name: &str,
    what: &str,
    el: Node,
) -> Option<Node<'a, 'i>> {
    let found = r.once(kids, name, what);
    if found.is_none() {
        r.error(el.range().start, format!("{what} needs a <{name}> element"));
    }
    found
}

/// `<link speed='…' state='…'/>`, status only.
fn link(r: &mut Reader, kids: &[Node], what: &str) -> Option<Link> {
    let el = r.once(kids, "link", what)?;
    r.check_attrs(el, "<link>", &["speed", "state"]);
    r.children(el, "<link>", &[], None);
    Some(Link {
        speed: r.optional(el, "<link>", "speed", parse_u32),
        state: r.optional(el, "<link>", "state", LinkState::parse),
    })
}
