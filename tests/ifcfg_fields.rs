//! Nothing is silently dropped: every setting of the model changes what the ifcfg backend
//! writes, or is refused by name where NetworkManager would not read it. A host that sets
//! every field is rendered, then once per field with only that field changed; each variant
//! must render differently or be refused.

use netloom::backends::ifcfg::Ifcfg;

use crate::util::fields::{self, Expect};

/// A host that sets every field the model has.
const BASE: &str = r#"<interfaces xmlns:nl='urn:netloom:xml:1'>
  <interface type='ethernet' name='eth0'>
    <start mode='onboot'/>
    <mac address='52:54:00:00:00:01'/>
    <nl:cloned-mac address='02:00:00:00:00:0a'/>
    <link speed='1000' state='up'/>
    <mtu size='1500'/>
    <protocol family='ipv4'>
      <dhcp peerdns='yes'/>
      <ip address='192.0.2.10' prefix='24'/>
      <route gateway='192.0.2.1'/>
    </protocol>
    <protocol family='ipv6'>
      <autoconf/>
      <dhcp peerdns='no'/>
      <ip address='2001:db8::10' prefix='64'/>
      <ip address='2001:db8::11' prefix='64'/>
      <route gateway='2001:db8::1'/>
    </protocol>
  </interface>
  <interface type='bond' name='bond0'>
    <start mode='none'/>
    <bond mode='active-backup'>
      <miimon freq='100' downdelay='5' updelay='10' carrier='ioctl'/>
      <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/></interface>
      <interface type='ethernet' name='eth2'/>
    </bond>
  </interface>
  <interface type='bond' name='bond1'>
    <bond mode='balance-xor'>
      <arpmon interval='200' target='192.0.2.254' validate='backup'/>
      <interface type='ethernet' name='eth3'/>
    </bond>
  </interface>
  <interface type='vlan' name='vlan7'>
    <start mode='hotplug'/>
    <vlan tag='7'><interface name='bond0'/><nl:vlan protocol='802.1ad' reorder_hdr='no' gvrp='yes' mvrp='yes' loose_binding='yes'/></vlan>
  </interface>
  <interface type='bridge' name='br0'>
    <bridge stp='on' delay='2'>
      <nl:bridge priority='100' hello_time='3' max_age='12' ageing_time='30' multicast_snooping='no'/>
      <interface type='ethernet' name='eth4'/>
      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>
      <interface type='bond' name='bond2'>
        <bond mode='802.3ad'><interface type='ethernet' name='eth6'/></bond>
      </interface>
    </bridge>
  </interface>
  <interface type='bond' name='bond5'>
    <bond mode='802.3ad'>
      <nl:bond lacp_rate='fast' ad_select='count' xmit_hash_policy='layer3+4' num_grat_arp='2' primary_reselect='better' fail_over_mac='active' min_links='1' resend_igmp='3' all_slaves_active='no'/>
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

/// One field each: (what, text in BASE, replacement). Replacements that only reorder or touch
/// status are in `NOT_SETTINGS` instead.
const FIELDS: &[(&str, &str, &str)] = &[
    ("interface name", "name='eth0'", "name='eth9'"),
    // The profile's UUID=, which NetworkManager otherwise derives from the file's path.
    (
        "interface uuid",
        "name='eth0'>\n    <start mode='onboot'/>",
        "name='eth0'>\n    <uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>\n    <start mode='onboot'/>",
    ),
    (
        "start onboot",
        "<start mode='onboot'/>",
        "<start mode='hotplug'/>",
    ),
    (
        "start absent",
        "<interface type='bond' name='bond1'>",
        "<interface type='bond' name='bond1'><start mode='none'/>",
    ),
    ("mtu", "<mtu size='1500'/>", "<mtu size='9000'/>"),
    ("slave mac", "52:54:00:00:00:02", "52:54:00:00:00:08"),
    ("ipv4 dhcp", "<dhcp peerdns='yes'/>\n      <ip", "<ip"),
    ("ipv4 peerdns", "peerdns='yes'", "peerdns='no'"),
    (
        "ipv6 dhcp",
        "<dhcp peerdns='no'/>\n      <ip address='2001",
        "<ip address='2001",
    ),
    ("ipv6 peerdns", "peerdns='no'", "peerdns='yes'"),
    (
        "bond primary (slave order in active-backup)",
        "name='eth1'><mac address='52:54:00:00:00:02'/></interface>\n      <interface type='ethernet' name='eth2'/>",
        "name='eth2'/>\n      <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/></interface>",
    ),
    ("vlan tag", "tag='7'", "tag='8'"),
    ("vlan name", "name='vlan7'", "name='vlan8'"),
    ("port vlan tag", "tag='9'", "tag='10'"),
    (
        "bridge stp (without STP's own options, which need it)",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "stp='off' delay='2'>\n      <nl:bridge ",
    ),
    ("bridge delay", "delay='2'", "delay='3'"),
    ("bridge port", "name='eth4'", "name='eth8'"),
    (
        "bridge port kind",
        "<interface type='ethernet' name='eth4'/>",
        "<interface type='bond' name='eth4'><bond><interface type='ethernet' name='eth10'/></bond></interface>",
    ),
    // netloom's namespace.
    ("cloned mac", "02:00:00:00:00:0a", "02:00:00:00:00:0b"),
    ("min_links", "min_links='1'", "min_links='2'"),
    ("resend_igmp", "resend_igmp='3'", "resend_igmp='4'"),
    (
        "all_slaves_active",
        "all_slaves_active='no'",
        "all_slaves_active='yes'",
    ),
    ("vlan protocol", "protocol='802.1ad'", "protocol='802.1Q'"),
    ("vlan reorder_hdr", "reorder_hdr='no'", "reorder_hdr='yes'"),
    ("vlan gvrp", "gvrp='yes'", "gvrp='no'"),
    ("vlan mvrp", "mvrp='yes'", "mvrp='no'"),
    (
        "vlan loose_binding",
        "loose_binding='yes'",
        "loose_binding='no'",
    ),
    (
        "bridge multicast_snooping",
        "multicast_snooping='no'",
        "multicast_snooping='yes'",
    ),
];

/// Changes ifcfg files cannot express as NetworkManager reads them: (what, text in BASE,
/// replacement, the refused interface and setting).
const REFUSED: &[(&str, &str, &str, Expect)] = &[
    (
        "bridge stp off with STP's own options",
        "stp='on'",
        "stp='off'",
        Expect::Refused("br0", "<nl:bridge priority='100'/> with STP off"),
    ),
    (
        "bridge delay NetworkManager ignores",
        "delay='2'",
        "delay='1'",
        Expect::Refused("br0", "<bridge stp='on' delay='1'>"),
    ),
];

/// Changes that must NOT change the files, and why they are not settings: netloom's
/// documented position, checked here so it cannot drift silently.
const NOT_SETTINGS: &[(&str, &str, &str)] = &[
    // <link> is status a live system reports (virsh iface-dumpxml --live), not configuration.
    ("link state", "state='up'", "state='down'"),
    // Order carries meaning only for the primary of an active-backup bond; ifcfg keeps one
    // file per device and initscripts reads them in name order.
    (
        "bridge port order",
        "<interface type='ethernet' name='eth4'/>\n      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>",
        "<interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>\n      <interface type='ethernet' name='eth4'/>",
    ),
];

fn render(xml: &str) -> Vec<(String, String)> {
    fields::render(&Ifcfg, xml).unwrap()
}

fields::walk_test!(
    Ifcfg,
    BASE,
    (FIELDS.iter())
        .map(|(w, f, t)| (*w, *f, *t, &Expect::Changes))
        .chain(REFUSED.iter().map(|(w, f, t, e)| (*w, *f, *t, e))),
    NOT_SETTINGS
);

#[test]
fn the_order_of_top_level_interfaces_is_not_a_setting() {
    let base = render(BASE);
    // Nor is the order of top-level interfaces: ifcfg keeps one file per device, and
    // initscripts reads them in name order. Move the vlan to the front.
    let (start, end) = (
        BASE.find("  <interface type='vlan' name='vlan7'>").unwrap(),
        BASE.find("  <interface type='bridge' name='br0'>").unwrap(),
    );
    let vlan = &BASE[start..end];
    let root = "<interfaces xmlns:nl='urn:netloom:xml:1'>\n";
    let moved = BASE
        .replacen(vlan, "", 1)
        .replacen(root, &format!("{root}{vlan}"), 1);
    assert_ne!(moved, BASE);
    assert_eq!(base, render(&moved), "interface order changed the files");
}
