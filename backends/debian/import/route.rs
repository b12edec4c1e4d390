//! Static routes and DNS as Debian's ifupdown runs them: `up ip route add …` hooks (and the
//! `down ip route del …` that undo them), `dns-nameservers` and `dns-search` (read by
//! resolvconf's and systemd-resolved's hooks).
//!
//! A hook is read as a route only when it is exactly one `ip route add` (`ip -4`, `ip -6`,
//! `/sbin/ip`…; `up` or its alias `post-up`) of the stanza's family whose words the model
//! holds: an optional `to` and `unicast`, a destination (`default`, `A/P`, or one host),
//! `via`, `dev` naming the interface (or `$IFACE`, which ifupdown sets to it), `metric` (or
//! its aliases `priority` and `preference`), `table` as a number, and `src`. Anything else
//! (another command, `proto`, `onlink`, a table by name, host bits set) stays a hook, noted
//! as kept. The routes read are held to the XML's rules (`RouteCheck`), in stanza order.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Problems, Read, Stanza};
use crate::backend::NoteKind;
use crate::model::{
    Destination, DomainName, IfaceName, Ipv4, Ipv6, Route, RouteCheck, RouteFamily, RouteProblem,
    RouteTable, parse_uint,
};

/// The `ip` a hook may call, by name or by path.
const IP: &[&str] = &["ip", "/sbin/ip", "/bin/ip", "/usr/sbin/ip", "/usr/bin/ip"];

/// The route of `ip route VERB ARGS` in `words` for the family `A` through `name`, if the
/// model holds it whole.
pub(super) fn route_of<A: RouteFamily>(
    words: &[&str],
    verb: &[&str],
    name: &str,
) -> Option<Route<A>> {
    let v6 = A::MAX_PREFIX == 128;
    let mut w = words.iter().copied();
    if !IP.contains(&w.next()?) {
        return None;
    }
    let mut next = w.next()?;
    match next {
        "-4" if !v6 => next = w.next()?,
        "-6" if v6 => next = w.next()?,
        "-4" | "-6" => return None,
        _ => {}
    }
    if next != "route" || !verb.contains(&w.next()?) {
        return None;
    }
    let rest: Vec<&str> = w.collect();
    // `to` and the type `unicast` may come before the destination, either first.
    let skip = rest
        .iter()
        .take(2)
        .take_while(|w| matches!(**w, "to" | "unicast"))
        .count();
    let (dest, pairs) = rest[skip..].split_first()?;
    let destination = if *dest == "default" {
        Destination::new(A::from_bits(0), 0).ok()?
    } else {
        match dest.split_once('/') {
            Some(_) => Destination::<A>::parse(dest).ok()?,
            None => Destination::new(A::parse_any(dest).ok()?, A::MAX_PREFIX).ok()?,
        }
    };
    let mut route = Route {
        destination,
        gateway: None,
        source: None,
        metric: None,
        table: None,
    };
    let mut seen = HashSet::new();
    for pair in pairs.chunks(2) {
        let [key, value] = pair else { return None };
        let key = match *key {
            "priority" | "preference" => "metric",
            k => k,
        };
        if !seen.insert(key) {
            return None;
        }
        match key {
            "via" => route.gateway = Some(A::parse_host(value).ok()?),
            "src" => route.source = Some(A::parse_host(value).ok()?),
            "metric" => {
                let m = parse_uint(value)?;
                (!(v6 && m == 0)).then_some(())?;
                route.metric = Some(m);
            }
            "table" => route.table = Some(RouteTable::parse(value).ok()?),
            "dev" => {
                if ![name, "$IFACE", "${IFACE}"].contains(value) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(route)
}

impl<'g> Read<'g> {
    /// The routes of the interface's `up` hooks and its DNS options, into its protocols.
    pub(super) fn routes_and_dns(
        &self,
        g: usize,
        name: &IfaceName,
        v4: &mut Option<Ipv4>,
        v6: &mut Option<Ipv6>,
        p: &mut Problems,
    ) {
        if let Some(v) = v4.as_mut() {
            let networks = (v.addresses.iter())
                .filter_map(|a| Some(Destination::of(a.address, a.prefix?.get())))
                .collect();
            let mut check = RouteCheck::new(networks, v.dhcp.is_some());
            self.routes::<Ipv4Addr>(g, "inet", name, &mut check, &mut v.routes, p);
        }
        if let Some(v) = v6.as_mut() {
            let networks = (v.addresses.iter())
                .filter_map(|a| Some(Destination::of(a.address, a.prefix?.get())))
                .collect();
            let mut check = RouteCheck::new(networks, v.autoconf || v.dhcp.is_some());
            self.routes::<Ipv6Addr>(g, "inet6", name, &mut check, &mut v.routes, p);
        }
        self.dns(g, v4, v6, p);
    }

    /// The `up ip route add` hooks of the `family` stanzas, in order, and the `down ip route
    /// del` hooks that undo one of them.
    fn routes<A: RouteFamily>(
        &self,
        g: usize,
        family: &'static str,
        name: &IfaceName,
        check: &mut RouteCheck<A>,
        out: &mut Vec<Route<A>>,
        p: &mut Problems,
    ) {
        let stanzas: Vec<&Stanza<'g>> = self.family(g, family).collect();
        for s in &stanzas {
            for o in s
                .opts
                .iter()
                .filter(|o| o.key == "up" || o.key == "post-up")
            {
                let words: Vec<&str> = o.val.words().map(|w| w.0).collect();
                let Some(route) = route_of::<A>(&words, &["add"], name.as_str()) else {
                    continue;
                };
                o.used.set(true);
                let why = match check.accept(&route) {
                    Ok(()) => {
                        out.push(route);
                        continue;
                    }
                    Err(RouteProblem::MainDefault) => {
                        "it adds the main table's default route, which interface XML declares \
                         as <route gateway> (the stanza's gateway)"
                            .to_owned()
                    }
                    Err(RouteProblem::Duplicate { .. }) => format!(
                        "a route to {} in the same table with the same metric is added before \
                         it, and the kernel holds one (ip route add fails with \"File exists\")",
                        route.destination
                    ),
                    Err(RouteProblem::Unreachable) => format!(
                        "its gateway is on none of {name}'s networks, and the kernel refuses a \
                         route via a gateway it cannot reach"
                    ),
                };
                let written = &o.written.text;
                let message = format!("{written} is kept in the file but not imported: {why}");
                p.note(s.at(o.written), NoteKind::NotImported, message);
            }
        }
        let added: HashSet<Route<A>> = out.iter().copied().collect();
        for s in &stanzas {
            for o in s
                .opts
                .iter()
                .filter(|o| o.key == "down" || o.key == "pre-down")
            {
                let words: Vec<&str> = o.val.words().map(|w| w.0).collect();
                if route_of::<A>(&words, &["del", "delete"], name.as_str())
                    .is_some_and(|r| added.contains(&r))
                {
                    o.used.set(true);
                }
            }
        }
    }

    /// `dns-nameservers` (and `dns-nameserver`, one a line) into the family of each address,
    /// `dns-search` into the stanza's family, each once and in order.
    fn dns(&self, g: usize, v4: &mut Option<Ipv4>, v6: &mut Option<Ipv6>, p: &mut Problems) {
        let (mut seen4, mut seen6) = (HashSet::new(), HashSet::new());
        let (mut domains4, mut domains6) = (HashSet::new(), HashSet::new());
        for s in self.stanzas(g) {
            for o in s.opts.iter() {
                let key = o.key.as_ref();
                if key != "dns-nameservers" && key != "dns-nameserver" && key != "dns-search" {
                    continue;
                }
                o.used.set(true);
                for (word, at) in o.val.words() {
                    let why = if key == "dns-search" {
                        let v6_stanza = s.family.text == "inet6";
                        let list = match (v6_stanza, v4.as_mut(), v6.as_mut()) {
                            (false, Some(v), _) => Some((&mut v.search, &mut domains4)),
                            (true, _, Some(v)) => Some((&mut v.search, &mut domains6)),
                            _ => None,
                        };
                        search(word, list)
                    } else {
                        match word.parse::<IpAddr>() {
                            Ok(IpAddr::V4(a)) => {
                                server(a, v4.as_mut().map(|v| &mut v.dns), &mut seen4)
                            }
                            Ok(IpAddr::V6(a)) => {
                                server(a, v6.as_mut().map(|v| &mut v.dns), &mut seen6)
                            }
                            Err(_) => Some(
                                "it is not an IP address (resolvconf writes it as a nameserver \
                                 line, which the resolver skips)"
                                    .to_owned(),
                            ),
                        }
                    };
                    if let Some(why) = why {
                        let message = format!(
                            "{} '{word}' is kept in the file but not imported: {why}",
                            o.written.text
                        );
                        p.note(at, NoteKind::NotImported, message);
                    }
                }
            }
        }
    }
}

/// A server into its family's list, or why not.
fn server<A: RouteFamily>(
    a: A,
    list: Option<&mut Vec<A>>,
    seen: &mut HashSet<A>,
) -> Option<String> {
    let Some(list) = list else {
        let family = if A::MAX_PREFIX == 32 { "IPv4" } else { "IPv6" };
        return Some(format!(
            "the interface has no {family} address, where interface XML keeps {family} servers"
        ));
    };
    if A::parse_host(&a.to_string()).is_err() {
        return Some("it is not a unicast address".to_owned());
    }
    if !seen.insert(a) {
        return Some("it is given before".to_owned());
    }
    list.push(a);
    None
}

/// A search domain into its stanza's family's list (beside the names it has, folded), or
/// why not.
fn search(
    word: &str,
    list: Option<(&mut Vec<DomainName>, &mut HashSet<String>)>,
) -> Option<String> {
    let Some((list, seen)) = list else {
        return Some("the stanza's family has no address, where interface XML keeps it".into());
    };
    match DomainName::parse(word) {
        Ok(d) if !seen.insert(d.folded()) => Some("it is given before".to_owned()),
        Ok(d) => {
            list.push(d);
            None
        }
        Err(e) => Some(format!("it is not a domain name netloom writes: {e}")),
    }
}
