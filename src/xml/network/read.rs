//! The `<network>` root: its attributes, its simple children, `<metadata>` and
//! `<dnsmasq:options>`; the rest is read by the sibling modules.

use std::collections::HashSet;

use roxmltree::{Document, Node};

use super::super::reader::single_value;
use super::super::reader::{Reader, attribute, named, parse_u32, parse_yes_no, shorten};
use super::{At, NetworkChecks, addressing, checks, dns, forward, policy, port};
use crate::error::Diagnostics;
use crate::model::network::{NetName, Network, Text};
use crate::model::{MacAddr, Mtu, Uuid, ValueError};
use crate::source::SourceFile;

/// The namespace of `<dnsmasq:options>`.
pub(crate) const DNSMASQ_NS: &str = "http://libvirt.org/schemas/network/dnsmasq/1.0";

const ROOT_CHILDREN: &[&str] = &[
    "name",
    "uuid",
    "title",
    "description",
    "metadata",
    "forward",
    "bridge",
    "mtu",
    "mac",
    "domain",
    "dns",
    "vlan",
    "bandwidth",
    "port",
    "ip",
    "route",
    "virtualport",
    "portgroup",
];

/// Reads a whole file.
pub(super) fn document(file: &SourceFile, level: NetworkChecks) -> Result<Network, Diagnostics> {
    let mut r = Reader::with_dialect(file, 0, "network XML");
    let net = r.document().and_then(|doc| root(&mut r, &doc, level));
    let diags = r.into_diagnostics();
    match net {
        Some(net) if diags.is_empty() => Ok(net),
        _ => Err(Diagnostics(diags)),
    }
}

/// Reads `<network>`: every child, then the checks across children (`level` says which).
fn root(r: &mut Reader, doc: &Document, level: NetworkChecks) -> Option<Network> {
    let el = r.root(doc, &["network"])?;
    let what = "<network>";
    r.check_attrs(el, what, &["ipv6", "trustGuestRxFilters", "connections"]);
    let mut foreign = vec![(DNSMASQ_NS, "options")];
    foreign.extend_from_slice(policy::ROOT_NL);
    let kids = r.children_ns(el, what, ROOT_CHILDREN, None, &foreign);
    let mut at = At {
        root: el.range().start,
        ..At::default()
    };
    let mut net = Network {
        ipv6: r.optional(el, what, "ipv6", parse_yes_no),
        trust_guest_rx_filters: r.optional(el, what, "trustGuestRxFilters", parse_yes_no),
        connections: r.optional(el, what, "connections", parse_u32),
        ..Network::default()
    };
    let name = match r.once(&kids, "name", what) {
        Some(n) => text_value(r, n, "<name>", NetName::parse),
        None => {
            r.error(el.range().start, "<network> needs a <name>");
            None
        }
    };
    description(r, &kids, &mut net);
    link_children(r, &kids, &mut net, &mut at);
    ips(r, &kids, &mut net, &mut at);
    for n in named(&kids, "route") {
        if let Some((route, gw_at)) = addressing::route(r, n) {
            at.route_gateways.push(gw_at);
            net.routes.push(route);
        }
    }
    if let Some(n) = r.once(&kids, "virtualport", what) {
        net.virtualport = port::virtualport(r, n, true);
    }
    for n in named(&kids, "portgroup") {
        if let Some((pg, pg_at)) = port::portgroup(r, n) {
            at.portgroups.push(pg_at);
            net.portgroups.push(pg);
        }
    }
    let options: Vec<Node> = kids
        .iter()
        .copied()
        .filter(|n| n.tag_name().namespace() == Some(DNSMASQ_NS))
        .collect();
    if let Some(n) = r.once(&options, "options", what) {
        net.dnsmasq_options = dnsmasq_options(r, n);
    }
    policy::read(r, &kids, &mut net, at.all_ips);
    // The cross-element checks run even when the name was refused: they need no name, and
    // one run should report every problem.
    checks::parse_checks(r, &net, &at);
    if level == NetworkChecks::Define {
        checks::define_checks(r, &net, &at);
    }
    net.name = name?;
    Some(net)
}

/// What describes the network to a person or a program and configures nothing:
/// `<uuid>`, `<title>`, `<description>`, `<metadata>`.
fn description(r: &mut Reader, kids: &[Node], net: &mut Network) {
    let what = "<network>";
    net.uuid = r
        .once(kids, "uuid", what)
        .and_then(|n| text_value(r, n, "<uuid>", |s| Uuid::parse(s.trim())));
    net.title = r
        .once(kids, "title", what)
        .and_then(|n| text_value(r, n, "<title>", Text::parse));
    net.description = r
        .once(kids, "description", what)
        .and_then(|n| text_value(r, n, "<description>", |s| Ok(s.to_owned())));
    net.metadata = r.once(kids, "metadata", what).map(|n| metadata(r, n));
}

/// The children that say how the network's link is made and what its ports get:
/// `<forward>`, `<bridge>`, `<mtu>`, `<mac>`, `<domain>`, `<dns>`, `<vlan>`,
/// `<bandwidth>` and `<port>`, each one's position kept in `at` for the checks across
/// children.
fn link_children(r: &mut Reader, kids: &[Node], net: &mut Network, at: &mut At) {
    let what = "<network>";
    if let Some(n) = r.once(kids, "forward", what) {
        at.forward = Some(n.range().start);
        net.forward = Some(forward::forward(r, n, at));
    }
    if let Some(n) = r.once(kids, "bridge", what) {
        net.bridge = Some(forward::bridge(r, n, at));
    }
    if let Some(n) = r.once(kids, "mtu", what) {
        at.mtu = Some(n.range().start);
        net.mtu = single_value(r, n, "<mtu>", "size", Mtu::parse);
    }
    if let Some(n) = r.once(kids, "mac", what) {
        at.mac = Some(n.range().start);
        net.mac = single_value(r, n, "<mac>", "address", MacAddr::parse);
    }
    if let Some(n) = r.once(kids, "domain", what) {
        at.domain = Some(n.range().start);
        net.domain = dns::domain(r, n);
    }
    if let Some(n) = r.once(kids, "dns", what) {
        net.dns = Some(dns::dns(r, n, at));
    }
    if let Some(n) = r.once(kids, "vlan", what) {
        at.vlan = Some(n.range().start);
        net.vlan = port::vlan(r, n);
    }
    if let Some(n) = r.once(kids, "bandwidth", what) {
        at.bandwidth = Some(n.range().start);
        net.bandwidth = Some(port::bandwidth(r, n));
    }
    if let Some(n) = r.once(kids, "port", what) {
        net.port = Some(port::port_options(r, n));
    }
}

/// Every `<ip>`, with where each and its `<dhcp>` are; `at.all_ips` says whether every one
/// could be read (the checks across addresses need them all). A second IPv4 `<tftp>` is
/// refused: dnsmasq has one tftp-root, and a second would silently win over the first.
fn ips(r: &mut Reader, kids: &[Node], net: &mut Network, at: &mut At) {
    at.all_ips = true;
    let mut first_tftp: Option<usize> = None;
    for n in named(kids, "ip") {
        let v4 = n
            .attribute("address")
            .is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok());
        if let Some(t) = n.children().find(|c| c.has_tag_name("tftp"))
            && v4
        {
            match first_tftp {
                Some(first) => r.error_see(
                    t.range().start,
                    "a second <tftp>; dnsmasq serves one TFTP root per network",
                    "first <tftp>",
                    first,
                ),
                None => first_tftp = Some(t.range().start),
            }
        }
        match addressing::ip(r, n) {
            Some((ip, dhcp_at)) => {
                at.ips.push(n.range().start);
                at.dhcps.push(dhcp_at);
                net.ips.push(ip);
            }
            None => at.all_ips = false,
        }
    }
}

/// The text of an element that holds only text (`<name>`, `<hostname>`), parsed; a bad
/// value is reported where the text starts. Character references count: `&#10;` is a line
/// break like a literal one.
pub(crate) fn text_value<T>(
    r: &mut Reader,
    el: Node,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, ValueError>,
) -> Option<T> {
    r.check_attrs(el, what, &[]);
    let mut text = String::new();
    let mut start = None;
    let mut ok = true;
    for child in el.children() {
        if child.is_text() {
            start.get_or_insert(child.range().start);
            text.push_str(child.text().unwrap_or_default());
        } else if child.is_element() {
            let name = r.element_name(child);
            r.error(
                child.range().start,
                format!("unexpected element <{name}> in {what}; it holds text only"),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    match parse(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            let at = start.unwrap_or(el.range().start);
            r.error(at, format!("invalid {what} '{}': {e}", shorten(&text)));
            None
        }
    }
}

/// `<dnsmasq:options>`: each `<dnsmasq:option value>`, one dnsmasq line each.
fn dnsmasq_options(r: &mut Reader, el: Node) -> Vec<Text> {
    let what = "<dnsmasq:options>";
    r.check_attrs(el, what, &[]);
    let mut out = Vec::new();
    for child in el.children() {
        if child.is_text() {
            if !child.text().unwrap_or_default().trim().is_empty() {
                r.error(child.range().start, format!("unexpected text in {what}"));
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        if child.tag_name().namespace() != Some(DNSMASQ_NS) || child.tag_name().name() != "option" {
            let name = r.element_name(child);
            r.error(
                child.range().start,
                format!(
                    "unknown element <{name}> in {what}; expected <option> in namespace '{DNSMASQ_NS}'"
                ),
            );
            continue;
        }
        let what = "<dnsmasq:option>";
        r.check_attrs(child, what, &["value"]);
        r.children(child, what, &[], None);
        if let Some(v) = r.value(child, what, "value", Text::parse_dnsmasq_option) {
            out.push(v);
        }
    }
    out
}

/// `<metadata>`: foreign-namespace elements kept for round trips. They are serialized the
/// way libvirt (libxml2) writes them back: each top-level child declares the namespaces it
/// uses, attributes are double-quoted, one child per line.
fn metadata(r: &mut Reader, el: Node) -> String {
    r.check_attrs(el, "<metadata>", &[]);
    let mut parts = Vec::new();
    for child in el.children() {
        if child.is_text() {
            let t = child.text().unwrap_or_default();
            if !t.trim().is_empty() {
                r.error(
                    child.range().start,
                    format!("unexpected text '{}' in <metadata>", shorten(t.trim())),
                );
            }
            continue;
        }
        if !child.is_element() {
            continue;
        }
        if child.tag_name().namespace().is_none() {
            let name = r.element_name(child);
            r.error(
                child.range().start,
                format!(
                    "element <{name}> in <metadata> has no namespace; each child of <metadata> must be in an application's own namespace"
                ),
            );
            continue;
        }
        let mut out = String::new();
        serialize(r.source().text(), child, true, &mut out);
        parts.push(out);
    }
    parts.join("\n")
}

/// Writes `el` as libxml2 would after copying it out of its document. The recursion is as
/// deep as the document, which [`super::super::bounds`] keeps within a few hundred levels.
fn serialize(src: &str, el: Node, top: bool, out: &mut String) {
    let qname = qualified(src, el);
    out.push('<');
    out.push_str(qname);
    // Namespace declarations: on the top element every namespace the subtree uses, else
    // the ones written on the element itself.
    let mut declared = if top {
        let used = used_prefixes(src, el);
        el.namespaces()
            .map(|n| (n.name(), n.uri()))
            .filter(|(p, _)| *p != Some("xml") && used.contains(p))
            .collect()
    } else {
        own_namespaces(el)
    };
    // The element's own namespace first, as libxml2 reconciles it.
    let own = prefix(qname);
    declared.sort_by_key(|(p, _)| *p != own);
    for (p, uri) in declared {
        match p {
            Some(p) => out.push_str(&format!(" xmlns:{p}=\"")),
            None => out.push_str(" xmlns=\""),
        }
        escape(uri, true, out);
        out.push('"');
    }
    for a in el.attributes() {
        let name = src.get(a.range_qname()).unwrap_or(a.name());
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape(a.value(), true, out);
        out.push('"');
    }
    if el.children().next().is_none() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for c in el.children() {
        if c.is_element() {
            serialize(src, c, false, out);
        } else if c.is_text() {
            escape(c.text().unwrap_or_default(), false, out);
        }
    }
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
}

/// An element's name as written, prefix included.
fn qualified<'a>(src: &'a str, el: Node) -> &'a str {
    let raw = src.get(el.range().start + 1..).unwrap_or_default();
    let end = raw
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(raw.len());
    &raw[..end]
}

fn prefix(qname: &str) -> Option<&str> {
    qname.split_once(':').map(|(p, _)| p)
}

/// The namespaces in scope of `el` that are not in scope of its parent: those declared on
/// it (`xml` aside). An element that declares none has its parent's list, compared in one
/// pass; only one that declares some pays for a set.
fn own_namespaces<'a>(el: Node<'a, '_>) -> Vec<(Option<&'a str>, &'a str)> {
    let mine: Vec<_> = el.namespaces().map(|n| (n.name(), n.uri())).collect();
    let parent: Vec<_> = el
        .parent_element()
        .map(|p| p.namespaces().map(|n| (n.name(), n.uri())).collect())
        .unwrap_or_default();
    if mine == parent {
        return Vec::new();
    }
    let parent: HashSet<_> = parent.into_iter().collect();
    mine.into_iter()
        .filter(|pair| pair.0 != Some("xml") && !parent.contains(pair))
        .collect()
}

/// The prefixes (`None`: the default namespace) used by an element or attribute name in
/// the subtree of `el`, in one walk.
fn used_prefixes<'a>(src: &'a str, el: Node) -> HashSet<Option<&'a str>> {
    let mut used = HashSet::new();
    for d in el.descendants().filter(|d| d.is_element()) {
        used.insert(prefix(qualified(src, d)));
        for a in d.attributes() {
            if let Some(p) = prefix(src.get(a.range_qname()).unwrap_or_default()) {
                used.insert(Some(p));
            }
        }
    }
    used
}

fn escape(value: &str, attr: bool, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' | '\t' if !attr => out.push(c),
            // As the canonical writer does (src/xml/write.rs): what a terminal would act on
            // is a character reference, and an attribute keeps its tabs and line breaks.
            c if crate::show::must_escape(c) => {
                let _ = std::fmt::Write::write_fmt(out, format_args!("&#x{:X};", u32::from(c)));
            }
            c => out.push(c),
        }
    }
}

/// Whether an attribute is present (for checks about presence, whatever its value).
pub(super) fn has(el: Node, name: &str) -> Option<usize> {
    attribute(el, name).map(|a| a.range_qname().start)
}

#[cfg(test)]
mod tests {
    use crate::xml::{network_to_xml, read_network_str};

    #[test]
    fn metadata_is_rewritten_with_its_namespaces_on_each_child() {
        let text = "<network xmlns:a='urn:a'>\n  <name>m</name>\n  <metadata>\n    \
<a:x k='v&quot;'><a:y>t &amp; u</a:y></a:x>\n    <b xmlns='urn:b'/>\n  </metadata>\n</network>\n";
        let net = read_network_str("m.xml", text).unwrap();
        assert_eq!(
            net.metadata.as_deref(),
            Some(
                "<a:x xmlns:a=\"urn:a\" k=\"v&quot;\"><a:y>t &amp; u</a:y></a:x>\n<b xmlns=\"urn:b\"/>"
            )
        );
        let out = network_to_xml(&net);
        assert!(
            out.contains("  <metadata>\n    <a:x xmlns:a=\"urn:a\""),
            "{out}"
        );
        let again = read_network_str("again", &out).unwrap();
        assert_eq!(again.metadata, net.metadata);
        assert_eq!(network_to_xml(&again), out);
        let bare = "<network>\n  <name>m</name>\n  <metadata><x/></metadata>\n</network>\n";
        let err = read_network_str("b.xml", bare).unwrap_err().to_string();
        assert!(
            err.starts_with("b.xml:3:13: element <x> in <metadata> has no namespace"),
            "{err}"
        );
    }
}
