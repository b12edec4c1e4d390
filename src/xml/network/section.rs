//! One entry of a network, on its own: the XML `net update` is given (`virsh net-update`'s
//! sections), read as strictly as a whole network and with the same positioned problems. An
//! entry to add or modify must be whole; one to delete names only what finds it.

use std::net::IpAddr;

use roxmltree::Node;

use super::super::reader::{Reader, attribute, named};
use super::addressing::{dhcp_host, parse_ip};
use super::dns::{srv, u16_attr};
use super::port::portgroup;
use super::read::text_value;
use crate::error::Diagnostics;
use crate::model::network::{
    DhcpHost, DnsHost, DnsName, NetIp, PortGroup, SrvProtocol, SrvRecord, Text, TxtRecord,
};
use crate::source::SourceFile;

/// The parts of a network `net update` changes, by virsh's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `ip-dhcp-host`: a `<host>` of an `<ip>`'s `<dhcp>`.
    IpDhcpHost,
    /// `dns-host`: a `<host>` of `<dns>`.
    DnsHost,
    /// `dns-txt`: a `<txt>` of `<dns>`.
    DnsTxt,
    /// `dns-srv`: a `<srv>` of `<dns>`.
    DnsSrv,
    /// `portgroup`: a `<portgroup>`.
    Portgroup,
}

impl Section {
    /// virsh's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Section::IpDhcpHost => "ip-dhcp-host",
            Section::DnsHost => "dns-host",
            Section::DnsTxt => "dns-txt",
            Section::DnsSrv => "dns-srv",
            Section::Portgroup => "portgroup",
        }
    }

    /// The element an entry of the section is.
    fn element(self) -> &'static str {
        match self {
            Section::IpDhcpHost | Section::DnsHost => "host",
            Section::DnsTxt => "txt",
            Section::DnsSrv => "srv",
            Section::Portgroup => "portgroup",
        }
    }
}

/// A whole entry, to add or to put in another's place.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A DHCP host (its address given).
    DhcpHost(DhcpHost),
    /// A DNS host.
    DnsHost(DnsHost),
    /// A TXT record.
    Txt(TxtRecord),
    /// An SRV record.
    Srv(SrvRecord),
    /// A portgroup.
    Portgroup(PortGroup),
}

/// What finds an entry to delete: the attributes given, each of which must match.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A DHCP host: whichever of mac, id, name and ip are given.
    DhcpHost(DhcpHost),
    /// A DNS host: its address, or one of its names.
    DnsHost {
        /// `ip`.
        ip: Option<IpAddr>,
        /// The `<hostname>`s.
        hostnames: Vec<DnsName>,
    },
    /// A TXT record, by name.
    Txt {
        /// `name`.
        name: DnsName,
    },
    /// An SRV record: whichever of service, protocol, domain and target are given.
    Srv {
        /// `service`.
        service: Option<DnsName>,
        /// `protocol`.
        protocol: Option<SrvProtocol>,
        /// `domain`.
        domain: Option<DnsName>,
        /// `target`.
        target: Option<DnsName>,
    },
    /// A portgroup, by name.
    Portgroup {
        /// `name`.
        name: Text,
    },
}

/// Reads `file` as a whole entry of `section`. A DHCP host is checked against `ip`, the
/// `<ip>` it goes into (its family and subnet), when there is one.
pub fn read_entry(
    file: &SourceFile,
    section: Section,
    ip: Option<&NetIp>,
) -> Result<Entry, Diagnostics> {
    read(file, section, |r, el| match section {
        Section::IpDhcpHost => dhcp_host(r, el, ip, false).map(Entry::DhcpHost),
        Section::DnsHost => {
            let (ip, hostnames) = dns_host(r, el, false)?;
            Some(Entry::DnsHost(DnsHost { ip: ip?, hostnames }))
        }
        Section::DnsTxt => {
            let (name, value) = txt(r, el, false)?;
            Some(Entry::Txt(TxtRecord {
                name,
                value: value?,
            }))
        }
        Section::DnsSrv => srv(r, el).map(Entry::Srv),
        Section::Portgroup => portgroup(r, el).map(|(pg, _)| Entry::Portgroup(pg)),
    })
}

/// Reads `file` as what finds an entry of `section` to delete.
pub fn read_key(
    file: &SourceFile,
    section: Section,
    ip: Option<&NetIp>,
) -> Result<Key, Diagnostics> {
    read(file, section, |r, el| match section {
        Section::IpDhcpHost => dhcp_host(r, el, ip, true).map(Key::DhcpHost),
        Section::DnsHost => {
            let (ip, hostnames) = dns_host(r, el, true)?;
            Some(Key::DnsHost { ip, hostnames })
        }
        Section::DnsTxt => txt(r, el, true).map(|(name, _)| Key::Txt { name }),
        Section::DnsSrv => srv_key(r, el),
        Section::Portgroup => portgroup(r, el).map(|(pg, _)| Key::Portgroup { name: pg.name }),
    })
}

/// Parses the document, checks its root is the section's element, and reads it with `f`.
fn read<T>(
    file: &SourceFile,
    section: Section,
    f: impl FnOnce(&mut Reader, Node) -> Option<T>,
) -> Result<T, Diagnostics> {
    let mut r = Reader::with_dialect(file, 0, "network XML");
    let out = r.document().and_then(|doc| {
        let el = r.root(&doc, &[section.element()])?;
        f(&mut r, el)
    });
    let diags = r.into_diagnostics();
    match out {
        Some(v) if diags.is_empty() => Ok(v),
        _ => Err(Diagnostics(diags)),
    }
}

/// `<host ip><hostname>…</host>` of `<dns>`: both needed, unless `partial`, where either
/// finds the host.
fn dns_host(r: &mut Reader, el: Node, partial: bool) -> Option<(Option<IpAddr>, Vec<DnsName>)> {
    let what = "<dns><host>";
    r.check_attrs(el, what, &["ip"]);
    let kids = r.children(el, what, &["hostname"], None);
    let ip = if partial {
        r.optional(el, what, "ip", parse_ip)
    } else {
        r.value(el, what, "ip", parse_ip)
    };
    let names = named(&kids, "hostname");
    let hostnames: Vec<DnsName> = names
        .iter()
        .filter_map(|h| text_value(r, *h, "<hostname>", DnsName::parse))
        .collect();
    if hostnames.len() != names.len() || (attribute(el, "ip").is_some() && ip.is_none()) {
        return None;
    }
    if names.is_empty() && !(partial && ip.is_some()) {
        let need = if partial {
            "an ip or a <hostname> to find it by"
        } else {
            "at least one <hostname>"
        };
        r.error(el.range().start, format!("<dns><host> needs {need}"));
        return None;
    }
    Some((ip, hostnames))
}

/// `<txt name value>`; the value may be left out when `partial`.
fn txt(r: &mut Reader, el: Node, partial: bool) -> Option<(DnsName, Option<Text>)> {
    let what = "<txt>";
    r.check_attrs(el, what, &["name", "value"]);
    r.children(el, what, &[], None);
    let name = r.value(el, what, "name", DnsName::parse);
    let value = if partial {
        r.optional(el, what, "value", Text::parse_dnsmasq_value)
    } else {
        r.value(el, what, "value", Text::parse_dnsmasq_value)
    };
    if attribute(el, "value").is_some() && value.is_none() {
        return None;
    }
    Some((name?, value))
}

/// `<srv>` naming the record to delete: any of its attributes, each checked as in a whole
/// record.
fn srv_key(r: &mut Reader, el: Node) -> Option<Key> {
    let what = "<srv>";
    let attrs = [
        "service", "protocol", "domain", "target", "port", "priority", "weight",
    ];
    r.check_attrs(el, what, &attrs);
    r.children(el, what, &[], None);
    let service = r.optional(el, what, "service", DnsName::parse);
    let protocol = r.optional(el, what, "protocol", SrvProtocol::parse);
    let domain = r.optional(el, what, "domain", DnsName::parse);
    let target = r.optional(el, what, "target", DnsName::parse);
    let numbers: Vec<Option<u16>> = ["port", "priority", "weight"]
        .iter()
        .map(|a| r.optional(el, what, a, u16_attr))
        .collect();
    let bad = |given: bool, read: bool| given && !read;
    let broken = bad(attribute(el, "service").is_some(), service.is_some())
        || bad(attribute(el, "protocol").is_some(), protocol.is_some())
        || bad(attribute(el, "domain").is_some(), domain.is_some())
        || bad(attribute(el, "target").is_some(), target.is_some())
        || ["port", "priority", "weight"]
            .iter()
            .zip(&numbers)
            .any(|(a, v)| bad(attribute(el, a).is_some(), v.is_some()));
    if broken {
        return None;
    }
    if service.is_none() && protocol.is_none() && domain.is_none() && target.is_none() {
        r.error(
            el.range().start,
            "<srv> needs a service, protocol, domain or target to find the record by",
        );
        return None;
    }
    Some(Key::Srv {
        service,
        protocol,
        domain,
        target,
    })
}
