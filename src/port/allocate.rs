//! Resolving a type-network guest interface into a port (libvirt's networkAllocatePort).

use std::collections::BTreeSet;

use crate::error::Error;
use crate::model::guest::{Actual, GuestInterface, GuestName};
use crate::model::network::{Network, NetworkPort, Owner};
use crate::model::{MacAddr, Uuid};

/// Resolves `iface` (type network) against the running network `net`, whose
/// `connections` fields hold the current usage. The port is not counted.
pub fn allocate(
    net: &Network,
    iface: &GuestInterface,
    owner: &Owner,
    mac: MacAddr,
    uuid: Uuid,
) -> Result<NetworkPort, Error> {
    let _ = (net, iface, owner, mac, uuid);
    Err(Error::Refused("not written yet".into()))
}

/// `net` with its usage counted from `ports`, starting at zero, and the ports that could
/// not be counted with why.
pub fn count(net: &Network, ports: &[&NetworkPort]) -> (Network, Vec<(Uuid, Error)>) {
    let _ = ports;
    (net.clone(), Vec::new())
}

/// The `<actual>` a port gives its guest interface.
pub fn actual(port: &NetworkPort) -> Option<Actual> {
    let _ = port;
    None
}

/// A MAC for interface `index` of `guest`, in 52:54:00, not in `taken`.
pub fn new_mac(guest: &GuestName, index: usize, taken: &BTreeSet<MacAddr>) -> MacAddr {
    let _ = (guest, index, taken);
    MacAddr::from_octets([0x52, 0x54, 0, 0, 0, 1])
}
