//! `<networkport>` XML to the model and back.

use crate::error::Diagnostics;
use crate::model::network::NetworkPort;
use crate::source::SourceFile;

/// Reads a `<networkport>`.
pub fn read_netport(file: &SourceFile) -> Result<NetworkPort, Diagnostics> {
    let _ = file;
    Err(Diagnostics(Vec::new()))
}

/// The canonical XML of a port (libvirt's `virNetworkPortDefFormat`), ending in a newline.
pub fn netport_to_xml(port: &NetworkPort) -> String {
    let _ = port;
    String::new()
}
