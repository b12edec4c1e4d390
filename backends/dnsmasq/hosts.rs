//! The two host lists dnsmasq rereads on SIGHUP, so hosts can change without a restart:
//! `NAME.hostsfile` (`dhcp-hostsfile`, fixed DHCP addresses) and `NAME.addnhosts`
//! (`addn-hosts`, extra DNS names). Plain string building: a line is three or four fields,
//! and 50,000 of them must render in milliseconds.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::backend::BackendError;
use crate::model::network::{DhcpHost, Network};

use super::{DhcpIps, refuse};

/// The `dhcp-hostsfile` text: one line per DHCP `<host>` that has an address, those of the
/// IPv4 DHCP `<ip>` first, then the IPv6 one, each in document order (libvirt's
/// `networkBuildDnsmasqDhcpHostsList`). Empty when there are none; the file is still written
/// so hosts can be added at run time.
pub fn hostsfile(net: &Network, dhcp: &DhcpIps<'_>) -> Result<String, BackendError> {
    let mut out = String::new();
    for ip in [dhcp.v4, dhcp.v6].into_iter().flatten() {
        for host in ip.dhcp.iter().flat_map(|d| &d.hosts) {
            host_line(&mut out, net, host)?;
        }
    }
    Ok(out)
}

/// One `dhcp-host` line. IPv4: `mac,ip,name`, `name,ip` or `mac,ip`; IPv6:
/// `id:DUID,name,[ip]`, `name,[ip]` or `id:DUID,[ip]`; then `,LEASE` if the host has one.
/// Every field is a typed value except the DUID, checked here as libvirt's parser does.
fn host_line(out: &mut String, net: &Network, host: &DhcpHost) -> Result<(), BackendError> {
    let Some(ip) = host.ip else {
        return Ok(());
    };
    // Writing to a String cannot fail; the results below are ignored for that reason.
    match ip {
        IpAddr::V4(ip) => match (&host.mac, &host.name) {
            (Some(mac), Some(name)) => {
                let _ = write!(out, "{mac},{ip},{name}");
            }
            (Some(mac), None) => {
                let _ = write!(out, "{mac},{ip}");
            }
            (None, Some(name)) => {
                let _ = write!(out, "{name},{ip}");
            }
            (None, None) => return Ok(()),
        },
        IpAddr::V6(ip) => {
            if let Some(id) = &host.id {
                duid(net, id.as_str())?;
                let _ = write!(out, "id:{id},");
            } else if host.name.is_none() {
                return Ok(());
            }
            if let Some(name) = &host.name {
                let _ = write!(out, "{name},");
            }
            let _ = write!(out, "[{ip}]");
        }
    }
    if let Some(lease) = &host.lease {
        out.push(',');
        out.push_str(&lease.dnsmasq());
    }
    out.push('\n');
    Ok(())
}

/// A DHCPv6 client id must be hex digits and colons (libvirt refuses anything else when it
/// parses `<host id>`). The model keeps it as free text, so this is where a comma or quote
/// that would split or break the hostsfile line is stopped.
fn duid(net: &Network, id: &str) -> Result<(), BackendError> {
    match id.chars().find(|c| !(c.is_ascii_hexdigit() || *c == ':')) {
        None if !id.is_empty() => Ok(()),
        bad => Err(refuse(
            net,
            format!(
                "<ip><dhcp><host id='{id}'>: a DHCP client id is hex digits and colons{}",
                bad.map(|c| format!("; {c:?} is not allowed"))
                    .unwrap_or_default()
            ),
        )),
    }
}

/// The `addn-hosts` text: the `<dns><host>` entries grouped by address in order of first
/// appearance, each line the address and its names, every field followed by a tab (as
/// libvirt's `dnsmasqAddnHostsWrite` writes it). Hostnames are [`crate::model::network::DnsName`]s,
/// so nothing in them can be read as a comment or a separator by dnsmasq's hosts reader.
pub fn addnhosts(net: &Network) -> String {
    let hosts = net.dns.as_ref().map(|d| d.hosts.as_slice()).unwrap_or(&[]);
    // Groups in order of first appearance, found by address through a map: a linear scan
    // of the groups per host made 100,000 distinct addresses take seconds.
    let mut groups: Vec<(IpAddr, Vec<&str>)> = Vec::new();
    let mut index: HashMap<IpAddr, usize> = HashMap::with_capacity(hosts.len());
    for h in hosts {
        let names = h.hostnames.iter().map(|n| n.as_str());
        match index.entry(h.ip) {
            Entry::Occupied(e) => {
                if let Some((_, list)) = groups.get_mut(*e.get()) {
                    list.extend(names);
                }
            }
            Entry::Vacant(e) => {
                e.insert(groups.len());
                groups.push((h.ip, names.collect()));
            }
        }
    }
    let mut out = String::with_capacity(hosts.len() * 32);
    for (ip, names) in groups {
        let _ = write!(out, "{ip}\t");
        for n in names {
            out.push_str(n);
            out.push('\t');
        }
        out.push('\n');
    }
    out
}
