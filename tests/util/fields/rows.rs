//! The one table of field changes every backend's walk makes, with each backend's outcome.

use super::Expect::{self, Changes, Refused, Same, Skip};

/// A change to a backend's host: (what, text in the host, replacement, the outcome under
/// [ifcfg, Debian, NetworkManager]). Every row says every backend's outcome, so a field
/// added for one backend is weighed for the others.
pub type Row = (&'static str, &'static str, &'static str, [Expect; 3]);

/// Every field of the model, each changed one place at a time, the fields every backend
/// writes first. A backend whose host spells a field otherwise skips the row and has one of
/// its own. Changes that only reorder or touch status, and spellings a backend reads the
/// same, are `Same`: netloom's documented position, checked here so it cannot drift silently.
pub const FIELDS: &[Row] = &[
    // The fields every backend writes.
    (
        "start none",
        "<start mode='none'/>",
        "<start mode='onboot'/>",
        [Changes, Changes, Changes],
    ),
    (
        "start hotplug",
        "<start mode='hotplug'/>",
        "<start mode='none'/>",
        [Changes, Changes, Changes],
    ),
    (
        "mac",
        "52:54:00:00:00:01",
        "52:54:00:00:00:09",
        [Changes, Changes, Changes],
    ),
    (
        "ipv4 address",
        "192.0.2.10",
        "192.0.2.11",
        [Changes, Changes, Changes],
    ),
    (
        "ipv4 prefix",
        "prefix='24'",
        "prefix='25'",
        [Changes, Changes, Changes],
    ),
    (
        "ipv4 gateway",
        "gateway='192.0.2.1'",
        "gateway='192.0.2.2'",
        [Changes, Changes, Changes],
    ),
    (
        "ipv6 autoconf",
        "<autoconf/>",
        "",
        [Changes, Changes, Changes],
    ),
    (
        "ipv6 address",
        "2001:db8::10",
        "2001:db8::12",
        [Changes, Changes, Changes],
    ),
    (
        "ipv6 second address",
        "2001:db8::11",
        "2001:db8::13",
        [Changes, Changes, Changes],
    ),
    (
        "ipv6 prefix",
        "2001:db8::10' prefix='64'",
        "2001:db8::10' prefix='48'",
        [Changes, Changes, Changes],
    ),
    (
        "ipv6 gateway",
        "gateway='2001:db8::1'",
        "gateway='2001:db8::2'",
        [Changes, Changes, Changes],
    ),
    (
        "bond mode",
        "mode='balance-xor'",
        "mode='broadcast'",
        [Changes, Changes, Changes],
    ),
    (
        "miimon freq",
        "freq='100'",
        "freq='150'",
        [Changes, Changes, Changes],
    ),
    (
        "miimon downdelay",
        "downdelay='5'",
        "downdelay='6'",
        [Changes, Changes, Changes],
    ),
    (
        "miimon updelay",
        "updelay='10'",
        "updelay='11'",
        [Changes, Changes, Changes],
    ),
    (
        "miimon carrier",
        "carrier='ioctl'",
        "carrier='netif'",
        [Changes, Changes, Changes],
    ),
    (
        "arpmon interval",
        "interval='200'",
        "interval='300'",
        [Changes, Changes, Changes],
    ),
    (
        "arpmon target",
        "target='192.0.2.254'",
        "target='192.0.2.253'",
        [Changes, Changes, Changes],
    ),
    (
        "arpmon validate",
        "validate='backup'",
        "validate='all'",
        [Changes, Changes, Changes],
    ),
    (
        "slave name",
        "name='eth3'",
        "name='eth7'",
        [Changes, Changes, Changes],
    ),
    (
        "vlan parent",
        "<interface name='bond0'/>",
        "<interface name='bond1'/>",
        [Changes, Changes, Changes],
    ),
    (
        "port bond mode",
        "mode='802.3ad'><interface type='ethernet' name='eth6'/>",
        "mode='balance-tlb'><interface type='ethernet' name='eth6'/>",
        [Changes, Changes, Changes],
    ),
    (
        "lacp_rate",
        "lacp_rate='fast'",
        "lacp_rate='slow'",
        [Changes, Changes, Changes],
    ),
    (
        "ad_select",
        "ad_select='count'",
        "ad_select='bandwidth'",
        [Changes, Changes, Changes],
    ),
    (
        "xmit_hash_policy",
        "xmit_hash_policy='layer3+4'",
        "xmit_hash_policy='encap3+4'",
        [Changes, Changes, Changes],
    ),
    (
        "num_grat_arp",
        "num_grat_arp='2'",
        "num_grat_arp='3'",
        [Changes, Changes, Changes],
    ),
    (
        "primary_reselect",
        "primary_reselect='better'",
        "primary_reselect='failure'",
        [Changes, Changes, Changes],
    ),
    (
        "fail_over_mac",
        "fail_over_mac='active'",
        "fail_over_mac='follow'",
        [Changes, Changes, Changes],
    ),
    (
        "packets_per_slave",
        "packets_per_slave='2'",
        "packets_per_slave='0'",
        [Changes, Changes, Changes],
    ),
    (
        "tlb_dynamic_lb",
        "tlb_dynamic_lb='yes'",
        "tlb_dynamic_lb='no'",
        [Changes, Changes, Changes],
    ),
    (
        "bridge priority",
        "priority='100'",
        "priority='200'",
        [Changes, Changes, Changes],
    ),
    (
        "bridge hello_time",
        "hello_time='3'",
        "hello_time='4'",
        [Changes, Changes, Changes],
    ),
    (
        "bridge max_age",
        "max_age='12'",
        "max_age='13'",
        [Changes, Changes, Changes],
    ),
    (
        "bridge ageing_time",
        "ageing_time='30'",
        "ageing_time='31'",
        [Changes, Changes, Changes],
    ),
    // The profile's UUID=, which NetworkManager otherwise derives from the file's path.
    (
        "interface uuid",
        "name='eth0'>\n    <start mode='onboot'/>",
        "name='eth0'>\n    <uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>\n    <start mode='onboot'/>",
        [
            Changes,
            Refused("eth0", "<uuid>8d3f2a1c-5b6e-4c7d-9e0f-1a2b3c4d5e6f</uuid>"),
            Changes,
        ],
    ),
    (
        "interface name",
        "name='eth0'",
        "name='eth7'",
        [Changes, Changes, Changes],
    ),
    // ifupdown brings up only what an `auto` or `allow-*` line names: start none and no
    // start element both write neither.
    (
        "start absent",
        "<interface type='bond' name='bond1'>",
        "<interface type='bond' name='bond1'><start mode='none'/>",
        [Changes, Same, Changes],
    ),
    (
        "mtu",
        "<mtu size='1500'/>",
        "<mtu size='1400'/>",
        [Changes, Changes, Changes],
    ),
    (
        "bridge mtu (carried by its ports too)",
        "<mtu size='9000'/>",
        "<mtu size='1500'/>",
        [Skip, Changes, Changes],
    ),
    (
        "port mac",
        "52:54:00:00:00:04",
        "52:54:00:00:00:05",
        [Skip, Changes, Changes],
    ),
    (
        "slave mac",
        "52:54:00:00:00:02",
        "52:54:00:00:00:08",
        [Changes, Skip, Changes],
    ),
    (
        "slave mac",
        "name='eth1'><link",
        "name='eth1'><mac address='52:54:00:00:00:08'/><link",
        [Skip, Changes, Skip],
    ),
    (
        "ipv4 dhcp",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<ip address='192",
        [Changes, Changes, Changes],
    ),
    (
        "ipv4 peerdns",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<dhcp peerdns='no'/>\n      <ip address='192",
        [Changes, Refused("eth0", "<dhcp peerdns='no'/>"), Changes],
    ),
    (
        "ipv6 dhcp",
        "<dhcp peerdns='no'/>\n      <ip address='2001",
        "<ip address='2001",
        [Changes, Skip, Skip],
    ),
    // Without a prefix, ifupdown's: the class's, which for 192.0.2.10 is the /24 given.
    (
        "ipv4 prefix absent",
        " prefix='24'",
        "",
        [
            Skip,
            Same,
            Refused("eth0", "<ip address='192.0.2.10'> without a prefix"),
        ],
    ),
    (
        "ipv4 gateway without a static address",
        "<ip address='192.0.2.10' prefix='24'/>",
        "",
        [
            Skip,
            Refused(
                "eth0",
                "<route gateway='192.0.2.1'> with DHCP and no static address",
            ),
            Refused(
                "eth0",
                "<route gateway='192.0.2.1'> with DHCP and no static address",
            ),
        ],
    ),
    (
        "ipv6 peerdns",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<dhcp peerdns='no'/>\n      <ip address='2001",
        [
            Skip,
            Refused("eth0", "<dhcp peerdns='no'/> in <protocol family='ipv6'>"),
            Changes,
        ],
    ),
    (
        "ipv6 peerdns",
        "peerdns='no'",
        "peerdns='yes'",
        [Changes, Skip, Skip],
    ),
    (
        "ipv6 dhcp without autoconf",
        "<protocol family='ipv6'><dhcp/></protocol>",
        "<protocol family='ipv6'></protocol>",
        [Skip, Skip, Changes],
    ),
    (
        "ipv6 prefix absent",
        "2001:db8::11' prefix='64'",
        "2001:db8::11'",
        [
            Skip,
            Changes,
            Refused("eth0", "<ip address='2001:db8::11'> without a prefix"),
        ],
    ),
    (
        "ipv6 gateway without a static address",
        "<ip address='2001:db8::10' prefix='64'/>\n      <ip address='2001:db8::11' prefix='64'/>",
        "",
        [
            Skip,
            Refused(
                "eth0",
                "<route gateway='2001:db8::1'> with DHCP and no static address",
            ),
            Refused(
                "eth0",
                "<route gateway='2001:db8::1'> with DHCP and no static address",
            ),
        ],
    ),
    (
        "ipv6 protocol with nothing in it",
        "<protocol family='ipv6'/>",
        "",
        [Skip, Changes, Changes],
    ),
    (
        "bond primary (slave order in active-backup)",
        "<interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/><link speed='10000'/></interface>\n      <interface type='ethernet' name='eth2'/>",
        "<interface type='ethernet' name='eth2'/>\n      <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/><link speed='10000'/></interface>",
        [Skip, Skip, Changes],
    ),
    (
        "bond primary (slave order in active-backup)",
        "name='eth1'><mac address='52:54:00:00:00:02'/></interface>\n      <interface type='ethernet' name='eth2'/>",
        "name='eth2'/>\n      <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/></interface>",
        [Changes, Skip, Skip],
    ),
    (
        "bond primary (slave order in active-backup)",
        "<interface type='ethernet' name='eth1'><link speed='10000'/></interface>\n      <interface type='ethernet' name='eth2'/>",
        "<interface type='ethernet' name='eth2'/>\n      <interface type='ethernet' name='eth1'><link speed='10000'/></interface>",
        [Skip, Changes, Skip],
    ),
    (
        "arpmon in a mode without ARP monitoring",
        "mode='balance-xor'",
        "mode='802.3ad'",
        [
            Skip,
            Skip,
            Refused("bond1", "<bond mode='802.3ad'> with <arpmon>"),
        ],
    ),
    (
        "vlan tag",
        "tag='7'",
        "tag='8'",
        [
            Changes,
            Refused(
                "vlan7",
                "<interface type='vlan' name='vlan7'> with <vlan tag='8'>",
            ),
            Changes,
        ],
    ),
    (
        "vlan tag and name",
        "name='vlan7'>\n    <start mode='hotplug'/>\n    <link state='lowerlayerdown'/>\n    <vlan tag='7'>",
        "name='vlan8'>\n    <start mode='hotplug'/>\n    <link state='lowerlayerdown'/>\n    <vlan tag='8'>",
        [Skip, Changes, Skip],
    ),
    (
        "vlan tag 4095",
        "tag='7'",
        "tag='4095'",
        [Skip, Skip, Refused("vlan7", "<vlan tag='4095'>")],
    ),
    (
        "vlan name",
        "name='vlan7'",
        "name='vlan8'",
        [
            Changes,
            Refused(
                "vlan8",
                "<interface type='vlan' name='vlan8'> with <vlan tag='7'>",
            ),
            Changes,
        ],
    ),
    (
        "port vlan tag",
        "tag='9'",
        "tag='10'",
        [
            Changes,
            Refused(
                "eth5.9",
                "<interface type='vlan' name='eth5.9'> with <vlan tag='10'>",
            ),
            Changes,
        ],
    ),
    (
        "port vlan parent",
        "<interface name='eth5'/>",
        "<interface name='eth7'/>",
        [
            Skip,
            Refused(
                "eth5.9",
                "<interface type='vlan' name='eth5.9'> with <vlan tag='9'>",
            ),
            Changes,
        ],
    ),
    (
        "bridge stp (without STP's own options, which need it)",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "stp='off' delay='2'>\n      <nl:bridge ",
        [Changes, Skip, Changes],
    ),
    (
        "bridge stp off with STP's own options",
        "stp='on'",
        "stp='off'",
        [
            Refused("br0", "<nl:bridge priority='100'/> with STP off"),
            Changes,
            Refused("br0", "<nl:bridge priority='100'/> with STP off"),
        ],
    ),
    (
        "bridge delay",
        "delay='2'",
        "delay='3'",
        [Changes, Skip, Changes],
    ),
    (
        "bridge delay",
        "delay='2'",
        "delay='0.5'",
        [Skip, Changes, Skip],
    ),
    (
        "bridge delay in fractions",
        "delay='2'",
        "delay='2.5'",
        [Skip, Skip, Refused("br0", "<bridge delay='2.5'>")],
    ),
    (
        "bridge delay below 2",
        "delay='2'",
        "delay='1'",
        [
            Refused("br0", "<bridge stp='on' delay='1'>"),
            Skip,
            Refused("br0", "<bridge delay='1'>"),
        ],
    ),
    (
        "bridge delay 0 with STP on",
        "delay='2'",
        "delay='0'",
        [Skip, Skip, Refused("br0", "<bridge delay='0'>")],
    ),
    (
        "bridge delay 0 with STP unsaid (off, as netloom writes it)",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "delay='0'>\n      <nl:bridge ",
        [Skip, Skip, Changes],
    ),
    (
        "bridge delay 0 with STP off",
        "stp='on' delay='2'>\n      <nl:bridge priority='100' hello_time='3' max_age='12' ",
        "stp='off' delay='0'>\n      <nl:bridge ",
        [Skip, Skip, Changes],
    ),
    (
        "bridge port",
        "name='eth8'",
        "name='eth7'",
        [Skip, Changes, Changes],
    ),
    (
        "bridge port",
        "name='eth4'",
        "name='eth8'",
        [Changes, Skip, Skip],
    ),
    (
        "bridge port kind",
        "<interface type='ethernet' name='eth8'/>",
        "<interface type='bond' name='eth8'><bond><interface type='ethernet' name='eth10'/></bond></interface>",
        [Skip, Changes, Changes],
    ),
    (
        "bridge port kind",
        "<interface type='ethernet' name='eth4'/>",
        "<interface type='bond' name='eth4'><bond><interface type='ethernet' name='eth10'/></bond></interface>",
        [Changes, Skip, Skip],
    ),
    (
        "a name NetworkManager reserves",
        "name='eth8'",
        "name='all'",
        [Skip, Skip, Refused("all", "<interface name='all'>")],
    ),
    (
        "a name that makes a hidden keyfile",
        "name='eth8'",
        "name='.eth8'",
        [Skip, Skip, Refused(".eth8", "<interface name='.eth8'>")],
    ),
    // netloom's namespace.
    (
        "cloned mac",
        "02:00:00:00:00:0a",
        "02:00:00:00:00:0b",
        [Changes, Skip, Changes],
    ),
    // What ifenslave and bridge-utils take of netloom's namespace, and what they do not.
    (
        "cloned mac",
        "<mac address='52:54:00:00:00:01'/>",
        "<mac address='52:54:00:00:00:01'/><nl:cloned-mac address='02:00:00:00:00:0a'/>",
        [
            Skip,
            Refused("eth0", "<nl:cloned-mac address='02:00:00:00:00:0a'/>"),
            Skip,
        ],
    ),
    (
        "port cloned mac",
        "<interface type='ethernet' name='eth8'/>",
        "<interface type='ethernet' name='eth8'><nl:cloned-mac address='02:00:00:00:00:0b'/></interface>",
        [
            Skip,
            Refused("eth8", "<nl:cloned-mac address='02:00:00:00:00:0b'/>"),
            Skip,
        ],
    ),
    (
        "min_links",
        "min_links='1'",
        "min_links='2'",
        [Changes, Skip, Changes],
    ),
    (
        "min_links",
        "fail_over_mac='active'",
        "fail_over_mac='active' min_links='1'",
        [Skip, Refused("bond5", "<nl:bond min_links='1'/>"), Skip],
    ),
    (
        "resend_igmp",
        "resend_igmp='3'",
        "resend_igmp='4'",
        [Changes, Skip, Changes],
    ),
    (
        "resend_igmp",
        "fail_over_mac='active'",
        "fail_over_mac='active' resend_igmp='3'",
        [Skip, Refused("bond5", "<nl:bond resend_igmp='3'/>"), Skip],
    ),
    (
        "port bond option",
        "<bond mode='802.3ad'><interface type='ethernet' name='eth6'/>",
        "<bond mode='802.3ad'><nl:bond lacp_rate='fast'/><interface type='ethernet' name='eth6'/>",
        [Skip, Changes, Skip],
    ),
    (
        "all_slaves_active",
        "all_slaves_active='no'",
        "all_slaves_active='yes'",
        [Changes, Skip, Changes],
    ),
    (
        "all_slaves_active",
        "fail_over_mac='active'",
        "fail_over_mac='active' all_slaves_active='no'",
        [
            Skip,
            Refused("bond5", "<nl:bond all_slaves_active='no'/>"),
            Skip,
        ],
    ),
    (
        "vlan protocol",
        "protocol='802.1ad'",
        "protocol='802.1Q'",
        [Changes, Skip, Changes],
    ),
    (
        "vlan protocol",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan protocol='802.1ad'/>",
        [
            Skip,
            Refused("vlan7", "<nl:vlan protocol='802.1ad'/>"),
            Skip,
        ],
    ),
    (
        "vlan reorder_hdr",
        "reorder_hdr='no'",
        "reorder_hdr='yes'",
        [Changes, Skip, Changes],
    ),
    (
        "vlan reorder_hdr",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan reorder_hdr='no'/>",
        [Skip, Refused("vlan7", "<nl:vlan reorder_hdr='no'/>"), Skip],
    ),
    (
        "vlan gvrp",
        "gvrp='yes'",
        "gvrp='no'",
        [Changes, Skip, Changes],
    ),
    (
        "vlan gvrp",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan gvrp='yes'/>",
        [Skip, Refused("vlan7", "<nl:vlan gvrp='yes'/>"), Skip],
    ),
    (
        "vlan mvrp",
        "mvrp='yes'",
        "mvrp='no'",
        [Changes, Skip, Changes],
    ),
    (
        "vlan mvrp",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan mvrp='yes'/>",
        [Skip, Refused("vlan7", "<nl:vlan mvrp='yes'/>"), Skip],
    ),
    (
        "vlan loose_binding",
        "loose_binding='yes'",
        "loose_binding='no'",
        [Changes, Skip, Changes],
    ),
    (
        "vlan loose_binding",
        "<vlan tag='7'><interface name='bond0'/>",
        "<vlan tag='7'><interface name='bond0'/><nl:vlan loose_binding='yes'/>",
        [
            Skip,
            Refused("vlan7", "<nl:vlan loose_binding='yes'/>"),
            Skip,
        ],
    ),
    (
        "port vlan options",
        "<interface name='eth5'/>",
        "<interface name='eth5'/><nl:vlan gvrp='yes'/>",
        [Skip, Refused("eth5.9", "<nl:vlan gvrp='yes'/>"), Skip],
    ),
    (
        "bridge multicast_snooping",
        "multicast_snooping='no'",
        "multicast_snooping='yes'",
        [Changes, Skip, Changes],
    ),
    (
        "bridge multicast_snooping",
        "ageing_time='30'",
        "ageing_time='30' multicast_snooping='no'",
        [
            Skip,
            Refused("br0", "<nl:bridge multicast_snooping='no'/>"),
            Skip,
        ],
    ),
    // <link> is status a live system reports (virsh iface-dumpxml --live), not configuration.
    (
        "link speed",
        "speed='1000'",
        "speed='100'",
        [Same, Same, Same],
    ),
    (
        "link state",
        "state='up'/>\n    <mtu",
        "state='down'/>\n    <mtu",
        [Same, Same, Same],
    ),
    (
        "bond link",
        "<link state='up'/>\n    <bond",
        "<bond",
        [Skip, Same, Same],
    ),
    (
        "slave link",
        "<link speed='10000'/>",
        "",
        [Skip, Same, Same],
    ),
    (
        "vlan link",
        "<link state='lowerlayerdown'/>",
        "",
        [Skip, Same, Same],
    ),
    ("port link", "<link state='down'/>", "", [Skip, Same, Same]),
    // An autoconnect profile comes up at boot and whenever its device appears: onboot,
    // hotplug and no <start> are all `autoconnect`, which is NetworkManager's default.
    (
        "start onboot vs hotplug",
        "<start mode='onboot'/>",
        "<start mode='hotplug'/>",
        [Changes, Changes, Same],
    ),
    (
        "start onboot vs absent",
        "<start mode='onboot'/>\n    <mac",
        "<mac",
        [Skip, Skip, Same],
    ),
    // NetworkManager uses the DNS servers DHCP offers unless told to ignore them.
    // ifupdown's DHCP clients always use the lease's DNS servers: peerdns='yes' is what
    // `inet dhcp` and `inet6 dhcp` do with nothing said.
    (
        "ipv4 peerdns yes vs absent",
        "<dhcp peerdns='yes'/>\n      <ip address='192",
        "<dhcp/>\n      <ip address='192",
        [Skip, Same, Same],
    ),
    (
        "ipv6 peerdns yes vs absent",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<dhcp/>\n      <ip address='2001",
        [Skip, Same, Skip],
    ),
    // IPv6 `auto` runs DHCPv6 whenever the router's advertisement asks for it; there is no
    // separate switch for DHCPv6 beside SLAAC.
    (
        "ipv6 dhcp beside autoconf",
        "<dhcp peerdns='yes'/>\n      <ip address='2001",
        "<ip address='2001",
        [Skip, Changes, Same],
    ),
    // One keyfile per device: their order is the file names'.
    (
        "bridge port order",
        "<interface type='ethernet' name='eth8'/>\n      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>",
        "<interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>\n      <interface type='ethernet' name='eth8'/>",
        [Skip, Changes, Same],
    ),
    // Order carries meaning only for the primary of an active-backup bond; ifcfg keeps one
    // file per device and initscripts reads them in name order.
    (
        "bridge port order",
        "<interface type='ethernet' name='eth4'/>\n      <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>",
        "<interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>\n      <interface type='ethernet' name='eth4'/>",
        [Same, Skip, Skip],
    ),
    (
        "slave order outside active-backup",
        "<interface type='ethernet' name='eth6'/><interface type='ethernet' name='eth9'/>",
        "<interface type='ethernet' name='eth9'/><interface type='ethernet' name='eth6'/>",
        [Skip, Skip, Same],
    ),
];

#[test]
fn every_row_is_walked_for_some_backend() {
    for (what, _, _, outcomes) in FIELDS {
        assert!(
            outcomes.iter().any(|o| !matches!(o, Skip)),
            "{what}: every backend skips it"
        );
    }
}
