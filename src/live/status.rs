//! `netloom status`: every declared interface's live state next to its declaration, in
//! sync or with the fields that drifted ([`super::verify::compare`]), and the interfaces
//! that are up but declared nowhere. Pure: the declaration and the kernel's state in, a
//! report out.

use std::collections::BTreeSet;

use serde::Serialize;

use super::kernel::{Kernel, Link};
use super::routes;
use super::verify::{self, Drift, Expect};
use crate::model::{Bond, Host, Interface, InterfaceKind, PortKind, StartMode};

/// One declared top-level interface, as declared and as the kernel has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// `in-sync`, `drifted` or `absent`.
    pub state: &'static str,
    /// What the declaration says.
    pub declared: Declared,
    /// What the kernel has; `None` when the link does not exist.
    pub live: Option<Live>,
    /// Every setting that differs, field by field.
    pub drift: Vec<Drift>,
}

/// A declaration, in the words `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declared {
    /// `ethernet`, `bridge`, `bond` or `vlan`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `onboot`, `hotplug`, `none`, or `null` when it does not say.
    pub start: Option<&'static str>,
    /// Its MTU, when declared.
    pub mtu: Option<u32>,
    /// Its static addresses, `ADDRESS/PREFIX`.
    pub addresses: Vec<String>,
    /// Its ports or slaves.
    pub members: Vec<String>,
    /// Its default gateways (`default via ADDRESS`) and static routes, as `ip route` says
    /// them (`10.10.0.0/16 table 200 via 192.0.2.254`).
    pub routes: Vec<String>,
    /// Its DNS servers, as declared: not compared with what the host resolves with.
    pub dns: Vec<String>,
}

/// A link as the kernel has it, in the words `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Live {
    /// Its kind (`bridge`, `veth`…), `ethernet` for a physical NIC.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether it is administratively up.
    pub up: bool,
    /// Its MTU.
    pub mtu: u32,
    /// Its global addresses, `ADDRESS/PREFIX`.
    pub addresses: Vec<String>,
    /// The links whose master it is.
    pub members: Vec<String>,
    /// The routes through it, but those the kernel or the address configuration made by
    /// themselves (the main table's default route is kept): `10.10.0.0/16 via 192.0.2.254
    /// metric 100 table 200`.
    pub routes: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Whether every declared interface is as declared.
    pub in_sync: bool,
    /// The declared top-level interfaces, in the declaration's order.
    pub interfaces: Vec<Entry>,
    /// Links that are up and that no declared interface (nor port, nor slave) names,
    /// loopback aside. Reported, but not drift: the host may have links netloom does not
    /// manage (a virtual network's bridge, a container's veth).
    pub undeclared: Vec<String>,
}

/// The report of `host` against `kernel`; with `all`, the undeclared links too (not when
/// `status` was asked about some interfaces by name).
pub fn report(host: &Host, kernel: &Kernel, all: bool) -> Report {
    let interfaces: Vec<Entry> = host
        .interfaces
        .iter()
        .map(|i| {
            let live = kernel.link(i.name.as_str()).map(|l| live(l, kernel));
            let mut drift = verify::compare(i, kernel, Expect::AsDeclared);
            if live.is_some() {
                drift.extend(routes::stray(i, kernel));
            }
            let state = match (&live, drift.is_empty()) {
                (None, _) => "absent",
                (Some(_), true) => "in-sync",
                (Some(_), false) => "drifted",
            };
            Entry {
                name: i.name.to_string(),
                state,
                declared: declared(i),
                live,
                drift,
            }
        })
        .collect();
    let named: BTreeSet<String> = host.interfaces.iter().flat_map(names).collect();
    let undeclared = if all {
        (kernel.links.iter())
            .filter(|l| l.up && l.name != "lo" && !named.contains(&l.name))
            .map(|l| l.name.clone())
            .collect()
    } else {
        Vec::new()
    };
    Report {
        in_sync: interfaces.iter().all(|e| e.drift.is_empty()),
        interfaces,
        undeclared,
    }
}

fn declared(i: &Interface) -> Declared {
    let v4 = (i.ipv4.iter().flat_map(|v| &v.addresses)).map(|a| match a.prefix {
        Some(p) => format!("{}/{}", a.address, p.get()),
        None => a.address.to_string(),
    });
    let v6 = (i.ipv6.iter().flat_map(|v| &v.addresses)).map(|a| match a.prefix {
        Some(p) => format!("{}/{}", a.address, p.get()),
        None => a.address.to_string(),
    });
    let members = match &i.kind {
        InterfaceKind::Bridge(br) => br.ports.iter().map(|p| p.name.to_string()).collect(),
        InterfaceKind::Bond(b) => b.slaves.iter().map(|s| s.name.to_string()).collect(),
        InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => Vec::new(),
    };
    let dns4 = (i.ipv4.iter().flat_map(|v| &v.dns)).map(ToString::to_string);
    let dns6 = (i.ipv6.iter().flat_map(|v| &v.dns)).map(ToString::to_string);
    Declared {
        kind: i.kind.type_name(),
        start: i.start.map(StartMode::as_str),
        mtu: i.mtu.map(|m| m.get()),
        addresses: v4.chain(v6).collect(),
        members,
        routes: routes::declared(i),
        dns: dns4.chain(dns6).collect(),
    }
}

fn live(link: &Link, kernel: &Kernel) -> Live {
    Live {
        kind: link.kind.clone().unwrap_or_else(|| "ethernet".into()),
        up: link.up,
        mtu: link.mtu,
        addresses: (link.addresses.iter())
            .filter(|a| a.global)
            .map(ToString::to_string)
            .collect(),
        members: kernel
            .ports_of(&link.name)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        routes: routes::live(&link.name, kernel),
    }
}

/// Every device name a top-level interface declares: its own, its ports' and slaves'.
fn names(i: &Interface) -> Vec<String> {
    let slaves = |b: &Bond| {
        b.slaves
            .iter()
            .map(|s| s.name.to_string())
            .collect::<Vec<_>>()
    };
    let mut out = vec![i.name.to_string()];
    match &i.kind {
        InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => {}
        InterfaceKind::Bond(b) => out.extend(slaves(b)),
        InterfaceKind::Bridge(br) => {
            for p in &br.ports {
                out.push(p.name.to_string());
                if let PortKind::Bond(b) = &p.kind {
                    out.extend(slaves(b));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drifted_field_an_absent_link_and_an_undeclared_one_are_told_apart() {
        let host = crate::xml::read_str(
            "t.xml",
            "<interfaces>
               <interface type='bridge' name='br0'><start mode='onboot'/>
                 <protocol family='ipv4'><ip address='198.51.100.2' prefix='24'/></protocol>
                 <bridge><interface type='ethernet' name='p0'/></bridge></interface>
               <interface type='ethernet' name='eth5'><start mode='onboot'/></interface>
             </interfaces>",
        )
        .unwrap();
        let kernel = super::super::kernel::parse(
            r#"[{"ifname":"lo","flags":["UP"],"mtu":65536},
                {"ifname":"br0","flags":["UP"],"mtu":1500,"linkinfo":{"info_kind":"bridge"},
                 "addr_info":[{"local":"198.51.100.2","prefixlen":24,"scope":"global"},
                              {"local":"198.51.100.9","prefixlen":24,"scope":"global"}]},
                {"ifname":"p0","flags":["UP"],"mtu":1500,"master":"br0"},
                {"ifname":"eth9","flags":["UP"],"mtu":1500},
                {"ifname":"eth8","flags":[],"mtu":1500}]"#,
        )
        .unwrap();
        let r = report(&host, &kernel, true);
        assert!(!r.in_sync);
        assert_eq!(r.interfaces[0].state, "drifted");
        assert_eq!(r.interfaces[0].drift.len(), 1);
        assert_eq!(r.interfaces[0].drift[0].field, "ipv4");
        assert_eq!(r.interfaces[0].live.as_ref().unwrap().members, ["p0"]);
        assert_eq!(r.interfaces[1].state, "absent");
        assert_eq!(
            r.undeclared,
            ["eth9"],
            "up and declared nowhere; eth8 is down"
        );
        assert!(report(&host, &kernel, false).undeclared.is_empty());
    }
}
