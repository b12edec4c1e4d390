//! Values every interface kind shares: its name, MAC, MTU, start mode and link status.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{ValueError, keywords};

/// A network device name that is safe everywhere it goes: file names, shell-sourced files,
/// dnsmasq options, firewall rules, terminal output.
///
/// 1 to 15 bytes (the kernel's `IFNAMSIZ`), not `.` or `..`, of ASCII letters, digits, `_`,
/// `.` and `-`. That is libvirt's own `deviceName` pattern without `/` and `:`, which the
/// kernel refuses (`dev_valid_name`), and without `\`. The kernel would take shell
/// metacharacters and invisible Unicode too; libvirt's grammar does not, and a name like
/// `$(reboot)` has no business reaching a file that bash sources. netcf took CVE-2014-8119
/// for splicing names into paths; netloom refuses such names once, here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfaceName(String);

/// `IFNAMSIZ - 1`: the kernel's limit.
pub const MAX_NAME_BYTES: usize = 15;

impl IfaceName {
    /// Checks a name against the rules above.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let what = "expected an interface name of 1 to 15 ASCII letters, digits, '_', '.' or '-', other than '.' and '..'";
        if s.len() > MAX_NAME_BYTES {
            return Err(ValueError(format!("{what}; this one is {} bytes", s.len())));
        }
        if s.is_empty() || s == "." || s == ".." {
            return Err(ValueError(what.to_owned()));
        }
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(ValueError(format!("{what}; {c:?} is not allowed")));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unicast Ethernet hardware address. Printed lowercase, as libvirt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr([u8; 6]);

impl MacAddr {
    /// Reads `xx:xx:xx:xx:xx:xx` (either case). A multicast or all-zero address cannot belong
    /// to a NIC, so it is refused rather than written into a config that can never match.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let err =
            || ValueError("expected a MAC address of six hex pairs like 52:54:00:12:34:56".into());
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let part = parts.next().ok_or_else(err)?;
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| err())?;
        }
        if parts.next().is_some() {
            return Err(err());
        }
        if out[0] & 1 == 1 {
            return Err(ValueError(
                "expected a unicast MAC address; the low bit of the first byte marks a multicast address".into(),
            ));
        }
        if out == [0; 6] {
            return Err(ValueError(
                "expected a MAC address other than 00:00:00:00:00:00".into(),
            ));
        }
        Ok(Self(out))
    }

    /// An address built inside netloom from a known unicast, non-zero prefix (such as
    /// libvirt's `52:54:00`), which therefore needs no checking.
    pub(crate) fn from_octets(octets: [u8; 6]) -> Self {
        Self(octets)
    }

    /// The six bytes.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// An MTU the kernel accepts for an IP interface: 68 (the IPv4 minimum) to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mtu(u32);

impl Mtu {
    /// The smallest MTU IPv4 works over (RFC 791).
    pub const MIN: u32 = 68;
    /// The largest MTU an IP packet can use.
    pub const MAX: u32 = 65535;
    /// The smallest MTU IPv6 works over (RFC 8200).
    pub const MIN_IPV6: u32 = 1280;

    /// Reads a decimal MTU and range-checks it.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match parse_uint(s) {
            Some(v) if (Self::MIN..=Self::MAX).contains(&v) => Ok(Self(v)),
            _ => Err(ValueError(format!(
                "expected a whole number from {} to {}",
                Self::MIN,
                Self::MAX
            ))),
        }
    }

    /// The value in bytes.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Mtu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Reads an XML `unsignedInt` as libvirt's schema spells it: ASCII digits only, no sign or
/// white space, at most `u32::MAX`.
pub fn parse_uint(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

keywords! {
    /// When an interface is brought up.
    StartMode {
        /// At boot.
        OnBoot = "onboot",
        /// Only by hand.
        None = "none",
        /// When the device appears.
        Hotplug = "hotplug",
    }
}

keywords! {
    /// Operational state, as `ip link` reports it. Status only: never configured.
    LinkState {
        /// The kernel does not know.
        Unknown = "unknown",
        /// The device is missing.
        NotPresent = "notpresent",
        /// Down.
        Down = "down",
        /// A lower device is down.
        LowerLayerDown = "lowerlayerdown",
        /// In a test mode.
        Testing = "testing",
        /// Waiting for an external event.
        Dormant = "dormant",
        /// Up.
        Up = "up",
    }
}

/// `<link>`: speed and state as reported by a live system. Kept so XML read from one
/// round-trips, but no backend configures anything from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Link {
    /// Speed in Mbit/s.
    pub speed: Option<u32>,
    /// Operational state.
    pub state: Option<LinkState>,
}

/// Reads an IPv4 address a host interface or gateway can have: dotted quad (no leading
/// zeros, which some tools read as octal), not `0.0.0.0`, multicast or the broadcast address.
pub fn parse_host_ipv4(s: &str) -> Result<Ipv4Addr, ValueError> {
    let addr: Ipv4Addr = s
        .parse()
        .map_err(|_| ValueError("expected an IPv4 address like 192.0.2.1".into()))?;
    if addr.is_unspecified() || addr.is_multicast() || addr.is_broadcast() {
        return Err(ValueError(
            "expected a unicast IPv4 address, not 0.0.0.0, multicast or 255.255.255.255".into(),
        ));
    }
    Ok(addr)
}

/// Reads an IPv6 address a host interface or gateway can have: not `::` and not multicast.
pub fn parse_host_ipv6(s: &str) -> Result<Ipv6Addr, ValueError> {
    let addr: Ipv6Addr = s
        .parse()
        .map_err(|_| ValueError("expected an IPv6 address like 2001:db8::1".into()))?;
    if addr.is_unspecified() || addr.is_multicast() {
        return Err(ValueError(
            "expected a unicast IPv6 address, not :: or multicast".into(),
        ));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kernel_valid_and_shell_safe() {
        for ok in [
            "eth0",
            "a",
            "br-lan_1",
            "bond0.4095",
            "123456789012345",
            "...",
            "-x",
        ] {
            assert!(IfaceName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "1234567890123456",
            "a/b",
            "eth0:1",
            "a b",
            "a\tb",
            "a\u{7f}",
            "a\nb",
            "é",
            "$(reboot)",
            "a;b",
            "it's",
            "a\\b",
            "a\u{200b}",
            "a\u{202e}",
            "a@if3",
        ] {
            assert!(IfaceName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn macs_are_unicast_six_pairs_printed_lowercase() {
        assert_eq!(
            MacAddr::parse("AA:bb:CC:dd:EE:f0").unwrap().to_string(),
            "aa:bb:cc:dd:ee:f0"
        );
        for bad in [
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:ff:00",
            "aabb.ccdd.eeff",
            "a:bb:cc:dd:ee:ff",
            "+a:bb:cc:dd:ee:ff",
            "gg:bb:cc:dd:ee:ff",
            "01:00:5e:00:00:01",
            "00:00:00:00:00:00",
        ] {
            assert!(MacAddr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mtus_are_range_checked() {
        assert_eq!(Mtu::parse("68").unwrap().get(), 68);
        assert_eq!(Mtu::parse("65535").unwrap().get(), 65535);
        for bad in [
            "67",
            "65536",
            "",
            "-1",
            "+1500",
            " 1500",
            "1500 ",
            "1e3",
            "99999999999",
        ] {
            assert!(Mtu::parse(bad).is_err(), "{bad}");
        }
    }
}
