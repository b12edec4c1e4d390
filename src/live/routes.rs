//! A declaration's static routes and default gateways next to the kernel's routes through
//! the interface (see [`super::kernel::Route`]).
//!
//! A declared route is there when a route through the interface has its table, destination
//! and gateway, and its source and metric where they are declared: without a metric, the
//! tool that added the route chose it (the kernel's 0 or 1024, NetworkManager's per-device
//! default), so any is right. A declared gateway is there when a default route of the main
//! table goes through it, with any metric.
//!
//! Routes the declaration does not have are [`stray`]: drift for `status`, never a reason
//! to undo an apply, since people add routes by hand. What the kernel or the address
//! configuration adds by itself (a prefix route, DHCP's and router advertisements' routes)
//! and the main table's default route (DHCP's) are not counted.

use std::net::IpAddr;

use super::kernel::{Kernel, Route as Live};
use crate::error::Drift;
use crate::model::{Interface, Route, RouteFamily, RouteTable};

/// A declared route in the kernel's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Want {
    table: u32,
    destination: IpAddr,
    prefix: u8,
    gateway: Option<IpAddr>,
    source: Option<IpAddr>,
    metric: Option<u32>,
}

impl Want {
    fn of<A: RouteFamily + Into<IpAddr>>(r: &Route<A>) -> Self {
        let key = r.key();
        Self {
            table: key.table,
            destination: r.destination.address().into(),
            prefix: r.destination.prefix(),
            gateway: r.gateway.map(Into::into),
            source: r.source.map(Into::into),
            metric: r.metric,
        }
    }

    /// Whether `live` leads to the same place in the same table.
    fn same_place(&self, live: &Live) -> bool {
        live.table == self.table
            && live.destination == self.destination
            && live.prefix == self.prefix
    }

    /// Whether `live` is this route.
    fn matches(&self, live: &Live) -> bool {
        self.same_place(live)
            && live.gateway == self.gateway
            && self.metric.is_none_or(|m| m == live.metric)
            && (self.source.is_none() || live.source == self.source)
    }

    /// Whether `live` is accounted for by this route: the same place, and the same metric
    /// when one is declared (a second route there with another metric is not this one).
    fn accounts(&self, live: &Live) -> bool {
        self.same_place(live) && self.metric.is_none_or(|m| m == live.metric)
    }

    /// Destination and table, as the kernel tells routes apart for a person.
    fn key(&self) -> String {
        key(self.destination, self.prefix, self.table)
    }

    /// What is declared besides the key: `via 192.0.2.254 metric 100 src 192.0.2.10`.
    fn hop(&self) -> String {
        let mut out = match self.gateway {
            Some(gw) => format!("via {gw}"),
            None => "on link".to_owned(),
        };
        if let Some(m) = self.metric {
            out.push_str(&format!(" metric {m}"));
        }
        if let Some(s) = self.source {
            out.push_str(&format!(" src {s}"));
        }
        out
    }
}

fn key(destination: IpAddr, prefix: u8, table: u32) -> String {
    if table == RouteTable::MAIN {
        format!("{destination}/{prefix}")
    } else {
        format!("{destination}/{prefix} table {table}")
    }
}

/// Every static route `i` declares, IPv4's first, in the order written.
fn wanted(i: &Interface) -> Vec<Want> {
    let v4 = i.ipv4.iter().flat_map(|p| &p.routes).map(Want::of);
    let v6 = i.ipv6.iter().flat_map(|p| &p.routes).map(Want::of);
    v4.chain(v6).collect()
}

/// The default gateways `i` declares.
fn gateways(i: &Interface) -> Vec<IpAddr> {
    let v4 = i.ipv4.as_ref().and_then(|p| p.gateway).map(IpAddr::V4);
    let v6 = i.ipv6.as_ref().and_then(|p| p.gateway).map(IpAddr::V6);
    v4.into_iter().chain(v6).collect()
}

/// Every declared route and gateway of `i` the kernel does not have: a verification
/// failure.
pub fn compare(i: &Interface, kernel: &Kernel) -> Vec<Drift> {
    let name = i.name.as_str();
    let live: Vec<&Live> = kernel.routes_of(name).collect();
    let mut out = Vec::new();
    for want in wanted(i) {
        if live.iter().any(|l| want.matches(l)) {
            continue;
        }
        let there: Vec<String> = (live.iter())
            .filter(|l| want.same_place(l))
            .map(|l| l.hop())
            .collect();
        out.push(Drift {
            interface: name.to_owned(),
            field: "route",
            key: Some(want.key()),
            declared: want.hop(),
            live: if there.is_empty() {
                "missing".into()
            } else {
                there.join("; ")
            },
        });
    }
    for gw in gateways(i) {
        let defaults: Vec<&&Live> = (live.iter())
            .filter(|l| l.main_default() && l.destination.is_ipv4() == gw.is_ipv4())
            .collect();
        if !defaults.iter().any(|l| l.gateway == Some(gw)) {
            let via: Vec<String> = (defaults.iter())
                .map(|l| l.gateway.map_or("on link".into(), |g| g.to_string()))
                .collect();
            out.push(Drift {
                interface: name.to_owned(),
                field: "gateway",
                key: None,
                declared: gw.to_string(),
                live: if via.is_empty() {
                    "none".into()
                } else {
                    via.join(" ")
                },
            });
        }
    }
    out
}

/// The kernel's routes through `i` that nothing declares and nothing made by itself: drift
/// for `status`, but not a failed verification.
pub fn stray(i: &Interface, kernel: &Kernel) -> Vec<Drift> {
    let wanted = wanted(i);
    kernel
        .routes_of(i.name.as_str())
        .filter(|l| !l.automatic() && !l.main_default())
        .filter(|l| !wanted.iter().any(|w| w.accounts(l)))
        .map(|l| Drift {
            interface: i.name.to_string(),
            field: "route",
            key: Some(key(l.destination, l.prefix, l.table)),
            declared: "none".into(),
            live: l.hop(),
        })
        .collect()
}

/// The routes `i` declares, for `status`: `default via …` for a gateway, then each static
/// route as `ip route` says it.
pub fn declared(i: &Interface) -> Vec<String> {
    let gw = gateways(i).into_iter().map(|g| format!("default via {g}"));
    let routes = wanted(i)
        .into_iter()
        .map(|w| format!("{} {}", w.key(), w.hop()));
    gw.chain(routes).collect()
}

/// The routes through `i`'s link that a declaration can make (all but those the kernel or
/// the address configuration made by itself), for `status`.
pub fn live(name: &str, kernel: &Kernel) -> Vec<String> {
    kernel
        .routes_of(name)
        .filter(|l| !l.automatic() || l.main_default())
        .map(ToString::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::kernel::parse_routes;

    fn host(routes: &str) -> Interface {
        let xml = format!(
            "<interface type='ethernet' name='eth0'><start mode='onboot'/>
               <protocol family='ipv4' xmlns:nl='urn:netloom:xml:1'>
                 <ip address='192.0.2.10' prefix='24'/><route gateway='192.0.2.1'/>{routes}
               </protocol></interface>"
        );
        let mut h = crate::xml::read_str("t.xml", &xml).unwrap();
        h.interfaces.remove(0)
    }

    fn kernel(v4: &str) -> Kernel {
        Kernel {
            links: Vec::new(),
            routes: parse_routes(v4, false).unwrap(),
        }
    }

    const BASE: &str = r#"{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
        {"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link",
         "prefsrc":"192.0.2.10","flags":[]},
        {"type":"local","dst":"192.0.2.10","dev":"eth0","table":"local","protocol":"kernel",
         "scope":"host","prefsrc":"192.0.2.10","flags":[]}"#;

    fn fields(d: &[Drift]) -> Vec<String> {
        d.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_route_without_a_declared_metric_matches_any_and_a_declared_one_must_be_equal() {
        let bare = host("<nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.254'/>");
        let said = host(
            "<nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.254' metric='50'/>",
        );
        let k = kernel(&format!(
            r#"[{BASE},{{"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0",
                "protocol":"static","metric":100,"flags":[]}}]"#
        ));
        assert_eq!(compare(&bare, &k), vec![], "NetworkManager's metric 100");
        assert_eq!(
            fields(&compare(&said, &k)),
            [
                "eth0: route 10.10.0.0/16: declared via 192.0.2.254 metric 50, live via \
              192.0.2.254 metric 100"
            ]
        );
        assert_eq!(stray(&bare, &k), vec![]);
        assert_eq!(
            fields(&stray(&said, &k)),
            ["eth0: route 10.10.0.0/16: declared none, live via 192.0.2.254 metric 100"],
            "the route with another metric is not the declared one"
        );
    }

    #[test]
    fn the_table_is_matched_and_a_missing_route_is_named_field_by_field() {
        let h = host(
            "<nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.254' table='200'/>
             <nl:route destination='10.20.0.0' prefix='24'/>",
        );
        let main_only = kernel(&format!(
            r#"[{BASE},{{"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0","flags":[]}},
               {{"dst":"10.20.0.0/24","dev":"eth0","scope":"link","flags":[]}}]"#
        ));
        assert_eq!(
            fields(&compare(&h, &main_only)),
            ["eth0: route 10.10.0.0/16 table 200: declared via 192.0.2.254, live missing"]
        );
        assert_eq!(
            fields(&stray(&h, &main_only)),
            ["eth0: route 10.10.0.0/16: declared none, live via 192.0.2.254 metric 0"]
        );
        let in_200 = kernel(&format!(
            r#"[{BASE},{{"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0",
                 "table":"200","flags":[]}},
               {{"dst":"10.20.0.0/24","dev":"eth0","scope":"link","flags":[]}}]"#
        ));
        assert_eq!(compare(&h, &in_200), vec![]);
        assert_eq!(stray(&h, &in_200), vec![]);
        assert_eq!(
            live("eth0", &in_200),
            [
                "0.0.0.0/0 via 192.0.2.1 metric 0",
                "10.10.0.0/16 via 192.0.2.254 metric 0 table 200",
                "10.20.0.0/24 on link metric 0"
            ]
        );
        assert_eq!(
            declared(&h),
            [
                "default via 192.0.2.1",
                "10.10.0.0/16 table 200 via 192.0.2.254",
                "10.20.0.0/24 on link"
            ]
        );
    }

    #[test]
    fn what_the_kernel_makes_is_not_stray_and_a_missing_gateway_is_drift() {
        let h = host("");
        let k = kernel(&format!(
            r#"[{BASE},{{"dst":"198.51.100.0/24","dev":"eth0","protocol":"kernel",
                 "scope":"link","flags":[]}},
               {{"dst":"203.0.113.0/24","dev":"eth0","protocol":"dhcp","flags":[]}},
               {{"dst":"10.99.0.0/16","dev":"eth1","flags":[]}},
               {{"type":"broadcast","dst":"192.0.2.255","dev":"eth0","table":"local",
                 "protocol":"kernel","flags":[]}}]"#
        ));
        assert_eq!(compare(&h, &k), vec![]);
        assert_eq!(stray(&h, &k), vec![], "kernel, dhcp, another device, local");
        let no_default =
            kernel(r#"[{"dst":"default","gateway":"192.0.2.9","dev":"eth0","flags":[]}]"#);
        assert_eq!(
            fields(&compare(&h, &no_default)),
            ["eth0: gateway: declared 192.0.2.1, live 192.0.2.9"]
        );
        assert_eq!(
            fields(&compare(&h, &kernel("[]"))),
            ["eth0: gateway: declared 192.0.2.1, live none"]
        );
    }

    #[test]
    fn numbers_read_as_names_so_a_named_table_is_still_found() {
        let h = host(
            "<nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.254' table='200'/>",
        );
        // `ip -N`: types, tables and protocols as numbers (2 is local, kernel; 4 static).
        let k = kernel(
            r#"[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
                {"dst":"192.0.2.0/24","dev":"eth0","protocol":"2","scope":"253","flags":[]},
                {"type":"2","dst":"192.0.2.10","dev":"eth0","table":"255","protocol":"2"},
                {"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0","table":"200",
                 "protocol":"4","flags":[]}]"#,
        );
        assert_eq!(compare(&h, &k), vec![]);
        assert_eq!(stray(&h, &k), vec![]);
        assert_eq!(k.routes.len(), 3, "the local table's route is not kept");
        assert_eq!(k.routes[2].protocol, "static");
        let named = kernel(
            r#"[{"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0","table":"mgmt"}]"#,
        );
        assert!(named.routes.is_empty(), "a name only the host's file knows");
    }

    #[test]
    fn ipv6_routes_are_read_without_link_local_and_multicast() {
        let r = parse_routes(
            r#"[{"dst":"2001:db8:10::/48","gateway":"2001:db8::fffe","dev":"eth0",
                 "protocol":"boot","metric":1024,"flags":[]},
                {"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[]},
                {"type":"multicast","dst":"ff00::/8","dev":"eth0","table":"local",
                 "protocol":"kernel","metric":256,"flags":[]},
                {"dst":"default","dev":"eth0","metric":1024,"flags":[]}]"#,
            true,
        )
        .unwrap();
        let shown: Vec<String> = r.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "2001:db8:10::/48 via 2001:db8::fffe metric 1024",
                "::/0 on link metric 1024"
            ]
        );
    }
}
