//! libvirt's checks that look at more than one element: what each forward mode allows,
//! reachability of route gateways, and (at define level) DHCP per family, portgroups,
//! vlans and bandwidth. Each refusal points at the element or attribute at fault.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use super::super::reader::Reader;
use super::At;
use crate::model::network::{ForwardMode, Network, masked};

/// What libvirt checks while parsing.
pub(super) fn parse_checks(r: &mut Reader, net: &Network, at: &At) {
    routed_forward(r, net, at);
    bridge_settings(r, net, at);
    if let Some(p) = at.mtu
        && !net.has_own_bridge()
    {
        r.error(
            p,
            format!("<mtu> is only for networks with a bridge of their own (nat, route, open, isolated), not mode='{}'", mode_name(net)),
        );
    }
    reachable_gateways(r, net, at);
}

/// The name of `net`'s forward mode as messages give it: `isolated` when it has none.
fn mode_name(net: &Network) -> &'static str {
    net.forward_mode().map_or("isolated", |m| m.as_str())
}

/// What the modes that leave through the host's routing ask of `<forward>`: nat and route
/// need an address of their own and leave by one device; open ties itself to none.
fn routed_forward(r: &mut Reader, net: &Network, at: &At) {
    let mode = net.forward_mode();
    let mode_name = mode_name(net);
    let forward_at = at.forward.unwrap_or(at.root);
    match mode {
        Some(ForwardMode::Nat | ForwardMode::Route) => {
            if net.ips.is_empty() && at.all_ips {
                r.error(
                    forward_at,
                    format!(
                        "<forward mode='{mode_name}'> needs at least one <ip>: the network's own address is what guests are {} through",
                        if mode == Some(ForwardMode::Nat) { "NATed" } else { "routed" }
                    ),
                );
            }
            if let Some(second) = at.interfaces.get(1) {
                r.error(
                    *second,
                    format!("<forward mode='{mode_name}'> can leave by one device only; give one <interface> or dev"),
                );
            }
        }
        Some(ForwardMode::Open) => {
            if let Some(f) = &net.forward
                && (f.dev.is_some() || !f.interfaces.is_empty())
            {
                r.error(
                    forward_at,
                    "<forward mode='open'> takes no dev or <interface>: an open network adds no rules, so it cannot be tied to a device",
                );
            }
        }
        _ => {}
    }
}

/// The `<bridge>` settings a mode cannot use: one on host devices has no bridge to name,
/// zone or manage; neither it nor mode bridge has a bridge of its own to set stp and delay
/// on; and mode bridge takes its bridge by name or a device pool, not both.
fn bridge_settings(r: &mut Reader, net: &Network, at: &At) {
    let mode = net.forward_mode();
    let mode_name = mode_name(net);
    let host_device = matches!(
        mode,
        Some(
            ForwardMode::Private
                | ForwardMode::Vepa
                | ForwardMode::Passthrough
                | ForwardMode::Hostdev
        )
    );
    if host_device {
        for (pos, what) in [
            (at.bridge_name, "a bridge name"),
            (at.bridge_zone, "a firewalld zone"),
            (at.bridge_mtm, "macTableManager"),
        ] {
            if let Some(p) = pos {
                r.error(
                    p,
                    format!("<forward mode='{mode_name}'> uses host devices directly, so <bridge> cannot set {what}"),
                );
            }
        }
    }
    if host_device || mode == Some(ForwardMode::Bridge) {
        for (pos, what) in [
            (at.bridge_stp, "stp"),
            (at.bridge_delay, "delay"),
            (if host_device { None } else { at.bridge_zone }, "zone"),
        ] {
            if let Some(p) = pos {
                r.error(
                    p,
                    format!("<bridge> {what} is only for networks with a bridge of their own (nat, route, open, isolated), not mode='{mode_name}'"),
                );
            }
        }
    }
    if mode == Some(ForwardMode::Bridge)
        && let (Some(p), Some(f)) = (at.bridge_name, &net.forward)
        && (f.dev.is_some() || !f.interfaces.is_empty())
    {
        r.error(
            p,
            "<forward mode='bridge'> takes a bridge name or a forward device pool, not both",
        );
    }
}

/// Each route's gateway must lie in one of the network's subnets. When an `<ip>` could not
/// be read the subnets are not all known, so no gateway is judged.
fn reachable_gateways(r: &mut Reader, net: &Network, at: &At) {
    let routes = if at.all_ips {
        net.routes.as_slice()
    } else {
        &[]
    };
    let subnets = Subnets::of(net);
    for (route, gw_at) in routes.iter().zip(&at.route_gateways) {
        if !subnets.contain(route.gateway) {
            r.error(
                *gw_at,
                format!(
                    "route gateway {} is not reachable: it is in none of the network's <ip> subnets",
                    route.gateway
                ),
            );
        }
    }
}

/// The subnets of a network's `<ip>` elements, to ask whether an address is in one of them
/// at a cost that does not grow with their number: by each distinct prefix length (at most
/// 33 for IPv4 and 129 for IPv6), the address masked to it, looked up in a set.
struct Subnets {
    lengths: BTreeSet<(bool, u8)>,
    networks: HashSet<(u8, IpAddr)>,
}

impl Subnets {
    fn of(net: &Network) -> Self {
        let mut subnets = Subnets {
            lengths: BTreeSet::new(),
            networks: HashSet::new(),
        };
        for ip in &net.ips {
            subnets.lengths.insert((ip.is_ipv6(), ip.prefix_len()));
            subnets.networks.insert((ip.prefix_len(), ip.network()));
        }
        subnets
    }

    /// Whether `addr` lies in one of the subnets, as [`NetIp::contains`] asks of each.
    ///
    /// [`NetIp::contains`]: crate::model::network::NetIp::contains
    fn contain(&self, addr: IpAddr) -> bool {
        self.lengths
            .iter()
            .filter(|(v6, _)| *v6 == addr.is_ipv6())
            .any(|&(_, len)| self.networks.contains(&(len, masked(addr, len))))
    }
}

/// What `net-define` checks besides: the XML alone must make a network libvirt would run.
pub(super) fn define_checks(r: &mut Reader, net: &Network, at: &At) {
    let mode = net.forward_mode();
    let mode_name = mode_name(net);
    one_dhcp_per_family(r, net, at);
    if !net.has_own_bridge() {
        let why = format!(
            "<forward mode='{mode_name}'> uses a host bridge or device, with no address or dnsmasq of its own"
        );
        let mut refuse = |pos: Option<usize>, what: &str| {
            if let Some(p) = pos {
                r.error(p, format!("{what} is not allowed: {why}"));
            }
        };
        refuse(at.mac, "<mac>");
        refuse(at.ips.first().copied(), "<ip>");
        refuse(at.dns_records, "a DNS record");
        refuse(at.domain, "<domain>");
    }
    if let Some(p) = at.bandwidth
        && !shapes_bandwidth(net)
    {
        r.error(
            p,
            format!("network-wide <bandwidth> needs a bridge netloom shapes (nat, route, open, isolated, or mode='bridge' with a bridge name), not mode='{mode_name}'"),
        );
    }
    if let Some(p) = at.vlan
        && !tags_vlans(net)
    {
        r.error(
            p,
            format!("<vlan> needs mode 'hostdev', 'passthrough' or 'bridge', which can tag traffic; not mode='{mode_name}'"),
        );
    }
    portgroups(r, net, at);
    if mode == Some(ForwardMode::Hostdev) {
        if let Some(p) = at.interfaces.first() {
            r.error(
                *p,
                "<forward mode='hostdev'> assigns PCI devices; list them as <address type='pci'> or give a <pf>",
            );
        }
    } else if let Some(p) = at.addresses.first() {
        r.error(
            *p,
            format!("a PCI <address> pool is only for mode='hostdev', not mode='{mode_name}'"),
        );
    }
}

/// Whether netloom can shape `net`'s traffic: it needs a bridge to put the shaping on,
/// the network's own or a host bridge named in mode bridge.
fn shapes_bandwidth(net: &Network) -> bool {
    net.has_own_bridge()
        || (net.forward_mode() == Some(ForwardMode::Bridge) && net.bridge_name().is_some())
}

/// Whether `net`'s mode can tag traffic with a `<vlan>`.
fn tags_vlans(net: &Network) -> bool {
    matches!(
        net.forward_mode(),
        Some(ForwardMode::Hostdev | ForwardMode::Passthrough | ForwardMode::Bridge)
    )
}

/// dnsmasq serves DHCP on one subnet per family: a second `<ip>` of a family with
/// `<dhcp>` is refused, pointing at the first.
fn one_dhcp_per_family(r: &mut Reader, net: &Network, at: &At) {
    let mut first_dhcp: [Option<usize>; 2] = [None, None];
    for (ip, dhcp_at) in net.ips.iter().zip(&at.dhcps) {
        if !ip.has_dhcp() {
            continue;
        }
        let Some(p) = dhcp_at else { continue };
        let slot = usize::from(ip.is_ipv6());
        match first_dhcp[slot] {
            Some(first) => r.error_see(
                *p,
                format!(
                    "a second {} <ip> with DHCP; dnsmasq serves DHCP on one {} subnet per network",
                    if slot == 1 { "IPv6" } else { "IPv4" },
                    if slot == 1 { "IPv6" } else { "IPv4" }
                ),
                "first DHCP",
                first,
            ),
            None => first_dhcp[slot] = Some(*p),
        }
    }
}

/// Each `<portgroup>`: its name once, one default among them, and bandwidth or a vlan only
/// where the network's mode can carry them.
fn portgroups(r: &mut Reader, net: &Network, at: &At) {
    let mode = net.forward_mode();
    let mode_name = mode_name(net);
    let bandwidth_ok = shapes_bandwidth(net) && mode != Some(ForwardMode::Hostdev);
    let vlan_ok = tags_vlans(net);
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut default: Option<usize> = None;
    for (pg, pg_at) in net.portgroups.iter().zip(&at.portgroups) {
        if let Some(&first) = names.get(pg.name.as_str()) {
            r.error_see(
                pg_at.el,
                format!("portgroup '{}' is defined twice", pg.name),
                "first defined",
                first,
            );
        } else {
            names.insert(pg.name.as_str(), pg_at.el);
        }
        if pg.default == Some(true) {
            let p = pg_at.default.unwrap_or(pg_at.el);
            match default {
                Some(first) => r.error_see(
                    p,
                    format!(
                        "portgroup '{}' is a second default; only one can be",
                        pg.name
                    ),
                    "first default",
                    first,
                ),
                None => default = Some(p),
            }
        }
        if let Some(p) = pg_at.bandwidth
            && !bandwidth_ok
        {
            r.error(
                p,
                format!(
                    "<bandwidth> in portgroup '{}' is not supported with mode='{mode_name}'",
                    pg.name
                ),
            );
        }
        if let Some(p) = pg_at.vlan
            && !vlan_ok
        {
            r.error(
                p,
                format!("<vlan> in portgroup '{}' needs mode 'hostdev', 'passthrough' or 'bridge'; not mode='{mode_name}'", pg.name),
            );
        }
    }
}
