//! `<networkport>`: one guest port allocated on a running network, as libvirt keeps it
//! under `/run/libvirt/network/NET/ports/UUID.xml`. netloom stores the same document under
//! `run/netloom/ports/`, so the usage counts of a network can always be rebuilt from it.

use super::super::{IfaceName, MacAddr, Uuid};
use super::{Bandwidth, MacTableManager, NetVlan, PciAddress, PortOptions, Text, VirtualPort};
use crate::model::keywords;

keywords! {
    /// `<plug type>`: how the port is really connected.
    PlugType {
        /// A tap on the network's own bridge (isolated, nat, route, open).
        Network = "network",
        /// A tap on a host bridge (forward mode bridge with a bridge name).
        Bridge = "bridge",
        /// A macvtap on a pool device.
        Direct = "direct",
        /// A PCI function of the pool passed to the guest.
        HostdevPci = "hostdev-pci",
    }
}

keywords! {
    /// A macvtap device's mode (`<source mode>`, `<plug mode>`).
    MacvtapMode {
        /// Traffic between guests goes out to the switch and back (the default).
        Vepa = "vepa",
        /// Guests on one device talk directly.
        Bridge = "bridge",
        /// Guests on one device cannot talk at all.
        Private = "private",
        /// The whole device is given to one guest.
        Passthrough = "passthrough",
    }
}

/// `<plug>`: the resolved connection. `None` in [`NetworkPort::plug`] is a port with no
/// plug (libvirt's `plug-none`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plug {
    /// `type='network'` or `type='bridge'`: a tap on `bridge`.
    Bridge {
        /// `network` or `bridge`.
        kind: PlugType,
        /// `bridge`.
        bridge: IfaceName,
        /// `macTableManager`.
        mac_table_manager: Option<MacTableManager>,
    },
    /// `type='direct'`: a macvtap on `dev`.
    Direct {
        /// `dev`.
        dev: IfaceName,
        /// `mode`.
        mode: MacvtapMode,
    },
    /// `type='hostdev-pci'`: a PCI function.
    HostdevPci {
        /// `managed`.
        managed: Option<bool>,
        /// `<driver name>` (`vfio`, `kvm`).
        driver: Option<Text>,
        /// `<address>`; its `connections` is always `None`.
        address: PciAddress,
    },
}

impl Plug {
    /// The `type` attribute.
    pub fn kind(&self) -> PlugType {
        match self {
            Plug::Bridge { kind, .. } => *kind,
            Plug::Direct { .. } => PlugType::Direct,
            Plug::HostdevPci { .. } => PlugType::HostdevPci,
        }
    }
}

/// `<owner>`: the guest the port belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `<name>`.
    pub name: Text,
    /// `<uuid>`.
    pub uuid: Uuid,
}

/// `<networkport>`, in libvirt's element order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPort {
    /// `<uuid>`: the port's identity, and its file name.
    pub uuid: Uuid,
    /// `<owner>`.
    pub owner: Owner,
    /// `<group>`: the portgroup it was resolved through.
    pub group: Option<Text>,
    /// `<mac address>`.
    pub mac: MacAddr,
    /// `<bandwidth classID>`.
    pub class_id: Option<u32>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<vlan>`.
    pub vlan: Option<NetVlan>,
    /// `<port isolated>`.
    pub port: Option<PortOptions>,
    /// `<rxfilters trustGuest>`.
    pub trust_guest_rx_filters: Option<bool>,
    /// `<virtualport>`, merged and completed.
    pub virtualport: Option<VirtualPort>,
    /// `<plug>`.
    pub plug: Option<Plug>,
}
