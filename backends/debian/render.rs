//! The model to stanzas: one file per top-level interface.

use crate::backend::Refusal;
use crate::model::Interface;

/// The first line of every file netloom writes; how it recognises its own files.
pub(super) const HEADER: &str =
    "# Written by netloom from its interface declaration: change that and apply it again.\n";

/// The text of `etc/network/interfaces.d/NAME` for one top-level interface.
pub(super) fn interface_file(iface: &Interface) -> Result<String, Vec<Refusal>> {
    Ok(format!("{HEADER}iface {} inet manual\n", iface.name))
}
