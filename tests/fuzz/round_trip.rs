//! Render, import, render again, for generated valid hosts and every host backend in the
//! registry (one body for all): the second render equals the first, rendering onto its own
//! output changes nothing, and what comes back is the host declared, up to the equivalences
//! each backend documents (its own test's normalisation, reused here).

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use netloom::backend::{Backend, BackendError, RenderedFile, Snapshot};
use netloom::model::{
    AdSelect, AgeingTime, ArpValidate, Arpmon, BOND_OPTION_NAMES, Bond, BondMode, BondMonitor,
    BondOptions, Bridge, BridgeOptions, Carrier, Dhcp, Ethernet, FailOverMac, ForwardDelay,
    HelloTime, Host, IfaceName, Interface, InterfaceKind, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6,
    Ipv6Address, Ipv6Prefix, LacpRate, Link, LinkState, MacAddr, MaxAge, Miimon, Mtu, Port,
    PortKind, PrimaryReselect, Slave, StartMode, Vlan, VlanOptions, VlanProtocol, VlanTag,
    XmitHashPolicy,
};
use netloom::model::{Destination, DomainName, Route, RouteCheck, RouteFamily, RouteTable};
use proptest::prelude::*;
use proptest::sample::select;

use super::config;

// ---- generating valid hosts from the model's own types ----

/// A name stem: letters, `_` and `-`, never digits, so a stem and a unique number make a
/// unique name.
fn stem() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(vec!["eth", "en", "bond", "br", "vlan", "team", "lan", "wan"]).prop_map(str::to_owned),
        1 => "[a-z][a-z_-]{0,5}",
    ]
}

fn link() -> impl Strategy<Value = Option<Link>> {
    proptest::option::weighted(
        0.2,
        (
            proptest::option::of(any::<u32>()),
            proptest::option::of(select(LinkState::ALL.to_vec())),
        )
            .prop_map(|(speed, state)| Link { speed, state }),
    )
}

fn mac() -> impl Strategy<Value = Option<MacAddr>> {
    proptest::option::weighted(
        0.4,
        any::<[u8; 6]>().prop_map(|mut b| {
            b[0] &= 0xfe;
            b[5] |= 1;
            let text: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
            MacAddr::parse(&text.join(":")).unwrap()
        }),
    )
}

fn ethernet() -> BoxedStrategy<Ethernet> {
    (
        mac(),
        proptest::option::weighted(0.3, mac().prop_filter_map("a MAC", |m| m)),
        link(),
    )
        .prop_map(|(mac, cloned_mac, link)| Ethernet {
            mac,
            cloned_mac,
            link,
        })
        .boxed()
}

/// `value` one time in five.
fn sometimes<S: Strategy>(value: S) -> impl Strategy<Value = Option<S::Value>> {
    proptest::option::weighted(0.2, value)
}

/// Some of the bonding driver's other options, each with a value from its range; the ones
/// the bond's mode does not take are dropped when the bond is built.
fn bond_options() -> BoxedStrategy<BondOptions> {
    (
        sometimes(select(LacpRate::ALL.to_vec())),
        sometimes(select(XmitHashPolicy::ALL.to_vec())),
        sometimes(select(AdSelect::ALL.to_vec())),
        sometimes(any::<u32>()),
        sometimes(select(PrimaryReselect::ALL.to_vec())),
        sometimes(select(FailOverMac::ALL.to_vec())),
        sometimes(any::<bool>()),
        sometimes(any::<u8>()),
        sometimes(any::<u8>()),
        sometimes(any::<u16>()),
        sometimes(any::<bool>()),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i, j, k)| BondOptions {
            lacp_rate: a,
            xmit_hash_policy: b,
            ad_select: c,
            min_links: d,
            primary_reselect: e,
            fail_over_mac: f,
            all_slaves_active: g,
            num_grat_arp: h,
            resend_igmp: i,
            packets_per_slave: j,
            tlb_dynamic_lb: k,
        })
        .boxed()
}

fn bridge_options() -> BoxedStrategy<BridgeOptions> {
    (
        sometimes(any::<u16>()),
        sometimes((1u32..=10).prop_map(|s| HelloTime::parse(&s.to_string()).unwrap())),
        sometimes((6u32..=40).prop_map(|s| MaxAge::parse(&s.to_string()).unwrap())),
        sometimes((0u32..=1_000_000).prop_map(|s| AgeingTime::parse(&s.to_string()).unwrap())),
        sometimes(any::<bool>()),
    )
        .prop_map(
            |(priority, hello_time, max_age, ageing_time, multicast_snooping)| BridgeOptions {
                priority,
                hello_time,
                max_age,
                ageing_time,
                multicast_snooping,
            },
        )
        .boxed()
}

fn vlan_options() -> BoxedStrategy<VlanOptions> {
    (
        sometimes(select(VlanProtocol::ALL.to_vec())),
        sometimes(any::<bool>()),
        sometimes(any::<bool>()),
        sometimes(any::<bool>()),
        sometimes(any::<bool>()),
    )
        .prop_map(
            |(protocol, reorder_hdr, gvrp, mvrp, loose_binding)| VlanOptions {
                protocol,
                reorder_hdr,
                gvrp,
                mvrp,
                loose_binding,
            },
        )
        .boxed()
}

fn dhcp() -> impl Strategy<Value = Option<Dhcp>> {
    proptest::option::weighted(
        0.4,
        proptest::option::of(any::<bool>()).prop_map(|peerdns| Dhcp { peerdns }),
    )
}

fn ipv4() -> impl Strategy<Value = Option<Ipv4>> {
    let host = any::<u32>()
        .prop_map(Ipv4Addr::from)
        .prop_filter("a host address", |a| {
            netloom::model::parse_host_ipv4(&a.to_string()).is_ok()
        });
    let prefix = proptest::option::weighted(
        0.9,
        (1u8..=32).prop_map(|p| Ipv4Prefix::parse(&p.to_string()).unwrap()),
    );
    let addresses = proptest::collection::vec((host.clone(), prefix), 0..3).prop_map(|list| {
        let mut seen = BTreeSet::new();
        list.into_iter()
            .filter(|(a, _)| seen.insert(*a))
            .map(|(address, prefix)| Ipv4Address { address, prefix })
            .collect::<Vec<_>>()
    });
    proptest::option::weighted(
        0.6,
        (
            dhcp(),
            addresses,
            proptest::option::weighted(0.3, host),
            extras(),
        )
            .prop_map(|(dhcp, addresses, gateway, extras)| {
                let own: Vec<(Ipv4Addr, u8)> = (addresses.iter())
                    .map(|a: &Ipv4Address| {
                        let p = a.prefix.unwrap_or_else(|| Ipv4Prefix::classful(a.address));
                        (a.address, p.get())
                    })
                    .collect();
                let (routes, dns, search) = fill(extras, &own, dhcp.is_some());
                Ipv4 {
                    dhcp,
                    addresses,
                    gateway,
                    routes,
                    dns,
                    search,
                }
            }),
    )
}

/// Raw material for a protocol's routes (destination, prefix, gateway, metric, table,
/// whether the source is the first address), servers and search domains.
type Extras = (
    Vec<(u128, u8, Option<u128>, Option<u32>, Option<u32>, bool)>,
    Vec<u128>,
    Vec<usize>,
);

const DOMAINS: &[&str] = &[
    "example.test",
    "corp.example",
    "a-b.example.org",
    "lan",
    "xn--bcher-kva.example",
];

fn extras() -> impl Strategy<Value = Extras> {
    let route = (
        any::<u128>(),
        any::<u8>(),
        proptest::option::weighted(0.6, any::<u128>()),
        proptest::option::weighted(0.4, 1u32..=5000),
        proptest::option::weighted(0.3, 1u32..=300),
        proptest::bool::weighted(0.2),
    );
    (
        proptest::collection::vec(route, 0..4),
        proptest::collection::vec(any::<u128>(), 0..3),
        proptest::collection::vec(0..DOMAINS.len(), 0..3),
    )
}

/// Routes, servers and domains a protocol with the addresses `own` (and `dynamic` ones
/// from DHCP or autoconf) can have, as the XML reader would take them: none without an
/// address source, each gateway on one of the networks (any with `dynamic` alone), each
/// route the kernel's once.
fn fill<A: RouteFamily>(
    (routes, servers, domains): Extras,
    own: &[(A, u8)],
    dynamic: bool,
) -> (Vec<Route<A>>, Vec<A>, Vec<DomainName>) {
    if own.is_empty() && !dynamic {
        return (Vec::new(), Vec::new(), Vec::new());
    }
    let networks: Vec<Destination<A>> = own.iter().map(|(a, p)| Destination::of(*a, *p)).collect();
    let host = |a: A| A::parse_host(&a.to_string()).ok();
    let mut check = RouteCheck::new(networks.clone(), dynamic);
    let mut out = Vec::new();
    for (dest, prefix, gw, metric, table, source) in routes {
        let destination = Destination::of(A::from_bits(dest), prefix % (A::MAX_PREFIX + 1));
        let gateway = match (gw, networks.first()) {
            (None, _) => None,
            (Some(seed), Some(_)) => {
                let n = networks[(seed % networks.len() as u128) as usize];
                let mask = match n.prefix() {
                    0 => 0,
                    p => u128::MAX << (128 - u32::from(p)),
                };
                host(A::from_bits(n.address().bits() | (seed & !mask)))
            }
            (Some(seed), None) => host(A::from_bits(seed)),
        };
        let route = Route {
            destination,
            gateway,
            source: own.first().map(|(a, _)| *a).filter(|_| source),
            metric,
            table: table.map(|t| RouteTable::parse(&t.to_string()).unwrap()),
        };
        if check.accept(&route).is_ok() {
            out.push(route);
        }
    }
    let mut dns: Vec<A> = Vec::new();
    for seed in servers {
        if let Some(a) = host(A::from_bits(seed))
            && !dns.contains(&a)
        {
            dns.push(a);
        }
    }
    let mut search: Vec<DomainName> = Vec::new();
    for i in domains {
        let d = DomainName::parse(DOMAINS[i]).unwrap();
        if !search.contains(&d) {
            search.push(d);
        }
    }
    (out, dns, search)
}

fn ipv6() -> impl Strategy<Value = Option<Ipv6>> {
    let host = any::<u128>()
        .prop_map(Ipv6Addr::from)
        .prop_filter("a host address", |a| {
            netloom::model::parse_host_ipv6(&a.to_string()).is_ok()
        });
    let prefix = proptest::option::weighted(
        0.9,
        (1u8..=128).prop_map(|p| Ipv6Prefix::parse(&p.to_string()).unwrap()),
    );
    let addresses = proptest::collection::vec((host.clone(), prefix), 0..3).prop_map(|list| {
        let mut seen = BTreeSet::new();
        list.into_iter()
            .filter(|(a, _)| seen.insert(*a))
            .map(|(address, prefix)| Ipv6Address { address, prefix })
            .collect::<Vec<_>>()
    });
    proptest::option::weighted(
        0.5,
        (
            any::<bool>(),
            dhcp(),
            addresses,
            proptest::option::weighted(0.3, host),
            extras(),
        )
            .prop_map(|(autoconf, dhcp, addresses, gateway, extras)| {
                let own: Vec<(Ipv6Addr, u8)> = (addresses.iter())
                    .map(|a: &Ipv6Address| (a.address, a.prefix.unwrap_or(Ipv6Prefix::HOST).get()))
                    .collect();
                let (routes, dns, search) = fill(extras, &own, autoconf || dhcp.is_some());
                Ipv6 {
                    autoconf,
                    dhcp,
                    addresses,
                    gateway,
                    routes,
                    dns,
                    search,
                }
            }),
    )
}

fn bond_settings() -> impl Strategy<Value = (Option<BondMode>, Option<BondMonitor>, Option<Link>)> {
    let mii = (
        any::<u32>(),
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(select(Carrier::ALL.to_vec())),
    )
        .prop_map(|(freq, downdelay, updelay, carrier)| {
            BondMonitor::Mii(Miimon {
                freq,
                downdelay,
                updelay,
                carrier,
            })
        });
    let arp = (
        any::<u32>(),
        any::<u32>()
            .prop_map(Ipv4Addr::from)
            .prop_filter("a host address", |a| {
                netloom::model::parse_host_ipv4(&a.to_string()).is_ok()
            }),
        proptest::option::of(select(ArpValidate::ALL.to_vec())),
    )
        .prop_map(|(interval, target, validate)| {
            BondMonitor::Arp(Arpmon {
                interval,
                target,
                validate,
            })
        });
    (
        proptest::option::weighted(0.7, select(BondMode::ALL.to_vec())),
        proptest::option::weighted(0.6, prop_oneof![mii, arp]),
        link(),
    )
}

/// What one device is, before names are given: the kind's settings and, for a bond or a
/// bridge, its members' settings.
#[derive(Debug, Clone)]
enum Shape {
    Ethernet(Ethernet),
    Bond(BondShape),
    Vlan(VlanShape),
    Bridge(
        Option<bool>,
        Option<ForwardDelay>,
        Vec<(String, PortShape)>,
        BridgeOptions,
    ),
}

/// A bridge port before naming.
#[derive(Debug, Clone)]
enum PortShape {
    Ethernet(Ethernet),
    Bond(BondShape),
    Vlan(VlanShape),
}

/// A vlan's tag, parent, whether it is named (else `PARENT.TAG` when that is free), link and
/// other options.
type VlanShape = (u16, VlanParent, bool, Option<Link>, VlanOptions);

/// A bond's mode, monitor and link, its slaves' stems and settings, and its other options.
type BondShape = (
    Option<BondMode>,
    Option<BondMonitor>,
    Option<Link>,
    Vec<(String, Ethernet)>,
    BondOptions,
);

/// A vlan's parent: an earlier top-level interface (by position) or a device the host does
/// not configure.
#[derive(Debug, Clone)]
enum VlanParent {
    Earlier(usize),
    Other(String),
}

fn vlan_shape() -> BoxedStrategy<VlanShape> {
    (
        prop_oneof![0u16..=4095, 1u16..=9],
        prop_oneof![
            any::<usize>().prop_map(VlanParent::Earlier),
            stem().prop_map(VlanParent::Other)
        ],
        any::<bool>(),
        link(),
        vlan_options(),
    )
        .boxed()
}

fn bond_shape() -> BoxedStrategy<BondShape> {
    (
        bond_settings(),
        proptest::collection::vec((stem(), ethernet()), 1..4),
        bond_options(),
    )
        .prop_map(|((mode, monitor, link), slaves, options)| (mode, monitor, link, slaves, options))
        .boxed()
}

fn delay() -> impl Strategy<Value = Option<ForwardDelay>> {
    proptest::option::weighted(
        0.4,
        prop_oneof![
            select(vec!["0", "2", "15", "30", "0.5", "0.01", "2.5"]).prop_map(str::to_owned),
            "[0-2]?[0-9](\\.[0-9]{1,3})?",
        ]
        .prop_filter_map("a delay", |s| ForwardDelay::parse(&s).ok()),
    )
}

fn shape() -> BoxedStrategy<Shape> {
    let port = prop_oneof![
        2 => ethernet().prop_map(PortShape::Ethernet),
        1 => vlan_shape().prop_map(PortShape::Vlan),
        1 => bond_shape().prop_map(PortShape::Bond),
    ];
    prop_oneof![
        3 => ethernet().prop_map(Shape::Ethernet),
        2 => bond_shape().prop_map(Shape::Bond),
        2 => vlan_shape().prop_map(Shape::Vlan),
        2 => (
            proptest::option::of(any::<bool>()),
            delay(),
            proptest::collection::vec((stem(), port), 0..4),
            bridge_options(),
        )
            .prop_map(|(stp, delay, ports, options)| Shape::Bridge(stp, delay, ports, options)),
    ]
    .boxed()
}

/// One top-level interface before naming: its stem, shape, start mode, MTU and addressing.
type Top = (
    String,
    Shape,
    Option<StartMode>,
    Option<u32>,
    Option<Ipv4>,
    Option<Ipv6>,
);

/// A valid host of up to four top-level interfaces: every kind, ports and slaves of every
/// allowed kind, addresses of both families, DHCP, MTU, MAC, start modes, link status. Names
/// are unique by construction (a stem and a number), so the host always reads back.
pub fn host() -> impl Strategy<Value = Host> {
    let top = (
        stem(),
        shape(),
        proptest::option::of(select(StartMode::ALL.to_vec())),
        proptest::option::weighted(0.4, prop_oneof![Just(1500u32), Just(9000), 68u32..=65535]),
        ipv4(),
        ipv6(),
    );
    proptest::collection::vec(top, 0..5).prop_map(build)
}

/// Gives every device a unique name: a stem and a number, or a vlan's `PARENT.TAG` when no
/// other vlan took it.
#[derive(Default)]
struct Namer {
    next: usize,
    used: BTreeSet<IfaceName>,
}

impl Namer {
    fn name(&mut self, stem: &str) -> IfaceName {
        self.next += 1;
        let name = IfaceName::parse(&format!("{stem}{}", self.next)).unwrap();
        self.used.insert(name.clone());
        name
    }

    fn vlan(
        &mut self,
        name: IfaceName,
        shape: VlanShape,
        earlier: &[IfaceName],
    ) -> (IfaceName, Vlan) {
        let (tag, parent, named, link, options) = shape;
        let parent = match parent {
            VlanParent::Earlier(i) if !earlier.is_empty() => earlier[i % earlier.len()].clone(),
            VlanParent::Earlier(_) => self.name("eth"),
            VlanParent::Other(stem) => self.name(&stem),
        };
        let tag = VlanTag::parse(&tag.to_string()).unwrap();
        let name = match Vlan::default_name(&parent, tag) {
            Ok(default) if !named && self.used.insert(default.clone()) => default,
            _ => name,
        };
        (
            name,
            Vlan {
                tag,
                parent,
                options,
                link,
            },
        )
    }

    fn bond(&mut self, shape: BondShape) -> Bond {
        let (mode, monitor, link, slaves, mut options) = shape;
        // What the mode does not take the XML refuses: left out.
        for name in BOND_OPTION_NAMES {
            if BondOptions::mode_problem(name, mode).is_some() {
                let mut without = BondOptions::default();
                for (other, value) in options.driver_values() {
                    if other != *name {
                        without.set_driver(other, &value).unwrap();
                    }
                }
                options = without;
            }
        }
        let slaves = slaves
            .into_iter()
            .map(|(stem, ethernet)| Slave {
                name: self.name(&stem),
                // A slave has no cloned MAC: the bonding driver sets its slaves' MACs.
                ethernet: Ethernet {
                    cloned_mac: None,
                    ..ethernet
                },
            })
            .collect();
        Bond {
            mode,
            monitor,
            options,
            slaves,
            link,
        }
    }
}

fn build(tops: Vec<Top>) -> Host {
    let mut namer = Namer::default();
    let mut interfaces: Vec<Interface> = Vec::new();
    for (stem, shape, start, mtu, ipv4, ipv6) in tops {
        let name = namer.name(&stem);
        let earlier: Vec<IfaceName> = interfaces.iter().map(|i| i.name.clone()).collect();
        let (name, kind) = match shape {
            Shape::Ethernet(e) => (name, InterfaceKind::Ethernet(e)),
            Shape::Bond(b) => (name, InterfaceKind::Bond(namer.bond(b))),
            Shape::Vlan(shape) => {
                let (name, vlan) = namer.vlan(name, shape, &earlier);
                (name, InterfaceKind::Vlan(vlan))
            }
            Shape::Bridge(stp, delay, ports, options) => {
                let ports = ports
                    .into_iter()
                    .map(|(stem, port)| {
                        let name = namer.name(&stem);
                        match port {
                            PortShape::Ethernet(e) => Port {
                                name,
                                kind: PortKind::Ethernet(e),
                            },
                            PortShape::Bond(b) => Port {
                                name,
                                kind: PortKind::Bond(namer.bond(b)),
                            },
                            PortShape::Vlan(shape) => {
                                let (name, vlan) = namer.vlan(name, shape, &earlier);
                                Port {
                                    name,
                                    kind: PortKind::Vlan(vlan),
                                }
                            }
                        }
                    })
                    .collect();
                let bridge = Bridge {
                    stp,
                    delay,
                    options,
                    ports,
                };
                (name, InterfaceKind::Bridge(bridge))
            }
        };
        // IPv6 needs an MTU of at least 1280.
        let mtu = mtu.map(|m| {
            if ipv6.is_some() {
                m.max(Mtu::MIN_IPV6)
            } else {
                m
            }
        });
        interfaces.push(Interface {
            name,
            uuid: None,
            start,
            mtu: mtu.map(|m| Mtu::parse(&m.to_string()).unwrap()),
            ipv4,
            ipv6,
            kind,
        });
    }
    Host { interfaces }
}

/// The files of a render as a root holds them.
fn snapshot(files: &[RenderedFile]) -> Snapshot {
    Snapshot {
        files: files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect(),
        ..Snapshot::default()
    }
}

/// The round trip of `host` through `backend`; `None` when the backend refuses the host (a
/// refusal names what it cannot express, which is its own tests' business), else every way
/// the trip went wrong.
pub fn round_trip(backend: &dyn Backend, host: &Host) -> Option<Vec<String>> {
    let name = backend.name();
    let first = match backend.render(host, &Snapshot::default()) {
        Ok(files) => files,
        Err(BackendError::Unsupported { .. }) => return None,
        Err(e) => return Some(vec![format!("{name}: render failed: {e}")]),
    };
    let root = snapshot(&first);
    let shown = || {
        first
            .iter()
            .map(|f| format!("--- {} ---\n{}", f.path, f.contents))
            .collect::<String>()
    };
    let back = match backend.import(&root, &[]) {
        Ok(h) => h,
        Err(e) => {
            return Some(vec![format!(
                "{name}: its own files do not import:\n{e}\n{}",
                shown()
            )]);
        }
    };
    let mut out = Vec::new();
    match backend.render(&back, &Snapshot::default()) {
        Ok(second) if second == first => {}
        Ok(second) => out.push(format!(
            "{name}: render, import, render is not a fixed point:\n{}\n--- rendered again ---\n{}",
            shown(),
            second
                .iter()
                .map(|f| format!("--- {} ---\n{}", f.path, f.contents))
                .collect::<String>()
        )),
        Err(e) => out.push(format!(
            "{name}: what it imported does not render: {e}\n{}",
            shown()
        )),
    }
    // A backend that merges into existing files may leave out the ones that stay as they
    // are; whatever it does give must be what is there already.
    match backend.render(host, &root) {
        Ok(again) if again.iter().all(|f| first.contains(f)) => {}
        Ok(_) => out.push(format!(
            "{name}: rendering onto its own files changes them\n{}",
            shown()
        )),
        Err(e) => out.push(format!(
            "{name}: rendering onto its own files fails: {e}\n{}",
            shown()
        )),
    }
    let same = crate::util::equivalence::of(name);
    let (want, got) = (
        netloom::xml::to_xml(&same(host.clone())),
        netloom::xml::to_xml(&same(back)),
    );
    if want != got {
        out.push(format!(
            "{name}: imports back another host:\n{}",
            crate::util::diff(&want, &got, "declared", "imported")
        ));
    }
    Some(out)
}

proptest! {
    #![proptest_config(config(512))]

    /// Every host backend, one body.
    #[test]
    fn fuzz_render_import_render_is_a_fixed_point_for_every_backend(host in host()) {
        let xml = netloom::xml::to_xml(&host);
        // The generator makes valid hosts only: the host reads back from its own XML.
        let read = crate::util::canonical("generated.xml", &xml);
        prop_assert!(matches!(&read, Ok((h, _)) if *h == host), "{read:?}\n{xml}");
        for backend in netloom::backends::ALL {
            if let Some(failures) = round_trip(*backend, &host) {
                prop_assert!(failures.is_empty(), "{}\n--- declared ---\n{xml}", failures.join("\n"));
            }
        }
    }
}

/// The generator's hosts are not all refused: each backend round-trips most of them.
#[test]
fn fuzz_every_backend_round_trips_most_generated_hosts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
    let mut runner =
        TestRunner::new_with_rng(config(0), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = host();
    let backends: Vec<_> = netloom::backends::ALL.iter().collect();
    let mut tripped = vec![0; backends.len()];
    let total = 200;
    for _ in 0..total {
        let host = strategy.new_tree(&mut runner).unwrap().current();
        for (n, b) in tripped.iter_mut().zip(&backends) {
            *n += usize::from(round_trip(**b, &host).is_some());
        }
    }
    let names: Vec<&str> = backends.iter().map(|b| b.name()).collect();
    assert!(
        tripped.iter().all(|&n| n * 4 >= total),
        "hosts round-tripped per backend ({names:?}) out of {total}: {tripped:?}"
    );
}
