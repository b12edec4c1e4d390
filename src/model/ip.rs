//! IPv4 and IPv6 addressing of a top-level interface.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::ValueError;
use super::common::parse_uint;
pub use super::common::{parse_host_ipv4, parse_host_ipv6};
use super::route::{DomainName, Ipv4Route, Ipv6Route};

/// A prefix length from 1 to `MAX`. A `/0` prefix describes no subnet an address could live
/// in, so it is refused instead of being silently dropped as libvirt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Prefix<const MAX: u8>(u8);

/// An IPv4 prefix length, 1 to 32.
pub type Ipv4Prefix = Prefix<32>;
/// An IPv6 prefix length, 1 to 128.
pub type Ipv6Prefix = Prefix<128>;

impl<const MAX: u8> Prefix<MAX> {
    /// Reads a decimal prefix length and range-checks it.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match parse_uint(s) {
            Some(v) if (1..=u32::from(MAX)).contains(&v) => Ok(Self(v as u8)),
            _ => Err(ValueError(format!(
                "expected a prefix length from 1 to {MAX}"
            ))),
        }
    }

    /// The length in bits.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Ipv4Prefix {
    /// The prefix of an address's class, which NetworkManager (`nm_ip4_addr_get_default_prefix`)
    /// and ifupdown assume when none is given: /8 for class A, /16 for B, /24 for C and for
    /// the rest.
    pub fn classful(address: Ipv4Addr) -> Self {
        let first = address.octets()[0];
        Self(if first & 0x80 == 0 {
            8
        } else if first & 0xc0 == 0x80 {
            16
        } else {
            24
        })
    }

    /// The prefix of a dotted netmask (`ifcfg`'s `NETMASK`, ifupdown's `netmask`); refused
    /// unless its ones are contiguous.
    pub fn from_netmask(s: &str) -> Result<Self, ValueError> {
        let err = || ValueError("expected a netmask like 255.255.255.0".into());
        let mask: Ipv4Addr = s.parse().map_err(|_| err())?;
        let bits = u32::from(mask);
        let ones = bits.leading_ones();
        if bits.checked_shl(ones).unwrap_or(0) != 0 {
            return Err(err());
        }
        Self::parse(&ones.to_string())
    }
}

impl Ipv6Prefix {
    /// The prefix NetworkManager gives an IPv6 address written without one.
    pub const DEFAULT: Self = Self(64);
    /// One host's: what ifupdown gives an IPv6 address written without a prefix.
    pub const HOST: Self = Self(128);
}

impl<const MAX: u8> fmt::Display for Prefix<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `<dhcp>`: get addresses from a DHCP server (DHCPv6 inside the ipv6 protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dhcp {
    /// Whether DNS servers from the lease are used; `None` leaves the distribution default.
    pub peerdns: Option<bool>,
}

/// One static IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Address {
    /// The address.
    pub address: Ipv4Addr,
    /// Its prefix; `None` leaves the classful default to the backend, as netcf did.
    pub prefix: Option<Ipv4Prefix>,
}

/// `<protocol family='ipv4'>`. DHCP and static addresses may be combined.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipv4 {
    /// DHCP, if used.
    pub dhcp: Option<Dhcp>,
    /// Static addresses in the order written; the first is the primary.
    pub addresses: Vec<Ipv4Address>,
    /// The default gateway.
    pub gateway: Option<Ipv4Addr>,
    /// Static routes (`<nl:route>`), in the order written: the order they are added in.
    pub routes: Vec<Ipv4Route>,
    /// DNS servers (`<nl:dns>`), in the order written: the order resolvers ask them in.
    pub dns: Vec<Ipv4Addr>,
    /// DNS search domains (`<nl:search>`), in the order written.
    pub search: Vec<DomainName>,
}

/// One static IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Address {
    /// The address.
    pub address: Ipv6Addr,
    /// Its prefix; `None` means the backend's default (64 for most).
    pub prefix: Option<Ipv6Prefix>,
}

/// `<protocol family='ipv6'>`. With nothing inside, IPv6 is on with only a link-local address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipv6 {
    /// Stateless autoconfiguration from router advertisements.
    pub autoconf: bool,
    /// DHCPv6, if used.
    pub dhcp: Option<Dhcp>,
    /// Static addresses in the order written; the first is the primary.
    pub addresses: Vec<Ipv6Address>,
    /// The default gateway.
    pub gateway: Option<Ipv6Addr>,
    /// Static routes (`<nl:route>`), in the order written: the order they are added in.
    pub routes: Vec<Ipv6Route>,
    /// DNS servers (`<nl:dns>`), in the order written: the order resolvers ask them in.
    pub dns: Vec<Ipv6Addr>,
    /// DNS search domains (`<nl:search>`), in the order written.
    pub search: Vec<DomainName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_range_checked_per_family() {
        assert_eq!(Ipv4Prefix::parse("32").unwrap().get(), 32);
        assert!(Ipv4Prefix::parse("33").is_err());
        assert!(Ipv4Prefix::parse("0").is_err());
        assert_eq!(Ipv6Prefix::parse("128").unwrap().get(), 128);
        assert!(Ipv6Prefix::parse("129").is_err());
        assert!(Ipv6Prefix::parse("300").is_err());
        assert!(Ipv6Prefix::parse("x").is_err());
    }

    #[test]
    fn host_addresses_refuse_what_no_interface_can_have() {
        assert!(parse_host_ipv4("192.168.0.5").is_ok());
        for bad in [
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.168.0",
            "010.0.0.1",
            "::1",
        ] {
            assert!(parse_host_ipv4(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_host_ipv6("3FFE:ffff:0:5:0:0:0:1")
                .unwrap()
                .to_string(),
            "3ffe:ffff:0:5::1"
        );
        for bad in ["::", "ff02::1", "1.2.3.4", "2001:db8::g"] {
            assert!(parse_host_ipv6(bad).is_err(), "{bad}");
        }
    }
}
