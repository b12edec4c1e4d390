//! The kernel's view of the links, as `ip -j -d addr show` prints it: each link with its
//! state, MTU, kind, master, bond mode, vlan id and parent, and addresses; and its unicast
//! routes in every table, as `ip -j route show table all` prints them for each family.
//!
//! iproute2's JSON rather than a netlink crate: `ip` is on every host netloom brings
//! interfaces up on (ifupdown, initscripts and the network verbs run it already), its JSON
//! is a stable interface, and reading it with serde (already a dependency) costs no new
//! crate and no async runtime, where rtnetlink would add tokio's netlink stack to every
//! build for one read per verification round.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde::Deserialize;

use crate::error::{Error, LiveKind};

/// One link as the kernel has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Its name.
    pub name: String,
    /// Whether it is administratively up (`UP` among its flags).
    pub up: bool,
    /// Its MTU.
    pub mtu: u32,
    /// Its kind (`bridge`, `bond`, `vlan`, `veth`), `None` for a physical NIC.
    pub kind: Option<String>,
    /// The bridge or bond it is a port or slave of.
    pub master: Option<String>,
    /// A bond's mode, as the kernel names it (`active-backup`).
    pub bond_mode: Option<String>,
    /// A vlan's id.
    pub vlan_id: Option<u16>,
    /// A vlan's parent (for other kinds, the kernel's `link` is not reported).
    pub vlan_parent: Option<String>,
    /// Its addresses, in the kernel's order.
    pub addresses: Vec<Address>,
}

/// One address of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address.
    pub ip: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
    /// Whether its scope is global (not link-local or host).
    pub global: bool,
    /// Whether something configured it by itself (DHCP, SLAAC): it has a lifetime.
    pub dynamic: bool,
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.ip, self.prefix)
    }
}

/// One unicast route through a single device, as the kernel has it. The local table, and
/// routes of other types (broadcast, multicast, unreachable) or through several next hops,
/// are not kept: no declaration makes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The device it goes through.
    pub dev: String,
    /// The table number (254 is main).
    pub table: u32,
    /// The destination's network address, the unspecified address for the default.
    pub destination: IpAddr,
    /// The destination's prefix length.
    pub prefix: u8,
    /// The next hop; `None` for a network on the link.
    pub gateway: Option<IpAddr>,
    /// The preferred source address.
    pub source: Option<IpAddr>,
    /// The metric (IPv4's 0 is printed by nobody, so it is filled in).
    pub metric: u32,
    /// Who made it, as `ip` names it (`kernel`, `boot`, `static`, `dhcp`, `ra`).
    pub protocol: String,
}

impl Route {
    /// Whether the kernel, or the address configuration, made it by itself: a prefix route
    /// of an address, a route from DHCP or a router advertisement.
    pub fn automatic(&self) -> bool {
        matches!(
            self.protocol.as_str(),
            "kernel" | "dhcp" | "ra" | "redirect"
        )
    }

    /// Whether it is the main table's default route (what `<route gateway>` declares).
    pub fn main_default(&self) -> bool {
        self.prefix == 0 && self.table == crate::model::RouteTable::MAIN
    }

    /// The next hop, metric and source, as `ip route` says them: `via 192.0.2.254 metric
    /// 100 src 192.0.2.10`, `on link metric 0` without a next hop.
    pub fn hop(&self) -> String {
        let mut out = match self.gateway {
            Some(gw) => format!("via {gw}"),
            None => "on link".to_owned(),
        };
        out.push_str(&format!(" metric {}", self.metric));
        if let Some(src) = self.source {
            out.push_str(&format!(" src {src}"));
        }
        out
    }
}

impl std::fmt::Display for Route {
    /// `10.10.0.0/16 via 192.0.2.254 metric 100 table 200` (the main table unsaid).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} {}", self.destination, self.prefix, self.hop())?;
        if self.table != crate::model::RouteTable::MAIN {
            write!(f, " table {}", self.table)?;
        }
        Ok(())
    }
}

/// Every link of the network namespace netloom runs in, and its routes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kernel {
    /// The links, in the kernel's order.
    pub links: Vec<Link>,
    /// The unicast routes of both families, in the kernel's order.
    pub routes: Vec<Route>,
}

impl Kernel {
    /// The link named `name`.
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    /// The links whose master is `name`, by name.
    pub fn ports_of(&self, name: &str) -> Vec<&str> {
        (self.links.iter())
            .filter(|l| l.master.as_deref() == Some(name))
            .map(|l| l.name.as_str())
            .collect()
    }

    /// The routes through the device `dev`.
    pub fn routes_of<'k>(&'k self, dev: &'k str) -> impl Iterator<Item = &'k Route> + 'k {
        self.routes.iter().filter(move |r| r.dev == dev)
    }
}

/// The names of the devices in netloom's network namespace. What cannot be read is an
/// error: an empty answer would say that a device in use is free.
pub fn devices() -> Result<BTreeSet<String>, Error> {
    let show = super::cmd::argv(&["ip", "-j", "link", "show"]);
    let out = super::cmd::run_argv(&show, None)?;
    device_names(&super::cmd::shown(&show), &out)
}

/// The device names in `json`, what `ip -j link` (the command `shown`) printed.
fn device_names(shown: &str, json: &str) -> Result<BTreeSet<String>, Error> {
    let links: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        Error::live(LiveKind::Unreadable, format!(
            "cannot read the devices here: `{shown}` printed what is not a JSON list of links: {e}"
        ))
    })?;
    Ok(links
        .iter()
        .filter_map(|l| l.get("ifname")?.as_str().map(str::to_owned))
        .collect())
}

/// Reads the kernel's links and routes now.
pub fn read() -> Result<Kernel, Error> {
    let mut kernel = parse(&super::cmd::run("ip", &["-j", "-d", "addr", "show"])?)?;
    for (family, ipv6) in [("-4", false), ("-6", true)] {
        // Numbers (`-N`), so that a table `/etc/iproute2/rt_tables` names is still read as
        // its number; an `ip` older than the option is asked for names instead.
        let args = ["-N", family, "-j", "route", "show", "table", "all"];
        let json = super::cmd::run("ip", &args).or_else(|_| super::cmd::run("ip", &args[1..]))?;
        kernel.routes.extend(parse_routes(&json, ipv6)?);
    }
    Ok(kernel)
}

#[derive(Deserialize)]
struct RawRoute {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    dst: Option<String>,
    #[serde(default)]
    gateway: Option<String>,
    #[serde(default)]
    dev: Option<String>,
    #[serde(default)]
    table: Option<serde_json::Value>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    prefsrc: Option<String>,
    #[serde(default)]
    metric: Option<u32>,
}

/// A table as `ip` prints it: a number, or one of the names of `/etc/iproute2/rt_tables`
/// every system has. `None` for a name only that host's file gives a number.
fn table(v: Option<&serde_json::Value>) -> Option<u32> {
    match v {
        None => Some(crate::model::RouteTable::MAIN),
        Some(serde_json::Value::String(s)) => match s.as_str() {
            "main" => Some(crate::model::RouteTable::MAIN),
            "local" => Some(255),
            "default" => Some(253),
            n => n.parse().ok(),
        },
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(_) => None,
    }
}

/// The unicast routes through one device in `json`, as `ip -j route show table all`
/// prints them for one family (IPv6 with `ipv6`), outside the local table and IPv6's
/// link-local and multicast ranges.
pub fn parse_routes(json: &str, ipv6: bool) -> Result<Vec<Route>, Error> {
    let raw: Vec<RawRoute> = serde_json::from_str(json).map_err(|e| {
        Error::live(
            LiveKind::Unreadable,
            format!("`ip -j route show table all` printed what netloom cannot read: {e}"),
        )
    })?;
    Ok(raw.into_iter().filter_map(|r| route(r, ipv6)).collect())
}

/// One route of `ip`'s, when it is one a declaration can make.
fn route(r: RawRoute, ipv6: bool) -> Option<Route> {
    if r.kind
        .as_deref()
        .is_some_and(|k| k != "unicast" && k != "1")
    {
        return None;
    }
    let table = table(r.table.as_ref()).filter(|&t| t != 255)?;
    let dst = r.dst?;
    let gateway = r.gateway.and_then(|g| g.parse::<IpAddr>().ok());
    let (destination, prefix) = match dst.split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse().ok()?),
        None if dst == "default" && ipv6 => (IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED), 0),
        None if dst == "default" => (IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0),
        None => {
            let a: IpAddr = dst.parse().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    if let IpAddr::V6(a) = destination
        && (a.is_multicast() || (a.segments()[0] & 0xffc0 == 0xfe80 && prefix >= 10))
    {
        return None;
    }
    Some(Route {
        dev: r.dev?,
        table,
        destination,
        prefix,
        gateway,
        source: r.prefsrc.and_then(|s| s.parse().ok()),
        metric: r.metric.unwrap_or(0),
        protocol: protocol(r.protocol),
    })
}

/// Who made a route, by the name `ip` gives it whether it printed the name or (with `-N`)
/// the number: `/etc/iproute2/rt_protos`'s fixed entries; others stay numbers.
fn protocol(p: Option<String>) -> String {
    let Some(p) = p else {
        return "boot".into();
    };
    let name = match p.as_str() {
        "1" => "redirect",
        "2" => "kernel",
        "3" => "boot",
        "4" => "static",
        "9" => "ra",
        "16" => "dhcp",
        _ => return p,
    };
    name.to_owned()
}

#[derive(Deserialize)]
struct RawLink {
    ifname: String,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    mtu: u32,
    #[serde(default)]
    master: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    linkinfo: Option<RawInfo>,
    #[serde(default)]
    addr_info: Vec<RawAddr>,
}

#[derive(Deserialize)]
struct RawInfo {
    #[serde(default)]
    info_kind: Option<String>,
    #[serde(default)]
    info_data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawAddr {
    #[serde(default)]
    local: Option<String>,
    #[serde(default)]
    prefixlen: Option<u8>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    dynamic: Option<bool>,
}

/// The links in `json`, as `ip -j -d addr show` prints them.
pub fn parse(json: &str) -> Result<Kernel, Error> {
    let raw: Vec<RawLink> = serde_json::from_str(json).map_err(|e| {
        Error::live(
            LiveKind::Unreadable,
            format!("`ip -j -d addr show` printed what netloom cannot read: {e}"),
        )
    })?;
    let links = raw
        .into_iter()
        .map(|r| {
            let kind = r.linkinfo.as_ref().and_then(|i| i.info_kind.clone());
            let data = r.linkinfo.as_ref().and_then(|i| i.info_data.as_ref());
            let field = |name: &str| data.and_then(|d| d.get(name));
            let is = |k: &str| kind.as_deref() == Some(k);
            Link {
                up: r.flags.iter().any(|f| f == "UP"),
                mtu: r.mtu,
                master: r.master,
                bond_mode: field("mode")
                    .filter(|_| is("bond"))
                    .and_then(|m| m.as_str())
                    .map(str::to_owned),
                vlan_id: field("id")
                    .filter(|_| is("vlan"))
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|id| u16::try_from(id).ok()),
                vlan_parent: r.link.filter(|_| is("vlan")),
                addresses: r
                    .addr_info
                    .into_iter()
                    .filter_map(|a| {
                        Some(Address {
                            ip: a.local?.parse().ok()?,
                            prefix: a.prefixlen?,
                            global: a.scope.as_deref() == Some("global"),
                            dynamic: a.dynamic == Some(true),
                        })
                    })
                    .collect(),
                kind,
                name: r.ifname,
            }
        })
        .collect();
    Ok(Kernel {
        links,
        routes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_that_cannot_be_read_are_an_error_not_no_devices() {
        for bad in ["", "Cannot open netlink socket", "{\"ifname\": \"lo\"}"] {
            let err = device_names("ip -j link show", bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(
                    "cannot read the devices here: `ip -j link show` printed what is not a \
                     JSON list of links"
                ),
                "{bad:?}: {err}"
            );
        }
        let names = device_names("ip", r#"[{"ifname":"lo"},{"ifname":"br0"},{}]"#).unwrap();
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["br0", "lo"]);
    }

    #[test]
    fn links_read_with_their_kind_master_and_addresses() {
        let json = r#"[
          {"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,
           "addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host"}]},
          {"ifindex":2,"ifname":"br0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],
           "mtu":1400,"linkinfo":{"info_kind":"bridge","info_data":{"stp_state":0}},
           "addr_info":[{"family":"inet","local":"198.51.100.2","prefixlen":24,"scope":"global"},
             {"family":"inet6","local":"2001:db8::5","prefixlen":64,"scope":"global",
              "dynamic":true,"valid_life_time":86400},
             {"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"}]},
          {"ifindex":3,"link":"q0","ifname":"p0","flags":["BROADCAST"],"mtu":1500,
           "master":"br0","linkinfo":{"info_kind":"veth","info_slave_kind":"bridge"},
           "addr_info":[]},
          {"ifindex":4,"link":"bond0","ifname":"v5","flags":["UP"],"mtu":1500,
           "linkinfo":{"info_kind":"vlan","info_data":{"protocol":"802.1Q","id":5}}},
          {"ifindex":5,"ifname":"bond0","flags":["UP"],"mtu":1500,
           "linkinfo":{"info_kind":"bond","info_data":{"mode":"active-backup"}}}
        ]"#;
        let k = parse(json).unwrap();
        let br0 = k.link("br0").unwrap();
        assert!(br0.up);
        assert_eq!((br0.mtu, br0.kind.as_deref()), (1400, Some("bridge")));
        let shown: Vec<String> = br0.addresses.iter().map(|a| a.to_string()).collect();
        assert_eq!(shown, ["198.51.100.2/24", "2001:db8::5/64", "fe80::1/64"]);
        assert_eq!(
            br0.addresses
                .iter()
                .map(|a| (a.global, a.dynamic))
                .collect::<Vec<_>>(),
            [(true, false), (true, true), (false, false)]
        );
        assert_eq!(k.ports_of("br0"), ["p0"]);
        let p0 = k.link("p0").unwrap();
        assert!(!p0.up);
        assert_eq!(
            p0.vlan_parent, None,
            "a veth's link is its peer, not a parent"
        );
        let v5 = k.link("v5").unwrap();
        assert_eq!(
            (v5.vlan_id, v5.vlan_parent.as_deref()),
            (Some(5), Some("bond0"))
        );
        assert_eq!(
            k.link("bond0").unwrap().bond_mode.as_deref(),
            Some("active-backup")
        );
        assert!(parse("not json").is_err());
    }
}
