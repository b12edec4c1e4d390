//! A cross-host network for real, in the namespaces of the `net_live` lab (harness in
//! `net_live_util`): HV and W are two hosts linked by their veth "underlay" (10.99.0.1 ↔
//! 10.99.0.2), the same network is started on both (host A = HV serves DHCP, host B = W
//! serves none), G1 is a guest on A and G2 a guest on B. G2 gets its lease from A's
//! dnsmasq through the VXLAN link and pings G1; stopping the network on B cuts the link,
//! and each host is left exactly as it was. With nftables and with iptables, and over an IPv6
//! underlay.

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;

use crate::net_live_util::{Lab, Ns, Out, runnable, seed_iptables, wait_for};
use crate::util;

const NETLOOM: &str = env!("CARGO_BIN_EXE_netloom");
const G1_MAC: &str = "52:54:00:00:00:21";
const G2_MAC: &str = "52:54:00:00:00:22";
const UUID: &str = "6f0b6a47-6b7f-4a57-9c57-2d1f3c0e4a10";

/// The network as host A (`listen`, DHCP, address .1) or host B (address .2, no DHCP)
/// defines it; both name the other as their connection.
fn network(n: u8, a: bool, v6: bool) -> String {
    let (me, peer, addr) = match (a, v6) {
        (true, false) => ("10.99.0.1", "10.99.0.2", 1),
        (false, false) => ("10.99.0.2", "10.99.0.1", 2),
        (true, true) => ("fd99::1", "fd99::2", 1),
        (false, true) => ("fd99::2", "fd99::1", 2),
    };
    let dhcp = match a {
        true => format!(
            "\n    <dhcp>\n      <range start='10.{n}.0.100' end='10.{n}.0.150'/>\n      \
             <host mac='{G1_MAC}' name='ga' ip='10.{n}.0.5'/>\n    </dhcp>\n  "
        ),
        false => String::new(),
    };
    // A serves DHCP, so it must say what B serves; B serves none and need not say.
    let peer_dhcp = if a { " dhcp='none'" } else { "" };
    format!(
        r#"<network xmlns:nl='urn:netloom:xml:1'>
  <name>xhost</name>
  <uuid>{UUID}</uuid>
  <forward mode='nat'/>
  <bridge name='nlx0' stp='off'/>
  <ip address='10.{n}.0.{addr}' netmask='255.255.255.0'>{dhcp}</ip>
  <nl:listen address='{me}' port='4789'/>
  <nl:connections>
    <nl:connection address='{peer}' port='4789'{peer_dhcp}/>
  </nl:connections>
</network>
"#
    )
}

/// `netloom --root ROOT ARGS` in `ns`, its output through files (dnsmasq keeps fds).
fn netloom(lab: &Lab, ns: &Ns, root: &PathBuf, args: &[&str]) -> Out {
    let tag = format!("{}.{}", ns.0, args.join("_").replace('/', "_"));
    let (o, e) = (
        lab.dir.path().join(format!("x.{tag}.out")),
        lab.dir.path().join(format!("x.{tag}.err")),
    );
    let mut child = util::tools::command("ip")
        .args(["netns", "exec", &ns.0, NETLOOM, "--root"])
        .arg(root)
        .args(args)
        .env_remove(netloom::engine::FAULT_VAR)
        .stdin(Stdio::null())
        .stdout(File::create(&o).unwrap())
        .stderr(File::create(&e).unwrap())
        .spawn()
        .unwrap();
    let status = wait_for(&mut child, util::PATIENCE).expect("netloom did not finish");
    Out {
        code: status.code().unwrap_or(-1),
        stdout: fs::read_to_string(&o).unwrap(),
        stderr: fs::read_to_string(&e).unwrap(),
    }
}

/// A host's devices and firewall, without counters, for before/after comparisons.
fn state(ns: &Ns) -> String {
    let mut s = String::new();
    let links: Value = serde_json::from_str(&ns.sh("ip -j link show")).unwrap();
    let mut names: Vec<String> = links
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| format!("{} mtu {}", l["ifname"], l["mtu"]))
        .collect();
    names.sort();
    s.push_str(&format!("== ip -j link\n{}\n", names.join("\n")));
    for cmd in ["iptables-save", "ip6tables-save", "nft list ruleset"] {
        let text = ns.sh(cmd);
        let kept: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                l.split(' ')
                    .filter(|w| !(w.starts_with('[') && w.ends_with(']')))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        s.push_str(&format!("== {cmd}\n{}\n", kept.join("\n")));
    }
    s
}

/// Why this kernel cannot run the test, if it has no VXLAN: tried in `ns`, never loaded.
fn no_vxlan(ns: &Ns) -> Option<String> {
    let out = ns.exec(
        &[
            "ip",
            "link",
            "add",
            "nlvxprobe",
            "type",
            "vxlan",
            "id",
            "42",
            "dstport",
            "4789",
        ],
        None,
    );
    if !out.ok() {
        return Some(format!(
            "this kernel cannot create a VXLAN device: {}",
            out.stderr.trim()
        ));
    }
    ns.ip("link del nlvxprobe");
    None
}

fn ping(from: &Ns, to: &str) -> bool {
    from.exec(&["ping", "-n", "-c", "1", "-W", "1", to], None)
        .ok()
}

/// With `v6`, the underlay is IPv6 (fd99::1 ↔ fd99::2 on the same veth), and VXLAN costs
/// 70 bytes instead of 50.
fn cross_host(firewall: &str, tag: &str, n: u8, v6: bool) {
    if !runnable() {
        return;
    }
    let lab = Lab::new(tag, firewall == "iptables");
    if let Some(why) = no_vxlan(&lab.w) {
        eprintln!("SKIPPED: cross-host network ({why})");
        lab.finish();
        return;
    }
    if firewall == "iptables" {
        seed_iptables(&lab.w);
    }
    let (root_a, root_b) = (lab.root(), lab.dir.path().join("root-b"));
    fs::create_dir(&root_b).unwrap();
    fs::set_permissions(&root_b, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    if v6 {
        lab.hv.ip("addr add fd99::1/64 dev up0 nodad");
        lab.w.ip("addr add fd99::2/64 dev up1 nodad");
    }
    let (file_a, file_b) = (
        lab.file("xhost-a.xml", &network(n, true, v6)),
        lab.file("xhost-b.xml", &network(n, false, v6)),
    );
    let (mtu, peer) = match v6 {
        true => ("1430", "fd99::2"),
        false => ("1450", "10.99.0.2"),
    };
    let (before_a, before_b) = (lab.snapshot(), state(&lab.w));
    let state_a = state(&lab.hv);

    for (ns, root, file) in [(&lab.hv, &root_a, &file_a), (&lab.w, &root_b, &file_b)] {
        let r = netloom(&lab, ns, root, &["net", "define", file]);
        assert!(r.ok(), "net define in {}: {r}", ns.0);
        let r = netloom(
            &lab,
            ns,
            root,
            &["net", "start", "xhost", "--firewall", firewall],
        );
        assert!(r.ok(), "net start in {}: {r}", ns.0);
        // The lowered MTU is said, and made: 1500 on the veth, 50 bytes for VXLAN over IPv4
        // (70 over IPv6).
        assert!(
            r.stderr.contains(&format!("MTU {mtu} on nlx0")) && r.stderr.contains("to 1 peer(s)"),
            "net start must say the VXLAN MTU: {r}"
        );
        let link = ns.ip("-d link show nlx0");
        assert!(link.contains(&format!(" mtu {mtu} ")), "{link}");
    }
    let listed = netloom(&lab, &lab.hv, &root_a, &["net", "list", "--format", "json"]);
    let v: Value = serde_json::from_str(&listed.stdout).unwrap();
    let net = &v["networks"][0];
    assert_eq!(
        net["peers"],
        serde_json::json!([{"address": peer, "port": 4789}]),
        "{listed}"
    );
    assert_eq!(net["vxlan_port"], 4789, "{listed}");
    let device = net["vxlan"].as_str().unwrap().to_owned();
    assert_eq!(device, format!("nlvx{:06x}", net["vni"].as_u64().unwrap()));
    assert!(
        lab.hv
            .ip(&format!("-d link show {device}"))
            .contains("vxlan id")
    );
    let fdb = lab.hv.sh(&format!("bridge fdb show dev {device}"));
    assert!(
        fdb.contains(&format!("00:00:00:00:00:00 dst {peer} ")),
        "{fdb}"
    );
    let text = netloom(&lab, &lab.hv, &root_a, &["net", "list"]);
    let peer_at = match v6 {
        true => format!("[{peer}]:4789"),
        false => format!("{peer}:4789"),
    };
    assert!(
        text.stdout
            .contains(&format!("nlx0 + {device} to {peer_at}")),
        "net list must show the VXLAN device and its peer: {text}"
    );
    let dump = netloom(&lab, &lab.hv, &root_a, &["net", "dumpxml", "xhost"]);
    assert!(
        dump.stdout.contains(&format!(
            "<nl:connection address='{peer}' port='4789' dhcp='none'/>"
        )),
        "{dump}"
    );

    // A guest on each host; the one on B gets its lease from A's dnsmasq.
    lab.plug(&lab.g1, 1, G1_MAC, "nlx0");
    lab.w.ip(&format!(
        "link add vg2 type veth peer name g2e netns {}",
        lab.g2.0
    ));
    lab.g2.ip(&format!("link set g2e address {G2_MAC}"));
    lab.w.ip("link set vg2 master nlx0 up");
    lab.g2.ip("link set g2e up");
    lab.dhcp(&[(&lab.g1, "g1e"), (&lab.g2, "g2e")]);
    assert_eq!(lab.g1.inet("g1e"), [format!("10.{n}.0.5/24")]);
    let leases = fs::read_to_string(root_a.join("var/lib/netloom/dnsmasq/xhost.leases")).unwrap();
    assert!(
        leases.contains(&format!(" {G2_MAC} 10.{n}.0.1")),
        "A's dnsmasq must have leased G2 an address of its range: {leases:?}"
    );
    let g1 = format!("10.{n}.0.5");
    assert!(
        util::eventually(|| ping(&lab.g2, &g1)),
        "[{tag}] G2 on host B cannot ping G1 on host A across the VXLAN link"
    );

    // Stopping on B cuts the link and leaves B as it was.
    let r = netloom(&lab, &lab.w, &root_b, &["net", "stop", "xhost"]);
    assert!(r.ok(), "net stop in W: {r}");
    assert!(
        !ping(&lab.g2, &g1),
        "[{tag}] G2 still reaches G1 after B stopped"
    );
    lab.w.ip("link del vg2");
    let after_b = state(&lab.w);
    assert!(
        after_b == before_b,
        "[{tag}] host B changed:\n{}",
        util::diff(&before_b, &after_b, "before", "after")
    );
    lab.unplug();
    let r = netloom(&lab, &lab.hv, &root_a, &["net", "stop", "xhost"]);
    assert!(r.ok(), "net stop in HV: {r}");
    assert_eq!(
        state(&lab.hv),
        state_a,
        "[{tag}] host A's devices or rules changed"
    );
    lab.same(&before_a, "after net stop xhost");
    lab.finish();
}

#[test]
fn a_network_across_two_hosts_with_nftables() {
    cross_host("nftables", "xhn", 83, false);
}

#[test]
fn a_network_across_two_hosts_with_iptables() {
    cross_host("iptables", "xhi", 84, false);
}

#[test]
fn a_network_across_two_hosts_over_an_ipv6_underlay() {
    cross_host("nftables", "xh6", 87, true);
}
