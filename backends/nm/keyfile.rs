//! NetworkManager keyfiles (`*.nmconnection`): [`Settings`] to the text NetworkManager 1.42
//! writes for them, and back.
//!
//! What NetworkManager 1.42.4 does, found in the sandbox by sending profiles with
//! `AddConnection2` and reading the keyfile it wrote, and by dropping keyfiles in and reading
//! them back with `ReloadConnections` and `GetSettings`:
//! - Sections are named as D-Bus names settings except `802-3-ethernet`, which is
//!   `[ethernet]` (and `type=ethernet`). Order: `[connection]`, then the device's settings
//!   by name (`ethernet`, `bond`, `bridge`, `vlan`), `[bridge-port]`, `[ipv4]`, `[ipv6]`,
//!   `[proxy]`. Keys are sorted by name, except `id`, `uuid` and `type`, which come first.
//!   Sections are separated by one blank line; the file ends with a newline.
//! - A value equal to its default is not written: `autoconnect=true`, `stp=true`,
//!   `forward-delay=15`, `ignore-auto-dns=false`, `mtu=0`, `id=0` of a vlan, empty lists.
//! - NetworkManager adds settings of its own: `[ethernet]` to every ethernet, vlan and bridge
//!   profile (not to bonds), `[bridge]` and `[vlan]` even when empty, `flags=0` in `[vlan]`
//!   (D-Bus's default; a keyfile without it reads as 1, REORDER_HEADERS), an empty
//!   `[bridge-port]` to bridge ports (not to bond slaves), and to every profile that is not
//!   a port `[ipv6] addr-gen-mode=default` (a keyfile without it reads as
//!   `default-or-eui64`) and an empty `[proxy]`. Ports have no `[ipv4]`, `[ipv6]` or
//!   `[proxy]`. A bond without options gets `mode=balance-rr`.
//! - Addresses are `address1=198.51.100.10/24`, `address2=…` in order; the gateway is
//!   appended to the first one (`address1=198.51.100.10/24,198.51.100.1`), never a
//!   `gateway=` key (NetworkManager refuses a gateway without addresses). An address without
//!   a prefix reads as /24 (IPv4) or /64 (IPv6), with a warning.
//! - `mac-address=02:4E:4D:00:00:10`: upper case. Bond options are keys of `[bond]`
//!   (`mode=802.3ad`, `miimon=100`, `use_carrier=1`, `arp_ip_target=10.0.0.1`), as given.
//! - Routes are `route1=10.10.0.0/16,192.0.2.254,100` in order, the gateway said as
//!   `0.0.0.0` (or `::`) when a metric follows and there is none, and the attributes in
//!   `route1_options=src=192.0.2.10,table=200`, sorted by name. DNS servers are
//!   `dns=A;B;`, search domains `dns-search=A;B;`.
//! - `addr-gen-mode` is a name (`eui64`, `stable-privacy`, `default-or-eui64`, `default`);
//!   `default-or-eui64` is the one left out.
//! - Files whose name starts with `.` are ignored; a name starting with `-` is read.
//!
//! [`write`] reproduces that byte for byte for the settings netloom renders (and for what
//! [`read`] gives back), so a profile NetworkManager saved and the one netloom renders compare
//! equal. Settings a keyfile cannot hold the way D-Bus does are left out: the deprecated
//! keys of [`super::settings::DEPRECATED`], the copies of `interface-name` that
//! `GetSettings` puts in `[bond]`, `[vlan]` and `[bridge]`, maps other than the bond's
//! options, and lists of dictionaries other than `address-data` and `route-data`.

mod read;

use std::borrow::Cow;
use std::collections::BTreeMap;

pub(super) use read::Locator;
pub use read::read;

use super::settings::{DEPRECATED, Section, Settings, Value, kind};
use crate::syntax::ini::escape;

/// The keyfile's name for a D-Bus setting name.
pub(super) fn keyfile_name(setting: &str) -> &str {
    match setting {
        kind::ETHERNET => "ethernet",
        "802-11-wireless" => "wifi",
        "802-11-wireless-security" => "wifi-security",
        other => other,
    }
}

/// The D-Bus name of a keyfile section (or of a `type=`).
pub(super) fn dbus_name(section: &str) -> &str {
    match section {
        "ethernet" => kind::ETHERNET,
        "wifi" => "802-11-wireless",
        "wifi-security" => "802-11-wireless-security",
        other => other,
    }
}

/// `ipv6.addr-gen-mode` values by number, as keyfiles name them.
pub(super) const ADDR_GEN_MODES: &[&str] =
    &["eui64", "stable-privacy", "default-or-eui64", "default"];

/// What a keyfile means when it leaves `ipv6.addr-gen-mode` out: `default-or-eui64`.
pub(super) const ADDR_GEN_MODE_ABSENT: i32 = 2;

/// What a keyfile means when it leaves `vlan.flags` out: REORDER_HEADERS.
pub(super) const VLAN_FLAGS_ABSENT: u32 = 1;

/// Values NetworkManager does not write because they are the default: those it never
/// says ([`super::settings::is_default`]) and a few only its keyfiles leave out.
fn is_default(section: &str, key: &str, value: &Value) -> bool {
    super::settings::is_default(section, key, value)
        || matches!(
            (section, key, value),
            (kind::ETHERNET, "auto-negotiate", Value::Bool(false))
                | ("connection", "timestamp", Value::U64(0))
                | ("ipv6", "addr-gen-mode", Value::I32(ADDR_GEN_MODE_ABSENT))
        )
}

/// What NetworkManager adds to a new profile before it writes it, as far as `settings`
/// lacks it: the sections and keys of the list at the top of this file. Small, so writing
/// never copies the settings themselves.
fn additions(settings: &Settings) -> Settings {
    let mut add = Settings::default();
    let section = |add: &mut Settings, name: &str| {
        add.0.entry(name.to_owned()).or_default();
    };
    let lacks = |section: &str, key: &str| match settings.get(section, key) {
        None => true,
        Some(Value::StrMap(m)) => m.is_empty(),
        Some(_) => false,
    };
    let type_name = settings.kind().unwrap_or_default();
    if matches!(type_name, kind::ETHERNET | kind::VLAN | kind::BRIDGE) {
        section(&mut add, kind::ETHERNET);
    }
    match type_name {
        kind::BOND if lacks(kind::BOND, "options") => {
            let mode = BTreeMap::from([("mode".to_owned(), "balance-rr".to_owned())]);
            add.set(kind::BOND, "options", Value::StrMap(mode));
        }
        kind::VLAN if lacks(kind::VLAN, "flags") => add.set(kind::VLAN, "flags", Value::U32(0)),
        kind::BRIDGE => section(&mut add, kind::BRIDGE),
        _ => {}
    }
    if settings.str("connection", "slave-type") == Some(kind::BRIDGE) {
        section(&mut add, "bridge-port");
    }
    if settings.master().is_none() {
        for family in ["ipv4", "ipv6"] {
            if lacks(family, "method") {
                add.set(family, "method", Value::Str("auto".into()));
            }
        }
        if lacks("ipv6", "addr-gen-mode") {
            add.set("ipv6", "addr-gen-mode", Value::I32(3));
        }
        section(&mut add, "proxy");
    }
    add
}

/// Where a setting goes in the file: NetworkManager sorts settings by priority, then name.
fn section_rank(name: &str) -> u8 {
    match name {
        "connection" => 0,
        kind::ETHERNET | kind::BOND | kind::BRIDGE | kind::VLAN | "802-11-wireless" => 1,
        "bridge-port" | "bond-port" => 3,
        "ipv4" | "ipv6" | "proxy" => 5,
        "user" => 9,
        _ => 2,
    }
}

/// Where a key goes in its section: `id`, `uuid`, `type` first in `[connection]`, then by
/// the name of the property it belongs to, numbered keys (`address2`, `route1_options`) by
/// their number.
fn key_rank<'k>(section: &str, key: &'k str) -> (u8, &'k str, u32, &'k str) {
    if section == "connection"
        && let Some(i) = ["id", "uuid", "type"].iter().position(|k| *k == key)
    {
        return (i as u8, "", 0, "");
    }
    for (base, property) in [("address", "addresses"), ("route", "routes")] {
        if let Some(rest) = key.strip_prefix(base) {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if let Ok(n) = rest[..digits].parse::<u32>() {
                return (3, property, n, &rest[digits..]);
            }
        }
    }
    (3, key, 0, "")
}

/// A MAC address as NetworkManager writes it: upper-case hex pairs separated by colons.
pub(super) fn mac_text(bytes: &[u8]) -> String {
    let pairs: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
    pairs.join(":")
}

/// One list value: each element escaped, each followed by `;`.
fn list<'a>(items: impl Iterator<Item = Cow<'a, str>>) -> String {
    let mut out = String::new();
    for item in items {
        out.push_str(&item);
        out.push(';');
    }
    out
}

/// One `key=value` line.
type Line<'a> = (Cow<'a, str>, Cow<'a, str>);

/// The lines of `key` of setting `name`, whose other keys are `section`, into `out`.
fn entry<'a>(
    name: &str,
    section: &'a Section,
    key: &'a str,
    value: &'a Value,
    out: &mut Vec<Line<'a>>,
) {
    let ip = matches!(name, "ipv4" | "ipv6");
    if DEPRECATED.contains(&(name, key)) || is_default(name, key, value) {
        return;
    }
    let text: Cow<'a, str> = match (name, key, value) {
        (kind::BOND, "options", Value::StrMap(options))
        | (super::USER, "data", Value::StrMap(options)) => {
            out.extend(
                options
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), escape(v, None))),
            );
            return;
        }
        (kind::BOND | kind::VLAN | kind::BRIDGE, "interface-name", _) => return,
        (_, "address-data", Value::Dicts(addresses)) if ip => {
            let gateway = match section.get("gateway") {
                Some(Value::Str(g)) => Some(g.as_str()),
                _ => None,
            };
            for (i, a) in addresses.iter().enumerate() {
                let field = |k: &str| a.get(k).map(plain).unwrap_or_default();
                let mut text = format!("{}/{}", field("address"), field("prefix"));
                if let (0, Some(gw)) = (i, gateway) {
                    text.push(',');
                    text.push_str(gw);
                }
                out.push((Cow::Owned(format!("address{}", i + 1)), Cow::Owned(text)));
            }
            return;
        }
        // Written with the first address when there is one.
        (_, "gateway", _)
            if ip
                && matches!(section.get("address-data"), Some(Value::Dicts(d)) if !d.is_empty()) =>
        {
            return;
        }
        (_, "route-data", Value::Dicts(routes)) if ip => {
            routes_lines(name, routes, out);
            return;
        }
        (_, "dns-data", Value::Strs(servers)) if ip => {
            let servers = list(servers.iter().map(|s| escape(s, Some(';'))));
            out.push((Cow::Borrowed("dns"), Cow::Owned(servers)));
            return;
        }
        ("ipv6", "addr-gen-mode", Value::I32(n)) => usize::try_from(*n)
            .ok()
            .and_then(|i| ADDR_GEN_MODES.get(i))
            .map_or_else(|| Cow::Owned(n.to_string()), |m| Cow::Borrowed(*m)),
        ("connection", "type", Value::Str(t)) => Cow::Borrowed(keyfile_name(t)),
        (_, _, Value::StrMap(_) | Value::Dicts(_)) => return,
        (_, _, Value::Bytes(b)) => Cow::Owned(mac_text(b)),
        (_, _, Value::Strs(items)) => Cow::Owned(list(items.iter().map(|s| escape(s, Some(';'))))),
        (_, _, Value::U32s(items)) => Cow::Owned(list(items.iter().map(|n| n.to_string().into()))),
        (_, _, Value::Str(text)) if read::is_typed(name, key) => escape(text, None),
        // A key netloom does not know was kept as written, escapes and all.
        (_, _, Value::Str(raw)) if raw.contains('\n') => Cow::Owned(raw.replace('\n', "\\n")),
        (_, _, Value::Str(raw)) => Cow::Borrowed(raw.as_str()),
        (_, _, v) => Cow::Owned(plain(v)),
    };
    out.push((Cow::Borrowed(key), text));
}

/// `route1=DEST/PREFIX[,GATEWAY[,METRIC]]` and `route1_options=NAME=VALUE,…` for each
/// `route-data` entry, as NetworkManager's `write_ip_values` writes them: the gateway is
/// said (as `0.0.0.0` or `::` when there is none) whenever a metric follows, and the
/// attributes are sorted by name, a `,`, `=` or `\` in a value escaped with `\`.
fn routes_lines<'a>(name: &str, routes: &'a [BTreeMap<String, Value>], out: &mut Vec<Line<'a>>) {
    let none = if name == "ipv6" { "::" } else { "0.0.0.0" };
    for (i, r) in routes.iter().enumerate() {
        let field = |k: &str| r.get(k).map(plain);
        let mut text = format!(
            "{}/{}",
            field("dest").unwrap_or_default(),
            field("prefix").unwrap_or_default()
        );
        let (gateway, metric) = (field("next-hop"), field("metric"));
        if gateway.is_some() || metric.is_some() {
            text.push(',');
            text.push_str(gateway.as_deref().unwrap_or(none));
            if let Some(m) = metric {
                text.push(',');
                text.push_str(&m);
            }
        }
        out.push((Cow::Owned(format!("route{}", i + 1)), Cow::Owned(text)));
        let attributes: Vec<String> = r
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "dest" | "prefix" | "next-hop" | "metric"))
            .map(|(k, v)| {
                let mut value = String::new();
                for c in plain(v).chars() {
                    if matches!(c, ',' | '=' | '\\') {
                        value.push('\\');
                    }
                    value.push(c);
                }
                format!("{k}={value}")
            })
            .collect();
        if !attributes.is_empty() {
            let key = format!("route{}_options", i + 1);
            out.push((Cow::Owned(key), Cow::Owned(attributes.join(","))));
        }
    }
}

/// A scalar as text.
fn plain(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::U8(n) => n.to_string(),
        Value::I16(n) => n.to_string(),
        Value::U16(n) => n.to_string(),
        Value::I32(n) => n.to_string(),
        Value::U32(n) => n.to_string(),
        Value::I64(n) => n.to_string(),
        Value::U64(n) => n.to_string(),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => mac_text(b),
        Value::Strs(_) | Value::U32s(_) | Value::StrMap(_) | Value::Dicts(_) => String::new(),
    }
}

/// The keyfile NetworkManager 1.42 writes for `settings`: the same sections, keys, order
/// and spelling, the defaults it leaves out left out and the settings it adds added.
pub fn write(settings: &Settings) -> String {
    let add = additions(settings);
    let port = settings.master().is_some();
    let mut names: Vec<&str> = settings
        .0
        .keys()
        .chain(add.0.keys())
        .map(String::as_str)
        // NetworkManager drops the IP settings of a port.
        .filter(|n| !(port && matches!(*n, "ipv4" | "ipv6" | "proxy")))
        .collect();
    names.sort_by_key(|n| (section_rank(n), *n));
    names.dedup();
    let empty = Section::new();
    let mut out = String::with_capacity(512);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push('[');
        out.push_str(keyfile_name(name));
        out.push_str("]\n");
        lines.clear();
        let own = settings.0.get(name).unwrap_or(&empty);
        for (key, value) in own {
            entry(name, own, key, value, &mut lines);
        }
        for (key, value) in add.0.get(name).unwrap_or(&empty) {
            if !own.contains_key(key)
                || matches!(own.get(key), Some(Value::StrMap(m)) if m.is_empty())
            {
                entry(name, own, key, value, &mut lines);
            }
        }
        lines.sort_by(|(a, _), (b, _)| key_rank(name, a).cmp(&key_rank(name, b)));
        for (key, value) in &lines {
            out.push_str(key);
            out.push('=');
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests;
