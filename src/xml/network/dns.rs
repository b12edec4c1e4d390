//! `<domain>` and `<dns>`.

use roxmltree::Node;

use super::super::reader::{Reader, attribute, named, parse_yes_no};
use super::At;
use super::addressing::parse_ip;
use super::read::text_value;
use crate::model::ValueError;
use crate::model::network::{
    Dns, DnsHost, DnsName, Domain, Forwarder, SrvProtocol, SrvRecord, Text, TxtRecord,
};

/// `<domain name localOnly register>`.
pub(super) fn domain(r: &mut Reader, el: Node) -> Option<Domain> {
    let what = "<domain>";
    r.check_attrs(el, what, &["name", "localOnly", "register"]);
    r.children(el, what, &[], None);
    let name = r.value(el, what, "name", DnsName::parse);
    let local_only = r.optional(el, what, "localOnly", parse_yes_no);
    let register = r.optional(el, what, "register", parse_yes_no);
    if register == Some(true) && local_only != Some(true) {
        let at = attribute(el, "register").map_or(el.range().start, |a| a.range_qname().start);
        r.error(
            at,
            "<domain register='yes'> needs localOnly='yes': only a domain dnsmasq answers alone can be registered",
        );
    }
    Some(Domain {
        name: name?,
        local_only,
        register,
    })
}

/// `<dns>` with forwarders and records.
pub(super) fn dns(r: &mut Reader, el: Node, at: &mut At) -> Dns {
    let what = "<dns>";
    r.check_attrs(el, what, &["enable", "forwardPlainNames"]);
    let kids = r.children(el, what, &["forwarder", "txt", "srv", "host"], None);
    let mut d = Dns {
        enable: r.optional(el, what, "enable", parse_yes_no),
        forward_plain_names: r.optional(el, what, "forwardPlainNames", parse_yes_no),
        ..Dns::default()
    };
    for n in named(&kids, "forwarder") {
        let what = "<forwarder>";
        r.check_attrs(n, what, &["addr", "domain"]);
        r.children(n, what, &[], None);
        let addr = r.optional(n, what, "addr", parse_ip);
        let domain = r.optional(n, what, "domain", DnsName::parse);
        if attribute(n, "addr").is_none() && attribute(n, "domain").is_none() {
            r.error(
                n.range().start,
                "<forwarder> needs an addr, a domain or both",
            );
            continue;
        }
        if addr.is_some() || domain.is_some() {
            d.forwarders.push(Forwarder { addr, domain });
        }
    }
    for n in named(&kids, "txt") {
        let what = "<txt>";
        r.check_attrs(n, what, &["name", "value"]);
        r.children(n, what, &[], None);
        let name = r.value(n, what, "name", DnsName::parse);
        let value = r.value(n, what, "value", Text::parse_dnsmasq_value);
        if let (Some(name), Some(value)) = (name, value) {
            d.txt.push(TxtRecord { name, value });
        }
    }
    for n in named(&kids, "srv") {
        if let Some(srv) = srv(r, n) {
            d.srv.push(srv);
        }
    }
    for n in named(&kids, "host") {
        let what = "<dns><host>";
        r.check_attrs(n, what, &["ip"]);
        let hk = r.children(n, what, &["hostname"], None);
        let ip = r.value(n, what, "ip", parse_ip);
        let names = named(&hk, "hostname");
        if names.is_empty() {
            r.error(n.range().start, "<dns><host> needs at least one <hostname>");
        }
        let hostnames: Vec<DnsName> = names
            .iter()
            .filter_map(|h| text_value(r, *h, "<hostname>", DnsName::parse))
            .collect();
        if let Some(ip) = ip
            && !hostnames.is_empty()
            && hostnames.len() == names.len()
        {
            d.hosts.push(DnsHost { ip, hostnames });
        }
    }
    let records = kids
        .iter()
        .find(|n| matches!(n.tag_name().name(), "txt" | "srv" | "host"));
    at.dns_records = records.map(|n| n.range().start);
    if d.enable == Some(false)
        && let Some(first) = kids.first()
    {
        r.error(
            first.range().start,
            "<dns enable='no'> cannot have forwarders or records: with DNS off nothing would serve them",
        );
    }
    d
}

pub(super) fn u16_attr(s: &str) -> Result<u16, ValueError> {
    crate::model::parse_uint(s)
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| ValueError("expected a whole number from 0 to 65535".into()))
}

/// `<srv service protocol domain target port priority weight>`.
pub(super) fn srv(r: &mut Reader, n: Node) -> Option<SrvRecord> {
    let what = "<srv>";
    let attrs = [
        "service", "protocol", "domain", "target", "port", "priority", "weight",
    ];
    r.check_attrs(n, what, &attrs);
    r.children(n, what, &[], None);
    let service = r.value(n, what, "service", |s| {
        if s.len() > 15 {
            return Err(ValueError(
                "expected a service name of at most 15 characters".into(),
            ));
        }
        DnsName::parse(s)
    });
    let protocol = r.value(n, what, "protocol", SrvProtocol::parse);
    let domain = r.optional(n, what, "domain", DnsName::parse);
    let target = r.optional(n, what, "target", DnsName::parse);
    let port = r.optional(n, what, "port", u16_attr);
    let priority = r.optional(n, what, "priority", u16_attr);
    let weight = r.optional(n, what, "weight", u16_attr);
    if attribute(n, "target").is_none() {
        for name in ["port", "priority", "weight"] {
            if let Some(a) = attribute(n, name) {
                r.error(
                    a.range_qname().start,
                    format!("{name} on <srv> needs a target to apply to"),
                );
            }
        }
    }
    if attrs[2..].iter().any(|a| attribute(n, a).is_some())
        && [
            domain.is_none() && attribute(n, "domain").is_some(),
            target.is_none() && attribute(n, "target").is_some(),
            port.is_none() && attribute(n, "port").is_some(),
            priority.is_none() && attribute(n, "priority").is_some(),
            weight.is_none() && attribute(n, "weight").is_some(),
        ]
        .iter()
        .any(|b| *b)
    {
        return None;
    }
    Some(SrvRecord {
        service: service?,
        protocol: protocol?,
        domain,
        target,
        port,
        priority,
        weight,
    })
}
