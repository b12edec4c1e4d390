use super::*;
use crate::error::RefusedKind;
use crate::model::IfaceName;
use crate::model::network::{MacvtapMode, PciAddress, Text, VirtualPort, VirtualPortType};
use crate::port::testutil::{alloc, iface, mac, net, owner};

fn uuid(n: u8) -> Uuid {
    Uuid::parse(&format!("00000000-0000-4000-8000-0000000000{n:02x}")).unwrap()
}

fn port(n: u8, plug: Option<Plug>) -> NetworkPort {
    NetworkPort {
        uuid: uuid(n),
        owner: owner(),
        group: None,
        mac: mac(),
        class_id: None,
        bandwidth: None,
        vlan: None,
        port: None,
        trust_guest_rx_filters: None,
        virtualport: None,
        plug,
    }
}

fn macvtap(dev: &str, mode: MacvtapMode) -> Option<Plug> {
    Some(Plug::Direct {
        dev: IfaceName::parse(dev).unwrap(),
        mode,
    })
}

fn pci(function: u8) -> Option<Plug> {
    Some(Plug::HostdevPci {
        managed: Some(true),
        driver: None,
        address: PciAddress {
            domain: 0,
            bus: 3,
            slot: 0,
            function,
            connections: None,
        },
    })
}

fn used(net: &Network) -> Vec<(String, Option<u32>)> {
    net.forward
        .iter()
        .flat_map(|f| &f.interfaces)
        .map(|i| (i.dev.to_string(), i.connections))
        .collect()
}

fn messages(rejected: &[(Uuid, Error)]) -> Vec<(Uuid, String)> {
    rejected
        .iter()
        .map(|(u, e)| match e {
            Error::Refused {
                kind: RefusedKind::Mismatch | RefusedKind::Exhausted,
                message,
            } => (*u, message.clone()),
            other => panic!("{other:?}"),
        })
        .collect()
}

const VEPA: &str = "<network connections='9'><name>vepa-net</name><forward mode='vepa'>\
     <interface dev='eth1' connections='5'/><interface dev='eth2'/><interface dev='eth3'/>\
     </forward></network>";

#[test]
fn counts_are_rebuilt_from_zero() {
    let n = net(VEPA);
    let v = MacvtapMode::Vepa;
    let ports = [
        port(1, macvtap("eth2", v)),
        port(2, macvtap("eth1", v)),
        port(3, macvtap("eth2", v)),
    ];
    let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(counted.connections, Some(3));
    assert_eq!(
        used(&counted),
        [
            ("eth1".to_owned(), Some(1)),
            ("eth2".to_owned(), Some(2)),
            ("eth3".to_owned(), None)
        ]
    );
    // No ports: every count back to none, so the XML omits them.
    let (empty, rejected) = count(&n, &[]);
    assert!(rejected.is_empty());
    assert_eq!(empty.connections, None);
    assert!(used(&empty).iter().all(|(_, c)| c.is_none()));
    assert_eq!(empty, n.clone().without_live_state());
}

#[test]
fn a_second_port_on_an_exclusive_device_is_refused() {
    let n = net("<network><name>pt</name><forward mode='passthrough'>\
         <interface dev='eth1'/><interface dev='eth2'/></forward></network>");
    let p = MacvtapMode::Passthrough;
    let ports = [
        port(1, macvtap("eth1", p)),
        port(2, macvtap("eth1", p)),
        port(3, macvtap("eth2", p)),
    ];
    let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
    assert_eq!(
        messages(&rejected),
        [(
            uuid(2),
            "network 'pt' claims dev 'eth1' is already in use by a different port, so network \
             port 00000000-0000-4000-8000-000000000002 cannot use it too (mode 'passthrough' \
             needs the device to itself)"
                .to_owned()
        )]
    );
    assert_eq!(counted.connections, Some(2));
    assert_eq!(
        used(&counted),
        [("eth1".to_owned(), Some(1)), ("eth2".to_owned(), Some(1))]
    );
}

#[test]
fn private_ports_share_a_device_unless_their_profile_is_qbh() {
    let n = net("<network><name>priv</name><forward mode='private'>\
         <interface dev='eth1'/></forward></network>");
    let plain = [
        port(1, macvtap("eth1", MacvtapMode::Private)),
        port(2, macvtap("eth1", MacvtapMode::Private)),
    ];
    let (counted, rejected) = count(&n, &plain.iter().collect::<Vec<_>>());
    assert!(rejected.is_empty());
    assert_eq!(used(&counted), [("eth1".to_owned(), Some(2))]);
    let qbh = |n: u8| NetworkPort {
        virtualport: Some(VirtualPort {
            kind: Some(VirtualPortType::Qbh),
            profileid: Some(Text::parse("spongebob24").unwrap()),
            ..VirtualPort::default()
        }),
        ..port(n, macvtap("eth1", MacvtapMode::Private))
    };
    let ports = [qbh(1), qbh(2)];
    let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, uuid(2));
    assert_eq!(used(&counted), [("eth1".to_owned(), Some(1))]);
}

#[test]
fn a_second_port_on_a_pci_function_is_refused() {
    let n = net(
        "<network><name>hostdev</name><forward mode='hostdev' managed='yes'>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1' connections='3'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/>\
         </forward></network>",
    );
    let ports = [port(1, pci(2)), port(2, pci(2)), port(3, pci(5))];
    let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
    assert_eq!(
        messages(&rejected),
        [
            (
                uuid(2),
                "network 'hostdev' claims the PCI device 0000:03:00.2 is already in use by a \
                 different port, so network port 00000000-0000-4000-8000-000000000002 cannot \
                 use it too"
                    .to_owned()
            ),
            (
                uuid(3),
                "network 'hostdev' doesn't have PCI device 0000:03:00.5 in use by network port \
                 00000000-0000-4000-8000-000000000003"
                    .to_owned()
            )
        ]
    );
    let f = counted.forward.unwrap();
    assert_eq!(
        f.addresses
            .iter()
            .map(|a| a.connections)
            .collect::<Vec<_>>(),
        [None, Some(1)]
    );
    assert_eq!(counted.connections, Some(1));
}

#[test]
fn ports_that_do_not_belong_to_the_network_are_refused() {
    let n = net(VEPA);
    let ports = [
        port(1, macvtap("eth9", MacvtapMode::Vepa)),
        port(2, macvtap("eth1", MacvtapMode::Bridge)),
        port(
            3,
            Some(Plug::Bridge {
                kind: PlugType::Bridge,
                bridge: IfaceName::parse("br0").unwrap(),
                mac_table_manager: None,
            }),
        ),
        port(4, None),
    ];
    let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
    let id = |n: u8| uuid(n).to_string();
    assert_eq!(
        messages(&rejected),
        [
            (
                uuid(1),
                format!(
                    "network 'vepa-net' doesn't have dev 'eth9' in use by network port {}",
                    id(1)
                )
            ),
            (
                uuid(2),
                format!(
                    "network 'vepa-net' gives macvtap mode 'vepa', not the mode 'bridge' of \
                     network port {} on dev 'eth1'",
                    id(2)
                )
            ),
            (
                uuid(3),
                format!(
                    "network port {} has a plug of type 'bridge', but network 'vepa-net' (mode \
                     'vepa') gives ports of type 'direct'",
                    id(3)
                )
            ),
            (
                uuid(4),
                format!(
                    "network 'vepa-net' cannot count port {}: it has no plug",
                    id(4)
                )
            ),
        ]
    );
    assert_eq!(counted.connections, None);
}

#[test]
fn bridge_ports_count_on_the_network_only_and_must_use_its_bridge() {
    let n = net(
        "<network><name>default</name><forward/><bridge name='virbr0'/>\
         <ip address='192.168.122.1' netmask='255.255.255.0'/></network>",
    );
    let tap = |br: &str, kind| {
        Some(Plug::Bridge {
            kind,
            bridge: IfaceName::parse(br).unwrap(),
            mac_table_manager: None,
        })
    };
    let ports = [
        port(1, tap("virbr0", PlugType::Network)),
        port(2, tap("virbr9", PlugType::Network)),
        port(3, tap("virbr0", PlugType::Network)),
    ];
    let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
    assert_eq!(counted.connections, Some(2));
    let template = net(
        "<network><name>tmpl</name><forward/><bridge name='virbr%d'/>\
         <ip address='192.168.122.1' netmask='255.255.255.0'/></network>",
    );
    let (_, refused) = count(&template, &[&ports[0]]);
    assert_eq!(
        messages(&refused),
        [(
            uuid(1),
            format!(
                "network 'tmpl' has no bridge name yet, so it doesn't have bridge 'virbr0' in \
                 use by network port {}",
                uuid(1)
            )
        )]
    );
    assert_eq!(
        messages(&rejected),
        [(
            uuid(2),
            format!(
                "network 'default' doesn't have bridge 'virbr9' in use by network port {}; its \
                 bridge is 'virbr0'",
                uuid(2)
            )
        )]
    );
}

#[test]
fn a_lone_forward_dev_gets_an_entry_to_count_on() {
    let n = net("<network><name>pt</name><forward mode='passthrough' dev='eth7'/></network>");
    let (empty, _) = count(&n, &[]);
    assert_eq!(used(&empty), [("eth7".to_owned(), None)]);
    let first = alloc(&n, &iface("pt", None)).unwrap();
    let (counted, rejected) = count(&n, &[&first]);
    assert!(rejected.is_empty());
    assert_eq!(used(&counted), [("eth7".to_owned(), Some(1))]);
    assert_eq!(
        crate::port::testutil::refused(RefusedKind::Exhausted, alloc(&counted, &iface("pt", None))),
        "network 'pt' requires exclusive access to interfaces, but none are available \
         (every one is in use: eth7)"
    );
}

#[test]
fn allocating_and_recounting_spreads_ports_over_a_shared_pool() {
    let mut n = count(&net(VEPA), &[]).0;
    let mut ports = Vec::new();
    let mut devs = Vec::new();
    for i in 0..5u8 {
        let mut p = alloc(&n, &iface("vepa-net", None)).unwrap();
        p.uuid = uuid(i);
        if let Some(Plug::Direct { dev, .. }) = &p.plug {
            devs.push(dev.to_string());
        }
        ports.push(p);
        let (counted, rejected) = count(&n, &ports.iter().collect::<Vec<_>>());
        assert!(rejected.is_empty(), "{rejected:?}");
        n = counted;
    }
    assert_eq!(devs, ["eth1", "eth2", "eth3", "eth1", "eth2"]);
    assert_eq!(n.connections, Some(5));
    assert_eq!(
        used(&n),
        [
            ("eth1".to_owned(), Some(2)),
            ("eth2".to_owned(), Some(2)),
            ("eth3".to_owned(), Some(1))
        ]
    );
}
