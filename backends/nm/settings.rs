//! NetworkManager settings as its D-Bus API carries them (`a{sa{sv}}`): the one form the
//! renderer produces, the keyfile writer and reader convert, and the live client sends.
//!
//! Keeping one typed tree rather than keyfile text or raw D-Bus variants lets the three
//! halves agree byte for byte: a profile rendered offline, loaded by NetworkManager and read
//! back over D-Bus compares equal to the one rendered, and the journal can keep a profile's
//! whole previous settings as JSON and send them back after a daemon restart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The setting (and connection type) names netloom renders, as D-Bus spells them. Keyfiles
/// spell `802-3-ethernet` as `ethernet`; everything else is the same.
pub mod kind {
    /// A NIC, or a port that is one.
    pub const ETHERNET: &str = "802-3-ethernet";
    /// A bond.
    pub const BOND: &str = "bond";
    /// An 802.1Q VLAN.
    pub const VLAN: &str = "vlan";
    /// A software bridge.
    pub const BRIDGE: &str = "bridge";
}

/// One setting's value, with the D-Bus type NetworkManager expects: the type matters (an
/// `address-data` prefix sent as `int32` is silently dropped, a MAC must be bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Value {
    /// `b`
    Bool(bool),
    /// `y`
    U8(u8),
    /// `n`
    I16(i16),
    /// `q`
    U16(u16),
    /// `i`
    I32(i32),
    /// `u`
    U32(u32),
    /// `x`
    I64(i64),
    /// `t`
    U64(u64),
    /// `s`
    Str(String),
    /// `ay`: MAC addresses, SSIDs.
    Bytes(Vec<u8>),
    /// `as`
    Strs(Vec<String>),
    /// `au`
    U32s(Vec<u32>),
    /// `a{ss}`: bond options, user data.
    StrMap(BTreeMap<String, String>),
    /// `aa{sv}`: address-data, route-data, bridge VLANs.
    Dicts(Vec<BTreeMap<String, Value>>),
}

/// One setting (section) of a profile: key to value.
pub type Section = BTreeMap<String, Value>;

/// A whole profile: setting name to its keys. Sorted, so output built from it is
/// deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settings(pub BTreeMap<String, Section>);

/// Deprecated keys NetworkManager still returns from `GetSettings`. They must be dropped
/// before settings are sent back, or NetworkManager uses them and ignores the edited
/// `address-data`, `route-data` and `dns-data` beside them.
pub const DEPRECATED: &[(&str, &str)] = &[
    ("ipv4", "addresses"),
    ("ipv4", "routes"),
    ("ipv4", "dns"),
    ("ipv6", "addresses"),
    ("ipv6", "routes"),
    ("ipv6", "dns"),
];

/// NetworkManager's words for how to pick an ethernet's cloned MAC (`stable-ssid` is
/// Wi-Fi's): a `cloned-mac-address` or `assigned-mac-address` that is none of them is an
/// address.
pub const MAC_WORDS: &[&str] = &["preserve", "permanent", "random", "stable"];

/// Every key netloom writes. Comparing a live profile with a rendered one looks only at
/// these (and not at `connection.uuid`, which identifies rather than configures), so
/// settings a user added by hand, such as DNS servers or a firewall zone, survive an apply.
pub const MANAGED: &[(&str, &str)] = &[
    ("connection", "id"),
    ("connection", "type"),
    ("connection", "interface-name"),
    ("connection", "autoconnect"),
    ("connection", "master"),
    ("connection", "slave-type"),
    (kind::ETHERNET, "mtu"),
    (kind::ETHERNET, "mac-address"),
    (kind::ETHERNET, "cloned-mac-address"),
    (kind::BOND, "options"),
    (kind::VLAN, "parent"),
    (kind::VLAN, "id"),
    (kind::VLAN, "flags"),
    (kind::VLAN, "protocol"),
    (kind::BRIDGE, "stp"),
    (kind::BRIDGE, "forward-delay"),
    (kind::BRIDGE, "priority"),
    (kind::BRIDGE, "hello-time"),
    (kind::BRIDGE, "max-age"),
    (kind::BRIDGE, "ageing-time"),
    (kind::BRIDGE, "multicast-snooping"),
    ("ipv4", "method"),
    ("ipv4", "address-data"),
    ("ipv4", "gateway"),
    ("ipv4", "ignore-auto-dns"),
    ("ipv4", "route-data"),
    ("ipv4", "dns-data"),
    ("ipv4", "dns-search"),
    ("ipv6", "method"),
    ("ipv6", "address-data"),
    ("ipv6", "gateway"),
    ("ipv6", "ignore-auto-dns"),
    ("ipv6", "route-data"),
    ("ipv6", "dns-data"),
    ("ipv6", "dns-search"),
    (super::USER, "data"),
];

/// The keys of a `route-data` entry the model holds a route in; an entry with any other
/// (`mtu`, `onlink`, `from`, `type`…) is the user's.
pub const ROUTE_KEYS: &[&str] = &["dest", "prefix", "next-hop", "metric", "table", "src"];

/// Whether the model could hold the text entry `item` of the list `key` at all: a DNS
/// server that is a plain address, a search domain that is a domain name. What it cannot
/// (DNS over TLS, a routing domain `~example.test`) is the user's: kept by a merge, left out
/// of comparisons.
fn holds_text(key: &str, item: &str) -> bool {
    match key {
        "dns-data" => item.parse::<std::net::IpAddr>().is_ok(),
        "dns-search" => crate::model::DomainName::parse(item).is_ok(),
        _ => true,
    }
}

/// Whether the model could hold a `route-data` entry: one of only [`ROUTE_KEYS`]. One with
/// other attributes (`mtu`, `onlink`, `from`…) is the user's.
pub fn holds_route(entry: &BTreeMap<String, Value>) -> bool {
    entry.keys().all(|k| ROUTE_KEYS.contains(&k.as_str()))
}

/// The lists netloom shares with the user entry by entry: the entries the model holds are
/// netloom's, the others (a route with an MTU, a DNS-over-TLS server, a routing domain,
/// another application's user data) the user's.
const SHARED_LISTS: &[&str] = &["route-data", "dns-data", "dns-search", "data"];

/// The entries of a shared list `value` (see [`SHARED_LISTS`]) that are netloom's (`ours`)
/// or the user's (`!ours`); `None` when that leaves none.
fn entries(key: &str, value: &Value, ours: bool) -> Option<Value> {
    let out = match value {
        Value::Dicts(list) => Value::Dicts(
            list.iter()
                .filter(|e| holds_route(e) == ours)
                .cloned()
                .collect(),
        ),
        Value::Strs(list) => Value::Strs(
            list.iter()
                .filter(|s| holds_text(key, s) == ours)
                .cloned()
                .collect(),
        ),
        Value::StrMap(map) => Value::StrMap(
            map.iter()
                .filter(|(k, _)| (k.as_str() == super::OWNED_KEY) == ours)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => return ours.then(|| other.clone()),
    };
    (!is_default("", "", &out)).then_some(out)
}

impl Settings {
    /// The value of `section.key`.
    pub fn get(&self, section: &str, key: &str) -> Option<&Value> {
        self.0.get(section)?.get(key)
    }

    /// The string value of `section.key`, if it is a string.
    pub fn str(&self, section: &str, key: &str) -> Option<&str> {
        match self.get(section, key)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Sets `section.key`, creating the section.
    pub fn set(&mut self, section: &str, key: &str, value: Value) {
        self.0
            .entry(section.to_owned())
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// Removes `section.key`, and the section when that empties it.
    pub fn remove(&mut self, section: &str, key: &str) -> Option<Value> {
        let s = self.0.get_mut(section)?;
        let v = s.remove(key);
        if s.is_empty() {
            self.0.remove(section);
        }
        v
    }

    /// `connection.uuid`.
    pub fn uuid(&self) -> Option<&str> {
        self.str("connection", "uuid")
    }

    /// `connection.id`: the profile's name (netloom names it after the interface).
    pub fn id(&self) -> Option<&str> {
        self.str("connection", "id")
    }

    /// `connection.type`, such as `802-3-ethernet` or `bond`.
    pub fn kind(&self) -> Option<&str> {
        self.str("connection", "type")
    }

    /// `connection.interface-name`.
    pub fn interface_name(&self) -> Option<&str> {
        self.str("connection", "interface-name")
    }

    /// `connection.master`: the controller's interface name or UUID, for a port.
    pub fn master(&self) -> Option<&str> {
        self.str("connection", "master")
    }

    /// Only the keys in [`MANAGED`], and of the lists shared with the user only netloom's
    /// entries: what a comparison and a diff look at.
    pub fn managed(&self) -> Settings {
        let mut out = Settings::default();
        for (section, key) in MANAGED {
            let Some(v) = self.get(section, key) else {
                continue;
            };
            let v = match SHARED_LISTS.contains(key) {
                true => entries(key, v, true),
                false => Some(v.clone()),
            };
            if let Some(v) = v {
                out.set(section, key, v);
            }
        }
        out
    }

    /// What a comparison and a diff look at: the managed keys, without the values
    /// NetworkManager treats as unset ([`Settings::without_defaults`]), so two profiles
    /// that configure the same thing compare equal however each spells its defaults.
    pub fn comparable(&self) -> Settings {
        self.managed().without_defaults()
    }

    /// The settings without [`DEPRECATED`] keys: what can be sent back as they are, or
    /// read as the current configuration.
    pub fn sendable(&self) -> Settings {
        let mut out = self.clone();
        for (section, key) in DEPRECATED {
            out.remove(section, key);
        }
        out
    }

    /// What to send to replace `self` (a live profile) by `desired`: the live settings
    /// without their deprecated and managed keys, with `desired`'s on top. `Update2`
    /// replaces a whole profile, so whatever is left out would be reset.
    pub fn merged(&self, desired: &Settings) -> Settings {
        let mut out = self.clone();
        for (section, key) in DEPRECATED.iter().chain(MANAGED) {
            out.remove(section, key);
        }
        out.remove(kind::ETHERNET, "assigned-mac-address");
        for (key, value) in self.cloned_mac_words(desired) {
            out.set(kind::ETHERNET, key, value);
        }
        out.drop_contradicted(desired);
        for (section, keys) in &desired.0 {
            for (key, value) in keys {
                out.set(section, key, value.clone());
            }
        }
        out.append_shared_lists(self);
        out.keep_user_data(self);
        out
    }

    /// A cloned MAC given as one of NetworkManager's words (`stable`…) is the user's, as
    /// import leaves it: kept unless the declaration gives an address. A keyfile says it in
    /// `cloned-mac-address`, D-Bus in `assigned-mac-address`, which also repeats an address
    /// as text and so goes with the bytes.
    fn cloned_mac_words(&self, desired: &Settings) -> Vec<(&'static str, Value)> {
        if desired.get(kind::ETHERNET, "cloned-mac-address").is_some() {
            return Vec::new();
        }
        ["cloned-mac-address", "assigned-mac-address"]
            .into_iter()
            .filter_map(|key| match self.get(kind::ETHERNET, key) {
                Some(Value::Str(w)) if MAC_WORDS.contains(&w.as_str()) => {
                    Some((key, Value::Str(w.clone())))
                }
                _ => None,
            })
            .collect()
    }

    /// Removes what would contradict `desired`: the sections of another kind (a bridge that
    /// becomes a bond), port settings of a role the profile no longer has, and the IP
    /// settings of a family that is disabled or of a port, which NetworkManager refuses
    /// ("this property is not allowed for 'method=disabled'").
    fn drop_contradicted(&mut self, desired: &Settings) {
        for other in [kind::BOND, kind::VLAN, kind::BRIDGE] {
            if desired.kind() != Some(other) {
                self.0.remove(other);
            }
        }
        let role = desired.str("connection", "slave-type");
        for (section, of) in [("bond-port", "bond"), ("bridge-port", "bridge")] {
            if role != Some(of) {
                self.0.remove(section);
            }
        }
        for family in ["ipv4", "ipv6"] {
            let method = desired.str(family, "method");
            if method.is_none() || method == Some("disabled") {
                self.0.remove(family);
            }
        }
    }

    /// The user's entries of the shared lists (in `live`) follow netloom's, in their order.
    fn append_shared_lists(&mut self, live: &Settings) {
        for family in ["ipv4", "ipv6"] {
            if !self.0.contains_key(family) {
                continue;
            }
            for key in SHARED_LISTS {
                let Some(theirs) = live.get(family, key).and_then(|v| entries(key, v, false))
                else {
                    continue;
                };
                let merged = match (self.get(family, key).cloned(), theirs) {
                    (Some(Value::Dicts(mut a)), Value::Dicts(b)) => {
                        a.extend(b);
                        Value::Dicts(a)
                    }
                    (Some(Value::Strs(mut a)), Value::Strs(b)) => {
                        a.extend(b);
                        Value::Strs(a)
                    }
                    (_, theirs) => theirs,
                };
                self.set(family, key, merged);
            }
        }
    }

    /// Another application's user data (in `live`) stays beside netloom's mark.
    fn keep_user_data(&mut self, live: &Settings) {
        if let Some(Value::StrMap(theirs)) = live
            .get(super::USER, "data")
            .and_then(|v| entries("data", v, false))
        {
            let mut data = match self.get(super::USER, "data") {
                Some(Value::StrMap(ours)) => ours.clone(),
                _ => BTreeMap::new(),
            };
            data.extend(theirs);
            self.set(super::USER, "data", Value::StrMap(data));
        }
    }

    /// The settings without the values NetworkManager treats as unset: the defaults of
    /// [`is_default`] and empty lists and maps. `GetSettings` and keyfiles leave most of
    /// them out (a live profile has no `autoconnect` when it is true) while a rendered
    /// profile says them, and `GetSettings` returns an empty `address-data` where a keyfile
    /// has none: compare `a.managed().without_defaults()` with `b`'s.
    pub fn without_defaults(&self) -> Settings {
        let mut out = Settings::default();
        for (section, keys) in &self.0 {
            for (key, value) in keys {
                if !is_default(section, key, value) {
                    out.set(section, key, value.clone());
                }
            }
        }
        out
    }
}

/// Whether NetworkManager 1.42 treats `section.key` = `value` as its default (checked in
/// the sandbox: neither `GetSettings` nor the keyfile it writes says these), or the value
/// is an empty list or map.
pub fn is_default(section: &str, key: &str, value: &Value) -> bool {
    match (section, key, value) {
        ("connection", "autoconnect", Value::Bool(true))
        | (kind::BRIDGE, "stp", Value::Bool(true))
        | (kind::BRIDGE, "forward-delay", Value::U32(15))
        | (kind::BRIDGE, "priority", Value::U32(32768))
        | (kind::BRIDGE, "hello-time", Value::U32(2))
        | (kind::BRIDGE, "max-age", Value::U32(20))
        | (kind::BRIDGE, "ageing-time", Value::U32(300))
        | (kind::BRIDGE, "multicast-snooping", Value::Bool(true))
        | ("ipv4" | "ipv6", "ignore-auto-dns", Value::Bool(false))
        | (kind::ETHERNET, "mtu", Value::U32(0))
        | (kind::VLAN, "id", Value::U32(0)) => true,
        (_, _, Value::Strs(v)) => v.is_empty(),
        (_, _, Value::U32s(v)) => v.is_empty(),
        (_, _, Value::Bytes(v)) => v.is_empty(),
        (_, _, Value::StrMap(v)) => v.is_empty(),
        (_, _, Value::Dicts(v)) => v.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn merging_keeps_what_netloom_does_not_manage_and_drops_deprecated_keys() {
        let mut live = Settings::default();
        live.set("connection", "id", s("Wired connection 1"));
        live.set("connection", "uuid", s("u-1"));
        live.set("connection", "zone", s("work"));
        live.set("ipv4", "gateway", s("198.51.100.1"));
        live.set("ipv4", "addresses", Value::U32s(vec![1, 2, 3]));
        live.set("ipv4", "dns-options", Value::Strs(vec!["rotate".into()]));
        let mut want = Settings::default();
        want.set("connection", "id", s("eth0"));
        want.set("ipv4", "method", s("auto"));
        let merged = live.merged(&want);
        assert_eq!(merged.id(), Some("eth0"));
        assert_eq!(merged.uuid(), Some("u-1"));
        assert_eq!(merged.str("connection", "zone"), Some("work"));
        assert_eq!(
            merged.get("ipv4", "gateway"),
            None,
            "managed and not wanted"
        );
        assert_eq!(merged.get("ipv4", "addresses"), None, "deprecated");
        assert!(merged.get("ipv4", "dns-options").is_some());
        assert_eq!(merged.managed(), want);
    }

    #[test]
    fn the_users_routes_servers_and_domains_the_model_cannot_hold_survive_a_merge() {
        let route = |dest: &str, extra: Option<(&str, Value)>| {
            let mut r = BTreeMap::from([
                ("dest".to_owned(), s(dest)),
                ("prefix".to_owned(), Value::U32(16)),
                ("next-hop".to_owned(), s("192.0.2.254")),
            ]);
            if let Some((k, v)) = extra {
                r.insert(k.to_owned(), v);
            }
            r
        };
        let mut live = Settings::default();
        live.set("ipv4", "method", s("manual"));
        let routes = vec![
            route("10.1.0.0", None),
            route("10.2.0.0", Some(("mtu", Value::U32(1400)))),
            route("10.3.0.0", Some(("table", Value::U32(7)))),
        ];
        live.set("ipv4", "route-data", Value::Dicts(routes));
        let servers = vec![
            "192.0.2.53".into(),
            "dns+tls://192.0.2.54#dns.example".into(),
        ];
        live.set("ipv4", "dns-data", Value::Strs(servers));
        live.set(
            "ipv4",
            "dns-search",
            Value::Strs(vec!["example.org".into(), "~.".into()]),
        );
        // What the model holds of it is netloom's: the comparison sees only that.
        let managed = live.managed();
        assert_eq!(
            managed.get("ipv4", "route-data"),
            Some(&Value::Dicts(vec![
                route("10.1.0.0", None),
                route("10.3.0.0", Some(("table", Value::U32(7))))
            ]))
        );
        assert_eq!(
            managed.get("ipv4", "dns-data"),
            Some(&Value::Strs(vec!["192.0.2.53".into()]))
        );
        assert_eq!(
            managed.get("ipv4", "dns-search"),
            Some(&Value::Strs(vec!["example.org".into()]))
        );
        // A declaration replaces netloom's entries and keeps the user's after them.
        let mut want = Settings::default();
        want.set("ipv4", "method", s("manual"));
        want.set(
            "ipv4",
            "route-data",
            Value::Dicts(vec![route("10.9.0.0", None)]),
        );
        let merged = live.merged(&want);
        assert_eq!(
            merged.get("ipv4", "route-data"),
            Some(&Value::Dicts(vec![
                route("10.9.0.0", None),
                route("10.2.0.0", Some(("mtu", Value::U32(1400))))
            ]))
        );
        assert_eq!(
            merged.get("ipv4", "dns-data"),
            Some(&Value::Strs(vec![
                "dns+tls://192.0.2.54#dns.example".into()
            ]))
        );
        assert_eq!(
            merged.get("ipv4", "dns-search"),
            Some(&Value::Strs(vec!["~.".into()]))
        );
        assert_eq!(merged.managed(), want);
    }

    #[test]
    fn merging_keeps_a_cloned_mac_word_and_replaces_an_address() {
        let eth = kind::ETHERNET;
        let live = |cloned: Option<Value>, assigned: &str| {
            let mut p = Settings::default();
            if let Some(c) = cloned {
                p.set(eth, "cloned-mac-address", c);
            }
            p.set(eth, "assigned-mac-address", s(assigned));
            p
        };
        let none = Settings::default();
        let mut mac = Settings::default();
        mac.set(
            eth,
            "cloned-mac-address",
            Value::Bytes(vec![2, 0, 0, 0, 0, 1]),
        );
        // A word (a keyfile's cloned-mac-address, D-Bus' assigned-mac-address) is the
        // user's while the declaration has no cloned MAC.
        let word = live(Some(s("stable")), "stable").merged(&none);
        assert_eq!(word.get(eth, "cloned-mac-address"), Some(&s("stable")));
        assert_eq!(word.get(eth, "assigned-mac-address"), Some(&s("stable")));
        // An address goes with the declaration's, its text too.
        let bytes = Value::Bytes(vec![2, 0, 0, 0, 0, 9]);
        let old = live(Some(bytes), "02:00:00:00:00:09");
        assert_eq!(old.merged(&none).get(eth, "cloned-mac-address"), None);
        assert_eq!(old.merged(&none).get(eth, "assigned-mac-address"), None);
        let replaced = live(None, "random").merged(&mac);
        assert_eq!(replaced.get(eth, "assigned-mac-address"), None);
        assert_eq!(replaced.managed(), mac);
    }

    #[test]
    fn merging_drops_what_would_contradict_the_new_role() {
        let mut live = Settings::default();
        live.set("connection", "type", s(kind::ETHERNET));
        live.set("connection", "slave-type", s("bridge"));
        live.set("bridge-port", "priority", Value::U32(10));
        live.set(kind::BRIDGE, "stp", Value::Bool(false));
        live.set("ipv4", "dns-options", Value::Strs(vec!["rotate".into()]));
        live.set("ipv6", "dns", Value::U32s(vec![]));
        live.set("ipv6", "addr-gen-mode", Value::I32(1));
        let mut want = Settings::default();
        want.set("connection", "type", s(kind::ETHERNET));
        want.set("connection", "slave-type", s("bond"));
        let merged = live.merged(&want);
        for section in ["bridge-port", kind::BRIDGE, "ipv4", "ipv6"] {
            assert!(!merged.0.contains_key(section), "{section}: {merged:?}");
        }
        let mut standalone = Settings::default();
        standalone.set("ipv4", "method", s("auto"));
        standalone.set("ipv6", "method", s("disabled"));
        let merged = live.merged(&standalone);
        assert!(
            merged.get("ipv4", "dns-options").is_some(),
            "kept for a live family"
        );
        assert_eq!(merged.0.get("ipv6").map(|s| s.len()), Some(1), "{merged:?}");
    }

    #[test]
    fn values_keep_their_type_through_json() {
        let mut p = Settings::default();
        let mut addr = BTreeMap::new();
        addr.insert("address".into(), s("198.51.100.10"));
        addr.insert("prefix".into(), Value::U32(24));
        p.set("ipv4", "address-data", Value::Dicts(vec![addr]));
        p.set(
            kind::ETHERNET,
            "mac-address",
            Value::Bytes(vec![2, 0, 0, 0, 0, 1]),
        );
        let json = serde_json::to_string(&p).unwrap();
        let back: Settings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert!(json.contains("\"u32\":24"), "{json}");
    }
}
