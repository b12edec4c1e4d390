//! `<ip>` with `<tftp>` and `<dhcp>`, and `<route>`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use roxmltree::Node;

use super::super::reader::{Reader, attribute, first_time, named, parse_u32, parse_yes_no};
use crate::model::network::{
    Bootp, DhcpHost, DhcpRange, DnsName, IpFamily, Lease, LeaseUnit, NetDhcp, NetIp, NetRoute,
    Text, ipv4_mask, masked, prefix_len_of,
};
use crate::model::{MacAddr, ValueError};

/// An IPv4 or IPv6 address.
pub(super) fn parse_ip(s: &str) -> Result<IpAddr, ValueError> {
    s.parse()
        .map_err(|_| ValueError("expected an IPv4 or IPv6 address".into()))
}

/// A netmask: an IPv4 address whose one bits are contiguous from the top.
fn parse_netmask(s: &str) -> Result<Ipv4Addr, ValueError> {
    let err = || ValueError("expected an IPv4 netmask like 255.255.255.0".into());
    let m: Ipv4Addr = s.parse().map_err(|_| err())?;
    let bits = u32::from(m);
    if bits.leading_ones() + bits.trailing_zeros() != 32 {
        return Err(err());
    }
    Ok(m)
}

fn parse_prefix(s: &str) -> Result<u8, ValueError> {
    match crate::model::parse_uint(s) {
        Some(p @ 0..=128) => Ok(p as u8),
        _ => Err(ValueError("expected a prefix length from 0 to 128".into())),
    }
}

/// What `<ip>` and `<route>` share: address, family, netmask or prefix, checked together.
struct Addressed {
    family: Option<IpFamily>,
    address: IpAddr,
    netmask: Option<Ipv4Addr>,
    prefix: Option<u8>,
}

fn addressed(r: &mut Reader, el: Node, what: &str) -> Option<Addressed> {
    let family = r.optional(el, what, "family", IpFamily::parse);
    let address = r.value(el, what, "address", parse_ip);
    let netmask = r.optional(el, what, "netmask", parse_netmask);
    let prefix = r.optional(el, what, "prefix", parse_prefix);
    let bad = |name: &str| attribute(el, name).is_some();
    let address = address?;
    if (bad("netmask") && netmask.is_none())
        || (bad("prefix") && prefix.is_none())
        || (bad("family") && family.is_none())
    {
        return None;
    }
    let mut ok = true;
    if let Some(f) = family {
        let real = if address.is_ipv6() {
            IpFamily::Ipv6
        } else {
            IpFamily::Ipv4
        };
        if f != real {
            let at = attribute(el, "family").map_or(el.range().start, |a| a.range_value().start);
            r.error(
                at,
                format!("family '{f}' on {what} does not match its {real} address {address}"),
            );
            ok = false;
        }
    }
    if let Some(a) = attribute(el, "netmask") {
        if address.is_ipv6() {
            r.error(
                a.range_qname().start,
                format!("netmask on {what} is for IPv4 only; give an IPv6 address a prefix"),
            );
            ok = false;
        } else if attribute(el, "prefix").is_some() {
            r.error(
                a.range_qname().start,
                format!("{what} has both netmask and prefix; give one"),
            );
            ok = false;
        }
    }
    let max = if address.is_ipv6() { 128 } else { 32 };
    if let (Some(p), Some(a)) = (prefix, attribute(el, "prefix"))
        && p > max
    {
        r.error(
            a.range_value().start,
            format!("prefix {p} on {what} is longer than the {max} bits of its address"),
        );
        ok = false;
    }
    ok.then_some(Addressed {
        family,
        address,
        netmask,
        prefix,
    })
}

/// `<ip>`, with the position of its `<dhcp>` for the cross-element checks.
pub(super) fn ip(r: &mut Reader, el: Node) -> Option<(NetIp, Option<usize>)> {
    let what = "<ip>";
    r.check_attrs(
        el,
        what,
        &["address", "netmask", "prefix", "family", "localPtr"],
    );
    let kids = r.children(el, what, &["tftp", "dhcp"], None);
    let local_ptr = r.optional(el, what, "localPtr", parse_yes_no);
    let a = addressed(r, el, what);
    let tftp_root = r.once(&kids, "tftp", what).and_then(|n| {
        let what = "<tftp>";
        r.check_attrs(n, what, &["root"]);
        r.children(n, what, &[], None);
        if a.as_ref().is_some_and(|a| a.address.is_ipv6()) {
            r.error(
                n.range().start,
                "<tftp> is for IPv4 only; dnsmasq serves TFTP on the network's IPv4 address",
            );
        }
        r.value(n, what, "root", Text::parse_dnsmasq_value)
    });
    let dhcp_el = r.once(&kids, "dhcp", what);
    let a = a.filter(|a| subnet_ok(r, el, a, local_ptr == Some(true)));
    let Some(a) = a else {
        // Still read the <dhcp>, so its own problems are reported in this run too.
        if let Some(n) = dhcp_el {
            dhcp(r, n, None);
        }
        return None;
    };
    let mut ip = NetIp {
        family: a.family,
        address: a.address,
        netmask: a.netmask,
        prefix: a.prefix,
        local_ptr,
        tftp_root,
        dhcp: None,
    };
    if let Some(n) = dhcp_el {
        ip.dhcp = Some(dhcp(r, n, Some(&ip)));
    }
    Some((ip, dhcp_el.map(|n| n.range().start)))
}

/// Whether an `<ip>`'s address and prefix describe a subnet a bridge can serve, as libvirt
/// requires: a unicast address (libvirt has no classful prefix for class D and E, and a
/// multicast bridge address is meaningless), a prefix other than 0 (`/0` would make every
/// address "inside" the network, so the firewall would masquerade and accept everything),
/// and, with `localPtr`, a prefix a reverse zone can be cut at.
fn subnet_ok(r: &mut Reader, el: Node, a: &Addressed, local_ptr: bool) -> bool {
    let what = "<ip>";
    let addr_at = attribute(el, "address").map_or(el.range().start, |x| x.range_value().start);
    let unusable = match a.address {
        IpAddr::V4(v4) => v4.is_unspecified() || u32::from(v4) >= 0xe000_0000,
        IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
    };
    if unusable {
        r.error(
            addr_at,
            format!(
                "address {} on {what} is not a unicast address a bridge can have (not 0.0.0.0, ::, multicast or class E)",
                a.address
            ),
        );
        return false;
    }
    if a.prefix == Some(0) {
        let at = attribute(el, "prefix").map_or(el.range().start, |x| x.range_value().start);
        let max = if a.address.is_ipv6() { 128 } else { 32 };
        r.error(
            at,
            format!("prefix 0 on {what} makes every address part of the network; give the subnet's length, 1 to {max}"),
        );
        return false;
    }
    let p = prefix_len_of(a.address, a.netmask, a.prefix);
    let (step, max) = if a.address.is_ipv6() {
        (4, 128)
    } else {
        (8, 32)
    };
    if local_ptr && (!p.is_multiple_of(step) || p >= max) {
        let at = attribute(el, "localPtr").map_or(el.range().start, |x| x.range_qname().start);
        r.error(
            at,
            format!(
                "localPtr needs a prefix below {max} that is a multiple of {step}, to cut a reverse zone at; this <ip> has /{p}"
            ),
        );
        return false;
    }
    true
}

/// libvirt's range rules (`virSocketAddrGetRange`): an IPv4 range may not start at the
/// network's own address or end at its broadcast address, and may span at most the last
/// two octets; an IPv6 range may differ only in its last 16 bits, which is also what
/// dnsmasq's lease count is computed from.
fn range_problem(ip: &NetIp, start: IpAddr, end: IpAddr) -> Option<String> {
    match (start, end, ip.network()) {
        (IpAddr::V4(s), IpAddr::V4(e), IpAddr::V4(net)) => {
            let p = u32::from(ip.prefix_len());
            if p < 31 {
                let broadcast = Ipv4Addr::from(u32::from(net) | !ipv4_mask(ip.prefix_len()));
                if s == net {
                    return Some(format!(
                        "DHCP range start {s} is the network's own address; start at {} or later",
                        Ipv4Addr::from(u32::from(net) + 1)
                    ));
                }
                if e == broadcast {
                    return Some(format!(
                        "DHCP range end {e} is the network's broadcast address; end at {} or earlier",
                        Ipv4Addr::from(u32::from(broadcast) - 1)
                    ));
                }
            }
            let (so, eo) = (s.octets(), e.octets());
            (so[..2] != eo[..2]).then(|| {
                format!("DHCP range {s} to {e} is too large: it may span at most the last two octets (65,535 addresses)")
            })
        }
        (IpAddr::V6(s), IpAddr::V6(e), _) => (u128::from(s) >> 16 != u128::from(e) >> 16).then(|| {
            format!("DHCP range {s} to {e} is too large: an IPv6 range may differ only in its last 16 bits")
        }),
        _ => None,
    }
}

/// `<dhcp>` of `ip`; with no `ip` (its `<ip>` was refused) only what needs no address is
/// checked.
fn dhcp(r: &mut Reader, el: Node, ip: Option<&NetIp>) -> NetDhcp {
    let what = "<dhcp>";
    r.check_attrs(el, what, &[]);
    let kids = r.children(el, what, &["range", "host", "bootp"], None);
    let mut d = NetDhcp::default();
    for n in named(&kids, "range") {
        if let Some(range) = dhcp_range(r, n, ip) {
            d.ranges.push(range);
        }
    }
    d.hosts = dhcp_hosts(r, &kids, ip);
    if let Some(n) = r.once(&kids, "bootp", what) {
        d.bootp = bootp(r, n, ip.is_some_and(NetIp::is_ipv6));
    }
    d
}

/// One `<dhcp><range>`: both ends inside `ip`'s subnet (when it is known), in order, and
/// a span dnsmasq can serve. `None` when something was reported.
fn dhcp_range(r: &mut Reader, n: Node, ip: Option<&NetIp>) -> Option<DhcpRange> {
    let what = "<range>";
    r.check_attrs(n, what, &["start", "end"]);
    let rk = r.children(n, what, &["lease"], None);
    let start = r.value(n, what, "start", parse_ip);
    let end = r.value(n, what, "end", parse_ip);
    let lease = r.once(&rk, "lease", what).and_then(|l| lease(r, l));
    let (Some(start), Some(end)) = (start, end) else {
        return None;
    };
    let mut ok = true;
    for (name, addr) in [("start", start), ("end", end)] {
        if let Some(ip) = ip.filter(|ip| !ip.contains(addr)) {
            let subnet = format!("{}/{}", ip.network(), ip.prefix_len());
            let at = attribute(n, name).map_or(n.range().start, |a| a.range_value().start);
            r.error(
                at,
                format!("DHCP range {name} {addr} is outside the <ip>'s subnet {subnet}"),
            );
            ok = false;
        }
    }
    if ok && start > end {
        r.error(
            n.range().start,
            format!("DHCP range start {start} is after its end {end}"),
        );
        ok = false;
    }
    if ok && let Some(why) = ip.and_then(|ip| range_problem(ip, start, end)) {
        r.error(n.range().start, why);
        ok = false;
    }
    ok.then_some(DhcpRange { start, end, lease })
}

/// The `<dhcp><host>`s among `kids` that have an address, each MAC, id and address given
/// to one host only: a repeat is refused (and left out), pointing at the first.
fn dhcp_hosts(r: &mut Reader, kids: &[Node], ip: Option<&NetIp>) -> Vec<DhcpHost> {
    let mut hosts = Vec::new();
    let mut macs: HashMap<MacAddr, usize> = HashMap::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut ips: HashMap<IpAddr, usize> = HashMap::new();
    for n in named(kids, "host") {
        let Some(host) = dhcp_host(r, n, ip, false) else {
            continue;
        };
        let (at, Some(addr)) = (n.range().start, host.ip) else {
            continue;
        };
        let mut dup = false;
        if let Some(mac) = host.mac {
            dup |= duplicate(r, &mut macs, mac, at, || format!("MAC address {mac}"));
        }
        if let Some(id) = &host.id {
            dup |= duplicate(r, &mut ids, id.as_str().to_owned(), at, || {
                format!("id {id}")
            });
        }
        dup |= duplicate(r, &mut ips, addr, at, || format!("address {addr}"));
        if !dup {
            hosts.push(host);
        }
    }
    hosts
}

/// `<dhcp><bootp>`, which dnsmasq serves for IPv4 only (`v6` says the `<ip>` is IPv6).
fn bootp(r: &mut Reader, n: Node, v6: bool) -> Option<Bootp> {
    let what = "<bootp>";
    r.check_attrs(n, what, &["file", "server"]);
    r.children(n, what, &[], None);
    if v6 {
        r.error(n.range().start, "<bootp> is for IPv4 only");
    }
    let file = r.value(n, what, "file", Text::parse_dnsmasq_value);
    let server = r.optional(n, what, "server", boot_server);
    let file = file.filter(|_| !v6)?;
    Some(Bootp { file, server })
}

/// One `<dhcp><host>` of the `<ip>` `ip` (when it is known): matched by mac (IPv4) or id
/// (IPv6) or name, its address inside the subnet. With `partial` (a host named for `net update
/// delete`), the address may be left out. `None` when something was reported.
pub(super) fn dhcp_host(
    r: &mut Reader,
    n: Node,
    ip: Option<&NetIp>,
    partial: bool,
) -> Option<DhcpHost> {
    let what = "<dhcp><host>";
    r.check_attrs(n, what, &["mac", "id", "name", "ip"]);
    let hk = r.children(n, what, &["lease"], None);
    let host = DhcpHost {
        mac: r.optional(n, what, "mac", MacAddr::parse),
        id: r.optional(n, what, "id", parse_duid),
        name: r.optional(n, what, "name", dhcp_host_name),
        ip: if partial {
            r.optional(n, what, "ip", parse_ip)
        } else {
            r.value(n, what, "ip", parse_ip)
        },
        lease: r.once(&hk, "lease", what).and_then(|l| lease(r, l)),
    };
    let v6 = ip.is_some_and(NetIp::is_ipv6);
    let v4 = ip.is_some_and(|ip| !ip.is_ipv6());
    let at = n.range().start;
    let given = |name| attribute(n, name).is_some();
    if v6 && given("mac") {
        r.error(
            at,
            "an IPv6 <dhcp><host> is matched by id (the client's DUID) or name; mac is for IPv4",
        );
        return None;
    }
    if v4 && given("id") {
        r.error(
            at,
            "an IPv4 <dhcp><host> is matched by mac or name; id (a DUID) is for IPv6",
        );
        return None;
    }
    if !given("mac") && !given("id") && !given("name") {
        let need = if v6 { "id or name" } else { "mac or name" };
        r.error(
            at,
            format!("<dhcp><host> needs a {need} to match the client by"),
        );
        return None;
    }
    if (given("mac") && host.mac.is_none())
        || (given("id") && host.id.is_none())
        || (given("name") && host.name.is_none())
        || (given("ip") && host.ip.is_none())
    {
        return None;
    }
    if let (Some(ip), Some(addr)) = (ip, host.ip)
        && !ip.contains(addr)
    {
        let at = attribute(n, "ip").map_or(at, |a| a.range_value().start);
        r.error(
            at,
            format!(
                "DHCP host address {addr} is outside the <ip>'s subnet {}/{}",
                ip.network(),
                ip.prefix_len()
            ),
        );
        return None;
    }
    Some(host)
}

/// A DHCP host's name. It becomes the last field of a `dhcp-host` line, and dnsmasq reads a
/// field by its shape before taking it for a name: digits with an optional `s`, `m`, `h`,
/// `d` or `w` are a lease time, `infinite` a lease time, `ignore` a flag that refuses the
/// client, a dotted quad an address. Quoting does not help (dnsmasq classifies the field
/// after unquoting), so such names are refused here rather than silently changing the
/// lease. libvirt lets them through.
fn dhcp_host_name(s: &str) -> Result<DnsName, ValueError> {
    let name = DnsName::parse(s)?;
    let digits = s.trim_end_matches(['s', 'm', 'h', 'd', 'w', 'S', 'M', 'H', 'D', 'W']);
    let lease_like = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && s.len() - digits.len() <= 1;
    let word = s.eq_ignore_ascii_case("infinite") || s.eq_ignore_ascii_case("ignore");
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(ValueError(
            "expected a host name starting with a letter or digit; dnsmasq refuses a DHCP host name that starts with '-' or '_', or is '.'".into(),
        ));
    }
    if lease_like || word || s.parse::<Ipv4Addr>().is_ok() {
        return Err(ValueError(format!(
            "expected a host name; dnsmasq would read '{s}' in a dhcp-host line as a lease time, the 'ignore' flag or an address"
        )));
    }
    Ok(name)
}

/// Records `key` for one `<dhcp><host>`; a second host with the same key is refused, since
/// dnsmasq would hand one client's address to another.
fn duplicate<K: std::hash::Hash + Eq>(
    r: &mut Reader,
    seen: &mut HashMap<K, usize>,
    key: K,
    at: usize,
    what: impl FnOnce() -> String,
) -> bool {
    !first_time(r, seen, key, at, || {
        format!("{} is given to two <dhcp><host> entries", what())
    })
}

/// A DHCPv6 DUID as libvirt writes it: colon-separated groups of one or two hex digits.
fn parse_duid(s: &str) -> Result<Text, ValueError> {
    let ok = s.split(':').count() >= 2
        && s.split(':')
            .all(|g| (1..=2).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok || s.len() > 390 {
        return Err(ValueError(
            "expected a DUID of colon-separated hex bytes like 0:3:0:1:0:16:3e:11:22:33".into(),
        ));
    }
    Text::parse(s)
}

/// The `<bootp server>`: a host name or an address.
fn boot_server(s: &str) -> Result<Text, ValueError> {
    if s.parse::<IpAddr>().is_ok() {
        return Text::parse(s);
    }
    DnsName::parse(s)
        .map_err(|_| ValueError("expected a host name or an IP address".into()))
        .and_then(|n| Text::parse(n.as_str()))
}

/// `<lease expiry unit>`: 0 is infinite, otherwise at least two minutes (dnsmasq's minimum).
fn lease(r: &mut Reader, el: Node) -> Option<Lease> {
    let what = "<lease>";
    r.check_attrs(el, what, &["expiry", "unit"]);
    r.children(el, what, &[], None);
    let expiry = r.value(el, what, "expiry", |s| {
        s.parse::<u64>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| ValueError("expected a whole number of the unit".into()))
    });
    let unit = r.optional(el, what, "unit", LeaseUnit::parse);
    if attribute(el, "unit").is_some() && unit.is_none() {
        return None;
    }
    let expiry = expiry?;
    let factor = match unit.unwrap_or(LeaseUnit::Minutes) {
        LeaseUnit::Seconds => 1,
        LeaseUnit::Minutes => 60,
        LeaseUnit::Hours => 3600,
    };
    if expiry > 0 && expiry.saturating_mul(factor) < 120 {
        r.error(
            el.range().start,
            "a DHCP lease must last at least 2 minutes (120 seconds), or be 0 for infinite",
        );
        return None;
    }
    Some(Lease { expiry, unit })
}

/// `<route>`, with the position of its gateway for the reachability check.
pub(super) fn route(r: &mut Reader, el: Node) -> Option<(NetRoute, usize)> {
    let what = "<route>";
    r.check_attrs(
        el,
        what,
        &[
            "family", "address", "netmask", "prefix", "gateway", "metric",
        ],
    );
    r.children(el, what, &[], None);
    let a = addressed(r, el, what);
    let gateway = r.value(el, what, "gateway", parse_ip);
    let metric = r.optional(el, what, "metric", |s| match parse_u32(s) {
        Ok(0) => Err(ValueError("expected a metric of 1 or more".into())),
        other => other,
    });
    let gw_at = attribute(el, "gateway").map_or(el.range().start, |a| a.range_value().start);
    let (a, gateway) = (a?, gateway?);
    if a.address.is_ipv6() != gateway.is_ipv6() {
        r.error(
            gw_at,
            format!(
                "gateway {gateway} of <route> is not of the same family as its address {}",
                a.address
            ),
        );
        return None;
    }
    let route = NetRoute {
        family: a.family,
        address: a.address,
        netmask: a.netmask,
        prefix: a.prefix,
        gateway,
        metric,
    };
    let prefix = route.prefix_len();
    let base = masked(route.address, prefix);
    if base != route.address {
        r.error(
            el.range().start,
            format!(
                "<route> address {} has host bits set for prefix {prefix}; the network is {base}",
                route.address
            ),
        );
        return None;
    }
    Some((route, gw_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks_must_be_contiguous_and_duids_hex_pairs() {
        assert!(parse_netmask("255.255.255.0").is_ok());
        assert!(parse_netmask("0.0.0.0").is_ok());
        for bad in ["255.0.255.0", "255.255.255.1", "fd00::", "x"] {
            assert!(parse_netmask(bad).is_err(), "{bad}");
        }
        assert!(parse_duid("0:3:0:1:0:16:3e:11:22:33").is_ok());
        for bad in ["", "0", "0:3:zz", "0:123", "0:3,dhcp-script=/x", "0:3\n"] {
            assert!(parse_duid(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subnets_compare_by_prefix_and_family() {
        let same_subnet = |a: IpAddr, b: IpAddr, prefix: u8| {
            NetIp {
                family: None,
                address: a,
                netmask: None,
                prefix: Some(prefix),
                local_ptr: None,
                tftp_root: None,
                dhcp: None,
            }
            .contains(b)
        };
        let a: IpAddr = "192.168.122.1".parse().unwrap();
        assert!(same_subnet(a, "192.168.122.254".parse().unwrap(), 24));
        assert!(!same_subnet(a, "192.168.123.1".parse().unwrap(), 24));
        assert!(same_subnet(a, "10.0.0.1".parse().unwrap(), 0));
        assert!(!same_subnet(a, "::1".parse().unwrap(), 0));
        let b: IpAddr = "2001:db8:ac10:fd01::1".parse().unwrap();
        assert!(same_subnet(
            b,
            "2001:db8:ac10:fd01::1:24".parse().unwrap(),
            64
        ));
        assert!(!same_subnet(
            b,
            "2001:db8:ac10:fc00::1".parse().unwrap(),
            64
        ));
    }
}
