//! The model to stanzas: one file per top-level interface.
//!
//! Each file holds the `auto`/`allow-hotplug` line of one top-level interface, its own
//! `iface` stanzas, then the stanzas of its bridge ports that need one. Every decision below
//! was checked against ifupdown 0.8.41 (`ifup -n -v`, `ifquery`), bridge-utils' hook
//! (`/lib/bridge-utils/ifupdown.sh`), ifenslave's and vlan's hooks
//! (`/etc/network/if-pre-up.d/{ifenslave,vlan}`), and for the bridge by a real `ifup` in a
//! network namespace. An importer inverts this table.
//!
//! | model | written |
//! |---|---|
//! | `start` onboot / hotplug | `auto NAME` / `allow-hotplug NAME`; none and absent write nothing (both mean "only by hand" to ifupdown) |
//! | IPv4 static address *n* | one `iface NAME inet static` per address, in order, with `address A/PREFIX` (without a prefix in the XML, the classful one ifupdown would derive, said) |
//! | IPv4 gateway | `gateway G` in the first `inet static` stanza; refused without a static address |
//! | IPv4 DHCP | `iface NAME inet dhcp` after the static stanzas; `peerdns='no'` is refused, `'yes'` is the default |
//! | IPv6 static address *n* | one `iface NAME inet6 static` per address, each with `autoconf 1` or `autoconf 0` (without a prefix in the XML, the /128 ifupdown would take, said) |
//! | IPv6 gateway | `gateway G` in the first `inet6 static` stanza, plus `accept_ra 1` with autoconf (ifupdown turns router advertisements off, `accept_ra 0`, in a stanza with a gateway unless told otherwise, which would stop SLAAC); refused without a static address |
//! | IPv6 DHCP | `iface NAME inet6 dhcp` with `autoconf 0`/`1`, after the static stanzas |
//! | IPv6 autoconf only | `iface NAME inet6 auto` |
//! | IPv6 with nothing (link-local only) | `iface NAME inet6 auto` with `accept_ra 0`: ifupdown sets `autoconf=1` but no router advertisement is read, so no SLAAC address |
//! | no stanza from the above | `iface NAME inet manual` |
//! | `mac` of an ethernet | `hwaddress ether MAC` |
//! | `mtu` | `mtu N` |
//! | bridge | `bridge-ports P…` in port order (`none` without ports), `bridge-stp on`/`off`, `bridge-fd DELAY` |
//! | bridge port that is a bond or vlan, or has a MAC | its own `iface PORT inet manual` stanza with its options and the bridge's `mtu`, and `pre-up ifup PORT` / `post-down ifdown PORT` in the bridge (ifupdown 0.8 does not order dependencies itself) |
//! | plain bridge port | nothing but its name in `bridge-ports`: bridge-utils attaches it and gives it the bridge's `mtu` |
//! | bond | `bond-slaves S…` in slave order, `bond-mode`, `bond-primary FIRST` in active-backup, `bond-miimon`, `bond-downdelay`, `bond-updelay`, `bond-use-carrier 0` (ioctl) / `1` (netif), `bond-arp-interval`, `bond-arp-ip-target`, `bond-arp-validate`; slaves get no stanza (ifenslave enslaves them) |
//! | vlan | `vlan-raw-device PARENT`; the name must be `PARENT.TAG` or `vlanTAG`, because ifupdown and the vlan package read the tag from the name |
//! | `<nl:dns>`, `<nl:search>` | `dns-nameservers`, `dns-search` in the family's last stanza |
//! | `<nl:route>` | `up ip route add DEST [via GW] dev NAME [metric M] [src S] [table T]` (`ip -6` for IPv6) in the family's last stanza, and the same `down ip route del …`, in reverse order |
//! | `link` (speed, state) | nothing: status, not configuration |
//!
//! Link options (`hwaddress`, `mtu`, bridge, bond and vlan options, `pre-up`/`post-down`)
//! go into the interface's first stanza, which is the one that creates the device. Only
//! `inet static` and `inet manual` set the link MTU (`inet6 static` only raises it, the
//! `dhcp` methods ignore it) and `inet6 auto` sets no MAC, so when the first stanza cannot
//! carry what the interface has, an `iface NAME inet manual` stanza comes first.
//!
//! Several addresses of a family are repeated stanzas, never two `address` lines in one
//! stanza (ifupdown 0.8 drops or mangles the second) and never `up ip addr add` hooks.
//!
//! A bond slave's `<mac>` identifies its device, as in netcf and NetworkManager, where
//! ifupdown names devices only by kernel name: it becomes a systemd `.link` file,
//! `etc/systemd/network/10-netloom-SLAVE.link`, whose `[Match] PermanentMACAddress=` and
//! `[Link] Name=` make udev give the NIC with that MAC the slave's name when it appears
//! ([`link_files`]). The permanent MAC, because a bond, and a vlan on it, take a slave's MAC
//! as their current one, and a `MACAddress=` match would rename them too.
//!
//! Refused, each with its reason in the [`Refusal`]:
//! `<dhcp peerdns='no'/>` in either family; a `<route gateway>` without a static `<ip>` of
//! its family; a vlan not named `PARENT.TAG` (PARENT without a dot) or `vlanTAG`, or with tag
//! 0; a name with a dot on anything but a vlan (ifupdown makes it a VLAN); a name starting
//! with `-` (helpers read it as an option); a bridge port named `all`, `none`, `regex` or
//! `noregex` (bridge-utils keywords); a bond whose only slave is named `none` or `all`
//! (ifenslave keywords).
//!
//! The text comes from `templates/debian/interfaces.txt` (and a `.link` file's from
//! `templates/debian/link.txt`), which show the files' shape: the values reaching them are
//! addresses, numbers, keywords and names the model has validated.

use askama::Template;

use crate::backend::{BackendError, Refusal, RenderedFile};
use crate::model::{
    Bond, BondOption, Bridge, Dhcp, DomainName, IfaceName, Interface, InterfaceKind, Ipv4,
    Ipv4Prefix, Ipv6, Ipv6Prefix, MacAddr, Mtu, Port, PortKind, Route, RouteFamily, StartMode,
    Vlan,
};

/// The first line of every file netloom writes; how it recognises its own files.
pub(super) const HEADER: &str =
    "# Written by netloom from its interface declaration: change that and apply it again.\n";

/// Where udev reads `.link` files that netloom writes, relative to the target root.
pub(super) const LINK_DIR: &str = "etc/systemd/network";

/// The start of a `.link` file's name: before the distribution's `99-default.link`, as udev
/// applies the first file (in name order) that matches a device.
const LINK_PREFIX: &str = "10-netloom-";

/// The `.link` file that names the device `name` by its MAC.
pub(super) fn link_path(name: &str) -> String {
    format!("{LINK_DIR}/{LINK_PREFIX}{name}.link")
}

/// The device a `.link` file of netloom's names, from its path.
pub(super) fn link_name(path: &str) -> Option<&str> {
    path.strip_prefix(LINK_DIR)?
        .strip_prefix('/')?
        .strip_prefix(LINK_PREFIX)?
        .strip_suffix(".link")
}

/// A systemd `.link` file naming the device with a MAC.
#[derive(Template)]
#[template(path = "debian/link.txt", escape = "none")]
struct LinkFile<'a> {
    header: &'static str,
    mac: MacAddr,
    name: &'a IfaceName,
}

/// The `.link` files of one top-level interface: one per bond slave with a MAC (of a bond
/// or of a bond that is a bridge port), so that the device with that MAC gets the slave's
/// name whatever the kernel first called it.
pub(super) fn link_files(iface: &Interface) -> Result<Vec<RenderedFile>, BackendError> {
    let bonds: Vec<&Bond> = match &iface.kind {
        InterfaceKind::Bond(b) => vec![b],
        InterfaceKind::Bridge(br) => (br.ports.iter())
            .filter_map(|p| match &p.kind {
                PortKind::Bond(b) => Some(b),
                _ => None,
            })
            .collect(),
        InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => Vec::new(),
    };
    let slaves = bonds.into_iter().flat_map(|b| &b.slaves);
    slaves
        .filter_map(|s| Some((s, s.ethernet.mac?)))
        .map(|(s, mac)| {
            let file = LinkFile {
                header: HEADER,
                mac,
                name: &s.name,
            };
            Ok(RenderedFile {
                path: link_path(s.name.as_str()),
                contents: file.render().map_err(template_error)?,
                mode: 0o644,
            })
        })
        .collect()
}

/// A template that could not render, as the backend's error.
fn template_error(source: askama::Error) -> BackendError {
    BackendError::Template {
        backend: "debian",
        source,
    }
}

/// An address family of an `iface` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Inet,
    Inet6,
}

impl Family {
    /// How an `iface` line says it.
    fn keyword(self) -> &'static str {
        match self {
            Self::Inet => "inet",
            Self::Inet6 => "inet6",
        }
    }
}

/// A method of an `iface` line; only those netloom writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Static,
    Dhcp,
    Auto,
    Manual,
}

impl Method {
    /// How an `iface` line says it.
    fn keyword(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Dhcp => "dhcp",
            Self::Auto => "auto",
            Self::Manual => "manual",
        }
    }
}

/// One `iface NAME FAMILY METHOD` stanza and its options, in the order written.
#[derive(Debug)]
struct Stanza {
    name: String,
    family: Family,
    method: Method,
    options: Vec<(&'static str, String)>,
}

impl Stanza {
    fn new(name: &IfaceName, family: Family, method: Method) -> Self {
        Self {
            name: name.to_string(),
            family,
            method,
            options: Vec::new(),
        }
    }

    fn set(&mut self, key: &'static str, value: impl ToString) {
        self.options.push((key, value.to_string()));
    }

    /// Whether the method sets the link MTU: `inet6 static` only ever raises it, and the
    /// `dhcp` and `auto` methods ignore `mtu`.
    fn carries_mtu(&self) -> bool {
        self.family == Family::Inet && matches!(self.method, Method::Static | Method::Manual)
    }

    /// Whether the method applies `hwaddress`: all but `inet6 auto`.
    fn carries_hwaddress(&self) -> bool {
        self.method != Method::Auto
    }
}

/// Every refusal of one interface file, collected so they are all reported at once.
#[derive(Default)]
struct Refusals(Vec<Refusal>);

impl Refusals {
    fn add(&mut self, interface: &IfaceName, setting: String, why: &str) {
        self.0.push(Refusal {
            interface: interface.to_string(),
            setting,
            why: why.to_owned(),
        });
    }
}

/// `etc/network/interfaces.d/NAME` for one top-level interface, before it becomes text:
/// its start line and its stanzas (then its bridge ports'), in the order written.
#[derive(Debug, Template)]
#[template(path = "debian/interfaces.txt", escape = "none")]
pub(super) struct InterfaceFile {
    header: &'static str,
    /// `auto` or `allow-hotplug`, or `None` for an interface only brought up by hand.
    start: Option<&'static str>,
    name: String,
    stanzas: Vec<Stanza>,
}

impl InterfaceFile {
    /// The file's text, from `templates/debian/interfaces.txt`.
    pub(super) fn text(&self) -> Result<String, BackendError> {
        self.render().map_err(template_error)
    }
}

/// The options that configure the device itself rather than an address of it, with the
/// stanzas of the bridge ports that need their own.
#[derive(Default)]
struct Link {
    options: Vec<(&'static str, String)>,
    /// The NIC's MAC, which only a method that applies `hwaddress` can carry.
    mac: Option<MacAddr>,
    port_stanzas: Vec<Stanza>,
}

/// The address stanzas of both families, and the index of each family's last one.
struct Addresses {
    stanzas: Vec<Stanza>,
    v4_last: Option<usize>,
    v6_last: Option<usize>,
}

/// The file for one top-level interface, or every setting of it (and of its ports and
/// slaves) that ifupdown cannot express.
pub(super) fn interface_file(iface: &Interface) -> Result<InterfaceFile, Vec<Refusal>> {
    let mut refusals = Refusals::default();
    identity(iface, &mut refusals);
    let mut addresses = addresses(iface, &mut refusals);
    let link = link(iface, &mut refusals);
    let shift = place_link(
        &iface.name,
        &mut addresses.stanzas,
        link.options,
        iface.mtu,
        link.mac,
    );
    place_resolvers_and_routes(iface, &mut addresses, shift);
    if !refusals.0.is_empty() {
        return Err(refusals.0);
    }
    let mut stanzas = addresses.stanzas;
    stanzas.extend(link.port_stanzas);
    Ok(InterfaceFile {
        header: HEADER,
        start: match iface.start {
            Some(StartMode::OnBoot) => Some("auto"),
            Some(StartMode::Hotplug) => Some("allow-hotplug"),
            Some(StartMode::None) | None => None,
        },
        name: iface.name.to_string(),
        stanzas,
    })
}

/// What names the interface: ifupdown keeps no UUID, and reads a vlan's tag from its name.
fn identity(iface: &Interface, refusals: &mut Refusals) {
    let name = &iface.name;
    if let Some(u) = iface.uuid {
        refusals.add(
            name,
            format!("<uuid>{u}</uuid>"),
            "ifupdown names an interface only by its device name and keeps no UUID. Drop \
             the <uuid>",
        );
    }
    match &iface.kind {
        InterfaceKind::Vlan(v) => vlan_name(name, v, refusals),
        kind => plain_name(name, kind.type_name(), refusals),
    }
}

/// The stanzas of the IPv4 addresses, then of the IPv6 ones.
fn addresses(iface: &Interface, refusals: &mut Refusals) -> Addresses {
    let name = &iface.name;
    let mut stanzas = Vec::new();
    if let Some(v4) = &iface.ipv4 {
        ipv4(name, v4, &mut stanzas, refusals);
    }
    let v4_last = stanzas.len().checked_sub(1);
    if let Some(v6) = &iface.ipv6 {
        ipv6(name, v6, &mut stanzas, refusals);
    }
    let v6_last = stanzas.len().checked_sub(1).filter(|&i| Some(i) != v4_last);
    Addresses {
        stanzas,
        v4_last,
        v6_last,
    }
}

/// The device's own options, by kind: MAC and MTU, then the bond's, vlan's or bridge's.
fn link(iface: &Interface, refusals: &mut Refusals) -> Link {
    let name = &iface.name;
    let mut link = Link::default();
    match &iface.kind {
        InterfaceKind::Ethernet(e) => {
            cloned_mac(name, e.cloned_mac, refusals);
            link.mac = e.mac;
        }
        InterfaceKind::Vlan(v) => vlan_options(name, v, refusals),
        _ => {}
    }
    if let Some(mac) = link.mac {
        link.options.push(("hwaddress", format!("ether {mac}")));
    }
    if let Some(mtu) = iface.mtu {
        link.options.push(("mtu", mtu.to_string()));
    }
    match &iface.kind {
        InterfaceKind::Ethernet(_) => {}
        InterfaceKind::Bond(b) => bond(name, b, &mut link.options, refusals),
        InterfaceKind::Vlan(v) => link.options.push(("vlan-raw-device", v.parent.to_string())),
        InterfaceKind::Bridge(br) => bridge(
            name,
            br,
            iface.mtu,
            &mut link.options,
            &mut link.port_stanzas,
            refusals,
        ),
    }
    link
}

/// Puts the link options in the first stanza, which creates the device, or in an `inet
/// manual` stanza put first when the first method would ignore the MTU or the MAC; how many
/// stanzas went before the address stanzas (0 or 1).
fn place_link(
    name: &IfaceName,
    stanzas: &mut Vec<Stanza>,
    options: Vec<(&'static str, String)>,
    mtu: Option<Mtu>,
    mac: Option<MacAddr>,
) -> usize {
    match stanzas.first_mut() {
        Some(first)
            if (mtu.is_none() || first.carries_mtu())
                && (mac.is_none() || first.carries_hwaddress()) =>
        {
            first.options.extend(options);
            0
        }
        _ => {
            let mut manual = Stanza::new(name, Family::Inet, Method::Manual);
            manual.options = options;
            stanzas.insert(0, manual);
            1
        }
    }
}

/// DNS and routes go in each family's last stanza, which ifup runs once the family's
/// addresses are all there (a gateway may be on any of them), and whose record resolvconf
/// keeps (each stanza replaces the family's record, `IFACE.inet`).
fn place_resolvers_and_routes(iface: &Interface, addresses: &mut Addresses, shift: usize) {
    let name = &iface.name;
    let stanzas = &mut addresses.stanzas;
    if let (Some(i), Some(v4)) = (addresses.v4_last, &iface.ipv4)
        && let Some(s) = stanzas.get_mut(i + shift)
    {
        resolver_and_routes(s, name, &v4.dns, &v4.search, &v4.routes);
    }
    if let (Some(i), Some(v6)) = (addresses.v6_last, &iface.ipv6)
        && let Some(s) = stanzas.get_mut(i + shift)
    {
        resolver_and_routes(s, name, &v6.dns, &v6.search, &v6.routes);
    }
}

/// `dns-nameservers` and `dns-search` (read by resolvconf's and systemd-resolved's
/// ifupdown hooks), then each route as an `up` line adding it and a `down` line deleting it,
/// the downs in reverse order so a route goes before the on-link route its gateway needs.
fn resolver_and_routes<A: RouteFamily>(
    s: &mut Stanza,
    name: &IfaceName,
    dns: &[A],
    search: &[DomainName],
    routes: &[Route<A>],
) {
    if !dns.is_empty() {
        let servers: Vec<String> = dns.iter().map(ToString::to_string).collect();
        s.set("dns-nameservers", servers.join(" "));
    }
    if !search.is_empty() {
        let domains: Vec<&str> = search.iter().map(DomainName::as_str).collect();
        s.set("dns-search", domains.join(" "));
    }
    for r in routes {
        s.set("up", route_command(r, name, "add"));
    }
    for r in routes.iter().rev() {
        s.set("down", route_command(r, name, "del"));
    }
}

/// `ip route add|del …` for a route through `name`, which `/bin/sh` runs: every word an
/// address, a prefix length, a number, a keyword or the device's name, so nothing in it
/// reaches the shell as anything but a word.
pub(super) fn route_command<A: RouteFamily>(r: &Route<A>, name: &IfaceName, verb: &str) -> String {
    let ip = if A::MAX_PREFIX == 32 { "ip" } else { "ip -6" };
    let mut out = format!("{ip} route {verb} {}", r.destination);
    if let Some(g) = r.gateway {
        out.push_str(&format!(" via {g}"));
    }
    out.push_str(&format!(" dev {name}"));
    if let Some(m) = r.metric {
        out.push_str(&format!(" metric {m}"));
    }
    if let Some(src) = r.source {
        out.push_str(&format!(" src {src}"));
    }
    if let Some(t) = r.table {
        out.push_str(&format!(" table {t}"));
    }
    out
}

const GATEWAY_WHY: &str = "ifupdown has a gateway option only in the static method; with DHCP \
    the default route comes from the server. Add a static <ip> to the protocol, or drop the \
    <route> and let DHCP supply the route";

const PEERDNS_WHY: &str = "ifupdown's dhcp methods have no option to ignore the DNS servers a \
    lease offers (peerdns='yes' is what they do anyway). Drop the attribute and tell the DHCP \
    client itself, e.g. dhclient.conf's `supersede domain-name-servers`";

/// `inet static` stanzas, one per address, then `inet dhcp`.
fn ipv4(name: &IfaceName, v4: &Ipv4, stanzas: &mut Vec<Stanza>, refusals: &mut Refusals) {
    for (i, a) in v4.addresses.iter().enumerate() {
        let mut s = Stanza::new(name, Family::Inet, Method::Static);
        // Without a prefix, ifupdown's own (the class's), said.
        let prefix = a.prefix.unwrap_or_else(|| Ipv4Prefix::classful(a.address));
        s.set("address", format!("{}/{prefix}", a.address));
        if let (0, Some(gw)) = (i, v4.gateway) {
            s.set("gateway", gw);
        }
        stanzas.push(s);
    }
    if let Some(dhcp) = v4.dhcp {
        dhcp_peerdns(name, dhcp, "", refusals);
        stanzas.push(Stanza::new(name, Family::Inet, Method::Dhcp));
    }
    if let (Some(gw), true) = (v4.gateway, v4.addresses.is_empty()) {
        refusals.add(name, gateway_setting(&gw.to_string(), v4.dhcp), GATEWAY_WHY);
    }
}

/// `inet6 static` stanzas, one per address, then `inet6 dhcp`, or `inet6 auto`.
fn ipv6(name: &IfaceName, v6: &Ipv6, stanzas: &mut Vec<Stanza>, refusals: &mut Refusals) {
    let autoconf = u8::from(v6.autoconf);
    for (i, a) in v6.addresses.iter().enumerate() {
        let mut s = Stanza::new(name, Family::Inet6, Method::Static);
        // Without a prefix, ifupdown's own (one host's), said.
        let prefix = a.prefix.unwrap_or(Ipv6Prefix::HOST);
        s.set("address", format!("{}/{prefix}", a.address));
        if let (0, Some(gw)) = (i, v6.gateway) {
            s.set("gateway", gw);
            // ifupdown's static method turns `gateway` into `accept_ra 0` unless accept_ra
            // is given, which stops SLAAC for every later stanza too.
            if v6.autoconf {
                s.set("accept_ra", 1);
            }
        }
        s.set("autoconf", autoconf);
        stanzas.push(s);
    }
    if let Some(dhcp) = v6.dhcp {
        dhcp_peerdns(name, dhcp, " in <protocol family='ipv6'>", refusals);
        let mut s = Stanza::new(name, Family::Inet6, Method::Dhcp);
        s.set("autoconf", autoconf);
        stanzas.push(s);
    } else if v6.addresses.is_empty() {
        let mut s = Stanza::new(name, Family::Inet6, Method::Auto);
        if !v6.autoconf {
            // Link-local only: the method forces autoconf=1, but with router
            // advertisements ignored there is no prefix to autoconfigure from.
            s.set("accept_ra", 0);
        }
        stanzas.push(s);
    }
    if let (Some(gw), true) = (v6.gateway, v6.addresses.is_empty()) {
        refusals.add(name, gateway_setting(&gw.to_string(), v6.dhcp), GATEWAY_WHY);
    }
}

fn dhcp_peerdns(name: &IfaceName, dhcp: Dhcp, family: &str, refusals: &mut Refusals) {
    if dhcp.peerdns == Some(false) {
        refusals.add(name, format!("<dhcp peerdns='no'/>{family}"), PEERDNS_WHY);
    }
}

fn gateway_setting(gw: &str, dhcp: Option<Dhcp>) -> String {
    match dhcp {
        Some(_) => format!("<route gateway='{gw}'> with DHCP and no static address"),
        None => format!("<route gateway='{gw}'> with no static address"),
    }
}

/// The bridge's own options and the stanzas of the ports that need one.
fn bridge(
    name: &IfaceName,
    br: &Bridge,
    mtu: Option<Mtu>,
    link: &mut Vec<(&'static str, String)>,
    port_stanzas: &mut Vec<Stanza>,
    refusals: &mut Refusals,
) {
    let ports: Vec<&str> = br.ports.iter().map(|p| p.name.as_str()).collect();
    link.push((
        "bridge-ports",
        if ports.is_empty() {
            "none".to_owned()
        } else {
            ports.join(" ")
        },
    ));
    // Said either way, off unless the XML says on (bridge-utils' own default), and with STP
    // on the delay too, 15 seconds (the kernel's) unless the XML gives one.
    let stp = br.stp == Some(true);
    link.push(("bridge-stp", if stp { "on" } else { "off" }.to_owned()));
    match br.delay {
        Some(delay) => link.push(("bridge-fd", delay.to_string())),
        None if stp => link.push(("bridge-fd", "15".to_owned())),
        None => {}
    }
    // bridge-utils' options, which it sets with brctl whether STP is on or not.
    let o = br.options;
    if let Some(v) = o.priority {
        link.push(("bridge-bridgeprio", v.to_string()));
    }
    if let Some(v) = o.hello_time {
        link.push(("bridge-hello", v.to_string()));
    }
    if let Some(v) = o.max_age {
        link.push(("bridge-maxage", v.to_string()));
    }
    if let Some(v) = o.ageing_time {
        link.push(("bridge-ageing", v.to_string()));
    }
    if let Some(v) = o.multicast_snooping {
        refusals.add(
            name,
            format!("<nl:bridge multicast_snooping='{}'/>", yes_no(v)),
            "bridge-utils' ifupdown hook has no option for multicast snooping (ifupdown2's \
             bridge-mcsnoop is not ifupdown's). Drop the attribute, or set it with a \
             `post-up` line writing /sys/class/net/BRIDGE/bridge/multicast_snooping by hand",
        );
    }
    let mut up = Vec::new();
    for port in &br.ports {
        if let Some(stanza) = port_stanza(port, mtu, refusals) {
            up.push(port.name.to_string());
            port_stanzas.push(stanza);
        }
    }
    link.extend(up.iter().map(|p| ("pre-up", format!("ifup {p}"))));
    link.extend(up.iter().map(|p| ("post-down", format!("ifdown {p}"))));
}

/// A port's own `inet manual` stanza, when it has something to configure: a MAC, or the
/// options that create it (bond, vlan). A plain port needs none, even for the MTU:
/// bridge-utils sets the bridge's `mtu` on every port it attaches.
fn port_stanza(port: &Port, mtu: Option<Mtu>, refusals: &mut Refusals) -> Option<Stanza> {
    if ["all", "none", "regex", "noregex"].contains(&port.name.as_str()) {
        refusals.add(
            &port.name,
            format!("<interface name='{}'> as a bridge port", port.name),
            "bridge-utils reads 'all', 'none', 'regex' and 'noregex' in bridge-ports as \
             keywords, not as device names. Rename the device",
        );
    }
    let mut s = Stanza::new(&port.name, Family::Inet, Method::Manual);
    match &port.kind {
        PortKind::Ethernet(e) => {
            plain_name(&port.name, "ethernet", refusals);
            cloned_mac(&port.name, e.cloned_mac, refusals);
            s.set("hwaddress", format!("ether {}", e.mac?));
        }
        PortKind::Vlan(v) => {
            vlan_name(&port.name, v, refusals);
            vlan_options(&port.name, v, refusals);
        }
        PortKind::Bond(_) => plain_name(&port.name, "bond", refusals),
    }
    if let Some(mtu) = mtu {
        s.set("mtu", mtu);
    }
    match &port.kind {
        PortKind::Ethernet(_) => {}
        PortKind::Vlan(v) => s.set("vlan-raw-device", &v.parent),
        PortKind::Bond(b) => bond(&port.name, b, &mut s.options, refusals),
    }
    Some(s)
}

/// The ifenslave options of a bond (top-level or bridge port).
fn bond(
    name: &IfaceName,
    b: &Bond,
    opts: &mut Vec<(&'static str, String)>,
    refusals: &mut Refusals,
) {
    let slaves: Vec<&str> = b.slaves.iter().map(|s| s.name.as_str()).collect();
    for s in &b.slaves {
        // A slave's MAC names its device in a systemd .link file (`link_files`).
        leading_dash(&s.name, "ethernet", refusals);
    }
    if let [only] = b.slaves.as_slice()
        && matches!(only.name.as_str(), "none" | "all")
    {
        refusals.add(
            &only.name,
            format!("<interface name='{}'> as the only bond slave", only.name),
            "ifenslave reads bond-slaves 'none' as no slave and 'all' as every eth* device. \
             Rename the device",
        );
    }
    opts.push(("bond-slaves", slaves.join(" ")));
    let xml = b.options.xml_values();
    for (opt, value) in b.driver_options() {
        let driver = opt.driver_name();
        let written = xml
            .iter()
            .find(|(n, _)| *n == driver)
            .map_or(&value, |(_, v)| v);
        match ifupdown_key(opt) {
            Some(key) => opts.push((key, value)),
            None => refusals.add(
                name,
                format!("<nl:bond {driver}='{written}'/>"),
                "ifenslave (ifupdown's bonding hook) has no option for it: it writes only \
                 the driver options it lists to sysfs. Drop the attribute, or set it with a \
                 `pre-up` line by hand",
            ),
        }
    }
}

/// ifenslave's option for a bonding driver option (`bond-` and the driver's name with `-`
/// for `_`), or `None` for the ones its hook does not write.
pub(super) fn ifupdown_key(opt: BondOption) -> Option<&'static str> {
    Some(match opt {
        BondOption::Mode => "bond-mode",
        BondOption::Primary => "bond-primary",
        BondOption::Miimon => "bond-miimon",
        BondOption::Downdelay => "bond-downdelay",
        BondOption::Updelay => "bond-updelay",
        BondOption::UseCarrier => "bond-use-carrier",
        BondOption::ArpInterval => "bond-arp-interval",
        BondOption::ArpIpTarget => "bond-arp-ip-target",
        BondOption::ArpValidate => "bond-arp-validate",
        BondOption::LacpRate => "bond-lacp-rate",
        BondOption::XmitHashPolicy => "bond-xmit-hash-policy",
        BondOption::AdSelect => "bond-ad-select",
        BondOption::PrimaryReselect => "bond-primary-reselect",
        BondOption::FailOverMac => "bond-fail-over-mac",
        BondOption::NumGratArp => "bond-num-grat-arp",
        BondOption::PacketsPerSlave => "bond-packets-per-slave",
        BondOption::TlbDynamicLb => "bond-tlb-dynamic-lb",
        BondOption::MinLinks | BondOption::AllSlavesActive | BondOption::ResendIgmp => {
            return None;
        }
    })
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// A cloned MAC: `hwaddress` is where the NIC's `<mac>` goes, and ifupdown has no other.
fn cloned_mac(name: &IfaceName, mac: Option<MacAddr>, refusals: &mut Refusals) {
    if let Some(mac) = mac {
        refusals.add(
            name,
            format!("<nl:cloned-mac address='{mac}'/>"),
            "ifupdown's one MAC option, hwaddress, is what netloom writes for the NIC's <mac>, \
             so a second MAC has nowhere to go. Put the address in <mac> (ifupdown sets the \
             NIC's MAC to it), or drop the element",
        );
    }
}

/// A vlan's options: the vlan package's hook creates every vlan with `ip link add … type
/// vlan id TAG` and nothing else, so none can be said.
fn vlan_options(name: &IfaceName, v: &Vlan, refusals: &mut Refusals) {
    let o = v.options;
    let set = [
        ("protocol", o.protocol.map(|p| p.to_string())),
        ("reorder_hdr", o.reorder_hdr.map(|b| yes_no(b).to_owned())),
        ("gvrp", o.gvrp.map(|b| yes_no(b).to_owned())),
        ("mvrp", o.mvrp.map(|b| yes_no(b).to_owned())),
        (
            "loose_binding",
            o.loose_binding.map(|b| yes_no(b).to_owned()),
        ),
    ];
    for (attr, value) in set {
        if let Some(value) = value {
            refusals.add(
                name,
                format!("<nl:vlan {attr}='{value}'/>"),
                "the vlan package's ifupdown hook creates a vlan from its name and \
                 vlan-raw-device alone, with the kernel's defaults (802.1Q, headers \
                 reordered, no GVRP, MVRP or loose binding), and has no option for any other. \
                 Drop the attribute",
            );
        }
    }
}

/// A vlan's name must say its tag the way ifupdown and the vlan package read it.
fn vlan_name(name: &IfaceName, v: &Vlan, refusals: &mut Refusals) {
    leading_dash(name, "vlan", refusals);
    if v.tag.get() == 0 {
        refusals.add(
            name,
            "<vlan tag='0'>".to_owned(),
            "the vlan package strips leading zeros from the tag it reads in the name, which \
             leaves nothing of tag 0, and ifupdown has no other way to give a tag",
        );
        return;
    }
    let tag = v.tag.get();
    let setting = || format!("<interface type='vlan' name='{name}'> with <vlan tag='{tag}'>");
    if name.as_str() == format!("vlan{tag}") {
        return;
    }
    if name.as_str() == format!("{}.{tag}", v.parent) {
        if v.parent.as_str().contains('.') {
            refusals.add(
                name,
                setting(),
                &format!(
                    "ifupdown splits a name at its first dot into parent and tag, so it would \
                     create '{name}' with the wrong tag on the wrong parent. Name it 'vlan{tag}'"
                ),
            );
        }
        return;
    }
    refusals.add(
        name,
        setting(),
        &format!(
            "ifupdown (for names with a dot) and the vlan package (for vlanN) take the tag, \
             and for PARENT.TAG the parent, from the name alone, written in plain decimal. \
             Name it '{}.{tag}' or 'vlan{tag}'",
            v.parent
        ),
    );
}

/// Names of devices that are not vlans: no dot, which would make them one to ifupdown.
fn plain_name(name: &IfaceName, type_name: &str, refusals: &mut Refusals) {
    leading_dash(name, type_name, refusals);
    if name.as_str().contains('.') {
        refusals.add(
            name,
            format!("<interface type='{type_name}' name='{name}'>"),
            "ifupdown treats every interface name with a dot as a VLAN PARENT.TAG: ifup \
             creates a VLAN device when PARENT exists and ifdown runs `ip link del NAME`. \
             Rename the device without a dot",
        );
    }
}

fn leading_dash(name: &IfaceName, type_name: &str, refusals: &mut Refusals) {
    if name.as_str().starts_with('-') {
        refusals.add(
            name,
            format!("<interface type='{type_name}' name='{name}'>"),
            "ifupdown and its helpers pass names as bare arguments (`brctl addbr NAME`, \
             `ifup NAME`, `ip link set NAME down`), where a leading '-' reads as an option. \
             Rename the device",
        );
    }
}

#[cfg(test)]
mod tests;
