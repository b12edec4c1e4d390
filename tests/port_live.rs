//! `netloom port plug/unplug/list` for real, in network namespaces these tests create
//! (harness in `net_live_util`): pool devices are veths in HV, macvtaps and taps are made
//! there, a guest is G1 with a veth whose HV end is its NIC's backend. Covers the pool,
//! portgroup and virtualport rules, the usage counts (in `port list` and in the network's
//! live XML), runtime plug and unplug, and the three restart cases of libvirt's design:
//! a guest ended while netloom was not running, netloom killed with guests running or
//! gone, and a host reboot.

use crate::net_live_util::{Lab, runnable};
use crate::port_util::{list, network, plug, plugged, pool, usage};
use serde_json::json;

/// The `<actual>`'s `dev='…'` values of plug output, in order.
fn actual_devs(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("actual"))
        .filter_map(|a| a.children().find(|c| c.has_tag_name("source")))
        .filter_map(|s| s.attribute("dev").map(str::to_owned))
        .collect()
}

/// Each interface's `<target dev>` and `<mac address>` of plug output, in order.
fn targets_and_macs(xml: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("interface"))
        .map(|i| {
            let get = |tag: &str, attr: &str| {
                i.children()
                    .find(|c| c.has_tag_name(tag))
                    .and_then(|c| c.attribute(attr))
                    .unwrap_or("")
                    .to_owned()
            };
            (get("target", "dev"), get("mac", "address"))
        })
        .collect()
}

fn net_iface(net: &str) -> String {
    format!("    <interface type='network'><source network='{net}'/></interface>")
}

#[test]
fn pools_give_shared_devices_by_use_and_exclusive_ones_once() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("pool", false);
    pool(&lab, &["eth1", "eth2", "eth3"]);
    network(
        &lab,
        "vepa",
        "  <forward mode='vepa'><interface dev='eth1'/><interface dev='eth2'/></forward>",
    );
    network(
        &lab,
        "pt",
        "  <forward mode='passthrough'><interface dev='eth3'/></forward>",
    );
    network(
        &lab,
        "hd",
        "  <forward mode='hostdev' managed='yes'><driver name='vfio'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/></forward>",
    );

    // Shared: least used, ties to the earliest listed.
    let three = [net_iface("vepa"), net_iface("vepa"), net_iface("vepa")].join("\n");
    let xml = plugged(&lab, "vm1", &three);
    assert_eq!(actual_devs(&xml), ["eth1", "eth2", "eth1"], "{xml}");
    assert!(xml.contains("mode='vepa'"), "{xml}");
    let tm = targets_and_macs(&xml);
    assert_eq!(
        tm.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["macvtap0", "macvtap1", "macvtap2"]
    );
    let macs: std::collections::BTreeSet<&str> = tm.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(macs.len(), 3, "MACs must differ: {tm:?}");
    assert!(macs.iter().all(|m| m.starts_with("52:54:00:")), "{tm:?}");
    let link = lab.hv.ip("-d link show macvtap1");
    assert!(link.contains("macvtap1@eth2"), "{link}");
    assert!(link.contains("macvtap mode vepa"), "{link}");
    assert!(link.contains(&format!("link/ether {}", tm[1].1)), "{link}");
    assert_eq!(
        usage(&lab, "vepa"),
        (3, vec![("eth1".into(), 2), ("eth2".into(), 1)])
    );
    // `port list --format json` says the same in fields of their own, not one string.
    let (v, _) = list(&lab);
    let vm1: Vec<(&str, &str, &str, &str)> = (v["interfaces"].as_array().unwrap().iter())
        .filter(|i| i["guest"] == "vm1")
        .map(|i| {
            assert_eq!(
                (&i["network"], &i["type"]),
                (&json!("vepa"), &json!("network")),
                "{i}"
            );
            assert!(i["port"].is_string() && i["bridge"].is_null(), "{i}");
            let s = |k: &str| i[k].as_str().unwrap();
            (s("connection"), s("dev"), s("mode"), s("target"))
        })
        .collect();
    assert_eq!(
        vm1,
        [
            ("direct", "eth1", "vepa", "macvtap0"),
            ("direct", "eth2", "vepa", "macvtap1"),
            ("direct", "eth1", "vepa", "macvtap2"),
        ],
        "{v}"
    );
    let live = lab.netloom(&["net", "dumpxml", "vepa"]).stdout;
    assert!(live.contains("<network connections='3'>"), "{live}");
    assert!(
        live.contains("<interface dev='eth1' connections='2'/>"),
        "{live}"
    );
    let inactive = lab
        .netloom(&["net", "dumpxml", "--inactive", "vepa"])
        .stdout;
    assert!(!inactive.contains("connections"), "{inactive}");

    // Exclusive: passthrough takes an unused device, then refuses naming the network.
    let xml = plugged(&lab, "vm2", &net_iface("pt"));
    assert_eq!(actual_devs(&xml), ["eth3"]);
    assert!(
        lab.hv
            .ip("-d link show macvtap3")
            .contains("macvtap mode passthru")
    );
    let r = plug(&lab, "vm3", &net_iface("pt"), &[]);
    assert!(
        r.code == 2 && r.stderr.contains("'pt'") && r.stderr.contains("exclusive"),
        "{r}"
    );
    let (v, _) = list(&lab);
    assert!(
        v["guests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["name"] != "vm3"),
        "a refused plug must leave nothing: {v}"
    );

    // hostdev: PCI functions, one guest each.
    let xml = plugged(&lab, "vm4", &[net_iface("hd"), net_iface("hd")].join("\n"));
    assert!(
        xml.contains("<actual type='hostdev' managed='yes'>"),
        "{xml}"
    );
    assert!(
        xml.contains("function='0x1'") && xml.contains("function='0x2'"),
        "{xml}"
    );
    let r = plug(&lab, "vm5", &net_iface("hd"), &[]);
    assert!(r.code == 2 && r.stderr.contains("'hd'"), "{r}");
    assert_eq!(
        usage(&lab, "hd"),
        (
            2,
            vec![("0000:03:00.1".into(), 1), ("0000:03:00.2".into(), 1)]
        )
    );

    // A given MAC another guest holds is refused, naming it.
    let taken = &tm[0].1;
    let r = plug(
        &lab,
        "vm6",
        &format!(
            "    <interface type='network'><mac address='{taken}'/><source network='vepa'/></interface>"
        ),
        &[],
    );
    assert!(r.code == 2 && r.stderr.contains("'vm1'"), "{r}");

    // A target naming a device that is not the guest's is refused, and nothing is touched.
    lab.hv.ip("link add br7 type bridge");
    let before = lab.hv.ip("-o link");
    for (target, why) in [
        ("eth1", "belongs to network 'vepa'"),
        ("br7", "is a bridge device"),
        ("lo", "is a physical or loopback device"),
        ("macvtap0", "guest 'vm1' uses that device"),
    ] {
        let r = plug(
            &lab,
            "vm7",
            &format!(
                "    <interface type='bridge'><source bridge='br7'/><target dev='{target}'/></interface>"
            ),
            &[],
        );
        assert!(r.code == 2 && r.stderr.contains(why), "{target}: {r}");
    }
    assert_eq!(
        lab.hv.ip("-o link"),
        before,
        "a refused plug changed devices"
    );
    // A type-bridge interface needs no network: a tap on that host bridge, no port.
    let xml = plugged(
        &lab,
        "vm7",
        "    <interface type='bridge'><source bridge='br7'/></interface>",
    );
    assert!(!xml.contains("<actual"), "{xml}");
    let tap = lab.hv.ip("-d link show vnet0");
    assert!(
        tap.contains("master br7") && tap.contains("tun type tap"),
        "{tap}"
    );

    // Runtime unplug of vm1's second NIC: its device stays, down; eth2 is free again and
    // the next guest gets it.
    let r = lab.netloom(&["port", "unplug", "--guest", "vm1", "--mac", &tm[1].1]);
    assert!(r.ok(), "{r}");
    assert_eq!(
        usage(&lab, "vepa"),
        (2, vec![("eth1".into(), 2), ("eth2".into(), 0)])
    );
    let link = lab.hv.ip("link show macvtap1");
    assert!(
        !link.contains(",UP"),
        "unplugged NIC's device must be down: {link}"
    );
    let xml = plugged(&lab, "vm6", &net_iface("vepa"));
    assert_eq!(actual_devs(&xml), ["eth2"]);

    // The whole guest: every port released, the devices netloom made removed.
    let r = lab.netloom(&["port", "unplug", "--guest", "vm1"]);
    assert!(r.ok() && r.stderr.contains("2 port(s) released"), "{r}");
    let links = lab.hv.ip("-o link");
    for gone in ["macvtap0", "macvtap1", "macvtap2"] {
        assert!(
            !links.contains(&format!(" {gone}@")),
            "{gone} left: {links}"
        );
    }
    assert_eq!(
        usage(&lab, "vepa"),
        (1, vec![("eth1".into(), 0), ("eth2".into(), 1)])
    );
    let r = lab.netloom(&["port", "unplug", "--guest", "vm1"]);
    assert!(
        r.code == 2 && r.stderr.contains("no guest named 'vm1'"),
        "{r}"
    );
    // The table: one row per interface with its port, one per network with its devices.
    let r = lab.netloom(&["port", "list"]);
    assert!(r.ok(), "{r}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    let head = [
        "Guest",
        "MAC",
        "Type",
        "Source",
        "Connection",
        "Target",
        "Port",
    ];
    assert!(lines[0].split_whitespace().eq(head), "{r}");
    let vm6 = lines.iter().find(|l| l.starts_with("vm6 ")).unwrap();
    let cells: Vec<&str> = vm6.split_whitespace().collect();
    assert_eq!(&cells[2..6], ["network", "vepa", "direct", "eth2"], "{vm6}");
    assert_eq!(cells.last().unwrap().len(), 36, "{vm6}");
    let row = ["vepa", "1", "eth1=0", "eth2=1"];
    assert!(lines.iter().any(|l| l.split_whitespace().eq(row)), "{r}");
    lab.finish();
}

#[test]
fn portgroups_and_virtualports_merge_or_refuse() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("pg", false);
    pool(&lab, &["eth1"]);
    network(
        &lab,
        "qbg",
        "  <forward mode='vepa'><interface dev='eth1'/></forward>\n  \
         <virtualport type='802.1Qbg'><parameters managerid='11' typeid='1193047'/></virtualport>\n  \
         <portgroup name='eng' default='yes'><virtualport><parameters typeidversion='2'/></virtualport></portgroup>\n  \
         <portgroup name='sales'><virtualport><parameters typeidversion='3' managerid='12'/></virtualport></portgroup>",
    );
    // No portgroup named: the default one; ids filled from network and portgroup, the
    // instance id generated.
    let xml = plugged(&lab, "a", &net_iface("qbg"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let p = doc
        .descendants()
        .find(|n| n.has_tag_name("parameters"))
        .unwrap_or_else(|| panic!("no merged virtualport: {xml}"));
    assert_eq!(p.attribute("managerid"), Some("11"), "{xml}");
    assert_eq!(p.attribute("typeid"), Some("1193047"), "{xml}");
    assert_eq!(p.attribute("typeidversion"), Some("2"), "{xml}");
    let instance = p.attribute("instanceid").unwrap_or_default();
    assert_eq!(instance.len(), 36, "instanceid generated: {xml}");
    let ports: Vec<_> = walkdir::WalkDir::new(lab.root().join("run/netloom/ports/qbg"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .collect();
    assert_eq!(ports.len(), 1);
    let port = std::fs::read_to_string(ports[0].path()).unwrap();
    assert!(port.contains("<group>eng</group>"), "{port}");
    assert!(port.contains(&format!("instanceid='{instance}'")), "{port}");
    // The interface's own value is kept; a portgroup value wins over the network's, and an
    // interface value contradicting that result is refused, naming both.
    let own = "    <interface type='network'><source network='qbg' portgroup='eng'/>\
               <virtualport><parameters instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport></interface>";
    let xml = plugged(&lab, "b", own);
    assert!(
        xml.contains("instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'"),
        "{xml}"
    );
    let xml = plugged(
        &lab,
        "c",
        "    <interface type='network'><source network='qbg' portgroup='sales'/></interface>",
    );
    assert!(
        xml.contains("managerid='12' typeid='1193047' typeidversion='3'"),
        "{xml}"
    );
    let r = plug(
        &lab,
        "c2",
        "    <interface type='network'><source network='qbg' portgroup='sales'/>\
         <virtualport><parameters managerid='11'/></virtualport></interface>",
        &[],
    );
    assert!(
        r.code == 2
            && r.stderr.contains(
                "managerid '11' from the interface conflicts with managerid '12' from \
                 portgroup 'sales'"
            ),
        "{r}"
    );
    let r = plug(
        &lab,
        "d",
        "    <interface type='network'><source network='qbg' portgroup='nosuch'/></interface>",
        &[],
    );
    assert!(
        r.code == 2 && r.stderr.contains("'nosuch'") && r.stderr.contains("'qbg'"),
        "{r}"
    );
    let r = plug(
        &lab,
        "e",
        "    <interface type='network'><source network='qbg'/><virtualport type='openvswitch'/></interface>",
        &[],
    );
    assert!(r.code == 2 && r.stderr.contains("openvswitch"), "{r}");
    let r = plug(&lab, "f", &net_iface("nosuch"), &[]);
    assert!(
        r.code == 2 && r.stderr.contains("network 'nosuch' is not active"),
        "{r}"
    );
    assert_eq!(usage(&lab, "qbg"), (3, vec![("eth1".into(), 3)]));
    // Interfaces with no host device get no target name, and no port.
    let xml = plugged(
        &lab,
        "g",
        "    <interface type='none'/>\n    <interface type='user'/>\n    \
         <interface type='server'><source port='5900'/></interface>",
    );
    assert!(!xml.contains("<target"), "{xml}");
    assert_eq!(xml.matches("<mac address='52:54:00:").count(), 3, "{xml}");
    assert_eq!(usage(&lab, "qbg"), (3, vec![("eth1".into(), 3)]));
    lab.finish();
}

/// The MAC of device `dev` in HV.
fn mac_of(lab: &Lab, dev: &str) -> String {
    let link = lab.hv.ip(&format!("-o link show {dev}"));
    link.split("link/ether ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no MAC in {link}"))
        .to_owned()
}

/// The device abstraction design's two networks, as written: a vepa network whose
/// portgroups each override the network's 802.1Qbg typeid, and a passthrough network of
/// eight devices. Guests give only what is per interface (a portgroup, an instanceid, a MAC).
#[test]
fn the_design_networks_work_as_written() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("design", false);
    let vepa: Vec<String> = (0..4).map(|n| format!("eth{n}")).collect();
    let pt: Vec<String> = (10..18).map(|n| format!("eth{n}")).collect();
    let mut all: Vec<&str> = vepa.iter().chain(&pt).map(String::as_str).collect();
    all.push("eth20");
    pool(&lab, &all);
    let ifaces = |devs: &[String]| -> String {
        devs.iter()
            .map(|d| format!("<interface dev='{d}'/>"))
            .collect()
    };
    network(
        &lab,
        "red",
        &format!(
            "  <forward mode='vepa'>{}</forward>\n  \
             <virtualport type='802.1Qbg'>\
             <parameters managerid='11' typeid='1193047' typeidversion='2'/></virtualport>\n  \
             <portgroup name='engineering'><virtualport><parameters typeid='33'/></virtualport></portgroup>\n  \
             <portgroup name='sales'><virtualport><parameters typeid='22'/></virtualport></portgroup>",
            ifaces(&vepa)
        ),
    );
    network(
        &lab,
        "blue",
        &format!("  <forward mode='passthrough'>{}</forward>", ifaces(&pt)),
    );

    // vepa: the portgroup's typeid, the network's managerid and typeidversion, the guest's
    // instanceid, in the guest's <actual> and in the stored port.
    for (guest, group, typeid) in [("eng1", "engineering", "33"), ("sales1", "sales", "22")] {
        let xml = plugged(
            &lab,
            guest,
            &format!(
                "    <interface type='network'><source network='red' portgroup='{group}'/>\
                 <virtualport><parameters instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/>\
                 </virtualport></interface>"
            ),
        );
        let want = format!(
            "managerid='11' typeid='{typeid}' typeidversion='2' \
             instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'"
        );
        assert!(xml.contains(&want), "{guest}: {xml}");
        let dir = lab.root().join("run/netloom/ports/red");
        let found = std::fs::read_dir(&dir).unwrap().any(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            text.contains(&want) && text.contains(&format!("<name>{guest}</name>"))
        });
        assert!(found, "{guest}: no stored port with {want}");
    }

    // passthrough: eight guests, one device each, the guest's MAC on the device and on its
    // macvtap; the device's own MAC comes back when the port is released.
    let own: Vec<String> = pt.iter().map(|d| mac_of(&lab, d)).collect();
    let mut guests = Vec::new();
    for n in 0..8u8 {
        let guest = format!("pt{n}");
        let mac = format!("52:54:00:00:10:{n:02x}");
        let xml = plugged(
            &lab,
            &guest,
            &format!(
                "    <interface type='network'><mac address='{mac}'/><source network='blue'/></interface>"
            ),
        );
        let (target, got) = targets_and_macs(&xml).remove(0);
        assert_eq!(got, mac);
        assert_eq!(actual_devs(&xml), [pt[usize::from(n)].clone()], "{xml}");
        assert_eq!(mac_of(&lab, &pt[usize::from(n)]), mac, "device of {guest}");
        assert_eq!(mac_of(&lab, &target), mac, "macvtap of {guest}");
        guests.push((guest, mac, target));
    }
    let r = plug(&lab, "pt8", &net_iface("blue"), &[]);
    assert!(r.code == 2 && r.stderr.contains("exclusive"), "{r}");
    assert_eq!(usage(&lab, "blue").0, 8);

    // Unplugging one NIC, and the whole of another guest, gives the devices their own MACs.
    let r = lab.netloom(&["port", "unplug", "--guest", "pt0", "--mac", &guests[0].1]);
    assert!(r.ok(), "{r}");
    assert_eq!(mac_of(&lab, &pt[0]), own[0]);
    let r = lab.netloom(&["port", "unplug", "--guest", "pt1"]);
    assert!(r.ok(), "{r}");
    assert_eq!(mac_of(&lab, &pt[1]), own[1]);
    // The device is given again, and lent the new guest's MAC.
    let xml = plugged(
        &lab,
        "again",
        "    <interface type='network'><mac address='52:54:00:00:20:01'/><source network='blue'/></interface>",
    );
    assert_eq!(actual_devs(&xml), [pt[0].clone()], "{xml}");
    assert_eq!(mac_of(&lab, &pt[0]), "52:54:00:00:20:01");
    let saved = lab.root().join(format!("run/netloom/macs/{}.json", pt[0]));
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        text.contains(&own[0]),
        "the device's own MAC is saved: {text}"
    );

    // A guest that ended while netloom was not running: the next command puts the MAC back.
    let mut sleeper = crate::util::tools::in_netns(&lab.hv.0, "sleep")
        .arg("600")
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = sleeper.id().to_string();
    let r = lab.netloom(&["port", "unplug", "--guest", "pt2"]);
    assert!(r.ok(), "{r}");
    let r = plug(
        &lab,
        "crashes",
        "    <interface type='network'><mac address='52:54:00:00:30:01'/><source network='blue'/></interface>",
        &["--pid", &pid],
    );
    assert!(r.ok(), "{r}");
    assert_eq!(mac_of(&lab, &pt[1]), "52:54:00:00:30:01");
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let (_, notes) = list(&lab);
    assert!(notes.contains("guest 'crashes' is gone"), "{notes}");
    assert_eq!(mac_of(&lab, &pt[1]), own[1]);

    // A type-direct passthrough interface lends its MAC the same way, with no network.
    let eth20 = mac_of(&lab, "eth20");
    let direct = "    <interface type='direct'><mac address='52:54:00:00:40:01'/>\
                  <source dev='eth20' mode='passthrough'/></interface>";
    plugged(&lab, "direct", direct);
    assert_eq!(mac_of(&lab, "eth20"), "52:54:00:00:40:01");
    plugged(&lab, "direct", direct);
    assert_eq!(
        mac_of(&lab, "eth20"),
        "52:54:00:00:40:01",
        "kept by a plug again"
    );
    let r = lab.netloom(&["port", "unplug", "--guest", "direct"]);
    assert!(r.ok(), "{r}");
    assert_eq!(mac_of(&lab, "eth20"), eth20);

    // Stopping the network gives every device its own MAC and forgets the saved ones.
    let r = lab.netloom(&["net", "stop", "blue"]);
    assert!(r.ok(), "{r}");
    for (dev, mac) in pt.iter().zip(&own) {
        assert_eq!(&mac_of(&lab, dev), mac, "{dev} after net stop");
    }
    let left: Vec<_> = std::fs::read_dir(lab.root().join("run/netloom/macs"))
        .map(|r| r.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "saved MACs left: {left:?}");
    lab.finish();
}

/// Writes an executable shell script into the lab's scratch directory; its path.
fn script(lab: &Lab, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = lab.file(name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The 2007 design's firewall guest, five NICs as it writes them: a virtual network, a host
/// bridge, a tap set up by `qemu-ifup` (here a script that records its arguments and shows
/// the tap exists), user networking and a multicast segment.
#[test]
fn the_five_nic_firewall_guest_plugs_and_its_ifup_script_gets_the_tap() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("fw", false);
    network(
        &lab,
        "default",
        "  <bridge name='virbr0'/>\n  <ip address='192.168.122.1' netmask='255.255.255.0'/>",
    );
    lab.hv.ip("link add br0 type bridge");
    let log = lab.file("ifup.log", "");
    let ifup = script(
        &lab,
        "qemu-ifup",
        &format!(
            "printf '%s|' \"$#\" \"$@\" >> {log}; ip link show \"$1\" >/dev/null && echo ok >> {log}"
        ),
    );
    let down = lab.file("ifdown.log", "");
    let ifdown = script(
        &lab,
        "qemu-ifdown",
        &format!("printf '%s|' \"$#\" \"$@\" >> {down}"),
    );
    let nics = format!(
        "    <interface type='network'><source network='default'/></interface>\n    \
         <interface type='bridge'><source bridge='br0'/></interface>\n    \
         <interface type='ethernet'><target dev='vnet5'/><script path='{ifup}'/>\
         <downscript path='{ifdown}'/></interface>\n    \
         <interface type='user'/>\n    \
         <interface type='mcast'><source address='230.0.0.1' port='5558'/></interface>"
    );
    let xml = plugged(&lab, "firewall", &nics);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "1|vnet5|ok\n",
        "the script runs once, with the tap's name alone, once the tap exists"
    );
    assert!(xml.contains(&format!("<script path='{ifup}'/>")), "{xml}");
    let tap = lab.hv.ip("-d link show vnet5");
    assert!(
        tap.contains("tun type tap") && !tap.contains("master"),
        "{tap}"
    );
    assert!(lab.hv.ip("-o link show master virbr0").contains("vnet0"));
    assert!(lab.hv.ip("-o link show master br0").contains("vnet1"));
    // Plugged again as it is: the interface keeps its tap, its script does not run again.
    plugged(&lab, "firewall", &nics);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "1|vnet5|ok\n");
    // Unplugging runs the downscript with the tap, while it still exists.
    let r = lab.netloom(&["port", "unplug", "--guest", "firewall"]);
    assert!(r.ok(), "{r}");
    assert_eq!(std::fs::read_to_string(&down).unwrap(), "1|vnet5|");

    // A guest that ended: the next command runs its downscript before removing its tap.
    let mut sleeper = crate::util::tools::in_netns(&lab.hv.0, "sleep")
        .arg("600")
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = sleeper.id().to_string();
    let r = plug(
        &lab,
        "fw4",
        &format!(
            "    <interface type='ethernet'><target dev='vnet9'/><downscript path='{ifdown}'/></interface>"
        ),
        &["--pid", &pid],
    );
    assert!(r.ok(), "{r}");
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    let (_, notes) = list(&lab);
    assert!(notes.contains("guest 'fw4' is gone"), "{notes}");
    assert_eq!(std::fs::read_to_string(&down).unwrap(), "1|vnet5|1|vnet9|");
    assert!(!lab.hv.ip("-o link").contains("vnet9"));

    // A failing script undoes the whole plug and shows what it printed (escaped).
    let bad = script(
        &lab,
        "bad-ifup",
        "echo \"no bridge for $1\x1b[31m\" >&2; exit 4",
    );
    let before = lab.hv.ip("-o link");
    let r = plug(
        &lab,
        "fw2",
        &format!(
            "    <interface type='bridge'><source bridge='br0'/></interface>\n    \
             <interface type='ethernet'><script path='{bad}'/></interface>"
        ),
        &[],
    );
    assert!(r.code == 2, "{r}");
    assert!(
        r.stderr
            .contains("failed (exit status 4): no bridge for vnet"),
        "{r}"
    );
    assert!(!r.stderr.contains('\x1b'), "output must be escaped: {r}");
    assert_eq!(lab.hv.ip("-o link"), before, "a failed script left devices");
    let (v, _) = list(&lab);
    assert!(v["guests"].as_array().unwrap().is_empty(), "{v}");

    // A script that is not an executable file is refused at its position, nothing done.
    let plain = lab.file("plain-ifup", "#!/bin/sh\n");
    let r = plug(
        &lab,
        "fw3",
        &format!("    <interface type='ethernet'><script path='{plain}'/></interface>"),
        &[],
    );
    assert!(
        r.code == 2 && r.stderr.contains(":6:") && r.stderr.contains("it is not executable"),
        "{r}"
    );
    lab.finish();
}
