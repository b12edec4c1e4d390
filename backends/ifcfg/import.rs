//! ifcfg files back into the model (netcf's dumpxml): the top-level devices, with their ports
//! and slaves found through `BRIDGE=` and `MASTER=`.

use std::collections::{BTreeSet, HashMap};

use super::parse::{self, IfcfgFile};
use crate::backend::{BackendError, Snapshot};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{
    ArpValidate, Arpmon, Bond, BondMode, BondMonitor, Bridge, Carrier, Dhcp, Ethernet,
    ForwardDelay, Host, IfaceName, Interface, InterfaceKind, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6,
    Ipv6Address, Ipv6Prefix, MacAddr, Miimon, Mtu, Port, PortKind, Slave, StartMode, ValueError,
    Vlan, VlanTag, parse_arp_target, parse_host_ipv4, parse_host_ipv6, parse_uint,
};
use crate::source::SourceFile;

/// What kind of device a file describes, judged as NetworkManager's ifcfg-rh does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ethernet,
    Bond,
    Vlan,
    Bridge,
}

struct Importer<'a, 's> {
    /// One file per device, in path order.
    files: Vec<&'a IfcfgFile<'s>>,
    /// The files naming each master in `MASTER=` and in `BRIDGE=`, in path order.
    slaves_of: HashMap<&'a str, Vec<&'a IfcfgFile<'s>>>,
    ports_of: HashMap<&'a str, Vec<&'a IfcfgFile<'s>>>,
    /// The first of `files` configuring each device, for `import NAME`.
    by_device: HashMap<&'a IfaceName, &'a IfcfgFile<'s>>,
    problems: Vec<Diagnostic>,
    /// Each file with a problem, positioned once for all of its problems.
    sources: HashMap<&'s str, SourceFile>,
}

pub(super) fn import(existing: &Snapshot, names: &[IfaceName]) -> Result<Host, BackendError> {
    let all = parse::Files::read(existing)?;
    // One file per device: where several claim a device, the lookup rules pick one (netcf's
    // `ifcfg-by-hwaddr` over its decoy).
    let devices: BTreeSet<&IfaceName> = all.list.iter().filter_map(|f| f.device.as_ref()).collect();
    let mut files: Vec<&IfcfgFile> = devices.into_iter().filter_map(|d| all.lookup(d)).collect();
    files.sort_by(|a, b| a.path.cmp(b.path));
    files.dedup_by(|a, b| a.path == b.path);
    let mut slaves_of: HashMap<&str, Vec<&IfcfgFile>> = HashMap::new();
    let mut ports_of: HashMap<&str, Vec<&IfcfgFile>> = HashMap::new();
    let mut problems = Vec::new();
    // A file found by its name for one device may name another in DEVICE= that has a file
    // of its own: read as both, the device would be in the host twice.
    let mut configured: HashMap<&IfaceName, &str> = HashMap::new();
    for f in &files {
        if let Some(d) = &f.device
            && let Some(first) = configured.insert(d, f.path)
        {
            let message =
                format!("'{d}' is configured by {first} too; a device has one ifcfg file");
            problems.push(f.problem("DEVICE", message));
        }
    }
    for f in &files {
        match (f.get("MASTER"), f.get("BRIDGE")) {
            // Read as both, the device would be in the host twice.
            (Some(m), Some(b)) => problems.push(f.problem(
                "BRIDGE",
                format!(
                    "this device is a slave of '{m}' (MASTER) and a port of '{b}' (BRIDGE); \
                     a device has one master"
                ),
            )),
            (Some(m), None) => slaves_of.entry(m).or_default().push(f),
            (None, Some(b)) => ports_of.entry(b).or_default().push(f),
            (None, None) => {}
        }
    }
    let mut by_device = HashMap::with_capacity(files.len());
    for f in &files {
        if let Some(d) = &f.device {
            by_device.entry(d).or_insert(*f);
        }
    }
    let mut im = Importer {
        files,
        slaves_of,
        ports_of,
        by_device,
        problems,
        sources: HashMap::new(),
    };
    let tops: Vec<&IfcfgFile<'_>> = if names.is_empty() {
        im.files
            .iter()
            .copied()
            .filter(|f| f.get("MASTER").is_none() && f.get("BRIDGE").is_none())
            .collect()
    } else {
        names.iter().filter_map(|n| im.named_top(n)).collect()
    };
    let interfaces = tops.into_iter().filter_map(|f| im.interface(f)).collect();
    if im.problems.is_empty() {
        Ok(Host { interfaces })
    } else {
        Err(BackendError::Invalid(Diagnostics(im.problems)))
    }
}

fn yes(v: Option<&str>) -> bool {
    v.is_some_and(|v| {
        ["yes", "y", "true", "1", "on"]
            .iter()
            .any(|y| v.eq_ignore_ascii_case(y))
    })
}

/// The files that name `master` in an index built from `MASTER=` or `BRIDGE=`, in file
/// order.
fn members<'a, 's>(
    index: &HashMap<&str, Vec<&'a IfcfgFile<'s>>>,
    master: &IfaceName,
) -> Vec<&'a IfcfgFile<'s>> {
    index.get(master.as_str()).cloned().unwrap_or_default()
}

/// Whether the value of `key` is `word`, ignoring case.
fn is(f: &IfcfgFile, key: &str, word: &str) -> bool {
    f.get(key).is_some_and(|v| v.eq_ignore_ascii_case(word))
}

impl<'a, 's> Importer<'a, 's> {
    fn named_top(&mut self, name: &IfaceName) -> Option<&'a IfcfgFile<'s>> {
        let Some(f) = self.by_device.get(name).copied() else {
            self.problems.push(Diagnostic::new(
                super::DIR,
                None,
                format!("no ifcfg file configures '{name}'"),
            ));
            return None;
        };
        if let Some(master) = f.get("MASTER").or(f.get("BRIDGE")) {
            self.report(
                f,
                if f.get("MASTER").is_some() {
                    "MASTER"
                } else {
                    "BRIDGE"
                },
                format!("'{name}' is part of '{master}'; name '{master}' instead"),
            );
            return None;
        }
        Some(f)
    }

    /// Parses the value of `key` with a model parser; a bad value is reported at the key.
    fn value<T>(
        &mut self,
        f: &IfcfgFile<'s>,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        let raw = f.get(key)?;
        match parse(raw.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.report(f, key, format!("invalid {key} '{raw}': {e}"));
                None
            }
        }
    }

    fn kind(&self, f: &IfcfgFile<'s>) -> Kind {
        let is_master = f
            .device
            .as_ref()
            .is_some_and(|d| self.slaves_of.contains_key(d.as_str()));
        if is(f, "TYPE", "bridge") {
            Kind::Bridge
        } else if yes(f.get("VLAN")) || is(f, "TYPE", "vlan") {
            Kind::Vlan
        } else if f.get("BONDING_OPTS").is_some()
            || yes(f.get("BONDING_MASTER"))
            || is(f, "TYPE", "bond")
            || is_master
        {
            Kind::Bond
        } else {
            Kind::Ethernet
        }
    }

    fn interface(&mut self, f: &'a IfcfgFile<'s>) -> Option<Interface> {
        let name = f.device.clone()?;
        let start = if yes(f.get("ONBOOT")) {
            Some(StartMode::OnBoot)
        } else if f.get("ONBOOT").is_some() && yes(f.get("HOTPLUG")) {
            Some(StartMode::Hotplug)
        } else {
            f.get("ONBOOT").map(|_| StartMode::None)
        };
        let mtu = self.value(f, "MTU", Mtu::parse);
        let ipv4 = self.ipv4(f);
        let ipv6 = self.ipv6(f);
        if let (Some(m), Some(_)) = (mtu, &ipv6)
            && m.get() < Mtu::MIN_IPV6
        {
            let min = Mtu::MIN_IPV6;
            let why = format!("MTU {m} is below {min}, the minimum for IPv6, and IPV6INIT=yes");
            self.report(f, "MTU", why);
        }
        let kind = match self.kind(f) {
            Kind::Ethernet => InterfaceKind::Ethernet(self.ethernet(f)),
            Kind::Bond => InterfaceKind::Bond(self.bond(f, &name)?),
            Kind::Vlan => InterfaceKind::Vlan(self.vlan(f, &name)?),
            Kind::Bridge => InterfaceKind::Bridge(self.bridge(f, &name)?),
        };
        Some(Interface {
            name,
            start,
            mtu,
            ipv4,
            ipv6,
            kind,
        })
    }

    fn ethernet(&mut self, f: &IfcfgFile<'s>) -> Ethernet {
        Ethernet {
            mac: self.value(f, "HWADDR", MacAddr::parse),
            link: None,
        }
    }

    fn bond(&mut self, f: &IfcfgFile<'s>, name: &IfaceName) -> Option<Bond> {
        let opts = parse::bond_opts(f.get("BONDING_OPTS").unwrap_or_default());
        let opt = |k: &str| {
            opts.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let mode = match opt("mode") {
            Some(m) => Some(self.checked(f, "mode", BondMode::parse_driver(m))?),
            None => None,
        };
        let num = |k: &str| {
            opt(k)
                .map(|v| parse_uint(v).ok_or_else(|| ValueError("expected a whole number".into())))
        };
        let monitor = if let Some(freq) = num("miimon") {
            let carrier = match opt("use_carrier") {
                Some(c) => Some(self.checked(f, "use_carrier", Carrier::parse_driver(c))?),
                None => None,
            };
            let freq = self.checked(f, "miimon", freq)?;
            let downdelay = match num("downdelay") {
                Some(d) => Some(self.checked(f, "downdelay", d)?),
                None => None,
            };
            let updelay = match num("updelay") {
                Some(d) => Some(self.checked(f, "updelay", d)?),
                None => None,
            };
            Some(BondMonitor::Mii(Miimon {
                freq,
                downdelay,
                updelay,
                carrier,
            }))
        } else if let Some(interval) = num("arp_interval") {
            let target = parse_arp_target(opt("arp_ip_target").unwrap_or_default());
            let interval = self.checked(f, "arp_interval", interval)?;
            let target = self.checked(f, "arp_ip_target", target)?;
            let validate = match opt("arp_validate") {
                Some(v) => Some(self.checked(f, "arp_validate", ArpValidate::parse_driver(v))?),
                None => None,
            };
            Some(BondMonitor::Arp(Arpmon {
                interval,
                target,
                validate,
            }))
        } else {
            None
        };
        let mut members = members(&self.slaves_of, name);
        // The primary is listed first: in the XML, order is what says it.
        if let Some(primary) = opt("primary") {
            members.sort_by_key(|m| m.device.as_ref().map(|d| d.as_str()) != Some(primary));
        }
        let slaves = members
            .into_iter()
            .filter_map(|m| {
                Some(Slave {
                    name: m.device.clone()?,
                    ethernet: self.ethernet(m),
                })
            })
            .collect::<Vec<_>>();
        if slaves.is_empty() {
            return self.refuse(
                f,
                "DEVICE",
                format!("bond '{name}' has no slaves: no ifcfg file has MASTER={name}"),
            );
        }
        Some(Bond {
            mode,
            monitor,
            slaves,
            link: None,
        })
    }

    /// Records a problem at the value of `key` in `f` (at the file's start when it has no
    /// such key).
    fn report(&mut self, f: &IfcfgFile<'s>, key: &str, message: String) {
        let offset = f.shell.offset(key).unwrap_or(0);
        let source = self.sources.entry(f.path).or_insert_with(|| f.source());
        self.problems
            .push(source.diagnostic_in_input(offset, message));
    }

    /// Records a problem with `key` of `f`; `None` for the caller to return.
    fn refuse<T>(&mut self, f: &IfcfgFile<'s>, key: &str, message: String) -> Option<T> {
        self.report(f, key, message);
        None
    }

    /// Reports a bad bond option at `BONDING_OPTS`.
    fn checked<T>(
        &mut self,
        f: &IfcfgFile<'s>,
        option: &str,
        v: Result<T, ValueError>,
    ) -> Option<T> {
        match v {
            Ok(v) => Some(v),
            Err(e) => self.refuse(
                f,
                "BONDING_OPTS",
                format!("invalid bond option '{option}': {e}"),
            ),
        }
    }

    fn vlan(&mut self, f: &IfcfgFile<'s>, name: &IfaceName) -> Option<Vlan> {
        // DEV.TAG names carry both; any other name needs VLAN_ID and PHYSDEV. A tag is never
        // guessed from digits in a name such as "vlan42" (netcf did).
        let dotted = name
            .as_str()
            .rsplit_once('.')
            .and_then(|(dev, tag)| Some((IfaceName::parse(dev).ok()?, VlanTag::parse(tag).ok()?)));
        let tag = match f.get("VLAN_ID") {
            Some(_) => self.value(f, "VLAN_ID", VlanTag::parse)?,
            None => match &dotted {
                Some((_, tag)) => *tag,
                None => {
                    return self.refuse(f, "DEVICE", format!("cannot tell the tag of vlan '{name}': there is no VLAN_ID and the name is not DEVICE.TAG"));
                }
            },
        };
        let parent = match f.get("PHYSDEV") {
            Some(_) => self.value(f, "PHYSDEV", IfaceName::parse)?,
            None => match dotted {
                Some((dev, _)) => dev,
                None => {
                    return self.refuse(f, "DEVICE", format!("cannot tell the parent of vlan '{name}': there is no PHYSDEV and the name is not DEVICE.TAG"));
                }
            },
        };
        if parent == *name {
            let key = if f.get("PHYSDEV").is_some() {
                "PHYSDEV"
            } else {
                "DEVICE"
            };
            return self.refuse(
                f,
                key,
                format!("vlan '{name}' cannot be its own parent device"),
            );
        }
        Some(Vlan {
            tag,
            parent,
            link: None,
        })
    }

    fn bridge(&mut self, f: &IfcfgFile<'s>, name: &IfaceName) -> Option<Bridge> {
        let stp = match f.get("STP").map(str::to_ascii_lowercase).as_deref() {
            Some("on" | "yes") => Some(true),
            Some("off" | "no") => Some(false),
            Some(other) => {
                self.report(
                    f,
                    "STP",
                    format!("invalid STP '{other}': expected 'on' or 'off'"),
                );
                None
            }
            None => None,
        };
        let delay = self.value(f, "DELAY", ForwardDelay::parse);
        let mut ports = Vec::new();
        for m in members(&self.ports_of, name) {
            let Some(port_name) = m.device.clone() else {
                continue;
            };
            let kind = match self.kind(m) {
                Kind::Ethernet => PortKind::Ethernet(self.ethernet(m)),
                Kind::Vlan => PortKind::Vlan(self.vlan(m, &port_name)?),
                Kind::Bond => PortKind::Bond(self.bond(m, &port_name)?),
                Kind::Bridge => {
                    self.report(
                        m,
                        "BRIDGE",
                        format!("bridge '{port_name}' cannot be a port of bridge '{name}'"),
                    );
                    return None;
                }
            };
            ports.push(Port {
                name: port_name,
                kind,
            });
        }
        Some(Bridge { stp, delay, ports })
    }

    fn ipv4(&mut self, f: &IfcfgFile<'s>) -> Option<Ipv4> {
        let dhcp = matches!(
            f.get("BOOTPROTO").map(str::to_ascii_lowercase).as_deref(),
            Some("dhcp" | "bootp")
        )
        .then(|| Dhcp {
            peerdns: f.get("PEERDNS").map(|v| yes(Some(v))),
        });
        // IPADDR, then IPADDR0, IPADDR1, … as NetworkManager orders them.
        let mut indices: Vec<Option<u32>> = f
            .shell
            .entries()
            .filter_map(|(k, _)| parse::index_of(k, "IPADDR"))
            .collect();
        indices.sort();
        indices.dedup();
        let mut addresses = Vec::new();
        for i in indices {
            let key = |base: &str| i.map_or_else(|| base.to_owned(), |n| format!("{base}{n}"));
            let Some(address) = self.value(f, &key("IPADDR"), parse_host_ipv4) else {
                continue;
            };
            let prefix = if f.get(&key("PREFIX")).is_some() {
                self.value(f, &key("PREFIX"), Ipv4Prefix::parse)
            } else {
                self.value(f, &key("NETMASK"), Ipv4Prefix::from_netmask)
            };
            addresses.push(Ipv4Address { address, prefix });
        }
        let gateway_key = if f.get("GATEWAY").is_some() {
            "GATEWAY"
        } else {
            "GATEWAY0"
        };
        let gateway = self.value(f, gateway_key, parse_host_ipv4);
        // `BOOTPROTO=none` alone is what render writes for an empty `<protocol
        // family='ipv4'/>`: reading it back as one keeps render, import, render a fixed point.
        let said = f.get("BOOTPROTO").is_some();
        (said || dhcp.is_some() || !addresses.is_empty() || gateway.is_some()).then_some(Ipv4 {
            dhcp,
            addresses,
            gateway,
        })
    }

    fn ipv6(&mut self, f: &IfcfgFile<'s>) -> Option<Ipv6> {
        if !yes(f.get("IPV6INIT")) {
            return None;
        }
        let mut addresses = Vec::new();
        let mut one = |im: &mut Self, key: &str, text: &str| {
            let (addr, prefix) = match text.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (text, None),
            };
            let parsed = parse_host_ipv6(addr)
                .and_then(|a| Ok((a, prefix.map(Ipv6Prefix::parse).transpose()?)));
            match parsed {
                Ok((address, prefix)) => addresses.push(Ipv6Address { address, prefix }),
                Err(e) => im.report(f, key, format!("invalid {key} '{text}': {e}")),
            }
        };
        if let Some(first) = f.get("IPV6ADDR") {
            one(self, "IPV6ADDR", first.trim());
        }
        if let Some(rest) = f.get("IPV6ADDR_SECONDARIES") {
            // Older netcf wrapped the list in extra single quotes.
            for a in rest.trim().trim_matches('\'').split_whitespace() {
                one(self, "IPV6ADDR_SECONDARIES", a);
            }
        }
        // A gateway may name its device after a '%'.
        let gateway = self.value(f, "IPV6_DEFAULTGW", |v| {
            parse_host_ipv6(v.split('%').next().unwrap_or(v))
        });
        Some(Ipv6 {
            autoconf: yes(f.get("IPV6_AUTOCONF")),
            dhcp: yes(f.get("DHCPV6C")).then(|| Dhcp {
                peerdns: f.get("IPV6_PEERDNS").map(|v| yes(Some(v))),
            }),
            addresses,
            gateway,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks_become_prefixes() {
        assert_eq!(Ipv4Prefix::from_netmask("255.255.255.0").unwrap().get(), 24);
        assert_eq!(Ipv4Prefix::from_netmask("255.240.0.0").unwrap().get(), 12);
        assert_eq!(
            Ipv4Prefix::from_netmask("255.255.255.254").unwrap().get(),
            31
        );
        assert_eq!(
            Ipv4Prefix::from_netmask("255.255.255.255").unwrap().get(),
            32
        );
        assert!(Ipv4Prefix::from_netmask("255.0.255.0").is_err());
        assert!(Ipv4Prefix::from_netmask("0.0.0.0").is_err());
    }

    #[test]
    fn bond_options_read_in_both_quoting_styles_and_numbers() {
        let new = parse::bond_opts("mode=active-backup primary=eth1 miimon=100");
        let old = parse::bond_opts("'mode=active-backup primary=eth1 miimon=100 '");
        assert_eq!(new, old);
        assert_eq!(BondMode::parse_driver("1"), Ok(BondMode::ActiveBackup));
        assert_eq!(BondMode::parse_driver("4"), Ok(BondMode::Ieee8023ad));
        assert!(BondMode::parse_driver("7").is_err());
        assert_eq!(ArpValidate::parse_driver("3"), Ok(ArpValidate::All));
    }
}
