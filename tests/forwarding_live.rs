//! The founding design's `<forwarding>` example for real, in the namespaces of the
//! `net_live` lab (harness in `net_live_util`), with both firewalls: a client in W reaches
//! port 321 of the guest `foobar` (G1) through HV's port 123, and not the guest's port
//! directly; the guest cannot open port 25 outward but can open others; and `net stop`
//! gives HV back exactly as it was. Then the other defaults, on a route network: nothing in
//! but what is allowed (though routed), nothing out but port 2525, beside a network without
//! a policy that stops last.

use std::fs::{self, File};
use std::process::{Child, Stdio};

use crate::net_live_util::{Lab, Ns, runnable, wait_for};
use crate::util;

const G1_MAC: &str = "52:54:00:00:00:11";

/// A nat network on `nlfw0` with 10.N.0.1/24, `foobar` = G1 at .11, and the design's
/// policy: host port 123 to the guest's 321, nothing else in, everything but port 25 out.
fn network(n: u8) -> String {
    format!(
        r#"<network xmlns:nl='urn:netloom:xml:1'>
  <name>e2efw</name>
  <forward mode='nat'/>
  <bridge name='nlfw0' stp='off'/>
  <ip address='10.{n}.0.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.{n}.0.100' end='10.{n}.0.199'/>
      <host mac='{G1_MAC}' name='foobar' ip='10.{n}.0.11'/>
    </dhcp>
  </ip>
  <nl:forwarding enabled="true">
    <nl:incoming default="deny">
      <nl:allow port="123" domain="foobar" destport="321" />
    </nl:incoming>
    <nl:outgoing default="allow">
      <nl:deny port="25" />
    </nl:outgoing>
  </nl:forwarding>
</network>
"#
    )
}

/// `nc -l ADDR PORT` in `ns`, printing to a log in the lab's directory; returns once it
/// listens.
fn serve(lab: &Lab, ns: &Ns, addr: &str, port: u16) -> (Child, std::path::PathBuf) {
    let log = lab.dir.path().join(format!("serve.{}.{port}", ns.0));
    let f = File::create(&log).unwrap();
    let child = util::tools::in_netns(&ns.0, "nc")
        .args(["-l", "-v", "-n", addr, &port.to_string()])
        .stdin(Stdio::null())
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .spawn()
        .unwrap();
    let bound = format!("{addr}:{port} ");
    assert!(
        util::eventually(|| ns.sh("ss -lnt").contains(&bound)),
        "nc -l {addr} {port} never listened in {}",
        ns.0
    );
    (child, log)
}

/// A TCP connection from `ns` to `addr:port` with a line of payload; whether it connected.
fn connect(ns: &Ns, addr: &str, port: u16) -> bool {
    let p = port.to_string();
    ns.exec(
        &["nc", "-v", "-n", "-w", "2", "-N", addr, &p],
        Some("hello through the policy\n"),
    )
    .ok()
}

fn policy(firewall: &str, tag: &str, n: u8) {
    if !runnable() {
        return;
    }
    let lab = Lab::new(tag, firewall == "iptables");
    let file = lab.file("e2efw.xml", &network(n));
    let r = lab.netloom(&["net", "define", &file]);
    assert!(r.ok(), "net define: {r}");
    let before = lab.snapshot();
    lab.ok(
        &["net", "start", "e2efw", "--firewall", firewall],
        "Network e2efw started",
    );
    lab.plug(&lab.g1, 1, G1_MAC, "nlfw0");
    lab.dhcp(&[(&lab.g1, "g1e")]);
    let guest = format!("10.{n}.0.11");
    assert_eq!(lab.g1.inet("g1e"), [format!("{guest}/24")]);

    // In: W reaches the guest's 321 through HV's 123, and sees its own address kept.
    let (mut listener, log) = serve(&lab, &lab.g1, &guest, 321);
    assert!(
        connect(&lab.w, "10.99.0.1", 123),
        "[{tag}] W could not reach the guest through 10.99.0.1:123"
    );
    let _ = wait_for(&mut listener, util::PATIENCE);
    let seen = fs::read_to_string(&log).unwrap();
    assert!(
        seen.contains("Connection received on 10.99.0.2 ")
            && seen.contains("hello through the policy"),
        "[{tag}] the guest's port 321 saw: {seen:?}"
    );
    // Nothing else in: with a route to the guests, W still cannot open the guest's port
    // itself (only connections DNATed from port 123 are let through).
    lab.w.ip(&format!("route add 10.{n}.0.0/24 via 10.99.0.1"));
    let (mut listener, _) = serve(&lab, &lab.g1, &guest, 321);
    assert!(
        !connect(&lab.w, &guest, 321),
        "[{tag}] W opened the guest's port 321 directly; incoming default='deny' must refuse it"
    );
    let _ = listener.kill();
    let _ = listener.wait();

    // Out: port 25 is refused, another port is not.
    let (client, seen) = lab.tcp(&lab.g1, 25);
    assert!(
        !client.ok() && !seen.contains("hello"),
        "[{tag}] the guest opened port 25 outward: {client} / W saw {seen:?}"
    );
    let (client, seen) = lab.tcp(&lab.g1, 2525);
    assert!(
        client.ok() && seen.contains("hello from the guest"),
        "[{tag}] the guest could not open port 2525 outward: {client} / W saw {seen:?}"
    );

    lab.unplug();
    lab.w.ip(&format!("route del 10.{n}.0.0/24 via 10.99.0.1"));
    lab.ok(&["net", "stop", "e2efw"], "Network e2efw stopped");
    lab.same(&before, "after net stop e2efw");
    lab.finish();
}

#[test]
fn the_designs_forwarding_example_works_with_nftables() {
    policy("nftables", "fwn", 81);
}

#[test]
fn the_designs_forwarding_example_works_with_iptables() {
    policy("iptables", "fwi", 82);
}

/// A route network that lets in only what it allows and lets out only port 2525, guest
/// named by address: W reaches the guest's 321 through HV's 8080 but not directly (though
/// routed), and the guest reaches W's 2525 but not 2526.
fn routed_deny_by_default(firewall: &str, tag: &str, n: u8) {
    if !runnable() {
        return;
    }
    let lab = Lab::new(tag, firewall == "iptables");
    let xml = format!(
        r#"<network xmlns:nl='urn:netloom:xml:1'>
  <name>e2efwr</name>
  <forward mode='route'/>
  <bridge name='nlfw1' stp='off'/>
  <ip address='10.{n}.0.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.{n}.0.100' end='10.{n}.0.199'/>
      <host mac='{G1_MAC}' ip='10.{n}.0.11'/>
    </dhcp>
  </ip>
  <nl:forwarding>
    <nl:incoming default='deny'>
      <nl:allow port='8080' address='10.{n}.0.11' destport='321'/>
    </nl:incoming>
    <nl:outgoing default='deny'>
      <nl:allow port='2525'/>
    </nl:outgoing>
  </nl:forwarding>
</network>
"#
    );
    let file = lab.file("e2efwr.xml", &xml);
    let before = lab.snapshot();
    // A network without a policy runs first and stops last: the DNAT chain the policy
    // network adds to the shared setup must come off with the rest, not be left behind.
    let plain = lab.file(
        "e2eplain.xml",
        &format!(
            "<network><name>e2eplain</name><bridge name='nlfw2'/>\
             <ip address='10.{}.0.1' prefix='24'/></network>",
            n + 10
        ),
    );
    lab.ok(
        &["net", "create", &plain, "--firewall", firewall],
        &format!("Network e2eplain created from {plain}"),
    );
    lab.ok(
        &["net", "create", &file, "--firewall", firewall],
        &format!("Network e2efwr created from {file}"),
    );
    lab.plug(&lab.g1, 1, G1_MAC, "nlfw1");
    lab.dhcp(&[(&lab.g1, "g1e")]);
    let guest = format!("10.{n}.0.11");
    lab.w.ip(&format!("route add 10.{n}.0.0/24 via 10.99.0.1"));

    let (mut listener, log) = serve(&lab, &lab.g1, &guest, 321);
    assert!(
        connect(&lab.w, "10.99.0.1", 8080),
        "[{tag}] W could not reach the guest through 10.99.0.1:8080"
    );
    let _ = wait_for(&mut listener, util::PATIENCE);
    assert!(
        fs::read_to_string(&log)
            .unwrap()
            .contains("hello through the policy")
    );
    let (mut listener, _) = serve(&lab, &lab.g1, &guest, 321);
    assert!(
        !connect(&lab.w, &guest, 321),
        "[{tag}] a routed network with incoming default='deny' let W open the guest's port"
    );
    let _ = listener.kill();
    let _ = listener.wait();

    let (client, seen) = lab.tcp(&lab.g1, 2526);
    assert!(
        !client.ok() && !seen.contains("hello"),
        "[{tag}] outgoing default='deny' let the guest open port 2526: {client}"
    );
    let (client, seen) = lab.tcp(&lab.g1, 2525);
    assert!(
        client.ok() && seen.contains(&format!("Connection received on {guest} ")),
        "[{tag}] the allowed port 2525 was refused, or not routed: {client} / W saw {seen:?}"
    );

    lab.unplug();
    lab.w.ip(&format!("route del 10.{n}.0.0/24 via 10.99.0.1"));
    lab.ok(&["net", "destroy", "e2efwr"], "Network e2efwr stopped");
    lab.ok(&["net", "destroy", "e2eplain"], "Network e2eplain stopped");
    lab.same(&before, "after net destroy e2efwr and e2eplain");
    lab.finish();
}

#[test]
fn a_routed_network_that_denies_by_default_with_iptables() {
    routed_deny_by_default("iptables", "fwri", 85);
}

#[test]
fn a_routed_network_that_denies_by_default_with_nftables() {
    routed_deny_by_default("nftables", "fwrn", 86);
}
