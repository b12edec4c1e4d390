//! The host each backend's field walk starts from: one shared host, and what each backend
//! adds to it, so a field every backend writes is spelled once.

use super::Native::{self, Debian, Ifcfg, Nm};

/// `native`'s host: [`SHARED`] with each slot holding what [`ADDED`] gives that backend.
pub fn host(native: Native) -> String {
    for (slot, _, _) in ADDED {
        let marker = format!("{{{slot}}}");
        assert_eq!(
            SHARED.matches(&marker).count(),
            1,
            "ADDED's {marker} must be in SHARED once"
        );
    }
    let slots = (SHARED.split('{').skip(1)).filter_map(|rest| rest.split_once('}'));
    let mut host = SHARED.to_string();
    for (slot, _) in slots {
        host = host.replacen(&format!("{{{slot}}}"), &fill(slot, native), 1);
    }
    host
}

/// What `native`'s host holds in `slot`: its texts in [`ADDED`], in order (none for a
/// backend whose host leaves the slot empty).
fn fill(slot: &str, native: Native) -> String {
    let mut texts = (ADDED.iter()).filter(|(s, _, _)| *s == slot).peekable();
    assert!(
        texts.peek().is_some(),
        "SHARED's {{{slot}}} is in no row of ADDED"
    );
    texts
        .filter(|(_, _, to)| to.contains(&native))
        .map(|(_, text, _)| *text)
        .collect()
}

/// The host every backend's walk starts from, with a `{slot}` where the backends' hosts
/// differ: each of netloom's interface kinds, with every field every backend writes.
const SHARED: &str = r#"<interfaces xmlns:nl='urn:netloom:xml:1'>
  <interface type='ethernet' name='eth0'>
    <start mode='onboot'/>
    <mac address='52:54:00:00:00:01'/>{eth0}
    <link speed='1000' state='up'/>
    <mtu size='1500'/>
    <protocol family='ipv4'>
      <dhcp peerdns='yes'/>
      <ip address='192.0.2.10' prefix='24'/>
      <route gateway='192.0.2.1'/>
    </protocol>
    <protocol family='ipv6'>
      <autoconf/>
      <dhcp peerdns='{ipv6 peerdns}'/>
      <ip address='2001:db8::10' prefix='64'/>
      <ip address='2001:db8::11' prefix='64'/>
      <route gateway='2001:db8::1'/>
    </protocol>
  </interface>
  <interface type='bond' name='bond0'>
    <start mode='none'/>{bond0}
    <bond mode='active-backup'>
      <miimon freq='100' downdelay='5' updelay='10' carrier='ioctl'/>
      <interface type='ethernet' name='eth1'>{eth1}</interface>
      <interface type='ethernet' name='eth2'/>
    </bond>
  </interface>
  <interface type='bond' name='bond1'>{bond1}
    <bond mode='balance-xor'>
      <arpmon interval='200' target='192.0.2.254' validate='backup'/>
      <interface type='ethernet' name='eth3'/>
    </bond>
  </interface>
  <interface type='vlan' name='vlan7'>
    <start mode='hotplug'/>{vlan7}
    <vlan tag='7'><interface name='bond0'/>{vlan7 options}</vlan>
  </interface>
  <interface type='bridge' name='br0'>{br0}
    <bridge stp='on' delay='2'>
      <nl:bridge priority='100' hello_time='3' max_age='12' ageing_time='30'{br0 options}/>
      <interface type='ethernet' name='eth4'{eth4}
      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>
      <interface type='bond' name='bond2'>
        <bond mode='802.3ad'><interface type='ethernet' name='eth6'/>{bond2}</bond>
      </interface>
    </bridge>
  </interface>
  <interface type='bond' name='bond5'>
    <bond mode='802.3ad'>
      <nl:bond lacp_rate='fast' ad_select='count' xmit_hash_policy='layer3+4' num_grat_arp='2' primary_reselect='better' fail_over_mac='active'{bond5 options}/>
      <interface type='ethernet' name='eth20'/>
    </bond>
  </interface>
  <interface type='bond' name='bond6'>
    <bond mode='balance-rr'>
      <nl:bond packets_per_slave='2'/>
      <interface type='ethernet' name='eth21'/>
    </bond>
  </interface>
  <interface type='bond' name='bond7'>
    <bond mode='balance-tlb'>
      <nl:bond tlb_dynamic_lb='yes'/>
      <interface type='ethernet' name='eth22'/>
    </bond>
  </interface>
</interfaces>
"#;

/// What each backend's host puts in [`SHARED`]'s slots: (slot, text, the backends whose host
/// has it). A slot holds its texts for a backend in this order, or nothing. The Debian host
/// leaves out what ifupdown refuses (a cloned mac, `<nl:vlan>`, `multicast_snooping`,
/// `min_links`, `resend_igmp`, `all_slaves_active`): its rows in [`super::FIELDS`] add each
/// and expect the refusal.
const ADDED: &[(&str, &str, &[Native])] = &[
    (
        "eth0",
        "\n    <nl:cloned-mac address='02:00:00:00:00:0a'/>",
        &[Ifcfg, Nm],
    ),
    ("ipv6 peerdns", "no", &[Ifcfg]),
    ("ipv6 peerdns", "yes", &[Debian, Nm]),
    ("bond0", "\n    <link state='up'/>", &[Debian, Nm]),
    ("eth1", "<mac address='52:54:00:00:00:02'/>", &[Ifcfg, Nm]),
    ("eth1", "<link speed='10000'/>", &[Debian, Nm]),
    ("bond1", "\n    <protocol family='ipv6'/>", &[Debian]),
    (
        "bond1",
        "\n    <protocol family='ipv6'><dhcp/></protocol>",
        &[Nm],
    ),
    (
        "vlan7",
        "\n    <link state='lowerlayerdown'/>",
        &[Debian, Nm],
    ),
    ("vlan7", "\n    <protocol family='ipv6'/>", &[Nm]),
    (
        "vlan7 options",
        "<nl:vlan protocol='802.1ad' reorder_hdr='no' gvrp='yes' mvrp='yes' loose_binding='yes'/>",
        &[Ifcfg, Nm],
    ),
    ("br0", "\n    <mtu size='9000'/>", &[Debian, Nm]),
    ("br0 options", " multicast_snooping='no'", &[Ifcfg, Nm]),
    ("eth4", "/>", &[Ifcfg]),
    (
        "eth4",
        "><mac address='52:54:00:00:00:04'/><link state='down'/></interface>\n      \
         <interface type='ethernet' name='eth8'/>",
        &[Debian, Nm],
    ),
    ("bond2", "<interface type='ethernet' name='eth9'/>", &[Nm]),
    (
        "bond5 options",
        " min_links='1' resend_igmp='3' all_slaves_active='no'",
        &[Ifcfg, Nm],
    ),
];
