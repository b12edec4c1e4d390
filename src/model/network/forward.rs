//! `<forward>`: how a network reaches the outside, and the host devices it may use.

use std::net::Ipv4Addr;

use super::super::{IfaceName, keywords};
use super::Text;

keywords! {
    /// `<forward mode>`.
    ForwardMode {
        /// NAT behind the host (the default when `<forward>` has no mode).
        Nat = "nat",
        /// Routed without NAT.
        Route = "route",
        /// Routed, with no firewall rules at all.
        Open = "open",
        /// A host bridge, or macvtap bridge mode over the pool.
        Bridge = "bridge",
        /// macvtap private mode.
        Private = "private",
        /// macvtap VEPA mode.
        Vepa = "vepa",
        /// macvtap passthrough of a whole device.
        Passthrough = "passthrough",
        /// PCI passthrough of an SR-IOV function.
        Hostdev = "hostdev",
    }
}

/// `<forward>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Forward {
    /// `mode`, as written; [`super::Network::forward_mode`] applies the default.
    pub mode: Option<ForwardMode>,
    /// `dev`: the only device forwarded traffic may leave by.
    pub dev: Option<IfaceName>,
    /// `managed` (hostdev).
    pub managed: Option<bool>,
    /// `<driver>` (hostdev).
    pub driver: Option<Driver>,
    /// `<nat>` (nat mode).
    pub nat: Option<Nat>,
    /// `<pf dev>`: an SR-IOV physical function whose virtual functions form the pool.
    pub pf: Option<IfaceName>,
    /// `<interface dev>` pool, in order.
    pub interfaces: Vec<PoolInterface>,
    /// `<address type='pci'>` pool, in order.
    pub addresses: Vec<PciAddress>,
}

/// `<forward><driver>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Driver {
    /// `name`, such as `vfio`.
    pub name: Option<Text>,
    /// `model`, such as `vfio-pci-igb`.
    pub model: Option<Text>,
}

/// `<forward><nat>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nat {
    /// `ipv6='yes'`: masquerade IPv6 too.
    pub ipv6: Option<bool>,
    /// `<address start end>`: SNAT to this range instead of masquerading.
    pub address: Option<(Ipv4Addr, Ipv4Addr)>,
    /// `<port start end>`: source ports to use.
    pub port: Option<(u16, u16)>,
}

/// One `<forward><interface>` of a device pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInterface {
    /// `dev`.
    pub dev: IfaceName,
    /// `connections`: live state only.
    pub connections: Option<u32>,
}

/// One `<forward><address type='pci'>` of a hostdev pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PciAddress {
    /// `domain`.
    pub domain: u16,
    /// `bus`.
    pub bus: u8,
    /// `slot` (0 to 31).
    pub slot: u8,
    /// `function` (0 to 7).
    pub function: u8,
    /// `connections`: live state only.
    pub connections: Option<u32>,
}
