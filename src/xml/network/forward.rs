//! `<forward>` with its device pools and `<nat>`, and `<bridge>`.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use roxmltree::Node;

use super::super::reader::{Reader, attribute, named, parse_on_off, parse_u32, parse_yes_no};
use super::At;
use super::read::has;
use crate::model::network::{
    BridgeDef, BridgeName, Driver, Forward, ForwardMode, MacTableManager, Nat, PciAddress,
    PoolInterface, Text,
};
use crate::model::{IfaceName, ValueError};

/// `<forward>`. The checks that need nothing outside the element are made here.
pub(super) fn forward(r: &mut Reader, el: Node, at: &mut At) -> Forward {
    let what = "<forward>";
    r.check_attrs(el, what, &["dev", "mode", "managed"]);
    let kids = r.children(
        el,
        what,
        &["interface", "address", "pf", "driver", "nat"],
        None,
    );
    let mut f = Forward {
        mode: r.optional(el, what, "mode", ForwardMode::parse),
        dev: r.optional(el, what, "dev", IfaceName::parse),
        managed: r.optional(el, what, "managed", parse_yes_no),
        ..Forward::default()
    };
    let mode = f.mode.unwrap_or(ForwardMode::Nat);
    interface_pool(r, &kids, &mut f, at);
    address_pool(r, &kids, &mut f, at);
    let pfs = named(&kids, "pf");
    if let Some(n) = r.once(&pfs, "pf", what) {
        let what = "<forward><pf>";
        r.check_attrs(n, what, &["dev"]);
        r.children(n, what, &[], None);
        f.pf = r.value(n, what, "dev", IfaceName::parse);
    }
    if let Some(n) = r.once(&kids, "driver", what) {
        let what = "<forward><driver>";
        r.check_attrs(n, what, &["name", "model"]);
        r.children(n, what, &[], None);
        f.driver = Some(Driver {
            name: r.optional(n, what, "name", driver_name),
            model: r.optional(n, what, "model", Text::parse),
        });
    }
    if let Some(n) = r.once(&kids, "nat", what) {
        if mode != ForwardMode::Nat {
            r.error(
                n.range().start,
                format!("<nat> is only allowed in <forward mode='nat'>, not mode='{mode}'"),
            );
        }
        f.nat = Some(nat(r, n));
    }
    one_pool(r, el, &f, !pfs.is_empty());
    f
}

/// The `<interface>` device pool, each device once.
fn interface_pool(r: &mut Reader, kids: &[Node], f: &mut Forward, at: &mut At) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for n in named(kids, "interface") {
        let what = "<forward><interface>";
        r.check_attrs(n, what, &["dev", "connections"]);
        r.children(n, what, &[], None);
        let dev = r.value(n, what, "dev", IfaceName::parse);
        let connections = r.optional(n, what, "connections", parse_u32);
        let Some(dev) = dev else { continue };
        if let Some(&first) = seen.get(dev.as_str()) {
            r.error_see(
                n.range().start,
                format!("device '{dev}' is listed twice in the <forward> pool"),
                "first listed",
                first,
            );
            continue;
        }
        seen.insert(dev.as_str().to_owned(), n.range().start);
        at.interfaces.push(n.range().start);
        f.interfaces.push(PoolInterface { dev, connections });
    }
}

/// The `<address>` PCI pool, each function once.
fn address_pool(r: &mut Reader, kids: &[Node], f: &mut Forward, at: &mut At) {
    let mut seen: HashMap<(u16, u8, u8, u8), usize> = HashMap::new();
    for n in named(kids, "address") {
        let Some(a) = pci_address(r, n) else { continue };
        let key = (a.domain, a.bus, a.slot, a.function);
        if let Some(&first) = seen.get(&key) {
            r.error_see(
                n.range().start,
                format!(
                    "PCI address {:04x}:{:02x}:{:02x}.{:x} is listed twice in the <forward> pool",
                    a.domain, a.bus, a.slot, a.function
                ),
                "first listed",
                first,
            );
            continue;
        }
        seen.insert(key, n.range().start);
        at.addresses.push(n.range().start);
        f.addresses.push(a);
    }
}

/// The pool kinds exclude one another, and `dev` names the one device of a netdev pool.
/// `has_pf` says whether a `<pf>` was given, read or not.
fn one_pool(r: &mut Reader, el: Node, f: &Forward, has_pf: bool) {
    let kinds = [
        (!f.interfaces.is_empty(), "<interface>"),
        (!f.addresses.is_empty(), "<address>"),
        (f.pf.is_some() || has_pf, "<pf>"),
    ];
    let used: Vec<&str> = kinds.iter().filter(|k| k.0).map(|k| k.1).collect();
    if used.len() > 1 {
        r.error(
            el.range().start,
            format!(
                "{} in <forward> exclude one another; a pool is given one way",
                used.join(" and ")
            ),
        );
    }
    if let Some(dev_at) = attribute(el, "dev").map(|a| a.range_value().start) {
        if !f.addresses.is_empty() || has_pf {
            r.error(
                dev_at,
                "<forward dev> cannot be used with <address> or <pf>; the pool names the devices",
            );
        } else if let (Some(dev), Some(first)) = (&f.dev, f.interfaces.first())
            && *dev != first.dev
        {
            r.error(
                dev_at,
                format!(
                    "<forward dev='{dev}'> must be the first <interface> of the pool, which is '{}'",
                    first.dev
                ),
            );
        }
    }
}

pub(crate) fn driver_name(s: &str) -> Result<Text, ValueError> {
    match s {
        "kvm" | "vfio" | "xen" => Text::parse(s),
        _ => Err(ValueError("expected 'kvm', 'vfio' or 'xen'".into())),
    }
}

/// `<forward><address type='pci' domain bus slot function>`.
fn pci_address(r: &mut Reader, n: Node) -> Option<PciAddress> {
    let what = "<forward><address>";
    r.check_attrs(
        n,
        what,
        &["type", "domain", "bus", "slot", "function", "connections"],
    );
    r.children(n, what, &[], None);
    let ty = r.value(n, what, "type", |s| {
        if s == "pci" {
            Ok(())
        } else {
            Err(ValueError("expected 'pci'".into()))
        }
    });
    let domain = r.optional(n, what, "domain", |s| hex_num(s, 0xffff));
    let bus = r.optional(n, what, "bus", |s| hex_num(s, 0xff));
    let slot = r.optional(n, what, "slot", |s| hex_num(s, 0x1f));
    let function = r.optional(n, what, "function", |s| hex_num(s, 7));
    let connections = r.optional(n, what, "connections", parse_u32);
    ty?;
    let fields = [
        (attribute(n, "domain"), domain),
        (attribute(n, "bus"), bus),
        (attribute(n, "slot"), slot),
        (attribute(n, "function"), function),
    ];
    if fields.iter().any(|(a, v)| a.is_some() && v.is_none()) {
        return None;
    }
    Some(PciAddress {
        domain: u16::try_from(domain.unwrap_or(0)).ok()?,
        bus: u8::try_from(bus.unwrap_or(0)).ok()?,
        slot: u8::try_from(slot.unwrap_or(0)).ok()?,
        function: u8::try_from(function.unwrap_or(0)).ok()?,
        connections,
    })
}

/// A PCI address part: `0x` hex (libvirt's spelling) or decimal, up to `max`.
pub(crate) fn hex_num(s: &str, max: u32) -> Result<u32, ValueError> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) if !h.is_empty() && h.len() <= 8 => u32::from_str_radix(h, 16).ok(),
        Some(_) => None,
        None => crate::model::parse_uint(s),
    };
    match v {
        Some(v) if v <= max => Ok(v),
        _ => Err(ValueError(format!(
            "expected a number from 0 to {max:#x}, in hex like {max:#x}"
        ))),
    }
}

/// `<nat ipv6>` with `<address start end>` and `<port start end>`.
fn nat(r: &mut Reader, el: Node) -> Nat {
    let what = "<nat>";
    r.check_attrs(el, what, &["ipv6"]);
    let kids = r.children(el, what, &["address", "port"], None);
    let mut nat = Nat {
        ipv6: r.optional(el, what, "ipv6", parse_yes_no),
        ..Nat::default()
    };
    if let Some(n) = r.once(&kids, "address", what) {
        let what = "<nat><address>";
        r.check_attrs(n, what, &["start", "end"]);
        r.children(n, what, &[], None);
        let v4 = |s: &str| {
            s.parse::<Ipv4Addr>()
                .map_err(|_| ValueError("expected an IPv4 address".into()))
        };
        let start = r.value(n, what, "start", v4);
        let end = r.value(n, what, "end", v4);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                r.error(
                    n.range().start,
                    format!("<nat><address> start {s} is after its end {e}"),
                );
            } else {
                nat.address = Some((s, e));
            }
        }
    }
    if let Some(n) = r.once(&kids, "port", what) {
        let what = "<nat><port>";
        r.check_attrs(n, what, &["start", "end"]);
        r.children(n, what, &[], None);
        let port = |s: &str| match crate::model::parse_uint(s) {
            Some(p @ 1..=65535) => Ok(p as u16),
            _ => Err(ValueError("expected a port number from 1 to 65535".into())),
        };
        let start = r.value(n, what, "start", port);
        let end = r.value(n, what, "end", port);
        if let (Some(s), Some(e)) = (start, end) {
            if s >= e {
                r.error(
                    n.range().start,
                    format!(
                        "<nat><port> start {s} is not below its end {e}; the range needs at least two ports, as libvirt's firewall requires"
                    ),
                );
            } else {
                nat.port = Some((s, e));
            }
        }
    }
    nat
}

/// `<bridge name stp delay zone macTableManager>`.
pub(super) fn bridge(r: &mut Reader, el: Node, at: &mut At) -> BridgeDef {
    let what = "<bridge>";
    r.check_attrs(
        el,
        what,
        &["name", "stp", "delay", "zone", "macTableManager"],
    );
    r.children(el, what, &[], None);
    at.bridge = Some(el.range().start);
    at.bridge_name = has(el, "name");
    at.bridge_stp = has(el, "stp");
    at.bridge_delay = has(el, "delay");
    at.bridge_zone = has(el, "zone");
    at.bridge_mtm = has(el, "macTableManager");
    BridgeDef {
        name: r.optional(el, what, "name", BridgeName::parse),
        stp: r.optional(el, what, "stp", parse_on_off),
        delay: r.optional(el, what, "delay", parse_u32),
        zone: r.optional(el, what, "zone", zone),
        mac_table_manager: r.optional(el, what, "macTableManager", MacTableManager::parse),
    }
}

/// A firewalld zone name: letters, digits, `-` and `_`, at most 17 characters (firewalld's
/// own limit), so it can sit in a D-Bus call and a file name.
fn zone(s: &str) -> Result<Text, ValueError> {
    let ok = !s.is_empty()
        && s.len() <= 17
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !ok {
        return Err(ValueError(
            "expected a firewalld zone name of 1 to 17 ASCII letters, digits, '-' or '_'".into(),
        ));
    }
    Text::parse(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_parts_read_hex_or_decimal_within_range() {
        assert_eq!(hex_num("0x1f", 0x1f), Ok(31));
        assert_eq!(hex_num("0X03", 0xff), Ok(3));
        assert_eq!(hex_num("7", 7), Ok(7));
        for bad in ["0x20", "8", "0x", "-1", "0x1g", "0x123456789"] {
            let max = if bad == "8" { 7 } else { 0x1f };
            assert!(hex_num(bad, max).is_err(), "{bad}");
        }
        assert!(zone("libvirt-routed").is_ok());
        for bad in ["", "a/b", "a b", "averyveryverylongzone"] {
            assert!(zone(bad).is_err(), "{bad:?}");
        }
    }
}
