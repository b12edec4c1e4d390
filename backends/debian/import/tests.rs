//! The importer against render's table (round trips), netcf's idioms and files, and every
//! error it reports, each asserted with its full `file:line:col`.

use super::*;
use crate::backend::Backend;
use crate::backends::debian::Debian;
use crate::model::{BondMode, Interface, InterfaceKind};

fn snap(files: &[(&str, &str)]) -> Snapshot {
    let files = files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()));
    Snapshot {
        files: files.collect(),
        ..Snapshot::default()
    }
}

fn main_only(text: &str) -> Snapshot {
    snap(&[(MAIN, text)])
}

fn import_ok(s: &Snapshot, names: &[&str]) -> Host {
    let names: Vec<IfaceName> = names.iter().map(|n| IfaceName::parse(n).unwrap()).collect();
    import(s, &names).unwrap_or_else(|e| panic!("{e}")).host
}

/// Every problem as `file:line:col: message`, without the snippets.
fn errors(s: &Snapshot, names: &[&str]) -> Vec<String> {
    let names: Vec<IfaceName> = names.iter().map(|n| IfaceName::parse(n).unwrap()).collect();
    match import(s, &names) {
        Err(BackendError::Invalid(d)) => {
            d.0.iter()
                .map(|d| format!("{}: {}", d.location(), d.message()))
                .collect()
        }
        other => panic!("expected problems, got {other:?}"),
    }
}

fn one_error(text: &str) -> String {
    let mut all = errors(&main_only(text), &[]);
    assert_eq!(all.len(), 1, "{all:#?}");
    all.remove(0)
}

/// The interfaces an XML declaration reads to.
fn want(xml: &str) -> Vec<Interface> {
    crate::xml::read_str("want.xml", xml)
        .unwrap_or_else(|e| panic!("{e}"))
        .interfaces
}

fn assert_imports(s: &Snapshot, xml: &str) {
    let got = import_ok(s, &[]);
    let want = Host {
        interfaces: want(xml),
    };
    assert_eq!(got, want, "got\n{}", crate::xml::to_xml(&got));
}

fn rendered(host: &Host) -> Result<Snapshot, BackendError> {
    let files = Debian.render(host, &Snapshot::default())?;
    let files = files.into_iter().map(|f| (f.path, f.contents));
    Ok(Snapshot {
        files: files.collect(),
        ..Snapshot::default()
    })
}

#[test]
fn inet6_before_inet_keeps_both_families() {
    // netcf lost IPv4 when the inet6 stanza came first.
    let s = main_only(
        "auto eth0\niface eth0 inet6 static\n  address 2001:db8::5/64\n\n\
         iface eth0 inet static\n  address 192.0.2.5/24\n  gateway 192.0.2.1\n",
    );
    assert_imports(
        &s,
        "<interface type='ethernet' name='eth0'><start mode='onboot'/>
           <protocol family='ipv4'><ip address='192.0.2.5' prefix='24'/><route gateway='192.0.2.1'/></protocol>
           <protocol family='ipv6'><ip address='2001:db8::5' prefix='64'/></protocol>
         </interface>",
    );
}

#[test]
fn one_interface_may_be_spread_over_sourced_files() {
    let s = snap(&[
        (
            MAIN,
            "iface eth1 inet dhcp\n\nsource interfaces.d/*\n\niface eth0 inet6 auto\n",
        ),
        (
            "etc/network/interfaces.d/a",
            "allow-hotplug eth0\niface eth0 inet static\n    address 192.0.2.7\n    netmask 255.255.255.128\n    mtu 9000\n",
        ),
        ("etc/network/interfaces.d/b", "auto eth1\n"),
    ]);
    assert_imports(
        &s,
        "<interfaces>
           <interface type='ethernet' name='eth1'><start mode='onboot'/>
             <protocol family='ipv4'><dhcp/></protocol></interface>
           <interface type='ethernet' name='eth0'><start mode='hotplug'/><mtu size='9000'/>
             <protocol family='ipv4'><ip address='192.0.2.7' prefix='25'/></protocol>
             <protocol family='ipv6'><autoconf/></protocol></interface>
         </interfaces>",
    );
}

/// netcf's `tests/debian/fsroot/etc/network/interfaces`, byte for byte.
const NETCF_FSROOT: &str = "auto lo
iface lo inet loopback
iface lo inet6 loopback

auto br0
iface br0 inet dhcp
        bridge_ports eth0
        bridge_maxwait 0
        hwaddress ether 00:1c:c0:89:dd:01

auto bond0
iface bond0 inet static
        netmask 255.255.255.0
        network 10.0.1.0
        address 10.0.1.27
        bond_slaves eth1 eth2
        bond_mode active-backup
        bond_primary eth2
iface bond0 inet6 dhcp
auto eth3
iface eth3 inet dhcp

auto eth4
iface eth4 inet dhcp

auto eth4
iface eth4 inet dhcp
";

#[test]
fn netcfs_fsroot_imports_its_four_interfaces() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/netcf/tests/debian/fsroot/etc/network/interfaces");
    if let Ok(text) = std::fs::read_to_string(shared) {
        assert_eq!(text, NETCF_FSROOT, "the copy drifted from netcf's file");
    }
    // lo is skipped, eth4's repeated stanza is one interface, bond_primary comes first, and
    // the bridge's hwaddress has no place in interface XML.
    assert_imports(
        &main_only(NETCF_FSROOT),
        "<interfaces>
           <interface type='bridge' name='br0'><start mode='onboot'/>
             <protocol family='ipv4'><dhcp/></protocol>
             <bridge stp='off'><interface type='ethernet' name='eth0'/></bridge></interface>
           <interface type='bond' name='bond0'><start mode='onboot'/>
             <protocol family='ipv4'><ip address='10.0.1.27' prefix='24'/></protocol>
             <protocol family='ipv6'><autoconf/><dhcp/></protocol>
             <bond mode='active-backup'>
               <interface type='ethernet' name='eth2'/><interface type='ethernet' name='eth1'/>
             </bond></interface>
           <interface type='ethernet' name='eth3'><start mode='onboot'/>
             <protocol family='ipv4'><dhcp/></protocol></interface>
           <interface type='ethernet' name='eth4'><start mode='onboot'/>
             <protocol family='ipv4'><dhcp/></protocol></interface>
         </interfaces>",
    );
}

const HOOK: &str = "pre-up echo 0 > /proc/sys/net/ipv6/conf/eth0/autoconf\n  \
                    post-down echo 1 > /proc/sys/net/ipv6/conf/eth0/autoconf\n";

fn eth0_ipv6(stanza: &str) -> Host {
    import_ok(&main_only(&format!("auto eth0\n{stanza}")), &[])
}

fn ipv6_xml(inner: &str) -> Vec<Interface> {
    want(&format!(
        "<interface type='ethernet' name='eth0'><start mode='onboot'/>\
         <protocol family='ipv6'>{inner}</protocol></interface>"
    ))
}

#[test]
fn netcfs_autoconf_hook_turns_autoconf_off() {
    let with = eth0_ipv6(&format!("iface eth0 inet6 dhcp\n  {HOOK}"));
    assert_eq!(with.interfaces, ipv6_xml("<dhcp/>"));
    let without = eth0_ipv6("iface eth0 inet6 dhcp\n");
    assert_eq!(without.interfaces, ipv6_xml("<autoconf/><dhcp/>"));
    // An explicit option wins over the hook, as ifupdown sets it after pre-up runs.
    let explicit = eth0_ipv6(&format!("iface eth0 inet6 dhcp\n  {HOOK}  autoconf 1\n"));
    assert_eq!(explicit.interfaces, ipv6_xml("<autoconf/><dhcp/>"));
}

#[test]
fn netcfs_ifconfig_up_lines_are_further_addresses() {
    let host = eth0_ipv6(&format!(
        "iface eth0 inet6 static\n  address 3ffe:ffff:0:5::1\n  netmask 128\n  {HOOK}  \
         up /sbin/ifconfig eth0 inet6 add 3ffe:ffff:0:5::3/128\n  \
         up /sbin/ifconfig eth0 inet6 add 3ffe:ffff:0:5::5\n  \
         down /sbin/ifconfig eth0 inet6 del 3ffe:ffff:0:5::3/128\n  \
         up /sbin/ifconfig eth1 inet6 add 3ffe:ffff:0:5::7/128\n"
    ));
    // The line for another device is not this interface's address.
    assert_eq!(
        host.interfaces,
        ipv6_xml(
            "<ip address='3ffe:ffff:0:5::1' prefix='128'/><ip address='3ffe:ffff:0:5::3' \
             prefix='128'/><ip address='3ffe:ffff:0:5::5' prefix='128'/>"
        )
    );
}

#[test]
fn netcfs_inet6_manual_is_autoconf_or_link_local_by_the_hook() {
    let autoconf = eth0_ipv6("iface eth0 inet6 manual\n");
    assert_eq!(autoconf.interfaces, ipv6_xml("<autoconf/>"));
    let local = eth0_ipv6(&format!("iface eth0 inet6 manual\n  {HOOK}"));
    assert_eq!(local.interfaces, ipv6_xml(""));
    // A hook naming another device is not this one's.
    let other = eth0_ipv6(
        "iface eth0 inet6 manual\n  pre-up echo 0 > /proc/sys/net/ipv6/conf/eth1/autoconf\n",
    );
    assert_eq!(other.interfaces, ipv6_xml("<autoconf/>"));
}

#[test]
fn bond_primary_is_the_first_slave() {
    let host = import_ok(
        &main_only(
            "iface bond0 inet manual\n  bond-slaves eth1 eth2 eth3\n  bond-mode 1\n  \
             bond_primary eth9 eth3\n",
        ),
        &[],
    );
    // ifenslave takes the first bond-primary name that is a slave.
    let InterfaceKind::Bond(b) = &host.interfaces[0].kind else {
        panic!("{host:?}")
    };
    let names: Vec<&str> = b.slaves.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["eth3", "eth1", "eth2"]);
    assert_eq!(b.mode, Some(BondMode::ActiveBackup));
}

#[test]
fn ipv6_autoconf_follows_ifupdowns_defaults_and_the_last_stanza() {
    // static: ifupdown's default is autoconf 0.
    let s = eth0_ipv6("iface eth0 inet6 static\n  address 2001:db8::1/64\n");
    assert_eq!(
        s.interfaces,
        ipv6_xml("<ip address='2001:db8::1' prefix='64'/>")
    );
    // auto, then a static stanza that turns it off again.
    let s = eth0_ipv6("iface eth0 inet6 auto\niface eth0 inet6 static\n  address 2001:db8::1\n");
    // Without a prefix, ifupdown adds the address as one host's.
    assert_eq!(
        s.interfaces,
        ipv6_xml("<ip address='2001:db8::1' prefix='128'/>")
    );
    let s = eth0_ipv6("iface eth0 inet6 auto\n  accept_ra 0\n");
    assert_eq!(s.interfaces, ipv6_xml(""));
    let s = eth0_ipv6("iface eth0 inet6 auto\n  accept_ra 2\n");
    assert_eq!(s.interfaces, ipv6_xml("<autoconf/>"));
}

#[test]
fn kinds_as_ifupdowns_helpers_judge_them() {
    let s = main_only(
        "auto br0\niface br0 inet manual\n  bridge-ports eth0.5 bond1 eth2 vlan7\n  \
         bridge-stp yes\n  bridge-fd 0.5\n  mtu 9000\n\n\
         iface vlan7 inet manual\n  vlan-raw-device eth3\n  mtu 1500\n\n\
         iface bond1 inet manual\n  bond-mode 4\n  bond-miimon 100\n  bond-updelay 5\n  \
         bond-use-carrier 0\n\n\
         iface eth5 inet manual\n  bond-master bond1\n\
         iface eth6 inet manual\n  bond-master bond1\n\
         iface eth2 inet manual\n  hwaddress 52:54:00:AA:BB:CC\n\n\
         iface bond2 inet manual\n  slaves eth7\n  bond-arp-interval 200\n  \
         bond-arp-ip-target 10.0.0.1\n  bond-arp-validate 3\n  bond-miimon 0\n\n\
         iface eth8 inet manual\n  hwaddress ether random\n\
         iface eth0.9 inet manual\n",
    );
    assert_imports(
        &s,
        "<interfaces>
           <interface type='bridge' name='br0'><start mode='onboot'/><mtu size='9000'/>
             <bridge stp='on' delay='0.5'>
               <interface type='vlan' name='eth0.5'><vlan tag='5'><interface name='eth0'/></vlan></interface>
               <interface type='bond' name='bond1'><bond mode='802.3ad'>
                 <miimon freq='100' updelay='5' carrier='ioctl'/>
                 <interface type='ethernet' name='eth5'/><interface type='ethernet' name='eth6'/>
               </bond></interface>
               <interface type='ethernet' name='eth2'><mac address='52:54:00:aa:bb:cc'/></interface>
               <interface type='vlan' name='vlan7'><vlan tag='7'><interface name='eth3'/></vlan></interface>
             </bridge></interface>
           <interface type='bond' name='bond2'><start mode='none'/><bond>
             <arpmon interval='200' target='10.0.0.1' validate='all'/>
             <interface type='ethernet' name='eth7'/></bond></interface>
           <interface type='ethernet' name='eth8'><start mode='none'/></interface>
           <interface type='vlan' name='eth0.9'><start mode='none'/>
             <vlan tag='9'><interface name='eth0'/></vlan></interface>
         </interfaces>",
    );
}

#[test]
fn names_pick_top_level_interfaces_in_the_order_asked() {
    let s = main_only("iface a inet dhcp\niface b inet dhcp\niface c inet dhcp\n");
    let names =
        |h: Host| -> Vec<String> { h.interfaces.iter().map(|i| i.name.to_string()).collect() };
    assert_eq!(names(import_ok(&s, &["c", "a", "c"])), ["c", "a"]);
    assert_eq!(names(import_ok(&s, &[])), ["a", "b", "c"]);
    // A broken stanza elsewhere does not stop importing a sound one by name.
    let s = main_only("iface a inet dhcp\niface b inet ppp\n");
    assert_eq!(names(import_ok(&s, &["a"])), ["a"]);
}

#[test]
fn skipped_lines_are_not_interfaces() {
    let s = main_only(
        "auto lo eth0\nallow-mine eth0\niface lo inet loopback\niface x inet6 loopback\n\
         mapping usb*\n  script /bin/true\n  map usb0 home\nno-auto-down eth0\n\
         no-scripts eth0\nrename eth9=eth0\niface eth0 inet manual\n  post-up /bin/true\n",
    );
    assert_imports(
        &s,
        "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>",
    );
    assert_eq!(import_ok(&main_only(""), &[]), Host::default());
    assert_eq!(import_ok(&Snapshot::default(), &[]), Host::default());
}

#[test]
fn unsupported_methods_and_families_are_refused_at_the_word() {
    assert_eq!(
        one_error("iface eth0 inet bootp\n"),
        "etc/network/interfaces:1:17: unsupported inet method 'bootp': expected 'static', \
         'dhcp' or 'manual' (loopback stanzas are skipped)"
    );
    assert_eq!(
        one_error("iface eth0 inet6 slaac\n"),
        "etc/network/interfaces:1:18: unsupported inet6 method 'slaac': expected 'static', \
         'dhcp', 'auto' or 'manual' (loopback stanzas are skipped)"
    );
    assert_eq!(
        one_error("iface eth0 inet4 static\n"),
        "etc/network/interfaces:1:12: unsupported address family 'inet4': expected 'inet' or 'inet6'"
    );
}

#[test]
fn kinds_the_model_does_not_hold_are_skipped_with_a_note_where_they_are_said() {
    let s = main_only(
        "auto ppp0 eth0\niface ppp0 inet ppp\n  provider x\niface sit1 inet6 v4tunnel\n\
         iface can0 can static\n  bitrate 125000\niface wlan0 inet dhcp\n  wpa-ssid home\n\
         iface eth0 inet dhcp\n",
    );
    let imported = import(&s, &[]).unwrap();
    let names: Vec<&str> = imported
        .host
        .interfaces
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["eth0"]);
    let notes: Vec<String> = imported
        .notes
        .iter()
        .map(|n| format!("{:?} {}: {}", n.kind, n.at.location(), n.at.message()))
        .collect();
    assert_eq!(
        notes,
        [
            "Skipped etc/network/interfaces:2:17: skipped: a PPP link (inet ppp), which interface XML \
             does not hold; netloom leaves its stanzas alone",
            "Skipped etc/network/interfaces:4:18: skipped: an IP tunnel (inet6 v4tunnel), which \
             interface XML does not hold; netloom leaves its stanzas alone",
            "Skipped etc/network/interfaces:5:12: skipped: a CAN bus interface (can \
             static), which interface XML does not hold; netloom leaves its stanzas alone",
            "Skipped etc/network/interfaces:8:3: skipped: a Wi-Fi interface (wpa-ssid), which \
             interface XML does not hold; netloom leaves its stanzas alone",
        ]
    );
    // Asked for by name, a skipped interface says why it is not there.
    assert_eq!(
        errors(&s, &["wlan0"]),
        [
            "etc/network/interfaces:8:3: 'wlan0' is not imported: it is a Wi-Fi interface \
          (wpa-ssid), which interface XML does not hold"
        ]
    );
}

#[test]
fn options_the_model_has_no_place_for_are_noted_where_they_are() {
    let s = main_only(
        "iface eth0 inet static\n  address 192.0.2.1/24\n  dns-domain example.test\n  \
         up echo hi\n  mtu 1500\niface eth0 inet6 auto\n  mtu 1500\n  privext 2\n",
    );
    let imported = import(&s, &[]).unwrap();
    let notes: Vec<String> = imported
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.at.location(), n.at.message()))
        .collect();
    assert_eq!(
        notes,
        [
            "etc/network/interfaces:3:3: dns-domain is kept in the file but not imported",
            "etc/network/interfaces:4:3: up is kept in the file but not imported",
            "etc/network/interfaces:8:3: privext is kept in the file but not imported",
        ]
    );
}

#[test]
fn route_hooks_and_dns_options_are_read_and_the_rest_noted() {
    let s = main_only(
        "auto eth0\niface eth0 inet static\n  address 192.0.2.1/24\n  \
         dns-nameservers 192.0.2.53 2001:db8::53 nonsense\n  dns-search example.test bad_name\n  \
         up ip route add 10.1.0.0/16 via 192.0.2.254 dev eth0 metric 5\n  \
         post-up /sbin/ip -4 route add to unicast 10.2.0.0/16 via 192.0.2.254 dev $IFACE table 7\n  \
         up ip route add 10.3.0.0/16 via 192.0.2.254 proto static\n  \
         up ip route add 10.4.0.0/16 via 198.51.100.1\n  \
         up ip route add 10.1.0.0/16 via 192.0.2.253 dev eth0 priority 5\n  \
         up ip route add 10.5.0.0/16 via 192.0.2.254 dev eth1\n  \
         down ip route del 10.1.0.0/16 via 192.0.2.254 dev eth0 metric 5\n  \
         down ip route del 10.9.0.0/16 via 192.0.2.254\n\
         iface eth0 inet6 static\n  address 2001:db8::1/64\n  dns-search six.example\n  \
         up ip -6 route add 2001:db8:10::/48 via fe80::1 dev eth0\n  \
         up ip route add 2001:db8:20::/48 dev eth0\n",
    );
    let imported = import(&s, &[]).unwrap();
    let xml = crate::xml::to_xml(&imported.host);
    assert_eq!(
        xml,
        "<interface xmlns:nl='urn:netloom:xml:1' type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.1' prefix='24'/>
    <nl:route destination='10.1.0.0' prefix='16' gateway='192.0.2.254' metric='5'/>
    <nl:route destination='10.2.0.0' prefix='16' gateway='192.0.2.254' table='7'/>
    <nl:dns server='192.0.2.53'/>
    <nl:search domain='example.test'/>
  </protocol>
  <protocol family='ipv6'>
    <ip address='2001:db8::1' prefix='64'/>
    <nl:route destination='2001:db8:10::' prefix='48' gateway='fe80::1'/>
    <nl:route destination='2001:db8:20::' prefix='48'/>
    <nl:dns server='2001:db8::53'/>
    <nl:search domain='six.example'/>
  </protocol>
</interface>
"
    );
    let notes: Vec<String> = imported
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.at.location(), n.at.message()))
        .collect();
    let at = |l: u32, c: u32| format!("etc/network/interfaces:{l}:{c}");
    assert_eq!(
        notes,
        [
            format!(
                "{}: dns-nameservers 'nonsense' is kept in the file but not imported: it is not \
                 an IP address (resolvconf writes it as a nameserver line, which the resolver \
                 skips)",
                at(4, 43)
            ),
            format!(
                "{}: dns-search 'bad_name' is kept in the file but not imported: it is not a \
                 domain name netloom writes: expected a domain name like example.com: labels of \
                 letters, digits and '-' separated by dots; '_' is not allowed",
                at(5, 27)
            ),
            format!("{}: up is kept in the file but not imported", at(8, 3)),
            format!(
                "{}: up is kept in the file but not imported: its gateway is on none of eth0's \
                 networks, and the kernel refuses a route via a gateway it cannot reach",
                at(9, 3)
            ),
            format!(
                "{}: up is kept in the file but not imported: a route to 10.1.0.0/16 in the same \
                 table with the same metric is added before it, and the kernel holds one (ip \
                 route add fails with \"File exists\")",
                at(10, 3)
            ),
            format!("{}: up is kept in the file but not imported", at(11, 3)),
            format!("{}: down is kept in the file but not imported", at(13, 3)),
        ]
    );
}

#[test]
fn bad_values_are_refused_at_the_value_with_the_models_message() {
    let cases = [
        (
            "iface e$1 inet dhcp\n",
            "1:7: invalid interface name 'e$1': expected an interface name of 1 to 15 ASCII letters, digits, '_', '.' or '-', other than '.' and '..'; '$' is not allowed",
        ),
        (
            "iface eth0 inet manual\n  mtu 9x\n",
            "2:7: invalid mtu '9x': expected a whole number from 68 to 65535",
        ),
        (
            "iface eth0 inet static\n  address 192.0.2.300/24\n",
            "2:11: invalid address '192.0.2.300': expected an IPv4 address like 192.0.2.1",
        ),
        (
            "iface eth0 inet static\n  address 192.0.2.3/33\n",
            "2:21: invalid prefix length '33': expected a prefix length from 1 to 32",
        ),
        (
            "iface eth0 inet static\n  address 192.0.2.3\n  netmask 255.0.255.0\n",
            "3:11: invalid netmask '255.0.255.0': expected a netmask like 255.255.255.0 or a prefix length",
        ),
        (
            "iface eth0 inet static\n  address 192.0.2.3\n  gateway 10.0.0\n",
            "3:11: invalid gateway '10.0.0': expected an IPv4 address like 192.0.2.1",
        ),
        (
            "iface eth0 inet6 static\n  address 2001:db8::1/129\n",
            "2:23: invalid prefix length '129': expected a prefix length from 1 to 128",
        ),
        (
            "iface eth0 inet6 static\n  address ff02::1\n",
            "2:11: invalid address 'ff02::1': expected a unicast IPv6 address, not :: or multicast",
        ),
        (
            "iface eth0 inet6 dhcp\n  autoconf yes\n",
            "2:12: invalid autoconf 'yes': expected 0 or 1",
        ),
        (
            "iface eth0 inet manual\n  hwaddress ether 01:00:5e:00:00:01\n",
            "2:19: invalid hwaddress '01:00:5e:00:00:01': expected a unicast MAC address; the low bit of the first byte marks a multicast address",
        ),
        (
            "iface br0 inet manual\n  bridge-ports none\n  bridge-stp maybe\n",
            "3:14: invalid bridge-stp 'maybe': expected 'on', 'off', 'yes' or 'no'",
        ),
        (
            "iface br0 inet manual\n  bridge-ports none\n  bridge_fd 31\n",
            "3:13: invalid bridge-fd '31': expected a number of seconds from 0 to 30, like 0, 2 or 0.5",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-mode 7\n",
            "3:13: invalid bond-mode '7': expected a mode name or a number from 0 to 6",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-mode fast\n",
            "3:13: invalid bond-mode 'fast': expected 'balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb' or 'balance-alb'",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-miimon -1\n",
            "3:15: invalid bond-miimon '-1': expected a whole number",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-miimon 1\n  bond-use-carrier 2\n",
            "4:20: invalid bond-use-carrier '2': expected 0 (ioctl) or 1 (netif)",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-arp-interval 1\n  bond-arp-ip-target 10.0.0.1 10.0.0.2\n",
            "4:22: invalid bond-arp-ip-target '10.0.0.1 10.0.0.2': several ARP targets cannot be expressed in interface XML, which has one",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-arp-interval 1\n  bond-arp-ip-target 10.0.0.1\n  bond-arp-validate 4\n",
            "5:21: invalid bond-arp-validate '4': expected 'none', 'active', 'backup', 'all' or 0 to 3",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0 e/1\n",
            "2:20: invalid bond-slaves 'e/1': expected an interface name of 1 to 15 ASCII letters, digits, '_', '.' or '-', other than '.' and '..'; '/' is not allowed",
        ),
        (
            "iface eth0.x inet manual\n",
            "1:7: cannot tell the tag of vlan 'eth0.x': ifupdown and the vlan package read it from the name, PARENT.TAG or vlanTAG",
        ),
        (
            "iface myvlan inet manual\n  vlan-raw-device eth0\n",
            "1:7: cannot tell the tag of vlan 'myvlan': ifupdown and the vlan package read it from the name, PARENT.TAG or vlanTAG",
        ),
        (
            "iface vlan5 inet manual\n  vlan-raw-device vlan5\n",
            "2:19: vlan 'vlan5' cannot be its own parent device",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            one_error(text),
            format!("etc/network/interfaces:{want}"),
            "{text}"
        );
    }
}

#[test]
fn what_the_model_forbids_is_refused_where_it_is_written() {
    let cases = [
        (
            "iface eth0 inet manual\n  mtu 1000\niface eth0 inet6 auto\n",
            "2:7: MTU 1000 is below 1280, the minimum for IPv6, and 'eth0' has inet6 stanzas",
        ),
        (
            "iface eth0 inet static\n  address 192.0.2.1/24\n  gateway 192.0.2.254\niface eth0 inet static\n  address 192.0.2.2/24\n  gateway 192.0.2.253\n",
            "6:11: a second gateway 192.0.2.253 after 192.0.2.254; interface XML has one default route per family",
        ),
        (
            "iface eth0 inet static\n  netmask 24\n",
            "1:17: an 'inet static' stanza needs an address",
        ),
        (
            "iface eth0 inet manual\n  mtu 1500\niface eth0 inet6 auto\n  mtu 9000\n",
            "4:7: mtu is given again with another value",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves none\n  bond-mode 1\n",
            "2:15: bond 'bond0' has no slaves; interface XML needs at least one",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-miimon 100\n  bond-arp-interval 100\n  bond-arp-ip-target 10.0.0.1\n",
            "4:21: a bond has one link monitor: bond-miimon or bond-arp-interval",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\n  bond-arp-interval 100\n",
            "3:21: bond-arp-interval needs a bond-arp-ip-target to probe",
        ),
        (
            "iface br0 inet manual\n  bridge-ports eth0 eth0\n",
            "2:21: 'eth0' is listed twice in 'br0'",
        ),
        (
            "iface br0 inet manual\n  bridge-ports eth0\niface br1 inet manual\n  bridge-ports eth1 eth0\n",
            "4:21: 'eth0' is claimed by two masters, 'br0' and 'br1'; a port or slave belongs to one master",
        ),
        (
            "iface br0 inet manual\n  bridge-ports br0\n",
            "2:16: 'br0' cannot be a port of itself",
        ),
        (
            "iface br0 inet manual\n  bridge-ports all\n",
            "2:16: 'all' in bridge-ports names devices by pattern; interface XML lists each by name",
        ),
        (
            "iface br0 inet manual\n  bridge-ports br1\niface br1 inet manual\n  bridge-ports none\n",
            "2:16: bridge 'br1' cannot be a port of bridge 'br0'",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0 eth1.5\niface eth1.5 inet manual\n",
            "2:20: a bond slave must be an ethernet device; 'eth1.5' is a vlan",
        ),
        (
            "iface eth0 inet manual\n  bond-master bond9\n",
            "2:15: bond-master 'bond9' has no iface stanza",
        ),
        (
            "iface br0 inet manual\n  bridge-ports eth0\niface eth0 inet dhcp\n",
            "3:17: 'eth0' is part of 'br0', which gives it its addressing; expected 'manual'",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth0\niface eth0 inet6 auto\n",
            "3:18: 'eth0' is part of 'bond0', which gives it its addressing; expected 'manual'",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            one_error(text),
            format!("etc/network/interfaces:{want}"),
            "{text}"
        );
    }
}

#[test]
fn every_problem_is_reported_in_one_run_in_file_order() {
    let s = snap(&[
        (
            MAIN,
            "source interfaces.d/*\niface eth0 inet static\n  address 1.2.3\n  mtu 0\n",
        ),
        ("etc/network/interfaces.d/x", "iface eth1 inet bootp\n"),
    ]);
    assert_eq!(
        errors(&s, &[]),
        [
            "etc/network/interfaces:3:11: invalid address '1.2.3': expected an IPv4 address like 192.0.2.1",
            "etc/network/interfaces:4:7: invalid mtu '0': expected a whole number from 68 to 65535",
            "etc/network/interfaces.d/x:1:17: unsupported inet method 'bootp': expected 'static', 'dhcp' or 'manual' (loopback stanzas are skipped)",
        ]
    );
}

#[test]
fn a_value_continued_over_lines_is_placed_at_its_start() {
    let s = main_only("iface br0 inet manual\n  bridge-ports eth0 \\\n eth0\n");
    assert_eq!(
        errors(&s, &[]),
        ["etc/network/interfaces:2:16: 'eth0' is listed twice in 'br0'"]
    );
}

#[test]
fn names_that_are_no_top_level_interface_are_refused() {
    let s = main_only(
        "iface br0 inet manual\n  bridge-ports bond0\niface bond0 inet manual\n  \
         bond-slaves eth1\n",
    );
    assert_eq!(
        errors(&s, &["eth1", "eth9", "bond0"]),
        [
            "etc/network/interfaces:2:16: 'bond0' is part of 'br0'; name 'br0' instead",
            "etc/network/interfaces:4:15: 'eth1' is part of 'bond0'; name 'br0' instead",
            "etc/network/interfaces: no iface stanza in /etc/network/interfaces or the files it \
             sources configures 'eth9'",
        ]
    );
}

/// A host of `n` top-level interfaces of every kind, as interface XML.
fn big_host(n: usize) -> Host {
    let mut xml = String::from("<interfaces>");
    for i in 0..n {
        xml.push_str(&match i % 4 {
            0 => format!(
                "<interface type='ethernet' name='e{i}'><start mode='onboot'/><mtu size='1500'/>\
                 <protocol family='ipv4'><ip address='10.{}.{}.1' prefix='24'/></protocol>\
                 <protocol family='ipv6'><autoconf/><dhcp/></protocol></interface>",
                i / 256 % 256,
                i % 256
            ),
            1 => format!(
                "<interface type='bond' name='b{i}'><start mode='hotplug'/>\
                 <protocol family='ipv4'><dhcp/></protocol><bond mode='active-backup'>\
                 <miimon freq='100'/><interface type='ethernet' name='s{i}a'/>\
                 <interface type='ethernet' name='s{i}b'/></bond></interface>"
            ),
            2 => format!(
                "<interface type='bridge' name='br{i}'><start mode='onboot'/>\
                 <bridge stp='off'><interface type='ethernet' name='p{i}'>\
                 <mac address='52:54:00:00:{:02x}:{:02x}'/></interface></bridge></interface>",
                i / 256 % 256,
                i % 256
            ),
            _ => format!(
                "<interface type='vlan' name='v{i}.7'><start mode='none'/><vlan tag='7'>\
                 <interface name='v{i}'/></vlan></interface>"
            ),
        });
    }
    xml.push_str("</interfaces>");
    crate::xml::read_str("big.xml", &xml).unwrap()
}

/// Import stays linear in the number of interfaces and reads 10,000 back exactly; how fast
/// it is, `cargo bench --bench debian` says.
#[test]
fn ten_thousand_interfaces_import_exactly_in_linear_time() {
    crate::scaling::assert_linear(
        "Debian import",
        500,
        |n| rendered(&big_host(n)).unwrap(),
        |files| {
            std::hint::black_box(import_ok(files, &[]));
        },
    );
    // And 10,000 read back exactly (every value is one the format keeps as written), each
    // from its own file in file-name order.
    let mut host = big_host(10_000);
    let files = rendered(&host).unwrap();
    host.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(import_ok(&files, &[]), host);
}

#[test]
fn an_identical_repeated_stanza_counts_once() {
    let stanza = "auto eth0\niface eth0 inet static\n  address 192.0.2.1/24\n";
    let s = snap(&[
        (MAIN, &format!("{stanza}source interfaces.d/*\n")),
        ("etc/network/interfaces.d/again", stanza),
    ]);
    assert_imports(
        &s,
        "<interface type='ethernet' name='eth0'><start mode='onboot'/>
           <protocol family='ipv4'><ip address='192.0.2.1' prefix='24'/></protocol></interface>",
    );
    // One that differs gives the address again, which ifupdown takes and adds once.
    let s = main_only(&format!("{stanza}{stanza}  mtu 1500\n"));
    assert_imports(
        &s,
        "<interface type='ethernet' name='eth0'><start mode='onboot'/><mtu size='1500'/>
           <protocol family='ipv4'><ip address='192.0.2.1' prefix='24'/></protocol></interface>",
    );
    // With another prefix, it is one more address the model cannot hold beside the first.
    let s = main_only(&format!(
        "{stanza}iface eth0 inet static\n  address 192.0.2.1/25\n"
    ));
    let imported = import(&s, &[]).unwrap();
    let notes: Vec<String> = (imported.notes.iter())
        .map(|n| format!("{}: {}", n.at.location(), n.at.message()))
        .collect();
    assert_eq!(
        notes,
        [
            "etc/network/interfaces:5:11: address 192.0.2.1/25 is kept in the file but not \
          imported: 192.0.2.1 is given before with another prefix, and interface XML holds an \
          address once"
        ]
    );
}

// ---- cost: linear in the root, whatever its shape ----

use crate::scaling::assert_linear;

/// `n` addresses as ifupdown 0.8 wants them: one `inet static` stanza each.
fn stanzas(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "iface eth0 inet static\n  address 10.{}.{}.1/24\n  mtu 1500\n",
                i / 256 % 256,
                i % 256
            )
        })
        .collect()
}

#[test]
fn many_stanzas_of_one_interface_import_in_linear_time() {
    assert_linear(
        "n stanzas of one interface",
        2_000,
        |n| main_only(&stanzas(n)),
        |s| assert_eq!(import_ok(s, &[]).interfaces.len(), 1),
    );
    // The same stanza again and again counts once.
    assert_linear(
        "one stanza n times",
        2_000,
        |n| main_only(&"iface eth0 inet static\n  address 10.0.0.1/24\n".repeat(n)),
        |s| assert_eq!(import_ok(s, &[]).interfaces.len(), 1),
    );
    // A link option given n times, each checked against the first.
    assert_linear(
        "a link option n times",
        2_000,
        |n| {
            main_only(&format!(
                "iface eth0 inet manual\n{}",
                "  mtu 1500\n".repeat(n)
            ))
        },
        |s| assert_eq!(import_ok(s, &[]).interfaces.len(), 1),
    );
}

#[test]
fn a_bond_of_many_slaves_imports_in_linear_time() {
    // Slaves named by their own `bond-master`, and a `bond-primary` of many names.
    assert_linear(
        "a bond of n slaves",
        2_000,
        |n| {
            let mut text = format!(
                "iface bond0 inet manual\n  bond-mode active-backup\n  bond-primary{}\n",
                (0..n).map(|i| format!(" x{i}")).collect::<String>()
            );
            for i in 0..n {
                text.push_str(&format!("iface s{i} inet manual\n  bond-master bond0\n"));
            }
            main_only(&text)
        },
        |s| {
            let host = import_ok(s, &[]);
            let InterfaceKind::Bond(b) = &host.interfaces[0].kind else {
                panic!("bond0 is a bond")
            };
            assert!(b.slaves.len() >= 200);
        },
    );
}

#[test]
fn many_source_lines_are_followed_in_linear_time() {
    // What netloom itself appends when the main file does not source interfaces.d/*.
    assert_linear(
        "n source lines of n files",
        200,
        |n| {
            let mut files = vec![(
                MAIN.to_owned(),
                (0..n)
                    .map(|i| format!("source /etc/network/interfaces.d/e{i}\n"))
                    .collect::<String>(),
            )];
            for i in 0..n {
                files.push((
                    format!("etc/network/interfaces.d/e{i}"),
                    format!("auto e{i}\niface e{i} inet dhcp\n"),
                ));
            }
            Snapshot {
                files: files.into_iter().collect(),
                ..Snapshot::default()
            }
        },
        |s| assert!(import_ok(s, &[]).interfaces.len() >= 200),
    );
}

#[test]
fn a_big_file_sourced_over_and_over_is_refused_before_the_work_squares() {
    // n source lines of one n-line file: ifupdown would read n² lines. netloom reads at
    // most four times what the root holds and a million more, then refuses at the line.
    assert_linear(
        "an n-line file sourced by n lines",
        2_000,
        |n| {
            let main = "source /etc/network/interfaces.d/big\n".repeat(n);
            let big = "iface eth0 inet dhcp\n".repeat(n);
            snap(&[(MAIN, &main), ("etc/network/interfaces.d/big", &big)])
        },
        |s| {
            let found = errors(s, &[]);
            assert!(
                found
                    .iter()
                    .all(|e| e.contains("ifupdown would read more than")),
                "{found:?}"
            );
        },
    );
}

// ---- what ifupdown reads and the model holds another way ----

/// Every note as `Kind file:line:col: message`.
fn notes(s: &Snapshot) -> Vec<String> {
    (import(s, &[]).unwrap().notes.iter())
        .map(|n| format!("{:?} {}: {}", n.kind, n.at.location(), n.at.message()))
        .collect()
}

#[test]
fn an_alias_stanza_is_more_addresses_of_its_device() {
    // ifupdown's testcase.8: `iface eth1:1` adds an address labelled eth1:1 to eth1.
    let s = main_only(
        "auto eth1 eth1:1\niface eth1 inet static\n  address 1.2.3.4\n  netmask 255.255.255.0\n\
         iface eth1:1 inet static\n  address 1.5.3.4\n  netmask 255.255.255.0\n\
         iface eth2:3 inet static\n  address 3.4.5.6/23\n",
    );
    assert_imports(
        &s,
        "<interfaces><interface type='ethernet' name='eth1'><start mode='onboot'/>
           <protocol family='ipv4'><ip address='1.2.3.4' prefix='24'/>
             <ip address='1.5.3.4' prefix='24'/></protocol></interface>
         <interface type='ethernet' name='eth2'><start mode='none'/>
           <protocol family='ipv4'><ip address='3.4.5.6' prefix='23'/></protocol></interface>
         </interfaces>",
    );
    // Started on its own while its device is not: one start mode per device, said.
    let s = main_only("auto eth1:1\niface eth1 inet manual\niface eth1:1 inet dhcp\n");
    assert_eq!(
        notes(&s),
        [
            "NotImported etc/network/interfaces:1:6: 'eth1:1' is kept in the file but not \
          imported: netloom reads one start mode for 'eth1' and its aliases, and 'eth1' is not \
          on an auto line"
        ]
    );
}

#[test]
fn interfaces_come_back_in_the_order_of_the_files() {
    let s = main_only("iface zz0 inet dhcp\niface aa0 inet dhcp\niface mm0 inet dhcp\n");
    let names: Vec<String> = (import_ok(&s, &[]).interfaces.iter())
        .map(|i| i.name.to_string())
        .collect();
    assert_eq!(names, ["zz0", "aa0", "mm0"]);
}

#[test]
fn a_mapping_and_its_logical_interfaces_are_skipped_with_why() {
    let s = main_only(
        "auto eth0\nmapping eth0\n  script /usr/local/bin/where\n  map HOME home\n  map WORK work\n\
         iface home inet dhcp\niface work inet static\n  address 10.0.0.2/24\niface eth1 inet dhcp\n",
    );
    let names: Vec<String> = (import_ok(&s, &[]).interfaces.iter())
        .map(|i| i.name.to_string())
        .collect();
    assert_eq!(names, ["eth1"]);
    let notes = notes(&s);
    assert_eq!(notes.len(), 3, "{notes:#?}");
    assert!(notes[0].starts_with(
        "Skipped etc/network/interfaces:2:9: 'eth0' is brought up through this mapping, as \
         whatever logical interface /usr/local/bin/where prints"
    ));
    assert!(notes[1].starts_with(
        "Skipped etc/network/interfaces:6:7: skipped: a logical interface of the mapping at line 2"
    ));
}

#[test]
fn auto_patterns_start_the_stanzas_they_match_and_say_so() {
    let s = snap(&[
        (
            MAIN,
            "auto /eth*\nallow-hotplug mac/52:54:00:00:00:0?\nauto /eth*=tmpl\n\
             iface eth0 inet dhcp\niface eth1 inet dhcp\niface wan inet dhcp\niface tmpl inet dhcp\n",
        ),
        ("sys/class/net/wan/address", "52:54:00:00:00:01\n"),
    ]);
    let got = import_ok(&s, &[]);
    let starts: Vec<String> = (got.interfaces.iter())
        .map(|i| format!("{} {:?}", i.name, i.start))
        .collect();
    assert_eq!(
        starts,
        [
            "eth0 Some(OnBoot)",
            "eth1 Some(OnBoot)",
            "wan Some(Hotplug)"
        ]
    );
    let notes = notes(&s);
    assert!(
        notes.contains(
            &"Derived etc/network/interfaces:1:6: '/eth*' starts eth0, eth1: the stanzas whose \
              devices it matches (ifupdown matches the devices the kernel knows when ifup runs)"
                .to_owned()
        ),
        "{notes:#?}"
    );
    assert!(
        notes.iter().any(|n| n.starts_with(
            "NotImported etc/network/interfaces:3:6: the pattern '/eth*=tmpl' is not followed"
        )),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("skipped: a logical interface the pattern '/eth*=tmpl'")),
        "{notes:#?}"
    );
}

#[test]
fn ifenslave_and_bridge_utils_options_read_as_they_write_them() {
    // Either spelling of each option; the values as sysfs and brctl take them: keywords by
    // name or number, tlb_dynamic_lb's on and off; num_unsol_na, which ifenslave writes
    // after num_grat_arp to the same value, wins.
    let s = main_only(
        "iface bond0 inet manual\n  bond-slaves eth1\n  bond-mode 802.3ad\n  \
         bond_lacp_rate 1\n  bond-xmit-hash-policy layer3+4\n  bond-ad-select 2\n  \
         bond-num-grat-arp 2\n  bond_num_unsol_na 5\n  bond-primary-reselect better\n  \
         bond-fail-over-mac 1\n\
         iface bond1 inet manual\n  bond-slaves eth2\n  bond-mode balance-alb\n  \
         bond-tlb-dynamic-lb off\n  bond-packets-per-slave 3\n\
         iface br0 inet manual\n  bridge_ports eth3\n  bridge_stp off\n  \
         bridge_bridgeprio 4096\n  bridge_hello 3\n  bridge_maxage 12\n  bridge_ageing 0\n",
    );
    assert_imports(
        &s,
        "<interfaces xmlns:nl='urn:netloom:xml:1'>\
         <interface type='bond' name='bond0'><start mode='none'/><bond mode='802.3ad'>\
         <nl:bond lacp_rate='fast' xmit_hash_policy='layer3+4' ad_select='count' \
         num_grat_arp='5' primary_reselect='better' fail_over_mac='active'/>\
         <interface type='ethernet' name='eth1'/></bond></interface>\
         <interface type='bond' name='bond1'><start mode='none'/><bond mode='balance-alb'>\
         <nl:bond tlb_dynamic_lb='no'/><interface type='ethernet' name='eth2'/></bond></interface>\
         <interface type='bridge' name='br0'><start mode='none'/><bridge stp='off'>\
         <nl:bridge priority='4096' hello_time='3' max_age='12' ageing_time='0'/>\
         <interface type='ethernet' name='eth3'/></bridge></interface>\
         </interfaces>",
    );
    // What the kernel refuses in the bond's mode (packets_per_slave is balance-rr's) and
    // the num_grat_arp that num_unsol_na overrides are noted where they are.
    let notes: Vec<String> = import(&s, &[])
        .unwrap()
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.at.location(), n.at.message()))
        .collect();
    assert_eq!(
        notes,
        [
            "etc/network/interfaces:7:21: bond-num-grat-arp is not imported: bond-num-unsol-na \
             sets the same value of the driver, after it",
            "etc/network/interfaces:15:26: bond-packets-per-slave is kept in the file but not \
             imported: packets_per_slave is for mode 'balance-rr', and this bond's is \
             'balance-alb', and the kernel refuses it there",
        ]
    );
}

#[test]
fn bad_bond_and_bridge_options_are_refused_at_the_value() {
    let cases = [
        (
            "iface bond0 inet manual\n  bond-slaves eth1\n  bond-mode 4\n  bond-lacp-rate 2\n",
            "4:18: invalid bond-lacp-rate '2': expected a name or a number from 0 to 1",
        ),
        (
            "iface bond0 inet manual\n  bond-slaves eth1\n  bond-num-grat-arp 256\n",
            "3:21: invalid bond-num-grat-arp '256': expected a whole number from 0 to 255",
        ),
        (
            "iface br0 inet manual\n  bridge-ports none\n  bridge-hello 11\n",
            "3:16: invalid bridge-hello '11': expected a whole number of seconds from 1 to 10",
        ),
        (
            "iface br0 inet manual\n  bridge-ports none\n  bridge_bridgeprio 65536\n",
            "3:21: invalid bridge-bridgeprio '65536': expected a whole number from 0 to 65535",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            one_error(text),
            format!("etc/network/interfaces:{want}"),
            "{text}"
        );
    }
}
