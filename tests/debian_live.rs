//! The real ifupdown brings up what the Debian backend writes: inside network namespaces
//! this test creates (never the machine's own), with a private mount namespace in which a
//! scratch `etc/network` and `run/network` are bound over the real ones, so ifupdown, its
//! hooks and nested calls see only the generated files (`../shared/notes/ifupdown-in-netns.md`).
//!
//! Needs root, iproute2, ifupdown and bridge-utils; without them each test prints why it is
//! skipped. Bonds and VLANs also need kernel support, which is probed in a scratch namespace.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{self, netloom};

pub(crate) fn run(cmd: &str, args: &[&str]) -> Output {
    util::tools::command(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"))
}

pub(crate) fn ok(cmd: &str, args: &[&str]) -> String {
    let out = run(cmd, args);
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Why this machine cannot run the live tests, if it cannot.
pub(crate) fn missing() -> Option<String> {
    let uid = ok("id", &["-u"]);
    if uid.trim() != "0" {
        return Some("needs root for network and mount namespaces".into());
    }
    if let Some(why) = util::tools::first_absent(&[
        "ip", "ifup", "ifdown", "ifquery", "brctl", "unshare", "mount", "sh", "cp",
    ]) {
        return Some(why);
    }
    if !Path::new("/lib/bridge-utils/ifupdown.sh").exists() {
        return Some("bridge-utils' ifupdown hook is missing".into());
    }
    None
}

/// Network namespaces, deleted by name when dropped.
pub(crate) struct Netns(pub Vec<String>);

impl Netns {
    pub(crate) fn new(tag: &str, count: usize) -> Self {
        let names: Vec<String> = (0..count)
            .map(|i| format!("nl{tag}{}x{i}", std::process::id()))
            .collect();
        for n in &names {
            ok("ip", &["netns", "add", n]);
        }
        Netns(names)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = run("ip", &["netns", "del", n]);
        }
    }
}

/// A veth pair from `a` in `inner` to `b` in `peer`, `b` up so that `a` has carrier.
pub(crate) fn veth(inner: &str, peer: &str, a: &str, b: &str) {
    let add = [
        "link", "add", a, "netns", inner, "type", "veth", "peer", "name", b, "netns", peer,
    ];
    ok("ip", &add);
    ok("ip", &["-n", peer, "link", "set", b, "up"]);
}

/// Whether the kernel can make a link of `kind`, tried in a namespace of its own.
pub(crate) fn kernel_has(kind: &str) -> bool {
    let ns = Netns::new("probe", 1);
    let out = match kind {
        "vlan" => {
            ok(
                "ip",
                &[
                    "-n", &ns.0[0], "link", "add", "p0", "type", "veth", "peer", "q0",
                ],
            );
            run(
                "ip",
                &[
                    "-n", &ns.0[0], "link", "add", "link", "p0", "name", "p0.5", "type", "vlan",
                    "id", "5",
                ],
            )
        }
        _ => run("ip", &["-n", &ns.0[0], "link", "add", "x0", "type", kind]),
    };
    out.status.success()
}

/// A scratch root: netloom applies into it, and ifupdown runs against its `etc/network`.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new(hooks: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc/network");
        for d in ["if-pre-up.d", "if-up.d", "if-down.d", "if-post-down.d"] {
            std::fs::create_dir_all(etc.join(d)).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("run/network")).unwrap();
        for hook in hooks {
            match *hook {
                // Linked to /lib: a link into /etc/network would point into the bind mount.
                "bridge" => {
                    for d in ["if-pre-up.d", "if-down.d", "if-post-down.d"] {
                        std::os::unix::fs::symlink(
                            "/lib/bridge-utils/ifupdown.sh",
                            etc.join(d).join("bridge"),
                        )
                        .unwrap();
                    }
                }
                // Copied: the packages install them under /etc/network, which is shadowed.
                name => {
                    for d in ["if-pre-up.d", "if-up.d", "if-post-down.d"] {
                        let from = PathBuf::from("/etc/network").join(d).join(name);
                        if from.exists() {
                            std::fs::copy(&from, etc.join(d).join(name)).unwrap();
                        }
                    }
                }
            }
        }
        Scratch { dir }
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    fn apply(&self, xml: &str) {
        let host = self.root().join("host.xml");
        std::fs::write(&host, xml).unwrap();
        let root = self.root().to_str().unwrap();
        let out = netloom(
            &[
                "apply",
                "--backend",
                "debian",
                "--root",
                root,
                "--yes",
                host.to_str().unwrap(),
            ],
            self.root(),
            None,
        );
        assert_eq!(out.code, 0, "apply failed: {}{}", out.stdout, out.stderr);
    }

    /// Runs an ifupdown command in `ns` with the scratch tree bound over the real paths.
    fn ifupdown(&self, ns: &str, args: &[&str]) -> Output {
        inside(self.root(), Some(ns), args)
    }
}

/// Runs `args` in a private mount namespace (inside network namespace `ns`, if given) with
/// `root/etc/network` bound over /etc/network, and `root/run/network` over /run/network
/// when the root has one, so ifupdown, its hooks and nested calls see only the root's files.
fn inside(root: &Path, ns: Option<&str>, args: &[&str]) -> Output {
    let mut script = String::from("mount --bind \"$0/etc/network\" /etc/network && ");
    if root.join("run/network").is_dir() {
        script.push_str("mount --bind \"$0/run/network\" /run/network && ");
    }
    script.push_str("exec \"$@\"");
    let mut all: Vec<&str> = match ns {
        Some(ns) => vec!["ip", "netns", "exec", ns, "unshare"],
        None => vec!["unshare"],
    };
    all.extend(["-m", "sh", "-c", &script, root.to_str().unwrap()]);
    all.extend_from_slice(args);
    for inner in ["sh", "mount", args[0]] {
        util::tools::require(inner);
    }
    run(all[0], &all[1..])
}

pub(crate) fn show(out: &Output) -> String {
    format!(
        "rc {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn ifup_brings_up_a_generated_bridge_with_a_veth_port_and_ifdown_removes_it() {
    if !util::runnable("ifupdown live test", missing()) {
        return;
    }
    let ns = Netns::new("br", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let scratch = Scratch::new(&["bridge"]);
    scratch.apply(
        "<interface type='bridge' name='br0'>
           <start mode='onboot'/>
           <protocol family='ipv4'><ip address='198.51.100.2' prefix='24'/></protocol>
           <protocol family='ipv6'><ip address='2001:db8:1::2' prefix='64'/></protocol>
           <bridge stp='off' delay='0'><interface type='ethernet' name='p0'/></bridge>
         </interface>",
    );
    let list = scratch.ifupdown(inner, &["ifquery", "--list"]);
    assert_eq!(
        String::from_utf8_lossy(&list.stdout),
        "lo\nbr0\n",
        "{}",
        show(&list)
    );

    let up = scratch.ifupdown(inner, &["ifup", "br0"]);
    let links = ok("ip", &["-n", inner, "-br", "link", "show", "master", "br0"]);
    let v4 = ok(
        "ip",
        &["-n", inner, "-4", "-br", "addr", "show", "dev", "br0"],
    );
    let v6 = ok(
        "ip",
        &["-n", inner, "-6", "-br", "addr", "show", "dev", "br0"],
    );
    assert!(up.status.success(), "ifup br0: {}", show(&up));
    assert!(links.starts_with("p0@"), "p0 is not a port of br0: {links}");
    assert!(v4.contains(" 198.51.100.2/24"), "{v4}");
    assert!(v6.contains(" 2001:db8:1::2/64"), "{v6}");
    let state = scratch.ifupdown(inner, &["ifquery", "--state"]);
    assert_eq!(
        String::from_utf8_lossy(&state.stdout),
        "br0=br0\n",
        "{}",
        show(&state)
    );

    let down = scratch.ifupdown(inner, &["ifdown", "br0"]);
    assert!(down.status.success(), "ifdown br0: {}", show(&down));
    let gone = run("ip", &["-n", inner, "link", "show", "br0"]);
    assert!(!gone.status.success(), "br0 still exists after ifdown");
    let state = scratch.ifupdown(inner, &["ifquery", "--state"]);
    assert_eq!(
        String::from_utf8_lossy(&state.stdout),
        "",
        "{}",
        show(&state)
    );
}

/// Issue 25's host: two static routes per family, one in table 200, two DNS servers.
fn routed_host() -> String {
    let text =
        std::fs::read_to_string(util::repo().join("tests/data/interfaces/routes-dns.xml")).unwrap();
    text.replace("name='eth0'", "name='p0'")
}

#[test]
fn ifup_adds_the_declared_routes_to_the_kernels_tables_and_ifdown_removes_them() {
    use crate::util::routes;
    if !util::runnable("ifupdown routes test", missing()) {
        return;
    }
    let ns = Netns::new("rt", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let scratch = Scratch::new(&[]);
    let xml = routed_host();
    scratch.apply(&xml);
    let host = netloom::xml::read_str("routes.xml", &xml).unwrap();
    let (v4, v6) = (
        host.interfaces[0].ipv4.as_ref().unwrap(),
        host.interfaces[0].ipv6.as_ref().unwrap(),
    );
    assert_eq!((v4.routes.len(), v6.routes.len(), v4.dns.len()), (2, 2, 2));

    let up = scratch.ifupdown(inner, &["ifup", "p0"]);
    assert!(up.status.success(), "ifup p0: {}", show(&up));
    let absent = routes::check(inner, &v4.routes, &v6.routes);
    assert!(
        absent.is_empty(),
        "not in the kernel: {absent:?}\n{}",
        show(&up)
    );
    // Each family has one route in table 200, found there by the kernel's key.
    let table = |t: u32| {
        let v4 = routes::kernel::<std::net::Ipv4Addr>(inner);
        let v6 = routes::kernel::<std::net::Ipv6Addr>(inner);
        (
            v4.iter().filter(|k| k.table == t).count(),
            v6.iter().filter(|k| k.table == t).count(),
        )
    };
    assert_eq!(table(200), (1, 1));

    // A route deleted by hand does not stop ifdown: its `down` fails, the rest goes on.
    ok(
        "ip",
        &["-n", inner, "route", "del", "10.10.0.0/16", "dev", "p0"],
    );
    let down = scratch.ifupdown(inner, &["ifdown", "p0"]);
    assert!(down.status.success(), "ifdown p0: {}", show(&down));
    let v4_left = routes::left(&v4.routes, &routes::kernel(inner));
    let v6_left = routes::left(&v6.routes, &routes::kernel(inner));
    assert!(
        v4_left.is_empty() && v6_left.is_empty(),
        "left after ifdown: {v4_left:?} {v6_left:?}\n{}",
        show(&down)
    );
    let addr = ok(
        "ip",
        &["-n", inner, "-4", "-br", "addr", "show", "dev", "p0"],
    );
    assert!(!addr.contains("198.51.100.10"), "{addr}");
}

#[test]
fn ifup_brings_up_a_generated_vlan_where_the_kernel_has_8021q() {
    if !util::runnable("ifupdown vlan test", missing()) {
        return;
    }
    if !kernel_has("vlan") {
        eprintln!(
            "SKIPPED: ifupdown vlan test: this kernel has no 802.1Q VLAN support (ip link add type vlan fails)"
        );
        return;
    }
    let ns = Netns::new("vl", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let scratch = Scratch::new(&["vlan"]);
    scratch.apply(
        "<interface type='vlan' name='p0.10'>
           <start mode='onboot'/>
           <protocol family='ipv4'><ip address='192.0.2.130' prefix='25'/></protocol>
           <vlan tag='10'><interface name='p0'/></vlan>
         </interface>",
    );
    let up = scratch.ifupdown(inner, &["ifup", "p0.10"]);
    assert!(up.status.success(), "ifup p0.10: {}", show(&up));
    let link = ok("ip", &["-n", inner, "-d", "link", "show", "p0.10"]);
    assert!(link.contains("vlan protocol 802.1Q id 10"), "{link}");
    let v4 = ok(
        "ip",
        &["-n", inner, "-4", "-br", "addr", "show", "dev", "p0.10"],
    );
    assert!(v4.contains(" 192.0.2.130/25"), "{v4}");
    let down = scratch.ifupdown(inner, &["ifdown", "p0.10"]);
    assert!(down.status.success(), "ifdown p0.10: {}", show(&down));
}

#[test]
fn ifup_brings_up_a_generated_bond_where_the_kernel_has_bonding() {
    if !util::runnable("ifupdown bond test", missing()) {
        return;
    }
    let ifenslave =
        util::have("ifenslave") || Path::new("/etc/network/if-pre-up.d/ifenslave").exists();
    if !util::runnable(
        "ifupdown bond test",
        (!ifenslave).then(|| "ifenslave is not installed".into()),
    ) {
        return;
    }
    if !kernel_has("bond") {
        eprintln!(
            "SKIPPED: ifupdown bond test: this kernel has no bonding support (ip link add type bond fails)"
        );
        return;
    }
    let ns = Netns::new("bo", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    for (a, b) in [("p0", "q0"), ("p1", "q1")] {
        veth(inner, peer, a, b);
    }
    let scratch = Scratch::new(&["ifenslave"]);
    scratch.apply(
        "<interface type='bond' name='bond0'>
           <start mode='onboot'/>
           <protocol family='ipv4'><ip address='203.0.113.2' prefix='24'/></protocol>
           <bond mode='active-backup'>
             <miimon freq='100'/>
             <interface type='ethernet' name='p0'/>
             <interface type='ethernet' name='p1'/>
           </bond>
         </interface>",
    );
    let up = scratch.ifupdown(inner, &["ifup", "bond0"]);
    assert!(up.status.success(), "ifup bond0: {}", show(&up));
    let slaves = ok(
        "ip",
        &["-n", inner, "-br", "link", "show", "master", "bond0"],
    );
    assert!(slaves.contains("p0") && slaves.contains("p1"), "{slaves}");
    let v4 = ok(
        "ip",
        &["-n", inner, "-4", "-br", "addr", "show", "dev", "bond0"],
    );
    assert!(v4.contains(" 203.0.113.2/24"), "{v4}");
    let down = scratch.ifupdown(inner, &["ifdown", "bond0"]);
    assert!(down.status.success(), "ifdown bond0: {}", show(&down));
}

/// `ifquery` in a private mount namespace with `dir/etc/network` bound over /etc/network,
/// so absolute `source` lines resolve into the generated tree.
fn ifquery_in(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["ifquery"];
    all.extend_from_slice(args);
    inside(dir, None, &all)
}

/// Every golden root of the Debian backend, as ifupdown itself reads it: `ifquery --list`
/// gives the onboot interfaces (`--allow=hotplug` the hotplug ones) and every top-level
/// interface answers `ifquery NAME` with the options that make it what it is.
#[test]
fn ifquery_reads_every_golden_root_with_the_interfaces_it_should_have() {
    if !util::runnable("ifquery over the golden roots", missing()) {
        return;
    }
    use netloom::model::{InterfaceKind, StartMode};
    let golden = crate::util::repo().join("golden/debian");
    let mut checked = 0;
    for input in crate::util::xml_files(&crate::util::repo().join("tests/data/interfaces")) {
        let case = input.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = golden.join(&case);
        if golden.join(format!("{case}.refused")).exists() {
            continue;
        }
        let host =
            netloom::xml::read_str(&case, &std::fs::read_to_string(&input).unwrap()).unwrap();
        let mut onboot: Vec<String> = Vec::new();
        let mut hotplug: Vec<String> = Vec::new();
        for i in &host.interfaces {
            match i.start {
                Some(StartMode::OnBoot) => onboot.push(i.name.to_string()),
                Some(StartMode::Hotplug) => hotplug.push(i.name.to_string()),
                _ => {}
            }
        }
        // interfaces.d/* is read in name order.
        onboot.sort();
        hotplug.sort();
        let list = ifquery_in(&dir, &["--list"]);
        let mut want = String::from("lo\n");
        for n in &onboot {
            want.push_str(&format!("{n}\n"));
        }
        assert_eq!(
            String::from_utf8_lossy(&list.stdout),
            want,
            "{case}: {}",
            show(&list)
        );
        let list = ifquery_in(&dir, &["--list", "--allow=hotplug", "--no-loopback"]);
        let want: String = hotplug.iter().map(|n| format!("{n}\n")).collect();
        assert_eq!(
            String::from_utf8_lossy(&list.stdout),
            want,
            "{case}: {}",
            show(&list)
        );
        for i in &host.interfaces {
            let q = ifquery_in(&dir, &[i.name.as_str()]);
            assert!(
                q.status.success(),
                "{case}: ifquery {}: {}",
                i.name,
                show(&q)
            );
            let text = String::from_utf8_lossy(&q.stdout).into_owned();
            let need: Vec<String> = match &i.kind {
                InterfaceKind::Bridge(br) => {
                    let ports: Vec<String> = br.ports.iter().map(|p| p.name.to_string()).collect();
                    let ports = if ports.is_empty() {
                        "none".to_owned()
                    } else {
                        ports.join(" ")
                    };
                    vec![format!("bridge-ports: {ports}")]
                }
                InterfaceKind::Bond(b) => {
                    let slaves: Vec<String> = b.slaves.iter().map(|s| s.name.to_string()).collect();
                    vec![format!("bond-slaves: {}", slaves.join(" "))]
                }
                InterfaceKind::Vlan(v) => vec![format!("vlan-raw-device: {}", v.parent)],
                InterfaceKind::Ethernet(_) => vec![],
            }
            .into_iter()
            .chain(i.mtu.map(|m| format!("mtu: {m}")))
            .chain(
                i.ipv4
                    .iter()
                    .flat_map(|v4| v4.addresses.first())
                    .map(|a| format!("address: {}", a.address)),
            )
            .collect();
            for line in need {
                assert!(
                    text.lines().any(|l| l == line),
                    "{case}: ifquery {} lacks '{line}':\n{text}",
                    i.name
                );
            }
            // DNS and routes, as the hooks read them: each server, domain and route.
            let v4 = i.ipv4.iter().flat_map(|v| {
                let routes = v.routes.iter().map(|r| {
                    let mut words = vec![format!("ip route add {}", r.destination)];
                    words.extend(r.gateway.map(|g| format!("via {g}")));
                    words.extend(r.table.map(|t| format!("table {t}")));
                    words
                });
                let dns = v
                    .dns
                    .iter()
                    .map(|d| vec![format!("dns-nameservers: "), d.to_string()]);
                let search = v
                    .search
                    .iter()
                    .map(|d| vec![format!("dns-search: "), d.to_string()]);
                routes.chain(dns).chain(search).collect::<Vec<_>>()
            });
            let v6 = i.ipv6.iter().flat_map(|v| {
                let routes = v.routes.iter().map(|r| {
                    let mut words = vec![format!("ip -6 route add {}", r.destination)];
                    words.extend(r.gateway.map(|g| format!("via {g}")));
                    words.extend(r.table.map(|t| format!("table {t}")));
                    words
                });
                let dns = v
                    .dns
                    .iter()
                    .map(|d| vec![format!("dns-nameservers: "), d.to_string()]);
                routes.chain(dns).collect::<Vec<_>>()
            });
            for words in v4.chain(v6) {
                assert!(
                    text.lines()
                        .any(|l| words.iter().all(|w| l.contains(w.as_str()))),
                    "{case}: ifquery {} has no line with {words:?}:\n{text}",
                    i.name
                );
            }
        }
        checked += 1;
    }
    // 21 cases, of which 7 are refused (their `.refused` golden says why).
    assert_eq!(checked, 14, "golden roots checked");
}

/// The merge cases, as ifupdown reads the whole result (the user's root with netloom's
/// files written and its stale ones removed): every declared interface reads exactly as
/// netloom's own file alone says, so no definition of the user's is left beside it, and the
/// user's other interfaces are still there.
#[test]
fn ifquery_sees_one_definition_per_interface_after_a_merge() {
    if !util::runnable("ifquery over the merge results", missing()) {
        return;
    }
    use netloom::backend::Backend;
    use netloom::backends::debian::Debian;
    // Case, the auto list ifquery must give, and user interfaces that must still answer.
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("keeps-user-bytes", &["eth0", "eth1", "lo"], &["eth1", "lo"]),
        ("dotted-names-and-stale", &["eth0.42", "lo"], &["lo"]),
        ("sourced-file", &["bond0", "eth3", "lo"], &["eth3", "lo"]),
    ];
    for (case, auto, kept) in cases {
        let data = crate::util::repo()
            .join("tests/data/merge/debian")
            .join(case);
        let scratch = tempfile::tempdir().unwrap();
        ok(
            "cp",
            &[
                "-a",
                &format!("{}/.", data.join("root").display()),
                scratch.path().to_str().unwrap(),
            ],
        );
        let root = netloom::engine::TargetRoot::open(scratch.path()).unwrap();
        let snap = root.snapshot(Debian.scan()).unwrap();
        let host = netloom::xml::read_str(
            case,
            &std::fs::read_to_string(data.join("host.xml")).unwrap(),
        )
        .unwrap();
        let files = Debian.render(&host, &snap).unwrap();
        for (path, text) in &snap.files {
            if Debian.owns(path, Some(text)) && !files.iter().any(|f| &f.path == path) {
                std::fs::remove_file(scratch.path().join(path)).unwrap();
            }
        }
        for f in &files {
            let path = scratch.path().join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(scratch.path().join(&f.path), &f.contents).unwrap();
        }
        let list = ifquery_in(scratch.path(), &["--list"]);
        let mut got: Vec<String> = String::from_utf8_lossy(&list.stdout)
            .lines()
            .map(String::from)
            .collect();
        got.sort();
        assert_eq!(got, *auto, "{case}: {}", show(&list));
        for i in &host.interfaces {
            let own = scratch
                .path()
                .join(format!("etc/network/interfaces.d/{}", i.name));
            let alone = run("ifquery", &["-i", own.to_str().unwrap(), i.name.as_str()]);
            let whole = ifquery_in(scratch.path(), &[i.name.as_str()]);
            assert!(
                alone.status.success() && whole.status.success(),
                "{case}: {}\n{}",
                show(&alone),
                show(&whole)
            );
            assert_eq!(
                String::from_utf8_lossy(&whole.stdout),
                String::from_utf8_lossy(&alone.stdout),
                "{case}: ifupdown reads {} differently from netloom's file alone",
                i.name
            );
        }
        for name in *kept {
            let q = ifquery_in(scratch.path(), &[name]);
            assert!(
                q.status.success(),
                "{case}: the user's {name} is gone: {}",
                show(&q)
            );
        }
    }
}
