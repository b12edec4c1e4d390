//! `<nl:forwarding>`: the founding design's forwarding policy, in netloom's namespace, with
//! the checks that need the rest of the network (its forward mode, its DHCP hosts and
//! subnets); `<nl:listen>` and `<nl:connections>` are read by the sibling `cross`.

use std::net::IpAddr;

use roxmltree::Node;

use super::super::reader::{Reader, attribute, parse_yes_no};
use super::addressing::parse_ip;
use super::read::has;
use crate::model::network::{
    DnsName, ForwardMode, Forwarding, Guest, Incoming, IncomingAllow, L4Proto, Network, Outgoing,
    OutgoingRule, PortRange, Verdict,
};
use crate::model::{NETLOOM_NS, ValueError};

/// The netloom elements a `<network>` takes, as (namespace, local name).
pub(super) const ROOT_NL: &[(&str, &str)] = &[
    (NETLOOM_NS, "forwarding"),
    (NETLOOM_NS, "listen"),
    (NETLOOM_NS, "connections"),
];

/// The netloom children of `<network>` among `kids`, read into `net` and checked against
/// the rest of it. Runs after `<forward>` and `<ip>` are read; with `all_ips` false (an
/// `<ip>` was refused), guests are not checked against the addresses, which would only
/// repeat that problem.
pub(super) fn read(r: &mut Reader, kids: &[Node], net: &mut Network, all_ips: bool) {
    let nl: Vec<Node> = kids
        .iter()
        .copied()
        .filter(|n| n.tag_name().namespace() == Some(NETLOOM_NS))
        .collect();
    if let Some(n) = r.once(&nl, "forwarding", "<network>") {
        net.forwarding = forwarding(r, n, net, all_ips);
    }
    let listen = r.once(&nl, "listen", "<network>");
    let connections = r.once(&nl, "connections", "<network>");
    net.cross_host = super::cross::cross_host(r, listen, connections, net);
}

/// `<nl:forwarding enabled>` with `<nl:incoming>` and `<nl:outgoing>`.
fn forwarding(r: &mut Reader, el: Node, net: &Network, all_ips: bool) -> Option<Forwarding> {
    let what = "<nl:forwarding>";
    r.check_attrs(el, what, &["enabled"]);
    let kids = r.children_ns(
        el,
        what,
        &[],
        None,
        &[(NETLOOM_NS, "incoming"), (NETLOOM_NS, "outgoing")],
    );
    let mode = net.forward_mode();
    if !matches!(mode, Some(ForwardMode::Nat | ForwardMode::Route)) {
        let mode = mode.map_or("isolated", |m| m.as_str());
        r.error(
            el.range().start,
            format!(
                "{what} is for networks with <forward mode='nat'> or mode='route'; this one \
                 is {mode}, which has no forwarding firewall for a policy to go into"
            ),
        );
    }
    let mut out = Forwarding {
        enabled: r.optional(el, what, "enabled", parse_true_false),
        ..Forwarding::default()
    };
    if let Some(n) = r.once(&kids, "incoming", what) {
        out.incoming = Some(incoming(r, n, net, all_ips));
    }
    if let Some(n) = r.once(&kids, "outgoing", what) {
        out.outgoing = Some(outgoing(r, n));
    }
    Some(out)
}

/// The design writes `enabled="true"`; libvirt's `yes`/`no` is taken too.
fn parse_true_false(s: &str) -> Result<bool, ValueError> {
    match s {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => parse_yes_no(s).map_err(|_| ValueError("expected 'true' or 'false'".into())),
    }
}

/// `<nl:incoming default>` with its `<nl:allow>` rules.
fn incoming(r: &mut Reader, el: Node, net: &Network, all_ips: bool) -> Incoming {
    let what = "<nl:incoming>";
    r.check_attrs(el, what, &["default"]);
    let kids = r.children_ns(el, what, &[], None, &[(NETLOOM_NS, "allow")]);
    let default = r.optional(el, what, "default", Verdict::parse);
    if default == Some(Verdict::Allow) && net.forward_mode() == Some(ForwardMode::Nat) {
        let at = has(el, "default").unwrap_or(el.range().start);
        r.error(
            at,
            "default='allow' cannot be kept on a nat network: from outside only the host's \
             address is reachable; list each <nl:allow port domain destport/> instead",
        );
    }
    let mut allows: Vec<(IncomingAllow, usize)> = Vec::new();
    for n in kids {
        if let Some(allow) = incoming_allow(r, n, net, all_ips) {
            allows.push((allow, n.range().start));
        }
    }
    let keys: Vec<_> = allows.iter().map(|(a, _)| (a.proto(), a.port)).collect();
    let mut repeated = vec![false; allows.len()];
    for (later, earlier) in overlapping(&keys) {
        let ((a, at), (e, first)) = (&allows[later], &allows[earlier]);
        r.error_see(
            *at,
            format!(
                "<nl:allow> for {} port {} overlaps the earlier one for port {}; a host port \
                 is sent on to one guest only",
                a.proto(),
                a.port,
                e.port
            ),
            "first given",
            *first,
        );
        repeated[later] = true;
    }
    let mut repeated = repeated.into_iter();
    allows.retain(|_| !repeated.next().unwrap_or(false));
    Incoming {
        default,
        allows: allows.into_iter().map(|(a, _)| a).collect(),
    }
}

/// One `<nl:allow port protocol domain|address destport>` of `<nl:incoming>`.
fn incoming_allow(r: &mut Reader, el: Node, net: &Network, all_ips: bool) -> Option<IncomingAllow> {
    let what = "<nl:allow>";
    r.children(el, what, &[], None);
    r.check_attrs(
        el,
        what,
        &["port", "protocol", "domain", "address", "destport"],
    );
    let port = r.value(el, what, "port", PortRange::parse);
    let protocol = r.optional(el, what, "protocol", L4Proto::parse);
    let destport = r.optional(el, what, "destport", port_value);
    let domain = r.optional(el, what, "domain", DnsName::parse);
    let address = r.optional(el, what, "address", parse_ip);
    let guest = match (domain, address) {
        (Some(d), None) if !all_ips => Some(Guest::Domain(d)),
        (None, Some(a)) if !all_ips => Some(Guest::Address(a)),
        (Some(d), None) => guest_by_name(r, el, net, d),
        (None, Some(a)) => guest_by_address(r, el, net, a),
        (Some(_), Some(_)) => {
            let at = has(el, "address").unwrap_or(el.range().start);
            r.error(
                at,
                format!(
                    "{what} names its guest once: by domain (a DHCP host name) or by \
                     address, not both"
                ),
            );
            None
        }
        (None, None) => {
            if attribute(el, "domain").is_none() && attribute(el, "address").is_none() {
                r.error(
                    el.range().start,
                    format!(
                        "{what} needs its guest: domain (a DHCP host name of this network) \
                         or address"
                    ),
                );
            }
            None
        }
    };
    let port = port?;
    if let (true, Some(at)) = (port.is_range(), has(el, "destport")) {
        r.error(
            at,
            format!(
                "destport cannot go with the port range {port}: a range is sent on to the \
                 same ports of the guest; leave destport out"
            ),
        );
        return None;
    }
    if attribute(el, "protocol").is_some() && protocol.is_none()
        || attribute(el, "destport").is_some() && destport.is_none()
    {
        return None;
    }
    Some(IncomingAllow {
        port,
        protocol,
        guest: guest?,
        destport,
    })
}

pub(super) fn port_value(s: &str) -> Result<u16, ValueError> {
    crate::model::network::parse_port(s)
}

/// A guest named by its DHCP host name: a `<host name>` of this network with an `ip`.
fn guest_by_name(r: &mut Reader, el: Node, net: &Network, name: DnsName) -> Option<Guest> {
    let hosts = net
        .ips
        .iter()
        .filter_map(|ip| ip.dhcp.as_ref())
        .flat_map(|d| &d.hosts);
    let found = hosts
        .clone()
        .any(|h| h.name.as_ref() == Some(&name) && h.ip.is_some());
    if !found {
        let known: Vec<String> = hosts
            .filter(|h| h.ip.is_some())
            .filter_map(|h| h.name.as_ref().map(|n| format!("'{n}'")))
            .collect();
        let at = attribute(el, "domain").map_or(el.range().start, |a| a.range_value().start);
        let list = if known.is_empty() {
            "this network has no <dhcp><host name ip> at all".to_owned()
        } else {
            format!("expected {}", crate::model::join_or(known))
        };
        r.error(
            at,
            format!(
                "<nl:allow> names guest '{name}', which no <dhcp><host> with an ip of this \
                 network is called; {list}"
            ),
        );
        return None;
    }
    Some(Guest::Domain(name))
}

/// A guest named by its address, which must be in one of the network's subnets and not be
/// the bridge's own.
fn guest_by_address(r: &mut Reader, el: Node, net: &Network, addr: IpAddr) -> Option<Guest> {
    let at = attribute(el, "address").map_or(el.range().start, |a| a.range_value().start);
    if net.ips.iter().any(|ip| ip.address == addr) {
        r.error(
            at,
            format!(
                "<nl:allow> address {addr} is the network's own address on the bridge, not a \
                 guest's"
            ),
        );
        return None;
    }
    if !net.ips.iter().any(|ip| ip.contains(addr)) {
        r.error(
            at,
            format!(
                "<nl:allow> address {addr} is in none of this network's subnets; expected a \
                 guest's address"
            ),
        );
        return None;
    }
    Some(Guest::Address(addr))
}

/// `<nl:outgoing default>` with its `<nl:allow>` and `<nl:deny>` rules.
fn outgoing(r: &mut Reader, el: Node) -> Outgoing {
    let what = "<nl:outgoing>";
    r.check_attrs(el, what, &["default"]);
    let kids = r.children_ns(
        el,
        what,
        &[],
        None,
        &[(NETLOOM_NS, "allow"), (NETLOOM_NS, "deny")],
    );
    let default = r.optional(el, what, "default", Verdict::parse);
    // A bad default is reported already: rules are judged against it only when it was read.
    let judged = default.is_some() || attribute(el, "default").is_none();
    let said = judged.then(|| default.unwrap_or(Verdict::Allow));
    let mut rules: Vec<(OutgoingRule, usize)> = Vec::new();
    for n in kids {
        if let Some(rule) = outgoing_rule(r, n, said) {
            rules.push((rule, n.range().start));
        }
    }
    drop_repeats(r, &mut rules);
    Outgoing {
        default,
        rules: rules.into_iter().map(|(o, _)| o).collect(),
    }
}

/// One `<nl:allow>` or `<nl:deny>` under an `<nl:outgoing>` whose default is `said` (when
/// it could be read). A rule that says what the default says would make no rule at all,
/// and is refused. `None` when something was reported.
fn outgoing_rule(r: &mut Reader, n: Node, said: Option<Verdict>) -> Option<OutgoingRule> {
    let verdict = match n.tag_name().name() {
        "allow" => Verdict::Allow,
        _ => Verdict::Deny,
    };
    let what = format!("<nl:{verdict}>");
    r.children(n, &what, &[], None);
    r.check_attrs(n, &what, &["port", "protocol"]);
    let port = r.value(n, &what, "port", PortRange::parse);
    let protocol = r.optional(n, &what, "protocol", L4Proto::parse);
    let (Some(port), true) = (
        port,
        attribute(n, "protocol").is_none() || protocol.is_some(),
    ) else {
        return None;
    };
    if let Some(said) = said.filter(|s| *s == verdict) {
        r.error(
            n.range().start,
            format!(
                "<nl:{verdict}> under <nl:outgoing default='{said}'> changes nothing; \
                 expected <nl:{}> (the default already {} port {port})",
                match said {
                    Verdict::Allow => Verdict::Deny,
                    Verdict::Deny => Verdict::Allow,
                },
                match said {
                    Verdict::Allow => "allows",
                    Verdict::Deny => "denies",
                },
            ),
        );
        return None;
    }
    Some(OutgoingRule {
        verdict,
        port,
        protocol,
    })
}

/// Each port may have one rule per protocol: a rule that shares a port with an earlier one
/// is refused, pointing at the first, and dropped from `rules` (each with where it is).
fn drop_repeats(r: &mut Reader, rules: &mut Vec<(OutgoingRule, usize)>) {
    let keys: Vec<_> = rules.iter().map(|(o, _)| (o.proto(), o.port)).collect();
    let mut repeated = vec![false; rules.len()];
    for (later, earlier) in overlapping(&keys) {
        let ((o, at), (e, first)) = (&rules[later], &rules[earlier]);
        r.error_see(
            *at,
            format!(
                "<nl:{}> for {} port {} repeats <nl:{}> for port {}; each port may have one rule",
                o.verdict,
                o.proto(),
                o.port,
                e.verdict,
                e.port
            ),
            "first given",
            *first,
        );
        repeated[later] = true;
    }
    let mut repeated = repeated.into_iter();
    rules.retain(|_| !repeated.next().unwrap_or(false));
}

/// Among rules given as (protocol, ports) in document order, the pairs (later, earlier) of
/// indices where a later rule shares a port of its protocol with an earlier one, each later
/// rule at most once. Sorted and swept, so a file with many rules costs n log n, not n².
fn overlapping(items: &[(L4Proto, PortRange)]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (items[i].0.as_str(), items[i].1.first, i));
    let mut out = Vec::new();
    let mut seen = vec![false; items.len()];
    // The rule of the protocol being swept that reaches the highest port so far.
    let mut reach: Option<usize> = None;
    for i in order {
        let (proto, ports) = items[i];
        if let Some(j) = reach.filter(|&j| items[j].0 == proto && items[j].1.last >= ports.first) {
            let (later, earlier) = (i.max(j), i.min(j));
            if !seen[later] {
                seen[later] = true;
                out.push((later, earlier));
            }
        }
        let wider = reach.is_none_or(|j| items[j].0 != proto || items[j].1.last < ports.last);
        if wider {
            reach = Some(i);
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::overlapping;
    use crate::model::network::{Guest, L4Proto, PeerDhcp, PortRange, Verdict};
    use crate::xml::{network_to_xml, read_network_str};

    const DESIGN: &str = "<network xmlns:nl='urn:netloom:xml:1'>
  <name>x</name>
  <forward mode='nat'/>
  <bridge name='virbr5'/>
  <ip address='192.168.50.1' prefix='24'>
    <dhcp>
      <range start='192.168.50.100' end='192.168.50.150'/>
      <host mac='52:54:00:00:00:01' name='foobar' ip='192.168.50.5'/>
    </dhcp>
  </ip>
  <nl:listen address='172.31.0.5' port='1234'/>
  <nl:connections>
    <nl:connection address='172.31.0.6' port='4321' dhcp='none'/>
  </nl:connections>
  <nl:forwarding enabled='true'>
    <nl:incoming default='deny'>
      <nl:allow port='123' domain='foobar' destport='321'/>
      <nl:allow port='2000-2010' protocol='udp' address='192.168.50.6'/>
    </nl:incoming>
    <nl:outgoing default='allow'>
      <nl:deny port='25'/>
    </nl:outgoing>
  </nl:forwarding>
</network>
";

    #[test]
    fn the_designs_elements_are_read_and_kept_by_canonical_xml() {
        let net = read_network_str("d.xml", DESIGN).unwrap();
        let f = net.forwarding.as_ref().unwrap();
        let incoming = f.incoming.as_ref().unwrap();
        assert_eq!(incoming.default, Some(Verdict::Deny));
        assert_eq!(incoming.allows[0].port, PortRange::one(123));
        assert_eq!(incoming.allows[0].guest_ports(), PortRange::one(321));
        assert!(matches!(&incoming.allows[0].guest, Guest::Domain(d) if d.as_str() == "foobar"));
        assert_eq!(incoming.allows[1].guest_ports().to_string(), "2000-2010");
        let out = f.outgoing.as_ref().unwrap();
        assert_eq!(out.rules[0].verdict, Verdict::Deny);
        let x = net.cross_host.as_ref().unwrap();
        assert_eq!((x.port(), x.peers[0].port_or_default()), (1234, 4321));
        assert_eq!(x.peers[0].dhcp, Some(PeerDhcp::None));
        let xml = network_to_xml(&net);
        for want in [
            "<network xmlns:nl='urn:netloom:xml:1'>",
            "<nl:listen address='172.31.0.5' port='1234'/>",
            "<nl:connection address='172.31.0.6' port='4321' dhcp='none'/>",
            "<nl:allow port='123' domain='foobar' destport='321'/>",
            "<nl:allow port='2000-2010' protocol='udp' address='192.168.50.6'/>",
            "<nl:deny port='25'/>",
        ] {
            assert!(xml.contains(want), "{want} missing:\n{xml}");
        }
        let again = read_network_str("again.xml", &xml).unwrap();
        // libvirt's writer fills in the bridge's defaults; the netloom parts come back as read.
        assert_eq!(again.forwarding, net.forwarding);
        assert_eq!(again.cross_host, net.cross_host);
        assert_eq!(network_to_xml(&again), xml);
    }

    #[test]
    fn a_network_without_the_elements_writes_no_namespace() {
        let plain = "<network><name>p</name><bridge name='virbr4'/></network>";
        let xml = network_to_xml(&read_network_str("p.xml", plain).unwrap());
        assert!(!xml.contains("xmlns:nl"), "{xml}");
    }

    #[test]
    fn a_guest_named_by_no_dhcp_host_is_refused_where_it_is_named() {
        let bad = DESIGN.replace("domain='foobar'", "domain='nobody'");
        let err = read_network_str("b.xml", &bad).unwrap_err().to_string();
        assert!(
            err.contains("b.xml:17:36: <nl:allow> names guest 'nobody'"),
            "{err}"
        );
    }

    #[test]
    fn overlapping_rules_are_found_per_protocol_and_reported_at_the_later() {
        let p = |s: &str| PortRange::parse(s).unwrap();
        let (tcp, udp) = (L4Proto::Tcp, L4Proto::Udp);
        let items = [
            (tcp, p("120-130")),
            (tcp, p("126")),
            (udp, p("126")),
            (tcp, p("1-5")),
            (tcp, p("131")),
            (tcp, p("4")),
        ];
        assert_eq!(overlapping(&items), [(1, 0), (5, 3)]);
        assert_eq!(overlapping(&[]), []);
    }

    #[test]
    fn many_rules_and_connections_cost_about_linear_time() {
        crate::scaling::assert_linear(
            "overlap check of outgoing rules",
            1000,
            |n| {
                (0..n)
                    .map(|i| {
                        let first = (i % 60000) as u16 + 1;
                        (L4Proto::ALL[i % 3], PortRange { first, last: first })
                    })
                    .collect::<Vec<_>>()
            },
            |items| {
                std::hint::black_box(overlapping(items));
            },
        );
        crate::scaling::assert_linear(
            "reading a cross-host network's connections",
            200,
            |n| {
                let peers: String = (0..n)
                    .map(|i| {
                        format!(
                            "<nl:connection address='10.{}.{}.{}' dhcp='none'/>",
                            i >> 16 & 255,
                            i >> 8 & 255,
                            i & 255
                        )
                    })
                    .collect();
                format!(
                    "<network xmlns:nl='urn:netloom:xml:1'><name>n</name><bridge name='b0'/>\
                     <ip address='192.168.9.1' prefix='24'><dhcp>\
                     <range start='192.168.9.100' end='192.168.9.200'/></dhcp></ip>\
                     <nl:listen address='172.16.0.1'/><nl:connections>{peers}</nl:connections>\
                     </network>"
                )
            },
            |text| {
                assert!(read_network_str("n.xml", text).is_ok());
            },
        );
    }
}
