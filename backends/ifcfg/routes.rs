//! `route-NAME` and `route6-NAME`: a device's static routes, read the way NetworkManager's
//! ifcfg-rh reader reads them (`read_route_file_parse`, `parse_route_line`,
//! `read_one_ip4_route`) and written in the `ip route` form both it and initscripts'
//! `ifup-routes` read.
//!
//! Two forms exist. The `ip route` form is one route a line, `ip route add`'s arguments
//! (`10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100 table 200`); initscripts runs
//! `ip -4 route add LINE` for each. The older form (IPv4 only), chosen by any line
//! `ADDRESSn=`, is a file bash sources: `ADDRESS0=`, `NETMASK0=`, `GATEWAY0=`, `METRIC0=`,
//! `OPTIONS0=`… from 0 to the first missing `ADDRESSn`. netloom reads both and writes the
//! first: `DEST/PREFIX [via GATEWAY] dev DEVICE [metric M] [src SOURCE] [table T]`, where
//! `dev` is what lets initscripts add an on-link route (NetworkManager ignores it).
//!
//! A line is netloom's when it is a route the model holds: a destination, `via`, `metric`,
//! `table`, `src`, the type `unicast`, and `dev` naming the device itself. A merge replaces
//! those with the declaration's routes, where the first of them was, and keeps every other
//! byte: comments, blank lines, routes with options the model has no place for (`mtu`,
//! `onlink`, `proto`…), and lines neither reader takes. Everything written is an address, a
//! prefix length, a number or a device name, so the word splitting and globbing initscripts
//! does on each line find nothing to act on.

use std::collections::HashSet;

use crate::model::{Destination, Ipv4Prefix, Route, RouteFamily, RouteTable};
use crate::syntax::shell::ShellFile;

/// What one route of a route file is to netloom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Read<A> {
    /// A route the model holds, with a note when NetworkManager's reading is not what the
    /// text says (host bits it clears, an IPv6 metric 0 the kernel makes 1024).
    Route(Route<A>, Option<String>),
    /// A route NetworkManager reads that the model cannot hold, and why.
    Unheld(String),
    /// Not a route NetworkManager reads: it skips it with a warning (and initscripts' `ip
    /// route add` fails on it too). Why.
    Invalid(String),
}

/// One route of a route file: where it is, and what it is.
#[derive(Debug, Clone)]
pub(super) struct Entry<A> {
    /// The byte offset of its line (the ip form) or of its `ADDRESSn` value (the old one).
    pub(super) at: usize,
    pub(super) read: Read<A>,
    /// The old form's route as an `ip route` line, so a merge can keep it in the new form;
    /// `None` in the ip form (the line itself is kept) and for what is not a route.
    pub(super) line: Option<String>,
}

/// A route file as read.
#[derive(Debug, Clone)]
pub(super) struct RouteFile<A> {
    /// Whether it is in the old `ADDRESSn=` form.
    pub(super) legacy: bool,
    /// Its routes, in order, and what is not one.
    pub(super) entries: Vec<Entry<A>>,
}

/// Route types `parse_route_line` knows; it misses `broadcast` and `multicast`, which its
/// list runs together.
const TYPES: &[&str] = &[
    "local",
    "unicast",
    "throw",
    "unreachable",
    "prohibit",
    "blackhole",
    "nat",
];

/// Options `parse_route_line` reads with one value that the model has no place for.
const UNHELD_ONE: &[&str] = &["scope", "tos", "rto_min", "quickack"];

/// Options it reads with a value that may be preceded by `lock`.
const UNHELD_LOCKABLE: &[&str] = &["window", "cwnd", "initcwnd", "initrwnd", "mtu", "advmss"];

/// Whether a line of the ip form is a comment or blank, as initscripts and NetworkManager
/// skip them (`^[[:space:]]*(#.*)?$`).
pub(super) fn is_comment(line: &str) -> bool {
    let rest = line.trim_start_matches([' ', '\t', '\n']);
    rest.is_empty() || rest.starts_with('#')
}

/// Whether `text` is in the old form: a line `ADDRESSn=`, spaces before it allowed.
pub(super) fn is_legacy(text: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start()
            .strip_prefix("ADDRESS")
            .and_then(|rest| {
                let digits =
                    rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                (digits > 0).then(|| &rest[digits..])
            })
            .is_some_and(|rest| rest.starts_with('='))
    })
}

/// Reads a route file of family `A` for `device`. The error is where and why
/// NetworkManager refuses the whole profile (a bad value in the old form).
pub(super) fn read<A: RouteFamily>(
    text: &str,
    device: &str,
) -> Result<RouteFile<A>, (usize, String)> {
    if A::MAX_PREFIX == 32 && is_legacy(text) {
        return legacy::<A>(text, device);
    }
    let mut entries = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let here = at;
        at += line.len();
        let line = line.strip_suffix('\n').unwrap_or(line);
        if is_comment(line) {
            continue;
        }
        entries.push(Entry {
            at: here,
            read: parse_line::<A>(line, device, false),
            line: None,
        });
    }
    Ok(RouteFile {
        legacy: false,
        entries,
    })
}

/// The words of a line, split on blanks as NetworkManager and bash's `read` split them.
fn words(line: &str) -> Vec<&str> {
    line.split([' ', '\t']).filter(|w| !w.is_empty()).collect()
}

/// A destination as `parse_route_line` reads it: `default`, `A/P`, or `A` (one host).
fn destination<A: RouteFamily>(text: &str) -> Result<(A, u8), String> {
    if text == "default" {
        return Ok((A::from_bits(0), 0));
    }
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let address = A::parse_any(address).map_err(|e| format!("'{text}': {e}"))?;
    let prefix = match prefix {
        Some(p) => Destination::<A>::parse_prefix(p).map_err(|e| format!("'{text}': {e}"))?,
        None => A::MAX_PREFIX,
    };
    Ok((address, prefix))
}

/// The parts of a route line, as written.
#[derive(Default)]
struct Parts<'l> {
    to: Option<&'l str>,
    via: Option<&'l str>,
    metric: Option<&'l str>,
    table: Option<&'l str>,
    src: Option<&'l str>,
    dev: Option<&'l str>,
    kind: Option<&'l str>,
    unheld: Vec<&'l str>,
}

/// One route as `parse_route_line` reads it: `line` is a line of the ip form, or with
/// `options` the `OPTIONSn` of the old form (where a destination, `via`, `metric` and `dev`
/// are not taken). A word it does not know, a missing value or an option given twice makes
/// the line one it skips.
fn parts<'l, A: RouteFamily>(line: &'l str, options: bool) -> Result<Parts<'l>, String> {
    let words = words(line);
    let mut p = Parts::default();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut i = 0;
    let v6 = A::MAX_PREFIX == 128;
    while let Some(&w) = words.get(i) {
        let value = |n: usize| {
            words
                .get(i + n)
                .copied()
                .ok_or_else(|| format!("'{w}' has no value"))
        };
        let main = ["to", "via", "metric", "dev"].contains(&w) && !options;
        let known = main
            || ["table", "src", "onlink"].contains(&w)
            || UNHELD_ONE.contains(&w)
            || UNHELD_LOCKABLE.contains(&w)
            || (w == "from" && v6)
            || (w == "weight" && !v6);
        if known && !seen.insert(w) {
            return Err(format!("'{w}' is given twice"));
        }
        match w {
            _ if !known => {
                if p.kind.is_none() && TYPES.contains(&w) {
                    p.kind = Some(w);
                    i += 1;
                } else if !options && !seen.contains("to") {
                    seen.insert("to");
                    p.to = Some(w);
                    i += 1;
                } else {
                    return Err(format!("'{w}' is not an argument NetworkManager knows"));
                }
            }
            "onlink" => {
                p.unheld.push(w);
                i += 1;
            }
            _ if UNHELD_LOCKABLE.contains(&w) => {
                let skip = if value(1)? == "lock" { 3 } else { 2 };
                value(skip - 1)?;
                p.unheld.push(w);
                i += skip;
            }
            _ => {
                let v = value(1)?;
                match w {
                    "to" => p.to = Some(v),
                    "via" => p.via = Some(v),
                    "metric" => p.metric = Some(v),
                    "table" => p.table = Some(v),
                    "src" => p.src = Some(v),
                    "dev" => p.dev = Some(v),
                    // NetworkManager reads `tos` and `scope` of an IPv6 route and drops them.
                    "tos" | "scope" if v6 => {}
                    other => p.unheld.push(other),
                }
                i += 2;
            }
        }
    }
    Ok(p)
}

/// A number as `_nm_utils_ascii_str_to_int64` takes it for a metric or a table.
fn number(key: &str, text: &str) -> Result<u32, String> {
    crate::model::parse_uint(text).ok_or_else(|| format!("{key} '{text}' is not a whole number"))
}

/// One line of the ip form (or, with `options`, the rest of an old-form route) read into
/// what the model makes of it.
fn parse_line<A: RouteFamily>(line: &str, device: &str, options: bool) -> Read<A> {
    let p = match parts::<A>(line, options) {
        Ok(p) => p,
        Err(why) => return Read::Invalid(why),
    };
    let Some(to) = p.to else {
        return Read::Invalid("it has no destination".to_owned());
    };
    route_of(&p, to, None, None, device)
}

/// The route of `p` to `to` (the old form gives the destination's prefix and the gateway
/// apart, in `prefix` and `via`).
fn route_of<A: RouteFamily>(
    p: &Parts<'_>,
    to: &str,
    prefix: Option<u8>,
    via: Option<A>,
    device: &str,
) -> Read<A> {
    let mut notes = Vec::new();
    let values = match values::<A>(p, to, prefix, via, &mut notes) {
        Ok(v) => v,
        Err(why) => return Read::Invalid(why),
    };
    if let Some(why) = unheld_part(p, device) {
        return Read::Unheld(why);
    }
    match held(values, &mut notes) {
        Ok(route) => Read::Route(route, (!notes.is_empty()).then(|| notes.join("; "))),
        Err(why) => Read::Unheld(why),
    }
}

/// A route's values as parsed, before the model is asked whether it holds them.
struct Values<A> {
    address: A,
    prefix: u8,
    gateway: Option<A>,
    metric: Option<u32>,
    table: Option<u32>,
    source: Option<A>,
}

/// Parses the route's destination and values, or says which one is invalid (NetworkManager
/// refuses the line). An old NetworkManager's `via (null)` is no gateway, noted.
fn values<A: RouteFamily>(
    p: &Parts<'_>,
    to: &str,
    prefix: Option<u8>,
    via: Option<A>,
    notes: &mut Vec<String>,
) -> Result<Values<A>, String> {
    let (address, prefix) = match (destination::<A>(to), prefix) {
        (Ok((a, _)), Some(prefix)) => (a, prefix),
        (Ok(d), None) => d,
        (Err(why), _) => return Err(format!("invalid destination {why}")),
    };
    let gateway = match (p.via, via) {
        (_, Some(g)) => Some(g),
        (Some("(null)"), None) => {
            notes.push(
                "'via (null)', which an old NetworkManager wrote, is read as no gateway, as \
                 NetworkManager reads it (initscripts' ip route add fails on it)"
                    .to_owned(),
            );
            None
        }
        (Some(text), None) => {
            Some(A::parse_any(text).map_err(|e| format!("invalid via '{text}': {e}"))?)
        }
        (None, None) => None,
    };
    let metric = p.metric.map(|m| number("metric", m)).transpose()?;
    let table = p.table.map(|t| number("table", t)).transpose()?;
    let source = (p.src.map(A::parse_any).transpose()).map_err(|e| format!("invalid src: {e}"))?;
    Ok(Values {
        address,
        prefix,
        gateway,
        metric,
        table,
        source,
    })
}

/// Why the model has no place for what the line says beside its values: a route type, an
/// option it does not hold, or another device than the profile's.
fn unheld_part(p: &Parts<'_>, device: &str) -> Option<String> {
    if let Some(kind) = p.kind.filter(|k| *k != "unicast") {
        return Some(format!(
            "a route of type {kind}, which the model has no place for"
        ));
    }
    if !p.unheld.is_empty() {
        return Some(format!(
            "the model has no place for its {}",
            p.unheld.join(", ")
        ));
    }
    if let Some(dev) = p.dev.filter(|d| *d != device) {
        return Some(format!(
            "dev {dev}: initscripts adds the route to {dev}, NetworkManager to {device}"
        ));
    }
    None
}

/// The route as NetworkManager reads the values (noting where that is not as written), or
/// why the model does not hold it.
fn held<A: RouteFamily>(v: Values<A>, notes: &mut Vec<String>) -> Result<Route<A>, String> {
    // NetworkManager takes an unspecified gateway for none; the kernel too.
    let gateway = v.gateway.filter(|g| g.bits() != 0);
    if let Some(g) = gateway
        && A::parse_host(&g.to_string()).is_err()
    {
        return Err(format!("its gateway {g} is not a unicast address"));
    }
    if let Some(s) = v.source
        && A::parse_host(&s.to_string()).is_err()
    {
        return Err(format!("its src {s} is not a unicast address"));
    }
    let table = match v.table {
        Some(0) => {
            return Err(
                "table 0, which NetworkManager reads as the profile's table and the kernel as \
                 main"
                    .to_owned(),
            );
        }
        Some(t) => RouteTable::parse(&t.to_string()).ok(),
        None => None,
    };
    let (address, prefix) = (v.address, v.prefix);
    let destination = match Destination::new(address, prefix) {
        Ok(d) => d,
        Err(_) => {
            let network = Destination::of(address, prefix);
            notes.push(format!(
                "the destination {address}/{prefix} is read as {network}, the network \
                 NetworkManager adds (initscripts' ip route add refuses bits past the prefix)"
            ));
            network
        }
    };
    let metric = match v.metric {
        Some(0) if A::KERNEL_METRIC != 0 => {
            notes.push(format!(
                "the metric 0 of an IPv6 route is read as {}, which the kernel makes of it",
                A::KERNEL_METRIC
            ));
            Some(A::KERNEL_METRIC)
        }
        m => m,
    };
    let route = Route {
        destination,
        gateway,
        source: v.source,
        metric,
        table,
    };
    main_default_route(&route).map_or(Ok(route), Err)
}

/// Why a route is not read as one: the main table's default route is the interface's
/// gateway, not a route.
fn main_default_route<A: RouteFamily>(route: &Route<A>) -> Option<String> {
    if !(route.destination.is_default() && route.in_main_table()) {
        return None;
    }
    let key = if A::MAX_PREFIX == 32 {
        "GATEWAY"
    } else {
        "IPV6_DEFAULTGW"
    };
    Some(format!(
        "it is the main table's default route, which interface XML declares as <route \
         gateway> ({key}= in the ifcfg file)"
    ))
}

/// The keys of one route of the old form, each followed by its number.
const LEGACY_KEYS: [&str; 5] = ["ADDRESS", "NETMASK", "GATEWAY", "METRIC", "OPTIONS"];

/// The old form: `ADDRESSn`, `NETMASKn` (required), `GATEWAYn`, `METRICn`, `OPTIONSn`, from
/// 0 to the first missing `ADDRESSn`, as `read_one_ip4_route` reads them. A bad value makes
/// NetworkManager refuse the whole profile.
fn legacy<A: RouteFamily>(text: &str, device: &str) -> Result<RouteFile<A>, (usize, String)> {
    let shell = ShellFile::parse(text).map_err(|e| (e.offset, e.message))?;
    let mut entries = Vec::new();
    let mut read: HashSet<String> = HashSet::new();
    for n in 0u32.. {
        let Some(entry) = legacy_route::<A>(&shell, n, device)? else {
            break;
        };
        read.extend(LEGACY_KEYS.iter().map(|base| format!("{base}{n}")));
        entries.push(entry);
    }
    entries.extend(unread_keys(&shell, &read));
    entries.sort_by_key(|e| e.at);
    Ok(RouteFile {
        legacy: true,
        entries,
    })
}

/// A key's value as NetworkManager reads it: an empty one is unset.
fn legacy_value<'s>(shell: &'s ShellFile, key: &str) -> Option<&'s str> {
    shell.get(key).filter(|v| !v.is_empty())
}

/// Route `n` of the old form, with its `ip route` line, or `None` past the last; a bad value
/// refuses the profile, at its key.
fn legacy_route<A: RouteFamily>(
    shell: &ShellFile,
    n: u32,
    device: &str,
) -> Result<Option<Entry<A>>, (usize, String)> {
    let get = |key: &str| legacy_value(shell, key);
    let at = |key: &str| shell.offset(key).unwrap_or(0);
    let key = |base: &str| format!("{base}{n}");
    let refused =
        |k: &str, why: String| (at(k), format!("{why}; NetworkManager refuses this profile"));
    let (address_key, netmask_key) = (key("ADDRESS"), key("NETMASK"));
    let Some(address) = get(&address_key) else {
        return Ok(None);
    };
    A::parse_any(address).map_err(|e| {
        refused(
            &address_key,
            format!("invalid {address_key} '{address}': {e}"),
        )
    })?;
    let Some(netmask) = get(&netmask_key) else {
        return Err(refused(
            &address_key,
            format!("{address_key} has no {netmask_key}"),
        ));
    };
    let prefix = Ipv4Prefix::from_netmask(netmask)
        .map(Ipv4Prefix::get)
        .or_else(|e| match netmask {
            "0.0.0.0" => Ok(0),
            _ => Err(e),
        })
        .map_err(|e| {
            refused(
                &netmask_key,
                format!("invalid {netmask_key} '{netmask}': {e}"),
            )
        })?;
    let gateway_key = key("GATEWAY");
    let gateway = get(&gateway_key)
        .map(|g| {
            A::parse_any(g)
                .map_err(|e| refused(&gateway_key, format!("invalid {gateway_key} '{g}': {e}")))
        })
        .transpose()?;
    let metric_key = key("METRIC");
    let metric = get(&metric_key)
        .map(|m| {
            number("metric", m).map_err(|_| {
                refused(
                    &metric_key,
                    format!("invalid {metric_key} '{m}': expected a whole number"),
                )
            })
        })
        .transpose()?;
    let options_key = key("OPTIONS");
    let options = get(&options_key).unwrap_or_default();
    let p = parts::<A>(options, true)
        .map_err(|why| refused(&options_key, format!("invalid {options_key}: {why}")))?;
    // An unset gateway and 0.0.0.0 are the same to NetworkManager: none.
    let via = gateway.filter(|g| g.bits() != 0);
    let line = legacy_line(address, prefix, via, metric, options, device);
    let metric_text = metric.map(|m| m.to_string());
    let p = Parts {
        metric: metric_text.as_deref(),
        ..p
    };
    let read = match route_of::<A>(&p, address, Some(prefix), via, device) {
        // A gateway of 0.0.0.0 is parsed as none above; say the route the same way.
        Read::Route(r, note) => Read::Route(Route { gateway: via, ..r }, note),
        other => other,
    };
    Ok(Some(Entry {
        at: at(&address_key),
        read,
        line: Some(line),
    }))
}

/// An old-form route as the `ip route` line a merge writes in its place.
fn legacy_line<A: RouteFamily>(
    address: &str,
    prefix: u8,
    via: Option<A>,
    metric: Option<u32>,
    options: &str,
    device: &str,
) -> String {
    let mut line = format!("{address}/{prefix}");
    if let Some(g) = via {
        line.push_str(&format!(" via {g}"));
    }
    line.push_str(&format!(" dev {device}"));
    if let Some(m) = metric {
        line.push_str(&format!(" metric {m}"));
    }
    if !options.trim().is_empty() {
        line.push(' ');
        line.push_str(options.trim());
    }
    line
}

/// Every other set key of an old-form file, each said as not read: past the first missing
/// `ADDRESSn` neither reader looks, and no other key is a route file's.
fn unread_keys<A>(shell: &ShellFile, read: &HashSet<String>) -> Vec<Entry<A>> {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    for (key, _) in shell.entries() {
        if read.contains(key) || !seen.insert(key) || legacy_value(shell, key).is_none() {
            continue;
        }
        let route_key = LEGACY_KEYS.iter().any(|b| {
            key.strip_prefix(b)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        });
        let why = if route_key {
            format!(
                "{key}: NetworkManager and initscripts stop at the first missing ADDRESSn, so \
                 neither reads it, and netloom writes the file in the ip route form without it"
            )
        } else {
            format!(
                "{key}: neither reader uses it in a route file, and netloom writes the file in \
                 the ip route form without it"
            )
        };
        entries.push(Entry {
            at: shell.offset(key).unwrap_or(0),
            read: Read::Invalid(why),
            line: None,
        });
    }
    entries
}

/// A route as netloom writes it for `device`.
pub(super) fn line<A: RouteFamily>(route: &Route<A>, device: &str) -> String {
    let mut out = route.destination.to_string();
    if let Some(g) = route.gateway {
        out.push_str(&format!(" via {g}"));
    }
    out.push_str(&format!(" dev {device}"));
    if let Some(m) = route.metric {
        out.push_str(&format!(" metric {m}"));
    }
    if let Some(s) = route.source {
        out.push_str(&format!(" src {s}"));
    }
    if let Some(t) = route.table {
        out.push_str(&format!(" table {t}"));
    }
    out
}

/// The route file of `device` with `ours` in it: the existing file's routes the model holds
/// replaced by `ours` where the first of them was (or after the rest), every other line
/// kept; the old form rewritten in the ip form, its comments and the routes the model does
/// not hold kept. `None` when nothing would be left. An existing file that already says
/// `ours` is given back byte for byte.
pub(super) fn merge<A: RouteFamily>(
    existing: Option<&str>,
    ours: &[Route<A>],
    device: &str,
) -> Result<Option<String>, (usize, String)> {
    let new_lines = || ours.iter().map(|r| line(r, device) + "\n");
    let Some(text) = existing else {
        return Ok((!ours.is_empty()).then(|| new_lines().collect()));
    };
    let file = read::<A>(text, device)?;
    let mut out = String::with_capacity(text.len() + ours.len() * 48);
    if file.legacy {
        for l in text.split_inclusive('\n') {
            if l.trim_start().starts_with('#') {
                out.push_str(l);
                if !l.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        let mut placed = false;
        for e in &file.entries {
            match (&e.read, &e.line) {
                (Read::Route(..), _) if !placed => {
                    out.extend(new_lines());
                    placed = true;
                }
                (Read::Unheld(_), Some(l)) => {
                    out.push_str(l);
                    out.push('\n');
                }
                _ => {}
            }
        }
        if !placed {
            out.extend(new_lines());
        }
        return Ok((!out.trim().is_empty()).then_some(out));
    }
    let held: Vec<(usize, &Route<A>, bool)> = (file.entries.iter())
        .filter_map(|e| match &e.read {
            Read::Route(r, note) => Some((e.at, r, note.is_none())),
            _ => None,
        })
        .collect();
    let same = held.len() == ours.len()
        && held
            .iter()
            .zip(ours)
            .all(|((_, r, plain), o)| *plain && *r == o);
    if same {
        return Ok(Some(text.to_owned()));
    }
    let managed: HashSet<usize> = held.iter().map(|(at, _, _)| *at).collect();
    let first = held.first().map(|(at, _, _)| *at);
    let mut at = 0;
    let mut placed = false;
    for l in text.split_inclusive('\n') {
        let here = at;
        at += l.len();
        if Some(here) == first {
            out.extend(new_lines());
            placed = true;
        }
        if !managed.contains(&here) {
            out.push_str(l);
            if !l.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    if !placed {
        out.extend(new_lines());
    }
    Ok((!out.trim().is_empty()).then_some(out))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn v4(line: &str) -> Read<Ipv4Addr> {
        parse_line(line, "eth0", false)
    }

    fn v6(line: &str) -> Read<Ipv6Addr> {
        parse_line(line, "eth0", false)
    }

    fn route(line: &str) -> Route<Ipv4Addr> {
        match v4(line) {
            Read::Route(r, None) => r,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn lines_are_read_as_network_manager_reads_them() {
        let r = route("10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100 src 192.0.2.10 table 200");
        assert_eq!(
            line(&r, "eth0"),
            "10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100 src 192.0.2.10 table 200"
        );
        // Keywords in any order, `to` said or not, a host without a prefix.
        assert_eq!(
            route("table 200 to 10.10.0.0/16 metric 100 via 192.0.2.254 src 192.0.2.10"),
            r
        );
        assert_eq!(route("192.0.2.99").destination.to_string(), "192.0.2.99/32");
        assert_eq!(
            route("unicast 10.0.0.0/8 via 192.0.2.1").gateway,
            Some(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(route("10.0.0.0/8 via 0.0.0.0").gateway, None);
        assert!(matches!(
            v6("2001:db8::/32 via fe80::1 tos 4"),
            Read::Route(..)
        ));
        assert!(
            matches!(v6("2001:db8::/32 metric 0"), Read::Route(r, Some(_)) if r.metric == Some(1024))
        );
        assert!(
            matches!(v4("10.1.2.3/16"), Read::Route(r, Some(_)) if r.destination.to_string() == "10.1.0.0/16")
        );
    }

    #[test]
    fn what_the_model_cannot_hold_is_unheld_and_garbage_is_invalid() {
        for unheld in [
            "10.0.0.0/8 via 192.0.2.1 mtu 1400",
            "10.0.0.0/8 via 192.0.2.1 mtu lock 1400",
            "10.0.0.0/8 via 192.0.2.1 onlink",
            "blackhole 10.0.0.0/8",
            "10.0.0.0/8 dev eth1",
            "default via 192.0.2.1",
            "0.0.0.0/0 via 192.0.2.1 table 254",
            "10.0.0.0/8 table 0",
            "10.0.0.0/8 via 224.0.0.1",
        ] {
            assert!(
                matches!(v4(unheld), Read::Unheld(_)),
                "{unheld}: {:?}",
                v4(unheld)
            );
        }
        for invalid in [
            "via 192.0.2.1",
            "10.0.0.0/8 via",
            "10.0.0.0/8 via 192.0.2.300",
            "10.0.0.0/8 metric 1 metric 2",
            "10.0.0.0/8 10.1.0.0/16",
            "10.0.0.0/8 table main",
            "10.0.0.0/33",
            "2001:db8::/32",
            "10.0.0.0/8 from 10.0.0.0/8",
            "10.0.0.0/8 proto static",
            "10.0.0.0/8 via 192.0.2.1\r",
        ] {
            assert!(
                matches!(v4(invalid), Read::Invalid(_)),
                "{invalid}: {:?}",
                v4(invalid)
            );
        }
        assert!(matches!(
            v6("2001:db8::/32 from 2001:db8::/64"),
            Read::Unheld(_)
        ));
        assert!(matches!(default_v4_in(200), Read::Route(..)));
    }

    fn default_v4_in(table: u32) -> Read<Ipv4Addr> {
        v4(&format!("default via 192.0.2.1 table {table}"))
    }

    #[test]
    fn the_old_form_is_read_up_to_the_first_missing_address() {
        let text = "# mine\nADDRESS0=10.10.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=192.0.2.254\n\
                    METRIC0=100\nOPTIONS0='table 200'\nADDRESS1=10.20.0.0\nNETMASK1=255.255.0.0\n\
                    ADDRESS3=10.30.0.0\nNETMASK3=255.255.0.0\n";
        let file = read::<Ipv4Addr>(text, "eth0").unwrap();
        assert!(file.legacy);
        let routes: Vec<String> = (file.entries.iter())
            .map(|e| match &e.read {
                Read::Route(r, _) => line(r, "eth0"),
                Read::Unheld(w) | Read::Invalid(w) => format!("not: {w}"),
            })
            .collect();
        assert_eq!(
            routes[0],
            "10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100 table 200"
        );
        assert_eq!(routes[1], "10.20.0.0/16 dev eth0");
        assert!(routes[2].starts_with("not: ADDRESS3: "), "{routes:?}");
        for bad in [
            "ADDRESS0=10.10.0.0\n",
            "ADDRESS0=10.10.0.0\nNETMASK0=255.0.255.0\n",
            "ADDRESS0=10.10.0.x\nNETMASK0=255.255.0.0\n",
            "ADDRESS0=10.10.0.0\nNETMASK0=255.255.0.0\nOPTIONS0='via 192.0.2.1'\n",
            "ADDRESS0=10.10.0.0\nNETMASK0=255.255.0.0\nMETRIC0=x\n",
            "ADDRESS0=$(reboot)\n",
        ] {
            assert!(read::<Ipv4Addr>(bad, "eth0").is_err(), "{bad}");
        }
        // IPv6 files have one form; such lines are not routes there.
        let v6 = read::<Ipv6Addr>("ADDRESS0=2001:db8::\n", "eth0").unwrap();
        assert!(!v6.legacy && matches!(v6.entries[0].read, Read::Invalid(_)));
    }

    fn routes(lines: &[&str]) -> Vec<Route<Ipv4Addr>> {
        lines.iter().map(|l| route(l)).collect()
    }

    #[test]
    fn a_merge_replaces_netlooms_lines_and_keeps_the_users() {
        let ours = routes(&["10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100"]);
        let existing = "# static routes\n10.1.0.0/16 via 192.0.2.1\n10.2.0.0/16 via 192.0.2.1 mtu 1400\n\
                        10.3.0.0/16 via 192.0.2.1 dev eth0\n\ngarbage here\n";
        let merged = merge(Some(existing), &ours, "eth0").unwrap().unwrap();
        assert_eq!(
            merged,
            "# static routes\n10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100\n\
             10.2.0.0/16 via 192.0.2.1 mtu 1400\n\ngarbage here\n"
        );
        // Said already (NetworkManager's spelling without dev included): left byte for byte.
        let nm = "10.10.0.0/16 via 192.0.2.254 metric 100\n";
        assert_eq!(merge(Some(nm), &ours, "eth0").unwrap().as_deref(), Some(nm));
        // Nothing left: no file.
        assert_eq!(merge::<Ipv4Addr>(Some(nm), &[], "eth0").unwrap(), None);
        assert_eq!(merge::<Ipv4Addr>(None, &[], "eth0").unwrap(), None);
        // A file without a route of netloom's, and without a final newline.
        assert_eq!(
            merge(Some("# keep"), &ours, "eth0").unwrap().unwrap(),
            "# keep\n10.10.0.0/16 via 192.0.2.254 dev eth0 metric 100\n"
        );
    }

    #[test]
    fn a_merge_rewrites_the_old_form_in_the_new_one() {
        let existing = "# mine\nADDRESS0=10.1.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=192.0.2.1\n\
                        ADDRESS1=10.2.0.0\nNETMASK1=255.255.0.0\nGATEWAY1=192.0.2.1\nOPTIONS1='mtu 1400'\n";
        let ours = routes(&["10.10.0.0/16 via 192.0.2.254"]);
        assert_eq!(
            merge(Some(existing), &ours, "eth0").unwrap().unwrap(),
            "# mine\n10.10.0.0/16 via 192.0.2.254 dev eth0\n10.2.0.0/16 via 192.0.2.1 dev eth0 mtu 1400\n"
        );
    }
}
