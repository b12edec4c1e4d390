//! The importer against NetworkManager's ifcfg-rh reader, one rule at a time.

use super::*;
use crate::model::Ipv4Prefix;

#[test]
fn netmasks_become_prefixes() {
    assert_eq!(Ipv4Prefix::from_netmask("255.255.255.0").unwrap().get(), 24);
    assert_eq!(Ipv4Prefix::from_netmask("255.240.0.0").unwrap().get(), 12);
    assert_eq!(
        Ipv4Prefix::from_netmask("255.255.255.254").unwrap().get(),
        31
    );
    assert_eq!(
        Ipv4Prefix::from_netmask("255.255.255.255").unwrap().get(),
        32
    );
    assert!(Ipv4Prefix::from_netmask("255.0.255.0").is_err());
    assert!(Ipv4Prefix::from_netmask("0.0.0.0").is_err());
}

#[test]
fn bond_options_read_in_both_quoting_styles_and_numbers() {
    let new = parse::bond_opts("mode=active-backup primary=eth1 miimon=100");
    let old = parse::bond_opts("'mode=active-backup primary=eth1 miimon=100 '");
    assert_eq!(new, old);
    assert_eq!(BondMode::parse_driver("1"), Ok(BondMode::ActiveBackup));
    assert_eq!(BondMode::parse_driver("4"), Ok(BondMode::Ieee8023ad));
    assert!(BondMode::parse_driver("7").is_err());
    assert_eq!(ArpValidate::parse_driver("3"), Ok(ArpValidate::All));
}

// ---- one rule of NetworkManager's reader each ----

const DIR: &str = super::super::DIR;

/// A root of `files` (`ifcfg-NAME` or a path) and the host and notes import gives, as XML
/// and `Kind file:line: message` lines, or the problems.
fn read(files: &[(&str, &str)]) -> Result<(String, Vec<String>), Vec<String>> {
    let files = files.iter().map(|(name, text)| {
        let path = match name.strip_prefix('/') {
            Some(path) => path.to_owned(),
            None => format!("{DIR}/{name}"),
        };
        (path, (*text).to_owned())
    });
    let snap = Snapshot {
        files: files.collect(),
        ..Snapshot::default()
    };
    match import(&snap, &[]) {
        Ok(i) => Ok((
            crate::xml::to_xml(&i.host),
            (i.notes.iter())
                .map(|n| format!("{:?} {}: {}", n.kind, n.at.location(), n.at.message()))
                .collect(),
        )),
        Err(BackendError::Invalid(d)) => Err(d
            .0
            .iter()
            .map(|d| format!("{}: {}", d.location(), d.message()))
            .collect()),
        Err(e) => Err(vec![e.to_string()]),
    }
}

fn xml(files: &[(&str, &str)]) -> String {
    read(files).unwrap_or_else(|e| panic!("{e:#?}")).0
}

fn one_error(files: &[(&str, &str)]) -> String {
    let errors = read(files).expect_err("must be refused");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors[0].clone()
}

#[test]
fn empty_values_are_unset() {
    let got = xml(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPADDR=\nPREFIX=\nGATEWAY=\nMTU=\nBOOTPROTO=\nHWADDR=\n",
    )]);
    assert_eq!(got, "<interface type='ethernet' name='eth0'/>\n");
}

#[test]
fn bootproto_is_read_as_networkmanager_reads_it() {
    let v4 = |bootproto: &str| xml(&[("ifcfg-eth0", &format!("DEVICE=eth0\n{bootproto}\n"))]);
    assert!(v4("BOOTPROTO=bootp").contains("<dhcp/>"));
    assert!(v4("BOOTPROTO=DHCP").contains("<dhcp/>"));
    // No address: IPv4 is disabled whatever BOOTPROTO says.
    assert!(!v4("BOOTPROTO=static").contains("ipv4"));
    for (value, why) in [
        ("autoip", "BOOTPROTO=autoip: IPv4 link-local addressing"),
        (
            "shared",
            "BOOTPROTO=shared: NetworkManager shares this connection",
        ),
        (
            "dhcpp",
            "unknown BOOTPROTO 'dhcpp': NetworkManager refuses this file",
        ),
    ] {
        let e = one_error(&[("ifcfg-eth0", &format!("DEVICE=eth0\nBOOTPROTO={value}\n"))]);
        assert!(
            e.starts_with(&format!("{DIR}/ifcfg-eth0:2:11: {why}")),
            "{e}"
        );
    }
    // iBFT is NetworkManager's initrd generator's: the file is skipped.
    let (got, notes) = read(&[("ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=ibft\n")]).unwrap();
    assert_eq!(got, "<interfaces/>\n");
    assert!(notes[0].starts_with("Skipped"), "{notes:?}");
}

#[test]
fn every_gateway_form_is_read_with_networkmanagers_precedence() {
    let gw = |files: &[(&str, &str)]| {
        let got = xml(files);
        got.split("gateway='")
            .nth(1)
            .map(|g| g[..g.find('\'').unwrap()].to_owned())
    };
    // GATEWAYn beside IPADDRn; the first beside an address wins.
    assert_eq!(
        gw(&[(
            "ifcfg-eth0",
            "DEVICE=eth0\nIPADDR1=192.0.2.1\nPREFIX1=24\nGATEWAY1=192.0.2.254\nGATEWAY=10.0.0.1\n"
        )]),
        Some("192.0.2.254".to_owned())
    );
    // The host-wide GATEWAY, for a device with addresses and none of its own.
    let network = ("/etc/sysconfig/network", "GATEWAY=192.0.2.253\n");
    assert_eq!(
        gw(&[
            ("ifcfg-eth0", "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\n"),
            network
        ]),
        Some("192.0.2.253".to_owned())
    );
    // ...not for one with DHCP and no address.
    assert_eq!(
        gw(&[("ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n"), network]),
        None
    );
    // DEFROUTE=no: no default route, said in a note.
    let (got, notes) = read(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\nGATEWAY=192.0.2.254\nDEFROUTE=no\n",
    )])
    .unwrap();
    assert!(!got.contains("gateway"), "{got}");
    assert_eq!(
        notes,
        [format!(
            "NotImported {DIR}/ifcfg-eth0:4:9: GATEWAY is not imported: the gateway \
             192.0.2.254 is not a default route: DEFROUTE=no: NetworkManager adds no default \
             route through it"
        )]
    );
    // GATEWAYDEV names another device.
    let (got, _) = read(&[
        (
            "ifcfg-eth0",
            "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\nGATEWAY=192.0.2.254\n",
        ),
        ("/etc/sysconfig/network", "GATEWAYDEV=eth1\n"),
    ])
    .unwrap();
    assert!(!got.contains("gateway"), "{got}");
}

#[test]
fn numbered_addresses_stop_at_the_first_gap_from_two_on() {
    let (got, notes) = read(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPADDR0=192.0.2.1\nIPADDR2=192.0.2.2\nIPADDR4=192.0.2.4\n",
    )])
    .unwrap();
    assert!(got.contains("192.0.2.2' prefix='24'"), "{got}");
    assert!(!got.contains("192.0.2.4"), "{got}");
    assert!(notes[0].contains("IPADDR4 is not imported"), "{notes:?}");
    // Without PREFIX or NETMASK, the class's prefix.
    let got = xml(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPADDR=10.1.2.3\nIPADDR1=172.16.0.1\n",
    )]);
    assert!(got.contains("'10.1.2.3' prefix='8'") && got.contains("'172.16.0.1' prefix='16'"));
}

#[test]
fn ipv6_is_read_with_networkmanagers_defaults() {
    // IPV6INIT=yes alone is autoconf on; an address without a prefix is a /64.
    let got = xml(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPV6INIT=yes\nIPV6ADDR=2001:db8::1\n",
    )]);
    assert!(
        got.contains("<autoconf/>") && got.contains("prefix='64'"),
        "{got}"
    );
    // IPV6FORWARDING turns the default off; IPV6_DISABLED wins over IPV6INIT.
    let got = xml(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPV6INIT=yes\nIPV6FORWARDING=yes\n",
    )]);
    assert!(got.contains("ipv6") && !got.contains("autoconf"), "{got}");
    let got = xml(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPV6INIT=yes\nIPV6_DISABLED=yes\n",
    )]);
    assert!(!got.contains("ipv6"), "{got}");
    // The host-wide IPV6INIT, when the file does not say.
    let got = xml(&[
        ("ifcfg-eth0", "DEVICE=eth0\n"),
        ("/etc/sysconfig/network", "IPV6INIT=yes\n"),
    ]);
    assert!(got.contains("<autoconf/>"), "{got}");
    // 'on' is yes to initscripts and the default (no) to NetworkManager.
    let e = one_error(&[("ifcfg-eth0", "DEVICE=eth0\nIPV6INIT=on\n")]);
    assert!(
        e.starts_with(&format!("{DIR}/ifcfg-eth0:2:10: invalid IPV6INIT 'on'")),
        "{e}"
    );
}

#[test]
fn a_bridge_without_stp_has_it_off_and_delay_only_with_stp() {
    let got = xml(&[("ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\nDELAY=5\n")]);
    assert!(got.contains("<bridge stp='off'/>"), "{got}");
    let got = xml(&[("ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\nSTP=yes\nDELAY=5\n")]);
    assert!(got.contains("<bridge stp='on' delay='5'/>"), "{got}");
    let (got, notes) =
        read(&[("ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\nSTP=on\nDELAY=0\n")]).unwrap();
    assert!(got.contains("<bridge stp='on'/>"), "{got}");
    assert!(notes[0].contains("DELAY is not imported"), "{notes:?}");
}

#[test]
fn aliases_are_more_addresses_of_their_device() {
    let got = xml(&[
        ("ifcfg-eth0", "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\n"),
        ("ifcfg-eth0:1", "DEVICE=eth0:1\nIPADDR=192.0.2.2\n"),
        (
            "ifcfg-eth0:web",
            "DEVICE=eth0:web\nIPADDR=198.51.100.1\nPREFIX=25\n",
        ),
    ]);
    assert!(
        got.contains(
            "<ip address='192.0.2.1' prefix='24'/>\n    <ip address='192.0.2.2' prefix='24'/>\n    \
             <ip address='198.51.100.1' prefix='25'/>"
        ),
        "{got}"
    );
    // An alias whose DEVICE is not its name is ignored, as NetworkManager ignores it.
    let (got, notes) = read(&[
        ("ifcfg-eth0", "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\n"),
        ("ifcfg-eth0:1", "DEVICE=eth0:2\nIPADDR=192.0.2.2\n"),
    ])
    .unwrap();
    assert!(!got.contains("192.0.2.2"), "{got}");
    assert!(notes[0].contains("is not its name 'eth0:1'"), "{notes:?}");
}

#[test]
fn a_profile_bound_by_mac_is_named_by_the_device_that_has_it() {
    let profile = (
        "ifcfg-Wired_connection_1",
        "TYPE=Ethernet\nNAME='Wired connection 1'\nHWADDR=52:54:00:12:34:56\nBOOTPROTO=dhcp\n",
    );
    let (got, notes) = read(&[
        profile,
        ("/sys/class/net/enp1s0/address", "52:54:00:12:34:56\n"),
    ])
    .unwrap();
    assert!(got.contains("name='enp1s0'"), "{got}");
    assert_eq!(
        notes,
        [format!(
            "Derived {DIR}/ifcfg-Wired_connection_1:3:8: the device is 'enp1s0', whose MAC \
             (sys/class/net/enp1s0/address) is the HWADDR this profile is bound to; the file \
             names no DEVICE"
        )]
    );
    // Offline, without that device: refused with why.
    let e = one_error(&[profile]);
    assert!(
        e.starts_with(&format!(
            "{DIR}/ifcfg-Wired_connection_1:3:8: this profile is bound to HWADDR \
             52:54:00:12:34:56 and names no DEVICE, and no device under sys/class/net has that MAC"
        )),
        "{e}"
    );
}

#[test]
fn vlans_are_named_and_tagged_as_networkmanager_does() {
    // vlanTAG with PHYSDEV; VLAN_ID wins over the name; no DEVICE is PHYSDEV.VLAN_ID.
    let got = xml(&[("ifcfg-v", "DEVICE=vlan201\nTYPE=Vlan\nPHYSDEV=eth0\n")]);
    assert!(
        got.contains("<vlan tag='201'>") && got.contains("name='eth0'"),
        "{got}"
    );
    let got = xml(&[("ifcfg-v", "DEVICE=eth0.9\nTYPE=Vlan\nVLAN_ID=10\n")]);
    assert!(
        got.contains("name='eth0.9'") && got.contains("<vlan tag='10'>"),
        "{got}"
    );
    let (got, notes) = read(&[("ifcfg-v", "TYPE=Vlan\nPHYSDEV=eth9\nVLAN_ID=43\n")]).unwrap();
    assert!(got.contains("name='eth9.43'"), "{got}");
    assert!(notes[0].starts_with("Derived"), "{notes:?}");
}

#[test]
fn a_controller_is_named_by_its_uuid_too() {
    let got = xml(&[
        (
            "ifcfg-br0",
            "DEVICE=br0\nTYPE=Bridge\nUUID=8a8a8a8a-0000-4000-8000-000000000001\n",
        ),
        (
            "ifcfg-eth0",
            "DEVICE=eth0\nBRIDGE_UUID=8a8a8a8a-0000-4000-8000-000000000001\n",
        ),
    ]);
    assert!(
        got.contains("<interface type='ethernet' name='eth0'/>"),
        "{got}"
    );
}

#[test]
fn static_routes_are_read_and_the_rest_noted_as_kept() {
    let (got, notes) = read(&[
        (
            "ifcfg-eth0",
            "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\nIPV6INIT=yes\nIPV6ADDR=2001:db8::1/64\n",
        ),
        (
            "route-eth0",
            "# routes\n198.51.100.0/24 via 192.0.2.254\n10.0.0.0/8 via 192.0.2.254 mtu 1400\n\
             10.1.0.0/16 via 10.9.9.9\n10.2.3.4/16 dev eth0 table 7\nbogus words\n",
        ),
        (
            "route6-eth0",
            "# nothing\n2001:db8:10::/48 via fe80::1 metric 100\n",
        ),
    ])
    .unwrap();
    assert!(
        got.contains(
            "<nl:route destination='198.51.100.0' prefix='24' gateway='192.0.2.254'/>\n    \
             <nl:route destination='10.2.0.0' prefix='16' table='7'/>"
        ) && got.contains(
            "<nl:route destination='2001:db8:10::' prefix='48' gateway='fe80::1' metric='100'/>"
        ),
        "{got}"
    );
    let at = |line: u32, col: u32| format!("{DIR}/route-eth0:{line}:{col}");
    let expected = [
        format!(
            "NotImported {}: this route is kept in the file but not imported: the model has no \
             place for its mtu",
            at(3, 1)
        ),
        format!(
            "NotImported {}: this route is not imported: its gateway is on none of eth0's \
             networks, and the kernel refuses a route via a gateway it cannot reach; netloom \
             writes the routes it reads from the declaration, so a merge drops this line",
            at(4, 1)
        ),
        format!(
            "Derived {}: the destination 10.2.3.4/16 is read as 10.2.0.0/16, the network \
             NetworkManager adds (initscripts' ip route add refuses bits past the prefix)",
            at(5, 1)
        ),
        format!(
            "NotImported {}: this line is kept in the file but not imported: NetworkManager \
             skips it ('words' is not an argument NetworkManager knows), and initscripts' ip \
             route add fails on it",
            at(6, 1)
        ),
    ];
    assert_eq!(notes, expected);
    // NetworkManager reads no route of a disabled family, and no route file beside a rule
    // file; both noted.
    let (got, notes) = read(&[
        ("ifcfg-eth0", "DEVICE=eth0\n"),
        ("route-eth0", "198.51.100.0/24 via 192.0.2.254\n"),
    ])
    .unwrap();
    assert!(!got.contains("nl:route"), "{got}");
    assert!(notes[0].contains("eth0 has no IPv4 address"), "{notes:?}");
    let (got, notes) = read(&[
        ("ifcfg-eth0", "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\n"),
        ("route-eth0", "198.51.100.0/24 via 192.0.2.254\n"),
        ("rule-eth0", "from 192.0.2.1 table 5\n"),
    ])
    .unwrap();
    assert!(!got.contains("nl:route"), "{got}");
    assert!(
        notes[0].contains("with etc/sysconfig/network-scripts/rule-eth0"),
        "{notes:?}"
    );
    // The old form: a bad value makes NetworkManager refuse the profile.
    let e = one_error(&[
        ("ifcfg-eth0", "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\n"),
        ("route-eth0", "ADDRESS0=10.0.0.0\nNETMASK0=255.0.255.0\n"),
    ]);
    assert!(
        e.starts_with(&format!("{DIR}/route-eth0:2:10: invalid NETMASK0")),
        "{e}"
    );
}

#[test]
fn dns_servers_and_search_domains_are_read_per_family() {
    let (got, notes) = read(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPADDR=192.0.2.1\nPREFIX=24\nIPV6INIT=yes\nIPV6ADDR=2001:db8::1/64\n\
         DNS1=192.0.2.53\nDNS2=2001:db8::53\nDNS3=192.0.2.54\nDNS4=192.0.2.53\nDNS6=192.0.2.99\n\
         DOMAIN='example.test bad_one corp.example.test'\nSEARCH=old.example\n\
         IPV6_DOMAIN=six.example\n",
    )])
    .unwrap();
    let v4 = "<nl:dns server='192.0.2.53'/>\n    <nl:dns server='192.0.2.54'/>\n    \
              <nl:search domain='example.test'/>\n    <nl:search domain='corp.example.test'/>";
    let v6 = "<nl:dns server='2001:db8::53'/>\n    <nl:search domain='six.example'/>\n";
    assert!(got.contains(v4) && got.contains(v6), "{got}");
    let keys: Vec<&str> = notes
        .iter()
        .map(|n| n.split(": ").nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        keys,
        [
            "DOMAIN entry 'bad_one' is not a domain name netloom writes",
            "DNS4 is not imported",
            "DNS6 is not imported",
            "SEARCH is not imported",
        ],
        "{notes:#?}"
    );
    // Without IPv4, DOMAIN is IPv6's too; a DNSn that is no address is refused.
    let got = xml(&[(
        "ifcfg-eth0",
        "DEVICE=eth0\nIPV6INIT=yes\nIPV6ADDR=2001:db8::1/64\nDOMAIN=example.test\n",
    )]);
    assert!(got.contains("<nl:search domain='example.test'/>"), "{got}");
    let e = one_error(&[("ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\nDNS1=ns1\n")]);
    assert!(
        e.contains("invalid DNS1: 'ns1' is not an IP address"),
        "{e}"
    );
}

#[test]
fn bond_bridge_and_mac_options_are_read_as_networkmanager_reads_them() {
    // A bond's driver options by name or number; one its mode does not take is dropped by
    // NetworkManager, and noted as kept; one the model has no place for is noted.
    let slave = "DEVICE=eth1\nMASTER=bond0\nSLAVE=yes\nMACADDR=02:00:00:00:00:09\n";
    let (got, notes) = read(&[
        (
            "ifcfg-bond0",
            "DEVICE=bond0\nTYPE=Bond\nBONDING_OPTS='mode=balance-xor xmit_hash_policy=1 \
             num_unsol_na=3 packets_per_slave=2 lp_interval=4'\n",
        ),
        ("ifcfg-eth1", slave),
        (
            "ifcfg-eth2",
            "DEVICE=eth2\nMACADDR=02:00:00:00:00:0A\nIPADDR=192.0.2.2\nPREFIX=24\n",
        ),
        ("ifcfg-eth3", "DEVICE=eth3\nMACADDR=stable\n"),
        (
            "ifcfg-br0",
            "DEVICE=br0\nTYPE=Bridge\nSTP=off\nBRIDGING_OPTS='priority=100 ageing_time=30 \
             multicast_snooping=0 hash_max=8'\n",
        ),
    ])
    .unwrap();
    assert_eq!(
        got,
        "<interfaces xmlns:nl='urn:netloom:xml:1'>\n  <interface type='bond' name='bond0'>\n    \
         <bond mode='balance-xor'>\n      <nl:bond xmit_hash_policy='layer3+4' \
         num_grat_arp='3'/>\n      <interface type='ethernet' name='eth1'/>\n    </bond>\n  \
         </interface>\n  <interface type='bridge' name='br0'>\n    <bridge stp='off'>\n      \
         <nl:bridge ageing_time='30' multicast_snooping='no'/>\n    </bridge>\n  </interface>\n  \
         <interface type='ethernet' name='eth2'>\n    <nl:cloned-mac address='02:00:00:00:00:0a'/>\n    \
         <protocol family='ipv4'>\n      <ip address='192.0.2.2' prefix='24'/>\n    </protocol>\n  \
         </interface>\n  <interface type='ethernet' name='eth3'/>\n</interfaces>\n"
    );
    assert_eq!(
        notes,
        [
            format!(
                "NotImported {DIR}/ifcfg-bond0:3:14: BONDING_OPTS option 'packets_per_slave' is \
                 kept in the file but not imported: packets_per_slave is for mode 'balance-rr', \
                 and this bond's is 'balance-xor', and NetworkManager drops it"
            ),
            format!(
                "NotImported {DIR}/ifcfg-bond0:3:14: BONDING_OPTS option 'lp_interval' is kept \
                 in the file but not imported"
            ),
            format!(
                "NotImported {DIR}/ifcfg-br0:4:15: BRIDGING_OPTS option 'priority=100' is kept in \
                 the file but not imported: it is STP's, and STP is off, and NetworkManager \
                 ignores it too"
            ),
            format!(
                "NotImported {DIR}/ifcfg-br0:4:15: BRIDGING_OPTS option 'hash_max' is kept in the \
                 file but not imported"
            ),
            format!(
                "NotImported {DIR}/ifcfg-eth3:2:9: MACADDR is kept in the file but not imported: \
                 'stable' is how NetworkManager picks a MAC, and <nl:cloned-mac> holds an address"
            ),
            format!(
                "NotImported {DIR}/ifcfg-eth1:4:9: MACADDR is kept in the file but not imported"
            ),
        ]
    );
    // NetworkManager refuses a profile whose lacp_rate is fast outside 802.3ad.
    assert_eq!(
        one_error(&[
            (
                "ifcfg-bond0",
                "DEVICE=bond0\nTYPE=Bond\nBONDING_OPTS='mode=1 lacp_rate=fast'\n"
            ),
            ("ifcfg-eth1", slave),
        ]),
        format!(
            "{DIR}/ifcfg-bond0:3:14: invalid bond option 'lacp_rate=fast': lacp_rate is for mode \
             '802.3ad', and this bond's is 'active-backup'; NetworkManager refuses a profile with \
             lacp_rate fast outside 802.3ad"
        )
    );
}

#[test]
fn a_uuid_is_read_unless_it_is_the_nm_backends_derived_one() {
    let with = |uuid: &str| xml(&[("ifcfg-eth0", &format!("DEVICE=eth0\nUUID={uuid}\n"))]);
    let own = crate::model::Uuid::derived("nm", "eth0").to_string();
    assert_eq!(with(&own), "<interface type='ethernet' name='eth0'/>\n");
    assert_eq!(
        with("8D3F2A1C-5B6E-4C7D-9E0F-1A2B3C4D5E6F"),
        "<interface type='ethernet' name='eth0'>\n  \
         <uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>\n</interface>\n"
    );
    // Not a UUID: NetworkManager makes its own, so there is none to say.
    assert_eq!(with("x"), "<interface type='ethernet' name='eth0'/>\n");
}
