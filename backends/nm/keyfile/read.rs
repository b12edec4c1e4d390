//! Keyfile text back to typed settings, as NetworkManager reads it: keyfile spellings
//! become D-Bus names and types (`[ethernet]` is `802-3-ethernet`, `address1=A/P,GW` is an
//! `address-data` entry and the `gateway`, `mac-address` is bytes, `[bond]` keys are the
//! `options` map). Keys whose value NetworkManager assumes when a keyfile leaves them out
//! differently from D-Bus's default are filled in (`ipv6.addr-gen-mode`, `vlan.flags`), so
//! the settings mean what NetworkManager reads. A key netloom does not know is kept as
//! [`Value::Str`] with its text as written; a key it manages with a bad value is an error
//! at its `file:line:col`.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::settings::{Settings, Value, kind};
use super::{ADDR_GEN_MODE_ABSENT, ADDR_GEN_MODES, VLAN_FLAGS_ABSENT, dbus_name};
use crate::error::Diagnostics;
use crate::source::SourceFile;
use crate::syntax::ini::{self, split_list, unescape};
use route::route_key;

/// The type a known key is read as.
#[derive(Debug, Clone, Copy)]
enum Type {
    Str,
    Bool,
    U32,
    U64,
    Mac,
    /// `cloned-mac-address`: a MAC (bytes), or one of NetworkManager's words for how to
    /// pick one (`random`, `stable`…), kept as text.
    ClonedMac,
    /// `connection.type`: a setting name, `ethernet` for `802-3-ethernet`.
    Kind,
    /// An address of the section's family, printed canonically.
    Ip,
    AddrGenMode,
}

/// The keys netloom reads with a type: every key it renders, and those NetworkManager writes
/// into every keyfile of the kinds netloom renders.
fn typed(section: &str, key: &str) -> Option<Type> {
    let ip = matches!(section, "ipv4" | "ipv6");
    Some(match (section, key) {
        ("connection", "id" | "uuid" | "interface-name" | "master" | "slave-type") => Type::Str,
        ("connection", "controller" | "port-type") => Type::Str,
        ("connection", "type") => Type::Kind,
        ("connection", "autoconnect") => Type::Bool,
        ("connection", "timestamp") => Type::U64,
        (kind::ETHERNET, "mtu") => Type::U32,
        (kind::ETHERNET, "mac-address") => Type::Mac,
        (kind::ETHERNET, "auto-negotiate") => Type::Bool,
        (kind::ETHERNET, "cloned-mac-address") => Type::ClonedMac,
        (kind::VLAN, "parent" | "protocol") => Type::Str,
        (kind::VLAN, "id" | "flags") => Type::U32,
        (kind::BRIDGE, "stp" | "multicast-snooping") => Type::Bool,
        (kind::BRIDGE, "forward-delay" | "priority" | "hello-time" | "max-age" | "ageing-time") => {
            Type::U32
        }
        (_, "method") if ip => Type::Str,
        (_, "ignore-auto-dns") if ip => Type::Bool,
        (_, "gateway") if ip => Type::Ip,
        ("ipv6", "addr-gen-mode") => Type::AddrGenMode,
        _ => return None,
    })
}

/// Whether the writer must escape a string value of this key (a key read with a type), or
/// write it as kept.
pub(in super::super) fn is_typed(section: &str, key: &str) -> bool {
    typed(section, key).is_some()
}

/// The settings a keyfile holds, typed as D-Bus carries them. `path` names the file in
/// problems; every problem found is reported.
pub fn read(path: &str, text: &str) -> Result<Settings, Diagnostics> {
    let ini = ini::parse(path, text)?;
    let mut r = Reader {
        settings: Settings::default(),
        problems: Vec::new(),
        addresses: BTreeMap::new(),
        routes: BTreeMap::new(),
        route_options: HashMap::new(),
    };
    let mut section = "";
    for item in ini.items(text) {
        match item {
            ini::Item::Section { name, .. } => {
                section = dbus_name(name);
                r.settings.0.entry(section.to_owned()).or_default();
            }
            ini::Item::Entry(e) => r.entry(section, &e),
        }
    }
    r.finish_addresses();
    r.finish_routes();
    normalize(&mut r.settings);
    if let Some(ipv6) = r.settings.0.get_mut("ipv6") {
        let mode = Value::I32(ADDR_GEN_MODE_ABSENT);
        ipv6.entry("addr-gen-mode".to_owned()).or_insert(mode);
    }
    if let Some(vlan) = r.settings.0.get_mut(kind::VLAN) {
        let flags = Value::U32(VLAN_FLAGS_ABSENT);
        vlan.entry("flags".to_owned()).or_insert(flags);
    }
    if r.problems.is_empty() {
        return Ok(r.settings);
    }
    r.problems.sort_by_key(|p| p.0);
    let source = SourceFile::new(path, text);
    Err(Diagnostics(
        r.problems
            .into_iter()
            .map(|(at, m)| source.diagnostic_in_input(at, m))
            .collect(),
    ))
}

/// What NetworkManager makes of a keyfile before it uses it, as far as netloom reads it:
/// `controller` and `port-type` (NetworkManager 1.46's names) are `master` and `slave-type`,
/// one property each, which D-Bus names the old way; a profile without `type` has the type of
/// the one device setting it has (`[ethernet]`), and a port without `port-type` the kind of
/// its port setting (`[bridge-port]`, `[bond-port]`), as `nm_connection_normalize` infers them.
fn normalize(settings: &mut Settings) {
    let connection = settings.0.entry("connection".to_owned()).or_default();
    for (new, old) in [("controller", "master"), ("port-type", "slave-type")] {
        if let Some(value) = connection.remove(new) {
            connection.entry(old.to_owned()).or_insert(value);
        }
    }
    if settings.kind().is_none() {
        let bases: Vec<&str> = settings
            .0
            .keys()
            .map(String::as_str)
            .filter(|s| {
                matches!(
                    *s,
                    kind::ETHERNET | kind::BOND | kind::VLAN | kind::BRIDGE | "802-11-wireless"
                )
            })
            .collect();
        if let [one] = bases.as_slice() {
            let one = (*one).to_owned();
            settings.set("connection", "type", Value::Str(one));
        }
    }
    if settings.master().is_some() && settings.str("connection", "slave-type").is_none() {
        let port = ["bridge", "bond", "team"]
            .into_iter()
            .find(|k| settings.0.contains_key(&format!("{k}-port")));
        if let Some(port) = port {
            settings.set("connection", "slave-type", Value::Str(port.to_owned()));
        }
    }
}

/// Where the values of a keyfile are, as D-Bus names them, to position a problem found
/// after [`read`]. Built only for a file that has a problem (reading 10,000 keyfiles
/// records no positions), and once for it however many problems it has.
#[derive(Debug, Default)]
pub(in super::super) struct Locator {
    /// The value of the last line that set each `(section, key)`, as `GKeyFile` reads it.
    values: HashMap<(String, String), usize>,
    /// The name in the last header of each section.
    sections: HashMap<String, usize>,
    /// Each IP section's address lines in number order: the order of `address-data`.
    addresses: HashMap<String, Vec<usize>>,
    /// Each IP section's route lines in number order: the order of `route-data`.
    routes: HashMap<String, Vec<usize>>,
}

impl Locator {
    /// Records where everything in `text` is; a file the INI reader refuses has nothing
    /// to record (its problems are positioned already).
    pub(in super::super) fn new(text: &str) -> Self {
        let mut out = Self::default();
        let Ok(ini) = ini::parse("", text) else {
            return out;
        };
        let mut numbered: HashMap<String, BTreeMap<(u32, bool), usize>> = HashMap::new();
        let mut routes: HashMap<String, BTreeMap<(u32, bool), usize>> = HashMap::new();
        let mut section = "";
        for item in ini.items(text) {
            match item {
                ini::Item::Section { name, at } => {
                    section = dbus_name(name);
                    out.sections.insert(section.to_owned(), at);
                }
                ini::Item::Entry(e) => {
                    let ip = matches!(section, "ipv4" | "ipv6");
                    if let (true, Some(n)) = (ip, address_key(e.key)) {
                        let lines = numbered.entry(section.to_owned()).or_default();
                        lines.insert(n, e.value_at);
                    }
                    if let (true, Some(n)) = (ip, route_key(e.key)) {
                        let lines = routes.entry(section.to_owned()).or_default();
                        lines.insert(n, e.value_at);
                    }
                    let key = (section.to_owned(), e.key.to_owned());
                    out.values.insert(key, e.value_at);
                }
            }
        }
        out.addresses = numbered
            .into_iter()
            .map(|(s, lines)| (s, lines.into_values().collect()))
            .collect();
        out.routes = routes
            .into_iter()
            .map(|(s, lines)| (s, lines.into_values().collect()))
            .collect();
        out
    }

    /// The byte offset of `section.key`: its value (the `nth` entry of `address-data`, the
    /// address line it came from), else the section's header (a key a problem is about
    /// may be missing, as `arp_ip_target` is when only `arp_interval` is set), else the
    /// start of the file. A bond option is its own key of `[bond]`, `dns-data` the `dns`
    /// key, and `gateway` its own key or else the first address line.
    pub(in super::super) fn find(&self, section: &str, key: &str, nth: usize) -> usize {
        let value = |k: &str| {
            self.values
                .get(&(section.to_owned(), k.to_owned()))
                .copied()
        };
        let address = |n: usize| self.addresses.get(section).and_then(|a| a.get(n)).copied();
        let route = |n: usize| self.routes.get(section).and_then(|a| a.get(n)).copied();
        let found = match (section, key) {
            (_, "dns-data") => value("dns"),
            (_, "route-data") => route(nth),
            ("connection", "master") => value("master").or_else(|| value("controller")),
            ("connection", "slave-type") => value("slave-type").or_else(|| value("port-type")),
            (_, "address-data") => address(nth),
            (_, "gateway") => value("gateway").or_else(|| address(0)),
            (_, key) => value(key),
        };
        found
            .or_else(|| self.sections.get(section).copied())
            .unwrap_or(0)
    }
}

/// One `addressN=` (or `addressesN=`) line: its key, its value and where that is.
struct AddressLine {
    key: String,
    value: String,
    at: usize,
}

struct Reader {
    settings: Settings,
    problems: Vec<(usize, String)>,
    /// Address lines per IP section by number (`addresses` after `address`), later lines of
    /// one key replacing earlier ones.
    addresses: BTreeMap<String, BTreeMap<(u32, bool), AddressLine>>,
    /// Route lines the same way, and each route line's `_options` by its key.
    routes: BTreeMap<String, BTreeMap<(u32, bool), AddressLine>>,
    route_options: HashMap<(String, String), AddressLine>,
}

/// `address`, `address3`, `addresses2`: the number (none is 0) and whether it is the
/// `addresses` spelling.
fn address_key(key: &str) -> Option<(u32, bool)> {
    let (rest, plural) = match key.strip_prefix("addresses") {
        Some(rest) => (rest, true),
        None => (key.strip_prefix("address")?, false),
    };
    if rest.is_empty() {
        return Some((0, plural));
    }
    if !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((rest.parse().ok()?, plural))
}

impl Reader {
    /// Sets a key of `section`, which its header created already (the INI reader refuses
    /// a key before the first header).
    fn set(&mut self, section: &str, key: &str, value: Value) {
        match self.settings.0.get_mut(section) {
            Some(keys) => {
                keys.insert(key.to_owned(), value);
            }
            None => self.settings.set(section, key, value),
        }
    }

    /// One key of a keyfile into the settings, as NetworkManager reads it: into a map, an
    /// IP section's numbered lines or lists, or a value of the key's type.
    fn entry(&mut self, section: &str, e: &ini::Entry<'_>) {
        // A bond's options and an application's user data are one map each, flattened
        // into the section's keys.
        let map = match section {
            kind::BOND if e.key != "interface-name" => Some("options"),
            super::super::USER => Some("data"),
            _ => None,
        };
        if let Some(map) = map {
            self.map_entry(section, map, e);
            return;
        }
        if matches!(section, "ipv4" | "ipv6") && self.ip_entry(section, e) {
            return;
        }
        self.typed_entry(section, e);
    }

    /// A key of a flattened map: its value into the map `map` of `section`.
    fn map_entry(&mut self, section: &str, map: &str, e: &ini::Entry<'_>) {
        let Some(value) = self.string(e) else { return };
        match self
            .settings
            .0
            .entry(section.to_owned())
            .or_default()
            .entry(map.to_owned())
            .or_insert_with(|| Value::StrMap(BTreeMap::new()))
        {
            Value::StrMap(options) => {
                options.insert(e.key.to_owned(), value);
            }
            other => *other = Value::StrMap(BTreeMap::from([(e.key.to_owned(), value)])),
        }
    }

    /// A key only IP sections have: `addressN`, `routeN` and `routeN_options` kept as lines
    /// for later, `dns-search` and `dns` as lists; whether `e` was one.
    fn ip_entry(&mut self, section: &str, e: &ini::Entry<'_>) -> bool {
        let line = || AddressLine {
            key: e.key.to_owned(),
            value: e.value.to_owned(),
            at: e.value_at,
        };
        if let Some(number) = address_key(e.key) {
            (self.addresses.entry(section.to_owned()).or_default()).insert(number, line());
        } else if let Some(number) = route_key(e.key) {
            (self.routes.entry(section.to_owned()).or_default()).insert(number, line());
        } else if let Some(base) = e.key.strip_suffix("_options")
            && route_key(base).is_some()
        {
            self.route_options
                .insert((section.to_owned(), base.to_owned()), line());
        } else if e.key == "dns-search" {
            self.list_entry(section, "dns-search", e);
        } else if e.key == "dns" {
            self.list_entry(section, "dns-data", e);
        } else {
            return false;
        }
        true
    }

    /// A `;`-separated list into `key` of `section`, or a problem at its bad item.
    fn list_entry(&mut self, section: &str, key: &str, e: &ini::Entry<'_>) {
        match split_list(e.value, ';') {
            Ok(items) => {
                let items = items.into_iter().map(|(_, s)| s).collect();
                self.set(section, key, Value::Strs(items));
            }
            Err((at, m)) => self.problems.push((e.value_at + at, m)),
        }
    }

    /// Any other key: a value of the type NetworkManager gives it, or its text when the
    /// key has no type netloom knows.
    fn typed_entry(&mut self, section: &str, e: &ini::Entry<'_>) {
        let Some(ty) = typed(section, e.key) else {
            self.set(section, e.key, Value::Str(e.value.to_owned()));
            return;
        };
        let text = match unescape(e.value) {
            Ok(text) => text,
            Err((at, m)) => {
                self.problems.push((e.value_at + at, m));
                return;
            }
        };
        let value = match convert(ty, section, &text) {
            Ok(v) => v,
            Err(expected) => {
                let message = format!("invalid {} '{}': expected {expected}", e.key, e.value);
                self.problems.push((e.value_at, message));
                return;
            }
        };
        self.set(section, e.key, value);
    }

    /// The value of `e` decoded as a string, or a problem at its bad escape.
    fn string(&mut self, e: &ini::Entry<'_>) -> Option<String> {
        match unescape(e.value) {
            Ok(v) => Some(v.into_owned()),
            Err((at, m)) => {
                self.problems.push((e.value_at + at, m));
                None
            }
        }
    }

    /// Builds each IP section's `address-data` (and the `gateway` of its first address,
    /// unless a `gateway=` key said it) from the address lines, in number order.
    fn finish_addresses(&mut self) {
        for (section, lines) in std::mem::take(&mut self.addresses) {
            let v6 = section == "ipv6";
            let mut data = Vec::new();
            let mut first_gateway = None;
            let mut any = false;
            for line in lines.into_values() {
                match address(&line.value, v6) {
                    Ok((addr, prefix, gateway)) => {
                        any = true;
                        first_gateway = first_gateway.or(gateway);
                        data.push(BTreeMap::from([
                            ("address".to_owned(), Value::Str(addr.to_string())),
                            ("prefix".to_owned(), Value::U32(prefix)),
                        ]));
                    }
                    Err(expected) => self.problems.push((
                        line.at,
                        format!("invalid {} '{}': expected {expected}", line.key, line.value),
                    )),
                }
            }
            if any {
                self.set(&section, "address-data", Value::Dicts(data));
            }
            let has_gateway = self.settings.get(&section, "gateway").is_some();
            if let (Some(gw), false) = (first_gateway, has_gateway) {
                self.set(&section, "gateway", Value::Str(gw.to_string()));
            }
        }
    }
}

/// One field of an address line as NetworkManager's `read_field` takes it: the characters
/// of `chars` up to a delimiter (`/`, `;` or `,`, which are interchangeable) or the end.
/// `Ok(None)` for an empty rest; `Err(rest)` when another character comes first, with the
/// rest left for the next field.
fn field<'r>(rest: &mut Option<&'r str>, chars: fn(char) -> bool) -> Result<Option<&'r str>, ()> {
    let Some(text) = *rest else { return Ok(None) };
    if text.is_empty() {
        return Ok(None);
    }
    let end = text.find(|c: char| !chars(c)).unwrap_or(text.len());
    match text[end..].chars().next() {
        None => {
            *rest = None;
            Ok(Some(text))
        }
        Some('/' | ';' | ',') => {
            *rest = Some(&text[end + 1..]);
            Ok(Some(&text[..end]))
        }
        Some(_) => Err(()),
    }
}

/// The leading fields of an address or route line as NetworkManager splits them: the
/// address, an optional prefix length (a field that is not digits is the next one instead),
/// and the field after it, with what follows in `rest`.
pub(super) struct Leading<'r> {
    pub addr: Option<&'r str>,
    pub prefix: Option<&'r str>,
    pub next: Option<&'r str>,
    pub rest: Option<&'r str>,
}

/// [`Leading`] of `raw`; `Err` when a field holds a character none of them can.
pub(super) fn leading(raw: &str) -> Result<Leading<'_>, ()> {
    let ip_char = |c: char| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '%');
    let mut rest = Some(raw);
    let addr = field(&mut rest, ip_char)?;
    let before = rest;
    let prefix = match field(&mut rest, |c| c.is_ascii_digit()) {
        Ok(p) => p.filter(|p| !p.is_empty()),
        Err(()) => {
            rest = before;
            None
        }
    };
    let next = field(&mut rest, ip_char)?.filter(|g| !g.is_empty());
    Ok(Leading {
        addr,
        prefix,
        next,
        rest,
    })
}

/// `text` as an address of the family (`v6` or not).
pub(super) fn ip_of(text: &str, v6: bool) -> Option<IpAddr> {
    if v6 {
        text.parse::<Ipv6Addr>().map(IpAddr::V6).ok()
    } else {
        text.parse::<Ipv4Addr>().map(IpAddr::V4).ok()
    }
}

/// A prefix length of the family, `missing` when none is given; `None` when it is not one.
pub(super) fn prefix_of(prefix: Option<&str>, v6: bool, missing: u32) -> Option<u32> {
    let max = if v6 { 128 } else { 32 };
    match prefix {
        Some(p) => p.parse::<u32>().ok().filter(|p| *p <= max),
        None => Some(missing),
    }
}

/// An address line as NetworkManager reads it (`read_one_ip_address_or_route`): the
/// address, an optional prefix length, an optional gateway, separated by any of `/`, `;`
/// and `,` (`A/P,GW`, `A/P`, `A,GW`, `A/GW`, the old `A;P;GW;`), a trailing separator allowed.
/// Without a prefix NetworkManager takes /24 (IPv4) or /64 (IPv6).
fn address(raw: &str, v6: bool) -> Result<(IpAddr, u32, Option<IpAddr>), String> {
    let expected = || {
        if v6 {
            "an IPv6 address with its prefix, like 2001:db8::10/64".to_owned()
        } else {
            "an IPv4 address with its prefix, like 192.0.2.10/24".to_owned()
        }
    };
    let Leading {
        addr,
        prefix,
        next: gateway,
        rest,
    } = leading(raw).map_err(|()| expected())?;
    if rest.is_some_and(|r| !r.is_empty()) {
        return Err(expected());
    }
    let parse_ip = |s: &str| ip_of(s, v6).ok_or_else(expected);
    let prefix = prefix_of(prefix, v6, if v6 { 64 } else { 24 }).ok_or_else(expected)?;
    let addr = addr.ok_or_else(expected)?;
    Ok((parse_ip(addr)?, prefix, gateway.map(parse_ip).transpose()?))
}

/// A typed value from its decoded text, or what was expected instead.
fn convert(ty: Type, section: &str, text: &str) -> Result<Value, String> {
    let number = |max: u64| -> Result<u64, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("a whole number from 0 to {max}"));
        }
        text.parse::<u64>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("a whole number from 0 to {max}"))
    };
    Ok(match ty {
        Type::Str => Value::Str(text.to_owned()),
        Type::Kind => Value::Str(dbus_name(text).to_owned()),
        Type::Bool => match text {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err("'true' or 'false'".into()),
        },
        Type::U32 => Value::U32(number(u64::from(u32::MAX))? as u32),
        Type::U64 => Value::U64(number(u64::MAX)?),
        Type::Mac => Value::Bytes(mac(text).ok_or("a MAC address like 02:4E:4D:00:00:10")?),
        Type::ClonedMac => match mac(text) {
            Some(bytes) => Value::Bytes(bytes),
            None => Value::Str(text.to_owned()),
        },
        Type::Ip => {
            let ip = if section == "ipv6" {
                text.parse::<Ipv6Addr>().map(IpAddr::V6).ok()
            } else {
                text.parse::<Ipv4Addr>().map(IpAddr::V4).ok()
            };
            let what = if section == "ipv6" {
                "an IPv6 address"
            } else {
                "an IPv4 address"
            };
            Value::Str(ip.ok_or(what)?.to_string())
        }
        Type::AddrGenMode => {
            let n = match ADDR_GEN_MODES.iter().position(|m| *m == text) {
                Some(n) => n,
                None => text
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n < ADDR_GEN_MODES.len())
                    .ok_or("'eui64', 'stable-privacy', 'default-or-eui64', 'default' or 0 to 3")?,
            };
            Value::I32(n as i32)
        }
    })
}

/// Six bytes from `02:4E:4D:00:00:10` (either case), or from the old list of decimal bytes
/// (`2;78;77;0;0;16;`).
fn mac(text: &str) -> Option<Vec<u8>> {
    let bytes: Option<Vec<u8>> = if text.contains(':') {
        text.split(':')
            .map(|p| {
                let hex = p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit());
                hex.then(|| u8::from_str_radix(p, 16).ok()).flatten()
            })
            .collect()
    } else {
        text.trim_end_matches(';')
            .split(';')
            .map(|p| p.parse::<u8>().ok())
            .collect()
    };
    bytes.filter(|b| b.len() == 6)
}

mod route;
