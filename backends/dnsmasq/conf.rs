//! `NAME.conf`: the lines libvirt's `networkDnsmasqConfContents` writes, in its order (the
//! template's numbered comments follow that order; `tests/dnsmasq_conf.rs` compares the
//! output with libvirt's own test data byte for byte). The lines themselves are `templates/dnsmasq/conf.txt`; this module
//! decides which of them a network gets and spells their values. Values that are user text
//! go through [`value`] (quoted where dnsmasq would misread them), everything else is a
//! typed value that cannot hold dnsmasq syntax, and what cannot be written is refused here,
//! before anything reaches the template.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use askama::Template;

use crate::backend::{BackendError, NetContext};
use crate::model::network::{
    DhcpRange, DnsName, Domain, Forwarder, NetIp, NetName, Network, SrvRecord, Text, ipv4_mask,
};
use crate::model::{IfaceName, Mtu};

use super::{DhcpIps, refuse};
use crate::syntax::dnsmasq::value;

/// The conf for `net`, with the hosts files under `ctx.dnsmasq_dir`, serving DHCP on the
/// addresses `dhcp` picked (as the hosts file does).
///
/// `ctx.pid_file` is given when netloom starts dnsmasq itself (`net start`), as libvirt
/// passes `/run/libvirt/network/NAME.pid`; its tests pass none. It is written as
/// `pid-file=` right before `except-interface=lo`, where libvirt writes it.
pub fn conf(net: &Network, ctx: &NetContext, dhcp: &DhcpIps<'_>) -> Result<String, BackendError> {
    ConfFile::of(net, ctx, dhcp)?
        .render()
        .map_err(|source| BackendError::Template {
            backend: "dnsmasq",
            source,
        })
}

/// What `templates/dnsmasq/conf.txt` writes: each field one line or group of lines, empty
/// (or `false`, `None`) where the network does not get it. Every value is checked, and user
/// text quoted, before it is stored here.
#[derive(Template)]
#[template(path = "dnsmasq/conf.txt", escape = "none")]
struct ConfFile<'a> {
    /// The network's name, in the header's `virsh net-edit` hint.
    name: &'a NetName,
    /// DNS is on (else `port=0`).
    dns: bool,
    /// The `<dns><forwarder>`s (none with DNS off).
    forwarders: &'a [Forwarder],
    /// A forwarder for every domain stands in for `/etc/resolv.conf`.
    forwarders_replace_resolv: bool,
    /// The network's `<domain>`.
    domain: Option<&'a Domain>,
    /// The reverse zones of the `<ip localPtr='yes'>`s (none with DNS off).
    reverse_zones: Vec<String>,
    /// `forwardPlainNames='no'` with DNS on.
    plain_names_local: bool,
    /// `pid-file=`, quoted.
    pid_file: Option<Cow<'a, str>>,
    /// The bridge dnsmasq serves.
    bridge: IfaceName,
    /// No `<forward>`: no default route, no upstream DNS.
    isolated: bool,
    /// `<dns><txt>`: name and quoted value (none with DNS off).
    txt: Vec<(&'a DnsName, Cow<'a, str>)>,
    /// `<dns><srv>`: everything after `srv-host=` (none with DNS off).
    srv: Vec<String>,
    /// `tftp-root=`, quoted.
    tftp_root: Option<Cow<'a, str>>,
    /// The IPv4 then the IPv6 `<ip>` with DHCP.
    dhcp: Vec<DhcpBlock<'a>>,
    /// `dhcp-lease-max=`: the addresses the ranges hold, when there are any.
    lease_max: Option<u64>,
    /// `dhcp-hostsfile=`, quoted, when some `<ip>` has DHCP.
    hostsfile: Option<String>,
    /// `addn-hosts=`, quoted, with DNS on.
    addn_hosts: Option<String>,
    /// The network's MTU, handed out by DHCP.
    mtu: Option<Mtu>,
    /// dnsmasq's own router advertisements, with DHCPv6.
    enable_ra: bool,
    /// Without DHCPv6: every IPv6 `<ip>` gets router advertisements only.
    ra_only: Vec<IpAddr>,
    /// The author's `<dnsmasq:option>` lines, verbatim: dnsmasq syntax by intent. The model
    /// refused any a dnsmasq would not start with (an unbalanced quote).
    options: &'a [Text],
}

/// One `<ip>`'s DHCP lines (items 16 and 17).
struct DhcpBlock<'a> {
    /// Its `<range>`s.
    ranges: Vec<RangeLine>,
    /// The address (and for IPv6 the prefix) of an `<ip>` with `<host>`s but no range:
    /// dnsmasq serves DHCP on a subnet only when it has a range there.
    static_only: Option<(IpAddr, Option<u8>)>,
    /// IPv4: dnsmasq is authoritative for the subnet, and may hand out a boot file.
    ipv4: bool,
    /// `<bootp>` (IPv4 only).
    boot: Option<Boot<'a>>,
}

/// One `dhcp-range=START,END,MASK[,LEASE]`.
struct RangeLine {
    start: IpAddr,
    end: IpAddr,
    /// The dotted netmask (IPv4) or the prefix length (IPv6), as libvirt writes them.
    mask: String,
    /// dnsmasq's spelling of the lease time.
    lease: Option<String>,
}

/// `dhcp-boot=FILE[,,SERVER]`.
struct Boot<'a> {
    /// The file, quoted.
    file: Cow<'a, str>,
    /// An address or a plain host name (see [`boot_server`]).
    server: Option<&'a str>,
}

impl<'a> ConfFile<'a> {
    /// Every value of the conf, checked in the order libvirt writes the lines, so a network
    /// with several problems is refused for the one libvirt would meet first.
    fn of(net: &'a Network, ctx: &'a NetContext, dhcp: &DhcpIps<'a>) -> Result<Self, BackendError> {
        let bridge = bridge(net)?;
        let dns = net.dns_enabled();
        // The `<dns>` records count only with DNS on.
        let d = net.dns.as_ref().filter(|_| dns);
        let forwarders = d.map_or(&[][..], |d| d.forwarders.as_slice());
        let reverse_zones = if dns {
            local_reverse_zones(net)?
        } else {
            Vec::new()
        };
        let tftp_root = tftp_root(net)?;
        let blocks = [dhcp.v4, dhcp.v6].into_iter().flatten();
        let (dhcp_blocks, leases) = dhcp_blocks(net, blocks)?;
        let serves_dhcp = dhcp.v4.is_some() || dhcp.v6.is_some();
        let file = |ext: &str| {
            let path = format!("{}/{}.{ext}", ctx.dnsmasq_dir, net.name.file_stem());
            value(&path).into_owned()
        };
        Ok(Self {
            name: &net.name,
            dns,
            forwarders,
            forwarders_replace_resolv: forwarders
                .iter()
                .any(|f| f.addr.is_some() && f.domain.is_none()),
            domain: net.domain.as_ref(),
            reverse_zones,
            plain_names_local: d.and_then(|d| d.forward_plain_names) == Some(false),
            pid_file: ctx.pid_file.as_deref().map(value),
            bridge,
            isolated: net.forward.is_none(),
            txt: d.map_or_else(Vec::new, |d| {
                (d.txt.iter())
                    .map(|t| (&t.name, value(t.value.as_str())))
                    .collect()
            }),
            srv: d.map_or_else(Vec::new, |d| d.srv.iter().map(srv_value).collect()),
            tftp_root,
            dhcp: dhcp_blocks,
            lease_max: Some(leases).filter(|&n| n > 0),
            hostsfile: serves_dhcp.then(|| file("hostsfile")),
            addn_hosts: dns.then(|| file("addnhosts")),
            mtu: net.mtu,
            enable_ra: dhcp.v6.is_some(),
            ra_only: ra_only(net, dhcp),
            options: &net.dnsmasq_options,
        })
    }
}

/// The bridge dnsmasq binds to, which it cannot do without its name.
fn bridge(net: &Network) -> Result<IfaceName, BackendError> {
    net.bridge_name().ok_or_else(|| {
        refuse(
            net,
            "dnsmasq needs the bridge's name, and <bridge name> is missing or still a %d template; \
             give one (defining the network fills it in)"
                .into(),
        )
    })
}

/// The reverse zones of the `<ip localPtr='yes'>`s (item 6), each refused where libvirt
/// cannot create one.
fn local_reverse_zones(net: &Network) -> Result<Vec<String>, BackendError> {
    (net.ips.iter().filter(|ip| ip.local_ptr == Some(true)))
        .map(|ip| {
            reverse_zone(ip).map_err(|why| {
                refuse(
                    net,
                    format!(
                        "<ip address='{}' prefix='{}' localPtr='yes'>: cannot create the PTR \
                         domain of this subnet: {why}",
                        ip.address,
                        ip.prefix_len()
                    ),
                )
            })
        })
        .collect()
}

/// The TFTP root, quoted (item 15). One only: dnsmasq keeps a single global one, so a
/// second could not be served.
fn tftp_root(net: &Network) -> Result<Option<Cow<'_, str>>, BackendError> {
    let tftp: Vec<&NetIp> = net
        .ips
        .iter()
        .filter(|ip| !ip.is_ipv6() && ip.tftp_root.is_some())
        .collect();
    if let [_, second, ..] = tftp.as_slice() {
        return Err(refuse(
            net,
            format!(
                "<ip address='{}'> has a second <tftp root>; dnsmasq serves one TFTP root per network",
                second.address
            ),
        ));
    }
    Ok((tftp.first())
        .and_then(|ip| ip.tftp_root.as_ref())
        .map(|root| value(root.as_str())))
}

/// Without DHCPv6, router advertisements only on every IPv6 `<ip>` (item 22).
fn ra_only(net: &Network, dhcp: &DhcpIps<'_>) -> Vec<IpAddr> {
    if dhcp.v6.is_some() {
        return Vec::new();
    }
    (net.ips.iter())
        .filter(|ip| ip.is_ipv6())
        .map(|ip| ip.address)
        .collect()
}

/// `<dns><srv>` after `srv-host=`: `_SERVICE._PROTO[.DOMAIN][,TARGET[,PORT[,PRIORITY[,WEIGHT]]]]`.
/// The fields are positional, so a later one that is set forces the earlier ones out: port
/// 1 (dnsmasq's default) and priority 0 stand in. libvirt treats 0 as unset, and so does
/// this. A target of `.` means "no such service" (RFC 2782), so nothing follows it.
fn srv_value(s: &SrvRecord) -> String {
    // Writing to a String cannot fail; the results below are ignored for that reason.
    let mut out = format!("_{}._{}", s.service, s.protocol);
    if let Some(domain) = &s.domain {
        let _ = write!(out, ".{domain}");
    }
    if let Some(target) = s.target.as_ref().filter(|t| t.as_str() != ".") {
        let (port, prio, weight) = (
            s.port.unwrap_or(0),
            s.priority.unwrap_or(0),
            s.weight.unwrap_or(0),
        );
        let _ = write!(out, ",{target}");
        if port != 0 || prio != 0 || weight != 0 {
            let _ = write!(out, ",{}", if port == 0 { 1 } else { port });
        }
        if prio != 0 || weight != 0 {
            let _ = write!(out, ",{prio}");
        }
        if weight != 0 {
            let _ = write!(out, ",{weight}");
        }
    }
    out
}

/// The DHCP lines of each `<ip>` (items 16 and 17), with the number of addresses their
/// ranges hold, for `dhcp-lease-max`.
fn dhcp_blocks<'a>(
    net: &'a Network,
    ips: impl Iterator<Item = &'a NetIp>,
) -> Result<(Vec<DhcpBlock<'a>>, u64), BackendError> {
    let mut blocks = Vec::new();
    let mut leases = 0;
    for ip in ips {
        let Some(dhcp) = &ip.dhcp else { continue };
        let mut ranges = Vec::with_capacity(dhcp.ranges.len());
        for r in &dhcp.ranges {
            ranges.push(range_line(ip, r));
            leases += range_size(net, ip, r)?;
        }
        let static_only = (dhcp.ranges.is_empty() && !dhcp.hosts.is_empty())
            .then(|| (ip.address, ip.is_ipv6().then(|| ip.prefix_len())));
        let boot = match dhcp.bootp.as_ref().filter(|_| !ip.is_ipv6()) {
            Some(bootp) => Some(Boot {
                file: value(bootp.file.as_str()),
                server: (bootp.server.as_ref())
                    .map(|server| boot_server(net, server.as_str()))
                    .transpose()?,
            }),
            None => None,
        };
        blocks.push(DhcpBlock {
            ranges,
            static_only,
            ipv4: !ip.is_ipv6(),
            boot,
        });
    }
    Ok((blocks, leases))
}

/// One `<range>` as libvirt writes it: a dotted netmask for IPv4, the prefix for IPv6.
fn range_line(ip: &NetIp, r: &DhcpRange) -> RangeLine {
    let prefix = ip.prefix_len();
    RangeLine {
        start: r.start,
        end: r.end,
        mask: if ip.is_ipv6() {
            prefix.to_string()
        } else {
            netmask(prefix).to_string()
        },
        lease: r.lease.as_ref().map(|l| l.dnsmasq()),
    }
}

/// The `<bootp server>`: dnsmasq reads the third `dhcp-boot` field as an address, or else
/// as a TFTP server name, and neither can be quoted (quotes hide the dots an address
/// needs). So it must be an address (what libvirt accepts) or a plain host name.
fn boot_server<'a>(net: &Network, server: &'a str) -> Result<&'a str, BackendError> {
    if server.parse::<IpAddr>().is_ok() || DnsName::parse(server).is_ok() {
        Ok(server)
    } else {
        Err(refuse(
            net,
            format!(
                "<bootp server='{server}'>: expected an IP address or a host name; dnsmasq would \
                 read anything else in this position as more fields"
            ),
        ))
    }
}

/// The number of addresses in a range, checked as libvirt's `virSocketAddrGetRange` checks
/// it when writing the conf: both ends of the `<ip>`'s family and in its subnet, in order,
/// and for IPv6 differing only in the last 16 bits (libvirt's limit on a DHCPv6 range).
fn range_size(net: &Network, ip: &NetIp, r: &DhcpRange) -> Result<u64, BackendError> {
    let bad = |why: &str| {
        refuse(
            net,
            format!(
                "<ip address='{}'><dhcp><range start='{}' end='{}'>: {why}",
                ip.address, r.start, r.end
            ),
        )
    };
    if r.start.is_ipv6() != ip.is_ipv6() || r.end.is_ipv6() != ip.is_ipv6() {
        return Err(bad("the range is not of the <ip>'s address family"));
    }
    if !ip.contains(r.start) || !ip.contains(r.end) {
        return Err(bad("the range is not inside the <ip>'s subnet"));
    }
    if r.end < r.start {
        return Err(bad("the range ends before it starts"));
    }
    match (r.start, r.end) {
        (IpAddr::V4(s), IpAddr::V4(e)) => Ok(u64::from(u32::from(e) - u32::from(s)) + 1),
        (IpAddr::V6(s), IpAddr::V6(e)) => {
            let (s, e) = (u128::from(s), u128::from(e));
            if s >> 16 != e >> 16 {
                return Err(bad(
                    "an IPv6 range may differ only in its last 16 bits (65536 addresses)",
                ));
            }
            Ok((e - s) as u64 + 1)
        }
        _ => Err(bad("the range is not of the <ip>'s address family")),
    }
}

/// An IPv4 prefix as a dotted netmask, which libvirt writes in IPv4 `dhcp-range` lines.
fn netmask(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(ipv4_mask(prefix))
}

/// The reverse DNS zone of an `<ip>`'s subnet (`122.168.192.in-addr.arpa`, nibbles under
/// `ip6.arpa`), or why there is none, with the limits of libvirt's `virSocketAddrPTRDomain`:
/// the prefix must end on an octet (IPv4) or nibble (IPv6) boundary, since such a subnet is
/// not one zone; and it must be neither 0 (the zone would be all of `in-addr.arpa` or
/// `ip6.arpa`) nor the full address length (a single address is not a subnet: `/32` would
/// answer every PTR query for that one address locally). libvirt refuses all of these, so
/// netloom does too rather than write a `local=` line libvirt never would.
pub fn reverse_zone(ip: &NetIp) -> Result<String, String> {
    let prefix = usize::from(ip.prefix_len());
    let (family, bits, step) = if ip.is_ipv6() {
        ("IPv6", 128, 4)
    } else {
        ("IPv4", 32, 8)
    };
    if prefix == 0 {
        return Err(format!(
            "a /0 {family} prefix covers the whole address space, which is not one network's zone"
        ));
    }
    if prefix >= bits {
        return Err(format!(
            "a /{prefix} {family} prefix is a single address, not a subnet with a reverse zone; \
             localPtr needs a prefix shorter than {bits}"
        ));
    }
    if prefix % step != 0 {
        return Err(format!(
            "the reverse zone of a /{prefix} {family} subnet cannot be written; localPtr needs a \
             prefix that is a multiple of {step}"
        ));
    }
    let mut zone = String::new();
    match ip.address {
        IpAddr::V4(a) => {
            for o in a.octets().iter().take(prefix / 8).rev() {
                let _ = write!(zone, "{o}.");
            }
            zone.push_str("in-addr.arpa");
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            for n in (0..prefix / 4).rev() {
                let _ = write!(zone, "{:x}.", (bits >> (124 - 4 * n)) & 0xf);
            }
            zone.push_str("ip6.arpa");
        }
    }
    Ok(zone)
}
