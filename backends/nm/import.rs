//! NetworkManager profiles back into the model: from keyfiles under a root, or from what a
//! running NetworkManager's `GetSettings` returns. It inverts [`super::render`]'s table and
//! reads what NetworkManager adds itself (the `802-3-ethernet` setting on bonds, vlans and
//! bridges, `ipv6.addr-gen-mode`, the deprecated keys), which it ignores.
//!
//! As the ifcfg importer does with files it does not read: profiles of other types
//! (loopback, Wi-Fi, VPN…) and profiles bound to no interface name (NetworkManager's
//! "Wired connection 1") are skipped, and so is a port whose controller has no profile.
//! Where several profiles name one device, netloom's own (its UUID is derived from the
//! name) is read, else the first. `autoconnect` true (or absent, its default) reads as
//! `<start mode='onboot'/>`, false as `none`. A top-level profile without an `ipv4` or
//! `ipv6` setting gets NetworkManager's `auto`. Values the interface XML cannot hold
//! (`ipv4.method` `shared`, a bond with several ARP targets) are errors, never guesses.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use super::keyfile::Locator;
use super::settings::{Settings, Value, kind};
use crate::backend::{BackendError, Imported, Note, NoteKind};
use crate::error::{Diagnostic, Diagnostics};
use crate::model::{
    AgeingTime, ArpValidate, Arpmon, BOND_OPTION_NAMES, Bond, BondMode, BondMonitor, BondOption,
    BondOptions, Bridge, BridgeOptions, Carrier, Dhcp, DriverOption, Ethernet, ForwardDelay,
    HelloTime, Host, IfaceName, Interface, InterfaceKind, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6,
    Ipv6Address, Ipv6Prefix, MacAddr, MaxAge, Miimon, Mtu, Port, PortKind, Slave, StartMode, Uuid,
    ValueError, Vlan, VlanOptions, VlanProtocol, VlanTag, parse_arp_target, parse_host_ipv4,
    parse_host_ipv6, parse_uint,
};
use crate::model::{Destination, RouteCheck};
use crate::source::SourceFile;

/// The model of `profiles` (as `GetSettings` returns them), limited to the top-level
/// interfaces `names` (and what they contain); empty means all. What the model cannot hold
/// (a Wi-Fi profile, a firewall zone) is a note naming the profile, as for keyfiles.
pub fn host(profiles: &[Settings], names: &[IfaceName]) -> Result<Imported, BackendError> {
    let sources: Vec<Source<'_>> = profiles
        .iter()
        .map(|settings| Source {
            settings,
            file: None,
        })
        .collect();
    build(&sources, names, &Live::new())
}

/// The keyfile a profile was read from: its path and its text.
#[derive(Clone, Copy)]
pub(super) struct File<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// One profile and where it came from, so a problem can point at it.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub settings: &'a Settings,
    pub file: Option<File<'a>>,
}

/// A keyfile's positions and text, made once for a file with problems.
struct Located {
    locator: Locator,
    source: SourceFile,
}

impl<'a> Source<'a> {
    /// A problem with `section.key` of this profile (the `nth` entry of a list such as
    /// `address-data`); see [`Source::problem_in`].
    fn problem(&self, section: &str, key: &str, message: String) -> Diagnostic {
        self.problem_in(&mut None, section, key, 0, message)
    }

    /// A problem with `section.key` of this profile: at the value's `file:line:col` for a
    /// keyfile (at its section, or the file's start, when the key is missing), naming the
    /// profile for one from D-Bus. `located` keeps the keyfile's positions for its next
    /// problem, so a file with many is read once.
    fn problem_in(
        &self,
        located: &mut Option<Located>,
        section: &str,
        key: &str,
        nth: usize,
        message: String,
    ) -> Diagnostic {
        match self.file {
            Some(f) => {
                let l = located.get_or_insert_with(|| Located {
                    locator: Locator::new(f.text),
                    source: SourceFile::new(f.path, f.text),
                });
                let at = l.locator.find(section, key, nth);
                l.source.diagnostic_in_input(at, message)
            }
            None => {
                let id = self.settings.id().or(self.settings.uuid()).unwrap_or("?");
                let message = format!("{section}.{key}: {message}");
                Diagnostic::new(format!("NetworkManager profile '{id}'"), None, message)
            }
        }
    }

    /// `connection.interface-name`, or the old spelling NetworkManager still reads: the key
    /// in the setting of the profile's type (`[bridge] interface-name=br0`).
    fn name(&self) -> Option<&'a str> {
        let settings: &'a Settings = self.settings;
        settings.interface_name().or_else(|| {
            let type_name = settings.kind()?;
            settings.str(type_name, "interface-name")
        })
    }

    /// The MAC an ethernet profile is bound to (`802-3-ethernet.mac-address`).
    fn mac(&self) -> Option<MacAddr> {
        match self.settings.get(kind::ETHERNET, "mac-address")? {
            Value::Bytes(b) => {
                let text = super::keyfile::mac_text(b).to_ascii_lowercase();
                MacAddr::parse(&text).ok()
            }
            _ => None,
        }
    }
}

/// The devices under a root, by MAC (`sys/class/net/NAME/address`), for the profiles bound
/// to a MAC and to no interface name.
pub(super) type Live<'a> = HashMap<MacAddr, Vec<&'a str>>;

/// The device a profile that names none is for, as NetworkManager binds it: a vlan's
/// `PARENT.ID` (`nm_utils_new_vlan_name`, the parent named by its name or its profile's
/// UUID), or the device whose MAC an ethernet profile is bound to, found under the root.
/// `Ok(None)` when the profile is bound to nothing (NetworkManager may use it on any device),
/// `Err` with why when the device cannot be known here.
fn unnamed(
    src: &Source<'_>,
    names_by_uuid: &HashMap<&str, &str>,
    live: &Live<'_>,
) -> Result<Option<(IfaceName, Note)>, String> {
    let settings = src.settings;
    if settings.kind() == Some(kind::VLAN)
        && let Some(parent) = settings.str(kind::VLAN, "parent")
    {
        // A vlan id of 0 is NetworkManager's default, which keyfiles leave out.
        let id = match settings.get(kind::VLAN, "id") {
            Some(Value::U32(id)) => *id,
            _ => 0,
        };
        let parent = names_by_uuid.get(parent).copied().unwrap_or(parent);
        let (Ok(parent), Ok(tag)) = (IfaceName::parse(parent), VlanTag::parse(&id.to_string()))
        else {
            return Err(format!(
                "cannot name this vlan: its parent '{parent}' or id {id} is no device's"
            ));
        };
        let name = Vlan::networkmanager_name(&parent, tag);
        let why = format!(
            "the device is '{name}', the name NetworkManager gives a vlan profile without \
             interface-name (PARENT.ID)"
        );
        let at = src.problem(kind::VLAN, "id", why);
        return Ok(Some((name, Note::new(NoteKind::Derived, at))));
    }
    let Some(mac) = src
        .mac()
        .filter(|_| settings.kind() == Some(kind::ETHERNET))
    else {
        return Ok(None);
    };
    match live.get(&mac).map(Vec::as_slice) {
        Some([one]) => {
            let name = IfaceName::parse(one)
                .map_err(|e| format!("the device of mac-address {mac} is '{one}': {e}"))?;
            let why = format!(
                "the device is '{name}', whose MAC (sys/class/net/{name}/address) is the \
                 mac-address this profile is bound to; the profile names no interface-name"
            );
            let at = src.problem(kind::ETHERNET, "mac-address", why);
            Ok(Some((name, Note::new(NoteKind::Derived, at))))
        }
        Some(many) => Err(format!(
            "this profile is bound to mac-address {mac} and names no interface-name, and \
             several devices have that MAC under sys/class/net ({}); add interface-name=",
            many.join(", ")
        )),
        None => Err(format!(
            "this profile is bound to mac-address {mac} and names no interface-name, and no \
             device under sys/class/net has that MAC, so netloom cannot tell the device's name \
             (import on the machine itself, or add interface-name=)"
        )),
    }
}

/// The one profile read for each device name: netloom's own if there is one, else the
/// first. Profiles of types netloom does not model, or bound to no interface name, are not
/// candidates, and a note says so; an invalid name is reported.
pub(super) fn chosen<'a>(
    sources: &[Source<'a>],
    live: &Live<'_>,
    problems: &mut Vec<Diagnostic>,
    notes: &mut Vec<Note>,
) -> Vec<(IfaceName, Source<'a>)> {
    let mut out: Vec<(IfaceName, Source<'a>)> = Vec::new();
    let mut index: HashMap<IfaceName, usize> = HashMap::new();
    let names_by_uuid: HashMap<&str, &str> = sources
        .iter()
        .filter_map(|s| Some((s.settings.uuid()?, s.name()?)))
        .collect();
    for src in sources {
        let type_name = src.settings.kind();
        let modelled = matches!(
            type_name,
            Some(kind::ETHERNET | kind::BOND | kind::VLAN | kind::BRIDGE)
        );
        if !modelled {
            let shown = type_name.map_or("none", super::keyfile::keyfile_name);
            let why = format!(
                "skipped: a profile of type '{shown}', which interface XML does not hold; \
                 netloom leaves it alone"
            );
            notes.push(Note::new(
                NoteKind::Skipped,
                src.problem("connection", "type", why),
            ));
            continue;
        }
        let name = match src.name() {
            Some(raw) => match IfaceName::parse(raw) {
                Ok(n) => n,
                Err(e) => {
                    let message = format!("invalid interface-name '{raw}': {e}");
                    problems.push(src.problem("connection", "interface-name", message));
                    continue;
                }
            },
            None => match unnamed(src, &names_by_uuid, live) {
                Ok(Some((name, note))) => {
                    notes.push(note);
                    name
                }
                // Over D-Bus there is no root to find the device in, and the daemon binds
                // the profile itself: it is not one netloom can name.
                Err(why) if src.file.is_some() => {
                    problems.push(src.problem(kind::ETHERNET, "mac-address", why));
                    continue;
                }
                Err(_) | Ok(None) => {
                    let why = "skipped: a profile bound to no interface name, which \
                               NetworkManager may activate on any device of its type; interface \
                               XML names each device"
                        .to_owned();
                    let at = src.problem("connection", "interface-name", why);
                    notes.push(Note::new(NoteKind::Skipped, at));
                    continue;
                }
            },
        };
        match index.get(&name) {
            // Deriving the UUID only for a second profile of a name keeps the common case
            // (one profile each) free of hashing.
            Some(&i) if super::marked(src.settings) => out[i].1 = *src,
            Some(_) => {}
            None => {
                index.insert(name.clone(), out.len());
                out.push((name, *src));
            }
        }
    }
    out
}

struct Importer<'a> {
    profiles: Vec<(IfaceName, Source<'a>)>,
    /// The profiles naming each controller (by index) as bond slaves and as bridge ports.
    slaves_of: HashMap<usize, Vec<usize>>,
    ports_of: HashMap<usize, Vec<usize>>,
    /// Each profile's controller, when it is one of the profiles.
    controller: Vec<Option<usize>>,
    /// The profile of each UUID.
    by_uuid: HashMap<&'a str, usize>,
    /// The profile read for each device name, for `import NAME`.
    by_name: HashMap<IfaceName, usize>,
    /// The positions of each profile's keyfile, once it has a problem.
    located: HashMap<usize, Option<Located>>,
    problems: Vec<Diagnostic>,
    notes: Vec<Note>,
    /// The keys of each profile read into the model, and the profiles read, in order.
    used: HashMap<usize, HashSet<(String, String)>>,
    visited: Vec<usize>,
}

/// The model of `sources`, with notes; see [`host`].
pub(super) fn build(
    sources: &[Source<'_>],
    names: &[IfaceName],
    live: &Live<'_>,
) -> Result<Imported, BackendError> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let profiles = chosen(sources, live, &mut problems, &mut notes);
    if !names.is_empty() {
        notes.clear();
    }
    let by_uuid: HashMap<&str, usize> = profiles
        .iter()
        .enumerate()
        .filter_map(|(i, (_, s))| Some((s.settings.uuid()?, i)))
        .collect();
    let by_name: HashMap<&str, usize> = profiles
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let mut controller = Vec::with_capacity(profiles.len());
    let mut slaves_of: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut ports_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, (_, src)) in profiles.iter().enumerate() {
        let found = src
            .settings
            .master()
            .and_then(|m| by_uuid.get(m).or_else(|| by_name.get(m)).copied());
        if let Some(c) = found {
            match src.settings.str("connection", "slave-type") {
                Some(kind::BOND) => slaves_of.entry(c).or_default().push(i),
                Some(kind::BRIDGE) => ports_of.entry(c).or_default().push(i),
                _ => {}
            }
        }
        controller.push(found);
    }
    let by_name = (profiles.iter().enumerate())
        .map(|(i, (n, _))| (n.clone(), i))
        .collect();
    let mut im = Importer {
        profiles,
        slaves_of,
        ports_of,
        controller,
        by_uuid,
        by_name,
        located: HashMap::new(),
        problems,
        notes,
        used: HashMap::new(),
        visited: Vec::new(),
    };
    let tops: Vec<usize> = if names.is_empty() {
        im.orphans();
        (0..im.profiles.len())
            .filter(|&i| im.profiles[i].1.settings.master().is_none())
            .collect()
    } else {
        names.iter().filter_map(|n| im.named_top(n)).collect()
    };
    let interfaces = tops.into_iter().filter_map(|i| im.interface(i)).collect();
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

/// Whether NetworkManager reads `section.key` = `value` as what it assumes without it, adds
/// to every profile itself, or the key names the profile rather than configures it: not
/// worth a note when it is not imported.
fn quiet(section: &str, key: &str, value: &Value) -> bool {
    if super::settings::is_default(section, key, value)
        || super::settings::DEPRECATED.contains(&(section, key))
    {
        return true;
    }
    matches!(
        (section, key, value),
        ("connection", "id" | "uuid" | "timestamp" | "type", _)
            | (kind::ETHERNET, "auto-negotiate", Value::Bool(false))
            | ("ipv6", "addr-gen-mode", Value::I32(2 | 3))
            | (kind::BOND | kind::VLAN | kind::BRIDGE, "interface-name", _)
            | (kind::VLAN, "flags", Value::U32(0 | 1))
    ) || matches!(
        (section, key, value),
        (super::USER, "data", Value::StrMap(data)) if data.keys().all(|k| k == super::OWNED_KEY)
    )
}

/// The UUID of profile `p` of device `name` for the XML: none when it is the one netloom
/// derives from the name (the XML need not say what every render derives again).
fn own_uuid(p: &Settings, name: &IfaceName) -> Option<Uuid> {
    let u = Uuid::parse(p.uuid()?).ok()?;
    (u != Uuid::derived("nm", name.as_str())).then_some(u)
}

/// A model parser's verdict on `value`, as a message naming the key.
fn checked<T>(key: &str, value: &str, parsed: Result<T, ValueError>) -> Result<T, String> {
    parsed.map_err(|e| format!("invalid {key} '{value}': {e}"))
}

impl<'a> Importer<'a> {
    /// `section.key` of profile `i`, marked as read into the model.
    fn get(&mut self, i: usize, section: &str, key: &str) -> Option<&'a Value> {
        let value = self.settings(i).get(section, key)?;
        self.mark(i, section, key);
        Some(value)
    }

    /// The string `section.key` of profile `i`, marked as read.
    fn text(&mut self, i: usize, section: &str, key: &str) -> Option<&'a str> {
        match self.get(i, section, key)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    fn mark(&mut self, i: usize, section: &str, key: &str) {
        self.used
            .entry(i)
            .or_default()
            .insert((section.to_owned(), key.to_owned()));
    }

    /// A note of `kind` at `section.key` of profile `i`.
    fn note(&mut self, i: usize, kind: NoteKind, section: &str, key: &str, message: String) {
        self.note_nth(i, kind, (section, key, 0), message);
    }

    /// A note of `kind` at the `nth` entry of `section.key` of profile `i` (an address of
    /// several).
    fn note_nth(
        &mut self,
        i: usize,
        kind: NoteKind,
        (section, key, nth): (&str, &str, usize),
        message: String,
    ) {
        let located = self.located.entry(i).or_default();
        let at = self.profiles[i]
            .1
            .problem_in(located, section, key, nth, message);
        self.notes.push(Note::new(kind, at));
    }

    /// Notes for the ports whose controller is not among the profiles read, which no
    /// interface holds.
    fn orphans(&mut self) {
        for i in 0..self.profiles.len() {
            let src = self.profiles[i].1;
            let Some(master) = src.settings.master() else {
                continue;
            };
            let role = src.settings.str("connection", "slave-type");
            let why = match (self.controller[i], role) {
                (None, _) => format!(
                    "its controller '{master}' is not a profile netloom reads (none, or of a \
                     kind interface XML does not hold)"
                ),
                (Some(_), Some(kind::BOND | kind::BRIDGE)) => continue,
                (Some(c), role) => format!(
                    "a port of '{}' of type '{}', which interface XML does not hold",
                    self.profiles[c].0,
                    role.unwrap_or("none")
                ),
            };
            self.note(
                i,
                NoteKind::Skipped,
                "connection",
                "master",
                format!("skipped: {why}"),
            );
        }
    }

    /// Notes for the settings of every profile read that the model has no place for.
    fn unread_keys(&mut self) {
        for i in std::mem::take(&mut self.visited) {
            let used = self.used.remove(&i).unwrap_or_default();
            let settings = self.settings(i);
            let mut unread: Vec<(String, String)> = Vec::new();
            for (section, keys) in &settings.0 {
                for (key, value) in keys {
                    // The bond's options are noted by `bond`, one by one.
                    if (section.as_str(), key.as_str()) == (kind::BOND, "options") {
                        continue;
                    }
                    if !used.contains(&(section.clone(), key.clone()))
                        && !quiet(section, key, value)
                    {
                        unread.push((section.clone(), key.clone()));
                    }
                }
            }
            for (section, key) in unread {
                let shown = super::keyfile::keyfile_name(&section).to_owned();
                let written = match key.as_str() {
                    "dns-data" => "dns",
                    "address-data" => "address",
                    other => other,
                };
                let message = format!("{shown}.{written} is kept in the profile but not imported");
                self.note(i, NoteKind::NotImported, &section, &key, message);
            }
        }
    }

    fn named_top(&mut self, name: &IfaceName) -> Option<usize> {
        let Some(&i) = self.by_name.get(name) else {
            self.problems.push(Diagnostic::new(
                super::DIR,
                None,
                format!("no NetworkManager profile configures '{name}'"),
            ));
            return None;
        };
        if let Some(master) = self.profiles[i].1.settings.master() {
            let shown =
                self.controller[i].map_or(master.to_owned(), |c| self.profiles[c].0.to_string());
            let message = format!("'{name}' is part of '{shown}'; name '{shown}' instead");
            return self.ok(i, "connection", "master", Err(message));
        }
        Some(i)
    }

    /// Records `result`'s problem at `section.key` of profile `i`.
    fn ok<T>(
        &mut self,
        i: usize,
        section: &str,
        key: &str,
        result: Result<T, String>,
    ) -> Option<T> {
        self.ok_nth(i, section, key, 0, result)
    }

    /// [`Importer::ok`] for the `nth` entry of a list such as `address-data`.
    fn ok_nth<T>(
        &mut self,
        i: usize,
        section: &str,
        key: &str,
        nth: usize,
        result: Result<T, String>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                let located = self.located.entry(i).or_default();
                let problem = self.profiles[i]
                    .1
                    .problem_in(located, section, key, nth, message);
                self.problems.push(problem);
                None
            }
        }
    }

    /// Starts reading profile `i`: what names it and what makes it a port counts as read.
    fn visit(&mut self, i: usize) {
        self.visited.push(i);
        for key in ["interface-name", "master", "slave-type"] {
            self.mark(i, "connection", key);
        }
        // Where a keyfile names the device in its type's section, the old way.
        if let Some(type_name) = self.settings(i).kind() {
            self.mark(i, type_name, "interface-name");
        }
    }

    fn settings(&self, i: usize) -> &'a Settings {
        self.profiles[i].1.settings
    }

    fn interface(&mut self, i: usize) -> Option<Interface> {
        let p = self.settings(i);
        let name = self.profiles[i].0.clone();
        let uuid = own_uuid(p, &name);
        self.visit(i);
        let start = Some(match self.get(i, "connection", "autoconnect") {
            Some(Value::Bool(false)) => StartMode::None,
            _ => StartMode::OnBoot,
        });
        let mtu = self.mtu(i);
        let ipv4 = self.ipv4(i);
        let ipv6 = self.ipv6(i);
        if let (Some(m), Some(_)) = (mtu, &ipv6)
            && m.get() < Mtu::MIN_IPV6
        {
            let min = Mtu::MIN_IPV6;
            let why =
                format!("MTU {m} is below {min}, the minimum for IPv6, which this profile enables");
            self.ok::<()>(i, kind::ETHERNET, "mtu", Err(why));
        }
        let kind = match p.kind() {
            Some(kind::BOND) => InterfaceKind::Bond(self.bond(i, &name)?),
            Some(kind::VLAN) => InterfaceKind::Vlan(self.vlan(i, &name)?),
            Some(kind::BRIDGE) => InterfaceKind::Bridge(self.bridge(i, &name)?),
            _ => InterfaceKind::Ethernet(self.ethernet(i)),
        };
        self.inherited(i, mtu);
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

    /// Marks as read what every port and slave under top-level profile `i` repeats of it:
    /// its `autoconnect`, and its `mtu` when it has one. The XML says them once, on the
    /// interface, and every backend repeats them on the ports (a port with another MTU
    /// breaks its bridge). A port that differs stays a note: the XML has no place for it.
    fn inherited(&mut self, i: usize, mtu: Option<Mtu>) {
        let Some(from) = self.visited.iter().rposition(|&v| v == i) else {
            return;
        };
        let autoconnect =
            |s: &Settings| s.get("connection", "autoconnect") != Some(&Value::Bool(false));
        let top = autoconnect(self.settings(i));
        let under: Vec<usize> = self.visited[from + 1..].to_vec();
        for m in under {
            let port = self.settings(m);
            if autoconnect(port) == top {
                self.mark(m, "connection", "autoconnect");
            }
            if mtu
                .is_some_and(|mtu| port.get(kind::ETHERNET, "mtu") == Some(&Value::U32(mtu.get())))
            {
                self.mark(m, kind::ETHERNET, "mtu");
            }
        }
    }

    fn mtu(&mut self, i: usize) -> Option<Mtu> {
        match self.get(i, kind::ETHERNET, "mtu") {
            None | Some(Value::U32(0)) => None,
            Some(Value::U32(n)) => {
                let text = n.to_string();
                self.ok(
                    i,
                    kind::ETHERNET,
                    "mtu",
                    checked("mtu", &text, Mtu::parse(&text)),
                )
            }
            Some(other) => self.wrong_type(i, kind::ETHERNET, "mtu", other),
        }
    }

    fn wrong_type<T>(&mut self, i: usize, section: &str, key: &str, v: &Value) -> Option<T> {
        self.ok(i, section, key, Err(format!("unexpected value {v:?}")))
    }

    /// A NIC: its MAC, and its cloned MAC when that is an address rather than one of
    /// NetworkManager's words for how to pick one.
    fn ethernet(&mut self, i: usize) -> Ethernet {
        let mut e = self.slave(i);
        // A keyfile says the cloned MAC in `cloned-mac-address`: bytes for an address, text
        // for a word. D-Bus says it twice: the bytes there (for an address only), and the
        // text in `assigned-mac-address` (an address or a word).
        let assigned = self.get(i, kind::ETHERNET, "assigned-mac-address");
        let (key, text) = match self.get(i, kind::ETHERNET, "cloned-mac-address") {
            Some(Value::Bytes(b)) => (
                "cloned-mac-address",
                super::keyfile::mac_text(b).to_ascii_lowercase(),
            ),
            Some(Value::Str(word)) => ("cloned-mac-address", word.clone()),
            Some(other) => {
                self.wrong_type::<()>(i, kind::ETHERNET, "cloned-mac-address", other);
                return e;
            }
            None => match assigned {
                None => return e,
                Some(Value::Str(text)) => ("assigned-mac-address", text.to_ascii_lowercase()),
                Some(other) => {
                    self.wrong_type::<()>(i, kind::ETHERNET, "assigned-mac-address", other);
                    return e;
                }
            },
        };
        if super::settings::MAC_WORDS.contains(&text.as_str()) {
            let message = format!(
                "ethernet.{key} is kept in the profile but not imported: '{text}' is how \
                 NetworkManager picks a MAC, and <nl:cloned-mac> holds an address"
            );
            self.note(i, NoteKind::NotImported, kind::ETHERNET, key, message);
            return e;
        }
        let parsed = checked(key, &text, MacAddr::parse(&text));
        e.cloned_mac = self.ok(i, kind::ETHERNET, key, parsed);
        e
    }

    /// A bond slave: its MAC only (the bonding driver sets its slaves' MACs, and the model
    /// has no cloned MAC for one).
    fn slave(&mut self, i: usize) -> Ethernet {
        let mac = match self.get(i, kind::ETHERNET, "mac-address") {
            None => None,
            Some(Value::Bytes(b)) => {
                let text = super::keyfile::mac_text(b).to_ascii_lowercase();
                let parsed = checked("mac-address", &text, MacAddr::parse(&text));
                self.ok(i, kind::ETHERNET, "mac-address", parsed)
            }
            Some(other) => self.wrong_type(i, kind::ETHERNET, "mac-address", other),
        };
        Ethernet {
            mac,
            cloned_mac: None,
            link: None,
        }
    }

    /// A `u32` key of `section`, as text for the model's parsers.
    fn number(&mut self, i: usize, section: &str, key: &str) -> Option<String> {
        match self.get(i, section, key)? {
            Value::U32(n) => Some(n.to_string()),
            other => self.wrong_type(i, section, key, other),
        }
    }

    fn bond(&mut self, i: usize, name: &IfaceName) -> Option<Bond> {
        let options = match self.get(i, kind::BOND, "options") {
            Some(Value::StrMap(m)) => m.clone(),
            _ => Default::default(),
        };
        let opt = |k: &str| options.get(k).map(String::as_str);
        let mode = match opt("mode") {
            Some(m) => Some(self.ok(
                i,
                kind::BOND,
                "mode",
                checked("mode", m, BondMode::parse_driver(m)),
            )?),
            None => None,
        };
        let monitor = self.bond_monitor(i, &opt)?;
        let bond_options = self.bond_options(i, &options, mode)?;
        let slaves = self.bond_slaves(i, name, opt("primary"));
        if slaves.is_empty() {
            let message = format!("bond '{name}' has no slaves: no profile names it as master");
            return self.ok(i, "connection", "interface-name", Err(message));
        }
        Some(Bond {
            mode,
            monitor,
            slaves,
            link: None,
            options: bond_options,
        })
    }

    /// The bond's link monitor, MII (`miimon`) before ARP (`arp_interval`) as the driver
    /// takes them, or none; `None` when a value of it is bad (reported where the option is,
    /// its own key in a keyfile).
    fn bond_monitor<'o>(
        &mut self,
        i: usize,
        opt: &dyn Fn(&str) -> Option<&'o str>,
    ) -> Option<Option<BondMonitor>> {
        let parse = |im: &mut Self, key: &str, f: &dyn Fn(&str) -> Result<u32, ValueError>| {
            let v = opt(key)?;
            im.ok(i, kind::BOND, key, checked(key, v, f(v)))
        };
        let uint = |v: &str| {
            crate::model::parse_uint(v).ok_or_else(|| ValueError("expected a whole number".into()))
        };
        if let Some(freq) = parse(self, "miimon", &uint) {
            let carrier = match opt("use_carrier") {
                Some(c) => {
                    let parsed = checked("use_carrier", c, Carrier::parse_driver(c));
                    Some(self.ok(i, kind::BOND, "use_carrier", parsed)?)
                }
                None => None,
            };
            return Some(Some(BondMonitor::Mii(Miimon {
                freq,
                downdelay: parse(self, "downdelay", &uint),
                updelay: parse(self, "updelay", &uint),
                carrier,
            })));
        }
        let Some(interval) = parse(self, "arp_interval", &uint) else {
            return Some(None);
        };
        let target = match opt("arp_ip_target") {
            Some(raw) => {
                let target = checked("arp_ip_target", raw, parse_arp_target(raw));
                self.ok(i, kind::BOND, "arp_ip_target", target)?
            }
            None => {
                let message = "arp_interval monitors by ARP, and there is no \
                               arp_ip_target to probe; expected one IPv4 address";
                return self.ok(i, kind::BOND, "arp_interval", Err(message.to_owned()));
            }
        };
        let validate = match opt("arp_validate") {
            Some(v) => {
                let parsed = checked("arp_validate", v, ArpValidate::parse_driver(v));
                Some(self.ok(i, kind::BOND, "arp_validate", parsed)?)
            }
            None => None,
        };
        Some(Some(BondMonitor::Arp(Arpmon {
            interval,
            target,
            validate,
        })))
    }

    /// The driver options of `bond.options` beyond the mode and monitor; one the model does
    /// not hold, or NetworkManager drops, is noted as kept in the profile but not imported.
    fn bond_options(
        &mut self,
        i: usize,
        options: &BTreeMap<String, String>,
        mode: Option<BondMode>,
    ) -> Option<BondOptions> {
        let mut bond_options = BondOptions::default();
        for (key, value) in options {
            let classic = BondOption::from_driver_name(key)
                .is_some_and(|o| !BOND_OPTION_NAMES.contains(&o.driver_name()));
            if classic {
                continue;
            }
            let message = match bond_options.read_driver(key, value, mode) {
                Ok(DriverOption::Read) => continue,
                Ok(DriverOption::NotAnOption) => {
                    format!("bond.{key} is kept in the profile but not imported")
                }
                Ok(DriverOption::Dropped(why)) => format!(
                    "bond.{key} is kept in the profile but not imported: {why}, and \
                     NetworkManager drops it"
                ),
                Err(e) => {
                    return self.ok(
                        i,
                        kind::BOND,
                        key,
                        Err(format!("invalid {key} '{value}': {e}")),
                    );
                }
            };
            self.note(i, NoteKind::NotImported, kind::BOND, key, message);
        }
        Some(bond_options)
    }

    /// The profiles naming the bond as master, read as its slaves, the `primary` first (in
    /// the XML, order is what says it); a slave that is not ethernet is reported.
    fn bond_slaves(&mut self, i: usize, name: &IfaceName, primary: Option<&str>) -> Vec<Slave> {
        let mut members = self.slaves_of.get(&i).cloned().unwrap_or_default();
        if let Some(primary) = primary {
            members.sort_by_key(|&m| self.profiles[m].0.as_str() != primary);
        }
        let mut slaves = Vec::new();
        for m in members {
            self.visit(m);
            if self.settings(m).kind() != Some(kind::ETHERNET) {
                let message = format!("bond '{name}' can only have ethernet slaves");
                self.ok::<()>(m, "connection", "master", Err(message));
                continue;
            }
            slaves.push(Slave {
                name: self.profiles[m].0.clone(),
                ethernet: self.slave(m),
            });
        }
        slaves
    }

    fn vlan(&mut self, i: usize, name: &IfaceName) -> Option<Vlan> {
        let id = self
            .number(i, kind::VLAN, "id")
            .unwrap_or_else(|| "0".into());
        let tag = self.ok(i, kind::VLAN, "id", checked("id", &id, VlanTag::parse(&id)))?;
        let Some(raw) = self.text(i, kind::VLAN, "parent") else {
            let message = format!("cannot tell the parent of vlan '{name}': it has no vlan.parent");
            return self.ok(i, "connection", "interface-name", Err(message));
        };
        // The parent may be named by its profile's UUID.
        let parent = match self.by_uuid.get(raw) {
            Some(&p) => self.profiles[p].0.clone(),
            None => self.ok(
                i,
                kind::VLAN,
                "parent",
                checked("parent", raw, IfaceName::parse(raw)),
            )?,
        };
        if parent == *name {
            let message = format!("vlan '{name}' cannot be its own parent device");
            return self.ok(i, kind::VLAN, "parent", Err(message));
        }
        let options = self.vlan_options(i)?;
        Some(Vlan {
            tag,
            parent,
            link: None,
            options,
        })
    }

    /// `vlan.flags` and `vlan.protocol`: headers reordered unless bit 1 is clear (a keyfile
    /// without `flags` reorders them), GVRP 2, loose binding 4, MVRP 8.
    fn vlan_options(&mut self, i: usize) -> Option<VlanOptions> {
        let flags = match self.get(i, kind::VLAN, "flags") {
            None => super::keyfile::VLAN_FLAGS_ABSENT,
            Some(Value::U32(f)) if *f < 16 => *f,
            Some(other) => {
                let message = format!(
                    "invalid flags {other:?}: expected a sum of 1 (reorder headers), 2 (GVRP), \
                     4 (loose binding) and 8 (MVRP)"
                );
                return self.ok(i, kind::VLAN, "flags", Err(message));
            }
        };
        let bit = |n: u32| (flags & n != 0).then_some(true);
        let protocol = match self.text(i, kind::VLAN, "protocol") {
            Some(p) => {
                let parsed = checked("protocol", p, VlanProtocol::parse(p));
                Some(self.ok(i, kind::VLAN, "protocol", parsed)?)
            }
            None => None,
        };
        Some(VlanOptions {
            protocol,
            reorder_hdr: (flags & 1 == 0).then_some(false),
            gvrp: bit(2),
            loose_binding: bit(4),
            mvrp: bit(8),
        })
    }

    fn bridge(&mut self, i: usize, name: &IfaceName) -> Option<Bridge> {
        // Without the key, NetworkManager's default: STP on.
        let stp = match self.get(i, kind::BRIDGE, "stp") {
            None => Some(true),
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => self.wrong_type(i, kind::BRIDGE, "stp", other),
        };
        let delay = match self.number(i, kind::BRIDGE, "forward-delay") {
            Some(d) => {
                let parsed = checked("forward-delay", &d, ForwardDelay::parse(&d));
                self.ok(i, kind::BRIDGE, "forward-delay", parsed)
            }
            None => None,
        };
        let options = self.bridge_options(i, stp == Some(false))?;
        let mut ports = Vec::new();
        for m in self.ports_of.get(&i).cloned().unwrap_or_default() {
            let port_name = self.profiles[m].0.clone();
            self.visit(m);
            let kind = match self.settings(m).kind() {
                Some(kind::VLAN) => PortKind::Vlan(self.vlan(m, &port_name)?),
                Some(kind::BOND) => PortKind::Bond(self.bond(m, &port_name)?),
                Some(kind::BRIDGE) => {
                    let message =
                        format!("bridge '{port_name}' cannot be a port of bridge '{name}'");
                    return self.ok(m, "connection", "master", Err(message));
                }
                _ => PortKind::Ethernet(self.ethernet(m)),
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

    /// A bridge's other options; NetworkManager's defaults read as unset. With STP off it
    /// does not set the priority, hello time or max age, so those are noted, not read.
    fn bridge_options(&mut self, i: usize, stp_off: bool) -> Option<BridgeOptions> {
        let mut o = BridgeOptions::default();
        for key in ["priority", "hello-time", "max-age", "ageing-time"] {
            let Some(text) = self.number(i, kind::BRIDGE, key) else {
                continue;
            };
            if super::settings::is_default(kind::BRIDGE, key, &Value::U32(parse_uint(&text)?)) {
                continue;
            }
            if stp_off && key != "ageing-time" {
                let message = format!(
                    "bridge.{key} is kept in the profile but not imported: it is STP's, STP is \
                     off, and NetworkManager does not set it"
                );
                self.note(i, NoteKind::NotImported, kind::BRIDGE, key, message);
                continue;
            }
            let parsed = match key {
                "priority" => BridgeOptions::parse_priority(&text).map(|v| o.priority = Some(v)),
                "hello-time" => HelloTime::parse(&text).map(|v| o.hello_time = Some(v)),
                "max-age" => MaxAge::parse(&text).map(|v| o.max_age = Some(v)),
                _ => AgeingTime::parse(&text).map(|v| o.ageing_time = Some(v)),
            };
            self.ok(i, kind::BRIDGE, key, checked(key, &text, parsed))?;
        }
        match self.get(i, kind::BRIDGE, "multicast-snooping") {
            None | Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => o.multicast_snooping = Some(false),
            Some(other) => return self.wrong_type(i, kind::BRIDGE, "multicast-snooping", other),
        }
        Some(o)
    }

    /// `ipv4.method` or `ipv6.method`; NetworkManager's `auto` when the setting is missing.
    fn method(&mut self, i: usize, family: &str) -> String {
        self.text(i, family, "method").unwrap_or("auto").to_owned()
    }

    /// `<dhcp>` from `ignore-auto-dns`: `peerdns` is its opposite.
    fn dhcp(&mut self, i: usize, family: &str) -> Dhcp {
        let peerdns = match self.get(i, family, "ignore-auto-dns") {
            Some(Value::Bool(ignore)) => Some(!ignore),
            _ => None,
        };
        Dhcp { peerdns }
    }

    /// `address-data` as (address, prefix) text pairs, and `gateway`.
    fn addresses(&mut self, i: usize, family: &str) -> (Vec<(String, String)>, Option<String>) {
        let mut out = Vec::new();
        match self.get(i, family, "address-data") {
            None => {}
            Some(Value::Dicts(list)) => {
                for a in list {
                    let field = |k: &str| match a.get(k) {
                        Some(Value::Str(s)) => s.clone(),
                        Some(Value::U32(n)) => n.to_string(),
                        _ => String::new(),
                    };
                    out.push((field("address"), field("prefix")));
                }
            }
            Some(other) => {
                self.wrong_type::<()>(i, family, "address-data", other);
            }
        }
        let gateway = self.text(i, family, "gateway").map(str::to_owned);
        (out, gateway)
    }

    fn unexpressible<T>(&mut self, i: usize, family: &str, method: &str) -> Option<T> {
        let message = format!("{family}.method '{method}' cannot be expressed in interface XML");
        self.ok(i, family, "method", Err(message))
    }

    fn ipv4(&mut self, i: usize) -> Option<Ipv4> {
        let method = self.method(i, "ipv4");
        let dhcp = match method.as_str() {
            "disabled" => return None,
            "auto" => Some(self.dhcp(i, "ipv4")),
            "manual" => None,
            other => return self.unexpressible(i, "ipv4", other),
        };
        let (raw, gateway) = self.addresses(i, "ipv4");
        let mut addresses = Vec::new();
        for (n, (a, p)) in raw.into_iter().enumerate() {
            let address = checked("address", &a, parse_host_ipv4(&a));
            let address = self.ok_nth(i, "ipv4", "address-data", n, address);
            let prefix = checked("prefix", &p, Ipv4Prefix::parse(&p));
            let prefix = self.ok_nth(i, "ipv4", "address-data", n, prefix);
            if let (Some(address), Some(prefix)) = (address, prefix) {
                if addresses.iter().any(|b: &Ipv4Address| b.address == address) {
                    let message = format!(
                        "ipv4.address{} is kept in the profile but not imported: {address} is \
                         given before, and interface XML holds an address once",
                        n + 1
                    );
                    let at = ("ipv4", "address-data", n);
                    self.note_nth(i, NoteKind::NotImported, at, message);
                    continue;
                }
                addresses.push(Ipv4Address {
                    address,
                    prefix: Some(prefix),
                });
            }
        }
        let gateway = match gateway {
            Some(g) => self.ok(
                i,
                "ipv4",
                "gateway",
                checked("gateway", &g, parse_host_ipv4(&g)),
            ),
            None => None,
        };
        let mut v4 = Ipv4 {
            dhcp,
            addresses,
            gateway,
            routes: Vec::new(),
            dns: Vec::new(),
            search: Vec::new(),
        };
        let networks = (v4.addresses.iter())
            .filter_map(|a| Some(Destination::of(a.address, a.prefix?.get())))
            .collect();
        let check = RouteCheck::new(networks, v4.dhcp.is_some());
        let extras = (&mut v4.routes, &mut v4.dns, &mut v4.search);
        self.routes_and_dns::<Ipv4Addr>(i, "ipv4", check, extras);
        Some(v4)
    }

    fn ipv6(&mut self, i: usize) -> Option<Ipv6> {
        let method = self.method(i, "ipv6");
        let ignore_set = self.get(i, "ipv6", "ignore-auto-dns").is_some();
        let (autoconf, dhcp) = match method.as_str() {
            "disabled" | "ignore" => return None,
            // `auto` runs DHCPv6 when routers ask for it; `<dhcp>` is written only when
            // there is a `peerdns` to say.
            "auto" => (true, ignore_set.then(|| self.dhcp(i, "ipv6"))),
            "dhcp" => (false, Some(self.dhcp(i, "ipv6"))),
            "manual" | "link-local" => (false, None),
            other => return self.unexpressible(i, "ipv6", other),
        };
        let (raw, gateway) = self.addresses(i, "ipv6");
        let mut addresses = Vec::new();
        for (n, (a, p)) in raw.into_iter().enumerate() {
            let address = checked("address", &a, parse_host_ipv6(&a));
            let address = self.ok_nth(i, "ipv6", "address-data", n, address);
            let prefix = checked("prefix", &p, Ipv6Prefix::parse(&p));
            let prefix = self.ok_nth(i, "ipv6", "address-data", n, prefix);
            if let (Some(address), Some(prefix)) = (address, prefix) {
                if addresses.iter().any(|b: &Ipv6Address| b.address == address) {
                    let message = format!(
                        "ipv6.address{} is kept in the profile but not imported: {address} is \
                         given before, and interface XML holds an address once",
                        n + 1
                    );
                    let at = ("ipv6", "address-data", n);
                    self.note_nth(i, NoteKind::NotImported, at, message);
                    continue;
                }
                addresses.push(Ipv6Address {
                    address,
                    prefix: Some(prefix),
                });
            }
        }
        let gateway = match gateway {
            Some(g) => self.ok(
                i,
                "ipv6",
                "gateway",
                checked("gateway", &g, parse_host_ipv6(&g)),
            ),
            None => None,
        };
        let mut v6 = Ipv6 {
            autoconf,
            dhcp,
            addresses,
            gateway,
            routes: Vec::new(),
            dns: Vec::new(),
            search: Vec::new(),
        };
        // A link-local profile has no address to route or resolve from: NetworkManager
        // refuses DNS there, and the model holds neither.
        if method != "link-local" || !v6.addresses.is_empty() {
            let networks = (v6.addresses.iter())
                .filter_map(|a| Some(Destination::of(a.address, a.prefix?.get())))
                .collect();
            let check = RouteCheck::new(networks, v6.autoconf || v6.dhcp.is_some());
            let extras = (&mut v6.routes, &mut v6.dns, &mut v6.search);
            self.routes_and_dns::<Ipv6Addr>(i, "ipv6", check, extras);
        }
        Some(v6)
    }
}

mod route;
