//! `render`, `diff` and `validate --fleet`: real runs of the binary over a generated fleet
//! repository of hosts with different backends, one of them invalid, one unchanged.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Run, netloom};

/// A host of two interfaces: a NIC shared into a bridge that has `address`, and a DHCP NIC.
fn host_xml(address: &str) -> String {
    format!(
        "<interfaces>\n  <interface type='ethernet' name='eno1'>\n    <start mode='onboot'/>\n    \
         <protocol family='ipv4'>\n      <ip address='{address}' prefix='24'/>\n    </protocol>\n    \
         <shared bridge='br0' stp='off' delay='0'/>\n  </interface>\n  \
         <interface type='ethernet' name='eno2'>\n    <start mode='onboot'/>\n    \
         <protocol family='ipv4'>\n      <dhcp/>\n    </protocol>\n  </interface>\n</interfaces>\n"
    )
}

/// Writes `text` to `dir/rel`, making its directories.
fn put(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Every file and directory under `dir`: its path, bytes, mode and modification time, to
/// tell that a run wrote nothing there.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>, u32, i64, i64)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let bytes = if m.is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (
                e.path().to_path_buf(),
                bytes,
                m.mode(),
                m.mtime(),
                m.mtime_nsec(),
            )
        })
        .collect()
}

/// The fleet under test, in `tmp`: `hosts/` with
/// - `alpha` (ifcfg, `backend` file): its snapshot is what it renders, so unchanged;
/// - `bravo` (debian): its address changed after the snapshot;
/// - `charlie` (nm): no snapshot, so compared against an empty root;
/// - `delta` (ifcfg): an unknown element in its second file, at 3:5,
///
/// and `snapshots/` with alpha's and bravo's current files.
fn fleet(tmp: &Path) {
    let hosts = tmp.join("hosts");
    for (name, backend, addr) in [
        ("alpha", "ifcfg", "192.0.2.1"),
        ("bravo", "debian", "192.0.2.2"),
        ("charlie", "nm", "192.0.2.3"),
    ] {
        put(&hosts, &format!("{name}/host.xml"), &host_xml(addr));
        put(&hosts, &format!("{name}/backend"), &format!("{backend}\n"));
    }
    put(&hosts, "README.md", "not a host\n");
    put(&hosts, ".git/config", "not a host either\n");
    // The snapshot is made by render --fleet itself, before delta exists and bravo changes.
    let run = at(tmp, &["render", "--fleet", "hosts", "--out", "snapshots"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::remove_dir_all(tmp.join("snapshots/charlie")).unwrap();
    put(&hosts, "bravo/host.xml", &host_xml("192.0.2.22"));
    put(&hosts, "delta/host.xml", &host_xml("192.0.2.4"));
    put(&hosts, "delta/backend", "ifcfg\n");
    put(
        &hosts,
        "delta/more.xml",
        "<interface type='ethernet' name='eno3'>\n  <start mode='onboot'/>\n    <speed/>\n</interface>\n",
    );
}

fn at(dir: &Path, args: &[&str]) -> Run {
    netloom(args, dir, None)
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn names(doc: &Value, key: &str) -> Vec<String> {
    doc[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {doc}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// `diff` of the test fleet against its snapshots, as JSON: the run most tests here look at.
const DIFF_JSON: &[&str] = &[
    "diff",
    "--fleet",
    "hosts",
    "--roots",
    "snapshots",
    "--format",
    "json",
];

#[test]
fn diff_reports_every_host_and_exits_by_the_worst() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fleet(dir);
    let before = (tree(&dir.join("snapshots")), tree(&dir.join("hosts")));

    // An invalid host: exit 2, its problem positioned, the other hosts still reported.
    let run = at(dir, &["diff", "--fleet", "hosts", "--roots", "snapshots"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    crate::util::assert_contains(
        &run.stderr,
        "hosts/delta/more.xml:3:5: unknown element <speed>",
    );
    crate::util::assert_contains(
        &run.stderr,
        "4 hosts: 2 would change, 1 unchanged, 1 invalid",
    );
    let headers: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("==> "))
        .collect();
    assert_eq!(
        headers,
        [
            "==> alpha (ifcfg): nothing to change <==",
            "==> bravo (debian): 1 file would change <==",
            "==> charlie (nm): 3 files would change against an empty root (the host has no root) <==",
            "==> delta: invalid, 1 problem <==",
        ]
    );
    crate::util::assert_contains(&run.stdout, "+    address 192.0.2.22/24");

    let run = at(dir, DIFF_JSON);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc = json(&run);
    assert_eq!(doc["version"], 1);
    assert_eq!(names(&doc, "changed_hosts"), ["bravo", "charlie"]);
    assert_eq!(names(&doc, "invalid_hosts"), ["delta"]);
    let hosts: Vec<Value> = (doc["hosts"].as_array().unwrap().iter())
        .map(|h| serde_json::json!([h["host"], h["backend"], h["changed"], h["root"], h["valid"]]))
        .collect();
    assert_eq!(
        hosts,
        [
            serde_json::json!(["alpha", "ifcfg", false, "snapshots/alpha", true]),
            serde_json::json!(["bravo", "debian", true, "snapshots/bravo", true]),
            serde_json::json!(["charlie", "nm", true, null, true]),
            serde_json::json!(["delta", null, null, null, false]),
        ]
    );
    let changes: Vec<(&str, &str, &str)> = (doc["changes"].as_array().unwrap().iter())
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap();
            (s("host"), s("path"), s("action"))
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("bravo", "etc/network/interfaces.d/br0", "modify"),
            (
                "charlie",
                "etc/NetworkManager/system-connections/br0.nmconnection",
                "create"
            ),
            (
                "charlie",
                "etc/NetworkManager/system-connections/eno1.nmconnection",
                "create"
            ),
            (
                "charlie",
                "etc/NetworkManager/system-connections/eno2.nmconnection",
                "create"
            ),
        ]
    );
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert_eq!(
        (
            &errors[0]["host"],
            &errors[0]["file"],
            &errors[0]["line"],
            &errors[0]["column"]
        ),
        (
            &"delta".into(),
            &"hosts/delta/more.xml".into(),
            &3.into(),
            &5.into()
        )
    );

    // Without the invalid host: exit 1, and exactly the changed hosts listed.
    std::fs::remove_dir_all(dir.join("hosts/delta")).unwrap();
    let run = at(dir, DIFF_JSON);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(names(&json(&run), "changed_hosts"), ["bravo", "charlie"]);

    // Nothing would change: exit 0.
    put(&dir.join("hosts"), "bravo/host.xml", &host_xml("192.0.2.2"));
    std::fs::remove_dir_all(dir.join("hosts/charlie")).unwrap();
    let run = at(dir, &["diff", "--fleet", "hosts", "--roots", "snapshots"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "==> alpha (ifcfg): nothing to change <==\n==> bravo (debian): nothing to change <==\n"
    );

    // render and validate read the roots too (to merge, to tell a backend), and write there
    // no more than diff does.
    for verb in ["render", "validate"] {
        let run = at(dir, &[verb, "--fleet", "hosts", "--roots", "snapshots"]);
        assert_eq!(run.code, 0, "{verb}: {}", run.stderr);
    }

    // No run wrote anything under the roots, nor in the fleet but what the test changed.
    assert_eq!(tree(&dir.join("snapshots")), before.0);
    let now = tree(&dir.join("hosts"));
    assert!(
        now.iter()
            .all(|f| !f.0.starts_with(dir.join("hosts/charlie")))
    );
    let kept = |t: &[(PathBuf, Vec<u8>, u32, i64, i64)]| -> Vec<PathBuf> {
        t.iter()
            .filter(|f| f.0.starts_with(dir.join("hosts/alpha")))
            .map(|f| f.0.clone())
            .collect()
    };
    assert_eq!(kept(&now), kept(&before.1));
}

#[test]
fn a_host_with_its_own_root_and_a_host_without_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    put(dir, "hosts/one/host.xml", &host_xml("192.0.2.1"));
    put(dir, "hosts/two/host.xml", &host_xml("192.0.2.2"));
    put(dir, "hosts/two/backend", "debian\n");
    // `one` has no backend file: its root's files tell (ifcfg's directory is there).
    put(
        dir,
        "hosts/one/root/etc/sysconfig/network-scripts/readme-ifcfg-rh.txt",
        "x\n",
    );
    let run = at(dir, &["diff", "--fleet", "hosts", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = json(&run);
    assert_eq!(doc["hosts"][0]["backend"], "ifcfg", "{doc}");
    assert_eq!(doc["hosts"][0]["root"], "hosts/one/root");
    assert_eq!(doc["hosts"][1]["root"], Value::Null);
    // --backend is the backend of a host without a `backend` file, not of one with it.
    std::fs::remove_dir_all(dir.join("hosts/one/root")).unwrap();
    let run = at(dir, &["validate", "--fleet", "hosts", "--backend", "nm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "==> one (nm): ok <==\n==> two (debian): ok <==\n"
    );
    // Without either, nothing tells: the host is invalid, and says what to do.
    let run = at(dir, &["validate", "--fleet", "hosts"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "hosts/one: no `backend` file, no --backend and no root to tell the backend from"
        ),
        "{}",
        run.stderr
    );
    // A root of its own and one under --roots: which one is meant cannot be told.
    put(dir, "hosts/two/root/etc/network/interfaces", "auto lo\n");
    put(dir, "snap/two/etc/network/interfaces", "auto lo\n");
    let run = at(
        dir,
        &[
            "diff",
            "--fleet",
            "hosts",
            "--roots",
            "snap",
            "--backend",
            "ifcfg",
        ],
    );
    assert_eq!(run.code, 2);
    crate::util::assert_contains(
        &run.stderr,
        "hosts/two/root: the host has two roots, this and snap/two; keep one",
    );
}

#[test]
fn backend_files_are_one_known_word() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (name, backend) in [
        ("a", "ifcfg\n"),
        ("b", "  ifcfg debian\n"),
        ("c", "\n\n  netplan\n"),
        ("d", ""),
    ] {
        put(
            dir,
            &format!("hosts/{name}/host.xml"),
            &host_xml("192.0.2.1"),
        );
        put(dir, &format!("hosts/{name}/backend"), backend);
    }
    let run = at(dir, &["validate", "--fleet", "hosts", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc = json(&run);
    assert_eq!(names(&doc, "invalid_hosts"), ["b", "c", "d"]);
    let at_: Vec<String> = (doc["errors"].as_array().unwrap().iter())
        .map(|e| {
            format!(
                "{}:{}:{}: {}",
                e["file"].as_str().unwrap(),
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        at_,
        [
            "hosts/b/backend:1:9: expected one word, the backend's name, and nothing after it",
            "hosts/c/backend:3:3: unknown backend 'netplan'; expected one of: ifcfg, debian, nm, null",
            "hosts/d/backend:1:1: expected the name of the host's backend (one of: ifcfg, debian, nm, null)",
        ]
    );
    // People get the source line and a caret under the word.
    let run = at(dir, &["validate", "--fleet", "hosts"]);
    crate::util::assert_contains(
        &run.stderr,
        "hosts/c/backend:3:3: unknown backend 'netplan'; expected one of: ifcfg, debian, nm, null\n 3 |   netplan\n   |   ^",
    );
    assert!(
        run.stdout
            .starts_with("==> a (ifcfg): ok <==\n==> b: invalid, 1 problem <==\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn links_are_refused_and_odd_names_shown_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    put(dir, "elsewhere/host.xml", &host_xml("192.0.2.9"));
    put(dir, "hosts/plain/host.xml", &host_xml("192.0.2.1"));
    put(dir, "hosts/plain/backend", "ifcfg\n");
    std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("hosts/linked")).unwrap();
    std::os::unix::fs::symlink(
        dir.join("elsewhere/host.xml"),
        dir.join("hosts/plain/shared.xml"),
    )
    .unwrap();
    let odd = "red\u{1b}[31m\u{202e}";
    put(
        dir,
        &format!("hosts/{odd}/host.xml"),
        &host_xml("192.0.2.3"),
    );
    put(dir, &format!("hosts/{odd}/backend"), "ifcfg\n");
    let run = at(dir, &["validate", "--fleet", "hosts"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    crate::util::assert_contains(
        &run.stderr,
        "hosts/linked: is a symbolic link; fleet mode follows no link",
    );
    crate::util::assert_contains(&run.stderr, "hosts/plain/shared.xml: is a symbolic link");
    // The name reaches no terminal as itself: escaped on both streams.
    assert!(!run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'));
    assert!(!run.stdout.contains('\u{202e}'));
    crate::util::assert_contains(&run.stdout, "==> red\\u{1b}[31m\\u{202e} (ifcfg): ok <==");
    // Machines get the name as it is.
    let run = at(dir, &["validate", "--fleet", "hosts", "--format", "json"]);
    let doc = json(&run);
    assert_eq!(doc["hosts"][2]["host"], odd, "{doc}");
}

#[test]
fn render_writes_each_host_as_render_writes_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (name, backend) in [("a", "ifcfg"), ("b", "debian"), ("c", "nm")] {
        put(
            dir,
            &format!("hosts/{name}/host.xml"),
            &host_xml("192.0.2.1"),
        );
        put(dir, &format!("hosts/{name}/backend"), backend);
        let single = format!("single/{name}");
        let run = at(
            dir,
            &[
                "render",
                "--backend",
                backend,
                &format!("hosts/{name}/host.xml"),
                "--out",
                &single,
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let run = at(dir, &["render", "--fleet", "hosts", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = |top: &str| -> Vec<(String, Vec<u8>, u32)> {
        let base = dir.join(top);
        tree(&base)
            .into_iter()
            .map(|(p, b, m, _, _)| (p.strip_prefix(&base).unwrap().display().to_string(), b, m))
            .collect()
    };
    let out = files("out");
    assert!(
        out.iter()
            .any(|f| f.0 == "c/etc/NetworkManager/system-connections/br0.nmconnection")
    );
    assert_eq!(out, files("single"));

    // Printed: each file under a HOST/PATH header.
    let run = at(dir, &["render", "--fleet", "hosts"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("==> a/etc/sysconfig/network-scripts/ifcfg-br0 <==\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("\n==> b/etc/network/interfaces.d/br0 <==\n")
    );

    // One invalid host: nothing is written at all.
    put(dir, "hosts/d/host.xml", "<interfaces>\n");
    let run = at(dir, &["render", "--fleet", "hosts", "--out", "out2"]);
    assert_eq!(run.code, 2);
    crate::util::assert_contains(&run.stderr, "hosts/d/host.xml:2:1:");
    assert!(!dir.join("out2").exists());
    // Nor into the repository it reads.
    let run = at(dir, &["render", "--fleet", "hosts", "--out", "hosts/x"]);
    assert_eq!(run.code, 2);
    crate::util::assert_contains(&run.stderr, "--out hosts/x is inside the --fleet directory");
}

#[test]
fn what_fleet_mode_cannot_mean_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    put(dir, "hosts/one/host.xml", &host_xml("192.0.2.1"));
    put(dir, "hosts/one/backend", "ifcfg\n");
    put(dir, "snap/one/etc/hostname", "one\n");
    put(dir, "snap/gone/etc/hostname", "gone\n");
    for (args, expected) in [
        (
            &["diff", "--roots", "snap", "hosts/one/host.xml"][..],
            "--fleet",
        ),
        (
            &["diff", "--fleet", "hosts", "hosts/one/host.xml"],
            "give no FILE with it",
        ),
        (
            &["diff", "--fleet", "hosts/one/host.xml"],
            "expected a directory of host directories",
        ),
        (
            &["diff", "--fleet", "snap/one/etc"],
            "holds no host directory",
        ),
        (
            &["diff", "--fleet", "hosts", "--roots", "nowhere"],
            "--roots nowhere: expected a directory",
        ),
        (
            &["diff", "--fleet", "hosts", "--root", "snap/one"],
            "--root names one host's root",
        ),
        (
            &["validate", "--format", "json", "hosts/one/host.xml"],
            "--fleet",
        ),
        (
            &["diff", "--fleet", "hosts", "--live-mode", "always"],
            "--live-mode is about one running host",
        ),
        (
            &["validate", "--fleet", "hosts", "--backend", "bogus"],
            "unknown backend 'bogus'",
        ),
        // An --out whose parents do not exist yet is judged by where it would be made.
        (
            &["render", "--fleet", "hosts", "--out", "hosts/new/sub"],
            "is inside the --fleet directory",
        ),
    ] {
        let run = at(dir, args);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (2, ""),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    // A snapshot no host has is named, not silently skipped.
    let run = at(dir, &["diff", "--fleet", "hosts", "--roots", "snap"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    crate::util::assert_contains(
        &run.stderr,
        "snap/gone: no host of this name in the fleet; not compared",
    );
    assert!(!run.stderr.contains("snap/one:"), "{}", run.stderr);
}
