//! `<nl:route>`, `<nl:dns>` and `<nl:search>` inside a `<protocol>`: static routes, DNS
//! servers and search domains, in netloom's namespace beside libvirt's `<ip>` and
//! `<route gateway>`.
//!
//! Checked when read, so every backend gets routes the kernel will take:
//! - a protocol with routes, servers or domains has addresses (static, DHCP, or IPv6
//!   autoconf): NetworkManager refuses DNS on a family that has none and ignores its routes;
//! - a destination is a network (no bits past the prefix), and the default route of the
//!   main table is libvirt's `<route gateway>`, not a second spelling of it;
//! - two routes the kernel cannot tell apart (destination, table and metric, missing ones
//!   filled in as `ip route add` fills them) are refused, as are a server or a domain given
//!   twice;
//! - a gateway must be reachable: on one of the interface's networks, on-link in IPv6
//!   (`fe80::/10`), or inside an on-link route written before it. This is an error, not a
//!   warning: the kernel refuses `ip route add … via` a gateway it cannot reach ("Nexthop has
//!   invalid gateway"), so ifup stops there and NetworkManager's activation fails. With DHCP
//!   or autoconf the addresses are not known until the link is up, and the check is left to
//!   the kernel.

use std::collections::HashMap;

use roxmltree::Node;

use super::reader::{Reader, attribute, first_time};
use crate::model::{
    Destination, DomainName, NETLOOM_NS, Route, RouteCheck, RouteFamily, RouteProblem, RouteTable,
    parse_metric,
};

/// The elements of netloom's namespace a `<protocol>` may hold.
pub(super) const IN_PROTOCOL: &[(&str, &str)] = &[
    (NETLOOM_NS, "route"),
    (NETLOOM_NS, "dns"),
    (NETLOOM_NS, "search"),
];

/// What a protocol holds in netloom's namespace.
pub(super) struct Extras<A> {
    pub(super) routes: Vec<Route<A>>,
    pub(super) dns: Vec<A>,
    pub(super) search: Vec<DomainName>,
}

/// How a protocol gets its addresses, for the checks above.
pub(super) struct Addressing<A> {
    /// The networks of its static addresses.
    pub(super) networks: Vec<Destination<A>>,
    /// Whether it also gets addresses when the link is up (DHCP, IPv6 autoconf).
    pub(super) dynamic: bool,
}

/// Reads the netloom elements among a protocol's children `nodes`, in order.
pub(super) fn extras<A: RouteFamily>(
    r: &mut Reader,
    nodes: &[Node],
    what: &str,
    addressing: &Addressing<A>,
) -> Extras<A> {
    let mut out = Extras {
        routes: Vec::new(),
        dns: Vec::new(),
        search: Vec::new(),
    };
    let ours: Vec<Node> = nodes
        .iter()
        .copied()
        .filter(|n| n.tag_name().namespace() == Some(NETLOOM_NS))
        .collect();
    if let Some(first) = ours.first()
        && addressing.networks.is_empty()
        && !addressing.dynamic
    {
        no_addresses::<A>(r, *first, what);
    }
    let mut check = RouteCheck::new(addressing.networks.clone(), addressing.dynamic);
    // Where each route taken is, for a later duplicate's note.
    let mut routes_at: Vec<usize> = Vec::new();
    let mut dns_at: HashMap<A, usize> = HashMap::new();
    let mut search_at: HashMap<String, usize> = HashMap::new();
    for el in ours {
        match el.tag_name().name() {
            "route" => {
                let Some(route) = route::<A>(r, el) else {
                    continue;
                };
                match check.accept(&route) {
                    Ok(()) => {
                        routes_at.push(el.range().start);
                        out.routes.push(route);
                    }
                    Err(problem) => refuse(r, el, &route, problem, what, &check, &routes_at),
                }
            }
            "dns" => out.dns.extend(dns_server(r, el, what, &mut dns_at)),
            _ => out
                .search
                .extend(search_domain(r, el, what, &mut search_at)),
        }
    }
    out
}

/// Refuses `first`, the first netloom element of `what`, a protocol with no addresses of
/// family `A`: NetworkManager refuses DNS on such a family and ignores its routes, and a
/// route needs an address to send from.
fn no_addresses<A: RouteFamily>(r: &mut Reader, first: Node, what: &str) {
    let name = r.element_name(first);
    let sources = if A::MAX_PREFIX == 32 {
        "<ip> or <dhcp>"
    } else {
        "<ip>, <dhcp> or <autoconf>"
    };
    r.error(
        first.range().start,
        format!(
            "<{name}> in {what}, which has no addresses: NetworkManager refuses DNS on a \
             family without addresses and ignores its routes, and a route needs an address \
             to send from; add {sources} to the protocol"
        ),
    );
}

/// One `<nl:dns server>` of `what`; a server given before is refused (`seen` holds where
/// each was).
fn dns_server<A: RouteFamily>(
    r: &mut Reader,
    el: Node,
    what: &str,
    seen: &mut HashMap<A, usize>,
) -> Option<A> {
    let at = el.range().start;
    r.check_attrs(el, "<nl:dns>", &["server"]);
    r.children(el, "<nl:dns>", &[], None);
    let server = r.value(el, "<nl:dns>", "server", A::parse_host)?;
    first_time(r, seen, server, at, || {
        format!("DNS server {server} is given twice in {what}")
    })
    .then_some(server)
}

/// One `<nl:search domain>` of `what`; a domain given before, in any letter case, is
/// refused (`seen` holds where each was, by its folded spelling).
fn search_domain(
    r: &mut Reader,
    el: Node,
    what: &str,
    seen: &mut HashMap<String, usize>,
) -> Option<DomainName> {
    let at = el.range().start;
    r.check_attrs(el, "<nl:search>", &["domain"]);
    r.children(el, "<nl:search>", &[], None);
    let domain = r.value(el, "<nl:search>", "domain", DomainName::parse)?;
    first_time(r, seen, domain.folded(), at, || {
        format!("search domain {domain} is given twice in {what}")
    })
    .then_some(domain)
}

/// One `<nl:route>`, its values checked one by one.
fn route<A: RouteFamily>(r: &mut Reader, el: Node) -> Option<Route<A>> {
    let what = "<nl:route>";
    let attrs = [
        "destination",
        "prefix",
        "gateway",
        "source",
        "metric",
        "table",
    ];
    r.check_attrs(el, what, &attrs);
    r.children(el, what, &[], None);
    let address = r.value(el, what, "destination", A::parse_any);
    let prefix = r.value(el, what, "prefix", Destination::<A>::parse_prefix);
    let gateway = r.optional(el, what, "gateway", A::parse_host);
    let source = r.optional(el, what, "source", A::parse_host);
    let metric = r.optional(el, what, "metric", parse_metric::<A>);
    let table = r.optional(el, what, "table", RouteTable::parse);
    let (address, prefix) = (address?, prefix?);
    let destination = match Destination::new(address, prefix) {
        Ok(d) => d,
        Err(e) => {
            let at =
                attribute(el, "destination").map_or(el.range().start, |a| a.range_value().start);
            r.error(
                at,
                format!("invalid destination '{address}' with prefix '{prefix}' on {what}: {e}"),
            );
            return None;
        }
    };
    if attribute(el, "gateway").is_some() && gateway.is_none()
        || attribute(el, "source").is_some() && source.is_none()
        || attribute(el, "metric").is_some() && metric.is_none()
        || attribute(el, "table").is_some() && table.is_none()
    {
        return None;
    }
    Some(Route {
        destination,
        gateway,
        source,
        metric,
        table,
    })
}

/// Reports why `route` (written at `el`) cannot join the routes before it.
fn refuse<A: RouteFamily>(
    r: &mut Reader,
    el: Node,
    route: &Route<A>,
    problem: RouteProblem,
    what: &str,
    check: &RouteCheck<A>,
    routes_at: &[usize],
) {
    let at = el.range().start;
    match problem {
        RouteProblem::MainDefault => r.error(
            at,
            format!(
                "<nl:route> to {} is the main table's default route, which <route \
                 gateway='…'/> declares; a default route in another table is an <nl:route> \
                 with table='N'",
                route.destination
            ),
        ),
        RouteProblem::Duplicate { first } => {
            let key = route.key();
            let message = format!(
                "the route to {} in table {} with metric {} is given twice in {what}; the \
                 kernel holds one route per destination, table and metric (a missing table \
                 is main, a missing metric {})",
                key.destination,
                key.table,
                key.metric,
                A::KERNEL_METRIC
            );
            let first = routes_at.get(first).copied().unwrap_or(at);
            r.error_see(at, message, "first given", first);
        }
        RouteProblem::Unreachable => {
            let at = attribute(el, "gateway").map_or(at, |a| a.range_value().start);
            let networks: Vec<String> = check.networks().iter().map(|n| n.to_string()).collect();
            let gw = route.gateway.map(|g| g.to_string()).unwrap_or_default();
            r.error(
                at,
                format!(
                    "gateway {gw} of the route to {} is on none of this interface's networks \
                     ({}) and in no on-link route before it: the kernel refuses a route via a \
                     gateway it cannot reach (\"Nexthop has invalid gateway\"), so ifup and \
                     NetworkManager's activation fail; add an <ip> in the gateway's network, \
                     or an <nl:route> without a gateway to it first",
                    route.destination,
                    networks.join(", ")
                ),
            );
        }
    }
}
