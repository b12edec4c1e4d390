use super::*;

fn host(xml: &str) -> Host {
    crate::xml::read_str("t.xml", xml).unwrap_or_else(|e| panic!("{e}"))
}

fn rendered(xml: &str) -> Vec<Settings> {
    profiles(&host(xml)).unwrap_or_else(|e| panic!("{e}"))
}

fn refusals(xml: &str) -> Vec<(String, String)> {
    match profiles(&host(xml)) {
        Err(BackendError::Unsupported { backend, refusals }) => {
            assert_eq!(backend, "nm");
            refusals
                .into_iter()
                .map(|r| (r.interface, r.setting))
                .collect()
        }
        other => panic!("expected refusals, got {other:?}"),
    }
}

fn names(profiles: &[Settings]) -> Vec<&str> {
    profiles.iter().map(|p| p.id().unwrap()).collect()
}

const BRIDGE: &str = "<interfaces>
  <interface type='bridge' name='br0'>
    <start mode='none'/>
    <mtu size='9000'/>
    <bridge>
      <interface type='ethernet' name='eth0'><mac address='52:54:00:00:00:0a'/></interface>
      <interface type='bond' name='bond0'>
        <bond><interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/></bond>
      </interface>
      <interface type='vlan' name='eth3.5'><vlan tag='5'><interface name='eth3'/></vlan></interface>
    </bridge>
  </interface>
  <interface type='ethernet' name='eth9'/>
</interfaces>";

#[test]
fn controllers_come_before_their_ports_in_document_order() {
    let p = rendered(BRIDGE);
    assert_eq!(
        names(&p),
        ["br0", "eth0", "bond0", "eth1", "eth2", "eth3.5", "eth9"]
    );
    let br0 = uuid("br0");
    let bond0 = uuid("bond0");
    let master = |i: usize| (p[i].master(), p[i].str("connection", "slave-type"));
    assert_eq!(master(0), (None, None));
    assert_eq!(master(1), (Some(br0.as_str()), Some("bridge")));
    assert_eq!(master(2), (Some(br0.as_str()), Some("bridge")));
    assert_eq!(master(3), (Some(bond0.as_str()), Some("bond")));
    assert_eq!(master(5), (Some(br0.as_str()), Some("bridge")));
}

#[test]
fn ports_inherit_autoconnect_and_the_mtu_and_have_no_ip_settings() {
    let p = rendered(BRIDGE);
    for port in &p[..6] {
        assert_eq!(
            port.get("connection", "autoconnect"),
            Some(&Value::Bool(false)),
            "{port:?}"
        );
        assert_eq!(port.get(kind::ETHERNET, "mtu"), Some(&Value::U32(9000)));
    }
    for port in &p[1..6] {
        assert!(!port.0.contains_key("ipv4") && !port.0.contains_key("ipv6"));
    }
    // A top-level interface without <start> autoconnects.
    assert_eq!(
        p[6].get("connection", "autoconnect"),
        Some(&Value::Bool(true))
    );
    assert_eq!(p[6].get(kind::ETHERNET, "mtu"), None);
    assert_eq!(p[0].str("ipv4", "method"), Some("disabled"));
    assert_eq!(p[0].str("ipv6", "method"), Some("disabled"));
}

#[test]
fn values_have_the_types_network_manager_requires() {
    let p = rendered(
        "<interface type='ethernet' name='eth0'>
           <mac address='52:54:00:AB:cd:01'/>
           <protocol family='ipv4'>
             <ip address='192.0.2.10' prefix='24'/><route gateway='192.0.2.1'/>
           </protocol>
           <protocol family='ipv6'><autoconf/><dhcp peerdns='no'/>
             <ip address='2001:DB8::10' prefix='64'/></protocol>
         </interface>",
    );
    let eth0 = &p[0];
    assert_eq!(eth0.uuid(), Some(uuid("eth0").as_str()));
    assert_eq!(eth0.kind(), Some("802-3-ethernet"));
    assert_eq!(eth0.interface_name(), Some("eth0"));
    assert_eq!(
        eth0.get(kind::ETHERNET, "mac-address"),
        Some(&Value::Bytes(vec![0x52, 0x54, 0, 0xab, 0xcd, 1]))
    );
    assert_eq!(eth0.str("ipv4", "method"), Some("manual"));
    assert_eq!(
        eth0.get("ipv4", "address-data"),
        Some(&Value::Dicts(vec![BTreeMap::from([
            ("address".to_owned(), Value::Str("192.0.2.10".into())),
            ("prefix".to_owned(), Value::U32(24)),
        ])]))
    );
    assert_eq!(eth0.str("ipv4", "gateway"), Some("192.0.2.1"));
    assert_eq!(eth0.str("ipv6", "method"), Some("auto"));
    assert_eq!(
        eth0.get("ipv6", "ignore-auto-dns"),
        Some(&Value::Bool(true))
    );
    let Some(Value::Dicts(v6)) = eth0.get("ipv6", "address-data") else {
        panic!("{eth0:?}")
    };
    assert_eq!(v6[0]["address"], Value::Str("2001:db8::10".into()));
    // Only keys netloom manages, and the UUID, are ever set.
    for p in rendered(BRIDGE).iter().chain(&p) {
        for (section, keys) in &p.0 {
            for key in keys.keys() {
                let k = (section.as_str(), key.as_str());
                assert!(
                    super::super::settings::MANAGED.contains(&k) || k == ("connection", "uuid"),
                    "{k:?}"
                );
            }
        }
    }
}

#[test]
fn ipv6_methods_follow_autoconf_dhcp_and_addresses() {
    let method = |inner: &str| {
        let xml = format!(
            "<interface type='ethernet' name='eth0'><protocol family='ipv6'>{inner}</protocol></interface>"
        );
        rendered(&xml)[0].str("ipv6", "method").unwrap().to_owned()
    };
    assert_eq!(method("<autoconf/>"), "auto");
    assert_eq!(method("<autoconf/><dhcp/>"), "auto");
    assert_eq!(method("<dhcp/>"), "dhcp");
    assert_eq!(
        method("<dhcp/><ip address='2001:db8::1' prefix='64'/>"),
        "dhcp"
    );
    assert_eq!(method("<ip address='2001:db8::1' prefix='64'/>"), "manual");
    assert_eq!(method(""), "link-local");
}

#[test]
fn a_bond_always_says_its_mode() {
    let p = rendered(
        "<interface type='bond' name='bond0'><bond><miimon freq='100'/>
           <interface type='ethernet' name='eth0'/></bond></interface>",
    );
    let want = BTreeMap::from([
        ("miimon".to_owned(), "100".to_owned()),
        ("mode".to_owned(), "balance-rr".to_owned()),
    ]);
    assert_eq!(p[0].get(kind::BOND, "options"), Some(&Value::StrMap(want)));
}

#[test]
fn a_forward_delay_of_zero_is_kept_with_stp_off() {
    let p =
        rendered("<interface type='bridge' name='br0'><bridge stp='off' delay='0'/></interface>");
    assert_eq!(
        p[0].get(kind::BRIDGE, "forward-delay"),
        Some(&Value::U32(0))
    );
    assert_eq!(p[0].get(kind::BRIDGE, "stp"), Some(&Value::Bool(false)));
    let p = rendered("<interface type='bridge' name='br0'><bridge delay='30.0'/></interface>");
    assert_eq!(
        p[0].get(kind::BRIDGE, "forward-delay"),
        Some(&Value::U32(30))
    );
}

#[test]
fn every_refusal_is_reported_at_once() {
    let got = refusals(
        "<interfaces>
          <interface type='ethernet' name='eth0'>
            <protocol family='ipv4'><dhcp/><route gateway='192.0.2.1'/></protocol>
            <protocol family='ipv6'><ip address='2001:db8::1'/><ip address='2001:db8::2' prefix='64'/></protocol>
          </interface>
          <interface type='ethernet' name='eth1'>
            <protocol family='ipv4'><ip address='10.0.0.1'/></protocol>
          </interface>
          <interface type='bridge' name='br0'>
            <bridge stp='on' delay='0'>
              <interface type='vlan' name='default'><vlan tag='4095'><interface name='eth3'/></vlan></interface>
            </bridge>
          </interface>
          <interface type='bond' name='bond0'>
            <bond mode='balance-alb'><arpmon interval='100' target='192.0.2.9'/>
              <interface type='ethernet' name='eth4'/></bond>
          </interface>
        </interfaces>",
    );
    let want = [
        (
            "eth0",
            "<route gateway='192.0.2.1'> with DHCP and no static address",
        ),
        ("eth0", "<ip address='2001:db8::1'> without a prefix"),
        ("eth1", "<ip address='10.0.0.1'> without a prefix"),
        ("br0", "<bridge delay='0'>"),
        ("default", "<interface name='default'>"),
        ("default", "<vlan tag='4095'>"),
        ("bond0", "<bond mode='balance-alb'> with <arpmon>"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(i, s)| ((*i).to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn uuids_are_the_model_s_derived_ones() {
    for name in ["eth0", "br-lan_1", "bond0.4094", "x"] {
        assert_eq!(uuid(name), Uuid::derived("nm", name).to_string());
    }
}
