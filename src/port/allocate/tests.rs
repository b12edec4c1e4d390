use super::*;
use crate::error::RefusedKind;
use crate::model::IfaceName;
use crate::model::guest::GuestType;
use crate::model::network::{Bandwidth, MacTableManager, NetName, Rate, TrunkTag};
use crate::port::testutil::{alloc, iface, mac, net, owner, port_uuid, refused};

fn dev(s: &str) -> IfaceName {
    IfaceName::parse(s).unwrap()
}

fn tags(v: &Option<NetVlan>) -> Vec<u16> {
    v.as_ref()
        .map(|v| v.tags.iter().map(|t| t.id).collect())
        .unwrap_or_default()
}

fn group(p: &NetworkPort) -> Option<&str> {
    p.group.as_ref().map(Text::as_str)
}

fn direct(p: &NetworkPort) -> (String, MacvtapMode) {
    match &p.plug {
        Some(Plug::Direct { dev, mode }) => (dev.to_string(), *mode),
        other => panic!("expected a direct plug, got {other:?}"),
    }
}

/// A network of `mode` with a pool of eth1..eth3 and the given usage.
fn pool_net(name: &str, mode: &str, used: [u32; 3], extra: &str) -> Network {
    let entries: String = used
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            0 => format!("<interface dev='eth{}'/>", i + 1),
            c => format!("<interface dev='eth{}' connections='{c}'/>", i + 1),
        })
        .collect();
    net(&format!(
        "<network><name>{name}</name><forward mode='{mode}'>{entries}</forward>{extra}</network>"
    ))
}

fn with_vp(mut i: GuestInterface, vp: VirtualPort) -> GuestInterface {
    i.virtualport = Some(vp);
    i
}

fn ovs() -> VirtualPort {
    VirtualPort {
        kind: Some(VirtualPortType::Openvswitch),
        ..VirtualPort::default()
    }
}

#[test]
fn isolated_nat_route_and_open_plug_into_the_networks_own_bridge() {
    for (forward, mtm) in [
        ("", Some(MacTableManager::Libvirt)),
        ("<forward/>", None),
        ("<forward mode='route'/>", Some(MacTableManager::Kernel)),
        ("<forward mode='open'/>", None),
    ] {
        let attr = mtm.map_or(String::new(), |m| format!(" macTableManager='{m}'"));
        let n = net(&format!(
            "<network><name>default</name>{forward}<bridge name='virbr7'{attr}/>\
             <ip address='192.168.122.1' netmask='255.255.255.0'/></network>"
        ));
        let p = alloc(&n, &iface("default", None)).unwrap();
        assert_eq!(
            p.plug,
            Some(Plug::Bridge {
                kind: PlugType::Network,
                bridge: dev("virbr7"),
                mac_table_manager: mtm,
            }),
            "{forward}"
        );
        assert_eq!((p.uuid, p.mac, &p.owner), (port_uuid(), mac(), &owner()));
        assert_eq!((p.class_id, &p.virtualport, group(&p)), (None, &None, None));
    }
}

#[test]
fn an_own_bridge_without_a_name_or_with_a_virtualport_is_refused() {
    let ip = "<ip address='192.168.122.1' netmask='255.255.255.0'/>";
    let n = net(&format!(
        "<network><name>tmpl</name><forward/><bridge name='virbr%d'/>{ip}</network>"
    ));
    let err = refused(RefusedKind::Missing, alloc(&n, &iface("tmpl", None)));
    assert!(
        err.starts_with("network 'tmpl' has no bridge name to plug into"),
        "{err}"
    );
    let n = net(&format!(
        "<network><name>default</name><forward/><bridge name='virbr0'/>{ip}</network>"
    ));
    let err = refused(
        RefusedKind::Unsupported,
        alloc(&n, &with_vp(iface("default", None), ovs())),
    );
    assert_eq!(
        err,
        "<virtualport type='openvswitch'> is not supported for network 'default' (mode 'nat'), \
         whose ports are taps on its own bridge; no virtualport type applies"
    );
}

#[test]
fn bridge_mode_with_a_bridge_name_plugs_into_the_host_bridge() {
    let n = net(
        "<network><name>host-bridge-net</name><forward mode='bridge'/>\
                 <bridge name='br0'/></network>",
    );
    let p = alloc(&n, &iface("host-bridge-net", None)).unwrap();
    assert_eq!(
        p.plug,
        Some(Plug::Bridge {
            kind: PlugType::Bridge,
            bridge: dev("br0"),
            mac_table_manager: None,
        })
    );
    // Open vSwitch: the only virtualport a host bridge takes; the interfaceid is generated.
    let n = net(
        "<network><name>ovs-net</name><forward mode='bridge'/><bridge name='ovsbr0'/>\
                 <virtualport type='openvswitch'/></network>",
    );
    let p = alloc(&n, &iface("ovs-net", None)).unwrap();
    assert_eq!(p.plug.as_ref().map(Plug::kind), Some(PlugType::Bridge));
    let vp = p.virtualport.unwrap();
    assert_eq!(vp.kind, Some(VirtualPortType::Openvswitch));
    assert_eq!(
        vp.interfaceid,
        Some(Uuid::derived("interfaceid", &port_uuid().to_string()))
    );
    let qbg = VirtualPort {
        kind: Some(VirtualPortType::Qbg),
        ..VirtualPort::default()
    };
    let err = refused(
        RefusedKind::Mismatch,
        alloc(&n, &with_vp(iface("ovs-net", None), qbg)),
    );
    assert!(err.contains("type '802.1Qbg' from the interface conflicts with type 'openvswitch' from network 'ovs-net'"), "{err}");
    let n = net("<network><name>br</name><forward mode='bridge'/><bridge name='br0'/></network>");
    let qbh = VirtualPort {
        kind: Some(VirtualPortType::Qbh),
        profileid: Some(Text::parse("p").unwrap()),
        ..VirtualPort::default()
    };
    assert_eq!(
        refused(
            RefusedKind::Unsupported,
            alloc(&n, &with_vp(iface("br", None), qbh))
        ),
        "<virtualport type='802.1Qbh'> is not supported for network 'br' (mode 'bridge'), \
         which uses a host bridge; only 'openvswitch' applies"
    );
}

#[test]
fn direct_modes_plug_a_macvtap_named_after_the_mode() {
    for (mode, want) in [
        ("bridge", MacvtapMode::Bridge),
        ("private", MacvtapMode::Private),
        ("vepa", MacvtapMode::Vepa),
        ("passthrough", MacvtapMode::Passthrough),
    ] {
        let n = pool_net("direct-net", mode, [0, 0, 0], "");
        let p = alloc(&n, &iface("direct-net", None)).unwrap();
        assert_eq!(direct(&p), ("eth1".to_owned(), want), "{mode}");
    }
    let n = pool_net("vepa-net", "vepa", [0, 0, 0], "");
    assert_eq!(
        refused(
            RefusedKind::Unsupported,
            alloc(&n, &with_vp(iface("vepa-net", None), ovs()))
        ),
        "<virtualport type='openvswitch'> is not supported for network 'vepa-net' (mode \
         'vepa'), which uses a macvtap device; only '802.1Qbg' and '802.1Qbh' apply"
    );
}

#[test]
fn hostdev_plugs_a_pci_function_with_the_forward_managed_flag_and_driver() {
    let n = net(
        "<network><name>hostdev</name><forward mode='hostdev' managed='yes'>\
         <driver name='vfio'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1' connections='1'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/>\
         </forward></network>",
    );
    let p = alloc(&n, &iface("hostdev", None)).unwrap();
    let Some(Plug::HostdevPci {
        managed,
        driver,
        address,
    }) = p.plug
    else {
        panic!("{:?}", p.plug);
    };
    assert_eq!(managed, Some(true));
    assert_eq!(driver.as_ref().map(Text::as_str), Some("vfio"));
    assert_eq!(pool::pci_name(&address), "0000:03:00.2");
    assert_eq!(address.connections, None);
    assert_eq!(
        refused(
            RefusedKind::Unsupported,
            alloc(&n, &with_vp(iface("hostdev", None), ovs()))
        ),
        "<virtualport type='openvswitch'> is not supported for network 'hostdev' (mode \
         'hostdev'), which passes an SR-IOV virtual function to the guest; only '802.1Qbg' and \
         '802.1Qbh' apply"
    );
}

#[test]
fn hostdev_fails_when_every_function_is_in_use() {
    let n = net(
        "<network><name>hostdev</name><forward mode='hostdev' managed='yes'>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1' connections='1'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2' connections='1'/>\
         </forward></network>",
    );
    assert_eq!(
        refused(RefusedKind::Exhausted, alloc(&n, &iface("hostdev", None))),
        "network 'hostdev' requires exclusive access to interfaces, but none are available \
         (every one is in use: 0000:03:00.1, 0000:03:00.2)"
    );
}

#[test]
fn an_empty_pool_is_refused_and_an_unexpanded_pf_is_named() {
    let n = net("<network><name>bare</name><forward mode='vepa'/></network>");
    assert_eq!(
        refused(RefusedKind::Mismatch, alloc(&n, &iface("bare", None))),
        "network 'bare' uses a direct mode ('vepa') but has no forward dev and no interface pool"
    );
    let n = net(
        "<network><name>local</name><forward mode='passthrough'><pf dev='eth0'/>\
                 </forward></network>",
    );
    assert_eq!(
        refused(RefusedKind::Mismatch, alloc(&n, &iface("local", None))),
        "network 'local' (mode 'passthrough') takes its pool from the virtual functions of PF \
         'eth0', which have not been expanded into <interface> entries"
    );
    let n = net(
        "<network><name>hostdev</name><forward mode='hostdev' managed='yes'>\
                 <pf dev='eth2'/></forward></network>",
    );
    let err = refused(RefusedKind::Mismatch, alloc(&n, &iface("hostdev", None)));
    assert!(err.contains("network 'hostdev'"), "{err}");
    assert!(err.contains("PF 'eth2'"), "{err}");
    assert!(err.ends_with("into <address type='pci'> entries"), "{err}");
}

#[test]
fn exclusive_modes_take_the_first_unused_device_in_pool_order() {
    let n = pool_net("pt", "passthrough", [1, 0, 0], "");
    assert_eq!(direct(&alloc(&n, &iface("pt", None)).unwrap()).0, "eth2");
    let n = pool_net("pt", "passthrough", [1, 1, 0], "");
    assert_eq!(direct(&alloc(&n, &iface("pt", None)).unwrap()).0, "eth3");
    // private with an 802.1Qbh profile is exclusive too; without one it shares.
    let qbh = "<virtualport type='802.1Qbh'><parameters profileid='spongebob24'/></virtualport>";
    let n = pool_net("qbh", "private", [0, 1, 0], qbh);
    let p = alloc(&n, &iface("qbh", None)).unwrap();
    assert_eq!(direct(&p), ("eth1".to_owned(), MacvtapMode::Private));
    let n = pool_net("qbh", "private", [1, 0, 0], qbh);
    assert_eq!(direct(&alloc(&n, &iface("qbh", None)).unwrap()).0, "eth2");
    let n = pool_net("qbh", "private", [2, 1, 1], qbh);
    assert!(
        refused(RefusedKind::Exhausted, alloc(&n, &iface("qbh", None)))
            .starts_with("network 'qbh' requires")
    );
    let n = pool_net("priv", "private", [2, 1, 1], "");
    assert_eq!(direct(&alloc(&n, &iface("priv", None)).unwrap()).0, "eth2");
}

#[test]
fn exclusive_modes_fail_when_every_device_is_in_use() {
    let n = pool_net("pt", "passthrough", [1, 2, 1], "");
    assert_eq!(
        refused(RefusedKind::Exhausted, alloc(&n, &iface("pt", None))),
        "network 'pt' requires exclusive access to interfaces, but none are available \
         (every one is in use: eth1, eth2, eth3)"
    );
}

#[test]
fn shared_modes_take_the_least_used_device_ties_to_the_earliest() {
    let n = pool_net("vepa", "vepa", [2, 1, 1], "");
    assert_eq!(direct(&alloc(&n, &iface("vepa", None)).unwrap()).0, "eth2");
    let n = pool_net("vepa", "vepa", [0, 0, 0], "");
    assert_eq!(direct(&alloc(&n, &iface("vepa", None)).unwrap()).0, "eth1");
    let n = pool_net("mbr", "bridge", [3, 3, 2], "");
    assert_eq!(direct(&alloc(&n, &iface("mbr", None)).unwrap()).0, "eth3");
}

#[test]
fn a_lone_forward_dev_is_a_pool_of_one() {
    let n = net("<network><name>pt</name><forward mode='passthrough' dev='eth7'/></network>");
    let p = alloc(&n, &iface("pt", None)).unwrap();
    assert_eq!(direct(&p), ("eth7".to_owned(), MacvtapMode::Passthrough));
}

const OVS_GROUPS: &str = "<network><name>ovs</name><forward mode='bridge'/>\
     <bridge name='ovsbr0'/><vlan><tag id='100'/></vlan>\
     <virtualport type='openvswitch'/>\
     <portgroup name='bob' default='yes'><vlan trunk='yes'><tag id='666'/></vlan>\
       <virtualport><parameters profileid='bob-profile'/></virtualport></portgroup>\
     <portgroup name='alice'><vlan trunk='yes'><tag id='777'/><tag id='888'/></vlan>\
       <virtualport><parameters profileid='alice-profile'/></virtualport></portgroup>\
     <portgroup name='plain'/>\
     </network>";

#[test]
fn the_portgroup_named_else_the_default_else_none() {
    let n = net(OVS_GROUPS);
    let p = alloc(&n, &iface("ovs", Some("alice"))).unwrap();
    assert_eq!(group(&p), Some("alice"));
    let profile = |p: &NetworkPort| {
        p.virtualport
            .as_ref()
            .and_then(|v| v.profileid.as_ref())
            .map(|t| t.to_string())
    };
    assert_eq!(profile(&p).as_deref(), Some("alice-profile"));
    let p = alloc(&n, &iface("ovs", None)).unwrap();
    assert_eq!(group(&p), Some("bob"));
    assert_eq!(profile(&p).as_deref(), Some("bob-profile"));
    assert_eq!(
        refused(
            RefusedKind::Missing,
            alloc(&n, &iface("ovs", Some("carol")))
        ),
        "network 'ovs' has no portgroup 'carol'"
    );
    // No default: no portgroup.
    let n = pool_net("vepa", "vepa", [0, 0, 0], "<portgroup name='a'/>");
    assert_eq!(group(&alloc(&n, &iface("vepa", None)).unwrap()), None);
}

#[test]
fn vlan_comes_from_the_interface_else_the_portgroup_else_the_network() {
    let n = net(OVS_GROUPS);
    let mut own = iface("ovs", Some("alice"));
    own.vlan = Some(NetVlan {
        trunk: None,
        tags: vec![TrunkTag {
            id: 42,
            native_mode: None,
        }],
    });
    assert_eq!(tags(&alloc(&n, &own).unwrap().vlan), [42]);
    let p = alloc(&n, &iface("ovs", Some("alice"))).unwrap();
    assert_eq!(tags(&p.vlan), [777, 888]);
    assert_eq!(p.vlan.as_ref().and_then(|v| v.trunk), Some(true));
    assert_eq!(
        tags(&alloc(&n, &iface("ovs", Some("plain"))).unwrap().vlan),
        [100]
    );
}

#[test]
fn a_vlan_on_a_port_that_cannot_tag_is_refused() {
    let n = pool_net("vepa", "vepa", [0, 0, 0], "");
    let mut i = iface("vepa", None);
    i.vlan = Some(NetVlan {
        trunk: None,
        tags: vec![TrunkTag {
            id: 5,
            native_mode: None,
        }],
    });
    assert_eq!(
        refused(RefusedKind::Unsupported, alloc(&n, &i)),
        "an interface connecting to network 'vepa' is requesting a vlan tag, but a port of \
         mode 'vepa' cannot carry one (only hostdev, passthrough and host bridge ports can)"
    );
    let n = pool_net("pt", "passthrough", [0, 0, 0], "");
    i.source = iface("pt", None).source;
    assert_eq!(tags(&alloc(&n, &i).unwrap().vlan), [5]);
}

#[test]
fn bandwidth_comes_from_the_interface_else_the_portgroup_never_the_network() {
    let n = net(
        "<network><name>shaped</name><forward/><bridge name='virbr3'/>\
         <bandwidth><inbound average='9000'/></bandwidth>\
         <ip address='10.0.0.1' prefix='24'/>\
         <portgroup name='slow' default='yes'><bandwidth><inbound average='100'/></bandwidth>\
         </portgroup><portgroup name='free'/></network>",
    );
    let inbound = |p: &NetworkPort| p.bandwidth.and_then(|b| b.inbound).and_then(|r| r.average);
    assert_eq!(
        inbound(&alloc(&n, &iface("shaped", None)).unwrap()),
        Some(100)
    );
    assert_eq!(
        inbound(&alloc(&n, &iface("shaped", Some("free"))).unwrap()),
        None
    );
    let mut own = iface("shaped", None);
    own.bandwidth = Some(Bandwidth {
        inbound: Some(Rate {
            average: Some(5),
            ..Rate::default()
        }),
        outbound: None,
    });
    assert_eq!(inbound(&alloc(&n, &own).unwrap()), Some(5));
    // A PCI function passed to the guest cannot be shaped.
    let n = net("<network><name>hostdev</name><forward mode='hostdev'>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>\
         </forward></network>");
    own.source = iface("hostdev", None).source;
    assert_eq!(
        refused(RefusedKind::Unsupported, alloc(&n, &own)),
        "bandwidth settings are not supported for hostdev interfaces (network 'hostdev')"
    );
}

#[test]
fn trust_comes_from_the_interface_else_the_portgroup_else_the_network() {
    let n = pool_net(
        "vepa-net",
        "vepa",
        [0, 0, 0],
        "<portgroup name='bob' default='yes'/><portgroup name='alice' trustGuestRxFilters='yes'/>",
    );
    assert_eq!(
        alloc(&n, &iface("vepa-net", None))
            .unwrap()
            .trust_guest_rx_filters,
        None
    );
    let mut n2 = n.clone();
    n2.trust_guest_rx_filters = Some(false);
    assert_eq!(
        alloc(&n2, &iface("vepa-net", None))
            .unwrap()
            .trust_guest_rx_filters,
        Some(false)
    );
    assert_eq!(
        alloc(&n2, &iface("vepa-net", Some("alice")))
            .unwrap()
            .trust_guest_rx_filters,
        Some(true)
    );
    let mut own = iface("vepa-net", Some("alice"));
    own.trust_guest_rx_filters = Some(false);
    assert_eq!(
        alloc(&n2, &own).unwrap().trust_guest_rx_filters,
        Some(false)
    );
}

#[test]
fn port_isolation_comes_from_the_interface_else_the_network() {
    let n = net(
        "<network><name>port-isolation-test</name><bridge name='br0'/>\
         <forward mode='bridge'/><port isolated='yes'/></network>",
    );
    let p = alloc(&n, &iface("port-isolation-test", None)).unwrap();
    assert_eq!(
        p.port,
        Some(PortOptions {
            isolated: Some(true)
        })
    );
    let mut own = iface("port-isolation-test", None);
    own.port = Some(PortOptions {
        isolated: Some(false),
    });
    assert_eq!(
        alloc(&n, &own).unwrap().port,
        Some(PortOptions {
            isolated: Some(false)
        })
    );
    let n =
        net("<network><name>plain</name><bridge name='br0'/><forward mode='bridge'/></network>");
    assert_eq!(alloc(&n, &iface("plain", None)).unwrap().port, None);
}

#[test]
fn virtualports_merge_interface_network_portgroup_and_complete() {
    let n = pool_net(
        "qbg",
        "vepa",
        [0, 0, 0],
        "<virtualport type='802.1Qbg'><parameters managerid='11' typeid='1193047'/></virtualport>\
         <portgroup name='bob' default='yes'><virtualport type='802.1Qbg'>\
         <parameters typeidversion='2'/></virtualport></portgroup>",
    );
    let p = alloc(&n, &iface("qbg", None)).unwrap();
    assert_eq!(
        p.virtualport,
        Some(VirtualPort {
            kind: Some(VirtualPortType::Qbg),
            managerid: Some(11),
            typeid: Some(1193047),
            typeidversion: Some(2),
            instanceid: Some(Uuid::derived("instanceid", &port_uuid().to_string())),
            ..VirtualPort::default()
        })
    );
    // Allocating again gives the same generated instanceid.
    assert_eq!(
        alloc(&n, &iface("qbg", None)).unwrap().virtualport,
        p.virtualport
    );
}

#[test]
fn a_portgroup_value_wins_over_the_networks() {
    // libvirt's own vepa-net fixture: the default portgroup overrides the network (the
    // design's rule; libvirt refuses it).
    let n = net("<network trustGuestRxFilters='no'><name>vepa-net</name>\
         <forward mode='vepa'><interface dev='eth1'/><interface dev='eth2'/></forward>\
         <virtualport type='802.1Qbg'>\
           <parameters managerid='11' typeid='1193047' typeidversion='2'/></virtualport>\
         <portgroup name='bob' default='yes'><virtualport type='802.1Qbg'>\
           <parameters typeid='2193047' typeidversion='3'/></virtualport></portgroup>\
         </network>");
    let vp = alloc(&n, &iface("vepa-net", None))
        .unwrap()
        .virtualport
        .unwrap();
    assert_eq!(
        (vp.managerid, vp.typeid, vp.typeidversion),
        (Some(11), Some(2193047), Some(3))
    );
    // The interface contradicting the result is refused, naming the portgroup.
    let mut own = iface("vepa-net", None);
    own.virtualport = Some(VirtualPort {
        typeid: Some(1193047),
        ..VirtualPort::default()
    });
    assert_eq!(
        refused(RefusedKind::Mismatch, alloc(&n, &own)),
        "cannot merge virtualports: typeid '1193047' from the interface conflicts with \
         typeid '2193047' from portgroup 'bob'"
    );
}

#[test]
fn an_incomplete_virtualport_is_refused() {
    let n = pool_net(
        "qbh",
        "private",
        [0, 0, 0],
        "<virtualport type='802.1Qbh'/>",
    );
    assert_eq!(
        refused(RefusedKind::Missing, alloc(&n, &iface("qbh", None))),
        "missing profileid in <virtualport type='802.1Qbh'> for a port on network 'qbh' \
         (neither the interface, the network nor the portgroup gives it)"
    );
}

#[test]
fn only_a_network_interface_on_this_network_is_allocated() {
    let n = pool_net("vepa", "vepa", [0, 0, 0], "");
    assert_eq!(
        refused(RefusedKind::Mismatch, alloc(&n, &iface("other", None))),
        "the interface names network 'other', not 'vepa'"
    );
    let user = GuestInterface::new(GuestType::User, GuestSource::Nothing);
    assert_eq!(
        refused(RefusedKind::Unsupported, alloc(&n, &user)),
        "only an interface of type 'network' is given a port on network 'vepa'; this one is \
         of type 'user'"
    );
    assert_eq!(NetName::parse("vepa").unwrap(), n.name);
}

#[test]
fn actual_repeats_the_resolved_port() {
    let n = net(OVS_GROUPS);
    let p = alloc(&n, &iface("ovs", Some("alice"))).unwrap();
    let a = actual(&p).unwrap();
    assert_eq!(a.plug, p.plug.clone().unwrap());
    assert_eq!(
        (
            &a.virtualport,
            &a.vlan,
            a.bandwidth,
            a.port,
            a.trust_guest_rx_filters
        ),
        (
            &p.virtualport,
            &p.vlan,
            p.bandwidth,
            p.port,
            p.trust_guest_rx_filters
        )
    );
    assert_eq!(tags(&a.vlan), [777, 888]);
    let unplugged = NetworkPort { plug: None, ..p };
    assert_eq!(actual(&unplugged), None);
}
