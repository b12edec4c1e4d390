//! Route lines of a keyfile (`route1=`, `routes2=` and their `_options`) into `route-data`
//! entries, as NetworkManager's `read_one_ip_address_or_route` and `fill_route_attributes`
//! read them.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::{Leading, Reader, Value, field, ip_of, leading, prefix_of};

/// `route`, `route3`, `routes2` (and their `_options`): the number and whether it is the
/// `routes` spelling.
pub(super) fn route_key(key: &str) -> Option<(u32, bool)> {
    let (rest, plural) = match key.strip_prefix("routes") {
        Some(rest) => (rest, true),
        None => (key.strip_prefix("route")?, false),
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
    /// Builds each IP section's `route-data` from the route lines, in number order, each
    /// with the attributes of its `_options` line.
    pub(super) fn finish_routes(&mut self) {
        for (section, lines) in std::mem::take(&mut self.routes) {
            let v6 = section == "ipv6";
            let mut data = Vec::new();
            for line in lines.into_values() {
                let expected = |what: String| {
                    format!("invalid {} '{}': expected {what}", line.key, line.value)
                };
                let mut entry = match route(&line.value, v6) {
                    Ok(entry) => entry,
                    Err(what) => {
                        self.problems.push((line.at, expected(what)));
                        continue;
                    }
                };
                let options = self
                    .route_options
                    .remove(&(section.clone(), line.key.clone()));
                if let Some(o) = options {
                    match route_attributes(&o.value) {
                        Ok(attrs) => entry.extend(attrs),
                        Err((at, m)) => self.problems.push((o.at + at, m)),
                    }
                }
                data.push(entry);
            }
            if !data.is_empty() {
                self.set(&section, "route-data", Value::Dicts(data));
            }
        }
        // Options of no route line: NetworkManager reads them with none.
        for ((section, _), o) in std::mem::take(&mut self.route_options) {
            self.set(&section, &o.key, Value::Str(o.value));
        }
    }
}

/// A route line as NetworkManager reads it (`read_one_ip_address_or_route`): destination,
/// prefix (24 or 128 when missing, as it defaults), gateway (`0.0.0.0` and `::` are none),
/// metric; `/`, `;` and `,` separate them alike. As a `route-data` entry.
fn route(raw: &str, v6: bool) -> Result<BTreeMap<String, Value>, String> {
    let expected = || {
        if v6 {
            "a route like 2001:db8:10::/48,2001:db8::fffe,100".to_owned()
        } else {
            "a route like 10.10.0.0/16,192.0.2.254,100".to_owned()
        }
    };
    let Leading {
        addr: dest,
        prefix,
        next: gateway,
        mut rest,
    } = leading(raw).map_err(|()| expected())?;
    let mut metric = field(&mut rest, |c| c.is_ascii_digit())
        .map_err(|()| expected())?
        .filter(|m| !m.is_empty());
    if rest.is_some_and(|r| !r.is_empty()) {
        return Err(expected());
    }
    // An old writer put an IPv6 route's metric where the gateway goes when it had none
    // (`A/P,METRIC`); NetworkManager reads it so.
    let mut gateway = gateway;
    if v6
        && metric.is_none()
        && let Some(g) = gateway
        && g.bytes().all(|b| b.is_ascii_digit())
    {
        metric = Some(g);
        gateway = None;
    }
    let parse_ip = |s: &str| ip_of(s, v6).ok_or_else(expected);
    let prefix = prefix_of(prefix, v6, if v6 { 128 } else { 24 }).ok_or_else(expected)?;
    let dest = parse_ip(dest.ok_or_else(expected)?)?;
    let mut entry = BTreeMap::from([
        ("dest".to_owned(), Value::Str(dest.to_string())),
        ("prefix".to_owned(), Value::U32(prefix)),
    ]);
    if let Some(g) = gateway.map(parse_ip).transpose()?
        && !g.is_unspecified()
    {
        entry.insert("next-hop".to_owned(), Value::Str(g.to_string()));
    }
    if let Some(m) = metric {
        let m = m.parse::<u32>().map_err(|_| expected())?;
        entry.insert("metric".to_owned(), Value::U32(m));
    }
    Ok(entry)
}

/// A `routeN_options` value (`src=192.0.2.1,table=200`, `\` escaping a separator), as
/// NetworkManager's `nm_utils_parse_variant_attributes` reads it: `table` a `u32`, `src` an
/// address; every other attribute kept as its text, which the model has no place for.
fn route_attributes(raw: &str) -> Result<Vec<(String, Value)>, (usize, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    let mut pieces = Vec::new();
    for (i, c) in raw.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            pieces.push((start, &raw[start..i]));
            start = i + 1;
        }
    }
    pieces.push((start, &raw[start..]));
    for (at, piece) in pieces.into_iter().filter(|(_, p)| !p.is_empty()) {
        let Some((name, value)) = piece.split_once('=') else {
            return Err((
                at,
                format!("invalid route option '{piece}': expected NAME=VALUE"),
            ));
        };
        // A backslash takes the next character as it is.
        let mut text = String::with_capacity(value.len());
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            text.extend(if c == '\\' { chars.next() } else { Some(c) });
        }
        let value = text;
        let typed = match name {
            "table" => match crate::model::parse_uint(&value) {
                Some(t) => Value::U32(t),
                None => {
                    return Err((
                        at,
                        format!("invalid route option table '{value}': expected a whole number"),
                    ));
                }
            },
            "src" => match value.parse::<IpAddr>() {
                Ok(ip) => Value::Str(ip.to_string()),
                Err(_) => {
                    return Err((
                        at,
                        format!("invalid route option src '{value}': expected an IP address"),
                    ));
                }
            },
            _ => Value::Str(value),
        };
        out.push((name.to_owned(), typed));
    }
    Ok(out)
}
