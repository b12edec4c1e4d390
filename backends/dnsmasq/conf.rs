//! `NAME.conf`: the lines libvirt's `networkDnsmasqConfContents` writes, in its order (see
//! the numbered list in `shared/notes/libvirt-network.md` §2.1, which the comments below
//! follow). Values that are user text go through [`super::syntax`], everything else is a
//! typed value that cannot hold dnsmasq syntax.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use crate::backend::{BackendError, NetContext};
use crate::model::network::{DhcpRange, DnsName, NetIp, Network, SrvRecord, ipv4_mask};

use super::{DhcpIps, refuse};
use crate::syntax::dnsmasq::value;

/// Appends one line. Writing to a String cannot fail, so the result is ignored.
macro_rules! ln {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The conf for `net`, with the hosts files under `ctx.dnsmasq_dir`, serving DHCP on the
/// addresses `dhcp` picked (as the hosts file does).
///
/// `ctx.pid_file` is given when netloom starts dnsmasq itself (`net start`), as libvirt
/// passes `/run/libvirt/network/NAME.pid`; its tests pass none. It is written as
/// `pid-file=` right before `except-interface=lo`, where libvirt writes it.
pub fn conf(net: &Network, ctx: &NetContext, dhcp: &DhcpIps<'_>) -> Result<String, BackendError> {
    let pid_file = ctx.pid_file.as_deref();
    let bridge = net.bridge_name().ok_or_else(|| {
        refuse(
            net,
            "dnsmasq needs the bridge's name, and <bridge name> is missing or still a %d template; \
             give one (defining the network fills it in)"
                .into(),
        )
    })?;
    let dns = net.dns_enabled();
    let d = net.dns.as_ref();
    let stem = net.name.file_stem();
    let mut out = String::with_capacity(1024);

    // 1-2. Header and strict-order.
    ln!(
        out,
        "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n\
         ##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:\n\
         ##    virsh net-edit {}\n\
         ## or other application using the libvirt API.\n\
         ##\n\
         ## dnsmasq conf file created by libvirt\n\
         strict-order",
        net.name
    );
    // 3. No DNS: dnsmasq still runs for DHCP, but must not listen on port 53.
    if !dns {
        ln!(out, "port=0");
    }
    // 4. Forwarders; `#` for a domain without address means "answer locally only".
    if dns {
        let fwds = d.map(|d| d.forwarders.as_slice()).unwrap_or(&[]);
        for f in fwds {
            out.push_str("server=");
            if let Some(domain) = &f.domain {
                let _ = write!(out, "/{domain}/");
            }
            match f.addr {
                Some(addr) => ln!(out, "{addr}"),
                None => ln!(out, "#"),
            }
        }
        if fwds.iter().any(|f| f.addr.is_some() && f.domain.is_none()) {
            ln!(out, "no-resolv");
        }
    }
    // 5. The network's domain, written even with DNS off (DHCP hands it out).
    if let Some(domain) = &net.domain {
        if domain.local_only == Some(true) {
            ln!(out, "local=/{}/", domain.name);
        }
        ln!(out, "domain={}\nexpand-hosts", domain.name);
    }
    if dns {
        // 6. Reverse zones answered locally.
        for ip in net.ips.iter().filter(|ip| ip.local_ptr == Some(true)) {
            let zone = reverse_zone(ip).map_err(|why| {
                refuse(
                    net,
                    format!(
                        "<ip address='{}' prefix='{}' localPtr='yes'>: cannot create the PTR \
                         domain of this subnet: {why}",
                        ip.address,
                        ip.prefix_len()
                    ),
                )
            })?;
            ln!(out, "local=/{zone}/");
        }
        // 7. Plain names never go upstream.
        if d.and_then(|d| d.forward_plain_names) == Some(false) {
            ln!(out, "domain-needed\nlocal=//");
        }
    }
    // 8-11.
    if let Some(pid) = pid_file {
        ln!(out, "pid-file={}", value(pid));
    }
    ln!(out, "except-interface=lo\nbind-dynamic\ninterface={bridge}");
    // 12. Isolated: no default route, no upstream DNS, no IPv6 default router.
    if net.forward.is_none() {
        ln!(out, "dhcp-option=3\nno-resolv\nra-param=*,0,0");
    }
    if let (true, Some(d)) = (dns, d) {
        // 13. A TXT value is free text: quoted when dnsmasq would split it at a comma, cut
        // it at a comment or trim it, so the record holds exactly the one value written.
        for t in &d.txt {
            ln!(out, "txt-record={},{}", t.name, value(t.value.as_str()));
        }
        // 14.
        for s in &d.srv {
            srv_line(&mut out, s);
        }
    }
    // 15. One TFTP root: dnsmasq keeps a single global one, so a second could not be served.
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
    if let Some(root) = tftp.first().and_then(|ip| ip.tftp_root.as_ref()) {
        ln!(out, "enable-tftp\ntftp-root={}", value(root.as_str()));
    }
    // 16-17.
    let mut leases: u64 = 0;
    for ip in [dhcp.v4, dhcp.v6].into_iter().flatten() {
        leases += dhcp_block(&mut out, net, ip)?;
    }
    // 18-20.
    if leases > 0 {
        ln!(out, "dhcp-lease-max={leases}");
    }
    if dhcp.v4.is_some() || dhcp.v6.is_some() {
        let path = format!("{}/{stem}.hostsfile", ctx.dnsmasq_dir);
        ln!(out, "dhcp-hostsfile={}", value(&path));
    }
    if dns {
        let path = format!("{}/{stem}.addnhosts", ctx.dnsmasq_dir);
        ln!(out, "addn-hosts={}", value(&path));
    }
    // 21.
    if let Some(mtu) = net.mtu {
        ln!(out, "dhcp-option=option:mtu,{mtu}");
    }
    // 22. Router advertisements: dnsmasq's with DHCPv6, else RA only on every IPv6 subnet.
    if dhcp.v6.is_some() {
        ln!(out, "enable-ra");
    } else {
        for ip in net.ips.iter().filter(|ip| ip.is_ipv6()) {
            ln!(out, "dhcp-range={},ra-only", ip.address);
        }
    }
    // 23. The author's own dnsmasq lines, verbatim: they are dnsmasq syntax by intent.
    // The model refused any a dnsmasq would not start with (an unbalanced quote).
    for opt in &net.dnsmasq_options {
        ln!(out, "{}", opt.as_str());
    }
    Ok(out)
}

/// `srv-host=_SERVICE._PROTO[.DOMAIN][,TARGET[,PORT[,PRIORITY[,WEIGHT]]]]`. The fields are
/// positional, so a later one that is set forces the earlier ones out: port 1 (dnsmasq's
/// default) and priority 0 stand in. libvirt treats 0 as unset, and so does this. A target
/// of `.` means "no such service" (RFC 2782), so nothing follows it.
fn srv_line(out: &mut String, s: &SrvRecord) {
    let _ = write!(out, "srv-host=_{}._{}", s.service, s.protocol);
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
    out.push('\n');
}

/// One `<ip>`'s DHCP lines (items 16 and 17); gives the number of addresses its ranges
/// hold, for `dhcp-lease-max`.
fn dhcp_block(out: &mut String, net: &Network, ip: &NetIp) -> Result<u64, BackendError> {
    let prefix = ip.prefix_len();
    let mut size = 0;
    let Some(dhcp) = &ip.dhcp else {
        return Ok(0);
    };
    for r in &dhcp.ranges {
        if ip.is_ipv6() {
            let _ = write!(out, "dhcp-range={},{},{prefix}", r.start, r.end);
        } else {
            let _ = write!(out, "dhcp-range={},{},{}", r.start, r.end, netmask(prefix));
        }
        if let Some(lease) = &r.lease {
            out.push(',');
            out.push_str(&lease.dnsmasq());
        }
        out.push('\n');
        size += range_size(net, ip, r)?;
    }
    // Static hosts only: dnsmasq serves DHCP on a subnet only when it has a range there.
    if dhcp.ranges.is_empty() && !dhcp.hosts.is_empty() {
        if ip.is_ipv6() {
            ln!(out, "dhcp-range={},static,{prefix}", ip.address);
        } else {
            ln!(out, "dhcp-range={},static", ip.address);
        }
    }
    if !ip.is_ipv6() {
        ln!(out, "dhcp-no-override\ndhcp-authoritative");
        if let Some(bootp) = &dhcp.bootp {
            let file = value(bootp.file.as_str());
            match &bootp.server {
                Some(server) => {
                    ln!(
                        out,
                        "dhcp-boot={file},,{}",
                        boot_server(net, server.as_str())?
                    )
                }
                None => ln!(out, "dhcp-boot={file}"),
            }
        }
    }
    Ok(size)
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
