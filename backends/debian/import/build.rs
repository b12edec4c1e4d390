//! The model from what [`super::Read`] gathered: a top-level interface with its addressing,
//! and its kind's settings with its ports and slaves, each value read by the model's own
//! parser so a bad one is reported where it is written.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::hash::Hash;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{At, Kind, Problems, Read, Stanza, Val, link_key};
use crate::backend::NoteKind;
use crate::model::{
    AgeingTime, ArpValidate, Arpmon, BOND_OPTION_NAMES, Bond, BondMode, BondMonitor, BondOption,
    BondOptions, Bridge, BridgeOptions, Carrier, Dhcp, DriverOption, Ethernet, ForwardDelay,
    HelloTime, IfaceName, Interface, InterfaceKind, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6,
    Ipv6Address, Ipv6Prefix, MacAddr, MaxAge, Miimon, Mtu, Port, PortKind, Slave, StartMode,
    ValueError, Vlan, VlanTag, one_of, parse_arp_target, parse_host_ipv4, parse_host_ipv6,
    parse_uint,
};

impl<'g> Read<'g> {
    /// A top-level interface.
    pub(super) fn interface(&self, g: usize, p: &mut Problems) -> Option<Interface> {
        let first = self.first(g)?;
        let at = first.at(first.name);
        let name = p.parse_at(self.name(g), at, "interface name", IfaceName::parse)?;
        self.visited.borrow_mut().push(g);
        self.stanzas_ok(g, None, p);
        let start = if self.onboot.contains(name.as_str()) {
            StartMode::OnBoot
        } else if self.hotplug.contains(name.as_str()) {
            StartMode::Hotplug
        } else {
            StartMode::None
        };
        let mtu_val = self.link(g, "mtu");
        let mtu = mtu_val.and_then(|v| p.parse(v, "mtu", Mtu::parse));
        let mut ipv4 = self.ipv4(g, p);
        let mut ipv6 = self.ipv6(g, &name, p);
        self.routes_and_dns(g, &name, &mut ipv4, &mut ipv6, p);
        if let (Some(m), Some(v), Some(_)) = (mtu, mtu_val, &ipv6)
            && m.get() < Mtu::MIN_IPV6
        {
            let min = Mtu::MIN_IPV6;
            let why = format!("the minimum for IPv6, and '{name}' has inet6 stanzas");
            p.at(v.at(), format!("MTU {m} is below {min}, {why}"));
        }
        let kind = match self.kinds[g] {
            Kind::Ethernet => InterfaceKind::Ethernet(self.ethernet(g, p)),
            Kind::Bond => InterfaceKind::Bond(self.bond(g, p)?),
            Kind::Bridge => InterfaceKind::Bridge(self.bridge(g, p)?),
            Kind::Vlan => InterfaceKind::Vlan(self.vlan(&name, at, Some(g), p)?),
        };
        self.inherited_mtu(g, mtu_val);
        let start = Some(start);
        Some(Interface {
            name,
            // ifupdown keeps no UUID.
            uuid: None,
            start,
            mtu,
            ipv4,
            ipv6,
            kind,
        })
    }

    /// Marks as read the `mtu` of every port and slave under top-level interface `g` that
    /// says `g`'s own: the XML says it once, on the interface, and every backend repeats it
    /// on the ports (a port with another MTU breaks its bridge). One that differs stays a
    /// note: the XML has no place for it.
    fn inherited_mtu(&self, g: usize, mtu: Option<Val<'g>>) {
        let Some(mtu) = mtu else { return };
        let visited = self.visited.borrow();
        let Some(from) = visited.iter().rposition(|&v| v == g) else {
            return;
        };
        for &m in &visited[from + 1..] {
            let repeated = self.stanzas(m).flat_map(|s| &s.opts);
            for o in repeated.filter(|o| o.key == "mtu" && o.val.text() == mtu.text()) {
                o.used.set(true);
            }
        }
    }

    /// Checks every stanza's family and method, that a port or slave (part of `master`)
    /// has no addressing, and that no link option is given twice with different values.
    /// The interface is built all the same, so its other problems are reported too.
    fn stanzas_ok(&self, g: usize, master: Option<&str>, p: &mut Problems) {
        for s in self.stanzas(g) {
            let (family, method) = (s.family.text.as_str(), s.method.text.as_str());
            let methods: &[&str] = match family {
                "inet" => &["static", "dhcp", "manual"],
                "inet6" => &["static", "dhcp", "auto", "manual"],
                _ => {
                    let why = format!("expected {}", one_of(["inet", "inet6"]));
                    p.at(
                        s.at(s.family),
                        format!("unsupported address family '{family}': {why}"),
                    );
                    continue;
                }
            };
            if !methods.contains(&method) {
                let expected = one_of(methods.iter().copied());
                let why = format!("expected {expected} (loopback stanzas are skipped)");
                p.at(
                    s.at(s.method),
                    format!("unsupported {family} method '{method}': {why}"),
                );
            } else if let (Some(master), false) = (master, method == "manual") {
                let name = &s.name.text;
                let why = "which gives it its addressing; expected 'manual'";
                p.at(
                    s.at(s.method),
                    format!("'{name}' is part of '{master}', {why}"),
                );
            }
        }
        // Each link option against the first of its key, in one pass.
        let mut firsts: HashMap<&str, Val> = HashMap::new();
        for o in self.stanzas(g).flat_map(|s| &s.opts) {
            let (key, v) = (&o.key, &o.val);
            if !link_key(key) {
                continue;
            }
            let first = *firsts.entry(key.as_ref()).or_insert(*v);
            if first.text() != v.text() {
                let note = Some(format!("first given at {}", p.location(first.at())));
                p.add(
                    v.at(),
                    format!("{key} is given again with another value"),
                    note,
                );
            }
        }
    }

    pub(super) fn family(
        &self,
        g: usize,
        family: &'static str,
    ) -> impl Iterator<Item = &Stanza<'g>> {
        self.stanzas(g).filter(move |s| s.family.text == family)
    }

    fn ipv4(&self, g: usize, p: &mut Problems) -> Option<Ipv4> {
        let mut v4 = Ipv4::default();
        let mut addresses = Addresses::default();
        for s in self.family(g, "inet") {
            match s.method.text.as_str() {
                "static" => {
                    V4.stanza_address(s, &mut addresses, p);
                    gateway(s, &mut v4.gateway, V4.addr, p);
                }
                "dhcp" => v4.dhcp = Some(Dhcp::default()),
                _ => {}
            }
        }
        v4.addresses = (addresses.list.into_iter())
            .map(|(address, prefix)| Ipv4Address { address, prefix })
            .collect();
        (v4.dhcp.is_some() || !v4.addresses.is_empty()).then_some(v4)
    }

    fn ipv6(&self, g: usize, name: &IfaceName, p: &mut Problems) -> Option<Ipv6> {
        let mut v6 = Ipv6::default();
        let mut addresses = Addresses::default();
        let hook = format!("echo 0 > /proc/sys/net/ipv6/conf/{name}/autoconf");
        let add = ["/sbin/ifconfig", name.as_str(), "inet6", "add"];
        let mut present = false;
        for s in self.family(g, "inet6") {
            present = true;
            let hook_words: Vec<&str> = hook.split(' ').collect();
            let mut hooked = false;
            for o in s.each("pre-up") {
                if o.val.words().map(|w| w.0).eq(hook_words.iter().copied()) {
                    o.used.set(true);
                    hooked = true;
                }
            }
            let flag = |p: &mut Problems| {
                let binary = |t: &str| match t {
                    "0" | "1" => Ok(t == "1"),
                    _ => Err(ValueError("expected 0 or 1".into())),
                };
                s.opt("autoconf")
                    .and_then(|v| p.parse(v, "autoconf", binary))
            };
            // ifupdown applies the stanzas in order, so the last one's autoconf stands.
            v6.autoconf = match s.method.text.as_str() {
                "static" => {
                    V6.stanza_address(s, &mut addresses, p);
                    gateway(s, &mut v6.gateway, V6.addr, p);
                    flag(p).unwrap_or(false)
                }
                "dhcp" => {
                    v6.dhcp = Some(Dhcp::default());
                    flag(p).unwrap_or(!hooked)
                }
                "auto" => s.opt("accept-ra").is_none_or(|v| v.text() != "0"),
                _ => !hooked,
            };
            // netcf's further addresses: `up /sbin/ifconfig NAME inet6 add A/P`.
            for o in s.each("up") {
                let v = o.val;
                let words: Vec<(&str, At)> = v.words().collect();
                if let [command @ .., (text, _)] = words.as_slice()
                    && command.iter().map(|w| w.0).eq(add)
                {
                    o.used.set(true);
                    let start = v.text().len() - text.len();
                    V6.address(v, start, None, &mut addresses, p);
                }
            }
        }
        v6.addresses = (addresses.list.into_iter())
            .map(|(address, prefix)| Ipv6Address { address, prefix })
            .collect();
        present.then_some(v6)
    }

    fn ethernet(&self, g: usize, p: &mut Problems) -> Ethernet {
        let mut words = self.link(g, "hwaddress").into_iter().flat_map(Val::words);
        let mac = match words.find(|w| w.0 != "ether") {
            Some(("random", _)) | None => None,
            Some((w, at)) => p.parse_at(w, at, "hwaddress", MacAddr::parse),
        };
        Ethernet {
            mac,
            link: None,
            cloned_mac: Default::default(),
        }
    }

    fn bond(&self, g: usize, p: &mut Problems) -> Option<Bond> {
        let name = self.name(g);
        let mut slaves = self.bond_slaves(g, p);
        let mode = self.parse(g, "bond-mode", BondMode::parse_driver, p);
        let monitor = self.bond_monitor(g, p)?;
        if slaves.is_empty() {
            let first = self.first(g)?;
            let list = self.link(g, "bond-slaves").or(self.link(g, "slaves"));
            let at = list.map_or(first.at(first.name), Val::at);
            p.at(
                at,
                format!("bond '{name}' has no slaves; interface XML needs at least one"),
            );
            return None;
        }
        let options = self.bond_options(g, mode, p)?;
        self.primary_first(g, &mut slaves);
        Some(Bond {
            mode,
            monitor,
            slaves,
            link: None,
            options,
        })
    }

    /// The bond's slaves, each with its MAC when a `.link` file of netloom's names the
    /// slave by it; a slave's own stanzas are checked as a part of the bond.
    fn bond_slaves(&self, g: usize, p: &mut Problems) -> Vec<Slave> {
        let name = self.name(g);
        let mut slaves = Vec::new();
        for m in &self.members[g] {
            if let Some(h) = m.group {
                self.visited.borrow_mut().push(h);
                self.stanzas_ok(h, Some(name), p);
            }
            let ethernet = Ethernet {
                mac: self.links.get(m.name.as_str()).copied(),
                ..Ethernet::default()
            };
            slaves.push(Slave {
                name: m.name.clone(),
                ethernet,
            });
        }
        slaves
    }

    /// The bond's one link monitor, MII or ARP, or none; `None` when the bond cannot be
    /// read because the monitor's own value is bad (already reported).
    fn bond_monitor(&self, g: usize, p: &mut Problems) -> Option<Option<BondMonitor>> {
        Some(
            match (
                self.link(g, "bond-miimon"),
                self.link(g, "bond-arp-interval"),
            ) {
                (Some(m), Some(a)) if m.text() != "0" => {
                    let note = Some(format!("bond-miimon is at {}", p.location(m.at())));
                    let message = "a bond has one link monitor: bond-miimon or bond-arp-interval";
                    p.add(a.at(), message, note);
                    None
                }
                (Some(_), None) => Some(BondMonitor::Mii(Miimon {
                    freq: self.parse(g, "bond-miimon", uint, p)?,
                    downdelay: self.parse(g, "bond-downdelay", uint, p),
                    updelay: self.parse(g, "bond-updelay", uint, p),
                    carrier: self.parse(g, "bond-use-carrier", Carrier::parse_driver, p),
                })),
                (_, Some(a)) => {
                    if self.link(g, "bond-arp-ip-target").is_none() {
                        p.at(
                            a.at(),
                            "bond-arp-interval needs a bond-arp-ip-target to probe",
                        );
                    }
                    Some(BondMonitor::Arp(Arpmon {
                        interval: self.parse(g, "bond-arp-interval", uint, p)?,
                        target: self.parse(g, "bond-arp-ip-target", parse_arp_target, p)?,
                        validate: self.parse(g, "bond-arp-validate", ArpValidate::parse_driver, p),
                    }))
                }
                (None, None) => None,
            },
        )
    }

    /// ifenslave makes the first name in bond-primary that is a slave the primary, which
    /// interface XML says by putting it first.
    fn primary_first(&self, g: usize, slaves: &mut Vec<Slave>) {
        let mut primary = self
            .link(g, "bond-primary")
            .into_iter()
            .flat_map(Val::words);
        let index: HashMap<&str, usize> = (slaves.iter().enumerate())
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        if let Some(i) = primary.find_map(|(w, _)| index.get(w).copied()) {
            let first = slaves.remove(i);
            slaves.insert(0, first);
        }
    }

    /// The driver options ifenslave writes to sysfs beyond the mode and monitor; one the
    /// bond's mode does not take the kernel refuses, so it is noted, not read.
    fn bond_options(
        &self,
        g: usize,
        mode: Option<BondMode>,
        p: &mut Problems,
    ) -> Option<BondOptions> {
        let mut o = BondOptions::default();
        for opt in BondOption::ALL {
            let driver = opt.driver_name();
            if !BOND_OPTION_NAMES.contains(&driver) {
                continue;
            }
            let Some(key) = crate::backends::debian::render::ifupdown_key(*opt) else {
                continue;
            };
            // ifenslave writes num_grat_arp, then num_unsol_na, to one sysfs value: the
            // second wins.
            if *opt == BondOption::NumGratArp
                && let Some(v) = self.link(g, "bond-num-unsol-na")
            {
                if let Some(shadowed) = self.link(g, key) {
                    let message = format!(
                        "{key} is not imported: bond-num-unsol-na sets the same value of the \
                         driver, after it"
                    );
                    p.note(shadowed.at(), NoteKind::NotImported, message);
                }
                self.read_bond_option(&mut o, "num_unsol_na", "bond-num-unsol-na", v, mode, p)?;
                continue;
            }
            if let Some(v) = self.link(g, key) {
                self.read_bond_option(&mut o, driver, key, v, mode, p)?;
            }
        }
        Some(o)
    }

    fn read_bond_option(
        &self,
        o: &mut BondOptions,
        driver: &str,
        key: &str,
        v: Val,
        mode: Option<BondMode>,
        p: &mut Problems,
    ) -> Option<()> {
        // ifenslave writes the value to sysfs, where the kernel also takes tlb_dynamic_lb's
        // names.
        let value = match (driver, v.text()) {
            ("tlb_dynamic_lb", "on") => "1",
            ("tlb_dynamic_lb", "off") => "0",
            (_, text) => text,
        };
        match o.read_driver(driver, value, mode) {
            Ok(DriverOption::Read | DriverOption::NotAnOption) => Some(()),
            Ok(DriverOption::Dropped(why)) => {
                let message = format!(
                    "{key} is kept in the file but not imported: {why}, and the kernel refuses \
                     it there"
                );
                p.note(v.at(), NoteKind::NotImported, message);
                Some(())
            }
            Err(e) => {
                p.at(v.at(), format!("invalid {key} '{}': {e}", v.text()));
                None
            }
        }
    }

    fn bridge(&self, g: usize, p: &mut Problems) -> Option<Bridge> {
        // Without the option, bridge-utils leaves the kernel's default: STP off.
        let stp = self.parse(g, "bridge-stp", on_off, p).or(Some(false));
        let delay = self.parse(g, "bridge-fd", ForwardDelay::parse, p);
        // bridge-utils sets these with brctl whatever STP is.
        let options = BridgeOptions {
            priority: self.parse(g, "bridge-bridgeprio", BridgeOptions::parse_priority, p),
            hello_time: self.parse(g, "bridge-hello", HelloTime::parse, p),
            max_age: self.parse(g, "bridge-maxage", MaxAge::parse, p),
            ageing_time: self.parse(g, "bridge-ageing", AgeingTime::parse, p),
            multicast_snooping: None,
        };
        let mut ports = Vec::new();
        for m in &self.members[g] {
            if let Some(h) = m.group {
                self.visited.borrow_mut().push(h);
                self.stanzas_ok(h, Some(self.name(g)), p);
            }
            let kind = match m.group.map(|h| (h, self.kinds[h])) {
                Some((h, Kind::Ethernet)) => PortKind::Ethernet(self.ethernet(h, p)),
                Some((h, Kind::Bond)) => PortKind::Bond(self.bond(h, p)?),
                Some((h, Kind::Vlan)) => PortKind::Vlan(self.vlan(&m.name, m.at, Some(h), p)?),
                // Refused when it was claimed.
                Some((_, Kind::Bridge)) => continue,
                // bridge-utils creates a dotted port as a vlan itself.
                None if m.name.as_str().contains('.') => {
                    PortKind::Vlan(self.vlan(&m.name, m.at, None, p)?)
                }
                None => PortKind::Ethernet(Ethernet::default()),
            };
            ports.push(Port {
                name: m.name.clone(),
                kind,
            });
        }
        // What netloom writes so ifupdown brings a port with a stanza of its own up with
        // the bridge: the order of bringing up, which the model holds as the ports.
        let port_names: HashSet<&str> = self.members[g].iter().map(|m| m.name.as_str()).collect();
        for s in self.stanzas(g) {
            for (key, verb) in [("pre-up", "ifup"), ("post-down", "ifdown")] {
                for o in s.each(key) {
                    let words: Vec<&str> = o.val.words().map(|w| w.0).collect();
                    if let [v, port] = words.as_slice()
                        && *v == verb
                        && port_names.contains(port)
                    {
                        o.used.set(true);
                    }
                }
            }
        }
        Some(Bridge {
            stp,
            delay,
            ports,
            options,
        })
    }

    /// A link option parsed by a model parser.
    fn parse<T>(
        &self,
        g: usize,
        key: &str,
        f: fn(&str) -> Result<T, ValueError>,
        p: &mut Problems,
    ) -> Option<T> {
        self.link(g, key).and_then(|v| p.parse(v, key, f))
    }

    /// A vlan's tag and parent, from its name (at `at`) and `vlan-raw-device` of group `g`.
    fn vlan(&self, name: &IfaceName, at: At, g: Option<usize>, p: &mut Problems) -> Option<Vlan> {
        let raw = g.and_then(|g| self.link(g, "vlan-raw-device"));
        let (before_dot, tag) = match name.as_str().rsplit_once('.') {
            Some((parent, tag)) => (Some(parent), Some(tag)),
            None => (None, name.as_str().strip_prefix("vlan")),
        };
        let Some(tag) = tag.and_then(|t| VlanTag::parse(t).ok()) else {
            let why = "ifupdown and the vlan package read it from the name, PARENT.TAG or vlanTAG";
            p.at(at, format!("cannot tell the tag of vlan '{name}': {why}"));
            return None;
        };
        let parent = match (raw, before_dot) {
            (Some(v), _) => p.parse(v, "vlan-raw-device", IfaceName::parse)?,
            (None, Some(parent)) => p.parse_at(parent, at, "vlan parent", IfaceName::parse)?,
            (None, None) => {
                p.at(
                    at,
                    format!("cannot tell the parent of vlan '{name}': it has no vlan-raw-device"),
                );
                return None;
            }
        };
        if &parent == name {
            let at = raw.map_or(at, Val::at);
            p.at(at, format!("vlan '{name}' cannot be its own parent device"));
            return None;
        }
        Some(Vlan {
            tag,
            parent,
            link: None,
            options: Default::default(),
        })
    }
}

/// How one address family's addresses and prefixes are read.
struct Family<A, P> {
    addr: fn(&str) -> Result<A, ValueError>,
    prefix: fn(&str) -> Result<P, ValueError>,
    /// `netmask`: dotted or a length for IPv4, a length for IPv6 (netcf wrote those).
    netmask: fn(&str) -> Result<P, ValueError>,
    /// What ifupdown takes without either: the class's netmask, or one host's /128.
    default: fn(A) -> P,
}

const V4: Family<Ipv4Addr, Ipv4Prefix> = Family {
    addr: parse_host_ipv4,
    prefix: Ipv4Prefix::parse,
    netmask: netmask_prefix,
    default: Ipv4Prefix::classful,
};

const V6: Family<Ipv6Addr, Ipv6Prefix> = Family {
    addr: parse_host_ipv6,
    prefix: Ipv6Prefix::parse,
    netmask: Ipv6Prefix::parse,
    default: |_| Ipv6Prefix::HOST,
};

/// Addresses in the order given, each once: a set beside the list, so that 10,000 stanzas
/// of one interface are checked for repeats in linear time.
struct Addresses<A, P> {
    list: Vec<(A, Option<P>)>,
    seen: HashSet<A>,
}

impl<A, P> Default for Addresses<A, P> {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            seen: HashSet::new(),
        }
    }
}

impl<A: Copy + Eq + Hash + Display, P: PartialEq> Family<A, P> {
    /// The `address` of a static stanza, with `netmask` when it has no prefix.
    fn stanza_address(&self, s: &Stanza, out: &mut Addresses<A, P>, p: &mut Problems) {
        match s.opt("address") {
            Some(v) => self.address(v, 0, s.opt("netmask"), out, p),
            None => {
                let (family, method) = (&s.family.text, &s.method.text);
                p.at(
                    s.at(s.method),
                    format!("an '{family} {method}' stanza needs an address"),
                );
            }
        }
    }

    /// `A/P` or `A` from byte `start` of `v` to its end, appended to `out` unless it is
    /// there already.
    fn address(
        &self,
        v: Val,
        start: usize,
        netmask: Option<Val>,
        out: &mut Addresses<A, P>,
        p: &mut Problems,
    ) {
        let text = v.text().get(start..).unwrap_or_default();
        let (addr, prefix) = text
            .split_once('/')
            .map_or((text, None), |(a, b)| (a, Some(b)));
        let at = v.at_offset(start);
        let Some(address) = p.parse_at(addr, at, "address", self.addr) else {
            return;
        };
        let prefix = match (prefix, netmask) {
            (Some(pfx), _) => {
                let at = v.at_offset(start + addr.len() + 1);
                p.parse_at(pfx, at, "prefix length", self.prefix).map(Some)
            }
            (None, Some(m)) => p.parse(m, "netmask", self.netmask).map(Some),
            (None, None) => Some(Some((self.default)(address))),
        };
        let Some(prefix) = prefix else { return };
        // ifupdown takes one address in two stanzas (the second adds nothing): so does
        // netloom, once. Given again with another prefix, it is one more address the model
        // cannot hold beside the first.
        if out.seen.insert(address) {
            out.list.push((address, prefix));
        } else if !out.list.iter().any(|(a, p)| *a == address && *p == prefix) {
            let message = format!(
                "address {text} is kept in the file but not imported: {address} is given before \
                 with another prefix, and interface XML holds an address once"
            );
            p.note(at, NoteKind::NotImported, message);
        }
    }
}

/// The `gateway` of a static stanza into `slot`: one per family, as the model has.
fn gateway<A: PartialEq + Display>(
    s: &Stanza,
    slot: &mut Option<A>,
    parse: fn(&str) -> Result<A, ValueError>,
    p: &mut Problems,
) {
    let Some(v) = s.opt("gateway") else { return };
    let Some(gw) = p.parse(v, "gateway", parse) else {
        return;
    };
    match slot {
        Some(first) if *first != gw => {
            let why = "interface XML has one default route per family";
            p.at(
                v.at(),
                format!("a second gateway {gw} after {first}; {why}"),
            );
        }
        Some(_) => {}
        None => *slot = Some(gw),
    }
}

fn uint(v: &str) -> Result<u32, ValueError> {
    parse_uint(v).ok_or_else(|| ValueError("expected a whole number".into()))
}

fn on_off(v: &str) -> Result<bool, ValueError> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "yes" => Ok(true),
        "off" | "no" => Ok(false),
        _ => Err(ValueError(format!(
            "expected {}",
            one_of(["on", "off", "yes", "no"])
        ))),
    }
}

/// A dotted netmask, or a prefix length, as a prefix; refused unless its ones are
/// contiguous.
fn netmask_prefix(v: &str) -> Result<Ipv4Prefix, ValueError> {
    if !v.contains('.') {
        return Ipv4Prefix::parse(v);
    }
    Ipv4Prefix::from_netmask(v)
        .map_err(|_| ValueError("expected a netmask like 255.255.255.0 or a prefix length".into()))
}
