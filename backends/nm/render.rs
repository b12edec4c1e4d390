//! The model to NetworkManager profiles: one [`Settings`] per device, typed as D-Bus carries
//! them, for both the keyfile writer and the live client. Every decision below was checked
//! against NetworkManager 1.42.4 in the sandbox (`AddConnection2`, then `GetSettings` and the
//! keyfile it wrote).
//!
//! | model | settings |
//! |---|---|
//! | name | `connection.id` and `connection.interface-name`; `connection.uuid` derived from the name (`Uuid::derived("nm", NAME)`) so every run and machine agree, or the XML's `<uuid>` with netloom's mark in `[user]` |
//! | kind | `connection.type` `802-3-ethernet`, `bond`, `vlan` or `bridge` |
//! | start onboot, hotplug, absent / none | `connection.autoconnect` true / false: NetworkManager activates an autoconnect profile at boot and whenever its device appears, so onboot and hotplug are one thing to it |
//! | MTU | `802-3-ethernet.mtu`, on the interface and on every port and slave (as the ifcfg backend does: a port whose MTU differs from its bridge's breaks the bridge, and NetworkManager does not copy it) |
//! | MAC of an ethernet (top level, port or slave) | `802-3-ethernet.mac-address`: the profile only applies to that NIC |
//! | bond | `bond.options` from the bond's driver options, with `mode` always (NetworkManager refuses options without one, and returns `balance-rr` for a bond with none) |
//! | vlan | `vlan.parent` (the parent's name), `vlan.id` |
//! | bridge | `bridge.stp` (off unless said), `bridge.forward-delay` in seconds (15 with STP on unless given) |
//! | port, slave | `connection.master` (the controller's UUID), `connection.slave-type`, the controller's `autoconnect` and MTU; no IP settings |
//! | no IPv4 protocol, or one with nothing in it | `ipv4.method` `disabled` |
//! | IPv4 DHCP / static only | `auto` (with `ignore-auto-dns` from `peerdns`) / `manual`; addresses in `address-data`, `gateway` |
//! | no IPv6 protocol | `ipv6.method` `disabled` |
//! | IPv6 autoconf / DHCP without autoconf / static only / nothing | `auto` / `dhcp` / `manual` / `link-local`; addresses in `address-data` beside any of them, `gateway`, `ignore-auto-dns` from `peerdns` |
//! | `<nl:route>` | `route-data` entries: `dest`, `prefix`, `next-hop`, `metric`, and the attributes `table` and `src` |
//! | `<nl:dns>`, `<nl:search>` | `dns-data` (the servers as text), `dns-search`, in the family's setting |
//! | `<link>` | nothing: status a live system reports, not configuration (as in every backend) |
//!
//! IPv6 autoconf with DHCP is `auto`, which runs DHCPv6 whenever the router's advertisement
//! asks for it: NetworkManager has no way to run DHCPv6 beside SLAAC regardless.
//!
//! Refused, each with its reason in the [`Refusal`]: an address without a prefix; a gateway
//! with no static address of its family; a forward delay that is not a whole number of
//! seconds from 2 to 30, except 0 with STP off; STP's parameters with STP off; ARP
//! monitoring in modes 802.3ad, balance-tlb and balance-alb; VLAN tag 4095; the names `all`,
//! `default` and `bonding_masters`.

use std::collections::BTreeMap;

use super::settings::{Settings, Value, kind};
use crate::backend::{BackendError, Refusal};
use crate::model::{
    Bond, BondMode, BondMonitor, Bridge, DomainName, Ethernet, Host, IfaceName, Interface,
    InterfaceKind, Ipv4, Ipv6, Mtu, PortKind, Route, RouteFamily, StartMode, Uuid, Vlan,
    VlanOptions, VlanTag,
};

/// The backend's name in refusals.
pub(super) const BACKEND: &str = "nm";

/// The UUID of the profile netloom writes for the device `name`: derived from the name, so
/// a profile is recognised as netloom's (and a port finds its controller) on any machine.
pub fn uuid(name: &str) -> String {
    // Spelled out by hand: `Display` formats byte by byte, which was a third of rendering
    // 10,000 profiles (each needs its own UUID and its controller's).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in Uuid::derived("nm", name).bytes().into_iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Every profile of `host`: each top-level interface, then its bridge ports or bond slaves
/// (a bond that is a bridge port followed by its own slaves), in document order. Each
/// controller comes before its ports, which is the order to activate them in. Every setting
/// NetworkManager cannot express is refused, all of them at once.
pub fn profiles(host: &Host) -> Result<Vec<Settings>, BackendError> {
    // Top-level interfaces are independent of each other: 10,000 render on every core.
    let parts = crate::parallel::map(&host.interfaces, 64, |i| {
        let mut r = Renderer::default();
        r.interface(i);
        r
    });
    let mut out = Vec::with_capacity(parts.iter().map(|r| r.out.len()).sum());
    let mut refusals = Vec::new();
    for r in parts {
        out.extend(r.out);
        refusals.extend(r.refusals);
    }
    // A UUID the XML gives may be one netloom derives for another device; the XML's reader
    // already refused one given twice. Checked only when the XML gives one.
    if host.interfaces.iter().any(|i| i.uuid.is_some()) {
        refusals.extend(uuid_clashes(&out));
    }
    if refusals.is_empty() {
        Ok(out)
    } else {
        Err(BackendError::Unsupported {
            backend: BACKEND,
            refusals,
        })
    }
}

/// A refusal for each profile whose UUID an earlier profile has: NetworkManager knows a
/// profile by its UUID, so the second would replace the first.
fn uuid_clashes(profiles: &[Settings]) -> Vec<Refusal> {
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for p in profiles {
        let (Some(u), Some(name)) = (p.uuid(), p.interface_name()) else {
            continue;
        };
        match seen.get(u) {
            None => {
                seen.insert(u, name);
            }
            Some(first) => out.push(Refusal {
                interface: name.to_owned(),
                setting: format!("<uuid>{u}</uuid>"),
                why: format!(
                    "'{first}' has this UUID too (given, or the one netloom derives from its \
                     name), and NetworkManager knows a profile by its UUID; give another"
                ),
            }),
        }
    }
    out
}

/// What ports and slaves take from their top-level interface.
#[derive(Clone, Copy)]
struct Inherited {
    autoconnect: bool,
    mtu: Option<Mtu>,
}

#[derive(Default)]
struct Renderer {
    out: Vec<Settings>,
    refusals: Vec<Refusal>,
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

/// Names NetworkManager refuses for `connection.interface-name` (checked: "'all' is not
/// allowed as interface name"); the kernel uses them in `/proc/sys/net/*/conf/` and sysfs.
const RESERVED_NAMES: &[&str] = &["all", "default", "bonding_masters"];

impl Renderer {
    fn refuse(&mut self, interface: &IfaceName, setting: String, why: &str) {
        self.refusals.push(Refusal {
            interface: interface.to_string(),
            setting,
            why: why.to_owned(),
        });
    }

    /// The `connection` setting every profile starts with.
    fn base(&mut self, name: &IfaceName, type_name: &str, inherited: Inherited) -> Settings {
        if RESERVED_NAMES.contains(&name.as_str()) {
            self.refuse(
                name,
                format!("<interface name='{name}'>"),
                "NetworkManager refuses this name for a device: the kernel uses it for \
                 itself under /proc/sys/net and /sys/class/net. Rename the device",
            );
        }
        let connection = BTreeMap::from([
            ("id".to_owned(), s(name.as_str())),
            ("uuid".to_owned(), Value::Str(uuid(name.as_str()))),
            ("type".to_owned(), s(type_name)),
            ("interface-name".to_owned(), s(name.as_str())),
            ("autoconnect".to_owned(), Value::Bool(inherited.autoconnect)),
        ]);
        let mut p = Settings(BTreeMap::from([("connection".to_owned(), connection)]));
        if let Some(mtu) = inherited.mtu {
            p.set(kind::ETHERNET, "mtu", Value::U32(mtu.get()));
        }
        p
    }

    fn interface(&mut self, i: &Interface) {
        let inherited = Inherited {
            // Onboot, hotplug and "not said" all start the device when it is there.
            autoconnect: i.start != Some(StartMode::None),
            mtu: i.mtu,
        };
        let mut p = match &i.kind {
            InterfaceKind::Ethernet(e) => self.ethernet(&i.name, e, inherited),
            InterfaceKind::Bond(b) => self.bond(&i.name, b, inherited),
            InterfaceKind::Vlan(v) => self.vlan(&i.name, v, inherited),
            InterfaceKind::Bridge(br) => self.bridge(&i.name, br, inherited),
        };
        if let Some(u) = i.uuid {
            own_uuid(&mut p, u);
        }
        let controller = p.uuid().unwrap_or_default().to_owned();
        self.ipv4(&mut p, &i.name, i.ipv4.as_ref());
        self.ipv6(&mut p, &i.name, i.ipv6.as_ref());
        self.out.push(p);
        match &i.kind {
            InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => {}
            InterfaceKind::Bond(b) => self.slaves(&controller, b, inherited),
            InterfaceKind::Bridge(br) => {
                for port in &br.ports {
                    let mut pp = match &port.kind {
                        PortKind::Ethernet(e) => self.ethernet(&port.name, e, inherited),
                        PortKind::Vlan(v) => self.vlan(&port.name, v, inherited),
                        PortKind::Bond(b) => self.bond(&port.name, b, inherited),
                    };
                    controlled_by(&mut pp, &controller, kind::BRIDGE);
                    self.out.push(pp);
                    if let PortKind::Bond(b) = &port.kind {
                        self.slaves(&uuid(port.name.as_str()), b, inherited);
                    }
                }
            }
        }
    }

    fn ethernet(&mut self, name: &IfaceName, e: &Ethernet, inherited: Inherited) -> Settings {
        let mut p = self.base(name, kind::ETHERNET, inherited);
        if let Some(mac) = e.mac {
            p.set(
                kind::ETHERNET,
                "mac-address",
                Value::Bytes(mac.octets().to_vec()),
            );
        }
        if let Some(mac) = e.cloned_mac {
            p.set(
                kind::ETHERNET,
                "cloned-mac-address",
                Value::Bytes(mac.octets().to_vec()),
            );
        }
        p
    }

    /// The profiles of `b`'s slaves, each naming its bond by the bond profile's UUID.
    fn slaves(&mut self, bond: &str, b: &Bond, inherited: Inherited) {
        for slave in &b.slaves {
            let mut p = self.ethernet(&slave.name, &slave.ethernet, inherited);
            controlled_by(&mut p, bond, kind::BOND);
            self.out.push(p);
        }
    }

    fn bond(&mut self, name: &IfaceName, b: &Bond, inherited: Inherited) -> Settings {
        let mut p = self.base(name, kind::BOND, inherited);
        if let (Some(BondMonitor::Arp(_)), Some(mode)) = (b.monitor, b.mode)
            && matches!(
                mode,
                BondMode::Ieee8023ad | BondMode::BalanceTlb | BondMode::BalanceAlb
            )
        {
            self.refuse(
                name,
                format!("<bond mode='{mode}'> with <arpmon>"),
                "the bonding driver has no ARP monitoring in this mode; NetworkManager \
                 refuses it in balance-tlb and balance-alb and silently drops the ARP options \
                 in 802.3ad. Use <miimon> instead",
            );
        }
        let mut options: BTreeMap<String, String> = b
            .driver_options()
            .into_iter()
            .map(|(opt, value)| (opt.driver_name().to_owned(), value))
            .collect();
        options
            .entry("mode".to_owned())
            .or_insert_with(|| BondMode::BalanceRr.to_string());
        p.set(kind::BOND, "options", Value::StrMap(options));
        p
    }

    fn vlan(&mut self, name: &IfaceName, v: &Vlan, inherited: Inherited) -> Settings {
        let mut p = self.base(name, kind::VLAN, inherited);
        if v.tag.get() == VlanTag::MAX {
            self.refuse(
                name,
                format!("<vlan tag='{}'>", v.tag),
                "NetworkManager takes VLAN ids 0 to 4094 (4095 is reserved by 802.1Q, and \
                 the kernel refuses it too)",
            );
        }
        p.set(kind::VLAN, "parent", s(v.parent.as_str()));
        p.set(kind::VLAN, "id", Value::U32(u32::from(v.tag.get())));
        p.set(kind::VLAN, "flags", Value::U32(vlan_flags(v.options)));
        if let Some(protocol) = v.options.protocol {
            p.set(kind::VLAN, "protocol", s(&protocol.to_string()));
        }
        p
    }

    fn bridge(&mut self, name: &IfaceName, br: &Bridge, inherited: Inherited) -> Settings {
        let mut p = self.base(name, kind::BRIDGE, inherited);
        // Said either way, off unless the XML says on: what ifcfg and ifupdown give a bridge
        // without STP, where NetworkManager's own default is on.
        let stp = br.stp == Some(true);
        p.set(kind::BRIDGE, "stp", Value::Bool(stp));
        let o = br.options;
        let stp_only = [
            ("priority", o.priority.map(u32::from)),
            ("hello-time", o.hello_time.map(|v| v.get())),
            ("max-age", o.max_age.map(|v| v.get())),
        ];
        for (key, value) in stp_only {
            let Some(value) = value else { continue };
            if !stp {
                let attr = key.replace('-', "_");
                self.refuse(
                    name,
                    format!("<nl:bridge {attr}='{value}'/> with STP off"),
                    "NetworkManager sets a bridge's priority, hello time and max age only \
                     with STP on (they are STP's parameters). Turn STP on with \
                     <bridge stp='on'>, or drop the attribute",
                );
            }
            p.set(kind::BRIDGE, key, Value::U32(value));
        }
        if let Some(v) = o.ageing_time {
            p.set(kind::BRIDGE, "ageing-time", Value::U32(v.get()));
        }
        if let Some(v) = o.multicast_snooping {
            p.set(kind::BRIDGE, "multicast-snooping", Value::Bool(v));
        }
        if let Some(delay) = br.delay {
            let secs = delay.seconds();
            let whole = secs.fract() == 0.0;
            if whole && (2.0..=30.0).contains(&secs) {
                p.set(kind::BRIDGE, "forward-delay", Value::U32(secs as u32));
            } else if secs == 0.0 && !stp {
                // The one value below 2 NetworkManager takes, and only with STP off, where
                // the kernel ignores the delay anyway: a port forwards at once.
                p.set(kind::BRIDGE, "forward-delay", Value::U32(0));
            } else if secs == 0.0 {
                self.refuse(
                    name,
                    format!("<bridge delay='{delay}'>"),
                    "NetworkManager takes a forward delay of 0 only with STP off; with STP on \
                     the delay must be 2 to 30 seconds. Drop stp='on', or give a delay from 2 \
                     to 30",
                );
            } else {
                self.refuse(
                    name,
                    format!("<bridge delay='{delay}'>"),
                    "NetworkManager keeps the forward delay in whole seconds from 2 to 30 \
                     (bridge.forward-delay); round it to one of those",
                );
            }
        } else if stp {
            // The kernel's and every backend's delay when the XML gives none.
            p.set(kind::BRIDGE, "forward-delay", Value::U32(15));
        }
        p
    }

    fn ipv4(&mut self, p: &mut Settings, name: &IfaceName, v4: Option<&Ipv4>) {
        let Some(v4) = v4 else {
            p.set("ipv4", "method", s("disabled"));
            return;
        };
        let method = if v4.dhcp.is_some() {
            "auto"
        } else if v4.addresses.is_empty() {
            "disabled"
        } else {
            "manual"
        };
        p.set("ipv4", "method", s(method));
        if let Some(peerdns) = v4.dhcp.and_then(|d| d.peerdns) {
            p.set("ipv4", "ignore-auto-dns", Value::Bool(!peerdns));
        }
        let mut data = Vec::new();
        for a in &v4.addresses {
            match a.prefix {
                Some(prefix) => data.push(address(a.address, u32::from(prefix.get()))),
                None => self.refuse(
                    name,
                    format!("<ip address='{}'> without a prefix", a.address),
                    NO_PREFIX_V4,
                ),
            }
        }
        if !data.is_empty() {
            p.set("ipv4", "address-data", Value::Dicts(data));
        }
        if let Some(gw) = v4.gateway {
            self.gateway(
                p,
                "ipv4",
                name,
                &gw.to_string(),
                v4.addresses.is_empty(),
                v4.dhcp.is_some(),
            );
        }
        resolver_and_routes(p, "ipv4", &v4.dns, &v4.search, &v4.routes);
    }

    fn ipv6(&mut self, p: &mut Settings, name: &IfaceName, v6: Option<&Ipv6>) {
        let Some(v6) = v6 else {
            p.set("ipv6", "method", s("disabled"));
            return;
        };
        let method = if v6.autoconf {
            "auto"
        } else if v6.dhcp.is_some() {
            "dhcp"
        } else if !v6.addresses.is_empty() {
            "manual"
        } else {
            "link-local"
        };
        p.set("ipv6", "method", s(method));
        if let Some(peerdns) = v6.dhcp.and_then(|d| d.peerdns) {
            p.set("ipv6", "ignore-auto-dns", Value::Bool(!peerdns));
        }
        let mut data = Vec::new();
        for a in &v6.addresses {
            match a.prefix {
                Some(prefix) => data.push(address(a.address, u32::from(prefix.get()))),
                None => self.refuse(
                    name,
                    format!("<ip address='{}'> without a prefix", a.address),
                    NO_PREFIX_V6,
                ),
            }
        }
        if !data.is_empty() {
            p.set("ipv6", "address-data", Value::Dicts(data));
        }
        if let Some(gw) = v6.gateway {
            self.gateway(
                p,
                "ipv6",
                name,
                &gw.to_string(),
                v6.addresses.is_empty(),
                v6.dhcp.is_some(),
            );
        }
        resolver_and_routes(p, "ipv6", &v6.dns, &v6.search, &v6.routes);
    }

    fn gateway(
        &mut self,
        p: &mut Settings,
        family: &str,
        name: &IfaceName,
        gw: &str,
        no_address: bool,
        dhcp: bool,
    ) {
        if no_address {
            let setting = if dhcp {
                format!("<route gateway='{gw}'> with DHCP and no static address")
            } else {
                format!("<route gateway='{gw}'> with no static address")
            };
            self.refuse(name, setting, GATEWAY_WHY);
        } else {
            p.set(family, "gateway", s(gw));
        }
    }
}

const NO_PREFIX_V4: &str = "NetworkManager needs a prefix length for every address; its \
    keyfile reader guesses /24 with a warning, while netcf's ifcfg files got the classful \
    netmask (/8 for 10.0.0.1). Add prefix='N'";

const NO_PREFIX_V6: &str = "NetworkManager needs a prefix length for every address; its \
    keyfile reader guesses /64 with a warning, while ifupdown takes a missing prefix as /128, \
    so there is no one meaning to keep. Add prefix='N'";

const GATEWAY_WHY: &str = "NetworkManager refuses a gateway on a profile without static \
    addresses (\"gateway cannot be set if there are no addresses configured\"); with DHCP the \
    default route comes from the server. Add a static <ip> to the protocol, or drop the \
    <route> and let DHCP supply the route";

/// `dns-data` (the servers as text, which D-Bus and keyfiles share since NetworkManager
/// 1.42), `dns-search`, and `route-data`, each when there is any.
fn resolver_and_routes<A: RouteFamily>(
    p: &mut Settings,
    family: &str,
    dns: &[A],
    search: &[DomainName],
    routes: &[Route<A>],
) {
    if !dns.is_empty() {
        let servers = dns.iter().map(ToString::to_string).collect();
        p.set(family, "dns-data", Value::Strs(servers));
    }
    if !search.is_empty() {
        let domains = search.iter().map(|d| d.as_str().to_owned()).collect();
        p.set(family, "dns-search", Value::Strs(domains));
    }
    if !routes.is_empty() {
        p.set(
            family,
            "route-data",
            Value::Dicts(routes.iter().map(route).collect()),
        );
    }
}

/// One `route-data` entry as NetworkManager's D-Bus API carries it: `dest` and `prefix`,
/// `next-hop`, `metric`, and the attributes `table` (a `u32`) and `src`.
fn route<A: RouteFamily>(r: &Route<A>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::from([
        (
            "dest".to_owned(),
            Value::Str(r.destination.address().to_string()),
        ),
        (
            "prefix".to_owned(),
            Value::U32(u32::from(r.destination.prefix())),
        ),
    ]);
    if let Some(g) = r.gateway {
        out.insert("next-hop".to_owned(), Value::Str(g.to_string()));
    }
    if let Some(m) = r.metric {
        out.insert("metric".to_owned(), Value::U32(m));
    }
    if let Some(t) = r.table {
        out.insert("table".to_owned(), Value::U32(t.get()));
    }
    if let Some(src) = r.source {
        out.insert("src".to_owned(), Value::Str(src.to_string()));
    }
    out
}

/// `vlan.flags`, NetworkManager's bits: 1 reorders headers (the kernel's default, on
/// unless said otherwise), 2 GVRP, 4 loose binding, 8 MVRP.
pub(super) fn vlan_flags(o: VlanOptions) -> u32 {
    u32::from(o.reorder_hdr != Some(false))
        | u32::from(o.gvrp == Some(true)) << 1
        | u32::from(o.loose_binding == Some(true)) << 2
        | u32::from(o.mvrp == Some(true)) << 3
}

/// One `address-data` entry; the prefix must be a `u32` (an `int32` is silently dropped).
fn address(addr: impl ToString, prefix: u32) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("address".to_owned(), Value::Str(addr.to_string())),
        ("prefix".to_owned(), Value::U32(prefix)),
    ])
}

/// Makes `p` a port of the profile whose UUID is `controller`: a UUID stays right when a
/// profile is renamed. Ports get no IP settings: NetworkManager drops them from ports anyway.
fn controlled_by(p: &mut Settings, controller: &str, slave_type: &str) {
    p.set("connection", "master", Value::Str(controller.to_owned()));
    p.set("connection", "slave-type", s(slave_type));
}

/// Gives `p` the XML's own UUID. Its UUID then no longer says the profile is netloom's, so
/// it carries netloom's mark in NetworkManager's `user` setting (which exists for an
/// application's own data and which NetworkManager keeps but never acts on).
fn own_uuid(p: &mut Settings, u: Uuid) {
    p.set("connection", "uuid", Value::Str(u.to_string()));
    p.set(
        super::USER,
        "data",
        Value::StrMap(BTreeMap::from([(
            super::OWNED_KEY.to_owned(),
            super::OWNED_VALUE.to_owned(),
        )])),
    );
}

#[cfg(test)]
mod tests;
