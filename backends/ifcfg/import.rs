//! ifcfg files back into the model, as NetworkManager's ifcfg-rh reader reads them: the
//! top-level devices, with their ports and slaves found through `BRIDGE=` and `MASTER=`.
//! Files of kinds the model does not hold (Wi-Fi, InfiniBand, teams…) are skipped with a note,
//! and every key read into nothing is noted as kept in the file but not imported.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::parse::{self, Class, IfcfgFile, Kind};
use crate::backend::{BackendError, Imported, Note, NoteKind, Snapshot};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{
    ArpValidate, Arpmon, BOND_OPTION_NAMES, Bond, BondMode, BondMonitor, BondOption, BondOptions,
    Bridge, BridgeOptions, Carrier, DriverOption, Ethernet, ForwardDelay, Host, IfaceName,
    Interface, InterfaceKind, MacAddr, Miimon, Mtu, Port, PortKind, Slave, StartMode, Uuid,
    ValueError, Vlan, VlanOptions, VlanProtocol, VlanTag, parse_arp_target, parse_uint,
};
use crate::source::SourceFile;

mod ip;
mod routes;

struct Importer<'a, 's> {
    all: &'a parse::Files<'s>,
    /// One file per device, in path order.
    files: Vec<&'a IfcfgFile<'s>>,
    /// The files naming each master (by its device's name) in `MASTER=` and in `BRIDGE=`, in
    /// path order, and each such file's master.
    slaves_of: HashMap<String, Vec<&'a IfcfgFile<'s>>>,
    ports_of: HashMap<String, Vec<&'a IfcfgFile<'s>>>,
    masters: HashMap<&'s str, Master<'a>>,
    /// The first of `files` configuring each device, for `import NAME`.
    by_device: HashMap<&'a IfaceName, &'a IfcfgFile<'s>>,
    problems: Vec<Diagnostic>,
    notes: Vec<Note>,
    /// Each file with a problem or a note, positioned once for all of them.
    sources: HashMap<&'s str, SourceFile>,
    /// The keys read into the model, per file.
    used: HashMap<&'s str, HashSet<String>>,
    /// Keys read and left out on purpose, with why, per file.
    ignored: HashMap<&'s str, Vec<(String, String)>>,
    /// The files read into the host, in the order they were read.
    visited: Vec<&'a IfcfgFile<'s>>,
}

/// Reads the devices `names` (every top-level one when empty) from the ifcfg files, as
/// NetworkManager's ifcfg-rh reader would.
pub(super) fn import(existing: &Snapshot, names: &[IfaceName]) -> Result<Imported, BackendError> {
    let all = parse::Files::read(existing)?;
    let mut im = Importer::new(&all);
    let files = device_files(&all);
    im.refuse_doubly_configured(&files);
    im.link_masters(&files);
    for f in &files {
        if let Some(d) = &f.device {
            im.by_device.entry(d).or_insert(*f);
        }
    }
    im.files = files;
    if names.is_empty() {
        im.skipped();
    }
    let tops: Vec<&IfcfgFile<'_>> = if names.is_empty() {
        (im.files.iter().copied())
            .filter(|f| master_of(f).is_none())
            .collect()
    } else {
        names.iter().filter_map(|n| im.named_top(n)).collect()
    };
    let interfaces = tops.into_iter().filter_map(|f| im.interface(f)).collect();
    if names.is_empty() {
        im.orphans();
    }
    im.unread_keys();
    if im.problems.is_empty() {
        Ok(Imported {
            host: Host { interfaces },
            notes: im.notes,
        })
    } else {
        Err(BackendError::Invalid(Diagnostics(im.problems)))
    }
}

/// One file per device, in path order: where several claim a device, the lookup rules pick
/// one (netcf's `ifcfg-by-hwaddr` over its decoy).
fn device_files<'a, 's>(all: &'a parse::Files<'s>) -> Vec<&'a IfcfgFile<'s>> {
    let devices: BTreeSet<&IfaceName> = all.list.iter().filter_map(|f| f.device.as_ref()).collect();
    let mut files: Vec<&IfcfgFile> = devices.into_iter().filter_map(|d| all.lookup(d)).collect();
    files.sort_by(|a, b| a.path.cmp(b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files
}

impl<'a, 's> Importer<'a, 's> {
    fn new(all: &'a parse::Files<'s>) -> Self {
        Importer {
            all,
            files: Vec::new(),
            slaves_of: HashMap::new(),
            ports_of: HashMap::new(),
            masters: HashMap::new(),
            by_device: HashMap::new(),
            problems: Vec::new(),
            notes: Vec::new(),
            sources: HashMap::new(),
            used: HashMap::new(),
            ignored: HashMap::new(),
            visited: Vec::new(),
        }
    }

    /// A file found by its name for one device may name another in DEVICE= that has a file
    /// of its own: read as both, the device would be in the host twice.
    fn refuse_doubly_configured(&mut self, files: &[&'a IfcfgFile<'s>]) {
        let mut configured: HashMap<&IfaceName, &str> = HashMap::new();
        for f in files {
            if let Some(d) = &f.device
                && let Some(first) = configured.insert(d, f.path)
            {
                let message =
                    format!("'{d}' is configured by {first} too; a device has one ifcfg file");
                self.problems.push(f.problem("DEVICE", message));
            }
        }
    }

    /// Files each port or slave under its master's device name, which a profile names by
    /// UUID or by device; a second key naming a master is noted as ignored.
    fn link_masters(&mut self, files: &[&'a IfcfgFile<'s>]) {
        let by_uuid: HashMap<&str, &IfaceName> = (files.iter())
            .filter_map(|f| Some((f.get("UUID")?, f.device.as_ref()?)))
            .collect();
        for f in files {
            let Some(master) = master_of(f) else { continue };
            let name = by_uuid
                .get(master.value)
                .map_or_else(|| master.value.to_owned(), |d| d.to_string());
            if let Some(ignored) = master.ignored {
                let why = format!(
                    "NetworkManager reads {} first, so this device is a port of '{name}' and \
                     {ignored} is ignored",
                    master.key
                );
                self.ignore(f, ignored, why);
            }
            match master.key {
                "BRIDGE" | "BRIDGE_UUID" => self.ports_of.entry(name).or_default().push(f),
                _ => self.slaves_of.entry(name).or_default().push(f),
            }
            self.masters.insert(f.path, master);
        }
    }
}

/// The value of option `key` in `BONDING_OPTS`.
fn bond_opt<'o>(opts: &'o [(String, String)], key: &str) -> Option<&'o str> {
    (opts.iter())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The key that makes a file a port or slave, the master it names, and a key that also
/// names one and is ignored.
#[derive(Debug, Clone, Copy)]
struct Master<'a> {
    key: &'static str,
    value: &'a str,
    ignored: Option<&'static str>,
}

/// A file's master as NetworkManager reads it: `BRIDGE_UUID` or `BRIDGE` first, then
/// `MASTER_UUID` or `MASTER` (a bond's slave), each naming the master's profile by its UUID
/// or its device.
fn master_of<'a>(f: &'a IfcfgFile) -> Option<Master<'a>> {
    let first = |keys: [&'static str; 2]| keys.into_iter().find_map(|k| Some((k, f.get(k)?)));
    let bridge = first(["BRIDGE_UUID", "BRIDGE"]);
    let bond = first(["MASTER_UUID", "MASTER"]);
    match (bridge, bond) {
        (Some((key, value)), other) => Some(Master {
            key,
            value,
            ignored: other.map(|(k, _)| k),
        }),
        (None, Some((key, value))) => Some(Master {
            key,
            value,
            ignored: None,
        }),
        (None, None) => None,
    }
}

/// The files that name `master` in an index built from `MASTER=` or `BRIDGE=`, in file
/// order.
fn members<'a, 's>(
    index: &HashMap<String, Vec<&'a IfcfgFile<'s>>>,
    master: &IfaceName,
) -> Vec<&'a IfcfgFile<'s>> {
    index.get(master.as_str()).cloned().unwrap_or_default()
}

/// Whether NetworkManager reads `key` = `value` as what it assumes without it, or the key
/// names the profile rather than configures it: not worth a note when it is not imported.
fn quiet(key: &str, value: &str) -> bool {
    let is = |b: bool| parse::nm_bool(value) == Some(b);
    match key {
        // The profile's name and identity, and what the address says already.
        "NAME" | "UUID" | "NETWORK" | "BROADCAST" => true,
        "NM_CONTROLLED" | "DEFROUTE" | "IPV6_DEFROUTE" | "PEERROUTES" | "IPV6_PEERROUTES" => {
            is(true)
        }
        "IPV4_FAILURE_FATAL" | "IPV6_FAILURE_FATAL" | "BROWSER_ONLY" | "USERCTL"
        | "IPV6_DISABLED" => is(false),
        "PROXY_METHOD" => value == "none",
        _ => false,
    }
}

impl<'a, 's> Importer<'a, 's> {
    /// The kind of a device file (every file the importer reads is one). An ethernet file
    /// that other files name in `MASTER=` is a bond, as initscripts reads it (netcf wrote
    /// bonds with an empty `BONDING_OPTS`, which NetworkManager reads as ethernet, and then
    /// cannot attach the slaves).
    fn kind(&self, f: &IfcfgFile) -> Kind {
        match f.class {
            Class::Device(Kind::Ethernet)
                if f.device
                    .as_ref()
                    .is_some_and(|d| self.slaves_of.contains_key(d.as_str())) =>
            {
                Kind::Bond
            }
            Class::Device(kind) => kind,
            _ => Kind::Ethernet,
        }
    }

    /// The value of `key` in `f` as NetworkManager reads it, marked as read into the model.
    fn get(&mut self, f: &'a IfcfgFile<'s>, key: &str) -> Option<&'a str> {
        let value = f.get(key)?;
        self.used.entry(f.path).or_default().insert(key.to_owned());
        Some(value)
    }

    /// A boolean key as NetworkManager reads it; absent is `None`. A value it does not read
    /// as one (`on`, which initscripts takes for yes and NetworkManager for its default) is
    /// refused at the value: the two readers disagree.
    fn boolean(&mut self, f: &'a IfcfgFile<'s>, key: &str) -> Option<bool> {
        let raw = self.get(f, key)?;
        match parse::nm_bool(raw) {
            Some(b) => Some(b),
            None => {
                let message = format!(
                    "invalid {key} '{raw}': expected yes or no (NetworkManager reads other words \
                     as its default, initscripts may not)"
                );
                self.report(f, key, message);
                None
            }
        }
    }

    /// Whether `key` of `f` was read into the model.
    fn was_read(&self, f: &IfcfgFile<'s>, key: &str) -> bool {
        self.used.get(f.path).is_some_and(|u| u.contains(key))
    }

    /// Records that `key` of `f` is read and left out on purpose, and why.
    fn ignore(&mut self, f: &'a IfcfgFile<'s>, key: &str, why: String) {
        self.used.entry(f.path).or_default().insert(key.to_owned());
        self.ignored
            .entry(f.path)
            .or_default()
            .push((key.to_owned(), why));
    }

    /// A note of `kind` at the value of `key` in `f` (at the file's start when it has no
    /// such key).
    fn note(&mut self, f: &IfcfgFile<'s>, kind: NoteKind, key: &str, message: String) {
        let offset = f.shell.offset(key).unwrap_or(0);
        let source = self.sources.entry(f.path).or_insert_with(|| f.source());
        let at = source.diagnostic_in_input(offset, message);
        self.notes.push(Note::new(kind, at));
    }

    /// Notes for every file skipped for its kind, and errors for every file NetworkManager
    /// refuses, when the whole root is read.
    fn skipped(&mut self) {
        let all = self.all;
        for path in &all.backups {
            let at = Diagnostic::new(
                *path,
                None,
                "skipped: a backup initscripts skips and NetworkManager reads as a profile of \
                 its own; netloom reads neither (rename it to end in .bak, or remove it)",
            );
            self.notes.push(Note::new(NoteKind::Skipped, at));
        }
        for f in &all.list {
            match &f.class {
                Class::Skipped { key, why } => {
                    let message = format!("skipped: {why}; netloom leaves this file alone");
                    self.note(f, NoteKind::Skipped, key, message);
                }
                Class::Invalid { key, why } => self.report(f, key, why.clone()),
                Class::Device(_) | Class::Alias | Class::Loopback => {}
            }
        }
    }

    /// Notes for the ports and slaves whose master is not read, which no interface holds.
    fn orphans(&mut self) {
        let mut orphans = Vec::new();
        for (role, index) in [("MASTER", &self.slaves_of), ("BRIDGE", &self.ports_of)] {
            for (master, members) in index {
                let read = IfaceName::parse(master)
                    .ok()
                    .and_then(|m| self.by_device.get(&m).copied())
                    .map(|f| self.kind(f));
                let expected = if role == "MASTER" {
                    Kind::Bond
                } else {
                    Kind::Bridge
                };
                if read == Some(expected) {
                    continue;
                }
                let why = match read {
                    None => {
                        format!("its master '{master}' ({role}) has no ifcfg file netloom reads")
                    }
                    Some(_) => format!(
                        "its master '{master}' ({role}) is not a {}",
                        if role == "MASTER" { "bond" } else { "bridge" }
                    ),
                };
                orphans.extend(members.iter().map(|m| (*m, role, why.clone())));
            }
        }
        orphans.sort_by_key(|(f, _, _)| f.path);
        for (f, role, why) in orphans {
            self.note(f, NoteKind::Skipped, role, format!("skipped: {why}"));
        }
    }

    /// Notes for the keys of every file read that the model has no place for.
    fn unread_keys(&mut self) {
        for f in std::mem::take(&mut self.visited) {
            let used = self.used.remove(f.path).unwrap_or_default();
            let mut seen = HashSet::new();
            let keys: Vec<(&str, &str)> = f
                .shell
                .entries()
                .filter(|(k, v)| !used.contains(*k) && !v.is_empty() && !quiet(k, v))
                .filter(|(k, _)| seen.insert(*k))
                .collect();
            for (key, _) in keys {
                let message = format!("{key} is kept in the file but not imported");
                self.note(f, NoteKind::NotImported, key, message);
            }
            for (key, why) in self.ignored.remove(f.path).unwrap_or_default() {
                self.note(
                    f,
                    NoteKind::NotImported,
                    &key,
                    format!("{key} is not imported: {why}"),
                );
            }
        }
    }

    fn named_top(&mut self, name: &IfaceName) -> Option<&'a IfcfgFile<'s>> {
        let Some(f) = self.by_device.get(name).copied() else {
            self.problems.push(Diagnostic::new(
                super::DIR,
                None,
                format!("no ifcfg file configures '{name}'"),
            ));
            return None;
        };
        if let Some(master) = master_of(f) {
            let shown = master.value;
            self.report(
                f,
                master.key,
                format!("'{name}' is part of '{shown}'; name '{shown}' instead"),
            );
            return None;
        }
        Some(f)
    }

    /// Parses the value of `key` with a model parser; a bad value is reported at the key.
    fn value<T>(
        &mut self,
        f: &'a IfcfgFile<'s>,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        let raw = self.get(f, key)?;
        match parse(raw.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.report(f, key, format!("invalid {key} '{raw}': {e}"));
                None
            }
        }
    }

    /// A note of where the device's name comes from, for a file without `DEVICE`.
    fn named(&mut self, f: &'a IfcfgFile<'s>) {
        if let Some((key, why)) = &f.named {
            self.note(f, NoteKind::Derived, key, why.clone());
        }
    }

    fn interface(&mut self, f: &'a IfcfgFile<'s>) -> Option<Interface> {
        let name = f.device.clone()?;
        self.visited.push(f);
        self.named(f);
        self.get(f, "DEVICE");
        for key in ["TYPE", "DEVICETYPE", "BONDING_MASTER", "VLAN"] {
            self.get(f, key);
        }
        let onboot = self.boolean(f, "ONBOOT");
        let start = match onboot {
            Some(true) => Some(StartMode::OnBoot),
            Some(false) if self.boolean(f, "HOTPLUG") == Some(true) => Some(StartMode::Hotplug),
            Some(false) => Some(StartMode::None),
            None => None,
        };
        let mtu = self.value(f, "MTU", Mtu::parse);
        let mut ipv4 = self.ipv4(f);
        let mut ipv6 = self.ipv6(f);
        self.resolver(f, &mut ipv4, &mut ipv6);
        self.route_files(f, &name, &mut ipv4, &mut ipv6);
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
        let uuid = self.uuid(f, &name);
        Some(Interface {
            name,
            uuid,
            start,
            mtu,
            ipv4,
            ipv6,
            kind,
        })
    }

    /// `UUID`, the profile's, unless it is the one netloom's nm backend derives from the
    /// name (a profile NetworkManager wrote for netloom's keyfile), which says nothing more;
    /// one that is not a UUID is left to `quiet`, as NetworkManager makes its own then.
    fn uuid(&self, f: &'a IfcfgFile<'s>, name: &IfaceName) -> Option<Uuid> {
        let uuid = Uuid::parse(f.get("UUID")?.trim()).ok()?;
        (uuid != Uuid::derived("nm", name.as_str())).then_some(uuid)
    }

    /// A NIC: `HWADDR`, and `MACADDR` (its cloned MAC) when that is an address rather than
    /// one of NetworkManager's words for how to pick one.
    fn ethernet(&mut self, f: &'a IfcfgFile<'s>) -> Ethernet {
        let mut e = self.slave(f);
        if let Some(raw) = f.get("MACADDR") {
            if parse::is_mac_word(raw) {
                // Not read, so noted as kept; merge keeps it.
                self.note(
                    f,
                    NoteKind::NotImported,
                    "MACADDR",
                    format!(
                        "MACADDR is kept in the file but not imported: '{}' is how \
                         NetworkManager picks a MAC, and <nl:cloned-mac> holds an address",
                        raw.trim()
                    ),
                );
                self.get(f, "MACADDR");
            } else {
                e.cloned_mac = self.value(f, "MACADDR", MacAddr::parse);
            }
        }
        e
    }

    /// A bond slave: `HWADDR` only (the bonding driver sets its slaves' MACs, and the model
    /// has no cloned MAC for one).
    fn slave(&mut self, f: &'a IfcfgFile<'s>) -> Ethernet {
        Ethernet {
            mac: self.value(f, "HWADDR", MacAddr::parse),
            cloned_mac: None,
            link: None,
        }
    }

    /// A member (port or slave) of `master`: its file is read too, and notes say what of it
    /// the model has no place for. Its start mode and MTU are its master's in the model, so
    /// the same ones in its file are read, and others noted.
    fn member(&mut self, m: &'a IfcfgFile<'s>, master: &'a IfcfgFile<'s>) {
        self.visited.push(m);
        self.named(m);
        for key in [
            "DEVICE",
            "TYPE",
            "DEVICETYPE",
            "MASTER",
            "MASTER_UUID",
            "SLAVE",
            "BRIDGE",
            "BRIDGE_UUID",
            "VLAN",
            "BONDING_MASTER",
        ] {
            self.get(m, key);
        }
        for key in ["ONBOOT", "HOTPLUG", "MTU"] {
            if m.get(key).is_some() && m.get(key) == master.get(key) {
                self.get(m, key);
            }
        }
    }

    fn bond(&mut self, f: &'a IfcfgFile<'s>, name: &IfaceName) -> Option<Bond> {
        let opts = parse::bond_opts(self.get(f, "BONDING_OPTS").unwrap_or_default());
        let mode = match bond_opt(&opts, "mode") {
            Some(m) => Some(self.checked(f, "mode", BondMode::parse_driver(m))?),
            None => None,
        };
        let options = self.bond_options(f, &opts, mode)?;
        let monitor = self.bond_monitor(f, &opts)?;
        let slaves = self.bond_slaves(f, name, bond_opt(&opts, "primary"));
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
            options,
        })
    }

    /// The driver options of `BONDING_OPTS` beyond the mode and monitor; one the model does
    /// not hold, or NetworkManager drops, is noted as kept in the file but not imported.
    fn bond_options(
        &mut self,
        f: &'a IfcfgFile<'s>,
        opts: &[(String, String)],
        mode: Option<BondMode>,
    ) -> Option<BondOptions> {
        let mut options = BondOptions::default();
        for (key, value) in opts {
            let classic = BondOption::from_driver_name(key)
                .is_some_and(|o| !BOND_OPTION_NAMES.contains(&o.driver_name()));
            if classic {
                continue;
            }
            let message = match options.read_driver(key, value, mode) {
                Ok(DriverOption::Read) => continue,
                Ok(DriverOption::NotAnOption) => {
                    format!("BONDING_OPTS option '{key}' is kept in the file but not imported")
                }
                Ok(DriverOption::Dropped(why)) => format!(
                    "BONDING_OPTS option '{key}' is kept in the file but not imported: {why}, \
                     and NetworkManager drops it"
                ),
                Err(e) => {
                    return self.refuse(
                        f,
                        "BONDING_OPTS",
                        format!("invalid bond option '{key}={value}': {e}"),
                    );
                }
            };
            self.note(f, NoteKind::NotImported, "BONDING_OPTS", message);
        }
        Some(options)
    }

    /// The bond's link monitor, MII (`miimon`) before ARP (`arp_interval`) as the driver
    /// takes them, or none; `None` when a value of it is bad (reported).
    fn bond_monitor(
        &mut self,
        f: &'a IfcfgFile<'s>,
        opts: &[(String, String)],
    ) -> Option<Option<BondMonitor>> {
        let opt = |k: &str| bond_opt(opts, k);
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
        Some(monitor)
    }

    /// The files naming the bond in `MASTER=`, read as its slaves, the `primary` first (in
    /// the XML, order is what says it); a slave that is not ethernet is reported.
    fn bond_slaves(
        &mut self,
        f: &'a IfcfgFile<'s>,
        name: &IfaceName,
        primary: Option<&str>,
    ) -> Vec<Slave> {
        let mut members = members(&self.slaves_of, name);
        if let Some(primary) = primary {
            members.sort_by_key(|m| m.device.as_ref().map(|d| d.as_str()) != Some(primary));
        }
        let mut slaves = Vec::new();
        for m in members {
            let Some(slave) = m.device.clone() else {
                continue;
            };
            self.member(m, f);
            if self.kind(m) != Kind::Ethernet {
                let message = format!("bond '{name}' can only have ethernet slaves");
                self.report(m, "MASTER", message);
                continue;
            }
            slaves.push(Slave {
                name: slave,
                ethernet: self.slave(m),
            });
        }
        slaves
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

    /// A vlan as NetworkManager reads it (`make_vlan_setting`): `VLAN_ID`, else the number
    /// after the first dot of `DEVICE` (`eth0.42`) or after `vlan` (`vlan42`); `PHYSDEV`, else
    /// the part of `DEVICE` before its first dot, unless that starts with `vlan`.
    fn vlan(&mut self, f: &'a IfcfgFile<'s>, name: &IfaceName) -> Option<Vlan> {
        let device = self.get(f, "DEVICE").unwrap_or(name.as_str());
        let (before, after) = match device.split_once('.') {
            Some((parent, tag)) => (Some(parent).filter(|p| !p.starts_with("vlan")), Some(tag)),
            None => (None, device.strip_prefix("vlan")),
        };
        let tag = match self.get(f, "VLAN_ID") {
            Some(_) => self.value(f, "VLAN_ID", VlanTag::parse)?,
            None => match after.and_then(|t| VlanTag::parse(t).ok()) {
                Some(tag) => tag,
                None => {
                    let why = format!(
                        "cannot tell the tag of vlan '{name}': there is no VLAN_ID, and DEVICE \
                         is neither PARENT.TAG nor vlanTAG"
                    );
                    return self.refuse(f, "DEVICE", why);
                }
            },
        };
        let parent = match (self.get(f, "PHYSDEV"), before) {
            (Some(_), _) => self.value(f, "PHYSDEV", IfaceName::parse)?,
            (None, Some(p)) => match IfaceName::parse(p) {
                Ok(p) => p,
                Err(e) => {
                    return self.refuse(f, "DEVICE", format!("invalid vlan parent '{p}': {e}"));
                }
            },
            (None, None) => {
                let why = format!(
                    "cannot tell the parent of vlan '{name}': there is no PHYSDEV, and DEVICE \
                     is not PARENT.TAG"
                );
                return self.refuse(f, "DEVICE", why);
            }
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
        let options = self.vlan_options(f)?;
        Some(Vlan {
            tag,
            parent,
            link: None,
            options,
        })
    }

    /// A vlan's flags and protocol as NetworkManager reads them: headers reordered unless
    /// `VLAN_FLAGS` has `NO_REORDER_HDR` (`REORDER_HDR` is deprecated and not read); `GVRP`
    /// over `VLAN_FLAGS`' `GVRP`; `LOOSE_BINDING` from `VLAN_FLAGS`; `MVRP`.
    fn vlan_options(&mut self, f: &'a IfcfgFile<'s>) -> Option<VlanOptions> {
        let mut o = VlanOptions {
            protocol: match self.get(f, "VLAN_PROTOCOL") {
                Some(_) => Some(self.value(f, "VLAN_PROTOCOL", VlanProtocol::parse)?),
                None => None,
            },
            gvrp: self.boolean(f, "GVRP"),
            mvrp: self.boolean(f, "MVRP"),
            ..VlanOptions::default()
        };
        let flags = self.get(f, "VLAN_FLAGS").unwrap_or_default();
        for flag in flags.split([',', ' ']).filter(|t| !t.is_empty()) {
            match flag {
                "GVRP" if o.gvrp.is_none() => o.gvrp = Some(true),
                "GVRP" => {}
                "LOOSE_BINDING" => o.loose_binding = Some(true),
                "NO_REORDER_HDR" => o.reorder_hdr = Some(false),
                other => {
                    let message = format!(
                        "VLAN_FLAGS flag '{other}' is not imported: NetworkManager knows no such \
                         flag"
                    );
                    self.note(f, NoteKind::NotImported, "VLAN_FLAGS", message);
                }
            }
        }
        if let Some(raw) = f.get("REORDER_HDR") {
            let reorder = o.reorder_hdr.unwrap_or(true);
            match parse::nm_bool(raw) {
                Some(b) if b == reorder => {
                    self.get(f, "REORDER_HDR");
                }
                _ => {
                    let why = format!(
                        "NetworkManager reads the flag from VLAN_FLAGS (headers {}reordered), \
                         and initscripts from REORDER_HDR, so the two disagree",
                        if reorder { "" } else { "not " }
                    );
                    self.ignore(f, "REORDER_HDR", why);
                }
            }
        }
        Some(o)
    }

    fn bridge(&mut self, f: &'a IfcfgFile<'s>, name: &IfaceName) -> Option<Bridge> {
        // Without STP, or with a value it does not read, NetworkManager turns STP off.
        let stp = match self.get(f, "STP").map(str::to_ascii_lowercase).as_deref() {
            Some("on" | "yes") => true,
            Some("off" | "no") | None => false,
            Some(other) => {
                self.report(
                    f,
                    "STP",
                    format!("invalid STP '{other}': expected 'on' or 'off'"),
                );
                false
            }
        };
        // NetworkManager reads DELAY only with STP on, in whole seconds from 2 to 30.
        let delay = match f.get("DELAY") {
            None => None,
            Some(raw) if !stp => {
                let why = format!("NetworkManager ignores DELAY={raw} when STP is off");
                self.ignore(f, "DELAY", why);
                None
            }
            Some(raw) => match parse_uint(raw.trim()).filter(|s| (2..=30).contains(s)) {
                Some(_) => self.value(f, "DELAY", ForwardDelay::parse),
                None => {
                    let why = format!(
                        "NetworkManager reads DELAY in whole seconds from 2 to 30, and ignores \
                         '{raw}'"
                    );
                    self.ignore(f, "DELAY", why);
                    None
                }
            },
        };
        let options = self.bridging_opts(f, stp);
        let stp = Some(stp);
        let mut ports = Vec::new();
        for m in members(&self.ports_of, name) {
            let Some(port_name) = m.device.clone() else {
                continue;
            };
            self.member(m, f);
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
        Some(Bridge {
            stp,
            delay,
            ports,
            options,
        })
    }

    /// A bridge's `BRIDGING_OPTS` as NetworkManager reads them: `KEY=VALUE` words, the STP
    /// ones (`priority`, `hello_time`, `max_age`) only with STP on, and a value out of range
    /// ignored (NetworkManager warns and keeps its default).
    fn bridging_opts(&mut self, f: &'a IfcfgFile<'s>, stp: bool) -> BridgeOptions {
        let mut o = BridgeOptions::default();
        let Some(raw) = self.get(f, "BRIDGING_OPTS") else {
            return o;
        };
        for (key, value) in parse::bond_opts(raw) {
            if value.is_empty() {
                continue;
            }
            let message = match parse::bridging_opt(&mut o, &key, &value, stp) {
                Ok(true) => continue,
                Ok(false) => {
                    format!("BRIDGING_OPTS option '{key}' is kept in the file but not imported")
                }
                Err(why) => format!(
                    "BRIDGING_OPTS option '{key}={value}' is kept in the file but not imported: \
                     {why}, and NetworkManager ignores it too"
                ),
            };
            self.note(f, NoteKind::NotImported, "BRIDGING_OPTS", message);
        }
        o
    }
}

#[cfg(test)]
mod tests;
