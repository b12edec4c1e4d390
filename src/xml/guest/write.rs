//! The canonical form of a guest `<interface>`: mac, source, actual, virtualport, target,
//! model, bandwidth, vlan, link, port, as libvirt orders them.

use super::super::netport::{driver_el, pci_address_el, port_el};
use super::super::network::write::{bandwidth, virtualport, vlan, yes_no};
use super::super::write::El;
use crate::model::guest::{Actual, GuestInterface, GuestSource};
use crate::model::network::{Plug, PlugType};

/// The `<actual type>` of a plug type: `hostdev` for a PCI plug, the plug type otherwise.
pub(super) fn actual_type_name(kind: PlugType) -> &'static str {
    match kind {
        PlugType::HostdevPci => "hostdev",
        other => other.as_str(),
    }
}

/// One `<interface>`.
pub(super) fn interface(i: &GuestInterface) -> El {
    El::new("interface")
        .attr("type", i.kind)
        .opt("trustGuestRxFilters", i.trust_guest_rx_filters.map(yes_no))
        .children(i.mac.map(|m| El::new("mac").attr("address", m)))
        .children(source(&i.source))
        .children(i.actual.as_ref().map(actual))
        .children(i.virtualport.as_ref().map(virtualport))
        .children(i.script.as_ref().map(|p| El::new("script").attr("path", p)))
        .children(
            i.downscript
                .as_ref()
                .map(|p| El::new("downscript").attr("path", p)),
        )
        .children(i.target.as_ref().map(|t| El::new("target").attr("dev", t)))
        .children(i.model.as_ref().map(|m| El::new("model").attr("type", m)))
        .children(i.bandwidth.as_ref().and_then(bandwidth))
        .children(i.vlan.as_ref().map(vlan))
        .children(
            i.link_up
                .map(|up| El::new("link").attr("state", if up { "up" } else { "down" })),
        )
        .children(port_el(i.port))
}

fn source(s: &GuestSource) -> Option<El> {
    let el = El::new("source");
    Some(match s {
        GuestSource::Nothing => return None,
        GuestSource::Network {
            network,
            portgroup,
            portid,
        } => el
            .attr("network", network)
            .opt("portgroup", portgroup.as_ref())
            .opt("portid", *portid),
        GuestSource::Bridge { bridge } => el.attr("bridge", bridge),
        GuestSource::Direct { dev, mode } => el.attr("dev", dev).opt("mode", *mode),
        GuestSource::Socket { address, port } => el.opt("address", *address).attr("port", port),
    })
}

fn actual(a: &Actual) -> El {
    let el = El::new("actual").attr("type", actual_type_name(a.plug.kind()));
    let el = match &a.plug {
        Plug::Bridge {
            bridge,
            mac_table_manager,
            ..
        } => el
            .opt("trustGuestRxFilters", a.trust_guest_rx_filters.map(yes_no))
            .child(
                El::new("source")
                    .attr("bridge", bridge)
                    .opt("macTableManager", *mac_table_manager),
            ),
        Plug::Direct { dev, mode } => el
            .opt("trustGuestRxFilters", a.trust_guest_rx_filters.map(yes_no))
            .child(El::new("source").attr("dev", dev).attr("mode", mode)),
        Plug::HostdevPci {
            managed,
            driver,
            address,
        } => el
            .opt("managed", managed.map(yes_no))
            .opt("trustGuestRxFilters", a.trust_guest_rx_filters.map(yes_no))
            .children(driver_el(driver.as_ref()))
            .child(El::new("source").child(pci_address_el(address, true))),
    };
    el.children(a.virtualport.as_ref().map(virtualport))
        .children(a.bandwidth.as_ref().and_then(bandwidth))
        .children(a.vlan.as_ref().map(vlan))
        .children(port_el(a.port))
}
