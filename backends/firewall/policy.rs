//! The rules of a network's forwarding policy (`<nl:forwarding>`) and of its cross-host
//! peers (`<nl:connections>`), added after libvirt's: each rule is inserted at the head of
//! its chain, so these come before libvirt's accepts and rejects in the kernel.

use std::net::IpAddr;

use super::{Family, Placed, Rule, Subnet};
use crate::model::IfaceName;
use crate::model::network::{ForwardMode, Guest, Incoming, Network, Outgoing, Verdict};

/// Whether a route network's policy lets in only replies and what it allows
/// (`<nl:incoming default='deny'>`); a nat network lets in only those anyway.
pub(super) fn denies_incoming(net: &Network) -> bool {
    net.forward_mode() == Some(ForwardMode::Route)
        && net
            .policy()
            .and_then(|p| p.incoming.as_ref())
            .and_then(|i| i.default)
            == Some(Verdict::Deny)
}

/// Appends the policy's and the peers' rules. The error says what cannot be rendered
/// (a guest name the reader would have refused).
pub(super) fn rules(
    net: &Network,
    dev: Option<&IfaceName>,
    rules: &mut Vec<Placed>,
) -> Result<(), String> {
    if let Some(policy) = net.policy() {
        if let Some(incoming) = &policy.incoming {
            incoming_rules(net, incoming, dev, rules)?;
        }
        if let Some(outgoing) = &policy.outgoing {
            outgoing_rules(net, outgoing, dev, rules);
        }
    }
    peer_rules(net, rules);
    Ok(())
}

fn family_of(a: &IpAddr) -> Family {
    if a.is_ipv6() {
        Family::Ipv6
    } else {
        Family::Ipv4
    }
}

/// Per `<nl:allow>`: the forward accept of what the DNAT sends, then the DNAT.
fn incoming_rules(
    net: &Network,
    incoming: &Incoming,
    dev: Option<&IfaceName>,
    rules: &mut Vec<Placed>,
) -> Result<(), String> {
    for allow in &incoming.allows {
        let (proto, to_ports) = (allow.proto(), allow.guest_ports());
        for to in guest_addresses(net, &allow.guest)? {
            let family = family_of(&to);
            rules.push(Placed {
                family,
                rule: Rule::AllowDnat {
                    proto,
                    to,
                    to_ports,
                },
            });
            rules.push(Placed {
                family,
                rule: Rule::Dnat {
                    proto,
                    port: allow.port,
                    to,
                    to_ports,
                    dev: dev.cloned(),
                },
            });
        }
    }
    Ok(())
}

/// The default (a reject of the rest, under `deny`), then the rules that differ from it,
/// which the kernel then sees first.
fn outgoing_rules(
    net: &Network,
    outgoing: &Outgoing,
    dev: Option<&IfaceName>,
    rules: &mut Vec<Placed>,
) {
    let families = families(net);
    let default = outgoing.default_verdict();
    if default == Verdict::Deny {
        for &family in &families {
            rules.push(Placed {
                family,
                rule: Rule::OutDenyRest,
            });
        }
    }
    for r in outgoing.rules.iter().filter(|r| r.verdict != default) {
        let (proto, port) = (r.proto(), r.port);
        match r.verdict {
            Verdict::Deny => rules.extend(families.iter().map(|&family| Placed {
                family,
                rule: Rule::OutDeny { proto, port },
            })),
            Verdict::Allow => rules.extend(net.ips.iter().map(|ip| {
                let subnet = Subnet {
                    addr: ip.network(),
                    prefix: ip.prefix_len(),
                };
                Placed {
                    family: subnet.family(),
                    rule: Rule::OutAllow {
                        net: subnet,
                        dev: dev.cloned(),
                        proto,
                        port,
                    },
                }
            })),
        }
    }
}

/// A cross-host network's peers may send their VXLAN traffic in.
fn peer_rules(net: &Network, rules: &mut Vec<Placed>) {
    let Some(x) = &net.cross_host else { return };
    rules.extend(x.peers.iter().map(|peer| Placed {
        family: family_of(&peer.address),
        rule: Rule::PeerIn {
            peer: peer.address,
            listen: x.listen.address,
            port: x.port(),
        },
    }));
}

/// The families the network has addresses in, IPv4 first.
fn families(net: &Network) -> Vec<Family> {
    let mut out = Vec::new();
    if net.ips.iter().any(|ip| !ip.is_ipv6()) {
        out.push(Family::Ipv4);
    }
    if net.ips.iter().any(|ip| ip.is_ipv6()) {
        out.push(Family::Ipv6);
    }
    out
}

/// The addresses of an incoming rule's guest: given, or its DHCP hosts' fixed addresses
/// (the first of each family: a guest with an IPv4 and an IPv6 host entry is forwarded to
/// in both).
fn guest_addresses(net: &Network, guest: &Guest) -> Result<Vec<IpAddr>, String> {
    let name = match guest {
        Guest::Address(a) => return Ok(vec![*a]),
        Guest::Domain(name) => name,
    };
    let mut out: Vec<IpAddr> = Vec::new();
    let fixed = (net.ips.iter())
        .filter_map(|ip| ip.dhcp.as_ref())
        .flat_map(|d| &d.hosts)
        .filter(|h| h.name.as_ref() == Some(name))
        .filter_map(|h| h.ip);
    for a in fixed {
        if !out.iter().any(|o| o.is_ipv4() == a.is_ipv4()) {
            out.push(a);
        }
    }
    if out.is_empty() {
        return Err(format!(
            "<nl:allow domain='{name}'> names no <dhcp><host> with a fixed ip, so it has no \
             address to forward to"
        ));
    }
    Ok(out)
}
