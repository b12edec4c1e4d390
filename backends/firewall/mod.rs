//! The firewall of a virtual network as a backend-neutral list of rules, in libvirt's order
//! (its chains, and the rules of each forward mode, as docs/virtual-networks.md describes),
//! which the iptables and nftables backends both
//! spell. Keeping the decisions (which rules, in which order, for which family) in one place
//! means the two backends cannot drift apart; each only knows its own syntax.
//!
//! The order is libvirt's *command* order. Every rule is inserted at the head of its chain,
//! so the order in the kernel is the reverse, per chain; libvirt issues them in reverse on
//! purpose (the NAT exemptions must come before the masquerade rules).
//!
//! The rules only ever go into chains of netloom's own (libvirt's names, so a host moved
//! from libvirt keeps working). Creating those chains is a one-time global setup that a
//! caller loads only when a probe says it is missing ([`BaseStep`]); a network's fragment
//! never declares a chain, because declaring one can flush it (see the iptables backend).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::backend::BackendError;
use crate::model::IfaceName;
use crate::model::network::{ForwardMode, L4Proto, Nat, NetIp, Network, PortRange};

mod policy;

/// Where both firewall backends put a network's files, relative to the target root.
pub const DIR: &str = "var/lib/netloom/firewall";

/// The file mode of the rule files: they hold no secret, and operators read them.
pub const MODE: u32 = 0o644;

/// The address family a rule belongs to: iptables and ip6tables, or nft's `ip` and `ip6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

/// A transport protocol a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// The spelling both tools use.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// A subnet as the tools take it: `address/prefix`, the address with its host bits cleared.
/// Built from [`IpAddr`] and a number only, so its text is digits, hex, `.`, `:` and `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    /// The first address.
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Subnet {
    /// The family of the address.
    pub fn family(&self) -> Family {
        if self.addr.is_ipv6() {
            Family::Ipv6
        } else {
            Family::Ipv4
        }
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// What the source address of a guest's outgoing connection becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatTarget {
    /// The address of the interface the packet leaves by.
    Masquerade {
        /// The source ports to use (tcp and udp rules only).
        ports: Option<(u16, u16)>,
    },
    /// An address from `<nat><address start end>`.
    Snat {
        /// The first address.
        start: Ipv4Addr,
        /// The last address.
        end: Ipv4Addr,
        /// The source ports to use (tcp and udp rules only).
        ports: Option<(u16, u16)>,
    },
}

/// One rule, independent of the tool that spells it. Every rule also matches the
/// network's bridge, which the [`Plan`] holds once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The host accepts a service (DHCP, DNS, TFTP) from the guests. iptables only: the
    /// nftables backend leaves the host's input alone, as libvirt's does.
    HostIn {
        /// The protocol.
        proto: Proto,
        /// The destination port.
        port: u16,
    },
    /// The host answers the guests on this port (iptables only).
    HostOut {
        /// The protocol.
        proto: Proto,
        /// The destination port.
        port: u16,
    },
    /// Anything else the guests send to be forwarded is rejected.
    RejectFromGuests,
    /// Anything else forwarded to the guests is rejected.
    RejectToGuests,
    /// Guests may talk to each other across the bridge.
    Cross,
    /// Forward the guests' traffic from `net` out (by `dev` only, when given).
    AllowOut {
        /// The guests' subnet.
        net: Subnet,
        /// The forward device.
        dev: Option<IfaceName>,
    },
    /// Forward traffic to `net` in (from `dev` only, when given); with `established`, only
    /// replies to connections the guests opened (NAT), otherwise everything (routed).
    AllowIn {
        /// The guests' subnet.
        net: Subnet,
        /// The forward device.
        dev: Option<IfaceName>,
        /// Only replies (conntrack ESTABLISHED,RELATED).
        established: bool,
    },
    /// Translate the source of what leaves `net` for elsewhere.
    Nat {
        /// The guests' subnet.
        net: Subnet,
        /// The forward device.
        dev: Option<IfaceName>,
        /// Only this protocol (then with a port range); `None` for everything.
        proto: Option<Proto>,
        /// The translation.
        target: NatTarget,
    },
    /// Leave traffic from `net` to `dest` (broadcast, link-local multicast) untranslated.
    NatExempt {
        /// The guests' subnet.
        net: Subnet,
        /// The forward device.
        dev: Option<IfaceName>,
        /// The destination left alone.
        dest: Subnet,
    },
    /// Fill in the UDP checksum of DHCP replies, which some old guests drop otherwise
    /// (iptables' mangle table; the nftables backend uses tc instead, see
    /// [`crate::backends::nftables::tc_checksum_fix`]).
    ChecksumFill,
    /// Connections from outside to the host's `port` go to `to`'s `to_ports` instead
    /// (an incoming `<nl:allow>`): netloom's own prerouting chain.
    Dnat {
        /// The protocol.
        proto: L4Proto,
        /// The host's port or range.
        port: PortRange,
        /// The guest.
        to: IpAddr,
        /// The guest's port or range.
        to_ports: PortRange,
        /// The forward device: only what comes in by it (else anything not from the bridge).
        dev: Option<IfaceName>,
    },
    /// Forward in what [`Rule::Dnat`] sent to the guest (and nothing else to that port).
    AllowDnat {
        /// The protocol.
        proto: L4Proto,
        /// The guest.
        to: IpAddr,
        /// The guest's port or range.
        to_ports: PortRange,
    },
    /// An outgoing `<nl:allow>` under `default='deny'`: the guests of `net` may open
    /// connections to this port.
    OutAllow {
        /// The guests' subnet.
        net: Subnet,
        /// The forward device.
        dev: Option<IfaceName>,
        /// The protocol.
        proto: L4Proto,
        /// The destination port or range.
        port: PortRange,
    },
    /// An outgoing `<nl:deny>`: new connections from the guests to this port are rejected
    /// (replies to connections let in stay allowed).
    OutDeny {
        /// The protocol.
        proto: L4Proto,
        /// The destination port or range.
        port: PortRange,
    },
    /// `<nl:outgoing default='deny'>`: every other new connection from the guests is
    /// rejected.
    OutDenyRest,
    /// The host accepts the VXLAN traffic of a cross-host network's peer (iptables only,
    /// as for [`Rule::HostIn`]).
    PeerIn {
        /// The peer's address.
        peer: IpAddr,
        /// This host's listen address.
        listen: IpAddr,
        /// This host's UDP port.
        port: u16,
    },
}

/// A rule with its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The family.
    pub family: Family,
    /// The rule.
    pub rule: Rule,
}

/// A network's whole firewall: its bridge and its rules in libvirt's command order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The network's bridge, which nearly every rule matches.
    pub bridge: IfaceName,
    /// The rules, in the order they are inserted.
    pub rules: Vec<Placed>,
}

impl Plan {
    /// Whether some rule is for `family`, which decides whether there is an IPv6 file.
    pub fn has(&self, family: Family) -> bool {
        self.rules.iter().any(|r| r.family == family)
    }
}

/// libvirt's default source ports for masquerading, when `<nat><port>` is absent.
const DEFAULT_PORTS: (u16, u16) = (1024, 65535);

/// The firewall of `net`, or `None` when it gets none: open networks are deliberately left
/// alone, and bridge, macvtap and hostdev networks use devices libvirt does not manage.
pub fn plan(net: &Network) -> Result<Option<Plan>, BackendError> {
    let mode = net.forward_mode();
    if !matches!(mode, None | Some(ForwardMode::Nat | ForwardMode::Route)) {
        return Ok(None);
    }
    let bridge = net.bridge_name().ok_or_else(|| {
        refuse(
            net,
            "the firewall rules need the bridge's name; give <bridge name='…'/> (a '%d' \
             template is filled in only when the network is defined)"
                .into(),
        )
    })?;
    let dev = net.forward_dev();
    let mut rules = general_ipv4(net);
    rules.extend(general_ipv6(net));
    for ip in &net.ips {
        rules.extend(address_rules(net, ip, dev)?);
    }
    policy::rules(net, dev, &mut rules).map_err(|why| refuse(net, why))?;
    if net.ips.iter().any(|ip| !ip.is_ipv6() && ip.has_dhcp()) {
        rules.push(placed(Family::Ipv4, Rule::ChecksumFill));
    }
    Ok(Some(Plan { bridge, rules }))
}

/// A render-time refusal naming the network.
fn refuse(net: &Network, why: String) -> BackendError {
    BackendError::Network {
        network: net.name.to_string(),
        why,
    }
}

fn placed(family: Family, rule: Rule) -> Placed {
    Placed { family, rule }
}

/// Every network's IPv4 rules: DHCP, DNS (and TFTP) to the host, then the default rejects
/// and guest-to-guest traffic.
fn general_ipv4(net: &Network) -> Vec<Placed> {
    let first_served = net
        .ips
        .iter()
        .find(|ip| !ip.is_ipv6() && (ip.has_dhcp() || ip.tftp_root.is_some()));
    let mut host = vec![(Proto::Tcp, 67, true), (Proto::Udp, 67, true)];
    host.extend([(Proto::Tcp, 68, false), (Proto::Udp, 68, false)]);
    host.extend(dns_ports());
    if first_served.is_some_and(|ip| ip.tftp_root.is_some()) {
        host.extend([(Proto::Udp, 69, true), (Proto::Udp, 69, false)]);
    }
    let v4 = |rule| placed(Family::Ipv4, rule);
    let mut rules: Vec<Placed> = host.into_iter().map(|h| v4(host_rule(h))).collect();
    rules.extend([Rule::RejectFromGuests, Rule::RejectToGuests, Rule::Cross].map(v4));
    rules
}

/// The IPv6 counterpart, only with an IPv6 address, or `ipv6='yes'` for guest-to-guest
/// IPv6; the host's DHCPv6 and DNS only with an address.
fn general_ipv6(net: &Network) -> Vec<Placed> {
    let has_v6_ip = net.ips.iter().any(|ip| ip.is_ipv6());
    if !has_v6_ip && net.ipv6 != Some(true) {
        return Vec::new();
    }
    let v6 = |rule| placed(Family::Ipv6, rule);
    let mut rules: Vec<Placed> = [Rule::RejectFromGuests, Rule::RejectToGuests, Rule::Cross]
        .map(v6)
        .into();
    if has_v6_ip {
        let mut host = dns_ports();
        host.extend([(Proto::Udp, 547, true), (Proto::Udp, 546, false)]);
        rules.extend(host.into_iter().map(|h| v6(host_rule(h))));
    }
    rules
}

/// The forwarding rules of one `<ip>`, in document order: masqueraded (a nat network's
/// IPv4, and IPv6 with `<nat ipv6='yes'>`), routed (the rest of a nat or route network's),
/// or none (isolated).
fn address_rules(
    net: &Network,
    ip: &NetIp,
    dev: Option<&IfaceName>,
) -> Result<Vec<Placed>, BackendError> {
    let subnet = Subnet {
        addr: ip.network(),
        prefix: ip.prefix_len(),
    };
    let family = subnet.family();
    let mode = net.forward_mode();
    let nat = net.forward.as_ref().and_then(|f| f.nat.as_ref());
    let masquerade = mode == Some(ForwardMode::Nat)
        && (family == Family::Ipv4 || nat.and_then(|n| n.ipv6) == Some(true));
    let rules = if masquerade {
        masquerade_rules(net, subnet, dev, nat)?
    } else if matches!(mode, Some(ForwardMode::Route | ForwardMode::Nat)) {
        Vec::from(out_and_in(subnet, dev, policy::denies_incoming(net)))
    } else {
        Vec::new()
    };
    Ok(rules.into_iter().map(|rule| placed(family, rule)).collect())
}

/// A forwarded subnet's pair: out of the bridge, and into it (only replies when
/// `established`).
fn out_and_in(subnet: Subnet, dev: Option<&IfaceName>, established: bool) -> [Rule; 2] {
    [
        Rule::AllowOut {
            net: subnet,
            dev: dev.cloned(),
        },
        Rule::AllowIn {
            net: subnet,
            dev: dev.cloned(),
            established,
        },
    ]
}

/// A masqueraded subnet: out, replies in, the translation for all, UDP and TCP (the last
/// two with their source ports), and the destinations left untranslated.
fn masquerade_rules(
    net: &Network,
    subnet: Subnet,
    dev: Option<&IfaceName>,
    nat: Option<&Nat>,
) -> Result<Vec<Rule>, BackendError> {
    let ports = nat_ports(net, nat)?;
    let mut rules = Vec::from(out_and_in(subnet, dev, true));
    for proto in [None, Some(Proto::Udp), Some(Proto::Tcp)] {
        rules.push(Rule::Nat {
            net: subnet,
            dev: dev.cloned(),
            proto,
            target: nat_target(net, nat, subnet.family(), proto.map(|_| ports))?,
        });
    }
    rules.extend(nat_exempt(subnet.family()).map(|dest| Rule::NatExempt {
        net: subnet,
        dev: dev.cloned(),
        dest,
    }));
    Ok(rules)
}

/// The source ports of `<nat><port>`, libvirt's default without one (or with `0-0`).
fn nat_ports(net: &Network, nat: Option<&Nat>) -> Result<(u16, u16), BackendError> {
    match nat.and_then(|n| n.port) {
        None | Some((0, 0)) => Ok(DEFAULT_PORTS),
        Some((start, end)) if start < end => Ok((start, end)),
        Some((start, end)) => Err(refuse(
            net,
            format!("invalid NAT port range {start}-{end}: the start must be below the end"),
        )),
    }
}

/// What the source becomes: the outgoing interface's address, or `<nat><address>`'s
/// range, which is IPv4 only.
fn nat_target(
    net: &Network,
    nat: Option<&Nat>,
    family: Family,
    ports: Option<(u16, u16)>,
) -> Result<NatTarget, BackendError> {
    match nat.and_then(|n| n.address) {
        None => Ok(NatTarget::Masquerade { ports }),
        Some(_) if family == Family::Ipv6 => Err(refuse(
            net,
            "<nat><address> is an IPv4 range and cannot translate the IPv6 addresses that \
             <nat ipv6='yes'> masquerades"
                .into(),
        )),
        Some((start, end)) => Ok(NatTarget::Snat { start, end, ports }),
    }
}

/// The destinations a masqueraded subnet reaches untranslated: broadcast and link-local
/// multicast.
fn nat_exempt(family: Family) -> impl Iterator<Item = Subnet> {
    let exempt = match family {
        Family::Ipv4 => vec![
            subnet(IpAddr::V4(Ipv4Addr::BROADCAST), 32),
            subnet(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 0)), 24),
        ],
        Family::Ipv6 => vec![subnet(
            IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0)),
            16,
        )],
    };
    exempt.into_iter()
}

fn subnet(addr: IpAddr, prefix: u8) -> Subnet {
    Subnet { addr, prefix }
}

/// DNS to the host, then its answers, in libvirt's order.
fn dns_ports() -> Vec<(Proto, u16, bool)> {
    vec![
        (Proto::Tcp, 53, true),
        (Proto::Udp, 53, true),
        (Proto::Tcp, 53, false),
        (Proto::Udp, 53, false),
    ]
}

fn host_rule((proto, port, inbound): (Proto, u16, bool)) -> Rule {
    if inbound {
        Rule::HostIn { proto, port }
    } else {
        Rule::HostOut { proto, port }
    }
}

/// One part of the one-time global setup (chains and the jumps into them), with the
/// command that tells whether it is already in place.
///
/// The setup is shared by every network, so it is not part of a network's files: a caller
/// (the lifecycle code) runs, in order, each step's `probe` and, only when the probe exits
/// non-zero, feeds `input` to `loader` on standard input. The steps are fine-grained so that
/// a half-present setup (a firewall reload that flushed `FORWARD` but left the chains) is
/// completed without touching the rest; a step's input fails rather than flushing when what
/// it creates exists after all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BaseStep {
    /// The command, program first, that exits 0 when this part is already in place.
    pub probe: Vec<String>,
    /// The command, program first, that loads `input` from standard input.
    pub loader: Vec<String>,
    /// What to load when the probe fails.
    pub input: String,
}

/// Why a removal could not be worked out from a loaded fragment (or from nft's echo of it):
/// a line that netloom did not write. Refusing beats deleting something else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}: {text:?}")]
pub struct RemovalError {
    /// The 1-based line.
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Turns a slice of words into an argument vector.
pub(crate) fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[cfg(test)]
mod tests;
