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
mod netloom;
mod netport;
mod network;
mod reader;
mod route;
mod vlan;
mod write;

use crate::error::{Diagnostic, Diagnostics};
use crate::model::Host;
use crate::source::SourceFile;

pub use guest::{check_scripts, guest_to_xml, read_guest};
pub use netport::{netport_to_xml, read_netport};
pub use network::{
    NetworkChecks, is_network_document, network_to_xml, read_network, read_network_str,
    read_network_with,
};
/// `net update`'s pieces of a network.
pub mod section {
    pub use super::network::{Entry, Key, Section, read_entry, read_key};
}
pub use write::to_xml;

/// What a document holds, by its root element: what picks the reader for a file of unknown
/// kind (`validate`, `dumpxml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// `<interface>` or `<interfaces>`, and anything else, whose error the interface reader
    /// gives (malformed XML included).
    Interface,
    /// `<network>`.
    Network,
    /// `<domain>` or `<devices>`: a guest's interfaces.
    Guest,
    /// `<networkport>`.
    NetworkPort,
}

/// The kind of a document, from its root element's name (any prefix ignored). The prolog is
/// skipped by hand rather than parsing the whole file twice.
pub fn document_kind(text: &str) -> DocumentKind {
    let Some(name) = root_name(text) else {
        return DocumentKind::Interface;
    };
    let local = name.rsplit(':').next().unwrap_or(name);
    match local {
        "network" => DocumentKind::Network,
        "domain" | "devices" => DocumentKind::Guest,
        "networkport" => DocumentKind::NetworkPort,
        _ => DocumentKind::Interface,
    }
}

/// The name of the root element as written, or `None` when the text does not get that far.
fn root_name(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else {
            break;
        }
    }
    let after = rest.strip_prefix('<')?;
    let end = after
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(after.len());
    Some(&after[..end])
}

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
