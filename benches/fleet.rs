//! A fleet repository's CI check at scale (issue 27): 1,000 hosts of 10 interfaces each
//! (one XML file per interface; ifcfg, debian and nm in turn, each host's `backend` file
//! naming it), their snapshots made by `render --fleet --out`, then one host in ten changed.
//! Timed as a CI job runs it: the binary, `diff --fleet hosts --roots snapshots` as text and
//! as JSON (whose `changed_hosts` must be exactly the changed ones), and `validate --fleet`.
//! Wall time, medians printed; reported, not budgeted. Run with `cargo bench --bench fleet`;
//! `NETLOOM_BENCH_BIN=PATH` times another build of the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

mod common;
use common::{report, sample};

const HOSTS: usize = 1_000;
const INTERFACES: usize = 10;
/// Every how many hosts one is changed after the snapshot.
const CHANGED_EVERY: usize = 10;

fn main() {
    let started = Instant::now();
    let bin = std::env::var_os("NETLOOM_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_netloom")));
    let bin = bin.as_path();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let changed = generate(dir, bin);
    println!(
        "{HOSTS} hosts of {INTERFACES} interfaces ({} XML files), {} changed; binary {}",
        HOSTS * INTERFACES,
        changed.len(),
        bin.display()
    );

    let diff = |format: &'static str| {
        move |(): &()| {
            run(
                bin,
                dir,
                &[
                    "diff",
                    "--fleet",
                    "hosts",
                    "--roots",
                    "snapshots",
                    "--format",
                    format,
                ],
            )
        }
    };
    let text = sample(
        || (),
        diff("text"),
        |(), out| {
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        },
    );
    let text = report("diff --fleet (text)", &text);
    let json = sample(
        || (),
        diff("json"),
        |(), out| {
            assert_eq!(out.status.code(), Some(1));
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let listed: Vec<&str> = (doc["changed_hosts"].as_array().unwrap().iter())
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(
                listed, changed,
                "changed_hosts must be exactly the changed hosts"
            );
        },
    );
    let json = report("diff --fleet --format json", &json);
    let validate = sample(
        || (),
        |()| run(bin, dir, &["validate", "--fleet", "hosts"]),
        |(), out| assert_eq!(out.status.code(), Some(0)),
    );
    let validate = report("validate --fleet", &validate);
    println!(
        "\n{HOSTS} hosts x {INTERFACES} interfaces: diff --fleet {:.2} s (text), {:.2} s (json); \
         validate --fleet {:.2} s (medians, wall time)",
        text.as_secs_f64(),
        json.as_secs_f64(),
        validate.as_secs_f64()
    );
    println!("this bench took {:.0} s", started.elapsed().as_secs_f64());
}

/// Writes `dir/hosts` and `dir/snapshots`, and changes one host in [`CHANGED_EVERY`] after
/// the snapshot; returns the changed hosts' names, sorted.
fn generate(dir: &Path, bin: &Path) -> Vec<String> {
    let backends = ["ifcfg", "debian", "nm"];
    for h in 0..HOSTS {
        let host = dir.join(format!("hosts/host{h:04}"));
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("backend"), format!("{}\n", backends[h % 3])).unwrap();
        for i in 0..INTERFACES {
            std::fs::write(host.join(format!("eth{i}.xml")), interface(h, i, 1)).unwrap();
        }
    }
    let out = run(
        bin,
        dir,
        &["render", "--fleet", "hosts", "--out", "snapshots"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut changed = Vec::new();
    for h in (0..HOSTS).step_by(CHANGED_EVERY) {
        let name = format!("host{h:04}");
        let path = dir.join(format!("hosts/{name}/eth2.xml"));
        std::fs::write(path, interface(h, 2, 2)).unwrap();
        changed.push(name);
    }
    changed
}

/// Interface `i` of host `h`: even ones static (the last octet `last`), odd ones DHCP.
fn interface(h: usize, i: usize, last: u8) -> String {
    let mut x = format!(
        "<interface type='ethernet' name='eth{i}'>\n  <start mode='onboot'/>\n  \
         <mac address='52:54:{:02x}:{:02x}:00:{i:02x}'/>\n  <mtu size='1500'/>\n",
        h / 256,
        h % 256
    );
    if i.is_multiple_of(2) {
        write!(
            x,
            "  <protocol family='ipv4'>\n    <ip address='10.{i}.{}.{last}' prefix='24'/>\n  </protocol>\n",
            h % 250
        )
        .unwrap();
    } else {
        x.push_str("  <protocol family='ipv4'>\n    <dhcp/>\n  </protocol>\n");
    }
    x.push_str("</interface>\n");
    x
}

/// Runs the binary in `dir`, standard output captured (as a CI log would take it).
fn run(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}
