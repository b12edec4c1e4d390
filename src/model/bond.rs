//! A bond of NICs.

use std::net::Ipv4Addr;

use super::{Ethernet, IfaceName, Link, ValueError, keywords, parse_host_ipv4, parse_uint};

keywords! {
    /// The bonding driver's `mode`.
    BondMode {
        /// Round robin.
        BalanceRr = "balance-rr",
        /// One active slave; the first listed is the primary.
        ActiveBackup = "active-backup",
        /// Transmit by hash.
        BalanceXor = "balance-xor",
        /// Transmit on every slave.
        Broadcast = "broadcast",
        /// IEEE 802.3ad link aggregation (LACP).
        Ieee8023ad = "802.3ad",
        /// Adaptive transmit load balancing.
        BalanceTlb = "balance-tlb",
        /// Adaptive load balancing.
        BalanceAlb = "balance-alb",
    }
}

keywords! {
    /// How MII monitoring reads link state (the driver's `use_carrier`).
    Carrier {
        /// MII or ethtool ioctls (`use_carrier=0`).
        Ioctl = "ioctl",
        /// The driver's carrier state (`use_carrier=1`).
        Netif = "netif",
    }
}

keywords! {
    /// Which ARP replies are validated (the driver's `arp_validate`).
    ArpValidate {
        /// None.
        None = "none",
        /// On the active slave only.
        Active = "active",
        /// On backup slaves only.
        Backup = "backup",
        /// On every slave.
        All = "all",
    }
}

// How the bonding driver itself spells the values (`BONDING_OPTS`, ifenslave's `bond-*`),
// which the native importers read.

impl BondMode {
    /// The driver's `mode`: a name, or its number 0 to 6 in the order of [`BondMode::ALL`].
    pub fn parse_driver(v: &str) -> Result<Self, ValueError> {
        match parse_uint(v) {
            Some(n) => (Self::ALL.get(n as usize).copied())
                .ok_or_else(|| ValueError("expected a mode name or a number from 0 to 6".into())),
            None => Self::parse(v),
        }
    }
}

impl ArpValidate {
    /// The driver's `arp_validate`: a name, or its number 0 to 3.
    pub fn parse_driver(v: &str) -> Result<Self, ValueError> {
        match parse_uint(v) {
            Some(n) => (Self::ALL.get(n as usize).copied()).ok_or_else(|| {
                ValueError("expected 'none', 'active', 'backup', 'all' or 0 to 3".into())
            }),
            None => Self::parse(v),
        }
    }
}

impl Carrier {
    /// The driver's `use_carrier`: 0 or 1.
    pub fn parse_driver(v: &str) -> Result<Self, ValueError> {
        match v {
            "0" => Ok(Carrier::Ioctl),
            "1" => Ok(Carrier::Netif),
            _ => Err(ValueError("expected 0 (ioctl) or 1 (netif)".into())),
        }
    }
}

/// The driver's `arp_ip_target`, which interface XML holds only one of.
pub fn parse_arp_target(v: &str) -> Result<Ipv4Addr, ValueError> {
    if v.contains([',', ' ', '\t']) {
        let why = "several ARP targets cannot be expressed in interface XML, which has one";
        return Err(ValueError(why.into()));
    }
    parse_host_ipv4(v)
}

/// `<miimon>`: link monitoring by MII, times in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Miimon {
    /// Polling interval.
    pub freq: u32,
    /// Wait before disabling a slave whose link went down.
    pub downdelay: Option<u32>,
    /// Wait before enabling a slave whose link came up.
    pub updelay: Option<u32>,
    /// How link state is read.
    pub carrier: Option<Carrier>,
}

/// `<arpmon>`: link monitoring by ARP probes to one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arpmon {
    /// Probe interval in milliseconds.
    pub interval: u32,
    /// The address probed.
    pub target: Ipv4Addr,
    /// Which replies are validated.
    pub validate: Option<ArpValidate>,
}

/// The link monitor: MII or ARP, never both (the schema's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondMonitor {
    /// `<miimon>`.
    Mii(Miimon),
    /// `<arpmon>`.
    Arp(Arpmon),
}

/// A bond slave: always a bare ethernet device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slave {
    /// The NIC's name.
    pub name: IfaceName,
    /// Its MAC and link status.
    pub ethernet: Ethernet,
}

/// `<bond>` with its slaves, at least one, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bond {
    /// The bonding mode; `None` leaves the driver default (balance-rr).
    pub mode: Option<BondMode>,
    /// The link monitor, if any.
    pub monitor: Option<BondMonitor>,
    /// The slaves in the order written.
    pub slaves: Vec<Slave>,
    /// Reported link status.
    pub link: Option<Link>,
}

impl Bond {
    /// The primary slave: in active-backup mode the first slave listed (libvirt's grammar has
    /// no `primary` attribute; order carries it).
    pub fn primary(&self) -> Option<&IfaceName> {
        match self.mode {
            Some(BondMode::ActiveBackup) => self.slaves.first().map(|s| &s.name),
            _ => None,
        }
    }

    /// The bonding driver's options this bond sets, in netcf's order, with their values as
    /// the driver reads them. Every backend spells the same list: which options, in which
    /// order and under which conditions is decided here once.
    pub fn driver_options(&self) -> Vec<(BondOption, String)> {
        let mut opts = Vec::new();
        if let Some(mode) = self.mode {
            opts.push((BondOption::Mode, mode.to_string()));
        }
        if let Some(primary) = self.primary() {
            opts.push((BondOption::Primary, primary.to_string()));
        }
        match self.monitor {
            Some(BondMonitor::Mii(m)) => {
                opts.push((BondOption::Miimon, m.freq.to_string()));
                if let Some(d) = m.downdelay {
                    opts.push((BondOption::Downdelay, d.to_string()));
                }
                if let Some(u) = m.updelay {
                    opts.push((BondOption::Updelay, u.to_string()));
                }
                if let Some(c) = m.carrier {
                    let netif = u8::from(c == Carrier::Netif);
                    opts.push((BondOption::UseCarrier, netif.to_string()));
                }
            }
            Some(BondMonitor::Arp(a)) => {
                opts.push((BondOption::ArpInterval, a.interval.to_string()));
                opts.push((BondOption::ArpIpTarget, a.target.to_string()));
                if let Some(v) = a.validate {
                    opts.push((BondOption::ArpValidate, v.to_string()));
                }
            }
            None => {}
        }
        opts
    }
}

/// An option of the bonding driver that a bond can set (see [`Bond::driver_options`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondOption {
    /// `mode`.
    Mode,
    /// `primary`.
    Primary,
    /// `miimon`.
    Miimon,
    /// `downdelay`.
    Downdelay,
    /// `updelay`.
    Updelay,
    /// `use_carrier`.
    UseCarrier,
    /// `arp_interval`.
    ArpInterval,
    /// `arp_ip_target`.
    ArpIpTarget,
    /// `arp_validate`.
    ArpValidate,
}

impl BondOption {
    /// Every option, in [`Bond::driver_options`]'s order.
    pub const ALL: &'static [BondOption] = &[
        BondOption::Mode,
        BondOption::Primary,
        BondOption::Miimon,
        BondOption::Downdelay,
        BondOption::Updelay,
        BondOption::UseCarrier,
        BondOption::ArpInterval,
        BondOption::ArpIpTarget,
        BondOption::ArpValidate,
    ];

    /// The driver's own name (sysfs, `BONDING_OPTS`).
    pub fn driver_name(self) -> &'static str {
        match self {
            BondOption::Mode => "mode",
            BondOption::Primary => "primary",
            BondOption::Miimon => "miimon",
            BondOption::Downdelay => "downdelay",
            BondOption::Updelay => "updelay",
            BondOption::UseCarrier => "use_carrier",
            BondOption::ArpInterval => "arp_interval",
            BondOption::ArpIpTarget => "arp_ip_target",
            BondOption::ArpValidate => "arp_validate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bond(mode: Option<BondMode>) -> Bond {
        let slave = |n: &str| Slave {
            name: IfaceName::parse(n).unwrap(),
            ethernet: Ethernet::default(),
        };
        Bond {
            mode,
            monitor: None,
            slaves: vec![slave("eth1"), slave("eth0")],
            link: None,
        }
    }

    #[test]
    fn the_first_slave_is_primary_only_in_active_backup() {
        assert_eq!(
            bond(Some(BondMode::ActiveBackup))
                .primary()
                .map(|n| n.as_str()),
            Some("eth1")
        );
        assert_eq!(bond(Some(BondMode::Ieee8023ad)).primary(), None);
        assert_eq!(bond(None).primary(), None);
    }
}
