//! Static routes, DNS servers and search domains of a protocol: what every peer (netplan,
//! nmstate, nmcli, Ansible's network role) declares and libvirt's interface schema has no
//! place for, held in netloom's namespace (`<nl:route>`, `<nl:dns>`, `<nl:search>`).
//!
//! Every value is typed, so nothing free-form reaches a file bash sources (ifcfg) or a line
//! `/bin/sh` runs (Debian's `up ip route add …`): addresses, prefix lengths and numbers, and
//! domain names checked letter by letter.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::ValueError;
use super::common::{parse_host_ipv4, parse_host_ipv6, parse_uint};

/// What a route needs of an address family: its width, its text, and the kernel's rules.
pub trait RouteFamily: Copy + Eq + Ord + Hash + fmt::Display + fmt::Debug {
    /// The widest prefix: 32 or 128.
    const MAX_PREFIX: u8;
    /// `ipv4` or `ipv6`, as `<protocol family>` says it.
    const FAMILY: &'static str;
    /// The metric the kernel gives a route added without one (IPv6 turns 0 into 1024).
    const KERNEL_METRIC: u32;
    /// A destination of the family, for messages.
    const EXAMPLE: &'static str;
    /// The address as a number, left-aligned in 128 bits, for prefix arithmetic.
    fn bits(self) -> u128;
    /// The address of a number made by [`RouteFamily::bits`].
    fn from_bits(bits: u128) -> Self;
    /// Reads an address any text spells (dotted quad, RFC 4291), without the rules of a
    /// host's address: a destination may be a network, a multicast range or the default.
    fn parse_any(s: &str) -> Result<Self, ValueError>;
    /// Reads an address a host or gateway can have (see [`parse_host_ipv4`]).
    fn parse_host(s: &str) -> Result<Self, ValueError>;
    /// Whether the address is on-link by definition (IPv6's link-local `fe80::/10`).
    fn is_link_local(self) -> bool;
}

impl RouteFamily for Ipv4Addr {
    const MAX_PREFIX: u8 = 32;
    const FAMILY: &'static str = "ipv4";
    const KERNEL_METRIC: u32 = 0;
    const EXAMPLE: &'static str = "10.10.0.0/16";

    fn bits(self) -> u128 {
        u128::from(u32::from(self)) << 96
    }

    fn from_bits(bits: u128) -> Self {
        Ipv4Addr::from((bits >> 96) as u32)
    }

    fn parse_any(s: &str) -> Result<Self, ValueError> {
        s.parse()
            .map_err(|_| ValueError("expected an IPv4 address like 192.0.2.0".into()))
    }

    fn parse_host(s: &str) -> Result<Self, ValueError> {
        parse_host_ipv4(s)
    }

    fn is_link_local(self) -> bool {
        false
    }
}

impl RouteFamily for Ipv6Addr {
    const MAX_PREFIX: u8 = 128;
    const FAMILY: &'static str = "ipv6";
    const KERNEL_METRIC: u32 = 1024;
    const EXAMPLE: &'static str = "2001:db8:10::/48";

    fn bits(self) -> u128 {
        u128::from(self)
    }

    fn from_bits(bits: u128) -> Self {
        Ipv6Addr::from(bits)
    }

    fn parse_any(s: &str) -> Result<Self, ValueError> {
        s.parse()
            .map_err(|_| ValueError("expected an IPv6 address like 2001:db8::".into()))
    }

    fn parse_host(s: &str) -> Result<Self, ValueError> {
        parse_host_ipv6(s)
    }

    fn is_link_local(self) -> bool {
        self.segments()[0] & 0xffc0 == 0xfe80
    }
}

/// The mask of a prefix length, left-aligned in 128 bits.
fn mask(prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p => u128::MAX << (128 - u32::from(p.min(128))),
    }
}

/// A route's destination: a network address and its prefix length, `0.0.0.0/0` for the
/// default. The address has no bits set past the prefix: `ip route add 10.1.2.3/16`
/// refuses such a destination while NetworkManager silently clears the bits, so one written
/// that way has no one meaning and is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Destination<A> {
    address: A,
    prefix: u8,
}

impl<A: RouteFamily> Destination<A> {
    /// A destination from its parts, refused when the prefix is too long or the address has
    /// host bits set.
    pub fn new(address: A, prefix: u8) -> Result<Self, ValueError> {
        if prefix > A::MAX_PREFIX {
            return Err(ValueError(format!(
                "expected a prefix length from 0 to {}",
                A::MAX_PREFIX
            )));
        }
        let network = A::from_bits(address.bits() & mask(prefix));
        if network != address {
            return Err(ValueError(format!(
                "expected a network address: {address}/{prefix} has bits set past its prefix, \
                 its network is {network}/{prefix}"
            )));
        }
        Ok(Self { address, prefix })
    }

    /// Reads `A/P` (`P` from 0 to the family's widest).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let (address, prefix) = s.split_once('/').ok_or_else(|| {
            ValueError(format!(
                "expected a network and its prefix, like {}",
                A::EXAMPLE
            ))
        })?;
        Self::new(A::parse_any(address)?, Self::parse_prefix(prefix)?)
    }

    /// Reads a prefix length from 0 to the family's widest.
    pub fn parse_prefix(s: &str) -> Result<u8, ValueError> {
        match parse_uint(s) {
            Some(p) if p <= u32::from(A::MAX_PREFIX) => Ok(p as u8),
            _ => Err(ValueError(format!(
                "expected a prefix length from 0 to {}",
                A::MAX_PREFIX
            ))),
        }
    }

    /// The network address.
    pub fn address(&self) -> A {
        self.address
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether this is the default route's destination (`/0`).
    pub fn is_default(&self) -> bool {
        self.prefix == 0
    }

    /// Whether `address` is inside this network.
    pub fn contains(&self, address: A) -> bool {
        address.bits() & mask(self.prefix) == self.address.bits()
    }

    /// The network an interface address and its prefix are in.
    pub fn of(address: A, prefix: u8) -> Self {
        let prefix = prefix.min(A::MAX_PREFIX);
        Self {
            address: A::from_bits(address.bits() & mask(prefix)),
            prefix,
        }
    }
}

impl<A: fmt::Display> fmt::Display for Destination<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// A routing table: 1 to 4294967295. Table 0 is no table (NetworkManager reads it as "the
/// profile's", the kernel as main), so it is refused rather than given a meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteTable(u32);

impl RouteTable {
    /// The kernel's main table, where a route without a table goes.
    pub const MAIN: u32 = 254;

    /// Reads a table number.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match parse_uint(s) {
            Some(t) if t > 0 => Ok(Self(t)),
            _ => Err(ValueError(format!(
                "expected a table number from 1 to {} (leave the attribute out for the main \
                 table)",
                u32::MAX
            ))),
        }
    }

    /// The table number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Reads a route metric: 0 to 4294967295, except 0 for IPv6, which the kernel stores as 1024
/// (so the route read back would not be the one declared).
pub fn parse_metric<A: RouteFamily>(s: &str) -> Result<u32, ValueError> {
    let metric = parse_uint(s)
        .ok_or_else(|| ValueError(format!("expected a whole number from 0 to {}", u32::MAX)))?;
    if metric == 0 && A::KERNEL_METRIC != 0 {
        return Err(ValueError(format!(
            "expected a metric from 1 to {}: the kernel stores an IPv6 route's metric 0 as {}",
            u32::MAX,
            A::KERNEL_METRIC
        )));
    }
    Ok(metric)
}

/// `<nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.254' source='…'
/// metric='100' table='200'/>`: a static route through the interface. Without a gateway the
/// destination is on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route<A> {
    /// Where the route leads.
    pub destination: Destination<A>,
    /// The next hop; `None` for a network on the link itself.
    pub gateway: Option<A>,
    /// The source address the kernel prefers for traffic on this route (`ip route … src`).
    pub source: Option<A>,
    /// The route's metric; `None` leaves it to the tool (the kernel's 0 or 1024,
    /// NetworkManager's per-device default).
    pub metric: Option<u32>,
    /// The routing table; `None` is the main table.
    pub table: Option<RouteTable>,
}

/// An IPv4 static route.
pub type Ipv4Route = Route<Ipv4Addr>;
/// An IPv6 static route.
pub type Ipv6Route = Route<Ipv6Addr>;

/// A route as the kernel tells routes apart: its table, destination and metric. Two routes
/// with the same key cannot both be added (`ip route add` says "File exists"), and a route
/// read back from a running system is found by it. Missing parts are the kernel's: the
/// main table, and the metric `ip route add` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteKey<A> {
    /// The table number (254 for main).
    pub table: u32,
    /// Where the route leads.
    pub destination: Destination<A>,
    /// The metric, the kernel's default filled in.
    pub metric: u32,
}

impl<A: RouteFamily> Route<A> {
    /// The kernel's key of this route.
    pub fn key(&self) -> RouteKey<A> {
        RouteKey {
            table: self.table.map_or(RouteTable::MAIN, RouteTable::get),
            destination: self.destination,
            metric: self.metric.unwrap_or(A::KERNEL_METRIC),
        }
    }

    /// Whether the route is in the main table (no table, or 254 said).
    pub fn in_main_table(&self) -> bool {
        self.table.is_none_or(|t| t.get() == RouteTable::MAIN)
    }

    /// Whether the route is in `table` (`None` is main), counting 254 as main.
    pub fn in_table(&self, table: Option<RouteTable>) -> bool {
        let number = |t: Option<RouteTable>| t.map_or(RouteTable::MAIN, RouteTable::get);
        number(self.table) == number(table)
    }
}

impl<A: fmt::Display> fmt::Display for Route<A> {
    /// The route as `ip route` arguments, without the device: `10.10.0.0/16 via
    /// 192.0.2.254 metric 100 src 192.0.2.10 table 200`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.destination)?;
        if let Some(gw) = &self.gateway {
            write!(f, " via {gw}")?;
        }
        if let Some(m) = self.metric {
            write!(f, " metric {m}")?;
        }
        if let Some(s) = &self.source {
            write!(f, " src {s}")?;
        }
        if let Some(t) = self.table {
            write!(f, " table {t}")?;
        }
        Ok(())
    }
}

/// Why a route cannot follow the routes before it on an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteProblem {
    /// The main table's default route, which `<route gateway>` declares.
    MainDefault,
    /// The kernel's key of the `first`-th route accepted (see [`RouteKey`]).
    Duplicate {
        /// Which route accepted before has the same key, counted from 0.
        first: usize,
    },
    /// The gateway is on none of the interface's networks and inside no on-link route
    /// before it: the kernel refuses the route ("Nexthop has invalid gateway").
    Unreachable,
}

/// The routes of one protocol checked as they are added, in order, the way the kernel takes
/// them: every reader of routes (the XML, each backend's import) holds them to the same
/// rules. Linear: keys are hashed, and a gateway is looked up in the interface's networks
/// before the on-link routes.
#[derive(Debug)]
pub struct RouteCheck<A> {
    networks: Vec<Destination<A>>,
    dynamic: bool,
    keys: HashMap<RouteKey<A>, usize>,
    onlink: Vec<Route<A>>,
}

impl<A: RouteFamily> RouteCheck<A> {
    /// A check for an interface whose static addresses are on `networks` and that gets
    /// others when the link is up (`dynamic`: DHCP, IPv6 autoconf), which the kernel then
    /// checks gateways against instead.
    pub fn new(networks: Vec<Destination<A>>, dynamic: bool) -> Self {
        Self {
            networks,
            dynamic,
            keys: HashMap::new(),
            onlink: Vec::new(),
        }
    }

    /// The interface's static networks.
    pub fn networks(&self) -> &[Destination<A>] {
        &self.networks
    }

    /// Takes `route` after those taken before, or says why the kernel would not.
    pub fn accept(&mut self, route: &Route<A>) -> Result<(), RouteProblem> {
        if route.destination.is_default() && route.in_main_table() {
            return Err(RouteProblem::MainDefault);
        }
        if let Some(&first) = self.keys.get(&route.key()) {
            return Err(RouteProblem::Duplicate { first });
        }
        if let Some(gw) = route.gateway
            && !self.dynamic
            && !self.reachable(gw, route)
        {
            return Err(RouteProblem::Unreachable);
        }
        self.keys.insert(route.key(), self.keys.len());
        if route.gateway.is_none() {
            self.onlink.push(*route);
        }
        Ok(())
    }

    /// Whether the kernel reaches `gw` through the interface when `route` is added: it is
    /// link-local (IPv6), on one of the interface's networks, or inside an on-link route
    /// taken before, in the route's table or the main one.
    fn reachable(&self, gw: A, route: &Route<A>) -> bool {
        gw.is_link_local()
            || self.networks.iter().any(|n| n.contains(gw))
            || self.onlink.iter().any(|b| {
                b.destination.contains(gw) && (b.in_main_table() || b.in_table(route.table))
            })
    }
}

/// A DNS search domain: letters, digits and hyphens in labels of 1 to 63 characters, no
/// label starting or ending with a hyphen, at most 253 characters, the last label not all
/// digits (that would be an address), without a trailing dot. Strict, because it is written
/// into a file bash sources (`DOMAIN=`), a line resolvconf's hook splits (`dns-search`) and
/// a keyfile list: nothing else has a meaning in a hostname (RFC 1123), and nothing else
/// reaches them. Case is kept as written; two spellings of one name are one domain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainName(String);

/// The longest domain name DNS carries, in text form without the trailing dot.
pub const MAX_DOMAIN_BYTES: usize = 253;

impl DomainName {
    /// Checks a name against the rules above.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let what = "expected a domain name like example.com: labels of letters, digits and \
                    '-' separated by dots";
        if s.is_empty() {
            return Err(ValueError(what.to_owned()));
        }
        if s.len() > MAX_DOMAIN_BYTES {
            return Err(ValueError(format!(
                "{what}, at most {MAX_DOMAIN_BYTES} characters; this one is {}",
                s.len()
            )));
        }
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
        {
            return Err(ValueError(format!("{what}; {c:?} is not allowed")));
        }
        for label in s.split('.') {
            if label.is_empty() {
                return Err(ValueError(format!("{what}; a label is empty")));
            }
            if label.len() > 63 {
                return Err(ValueError(format!(
                    "{what}; a label is at most 63 characters"
                )));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(ValueError(format!(
                    "{what}; a label cannot start or end with '-'"
                )));
            }
        }
        if s.rsplit('.')
            .next()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(ValueError(format!(
                "{what}; the last label cannot be all digits"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two names are the same domain (DNS compares names without regard to case).
    pub fn same(&self, other: &DomainName) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// The name in lower case: equal for two names of one domain, to hash them.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_networks_with_a_prefix_of_their_family() {
        let d = Destination::<Ipv4Addr>::parse("10.10.0.0/16").unwrap();
        assert_eq!((d.address(), d.prefix()), (Ipv4Addr::new(10, 10, 0, 0), 16));
        assert!(d.contains(Ipv4Addr::new(10, 10, 200, 1)));
        assert!(!d.contains(Ipv4Addr::new(10, 11, 0, 1)));
        assert!(
            Destination::<Ipv4Addr>::parse("0.0.0.0/0")
                .unwrap()
                .is_default()
        );
        for bad in [
            "10.10.0.1/16",
            "10.10.0.0/33",
            "10.10.0.0",
            "10.10.0.0/",
            "10.10.0.0/+1",
            "010.0.0.0/8",
            "2001:db8::/32",
        ] {
            assert!(Destination::<Ipv4Addr>::parse(bad).is_err(), "{bad}");
        }
        let e = Destination::<Ipv4Addr>::parse("10.10.0.1/16").unwrap_err();
        assert!(e.0.contains("its network is 10.10.0.0/16"), "{e}");
        let d6 = Destination::<Ipv6Addr>::parse("2001:db8:10::/48").unwrap();
        assert!(d6.contains("2001:db8:10:ffff::1".parse().unwrap()));
        assert!(Destination::<Ipv6Addr>::parse("2001:db8::1/64").is_err());
        assert!(Destination::<Ipv6Addr>::parse("::/129").is_err());
        assert_eq!(
            Destination::of(Ipv4Addr::new(192, 0, 2, 10), 24).to_string(),
            "192.0.2.0/24"
        );
    }

    #[test]
    fn tables_and_metrics_are_numbers_the_kernel_keeps() {
        assert_eq!(RouteTable::parse("200").unwrap().get(), 200);
        for bad in ["0", "-1", "main", "4294967296", ""] {
            assert!(RouteTable::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_metric::<Ipv4Addr>("0"), Ok(0));
        assert!(parse_metric::<Ipv6Addr>("0").is_err());
        assert_eq!(parse_metric::<Ipv6Addr>("1024"), Ok(1024));
        assert!(parse_metric::<Ipv4Addr>("1e3").is_err());
    }

    #[test]
    fn a_route_key_fills_in_the_kernels_table_and_metric() {
        let d = Destination::<Ipv6Addr>::parse("2001:db8:10::/48").unwrap();
        let bare = Route {
            destination: d,
            gateway: None,
            source: None,
            metric: None,
            table: None,
        };
        let said = Route {
            metric: Some(1024),
            table: Some(RouteTable(254)),
            ..bare
        };
        assert_eq!(bare.key(), said.key());
        assert!(bare.in_main_table() && said.in_main_table());
        let other = Route {
            table: Some(RouteTable(200)),
            ..bare
        };
        assert_ne!(bare.key(), other.key());
        assert!(
            other.key() < bare.key(),
            "ordered by table number first, main is 254"
        );
        let full = Route {
            gateway: Some("2001:db8::fffe".parse().unwrap()),
            source: Some("2001:db8::10".parse().unwrap()),
            metric: Some(100),
            ..other
        };
        assert_eq!(
            full.to_string(),
            "2001:db8:10::/48 via 2001:db8::fffe metric 100 src 2001:db8::10 table 200"
        );
    }

    #[test]
    fn link_local_is_ipv6_fe80_slash_10() {
        assert!("fe80::1".parse::<Ipv6Addr>().unwrap().is_link_local());
        assert!("febf::1".parse::<Ipv6Addr>().unwrap().is_link_local());
        assert!(!"fec0::1".parse::<Ipv6Addr>().unwrap().is_link_local());
        assert!(!Ipv4Addr::new(169, 254, 0, 1).is_link_local());
    }

    #[test]
    fn domain_names_are_hostname_labels_and_nothing_else() {
        for ok in [
            "example.com",
            "lan",
            "a-b.example",
            "xn--bcher-kva.example",
            "EXAMPLE.test",
        ] {
            assert!(DomainName::parse(ok).is_ok(), "{ok}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        for bad in [
            "",
            ".",
            "example.com.",
            ".example.com",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b",
            "a;reboot",
            "$(reboot)",
            "`id`",
            "a\nb",
            "é.com",
            "1.2.3.4",
            "~.",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?}");
        }
        let a = DomainName::parse("Example.COM").unwrap();
        assert!(a.same(&DomainName::parse("example.com").unwrap()));
        assert_eq!(a.to_string(), "Example.COM");
    }
}
