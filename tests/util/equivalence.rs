//! What each host backend gives back of a host it rendered: the declaration, up to what its
//! format does not keep (each backend's page under docs/ states it). One function per
//! backend, used by every round trip (the backends' own tests, the golden cases, the
//! property tests), so the equivalences are stated once.

use netloom::model::{
    Bond, BondMode, BridgeOptions, Host, Interface, InterfaceKind, Ipv4Prefix, Ipv6Prefix,
    PortKind, StartMode, Vlan,
};

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
/// primary, which comes first; compare the rest as sets. NetworkManager reads the files:
/// an address without a prefix has its class's (IPv4) or /64 (IPv6), an empty IPv4 protocol
/// is none, a bridge without STP has it off, and a forward delay counts only with STP on;
/// a vlan's headers are reordered and its binding strict unless said otherwise.
pub fn ifcfg(mut host: Host) -> Host {
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    for i in &mut host.interfaces {
        nm_addressing(i);
        if let InterfaceKind::Bridge(br) = &mut i.kind {
            br.stp = Some(br.stp.unwrap_or(false));
            if br.stp == Some(false) {
                br.delay = None;
            }
            // Written with STP on when the XML gives none.
            br.delay = br.delay.filter(|d| d.seconds() != 15.0);
        }
    }
    fn bond(b: &mut Bond) {
        b.link = None;
        let first = usize::from(b.primary().is_some());
        b.slaves[first..].sort_by(|x, y| x.name.cmp(&y.name));
        for s in &mut b.slaves {
            s.ethernet.link = None;
        }
    }
    // NetworkManager's writer's flags: reordering said only when off, loose binding only
    // when on.
    fn vlan(v: &mut Vlan) {
        v.link = None;
        v.options.reorder_hdr = v.options.reorder_hdr.filter(|on| !on);
        v.options.loose_binding = v.options.loose_binding.filter(|on| *on);
    }
    for i in &mut host.interfaces {
        match &mut i.kind {
            InterfaceKind::Ethernet(e) => e.link = None,
            InterfaceKind::Vlan(v) => vlan(v),
            InterfaceKind::Bond(b) => bond(b),
            InterfaceKind::Bridge(br) => {
                br.ports.sort_by(|x, y| x.name.cmp(&y.name));
                for p in &mut br.ports {
                    match &mut p.kind {
                        PortKind::Ethernet(e) => e.link = None,
                        PortKind::Vlan(v) => vlan(v),
                        PortKind::Bond(b) => bond(b),
                    }
                }
            }
        }
    }
    host
}

/// The nm backend's, which no importer can undo (see docs/networkmanager.md): onboot,
/// hotplug and no `<start>` all autoconnect; `peerdns='yes'` and STP on (read back as said),
/// a 15 s delay and balance-rr are its defaults; IPv6 autoconf implies DHCPv6; an empty IPv4 protocol is
/// none; `<link>` is status; one profile per device, so order is the names' (except an
/// active-backup bond's primary, which comes first); a vlan's flags are bits, set or not
/// (reordering set unless said otherwise), and a bridge option at NetworkManager's default is
/// not written.
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
    // `vlan.flags` says each flag as a bit, reordering on unless cleared.
    fn vlan(v: &mut Vlan) {
        v.link = None;
        let o = &mut v.options;
        o.reorder_hdr = o.reorder_hdr.filter(|on| !on);
        o.gvrp = o.gvrp.filter(|on| *on);
        o.mvrp = o.mvrp.filter(|on| *on);
        o.loose_binding = o.loose_binding.filter(|on| *on);
    }
    // NetworkManager's defaults are not written.
    fn bridge_defaults(o: &mut BridgeOptions) {
        o.priority = o.priority.filter(|v| *v != 32768);
        o.hello_time = o.hello_time.filter(|v| v.get() != 2);
        o.max_age = o.max_age.filter(|v| v.get() != 20);
        o.ageing_time = o.ageing_time.filter(|v| v.get() != 300);
        o.multicast_snooping = o.multicast_snooping.filter(|on| !on);
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
            InterfaceKind::Vlan(v) => vlan(v),
            InterfaceKind::Bond(b) => bond(b),
            InterfaceKind::Bridge(br) => {
                br.stp = Some(br.stp.unwrap_or(false));
                br.delay = br.delay.filter(|d| d.seconds() != 15.0);
                bridge_defaults(&mut br.options);
                br.ports.sort_by(|a, b| a.name.cmp(&b.name));
                for port in &mut br.ports {
                    match &mut port.kind {
                        PortKind::Ethernet(e) => e.link = None,
                        PortKind::Vlan(v) => vlan(v),
                        PortKind::Bond(b) => bond(b),
                    }
                }
            }
        }
    }
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    host
}

/// The Debian backend's: an address without a prefix has ifupdown's (the class's, /128);
/// start none and no start both write nothing; `peerdns='yes'` is what
/// ifupdown does anyway; an empty IPv4 protocol writes no stanza; `<link>` is status; one
/// file per interface is read in file-name order, so the top level comes back by name.
pub fn debian(mut host: Host) -> Host {
    fn bond(b: &mut Bond) {
        b.link = None;
        b.slaves.iter_mut().for_each(|s| s.ethernet.link = None);
    }
    for i in &mut host.interfaces {
        // ifupdown's prefixes for an address without one: the class's, and /128.
        if let Some(v4) = &mut i.ipv4 {
            for a in &mut v4.addresses {
                a.prefix = Some(a.prefix.unwrap_or_else(|| Ipv4Prefix::classful(a.address)));
            }
        }
        if let Some(v6) = &mut i.ipv6 {
            for a in &mut v6.addresses {
                a.prefix = Some(a.prefix.unwrap_or(Ipv6Prefix::HOST));
            }
        }
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
                // Written either way, off when unsaid, and with STP on 15 s when no delay is
                // given.
                br.stp = Some(br.stp.unwrap_or(false));
                if br.stp == Some(true) {
                    br.delay = br.delay.filter(|d| d.seconds() != 15.0);
                }
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

/// What NetworkManager reads of an interface's addressing: a prefix for every address (the
/// class's for IPv4, /64 for IPv6) and no IPv4 protocol for an empty one (method disabled).
fn nm_addressing(i: &mut Interface) {
    if let Some(v4) = &mut i.ipv4 {
        for a in &mut v4.addresses {
            a.prefix = Some(a.prefix.unwrap_or_else(|| Ipv4Prefix::classful(a.address)));
        }
    }
    if i.ipv4
        .as_ref()
        .is_some_and(|v| v.dhcp.is_none() && v.addresses.is_empty())
    {
        i.ipv4 = None;
    }
    if let Some(v6) = &mut i.ipv6 {
        for a in &mut v6.addresses {
            a.prefix = Some(a.prefix.unwrap_or(Ipv6Prefix::DEFAULT));
        }
    }
}

/// The null backend keeps everything but the order of its one file per interface.
pub fn by_name(mut host: Host) -> Host {
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    host
}
