//! The canonical XML form of a host.
//!
//! Element order is netcf's (`start`, `mac`, `link`, `mtu`, `protocol`, then the kind's own
//! element), because netcf's inputs must round-trip in order; within `<protocol>` it is
//! libvirt's (`autoconf`, `dhcp`, `ip`…, `route`) followed by netloom's (`nl:route`…,
//! `nl:dns`…, `nl:search`…), and IPv4 precedes IPv6. Attributes are
//! single-quoted like `virsh` prints them; indent is two spaces. One interface is written
//! bare, several inside `<interfaces>`.

use std::fmt::Write as _;

use crate::model::{
    Bond, BondMonitor, Bridge, Dhcp, DomainName, Ethernet, Host, Interface, InterfaceKind, Ipv4,
    Ipv6, Link, NETLOOM_NS, Port, PortKind, Route, RouteFamily, Vlan,
};

/// An element under construction: name, attributes in output order, children.
pub(super) struct El {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    children: Vec<El>,
    /// Text content, written inline (`<hostname>a</hostname>`).
    text: Option<String>,
    /// Lines written verbatim, indented, after the children (serialized foreign XML).
    raw: Vec<String>,
    /// Written as an open/close pair on two lines when empty, as libvirt writes `<ip>`.
    pair: bool,
}

impl El {
    pub(super) fn new(name: &'static str) -> Self {
        Self {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
            text: None,
            raw: Vec::new(),
            pair: false,
        }
    }

    /// Makes an empty element print as `<x>` and `</x>` on two lines.
    pub(super) fn pair(mut self) -> Self {
        self.pair = true;
        self
    }

    /// Sets the element's text content.
    pub(super) fn text(mut self, text: impl ToString) -> Self {
        self.text = Some(text.to_string());
        self
    }

    /// Adds a line of already-serialized XML.
    pub(super) fn raw(mut self, line: impl Into<String>) -> Self {
        self.raw.push(line.into());
        self
    }

    pub(super) fn attr(mut self, name: &'static str, value: impl ToString) -> Self {
        self.attrs.push((name, value.to_string()));
        self
    }

    pub(super) fn opt(self, name: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    pub(super) fn child(mut self, child: El) -> Self {
        self.children.push(child);
        self
    }

    pub(super) fn children(mut self, children: impl IntoIterator<Item = El>) -> Self {
        self.children.extend(children);
        self
    }

    pub(super) fn write(&self, out: &mut String, depth: usize) {
        for _ in 0..depth {
            out.push_str("  ");
        }
        out.push('<');
        out.push_str(self.name);
        for (name, value) in &self.attrs {
            let _ = write!(out, " {name}='");
            escape_into(out, value);
            out.push('\'');
        }
        if let Some(text) = &self.text {
            out.push('>');
            escape_into(out, text);
            let _ = writeln!(out, "</{}>", self.name);
            return;
        }
        if self.children.is_empty() && self.raw.is_empty() && !self.pair {
            out.push_str("/>\n");
            return;
        }
        out.push_str(">\n");
        for c in &self.children {
            c.write(out, depth + 1);
        }
        for line in &self.raw {
            for _ in 0..=depth {
                out.push_str("  ");
            }
            out.push_str(line);
            out.push('\n');
        }
        for _ in 0..depth {
            out.push_str("  ");
        }
        let _ = writeln!(out, "</{}>", self.name);
    }
}

/// Writes `value` as XML text or attribute content. Characters a terminal would act on
/// (controls, bidirectional overrides; see [`crate::show`]) are written as character
/// references: the XML means the same, an attribute keeps its tab or line break (a raw one
/// would be read back as a space), and `dumpxml` on a terminal shows what is there.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c if crate::show::must_escape(c) => {
                let _ = write!(out, "&#x{:X};", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// The canonical XML of a host, ending in a newline. What is in netloom's namespace is
/// written with the prefix `nl`, declared on the root element when there is any.
pub fn to_xml(host: &Host) -> String {
    let mut out = String::with_capacity(host.interfaces.len() * 256);
    match host.interfaces.as_slice() {
        [one] => interface(one).write(&mut out, 0),
        many => El::new("interfaces")
            .children(many.iter().map(interface))
            .write(&mut out, 0),
    }
    if out.contains("<nl:") {
        // After the root element's name: `<interface` or `<interfaces`.
        let at = out[1..].find([' ', '>', '/']).map_or(out.len(), |i| i + 1);
        out.insert_str(at, &format!(" xmlns:nl='{NETLOOM_NS}'"));
    }
    out
}

fn head(type_name: &str, name: impl ToString) -> El {
    El::new("interface")
        .attr("type", type_name)
        .attr("name", name)
}

fn interface(i: &Interface) -> El {
    let el = head(i.kind.type_name(), &i.name)
        .children(i.uuid.map(|u| El::new("uuid").text(u)))
        .children(i.start.map(|s| El::new("start").attr("mode", s)));
    let el = match &i.kind {
        InterfaceKind::Ethernet(e) => el.children(ethernet(e)),
        InterfaceKind::Bond(b) => el.children(link(b.link.as_ref())),
        InterfaceKind::Vlan(v) => el.children(link(v.link.as_ref())),
        InterfaceKind::Bridge(_) => el,
    };
    let el = el
        .children(i.mtu.map(|m| El::new("mtu").attr("size", m)))
        .children(i.ipv4.as_ref().map(ipv4))
        .children(i.ipv6.as_ref().map(ipv6));
    match &i.kind {
        InterfaceKind::Ethernet(_) => el,
        InterfaceKind::Bond(b) => el.child(bond(b)),
        InterfaceKind::Vlan(v) => el.child(vlan(v)),
        InterfaceKind::Bridge(b) => el.child(bridge(b)),
    }
}

fn ethernet(e: &Ethernet) -> Vec<El> {
    let mut out: Vec<El> = e
        .mac
        .map(|m| El::new("mac").attr("address", m))
        .into_iter()
        .collect();
    out.extend(
        e.cloned_mac
            .map(|m| El::new("nl:cloned-mac").attr("address", m)),
    );
    out.extend(link(e.link.as_ref()));
    out
}

/// A netloom element with `attrs` as its attributes, or none when there are none.
fn netloom(name: &'static str, attrs: Vec<(&'static str, String)>) -> Option<El> {
    (!attrs.is_empty()).then(|| {
        attrs
            .into_iter()
            .fold(El::new(name), |el, (k, v)| el.attr(k, v))
    })
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn link(l: Option<&Link>) -> Option<El> {
    l.map(|l| El::new("link").opt("speed", l.speed).opt("state", l.state))
}

fn dhcp(d: &Dhcp) -> El {
    El::new("dhcp").opt("peerdns", d.peerdns.map(|p| if p { "yes" } else { "no" }))
}

fn ip(address: impl ToString, prefix: Option<impl ToString>) -> El {
    El::new("ip").attr("address", address).opt("prefix", prefix)
}

fn route(gateway: Option<impl ToString>) -> Option<El> {
    gateway.map(|g| El::new("route").attr("gateway", g))
}

/// netloom's elements of a protocol, after libvirt's: routes, DNS servers, search domains.
fn extras<A: RouteFamily>(routes: &[Route<A>], dns: &[A], search: &[DomainName]) -> Vec<El> {
    let routes = routes.iter().map(|r| {
        El::new("nl:route")
            .attr("destination", r.destination.address())
            .attr("prefix", r.destination.prefix())
            .opt("gateway", r.gateway)
            .opt("source", r.source)
            .opt("metric", r.metric)
            .opt("table", r.table)
    });
    let dns = dns.iter().map(|s| El::new("nl:dns").attr("server", s));
    let search = search
        .iter()
        .map(|d| El::new("nl:search").attr("domain", d));
    routes.chain(dns).chain(search).collect()
}

fn ipv4(p: &Ipv4) -> El {
    El::new("protocol")
        .attr("family", "ipv4")
        .children(p.dhcp.as_ref().map(dhcp))
        .children(p.addresses.iter().map(|a| ip(a.address, a.prefix)))
        .children(route(p.gateway))
        .children(extras(&p.routes, &p.dns, &p.search))
}

fn ipv6(p: &Ipv6) -> El {
    El::new("protocol")
        .attr("family", "ipv6")
        .children(p.autoconf.then(|| El::new("autoconf")))
        .children(p.dhcp.as_ref().map(dhcp))
        .children(p.addresses.iter().map(|a| ip(a.address, a.prefix)))
        .children(route(p.gateway))
        .children(extras(&p.routes, &p.dns, &p.search))
}

fn bond(b: &Bond) -> El {
    let monitor = b.monitor.map(|m| match m {
        BondMonitor::Mii(m) => El::new("miimon")
            .attr("freq", m.freq)
            .opt("downdelay", m.downdelay)
            .opt("updelay", m.updelay)
            .opt("carrier", m.carrier),
        BondMonitor::Arp(a) => El::new("arpmon")
            .attr("interval", a.interval)
            .attr("target", a.target)
            .opt("validate", a.validate),
    });
    El::new("bond")
        .opt("mode", b.mode)
        .children(monitor)
        .children(netloom("nl:bond", b.options.xml_values()))
        .children(
            b.slaves
                .iter()
                .map(|s| head("ethernet", &s.name).children(ethernet(&s.ethernet))),
        )
}

fn vlan(v: &Vlan) -> El {
    let o = v.options;
    let attrs: Vec<(&'static str, String)> = [
        ("protocol", o.protocol.map(|p| p.to_string())),
        ("reorder_hdr", o.reorder_hdr.map(yes_no)),
        ("gvrp", o.gvrp.map(yes_no)),
        ("mvrp", o.mvrp.map(yes_no)),
        ("loose_binding", o.loose_binding.map(yes_no)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    El::new("vlan")
        .attr("tag", v.tag)
        .child(El::new("interface").attr("name", &v.parent))
        .children(netloom("nl:vlan", attrs))
}

fn bridge(b: &Bridge) -> El {
    let o = b.options;
    let attrs: Vec<(&'static str, String)> = [
        ("priority", o.priority.map(|p| p.to_string())),
        ("hello_time", o.hello_time.map(|t| t.to_string())),
        ("max_age", o.max_age.map(|t| t.to_string())),
        ("ageing_time", o.ageing_time.map(|t| t.to_string())),
        ("multicast_snooping", o.multicast_snooping.map(yes_no)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    El::new("bridge")
        .opt("stp", b.stp.map(|s| if s { "on" } else { "off" }))
        .opt("delay", b.delay)
        .children(netloom("nl:bridge", attrs))
        .children(b.ports.iter().map(port))
}

fn port(p: &Port) -> El {
    match &p.kind {
        PortKind::Ethernet(e) => head("ethernet", &p.name).children(ethernet(e)),
        PortKind::Vlan(v) => head("vlan", &p.name)
            .children(link(v.link.as_ref()))
            .child(vlan(v)),
        PortKind::Bond(b) => head("bond", &p.name)
            .children(link(b.link.as_ref()))
            .child(bond(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_are_escaped_for_single_quotes() {
        let mut out = String::new();
        El::new("a").attr("v", "it's <&> \"x\"").write(&mut out, 1);
        assert_eq!(out, "  <a v='it&apos;s &lt;&amp;&gt; &quot;x&quot;'/>\n");
        let doc = roxmltree::Document::parse(&out).unwrap();
        assert_eq!(doc.root_element().attribute("v"), Some("it's <&> \"x\""));
    }
}
