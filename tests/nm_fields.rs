//! Nothing is silently dropped by the NetworkManager backend: a host that sets every field
//! of the model renders without refusal, and changing any one field either changes the
//! keyfiles or makes the render fail with a refusal that names that interface and setting.
//! What NetworkManager treats the same (status, its defaults) is listed in `NOT_SETTINGS`
//! with the reason, and must not change the keyfiles.

use netloom::backends::nm::Nm;

use crate::util::fields::{self, Expect};

/// A host that sets every field the model has, all of it expressible for NetworkManager.
pub const BASE: &str = r#"<interfaces xmlns:nl='urn:netloom:xml:1'>
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
      <dhcp peerdns='yes'/>
      <ip address='2001:db8::10' prefix='64'/>
      <ip address='2001:db8::11' prefix='64'/>
      <route gateway='2001:db8::1'/>
    </protocol>
  </interface>
  <interface type='bond' name='bond0'>
    <start mode='none'/>
    <link state='up'/>
    <bond mode='active-backup'>
      <miimon freq='100' downdelay='5' updelay='10' carrier='ioctl'/>
      <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/><link speed='10000'/></interface>
      <interface type='ethernet' name='eth2'/>
    </bond>
  </interface>
  <interface type='bond' name='bond1'>
    <protocol family='ipv6'><dhcp/></protocol>
    <bond mode='balance-xor'>
      <arpmon interval='200' target='192.0.2.254' validate='backup'/>
      <interface type='ethernet' name='eth3'/>
    </bond>
  </interface>
  <interface type='vlan' name='vlan7'>
    <start mode='hotplug'/>
    <link state='lowerlayerdown'/>
    <protocol family='ipv6'/>
    <vlan tag='7'><interface name='bond0'/><nl:vlan protocol='802.1ad' reorder_hdr='no' gvrp='yes' mvrp='yes' loose_binding='yes'/></vlan>
  </interface>
  <interface type='bridge' name='br0'>
    <mtu size='9000'/>
    <bridge stp='on' delay='2'>
      <nl:bridge priority='100' hello_time='3' max_age='12' ageing_time='30' multicast_snooping='no'/>
      <interface type='ethernet' name='eth4'><mac address='52:54:00:00:00:04'/><link state='down'/></interface>
      <interface type='ethernet' name='eth8'/>
      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>
      <interface type='bond' name='bond2'>
        <bond mode='802.3ad'><interface type='ethernet' name='eth6'/><interface type='ethernet' name='eth9'/></bond>
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

use Expect::{Changes, Refused};

/// One field each: (what, text in BASE, replacement, outcome).
const FIELDS: &[(&str, &str, &str, Expect)] = &[
    (
        "interface uuid",
        "name='eth0'>\n    <start mode='onboot'/>",
        "name='eth0'>\n    <uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>\n    <start mode='onboot'/>",
        Changes,
    ),
    ("interface name", "name='eth0'", "name='eth7'", Changes),
    (
        "start absent",
        "<interface type='bond' name='bond1'>",
        "<interface type='bond' name='bond1'><start mode='none'/>",
        Changes,
    ),
    ("mtu", "<mtu size='1500'/>", "<mtu size='1400'/>", Changes),
    (
        "bridge mtu (carried by its ports too)",
        "<mtu size='9000'/>",
        "<mtu size='1500'/>",
        Changes,
    ),
    (
        "port mac",
        "52:54:00:00:00:04",
        "52:54:00:00:00:05",
        Changes,
    ),
    (
        "slave mac",
        "52:54:00:00:00:02",
        "52:54:00:00:00:08",
        Changes,
    ),
    (
        "ipv4 dhcp",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<ip address='192",
        Changes,
    ),
    (
        "ipv4 peerdns",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<dhcp peerdns='no'/>\n      <ip address='192",
        Changes,
    ),
    (
        "ipv4 prefix absent",
        " prefix='24'",
        "",
        Refused("eth0", "<ip address='192.0.2.10'> without a prefix"),
    ),
    (
        "ipv4 gateway without a static address",
        "<ip address='192.0.2.10' prefix='24'/>",
        "",
        Refused(
            "eth0",
            "<route gateway='192.0.2.1'> with DHCP and no static address",
        ),
    ),
    (
        "ipv6 peerdns",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<dhcp peerdns='no'/>\n      <ip address='2001",
        Changes,
    ),
    (
        "ipv6 dhcp without autoconf",
        "<protocol family='ipv6'><dhcp/></protocol>",
        "<protocol family='ipv6'></protocol>",
        Changes,
    ),
    (
        "ipv6 prefix absent",
        "2001:db8::11' prefix='64'",
        "2001:db8::11'",
        Refused("eth0", "<ip address='2001:db8::11'> without a prefix"),
    ),
    (
        "ipv6 gateway without a static address",
        "<ip address='2001:db8::10' prefix='64'/>\n      <ip address='2001:db8::11' prefix='64'/>",
        "",
        Refused(
            "eth0",
            "<route gateway='2001:db8::1'> with DHCP and no static address",
        ),
    ),
    (
        "ipv6 protocol with nothing in it",
        "<protocol family='ipv6'/>",
        "",
        Changes,
    ),
    (
        "bond primary (slave order in active-backup)",
        "<interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/><link speed='10000'/></interface>\n      <interface type='ethernet' name='eth2'/>",
        "<interface type='ethernet' name='eth2'/>\n      <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/><link speed='10000'/></interface>",
        Changes,
    ),
    (
        "arpmon in a mode without ARP monitoring",
        "mode='balance-xor'",
        "mode='802.3ad'",
        Refused("bond1", "<bond mode='802.3ad'> with <arpmon>"),
    ),
    ("vlan tag", "tag='7'", "tag='8'", Changes),
    (
        "vlan tag 4095",
        "tag='7'",
        "tag='4095'",
        Refused("vlan7", "<vlan tag='4095'>"),
    ),
    ("vlan name", "name='vlan7'", "name='vlan8'", Changes),
    ("port vlan tag", "tag='9'", "tag='10'", Changes),
    (
        "port vlan parent",
        "<interface name='eth5'/>",
        "<interface name='eth7'/>",
        Changes,
    ),
    (
        "bridge stp (without STP's own options, which need it)",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "stp='off' delay='2'>\n      <nl:bridge ",
        Changes,
    ),
    (
        "bridge stp off with STP's own options",
        "stp='on'",
        "stp='off'",
        Refused("br0", "<nl:bridge priority='100'/> with STP off"),
    ),
    ("bridge delay", "delay='2'", "delay='3'", Changes),
    (
        "bridge delay in fractions",
        "delay='2'",
        "delay='2.5'",
        Refused("br0", "<bridge delay='2.5'>"),
    ),
    (
        "bridge delay below 2",
        "delay='2'",
        "delay='1'",
        Refused("br0", "<bridge delay='1'>"),
    ),
    (
        "bridge delay 0 with STP on",
        "delay='2'",
        "delay='0'",
        Refused("br0", "<bridge delay='0'>"),
    ),
    (
        "bridge delay 0 with STP unsaid (off, as netloom writes it)",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "delay='0'>\n      <nl:bridge ",
        Changes,
    ),
    (
        "bridge delay 0 with STP off",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "stp='off' delay='0'>\n      <nl:bridge ",
        Changes,
    ),
    ("bridge port", "name='eth8'", "name='eth7'", Changes),
    (
        "bridge port kind",
        "<interface type='ethernet' name='eth8'/>",
        "<interface type='bond' name='eth8'><bond><interface type='ethernet' name='eth10'/></bond></interface>",
        Changes,
    ),
    (
        "a name NetworkManager reserves",
        "name='eth8'",
        "name='all'",
        Refused("all", "<interface name='all'>"),
    ),
    (
        "a name that makes a hidden keyfile",
        "name='eth8'",
        "name='.eth8'",
        Refused(".eth8", "<interface name='.eth8'>"),
    ),
    // netloom's namespace.
    (
        "cloned mac",
        "02:00:00:00:00:0a",
        "02:00:00:00:00:0b",
        Changes,
    ),
    ("min_links", "min_links='1'", "min_links='2'", Changes),
    ("resend_igmp", "resend_igmp='3'", "resend_igmp='4'", Changes),
    (
        "all_slaves_active",
        "all_slaves_active='no'",
        "all_slaves_active='yes'",
        Changes,
    ),
    (
        "vlan protocol",
        "protocol='802.1ad'",
        "protocol='802.1Q'",
        Changes,
    ),
    (
        "vlan reorder_hdr",
        "reorder_hdr='no'",
        "reorder_hdr='yes'",
        Changes,
    ),
    ("vlan gvrp", "gvrp='yes'", "gvrp='no'", Changes),
    ("vlan mvrp", "mvrp='yes'", "mvrp='no'", Changes),
    (
        "vlan loose_binding",
        "loose_binding='yes'",
        "loose_binding='no'",
        Changes,
    ),
    (
        "bridge multicast_snooping",
        "multicast_snooping='no'",
        "multicast_snooping='yes'",
        Changes,
    ),
];

/// Changes that must NOT change the keyfiles, and why they are not settings to
/// NetworkManager: netloom's documented position, checked here so it cannot drift silently.
const NOT_SETTINGS: &[(&str, &str, &str)] = &[
    // <link> is status a live system reports (virsh iface-dumpxml --live), not configuration.
    (
        "link state",
        "state='up'/>\n    <mtu",
        "state='down'/>\n    <mtu",
    ),
    ("bond link", "<link state='up'/>\n    <bond", "<bond"),
    ("slave link", "<link speed='10000'/>", ""),
    ("vlan link", "<link state='lowerlayerdown'/>", ""),
    ("port link", "<link state='down'/>", ""),
    // An autoconnect profile comes up at boot and whenever its device appears: onboot,
    // hotplug and no <start> are all `autoconnect`, which is NetworkManager's default.
    (
        "start onboot vs hotplug",
        "<start mode='onboot'/>",
        "<start mode='hotplug'/>",
    ),
    (
        "start onboot vs absent",
        "<start mode='onboot'/>\n    <mac",
        "<mac",
    ),
    // NetworkManager uses the DNS servers DHCP offers unless told to ignore them.
    (
        "ipv4 peerdns yes vs absent",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<dhcp/>\n      <ip address='192",
    ),
    // IPv6 `auto` runs DHCPv6 whenever the router's advertisement asks for it; there is no
    // separate switch for DHCPv6 beside SLAAC.
    (
        "ipv6 dhcp beside autoconf",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<ip address='2001",
    ),
    // One keyfile per device: their order is the file names'.
    (
        "bridge port order",
        "<interface type='ethernet' name='eth8'/>\n      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>",
        "<interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>\n      <interface type='ethernet' name='eth8'/>",
    ),
    (
        "slave order outside active-backup",
        "<interface type='ethernet' name='eth6'/><interface type='ethernet' name='eth9'/>",
        "<interface type='ethernet' name='eth9'/><interface type='ethernet' name='eth6'/>",
    ),
];

fields::walk_test!(
    Nm,
    BASE,
    FIELDS.iter().map(|(w, f, t, e)| (*w, *f, *t, e)),
    NOT_SETTINGS
);

/// Two spellings of BASE that must render the same keyfiles.
fn same_files(from: &str, a: &str, b: &str) {
    fields::same_files(&Nm, BASE, from, a, b);
}

#[test]
fn network_managers_defaults_are_not_settings_of_their_own() {
    // 15 s is NetworkManager's forward delay when none is given.
    same_files(" delay='2'", " delay='15'", " ");
    // A bridge without STP has it off, as under ifcfg and ifupdown, said as `stp=false`
    // (NetworkManager's own default is on).
    let stp_on =
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ";
    same_files(
        stp_on,
        "stp='off' delay='2'>\n      <nl:bridge ",
        "delay='2'>\n      <nl:bridge ",
    );
    // balance-rr is the bonding driver's default mode, which NetworkManager writes when a
    // bond has none.
    same_files(
        "<bond mode='balance-xor'>",
        "<bond mode='balance-rr'>",
        "<bond >",
    );
    // A bridge's and a vlan's options at NetworkManager's defaults: `vlan.flags` has a bit
    // for each flag, set or not, and headers are reordered unless said otherwise.
    let bridge = "<nl:bridge priority='100' hello_time='3' max_age='12' ageing_time='30' multicast_snooping='no'/>";
    same_files(
        bridge,
        "<nl:bridge priority='32768' hello_time='2' max_age='20' ageing_time='300' multicast_snooping='yes'/>",
        "",
    );
    let vlan =
        "<nl:vlan protocol='802.1ad' reorder_hdr='no' gvrp='yes' mvrp='yes' loose_binding='yes'/>";
    same_files(
        vlan,
        "<nl:vlan reorder_hdr='yes' gvrp='no' mvrp='no' loose_binding='no'/>",
        "",
    );
}

#[test]
fn the_base_host_renders_to_these_files() {
    // The walk above only proves differences; this pins what the differences are from.
    let files = fields::render(&Nm, BASE).unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.trim_start_matches("etc/NetworkManager/system-connections/"))
        .collect();
    assert_eq!(
        names,
        [
            "bond0.nmconnection",
            "bond1.nmconnection",
            "bond2.nmconnection",
            "bond5.nmconnection",
            "bond6.nmconnection",
            "bond7.nmconnection",
            "br0.nmconnection",
            "eth0.nmconnection",
            "eth1.nmconnection",
            "eth2.nmconnection",
            "eth20.nmconnection",
            "eth21.nmconnection",
            "eth22.nmconnection",
            "eth3.nmconnection",
            "eth4.nmconnection",
            "eth5.9.nmconnection",
            "eth6.nmconnection",
            "eth8.nmconnection",
            "eth9.nmconnection",
            "vlan7.nmconnection",
        ]
    );
    let file = |name: &str| {
        let path = format!("etc/NetworkManager/system-connections/{name}.nmconnection");
        files.iter().find(|(p, _)| *p == path).unwrap().1.clone()
    };
    let eth0 = file("eth0");
    assert!(
        eth0.ends_with(
            "[ethernet]\ncloned-mac-address=02:00:00:00:00:0A\nmac-address=52:54:00:00:00:01\n\
             mtu=1500\n\n\
             [ipv4]\naddress1=192.0.2.10/24,192.0.2.1\nmethod=auto\n\n\
             [ipv6]\naddr-gen-mode=default\naddress1=2001:db8::10/64,2001:db8::1\n\
             address2=2001:db8::11/64\nmethod=auto\n\n[proxy]\n"
        ),
        "{eth0}"
    );
    let bond2 = file("bond2");
    assert!(
        bond2.ends_with(
            "slave-type=bridge\n\n[ethernet]\nmtu=9000\n\n[bond]\nmode=802.3ad\n\n[bridge-port]\n"
        ),
        "{bond2}"
    );
    let eth1 = file("eth1");
    assert!(
        eth1.contains("type=ethernet\nautoconnect=false\n") && eth1.contains("slave-type=bond\n"),
        "{eth1}"
    );
}
