//! The kernel's routing tables in a test's network namespace (`ip -j route show table all`),
//! compared with the routes a declaration holds by the kernel's own key of a route
//! (`netloom::model::RouteKey`: table, destination, metric) and its gateway and source.

use std::net::{Ipv4Addr, Ipv6Addr};

use netloom::model::{Destination, Route, RouteFamily, RouteTable};
use serde_json::Value;

/// One route of the kernel's, as the model says a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel<A> {
    /// The table number (254 is main).
    pub table: u32,
    pub destination: Destination<A>,
    pub gateway: Option<A>,
    pub source: Option<A>,
    pub metric: u32,
}

/// The table numbers of the names `ip` prints.
fn table(v: Option<&Value>) -> Option<u32> {
    match v {
        None => Some(RouteTable::MAIN),
        Some(Value::String(s)) => match s.as_str() {
            "main" => Some(RouteTable::MAIN),
            "local" => Some(255),
            "default" => Some(253),
            n => n.parse().ok(),
        },
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        _ => None,
    }
}

/// The unicast routes of family `A` in every table of namespace `ns`.
pub fn kernel<A: RouteFamily>(ns: &str) -> Vec<Kernel<A>> {
    let family = if A::MAX_PREFIX == 32 { "-4" } else { "-6" };
    let out = crate::util::tools::command("ip")
        .args(["-n", ns, family, "-j", "route", "show", "table", "all"])
        .output()
        .unwrap();
    assert!(out.status.success(), "ip route show: {out:?}");
    let routes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    routes
        .iter()
        .filter(|r| r.get("type").and_then(Value::as_str).unwrap_or("unicast") == "unicast")
        .filter_map(|r| {
            let dst = r.get("dst")?.as_str()?;
            let destination = if dst == "default" {
                Destination::new(A::from_bits(0), 0).ok()?
            } else if dst.contains('/') {
                Destination::parse(dst).ok()?
            } else {
                Destination::new(A::parse_any(dst).ok()?, A::MAX_PREFIX).ok()?
            };
            let addr = |k: &str| r.get(k)?.as_str().and_then(|s| A::parse_any(s).ok());
            Some(Kernel {
                table: table(r.get("table"))?,
                destination,
                gateway: addr("gateway"),
                source: addr("prefsrc"),
                metric: r.get("metric").and_then(Value::as_u64).unwrap_or(0) as u32,
            })
        })
        .collect()
}

/// Each declared route that is not in `kernel` as declared: same table and destination,
/// the metric when one is declared (a tool gives its own otherwise), gateway and source.
pub fn missing<A: RouteFamily>(declared: &[Route<A>], kernel: &[Kernel<A>]) -> Vec<String> {
    declared
        .iter()
        .filter(|r| {
            let key = r.key();
            !kernel.iter().any(|k| {
                k.table == key.table
                    && k.destination == key.destination
                    && r.metric.is_none_or(|m| m == k.metric)
                    && k.gateway == r.gateway
                    && (r.source.is_none() || k.source == r.source)
            })
        })
        .map(|r| format!("{r} (key {:?})", r.key()))
        .collect()
}

/// Each declared route still in `kernel`, by table and destination.
pub fn left<A: RouteFamily>(declared: &[Route<A>], kernel: &[Kernel<A>]) -> Vec<String> {
    declared
        .iter()
        .filter(|r| {
            let key = r.key();
            kernel
                .iter()
                .any(|k| k.table == key.table && k.destination == key.destination)
        })
        .map(|r| r.to_string())
        .collect()
}

/// Both families' routes of `ns` that `declared` lacks or has gone.
pub fn check(ns: &str, v4: &[Route<Ipv4Addr>], v6: &[Route<Ipv6Addr>]) -> Vec<String> {
    let mut out = missing(v4, &kernel::<Ipv4Addr>(ns));
    out.extend(missing(v6, &kernel::<Ipv6Addr>(ns)));
    out
}
