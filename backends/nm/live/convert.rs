//! [`Settings`] to and from the `a{sa{sv}}` NetworkManager speaks.
//!
//! Each [`Value`] variant maps to exactly one D-Bus type, both ways, so what the renderer
//! typed is what goes on the wire: NetworkManager drops an `address-data` prefix sent as
//! `i` without a word, and refuses a MAC sent as `s`. Nothing is guessed or widened on the
//! way back either: a `u` stays [`Value::U32`], an `i` stays [`Value::I32`].

use std::collections::{BTreeMap, HashMap};

use zbus::zvariant::{OwnedValue, Value as Wire};

use super::LiveError;
use crate::backends::nm::settings::{DEPRECATED, Section, Settings, Value};

/// Settings as the `a{sa{sv}}` argument of `AddConnection2` and `Update2`.
pub(crate) type WireSettings = HashMap<String, HashMap<String, Wire<'static>>>;

/// Settings as `GetSettings` returns them.
pub(crate) type WireReply = HashMap<String, HashMap<String, OwnedValue>>;

/// The `a{sa{sv}}` for `settings`. Cannot fail: every [`Value`] has a D-Bus type.
pub(crate) fn to_wire(settings: &Settings) -> WireSettings {
    settings
        .0
        .iter()
        .map(|(section, keys)| {
            let keys = keys
                .iter()
                .map(|(key, value)| (key.clone(), value_to_wire(value)))
                .collect();
            (section.clone(), keys)
        })
        .collect()
}

/// One value in its D-Bus type (see the variants of [`Value`]).
pub(crate) fn value_to_wire(value: &Value) -> Wire<'static> {
    match value {
        Value::Bool(v) => Wire::Bool(*v),
        Value::U8(v) => Wire::U8(*v),
        Value::I16(v) => Wire::I16(*v),
        Value::U16(v) => Wire::U16(*v),
        Value::I32(v) => Wire::I32(*v),
        Value::U32(v) => Wire::U32(*v),
        Value::I64(v) => Wire::I64(*v),
        Value::U64(v) => Wire::U64(*v),
        Value::Str(v) => Wire::from(v.clone()),
        Value::Bytes(v) => Wire::from(v.clone()),
        Value::Strs(v) => Wire::from(v.clone()),
        Value::U32s(v) => Wire::from(v.clone()),
        Value::StrMap(v) => Wire::from(
            v.iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<String, String>>(),
        ),
        // `Value::new` inside zvariant wraps each entry in a variant, so this is `aa{sv}`.
        Value::Dicts(dicts) => Wire::from(
            dicts
                .iter()
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| (k.clone(), value_to_wire(v)))
                        .collect::<HashMap<String, Wire<'static>>>()
                })
                .collect::<Vec<_>>(),
        ),
    }
}

/// The settings of `GetSettings`' reply. `profile` (the id, or the path when the reply has
/// none) only names the profile in an error.
///
/// A deprecated key ([`DEPRECATED`]) whose type [`Value`] cannot hold (`ipv4.addresses`
/// `aau`, `ipv6.addresses` `a(ayuay)`, `ipv6.routes` `a(ayuayu)`, `ipv6.dns` `aay`) is left
/// out: NetworkManager derives it from `address-data` and friends, and sending it back
/// would override them. A deprecated key [`Value`] can hold (`ipv4.dns` `au`) is kept like
/// any other, for [`Settings::merged`] to drop. Any other value of a type outside
/// [`Value`] is an [`LiveError::Unsupported`], never a silent drop: a later `Update2`
/// would otherwise reset it.
pub(crate) fn from_wire(reply: &WireReply, path: &str) -> Result<Settings, LiveError> {
    let mut out = Settings::default();
    for (section, keys) in reply {
        let mut converted = Section::new();
        for (key, value) in keys {
            match value_from_wire(value) {
                Ok(v) => {
                    converted.insert(key.clone(), v);
                }
                Err(_) if DEPRECATED.contains(&(section.as_str(), key.as_str())) => {}
                Err(signature) => {
                    let id = reply
                        .get("connection")
                        .and_then(|c| c.get("id"))
                        .and_then(|v| <&str>::try_from(&**v).ok())
                        .unwrap_or(path);
                    return Err(LiveError::Unsupported {
                        profile: id.to_owned(),
                        setting: format!("{section}.{key}"),
                        signature,
                    });
                }
            }
        }
        // An empty section is information too (a `bond-port` with no keys says "a port").
        out.0.insert(section.clone(), converted);
    }
    Ok(out)
}

/// One value back from D-Bus, or the signature of the part [`Value`] cannot hold.
pub(crate) fn value_from_wire(value: &Wire<'_>) -> Result<Value, String> {
    let unsupported = || value.value_signature().to_string();
    Ok(match value {
        // A variant inside a variant carries no meaning of its own in NetworkManager's
        // settings; the `aa{sv}` entries arrive wrapped this way.
        Wire::Value(inner) => return value_from_wire(inner),
        Wire::Bool(v) => Value::Bool(*v),
        Wire::U8(v) => Value::U8(*v),
        Wire::I16(v) => Value::I16(*v),
        Wire::U16(v) => Value::U16(*v),
        Wire::I32(v) => Value::I32(*v),
        Wire::U32(v) => Value::U32(*v),
        Wire::I64(v) => Value::I64(*v),
        Wire::U64(v) => Value::U64(*v),
        Wire::Str(v) => Value::Str(v.as_str().to_owned()),
        Wire::Array(array) => {
            let element = array.element_signature().to_string();
            let items = array.inner();
            match element.as_str() {
                "y" => Value::Bytes(
                    items
                        .iter()
                        .map(|v| match v {
                            Wire::U8(b) => Ok(*b),
                            _ => Err(unsupported()),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                "s" => Value::Strs(
                    items
                        .iter()
                        .map(|v| match v {
                            Wire::Str(s) => Ok(s.as_str().to_owned()),
                            _ => Err(unsupported()),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                "u" => Value::U32s(
                    items
                        .iter()
                        .map(|v| match v {
                            Wire::U32(n) => Ok(*n),
                            _ => Err(unsupported()),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                "a{sv}" => Value::Dicts(
                    items
                        .iter()
                        .map(|v| match v {
                            Wire::Dict(d) => dict_from_wire(d),
                            _ => Err(unsupported()),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(unsupported()),
            }
        }
        Wire::Dict(dict) if dict.signature().to_string() == "a{ss}" => {
            let mut map = BTreeMap::new();
            for (k, v) in dict.iter() {
                match (k, v) {
                    (Wire::Str(k), Wire::Str(v)) => {
                        map.insert(k.as_str().to_owned(), v.as_str().to_owned());
                    }
                    _ => return Err(unsupported()),
                }
            }
            Value::StrMap(map)
        }
        _ => return Err(unsupported()),
    })
}

/// One `a{sv}` entry of an `aa{sv}` (an address, a route, a bridge VLAN).
fn dict_from_wire(dict: &zbus::zvariant::Dict<'_, '_>) -> Result<BTreeMap<String, Value>, String> {
    let mut map = BTreeMap::new();
    for (k, v) in dict.iter() {
        let Wire::Str(k) = k else {
            return Err(dict.signature().to_string());
        };
        map.insert(k.as_str().to_owned(), value_from_wire(v)?);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::zvariant::serialized::{Context, Format};
    use zbus::zvariant::{LE, Signature, to_bytes};

    fn every_kind() -> Settings {
        let mut s = Settings::default();
        let c = "connection";
        s.set(c, "id", Value::Str("eth10".into()));
        s.set(c, "autoconnect", Value::Bool(false));
        s.set(c, "autoconnect-priority", Value::I32(-5));
        s.set(c, "timestamp", Value::U64(1_700_000_000));
        s.set(c, "y", Value::U8(7));
        s.set(c, "n", Value::I16(-7));
        s.set(c, "q", Value::U16(7));
        s.set(c, "x", Value::I64(-7));
        s.set(c, "permissions", Value::Strs(vec!["user:a:".into()]));
        s.set(c, "empty", Value::Strs(vec![]));
        s.set("ipv4", "dns", Value::U32s(vec![0x0102_0304]));
        s.set("ipv4", "route-metric", Value::I64(-1));
        s.set(
            "802-3-ethernet",
            "mac-address",
            Value::Bytes(vec![2, 0x4e, 0x4d, 0, 0, 0x10]),
        );
        let mut opts = BTreeMap::new();
        opts.insert("mode".into(), "active-backup".into());
        s.set("bond", "options", Value::StrMap(opts));
        let mut addr = BTreeMap::new();
        addr.insert("address".into(), Value::Str("198.51.100.10".into()));
        addr.insert("prefix".into(), Value::U32(24));
        s.set("ipv4", "address-data", Value::Dicts(vec![addr]));
        s.set("ipv6", "route-data", Value::Dicts(vec![]));
        s.0.insert("bond-port".into(), Section::new());
        s
    }

    #[test]
    fn each_value_has_its_own_dbus_type() {
        let wire = to_wire(&every_kind());
        let sig = |s: &str, k: &str| wire[s][k].value_signature().to_string();
        assert_eq!(sig("connection", "id"), "s");
        assert_eq!(sig("connection", "autoconnect"), "b");
        assert_eq!(sig("connection", "autoconnect-priority"), "i");
        assert_eq!(sig("connection", "timestamp"), "t");
        assert_eq!(sig("connection", "y"), "y");
        assert_eq!(sig("connection", "n"), "n");
        assert_eq!(sig("connection", "q"), "q");
        assert_eq!(sig("connection", "x"), "x");
        assert_eq!(sig("connection", "permissions"), "as");
        assert_eq!(sig("connection", "empty"), "as");
        assert_eq!(sig("ipv4", "dns"), "au");
        assert_eq!(sig("802-3-ethernet", "mac-address"), "ay");
        assert_eq!(sig("bond", "options"), "a{ss}");
        assert_eq!(sig("ipv4", "address-data"), "aa{sv}");
        assert_eq!(sig("ipv6", "route-data"), "aa{sv}");
        assert!(wire["bond-port"].is_empty());
    }

    /// Through the real D-Bus encoding, as GetSettings' reply arrives.
    fn through_dbus(wire: &WireSettings) -> WireReply {
        let ctxt = Context::new(Format::DBus, LE, 0);
        let bytes = to_bytes(ctxt, wire).unwrap();
        bytes.deserialize::<WireReply>().unwrap().0
    }

    #[test]
    fn every_value_comes_back_as_it_was_sent() {
        let s = every_kind();
        let back = from_wire(&through_dbus(&to_wire(&s)), "/p/1").unwrap();
        assert_eq!(back, s);
    }

    fn with(section: &str, key: &str, value: Wire<'static>) -> WireReply {
        let mut wire = to_wire(&every_kind());
        wire.entry(section.into())
            .or_default()
            .insert(key.into(), value);
        through_dbus(&wire)
    }

    /// `aau`, as `ipv4.addresses` arrives.
    fn aau() -> Wire<'static> {
        Wire::from(vec![vec![0x0a00_0001u32, 24, 0]])
    }

    #[test]
    fn deprecated_keys_of_types_settings_cannot_hold_are_left_out() {
        let ip6 = (vec![0u8; 16], 64u32, vec![0u8; 16]);
        let reply = with("ipv6", "addresses", Wire::from(vec![ip6]));
        let back = from_wire(&reply, "/p/1").unwrap();
        assert_eq!(back.get("ipv6", "addresses"), None);
        let back = from_wire(&with("ipv4", "addresses", aau()), "/p/1").unwrap();
        assert_eq!(back.get("ipv4", "addresses"), None);
        assert_eq!(back, every_kind());
    }

    #[test]
    fn any_other_value_settings_cannot_hold_is_an_error_naming_it() {
        let err = from_wire(&with("ipv4", "weird", aau()), "/p/1").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("eth10"), "{text}");
        assert!(text.contains("ipv4.weird"), "{text}");
        assert!(text.contains("aau"), "{text}");
        let err = from_wire(&with("bridge", "f", Wire::F64(1.5)), "/p/1").unwrap_err();
        assert!(err.to_string().contains("bridge.f"), "{err}");
        let nested = vec![HashMap::from([(
            "bad".to_string(),
            Wire::from(Signature::U32),
        )])];
        let err = from_wire(&with("ipv4", "route-data", Wire::from(nested)), "/p/1");
        assert!(err.unwrap_err().to_string().contains("ipv4.route-data"));
    }

    #[test]
    fn without_an_id_the_error_names_the_path() {
        let mut wire = WireSettings::new();
        wire.entry("ipv4".into())
            .or_default()
            .insert("weird".into(), aau());
        let err = from_wire(&through_dbus(&wire), "/org/x/Settings/9").unwrap_err();
        assert!(err.to_string().contains("/org/x/Settings/9"), "{err}");
    }
}
