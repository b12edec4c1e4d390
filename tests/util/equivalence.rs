//! What each host backend gives back of a host it rendered: the declaration, up to what its
//! format does not keep (the README states each). One function per backend, used by every
//! round trip (the backends' own tests, the golden cases, the property tests), so the
//! equivalences are stated once.

use netloom::model::{Bond, BondMode, Host, InterfaceKind, PortKind, StartMode};

/// The equivalence of the backend named `backend`.
pub fn of(backend: &str) -> fn(Host) -> Host {
    match backend {
        "ifcfg" => ifcfg,
        "nm" => nm,
        "debian" => debian,
        "null" => by_name,
        other => panic!("no round-trip equivalence is known for the {other} backend; add its own"),
    }
}

/// The ifcfg backend's: the order of interfaces, of a bridge's ports and of a bond's slaves is not stored in
/// ifcfg files (one file per device, read in name order), except an active-backup bond's
/// primary, which comes first; compare the rest as sets.
pub fn ifcfg(mut host: Host) -> Host {
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    fn bond(b: &mut Bond) {
        b.link = None;
        let first = usize::from(b.primary().is_some());
        b.slaves[first..].sort_by(|x, y| x.name.cmp(&y.name));
        for s in &mut b.slaves {
            s.ethernet.link = None;
        }
    }
    for i in &mut host.interfaces {
        match &mut i.kind {
            InterfaceKind::Ethernet(e) => e.link = None,
            InterfaceKind::Vlan(v) => v.link = None,
            InterfaceKind::Bond(b) => bond(b),
            InterfaceKind::Bridge(br) => {
                br.ports.sort_by(|x, y| x.name.cmp(&y.name));
                for p in &mut br.ports {
                    match &mut p.kind {
                        PortKind::Ethernet(e) => e.link = None,
                        PortKind::Vlan(v) => v.link = None,
                        PortKind::Bond(b) => bond(b),
                    }
                }
            }
        }
    }
    host
}

/// The nm backend's, which no importer can undo (see the README): onboot,
/// hotplug and no `<start>` all autoconnect; `peerdns='yes'` and STP on, a 15 s delay and
/// balance-rr are its defaults; IPv6 autoconf implies DHCPv6; an empty IPv4 protocol is
/// none; `<link>` is status; one profile per device, so order is the names' (except an
/// active-backup bond's primary, which comes first).
pub fn nm(mut host: Host) -> Host {
    fn bond(b: &mut Bond) {
        b.link = None;
        b.mode = b.mode.or(Some(BondMode::BalanceRr));
        let primary = b.primary().cloned();
        b.slaves.sort_by(|x, y| {
            (Some(&x.name) != primary.as_ref(), &x.name)
                .cmp(&(Some(&y.name) != primary.as_ref(), &y.name))
        });
        for s in &mut b.slaves {
            s.ethernet.link = None;
        }
    }
    for i in &mut host.interfaces {
        if i.start != Some(StartMode::None) {
            i.start = Some(StartMode::OnBoot);
        }
        if i.ipv4
            .as_ref()
            .is_some_and(|v| v.dhcp.is_none() && v.addresses.is_empty())
        {
            i.ipv4 = None;
        }
        for d in [
            i.ipv4.as_mut().and_then(|v| v.dhcp.as_mut()),
            i.ipv6.as_mut().and_then(|v| v.dhcp.as_mut()),
        ]
        .into_iter()
        .flatten()
        {
            d.peerdns = d.peerdns.filter(|&yes| !yes);
        }
        if let Some(v6) = &mut i.ipv6
            && v6.autoconf
            && v6.dhcp.is_some_and(|d| d.peerdns.is_none())
        {
            v6.dhcp = None;
        }
        match &mut i.kind {
            InterfaceKind::Ethernet(e) => e.link = None,
            InterfaceKind::Vlan(v) => v.link = None,
            InterfaceKind::Bond(b) => bond(b),
            InterfaceKind::Bridge(br) => {
                br.stp = br.stp.filter(|&on| !on);
                br.delay = br.delay.filter(|d| d.seconds() != 15.0);
                br.ports.sort_by(|a, b| a.name.cmp(&b.name));
                for port in &mut br.ports {
                    match &mut port.kind {
                        PortKind::Ethernet(e) => e.link = None,
                        PortKind::Vlan(v) => v.link = None,
                        PortKind::Bond(b) => bond(b),
                    }
                }
            }
        }
    }
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    host
}

/// The Debian backend's: start none and no start both write nothing; `peerdns='yes'` is what
/// ifupdown does anyway; an empty IPv4 protocol writes no stanza; `<link>` is status; one
/// file per interface is read in file-name order, so the top level comes back by name.
pub fn debian(mut host: Host) -> Host {
    fn bond(b: &mut Bond) {
        b.link = None;
        b.slaves.iter_mut().for_each(|s| s.ethernet.link = None);
    }
    for i in &mut host.interfaces {
        i.start = i.start.or(Some(StartMode::None));
        if i.ipv4
            .as_ref()
            .is_some_and(|v| v.dhcp.is_none() && v.addresses.is_empty())
        {
            i.ipv4 = None;
        }
        let dhcps = [
            i.ipv4.as_mut().and_then(|v| v.dhcp.as_mut()),
            i.ipv6.as_mut().and_then(|v| v.dhcp.as_mut()),
        ];
        for d in dhcps.into_iter().flatten() {
            d.peerdns = d.peerdns.filter(|&yes| !yes);
        }
        match &mut i.kind {
            InterfaceKind::Ethernet(e) => e.link = None,
            InterfaceKind::Vlan(v) => v.link = None,
            InterfaceKind::Bond(b) => bond(b),
            InterfaceKind::Bridge(br) => {
                for port in &mut br.ports {
                    match &mut port.kind {
                        PortKind::Ethernet(e) => e.link = None,
                        PortKind::Vlan(v) => v.link = None,
                        PortKind::Bond(b) => bond(b),
                    }
                }
            }
        }
    }
    by_name(host)
}

/// The null backend keeps everything but the order of its one file per interface.
pub fn by_name(mut host: Host) -> Host {
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    host
}
