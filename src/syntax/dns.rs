//! One DNS server as NetworkManager reads it from an ifcfg `DNSn` or a keyfile `dns=` entry
//! (`nm_dns_uri_parse`): a plain address, or since NetworkManager 1.48 an address with a
//! DNS-over-TLS server name (`192.0.2.53#dns.example`) or a URI (`dns+tls://…`,
//! `dns+udp://…`). The model holds plain servers only, so the rest is told apart to be noted
//! rather than read as plain.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What a server entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    /// A plain server, asked on port 53 over UDP and TCP.
    Plain(IpAddr),
    /// A server NetworkManager reaches another way (DNS over TLS, another port, a scope),
    /// in the family of its address; the text says how.
    Other(IpAddr, String),
}

/// Reads one entry, or says why NetworkManager refuses it.
pub fn server(text: &str) -> Result<Server, String> {
    let bad = |why: &str| Err(format!("'{text}' {why}"));
    let (scheme, rest) = match text.split_once("://") {
        Some(("dns+tls", rest)) => ("DNS over TLS", rest),
        Some(("dns+udp", rest)) => ("DNS over UDP", rest),
        Some(_) => return bad("is not an IP address or a DNS URI NetworkManager knows"),
        None => {
            let (addr, name) = match text.split_once('#') {
                Some((a, n)) => (a, Some(n)),
                None => (text, None),
            };
            let Ok(ip) = addr.parse::<IpAddr>() else {
                return bad("is not an IP address");
            };
            return match name {
                None => Ok(Server::Plain(ip)),
                Some("") => bad("has an empty DNS-over-TLS server name"),
                Some(n) => Ok(Server::Other(
                    ip,
                    format!("DNS over TLS to {ip} with the server name {n}"),
                )),
            };
        }
    };
    let (addr_port, name) = match rest.rsplit_once('#') {
        Some((_, "")) => return bad("has an empty DNS-over-TLS server name"),
        Some((a, n)) => (a, Some(n)),
        None => (rest, None),
    };
    if name.is_some() && scheme != "DNS over TLS" {
        return bad("has a server name, which only DNS over TLS takes");
    }
    let (ip, port) = if let Some(inner) = addr_port.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return bad("has an unterminated square bracket");
        };
        let addr = addr.split('%').next().unwrap_or(addr);
        let Ok(ip) = addr.parse::<Ipv6Addr>() else {
            return bad("has no IPv6 address in its brackets");
        };
        (IpAddr::V6(ip), after.strip_prefix(':'))
    } else {
        let (addr, port) = match addr_port.split_once(':') {
            Some((a, p)) => (a, Some(p)),
            None => (addr_port, None),
        };
        let Ok(ip) = addr.parse::<Ipv4Addr>() else {
            return bad("has no IPv4 address (an IPv6 one goes in square brackets)");
        };
        (IpAddr::V4(ip), port)
    };
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return bad("has a port that is not 1 to 65535");
    }
    Ok(Server::Other(ip, format!("{scheme} to {ip}, '{text}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_servers_are_told_from_the_rest() {
        assert_eq!(
            server("192.0.2.53"),
            Ok(Server::Plain("192.0.2.53".parse().unwrap()))
        );
        assert_eq!(
            server("2001:db8::53"),
            Ok(Server::Plain("2001:db8::53".parse().unwrap()))
        );
        for other in [
            "192.0.2.53#dns.example",
            "dns+tls://192.0.2.53",
            "dns+tls://[2001:db8::1]:853#dns.example",
            "dns+udp://[fe80::1%eth0]",
            "dns+udp://192.0.2.53:5353",
        ] {
            assert!(matches!(server(other), Ok(Server::Other(..))), "{other}");
        }
        for bad in [
            "ns1",
            "",
            "192.0.2.53#",
            "dns+udp://192.0.2.53#name",
            "dns+tls://2001:db8::1",
            "dns+tls://192.0.2.53:0",
            "http://192.0.2.53",
            "192.0.2.300",
        ] {
            assert!(server(bad).is_err(), "{bad}");
        }
    }
}
