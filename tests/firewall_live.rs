//! The firewall files, loaded for real into scratch network namespaces this test creates
//! (never the machine's own): the base setup through its probes, each fragment beside
//! another network's rules and the user's own, then the removal, which must give back the
//! ruleset exactly as it was. For libvirt's cases the kernel's view is also compared with
//! what libvirt's own expected commands, run one by one, leave behind.
//!
//! Needs root, iproute2, iptables and nftables; without them each test prints why it is
//! skipped, except under CI, where that is a failure.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use netloom::backend::{NetBackend, NetContext};
use netloom::backends::firewall::{BaseStep, Family};
use netloom::backends::{iptables, nftables};
use netloom::model::IfaceName;
use netloom::model::network::{
    BridgeDef, BridgeName, DhcpRange, Forward, ForwardMode, Nat, NetDhcp, NetIp, NetName, Network,
    Text,
};

use crate::firewall_conf::{CASES, commands, expected_text, network};
use crate::util;

/// Why this machine cannot run the live tests, if it cannot.
fn missing() -> Option<String> {
    let uid = util::tools::command("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("needs root for network namespaces".into());
    }
    util::tools::first_absent(&[
        "ip",
        "tc",
        "iptables",
        "ip6tables",
        "iptables-restore",
        "ip6tables-restore",
        "iptables-save",
        "ip6tables-save",
        "nft",
    ])
}

fn runnable() -> bool {
    util::runnable("live firewall tests", missing())
}

/// A network namespace of this test, deleted when dropped (also on failure).
struct Ns(String);

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Ns {
    fn new() -> Self {
        let name = format!(
            "nlfw{}x{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        assert!(
            !Path::new("/run/netns").join(&name).exists(),
            "netns {name} exists already"
        );
        let out = util::tools::command("ip")
            .args(["netns", "add", &name])
            .output()
            .unwrap();
        assert!(out.status.success(), "ip netns add {name}: {out:?}");
        Ns(name)
    }

    /// Runs `argv` inside the namespace, feeding `stdin`; stdout, or what went wrong.
    fn run(&self, argv: &[impl AsRef<str>], stdin: Option<&str>) -> Result<String, String> {
        let args: Vec<&str> = argv.iter().map(AsRef::as_ref).collect();
        let mut child = util::tools::in_netns(&self.0, args[0])
            .args(&args[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(pipe);
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "{args:?} failed ({}): {stdout}{}\ninput:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr),
                stdin.unwrap_or("")
            ))
        }
    }

    fn bridge(&self, name: &str) -> Result<(), String> {
        self.run(&["ip", "link", "add", "name", name, "type", "bridge"], None)
            .map(drop)
    }

    /// The whole ruleset as both iptables tools and nft show it, without the dated
    /// comments of the save tools.
    fn ruleset(&self) -> Result<String, String> {
        let mut out = String::new();
        for argv in [
            &["iptables-save"][..],
            &["ip6tables-save"],
            &["nft", "list", "ruleset"],
        ] {
            let text = self.run(argv, None)?;
            out.extend(
                text.lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| format!("{l}\n")),
            );
        }
        Ok(out)
    }

    /// Runs every step whose probe fails; then every probe must succeed.
    fn base(&self, steps: &[BaseStep]) -> Result<(), String> {
        for s in steps {
            if self.run(&s.probe, None).is_err() {
                self.run(&s.loader, Some(&s.input))?;
            }
        }
        for s in steps {
            self.run(&s.probe, None)
                .map_err(|e| format!("the base is incomplete after loading it: {e}"))?;
        }
        Ok(())
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = util::tools::command("ip")
            .args(["netns", "del", &self.0])
            .output();
    }
}

/// Lines of `after` that `before` lacks, and lines of `before` that `after` lacks.
fn changes(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let count = |t: &str| {
        let mut m: BTreeMap<String, i64> = BTreeMap::new();
        for l in t.lines() {
            *m.entry(l.to_owned()).or_default() += 1;
        }
        m
    };
    let (b, a) = (count(before), count(after));
    let mut added = Vec::new();
    let mut gone = Vec::new();
    for (l, n) in &a {
        for _ in 0..(n - b.get(l).copied().unwrap_or(0)).max(0) {
            added.push(l.clone());
        }
    }
    for (l, n) in &b {
        for _ in 0..(n - a.get(l).copied().unwrap_or(0)).max(0) {
            gone.push(l.clone());
        }
    }
    (added, gone)
}

fn rule_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| l.starts_with("-I ") || l.starts_with("insert rule "))
        .count()
}

/// Another network already running on the host, whose rules must survive.
fn other_network() -> Network {
    let mut net = own("other", "other0", Some(ForwardMode::Nat));
    net.ips = vec![ip("10.250.0.1", 24, true), ip("fd99::1", 64, true)];
    net.forward = Some(Forward {
        nat: Some(Nat {
            ipv6: Some(true),
            ..Nat::default()
        }),
        ..Forward::default()
    });
    net
}

fn restore_tool(path: &str) -> &'static str {
    if path.ends_with(".ip6tables") {
        "ip6tables-restore"
    } else {
        "iptables-restore"
    }
}

/// The iptables round trip for `net`: base, foreign rules, fragment, removal.
fn iptables_round_trip(net: &Network) -> Result<(), String> {
    let ns = Ns::new();
    ns.base(&iptables::base_steps())?;
    let ctx = NetContext::default();
    for f in iptables::Iptables.render(&other_network(), &ctx).unwrap() {
        ns.run(
            &[restore_tool(&f.path), "-w", "--noflush"],
            Some(&f.contents),
        )?;
    }
    for user in [
        &[
            "iptables",
            "-w",
            "-I",
            "LIBVIRT_FWO",
            "-i",
            "user0",
            "-j",
            "DROP",
        ][..],
        &[
            "iptables",
            "-w",
            "-t",
            "nat",
            "-A",
            "LIBVIRT_PRT",
            "-s",
            "10.9.0.0/16",
            "-j",
            "RETURN",
        ],
        &[
            "iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT",
        ],
        &[
            "iptables",
            "-w",
            "-t",
            "raw",
            "-A",
            "PREROUTING",
            "-j",
            "ACCEPT",
        ],
        &[
            "ip6tables",
            "-w",
            "-I",
            "LIBVIRT_FWI",
            "-o",
            "user0",
            "-j",
            "DROP",
        ],
    ] {
        ns.run(user, None)?;
    }
    let before = ns.ruleset()?;
    let files = iptables::Iptables.render(net, &ctx).unwrap();
    let mut rules = 0;
    for f in &files {
        let tool = restore_tool(&f.path);
        ns.run(&[tool, "-w", "--noflush", "--test"], Some(&f.contents))?;
        ns.run(&[tool, "-w", "--noflush"], Some(&f.contents))?;
        rules += rule_lines(&f.contents);
    }
    let (added, gone) = changes(&before, &ns.ruleset()?);
    let added: Vec<_> = added.into_iter().filter(|l| l.starts_with("-A ")).collect();
    if added.len() != rules || !gone.is_empty() {
        return Err(format!(
            "loading {rules} rules added {added:#?} and took away {gone:#?}"
        ));
    }
    for f in &files {
        let undo = iptables::removal(&f.contents).map_err(|e| e.to_string())?;
        ns.run(&[restore_tool(&f.path), "-w", "--noflush"], Some(&undo))?;
    }
    let after = ns.ruleset()?;
    if after != before {
        return Err(format!(
            "the removal did not restore the ruleset:\n{}",
            util::diff(&before, &after, "before", "after removal")
        ));
    }
    Ok(())
}

/// The nftables round trip for `net`, plus its tc checksum fix.
fn nftables_round_trip(net: &Network) -> Result<(), String> {
    let ns = Ns::new();
    let ctx = NetContext::default();
    let plan_bridge = net.bridge_name().unwrap().as_str().to_owned();
    ns.bridge(&plan_bridge)?;
    ns.bridge("other0")?;
    ns.base(&nftables::base_steps())?;
    for f in nftables::Nftables.render(&other_network(), &ctx).unwrap() {
        ns.run(&["nft", "-f", "-"], Some(&f.contents))?;
    }
    let user = "add rule ip libvirt_network guest_nat ip saddr 10.8.0.0/16 counter return\n\
                add rule ip6 libvirt_network guest_output iifname \"user0\" drop\n\
                add table inet usertab\n\
                add chain inet usertab c { type filter hook input priority 0; policy accept; }\n\
                add rule inet usertab c tcp dport 22 accept\n";
    ns.run(&["nft", "-f", "-"], Some(user))?;
    let before = ns.ruleset()?;
    let files = nftables::Nftables.render(net, &ctx).unwrap();
    let [file] = files.as_slice() else {
        return Err(format!("expected one nft file, got {files:?}"));
    };
    ns.run(&["nft", "-c", "-f", "-"], Some(&file.contents))?;
    let echo = ns.run(
        &["nft", "--echo", "--handle", "-f", "-"],
        Some(&file.contents),
    )?;
    let (added, gone) = changes(&before, &ns.ruleset()?);
    if added.len() != rule_lines(&file.contents) || !gone.is_empty() {
        return Err(format!("loading added {added:#?} and took away {gone:#?}"));
    }
    let undo = nftables::removal(&echo).map_err(|e| e.to_string())?;
    if rule_lines(&file.contents) != undo.lines().count() {
        return Err(format!(
            "the removal does not delete every rule:\n{echo}\n{undo}"
        ));
    }
    ns.run(&["nft", "-f", "-"], Some(&undo))?;
    let after = ns.ruleset()?;
    if after != before {
        return Err(format!(
            "the removal did not restore the ruleset:\n{}",
            util::diff(&before, &after, "before", "after removal")
        ));
    }

    let tc = nftables::tc_checksum_fix(net).unwrap().unwrap();
    if ns.run(&tc.show_qdisc, None)?.trim().is_empty() {
        ns.run(&tc.add_qdisc, None)?;
    }
    if ns.run(&tc.show_qdisc, None)?.trim().is_empty() {
        return Err("the tc qdisc is not there".into());
    }
    if let Err(e) = ns.run(&tc.add_filter, None) {
        // A kernel built without act_csum (and without modules) cannot take the filter.
        if e.contains("Failed to load TC action module") {
            eprintln!("SKIPPED: the tc csum filter (this kernel has no act_csum)");
            return Ok(());
        }
        return Err(e);
    }
    let show = ["tc", "filter", "show", "dev", &plan_bridge];
    if !ns.run(&show, None)?.contains("csum") {
        return Err("the tc checksum filter is not there".into());
    }
    ns.run(&tc.del_filter, None)?;
    if ns.run(&show, None)?.contains("csum") {
        return Err("the tc checksum filter is still there".into());
    }
    Ok(())
}

/// The kernel's view after libvirt's own commands for `case`, and after netloom's base and
/// fragments: they must be the same.
fn same_as_libvirt(dir: &Path, case: &str, backend: &str, net: &Network) -> Result<(), String> {
    let base = std::fs::read_to_string(dir.join(format!("base.{backend}"))).unwrap();
    let theirs = Ns::new();
    let ours = Ns::new();
    if backend == "nftables" {
        theirs.bridge("virbr0")?;
        ours.bridge("virbr0")?;
    }
    for cmd in commands(&base)
        .into_iter()
        .chain(commands(&expected_text(dir, case, backend)))
    {
        let listing =
            cmd.contains(&"--list-rules".to_owned()) || cmd.get(1).is_some_and(|w| w == "list");
        if cmd[0] == "tc" {
            continue;
        }
        let out = theirs.run(&cmd, None);
        if !listing {
            out?;
        }
    }
    let ctx = NetContext::default();
    if backend == "iptables" {
        for tool in ["iptables-restore", "ip6tables-restore"] {
            ours.run(&[tool, "-w", "--noflush"], Some(&iptables::base()))?;
        }
        for f in iptables::Iptables.render(net, &ctx).unwrap() {
            ours.run(
                &[restore_tool(&f.path), "-w", "--noflush"],
                Some(&f.contents),
            )?;
        }
    } else {
        for family in [Family::Ipv4, Family::Ipv6] {
            ours.run(&["nft", "-f", "-"], Some(&nftables::base(family)))?;
        }
        for f in nftables::Nftables.render(net, &ctx).unwrap() {
            ours.run(&["nft", "-f", "-"], Some(&f.contents))?;
        }
    }
    let (a, b) = (theirs.ruleset()?, ours.ruleset()?);
    if a != b {
        return Err(util::diff(&a, &b, "libvirt's commands", "netloom's files"));
    }
    Ok(())
}

fn collect(results: Vec<(String, Result<(), String>)>) {
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(|(what, r)| r.err().map(|e| format!("{what}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn libvirts_cases_load_match_libvirts_kernel_state_and_come_off_exactly() {
    if !runnable() {
        return;
    }
    let Some(dir) = util::shared("conformance/libvirt/tests/networkxml2firewalldata") else {
        return;
    };
    let mut results = Vec::new();
    for case in CASES {
        let net = network(&dir, case);
        results.push((format!("{case} iptables"), iptables_round_trip(&net)));
        results.push((format!("{case} nftables"), nftables_round_trip(&net)));
        for backend in ["iptables", "nftables"] {
            results.push((
                format!("{case} {backend} vs libvirt"),
                same_as_libvirt(&dir, case, backend, &net),
            ));
        }
    }
    assert_eq!(results.len(), 44);
    collect(results);
}

fn ip(addr: &str, prefix: u8, dhcp: bool) -> NetIp {
    let address = addr.parse().unwrap();
    NetIp {
        family: None,
        address,
        netmask: None,
        prefix: Some(prefix),
        local_ptr: None,
        tftp_root: None,
        dhcp: dhcp.then(|| NetDhcp {
            ranges: vec![DhcpRange {
                start: address,
                end: address,
                lease: None,
            }],
            ..NetDhcp::default()
        }),
    }
}

fn own(name: &str, bridge: &str, mode: Option<ForwardMode>) -> Network {
    Network {
        name: NetName::parse(name).unwrap(),
        bridge: Some(BridgeDef {
            name: Some(BridgeName::parse(bridge).unwrap()),
            ..BridgeDef::default()
        }),
        forward: mode.map(|m| Forward {
            mode: Some(m),
            ..Forward::default()
        }),
        ..Network::default()
    }
}

/// What libvirt's cases leave out: SNAT ranges, a forward device on routed and IPv6
/// networks, ipv6='yes' without an address, and names at the edge of what is allowed.
fn own_networks() -> Vec<Network> {
    let mut snat = own("snat \"q\" ;x", "1br-x.y_z", Some(ForwardMode::Nat));
    snat.ips = vec![ip("172.20.1.1", 16, true)];
    snat.ips[0].tftp_root = Some(Text::parse("/srv/tftp").unwrap());
    if let Some(f) = snat.forward.as_mut() {
        f.dev = Some(IfaceName::parse("eth-out.7").unwrap());
        f.nat = Some(Nat {
            ipv6: None,
            address: Some(("192.0.2.10".parse().unwrap(), "192.0.2.20".parse().unwrap())),
            port: Some((2000, 3000)),
        });
    }
    let mut routed = own("routed", "rt0", Some(ForwardMode::Route));
    routed.ips = vec![ip("10.40.0.1", 24, false), ip("fd40::1", 64, true)];
    if let Some(f) = routed.forward.as_mut() {
        f.dev = Some(IfaceName::parse("-up").unwrap());
    }
    let mut iso6 = own("iso6", "iso6", None);
    iso6.ipv6 = Some(true);
    let mut masq6 = own("masq6", "m6-longest-nam", Some(ForwardMode::Nat));
    masq6.ips = vec![ip("fd60::1", 64, true), ip("10.60.0.1", 24, false)];
    if let Some(f) = masq6.forward.as_mut() {
        f.dev = Some(IfaceName::parse("up.100").unwrap());
        f.nat = Some(Nat {
            ipv6: Some(true),
            address: None,
            port: Some((1, 65535)),
        });
    }
    vec![snat, routed, iso6, masq6]
}

#[test]
fn netlooms_own_networks_load_beside_others_and_come_off_exactly() {
    if !runnable() {
        return;
    }
    let mut results = Vec::new();
    for net in own_networks() {
        results.push((format!("{} iptables", net.name), iptables_round_trip(&net)));
        results.push((format!("{} nftables", net.name), nftables_round_trip(&net)));
    }
    collect(results);
}

#[test]
fn the_base_setup_never_flushes_what_is_there() {
    if !runnable() {
        return;
    }
    let ns = Ns::new();
    ns.base(&iptables::base_steps()).unwrap();
    ns.run(
        &[
            "iptables",
            "-w",
            "-I",
            "LIBVIRT_FWX",
            "-i",
            "x",
            "-j",
            "ACCEPT",
        ],
        None,
    )
    .unwrap();
    // A firewall reload that flushed FORWARD leaves the chains but not the jumps.
    ns.run(&["iptables", "-w", "-F", "FORWARD"], None).unwrap();
    let before = ns.ruleset().unwrap();
    ns.base(&iptables::base_steps()).unwrap();
    let (added, gone) = changes(&before, &ns.ruleset().unwrap());
    assert!(gone.is_empty(), "{gone:?}");
    let added: Vec<_> = added.into_iter().filter(|l| l.starts_with("-A ")).collect();
    assert_eq!(
        added.len(),
        3,
        "the three FORWARD jumps come back: {added:?}"
    );
    // Loading the whole base again fails rather than flushing.
    let before = ns.ruleset().unwrap();
    assert!(
        ns.run(
            &["iptables-restore", "-w", "--noflush"],
            Some(&iptables::base())
        )
        .is_err()
    );
    assert_eq!(ns.ruleset().unwrap(), before);
}
