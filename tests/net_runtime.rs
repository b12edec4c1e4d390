//! The `net` verbs that act on a running network without dropping its guests, for real in
//! the `net_live` lab (namespaces this test creates, real dnsmasq and nftables): `net
//! restart` keeps guests plugged, with their leases and their traffic; `net update` changes
//! the running dnsmasq (a new static lease without restarting it); `net dhcp-leases` and
//! `net info` read what runs.

use std::fs;

use serde_json::Value;

use crate::net_live_util::{Lab, runnable};
use crate::port_util::{list, network, plugged, usage};

const G1_MAC: &str = "52:54:00:00:00:05";
const G2_MAC: &str = "52:54:00:00:00:06";

/// A NAT network on `bridge` with 10.N.0.1/24, a range .100-.199 and G1's static lease .5.
fn lan(n: u8, bridge: &str) -> String {
    format!(
        "  <forward mode='nat'/>\n  <bridge name='{bridge}' stp='off'/>\n  \
         <domain name='lab.test' localOnly='yes'/>\n  \
         <ip address='10.{n}.0.1' netmask='255.255.255.0'><dhcp>\
         <range start='10.{n}.0.100' end='10.{n}.0.199'/>\
         <host mac='{G1_MAC}' name='g1' ip='10.{n}.0.5'/></dhcp></ip>"
    )
}

/// A guest NIC on network `net` whose host end is `dev` (a veth end in HV, or a tap netloom
/// makes when `dev` is empty).
fn nic(mac: &str, net: &str, dev: &str) -> String {
    let target = if dev.is_empty() {
        String::new()
    } else {
        format!("<target dev='{dev}'/>")
    };
    format!(
        "    <interface type='network'><mac address='{mac}'/><source network='{net}'/>\
         {target}<model type='virtio'/></interface>"
    )
}

/// A veth from HV (`vgN`, left for `port plug` to attach) to guest namespace `g` (`gNe`).
fn veth(lab: &Lab, g: &crate::net_live_util::Ns, n: u8, mac: &str) {
    lab.hv.ip(&format!(
        "link add vg{n} type veth peer name g{n}e netns {}",
        g.0
    ));
    g.ip(&format!("link set g{n}e address {mac} up"));
}

/// The bridge `dev` is attached to in HV.
fn master(lab: &Lab, dev: &str) -> Option<String> {
    let text = lab.hv.ip(&format!("-j link show {dev}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    v[0]["master"].as_str().map(str::to_owned)
}

#[test]
fn restart_keeps_guests_plugged_with_their_leases_and_traffic() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("rs", false);
    network(&lab, "lan", &lan(66, "nlbr6"));
    let before_dnsmasq = lab.dnsmasq_pid("lan");
    veth(&lab, &lab.g1, 1, G1_MAC);
    veth(&lab, &lab.g2, 2, G2_MAC);
    // vm1 holds G1's veth and a tap netloom makes; vm2 G2's veth.
    plugged(
        &lab,
        "vm1",
        &format!(
            "{}\n{}",
            nic(G1_MAC, "lan", "vg1"),
            nic("52:54:00:00:00:07", "lan", "")
        ),
    );
    plugged(&lab, "vm2", &nic(G2_MAC, "lan", "vg2"));
    assert_eq!(usage(&lab, "lan").0, 3);
    lab.dhcp(&[(&lab.g1, "g1e"), (&lab.g2, "g2e")]);
    assert_eq!(lab.g1.inet("g1e"), ["10.66.0.5/24"]);
    let g2 = lab.g2.inet("g2e");
    assert!(
        g2.len() == 1 && g2[0].starts_with("10.66.0.1"),
        "G2 has a lease from the range: {g2:?}"
    );
    let (c, seen) = lab.tcp(&lab.g1, 7761);
    assert!(
        c.ok() && seen.contains("Connection received on 10.99.0.1 "),
        "{c}\n{seen}"
    );
    let leases = lab.root().join("var/lib/netloom/dnsmasq/lan.leases");
    let leased = fs::read_to_string(&leases).unwrap();

    // By UUID, as every `net` verb that takes a name.
    let info = lab.netloom(&["net", "info", "lan", "--format", "json"]);
    let uuid = serde_json::from_str::<Value>(&info.stdout).unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = lab.netloom(&["net", "restart", &uuid]);
    assert!(
        r.ok() && r.stdout.trim_end() == "Network lan restarted",
        "net restart: {r}"
    );
    // Everything netloom says besides is a known warning of this kernel, not a guest lost.
    for line in r.stderr.lines() {
        assert!(line.contains("checksum fix"), "unexpected: {line}\n{r}");
    }
    // The host side is new: another dnsmasq, from the same lease file.
    let after_dnsmasq = lab.dnsmasq_pid("lan");
    assert_ne!(before_dnsmasq, after_dnsmasq, "dnsmasq was not restarted");
    assert_eq!(fs::read_to_string(&leases).unwrap(), leased);
    // The guests are where they were: both veths and the tap back on the bridge, counted.
    for dev in ["vg1", "vg2", "vnet0"] {
        assert_eq!(master(&lab, dev).as_deref(), Some("nlbr6"), "{dev}");
    }
    let (conns, _) = usage(&lab, "lan");
    assert_eq!(conns, 3, "usage counts after restart");
    let (v, notes) = list(&lab);
    assert_eq!(v["guests"].as_array().map(Vec::len), Some(2), "{v}");
    assert!(!notes.contains("released"), "{notes}");
    let live = lab.netloom(&["net", "dumpxml", "lan"]);
    assert!(live.stdout.contains("connections='3'"), "{live}");
    // Their addresses stand, traffic goes through NAT again, and a renewal gives the same.
    assert_eq!(lab.g1.inet("g1e"), ["10.66.0.5/24"]);
    assert_eq!(lab.g2.inet("g2e"), g2);
    let (c, seen) = lab.tcp(&lab.g1, 7762);
    assert!(
        c.ok() && seen.contains("Connection received on 10.99.0.1 "),
        "{c}\n{seen}"
    );
    lab.dhcp(&[(&lab.g2, "g2e")]);
    assert_eq!(lab.g2.inet("g2e"), g2, "G2 renewed into another address");

    // A definition that no longer fits the plugged ports is refused before anything stops.
    let moved = lab.file(
        "moved.xml",
        &format!(
            "<network>\n  <name>lan</name>\n{}\n</network>\n",
            lan(66, "nlbr7")
        ),
    );
    assert!(lab.netloom(&["net", "define", &moved]).ok());
    lab.fails(&["net", "restart", "lan"], "cannot take back guest port");
    assert_eq!(lab.dnsmasq_pid("lan"), after_dnsmasq);
    assert_eq!(master(&lab, "vg1").as_deref(), Some("nlbr6"));
    lab.fails(&["net", "restart", "nosuch"], "no network named 'nosuch'");

    lab.unplug();
    let r = lab.netloom(&["port", "unplug", "--guest", "vm1"]);
    assert!(r.ok(), "{r}");
    let r = lab.netloom(&["net", "stop", "lan"]);
    assert!(r.ok(), "{r}");
    lab.fails(&["net", "restart", "lan"], "is not active");
    lab.finish();
}

#[test]
fn restart_of_a_macvtap_network_makes_a_missing_macvtap_again() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("rm", false);
    crate::port_util::pool(&lab, &["eth1"]);
    network(
        &lab,
        "direct",
        "  <forward mode='bridge'><interface dev='eth1'/></forward>",
    );
    let xml = plugged(&lab, "vm1", &nic("52:54:00:00:00:09", "direct", ""));
    assert!(xml.contains("<target dev='macvtap0'/>"), "{xml}");
    lab.hv.ip("link del macvtap0");
    let r = lab.netloom(&["net", "restart", "direct"]);
    assert!(r.ok() && r.stderr.is_empty(), "net restart: {r}");
    let link = lab.hv.ip("-d link show macvtap0");
    for want in [
        "macvtap0@eth1",
        "macvtap mode bridge",
        "link/ether 52:54:00:00:00:09",
    ] {
        assert!(link.contains(want), "{want}: {link}");
    }
    assert_eq!(usage(&lab, "direct"), (1, vec![("eth1".into(), 1)]));
    let r = lab.netloom(&["port", "unplug", "--guest", "vm1"]);
    assert!(r.ok(), "{r}");
    assert!(!lab.hv.ip("link").contains("macvtap0"));
    lab.finish();
}

/// `dig @SERVER +short TYPE NAME` in `g`, trimmed.
fn dig(g: &crate::net_live_util::Ns, server: &str, kind: &str, name: &str) -> String {
    let at = format!("@{server}");
    let out = g.exec(
        &["dig", &at, "+short", "+time=2", "+tries=1", kind, name],
        None,
    );
    assert!(out.ok(), "dig {kind} {name}: {out}");
    out.stdout.trim().to_owned()
}

#[test]
fn update_gives_a_new_guest_its_static_lease_without_restarting_dnsmasq() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("up", false);
    network(&lab, "lan", &lan(67, "nlbr8"));
    let pid = lab.dnsmasq_pid("lan");
    lab.plug(&lab.g1, 1, G1_MAC, "nlbr8");
    lab.dhcp(&[(&lab.g1, "g1e")]);
    assert_eq!(lab.g1.inet("g1e"), ["10.67.0.5/24"]);
    let hostsfile = lab.root().join("var/lib/netloom/dnsmasq/lan.hostsfile");
    let def = lab.root().join("etc/netloom/networks/lan.xml");

    // A fixed lease for G2, into the running dnsmasq (SIGHUP: same pid) and the definition.
    let host = format!("<host mac='{G2_MAC}' name='g2' ip='10.67.0.7'/>");
    lab.ok(
        &[
            "net",
            "update",
            "lan",
            "add",
            "ip-dhcp-host",
            &host,
            "--live",
            "--config",
        ],
        "Updated network lan live state and persistent config",
    );
    assert_eq!(lab.dnsmasq_pid("lan"), pid, "dnsmasq was restarted");
    let hosts = fs::read_to_string(&hostsfile).unwrap();
    assert!(hosts.contains(&format!("{G2_MAC},10.67.0.7,g2")), "{hosts}");
    for xml in [
        fs::read_to_string(&def).unwrap(),
        lab.netloom(&["net", "dumpxml", "lan"]).stdout,
    ] {
        assert!(xml.contains(&host), "{xml}");
    }
    lab.plug(&lab.g2, 2, G2_MAC, "nlbr8");
    lab.dhcp(&[(&lab.g2, "g2e")]);
    assert_eq!(
        lab.g2.inet("g2e"),
        ["10.67.0.7/24"],
        "G2 did not get its new fixed lease"
    );
    assert_eq!(dig(&lab.g1, "10.67.0.1", "A", "g2.lab.test"), "10.67.0.7");
    // dnsmasq's lease file has both guests, with the names their fixed leases give them.
    let r = lab.netloom(&["net", "dhcp-leases", "lan", "--format", "json"]);
    assert!(r.ok(), "{r}");
    let leases: Value = serde_json::from_str(&r.stdout).unwrap();
    let got: Vec<(String, String, String)> = leases["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or_default().to_owned();
            (s("mac"), s("address"), s("hostname"))
        })
        .collect();
    assert_eq!(
        got.len(),
        2,
        "{}",
        lab.netloom(&["net", "dhcp-leases", "lan"]).stdout
    );
    for want in [
        (G1_MAC.to_owned(), "10.67.0.5".to_owned(), "g1".to_owned()),
        (G2_MAC.to_owned(), "10.67.0.7".to_owned(), "g2".to_owned()),
    ] {
        assert!(got.contains(&want), "{want:?} not in {got:?}");
    }
    let r = lab.netloom(&["net", "dhcp-leases", "lan", "--mac", G2_MAC]);
    assert!(r.ok() && r.stdout.lines().count() == 3, "{r}");
    assert!(
        r.stdout.contains("10.67.0.7/24") && r.stdout.contains(" g2 "),
        "{r}"
    );

    // A DNS host: the live state only (the default for a running network), same pid.
    lab.ok(
        &[
            "net",
            "update",
            "lan",
            "add",
            "dns-host",
            "<host ip='10.67.0.60'><hostname>www2</hostname></host>",
        ],
        "Updated network lan live state",
    );
    assert_eq!(lab.dnsmasq_pid("lan"), pid);
    assert_eq!(
        dig(&lab.g1, "10.67.0.1", "A", "www2.lab.test"),
        "10.67.0.60"
    );
    assert!(!fs::read_to_string(&def).unwrap().contains("www2"));

    // Refused, by name or position, with nothing changed.
    let files = |lab: &Lab| {
        let dir = lab.root().join("var/lib/netloom/dnsmasq");
        ["lan.conf", "lan.hostsfile", "lan.addnhosts"]
            .map(|f| fs::read_to_string(dir.join(f)).unwrap())
    };
    let before = files(&lab);
    let clash = format!("<host mac='{G2_MAC}' name='other' ip='10.67.0.9'/>");
    lab.fails(
        &[
            "net",
            "update",
            "lan",
            "add",
            "ip-dhcp-host",
            &clash,
            "--live",
        ],
        "has a DHCP host <host mac='52:54:00:00:00:06' name='g2' ip='10.67.0.7'/> already",
    );
    lab.fails(
        &[
            "net",
            "update",
            "lan",
            "delete",
            "dns-host",
            "<host ip='10.67.0.61'/>",
        ],
        "network 'lan' has no DNS host with address 10.67.0.61",
    );
    lab.fails(
        &[
            "net",
            "update",
            "lan",
            "add",
            "ip-dhcp-host",
            "<host mac='52:54:00:00:00:0a'\n name='x' ip='10.68.0.9'/>",
        ],
        "<XML>:2:15: DHCP host address 10.68.0.9 is outside the <ip>'s subnet 10.67.0.0/24",
    );
    lab.fails(
        &[
            "net",
            "update",
            "lan",
            "add",
            "dns-txt",
            "<txt name='a b' value='x'/>",
        ],
        "<XML>:1:12: invalid name 'a b' on <txt>",
    );
    assert_eq!(files(&lab), before);
    assert_eq!(lab.dnsmasq_pid("lan"), pid);

    // A TXT record is an option of the conf: dnsmasq alone restarts, the guests stay.
    let r = lab.netloom(&[
        "net",
        "update",
        "lan",
        "add",
        "dns-txt",
        "<txt name='info' value='hello, guests'/>",
        "--live",
        "--config",
    ]);
    assert!(r.ok() && r.stderr.contains("dnsmasq was restarted"), "{r}");
    let restarted = lab.dnsmasq_pid("lan");
    assert_ne!(restarted, pid);
    assert_eq!(
        dig(&lab.g1, "10.67.0.1", "TXT", "info"),
        "\"hello, guests\""
    );
    assert_eq!(
        dig(&lab.g1, "10.67.0.1", "A", "www2.lab.test"),
        "10.67.0.60"
    );
    lab.dhcp(&[(&lab.g2, "g2e")]);
    assert_eq!(lab.g2.inet("g2e"), ["10.67.0.7/24"]);

    // Deleted again, by what finds it.
    lab.ok(
        &[
            "net",
            "update",
            "lan",
            "delete",
            "ip-dhcp-host",
            &format!("<host mac='{G2_MAC}'/>"),
            "--live",
            "--config",
        ],
        "Updated network lan live state and persistent config",
    );
    assert_eq!(lab.dnsmasq_pid("lan"), restarted);
    assert!(!fs::read_to_string(&hostsfile).unwrap().contains(G2_MAC));
    assert!(!fs::read_to_string(&def).unwrap().contains(G2_MAC));

    lab.unplug();
    let info = lab.netloom(&["net", "info", "lan", "--format", "json"]);
    let uuid = serde_json::from_str::<Value>(&info.stdout).unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    lab.ok(&["net", "stop", &uuid], "Network lan stopped");
    lab.finish();
}

#[test]
fn dhcp_leases_and_info_read_what_is_there_and_escape_what_guests_sent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir(&root).unwrap();
    let r = root.display().to_string();
    let run = |args: &[&str]| {
        let mut all = vec!["--root", r.as_str()];
        all.extend_from_slice(args);
        crate::util::netloom(&all, dir.path(), None)
    };
    let xml = dir.path().join("lan.xml");
    fs::write(
        &xml,
        "<network><name>lan</name><uuid>8a6c1f2e-0f6b-4a55-9d55-2b6f3c1d9e01</uuid>\
         <forward/><bridge name='nlbr3'/>\
         <ip address='10.3.0.1' prefix='24'/><ip family='ipv6' address='fd03::1' prefix='64'/>\
         </network>",
    )
    .unwrap();
    assert_eq!(run(&["net", "define", xml.to_str().unwrap()]).code, 0);
    // Never started: no lease file, no leases.
    let empty = run(&["net", "dhcp-leases", "lan", "--format", "json"]);
    assert_eq!(
        (empty.code, empty.stdout.as_str()),
        (0, "{\"leases\":[],\"network\":\"lan\",\"version\":1}\n"),
        "{}",
        empty.stderr
    );
    fs::create_dir_all(root.join("var/lib/netloom/dnsmasq")).unwrap();
    fs::write(
        root.join("var/lib/netloom/dnsmasq/lan.leases"),
        "1700000000 52:54:00:00:00:05 10.3.0.5 g1 01:52:54:00:00:00:05\n\
         0 52:54:00:00:00:06 10.3.0.6 evil\u{1b}[2J\u{202e} *\n\
         garbage\n\
         duid 00:01:00:01:2c:5b:11:22:52:54:00:00:00:01\n\
         1700000100 1234 fd03::5 g1 00:03:00:01:52:54:00:00:00:05\n",
    )
    .unwrap();

    let text = run(&["net", "dhcp-leases", "lan"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 2 + 3, "{}", text.stdout);
    assert!(lines[0].starts_with(" Expiry Time "), "{}", lines[0]);
    assert!(
        lines[2].contains("2023-11-14T22:13:20Z")
            && lines[2].contains("52:54:00:00:00:05")
            && lines[2].contains("ipv4")
            && lines[2].contains("10.3.0.5/24")
            && lines[2].contains("01:52:54:00:00:00:05"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with(" never "), "{}", lines[3]);
    assert!(
        !text.stdout.contains('\u{1b}') && !text.stdout.contains('\u{202e}'),
        "a guest's host name reached the terminal raw: {:?}",
        text.stdout
    );
    assert!(lines[3].contains("evil\\u{1b}[2J\\u{202e}"), "{}", lines[3]);
    assert!(
        lines[4].contains("fd03::5/64") && lines[4].contains("ipv6"),
        "{}",
        lines[4]
    );
    assert!(
        text.stderr.contains(
            "lan.leases:3: expected 5 fields separated by single spaces, found 1; skipped"
        ),
        "{}",
        text.stderr
    );

    let json = run(&[
        "net",
        "dhcp-leases",
        "lan",
        "--mac",
        "52:54:00:00:00:06",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"version": 1, "network": "lan", "leases": [{
            "expiry": null, "expiry_time": null, "mac": "52:54:00:00:00:06", "iaid": null,
            "protocol": "ipv4", "address": "10.3.0.6", "prefix": 24,
            "hostname": "evil\u{1b}[2J\u{202e}", "client_id": null
        }]})
    );
    let bad = run(&["net", "dhcp-leases", "lan", "--mac", "52:54:00"]);
    assert!(
        bad.code == 2 && bad.stderr.contains("--mac '52:54:00'"),
        "{}",
        bad.stderr
    );
    let none = run(&["net", "dhcp-leases", "nosuch"]);
    assert!(
        none.code == 2 && none.stderr.contains("no network named 'nosuch'"),
        "{}",
        none.stderr
    );

    let info = run(&["net", "info", "lan"]);
    assert_eq!(
        info.stdout,
        "Name:           lan\n\
         UUID:           8a6c1f2e-0f6b-4a55-9d55-2b6f3c1d9e01\n\
         Active:         no\n\
         Persistent:     yes\n\
         Autostart:      no\n\
         Bridge:         nlbr3\n",
        "{}",
        info.stderr
    );
    let json = run(&["net", "info", "lan", "--format", "json"]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["uuid"], "8a6c1f2e-0f6b-4a55-9d55-2b6f3c1d9e01");
    assert_eq!(v["active"], false);

    // Every verb that takes a name takes the UUID (any case) as well.
    let uuid = "8A6C1F2E-0F6B-4A55-9D55-2B6F3C1D9E01";
    let by_uuid = run(&["net", "info", uuid]);
    assert_eq!(by_uuid.stdout, info.stdout, "{}", by_uuid.stderr);
    let xml = run(&["net", "dumpxml", uuid]);
    assert!(
        xml.code == 0 && xml.stdout.contains("<name>lan</name>"),
        "{}",
        xml.stderr
    );
    assert_eq!(run(&["net", "dhcp-leases", uuid]).stdout, text.stdout);
    let auto = run(&["net", "autostart", uuid]);
    assert_eq!(
        auto.stdout, "Network lan marked as autostarted\n",
        "{}",
        auto.stderr
    );
    let upd = run(&[
        "net",
        "update",
        uuid,
        "add",
        "portgroup",
        "<portgroup name='pg'/>",
    ]);
    assert_eq!(
        upd.stdout, "Updated network lan persistent config\n",
        "{}",
        upd.stderr
    );
    let other = run(&["net", "info", "8a6c1f2e-0f6b-4a55-9d55-2b6f3c1d9e02"]);
    assert!(
        other.code == 2
            && other
                .stderr
                .contains("no network named '8a6c1f2e-0f6b-4a55-9d55-2b6f3c1d9e02'"),
        "{}",
        other.stderr
    );
    let gone = run(&["net", "undefine", uuid]);
    assert_eq!(
        gone.stdout, "Network lan has been undefined\n",
        "{}",
        gone.stderr
    );
    assert_eq!(
        run(&["net", "list", "--all", "--format", "json"]).stdout,
        "{\"networks\":[],\"version\":1}\n"
    );
}
