//! Guest ports at runtime and across restarts, for real in namespaces (see `port_live`):
//! a type-none NIC plugged into a NAT network later (link comes up, the guest gets its
//! lease) and unplugged again (link down, NIC kept); usage counts after a guest ended, a
//! netloom killed with guests running or gone, counts damaged, and a host reboot.

use std::process::{Child, Stdio};

use crate::net_live_util::{Lab, runnable};
use crate::port_util::{list, network, plug, pool, usage};
use crate::util;

/// A network's connections and its devices' counts, in pool order.
#[track_caller]
fn connections(lab: &Lab, net: &str) -> (u64, Vec<u64>) {
    let (n, devs) = usage(lab, net);
    (n, devs.into_iter().map(|(_, c)| c).collect())
}

const G1_MAC: &str = "52:54:00:00:00:05";

fn guests(lab: &Lab) -> Vec<String> {
    let (v, _) = list(lab);
    v["guests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A process standing in for a guest, in HV.
fn guest_process(lab: &Lab) -> Child {
    util::tools::in_netns(&lab.hv.0, "sleep")
        .arg("600")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn end(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[track_caller]
fn carrier(lab: &Lab, up: bool) {
    let mut link = String::new();
    let reached = util::eventually(|| {
        link = lab.g1.ip("link show g1e");
        link.contains("LOWER_UP") == up
    });
    assert!(reached, "G1's NIC: wanted carrier {up}, have: {link}");
    assert!(up || link.contains("NO-CARRIER"), "{link}");
}

#[test]
fn a_none_nic_is_plugged_at_runtime_and_unplugged_without_removing_it() {
    if !runnable() || !util::runnable("a plugged guest pings", util::tools::absent("ping")) {
        return;
    }
    let lab = Lab::new("rt", false);
    network(
        &lab,
        "lan",
        "  <forward mode='nat'/>\n  <bridge name='nlbr5' stp='off'/>\n  \
         <ip address='10.55.0.1' netmask='255.255.255.0'><dhcp>\
         <range start='10.55.0.100' end='10.55.0.199'/>\
         <host mac='52:54:00:00:00:05' name='g1' ip='10.55.0.5'/></dhcp></ip>",
    );
    // G1's NIC: a veth whose HV end (vg1) is its backend, not yet connected.
    lab.hv.ip(&format!(
        "link add vg1 type veth peer name g1e netns {}",
        lab.g1.0
    ));
    lab.g1.ip(&format!("link set g1e address {G1_MAC} up"));
    let none = format!(
        "    <interface type='none'><mac address='{G1_MAC}'/><target dev='vg1'/></interface>"
    );
    let second = "    <interface type='network'><mac address='52:54:00:00:00:07'/>\
                  <source network='lan'/><model type='virtio'/></interface>";
    let r = plug(&lab, "vm", &format!("{none}\n{second}"), &[]);
    assert!(r.ok(), "{r}");
    assert!(r.stdout.contains("<interface type='none'>"), "{r}");
    // The second NIC's tap was made, named vnet0, on the bridge, up, with libvirt's MAC.
    let tap = lab.hv.ip("-d link show vnet0");
    assert!(tap.contains("master nlbr5") && tap.contains(",UP"), "{tap}");
    assert!(tap.contains("link/ether fe:54:00:00:00:07"), "{tap}");
    assert!(tap.contains("tun type tap"), "{tap}");
    let vg1 = lab.hv.ip("link show vg1");
    assert!(!vg1.contains("master") && !vg1.contains(",UP"), "{vg1}");
    carrier(&lab, false);
    assert_eq!(connections(&lab, "lan").0, 1);
    let port_of = |xml: &str, mac: &str| -> Option<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let iface = doc.descendants().find(|i| {
            i.has_tag_name("interface")
                && i.children()
                    .any(|c| c.has_tag_name("mac") && c.attribute("address") == Some(mac))
        })?;
        iface
            .children()
            .find(|c| c.has_tag_name("source"))?
            .attribute("portid")
            .map(str::to_owned)
    };
    let second_port = port_of(&r.stdout, "52:54:00:00:00:07").unwrap();
    // What plug printed is what QEMU is started from: the none NIC on a tap of the name it
    // gives, its link down, the other on the tap plug made.
    let status = lab.file("vm.status.xml", &r.stdout);
    let q = lab.netloom(&["port", "qemu-args", &status]);
    assert!(q.ok(), "{q}");
    assert_eq!(
        q.stdout,
        "-netdev\ntap,id=hostnet0,ifname=vg1,script=no,downscript=no\n\
         -device\nrtl8139,netdev=hostnet0,id=net0,mac=52:54:00:00:00:05\n\
         -netdev\ntap,id=hostnet1,ifname=vnet0,script=no,downscript=no\n\
         -device\nvirtio-net-pci,netdev=hostnet1,id=net1,mac=52:54:00:00:00:07\n"
    );
    assert!(
        q.stderr
            .contains(r#"{"execute":"set_link","arguments":{"name":"net0","up":false}}"#),
        "{q}"
    );

    // Plugged at runtime: same MAC and device, now into the network.
    let wired = format!(
        "    <interface type='network'><mac address='{G1_MAC}'/><source network='lan'/><target dev='vg1'/></interface>"
    );
    let r = plug(&lab, "vm", &format!("{wired}\n{second}"), &[]);
    assert!(r.ok(), "{r}");
    assert_eq!(
        port_of(&r.stdout, "52:54:00:00:00:07").as_deref(),
        Some(second_port.as_str()),
        "an unchanged interface keeps its port: {r}"
    );
    let vg1 = lab.hv.ip("link show vg1");
    assert!(vg1.contains("master nlbr5") && vg1.contains(",UP"), "{vg1}");
    carrier(&lab, true);
    lab.dhcp(&[(&lab.g1, "g1e")]);
    assert_eq!(lab.g1.inet("g1e"), ["10.55.0.5/24"]);
    lab.g1.sh("ping -c1 -W2 10.55.0.1");
    assert_eq!(connections(&lab, "lan").0, 2);

    // Unplugged at runtime: link down, NIC and device kept, port released.
    let r = lab.netloom(&["port", "unplug", "--guest", "vm", "--mac", G1_MAC]);
    assert!(r.ok(), "{r}");
    let vg1 = lab.hv.ip("link show vg1");
    assert!(!vg1.contains("master") && !vg1.contains(",UP"), "{vg1}");
    carrier(&lab, false);
    assert!(lab.g1.ip("link show g1e").contains(G1_MAC));
    assert_eq!(connections(&lab, "lan").0, 1);
    let (v, _) = list(&lab);
    let first = &v["guests"][0]["name"];
    let kinds: Vec<&str> = v["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["guest"] == *first)
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["none", "network"], "{v}");

    // The guest ends: its tap goes, the veth (not netloom's) stays.
    let r = lab.netloom(&["port", "unplug", "--guest", "vm"]);
    assert!(r.ok(), "{r}");
    assert!(!lab.hv.ip("-o link").contains(" vnet0:"));
    assert!(lab.hv.ip("-o link").contains(" vg1@"));
    assert_eq!(connections(&lab, "lan").0, 0);
    lab.unplug();
    let r = lab.netloom(&["net", "stop", "lan"]);
    assert!(r.ok(), "{r}");
    lab.finish();
}

#[test]
fn counts_survive_ended_guests_killed_netloom_damage_and_reboots() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("rs", false);
    pool(&lab, &["eth1", "eth2"]);
    network(
        &lab,
        "pool",
        "  <forward mode='bridge'><interface dev='eth1'/><interface dev='eth2'/></forward>",
    );
    let one = "    <interface type='network'><source network='pool'/></interface>";

    // A guest ended while netloom was not running: the next command releases its port
    // and removes the macvtap netloom made for it.
    let p1 = guest_process(&lab);
    let pid = p1.id().to_string();
    let r = plug(&lab, "vm1", one, &["--pid", &pid]);
    assert!(r.ok(), "{r}");
    assert!(lab.hv.ip("-o link").contains(" macvtap0@eth1"));
    assert_eq!(connections(&lab, "pool"), (1, vec![1, 0]));
    end(p1);
    let (v, notes) = list(&lab);
    assert!(
        notes.contains(&format!(
            "guest 'vm1' is gone (its process {pid} has ended)"
        )),
        "{notes}"
    );
    assert_eq!(v["guests"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(connections(&lab, "pool"), (0, vec![0, 0]));
    assert!(!lab.hv.ip("-o link").contains("macvtap0"));

    // netloom killed after writing a plug, with one guest still running and one that
    // ends meanwhile: the next command keeps the running ones and recounts.
    let (p2, p3) = (guest_process(&lab), guest_process(&lab));
    assert!(plug(&lab, "vm2", one, &["--pid", &p2.id().to_string()]).ok());
    assert!(plug(&lab, "vm3", one, &["--pid", &p3.id().to_string()]).ok());
    assert_eq!(connections(&lab, "pool"), (2, vec![1, 1]));
    let file = lab.file(
        "vm4.xml",
        &format!("<domain><name>vm4</name><devices>{one}</devices></domain>"),
    );
    let r = lab.fault(
        Some("kill@port-committed"),
        &["port", "plug", &file, "--guest", "vm4"],
    );
    assert!(!r.ok(), "the injected kill must end netloom: {r}");
    end(p3);
    let (_, notes) = list(&lab);
    assert!(notes.contains("guest 'vm3' is gone"), "{notes}");
    assert_eq!(guests(&lab), ["vm2", "vm4"]);
    // vm4 took eth1 (a tie with vm3's eth2 then); vm3's eth2 is free now.
    assert_eq!(connections(&lab, "pool"), (2, vec![2, 0]));
    assert!(
        !lab.hv.ip("-o link").contains("macvtap1@"),
        "vm3's macvtap must go"
    );
    // vm4's device was never made; plugging it again makes it and changes nothing else.
    assert!(!lab.hv.ip("-o link").contains("macvtap2@"));
    let r = lab.netloom(&["port", "plug", &file, "--guest", "vm4"]);
    assert!(r.ok(), "{r}");
    crate::util::assert_contains(&lab.hv.ip("-o link"), " macvtap2@eth1");
    assert_eq!(connections(&lab, "pool"), (2, vec![2, 0]));

    // Killed inside the transaction: the journal puts the files back.
    let file5 = lab.file(
        "vm5.xml",
        &format!("<domain><name>vm5</name><devices>{one}</devices></domain>"),
    );
    let r = lab.fault(
        Some("kill@temp-1"),
        &["port", "plug", &file5, "--guest", "vm5"],
    );
    assert!(!r.ok(), "{r}");
    assert_eq!(guests(&lab), ["vm2", "vm4"]);
    assert_eq!(connections(&lab, "pool"), (2, vec![2, 0]));

    // Damaged counts are rebuilt from the ports.
    let live = lab.root().join("run/netloom/networks/pool.xml");
    let text = std::fs::read_to_string(&live).unwrap();
    assert!(text.contains("<network connections='2'>"), "{text}");
    std::fs::write(&live, text.replace("connections='2'", "connections='7'")).unwrap();
    let (_, notes) = list(&lab);
    assert!(
        notes.contains("network 'pool': usage counts rebuilt from 2 plugged port(s)"),
        "{notes}"
    );
    let text = std::fs::read_to_string(&live).unwrap();
    assert!(text.contains("<network connections='2'>"), "{text}");

    // A record from an earlier boot is of a guest that cannot run.
    let rec = lab.root().join("run/netloom/guests/vm4.json");
    let text = std::fs::read_to_string(&rec).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["boot_id"] = "00000000-0000-0000-0000-000000000000".into();
    std::fs::write(&rec, v.to_string()).unwrap();
    let (_, notes) = list(&lab);
    assert!(
        notes.contains("guest 'vm4' is gone (its record is from an earlier boot)"),
        "{notes}"
    );
    assert_eq!(guests(&lab), ["vm2"]);

    // A host reboot: run state and devices gone, the network started again: no guest,
    // every count zero, and the first device is the first given.
    end(p2);
    std::fs::remove_dir_all(lab.root().join("run")).unwrap();
    for d in ["macvtap0", "macvtap2"] {
        let _ = lab.hv.exec(&["ip", "link", "del", d], None);
    }
    let r = lab.netloom(&["net", "start", "pool"]);
    assert!(r.ok(), "{r}");
    assert_eq!(guests(&lab), Vec::<String>::new());
    assert_eq!(connections(&lab, "pool"), (0, vec![0, 0]));
    let r = plug(&lab, "vm6", one, &[]);
    assert!(r.ok() && r.stdout.contains("dev='eth1'"), "{r}");
    lab.finish();
}
