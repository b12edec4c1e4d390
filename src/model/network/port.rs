//! What a guest port inherits from its network: virtualport profiles, portgroups, VLANs,
//! bandwidth and port options. Guest interfaces (the ports issue) reuse these types.

use super::super::{Uuid, keywords};
use super::Text;

keywords! {
    /// `<virtualport type>`.
    VirtualPortType {
        /// VSI over VDP (IEEE 802.1Qbg).
        Qbg = "802.1Qbg",
        /// Port profile on a controlling bridge (IEEE 802.1Qbh).
        Qbh = "802.1Qbh",
        /// An Open vSwitch port.
        Openvswitch = "openvswitch",
        /// A MidoNet port.
        Midonet = "midonet",
    }
}

/// `<virtualport>` with its `<parameters>`. The type may be left out in a portgroup or a
/// guest interface; the merge decides it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VirtualPort {
    /// `type`.
    pub kind: Option<VirtualPortType>,
    /// `managerid` (Qbg, 0 to 255).
    pub managerid: Option<u8>,
    /// `typeid` (Qbg, 0 to 16777215).
    pub typeid: Option<u32>,
    /// `typeidversion` (Qbg, 0 to 255).
    pub typeidversion: Option<u8>,
    /// `instanceid` (Qbg).
    pub instanceid: Option<Uuid>,
    /// `profileid` (Qbh, openvswitch).
    pub profileid: Option<Text>,
    /// `interfaceid` (openvswitch, midonet).
    pub interfaceid: Option<Uuid>,
}

keywords! {
    /// `<tag nativeMode>`.
    NativeMode {
        /// Untagged frames carry the native VLAN, tagged ones too.
        Tagged = "tagged",
        /// Untagged frames carry the native VLAN.
        Untagged = "untagged",
    }
}

/// One `<vlan><tag>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrunkTag {
    /// `id`, 0 to 4095.
    pub id: u16,
    /// `nativeMode`.
    pub native_mode: Option<NativeMode>,
}

/// `<vlan>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetVlan {
    /// `trunk='yes'`.
    pub trunk: Option<bool>,
    /// The tags, in order (at least one).
    pub tags: Vec<TrunkTag>,
}

/// `<inbound>` or `<outbound>`: rates in KiB/s, burst in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    /// `average`.
    pub average: Option<u64>,
    /// `peak`.
    pub peak: Option<u64>,
    /// `burst`.
    pub burst: Option<u64>,
    /// `floor` (inbound only).
    pub floor: Option<u64>,
}

/// `<bandwidth>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bandwidth {
    /// `<inbound>`.
    pub inbound: Option<Rate>,
    /// `<outbound>`.
    pub outbound: Option<Rate>,
}

/// `<port>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortOptions {
    /// `isolated='yes'`: ports may not talk to each other.
    pub isolated: Option<bool>,
}

/// `<portgroup>`: settings a guest port picks by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortGroup {
    /// `name`.
    pub name: Text,
    /// `default='yes'`: used when the guest names no portgroup.
    pub default: Option<bool>,
    /// `trustGuestRxFilters`.
    pub trust_guest_rx_filters: Option<bool>,
    /// `<virtualport>`.
    pub virtualport: Option<VirtualPort>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<vlan>`.
    pub vlan: Option<NetVlan>,
}
