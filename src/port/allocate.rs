//! Resolving a type-network guest interface into a port (libvirt's networkAllocatePort).

use crate::error::{Error, RefusedKind};
use crate::model::guest::{Actual, GuestInterface, GuestSource};
use crate::model::network::{
    MacvtapMode, NetVlan, Network, NetworkPort, Owner, PciAddress, Plug, PlugType, PortGroup,
    PortOptions, Text, VirtualPort, VirtualPortType,
};
use crate::model::{MacAddr, Uuid};

use super::merge::{complete, merge3};
use super::pool::{self, Connection};

/// Resolves `iface` (type network) against the running network `net`, whose
/// `connections` fields hold the current usage, as libvirt does when a guest starts: the
/// guest names only a network, and what it is connected to is decided here, on the host
/// that runs it. The port is not counted: counts follow from the stored ports (see
/// [`super::count`]), so a port that is never stored leaves nothing to undo.
pub fn allocate(
    net: &Network,
    iface: &GuestInterface,
    owner: &Owner,
    mac: MacAddr,
    uuid: Uuid,
) -> Result<NetworkPort, Error> {
    let GuestSource::Network {
        network, portgroup, ..
    } = &iface.source
    else {
        return Err(Error::refused(
            RefusedKind::Unsupported,
            format!(
                "only an interface of type 'network' is given a port on network '{}'; this one is \
             of type '{}'",
                net.name, iface.kind
            ),
        ));
    };
    if *network != net.name {
        return Err(Error::refused(
            RefusedKind::Mismatch,
            format!(
                "the interface names network '{network}', not '{}'",
                net.name
            ),
        ));
    }
    let group = portgroup_of(net, portgroup.as_ref())?;

    let net_label = format!("network '{}'", net.name);
    let group_label = group.map_or_else(
        || "the portgroup".to_owned(),
        |g| format!("portgroup '{}'", g.name),
    );
    let mut virtualport = merge3([
        (iface.virtualport.as_ref(), "the interface"),
        (net.virtualport.as_ref(), &net_label),
        (group.and_then(|g| g.virtualport.as_ref()), &group_label),
    ])?;

    let conn = Connection::of(net);
    if let Some(kind) = virtualport.as_ref().and_then(|v| v.kind) {
        allowed_virtualport(net, &conn, kind)?;
    }
    let plug = plug(net, &conn, virtualport.as_ref())?;
    if let Some(vp) = &mut virtualport {
        complete(vp, uuid, net.name.as_str())?;
    }

    let vlan = vlan_of(iface, group, net);
    let bandwidth = iface.bandwidth.or_else(|| group.and_then(|g| g.bandwidth));
    check_supported(net, &plug, vlan.is_some(), bandwidth.is_some())?;
    let isolated = iface
        .port
        .and_then(|p| p.isolated)
        .or_else(|| net.port.and_then(|p| p.isolated));
    let trust = iface
        .trust_guest_rx_filters
        .or_else(|| group.and_then(|g| g.trust_guest_rx_filters))
        .or(net.trust_guest_rx_filters);

    Ok(NetworkPort {
        uuid,
        owner: owner.clone(),
        group: group.map(|g| g.name.clone()),
        mac,
        class_id: None,
        bandwidth,
        vlan,
        port: isolated.map(|i| PortOptions { isolated: Some(i) }),
        trust_guest_rx_filters: trust,
        virtualport,
        plug: Some(plug),
    })
}

/// The `<actual>` a port gives its guest interface: the domain's status keeps a copy of the
/// resolved connection so the guest can be reconnected without asking the network again.
/// `None` for a port with no plug, which has nothing to report.
pub fn actual(port: &NetworkPort) -> Option<Actual> {
    Some(Actual {
        plug: port.plug.clone()?,
        virtualport: port.virtualport.clone(),
        vlan: port.vlan.clone(),
        bandwidth: port.bandwidth,
        port: port.port,
        trust_guest_rx_filters: port.trust_guest_rx_filters,
    })
}

/// The portgroup named, else the default one, else none. Unlike libvirt, which ignores a
/// portgroup it cannot find, a missing one is refused: the guest asked for its settings.
fn portgroup_of<'a>(net: &'a Network, name: Option<&Text>) -> Result<Option<&'a PortGroup>, Error> {
    match name {
        Some(name) => match net.portgroups.iter().find(|g| g.name == *name) {
            Some(g) => Ok(Some(g)),
            None => Err(Error::refused(
                RefusedKind::Missing,
                format!("network '{}' has no portgroup '{name}'", net.name),
            )),
        },
        None => Ok(net.portgroups.iter().find(|g| g.default == Some(true))),
    }
}

/// The interface's own tags, else the portgroup's, else the network's.
fn vlan_of(iface: &GuestInterface, group: Option<&PortGroup>, net: &Network) -> Option<NetVlan> {
    let tagged = |v: &Option<NetVlan>| v.clone().filter(|v| !v.tags.is_empty());
    tagged(&iface.vlan)
        .or_else(|| group.and_then(|g| tagged(&g.vlan)))
        .or_else(|| tagged(&net.vlan))
}

/// Refuses a virtualport type the connection cannot apply (libvirt makes the same checks).
fn allowed_virtualport(
    net: &Network,
    conn: &Connection,
    kind: VirtualPortType,
) -> Result<(), Error> {
    use VirtualPortType::*;
    let (ok, why) = match conn {
        Connection::OwnBridge(..) => (
            false,
            "whose ports are taps on its own bridge; no virtualport type applies",
        ),
        Connection::HostBridge(..) => (
            kind == Openvswitch,
            "which uses a host bridge; only 'openvswitch' applies",
        ),
        Connection::Direct(_) => (
            matches!(kind, Qbg | Qbh),
            "which uses a macvtap device; only '802.1Qbg' and '802.1Qbh' apply",
        ),
        Connection::Hostdev => (
            matches!(kind, Qbg | Qbh),
            "which passes an SR-IOV virtual function to the guest; only '802.1Qbg' and \
             '802.1Qbh' apply",
        ),
    };
    if ok {
        return Ok(());
    }
    Err(Error::refused(
        RefusedKind::Unsupported,
        format!(
            "<virtualport type='{kind}'> is not supported for network '{}' (mode '{}'), {why}",
            net.name,
            pool::mode_name(net)
        ),
    ))
}

/// The plug the network's mode gives, with a device picked from the pool where it has one.
fn plug(net: &Network, conn: &Connection, vp: Option<&VirtualPort>) -> Result<Plug, Error> {
    match conn {
        Connection::OwnBridge(None, _) => Err(Error::refused(
            RefusedKind::Missing,
            format!(
                "network '{}' has no bridge name to plug into (a template such as 'virbr%d' is \
             filled in only when the network is defined)",
                net.name
            ),
        )),
        Connection::OwnBridge(Some(bridge), mtm) => Ok(Plug::Bridge {
            kind: PlugType::Network,
            bridge: bridge.clone(),
            mac_table_manager: *mtm,
        }),
        Connection::HostBridge(bridge, mtm) => Ok(Plug::Bridge {
            kind: PlugType::Bridge,
            bridge: bridge.clone(),
            mac_table_manager: *mtm,
        }),
        Connection::Direct(mode) => {
            let devs = pool::netdevs(net);
            if devs.is_empty() {
                return Err(pool::empty_pool(net));
            }
            let (dev, _) = pool::pick(&devs, conn.exclusive(vp))
                .ok_or_else(|| none_available(net, devs.iter().map(|(d, _)| d.to_string())))?;
            Ok(Plug::Direct {
                dev: dev.clone(),
                mode: *mode,
            })
        }
        Connection::Hostdev => {
            let addrs = pool::addresses(net);
            if addrs.is_empty() {
                return Err(pool::empty_pool(net));
            }
            let (address, _) = pool::pick(&addrs, true)
                .ok_or_else(|| none_available(net, addrs.iter().map(|(a, _)| pool::pci_name(a))))?;
            let f = net.forward.as_ref();
            Ok(Plug::HostdevPci {
                managed: f.and_then(|f| f.managed),
                driver: f
                    .and_then(|f| f.driver.as_ref())
                    .and_then(|d| d.name.clone()),
                address: PciAddress {
                    connections: None,
                    ..*address
                },
            })
        }
    }
}

/// libvirt's message for an exhausted exclusive pool, with the devices named.
fn none_available(net: &Network, devices: impl Iterator<Item = String>) -> Error {
    Error::refused(
        RefusedKind::Exhausted,
        format!(
            "network '{}' requires exclusive access to interfaces, but none are available \
         (every one is in use: {})",
            net.name,
            devices.collect::<Vec<_>>().join(", ")
        ),
    )
}

/// What the connection cannot carry: a VLAN tag needs a device that tags (an SR-IOV
/// function, a passthrough macvtap, a host bridge), and a PCI function passed to the guest
/// has nothing on the host to shape. libvirt refuses both the same way.
fn check_supported(net: &Network, plug: &Plug, vlan: bool, bandwidth: bool) -> Result<(), Error> {
    let taggable = matches!(
        plug,
        Plug::HostdevPci { .. }
            | Plug::Direct {
                mode: MacvtapMode::Passthrough,
                ..
            }
            | Plug::Bridge {
                kind: PlugType::Bridge,
                ..
            }
    );
    if vlan && !taggable {
        return Err(Error::refused(
            RefusedKind::Unsupported,
            format!(
                "an interface connecting to network '{}' is requesting a vlan tag, but a port of \
             mode '{}' cannot carry one (only hostdev, passthrough and host bridge ports can)",
                net.name,
                pool::mode_name(net)
            ),
        ));
    }
    if bandwidth && matches!(plug, Plug::HostdevPci { .. }) {
        return Err(Error::refused(
            RefusedKind::Unsupported,
            format!(
                "bandwidth settings are not supported for hostdev interfaces (network '{}')",
                net.name
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
