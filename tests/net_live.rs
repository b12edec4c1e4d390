//! `netloom net define/start/stop/...` for real, end to end, in network namespaces these
//! tests create (never the machine's own; harness in `net_live_util`): guests get their
//! leases from the dnsmasq netloom starts, resolve its names, reach the world through NAT or
//! routing or are cut off by the reject rules, and `net stop` (also after a failed start, an
//! injected fault or a `kill -9` of dnsmasq) gives HV back exactly as it was.
//!
//! Needs root, iproute2, iptables, nftables, dnsmasq-base, isc-dhcp-client, bind9-dnsutils
//! and netcat-openbsd; without them each test prints why it is skipped, except under CI.

use netloom::backends::firewall::Family;
use netloom::backends::{iptables, nftables};
use serde_json::json;

use crate::net_live_util::{Lab, runnable};

const G1_MAC: &str = "52:54:00:00:00:05";
const G2_MAC: &str = "52:54:00:00:00:06";

/// A network on `bridge` with 10.N.0.1/24, a static lease for G1 (`files`, .5), a dynamic
/// range .100–.199, a DNS host `www` (.50), bridge MAC 52:54:00:0a:0b:N and MTU 1400;
/// `forward` is the whole `<forward>` element or nothing, `extra` goes inside `<ip>`.
fn network(name: &str, forward: &str, bridge: &str, n: u8, extra: &str) -> String {
    format!(
        r#"<network>
  <name>{name}</name>
  {forward}
  <bridge name='{bridge}' stp='off'/>
  <mtu size='1400'/>
  <mac address='52:54:00:0a:0b:{n:02x}'/>
  <domain name='lab.test' localOnly='yes'/>
  <dns><host ip='10.{n}.0.50'><hostname>www</hostname></host></dns>
  <ip address='10.{n}.0.1' netmask='255.255.255.0'>{extra}
    <dhcp>
      <range start='10.{n}.0.100' end='10.{n}.0.199'/>
      <host mac='{G1_MAC}' name='files' ip='10.{n}.0.5'/>
    </dhcp>
  </ip>
</network>
"#
    )
}

/// The network's bridge as the contract says: its MAC, STP off, MTU, address, up.
fn check_bridge(lab: &Lab, bridge: &str, n: u8) {
    let link = lab.hv.ip(&format!("-d link show {bridge}"));
    for want in [
        format!("link/ether 52:54:00:0a:0b:{n:02x} "),
        " mtu 1400 ".to_owned(),
        " stp_state 0 ".to_owned(),
    ] {
        assert!(link.contains(&want), "{bridge}: {want:?} missing:\n{link}");
    }
    assert!(link.contains(",UP"), "{bridge} is not up:\n{link}");
    assert_eq!(lab.hv.inet(bridge), [format!("10.{n}.0.1/24")]);
}

/// Defines `name` from `xml`; the definition lands in etc/netloom/networks.
fn define(lab: &Lab, name: &str, xml: &str) {
    let file = lab.file(&format!("{name}.xml"), xml);
    lab.ok(
        &["net", "define", &file],
        &format!("Network {name} defined from {file}"),
    );
    let def = lab.root().join(format!("etc/netloom/networks/{name}.xml"));
    assert!(def.is_file(), "{} missing after net define", def.display());
}

/// Stops `name`; HV must then be `before` again and no runtime file of it left.
fn stop(lab: &Lab, name: &str, verb: &str, before: &str) {
    lab.ok(&["net", verb, name], &format!("Network {name} stopped"));
    lab.same(before, &format!("after net {verb} {name}"));
    // A defined network keeps dnsmasq's lease file across a stop, as libvirt keeps its
    // lease status, so guests get their addresses back; nothing else stays.
    let persistent = lab
        .root()
        .join(format!("etc/netloom/networks/{name}.xml"))
        .exists();
    let own_leases = format!("/{name}.leases");
    let left: Vec<String> = lab
        .leftovers(name)
        .into_iter()
        .filter(|f| !(persistent && f.ends_with(&own_leases)))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "files left by {name}");
}

/// G1 holds its static lease (and a default route via the bridge unless `gateway` is
/// false), and dnsmasq answers for the DNS host and the DHCP host name.
fn guest_g1(lab: &Lab, n: u8, gateway: bool) {
    let gw = lab.g1.ip("route show default");
    if gateway {
        assert_eq!(gw.trim(), format!("default via 10.{n}.0.1 dev g1e"));
    } else {
        assert_eq!(
            gw.trim(),
            "",
            "an isolated network must send no router option"
        );
    }
    assert_eq!(lab.g1.inet("g1e"), [format!("10.{n}.0.5/24")]);
    let server = format!("10.{n}.0.1");
    assert_eq!(lab.g1.dig(&server, "www.lab.test"), format!("10.{n}.0.50"));
    assert_eq!(lab.g1.dig(&server, "files.lab.test"), format!("10.{n}.0.5"));
}

/// NAT: both guests get their leases, DNS answers, W sees G1's connection from 10.99.0.1.
fn nat(firewall: &str, tag: &str, port: u16) {
    if !runnable() {
        return;
    }
    let lab = Lab::new(tag, firewall == "iptables");
    define(
        &lab,
        "e2enat",
        &network("e2enat", "<forward mode='nat'/>", "nlbr0", 77, ""),
    );
    let before = lab.snapshot();
    assert_eq!(lab.forwarding(), "0");
    lab.ok(
        &["net", "start", "e2enat", "--firewall", firewall],
        "Network e2enat started",
    );
    check_bridge(&lab, "nlbr0", 77);
    assert_eq!(lab.forwarding(), "1", "a NAT network turns forwarding on");
    lab.dnsmasq_pid("e2enat");
    for ext in ["conf", "hostsfile", "addnhosts"] {
        let f = lab
            .root()
            .join(format!("var/lib/netloom/dnsmasq/e2enat.{ext}"));
        assert!(f.is_file(), "{} missing", f.display());
    }
    assert_eq!(
        lab.listed("e2enat"),
        Some(
            json!({"name": "e2enat", "state": "active", "autostart": false,
            "persistent": true, "bridge": "nlbr0", "firewall": firewall})
        )
    );

    lab.plug(&lab.g1, 1, G1_MAC, "nlbr0");
    lab.plug(&lab.g2, 2, G2_MAC, "nlbr0");
    lab.dhcp(&[(&lab.g1, "g1e"), (&lab.g2, "g2e")]);
    guest_g1(&lab, 77, true);
    let leases = lab.root().join("var/lib/netloom/dnsmasq/e2enat.leases");
    let text = std::fs::read_to_string(&leases).unwrap_or_default();
    assert!(
        text.contains(&format!(" {G1_MAC} 10.77.0.5 files ")),
        "{} lacks G1's lease: {text:?}",
        leases.display()
    );
    let g2 = lab.g2.inet("g2e");
    let dynamic = g2
        .first()
        .and_then(|a| a.strip_prefix("10.77.0.")?.strip_suffix("/24"));
    assert!(
        g2.len() == 1
            && dynamic
                .and_then(|d| d.parse::<u8>().ok())
                .is_some_and(|d| (100..=199).contains(&d)),
        "G2 must get one address from the range 10.77.0.100-199/24, got {g2:?}"
    );
    let (client, seen) = lab.tcp(&lab.g1, port);
    assert!(client.ok(), "G1 could not reach W through NAT: {client}");
    assert!(
        seen.contains("Connection received on 10.99.0.1 ") && !seen.contains("10.77.0."),
        "W must see G1 as 10.99.0.1 (masquerade), saw: {seen}"
    );
    assert!(seen.contains("hello from the guest"), "W saw: {seen}");

    lab.unplug();
    stop(&lab, "e2enat", "stop", &before);
    assert_eq!(
        lab.listed("e2enat")
            .map(|v| (v["state"].clone(), v["persistent"].clone())),
        Some((json!("inactive"), json!(true))),
        "a defined network stays listed, inactive, after stop"
    );
    let r = lab.netloom(&["net", "undefine", "e2enat"]);
    assert!(r.ok(), "net undefine: {r}");
    assert_eq!(
        lab.listed("e2enat"),
        None,
        "undefined networks leave the list"
    );
    assert!(!lab.root().join("etc/netloom/networks/e2enat.xml").exists());
    assert_eq!(
        lab.leftovers("e2enat"),
        Vec::<String>::new(),
        "files left after undefine"
    );
    lab.finish();
}

#[test]
fn nat_network_with_nftables_serves_dhcp_dns_and_masquerades() {
    nat("nftables", "natn", 7701);
}

#[test]
fn nat_network_with_iptables_serves_dhcp_dns_and_masquerades() {
    nat("iptables", "nati", 7702);
}

#[test]
fn isolated_network_serves_dhcp_and_dns_but_rejects_traffic_to_the_world() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("iso", true);
    // Forwarding on in HV (before the snapshot), so only netloom's reject rules stop G1.
    lab.hv.sh("sysctl -qw net.ipv4.ip_forward=1");
    // The IPv4 LIBVIRT_* chains exist already (someone else's): netloom must use them and
    // leave them; the IPv6 ones it makes and must take away again.
    let base = lab.hv.exec(
        &["iptables-restore", "-w", "--noflush"],
        Some(&iptables::base()),
    );
    assert!(base.ok(), "loading the IPv4 base: {base}");
    define(&lab, "e2eiso", &network("e2eiso", "", "nlbr0", 77, ""));
    let before = lab.snapshot();
    lab.ok(
        &["net", "start", "e2eiso", "--firewall", "iptables"],
        "Network e2eiso started",
    );
    check_bridge(&lab, "nlbr0", 77);
    lab.plug(&lab.g1, 1, G1_MAC, "nlbr0");
    lab.dhcp(&[(&lab.g1, "g1e")]);
    guest_g1(&lab, 77, false);
    lab.g1.ip("route add default via 10.77.0.1");
    // Rejected, not dropped: a dropped connection would time out (`nc -w 2`) instead of
    // being refused.
    let (client, seen) = lab.tcp(&lab.g1, 7703);
    assert!(
        !client.ok() && client.stderr.contains("refused"),
        "G1's connection to W must be rejected, got: {client}"
    );
    assert!(!seen.contains("Connection received"), "W saw: {seen}");
    lab.unplug();
    stop(&lab, "e2eiso", "stop", &before);
    lab.finish();
}

#[test]
fn routed_network_forwards_without_nat() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("rt", false);
    lab.w.ip("route add 10.77.0.0/24 via 10.99.0.1");
    // The IPv4 libvirt_network table exists already (someone else's): netloom must use it
    // and leave it; the IPv6 one it makes and must take away again.
    let base = lab
        .hv
        .exec(&["nft", "-f", "-"], Some(&nftables::base(Family::Ipv4)));
    assert!(base.ok(), "loading the IPv4 base: {base}");
    let route = "  <route address='10.88.0.0' prefix='24' gateway='10.77.0.77'/>\n</network>";
    let xml = network("e2ert", "<forward mode='route'/>", "nlbr0", 77, "");
    define(&lab, "e2ert", &xml.replace("</network>", route));
    let before = lab.snapshot();
    lab.ok(
        &["net", "start", "e2ert", "--firewall", "nftables"],
        "Network e2ert started",
    );
    assert_eq!(
        lab.forwarding(),
        "1",
        "a routed network turns forwarding on"
    );
    let routes = lab.hv.ip("route show 10.88.0.0/24");
    assert!(
        routes.contains("10.88.0.0/24 via 10.77.0.77 dev nlbr0"),
        "the network's <route> is missing: {routes:?}"
    );
    lab.plug(&lab.g1, 1, G1_MAC, "nlbr0");
    lab.dhcp(&[(&lab.g1, "g1e")]);
    guest_g1(&lab, 77, true);
    let (client, seen) = lab.tcp(&lab.g1, 7704);
    assert!(
        client.ok(),
        "G1 could not reach W through the route: {client}"
    );
    assert!(
        seen.contains("Connection received on 10.77.0.5 "),
        "W must see G1's own address 10.77.0.5 (no NAT), saw: {seen}"
    );
    lab.unplug();
    stop(&lab, "e2ert", "stop", &before);
    lab.finish();
}

#[test]
fn a_failed_start_undoes_every_step() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("fail", true);
    let tftp = "\n    <tftp root='/nonexistent-dir'/>";
    define(
        &lab,
        "e2ebad",
        &network("e2ebad", "<forward mode='nat'/>", "nlbr0", 77, tftp),
    );
    define(
        &lab,
        "e2efault",
        &network("e2efault", "<forward mode='nat'/>", "nlbr1", 78, ""),
    );
    let before = lab.snapshot();
    let undone = |name: &str, what: &str| {
        lab.same(&before, &format!("after {what}"));
        assert_eq!(
            lab.leftovers(name),
            Vec::<String>::new(),
            "{what}: files left"
        );
        assert_eq!(
            lab.listed(name).map(|v| v["state"].clone()),
            Some(json!("inactive"))
        );
    };
    for fw in ["nftables", "iptables"] {
        lab.fails(
            &["net", "start", "e2ebad", "--firewall", fw],
            "/nonexistent-dir",
        );
        undone("e2ebad", &format!("the tftp-root start with {fw}"));
        for point in ["net-bridge", "net-firewall", "net-addresses", "net-dnsmasq"] {
            let fault = format!("fail@{point}");
            let r = lab.fault(
                Some(&fault),
                &["net", "start", "e2efault", "--firewall", fw],
            );
            assert!(
                r.code == 2 && r.stderr.contains(point),
                "NETLOOM_FAULT={fault} net start --firewall {fw}: wanted exit 2 naming the point, got {r}"
            );
            undone("e2efault", &format!("NETLOOM_FAULT={fault} with {fw}"));
        }
        // The same network starts without the fault: the failures above were the injected ones.
        lab.ok(
            &["net", "start", "e2efault", "--firewall", fw],
            "Network e2efault started",
        );
        stop(&lab, "e2efault", "stop", &before);
    }

    // netloom killed half-way: the start's intent lets `net stop` undo what it had made,
    // and until then `net start` says so. Killed after its commit, the record covers it.
    for (point, again) in [
        ("net-addresses", "was interrupted"),
        ("committed", "already active"),
    ] {
        let r = lab.fault(
            Some(&format!("kill@{point}")),
            &["net", "start", "e2efault"],
        );
        assert!(!r.ok(), "kill@{point}: netloom was not killed: {r}");
        lab.fails(&["net", "start", "e2efault"], again);
        // (The lease file of the earlier runs stays: the network is defined.)
        stop(&lab, "e2efault", "stop", &before);
        assert_eq!(
            lab.listed("e2efault").map(|v| v["state"].clone()),
            Some(json!("inactive")),
            "after the start killed at {point} and a stop"
        );
    }

    // Steps made in HV are not undone from another namespace, unless forced.
    lab.ok(&["net", "start", "e2efault"], "Network e2efault started");
    let root = lab.root().display().to_string();
    let netloom = env!("CARGO_BIN_EXE_netloom");
    let elsewhere = lab
        .w
        .exec(&[netloom, "--root", &root, "net", "stop", "e2efault"], None);
    assert!(
        elsewhere.code == 2
            && elsewhere
                .stderr
                .contains("was started in network namespace"),
        "stop from W must be refused: {elsewhere}"
    );
    assert_eq!(
        lab.listed("e2efault").map(|v| v["state"].clone()),
        Some(json!("active"))
    );
    stop(&lab, "e2efault", "stop", &before);
    lab.finish();
}

#[test]
fn lifecycle_start_twice_kill_dnsmasq_transient_and_shared_forwarding() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("life", false);
    define(
        &lab,
        "e2elife",
        &network("e2elife", "<forward mode='nat'/>", "nlbr0", 77, ""),
    );
    let before = lab.snapshot();
    lab.ok(&["net", "start", "e2elife"], "Network e2elife started");
    lab.fails(&["net", "start", "e2elife"], "already active");
    assert_eq!(
        lab.listed("e2elife").map(|v| v["firewall"].clone()),
        Some(json!("nftables")),
        "nft works here, so it is the default firewall"
    );
    let one = lab.snapshot();

    // A transient second NAT network beside it; its dnsmasq dies by kill -9 before the stop.
    let tmp = lab.file(
        "e2etmp.xml",
        &network("e2etmp", "<forward mode='nat'/>", "nlbr1", 78, ""),
    );
    lab.ok(
        &["net", "create", &tmp],
        &format!("Network e2etmp created from {tmp}"),
    );
    assert!(!lab.root().join("etc/netloom/networks/e2etmp.xml").exists());
    let names: Vec<(String, String, bool)> = lab
        .list(true)
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or("").into(),
                v["state"].as_str().unwrap_or("").into(),
                v["persistent"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("e2elife".into(), "active".into(), true),
            ("e2etmp".into(), "active".into(), false)
        ]
    );
    check_bridge(&lab, "nlbr1", 78);
    lab.kill9(lab.dnsmasq_pid("e2etmp"));
    stop(&lab, "e2etmp", "destroy", &one);
    assert_eq!(lab.forwarding(), "1", "e2elife still needs forwarding");
    assert_eq!(
        lab.listed("e2etmp"),
        None,
        "a transient network is gone after stop"
    );
    lab.fails(&["net", "stop", "e2etmp"], "no network named");

    // The persistent one, also after kill -9 of its dnsmasq: back to the first snapshot.
    lab.kill9(lab.dnsmasq_pid("e2elife"));
    stop(&lab, "e2elife", "stop", &before);
    assert_eq!(lab.forwarding(), "0", "forwarding goes back to what it was");
    lab.fails(&["net", "stop", "e2elife"], "not active");
    lab.fails(&["net", "destroy", "e2elife"], "not active");
    lab.finish();
}

#[test]
fn host_device_networks_autostart_dumpxml_and_unknown_names() {
    if !runnable() {
        return;
    }
    let lab = Lab::new("host", false);
    lab.hv.ip("link add brhost type bridge");
    lab.hv.ip("link set brhost up");
    let xml = "<network>\n  <name>hostbr</name>\n  <forward mode='bridge'/>\n  \
               <bridge name='brhost'/>\n</network>\n";
    define(&lab, "hostbr", xml);
    let before = lab.snapshot();
    lab.ok(&["net", "start", "hostbr"], "Network hostbr started");
    lab.same(
        &before,
        "starting a host-device network (no bridge, rules or dnsmasq)",
    );
    let active = json!({"name": "hostbr", "state": "active", "autostart": false,
        "persistent": true, "bridge": "brhost", "firewall": null});
    assert_eq!(
        lab.list(false),
        std::slice::from_ref(&active),
        "net list shows active networks"
    );
    let root = lab.root().display().to_string();
    let r = lab.netloom_raw(
        None,
        &["net", "list", "--all", "--format", "json", "--root", &root],
    );
    assert!(r.ok(), "--root after the verb: {r}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.stdout).ok(),
        Some(json!({"version": 1, "networks": [active]}))
    );
    lab.fails(&["net", "start", "hostbr"], "already active");
    stop(&lab, "hostbr", "stop", &before);
    assert_eq!(lab.list(false), Vec::<serde_json::Value>::new());
    assert_eq!(
        lab.listed("hostbr").map(|v| v["state"].clone()),
        Some(json!("inactive"))
    );

    let r = lab.netloom(&["net", "autostart", "hostbr"]);
    assert!(r.ok(), "net autostart: {r}");
    assert_eq!(
        lab.listed("hostbr").map(|v| v["autostart"].clone()),
        Some(json!(true))
    );
    let r = lab.netloom(&["net", "autostart", "hostbr", "--disable"]);
    assert!(r.ok(), "net autostart --disable: {r}");
    assert_eq!(
        lab.listed("hostbr").map(|v| v["autostart"].clone()),
        Some(json!(false))
    );
    for args in [
        &["net", "dumpxml", "hostbr"][..],
        &["net", "dumpxml", "hostbr", "--inactive"],
    ] {
        let r = lab.netloom(args);
        assert!(
            r.ok() && r.stdout.contains("<name>hostbr</name>") && r.stdout.contains("brhost"),
            "{args:?}: {r}"
        );
    }
    for verb in [
        "start",
        "stop",
        "destroy",
        "undefine",
        "dumpxml",
        "autostart",
    ] {
        lab.fails(&["net", verb, "nosuch"], "no network named");
    }
    let r = lab.netloom(&["net", "undefine", "hostbr"]);
    assert!(r.ok(), "net undefine: {r}");
    assert_eq!(lab.list(true), Vec::<serde_json::Value>::new());
    lab.same(&before, "at the end");
    lab.finish();
}
