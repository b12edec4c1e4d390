//! The systemd units in `dist/systemd/`, for real: `systemd-analyze verify` passes them, the
//! commands they run are ones this netloom accepts, and a freshly made Debian root with
//! netloom and its units installed, an autostart network and an apply still waiting for
//! confirmation, boots under its own systemd in `systemd-nspawn` (in network namespaces
//! this test creates; `../shared/notes/boot-a-root.md`) with the apply rolled back byte for
//! byte before its network was configured, the network running, and no failed unit.
//!
//! The root is made once with mmdebstrap and kept as a tarball under `target/`, so later
//! runs only unpack it (seconds, not a download).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::net_live_util::{Ns, Out, run, wait_for};
use crate::util::{self, tools};

const NETLOOM: &str = env!("CARGO_BIN_EXE_netloom");
const UNITS: [&str; 2] = ["netloom-boot.service", "netloom-networks.service"];

/// The units as the repository has them.
fn unit_dir() -> PathBuf {
    util::repo().join("dist/systemd")
}

/// Where this machine's systemd keeps the units packages install.
fn system_units() -> Option<PathBuf> {
    ["/usr/lib/systemd/system", "/lib/systemd/system"]
        .into_iter()
        .map(PathBuf::from)
        .find(|d| d.join("multi-user.target").exists())
}

/// `cp -a FROM TO`, which must succeed.
#[track_caller]
fn copy(from: &Path, to: &Path) {
    let out = run(
        &[
            "cp",
            "-a",
            &from.display().to_string(),
            &to.display().to_string(),
        ],
        None,
    );
    assert!(out.ok(), "cp -a {} {}: {out}", from.display(), to.display());
}

/// Writes an executable file.
fn executable(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A scratch root holding this machine's units, netloom as the packaging installs it, and
/// the units under test (with `edit` applied to their text): what `verify --root` reads.
fn verify_root(units: &Path, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("usr/lib/systemd");
    fs::create_dir_all(&lib).unwrap();
    copy(units, &lib.join("system"));
    fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
    fs::copy(NETLOOM, dir.path().join("usr/bin/netloom")).unwrap();
    let etc = dir.path().join("etc/systemd/system");
    fs::create_dir_all(&etc).unwrap();
    for unit in UNITS {
        let text = fs::read_to_string(unit_dir().join(unit)).unwrap();
        fs::write(etc.join(unit), edit(&text)).unwrap();
    }
    dir
}

/// `systemd-analyze verify --root=ROOT` of the units: exit 0 and nothing said, or what it said.
fn verify(root: &Path) -> Result<(), Out> {
    let arg = format!("--root={}", root.display());
    let mut argv = vec!["systemd-analyze", "verify", &arg];
    argv.extend(UNITS);
    let out = run(&argv, None);
    if out.ok() && out.stdout.trim().is_empty() && out.stderr.trim().is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

/// The `ExecStart=` command lines of a unit.
fn exec_starts(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|l| l.strip_prefix("ExecStart="))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn the_units_pass_systemd_analyze_verify_and_run_commands_netloom_accepts() {
    // Each unit runs `netloom boot` with a phase this binary has; on an empty root both
    // succeed (nothing pending, no autostart network), so the units cannot fail on their
    // own words.
    let mut phases = Vec::new();
    for unit in UNITS {
        let text = fs::read_to_string(unit_dir().join(unit)).unwrap();
        let starts = exec_starts(&text);
        assert_eq!(starts.len(), 1, "{unit}: one ExecStart=, got {starts:?}");
        let argv = &starts[0];
        assert_eq!(argv[0], "/usr/bin/netloom", "{unit}");
        assert_eq!(argv[1..3], ["boot", "--phase"], "{unit}");
        phases.push(argv[3].clone());
        let root = tempfile::tempdir().unwrap();
        let mut args = vec!["--root".to_owned(), root.path().display().to_string()];
        args.extend(argv[1..].iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = util::netloom(&args, root.path(), None);
        assert_eq!(r.code, 0, "{unit}: netloom {args:?}: {}", r.stderr);
    }
    assert_eq!(phases, ["early", "late"]);

    if !util::runnable("systemd unit checks", tools::absent("systemd-analyze")) {
        return;
    }
    let Some(units) = system_units() else {
        util::runnable(
            "systemd unit checks",
            Some("this machine has no systemd unit directory".into()),
        );
        return;
    };
    let root = verify_root(&units, str::to_owned);
    if let Err(out) = verify(root.path()) {
        panic!("systemd-analyze verify of {UNITS:?}: {out}");
    }
    // The check can fail: a misspelt value is only a warning to systemd, and still refused.
    let broken = verify_root(&units, |t| t.replace("Type=oneshot", "Type=oneshoot"));
    let out = verify(broken.path()).expect_err("a misspelt Type= must not pass");
    assert!(out.stderr.contains("oneshoot"), "{out}");
}

/// The packages of the booted root: systemd to boot, ifupdown to configure `host0` from the
/// files netloom restores, and what a running network needs (iproute2, nftables,
/// dnsmasq-base, procps for `kill`).
const ROOT_PACKAGES: &str =
    "systemd,systemd-sysv,dbus,ifupdown,iproute2,procps,dnsmasq-base,nftables";

/// Why this machine cannot boot a root, if it cannot.
fn boot_missing() -> Option<String> {
    if run(&["id", "-u"], None).stdout.trim() != "0" {
        return Some("needs root for systemd-nspawn and network namespaces".into());
    }
    tools::first_absent(&[
        "systemd-nspawn",
        "mmdebstrap",
        "systemctl",
        "tar",
        "ip",
        "cp",
    ])
}

/// This machine's Debian release: the root gets the same, so the netloom built here runs in it.
fn codename() -> String {
    let text = fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|c| c.trim_matches('"').to_owned())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "bookworm".into())
}

/// The root's tarball under `target/`, made with mmdebstrap the first time: its name says
/// what it holds, so a change of packages makes a new one.
fn root_tarball() -> PathBuf {
    let target = Path::new(NETLOOM)
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("boot-root");
    fs::create_dir_all(&target).unwrap();
    let release = codename();
    let key = format!("{release} minbase {ROOT_PACKAGES}");
    // FNV-1a: stable across builds, unlike std's hasher.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let tar = target.join(format!("{release}-{hash:016x}.tar"));
    if tar.exists() {
        return tar;
    }
    let partial = target.join(format!("{release}-{hash:016x}.{}.tar", std::process::id()));
    let start = Instant::now();
    let include = format!("--include={ROOT_PACKAGES}");
    let out = run(
        &[
            "mmdebstrap",
            "--quiet",
            "--variant=minbase",
            &include,
            &release,
            &partial.display().to_string(),
        ],
        None,
    );
    assert!(out.ok(), "mmdebstrap could not make the root: {out}");
    fs::rename(&partial, &tar).unwrap();
    eprintln!(
        "[boot] made the root {} in {} ms",
        tar.display(),
        start.elapsed().as_millis()
    );
    tar
}

/// The confirmed configuration of the root's NIC, and the one applied without confirmation.
fn host0(address: &str) -> String {
    format!(
        "<interface type='ethernet' name='host0'>\n  <start mode='onboot'/>\n  \
         <protocol family='ipv4'>\n    <ip address='{address}' prefix='24'/>\n    \
         <route gateway='192.0.2.1'/>\n  </protocol>\n</interface>\n"
    )
}

const NETWORK: &str = "<network>
  <name>bootnet</name>
  <forward mode='nat'/>
  <bridge name='nlboot0' stp='off'/>
  <ip address='10.123.0.1' prefix='24'>
    <dhcp><range start='10.123.0.100' end='10.123.0.199'/></dhcp>
  </ip>
</network>
";

/// What the booted system writes before it powers off (sections `== NAME`), run by a unit
/// ordered after everything netloom's units do.
const PROBE: &str = r#"#!/bin/sh
out=/netloom-probe.out
{
echo "== addr"; ip -br -4 addr
echo "== bridge"; ip -o link show nlboot0
echo "== failed"; systemctl --failed --no-legend --plain
echo "== active"; systemctl is-active netloom-boot.service netloom-networks.service networking.service
echo "== times"
for u in netloom-boot.service networking.service netloom-networks.service; do
  echo "$u $(systemctl show -P ExecMainStartTimestampMonotonic $u) $(systemctl show -P ExecMainExitTimestampMonotonic $u)"
done
echo "== nets"; netloom net list --all --format json
echo "== dnsmasq"; pid=$(cat /run/netloom/networks/bootnet.pid); echo "$(cat /proc/$pid/comm)"
echo "== nft"; nft list tables
echo "== log"; journalctl -b --no-pager -o cat -u netloom-boot.service -u netloom-networks.service
echo "== end"
} >$out.part 2>&1
mv $out.part $out
systemctl poweroff
"#;

const PROBE_UNIT: &str = "[Unit]
Description=netloom boot test: report, then power off
After=multi-user.target netloom-boot.service netloom-networks.service networking.service

[Service]
Type=oneshot
ExecStart=/usr/local/bin/netloom-probe

[Install]
WantedBy=multi-user.target
";

/// Every file under `dir` with its bytes and mode.
fn files(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let mode = e.metadata().unwrap().permissions().mode();
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, (fs::read(e.path()).unwrap(), mode))
        })
        .collect()
}

/// `netloom --root ROOT ARGS` on this machine, which must succeed; its stdout.
#[track_caller]
fn netloom(root: &Path, args: &[&str]) -> String {
    let mut all = vec!["--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    let r = util::netloom(&all, root, None);
    assert_eq!(r.code, 0, "netloom {all:?}: {}", r.stderr);
    r.stdout
}

/// The confirmation timer the unconfirmed apply started for `root`: it dies with the
/// machine, and here it is killed (by its pid) in the machine's place.
fn kill_timer(root: &Path) {
    let want = root.to_str().unwrap().as_bytes();
    let mut found = Vec::new();
    util::eventually(|| {
        found = fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
                args.contains(&&b"__revert-timer"[..]) && args.contains(&want)
            })
            .collect();
        found.len() == 1
    });
    assert_eq!(found.len(), 1, "the timer of {}: {found:?}", root.display());
    let out = run(&["kill", "-KILL", &found[0].to_string()], None);
    assert!(out.ok(), "kill: {out}");
}

/// The sections of the probe's output.
fn sections(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut name = String::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("== ") {
            name = n.to_owned();
            out.insert(name.clone(), String::new());
        } else if let Some(s) = out.get_mut(&name) {
            s.push_str(line);
            s.push('\n');
        }
    }
    out
}

#[test]
fn a_root_boots_with_the_unconfirmed_apply_rolled_back_and_the_autostart_network_running() {
    if !util::runnable("booting a root under systemd-nspawn", boot_missing()) {
        return;
    }
    let start = Instant::now();
    let tar = root_tarball();
    let made = start.elapsed();
    let scratch = tempfile::Builder::new()
        .prefix("netloom-boot.")
        .tempdir_in("/tmp")
        .unwrap();
    let root = scratch.path().join("root");
    fs::create_dir(&root).unwrap();
    fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(
        &[
            "tar",
            "-C",
            root.to_str().unwrap(),
            "-xf",
            tar.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.ok(), "unpacking the root: {out}");
    let unpacked = start.elapsed();

    // netloom and its units, installed as the packaging installs them, and enabled.
    fs::copy(NETLOOM, root.join("usr/bin/netloom")).unwrap();
    let lib = root.join("usr/lib/systemd/system");
    for unit in UNITS {
        fs::copy(unit_dir().join(unit), lib.join(unit)).unwrap();
    }
    executable(&root.join("usr/local/bin/netloom-probe"), PROBE);
    fs::write(lib.join("netloom-probe.service"), PROBE_UNIT).unwrap();
    let arg = format!("--root={}", root.display());
    let mut enable = vec!["systemctl", &arg, "enable"];
    enable.extend(UNITS);
    enable.push("netloom-probe.service");
    let out = run(&enable, None);
    assert!(out.ok(), "systemctl enable: {out}");

    // The confirmed state: host0 at .10, an autostart network. Then, unconfirmed, host0 at
    // .99; the machine goes down before anyone confirms it (its timer with it).
    let dir = scratch.path();
    let file = |name: &str, text: &str| {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let (a, b, n) = (
        file("a.xml", &host0("192.0.2.10")),
        file("b.xml", &host0("192.0.2.99")),
        file("net.xml", NETWORK),
    );
    netloom(&root, &["--backend", "debian", "apply", "--yes", &a]);
    netloom(&root, &["net", "define", &n]);
    netloom(&root, &["net", "autostart", "bootnet"]);
    let confirmed = files(&root.join("etc/network"));
    netloom(
        &root,
        &[
            "--backend",
            "debian",
            "apply",
            "--yes",
            "--confirm",
            "3600",
            &b,
        ],
    );
    kill_timer(&root);
    let unconfirmed = files(&root.join("etc/network"));
    assert_ne!(confirmed, unconfirmed, "the second apply changed nothing");
    let pending = netloom(&root, &["history", "--format", "json"]);
    let pending: Value = serde_json::from_str(&pending).unwrap();
    let last = pending["transactions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["state"], "pending", "{last}");
    let id = last["id"].clone();

    // The root's NIC `host0` in a namespace of this test, its gateway in another.
    let before = crate::net_live_util::root_snapshot();
    let ns = Ns::new("boot", "c");
    let up = Ns::new("boot", "u");
    ns.ip(&format!(
        "link add host0 type veth peer name up0 netns {}",
        up.0
    ));
    up.ip("addr add 192.0.2.1/24 dev up0");
    up.ip("link set up0 up");

    let log = dir.join("nspawn.log");
    let booting = Instant::now();
    let netns = format!("--network-namespace-path=/run/netns/{}", ns.0);
    let log_file = fs::File::create(&log).unwrap();
    let mut child = tools::command("systemd-nspawn")
        .args(["-q", "--register=no", "--keep-unit"])
        .arg("--capability=CAP_NET_ADMIN,CAP_NET_RAW")
        .arg("-D")
        .arg(&root)
        .args(["-b", &netns])
        .env("SYSTEMD_NSPAWN_API_VFS_WRITABLE", "network")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let status = wait_for(&mut child, Duration::from_secs(300));
    let booted = booting.elapsed();
    let log_text = fs::read_to_string(&log).unwrap_or_default();
    let probe = fs::read_to_string(root.join("netloom-probe.out")).unwrap_or_else(|e| {
        panic!("the booted root wrote no report ({e}); nspawn {status:?}:\n{log_text}")
    });
    eprintln!(
        "[boot] root ready in {} ms, unpacked in {} ms, booted and powered off in {} ms",
        made.as_millis(),
        (unpacked - made).as_millis(),
        booted.as_millis()
    );
    assert!(
        status.is_some_and(|s| s.success()),
        "systemd-nspawn {status:?}:\n{log_text}\n{probe}"
    );
    let s = sections(&probe);
    let section = |name: &str| s.get(name).cloned().unwrap_or_default();
    let all = format!("the booted root reported:\n{probe}");

    // The apply was undone before ifupdown read the files: host0 came up as confirmed.
    let addr = section("addr");
    assert!(
        addr.lines()
            .any(|l| l.starts_with("host0") && l.contains(" 192.0.2.10/24")),
        "{all}"
    );
    assert!(!addr.contains("192.0.2.99"), "{all}");
    let times: BTreeMap<String, (u64, u64)> = section("times")
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            Some((
                w.first()?.to_string(),
                (w.get(1)?.parse().ok()?, w.get(2)?.parse().ok()?),
            ))
        })
        .collect();
    let (_, boot_done) = times["netloom-boot.service"];
    let (ifup, _) = times["networking.service"];
    let (late, _) = times["netloom-networks.service"];
    assert!(
        boot_done > 0 && boot_done <= ifup && ifup <= late,
        "rollback must end before networking.service starts, and networks start after: {times:?}\n{all}"
    );
    // The autostart network runs: its bridge, dnsmasq, its rules.
    assert!(
        addr.lines()
            .any(|l| l.starts_with("nlboot0") && l.contains(" 10.123.0.1/24")),
        "{all}"
    );
    assert!(section("bridge").contains(",UP"), "{all}");
    assert_eq!(section("dnsmasq").trim(), "dnsmasq", "{all}");
    assert!(section("nft").contains("libvirt_network"), "{all}");
    let nets: Value =
        serde_json::from_str(&section("nets")).unwrap_or_else(|e| panic!("{e}: {all}"));
    assert_eq!(nets["networks"][0]["name"], "bootnet", "{all}");
    assert_eq!(nets["networks"][0]["state"], "active", "{all}");
    assert_eq!(section("active").trim(), "active\nactive\nactive", "{all}");
    assert_eq!(section("failed").trim(), "", "no unit may fail: {all}");

    // Byte for byte, and the journal says why.
    assert_eq!(files(&root.join("etc/network")), confirmed, "{all}");
    let history: Value =
        serde_json::from_str(&netloom(&root, &["history", "--format", "json"])).unwrap();
    let tx = history["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap();
    assert_eq!(
        (&tx["state"], &tx["reason"]),
        (
            &serde_json::json!("rolled-back"),
            &serde_json::json!("requested")
        )
    );

    drop((ns, up));
    let after = crate::net_live_util::root_snapshot();
    assert!(
        after == before,
        "the machine's own namespace changed:\n{}",
        util::diff(&before, &after, "before", "after")
    );
}
