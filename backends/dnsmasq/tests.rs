//! The rules of libvirt's conf, hostsfile and addnhosts that the 27 conformance cases leave
//! uncovered, and what netloom quotes or refuses. The conformance cases themselves and the
//! runs of the real `dnsmasq --test` are in `tests/dnsmasq_conf.rs`.

use std::net::IpAddr;

use super::*;
use crate::model::MacAddr;
use crate::model::network::*;

fn network(name: &str, mode: Option<ForwardMode>) -> Network {
    Network {
        name: NetName::parse(name).unwrap(),
        forward: mode.map(|m| Forward {
            mode: Some(m),
            ..Default::default()
        }),
        bridge: Some(BridgeDef {
            name: Some(BridgeName::parse("virbr0").unwrap()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn nat() -> Network {
    network("n", Some(ForwardMode::Nat))
}

fn ip(addr: &str, prefix: u8) -> NetIp {
    NetIp {
        family: None,
        address: addr.parse().unwrap(),
        netmask: None,
        prefix: Some(prefix),
        local_ptr: None,
        tftp_root: None,
        dhcp: None,
    }
}

fn range(start: &str, end: &str) -> DhcpRange {
    DhcpRange {
        start: start.parse().unwrap(),
        end: end.parse().unwrap(),
        lease: None,
    }
}

fn with_dhcp(mut ip: NetIp, ranges: Vec<DhcpRange>, hosts: Vec<DhcpHost>) -> NetIp {
    ip.dhcp = Some(NetDhcp {
        ranges,
        hosts,
        bootp: None,
    });
    ip
}

fn dns(net: &mut Network) -> &mut Dns {
    net.dns.get_or_insert_with(Dns::default)
}

fn name(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}

fn text(s: &str) -> Text {
    Text::parse(s).unwrap()
}

/// The conf with the DHCP addresses the backend would pick.
fn conf_of(net: &Network, ctx: &NetContext) -> Result<String, BackendError> {
    conf(net, ctx, &DhcpIps::of(net)?)
}

/// The conf without its six header lines.
fn body(net: &Network) -> String {
    let c = conf_of(net, &NetContext::default()).unwrap();
    c.lines().skip(6).map(|l| format!("{l}\n")).collect()
}

fn refused(net: &Network) -> String {
    match conf_of(net, &NetContext::default()) {
        Err(e @ BackendError::Network { .. }) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn srv_fields_are_positional_with_defaults_for_the_gaps() {
    let mut net = nat();
    net.ips.push(ip("192.168.1.1", 24));
    let srv = |target: Option<&str>, port, priority, weight| SrvRecord {
        service: name("ldap"),
        protocol: SrvProtocol::Tcp,
        domain: None,
        target: target.map(name),
        port,
        priority,
        weight,
    };
    dns(&mut net).srv = vec![
        srv(Some("t"), None, None, None),
        srv(Some("t"), None, Some(5), None),
        srv(Some("t"), Some(0), None, Some(9)),
        srv(Some("t"), Some(389), Some(0), Some(0)),
        srv(Some("."), Some(389), Some(1), Some(2)),
        srv(None, Some(389), Some(1), Some(2)),
    ];
    let b = body(&net);
    let srv: Vec<&str> = b.lines().filter(|l| l.starts_with("srv-host")).collect();
    assert_eq!(
        srv,
        [
            "srv-host=_ldap._tcp,t",
            "srv-host=_ldap._tcp,t,1,5",
            "srv-host=_ldap._tcp,t,1,0,9",
            "srv-host=_ldap._tcp,t,389",
            "srv-host=_ldap._tcp",
            "srv-host=_ldap._tcp",
        ]
    );
}

#[test]
fn forwarders_and_no_resolv() {
    let mut net = nat();
    net.ips.push(ip("192.168.1.1", 24));
    let fwd = |addr: Option<&str>, domain: Option<&str>| Forwarder {
        addr: addr.map(|a| a.parse().unwrap()),
        domain: domain.map(name),
    };
    dns(&mut net).forwarders = vec![
        fwd(None, Some("local.lan")),
        fwd(Some("2001:db8::53"), Some("v6.lan")),
    ];
    let b = body(&net);
    assert!(
        b.starts_with(
            "strict-order\nserver=/local.lan/#\nserver=/v6.lan/2001:db8::53\nexcept-interface=lo\n"
        ),
        "{b}"
    );
    dns(&mut net).forwarders.push(fwd(Some("9.9.9.9"), None));
    assert!(body(&net).contains("server=9.9.9.9\nno-resolv\nexcept-interface=lo\n"));
    // DNS off: no forwarders, port 0, but the domain stays (DHCP hands it out).
    dns(&mut net).enable = Some(false);
    net.domain = Some(Domain {
        name: name("example.org"),
        local_only: Some(true),
        register: None,
    });
    assert_eq!(
        body(&net),
        "strict-order\nport=0\nlocal=/example.org/\ndomain=example.org\nexpand-hosts\n\
         except-interface=lo\nbind-dynamic\ninterface=virbr0\n"
    );
}

#[test]
fn lease_max_counts_ipv4_and_ipv6_ranges() {
    let mut net = nat();
    net.ips.push(with_dhcp(
        ip("10.0.0.1", 16),
        vec![
            range("10.0.0.10", "10.0.1.9"),
            range("10.0.2.1", "10.0.2.1"),
        ],
        vec![],
    ));
    net.ips.push(with_dhcp(
        ip("2001:db8::1", 64),
        vec![range("2001:db8::10", "2001:db8::1f")],
        vec![],
    ));
    let b = body(&net);
    assert!(
        b.contains(
            "dhcp-range=10.0.0.10,10.0.1.9,255.255.0.0\ndhcp-range=10.0.2.1,10.0.2.1,255.255.0.0\n\
         dhcp-no-override\ndhcp-authoritative\ndhcp-range=2001:db8::10,2001:db8::1f,64\n\
         dhcp-lease-max=273\n"
        ),
        "{b}"
    );
    assert!(b.ends_with("enable-ra\n"), "{b}");
}

#[test]
fn ranges_libvirt_would_refuse_are_refused() {
    for (addr, prefix, start, end, why) in [
        (
            "2001:db8::1",
            64,
            "2001:db8::1:0",
            "2001:db8::2:0",
            "last 16 bits",
        ),
        (
            "2001:db8::1",
            64,
            "2001:db8::20",
            "2001:db8::10",
            "ends before",
        ),
        ("10.0.0.1", 24, "10.0.1.2", "10.0.1.9", "not inside"),
        ("10.0.0.1", 24, "10.0.0.9", "10.0.0.2", "ends before"),
        ("10.0.0.1", 24, "2001:db8::1", "2001:db8::2", "family"),
    ] {
        let mut net = nat();
        net.ips
            .push(with_dhcp(ip(addr, prefix), vec![range(start, end)], vec![]));
        let e = refused(&net);
        assert!(e.contains(why) && e.contains("network 'n'"), "{e}");
    }
}

#[test]
fn ipv6_without_dhcp_gets_ra_only_unless_another_ipv6_has_dhcp() {
    let mut net = nat();
    net.ips.push(ip("2001:db8:1::1", 64));
    net.ips.push(ip("2001:db8:2::1", 64));
    assert!(body(&net).ends_with(
        "addn-hosts=/var/lib/netloom/dnsmasq/n.addnhosts\n\
         dhcp-range=2001:db8:1::1,ra-only\ndhcp-range=2001:db8:2::1,ra-only\n"
    ));
    net.ips[1] = with_dhcp(
        ip("2001:db8:2::1", 64),
        vec![range("2001:db8:2::10", "2001:db8:2::20")],
        vec![],
    );
    let b = body(&net);
    assert!(b.ends_with("enable-ra\n") && !b.contains("ra-only"), "{b}");
}

#[test]
fn static_only_dhcp_and_bootp_with_server() {
    let host = DhcpHost {
        mac: Some(MacAddr::parse("52:54:00:00:00:01").unwrap()),
        ip: Some("10.1.0.5".parse().unwrap()),
        ..Default::default()
    };
    let mut v4 = with_dhcp(ip("10.1.0.1", 24), vec![], vec![host]);
    if let Some(d) = v4.dhcp.as_mut() {
        d.bootp = Some(Bootp {
            file: text("pxelinux.0"),
            server: Some(text("10.1.0.2")),
        });
    }
    let v6host = DhcpHost {
        name: Some(name("h6")),
        ip: Some("2001:db8::5".parse().unwrap()),
        ..Default::default()
    };
    let mut net = nat();
    net.ips = vec![v4, with_dhcp(ip("2001:db8::1", 64), vec![], vec![v6host])];
    let b = body(&net);
    assert!(
        b.contains(
            "dhcp-range=10.1.0.1,static\ndhcp-no-override\ndhcp-authoritative\n\
         dhcp-boot=pxelinux.0,,10.1.0.2\ndhcp-range=2001:db8::1,static,64\n\
         dhcp-hostsfile=/var/lib/netloom/dnsmasq/n.hostsfile\n"
        ),
        "{b}"
    );
    assert!(!b.contains("dhcp-lease-max"), "{b}");

    // A host name is a server dnsmasq accepts too; anything else would be read as fields.
    for (server, ok) in [("tftp.example", true), ("a,b", false), ("\"x\"", false)] {
        if let Some(d) = net.ips[0].dhcp.as_mut() {
            d.bootp = Some(Bootp {
                file: text("f"),
                server: Some(text(server)),
            });
        }
        let r = conf_of(&net, &NetContext::default());
        assert_eq!(r.is_ok(), ok, "{server}: {r:?}");
    }
}

#[test]
fn reverse_zones_on_octet_and_nibble_boundaries_only() {
    let zone = |a: &str, p: u8| reverse_zone(&ip(a, p)).ok();
    assert_eq!(zone("10.1.2.3", 16).as_deref(), Some("1.10.in-addr.arpa"));
    assert_eq!(zone("10.1.2.3", 24).as_deref(), Some("2.1.10.in-addr.arpa"));
    assert_eq!(zone("10.1.2.3", 8).as_deref(), Some("10.in-addr.arpa"));
    assert_eq!(
        zone("2001:db8:abcd::1", 48).as_deref(),
        Some("d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa")
    );
    assert_eq!(
        zone("2001:db8::1", 36).as_deref(),
        Some("0.8.b.d.0.1.0.0.2.ip6.arpa")
    );
    assert_eq!(zone("2001:db8::1", 124).map(|z| z.len()), Some(31 * 2 + 8));
    assert_eq!(zone("10.1.2.3", 20), None);
    assert_eq!(zone("2001:db8::1", 62), None);
    // libvirt's virSocketAddrPTRDomain: no zone for prefix 0 or the full address length.
    assert_eq!(zone("10.1.2.3", 32), None);
    assert_eq!(zone("10.1.2.3", 0), None);
    assert_eq!(zone("2001:db8::1", 128), None);
    assert_eq!(zone("2001:db8::1", 0), None);

    let mut net = nat();
    let mut odd = ip("10.1.0.1", 20);
    odd.local_ptr = Some(true);
    net.ips.push(odd);
    let e = refused(&net);
    assert!(e.contains("/20 IPv4") && e.contains("multiple of 8"), "{e}");
    // With DNS off no reverse zone is written, so nothing is refused.
    dns(&mut net).enable = Some(false);
    assert!(!body(&net).contains("local="));
}

#[test]
fn local_ptr_on_a_single_address_or_a_zero_prefix_is_refused_like_libvirt() {
    for (addr, prefix, why) in [
        ("10.1.1.1", 32, "/32 IPv4 prefix is a single address"),
        ("2001:db8::1", 128, "/128 IPv6 prefix is a single address"),
        (
            "10.1.1.1",
            0,
            "/0 IPv4 prefix covers the whole address space",
        ),
        (
            "2001:db8::1",
            0,
            "/0 IPv6 prefix covers the whole address space",
        ),
    ] {
        let mut net = nat();
        let mut one = ip(addr, prefix);
        one.local_ptr = Some(true);
        net.ips.push(one);
        let e = refused(&net);
        assert!(
            e.contains(&format!(
                "<ip address='{addr}' prefix='{prefix}' localPtr='yes'>"
            )) && e.contains("cannot create the PTR domain")
                && e.contains(why),
            "{e}"
        );
    }
}

#[test]
fn isolated_mtu_and_pid_file_hook() {
    let mut net = network("iso", None);
    net.ips.push(ip("192.168.9.1", 24));
    net.mtu = Some(crate::model::Mtu::parse("9000").unwrap());
    let c = conf_of(
        &net,
        &NetContext {
            pid_file: Some("/run/netloom/iso.pid".into()),
            ..NetContext::default()
        },
    )
    .unwrap();
    assert!(
        c.ends_with(
            "strict-order\npid-file=/run/netloom/iso.pid\nexcept-interface=lo\nbind-dynamic\n\
         interface=virbr0\ndhcp-option=3\nno-resolv\nra-param=*,0,0\n\
         addn-hosts=/var/lib/netloom/dnsmasq/iso.addnhosts\ndhcp-option=option:mtu,9000\n"
        ),
        "{c}"
    );
    assert!(c.starts_with("##WARNING:") && c.contains("##    virsh net-edit iso\n"));
}

#[test]
fn a_second_dhcp_ip_of_a_family_and_a_missing_bridge_name_are_refused() {
    let mut net = nat();
    net.ips.push(with_dhcp(
        ip("10.0.0.1", 24),
        vec![range("10.0.0.2", "10.0.0.3")],
        vec![],
    ));
    net.ips.push(with_dhcp(
        ip("10.0.1.1", 24),
        vec![range("10.0.1.2", "10.0.1.3")],
        vec![],
    ));
    assert!(refused(&net).contains("only one IPv4"));
    net.ips.pop();
    for bridge in [None, Some("virbr%d")] {
        net.bridge = Some(BridgeDef {
            name: bridge.map(|b| BridgeName::parse(b).unwrap()),
            ..Default::default()
        });
        assert!(refused(&net).contains("<bridge name>"));
    }
}

#[test]
fn hostsfile_lines_for_every_kind_of_host() {
    let mac = || Some(MacAddr::parse("52:54:00:aa:bb:cc").unwrap());
    let lease = Some(Lease {
        expiry: 90,
        unit: Some(LeaseUnit::Seconds),
    });
    let v4 = vec![
        DhcpHost {
            mac: mac(),
            ip: Some("10.0.0.5".parse().unwrap()),
            ..Default::default()
        },
        DhcpHost {
            name: Some(name("x")),
            ip: Some("10.0.0.6".parse().unwrap()),
            lease,
            ..Default::default()
        },
        DhcpHost {
            mac: mac(),
            name: Some(name("no-ip")),
            ..Default::default()
        },
    ];
    let v6 = vec![DhcpHost {
        id: Some(text("00:01:ab")),
        ip: Some("2001:db8::5".parse().unwrap()),
        lease: Some(Lease {
            expiry: 0,
            unit: None,
        }),
        ..Default::default()
    }];
    let mut net = nat();
    net.ips = vec![
        with_dhcp(ip("2001:db8::1", 64), vec![], v6),
        ip("10.9.0.1", 24),
        with_dhcp(ip("10.0.0.1", 24), vec![], v4),
    ];
    let dhcp = DhcpIps::of(&net).unwrap();
    assert_eq!(
        hostsfile(&net, &dhcp).unwrap(),
        "52:54:00:aa:bb:cc,10.0.0.5\nx,10.0.0.6,90s\nid:00:01:ab,[2001:db8::5],infinite\n"
    );
    if let Some(d) = net.ips[0].dhcp.as_mut() {
        d.hosts[0].id = Some(text("00:01,set:evil"));
    }
    match hostsfile(&net, &DhcpIps::of(&net).unwrap()) {
        Err(e) => assert!(e.to_string().contains("',' is not allowed"), "{e}"),
        Ok(h) => panic!("accepted: {h}"),
    }
}

#[test]
fn addnhosts_groups_names_by_address_with_tabs() {
    let mut net = nat();
    assert_eq!(addnhosts(&net), "");
    let host = |ip: &str, names: &[&str]| DnsHost {
        ip: ip.parse::<IpAddr>().unwrap(),
        hostnames: names.iter().map(|n| name(n)).collect(),
    };
    dns(&mut net).hosts = vec![
        host("192.168.122.1", &["host", "gateway"]),
        host("2001:db8::1", &["six"]),
        host("192.168.122.1", &["again"]),
    ];
    assert_eq!(
        addnhosts(&net),
        "192.168.122.1\thost\tgateway\tagain\t\n2001:db8::1\tsix\t\n"
    );
}

/// A nat network with `n` DNS hosts named `a` at distinct addresses from 10.0.0.0, and one
/// more named `b` at 10.0.0.5.
fn distinct_dns_hosts(n: u32) -> Network {
    let mut net = nat();
    let a = name("a");
    let b = name("b");
    dns(&mut net).hosts = (0..n)
        .map(|i| DnsHost {
            ip: IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)),
            hostnames: vec![a.clone()],
        })
        .chain(std::iter::once(DnsHost {
            ip: "10.0.0.5".parse::<IpAddr>().unwrap(),
            hostnames: vec![b.clone()],
        }))
        .collect();
    net
}

/// 100,000 hosts with distinct addresses: grouping by a linear scan made this take seconds
/// (6.3 s in a release build); grouping by a map keeps it linear. The time itself is
/// `cargo bench --bench network`'s business.
#[test]
fn addnhosts_of_100_000_distinct_addresses_is_linear_and_exact() {
    crate::scaling::assert_linear(
        "addnhosts of distinct addresses",
        10_000,
        |n| distinct_dns_hosts(u32::try_from(n).unwrap()),
        |net| {
            std::hint::black_box(addnhosts(net));
        },
    );
    let n: u32 = 100_000;
    let out = addnhosts(&distinct_dns_hosts(n));
    assert_eq!(out.lines().count(), n as usize);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "10.0.0.0\ta\t");
    assert_eq!(lines[5], "10.0.0.5\ta\tb\t");
    assert_eq!(lines[256], "10.0.1.0\ta\t");
    assert_eq!(lines[99_999], "10.1.134.159\ta\t");
    assert!(out.ends_with("10.1.134.159\ta\t\n"));
}

#[test]
fn render_gives_three_files_only_for_networks_with_a_bridge_and_an_ip() {
    let ctx = NetContext::default();
    let mut net = network("we\"ird", Some(ForwardMode::Route));
    assert!(Dnsmasq.render(&net, &ctx).unwrap().is_empty());
    net.ips.push(ip("10.0.0.1", 24));
    let files = Dnsmasq.render(&net, &ctx).unwrap();
    let got: Vec<(&str, u32)> = files.iter().map(|f| (f.path.as_str(), f.mode)).collect();
    assert_eq!(
        got,
        [
            ("var/lib/netloom/dnsmasq/we&quot;ird.addnhosts", 0o644),
            ("var/lib/netloom/dnsmasq/we&quot;ird.conf", 0o600),
            ("var/lib/netloom/dnsmasq/we&quot;ird.hostsfile", 0o644),
        ]
    );
    assert!(files[2].contents.is_empty());
    for mode in [
        ForwardMode::Bridge,
        ForwardMode::Passthrough,
        ForwardMode::Hostdev,
    ] {
        net.forward = Some(Forward {
            mode: Some(mode),
            ..Default::default()
        });
        assert!(Dnsmasq.render(&net, &ctx).unwrap().is_empty(), "{mode:?}");
    }
}

#[test]
fn user_text_dnsmasq_would_misread_is_quoted() {
    let mut net = network("my #net", Some(ForwardMode::Nat));
    let mut v4 = with_dhcp(
        ip("10.0.0.1", 24),
        vec![range("10.0.0.2", "10.0.0.9")],
        vec![],
    );
    v4.tftp_root = Some(text("/srv/tftp,eth0"));
    if let Some(d) = v4.dhcp.as_mut() {
        d.bootp = Some(Bootp {
            file: text("tag:x,evil"),
            server: None,
        });
    }
    net.ips.push(v4);
    dns(&mut net).txt = vec![
        TxtRecord {
            name: name("plain"),
            value: text("example value"),
        },
        TxtRecord {
            name: name("q"),
            value: text("say \"hi\" \\o/"),
        },
        TxtRecord {
            name: name("c"),
            value: text("a,b #c "),
        },
    ];
    let b = body(&net);
    for want in [
        "txt-record=plain,example value\n",
        "txt-record=q,\"say \\\"hi\\\" \\\\o/\"\n",
        "txt-record=c,\"a,b #c \"\n",
        "tftp-root=\"/srv/tftp,eth0\"\n",
        "dhcp-boot=\"tag:x,evil\"\n",
        "dhcp-hostsfile=\"/var/lib/netloom/dnsmasq/my #net.hostsfile\"\n",
        "addn-hosts=\"/var/lib/netloom/dnsmasq/my #net.addnhosts\"\n",
    ] {
        assert!(b.contains(want), "missing {want:?} in\n{b}");
    }
}

#[test]
fn a_second_tftp_root_is_refused() {
    let mut net = nat();
    for a in ["10.0.0.1", "10.0.1.1"] {
        let mut i = ip(a, 24);
        i.tftp_root = Some(text("/srv/tftp"));
        net.ips.push(i);
    }
    assert!(refused(&net).contains("second <tftp root>"));
}
