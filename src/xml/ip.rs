//! `<protocol family='ipv4|ipv6'>`: DHCP, static addresses and the default gateway.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;

use roxmltree::Node;

use super::interface::single_value;
use super::reader::{Reader, named, parse_yes_no};
use crate::model::{
    Dhcp, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6, Ipv6Address, Ipv6Prefix, ValueError, keywords,
    parse_host_ipv4, parse_host_ipv6,
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

fn ipv4(r: &mut Reader, el: Node) -> Ipv4 {
    let what = "<protocol family='ipv4'>";
    let kids = r.children(el, what, &["dhcp", "ip", "route"], None);
    Ipv4 {
        dhcp: r.once(&kids, "dhcp", what).map(|n| dhcp(r, n)),
        addresses: addresses(r, &kids, what, parse_host_ipv4, Ipv4Prefix::parse)
            .into_iter()
            .map(|(address, prefix)| Ipv4Address { address, prefix })
            .collect(),
        gateway: gateway(r, &kids, what, parse_host_ipv4),
    }
}

fn ipv6(r: &mut Reader, el: Node) -> Ipv6 {
    let what = "<protocol family='ipv6'>";
    let kids = r.children(el, what, &["autoconf", "dhcp", "ip", "route"], None);
    let autoconf = r.once(&kids, "autoconf", what).is_some_and(|n| {
        r.check_attrs(n, "<autoconf>", &[]);
        r.children(n, "<autoconf>", &[], None);
        true
    });
    Ipv6 {
        autoconf,
        dhcp: r.once(&kids, "dhcp", what).map(|n| dhcp(r, n)),
        addresses: addresses(r, &kids, what, parse_host_ipv6, Ipv6Prefix::parse)
            .into_iter()
            .map(|(address, prefix)| Ipv6Address { address, prefix })
            .collect(),
        gateway: gateway(r, &kids, what, parse_host_ipv6),
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
