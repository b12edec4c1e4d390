//! `<ip>` with its DHCP service, and `<route>`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::{MacAddr, keywords};
use super::{DnsName, Text};

keywords! {
    /// `family` of an `<ip>` or `<route>`.
    IpFamily {
        /// IPv4.
        Ipv4 = "ipv4",
        /// IPv6.
        Ipv6 = "ipv6",
    }
}

/// One `<ip>`: an address of the network's bridge, and what is served on its subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetIp {
    /// `family` as written (printed back only when given); the address decides the real one.
    pub family: Option<IpFamily>,
    /// `address`.
    pub address: IpAddr,
    /// `netmask` (IPv4 only).
    pub netmask: Option<Ipv4Addr>,
    /// `prefix`.
    pub prefix: Option<u8>,
    /// `localPtr='yes'`: answer reverse lookups for the subnet locally.
    pub local_ptr: Option<bool>,
    /// `<tftp root>` (IPv4 only).
    pub tftp_root: Option<Text>,
    /// `<dhcp>`.
    pub dhcp: Option<NetDhcp>,
}

/// The prefix length libvirt gives an address (`virSocketAddrGetIPPrefix`): `prefix`, else
/// the netmask's bits, else the classful default for IPv4 (A = 8, B = 16, C = 24) and 64 for
/// IPv6. `<ip>` and `<route>` share the rule, so it lives here once.
pub fn prefix_len_of(address: IpAddr, netmask: Option<Ipv4Addr>, prefix: Option<u8>) -> u8 {
    if let Some(p) = prefix {
        return p;
    }
    if let Some(m) = netmask {
        return u32::from(m).count_ones() as u8;
    }
    match address {
        IpAddr::V4(a) => match a.octets()[0] {
            0..=127 => 8,
            128..=191 => 16,
            _ => 24,
        },
        IpAddr::V6(_) => 64,
    }
}

/// `addr` with every bit after the first `prefix` cleared: the first address of its subnet.
pub fn masked(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & ipv4_mask(prefix))),
        IpAddr::V6(a) => {
            let p = u32::from(prefix.min(128));
            let mask = u128::MAX.checked_shl(128 - p).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

/// An IPv4 prefix as a mask of one bits (`24` gives `0xffffff00`).
pub fn ipv4_mask(prefix: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0)
}

impl NetIp {
    /// The prefix length libvirt uses; see [`prefix_len_of`].
    pub fn prefix_len(&self) -> u8 {
        prefix_len_of(self.address, self.netmask, self.prefix)
    }

    /// Whether this is an IPv6 address.
    pub fn is_ipv6(&self) -> bool {
        self.address.is_ipv6()
    }

    /// The subnet's first address: the address with its host bits cleared.
    pub fn network(&self) -> IpAddr {
        masked(self.address, self.prefix_len())
    }

    /// Whether `addr` lies in this address's subnet (and family).
    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv6() == self.is_ipv6() && masked(addr, self.prefix_len()) == self.network()
    }

    /// Whether the `<dhcp>` has ranges or hosts, which is what makes dnsmasq serve DHCP.
    pub fn has_dhcp(&self) -> bool {
        self.dhcp
            .as_ref()
            .is_some_and(|d| !d.ranges.is_empty() || !d.hosts.is_empty())
    }
}

/// `<ip><dhcp>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetDhcp {
    /// `<range>` elements, in order.
    pub ranges: Vec<DhcpRange>,
    /// `<host>` elements, in order.
    pub hosts: Vec<DhcpHost>,
    /// `<bootp>` (IPv4 only).
    pub bootp: Option<Bootp>,
}

/// `<dhcp><range>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpRange {
    /// `start`.
    pub start: IpAddr,
    /// `end`.
    pub end: IpAddr,
    /// `<lease>`.
    pub lease: Option<Lease>,
}

/// `<dhcp><host>`: a fixed address for one client. IPv4 hosts are matched by MAC, IPv6 hosts
/// by DUID; either may be matched by name instead.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DhcpHost {
    /// `mac` (IPv4 only).
    pub mac: Option<MacAddr>,
    /// `id`: a DHCPv6 client DUID as colon-separated hex (IPv6 only).
    pub id: Option<Text>,
    /// `name`.
    pub name: Option<DnsName>,
    /// `ip`.
    pub ip: Option<IpAddr>,
    /// `<lease>`.
    pub lease: Option<Lease>,
}

keywords! {
    /// `<lease unit>`.
    LeaseUnit {
        /// Seconds.
        Seconds = "seconds",
        /// Minutes (the default).
        Minutes = "minutes",
        /// Hours.
        Hours = "hours",
    }
}

/// `<lease expiry unit>`: 0 is an infinite lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// `expiry`.
    pub expiry: u64,
    /// `unit` as written; minutes when absent.
    pub unit: Option<LeaseUnit>,
}

impl Lease {
    /// dnsmasq's spelling: `infinite`, or the number with the unit's first letter.
    pub fn dnsmasq(&self) -> String {
        if self.expiry == 0 {
            return "infinite".into();
        }
        let unit = match self.unit.unwrap_or(LeaseUnit::Minutes) {
            LeaseUnit::Seconds => 's',
            LeaseUnit::Minutes => 'm',
            LeaseUnit::Hours => 'h',
        };
        format!("{}{unit}", self.expiry)
    }
}

/// `<dhcp><bootp>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootp {
    /// `file`: the boot file name.
    pub file: Text,
    /// `server`: the boot server's name or address.
    pub server: Option<Text>,
}

/// `<route>`: a static route added to the bridge when the network starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRoute {
    /// `family` as written.
    pub family: Option<IpFamily>,
    /// `address`: the destination network.
    pub address: IpAddr,
    /// `netmask` (IPv4 only).
    pub netmask: Option<Ipv4Addr>,
    /// `prefix`.
    pub prefix: Option<u8>,
    /// `gateway`: inside one of the network's own subnets.
    pub gateway: IpAddr,
    /// `metric`.
    pub metric: Option<u32>,
}

impl NetRoute {
    /// The destination's prefix length, by the same rule as an `<ip>`'s.
    pub fn prefix_len(&self) -> u8 {
        prefix_len_of(self.address, self.netmask, self.prefix)
    }
}
