//! Rebuilding a network's usage counts from its stored ports (libvirt's networkNotifyPort,
//! run for every saved port when the daemon restarts).

use crate::error::{Error, RefusedKind};
use crate::model::network::{
    MacvtapMode, Network, NetworkPort, PciAddress, Plug, PlugType, PoolInterface,
};
use crate::model::{IfaceName, Uuid};

use super::pool::{self, Connection};

/// `net` with its usage counted from `ports`, starting at zero, and the ports that could
/// not be counted with why. Counts are never stored on their own: they always follow from
/// the ports, so a crash between writing a port and updating a count cannot leave them
/// wrong. Ports are counted in the order given, so when two claim one exclusive device the
/// later one is refused. A lone `<forward dev>` of a direct mode becomes a one-entry
/// `<interface>` pool (as libvirt's live XML shows it), the only place its count can live.
pub fn count(net: &Network, ports: &[&NetworkPort]) -> (Network, Vec<(Uuid, Error)>) {
    let mut out = net.clone().without_live_state();
    let conn = Connection::of(&out);
    if let (Connection::Direct(_), Some(f)) = (&conn, &mut out.forward)
        && f.interfaces.is_empty()
        && let Some(dev) = &f.dev
    {
        f.interfaces.push(PoolInterface {
            dev: dev.clone(),
            connections: None,
        });
    }
    let mut total: u32 = 0;
    let mut rejected = Vec::new();
    for port in ports {
        match count_one(&mut out, &conn, port) {
            Ok(()) => total = total.saturating_add(1),
            Err(e) => rejected.push((port.uuid, e)),
        }
    }
    out.connections = (total > 0).then_some(total);
    (out, rejected)
}

/// Counts one port on the pool entry it uses, or says why it does not belong.
fn count_one(net: &mut Network, conn: &Connection, port: &NetworkPort) -> Result<(), Error> {
    let name = net.name.clone();
    let id = port.uuid;
    let Some(plug) = &port.plug else {
        return Err(Error::refused(
            RefusedKind::Mismatch,
            format!("network '{name}' cannot count port {id}: it has no plug"),
        ));
    };
    match (plug, conn) {
        (
            Plug::Bridge { bridge, .. },
            Connection::OwnBridge(Some(ours), _) | Connection::HostBridge(ours, _),
        ) if plug.kind() == conn.plug_type() => {
            if bridge == ours {
                Ok(())
            } else {
                Err(Error::refused(
                    RefusedKind::Mismatch,
                    format!(
                        "network '{name}' doesn't have bridge '{bridge}' in use by network port \
                     {id}; its bridge is '{ours}'"
                    ),
                ))
            }
        }
        (
            Plug::Bridge {
                kind: PlugType::Network,
                bridge,
                ..
            },
            Connection::OwnBridge(None, _),
        ) => Err(Error::refused(
            RefusedKind::Mismatch,
            format!(
                "network '{name}' has no bridge name yet, so it doesn't have bridge '{bridge}' in \
             use by network port {id}"
            ),
        )),
        (Plug::Direct { dev, mode }, Connection::Direct(want)) => {
            count_direct(net, conn, port, dev, *mode, *want)
        }
        (Plug::HostdevPci { address, .. }, Connection::Hostdev) => count_pci(net, port, address),
        _ => Err(Error::refused(
            RefusedKind::Mismatch,
            format!(
                "network port {id} has a plug of type '{}', but network '{name}' (mode '{}') \
             gives ports of type '{}'",
                plug.kind(),
                pool::mode_name(net),
                conn.plug_type()
            ),
        )),
    }
}

/// Counts a macvtap port on its pool device, in the mode the network gives; a mode that
/// needs the device to itself takes it only when nothing else uses it.
fn count_direct(
    net: &mut Network,
    conn: &Connection,
    port: &NetworkPort,
    dev: &IfaceName,
    mode: MacvtapMode,
    want: MacvtapMode,
) -> Result<(), Error> {
    let name = net.name.clone();
    let id = port.uuid;
    if mode != want {
        return Err(Error::refused(
            RefusedKind::Mismatch,
            format!(
                "network '{name}' gives macvtap mode '{want}', not the mode '{mode}' of \
             network port {id} on dev '{dev}'"
            ),
        ));
    }
    let exclusive = conn.exclusive(port.virtualport.as_ref());
    let entry = net
        .forward
        .as_mut()
        .and_then(|f| f.interfaces.iter_mut().find(|i| i.dev == *dev));
    let Some(entry) = entry else {
        return Err(Error::refused(
            RefusedKind::Mismatch,
            format!("network '{name}' doesn't have dev '{dev}' in use by network port {id}"),
        ));
    };
    bump(&mut entry.connections, exclusive, || {
        format!(
            "network '{name}' claims dev '{dev}' is already in use by a different \
             port, so network port {id} cannot use it too (mode '{mode}' needs the \
             device to itself)"
        )
    })
}

/// Counts a PCI passthrough port on its pool address, which it always has to itself.
fn count_pci(net: &mut Network, port: &NetworkPort, address: &PciAddress) -> Result<(), Error> {
    let name = net.name.clone();
    let id = port.uuid;
    let pci = pool::pci_name(address);
    let entry = net
        .forward
        .as_mut()
        .and_then(|f| f.addresses.iter_mut().find(|a| pool::same_pci(a, address)));
    let Some(entry) = entry else {
        return Err(Error::refused(
            RefusedKind::Mismatch,
            format!("network '{name}' doesn't have PCI device {pci} in use by network port {id}"),
        ));
    };
    bump(&mut entry.connections, true, || {
        format!(
            "network '{name}' claims the PCI device {pci} is already in use by a \
             different port, so network port {id} cannot use it too"
        )
    })
}

/// Adds one use, refusing a second on an exclusive device.
fn bump(
    connections: &mut Option<u32>,
    exclusive: bool,
    in_use: impl FnOnce() -> String,
) -> Result<(), Error> {
    let used = connections.unwrap_or(0);
    if exclusive && used > 0 {
        return Err(Error::refused(RefusedKind::Exhausted, in_use()));
    }
    *connections = Some(used.saturating_add(1));
    Ok(())
}

#[cfg(test)]
mod tests;
