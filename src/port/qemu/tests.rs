//! One test per rule of `qemu_args`: the exact argument strings, and each refusal by the
//! fragment of its message that tells the user what to do.

use super::*;
use crate::error::RefusedKind;
use crate::model::guest::{Actual, GuestInterface, NicModel};
use crate::model::network::{MacvtapMode, NetName, PlugType, Text};

fn mac(n: u8) -> MacAddr {
    MacAddr::parse(&format!("52:54:00:00:00:{n:02x}")).unwrap()
}

fn dev(s: &str) -> IfaceName {
    IfaceName::parse(s).unwrap()
}

fn actual(plug: Plug) -> Actual {
    Actual {
        plug,
        virtualport: None,
        vlan: None,
        bandwidth: None,
        port: None,
        trust_guest_rx_filters: None,
    }
}

fn bridge_plug() -> Plug {
    Plug::Bridge {
        kind: PlugType::Network,
        bridge: dev("virbr0"),
        mac_table_manager: None,
    }
}

/// A plugged interface of `kind`: MAC 52:54:00:00:00:0N, target vnetN for the taps.
fn iface(kind: GuestType, n: u8) -> GuestInterface {
    let socket = |address: Option<&str>| GuestSource::Socket {
        address: address.map(|a| a.parse().unwrap()),
        port: 5555,
    };
    let source = match kind {
        GuestType::Network => GuestSource::Network {
            network: NetName::parse("default").unwrap(),
            portgroup: None,
            portid: None,
        },
        GuestType::Bridge => GuestSource::Bridge { bridge: dev("br0") },
        GuestType::Direct => GuestSource::Direct {
            dev: dev("eth0"),
            mode: None,
        },
        GuestType::Server => socket(None),
        GuestType::Client => socket(Some("127.0.0.1")),
        GuestType::Mcast => socket(Some("230.0.0.1")),
        _ => GuestSource::Nothing,
    };
    let mut i = GuestInterface::new(kind, source);
    i.mac = Some(mac(n));
    if matches!(
        kind,
        GuestType::Network | GuestType::Bridge | GuestType::Ethernet | GuestType::Direct
    ) {
        i.target = Some(dev(&format!("vnet{n}")));
    }
    if kind == GuestType::Network {
        i.actual = Some(actual(bridge_plug()));
    }
    i
}

fn guest(interfaces: Vec<GuestInterface>) -> Guest {
    Guest {
        interfaces,
        ..Guest::default()
    }
}

fn args_of(interfaces: Vec<GuestInterface>) -> QemuArgs {
    qemu_args(&guest(interfaces)).unwrap()
}

#[track_caller]
fn refused(interfaces: Vec<GuestInterface>, fragments: &[&str]) {
    match qemu_args(&guest(interfaces)) {
        Err(Error::Refused {
            kind: RefusedKind::Unsupported,
            message: msg,
        }) => {
            for f in fragments {
                assert!(msg.contains(f), "{msg:?} lacks {f:?}");
            }
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn network_with_a_bridge_plug_is_a_tap_with_its_own_netdev() {
    let mut i = iface(GuestType::Network, 1);
    i.model = Some(NicModel::parse("virtio").unwrap());
    assert_eq!(
        args_of(vec![i]),
        QemuArgs {
            args: strings(&[
                "-netdev",
                "tap,id=hostnet0,ifname=vnet1,script=no,downscript=no",
                "-device",
                "virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:00:00:01",
            ]),
            link_down: vec![],
        }
    );
}

#[test]
fn every_nic_gets_its_own_netdev_in_document_order() {
    let mut a = iface(GuestType::Bridge, 1);
    a.model = Some(NicModel::parse("e1000").unwrap());
    let b = iface(GuestType::Ethernet, 2);
    let mut c = iface(GuestType::User, 3);
    c.model = Some(NicModel::parse("e1000e").unwrap());
    let out = args_of(vec![a, b, c]);
    assert_eq!(
        out.args,
        strings(&[
            "-netdev",
            "tap,id=hostnet0,ifname=vnet1,script=no,downscript=no",
            "-device",
            "e1000,netdev=hostnet0,id=net0,mac=52:54:00:00:00:01",
            "-netdev",
            "tap,id=hostnet1,ifname=vnet2,script=no,downscript=no",
            "-device",
            "rtl8139,netdev=hostnet1,id=net1,mac=52:54:00:00:00:02",
            "-netdev",
            "user,id=hostnet2",
            "-device",
            "e1000e,netdev=hostnet2,id=net2,mac=52:54:00:00:00:03",
        ])
    );
    assert!(out.link_down.is_empty());
}

#[test]
fn models_map_like_libvirt() {
    assert_eq!(device_model(None), "rtl8139");
    for (model, device) in [
        ("virtio", "virtio-net-pci"),
        ("virtio-transitional", "virtio-net-pci-transitional"),
        ("virtio-non-transitional", "virtio-net-pci-non-transitional"),
        ("e1000", "e1000"),
        ("e1000e", "e1000e"),
        ("rtl8139", "rtl8139"),
        ("ne2k_pci", "ne2k_pci"),
        ("vmxnet3", "vmxnet3"),
    ] {
        assert_eq!(device_model(Some(&NicModel::parse(model).unwrap())), device);
    }
}

#[test]
fn sockets_listen_connect_and_join() {
    let mut anywhere = iface(GuestType::Server, 1);
    let mut server = iface(GuestType::Server, 2);
    server.source = GuestSource::Socket {
        address: Some("192.0.2.1".parse().unwrap()),
        port: 6000,
    };
    let client = iface(GuestType::Client, 3);
    let mcast = iface(GuestType::Mcast, 4);
    anywhere.model = Some(NicModel::parse("virtio").unwrap());
    let out = args_of(vec![anywhere, server, client, mcast]);
    let netdevs: Vec<&str> = out
        .args
        .iter()
        .skip(1)
        .step_by(4)
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        netdevs,
        [
            "socket,id=hostnet0,listen=:5555",
            "socket,id=hostnet1,listen=192.0.2.1:6000",
            "socket,id=hostnet2,connect=127.0.0.1:5555",
            "socket,id=hostnet3,mcast=230.0.0.1:5555",
        ]
    );
    assert_eq!(
        out.args[3],
        "virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:00:00:01"
    );
}

#[test]
fn ipv6_servers_and_clients_use_the_stream_backend() {
    let mut server = iface(GuestType::Server, 1);
    server.source = GuestSource::Socket {
        address: Some("::1".parse().unwrap()),
        port: 5555,
    };
    let mut client = iface(GuestType::Client, 2);
    client.source = GuestSource::Socket {
        address: Some("2001:db8::1".parse().unwrap()),
        port: 5555,
    };
    let out = args_of(vec![server, client]);
    assert_eq!(
        out.args[1],
        "stream,id=hostnet0,server=on,addr.type=inet,addr.host=::1,addr.port=5555"
    );
    assert_eq!(
        out.args[5],
        "stream,id=hostnet1,server=off,addr.type=inet,addr.host=2001:db8::1,addr.port=5555"
    );
}

#[test]
fn sockets_qemu_cannot_open_are_refused() {
    let with = |kind, address: Option<&str>, port| {
        let mut i = iface(kind, 1);
        i.source = GuestSource::Socket {
            address: address.map(|a| a.parse().unwrap()),
            port,
        };
        vec![i]
    };
    refused(
        with(GuestType::Client, None, 5555),
        &["interface 1 (52:54:00:00:00:01)", "server's address"],
    );
    refused(with(GuestType::Mcast, None, 5555), &["multicast group"]);
    refused(
        with(GuestType::Mcast, Some("10.0.0.1"), 5555),
        &["10.0.0.1", "not a multicast group"],
    );
    refused(
        with(GuestType::Mcast, Some("ff02::1"), 5555),
        &["ff02::1", "IPv4 groups only"],
    );
    refused(with(GuestType::Server, None, 0), &["port 0"]);
    let mut no_source = iface(GuestType::Server, 1);
    no_source.source = GuestSource::Nothing;
    refused(vec![no_source], &["no <source address port>"]);
}

#[test]
fn none_has_no_netdev_and_starts_link_down() {
    let user = iface(GuestType::User, 1);
    let none = iface(GuestType::Unplugged, 2);
    let out = args_of(vec![user, none]);
    assert_eq!(
        out.args,
        strings(&[
            "-netdev",
            "user,id=hostnet0",
            "-device",
            "rtl8139,netdev=hostnet0,id=net0,mac=52:54:00:00:00:01",
            "-device",
            "rtl8139,id=net1,mac=52:54:00:00:00:02",
        ])
    );
    assert_eq!(out.link_down, ["net1"]);
}

#[test]
fn link_state_down_keeps_the_backend_and_sets_the_link_down() {
    let mut a = iface(GuestType::Bridge, 1);
    a.link_up = Some(false);
    let mut b = iface(GuestType::User, 2);
    b.link_up = Some(true);
    let mut c = iface(GuestType::Mcast, 3);
    c.link_up = Some(false);
    let out = args_of(vec![a, b, c]);
    assert_eq!(out.args.len(), 12);
    assert_eq!(
        out.args[1],
        "tap,id=hostnet0,ifname=vnet1,script=no,downscript=no"
    );
    assert_eq!(out.link_down, ["net0", "net2"]);
}

#[test]
fn qmp_text_and_note() {
    let out = args_of(vec![
        iface(GuestType::User, 1),
        iface(GuestType::Unplugged, 2),
        iface(GuestType::Unplugged, 3),
    ]);
    assert_eq!(
        qmp_link_down(&out),
        [
            r#"{"execute":"set_link","arguments":{"name":"net1","up":false}}"#,
            r#"{"execute":"set_link","arguments":{"name":"net2","up":false}}"#,
        ]
    );
    for cmd in qmp_link_down(&out) {
        let v: serde_json::Value = serde_json::from_str(&cmd).unwrap();
        assert_eq!(v["execute"], "set_link");
    }
    assert_eq!(
        to_text(&out),
        "-netdev\nuser,id=hostnet0\n-device\nrtl8139,netdev=hostnet0,id=net0,mac=52:54:00:00:00:01\n\
         -device\nrtl8139,id=net1,mac=52:54:00:00:00:02\n-device\nrtl8139,id=net2,mac=52:54:00:00:00:03\n"
    );
    let note = link_down_note(&out).unwrap();
    assert!(note.contains("net1, net2") && note.contains("-S") && note.contains("cont"));
    assert!(note.contains(r#""name":"net2""#));
    assert_eq!(
        link_down_note(&args_of(vec![iface(GuestType::User, 1)])),
        None
    );
    assert_eq!(to_text(&QemuArgs::default()), "");
}

#[test]
fn network_without_actual_is_not_plugged() {
    let mut i = iface(GuestType::Network, 1);
    i.actual = None;
    i.mac = None;
    refused(
        vec![iface(GuestType::User, 2), i],
        &[
            "interface 2 (target vnet1)",
            "not plugged",
            "run `netloom port plug` and pass its output",
        ],
    );
}

#[test]
fn a_missing_mac_is_refused() {
    let mut i = iface(GuestType::User, 1);
    i.mac = None;
    refused(
        vec![i],
        &["interface 1 ", "no MAC address", "netloom port plug"],
    );
}

#[test]
fn a_tap_without_target_is_refused() {
    for kind in [GuestType::Network, GuestType::Bridge, GuestType::Ethernet] {
        let mut i = iface(kind, 1);
        i.target = None;
        refused(
            vec![i],
            &["interface 1 (52:54:00:00:00:01)", "no <target dev>"],
        );
    }
}

#[test]
fn two_nics_on_one_tap_are_refused() {
    let a = iface(GuestType::Bridge, 1);
    let mut b = iface(GuestType::Ethernet, 2);
    b.target = Some(dev("vnet1"));
    refused(
        vec![a, b],
        &["interface 2 (52:54:00:00:00:02)", "vnet1", "interface 1"],
    );
}

#[test]
fn macvtap_is_refused_for_direct_and_a_direct_plug() {
    refused(
        vec![iface(GuestType::Direct, 1)],
        &[
            "interface 1 (52:54:00:00:00:01)",
            "macvtap",
            "file descriptor",
        ],
    );
    let mut i = iface(GuestType::Network, 2);
    i.actual = Some(actual(Plug::Direct {
        dev: dev("eth0"),
        mode: MacvtapMode::Bridge,
    }));
    refused(vec![i], &["interface 1 (52:54:00:00:00:02)", "macvtap"]);
}

fn hostdev(driver: Option<&str>) -> GuestInterface {
    let mut i = iface(GuestType::Network, 1);
    i.target = None;
    i.actual = Some(actual(Plug::HostdevPci {
        managed: Some(true),
        driver: driver.map(|d| Text::parse(d).unwrap()),
        address: PciAddress {
            domain: 0,
            bus: 3,
            slot: 0x10,
            function: 2,
            connections: None,
        },
    }));
    i
}

#[test]
fn a_hostdev_plug_is_a_vfio_device_without_netdev_or_mac() {
    let out = args_of(vec![iface(GuestType::User, 2), hostdev(Some("vfio"))]);
    assert_eq!(
        out.args[4..],
        strings(&["-device", "vfio-pci,host=0000:03:10.2,id=hostdev1"])
    );
    assert_eq!(
        args_of(vec![hostdev(None)]).args[1],
        "vfio-pci,host=0000:03:10.2,id=hostdev0"
    );
    let wide = PciAddress {
        domain: 0xabcd,
        bus: 0xff,
        slot: 31,
        function: 7,
        connections: None,
    };
    assert_eq!(pci(&wide), "abcd:ff:1f.7");
}

#[test]
fn hostdev_refusals() {
    refused(vec![hostdev(Some("kvm"))], &["driver kvm", "vfio only"]);
    let mut down = hostdev(None);
    down.link_up = Some(false);
    refused(vec![down], &["interface 1 (52:54:00:00:00:01)", "link"]);
    let mut no_mac = hostdev(None);
    no_mac.mac = None;
    refused(vec![no_mac], &["no MAC address"]);
}

#[test]
fn the_spliced_values_cannot_hold_a_comma_or_a_newline() {
    for bad in ["a,b", "a\nb"] {
        assert!(IfaceName::parse(bad).is_err(), "{bad:?}");
        assert!(NicModel::parse(bad).is_err(), "{bad:?}");
        assert!(MacAddr::parse(bad).is_err(), "{bad:?}");
    }
    assert!(MacAddr::parse("52:54:00:00:00:01,x").is_err());
    // Nor can the driver be one QEMU reads as a request for help or as JSON.
    for bad in ["help", "?", "{\"driver\":\"e1000\"}"] {
        assert!(NicModel::parse(bad).is_err(), "{bad:?}");
    }
    // Every value of every argument splits into key=value properties exactly.
    let out = args_of(
        [
            GuestType::Network,
            GuestType::Bridge,
            GuestType::Ethernet,
            GuestType::User,
            GuestType::Server,
            GuestType::Client,
            GuestType::Mcast,
            GuestType::Unplugged,
        ]
        .into_iter()
        .zip(1..)
        .map(|(k, n)| iface(k, n))
        .collect(),
    );
    for arg in out.args.iter().filter(|a| !a.starts_with('-')) {
        assert!(!arg.contains('\n'));
        for prop in arg.split(',').skip(1) {
            assert_eq!(prop.matches('=').count(), 1, "{arg}");
        }
    }
    assert_eq!(to_text(&out).lines().count(), out.args.len());
}

#[test]
fn an_empty_guest_has_no_arguments() {
    assert_eq!(args_of(vec![]), QemuArgs::default());
}

#[test]
fn a_none_nic_with_a_target_boots_with_its_own_tap_link_down() {
    let mut none = iface(GuestType::Unplugged, 2);
    none.target = Some(dev("vnet2"));
    let out = args_of(vec![none]);
    assert_eq!(
        out.args,
        strings(&[
            "-netdev",
            "tap,id=hostnet0,ifname=vnet2,script=no,downscript=no",
            "-device",
            "rtl8139,netdev=hostnet0,id=net0,mac=52:54:00:00:00:02",
        ])
    );
    assert_eq!(out.link_down, ["net0"]);
}

#[test]
fn the_qmp_monitor_path_is_checked_and_becomes_a_chardev() {
    let p = QmpPath::parse("/run/vm1.qmp").unwrap();
    assert_eq!(
        qmp_args(&p),
        strings(&[
            "-chardev",
            "socket,id=netloom-qmp,path=/run/vm1.qmp,server=on,wait=off",
            "-mon",
            "chardev=netloom-qmp,mode=control",
        ])
    );
    for bad in ["vm1.qmp", "/run/a,server=off", "/run/a\nb", ""] {
        assert!(QmpPath::parse(bad).is_err(), "{bad:?}");
    }
    let longest = format!("/{}", "q".repeat(QmpPath::MAX_BYTES - 1));
    assert!(QmpPath::parse(&longest).is_ok());
    assert!(QmpPath::parse(&format!("{longest}q")).is_err());
    assert_eq!(
        set_link("net3", true),
        r#"{"execute":"set_link","arguments":{"name":"net3","up":true}}"#
    );
}
