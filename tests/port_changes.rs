//! Re-plugging a guest with changes, for real in namespaces (see `port_live`): kept ports
//! count before new ones are allocated, generated MACs never repeat given ones, a stopped
//! network unplugs its guests, devices follow what their NIC now needs, a refused change
//! touches nothing, and a netloom killed half-way leaks no device.

use crate::net_live_util::{Lab, Out, runnable};
use crate::port_util::{network, pool};

fn plug(lab: &Lab, guest: &str, ifaces: &[String]) -> Out {
    crate::port_util::plug(lab, guest, &ifaces.join("\n"), &[])
}

#[track_caller]
fn plugged(lab: &Lab, guest: &str, ifaces: &[String]) -> String {
    let r = plug(lab, guest, ifaces);
    assert!(
        r.ok() && !r.stderr.contains("not counted"),
        "plug {guest}: {r}"
    );
    r.stdout
}

fn nic(kind: &str, mac: &str, inner: &str) -> String {
    let mac = if mac.is_empty() {
        String::new()
    } else {
        format!("<mac address='{mac}'/>")
    };
    format!("  <interface type='{kind}'>{mac}{inner}</interface>")
}

fn on(net: &str) -> String {
    format!("<source network='{net}'/>")
}

/// `(mac, actual source dev or bridge, target)` of each interface of plug output.
fn resolved(xml: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("interface"))
        .map(|i| {
            let child = |n: roxmltree::Node, tag: &str, attr: &str| {
                n.children()
                    .find(|c| c.has_tag_name(tag))
                    .and_then(|c| c.attribute(attr))
                    .unwrap_or("")
                    .to_owned()
            };
            let actual = i
                .children()
                .find(|c| c.has_tag_name("actual"))
                .map(|a| {
                    let s = a.children().find(|c| c.has_tag_name("source"));
                    s.map(|s| {
                        let dev = s.attribute("dev").or(s.attribute("bridge"));
                        let pci = s
                            .children()
                            .find(|c| c.has_tag_name("address"))
                            .and_then(|a| a.attribute("function"));
                        dev.or(pci).unwrap_or("").to_owned()
                    })
                    .unwrap_or_default()
                })
                .unwrap_or_default();
            (
                child(i, "mac", "address"),
                actual,
                child(i, "target", "dev"),
            )
        })
        .collect()
}

#[test]
fn replugs_count_kept_ports_first_never_repeat_macs_and_survive_network_restarts() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("chg", false);
    network(
        &lab,
        "hd",
        "  <forward mode='hostdev' managed='yes'>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>\
         <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x2'/></forward>",
    );
    let (m1, m2) = ("52:54:00:0a:00:01", "52:54:00:0a:00:02");
    let xml = plugged(
        &lab,
        "h1",
        &[nic("none", m1, ""), nic("network", m2, &on("hd"))],
    );
    assert_eq!(resolved(&xml)[1].1, "0x1");
    // NIC 1 joins later in the document than NIC 2's kept port: it must see that port.
    let both = [nic("network", m1, &on("hd")), nic("network", m2, &on("hd"))];
    let xml = plugged(&lab, "h1", &both);
    let r = resolved(&xml);
    assert_eq!((r[0].1.as_str(), r[1].1.as_str()), ("0x2", "0x1"), "{xml}");

    // A stopped network releases its ports and unplugs its guests' interfaces; plugging
    // again allocates afresh, never handing one function to two guests.
    for verb in ["stop", "start"] {
        assert!(lab.netloom(&["net", verb, "hd"]).ok());
    }
    let r = lab.netloom(&["port", "list"]);
    assert!(r.stderr.contains("lost its port on network 'hd'"), "{r}");
    let xml = plugged(
        &lab,
        "h2",
        &[nic("network", "52:54:00:0a:00:03", &on("hd"))],
    );
    assert_eq!(resolved(&xml)[0].1, "0x1");
    let r = plug(&lab, "h1", &both);
    assert!(
        r.code == 2 && r.stderr.contains("'hd'"),
        "h1 needs 2, 1 is free: {r}"
    );
    let xml = plugged(&lab, "h1", &both[..1]);
    assert_eq!(resolved(&xml)[0].1, "0x2");

    // A generated MAC never repeats one given further down the document.
    let xml = plugged(&lab, "g", &[nic("user", "", "")]);
    let given = resolved(&xml)[0].0.clone();
    let xml = plugged(&lab, "g", &[nic("user", "", ""), nic("user", &given, "")]);
    let r = resolved(&xml);
    assert_eq!(r[1].0, given);
    assert!(r[0].0 != given && r[0].0.starts_with("52:54:00:"), "{xml}");
    lab.finish();
}

#[test]
fn devices_follow_their_nic_and_a_refused_or_killed_change_leaks_nothing() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("dev", false);
    pool(&lab, &["eth1", "eth2"]);
    network(
        &lab,
        "brm",
        "  <forward mode='bridge'><interface dev='eth1'/><interface dev='eth2'/></forward>",
    );
    network(&lab, "iso", "  <bridge name='nlbr9' stp='off'/>");
    let m = "52:54:00:09:00:01";
    let links = || lab.hv.ip("-o link");

    // direct → none → a network with a bridge: the macvtap goes, a tap comes.
    let xml = plugged(&lab, "g9", &[nic("network", m, &on("brm"))]);
    assert_eq!(resolved(&xml)[0].2, "macvtap0");
    let xml = plugged(&lab, "g9", &[nic("none", m, "")]);
    assert_eq!(resolved(&xml)[0].2, "macvtap0");
    assert!(!lab.hv.ip("link show macvtap0").contains(",UP"));
    let xml = plugged(&lab, "g9", &[nic("network", m, &on("iso"))]);
    assert_eq!(resolved(&xml)[0].2, "vnet0", "{xml}");
    assert!(!links().contains("macvtap0@"), "{}", links());
    let tap = lab.hv.ip("-d link show vnet0");
    assert!(
        tap.contains("master nlbr9") && tap.contains("tun type tap"),
        "{tap}"
    );

    // A macvtap follows its NIC to another pool device and to another MAC.
    let target = "<target dev='mv11'/>";
    let xml = plugged(
        &lab,
        "g11",
        &[nic(
            "network",
            "52:54:00:11:00:01",
            &format!("{}{target}", on("brm")),
        )],
    );
    assert_eq!(resolved(&xml)[0].1, "eth1");
    let xml = plugged(
        &lab,
        "g11",
        &[nic(
            "network",
            "52:54:00:11:00:02",
            &format!("{}{target}", on("brm")),
        )],
    );
    let dev = resolved(&xml)[0].1.clone();
    let link = lab.hv.ip("-d link show mv11");
    assert!(link.contains(&format!("mv11@{dev}")), "{link}");
    assert!(link.contains("link/ether 52:54:00:11:00:02"), "{link}");

    // A change the host step could not make is refused before anything is written or
    // touched: vnet0 stays up on its bridge.
    let before = links();
    let r = plug(
        &lab,
        "g9",
        &[
            nic("network", m, &format!("{}<link state='down'/>", on("iso"))),
            nic("bridge", "52:54:00:09:00:02", "<source bridge='nosuchbr'/>"),
        ],
    );
    assert!(
        r.code == 2 && r.stderr.contains("bridge 'nosuchbr' does not exist"),
        "{r}"
    );
    assert_eq!(links(), before);

    // Killed after writing a plug that drops a NIC: the next command removes its tap.
    let two = [
        nic("network", m, &on("iso")),
        nic("network", "52:54:00:09:00:03", &on("iso")),
    ];
    let xml = plugged(&lab, "g9", &two);
    let second = resolved(&xml)[1].2.clone();
    assert!(links().contains(&format!(" {second}:")), "{}", links());
    let file = lab.file(
        "g9-one.xml",
        &format!(
            "<domain><name>g9</name><devices>{}</devices></domain>",
            two[0]
        ),
    );
    let r = lab.fault(
        Some("kill@port-committed"),
        &["port", "plug", &file, "--guest", "g9"],
    );
    assert!(!r.ok(), "{r}");
    assert!(links().contains(&format!(" {second}:")));
    assert!(lab.netloom(&["port", "list"]).ok());
    assert!(!links().contains(&format!(" {second}:")), "{}", links());
    lab.finish();
}
