//! The canonical form of a network: libvirt's `virNetworkDefFormat`, byte for byte on its
//! own round-trip fixtures, so a `dumpxml` can be diffed against `virsh net-dumpxml`.

use super::super::write::El;
use super::read::DNSMASQ_NS;
use crate::model::network::Lease;
use crate::model::network::{
    Bandwidth, Dns, Forward, ForwardMode, NetDhcp, NetIp, NetRoute, NetVlan, Network, PortGroup,
    Rate, VirtualPort,
};
use crate::model::network::{CrossHost, Forwarding, Guest, Verdict};

pub(in crate::xml) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The canonical XML of a network, ending in a newline. `connections` attributes are
/// written when present; [`Network::without_live_state`] drops them for the inactive form.
pub fn network_to_xml(net: &Network) -> String {
    let mut root = El::new("network").opt("connections", net.connections.filter(|c| *c > 0));
    if !net.dnsmasq_options.is_empty() {
        root = root.attr("xmlns:dnsmasq", DNSMASQ_NS);
    }
    if net.forwarding.is_some() || net.cross_host.is_some() {
        root = root.attr("xmlns:nl", crate::model::NETLOOM_NS);
    }
    // libvirt keeps only ipv6='yes': 'no' is its default and is not written back.
    root = root
        .opt("ipv6", (net.ipv6 == Some(true)).then_some("yes"))
        .opt(
            "trustGuestRxFilters",
            net.trust_guest_rx_filters.map(yes_no),
        )
        .child(El::new("name").text(&net.name))
        .children(net.uuid.map(|u| El::new("uuid").text(u)))
        .children(net.title.as_ref().map(|t| El::new("title").text(t)))
        .children(
            net.description
                .as_ref()
                .map(|t| El::new("description").text(t)),
        )
        .children(net.metadata.as_deref().map(metadata))
        .children(net.forward.as_ref().map(|f| forward(net, f)))
        .children(bridge(net))
        .children(net.mtu.map(|m| El::new("mtu").attr("size", m)))
        .children(net.mac.map(|m| El::new("mac").attr("address", m)))
        .children(net.domain.as_ref().map(|d| {
            El::new("domain")
                .attr("name", &d.name)
                .opt("localOnly", d.local_only.map(yes_no))
                .opt("register", d.register.map(yes_no))
        }))
        .children(net.dns.as_ref().map(dns))
        .children(net.vlan.as_ref().map(vlan))
        .children(net.bandwidth.as_ref().and_then(bandwidth))
        .children(
            net.port
                .and_then(|p| p.isolated)
                .map(|i| El::new("port").attr("isolated", yes_no(i))),
        )
        .children(net.ips.iter().map(ip))
        .children(net.routes.iter().map(route))
        .children(net.virtualport.as_ref().map(virtualport))
        .children(net.portgroups.iter().map(portgroup))
        .children(net.cross_host.as_ref().map(listen))
        .children(net.cross_host.as_ref().map(connections))
        .children(net.forwarding.as_ref().map(forwarding));
    if !net.dnsmasq_options.is_empty() {
        root = root.child(
            El::new("dnsmasq:options").children(
                net.dnsmasq_options
                    .iter()
                    .map(|o| El::new("dnsmasq:option").attr("value", o)),
            ),
        );
    }
    let mut out = String::new();
    root.write(&mut out, 0);
    out
}

/// `<nl:listen>`: this host's end of a cross-host network.
fn listen(x: &CrossHost) -> El {
    El::new("nl:listen")
        .attr("address", x.listen.address)
        .opt("port", x.listen.port)
        .opt("vni", x.listen.vni)
}

/// `<nl:connections>`: the other hosts.
fn connections(x: &CrossHost) -> El {
    El::new("nl:connections").children(x.peers.iter().map(|p| {
        El::new("nl:connection")
            .attr("address", p.address)
            .opt("port", p.port)
            .opt("dhcp", p.dhcp)
    }))
}

/// `<nl:forwarding>`: the policy, rules in their order.
fn forwarding(f: &Forwarding) -> El {
    let enabled = f.enabled.map(|e| if e { "true" } else { "false" });
    El::new("nl:forwarding")
        .opt("enabled", enabled)
        .children(f.incoming.as_ref().map(|i| {
            El::new("nl:incoming")
                .opt("default", i.default)
                .children(i.allows.iter().map(|a| {
                    let (domain, address) = match &a.guest {
                        Guest::Domain(d) => (Some(d.to_string()), None),
                        Guest::Address(ip) => (None, Some(ip)),
                    };
                    El::new("nl:allow")
                        .attr("port", a.port)
                        .opt("protocol", a.protocol)
                        .opt("domain", domain)
                        .opt("address", address)
                        .opt("destport", a.destport)
                }))
        }))
        .children(f.outgoing.as_ref().map(|o| {
            El::new("nl:outgoing")
                .opt("default", o.default)
                .children(o.rules.iter().map(|r| {
                    let name = match r.verdict {
                        Verdict::Allow => "nl:allow",
                        Verdict::Deny => "nl:deny",
                    };
                    El::new(name)
                        .attr("port", r.port)
                        .opt("protocol", r.protocol)
                }))
        }))
}

/// `<metadata>`: each top-level child on its own line, as the reader serialized it.
fn metadata(text: &str) -> El {
    let mut el = El::new("metadata");
    let wrapped = format!("<metadata>{text}</metadata>");
    match roxmltree::Document::parse(&wrapped) {
        Ok(doc) => {
            for child in doc.root_element().children().filter(|c| c.is_element()) {
                if let Some(s) = wrapped.get(child.range()) {
                    el = el.raw(s);
                }
            }
        }
        Err(_) => {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                el = el.raw(line);
            }
        }
    }
    el
}

fn forward(net: &Network, f: &Forward) -> El {
    let mode = f.mode.unwrap_or(ForwardMode::Nat);
    let mut el = El::new("forward")
        .opt("dev", net.forward_dev())
        .attr("mode", mode);
    if mode == ForwardMode::Hostdev {
        el = el.attr("managed", yes_no(f.managed == Some(true)));
    } else {
        el = el.opt("managed", f.managed.map(yes_no));
    }
    let el = el
        .children(f.driver.as_ref().map(|d| {
            El::new("driver")
                .opt("name", d.name.as_ref())
                .opt("model", d.model.as_ref())
        }))
        .children(f.nat.as_ref().and_then(|n| {
            if n.ipv6.is_none() && n.address.is_none() && n.port.is_none() {
                return None;
            }
            Some(
                El::new("nat")
                    .opt("ipv6", n.ipv6.map(yes_no))
                    .children(
                        n.address
                            .map(|(s, e)| El::new("address").attr("start", s).attr("end", e)),
                    )
                    .children(
                        n.port
                            .map(|(s, e)| El::new("port").attr("start", s).attr("end", e)),
                    ),
            )
        }))
        .children(f.pf.as_ref().map(|p| El::new("pf").attr("dev", p)));
    // A lone `dev` is a pool of one, written out as libvirt does.
    let pool: Vec<El> = if f.interfaces.is_empty() {
        f.dev
            .iter()
            .filter(|_| f.addresses.is_empty() && f.pf.is_none())
            .map(|d| El::new("interface").attr("dev", d))
            .collect()
    } else {
        f.interfaces
            .iter()
            .map(|i| {
                El::new("interface")
                    .attr("dev", &i.dev)
                    .opt("connections", i.connections.filter(|c| *c > 0))
            })
            .collect()
    };
    el.children(pool).children(f.addresses.iter().map(|a| {
        El::new("address")
            .attr("type", "pci")
            .attr("domain", format!("0x{:04x}", a.domain))
            .attr("bus", format!("0x{:02x}", a.bus))
            .attr("slot", format!("0x{:02x}", a.slot))
            .attr("function", format!("0x{:x}", a.function))
            .opt("connections", a.connections.filter(|c| *c > 0))
    }))
}

/// `<bridge>`: networks with a bridge of their own always show stp and delay.
fn bridge(net: &Network) -> Option<El> {
    let own = net.has_own_bridge();
    let b = net.bridge.clone().unwrap_or_default();
    if !own && b.name.is_none() && b.mac_table_manager.is_none() {
        return None;
    }
    let mut el = El::new("bridge").opt("name", b.name.as_ref());
    if own {
        el = el
            .opt("zone", b.zone.as_ref())
            .attr("stp", if b.stp.unwrap_or(true) { "on" } else { "off" })
            .attr("delay", b.delay.unwrap_or(0));
    }
    Some(el.opt("macTableManager", b.mac_table_manager))
}

fn dns(d: &Dns) -> El {
    El::new("dns")
        .opt("enable", d.enable.map(yes_no))
        .opt("forwardPlainNames", d.forward_plain_names.map(yes_no))
        .children(d.forwarders.iter().map(|f| {
            El::new("forwarder")
                .opt("domain", f.domain.as_ref())
                .opt("addr", f.addr)
        }))
        .children(
            d.txt
                .iter()
                .map(|t| El::new("txt").attr("name", &t.name).attr("value", &t.value)),
        )
        .children(d.srv.iter().map(|s| {
            El::new("srv")
                .attr("service", &s.service)
                .attr("protocol", s.protocol)
                .opt("domain", s.domain.as_ref())
                .opt("target", s.target.as_ref())
                .opt("port", s.port)
                .opt("priority", s.priority)
                .opt("weight", s.weight)
        }))
        .children(d.hosts.iter().map(|h| {
            El::new("host")
                .attr("ip", h.ip)
                .children(h.hostnames.iter().map(|n| El::new("hostname").text(n)))
        }))
}

pub(in crate::xml) fn vlan(v: &NetVlan) -> El {
    let trunk = v.trunk == Some(true) || v.tags.len() > 1;
    El::new("vlan")
        .opt("trunk", trunk.then_some("yes"))
        .children(v.tags.iter().map(|t| {
            El::new("tag")
                .attr("id", t.id)
                .opt("nativeMode", t.native_mode)
        }))
}

fn rate(name: &'static str, r: &Rate) -> El {
    El::new(name)
        .opt("average", r.average)
        .opt("peak", r.peak)
        .opt("floor", r.floor)
        .opt("burst", r.burst)
}

pub(in crate::xml) fn bandwidth(b: &Bandwidth) -> Option<El> {
    if b.inbound.is_none() && b.outbound.is_none() {
        return None;
    }
    Some(
        El::new("bandwidth")
            .children(b.inbound.as_ref().map(|r| rate("inbound", r)))
            .children(b.outbound.as_ref().map(|r| rate("outbound", r))),
    )
}

fn lease(l: &Lease) -> El {
    El::new("lease")
        .attr("expiry", l.expiry)
        .opt("unit", l.unit)
}

fn ip(i: &NetIp) -> El {
    El::new("ip")
        .opt("family", i.family)
        .attr("address", i.address)
        .opt("netmask", i.netmask)
        .opt("prefix", i.prefix)
        .opt("localPtr", i.local_ptr.map(yes_no))
        .pair()
        .children(
            i.tftp_root
                .as_ref()
                .map(|t| El::new("tftp").attr("root", t)),
        )
        .children(i.dhcp.as_ref().and_then(dhcp))
}

fn dhcp(d: &NetDhcp) -> Option<El> {
    if d.ranges.is_empty() && d.hosts.is_empty() && d.bootp.is_none() {
        return None;
    }
    Some(
        El::new("dhcp")
            .children(d.ranges.iter().map(|r| {
                El::new("range")
                    .attr("start", r.start)
                    .attr("end", r.end)
                    .children(r.lease.as_ref().map(lease))
            }))
            .children(d.hosts.iter().map(|h| {
                El::new("host")
                    .opt("mac", h.mac)
                    .opt("id", h.id.as_ref())
                    .opt("name", h.name.as_ref())
                    .opt("ip", h.ip)
                    .children(h.lease.as_ref().map(lease))
            }))
            .children(d.bootp.as_ref().map(|b| {
                El::new("bootp")
                    .attr("file", &b.file)
                    .opt("server", b.server.as_ref())
            })),
    )
}

fn route(r: &NetRoute) -> El {
    El::new("route")
        .opt("family", r.family)
        .attr("address", r.address)
        .opt("netmask", r.netmask)
        .opt("prefix", r.prefix)
        .attr("gateway", r.gateway)
        .opt("metric", r.metric)
}

pub(in crate::xml) fn virtualport(v: &VirtualPort) -> El {
    let params = El::new("parameters")
        .opt("managerid", v.managerid)
        .opt("typeid", v.typeid)
        .opt("typeidversion", v.typeidversion)
        .opt("instanceid", v.instanceid)
        .opt("interfaceid", v.interfaceid)
        .opt("profileid", v.profileid.as_ref());
    let any = v.managerid.is_some()
        || v.typeid.is_some()
        || v.typeidversion.is_some()
        || v.instanceid.is_some()
        || v.interfaceid.is_some()
        || v.profileid.is_some();
    El::new("virtualport")
        .opt("type", v.kind)
        .children(any.then_some(params))
}

fn portgroup(p: &PortGroup) -> El {
    El::new("portgroup")
        .attr("name", &p.name)
        .opt("default", (p.default == Some(true)).then_some("yes"))
        .opt("trustGuestRxFilters", p.trust_guest_rx_filters.map(yes_no))
        .children(p.vlan.as_ref().map(vlan))
        .children(p.virtualport.as_ref().map(virtualport))
        .children(p.bandwidth.as_ref().and_then(bandwidth))
}
