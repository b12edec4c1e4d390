//! The backend registry: every backend compiled into netloom, in one static list that the
//! command line, `netloom backends` and the golden harness all iterate.
//!
//! Adding a backend is one folder here, one under `templates/`, one line in [`ALL`] and its
//! golden cases under `golden/<name>/`. Nothing else lives in this file.

use crate::backend::{Backend, NetBackend};
use network::{DhcpServer, FirewallBackend};

pub mod debian;
pub mod dnsmasq;
pub mod firewall;
pub mod ifcfg;
pub mod iptables;
pub mod network;
pub mod nftables;
pub mod nm;
pub mod null;

/// Every backend, in the order `netloom backends` lists them.
pub static ALL: &[&dyn Backend] = &[&ifcfg::Ifcfg, &debian::Debian, &nm::Nm, &null::Null];

/// The backend with the given name.
pub fn find(name: &str) -> Option<&'static dyn Backend> {
    ALL.iter().copied().find(|b| b.name() == name)
}

/// Every virtual-network backend, in the order `netloom net render` writes them.
pub static NETWORK: &[&dyn NetBackend] =
    &[&dnsmasq::Dnsmasq, &iptables::Iptables, &nftables::Nftables];

/// Every firewall a running network's rules can go into, in the order of preference: with
/// no `--firewall`, a network's rules go into the first whose tool works here.
pub static FIREWALLS: &[&dyn FirewallBackend] = &[&nftables::Nftables, &iptables::Iptables];

/// The firewall backend with the given name (a record's, or `--firewall`'s).
pub fn firewall(name: &str) -> Option<&'static dyn FirewallBackend> {
    FIREWALLS.iter().copied().find(|b| b.name() == name)
}

/// The DHCP and DNS server of every network with a bridge of its own: there is one.
pub static DHCP: &dyn DhcpServer = &dnsmasq::Dnsmasq;
