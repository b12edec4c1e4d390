//! Routes, DNS servers and search domains of a profile, as NetworkManager reads them
//! (`route-data`, `dns-data`, `dns-search`, from D-Bus or a keyfile): each route the model
//! holds under the XML's checks (`RouteCheck`), each plain server of the setting's family,
//! each domain name; a note for every other entry.

use std::collections::{BTreeMap, HashSet};

use super::{Importer, Note, NoteKind, Value};
use crate::model::{
    Destination, DomainName, Route, RouteCheck, RouteFamily, RouteProblem, RouteTable,
};
use crate::syntax::dns::{self, Server};

impl Importer<'_> {
    /// `route-data`, `dns-data` and `dns-search` of `family`, as NetworkManager reads them:
    /// each route the model holds under the XML's checks, each plain server of the
    /// family, each domain name; a note for every other entry (kept in the profile, by a
    /// merge too, when the model could not hold it at all).
    pub(super) fn routes_and_dns<A: RouteFamily>(
        &mut self,
        i: usize,
        family: &'static str,
        check: RouteCheck<A>,
        (routes, dns, search): (&mut Vec<Route<A>>, &mut Vec<A>, &mut Vec<DomainName>),
    ) {
        if !self.routes(i, family, check, routes) {
            return;
        }
        self.dns_servers(i, family, dns);
        self.search_domains(i, family, search);
    }

    /// Each route of `route-data` the model holds, with a note for every other (and for one
    /// read otherwise than written); `false` when `route-data` is not a list of routes at
    /// all (reported), which ends the family's reading.
    fn routes<A: RouteFamily>(
        &mut self,
        i: usize,
        family: &'static str,
        mut check: RouteCheck<A>,
        routes: &mut Vec<Route<A>>,
    ) -> bool {
        let Some(value) = self.get(i, family, "route-data") else {
            return true;
        };
        let Value::Dicts(list) = value else {
            self.wrong_type::<()>(i, family, "route-data", value);
            return false;
        };
        for (n, entry) in list.iter().enumerate() {
            let (kind, why) = match route_entry::<A>(entry) {
                Err(why) => (
                    NoteKind::NotImported,
                    format!("is kept in the profile but not imported: {why}"),
                ),
                Ok((route, derived)) => match check.accept(&route) {
                    Ok(()) => {
                        routes.push(route);
                        match derived {
                            Some(why) => (NoteKind::Derived, why),
                            None => continue,
                        }
                    }
                    Err(problem) => (NoteKind::NotImported, refused_route(&problem, &route)),
                },
            };
            let message = format!("{family}.route{} {why}", n + 1);
            let located = self.located.entry(i).or_default();
            let at = self.profiles[i]
                .1
                .problem_in(located, family, "route-data", n, message);
            self.notes.push(Note::new(kind, at));
        }
        true
    }

    /// Each plain server of `dns-data` of the family, once; a note for every other entry.
    fn dns_servers<A: RouteFamily>(&mut self, i: usize, family: &'static str, dns: &mut Vec<A>) {
        let mut seen = HashSet::new();
        for item in self.strings(i, family, "dns-data") {
            let why = match dns::server(&item) {
                Ok(Server::Plain(ip)) => match A::parse_any(&ip.to_string()) {
                    Ok(_) if A::parse_host(&item).is_err() => {
                        format!("'{item}' is not a unicast address")
                    }
                    Ok(a) if !seen.insert(a) => format!("'{item}' is given before"),
                    Ok(a) => {
                        dns.push(a);
                        continue;
                    }
                    Err(_) => format!(
                        "'{item}' is not an address of this family, and NetworkManager ignores it"
                    ),
                },
                Ok(Server::Other(_, how)) => {
                    format!("the model holds plain servers, and this is {how}")
                }
                Err(why) => format!("{why}, and NetworkManager ignores it"),
            };
            let message =
                format!("{family}.dns entry {why}; it is kept in the profile but not imported");
            self.note(i, NoteKind::NotImported, family, "dns-data", message);
        }
    }

    /// Each domain name of `dns-search`, once (names compared folded); a note for every
    /// other entry.
    fn search_domains(&mut self, i: usize, family: &'static str, search: &mut Vec<DomainName>) {
        let mut seen: HashSet<String> = HashSet::new();
        for item in self.strings(i, family, "dns-search") {
            let why = match DomainName::parse(&item) {
                Ok(d) if !seen.insert(d.folded()) => format!("'{item}' is given before"),
                Ok(d) => {
                    search.push(d);
                    continue;
                }
                Err(e) => format!("'{item}' is not a domain name netloom writes: {e}"),
            };
            let message = format!(
                "{family}.dns-search entry {why}; it is kept in the profile but not imported"
            );
            self.note(i, NoteKind::NotImported, family, "dns-search", message);
        }
    }

    /// A list of strings `section.key` of profile `i`, marked as read.
    fn strings(&mut self, i: usize, section: &str, key: &str) -> Vec<String> {
        match self.get(i, section, key) {
            None => Vec::new(),
            Some(Value::Strs(list)) => list.clone(),
            Some(other) => {
                self.wrong_type::<()>(i, section, key, other);
                Vec::new()
            }
        }
    }
}

/// A `route-data` entry as a route, with a note when NetworkManager's reading is not what
/// the entry says (host bits it clears); or why the model cannot hold it.
fn route_entry<A: RouteFamily>(
    entry: &BTreeMap<String, Value>,
) -> Result<(Route<A>, Option<String>), String> {
    let other: Vec<&str> = (entry.keys())
        .map(String::as_str)
        .filter(|k| !super::super::settings::ROUTE_KEYS.contains(k))
        .collect();
    if !other.is_empty() {
        return Err(format!(
            "the model has no place for its {}",
            other.join(", ")
        ));
    }
    let text = |k: &str| match entry.get(k) {
        Some(Value::Str(s)) => Ok(Some(s.as_str())),
        None => Ok(None),
        Some(_) => Err(format!("its {k} is not text")),
    };
    let number = |k: &str| match entry.get(k) {
        Some(Value::U32(n)) => Ok(Some(*n)),
        None => Ok(None),
        Some(_) => Err(format!("its {k} is not a number")),
    };
    let dest = text("dest")?.ok_or("it has no destination")?;
    let address = A::parse_any(dest).map_err(|e| format!("its destination '{dest}': {e}"))?;
    let prefix = number("prefix")?.unwrap_or(u32::from(A::MAX_PREFIX));
    let prefix = u8::try_from(prefix)
        .ok()
        .filter(|p| *p <= A::MAX_PREFIX)
        .ok_or_else(|| format!("its prefix {prefix} is too long"))?;
    let gateway = match text("next-hop")? {
        Some(g) => Some(A::parse_any(g).map_err(|e| format!("its next hop '{g}': {e}"))?),
        None => None,
    }
    .filter(|g| g.bits() != 0);
    if let Some(g) = gateway {
        A::parse_host(&g.to_string()).map_err(|_| format!("its next hop {g} is not unicast"))?;
    }
    let source = match text("src")? {
        Some(s) => Some(A::parse_host(s).map_err(|e| format!("its src '{s}': {e}"))?),
        None => None,
    };
    let metric = number("metric")?;
    if metric == Some(0) && A::KERNEL_METRIC != 0 {
        return Err(format!(
            "its metric 0 is {} to the kernel, and interface XML says {}",
            A::KERNEL_METRIC,
            A::KERNEL_METRIC
        ));
    }
    let table = match number("table")? {
        Some(0) => {
            return Err(
                "its table 0 is the profile's table, which the model has no place for".into(),
            );
        }
        Some(t) => RouteTable::parse(&t.to_string()).ok(),
        None => None,
    };
    let (destination, derived) = match Destination::new(address, prefix) {
        Ok(d) => (d, None),
        Err(_) => {
            let network = Destination::of(address, prefix);
            let why = format!(
                "is read as a route to {network}, the network NetworkManager adds for \
                 {address}/{prefix}"
            );
            (network, Some(why))
        }
    };
    let route = Route {
        destination,
        gateway,
        source,
        metric,
        table,
    };
    Ok((route, derived))
}

/// Why a route the XML's checks refuse is not imported, for its note.
fn refused_route<A: RouteFamily>(problem: &RouteProblem, route: &Route<A>) -> String {
    let why = match problem {
        RouteProblem::MainDefault => "it is the main table's default route, which interface XML \
            declares as <route gateway> (the gateway)"
            .to_owned(),
        RouteProblem::Duplicate { .. } => format!(
            "a route to {} in the same table with the same metric is read before it, and the \
             kernel holds one",
            route.destination
        ),
        RouteProblem::Unreachable => "its gateway is on none of the interface's networks, and \
            the kernel refuses a route via a gateway it cannot reach"
            .to_owned(),
    };
    format!(
        "is not imported: {why}; netloom writes the routes it reads from the declaration, so a \
         merge drops it"
    )
}
