//! A declaration next to the kernel's state: field by field, which of a declared
//! interface's settings the running host does not have. Used after activation (verify,
//! then revert on a mismatch) and by `netloom status`.
//!
//! What is compared: that the link exists (and is up, where it should be), its kind, MTU,
//! static addresses, a bridge's ports, a bond's slaves and mode, a vlan's id and parent,
//! and the same for the bonds and vlans inside a bridge. Addresses are compared as sets of
//! global ones: where DHCP or autoconfiguration is declared, what they add is not drift,
//! only a declared static address that is missing is; an IPv6 family that is not declared
//! at all is left to the kernel's defaults. Static routes and default gateways are compared
//! as [`super::routes`] says.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::kernel::{self, Kernel, Link};
pub use crate::error::Drift;
use crate::error::Error;
use crate::model::{Bond, Host, Interface, InterfaceKind, PortKind, StartMode, Vlan};

/// How long verification waits for the running host to match, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the kernel is read meanwhile.
pub const POLL: Duration = Duration::from_millis(100);

/// Whether a declared interface must be up: when verifying what was just brought up,
/// always; for `status`, when it starts at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// It was brought up.
    Up,
    /// As its start mode says.
    AsDeclared,
}

/// Every setting of `declared` the kernel does not have.
pub fn compare(declared: &Interface, kernel: &Kernel, expect: Expect) -> Vec<Drift> {
    let mut out = Vec::new();
    let name = declared.name.as_str();
    let drift = |field, declared: String, live: String| Drift {
        interface: name.to_owned(),
        field,
        key: None,
        declared,
        live,
    };
    let Some(link) = kernel.link(name) else {
        out.push(drift("link", "present".into(), "absent".into()));
        return out;
    };
    let want_up = expect == Expect::Up || declared.start == Some(StartMode::OnBoot);
    if want_up && !link.up {
        out.push(drift("state", "up".into(), "down".into()));
    }
    if let Some(mtu) = declared.mtu
        && mtu.get() != link.mtu
    {
        out.push(drift("mtu", mtu.get().to_string(), link.mtu.to_string()));
    }
    out.extend(addresses(declared, link));
    out.extend(super::routes::compare(declared, kernel));
    match &declared.kind {
        InterfaceKind::Ethernet(_) => {}
        InterfaceKind::Bridge(br) => {
            kind(name, "bridge", link, &mut out);
            let want: Vec<&str> = br.ports.iter().map(|p| p.name.as_str()).collect();
            members(name, "ports", &want, kernel, &mut out);
            for port in &br.ports {
                match &port.kind {
                    PortKind::Ethernet(_) => {}
                    PortKind::Bond(b) => bond(port.name.as_str(), b, kernel, &mut out),
                    PortKind::Vlan(v) => vlan(port.name.as_str(), v, kernel, &mut out),
                }
            }
        }
        InterfaceKind::Bond(b) => bond(name, b, kernel, &mut out),
        InterfaceKind::Vlan(v) => vlan(name, v, kernel, &mut out),
    }
    out
}

/// The link's kind, when it is not `want`.
fn kind(name: &str, want: &str, link: &Link, out: &mut Vec<Drift>) {
    if link.kind.as_deref() != Some(want) {
        out.push(Drift {
            interface: name.to_owned(),
            field: "type",
            key: None,
            declared: want.to_owned(),
            live: link.kind.clone().unwrap_or_else(|| "ethernet".into()),
        });
    }
}

/// The links whose master is `name`, when they are not `want`.
fn members(name: &str, field: &'static str, want: &[&str], kernel: &Kernel, out: &mut Vec<Drift>) {
    let want: BTreeSet<&str> = want.iter().copied().collect();
    let have: BTreeSet<&str> = kernel.ports_of(name).into_iter().collect();
    if want != have {
        out.push(Drift {
            interface: name.to_owned(),
            field,
            key: None,
            declared: list(want),
            live: list(have),
        });
    }
}

fn bond(name: &str, b: &Bond, kernel: &Kernel, out: &mut Vec<Drift>) {
    let Some(link) = kernel.link(name) else {
        out.push(absent(name));
        return;
    };
    kind(name, "bond", link, out);
    let want: Vec<&str> = b.slaves.iter().map(|s| s.name.as_str()).collect();
    members(name, "slaves", &want, kernel, out);
    if let Some(mode) = b.mode
        && link.bond_mode.as_deref() != Some(mode.as_str())
    {
        out.push(Drift {
            interface: name.to_owned(),
            field: "bond mode",
            key: None,
            declared: mode.as_str().to_owned(),
            live: link.bond_mode.clone().unwrap_or_else(|| "none".into()),
        });
    }
}

fn vlan(name: &str, v: &Vlan, kernel: &Kernel, out: &mut Vec<Drift>) {
    let Some(link) = kernel.link(name) else {
        out.push(absent(name));
        return;
    };
    kind(name, "vlan", link, out);
    if link.vlan_id != Some(v.tag.get()) {
        out.push(Drift {
            interface: name.to_owned(),
            field: "vlan id",
            key: None,
            declared: v.tag.to_string(),
            live: link.vlan_id.map_or("none".into(), |id| id.to_string()),
        });
    }
    if link.vlan_parent.as_deref() != Some(v.parent.as_str()) {
        out.push(Drift {
            interface: name.to_owned(),
            field: "vlan parent",
            key: None,
            declared: v.parent.to_string(),
            live: link.vlan_parent.clone().unwrap_or_else(|| "none".into()),
        });
    }
}

fn absent(name: &str) -> Drift {
    Drift {
        interface: name.to_owned(),
        field: "link",
        key: None,
        declared: "present".into(),
        live: "absent".into(),
    }
}

/// The declared static addresses of each family next to the link's global ones.
fn addresses(declared: &Interface, link: &Link) -> Vec<Drift> {
    type Want = Option<(Vec<(IpAddr, Option<u8>)>, bool)>;
    let v4: Want = Some(match &declared.ipv4 {
        Some(v4) => (
            (v4.addresses.iter())
                .map(|a| (IpAddr::V4(a.address), a.prefix.map(|p| p.get())))
                .collect(),
            v4.dhcp.is_some(),
        ),
        // Not declared: the link should have none.
        None => (Vec::new(), false),
    });
    // Not declared: left to the kernel's defaults (link-local, router advertisements).
    let v6: Want = declared.ipv6.as_ref().map(|v6| {
        (
            (v6.addresses.iter())
                .map(|a| (IpAddr::V6(a.address), a.prefix.map(|p| p.get())))
                .collect(),
            v6.dhcp.is_some() || v6.autoconf,
        )
    });
    let mut out = Vec::new();
    for (field, want, is) in [
        ("ipv4", v4, IpAddr::is_ipv4 as fn(&IpAddr) -> bool),
        ("ipv6", v6, IpAddr::is_ipv6),
    ] {
        let Some((want, dynamic)) = want else {
            continue;
        };
        let have: Vec<&kernel::Address> = (link.addresses.iter())
            .filter(|a| is(&a.ip) && a.global)
            .collect();
        let same = |(ip, prefix): &(IpAddr, Option<u8>), a: &kernel::Address| {
            a.ip == *ip && prefix.is_none_or(|p| p == a.prefix)
        };
        let missing = want.iter().any(|w| !have.iter().any(|a| same(w, a)));
        // What DHCP or autoconfiguration gave, where declared, is not drift.
        let accounted =
            |a: &kernel::Address| (dynamic && a.dynamic) || want.iter().any(|w| same(w, a));
        let stray = have.iter().any(|a| !accounted(a));
        if missing || stray {
            out.push(Drift {
                interface: declared.name.to_string(),
                field,
                key: None,
                declared: list(want.iter().map(|(ip, prefix)| match prefix {
                    Some(p) => format!("{ip}/{p}"),
                    None => ip.to_string(),
                })),
                live: list(have.iter().map(ToString::to_string)),
            });
        }
    }
    out
}

/// Values for a message: space-separated, or `none`.
fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let all: Vec<String> = items.into_iter().map(|s| s.as_ref().to_owned()).collect();
    if all.is_empty() {
        "none".into()
    } else {
        all.join(" ")
    }
}

/// The top-level interfaces of `host` named in `names`, or holding a port or slave named
/// there.
pub fn selected<'h>(host: &'h Host, names: &[String]) -> Vec<&'h Interface> {
    host.interfaces
        .iter()
        .filter(|i| names.iter().any(|n| n == i.name.as_str() || holds(i, n)))
        .collect()
}

/// Whether `i` has a port or slave named `name`.
fn holds(i: &Interface, name: &str) -> bool {
    let bond = |b: &Bond| b.slaves.iter().any(|s| s.name.as_str() == name);
    match &i.kind {
        InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => false,
        InterfaceKind::Bond(b) => bond(b),
        InterfaceKind::Bridge(br) => br
            .ports
            .iter()
            .any(|p| p.name.as_str() == name || matches!(&p.kind, PortKind::Bond(b) if bond(b))),
    }
}

/// Reads the kernel until `declared` is all there, or `timeout` has passed; then every
/// difference, field by field.
pub fn verify(declared: &[&Interface], timeout: Duration) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        let kernel = kernel::read()?;
        let drift: Vec<Drift> = declared
            .iter()
            .flat_map(|i| compare(i, &kernel, Expect::Up))
            .collect();
        if drift.is_empty() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(Error::Mismatch {
                after: timeout,
                drift,
            });
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(xml: &str) -> Host {
        crate::xml::read_str("t.xml", xml).unwrap()
    }

    fn kernel(json: &str) -> Kernel {
        kernel::parse(json).unwrap()
    }

    const BR0: &str = "<interface type='bridge' name='br0'><start mode='onboot'/>
        <mtu size='1400'/>
        <protocol family='ipv4'><ip address='198.51.100.2' prefix='24'/></protocol>
        <bridge><interface type='ethernet' name='p0'/></bridge></interface>";

    #[test]
    fn a_host_as_declared_has_no_drift_and_each_difference_is_one_field() {
        let h = host(BR0);
        let good = kernel(
            r#"[{"ifname":"br0","flags":["UP"],"mtu":1400,"linkinfo":{"info_kind":"bridge"},
                 "addr_info":[{"local":"198.51.100.2","prefixlen":24,"scope":"global"},
                              {"local":"fe80::1","prefixlen":64,"scope":"link"}]},
                {"ifname":"p0","flags":["UP"],"mtu":1400,"master":"br0"}]"#,
        );
        assert_eq!(compare(&h.interfaces[0], &good, Expect::Up), vec![]);
        let bad = kernel(
            r#"[{"ifname":"br0","flags":[],"mtu":1500,"linkinfo":{"info_kind":"bridge"},
                 "addr_info":[{"local":"198.51.100.2","prefixlen":24,"scope":"global"},
                              {"local":"198.51.100.9","prefixlen":24,"scope":"global"}]},
                {"ifname":"p0","flags":["UP"],"mtu":1400}]"#,
        );
        let drift: Vec<String> = compare(&h.interfaces[0], &bad, Expect::Up)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            drift,
            [
                "br0: state: declared up, live down",
                "br0: mtu: declared 1400, live 1500",
                "br0: ipv4: declared 198.51.100.2/24, live 198.51.100.2/24 198.51.100.9/24",
                "br0: ports: declared p0, live none",
            ]
        );
        let gone = compare(&h.interfaces[0], &Kernel::default(), Expect::Up);
        assert_eq!(gone.len(), 1);
        assert_eq!(
            gone[0].to_string(),
            "br0: link: declared present, live absent"
        );
    }

    #[test]
    fn dhcp_addresses_are_not_drift_but_a_missing_static_one_is() {
        let h = host(
            "<interface type='ethernet' name='eth0'><start mode='onboot'/>
               <protocol family='ipv4'><dhcp/><ip address='192.0.2.5' prefix='24'/></protocol>
             </interface>",
        );
        let leased = kernel(
            r#"[{"ifname":"eth0","flags":["UP"],"mtu":1500,"addr_info":[
                 {"local":"192.0.2.5","prefixlen":24,"scope":"global"},
                 {"local":"192.0.2.77","prefixlen":24,"scope":"global","dynamic":true}]}]"#,
        );
        assert_eq!(compare(&h.interfaces[0], &leased, Expect::Up), vec![]);
        let lost = kernel(
            r#"[{"ifname":"eth0","flags":["UP"],"mtu":1500,"addr_info":[
                 {"local":"192.0.2.77","prefixlen":24,"scope":"global","dynamic":true}]}]"#,
        );
        assert_eq!(
            compare(&h.interfaces[0], &lost, Expect::Up)[0].field,
            "ipv4"
        );
    }

    #[test]
    fn a_vlan_and_a_bond_are_checked_by_id_parent_slaves_and_mode() {
        let h = host(
            "<interfaces>
               <interface type='bond' name='bond0'><start mode='onboot'/>
                 <bond mode='active-backup'><interface type='ethernet' name='eth1'/>
                   <interface type='ethernet' name='eth2'/></bond></interface>
               <interface type='vlan' name='v5'><start mode='onboot'/>
                 <vlan tag='5'><interface name='bond0'/></vlan></interface>
             </interfaces>",
        );
        let k = kernel(
            r#"[{"ifname":"bond0","flags":["UP"],"mtu":1500,
                 "linkinfo":{"info_kind":"bond","info_data":{"mode":"balance-rr"}}},
                {"ifname":"eth1","flags":["UP"],"mtu":1500,"master":"bond0"},
                {"ifname":"v5","link":"eth1","flags":["UP"],"mtu":1500,
                 "linkinfo":{"info_kind":"vlan","info_data":{"id":6}}}]"#,
        );
        let fields = |i: usize| -> Vec<&'static str> {
            compare(&h.interfaces[i], &k, Expect::AsDeclared)
                .iter()
                .map(|d| d.field)
                .collect()
        };
        assert_eq!(fields(0), ["slaves", "bond mode"]);
        assert_eq!(fields(1), ["vlan id", "vlan parent"]);
        assert_eq!(
            selected(&h, &["eth2".into()]).len(),
            1,
            "a slave selects its bond"
        );
    }

    #[test]
    fn a_missing_route_fails_verification_and_an_undeclared_one_does_not() {
        let h = host(
            "<interface type='ethernet' name='eth0' xmlns:nl='urn:netloom:xml:1'>
               <start mode='onboot'/>
               <protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/>
                 <nl:route destination='10.10.0.0' prefix='16' gateway='192.0.2.254'
                           table='200'/></protocol></interface>",
        );
        let mut k = kernel(
            r#"[{"ifname":"eth0","flags":["UP"],"mtu":1500,
                 "addr_info":[{"local":"192.0.2.10","prefixlen":24,"scope":"global"}]}]"#,
        );
        let routes = |json: &str| kernel::parse_routes(json, false).unwrap();
        k.routes = routes(r#"[{"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0"}]"#);
        let shown: Vec<String> = (compare(&h.interfaces[0], &k, Expect::Up).iter())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            ["eth0: route 10.10.0.0/16 table 200: declared via 192.0.2.254, live missing"],
            "in main, not in table 200"
        );
        k.routes = routes(
            r#"[{"dst":"10.10.0.0/16","gateway":"192.0.2.254","dev":"eth0","table":"200"},
                {"dst":"10.99.0.0/16","dev":"eth0","protocol":"static"}]"#,
        );
        assert_eq!(
            compare(&h.interfaces[0], &k, Expect::Up),
            vec![],
            "a route added by hand is status's drift, not a failed verification"
        );
    }
}
