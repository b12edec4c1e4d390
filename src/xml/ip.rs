//! `<protocol family='ipv4|ipv6'>`: DHCP, static addresses and the default gateway.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use roxmltree::Node;

use super::reader::single_value;
use super::reader::{Reader, named, parse_yes_no};
use super::route::{self, Addressing};
use crate::model::{
    Destination, Dhcp, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6, Ipv6Address, Ipv6Prefix, ValueError,
    keywords, parse_host_ipv4, parse_host_ipv6,
};

keywords! {
    /// The `family` of a `<protocol>`.
    Family {
        /// IPv4.
        V4 = "ipv4",
        /// IPv6.
        V6 = "ipv6",
    }
}

/// Reads the `<protocol>` elements of an interface: at most one per family, either order.
pub(super) fn protocols(
    r: &mut Reader,
    nodes: &[Node],
    what: &str,
) -> (Option<Ipv4>, Option<Ipv6>) {
    let (mut v4, mut v6) = (None, None);
    let (mut first_v4, mut first_v6): (Option<usize>, Option<usize>) = (None, None);
    for &el in nodes {
        r.check_attrs(el, "<protocol>", &["family"]);
        let Some(family) = r.value(el, "<protocol>", "family", Family::parse) else {
            continue;
        };
        let first = match family {
            Family::V4 => &mut first_v4,
            Family::V6 => &mut first_v6,
        };
        if let Some(at) = *first {
            r.error_see(
                el.range().start,
                format!(
                    "a second <protocol family='{family}'> in {what}; each family may appear once"
                ),
                "first given",
                at,
            );
            continue;
        }
        *first = Some(el.range().start);
        match family {
            Family::V4 => v4 = Some(ipv4(r, el)),
            Family::V6 => v6 = Some(ipv6(r, el)),
        }
    }
    (v4, v6)
}

/// A protocol's children: libvirt's (in no namespace) and netloom's.
fn split<'a, 'i>(nodes: Vec<Node<'a, 'i>>) -> (Vec<Node<'a, 'i>>, Vec<Node<'a, 'i>>) {
    nodes
        .into_iter()
        .partition(|n| n.tag_name().namespace().is_none())
}

fn ipv4(r: &mut Reader, el: Node) -> Ipv4 {
    let what = "<protocol family='ipv4'>";
    let kids = r.children_ns(el, what, &["dhcp", "ip", "route"], None, route::IN_PROTOCOL);
    let (kids, ours) = split(kids);
    let dhcp = r.once(&kids, "dhcp", what).map(|n| dhcp(r, n));
    let addresses: Vec<Ipv4Address> = addresses(r, &kids, what, parse_host_ipv4, Ipv4Prefix::parse)
        .into_iter()
        .map(|(address, prefix)| Ipv4Address { address, prefix })
        .collect();
    let gateway = gateway(r, &kids, what, parse_host_ipv4);
    // An address without a prefix has its class's, as ifcfg files and ifupdown read it.
    let addressing = Addressing {
        networks: (addresses.iter())
            .map(|a| {
                let prefix = a.prefix.unwrap_or_else(|| Ipv4Prefix::classful(a.address));
                Destination::of(a.address, prefix.get())
            })
            .collect(),
        dynamic: dhcp.is_some(),
    };
    let extras = route::extras(r, &ours, what, &addressing);
    Ipv4 {
        dhcp,
        addresses,
        gateway,
        routes: extras.routes,
        dns: extras.dns,
        search: extras.search,
    }
}

fn ipv6(r: &mut Reader, el: Node) -> Ipv6 {
    let what = "<protocol family='ipv6'>";
    let allowed = ["autoconf", "dhcp", "ip", "route"];
    let kids = r.children_ns(el, what, &allowed, None, route::IN_PROTOCOL);
    let (kids, ours) = split(kids);
    let autoconf = r.once(&kids, "autoconf", what).is_some_and(|n| {
        r.check_attrs(n, "<autoconf>", &[]);
        r.children(n, "<autoconf>", &[], None);
        true
    });
    let dhcp = r.once(&kids, "dhcp", what).map(|n| dhcp(r, n));
    let addresses: Vec<Ipv6Address> = addresses(r, &kids, what, parse_host_ipv6, Ipv6Prefix::parse)
        .into_iter()
        .map(|(address, prefix)| Ipv6Address { address, prefix })
        .collect();
    let gateway = gateway(r, &kids, what, parse_host_ipv6);
    // An address without a prefix is one host's to the strictest reader (ifupdown's /128).
    let addressing = Addressing {
        networks: (addresses.iter())
            .map(|a| Destination::of(a.address, a.prefix.unwrap_or(Ipv6Prefix::HOST).get()))
            .collect(),
        dynamic: autoconf || dhcp.is_some(),
    };
    let extras = route::extras(r, &ours, what, &addressing);
    Ipv6 {
        autoconf,
        dhcp,
        addresses,
        gateway,
        routes: extras.routes,
        dns: extras.dns,
        search: extras.search,
    }
}

fn dhcp(r: &mut Reader, el: Node) -> Dhcp {
    r.check_attrs(el, "<dhcp>", &["peerdns"]);
    r.children(el, "<dhcp>", &[], None);
    Dhcp {
        peerdns: r.optional(el, "<dhcp>", "peerdns", parse_yes_no),
    }
}

/// The `<ip address='…' prefix='…'/>` children, in order; an address given twice is refused
/// (found by hashing, so thousands of addresses cost no more than linearly).
fn addresses<A: Copy + Eq + Hash + Display, P>(
    r: &mut Reader,
    kids: &[Node],
    what: &str,
    parse_addr: fn(&str) -> Result<A, ValueError>,
    parse_prefix: fn(&str) -> Result<P, ValueError>,
) -> Vec<(A, Option<P>)> {
    let mut out: Vec<(A, Option<P>)> = Vec::new();
    let mut first: HashMap<A, usize> = HashMap::new();
    for el in named(kids, "ip") {
        r.check_attrs(el, "<ip>", &["address", "prefix"]);
        r.children(el, "<ip>", &[], None);
        let address = r.value(el, "<ip>", "address", parse_addr);
        let prefix = r.optional(el, "<ip>", "prefix", parse_prefix);
        let Some(address) = address else { continue };
        if let Some(&at) = first.get(&address) {
            r.error_see(
                el.range().start,
                format!("address {address} is given twice in {what}"),
                "first given",
                at,
            );
            continue;
        }
        first.insert(address, el.range().start);
        out.push((address, prefix));
    }
    out
}

fn gateway<A>(
    r: &mut Reader,
    kids: &[Node],
    what: &str,
    parse: fn(&str) -> Result<A, ValueError>,
) -> Option<A> {
    r.once(kids, "route", what)
        .and_then(|n| single_value(r, n, "<route>", "gateway", parse))
}
