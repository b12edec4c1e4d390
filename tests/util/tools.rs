//! The programs the tests run, each with the Debian package that has it: a test that finds
//! one missing fails (or, outside CI, skips) saying which package to install, never with a
//! bare "No such file or directory", and `scripts/test` installs every package named here
//! (checked below).

use std::process::Command;

/// Every program a test starts, that the netloom under test starts (`ip`, `tc`, `nft`, the
/// iptables tools, `dnsmasq`, `kill`), or that `../shared/scripts/nm-sandbox` needs, with
/// its Debian package (`dpkg -S` of the program on Debian 12).
pub const TOOLS: &[(&str, &str)] = &[
    ("NetworkManager", "network-manager"),
    ("bash", "bash"),
    ("brctl", "bridge-utils"),
    ("bridge", "iproute2"),
    ("chroot", "coreutils"),
    ("cp", "coreutils"),
    ("dbus-daemon", "dbus-daemon"),
    ("dbus-send", "dbus-bin"),
    ("dhclient", "isc-dhcp-client"),
    ("dig", "bind9-dnsutils"),
    ("dnsmasq", "dnsmasq-base"),
    ("flock", "util-linux"),
    ("git", "git"),
    ("id", "coreutils"),
    ("ifdown", "ifupdown"),
    ("ifquery", "ifupdown"),
    ("ifup", "ifupdown"),
    ("ip", "iproute2"),
    ("ip6tables", "iptables"),
    ("ip6tables-restore", "iptables"),
    ("ip6tables-save", "iptables"),
    ("iptables", "iptables"),
    ("iptables-restore", "iptables"),
    ("iptables-save", "iptables"),
    ("kill", "procps"),
    ("mmdebstrap", "mmdebstrap"),
    ("mount", "mount"),
    ("nc", "netcat-openbsd"),
    ("nft", "nftables"),
    ("nmcli", "network-manager"),
    ("patch", "patch"),
    ("ping", "iputils-ping"),
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("realpath", "coreutils"),
    ("script", "bsdutils"),
    ("setsid", "util-linux"),
    ("sh", "dash"),
    ("sha256sum", "coreutils"),
    ("sleep", "coreutils"),
    ("ss", "iproute2"),
    ("systemctl", "systemd"),
    ("systemd-analyze", "systemd"),
    ("systemd-nspawn", "systemd-container"),
    ("sysctl", "procps"),
    ("tar", "tar"),
    ("tc", "iproute2"),
    ("unshare", "util-linux"),
];

/// The Debian package of `program`. A program missing from [`TOOLS`] is a bug of the test
/// that runs it: add it there, and its package to `scripts/test`.
#[track_caller]
pub fn package(program: &str) -> &'static str {
    TOOLS
        .iter()
        .find(|(p, _)| *p == program)
        .map(|(_, package)| *package)
        .unwrap_or_else(|| {
            panic!(
                "{program} is not in tests/util/tools.rs: add it with its Debian package, \
                 and the package to scripts/test"
            )
        })
}

/// Why `program` cannot run here, naming the package to install; `None` when installed.
#[track_caller]
pub fn absent(program: &str) -> Option<String> {
    reason(program, super::have(program))
}

/// What [`absent`] says of `program`, installed or not.
#[track_caller]
fn reason(program: &str, installed: bool) -> Option<String> {
    let package = package(program);
    (!installed).then(|| {
        format!("{program} is missing: install the Debian package {package} (scripts/test does)")
    })
}

/// The first of `programs` that is not installed, said as [`absent`] says it: for a test's
/// reason to skip (see [`super::runnable`]).
#[track_caller]
pub fn first_absent(programs: &[&str]) -> Option<String> {
    programs.iter().find_map(|p| absent(p))
}

/// Fails the test, naming the package to install, unless `program` is installed. A path
/// (the netloom binary under test) names no package, and is run as it is.
#[track_caller]
pub fn require(program: &str) {
    if program.contains('/') {
        return;
    }
    if let Some(why) = absent(program) {
        panic!("{why}");
    }
}

/// A command running `program`, which must be installed ([`require`]); found also in the
/// system directories a non-root `PATH` lacks.
#[track_caller]
pub fn command(program: &str) -> Command {
    require(program);
    Command::new(super::locate(program).unwrap_or_else(|| program.into()))
}

/// `ip netns exec NS PROGRAM`: both must be installed.
#[track_caller]
pub fn in_netns(ns: &str, program: &str) -> Command {
    require(program);
    let mut cmd = command("ip");
    cmd.args(["netns", "exec", ns, program]);
    cmd
}

/// The packages `scripts/test` installs: the words of its arrays whose name ends in
/// `packages` (`packages=(...)`, one or more lines, comments skipped).
fn installed_by_scripts_test() -> std::collections::BTreeSet<String> {
    let script = std::fs::read_to_string(super::repo().join("scripts/test")).unwrap();
    let mut found = std::collections::BTreeSet::new();
    let mut inside = false;
    for line in script.lines() {
        let mut text = line.split('#').next().unwrap_or("").trim();
        if !inside {
            let Some((name, rest)) = text.split_once("=(") else {
                continue;
            };
            if !name.ends_with("packages") || name.contains(' ') {
                continue;
            }
            inside = true;
            text = rest;
        }
        if let Some((words, _)) = text.split_once(')') {
            text = words;
            inside = false;
        }
        found.extend(text.split_whitespace().map(str::to_owned));
    }
    found
}

#[test]
fn scripts_test_installs_the_package_of_every_program() {
    let installed = installed_by_scripts_test();
    assert!(
        installed.contains("iproute2") && installed.contains("qemu-system-x86"),
        "the package lists of scripts/test were not found: {installed:?}"
    );
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(_, package)| !installed.contains(*package))
        .map(|(program, package)| format!("{package} (for {program})"))
        .collect();
    assert!(
        missing.is_empty(),
        "scripts/test does not install {}",
        missing.join(", ")
    );
}

#[test]
fn a_missing_program_names_its_package() {
    assert_eq!(
        reason("ping", false).as_deref(),
        Some("ping is missing: install the Debian package iputils-ping (scripts/test does)")
    );
    assert_eq!(reason("ping", true), None);
    assert_eq!(first_absent(&[]), None, "nothing asked, nothing missing");
    let unlisted = std::panic::catch_unwind(|| package("no-such-program-netloom"));
    assert!(unlisted.is_err(), "an unlisted program must fail the test");
}
