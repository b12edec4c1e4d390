//! Nothing is silently dropped by the NetworkManager backend: a host that sets every field
//! of the model renders without refusal, and changing any one field either changes the
//! keyfiles or makes the render fail with a refusal that names that interface and setting.
//! What NetworkManager treats the same (status, its defaults) must not change the keyfiles.
//! The host and the changes are every backend's (`util::fields`): their rows say what
//! NetworkManager must do, and why where it is the same.

use std::sync::LazyLock;

use netloom::backends::nm::Nm;

use crate::util::fields::{self, Native};

/// The host NetworkManager's walk starts from: it sets every field the model has, all of it
/// expressible for NetworkManager.
pub static BASE: LazyLock<String> = LazyLock::new(|| fields::host(Native::Nm));

fields::walk_test!(Native::Nm);

/// Two spellings of BASE that must render the same keyfiles.
fn same_files(from: &str, a: &str, b: &str) {
    fields::same_files(&Nm, &BASE, from, a, b);
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
    let files = fields::render(&Nm, &BASE).unwrap();
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
        fields::file(&files, &path).to_string()
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
