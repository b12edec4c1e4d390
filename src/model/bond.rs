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

keywords! {
    /// How often an 802.3ad partner sends LACPDUs (the driver's `lacp_rate`).
    LacpRate {
        /// Every 30 seconds (0).
        Slow = "slow",
        /// Every second (1).
        Fast = "fast",
    }
}

keywords! {
    /// What a transmit hash takes (the driver's `xmit_hash_policy`, 0 to 5).
    XmitHashPolicy {
        /// MAC addresses.
        Layer2 = "layer2",
        /// IP addresses and ports.
        Layer34 = "layer3+4",
        /// MAC and IP addresses.
        Layer23 = "layer2+3",
        /// Inner MAC and IP addresses of a tunnel.
        Encap23 = "encap2+3",
        /// Inner IP addresses and ports of a tunnel.
        Encap34 = "encap3+4",
        /// The VLAN and source MAC.
        VlanSrcmac = "vlan+srcmac",
    }
}

keywords! {
    /// How an 802.3ad bond picks its active aggregator (the driver's `ad_select`, 0 to 2).
    AdSelect {
        /// Keep the active one while it has a port up.
        Stable = "stable",
        /// The one with the most bandwidth.
        Bandwidth = "bandwidth",
        /// The one with the most ports.
        Count = "count",
    }
}

keywords! {
    /// When the primary slave takes over again (the driver's `primary_reselect`, 0 to 2).
    PrimaryReselect {
        /// Whenever it comes back.
        Always = "always",
        /// When it is faster than the active one.
        Better = "better",
        /// Only when the active one fails.
        Failure = "failure",
    }
}

keywords! {
    /// How an active-backup bond handles slaves' MACs (the driver's `fail_over_mac`, 0 to 2).
    FailOverMac {
        /// Every slave takes the bond's MAC.
        None = "none",
        /// The bond takes the active slave's MAC.
        Active = "active",
        /// The new active slave takes the bond's MAC, the old one the new one's.
        Follow = "follow",
    }
}

/// The bonding driver's options beyond the mode and the link monitor, in netloom's
/// namespace (`<nl:bond lacp_rate='fast' …/>` inside `<bond>`), each checked against its
/// range and, where the driver (and NetworkManager) take it in one mode only, the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BondOptions {
    /// `lacp_rate`, 802.3ad only.
    pub lacp_rate: Option<LacpRate>,
    /// `xmit_hash_policy`.
    pub xmit_hash_policy: Option<XmitHashPolicy>,
    /// `ad_select` (it acts in 802.3ad only, and the driver and NetworkManager take it in
    /// any mode).
    pub ad_select: Option<AdSelect>,
    /// `min_links`: ports that must be up for the bond to be.
    pub min_links: Option<u32>,
    /// `primary_reselect`.
    pub primary_reselect: Option<PrimaryReselect>,
    /// `fail_over_mac`.
    pub fail_over_mac: Option<FailOverMac>,
    /// `all_slaves_active`: deliver duplicate frames from inactive slaves too.
    pub all_slaves_active: Option<bool>,
    /// `num_grat_arp`: gratuitous ARPs after a failover, 0 to 255.
    pub num_grat_arp: Option<u8>,
    /// `resend_igmp`: IGMP reports after a failover, 0 to 255.
    pub resend_igmp: Option<u8>,
    /// `packets_per_slave`, balance-rr only.
    pub packets_per_slave: Option<u16>,
    /// `tlb_dynamic_lb`, balance-tlb and balance-alb only.
    pub tlb_dynamic_lb: Option<bool>,
}

/// What [`BondOptions::read_driver`] made of an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverOption {
    /// Read into the options.
    Read,
    /// Not one of [`BOND_OPTION_NAMES`] (nor `num_unsol_na`).
    NotAnOption,
    /// Valid, and dropped because the bond's mode does not take it; why.
    Dropped(String),
}

/// The name of every option of [`BondOptions`], as the driver (and `<nl:bond>`) spells it.
pub const BOND_OPTION_NAMES: &[&str] = &[
    "lacp_rate",
    "xmit_hash_policy",
    "ad_select",
    "min_links",
    "primary_reselect",
    "fail_over_mac",
    "all_slaves_active",
    "num_grat_arp",
    "resend_igmp",
    "packets_per_slave",
    "tlb_dynamic_lb",
];

/// A whole number from 0 to `max`, as the driver reads one.
fn bounded(v: &str, max: u32) -> Result<u32, ValueError> {
    parse_uint(v)
        .filter(|n| *n <= max)
        .ok_or_else(|| ValueError(format!("expected a whole number from 0 to {max}")))
}

/// A keyword as the driver takes it: its name, or its number in `ALL`'s order.
fn keyword<T: Copy>(
    v: &str,
    all: &[T],
    parse: fn(&str) -> Result<T, ValueError>,
) -> Result<T, ValueError> {
    match parse_uint(v) {
        Some(n) => all.get(n as usize).copied().ok_or_else(|| {
            ValueError(format!(
                "expected a name or a number from 0 to {}",
                all.len() - 1
            ))
        }),
        None => parse(v),
    }
}

impl BondOptions {
    /// Sets option `name` from `value` as `<nl:bond>` spells it (keywords by name, `yes` or
    /// `no`, whole numbers); `Ok(false)` for a name that is none of [`BOND_OPTION_NAMES`].
    pub fn set_xml(&mut self, name: &str, value: &str) -> Result<bool, ValueError> {
        self.set(name, value, false)
    }

    /// Sets option `name` from `value` as the driver spells it (`BONDING_OPTS`, sysfs,
    /// keyfiles, ifenslave): keywords by name or number, booleans 0 or 1; `num_unsol_na` is
    /// the driver's other name of `num_grat_arp`.
    pub fn set_driver(&mut self, name: &str, value: &str) -> Result<bool, ValueError> {
        self.set(name, value, true)
    }

    fn set(&mut self, name: &str, value: &str, driver: bool) -> Result<bool, ValueError> {
        let boolean = |v: &str| match (driver, v) {
            (true, "0") | (false, "no") => Ok(false),
            (true, "1") | (false, "yes") => Ok(true),
            (true, _) => Err(ValueError("expected 0 or 1".into())),
            (false, _) => Err(ValueError("expected 'yes' or 'no'".into())),
        };
        fn word<T: Copy>(
            v: &str,
            driver: bool,
            all: &[T],
            parse: fn(&str) -> Result<T, ValueError>,
        ) -> Result<T, ValueError> {
            match driver {
                true => keyword(v, all, parse),
                false => parse(v),
            }
        }
        match name {
            "lacp_rate" => {
                self.lacp_rate = Some(word(value, driver, LacpRate::ALL, LacpRate::parse)?)
            }
            "xmit_hash_policy" => {
                self.xmit_hash_policy = Some(word(
                    value,
                    driver,
                    XmitHashPolicy::ALL,
                    XmitHashPolicy::parse,
                )?);
            }
            "ad_select" => {
                self.ad_select = Some(word(value, driver, AdSelect::ALL, AdSelect::parse)?)
            }
            "min_links" => self.min_links = Some(bounded(value, u32::MAX)?),
            "primary_reselect" => {
                self.primary_reselect = Some(word(
                    value,
                    driver,
                    PrimaryReselect::ALL,
                    PrimaryReselect::parse,
                )?);
            }
            "fail_over_mac" => {
                self.fail_over_mac =
                    Some(word(value, driver, FailOverMac::ALL, FailOverMac::parse)?);
            }
            "all_slaves_active" => self.all_slaves_active = Some(boolean(value)?),
            "num_grat_arp" => self.num_grat_arp = Some(bounded(value, 255)? as u8),
            "num_unsol_na" if driver => self.num_grat_arp = Some(bounded(value, 255)? as u8),
            "resend_igmp" => self.resend_igmp = Some(bounded(value, 255)? as u8),
            "packets_per_slave" => {
                self.packets_per_slave = Some(bounded(value, 65535)? as u16);
            }
            "tlb_dynamic_lb" => self.tlb_dynamic_lb = Some(boolean(value)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Reads option `name` = `value` as the driver spells it, on a bond in `mode`, the way
    /// NetworkManager does (and the kernel, for ifenslave's sysfs writes): an option the mode
    /// does not take is dropped, and said why; an unknown name is `NotAnOption`. A bad value
    /// is an error, and so are `lacp_rate` other than slow outside 802.3ad and
    /// `num_unsol_na` other than `num_grat_arp` (one value of the driver), for which
    /// NetworkManager refuses the whole profile.
    pub fn read_driver(
        &mut self,
        name: &str,
        value: &str,
        mode: Option<BondMode>,
    ) -> Result<DriverOption, ValueError> {
        let mut trial = *self;
        if !trial.set_driver(name, value)? {
            return Ok(DriverOption::NotAnOption);
        }
        if matches!(name, "num_grat_arp" | "num_unsol_na")
            && self
                .num_grat_arp
                .is_some_and(|before| Some(before) != trial.num_grat_arp)
        {
            return Err(ValueError(
                "num_grat_arp and num_unsol_na are one value of the driver, and they differ \
                 here; NetworkManager refuses such a profile"
                    .into(),
            ));
        }
        match Self::mode_problem(name, mode) {
            None => {
                *self = trial;
                Ok(DriverOption::Read)
            }
            Some(why) if name == "lacp_rate" && trial.lacp_rate == Some(LacpRate::Fast) => {
                Err(ValueError(format!(
                    "{why}; NetworkManager refuses a profile with lacp_rate fast outside 802.3ad"
                )))
            }
            Some(why) => Ok(DriverOption::Dropped(why)),
        }
    }

    /// The options set, as (name, value as the driver spells it), in [`BOND_OPTION_NAMES`]'
    /// order.
    pub fn driver_values(&self) -> Vec<(&'static str, String)> {
        self.values(|b| u8::from(b).to_string())
    }

    /// The options set, as (name, value as `<nl:bond>` spells it).
    pub fn xml_values(&self) -> Vec<(&'static str, String)> {
        self.values(|b| if b { "yes".into() } else { "no".into() })
    }

    fn values(&self, boolean: impl Fn(bool) -> String) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let mut push = |name: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        push("lacp_rate", self.lacp_rate.map(|v| v.to_string()));
        push(
            "xmit_hash_policy",
            self.xmit_hash_policy.map(|v| v.to_string()),
        );
        push("ad_select", self.ad_select.map(|v| v.to_string()));
        push("min_links", self.min_links.map(|v| v.to_string()));
        push(
            "primary_reselect",
            self.primary_reselect.map(|v| v.to_string()),
        );
        push("fail_over_mac", self.fail_over_mac.map(|v| v.to_string()));
        push("all_slaves_active", self.all_slaves_active.map(&boolean));
        push("num_grat_arp", self.num_grat_arp.map(|v| v.to_string()));
        push("resend_igmp", self.resend_igmp.map(|v| v.to_string()));
        push(
            "packets_per_slave",
            self.packets_per_slave.map(|v| v.to_string()),
        );
        push("tlb_dynamic_lb", self.tlb_dynamic_lb.map(&boolean));
        out
    }

    /// Why option `name` is not one a bond in `mode` takes (the bonding driver refuses it
    /// there, and NetworkManager drops or refuses it), or `None`.
    pub fn mode_problem(name: &str, mode: Option<BondMode>) -> Option<String> {
        let mode = mode.unwrap_or(BondMode::BalanceRr);
        let only: &[BondMode] = match name {
            "lacp_rate" => &[BondMode::Ieee8023ad],
            "packets_per_slave" => &[BondMode::BalanceRr],
            "tlb_dynamic_lb" => &[BondMode::BalanceTlb, BondMode::BalanceAlb],
            _ => return None,
        };
        (!only.contains(&mode)).then(|| {
            let modes: Vec<String> = only.iter().map(|m| format!("'{m}'")).collect();
            format!(
                "{name} is for mode {}, and this bond's is '{mode}'",
                super::join_or(modes)
            )
        })
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
    /// The driver's other options (`<nl:bond>`).
    pub options: BondOptions,
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
        for (name, value) in self.options.driver_values() {
            if let Some(opt) = BondOption::from_driver_name(name) {
                opts.push((opt, value));
            }
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
    /// `lacp_rate`.
    LacpRate,
    /// `xmit_hash_policy`.
    XmitHashPolicy,
    /// `ad_select`.
    AdSelect,
    /// `min_links`.
    MinLinks,
    /// `primary_reselect`.
    PrimaryReselect,
    /// `fail_over_mac`.
    FailOverMac,
    /// `all_slaves_active`.
    AllSlavesActive,
    /// `num_grat_arp`.
    NumGratArp,
    /// `resend_igmp`.
    ResendIgmp,
    /// `packets_per_slave`.
    PacketsPerSlave,
    /// `tlb_dynamic_lb`.
    TlbDynamicLb,
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
        BondOption::LacpRate,
        BondOption::XmitHashPolicy,
        BondOption::AdSelect,
        BondOption::MinLinks,
        BondOption::PrimaryReselect,
        BondOption::FailOverMac,
        BondOption::AllSlavesActive,
        BondOption::NumGratArp,
        BondOption::ResendIgmp,
        BondOption::PacketsPerSlave,
        BondOption::TlbDynamicLb,
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
            BondOption::LacpRate => "lacp_rate",
            BondOption::XmitHashPolicy => "xmit_hash_policy",
            BondOption::AdSelect => "ad_select",
            BondOption::MinLinks => "min_links",
            BondOption::PrimaryReselect => "primary_reselect",
            BondOption::FailOverMac => "fail_over_mac",
            BondOption::AllSlavesActive => "all_slaves_active",
            BondOption::NumGratArp => "num_grat_arp",
            BondOption::ResendIgmp => "resend_igmp",
            BondOption::PacketsPerSlave => "packets_per_slave",
            BondOption::TlbDynamicLb => "tlb_dynamic_lb",
        }
    }

    /// The option the driver calls `name`, if a bond can set it.
    pub fn from_driver_name(name: &str) -> Option<BondOption> {
        Self::ALL.iter().copied().find(|o| o.driver_name() == name)
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
            options: BondOptions::default(),
            slaves: vec![slave("eth1"), slave("eth0")],
            link: None,
        }
    }

    #[test]
    fn options_read_as_the_driver_and_the_xml_spell_them() {
        let mut o = BondOptions::default();
        assert_eq!(o.set_driver("lacp_rate", "1"), Ok(true));
        assert_eq!(o.set_driver("xmit_hash_policy", "layer3+4"), Ok(true));
        assert_eq!(o.set_driver("num_unsol_na", "3"), Ok(true));
        assert_eq!(o.set_driver("all_slaves_active", "1"), Ok(true));
        // One value of the driver under two names: the same twice is fine, two differ not.
        assert_eq!(
            o.read_driver("num_grat_arp", "3", None),
            Ok(DriverOption::Read)
        );
        assert!(o.read_driver("num_unsol_na", "4", None).is_err());
        assert_eq!(o.set_driver("arp_all_targets", "1"), Ok(false));
        assert!(o.set_driver("ad_select", "3").is_err());
        assert!(o.set_driver("resend_igmp", "256").is_err());
        assert_eq!(
            o.driver_values(),
            [
                ("lacp_rate", "fast".to_owned()),
                ("xmit_hash_policy", "layer3+4".to_owned()),
                ("all_slaves_active", "1".to_owned()),
                ("num_grat_arp", "3".to_owned()),
            ]
        );
        assert_eq!(o.xml_values()[2], ("all_slaves_active", "yes".to_owned()));
        // The XML takes names only, and yes or no.
        assert!(o.clone().set_xml("lacp_rate", "1").is_err());
        assert!(o.clone().set_xml("tlb_dynamic_lb", "1").is_err());
        assert_eq!(BondOptions::mode_problem("xmit_hash_policy", None), None);
        assert_eq!(
            BondOptions::mode_problem("lacp_rate", Some(BondMode::ActiveBackup)).as_deref(),
            Some("lacp_rate is for mode '802.3ad', and this bond's is 'active-backup'")
        );
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
