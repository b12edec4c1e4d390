//! One guest `<interface>`: its type, `<source>` (which must be the type's kind),
//! `<actual>` and the settings it shares with networks and portgroups.

use std::net::IpAddr;

use roxmltree::Node;

use super::super::netport::{canonical_vlan, driver, need, non_empty, pci_address, port_isolated};
use super::super::network::port::{bandwidth, portgroup_name, virtualport, vlan};
use super::super::reader::single_value;
use super::super::reader::{Reader, attribute, parse_yes_no};
use crate::model::guest::{Actual, GuestInterface, GuestSource, GuestType, NicModel, ScriptPath};
use crate::model::network::{MacTableManager, MacvtapMode, NetName, Plug, PlugType};
use crate::model::{IfaceName, MacAddr, Uuid, ValueError};

/// The children of `<interface>`, in the order they are written.
const CHILDREN: &[&str] = &[
    "mac",
    "source",
    "actual",
    "virtualport",
    "script",
    "downscript",
    "target",
    "model",
    "bandwidth",
    "vlan",
    "link",
    "port",
];

/// Children libvirt writes into every interface of a domain (`virsh dumpxml`) that describe
/// the guest's side only: its device alias, PCI address, boot order, option ROM and
/// virtio driver tuning. They are accepted so a real domain can be plugged, and not
/// written back: nothing on the host depends on them.
const GUEST_SIDE: &[&str] = &["alias", "address", "boot", "rom", "driver", "acpi"];

/// The `<source>` attributes of each source kind, so a source of the wrong kind can be
/// named as such rather than as a pile of unknown attributes.
const NETWORK: &[&str] = &["network", "portgroup", "portid"];
const BRIDGE: &[&str] = &["bridge"];
const DIRECT: &[&str] = &["dev", "mode"];
const SOCKET: &[&str] = &["address", "port"];

/// The `<source>` attributes of an interface type (none for those without a source).
fn source_attrs(kind: GuestType) -> &'static [&'static str] {
    match kind {
        GuestType::Network => NETWORK,
        GuestType::Bridge => BRIDGE,
        GuestType::Direct => DIRECT,
        GuestType::Server | GuestType::Client | GuestType::Mcast => SOCKET,
        GuestType::Ethernet | GuestType::User | GuestType::Unplugged => &[],
    }
}

/// The types a `<source>` attribute belongs to, for messages.
fn types_of(attr: &str) -> Option<&'static str> {
    if NETWORK.contains(&attr) {
        Some("<interface type='network'>")
    } else if BRIDGE.contains(&attr) {
        Some("<interface type='bridge'>")
    } else if DIRECT.contains(&attr) {
        Some("<interface type='direct'>")
    } else if SOCKET.contains(&attr) {
        Some("<interface type='server'>, 'client' or 'mcast'")
    } else {
        None
    }
}

/// What the `<source>` of a type looks like, for messages.
fn expected_source(kind: GuestType) -> &'static str {
    match kind {
        GuestType::Network => "<source network> (portgroup and portid optional)",
        GuestType::Bridge => "<source bridge>",
        GuestType::Direct => "<source dev> (mode optional)",
        GuestType::Server => "<source port> (address optional)",
        GuestType::Client | GuestType::Mcast => "<source address port>",
        GuestType::Ethernet | GuestType::User | GuestType::Unplugged => "no <source>",
    }
}

/// One `<interface>`. `None` when it cannot be read; every reason is reported.
pub(super) fn interface(r: &mut Reader, el: Node) -> Option<GuestInterface> {
    let what = "<interface>";
    r.check_attrs(el, what, &["type", "trustGuestRxFilters"]);
    let allowed: Vec<&str> = CHILDREN.iter().chain(GUEST_SIDE).copied().collect();
    let kids: Vec<Node> = r
        .children(el, what, &allowed, None)
        .into_iter()
        .filter(|k| !GUEST_SIDE.contains(&k.tag_name().name()))
        .collect();
    let kind = r.value(el, what, "type", GuestType::parse);
    let trust = r.optional(el, what, "trustGuestRxFilters", parse_yes_no);
    let mac = r
        .once(&kids, "mac", what)
        .and_then(|n| single_value(r, n, "<mac>", "address", MacAddr::parse));
    let source_el = r.once(&kids, "source", what);
    let source = match kind {
        Some(kind) => source(r, el, source_el, kind),
        None => {
            if let Some(n) = source_el {
                source_of_unknown_type(r, n);
            }
            None
        }
    };
    let actual = r
        .once(&kids, "actual", what)
        .and_then(|n| actual_of_type(r, n, kind));
    let virtualport = r
        .once(&kids, "virtualport", what)
        .and_then(|n| virtualport(r, n, false));
    let [script, downscript] = ["script", "downscript"].map(|tag| {
        r.once(&kids, tag, what)
            .and_then(|n| script_of_type(r, n, tag, kind))
    });
    let target = r
        .once(&kids, "target", what)
        .and_then(|n| single_value(r, n, "<target>", "dev", IfaceName::parse));
    let model = r
        .once(&kids, "model", what)
        .and_then(|n| single_value(r, n, "<model>", "type", NicModel::parse));
    let bandwidth = r
        .once(&kids, "bandwidth", what)
        .and_then(|n| non_empty(bandwidth(r, n)));
    let vlan = r
        .once(&kids, "vlan", what)
        .and_then(|n| vlan(r, n))
        .map(canonical_vlan);
    let link_up = r
        .once(&kids, "link", what)
        .and_then(|n| single_value(r, n, "<link>", "state", link_state));
    let port = r
        .once(&kids, "port", what)
        .and_then(|n| port_isolated(r, n));
    Some(GuestInterface {
        kind: kind?,
        trust_guest_rx_filters: trust,
        mac,
        source: source?,
        target,
        model,
        virtualport,
        script,
        downscript,
        vlan,
        bandwidth,
        port,
        link_up,
        actual,
    })
}

/// The `<source>` of an interface whose type could not be read: as the kind is unknown,
/// only the attributes no source takes are refused.
fn source_of_unknown_type(r: &mut Reader, n: Node) {
    let all: Vec<&str> = [NETWORK, BRIDGE, DIRECT, SOCKET].concat();
    r.check_attrs(n, "<source>", &all);
    r.children(n, "<source>", &[], None);
}

/// `<actual>`, which records what a network resolved to, so only an interface of `kind`
/// network (or of a type that could not be read) may have one.
fn actual_of_type(r: &mut Reader, n: Node, kind: Option<GuestType>) -> Option<Actual> {
    if let Some(k) = kind.filter(|k| *k != GuestType::Network) {
        r.error(
            n.range().start,
            format!(
                "<actual> is only for <interface type='network'>, not type '{k}'; it records what a network resolved to"
            ),
        );
    }
    actual(r, n)
}

/// `<script>` or `<downscript>` (`tag`): only type ethernet runs one, as netloom connects
/// the other types itself.
fn script_of_type(
    r: &mut Reader,
    n: Node,
    tag: &str,
    kind: Option<GuestType>,
) -> Option<ScriptPath> {
    if let Some(k) = kind.filter(|k| *k != GuestType::Ethernet) {
        r.error(
            n.range().start,
            format!(
                "<{tag}> is only for <interface type='ethernet'>, not type '{k}'; \
                 netloom connects the other types itself"
            ),
        );
    }
    single_value(r, n, &format!("<{tag}>"), "path", ScriptPath::parse)
}

/// `<link state>`: `up` or `down`.
fn link_state(s: &str) -> Result<bool, ValueError> {
    match s {
        "up" => Ok(true),
        "down" => Ok(false),
        _ => Err(ValueError("expected 'up' or 'down'".into())),
    }
}

/// The `<source>` of an interface of `kind`: present exactly when the kind has one, with
/// only that kind's attributes.
fn source(r: &mut Reader, iface: Node, el: Option<Node>, kind: GuestType) -> Option<GuestSource> {
    let own = source_attrs(kind);
    let Some(el) = el else {
        if own.is_empty() {
            return Some(GuestSource::Nothing);
        }
        r.error(
            iface.range().start,
            format!("<interface type='{kind}'> needs {}", expected_source(kind)),
        );
        return None;
    };
    let what = format!("<source> of <interface type='{kind}'>");
    r.children(el, &what, &[], None);
    if own.is_empty() {
        r.error(
            el.range().start,
            format!("<interface type='{kind}'> takes no <source>"),
        );
        return None;
    }
    let other = other_kinds_attrs(r, el, kind);
    let mut allowed = own.to_vec();
    allowed.extend(&other);
    r.check_attrs(el, &what, &allowed);
    // With another kind's source, its missing attributes go without saying.
    let mismatched = !other.is_empty();
    let get = |r: &mut Reader, name: &str, need: bool| {
        let found = attribute(el, name);
        if found.is_none() && need && !mismatched {
            r.error(
                el.range().start,
                format!("{what} is missing the required attribute '{name}'"),
            );
        }
        found
    };
    match kind {
        GuestType::Network => {
            let network = get(r, "network", true).and_then(|a| r.parse(a, &what, NetName::parse));
            let portgroup = r.optional(el, &what, "portgroup", portgroup_name);
            let portid = r.optional(el, &what, "portid", Uuid::parse);
            Some(GuestSource::Network {
                network: network?,
                portgroup,
                portid,
            })
        }
        GuestType::Bridge => {
            let bridge = get(r, "bridge", true).and_then(|a| r.parse(a, &what, IfaceName::parse));
            Some(GuestSource::Bridge { bridge: bridge? })
        }
        GuestType::Direct => {
            let dev = get(r, "dev", true).and_then(|a| r.parse(a, &what, IfaceName::parse));
            let mode = r.optional(el, &what, "mode", MacvtapMode::parse);
            Some(GuestSource::Direct { dev: dev?, mode })
        }
        GuestType::Server | GuestType::Client | GuestType::Mcast => {
            let need_address = kind != GuestType::Server;
            let address = get(r, "address", need_address)
                .and_then(|a| r.parse(a, &what, |s| socket_address(s, kind)));
            let port = get(r, "port", true).and_then(|a| r.parse(a, &what, socket_port));
            if mismatched || (need_address && address.is_none()) {
                return None;
            }
            Some(GuestSource::Socket {
                address,
                port: port?,
            })
        }
        GuestType::Ethernet | GuestType::User | GuestType::Unplugged => None,
    }
}

/// The attributes of `el` (the `<source>` of an interface of `kind`) that belong to
/// another kind's source, each reported saying whose it is and what this type expects.
fn other_kinds_attrs<'a>(r: &mut Reader, el: Node<'a, '_>, kind: GuestType) -> Vec<&'a str> {
    let own = source_attrs(kind);
    let mut other = Vec::new();
    for a in el.attributes().filter(|a| a.namespace().is_none()) {
        if own.contains(&a.name()) {
            continue;
        }
        if let Some(types) = types_of(a.name()) {
            other.push(a.name());
            r.error(
                a.range_qname().start,
                format!(
                    "<source {}> is for {types}; <interface type='{kind}'> expects {}",
                    a.name(),
                    expected_source(kind)
                ),
            );
        }
    }
    other
}

/// A socket segment's address: any IP address, a multicast group for `mcast`.
fn socket_address(s: &str, kind: GuestType) -> Result<IpAddr, ValueError> {
    let ip: IpAddr = s
        .parse()
        .map_err(|_| ValueError("expected an IPv4 or IPv6 address".into()))?;
    if kind == GuestType::Mcast && !ip.is_multicast() {
        return Err(ValueError(
            "expected a multicast group (224.0.0.0/4 or ff00::/8); type 'mcast' joins one".into(),
        ));
    }
    Ok(ip)
}

/// A TCP or UDP port of a socket segment: 1 to 65535.
fn socket_port(s: &str) -> Result<u16, ValueError> {
    crate::model::parse_uint(s)
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| ValueError("expected a port number from 1 to 65535".into()))
}

/// `<actual type>`: `network`, `bridge`, `direct` or `hostdev` (a PCI plug).
fn actual_type(s: &str) -> Result<PlugType, ValueError> {
    match s {
        "network" => Ok(PlugType::Network),
        "bridge" => Ok(PlugType::Bridge),
        "direct" => Ok(PlugType::Direct),
        "hostdev" => Ok(PlugType::HostdevPci),
        _ => Err(ValueError(
            "expected 'network', 'bridge', 'direct' or 'hostdev'".into(),
        )),
    }
}

/// `<actual>`: what a plug resolved the interface to.
fn actual(r: &mut Reader, el: Node) -> Option<Actual> {
    let kind = r.value(el, "<actual>", "type", actual_type);
    let what = match kind {
        Some(k) => format!("<actual type='{}'>", super::write::actual_type_name(k)),
        None => "<actual>".to_owned(),
    };
    let hostdev = kind.is_none_or(|k| k == PlugType::HostdevPci);
    let attrs: &[&str] = if hostdev {
        &["type", "trustGuestRxFilters", "managed"]
    } else {
        &["type", "trustGuestRxFilters"]
    };
    r.check_attrs(el, &what, attrs);
    let children: &[&str] = if hostdev {
        &[
            "driver",
            "source",
            "virtualport",
            "bandwidth",
            "vlan",
            "port",
        ]
    } else {
        &["source", "virtualport", "bandwidth", "vlan", "port"]
    };
    let kids = r.children(el, &what, children, None);
    let trust = r.optional(el, &what, "trustGuestRxFilters", parse_yes_no);
    let source = need(r, el, &kids, "source", &what);
    let plug = kind.and_then(|kind| plug(r, el, source, kind, &kids, &what));
    let virtualport = r
        .once(&kids, "virtualport", &what)
        .and_then(|n| virtualport(r, n, true));
    let bandwidth = r
        .once(&kids, "bandwidth", &what)
        .and_then(|n| non_empty(bandwidth(r, n)));
    let vlan = r
        .once(&kids, "vlan", &what)
        .and_then(|n| vlan(r, n))
        .map(canonical_vlan);
    let port = r
        .once(&kids, "port", &what)
        .and_then(|n| port_isolated(r, n));
    Some(Actual {
        plug: plug?,
        virtualport,
        vlan,
        bandwidth,
        port,
        trust_guest_rx_filters: trust,
    })
}

/// The plug an `<actual>` of `kind` describes with its `<source>` (and `<driver>`); a
/// missing `<source>` was reported already.
fn plug(
    r: &mut Reader,
    actual: Node,
    source: Option<Node>,
    kind: PlugType,
    kids: &[Node],
    what: &str,
) -> Option<Plug> {
    let swhat = format!("<source> of {what}");
    match kind {
        PlugType::Network | PlugType::Bridge => {
            let source = source?;
            r.check_attrs(source, &swhat, &["bridge", "macTableManager"]);
            r.children(source, &swhat, &[], None);
            let bridge = r.value(source, &swhat, "bridge", IfaceName::parse);
            let mac_table_manager =
                r.optional(source, &swhat, "macTableManager", MacTableManager::parse);
            Some(Plug::Bridge {
                kind,
                bridge: bridge?,
                mac_table_manager,
            })
        }
        PlugType::Direct => {
            let source = source?;
            r.check_attrs(source, &swhat, &["dev", "mode"]);
            r.children(source, &swhat, &[], None);
            let dev = r.value(source, &swhat, "dev", IfaceName::parse);
            let mode = r.optional(source, &swhat, "mode", MacvtapMode::parse);
            Some(Plug::Direct {
                dev: dev?,
                mode: mode.unwrap_or(MacvtapMode::Vepa),
            })
        }
        PlugType::HostdevPci => {
            let managed = r.optional(actual, what, "managed", parse_yes_no);
            let driver = r.once(kids, "driver", what).and_then(|n| driver(r, n));
            let source = source?;
            r.check_attrs(source, &swhat, &[]);
            let skids = r.children(source, &swhat, &["address"], None);
            let address = need(r, source, &skids, "address", &swhat)
                .and_then(|n| pci_address(r, n, "<actual><source><address>", true));
            Some(Plug::HostdevPci {
                managed,
                driver,
                address: address?,
            })
        }
    }
}
