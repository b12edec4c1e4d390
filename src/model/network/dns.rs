//! `<domain>` and `<dns>`: what the network's dnsmasq answers and where it forwards.

use std::net::IpAddr;

use super::super::keywords;
use super::{DnsName, Text};

/// `<domain>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// `name`.
    pub name: DnsName,
    /// `localOnly='yes'`: never forward queries for the domain upstream.
    pub local_only: Option<bool>,
    /// `register='yes'`: register the domain with systemd-resolved.
    pub register: Option<bool>,
}

/// `<dns>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dns {
    /// `enable='no'` turns the DNS server off.
    pub enable: Option<bool>,
    /// `forwardPlainNames='no'`: never forward names without a dot.
    pub forward_plain_names: Option<bool>,
    /// `<forwarder>` elements, in order.
    pub forwarders: Vec<Forwarder>,
    /// `<txt>` elements, in order.
    pub txt: Vec<TxtRecord>,
    /// `<srv>` elements, in order.
    pub srv: Vec<SrvRecord>,
    /// `<host>` elements, in order.
    pub hosts: Vec<DnsHost>,
}

/// `<dns><forwarder>`: an upstream server, for every name or for one domain. At least one
/// of the two is given; a domain without an address is answered locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarder {
    /// `addr`.
    pub addr: Option<IpAddr>,
    /// `domain`.
    pub domain: Option<DnsName>,
}

/// `<dns><txt>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxtRecord {
    /// `name`: no space or comma.
    pub name: DnsName,
    /// `value`.
    pub value: Text,
}

keywords! {
    /// `<srv protocol>`.
    SrvProtocol {
        /// TCP.
        Tcp = "tcp",
        /// UDP.
        Udp = "udp",
    }
}

/// `<dns><srv>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    /// `service`, without the leading `_`.
    pub service: DnsName,
    /// `protocol`.
    pub protocol: SrvProtocol,
    /// `domain`.
    pub domain: Option<DnsName>,
    /// `target`; `.` means the service is not offered.
    pub target: Option<DnsName>,
    /// `port`.
    pub port: Option<u16>,
    /// `priority`.
    pub priority: Option<u16>,
    /// `weight`.
    pub weight: Option<u16>,
}

/// `<dns><host ip>` with its `<hostname>`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsHost {
    /// `ip`.
    pub ip: IpAddr,
    /// `<hostname>` texts, in order (at least one).
    pub hostnames: Vec<DnsName>,
}
