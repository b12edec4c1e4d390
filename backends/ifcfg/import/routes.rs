//! A device's `route-NAME` and `route6-NAME`, as NetworkManager's ifcfg-rh reader reads
//! them beside its ifcfg file: each route the model holds, in order, under the same checks
//! as the XML's (`RouteCheck`); every other line noted as kept in the file.
//!
//! NetworkManager reads no route of a family that is disabled (`make_ip4_setting` returns
//! before), and no route file at all of a profile with a `rule-NAME` or `rule6-NAME` file
//! (it leaves policy routing to a dispatcher script): both are noted.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Importer;
use crate::backend::{Note, NoteKind};
use crate::backends::ifcfg::parse::IfcfgFile;
use crate::backends::ifcfg::routes::{self, Read};
use crate::model::{
    Destination, IfaceName, Ipv4, Ipv6, Route, RouteCheck, RouteFamily, RouteProblem,
};
use crate::source::SourceFile;

/// Where a family's routes go, and how they are checked.
struct Target<'t, A> {
    routes: &'t mut Vec<Route<A>>,
    check: RouteCheck<A>,
}

impl<'a, 's> Importer<'a, 's> {
    /// Reads the route files of `f` (the device `name`) into its protocols.
    pub(super) fn route_files(
        &mut self,
        f: &'a IfcfgFile<'s>,
        name: &IfaceName,
        v4: &mut Option<Ipv4>,
        v6: &mut Option<Ipv6>,
    ) {
        let all = self.all;
        if let Some(rule) = all.rules.get(f.name) {
            for tag in ["route-", "route6-"] {
                let Some((path, text)) = all.route_file(tag, f.name) else {
                    continue;
                };
                if text.lines().all(routes::is_comment) {
                    continue;
                }
                let message = format!(
                    "{tag}{} is kept but not read: NetworkManager reads no route file of a \
                     profile with {rule}, and leaves policy routing to a dispatcher script",
                    f.name
                );
                self.route_note(path, text, 0, NoteKind::NotImported, message);
            }
            return;
        }
        if let Some((path, text)) = all.route_file("route-", f.name) {
            let target = v4.as_mut().and_then(|v| {
                let networks: Vec<_> = (v.addresses.iter())
                    .filter_map(|a| Some(Destination::of(a.address, a.prefix?.get())))
                    .collect();
                let dynamic = v.dhcp.is_some();
                // A family without addresses has no routes to NetworkManager: noted, not read.
                (dynamic || !networks.is_empty()).then(|| Target {
                    check: RouteCheck::new(networks, dynamic),
                    routes: &mut v.routes,
                })
            });
            self.route_file::<Ipv4Addr>(path, text, name, target);
        }
        if let Some((path, text)) = all.route_file("route6-", f.name) {
            let target = v6.as_mut().and_then(|v| {
                let networks: Vec<_> = (v.addresses.iter())
                    .filter_map(|a| Some(Destination::of(a.address, a.prefix?.get())))
                    .collect();
                let dynamic = v.autoconf || v.dhcp.is_some();
                (dynamic || !networks.is_empty()).then(|| Target {
                    check: RouteCheck::new(networks, dynamic),
                    routes: &mut v.routes,
                })
            });
            self.route_file::<Ipv6Addr>(path, text, name, target);
        }
    }

    /// One route file of family `A`: its routes into `target` (`None` when NetworkManager
    /// reads no route of the family), a note for each line not read.
    fn route_file<A: RouteFamily>(
        &mut self,
        path: &'s str,
        text: &'s str,
        name: &IfaceName,
        target: Option<Target<'_, A>>,
    ) {
        let file = match routes::read::<A>(text, name.as_str()) {
            Ok(file) => file,
            Err((at, message)) => {
                let source = self
                    .sources
                    .entry(path)
                    .or_insert_with(|| SourceFile::new(path, text));
                let problem = source.diagnostic_in_input(at, message);
                self.problems.push(problem);
                return;
            }
        };
        let family = if A::MAX_PREFIX == 32 { "IPv4" } else { "IPv6" };
        let replaced = "netloom writes the routes it reads from the declaration, so a merge \
                        drops this line";
        let mut target = target;
        for e in file.entries {
            let (kind, message) = match (e.read, target.as_mut()) {
                (Read::Route(..), None) => (
                    NoteKind::NotImported,
                    format!(
                        "this route is not imported: {name} has no {family} address, and \
                         NetworkManager reads no {family} route then; {replaced}"
                    ),
                ),
                (Read::Route(route, derived), Some(target)) => match target.check.accept(&route) {
                    Ok(()) => {
                        target.routes.push(route);
                        match derived {
                            Some(why) => (NoteKind::Derived, why),
                            None => continue,
                        }
                    }
                    Err(problem) => {
                        let why = match problem {
                            RouteProblem::Duplicate { .. } => format!(
                                "a route to {} in the same table with the same metric is read \
                                 before it, and the kernel holds one",
                                route.destination
                            ),
                            RouteProblem::Unreachable => format!(
                                "its gateway is on none of {name}'s networks, and the kernel \
                                 refuses a route via a gateway it cannot reach"
                            ),
                            RouteProblem::MainDefault => {
                                "it is the main table's default route".to_owned()
                            }
                        };
                        let message = format!("this route is not imported: {why}; {replaced}");
                        (NoteKind::NotImported, message)
                    }
                },
                (Read::Unheld(why), _) => (
                    NoteKind::NotImported,
                    format!("this route is kept in the file but not imported: {why}"),
                ),
                (Read::Invalid(why), _) if file.legacy => (
                    NoteKind::NotImported,
                    format!("this is not imported: {why}"),
                ),
                (Read::Invalid(why), _) => (
                    NoteKind::NotImported,
                    format!(
                        "this line is kept in the file but not imported: NetworkManager skips \
                         it ({why}), and initscripts' ip route add fails on it"
                    ),
                ),
            };
            self.route_note(path, text, e.at, kind, message);
        }
    }

    /// A note at byte `at` of the route file `path`.
    fn route_note(&mut self, path: &'s str, text: &'s str, at: usize, kind: NoteKind, m: String) {
        let source = self
            .sources
            .entry(path)
            .or_insert_with(|| SourceFile::new(path, text));
        let d = source.diagnostic_in_input(at, m);
        self.notes.push(Note::new(kind, d));
    }
}
