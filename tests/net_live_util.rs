//! The harness of `net_live`: a lab of network namespaces this test creates (never the
//! machine's own, see `../shared/notes/netns-nat-e2e.md`): HV runs netloom, W is the
//! upstream world behind HV's `up0` (10.99.0.1/24 ↔ W's `up1` 10.99.0.2/24), G1 and G2 are
//! guests whose veths get plugged into a network's bridge. netloom always gets a fresh
//! `--root` under /tmp (mode 0755: dnsmasq reads its files as `nobody`).

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util;

const NETLOOM: &str = env!("CARGO_BIN_EXE_netloom");

/// Why this machine cannot run the live network tests, if it cannot.
fn missing() -> Option<String> {
    let uid = run(&["id", "-u"], None);
    if uid.stdout.trim() != "0" {
        return Some("needs root for network namespaces".into());
    }
    let tools = "ip ss tc nft iptables ip6tables iptables-restore ip6tables-restore iptables-save \
                 ip6tables-save dnsmasq dhclient dig nc sysctl kill sleep";
    if let Some(why) = util::tools::first_absent(&tools.split_whitespace().collect::<Vec<_>>()) {
        return Some(why);
    }
    if !run(&["nc", "-h"], None).stderr.contains("OpenBSD") {
        return Some("nc is not netcat-openbsd".into());
    }
    None
}

/// False (after printing why) when the live tests cannot run here; under CI that is a failure.
pub fn runnable() -> bool {
    util::runnable("live network tests", missing())
}

/// What a command gave back.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `argv` to completion (for short-lived commands only: daemons go through files).
pub fn run(argv: &[&str], stdin: Option<&str>) -> Out {
    let mut child = util::tools::command(argv[0])
        .args(&argv[1..])
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"));
    if let Some(text) = stdin {
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The stdout of `argv`, which must succeed.
#[track_caller]
pub fn must(argv: &[&str]) -> String {
    let out = run(argv, None);
    assert!(out.ok(), "{argv:?} failed: {out}");
    out.stdout
}

/// Waits for `child` up to `limit`; kills it (and returns None) when it takes longer.
pub fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A process is gone when /proc has no entry for it or it is a zombie nobody reaped yet.
fn gone(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
        s.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

/// Removes what changes by itself (counters, lifetimes, DAD state, save-tool comments).
fn normalize(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let toks: Vec<&str> = line.split(' ').collect();
        let mut keep = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let t = toks[i];
            if ["packets", "bytes", "expires", "valid_lft", "preferred_lft"].contains(&t)
                && i + 1 < toks.len()
            {
                i += 2;
                continue;
            }
            let counters = t.starts_with('[') && t.ends_with(']') && t.contains(':');
            if !counters && t != "tentative" {
                keep.push(t);
            }
            i += 1;
        }
        out.push_str(&keep.join(" "));
        out.push('\n');
    }
    out
}

/// The machine's own network namespace and the files a DHCP hook could touch.
pub fn root_snapshot() -> String {
    let mut s = String::new();
    for cmd in [
        "ip -o addr",
        "ip route",
        "ip -6 route",
        "iptables-save",
        "ip6tables-save",
        "nft list ruleset",
        "sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding",
    ] {
        let argv: Vec<&str> = cmd.split(' ').collect();
        s.push_str(&format!("== {cmd}\n{}", normalize(&must(&argv))));
    }
    for f in [
        "/etc/resolv.conf",
        "/etc/hosts",
        "/proc/sys/kernel/hostname",
    ] {
        let text = fs::read_to_string(f).unwrap_or_default();
        s.push_str(&format!("== {f}\n{text}"));
    }
    s
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// A network namespace of this test; its processes are killed and it is deleted on drop.
pub struct Ns(pub String);

impl Ns {
    /// A fresh namespace named after this test process, `tag` and `role`, with `lo` up.
    pub fn new(tag: &str, role: &str) -> Ns {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let name = format!("nl{}{tag}{seq}{role}", std::process::id());
        assert!(
            !Path::new("/run/netns").join(&name).exists(),
            "netns {name} exists already"
        );
        must(&["ip", "netns", "add", &name]);
        let ns = Ns(name);
        ns.ip("link set lo up");
        ns
    }

    /// Runs `argv` inside the namespace.
    pub fn exec(&self, argv: &[&str], stdin: Option<&str>) -> Out {
        util::tools::require(argv[0]);
        let mut v = vec!["ip", "netns", "exec", &self.0];
        v.extend_from_slice(argv);
        run(&v, stdin)
    }

    /// Runs `cmd` (split at spaces) inside the namespace; it must succeed. Its stdout.
    #[track_caller]
    pub fn sh(&self, cmd: &str) -> String {
        let argv: Vec<&str> = cmd.split_whitespace().collect();
        let out = self.exec(&argv, None);
        assert!(out.ok(), "in {}: {cmd} failed: {out}", self.0);
        out.stdout
    }

    /// `ip -n NS ARGS` (split at spaces), which must succeed.
    #[track_caller]
    pub fn ip(&self, args: &str) -> String {
        self.sh(&format!("ip {args}"))
    }

    pub fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = must(&["ip", "netns", "pids", &self.0])
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .filter(|p| !gone(*p))
            .collect();
        pids.sort_unstable();
        pids
    }

    /// Ends every process of the namespace (all started by this test or by the netloom it
    /// ran), by pid: TERM, then KILL for what is still there after 3 s.
    pub fn kill_all(&self) {
        for signal in ["-TERM", "-KILL"] {
            let pids = self.pids();
            if pids.is_empty() {
                return;
            }
            for pid in &pids {
                let _ = run(&["kill", signal, &pid.to_string()], None);
            }
            let start = Instant::now();
            while !pids.iter().all(|p| gone(*p)) && start.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// The IPv4 addresses of `dev` with their prefix length.
    pub fn inet(&self, dev: &str) -> Vec<String> {
        let text = self.ip(&format!("-4 -o addr show dev {dev}"));
        text.lines()
            .filter_map(|l| l.split_whitespace().skip_while(|t| *t != "inet").nth(1))
            .map(str::to_owned)
            .collect()
    }

    /// `dig @SERVER +short NAME`, trimmed.
    #[track_caller]
    pub fn dig(&self, server: &str, name: &str) -> String {
        let at = format!("@{server}");
        let out = self.exec(&["dig", &at, "+short", "+time=2", "+tries=1", name], None);
        assert!(out.ok(), "dig {name} in {}: {out}", self.0);
        out.stdout.trim().to_owned()
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        self.kill_all();
        let _ = run(&["ip", "netns", "del", &self.0], None);
    }
}

const DHCLIENT_SCRIPT: &str = r#"#!/bin/sh
# dhclient -sf script of the live tests: address and default route only, never /etc
PATH=/usr/sbin:/usr/bin:/sbin:/bin
env | grep -E '^(reason|interface|new_|old_)' | sort > "@DIR@/dhclient.$interface.$reason"
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
    for r in $new_routers; do ip route replace default via "$r" dev "$interface"; break; done ;;
  EXPIRE|FAIL|RELEASE|STOP) ip addr flush dev "$interface" scope global ;;
esac
exit 0
"#;

/// One test's namespaces and scratch directory (`root/` is netloom's `--root`).
pub struct Lab {
    pub tag: String,
    pub g1: Ns,
    pub g2: Ns,
    pub w: Ns,
    pub hv: Ns,
    pub dir: tempfile::TempDir,
    root_before: String,
}

impl Lab {
    /// The namespaces and the uplink; with `seed_iptables`, one user rule in each builtin
    /// chain the iptables backend hooks, so those tables exist before and after (iptables-nft
    /// would otherwise leave empty tables behind, and the comparison could not be exact).
    pub fn new(tag: &str, seed_iptables: bool) -> Lab {
        let root_before = root_snapshot();
        let dir = tempfile::Builder::new()
            .prefix("netloom-live.")
            .tempdir_in("/tmp")
            .unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(dir.path().join("root")).unwrap();
        fs::set_permissions(dir.path().join("root"), fs::Permissions::from_mode(0o755)).unwrap();
        let lab = Lab {
            tag: tag.to_owned(),
            g1: Ns::new(tag, "g1"),
            g2: Ns::new(tag, "g2"),
            w: Ns::new(tag, "w"),
            hv: Ns::new(tag, "hv"),
            dir,
            root_before,
        };
        // No IPv6 DAD in HV: a tentative address would make the snapshots racy.
        lab.hv
            .sh("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0");
        let w = &lab.w.0;
        lab.hv
            .ip(&format!("link add up0 type veth peer name up1 netns {w}"));
        lab.hv.ip("addr add 10.99.0.1/24 dev up0");
        lab.hv.ip("link set up0 up");
        lab.w.ip("addr add 10.99.0.2/24 dev up1");
        lab.w.ip("link set up1 up");
        if seed_iptables {
            self::seed_iptables(&lab.hv);
        }
        let d = lab.dir.path().display().to_string();
        let script = lab.dir.path().join("dhclient-script");
        fs::write(&script, DHCLIENT_SCRIPT.replace("@DIR@", &d)).unwrap();
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(
            lab.dir.path().join("dhclient.conf"),
            "timeout 15;\nretry 5;\ninitial-interval 1;\n\
             request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, host-name;\n",
        )
        .unwrap();
        lab
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// Writes `text` into the scratch directory; its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// `ip netns exec HV netloom ARGS` (no `--root` added), with `NETLOOM_FAULT` if given.
    /// Its output goes through files, so a daemon keeping an inherited fd cannot hang us.
    pub fn netloom_raw(&self, fault: Option<&str>, args: &[&str]) -> Out {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let (o, e) = (
            self.dir.path().join(format!("netloom.{n}.out")),
            self.dir.path().join(format!("netloom.{n}.err")),
        );
        let mut cmd = util::tools::command("ip");
        cmd.args(["netns", "exec", &self.hv.0, NETLOOM])
            .args(args)
            .env_remove(netloom::engine::FAULT_VAR)
            .stdin(Stdio::null())
            .stdout(File::create(&o).unwrap())
            .stderr(File::create(&e).unwrap());
        if let Some(f) = fault {
            cmd.env(netloom::engine::FAULT_VAR, f);
        }
        let start = Instant::now();
        let mut child = cmd.spawn().unwrap();
        let status = wait_for(&mut child, util::PATIENCE).unwrap_or_else(|| {
            panic!(
                "netloom {args:?} did not finish within {:?}",
                util::PATIENCE
            )
        });
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: fs::read_to_string(&o).unwrap(),
            stderr: fs::read_to_string(&e).unwrap(),
        };
        eprintln!(
            "[{}] netloom {} -> exit {} in {} ms",
            self.tag,
            args.join(" "),
            out.code,
            start.elapsed().as_millis()
        );
        out
    }

    /// `netloom --root ROOT ARGS` in HV (without `--root` for a verb that takes none).
    pub fn netloom(&self, args: &[&str]) -> Out {
        self.fault(None, args)
    }

    pub fn fault(&self, fault: Option<&str>, args: &[&str]) -> Out {
        let root = self.root().display().to_string();
        let v = crate::util::taken(&[("--root", &root)], args);
        self.netloom_raw(fault, &v)
    }

    /// Runs netloom; it must succeed and print exactly `stdout` (one line).
    #[track_caller]
    pub fn ok(&self, args: &[&str], stdout: &str) {
        let r = self.netloom(args);
        assert!(
            r.ok() && r.stdout.trim_end() == stdout,
            "netloom {args:?}: wanted exit 0 and {stdout:?}, got {r}"
        );
    }

    /// Runs netloom; it must exit 2 with `needle` in its stderr.
    #[track_caller]
    pub fn fails(&self, args: &[&str], needle: &str) {
        let r = self.netloom(args);
        assert!(
            r.code == 2 && r.stderr.contains(needle),
            "netloom {args:?}: wanted exit 2 and {needle:?} on stderr, got {r}"
        );
    }

    /// `net list --all --format json`, checked to be sorted by name.
    #[track_caller]
    pub fn list(&self, all: bool) -> Vec<Value> {
        let mut args = vec!["net", "list", "--format", "json"];
        if all {
            args.insert(2, "--all");
        }
        let r = self.netloom(&args);
        assert!(r.ok(), "net list: {r}");
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("net list --format json is not JSON ({e}): {r}"));
        assert_eq!(v["version"], 1, "{r}");
        let items = v["networks"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no array of networks: {r}"));
        let names: Vec<&str> = items.iter().filter_map(|i| i["name"].as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "net list is not sorted by name: {r}");
        items
    }

    /// The `net list --all` entry of `name`.
    #[track_caller]
    pub fn listed(&self, name: &str) -> Option<Value> {
        self.list(true).into_iter().find(|i| i["name"] == name)
    }

    /// HV's state: addresses, links, routes, both firewalls, forwarding and processes.
    pub fn snapshot(&self) -> String {
        let mut s = String::new();
        for cmd in [
            "ip -o addr",
            "ip -o link",
            "ip route show table all",
            "iptables-save",
            "ip6tables-save",
            "nft list ruleset",
            "sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding",
        ] {
            s.push_str(&format!("== {cmd}\n{}", normalize(&self.hv.sh(cmd))));
        }
        s.push_str(&format!("== pids\n{:?}\n", self.hv.pids()));
        s
    }

    /// HV's state must be `before` again.
    #[track_caller]
    pub fn same(&self, before: &str, when: &str) {
        let after = self.snapshot();
        assert!(
            after == before,
            "[{}] HV changed {when}:\n{}",
            self.tag,
            util::diff(before, &after, "before", when)
        );
    }

    pub fn forwarding(&self) -> String {
        self.hv
            .sh("sysctl -n net.ipv4.ip_forward")
            .trim()
            .to_owned()
    }

    /// Files of network `name` under the root (the runtime record, pid file, dnsmasq files
    /// including the lease file dnsmasq made, firewall files), except its definition in etc/.
    pub fn leftovers(&self, name: &str) -> Vec<String> {
        let root = self.root();
        let prefix = format!("{name}.");
        walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| !e.path().starts_with(root.join("etc")) && !e.file_type().is_dir())
            .filter(|e| {
                let f = e.file_name().to_string_lossy();
                f == name || f.starts_with(&prefix)
            })
            .map(|e| e.path().display().to_string())
            .collect()
    }

    /// The pid netloom recorded for the network's dnsmasq, which must be running in HV.
    #[track_caller]
    pub fn dnsmasq_pid(&self, name: &str) -> u32 {
        let path = self.root().join(format!("run/netloom/networks/{name}.pid"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let pid: u32 = text.trim().parse().unwrap();
        assert!(
            self.hv.pids().contains(&pid),
            "pid {pid} from {} is not running in HV",
            path.display()
        );
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        assert_eq!(comm.trim(), "dnsmasq", "pid {pid} is not dnsmasq");
        pid
    }

    /// Kills `pid` (a process of this lab) with SIGKILL and waits until it is gone.
    pub fn kill9(&self, pid: u32) {
        must(&["kill", "-KILL", &pid.to_string()]);
        assert!(util::eventually(|| gone(pid)), "{pid} survived kill -9");
    }

    /// Deletes the namespaces and checks the machine's own namespace did not change.
    #[track_caller]
    pub fn finish(self) {
        let Lab {
            tag,
            g1,
            g2,
            w,
            hv,
            dir,
            root_before,
        } = self;
        let names: Vec<String> = [&g1, &g2, &w, &hv].iter().map(|n| n.0.clone()).collect();
        drop((g1, g2, w, hv));
        for n in &names {
            assert!(
                !Path::new("/run/netns").join(n).exists(),
                "netns {n} remains"
            );
        }
        drop(dir);
        let after = root_snapshot();
        assert!(
            after == root_before,
            "[{tag}] the machine's own namespace changed:\n{}",
            util::diff(&root_before, &after, "before", "after")
        );
    }
}

/// One user rule in each builtin chain of `ns`, both families: with iptables-nft the tables
/// would otherwise outlive the network, and before and after could not be compared exactly.
pub fn seed_iptables(ns: &Ns) {
    for (tool, src) in [
        ("iptables-restore", "192.0.2.7/32"),
        ("ip6tables-restore", "2001:db8::7/128"),
    ] {
        let rule = |chain: &str| format!("-A {chain} -s {src} -j ACCEPT\n");
        let text = format!(
            "*filter\n{}{}{}COMMIT\n*nat\n{}{}COMMIT\n*mangle\n{}COMMIT\n",
            rule("INPUT"),
            rule("FORWARD"),
            rule("OUTPUT"),
            rule("PREROUTING"),
            rule("POSTROUTING"),
            rule("POSTROUTING")
        );
        let out = ns.exec(&[tool, "-w", "--noflush"], Some(&text));
        assert!(out.ok(), "{tool} seed: {out}");
    }
}
