//! A software bridge and its ports.

use std::fmt;

use super::{Bond, Ethernet, IfaceName, ValueError, Vlan};

/// The bridge forward delay in seconds: a plain decimal from 0 to 30, the kernel's limit
/// (`BR_MAX_FORWARD_DELAY`).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct ForwardDelay(f64);

impl ForwardDelay {
    /// The kernel's largest forward delay, in seconds.
    pub const MAX: f64 = 30.0;

    /// Reads a plain decimal number of seconds (`0`, `15`, `0.01`).
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let err =
            || ValueError("expected a number of seconds from 0 to 30, like 0, 2 or 0.5".into());
        // Only digits and one dot: no sign, exponent, "inf" or "NaN" reaches the value.
        let plain = !s.is_empty()
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && s.bytes().filter(|&b| b == b'.').count() <= 1
            && s.bytes().any(|b| b.is_ascii_digit());
        if !plain {
            return Err(err());
        }
        let v: f64 = s.parse().map_err(|_| err())?;
        if !(0.0..=Self::MAX).contains(&v) {
            return Err(err());
        }
        Ok(Self(v))
    }

    /// The delay in seconds.
    pub fn seconds(self) -> f64 {
        self.0
    }
}

impl fmt::Display for ForwardDelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rust prints the shortest text that reads back to the same value: 0.01, 15.
        write!(f, "{}", self.0)
    }
}

/// A whole number of seconds in `MIN..=MAX`, as the kernel's bridge takes one (it keeps
/// centiseconds; NetworkManager and bridge-utils take seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds<const MIN: u32, const MAX: u32>(u32);

impl<const MIN: u32, const MAX: u32> Seconds<MIN, MAX> {
    /// Reads a plain whole number of seconds and range-checks it.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match super::parse_uint(s) {
            Some(v) if (MIN..=MAX).contains(&v) => Ok(Self(v)),
            _ => Err(ValueError(format!(
                "expected a whole number of seconds from {MIN} to {MAX}"
            ))),
        }
    }

    /// The seconds.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<const MIN: u32, const MAX: u32> fmt::Display for Seconds<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The STP hello time: 1 to 10 seconds (the kernel's and NetworkManager's range).
pub type HelloTime = Seconds<1, 10>;
/// The STP max age: 6 to 40 seconds.
pub type MaxAge = Seconds<6, 40>;
/// How long a learnt MAC stays in the forwarding database: 0 to 1,000,000 seconds.
pub type AgeingTime = Seconds<0, 1_000_000>;

/// A bridge's options beyond STP and the forward delay, in netloom's namespace
/// (`<nl:bridge priority='4096' …/>` inside `<bridge>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BridgeOptions {
    /// The STP priority, 0 to 65535 (lower wins the root election).
    pub priority: Option<u16>,
    /// The STP hello time.
    pub hello_time: Option<HelloTime>,
    /// The STP max age.
    pub max_age: Option<MaxAge>,
    /// The forwarding database's ageing time.
    pub ageing_time: Option<AgeingTime>,
    /// IGMP/MLD snooping.
    pub multicast_snooping: Option<bool>,
}

impl BridgeOptions {
    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The STP priority from its text: 0 to 65535.
    pub fn parse_priority(s: &str) -> Result<u16, ValueError> {
        super::parse_uint(s)
            .and_then(|v| u16::try_from(v).ok())
            .ok_or_else(|| ValueError("expected a whole number from 0 to 65535".into()))
    }
}

/// What a bridge port is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortKind {
    /// A NIC (the "physical NIC shared into a bridge" case).
    Ethernet(Ethernet),
    /// A VLAN device.
    Vlan(Vlan),
    /// A bond.
    Bond(Bond),
}

/// A bridge port: a bare device, configured only by its master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The port's device name.
    pub name: IfaceName,
    /// Its kind and the kind's settings.
    pub kind: PortKind,
}

/// `<bridge>`. A bridge with no ports is legal (guests attach to it later).
#[derive(Debug, Clone, PartialEq)]
pub struct Bridge {
    /// Spanning tree on or off; `None` leaves the default.
    pub stp: Option<bool>,
    /// Forward delay.
    pub delay: Option<ForwardDelay>,
    /// The bridge's other options (`<nl:bridge>`).
    pub options: BridgeOptions,
    /// Ports in the order written.
    pub ports: Vec<Port>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_plain_non_negative_decimals() {
        assert_eq!(ForwardDelay::parse("0.01").unwrap().to_string(), "0.01");
        assert_eq!(ForwardDelay::parse("15").unwrap().to_string(), "15");
        assert_eq!(ForwardDelay::parse("0").unwrap().seconds(), 0.0);
        assert_eq!(ForwardDelay::parse("30").unwrap().seconds(), 30.0);
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "inf",
            "NaN",
            "1.2.3",
            " 1",
            "30.5",
            "99999999999999999999",
        ] {
            assert!(ForwardDelay::parse(bad).is_err(), "{bad}");
        }
    }
}
