//! `<nl:listen>` and `<nl:connections>`: a cross-host network, checked against this host's
//! end, its forward mode and its DHCP (the address plans of the hosts must not collide).

use std::collections::HashMap;
use std::net::IpAddr;

use roxmltree::Node;

use super::super::reader::{Reader, attribute};
use super::addressing::parse_ip;
use super::policy::port_value;
use crate::model::NETLOOM_NS;
use crate::model::ValueError;
use crate::model::network::{CrossHost, Listen, Network, Peer, PeerDhcp, Vni};

/// `<nl:listen>` and `<nl:connections>`, which come together.
pub(super) fn cross_host(
    r: &mut Reader,
    listen: Option<Node>,
    connections: Option<Node>,
    net: &Network,
) -> Option<CrossHost> {
    let first = listen.or(connections)?;
    if !net.has_own_bridge() {
        let mode = net.forward_mode().map_or("isolated", |m| m.as_str());
        r.error(
            first.range().start,
            format!(
                "a cross-host network joins the network's own bridge to other hosts; \
                 mode='{mode}' has no bridge of its own (use isolated, nat, route or open)"
            ),
        );
    }
    let (listen_el, conns_el) = match (listen, connections) {
        (None, None) => return None,
        (Some(l), Some(c)) => (l, c),
        (Some(one), None) | (None, Some(one)) => {
            r.error(
                one.range().start,
                "a cross-host network needs both <nl:listen address port/> (this host's end) \
                 and <nl:connections> (the other hosts')",
            );
            return None;
        }
    };
    let what = "<nl:listen>";
    r.children(listen_el, what, &[], None);
    r.check_attrs(listen_el, what, &["address", "port", "vni"]);
    let address = r.value(listen_el, what, "address", host_address);
    let port = r.optional(listen_el, what, "port", port_value);
    let vni = r.optional(listen_el, what, "vni", Vni::parse);
    let peers = connections_of(r, conns_el, net, address);
    Some(CrossHost {
        listen: Listen {
            address: address?,
            port,
            vni,
        },
        peers: peers?,
    })
}

/// An address one host has on the underlay: unicast, neither unspecified, loopback,
/// multicast nor broadcast, which no VXLAN tunnel between two hosts can use.
fn host_address(s: &str) -> Result<IpAddr, ValueError> {
    let a = parse_ip(s)?;
    let why = match a {
        _ if a.is_unspecified() => "an unspecified address",
        _ if a.is_loopback() => "a loopback address",
        _ if a.is_multicast() => "a multicast address",
        IpAddr::V4(v4) if v4.is_broadcast() => "the broadcast address",
        _ => return Ok(a),
    };
    Err(ValueError(format!(
        "{why}; expected the unicast address of a host on the underlay"
    )))
}

/// `<nl:connections>`: each `<nl:connection address port dhcp>`, checked against this
/// host's end and its DHCP.
fn connections_of(
    r: &mut Reader,
    el: Node,
    net: &Network,
    listen: Option<IpAddr>,
) -> Option<Vec<Peer>> {
    let what = "<nl:connections>";
    r.check_attrs(el, what, &[]);
    let kids = r.children_ns(el, what, &[], None, &[(NETLOOM_NS, "connection")]);
    if kids.is_empty() {
        r.error(
            el.range().start,
            format!("{what} needs at least one <nl:connection address port/>"),
        );
        return None;
    }
    let own = OwnDhcp::of(net);
    let mut ok = true;
    let mut peers: Vec<(Peer, usize)> = Vec::new();
    let mut listed: HashMap<IpAddr, usize> = HashMap::new();
    for n in kids {
        let what = "<nl:connection>";
        r.children(n, what, &[], None);
        r.check_attrs(n, what, &["address", "port", "dhcp"]);
        let address = r.value(n, what, "address", host_address);
        let port = r.optional(n, what, "port", port_value);
        let dhcp = r.optional(n, what, "dhcp", PeerDhcp::parse);
        let Some(address) = address else {
            ok = false;
            continue;
        };
        let at = n.range().start;
        if let Some(&first) = listed.get(&address) {
            r.error_see(
                at,
                format!("a second <nl:connection> to {address}; each host is listed once"),
                "first given",
                first,
            );
            ok = false;
            continue;
        }
        listed.insert(address, at);
        if let Some(l) = listen {
            if l == address {
                r.error(
                    at,
                    format!("<nl:connection> to {address} is this host's own <nl:listen> address"),
                );
                ok = false;
            } else if l.is_ipv4() != address.is_ipv4() {
                r.error(
                    at,
                    format!(
                        "<nl:connection> to {address} is not of the family of <nl:listen> \
                         address {l}; VXLAN runs over one family"
                    ),
                );
                ok = false;
            }
        }
        ok &= dhcp_plan(r, n, &own, address, dhcp);
        peers.push((
            Peer {
                address,
                port,
                dhcp,
            },
            at,
        ));
    }
    ok.then(|| peers.into_iter().map(|(p, _)| p).collect())
}

/// This host's DHCP addresses, sorted once so each connection's range is checked in log n:
/// its ranges by start (with, at each, the one reaching furthest so far) and its fixed hosts.
struct OwnDhcp {
    serves: bool,
    ranges: Vec<(IpAddr, IpAddr)>,
    /// Index into `ranges` of the widest-reaching range among the first k+1.
    reach: Vec<usize>,
    hosts: Vec<IpAddr>,
}

impl OwnDhcp {
    fn of(net: &Network) -> Self {
        let dhcps = net.ips.iter().filter_map(|ip| ip.dhcp.as_ref());
        let mut ranges: Vec<(IpAddr, IpAddr)> = (dhcps.clone())
            .flat_map(|d| d.ranges.iter().map(|r| (r.start, r.end)))
            .collect();
        ranges.sort_unstable();
        let mut reach: Vec<usize> = Vec::with_capacity(ranges.len());
        for (i, r) in ranges.iter().enumerate() {
            let best = match reach.last() {
                Some(&j) if ranges[j].1 >= r.1 => j,
                _ => i,
            };
            reach.push(best);
        }
        let mut hosts: Vec<IpAddr> = dhcps.flat_map(|d| &d.hosts).filter_map(|h| h.ip).collect();
        hosts.sort_unstable();
        Self {
            serves: net.ips.iter().any(|ip| ip.has_dhcp()),
            ranges,
            reach,
            hosts,
        }
    }

    /// One of this host's ranges that shares an address with `start`-`end`.
    fn range_overlapping(&self, start: IpAddr, end: IpAddr) -> Option<(IpAddr, IpAddr)> {
        let below = self.ranges.partition_point(|r| r.0 <= end);
        let j = *self.reach.get(below.checked_sub(1)?)?;
        (self.ranges[j].1 >= start).then_some(self.ranges[j])
    }

    /// One of this host's fixed addresses within `start`-`end`.
    fn host_within(&self, start: IpAddr, end: IpAddr) -> Option<IpAddr> {
        let i = self.hosts.partition_point(|h| *h < start);
        self.hosts.get(i).copied().filter(|h| *h <= end)
    }
}

/// The address plans must not collide: when this host serves DHCP on the shared segment,
/// each connection says what its host serves (`dhcp='none'` or its range), and a range must
/// share no address with this host's ranges and fixed hosts. What a peer really serves is
/// in its own definition, which only that host reads; `docs/cross-host.md` says so.
fn dhcp_plan(
    r: &mut Reader,
    el: Node,
    own: &OwnDhcp,
    peer: IpAddr,
    dhcp: Option<PeerDhcp>,
) -> bool {
    let at = attribute(el, "dhcp").map_or(el.range().start, |a| a.range_value().start);
    let problem = match dhcp {
        None if own.serves && attribute(el, "dhcp").is_none() => format!(
            "<nl:connection> to {peer} does not say what DHCP that host serves, and this host \
             serves DHCP on the shared network; add dhcp='none' or dhcp='START-END' (its range, \
             which must not overlap this host's)"
        ),
        Some(PeerDhcp::Range(start, end)) => {
            if let Some((a, b)) = own.range_overlapping(start, end) {
                format!(
                    "the DHCP range {start}-{end} of the host at {peer} overlaps this host's \
                     range {a}-{b}; two DHCP servers would hand out the same addresses"
                )
            } else if let Some(ip) = own.host_within(start, end) {
                format!(
                    "the DHCP range {start}-{end} of the host at {peer} holds {ip}, a fixed \
                     address of this host's <dhcp><host>"
                )
            } else {
                return true;
            }
        }
        _ => return true,
    };
    r.error(at, problem);
    false
}
