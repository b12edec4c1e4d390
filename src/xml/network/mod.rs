//! Network XML (`<network>`, what `virsh net-dumpxml` prints) to the model and back.
//!
//! Reading is as strict as the interface reader: every element and attribute of libvirt's
//! `network.rng` is accepted and nothing else, values are checked by the model's newtypes
//! (so nothing reaching dnsmasq or a firewall rule can carry a line break), and every
//! problem of a file is reported in one run, positioned `file:line:col`. On top of the
//! grammar come libvirt's own checks: those it makes while parsing and, unless only those
//! are asked for, those it makes when a network is defined (see [`NetworkChecks`]).

mod addressing;
mod checks;
mod cross;
mod dns;
pub(super) mod forward;
mod policy;
pub(super) mod port;
pub(super) mod read;
mod section;
pub(super) mod write;

use crate::error::Diagnostics;
use crate::model::network::Network;
use crate::source::SourceFile;

pub use section::{Entry, Key, Section, read_entry, read_key};
pub use write::network_to_xml;

/// How much of libvirt's checking a read applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkChecks {
    /// What libvirt checks while parsing (`virNetworkDefParse`), no more. libvirt's own
    /// round-trip fixtures are parse-only and three of them (a passthrough network with an
    /// `<ip>`, one with a PCI address, a private network with a `<vlan>`) would be refused
    /// at define time, so reproducing them needs this level.
    Parse,
    /// Also what `net-define` checks about the XML alone (`networkValidate`): what a host
    /// device mode may carry, one DHCP address per family, portgroups, vlans, bandwidth.
    /// This is the level netloom renders from, because a network libvirt would not define
    /// must not reach a dnsmasq or firewall configuration either.
    Define,
}

/// Reads one `<network>`, with every check libvirt makes before defining it.
pub fn read_network(file: &SourceFile) -> Result<Network, Diagnostics> {
    read_network_with(file, NetworkChecks::Define)
}

/// Reads one `<network>` with the given level of checking.
pub fn read_network_with(file: &SourceFile, checks: NetworkChecks) -> Result<Network, Diagnostics> {
    read::document(file, checks)
}

/// Reads one `<network>` from a text already in memory, with every check.
pub fn read_network_str(name: &str, text: &str) -> Result<Network, Diagnostics> {
    read_network(&SourceFile::new(name, text))
}

/// Whether a document's root element is `<network>`, so a caller holding a file of unknown
/// kind can pick the reader. Malformed XML answers `false` (the interface reader then says
/// what is wrong with it).
pub fn is_network_document(text: &str) -> bool {
    super::document_kind(text) == super::DocumentKind::Network
}

/// The source positions of what the cross-element checks point at, gathered while reading
/// (byte offsets; lists run parallel to the model's lists).
#[derive(Debug, Default)]
pub(super) struct At {
    pub root: usize,
    pub forward: Option<usize>,
    pub bridge: Option<usize>,
    pub bridge_name: Option<usize>,
    pub bridge_stp: Option<usize>,
    pub bridge_delay: Option<usize>,
    pub bridge_zone: Option<usize>,
    pub bridge_mtm: Option<usize>,
    pub mtu: Option<usize>,
    pub mac: Option<usize>,
    pub domain: Option<usize>,
    pub dns_records: Option<usize>,
    pub vlan: Option<usize>,
    pub bandwidth: Option<usize>,
    pub ips: Vec<usize>,
    /// Whether every `<ip>` was read: checks against the set of addresses (route
    /// reachability) would be spurious otherwise.
    pub all_ips: bool,
    pub dhcps: Vec<Option<usize>>,
    pub route_gateways: Vec<usize>,
    pub portgroups: Vec<PortGroupAt>,
    pub addresses: Vec<usize>,
    pub interfaces: Vec<usize>,
}

/// Positions inside one `<portgroup>`.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PortGroupAt {
    pub el: usize,
    pub default: Option<usize>,
    pub bandwidth: Option<usize>,
    pub vlan: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_element_decides_the_kind() {
        assert!(is_network_document("<network><name>x</name></network>"));
        assert!(is_network_document(
            "\u{feff}<?xml version='1.0'?>\n<!-- c -->\n<network ipv6='yes'/>"
        ));
        assert!(!is_network_document("<interface type='ethernet'/>"));
        assert!(!is_network_document("<networks/>"));
        assert!(!is_network_document("<!-- unterminated"));
        assert!(!is_network_document(""));
    }
}
