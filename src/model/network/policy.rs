//! What the founding virtual-network design adds to a network in netloom's namespace: a
//! forwarding policy (`<nl:forwarding>`: which connections may come in to a guest and which
//! may go out) and a cross-host link (`<nl:listen>` and `<nl:connections>`: the same network
//! on other hosts, joined through a VXLAN device on the bridge).

use std::fmt;
use std::net::IpAddr;

use super::super::{ValueError, keywords};
use super::DnsName;

keywords! {
    /// What happens to a connection no rule names, and what a rule does.
    Verdict {
        /// Let it through.
        Allow = "allow",
        /// Refuse it.
        Deny = "deny",
    }
}

keywords! {
    /// The transport protocol a forwarding rule matches (`protocol`, default tcp).
    L4Proto {
        /// TCP.
        Tcp = "tcp",
        /// UDP.
        Udp = "udp",
        /// SCTP.
        Sctp = "sctp",
    }
}

/// A port or an inclusive range of ports, `123` or `1000-1010`, each 1 to 65535 and the
/// range not reversed. Only digits and one `-` are read, so it is a number wherever it is
/// written (a firewall rule, a message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    /// The first port.
    pub first: u16,
    /// The last port (equal to `first` for one port).
    pub last: u16,
}

impl PortRange {
    /// One port.
    pub fn one(port: u16) -> Self {
        Self {
            first: port,
            last: port,
        }
    }

    /// Reads `PORT` or `FIRST-LAST`.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match s.split_once('-') {
            None => Ok(Self::one(port(s)?)),
            Some((a, b)) => {
                let (first, last) = (port(a)?, port(b)?);
                if first > last {
                    return Err(ValueError(format!(
                        "expected a port range with its first port not above its last; \
                         {first}-{last} is reversed"
                    )));
                }
                Ok(Self { first, last })
            }
        }
    }

    /// Whether this is a range of more than one port.
    pub fn is_range(&self) -> bool {
        self.first != self.last
    }

    /// Whether two ranges share a port.
    pub fn overlaps(&self, other: &PortRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

/// One port number, 1 to 65535, written in decimal digits only.
pub fn port(s: &str) -> Result<u16, ValueError> {
    let what = "expected a port number from 1 to 65535";
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError(what.into()));
    }
    match s.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(ValueError(format!("{what}; {s} is out of range"))),
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_range() {
            write!(f, "{}-{}", self.first, self.last)
        } else {
            write!(f, "{}", self.first)
        }
    }
}

/// `<nl:forwarding enabled>`: the policy of a nat or route network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Forwarding {
    /// `enabled`; `Some(false)` keeps the policy written but renders none of it.
    pub enabled: Option<bool>,
    /// `<nl:incoming>`.
    pub incoming: Option<Incoming>,
    /// `<nl:outgoing>`.
    pub outgoing: Option<Outgoing>,
}

impl Forwarding {
    /// Whether the policy takes effect.
    pub fn is_enabled(&self) -> bool {
        self.enabled != Some(false)
    }
}

/// `<nl:incoming default>`: connections from outside to the guests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Incoming {
    /// `default`: absent keeps the forward mode's own (nat lets nothing in, route lets
    /// everything in); `deny` on a route network lets in only replies and the allowed.
    pub default: Option<Verdict>,
    /// `<nl:allow>` elements, in order.
    pub allows: Vec<IncomingAllow>,
}

/// Where an incoming rule sends its connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guest {
    /// `domain`: the guest whose `<dhcp><host name>` this is; its `ip` is the address.
    Domain(DnsName),
    /// `address`: the guest's address, inside one of the network's subnets.
    Address(IpAddr),
}

/// `<nl:allow port protocol domain|address destport>`: connections to the host's `port`
/// are sent on to the guest's `destport` (the same port when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingAllow {
    /// `port`: on the host.
    pub port: PortRange,
    /// `protocol`; tcp when absent.
    pub protocol: Option<L4Proto>,
    /// `domain` or `address`.
    pub guest: Guest,
    /// `destport`: on the guest; only for a single `port`.
    pub destport: Option<u16>,
}

impl IncomingAllow {
    /// The protocol, tcp when not given.
    pub fn proto(&self) -> L4Proto {
        self.protocol.unwrap_or(L4Proto::Tcp)
    }

    /// The guest's ports: `destport`, else the host's own.
    pub fn guest_ports(&self) -> PortRange {
        self.destport.map_or(self.port, PortRange::one)
    }
}

/// `<nl:outgoing default>`: connections the guests open to the outside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outgoing {
    /// `default`; allow when absent (today's behaviour).
    pub default: Option<Verdict>,
    /// `<nl:allow>` and `<nl:deny>` elements, in order.
    pub rules: Vec<OutgoingRule>,
}

impl Outgoing {
    /// The default, allow when not given.
    pub fn default_verdict(&self) -> Verdict {
        self.default.unwrap_or(Verdict::Allow)
    }
}

/// `<nl:deny port protocol/>` or `<nl:allow …/>` inside `<nl:outgoing>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRule {
    /// Which element it is.
    pub verdict: Verdict,
    /// `port`: the destination port or range.
    pub port: PortRange,
    /// `protocol`; tcp when absent.
    pub protocol: Option<L4Proto>,
}

impl OutgoingRule {
    /// The protocol, tcp when not given.
    pub fn proto(&self) -> L4Proto {
        self.protocol.unwrap_or(L4Proto::Tcp)
    }
}

/// The VXLAN port IANA assigned, and the kernel's default when none is given.
pub const VXLAN_PORT: u16 = 4789;

/// `<nl:listen address port vni>`: where this host's end of a cross-host network receives
/// the other hosts' VXLAN traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// `address`: one of this host's addresses, the source of what it sends.
    pub address: IpAddr,
    /// `port`: the UDP port; [`VXLAN_PORT`] when absent.
    pub port: Option<u16>,
    /// `vni`: the VXLAN network identifier; derived from the network's UUID when absent.
    pub vni: Option<Vni>,
}

/// A VXLAN network identifier: 24 bits, 1 to 16777215.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vni(u32);

impl Vni {
    /// The largest identifier.
    pub const MAX: u32 = (1 << 24) - 1;

    /// Reads a decimal identifier.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let what = format!(
            "expected a VXLAN network identifier from 1 to {}",
            Self::MAX
        );
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError(what));
        }
        match s.parse::<u32>() {
            Ok(n @ 1..=Self::MAX) => Ok(Self(n)),
            _ => Err(ValueError(format!("{what}; {s} is out of range"))),
        }
    }

    /// The identifier a network gets when it names none: from a SHA-1 of its UUID, so the
    /// same definition on every host agrees without anyone picking numbers.
    pub fn derived(uuid: crate::model::Uuid) -> Self {
        let mut h = sha1_smol::Sha1::new();
        h.update(b"netloom vxlan vni\0");
        h.update(&uuid.bytes());
        let d = h.digest().bytes();
        let n = u32::from_be_bytes([0, d[0], d[1], d[2]]);
        Self(n.max(1))
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Vni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What DHCP a peer serves on the shared segment, as this host's definition says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerDhcp {
    /// `dhcp='none'`: the peer serves no DHCP.
    None,
    /// `dhcp='START-END'`: the peer hands out addresses from this range.
    Range(IpAddr, IpAddr),
}

impl PeerDhcp {
    /// Reads `none` or `START-END` (two addresses of one family, not reversed).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let what = "expected 'none' or the peer's DHCP range as START-END";
        if s == "none" {
            return Ok(PeerDhcp::None);
        }
        let (a, b) = s.split_once('-').ok_or_else(|| ValueError(what.into()))?;
        let (Ok(a), Ok(b)) = (a.parse::<IpAddr>(), b.parse::<IpAddr>()) else {
            return Err(ValueError(format!("{what}, with two IP addresses")));
        };
        if a.is_ipv4() != b.is_ipv4() || a > b {
            return Err(ValueError(format!(
                "{what}, both addresses of one family and the start not above the end"
            )));
        }
        Ok(PeerDhcp::Range(a, b))
    }
}

impl fmt::Display for PeerDhcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerDhcp::None => f.write_str("none"),
            PeerDhcp::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// `<nl:connection address port dhcp>`: another host with the same network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// `address`: where that host listens.
    pub address: IpAddr,
    /// `port`: its UDP port; [`VXLAN_PORT`] when absent.
    pub port: Option<u16>,
    /// `dhcp`: what DHCP it serves, which a host that serves DHCP itself must say.
    pub dhcp: Option<PeerDhcp>,
}

impl Peer {
    /// The UDP port.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(VXLAN_PORT)
    }
}

/// A cross-host network: this host's end and the other hosts'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossHost {
    /// `<nl:listen>`.
    pub listen: Listen,
    /// `<nl:connections>`: the peers, in order.
    pub peers: Vec<Peer>,
}

impl CrossHost {
    /// The UDP port this host listens on.
    pub fn port(&self) -> u16 {
        self.listen.port.unwrap_or(VXLAN_PORT)
    }

    /// The bytes VXLAN adds to each frame over this underlay: 50 over IPv4, 70 over IPv6.
    pub fn overhead(&self) -> u32 {
        if self.listen.address.is_ipv6() {
            70
        } else {
            50
        }
    }

    /// The name of the VXLAN device: `nlvx` and the VNI in hex, within the 15 bytes of a
    /// device name, and the same on every host of the network.
    pub fn device(&self, vni: Vni) -> String {
        format!("nlvx{:06x}", vni.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_ranges_are_numbers_in_range_and_not_reversed() {
        assert_eq!(PortRange::parse("123").unwrap(), PortRange::one(123));
        let r = PortRange::parse("1000-1010").unwrap();
        assert_eq!(
            (r.first, r.last, r.to_string()),
            (1000, 1010, "1000-1010".into())
        );
        for bad in [
            "0", "65536", "", "-1", "1-", "+5", "1 ", "5-4", "a", "1-2-3",
        ] {
            assert!(PortRange::parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            PortRange::parse("20-10")
                .unwrap_err()
                .0
                .contains("20-10 is reversed")
        );
        assert!(
            PortRange::parse("1-3")
                .unwrap()
                .overlaps(&PortRange::one(3))
        );
        assert!(
            !PortRange::parse("1-3")
                .unwrap()
                .overlaps(&PortRange::one(4))
        );
    }

    #[test]
    fn a_vni_is_24_bits_and_derived_the_same_from_the_same_uuid() {
        assert!(Vni::parse("16777215").is_ok());
        for bad in ["0", "16777216", "x", ""] {
            assert!(Vni::parse(bad).is_err(), "{bad:?}");
        }
        let u = crate::model::Uuid::derived("network", "a");
        let v = crate::model::Uuid::derived("network", "b");
        assert_eq!(Vni::derived(u), Vni::derived(u));
        assert_ne!(Vni::derived(u), Vni::derived(v));
        assert!(Vni::derived(u).get() <= Vni::MAX);
    }

    #[test]
    fn a_peer_dhcp_is_none_or_an_ordered_range_of_one_family() {
        assert_eq!(PeerDhcp::parse("none").unwrap(), PeerDhcp::None);
        let r = PeerDhcp::parse("10.0.0.10-10.0.0.20").unwrap();
        assert_eq!(r.to_string(), "10.0.0.10-10.0.0.20");
        for bad in ["", "10.0.0.20-10.0.0.10", "10.0.0.1-::1", "x-y", "10.0.0.1"] {
            assert!(PeerDhcp::parse(bad).is_err(), "{bad:?}");
        }
    }
}
