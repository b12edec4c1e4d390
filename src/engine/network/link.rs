//! The bridge of a network with its own: the device, its addresses and routes, and the
//! forwarding it needs, made with `ip` the way libvirt's `networkStartNetworkVirtual` makes
//! them, each step recorded for stop.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use super::cmd::{self, argv};
use super::record::Step;
use crate::error::{Error, LiveKind};
pub(crate) use crate::live::kernel::devices;
use crate::model::IfaceName;
use crate::model::network::{ForwardMode, Network};

/// Refuses a network whose subnet the host already routes somewhere, as libvirt does: the
/// guests could not be told apart from that network. Reads only.
pub(super) fn check_routes(net: &Network) -> Result<(), Error> {
    let mut routes = Vec::new();
    for family in ["-4", "-6"] {
        let show = argv(&["ip", "-j", family, "route", "show", "table", "main"]);
        let out = cmd::output(&show, None)?;
        if !out.ok {
            if family == "-6" {
                // A kernel without IPv6 has no IPv6 routes to collide with.
                continue;
            }
            return Err(cmd::failed(&show, &out));
        }
        routes.extend(destinations(net, &cmd::shown(&show), &out.stdout)?);
    }
    for ip in &net.ips {
        let subnet = (ip.network(), ip.prefix_len());
        let clash = routes
            .iter()
            .find(|(dst, _)| parse_dst(dst) == Some(subnet));
        if let Some((dst, dev)) = clash {
            return Err(Error::live(
                LiveKind::Conflict,
                format!(
                    "network '{}': its subnet {dst} is already routed through {dev}",
                    net.name
                ),
            ));
        }
    }
    Ok(())
}

/// The destination and device of each route in `json`, what `ip -j route` (the command
/// `shown`) printed. Routes that cannot be read cannot be checked: that is an error naming
/// them, never taken for no routes. A route without both (a multipath or blackhole one)
/// has no single device to name and is passed over.
fn destinations(net: &Network, shown: &str, json: &str) -> Result<Vec<(String, String)>, Error> {
    let doc: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        Error::live(LiveKind::Unreadable, format!(
            "network '{}': cannot check its subnet against the host's routes: `{shown}` printed \
             what is not a JSON list of routes: {e}",
            net.name
        ))
    })?;
    Ok(doc
        .iter()
        .filter_map(|r| {
            let dst = r.get("dst")?.as_str()?;
            let dev = r.get("dev")?.as_str()?;
            Some((dst.to_owned(), dev.to_owned()))
        })
        .collect())
}

/// A route destination as `ip -j` prints it: `A/P`, or a bare address for a host route.
fn parse_dst(dst: &str) -> Option<(IpAddr, u8)> {
    match dst.split_once('/') {
        Some((a, p)) => Some((a.parse().ok()?, p.parse().ok()?)),
        None => {
            let a: IpAddr = dst.parse().ok()?;
            Some((a, if a.is_ipv6() { 128 } else { 32 }))
        }
    }
}

/// Creates the bridge with its MAC, MTU and STP settings, and the IPv6 settings libvirt
/// gives it. Refuses a device of that name that exists already: it is someone else's.
pub(super) fn create_bridge(
    net: &Network,
    bridge: &IfaceName,
    steps: &mut Vec<Step>,
) -> Result<(), Error> {
    let name = bridge.as_str();
    if devices()?.contains(name) {
        return Err(Error::live(
            LiveKind::Conflict,
            format!(
                "network '{}': a device named {name} exists already",
                net.name
            ),
        ));
    }
    let def = net.bridge.as_ref();
    let stp = def.and_then(|b| b.stp).unwrap_or(true);
    // In centiseconds, as the kernel takes it; set before STP, which refuses a delay under
    // 2 s once it is on.
    let delay = def.and_then(|b| b.delay).unwrap_or(0).saturating_mul(100);
    // `name NAME`: a bridge may be called `dev` or `type`, which `ip` would read as keywords.
    let mut add = argv(&["ip", "link", "add", "name", name]);
    if let Some(mac) = &net.mac {
        add.extend(argv(&["address", &mac.to_string()]));
    }
    if let Some(mtu) = net.mtu {
        add.extend(argv(&["mtu", &mtu.get().to_string()]));
    }
    add.extend(argv(&[
        "type",
        "bridge",
        "forward_delay",
        &delay.to_string(),
    ]));
    add.extend(argv(&["stp_state", if stp { "1" } else { "0" }]));
    cmd::run(&add, None)?;
    steps.push(Step::Bridge {
        name: name.to_owned(),
    });
    if cmd::read_sysctl("net/ipv6/conf/all/disable_ipv6").is_some() {
        let v6 = net.ips.iter().any(|ip| ip.is_ipv6());
        let conf = |key: &str| format!("net/ipv6/conf/{name}/{key}");
        if v6 {
            // The bridge is the router of its network: no autoconfiguration from guests.
            cmd::write_sysctl(&conf("disable_ipv6"), "0")?;
            cmd::write_sysctl(&conf("accept_ra"), "0")?;
            cmd::write_sysctl(&conf("autoconf"), "0")?;
        } else {
            cmd::write_sysctl(&conf("disable_ipv6"), "1")?;
        }
    }
    Ok(())
}

/// Adds the addresses, brings the bridge up and adds the static routes.
pub(super) fn configure(net: &Network, bridge: &IfaceName) -> Result<(), Error> {
    let name = bridge.as_str();
    for ip in &net.ips {
        let addr = format!("{}/{}", ip.address, ip.prefix_len());
        let add = if ip.is_ipv6() {
            // No duplicate detection: the bridge has no carrier until a guest plugs in, and
            // a tentative address would keep dnsmasq from answering until then.
            argv(&["ip", "-6", "addr", "add", &addr, "dev", name, "nodad"])
        } else {
            argv(&[
                "ip",
                "-4",
                "addr",
                "add",
                &addr,
                "broadcast",
                "+",
                "dev",
                name,
            ])
        };
        cmd::run(&add, None)?;
    }
    cmd::run(&argv(&["ip", "link", "set", "dev", name, "up"]), None)?;
    for route in &net.routes {
        let dest = format!("{}/{}", route.address, route.prefix_len());
        let family = if route.address.is_ipv6() { "-6" } else { "-4" };
        let mut add = argv(&["ip", family, "route", "add", &dest]);
        add.extend(argv(&["via", &route.gateway.to_string(), "dev", name]));
        if let Some(metric) = route.metric {
            add.extend(argv(&["metric", &metric.to_string()]));
        }
        cmd::run(&add, None)?;
    }
    Ok(())
}

/// The forwarding sysctls a network with a forward mode needs, per family it has
/// addresses in.
pub(super) fn forwarding_keys(net: &Network) -> Vec<&'static str> {
    if !matches!(
        net.forward_mode(),
        Some(ForwardMode::Nat | ForwardMode::Route | ForwardMode::Open)
    ) {
        return Vec::new();
    }
    let mut keys = Vec::new();
    if net.ips.iter().any(|ip| !ip.is_ipv6()) {
        keys.push("net/ipv4/ip_forward");
    }
    if net.ips.iter().any(|ip| ip.is_ipv6()) {
        keys.push("net/ipv6/conf/all/forwarding");
    }
    keys
}

/// Turns forwarding on where the network needs it, recording the old value of each key it
/// changed so stop can put it back.
pub(super) fn enable_forwarding(net: &Network, steps: &mut Vec<Step>) -> Result<(), Error> {
    for key in forwarding_keys(net) {
        let old = cmd::read_sysctl(key).ok_or_else(|| {
            Error::live(
                LiveKind::Unavailable,
                format!(
                    "network '{}' needs {key}, which this kernel does not have",
                    net.name
                ),
            )
        })?;
        if old != "1" {
            let interfaces = interface_values(key);
            cmd::write_sysctl(key, "1")?;
            steps.push(Step::Sysctl {
                key: key.to_owned(),
                old,
                interfaces,
            });
        }
    }
    Ok(())
}

/// The per-interface forwarding keys that writing the global `key` overwrites, with their
/// values now (`all` and `default` included for IPv4, where the kernel sets them too).
fn interface_values(key: &str) -> BTreeMap<String, String> {
    let dir = match key {
        "net/ipv4/ip_forward" => "net/ipv4/conf",
        "net/ipv6/conf/all/forwarding" => "net/ipv6/conf",
        _ => return BTreeMap::new(),
    };
    let Ok(entries) = std::fs::read_dir(Path::new("/proc/sys").join(dir)) else {
        return BTreeMap::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .map(|iface| format!("{dir}/{iface}/forwarding"))
        .filter(|k| k != key)
        .filter_map(|k| Some((k.clone(), cmd::read_sysctl(&k)?)))
        .collect()
}

/// Puts a forwarding sysctl back, then each interface's own value that writing it
/// overwrote (an interface gone since is skipped).
pub(super) fn restore_forwarding(
    key: &str,
    old: &str,
    interfaces: &BTreeMap<String, String>,
) -> Result<(), Error> {
    cmd::write_sysctl(key, old)?;
    for (k, v) in interfaces {
        if cmd::read_sysctl(k).is_some_and(|now| now != *v) {
            cmd::write_sysctl(k, v)?;
        }
    }
    Ok(())
}

/// Deletes the bridge; one that is gone already is fine, and a device of that name that is
/// not a bridge (someone made one since) is not netloom's to delete.
pub(super) fn delete_bridge(name: &str) -> Result<(), Error> {
    delete_own(name, "bridge")
}

/// Deletes device `name` that netloom made as a `kind` device (`bridge`, `vxlan`): one that
/// is gone already is fine, and one of that name of another kind (someone made it since)
/// is not netloom's to delete.
pub(super) fn delete_own(name: &str, kind: &str) -> Result<(), Error> {
    let show = argv(&["ip", "-j", "-d", "link", "show", "dev", name]);
    // `ip` that cannot run says nothing of the device: that is an error, not "gone".
    let out = cmd::output(&show, None)?;
    if !out.ok {
        return Ok(());
    }
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|e| {
        Error::live(
            LiveKind::Unreadable,
            format!(
                "cannot tell whether {name} is still the {kind} device netloom made: `{}` printed \
             what is not JSON: {e}; left alone",
                cmd::shown(&show)
            ),
        )
    })?;
    let found = doc
        .get(0)
        .and_then(|l| l.get("linkinfo"))
        .and_then(|i| i.get("info_kind"))
        .and_then(|k| k.as_str());
    if found != Some(kind) {
        return Err(Error::live(
            LiveKind::Conflict,
            format!(
                "{name} is no longer the {kind} device netloom made (it is a {}); left alone",
                found.unwrap_or("device of unknown kind")
            ),
        ));
    }
    cmd::run(&argv(&["ip", "link", "del", "dev", name]), None).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network {
        crate::xml::read_network_str(
            "n.xml",
            "<network><name>n</name><ip address='10.9.0.1' prefix='24'/></network>",
        )
        .unwrap()
    }

    #[test]
    fn routes_that_cannot_be_read_are_an_error_not_no_routes() {
        for bad in ["", "ip: not JSON", "{\"dst\": \"10.9.0.0/24\"}"] {
            let err = destinations(&net(), "ip -j -4 route", bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(
                    "network 'n': cannot check its subnet against the host's routes: \
                              `ip -j -4 route` printed what is not a JSON list of routes"
                ),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn readable_routes_give_their_destination_and_device() {
        let json = r#"[{"dst":"10.9.0.0/24","dev":"eth0"},{"dst":"default","nexthops":[]}]"#;
        let got = destinations(&net(), "ip", json).unwrap();
        assert_eq!(got, [("10.9.0.0/24".to_owned(), "eth0".to_owned())]);
    }
}
