//! Interface XML and network XML to the model and back.
//!
//! Reading is strict and positioned: anything outside libvirt's interface grammar (plus the one
//! documented extension, `<shared bridge='…'/>`) is refused with `file:line:col`, and every
//! problem in every input is reported in one run. Writing gives the canonical form: netcf's
//! element order, two-space indent, single-quoted attributes, which reads back to the same
//! model.

mod bond;
mod bounds;
mod bridge;
mod check;
mod ethernet;
mod guest;
mod interface;
mod ip;
mod netport;
mod network;
mod reader;
mod vlan;
mod write;

use crate::error::{Diagnostic, Diagnostics};
use crate::model::Host;
use crate::source::SourceFile;

pub use guest::{guest_to_xml, read_guest};
pub use netport::{netport_to_xml, read_netport};
pub use network::{
    NetworkChecks, is_network_document, network_to_xml, read_network, read_network_str,
    read_network_with,
};
pub use write::to_xml;

/// Reads one host from one or more inputs. Files given together describe one host, so an
/// interface defined in two of them is an error like one defined twice in a single file.
pub fn read_host(files: &[SourceFile]) -> Result<Host, Diagnostics> {
    let mut host = Host::default();
    let mut defs = check::Defs::default();
    let mut readers: Vec<reader::Reader> = files
        .iter()
        .enumerate()
        .map(|(index, file)| reader::Reader::new(file, index))
        .collect();
    for r in &mut readers {
        if let Some(doc) = r.document() {
            interface::read_document(r, &doc, &mut host, &mut defs);
        }
    }
    defs.report_conflicts(&mut readers);
    // Reported in reading order: by file as given, then by position.
    let diags: Vec<Diagnostic> = readers
        .into_iter()
        .flat_map(reader::Reader::into_diagnostics)
        .collect();
    if diags.is_empty() {
        return Ok(host);
    }
    Err(Diagnostics(diags))
}

/// Reads one host from a single text, for callers that already hold it in memory.
pub fn read_str(name: &str, text: &str) -> Result<Host, Diagnostics> {
    read_host(&[SourceFile::new(name, text)])
}
