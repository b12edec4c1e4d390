//! One test per mapping rule of the module doc, each on exact text.

use super::*;

fn host(xml: &str) -> Interface {
    let mut host = crate::xml::read_str("t.xml", xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(host.interfaces.len(), 1);
    host.interfaces.remove(0)
}

fn render(xml: &str) -> String {
    let out = interface_file(&host(xml)).unwrap_or_else(|r| panic!("refused: {r:?}"));
    let out = out.text().unwrap();
    out.strip_prefix(HEADER)
        .unwrap_or_else(|| panic!("no header:\n{out}"))
        .to_owned()
}

fn refused(xml: &str) -> Vec<(String, String)> {
    interface_file(&host(xml))
        .expect_err("must be refused")
        .into_iter()
        .map(|r| {
            assert!(!r.why.is_empty());
            (r.interface, r.setting)
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn header_start_line_and_stanza_layout() {
    let out = interface_file(&host(
        "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>",
    ))
    .unwrap()
    .text()
    .unwrap();
    assert_eq!(out, format!("{HEADER}auto eth0\niface eth0 inet manual\n"));
}

#[test]
fn start_modes() {
    let with = |start: &str| {
        render(&format!(
            "<interface type='ethernet' name='eth0'>{start}</interface>"
        ))
    };
    assert_eq!(
        with("<start mode='onboot'/>"),
        "auto eth0\niface eth0 inet manual\n"
    );
    assert_eq!(
        with("<start mode='hotplug'/>"),
        "allow-hotplug eth0\niface eth0 inet manual\n"
    );
    // To ifupdown, none and absent both mean "only by hand".
    assert_eq!(with("<start mode='none'/>"), "iface eth0 inet manual\n");
    assert_eq!(with(""), "iface eth0 inet manual\n");
}

#[test]
fn ipv4_static_addresses_are_repeated_stanzas_with_the_gateway_in_the_first() {
    let out = render(
        "<interface type='ethernet' name='eth0'>
          <protocol family='ipv4'>
            <ip address='192.0.2.10' prefix='24'/>
            <ip address='10.1.2.3'/>
            <route gateway='192.0.2.1'/>
            <dhcp/>
          </protocol>
        </interface>",
    );
    assert_eq!(
        out,
        "iface eth0 inet static\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n\n\
         iface eth0 inet static\n    address 10.1.2.3/8\n\n\
         iface eth0 inet dhcp\n"
    );
}

#[test]
fn dhcp_with_peerdns_yes_writes_the_default() {
    let out = render(
        "<interface type='ethernet' name='eth0'>
          <protocol family='ipv4'><dhcp peerdns='yes'/></protocol>
          <protocol family='ipv6'><dhcp peerdns='yes'/></protocol>
        </interface>",
    );
    assert_eq!(
        out,
        "iface eth0 inet dhcp\n\niface eth0 inet6 dhcp\n    autoconf 0\n"
    );
}

#[test]
fn ipv6_static_addresses_carry_autoconf_and_the_gateway_keeps_ras_for_slaac() {
    let out = render(
        "<interface type='ethernet' name='eth0'>
          <protocol family='ipv6'>
            <autoconf/>
            <ip address='2001:db8::10' prefix='64'/>
            <ip address='2001:DB8:1::10'/>
            <route gateway='fe80::1'/>
          </protocol>
        </interface>",
    );
    assert_eq!(
        out,
        "iface eth0 inet6 static\n    address 2001:db8::10/64\n    gateway fe80::1\n    \
         accept_ra 1\n    autoconf 1\n\n\
         iface eth0 inet6 static\n    address 2001:db8:1::10/128\n    autoconf 1\n"
    );
    // Without autoconf, ifupdown's own accept_ra 0 for a gateway is what is wanted.
    let out = render(
        "<interface type='ethernet' name='eth0'>
          <protocol family='ipv6'>
            <ip address='2001:db8::10' prefix='64'/>
            <route gateway='2001:db8::1'/>
            <dhcp/>
          </protocol>
        </interface>",
    );
    assert_eq!(
        out,
        "iface eth0 inet6 static\n    address 2001:db8::10/64\n    gateway 2001:db8::1\n    \
         autoconf 0\n\n\
         iface eth0 inet6 dhcp\n    autoconf 0\n"
    );
}

#[test]
fn ipv6_without_addresses_is_dhcp_auto_or_link_local_only() {
    let v6 = |inner: &str| {
        render(&format!(
            "<interface type='ethernet' name='eth0'><protocol family='ipv6'>{inner}</protocol></interface>"
        ))
    };
    assert_eq!(
        v6("<autoconf/><dhcp/>"),
        "iface eth0 inet6 dhcp\n    autoconf 1\n"
    );
    assert_eq!(v6("<autoconf/>"), "iface eth0 inet6 auto\n");
    assert_eq!(v6(""), "iface eth0 inet6 auto\n    accept_ra 0\n");
}

#[test]
fn link_options_go_into_a_first_stanza_that_can_carry_them() {
    // inet static carries both.
    let out = render(
        "<interface type='ethernet' name='eth0'>
          <mac address='52:54:00:AB:CD:EF'/><mtu size='9000'/>
          <protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol>
          <protocol family='ipv6'><autoconf/></protocol>
        </interface>",
    );
    assert_eq!(
        out,
        "iface eth0 inet static\n    address 192.0.2.10/24\n    \
         hwaddress ether 52:54:00:ab:cd:ef\n    mtu 9000\n\n\
         iface eth0 inet6 auto\n"
    );
    // dhcp sets the MAC but ignores the MTU.
    let dhcp = |link: &str| {
        render(&format!(
            "<interface type='ethernet' name='eth0'>{link}<protocol family='ipv4'><dhcp/></protocol></interface>"
        ))
    };
    assert_eq!(
        dhcp("<mac address='52:54:00:00:00:01'/>"),
        "iface eth0 inet dhcp\n    hwaddress ether 52:54:00:00:00:01\n"
    );
    assert_eq!(
        dhcp("<mtu size='1400'/>"),
        "iface eth0 inet manual\n    mtu 1400\n\niface eth0 inet dhcp\n"
    );
    // inet6 static only raises the MTU; inet6 auto sets neither.
    assert_eq!(
        render(
            "<interface type='ethernet' name='eth0'><mtu size='1400'/>
              <protocol family='ipv6'><ip address='2001:db8::1' prefix='64'/></protocol></interface>"
        ),
        "iface eth0 inet manual\n    mtu 1400\n\n\
         iface eth0 inet6 static\n    address 2001:db8::1/64\n    autoconf 0\n"
    );
    assert_eq!(
        render(
            "<interface type='ethernet' name='eth0'><mac address='52:54:00:00:00:01'/>
              <protocol family='ipv6'><autoconf/></protocol></interface>"
        ),
        "iface eth0 inet manual\n    hwaddress ether 52:54:00:00:00:01\n\n\
         iface eth0 inet6 auto\n"
    );
    assert_eq!(
        render(
            "<interface type='ethernet' name='eth0'><mac address='52:54:00:00:00:01'/>
              <protocol family='ipv6'><ip address='2001:db8::1' prefix='64'/></protocol></interface>"
        ),
        "iface eth0 inet6 static\n    address 2001:db8::1/64\n    autoconf 0\n    \
         hwaddress ether 52:54:00:00:00:01\n"
    );
}

#[test]
fn bridge_ports_and_their_stanzas() {
    let out = render(
        "<interface type='bridge' name='br0'>
          <start mode='onboot'/>
          <mtu size='9000'/>
          <protocol family='ipv4'><dhcp/></protocol>
          <bridge stp='on' delay='0.01'>
            <interface type='ethernet' name='eth4'/>
            <interface type='ethernet' name='eth3'><mac address='52:54:00:00:00:03'/></interface>
            <interface type='vlan' name='eth5.9'><vlan tag='9'><interface name='eth5'/></vlan></interface>
            <interface type='bond' name='bond2'>
              <bond mode='802.3ad'><interface type='ethernet' name='eth6'/></bond>
            </interface>
          </bridge>
        </interface>",
    );
    assert_eq!(
        out,
        "auto br0\n\
         iface br0 inet manual\n    mtu 9000\n    bridge-ports eth4 eth3 eth5.9 bond2\n    \
         bridge-stp on\n    bridge-fd 0.01\n    \
         pre-up ifup eth3\n    pre-up ifup eth5.9\n    pre-up ifup bond2\n    \
         post-down ifdown eth3\n    post-down ifdown eth5.9\n    post-down ifdown bond2\n\n\
         iface br0 inet dhcp\n\n\
         iface eth3 inet manual\n    hwaddress ether 52:54:00:00:00:03\n    mtu 9000\n\n\
         iface eth5.9 inet manual\n    mtu 9000\n    vlan-raw-device eth5\n\n\
         iface bond2 inet manual\n    mtu 9000\n    bond-slaves eth6\n    bond-mode 802.3ad\n"
    );
}

#[test]
fn a_bridge_without_ports_or_options_and_plain_ports_without_stanzas() {
    assert_eq!(
        render("<interface type='bridge' name='br0'><bridge/></interface>"),
        "iface br0 inet manual\n    bridge-ports none\n    bridge-stp off\n"
    );
    // bridge-utils gives every port it attaches the bridge's MTU: no stanza needed.
    assert_eq!(
        render(
            "<interface type='bridge' name='br0'><mtu size='1400'/>
              <protocol family='ipv4'><ip address='192.0.2.1' prefix='24'/></protocol>
              <bridge stp='off'><interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth0'/></bridge>
            </interface>"
        ),
        "iface br0 inet static\n    address 192.0.2.1/24\n    mtu 1400\n    \
         bridge-ports eth1 eth0\n    bridge-stp off\n"
    );
}

#[test]
fn bond_options_with_miimon_and_the_primary_only_in_active_backup() {
    let out = render(
        "<interface type='bond' name='bond0'>
          <start mode='onboot'/>
          <bond mode='active-backup'>
            <miimon freq='100' downdelay='5' updelay='10' carrier='ioctl'/>
            <interface type='ethernet' name='eth2'/>
            <interface type='ethernet' name='eth1'/>
          </bond>
        </interface>",
    );
    assert_eq!(
        out,
        "auto bond0\niface bond0 inet manual\n    bond-slaves eth2 eth1\n    \
         bond-mode active-backup\n    bond-primary eth2\n    bond-miimon 100\n    \
         bond-downdelay 5\n    bond-updelay 10\n    bond-use-carrier 0\n"
    );
    let out = render(
        "<interface type='bond' name='bond0'>
          <bond mode='balance-xor'>
            <miimon freq='50' carrier='netif'/>
            <interface type='ethernet' name='eth2'/>
          </bond>
        </interface>",
    );
    assert_eq!(
        out,
        "iface bond0 inet manual\n    bond-slaves eth2\n    bond-mode balance-xor\n    \
         bond-miimon 50\n    bond-use-carrier 1\n"
    );
}

#[test]
fn bond_options_with_arpmon_and_without_a_mode() {
    let out = render(
        "<interface type='bond' name='bond1'>
          <mtu size='9000'/>
          <protocol family='ipv4'><ip address='10.10.0.2' prefix='16'/></protocol>
          <bond>
            <arpmon interval='250' target='10.0.0.1' validate='all'/>
            <interface type='ethernet' name='eth4'/>
          </bond>
        </interface>",
    );
    assert_eq!(
        out,
        "iface bond1 inet static\n    address 10.10.0.2/16\n    mtu 9000\n    \
         bond-slaves eth4\n    bond-arp-interval 250\n    bond-arp-ip-target 10.0.0.1\n    \
         bond-arp-validate all\n"
    );
}

#[test]
fn vlans_named_parent_dot_tag_or_vlan_tag() {
    assert_eq!(
        render(
            "<interface type='vlan'><start mode='onboot'/>
              <protocol family='ipv4'><dhcp/></protocol>
              <vlan tag='100'><interface name='eth0'/></vlan></interface>"
        ),
        "auto eth0.100\niface eth0.100 inet dhcp\n    vlan-raw-device eth0\n"
    );
    assert_eq!(
        render(
            "<interface type='vlan' name='vlan7'><mtu size='1496'/>
              <vlan tag='7'><interface name='eth1.5'/></vlan></interface>"
        ),
        "iface vlan7 inet manual\n    mtu 1496\n    vlan-raw-device eth1.5\n"
    );
}

#[test]
fn vlan_names_that_do_not_say_their_tag_are_refused() {
    let vlan = |name: &str, tag: &str, parent: &str| {
        refused(&format!(
            "<interface type='vlan' name='{name}'><vlan tag='{tag}'><interface name='{parent}'/></vlan></interface>"
        ))
    };
    assert_eq!(
        vlan("vlan42", "7", "eth1"),
        pairs(&[(
            "vlan42",
            "<interface type='vlan' name='vlan42'> with <vlan tag='7'>"
        )])
    );
    assert_eq!(
        vlan("eth2.7", "7", "eth1"),
        pairs(&[(
            "eth2.7",
            "<interface type='vlan' name='eth2.7'> with <vlan tag='7'>"
        )])
    );
    assert_eq!(
        vlan("eth1.007", "7", "eth1"),
        pairs(&[(
            "eth1.007",
            "<interface type='vlan' name='eth1.007'> with <vlan tag='7'>"
        )])
    );
    assert_eq!(
        vlan("vlan07", "7", "eth1"),
        pairs(&[(
            "vlan07",
            "<interface type='vlan' name='vlan07'> with <vlan tag='7'>"
        )])
    );
    assert_eq!(
        vlan("eth1.0", "0", "eth1"),
        pairs(&[("eth1.0", "<vlan tag='0'>")])
    );
    assert_eq!(
        vlan("vlan0", "0", "eth1"),
        pairs(&[("vlan0", "<vlan tag='0'>")])
    );
    // ifupdown splits at the first dot: eth0.100.200 would be tag 100 on eth0.
    assert_eq!(
        vlan("eth0.100.200", "200", "eth0.100"),
        pairs(&[(
            "eth0.100.200",
            "<interface type='vlan' name='eth0.100.200'> with <vlan tag='200'>"
        )])
    );
}

#[test]
fn every_refusal_of_an_interface_is_reported_at_once() {
    let got = refused(
        "<interface type='bridge' name='br0'>
          <protocol family='ipv4'><dhcp peerdns='no'/><route gateway='192.0.2.254'/></protocol>
          <protocol family='ipv6'><dhcp peerdns='no'/><route gateway='2001:db8::1'/></protocol>
          <bridge>
            <interface type='bond' name='bond0'>
              <bond>
                <interface type='ethernet' name='eth1'/>
              </bond>
            </interface>
            <interface type='vlan' name='vlan42'><vlan tag='7'><interface name='eth2'/></vlan></interface>
          </bridge>
        </interface>",
    );
    assert_eq!(
        got,
        pairs(&[
            ("br0", "<dhcp peerdns='no'/>"),
            (
                "br0",
                "<route gateway='192.0.2.254'> with DHCP and no static address"
            ),
            ("br0", "<dhcp peerdns='no'/> in <protocol family='ipv6'>"),
            (
                "br0",
                "<route gateway='2001:db8::1'> with DHCP and no static address"
            ),
            (
                "vlan42",
                "<interface type='vlan' name='vlan42'> with <vlan tag='7'>"
            ),
        ])
    );
}

#[test]
fn a_gateway_without_any_address_is_refused() {
    assert_eq!(
        refused(
            "<interface type='ethernet' name='eth0'>
              <protocol family='ipv4'><route gateway='192.0.2.1'/></protocol></interface>"
        ),
        pairs(&[("eth0", "<route gateway='192.0.2.1'> with no static address")])
    );
}

#[test]
fn names_ifupdown_would_misread_are_refused() {
    assert_eq!(
        refused("<interface type='bridge' name='br.0'><bridge/></interface>"),
        pairs(&[("br.0", "<interface type='bridge' name='br.0'>")])
    );
    assert_eq!(
        refused("<interface type='ethernet' name='-x'/>"),
        pairs(&[("-x", "<interface type='ethernet' name='-x'>")])
    );
    assert_eq!(
        refused(
            "<interface type='bridge' name='br0'><bridge>
              <interface type='ethernet' name='all'/>
              <interface type='bond' name='b.1'><bond><interface type='ethernet' name='-e'/></bond></interface>
            </bridge></interface>"
        ),
        pairs(&[
            ("all", "<interface name='all'> as a bridge port"),
            ("b.1", "<interface type='bond' name='b.1'>"),
            ("-e", "<interface type='ethernet' name='-e'>"),
        ])
    );
    assert_eq!(
        refused(
            "<interface type='bond' name='bond0'><bond><interface type='ethernet' name='none'/></bond></interface>"
        ),
        pairs(&[("none", "<interface name='none'> as the only bond slave")])
    );
    // Among other slaves, 'none' is just a name to ifenslave.
    assert!(
        interface_file(&host(
            "<interface type='bond' name='bond0'><bond><interface type='ethernet' name='none'/><interface type='ethernet' name='eth1'/></bond></interface>"
        ))
        .is_ok()
    );
}

#[test]
fn a_bond_slaves_mac_names_its_device_in_a_link_file_wherever_the_bond_is() {
    let host = crate::xml::read_str(
        "t.xml",
        "<interfaces>
          <interface type='bond' name='bond0'><bond>
            <interface type='ethernet' name='eth1'><mac address='52:54:00:00:00:02'/></interface>
            <interface type='ethernet' name='eth2'/>
          </bond></interface>
          <interface type='bridge' name='br0'><bridge>
            <interface type='bond' name='bond1'><bond>
              <interface type='ethernet' name='eth3'><mac address='52:54:00:00:00:03'/></interface>
            </bond></interface>
            <interface type='ethernet' name='eth4'><mac address='52:54:00:00:00:04'/></interface>
          </bridge></interface>
        </interfaces>",
    )
    .unwrap();
    let files: Vec<(String, String)> = (host.interfaces.iter())
        .flat_map(|i| super::link_files(i).unwrap())
        .map(|f| (f.path, f.contents))
        .collect();
    let want = |name: &str, mac: &str| {
        (
            format!("etc/systemd/network/10-netloom-{name}.link"),
            format!("{HEADER}[Match]\nPermanentMACAddress={mac}\n\n[Link]\nName={name}\n"),
        )
    };
    // Not eth2 (no MAC), nor the bridge port eth4, whose MAC is its stanza's hwaddress.
    assert_eq!(
        files,
        [
            want("eth1", "52:54:00:00:00:02"),
            want("eth3", "52:54:00:00:00:03")
        ]
    );
    assert_eq!(super::link_name(&files[0].0), Some("eth1"));
    assert_eq!(super::link_name("etc/systemd/network/eth1.link"), None);
}
