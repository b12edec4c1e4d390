//! `net dhcp-leases`: the leases in dnsmasq's own lease file (`--dhcp-leasefile`), as
//! dnsmasq writes it: for IPv4, `EXPIRY MAC ADDRESS HOSTNAME CLIENTID`; after a `duid
//! SERVER-DUID` line, for IPv6, `EXPIRY IAID ADDRESS HOSTNAME DUID` (an IAID prefixed with
//! `T` is a temporary address); `*` where a field is unknown, expiry 0 for a lease that
//! never expires. Host names and client ids are what guests sent: whoever shows them
//! escapes them. A line of another shape is skipped and said, never guessed at.

use std::net::IpAddr;

use super::{Paths, not_found, read, read_network};
use crate::engine::TargetRoot;
use crate::error::Error;
use crate::model::MacAddr;
use crate::model::network::{NetName, Network};

/// One lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// When it expires (seconds since the epoch); `None` when never.
    pub expiry: Option<u64>,
    /// The client's MAC (IPv4 leases), as dnsmasq wrote it: `aa:bb:…`, or `TYPE-aa:…` for a
    /// hardware type other than Ethernet.
    pub mac: Option<String>,
    /// The IAID (IPv6 leases), `T` first for a temporary address.
    pub iaid: Option<String>,
    /// The address leased.
    pub address: IpAddr,
    /// The prefix of the network's `<ip>` the address is in, when one holds it.
    pub prefix: Option<u8>,
    /// The host name the client gave.
    pub hostname: Option<String>,
    /// The client id (IPv4) or DUID (IPv6) the client gave, as hex bytes.
    pub client_id: Option<String>,
}

impl Lease {
    /// `ipv4` or `ipv6`.
    pub fn protocol(&self) -> &'static str {
        if self.address.is_ipv6() {
            "ipv6"
        } else {
            "ipv4"
        }
    }
}

/// A network's leases, and the lines of its lease file that were not leases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leases {
    /// In the file's order.
    pub leases: Vec<Lease>,
    /// `FILE:LINE: why`, for each line skipped.
    pub skipped: Vec<String>,
}

/// The leases of network `name` (defined or running; one never started has none), those of
/// `mac` only when given.
pub fn leases(root: &TargetRoot, name: &NetName, mac: Option<MacAddr>) -> Result<Leases, Error> {
    let paths = Paths::of(name);
    let net = match read_network(root, &paths.live)? {
        Some(n) => n,
        None => read_network(root, &paths.def)?.ok_or_else(|| not_found(name))?,
    };
    let Some(text) = read(root, &paths.leases)? else {
        return Ok(Leases::default());
    };
    let mut out = parse(&text, &root.shown(&paths.leases), Some(&net));
    if let Some(mac) = mac {
        let want = mac.to_string();
        out.leases.retain(|l| {
            l.mac
                .as_deref()
                .is_some_and(|m| m.eq_ignore_ascii_case(&want))
        });
    }
    Ok(out)
}

/// Reads a lease file's text; `shown` names it in what is skipped.
pub fn parse(text: &str, shown: &str, net: Option<&Network>) -> Leases {
    let mut out = Leases::default();
    let mut v6 = false;
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(' ').collect();
        if let ["duid", _] = fields.as_slice() {
            v6 = true;
            continue;
        }
        match lease(&fields, v6, net) {
            Ok(l) => out.leases.push(l),
            Err(why) => out
                .skipped
                .push(format!("{shown}:{}: {why}; skipped", n + 1)),
        }
    }
    out
}

/// One lease line, split at spaces.
fn lease(fields: &[&str], v6: bool, net: Option<&Network>) -> Result<Lease, String> {
    let [expiry, id, address, hostname, client] = fields else {
        return Err(format!(
            "expected 5 fields separated by single spaces, found {}",
            fields.len()
        ));
    };
    let expiry: u64 = expiry
        .parse()
        .map_err(|_| "the expiry is not a number of seconds".to_owned())?;
    let address: IpAddr = address
        .parse()
        .map_err(|_| "the address is not an IP address".to_owned())?;
    if address.is_ipv6() != v6 {
        return Err(if v6 {
            "an IPv4 address after the duid line, where IPv6 leases are".into()
        } else {
            "an IPv6 address before the duid line that starts IPv6 leases".into()
        });
    }
    let known = |s: &str| (s != "*").then(|| s.to_owned());
    let (mac, iaid) = if v6 {
        let digits = id.strip_prefix('T').unwrap_or(id);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the IAID is not a number".into());
        }
        (None, Some((*id).to_owned()))
    } else {
        if !hex_bytes(id.rsplit('-').next().unwrap_or(id)) {
            return Err("the MAC is not colon-separated hex bytes".into());
        }
        (Some(id.to_ascii_lowercase()), None)
    };
    let client_id = known(client);
    if client_id.as_deref().is_some_and(|c| !hex_bytes(c)) {
        return Err("the client id is not colon-separated hex bytes".into());
    }
    let prefix = net.and_then(|n| {
        n.ips
            .iter()
            .find(|ip| ip.contains(address))
            .map(|ip| ip.prefix_len())
    });
    Ok(Lease {
        expiry: (expiry != 0).then_some(expiry),
        mac,
        iaid,
        address,
        prefix,
        hostname: known(hostname),
        client_id,
    })
}

/// Whether `s` is hex bytes separated by colons (`52:54:00:0a`).
fn hex_bytes(s: &str) -> bool {
    !s.is_empty()
        && s.split(':')
            .all(|b| (1..=2).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "1700000000 52:54:00:00:00:05 10.0.0.5 g1 01:52:54:00:00:00:05\n\
        0 52:54:00:00:00:06 10.0.0.7 * *\n\
        1700000000 52:54:00:00:00:07 10.0.0.8 evil\u{1b}[2J *\n\
        duid 00:01:00:01:2c:5b:11:22:52:54:00:00:00:01\n\
        1700000100 1234 fd00::5 g1 00:03:00:01:52:54:00:00:00:05\n\
        1700000100 T77 fd00::6 * 00:03:00:01:52:54:00:00:00:06\n\
        1700000000 52:54:00:00:00:08 10.0.0.9 two words *\n\
        1700000000 52:54:00:00:00:09 10.0.0.9 x *\n";

    #[test]
    fn reads_ipv4_and_ipv6_leases_and_skips_what_dnsmasq_does_not_write() {
        let net = crate::xml::read_network_str(
            "n.xml",
            "<network><name>n</name><ip address='10.0.0.1' prefix='24'/>\
             <ip family='ipv6' address='fd00::1' prefix='64'/></network>",
        )
        .unwrap();
        let got = parse(FILE, "n.leases", Some(&net));
        assert_eq!(got.leases.len(), 5, "{got:?}");
        let first = &got.leases[0];
        assert_eq!(
            (first.expiry, first.mac.as_deref(), first.prefix),
            (Some(1_700_000_000), Some("52:54:00:00:00:05"), Some(24))
        );
        assert_eq!(first.client_id.as_deref(), Some("01:52:54:00:00:00:05"));
        assert_eq!(first.protocol(), "ipv4");
        let never = &got.leases[1];
        assert_eq!(
            (never.expiry, &never.hostname, &never.client_id),
            (None, &None, &None)
        );
        // A hostile host name is kept as sent: showing it escaped is the display's job.
        assert_eq!(got.leases[2].hostname.as_deref(), Some("evil\u{1b}[2J"));
        let v6 = &got.leases[3];
        assert_eq!(
            (
                v6.protocol(),
                v6.mac.as_deref(),
                v6.iaid.as_deref(),
                v6.prefix
            ),
            ("ipv6", None, Some("1234"), Some(64))
        );
        assert_eq!(got.leases[4].iaid.as_deref(), Some("T77"));
        assert_eq!(
            got.skipped,
            [
                "n.leases:7: expected 5 fields separated by single spaces, found 6; skipped",
                "n.leases:8: an IPv4 address after the duid line, where IPv6 leases are; skipped",
            ]
        );
    }
}
