//! The dnsmasq backend: the DHCP, DNS, TFTP and router-advertisement server of a virtual
//! network, configured the way libvirt 11.3 configures it, so a network behaves the same
//! whichever of the two started it and netloom's output can be compared with libvirt's own
//! test data byte for byte.
//!
//! Three files per network with a bridge of its own and at least one `<ip>`, under
//! [`DIR`]: `NAME.conf` (everything dnsmasq is told, mode 0600 as libvirt writes it),
//! `NAME.hostsfile` (fixed DHCP addresses) and `NAME.addnhosts` (extra DNS names), the
//! last two always written, possibly empty, so hosts can be added while dnsmasq runs.
//! `NAME` is [`NetName::file_stem`](crate::model::network::NetName::file_stem), libvirt's
//! spelling of the network name in these paths.
//!
//! `NAME.conf` renders through `templates/dnsmasq/conf.txt`, which lists its lines in
//! libvirt's order (the order the conformance data checks); [`conf`] decides which lines a
//! network gets and checks and quotes their values. The two host lists are records, one
//! line per host, built in code (see `hosts.rs`).

mod conf;
mod hosts;
mod run;

pub use conf::{conf, reverse_zone};
pub use hosts::{addnhosts, hostsfile};

use crate::backend::{BackendError, NetBackend, NetContext, RenderedFile};
use crate::model::network::{NetIp, Network};

/// Where the files go, relative to the target root.
pub const DIR: &str = "var/lib/netloom/dnsmasq";

/// The dnsmasq backend.
#[derive(Debug)]
pub struct Dnsmasq;

impl NetBackend for Dnsmasq {
    fn name(&self) -> &'static str {
        "dnsmasq"
    }

    fn render(&self, net: &Network, ctx: &NetContext) -> Result<Vec<RenderedFile>, BackendError> {
        if !serves(net) {
            return Ok(Vec::new());
        }
        let dhcp = DhcpIps::of(net)?;
        let stem = net.name.file_stem();
        let file = |ext: &str, contents: String, mode: u32| RenderedFile {
            path: format!("{DIR}/{stem}.{ext}"),
            contents,
            mode,
        };
        // Sorted by path: addnhosts, conf, hostsfile.
        Ok(vec![
            file("addnhosts", addnhosts(net), 0o644),
            file("conf", conf(net, ctx, &dhcp)?, 0o600),
            file("hostsfile", hostsfile(net, &dhcp)?, 0o644),
        ])
    }
}

/// Whether dnsmasq serves `net`: only a network with its own bridge (isolated, nat, route,
/// open) has addresses on the host, and only one with an `<ip>` has anything to serve.
pub fn serves(net: &Network) -> bool {
    net.has_own_bridge() && !net.ips.is_empty()
}

/// The two `<ip>`s dnsmasq serves DHCP on: the one IPv4 and the one IPv6 `<ip>` that have
/// DHCP ranges or hosts. The conf and the hostsfile both follow them.
#[derive(Debug, Clone, Copy, Default)]
pub struct DhcpIps<'a> {
    /// The IPv4 `<ip>` with DHCP.
    pub v4: Option<&'a NetIp>,
    /// The IPv6 `<ip>` with DHCP.
    pub v6: Option<&'a NetIp>,
}

impl<'a> DhcpIps<'a> {
    /// Finds them; more than one per family is refused, as libvirt does, because dnsmasq
    /// would serve both subnets from one lease pool on one bridge.
    pub fn of(net: &'a Network) -> Result<Self, BackendError> {
        let mut found = Self::default();
        for ip in net.ips.iter().filter(|ip| ip.has_dhcp()) {
            let (slot, family) = if ip.is_ipv6() {
                (&mut found.v6, "IPv6")
            } else {
                (&mut found.v4, "IPv4")
            };
            if let Some(first) = slot {
                return Err(refuse(
                    net,
                    format!(
                        "<ip address='{}'> and <ip address='{}'> both have DHCP; only one {family} <ip> may",
                        first.address, ip.address
                    ),
                ));
            }
            *slot = Some(ip);
        }
        Ok(found)
    }
}

/// A render-time refusal naming the network.
fn refuse(net: &Network, why: String) -> BackendError {
    BackendError::Network {
        network: net.name.to_string(),
        why,
    }
}

#[cfg(test)]
mod tests;
