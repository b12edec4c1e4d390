//! How a network connects its guest ports, and the device pool of the modes that hand out
//! host devices: shared by allocation (which picks from the pool) and counting (which checks
//! a saved port against it), so both agree on what belongs to a network.

use crate::error::{Error, RefusedKind};
use crate::model::IfaceName;
use crate::model::network::{
    ForwardMode, MacTableManager, MacvtapMode, Network, PciAddress, PlugType, VirtualPort,
    VirtualPortType,
};

/// What a network's forward mode makes of a guest port (libvirt's switch in
/// networkAllocatePort), decided once so allocation and counting cannot disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Connection {
    /// A tap on the network's own bridge (isolated, nat, route, open); `None` when the
    /// bridge name is still a template or missing.
    OwnBridge(Option<IfaceName>, Option<MacTableManager>),
    /// A tap on a host bridge (mode bridge with a bridge name).
    HostBridge(IfaceName, Option<MacTableManager>),
    /// A macvtap on a pool device (mode bridge without a bridge name, private, vepa,
    /// passthrough).
    Direct(MacvtapMode),
    /// A PCI function from the address pool (mode hostdev).
    Hostdev,
}

impl Connection {
    /// The connection `net`'s forward mode gives.
    pub(super) fn of(net: &Network) -> Connection {
        let mtm = net.bridge.as_ref().and_then(|b| b.mac_table_manager);
        match net.forward_mode() {
            None | Some(ForwardMode::Nat | ForwardMode::Route | ForwardMode::Open) => {
                Connection::OwnBridge(net.bridge_name(), mtm)
            }
            Some(ForwardMode::Bridge) => match net.bridge_name() {
                Some(br) => Connection::HostBridge(br, mtm),
                None => Connection::Direct(MacvtapMode::Bridge),
            },
            Some(ForwardMode::Private) => Connection::Direct(MacvtapMode::Private),
            Some(ForwardMode::Vepa) => Connection::Direct(MacvtapMode::Vepa),
            Some(ForwardMode::Passthrough) => Connection::Direct(MacvtapMode::Passthrough),
            Some(ForwardMode::Hostdev) => Connection::Hostdev,
        }
    }

    /// The `<plug type>` a port of this network has.
    pub(super) fn plug_type(&self) -> PlugType {
        match self {
            Connection::OwnBridge(..) => PlugType::Network,
            Connection::HostBridge(..) => PlugType::Bridge,
            Connection::Direct(_) => PlugType::Direct,
            Connection::Hostdev => PlugType::HostdevPci,
        }
    }

    /// Whether a device of the pool serves one port only: passthrough and hostdev give the
    /// whole device to the guest, and an 802.1Qbh port profile is applied to the device
    /// itself, so two private-mode ports with one would fight over it.
    pub(super) fn exclusive(&self, virtualport: Option<&VirtualPort>) -> bool {
        match self {
            Connection::Direct(MacvtapMode::Passthrough) | Connection::Hostdev => true,
            Connection::Direct(MacvtapMode::Private) => {
                virtualport.and_then(|v| v.kind) == Some(VirtualPortType::Qbh)
            }
            _ => false,
        }
    }
}

/// The name of the mode for messages (`isolated` when there is no `<forward>`).
pub(super) fn mode_name(net: &Network) -> &'static str {
    net.forward_mode().map_or("isolated", ForwardMode::as_str)
}

/// The netdev pool of a direct mode with each device's usage: the `<interface>` entries, or
/// a lone `<forward dev>` as a pool of one (libvirt reads it that way).
pub(super) fn netdevs(net: &Network) -> Vec<(IfaceName, u32)> {
    let Some(f) = &net.forward else {
        return Vec::new();
    };
    if f.interfaces.is_empty() {
        return f.dev.iter().map(|d| (d.clone(), 0)).collect();
    }
    f.interfaces
        .iter()
        .map(|i| (i.dev.clone(), i.connections.unwrap_or(0)))
        .collect()
}

/// The PCI pool of hostdev mode with each function's usage.
pub(super) fn addresses(net: &Network) -> Vec<(PciAddress, u32)> {
    net.forward
        .iter()
        .flat_map(|f| &f.addresses)
        .map(|a| (*a, a.connections.unwrap_or(0)))
        .collect()
}

/// Why the pool is empty: an unexpanded `<pf>` is a different mistake (the caller must list
/// the virtual functions first) from a network that never had a pool.
pub(super) fn empty_pool(net: &Network) -> Error {
    let mode = mode_name(net);
    let pf = net.forward.as_ref().and_then(|f| f.pf.as_ref());
    let entries = if net.forward_mode() == Some(ForwardMode::Hostdev) {
        "<address type='pci'>"
    } else {
        "<interface>"
    };
    Error::refused(
        RefusedKind::Mismatch,
        match pf {
            Some(pf) => format!(
                "network '{}' (mode '{mode}') takes its pool from the virtual functions of PF '{pf}', \
             which have not been expanded into {entries} entries",
                net.name
            ),
            None if entries == "<interface>" => format!(
                "network '{}' uses a direct mode ('{mode}') but has no forward dev and no interface pool",
                net.name
            ),
            None => format!(
                "network '{}' (mode '{mode}') has no PCI addresses in its pool",
                net.name
            ),
        },
    )
}

/// The entry to use: for an exclusive device the first unused one, in pool order;
/// otherwise the least used one, ties going to the earliest (libvirt's choice, which spreads
/// guests evenly and is predictable). `None` only when nothing qualifies.
pub(super) fn pick<T>(pool: &[(T, u32)], exclusive: bool) -> Option<&(T, u32)> {
    if exclusive {
        return pool.iter().find(|(_, used)| *used == 0);
    }
    // min_by_key keeps the first of equal keys.
    pool.iter().min_by_key(|(_, used)| *used)
}

/// A PCI address as libvirt prints it in messages (`0000:03:00.1`).
pub(super) fn pci_name(a: &PciAddress) -> String {
    format!(
        "{:04x}:{:02x}:{:02x}.{:x}",
        a.domain, a.bus, a.slot, a.function
    )
}

/// Whether two PCI addresses name the same function (usage counts aside).
pub(super) fn same_pci(a: &PciAddress, b: &PciAddress) -> bool {
    (a.domain, a.bus, a.slot, a.function) == (b.domain, b.bus, b.slot, b.function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_pick_takes_first_unused_and_shared_pick_least_used_earliest() {
        let name = |p: Option<&(&'static str, u32)>| p.map(|(n, _)| *n);
        let pool = [("a", 2), ("b", 0), ("c", 1), ("d", 0)];
        assert_eq!(name(pick(&pool, true)), Some("b"));
        assert_eq!(name(pick(&pool, false)), Some("b"));
        let busy = [("a", 1), ("b", 3)];
        assert_eq!(name(pick(&busy, true)), None);
        assert_eq!(name(pick(&busy, false)), Some("a"));
        let tied = [("a", 2), ("b", 1), ("c", 1)];
        assert_eq!(name(pick(&tied, false)), Some("b"));
        let none: [(&str, u32); 0] = [];
        assert_eq!(name(pick(&none, false)), None);
    }
}
