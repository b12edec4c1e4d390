//! Nothing is silently dropped by the Debian backend: a host that sets every field of the
//! model renders without refusal, and changing any one field either changes the rendered
//! files or makes the render fail with a refusal that names that interface and setting.
//! What ifupdown treats the same (status, defaults it already has) is listed in
//! `NOT_SETTINGS` with the reason, and must not change the files.

use netloom::backend::BackendError;
use netloom::backends::debian::Debian;

use crate::util::fields::{self, Expect};

/// A host that sets every field the model has, all of it expressible for ifupdown.
const BASE: &str = r#"<interfaces xmlns:nl='urn:netloom:xml:1'>
  <interface type='ethernet' name='eth0'>
    <start mode='onboot'/>
    <mac address='52:54:00:00:00:01'/>
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
      <interface type='ethernet' name='eth1'><link speed='10000'/></interface>
      <interface type='ethernet' name='eth2'/>
    </bond>
  </interface>
  <interface type='bond' name='bond1'>
    <protocol family='ipv6'/>
    <bond mode='balance-xor'>
      <arpmon interval='200' target='192.0.2.254' validate='backup'/>
      <interface type='ethernet' name='eth3'/>
    </bond>
  </interface>
  <interface type='vlan' name='vlan7'>
    <start mode='hotplug'/>
    <link state='lowerlayerdown'/>
    <vlan tag='7'><interface name='bond0'/></vlan>
  </interface>
  <interface type='bridge' name='br0'>
    <mtu size='9000'/>
    <bridge stp='on' delay='2'>
      <nl:bridge priority='100' hello_time='3' max_age='12' ageing_time='30'/>
      <interface type='ethernet' name='eth4'><mac address='52:54:00:00:00:04'/><link state='down'/></interface>
      <interface type='ethernet' name='eth8'/>
      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>
      <interface type='bond' name='bond2'>
        <bond mode='802.3ad'><interface type='ethernet' name='eth6'/></bond>
      </interface>
    </bridge>
  </interface>
  <interface type='bond' name='bond5'>
    <bond mode='802.3ad'>
      <nl:bond lacp_rate='fast' ad_select='count' xmit_hash_policy='layer3+4' num_grat_arp='2' primary_reselect='better' fail_over_mac='active'/>
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
        Refused("eth0", "<uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>"),
    ),
    ("interface name", "name='eth0'", "name='eth9'", Changes),
    (
        "start onboot",
        "<start mode='onboot'/>",
        "<start mode='hotplug'/>",
        Changes,
    ),
    ("mtu", "<mtu size='1500'/>", "<mtu size='1400'/>", Changes),
    (
        "bridge mtu",
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
        "name='eth1'><link",
        "name='eth1'><mac address='52:54:00:00:00:08'/><link",
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
        Refused("eth0", "<dhcp peerdns='no'/>"),
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
        "ipv6 dhcp",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<ip address='2001",
        Changes,
    ),
    (
        "ipv6 peerdns",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<dhcp peerdns='no'/>\n      <ip address='2001",
        Refused("eth0", "<dhcp peerdns='no'/> in <protocol family='ipv6'>"),
    ),
    (
        "ipv6 prefix absent",
        "2001:db8::11' prefix='64'",
        "2001:db8::11'",
        Changes,
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
        "<interface type='ethernet' name='eth1'><link speed='10000'/></interface>\n      <interface type='ethernet' name='eth2'/>",
        "<interface type='ethernet' name='eth2'/>\n      <interface type='ethernet' name='eth1'><link speed='10000'/></interface>",
        Changes,
    ),
    (
        "vlan tag",
        "tag='7'",
        "tag='8'",
        Refused(
            "vlan7",
            "<interface type='vlan' name='vlan7'> with <vlan tag='8'>",
        ),
    ),
    (
        "vlan tag and name",
        "name='vlan7'>\n    <start mode='hotplug'/>\n    <link state='lowerlayerdown'/>\n    <vlan tag='7'>",
        "name='vlan8'>\n    <start mode='hotplug'/>\n    <link state='lowerlayerdown'/>\n    <vlan tag='8'>",
        Changes,
    ),
    (
        "vlan name",
        "name='vlan7'",
        "name='vlan8'",
        Refused(
            "vlan8",
            "<interface type='vlan' name='vlan8'> with <vlan tag='7'>",
        ),
    ),
    (
        "port vlan tag",
        "tag='9'",
        "tag='10'",
        Refused(
            "eth5.9",
            "<interface type='vlan' name='eth5.9'> with <vlan tag='10'>",
        ),
    ),
    (
        "port vlan parent",
        "<interface name='eth5'/>",
        "<interface name='eth7'/>",
        Refused(
            "eth5.9",
            "<interface type='vlan' name='eth5.9'> with <vlan tag='9'>",
        ),
    ),
    ("bridge stp", "stp='on'", "stp='off'", Changes),
    ("bridge delay", "delay='2'", "delay='0.5'", Changes),
    ("bridge port", "name='eth8'", "name='eth9'", Changes),
    (
        "bridge port order",
        "<interface type='ethernet' name='eth8'/>\n      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>",
        "<interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>\n      <interface type='ethernet' name='eth8'/>",
        Changes,
    ),
    (
        "bridge port kind",
        "<interface type='ethernet' name='eth8'/>",
        "<interface type='bond' name='eth8'><bond><interface type='ethernet' name='eth10'/></bond></interface>",
        Changes,
    ),
    // netloom's namespace: what ifenslave and bridge-utils take, and what they do not.
    (
        "cloned mac",
        "<mac address='52:54:00:00:00:01'/>",
        "<mac address='52:54:00:00:00:01'/><nl:cloned-mac address='02:00:00:00:00:0a'/>",
        Refused("eth0", "<nl:cloned-mac address='02:00:00:00:00:0a'/>"),
    ),
    (
        "port cloned mac",
        "<interface type='ethernet' name='eth8'/>",
        "<interface type='ethernet' name='eth8'><nl:cloned-mac address='02:00:00:00:00:0b'/></interface>",
        Refused("eth8", "<nl:cloned-mac address='02:00:00:00:00:0b'/>"),
    ),
    (
        "min_links",
        "fail_over_mac='active'",
        "fail_over_mac='active' min_links='1'",
        Refused("bond5", "<nl:bond min_links='1'/>"),
    ),
    (
        "all_slaves_active",
        "fail_over_mac='active'",
        "fail_over_mac='active' all_slaves_active='no'",
        Refused("bond5", "<nl:bond all_slaves_active='no'/>"),
    ),
    (
        "resend_igmp",
        "fail_over_mac='active'",
        "fail_over_mac='active' resend_igmp='3'",
        Refused("bond5", "<nl:bond resend_igmp='3'/>"),
    ),
    (
        "port bond option",
        "<bond mode='802.3ad'><interface type='ethernet' name='eth6'/>",
        "<bond mode='802.3ad'><nl:bond lacp_rate='fast'/><interface type='ethernet' name='eth6'/>",
        Changes,
    ),
    (
        "vlan protocol",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan protocol='802.1ad'/>",
        Refused("vlan7", "<nl:vlan protocol='802.1ad'/>"),
    ),
    (
        "vlan reorder_hdr",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan reorder_hdr='no'/>",
        Refused("vlan7", "<nl:vlan reorder_hdr='no'/>"),
    ),
    (
        "vlan gvrp",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan gvrp='yes'/>",
        Refused("vlan7", "<nl:vlan gvrp='yes'/>"),
    ),
    (
        "vlan mvrp",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan mvrp='yes'/>",
        Refused("vlan7", "<nl:vlan mvrp='yes'/>"),
    ),
    (
        "vlan loose_binding",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan loose_binding='yes'/>",
        Refused("vlan7", "<nl:vlan loose_binding='yes'/>"),
    ),
    (
        "port vlan options",
        "<interface name='eth5'/>",
        "<interface name='eth5'/><nl:vlan gvrp='yes'/>",
        Refused("eth5.9", "<nl:vlan gvrp='yes'/>"),
    ),
    (
        "bridge multicast_snooping",
        "ageing_time='30'",
        "ageing_time='30' multicast_snooping='no'",
        Refused("br0", "<nl:bridge multicast_snooping='no'/>"),
    ),
];

/// Changes that must NOT change the files, and why they are not settings to ifupdown:
/// netloom's documented position, checked here so it cannot drift silently.
const NOT_SETTINGS: &[(&str, &str, &str)] = &[
    // Without a prefix, ifupdown's: the class's, which for 192.0.2.10 is the /24 given.
    ("ipv4 prefix absent", " prefix='24'", ""),
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
    // ifupdown brings up only what an `auto` or `allow-*` line names: start none and no
    // start element both write neither.
    (
        "start none vs absent",
        "<interface type='bond' name='bond1'>",
        "<interface type='bond' name='bond1'><start mode='none'/>",
    ),
    // ifupdown's DHCP clients always use the lease's DNS servers: peerdns='yes' is what
    // `inet dhcp` and `inet6 dhcp` do with nothing said.
    (
        "ipv4 peerdns yes vs absent",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<dhcp/>\n      <ip address='192",
    ),
    (
        "ipv6 peerdns yes vs absent",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<dhcp/>\n      <ip address='2001",
    ),
];

fn render(xml: &str) -> Result<Vec<(String, String)>, BackendError> {
    fields::render(&Debian, xml)
}

fields::walk_test!(
    Debian,
    BASE,
    FIELDS.iter().map(|(w, f, t, e)| (*w, *f, *t, e)),
    NOT_SETTINGS
);

#[test]
fn the_base_host_renders_to_these_files() {
    // The walk above only proves differences; this pins what the differences are from.
    let files = render(BASE).unwrap();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert!(names.contains(&"etc/network/interfaces.d/br0"), "{names:?}");
    let br0 = &files
        .iter()
        .find(|(p, _)| p == "etc/network/interfaces.d/br0")
        .unwrap()
        .1;
    assert!(
        br0.ends_with(
            "iface br0 inet manual\n    mtu 9000\n    bridge-ports eth4 eth8 eth5.9 bond2\n    \
             bridge-stp on\n    bridge-fd 2\n    bridge-bridgeprio 100\n    bridge-hello 3\n    \
             bridge-maxage 12\n    bridge-ageing 30\n    pre-up ifup eth4\n    pre-up ifup eth5.9\n    \
             pre-up ifup bond2\n    post-down ifdown eth4\n    post-down ifdown eth5.9\n    \
             post-down ifdown bond2\n\n\
             iface eth4 inet manual\n    hwaddress ether 52:54:00:00:00:04\n    mtu 9000\n\n\
             iface eth5.9 inet manual\n    mtu 9000\n    vlan-raw-device eth5\n\n\
             iface bond2 inet manual\n    mtu 9000\n    bond-slaves eth6\n    bond-mode 802.3ad\n"
        ),
        "{br0}"
    );
    let eth0 = &files
        .iter()
        .find(|(p, _)| p == "etc/network/interfaces.d/eth0")
        .unwrap()
        .1;
    assert!(
        eth0.ends_with(
            "auto eth0\n\
             iface eth0 inet static\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n    \
             hwaddress ether 52:54:00:00:00:01\n    mtu 1500\n\n\
             iface eth0 inet dhcp\n\n\
             iface eth0 inet6 static\n    address 2001:db8::10/64\n    gateway 2001:db8::1\n    \
             accept_ra 1\n    autoconf 1\n\n\
             iface eth0 inet6 static\n    address 2001:db8::11/64\n    autoconf 1\n\n\
             iface eth0 inet6 dhcp\n    autoconf 1\n"
        ),
        "{eth0}"
    );
}
