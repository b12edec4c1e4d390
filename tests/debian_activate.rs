//! `netloom apply` on a running Debian host, for real: netloom runs with `--root /` in a
//! network namespace and a private mount namespace this test creates, in which a scratch
//! `etc/network`, `run/network` and `var/lib` are bound over the real ones. To netloom and
//! to ifupdown alike, the scratch is the running system's configuration; the machine's own
//! network and files are never touched (`../shared/notes/ifupdown-in-netns.md`).
//!
//! Needs root, iproute2, ifupdown and bridge-utils; without them each test prints why it is
//! skipped.

use std::path::Path;
use std::process::Output;

use crate::debian_live::{Netns, Scratch, missing, ok, run, show, veth};
use crate::util;

/// A bridge `br0` with the veth `p0` as its port and `address`/24.
fn bridge(address: &str) -> String {
    format!(
        "<interface type='bridge' name='br0'>
           <start mode='onboot'/>
           <protocol family='ipv4'><ip address='{address}' prefix='24'/></protocol>
           <bridge stp='off' delay='0'><interface type='ethernet' name='p0'/></bridge>
         </interface>\n"
    )
}

/// A scratch running system: ifupdown's bridge hook, and a `var/lib` for netloom's journal.
fn system() -> Scratch {
    let scratch = Scratch::new(&["bridge"]);
    std::fs::create_dir_all(scratch.root().join("var/lib")).unwrap();
    scratch
}

/// Runs the netloom under test with `args` in `ns`, the scratch bound over the running
/// system's configuration (and `--root /`, the default).
pub(crate) fn netloom_in(root: &Path, ns: &str, args: &[&str]) -> Output {
    netloom_faulty(root, ns, None, args)
}

/// [`netloom_in`] with `NETLOOM_FAULT` set to `fault`.
fn netloom_faulty(root: &Path, ns: &str, fault: Option<&str>, args: &[&str]) -> Output {
    let script = "mount --bind \"$0/etc/network\" /etc/network && \
                  mount --bind \"$0/run/network\" /run/network && \
                  mount --bind \"$0/var/lib\" /var/lib && exec \"$@\"";
    let mut all = vec![
        "netns",
        "exec",
        ns,
        "unshare",
        "-m",
        "sh",
        "-c",
        script,
        root.to_str().unwrap(),
        env!("CARGO_BIN_EXE_netloom"),
    ];
    all.extend(crate::util::options_taken(&[("--backend", "debian")], args));
    let args = crate::util::patient(args);
    all.extend(args.iter().map(String::as_str));
    for inner in ["unshare", "sh", "mount"] {
        util::tools::require(inner);
    }
    let mut cmd = util::tools::command("ip");
    cmd.args(&all).env_remove(netloom::engine::FAULT_VAR);
    if let Some(f) = fault {
        cmd.env(netloom::engine::FAULT_VAR, f);
    }
    cmd.output().unwrap()
}

/// Writes `xml` to `root/name` and returns the path.
fn input(root: &Path, name: &str, xml: &str) -> String {
    let path = root.join(name);
    std::fs::write(&path, xml).unwrap();
    path.to_str().unwrap().to_owned()
}

/// `br0`'s IPv4 addresses in `ns`, as `ip -br` prints them (empty when it does not exist).
fn addresses(ns: &str) -> String {
    let out = run("ip", &["-n", ns, "-4", "-br", "addr", "show", "dev", "br0"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn succeeded(what: &str, out: &Output) {
    assert!(out.status.success(), "{what}: {}", show(out));
}

#[test]
fn apply_changes_a_live_bridge_and_an_unconfirmed_change_is_put_back() {
    if !util::runnable("debian apply, live", missing()) {
        return;
    }
    let ns = Netns::new("da", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let sys = system();
    let root = sys.root();
    let v1 = input(root, "v1.xml", &bridge("198.51.100.2"));
    let v2 = input(root, "v2.xml", &bridge("198.51.100.3"));
    let v3 = input(root, "v3.xml", &bridge("198.51.100.4"));

    let first = netloom_in(root, inner, &["apply", "--yes", &v1]);
    succeeded("apply v1", &first);
    assert!(
        stderr(&first).contains("brought up br0"),
        "{}",
        show(&first)
    );
    crate::util::assert_contains(&addresses(inner), " 198.51.100.2/24");
    let ports = ok("ip", &["-n", inner, "-br", "link", "show", "master", "br0"]);
    assert!(ports.starts_with("p0@"), "p0 is not a port of br0: {ports}");

    let second = netloom_in(root, inner, &["apply", "--yes", &v2]);
    succeeded("apply v2", &second);
    assert!(
        stderr(&second).contains("took down br0; brought up br0"),
        "{}",
        show(&second)
    );
    let now = addresses(inner);
    assert!(
        now.contains(" 198.51.100.3/24") && !now.contains("198.51.100.2"),
        "the new address replaces the old: {now}"
    );
    let file = root.join("etc/network/interfaces.d/br0");
    let applied = std::fs::read_to_string(&file).unwrap();

    // Not confirmed: the timer takes br0 down with v3's files, restores v2's, and brings
    // br0 up with them.
    let since = std::time::Instant::now();
    let unconfirmed = netloom_in(root, inner, &["apply", "--yes", "--confirm", "3", &v3]);
    succeeded("apply --confirm 3", &unconfirmed);
    if let Some(now) = util::while_pending(since, 3, "the pending address", || addresses(inner)) {
        assert!(now.contains(" 198.51.100.4/24"), "{now}");
    }
    assert!(
        util::eventually(|| {
            let now = addresses(inner);
            now.contains(" 198.51.100.3/24") && !now.contains("198.51.100.4")
        }),
        "the old address is not back: {}",
        addresses(inner)
    );
    assert!(
        util::eventually(|| std::fs::read_to_string(&file).unwrap() == applied),
        "the old file is not back"
    );
    let history = netloom_in(root, inner, &["history"]);
    assert!(
        String::from_utf8_lossy(&history.stdout).contains("rolled back (not confirmed in time)"),
        "{}",
        show(&history)
    );
    let ports = ok("ip", &["-n", inner, "-br", "link", "show", "master", "br0"]);
    assert!(
        ports.starts_with("p0@"),
        "p0 is a port of br0 again: {ports}"
    );
}

#[test]
fn no_activate_and_a_root_other_than_slash_write_files_only() {
    if !util::runnable("debian apply, files only", missing()) {
        return;
    }
    let ns = Netns::new("df", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let sys = system();
    let root = sys.root();
    let v1 = input(root, "v1.xml", &bridge("198.51.100.2"));
    let v2 = input(root, "v2.xml", &bridge("198.51.100.3"));
    let file = root.join("etc/network/interfaces.d/br0");

    let quiet = netloom_in(root, inner, &["apply", "--yes", "--no-activate", &v1]);
    succeeded("apply --no-activate", &quiet);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("198.51.100.2")
    );
    assert_eq!(addresses(inner), "", "nothing was brought up");

    // The scratch as an installer's target root: the files change, nothing is run, and no
    // word about it (an installer expects nothing else).
    let root_arg = root.to_str().unwrap();
    let target = run(
        "ip",
        &[
            "netns",
            "exec",
            inner,
            env!("CARGO_BIN_EXE_netloom"),
            "--backend",
            "debian",
            "--root",
            root_arg,
            "apply",
            "--yes",
            &v2,
        ],
    );
    succeeded("apply --root", &target);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("198.51.100.3")
    );
    assert_eq!(addresses(inner), "", "nothing was brought up");
    assert!(!stderr(&target).contains("brought"), "{}", show(&target));

    let forced = run(
        "ip",
        &[
            "netns",
            "exec",
            inner,
            env!("CARGO_BIN_EXE_netloom"),
            "--backend",
            "debian",
            "--live-mode",
            "always",
            "--root",
            root_arg,
            "apply",
            "--yes",
            &v1,
        ],
    );
    assert_eq!(forced.status.code(), Some(2), "{}", show(&forced));
    assert!(
        stderr(&forced).contains("only a root of / is brought up"),
        "{}",
        show(&forced)
    );
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("198.51.100.3")
    );
}

#[test]
fn a_change_whose_verification_fails_is_reverted_and_the_old_address_is_back() {
    if !util::runnable("debian apply, failed verification", missing()) {
        return;
    }
    let ns = Netns::new("dv", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let sys = system();
    let root = sys.root();
    let good = input(root, "good.xml", &bridge("198.51.100.3"));
    // ifup brings br0 up with its new address and returns 0, though its port does not
    // exist: only reading the kernel back shows the change did not take.
    let bad = input(
        root,
        "bad.xml",
        &bridge("198.51.100.5").replace("name='p0'", "name='p9'"),
    );
    succeeded(
        "apply",
        &netloom_in(root, inner, &["apply", "--yes", &good]),
    );
    let file = root.join("etc/network/interfaces.d/br0");
    let applied = std::fs::read_to_string(&file).unwrap();

    // A failure before anything was taken down restores the files alone: br0 is not
    // bounced for it. One after the interfaces came up is undone live too.
    let early = netloom_faulty(
        root,
        inner,
        Some("fail@journaled"),
        &["apply", "--yes", &bad],
    );
    assert_eq!(early.status.code(), Some(2), "{}", show(&early));
    assert!(
        stderr(&early).contains("every file is as it was before: ")
            && !stderr(&early).contains("interfaces touched"),
        "{}",
        show(&early)
    );
    let late = netloom_faulty(root, inner, Some("fail@up"), &["apply", "--yes", &bad]);
    assert_eq!(late.status.code(), Some(2), "{}", show(&late));
    assert!(
        stderr(&late).contains("brought back up with the previous configuration: br0"),
        "{}",
        show(&late)
    );
    assert!(addresses(inner).contains(" 198.51.100.3/24"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), applied);

    let failed = netloom_in(
        root,
        inner,
        &["apply", "--yes", "--verify-timeout", "1", &bad],
    );
    assert_eq!(failed.status.code(), Some(2), "{}", show(&failed));
    let err = stderr(&failed);
    assert!(
        err.contains("failed and was undone")
            && err.contains("interfaces touched: br0")
            && err.contains("brought back up with the previous configuration: br0")
            && err.contains("does not match the declaration")
            && err.contains("br0: ports: declared p9, live none"),
        "{err}"
    );
    let now = addresses(inner);
    assert!(
        now.contains(" 198.51.100.3/24") && !now.contains("198.51.100.5"),
        "the old address is back: {now}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), applied);
    let ports = ok("ip", &["-n", inner, "-br", "link", "show", "master", "br0"]);
    assert!(
        ports.starts_with("p0@"),
        "p0 is a port of br0 again: {ports}"
    );

    // The same change, not verified: it stays, as asked. Rolled back on request, the old
    // configuration comes back up; undefined, the bridge goes.
    let unchecked = netloom_in(root, inner, &["apply", "--yes", "--no-verify", &bad]);
    succeeded("apply --no-verify", &unchecked);
    assert!(addresses(inner).contains(" 198.51.100.5/24"));
    let back = netloom_in(root, inner, &["rollback", "--yes"]);
    succeeded("rollback", &back);
    let now = addresses(inner);
    assert!(
        now.contains(" 198.51.100.3/24") && !now.contains("198.51.100.5"),
        "{now}"
    );
    let gone = netloom_in(root, inner, &["undefine", "--yes", "br0"]);
    succeeded("undefine", &gone);
    assert!(stderr(&gone).contains("took down br0"), "{}", show(&gone));
    let link = run("ip", &["-n", inner, "link", "show", "br0"]);
    assert!(!link.status.success(), "br0 is still there");
}

#[test]
fn status_is_in_sync_after_an_apply_and_names_the_field_changed_behind_its_back() {
    if !util::runnable("debian status", missing()) {
        return;
    }
    let ns = Netns::new("ds", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let sys = system();
    let root = sys.root();
    let v1 = input(root, "v1.xml", &bridge("198.51.100.2"));
    succeeded("apply", &netloom_in(root, inner, &["apply", "--yes", &v1]));

    let json = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
    };
    let synced = netloom_in(root, inner, &["status", "--format", "json"]);
    assert_eq!(synced.status.code(), Some(0), "{}", show(&synced));
    let report = json(&synced);
    assert_eq!(report["in_sync"], true, "{report}");
    assert_eq!(report["interfaces"][0]["name"], "br0");
    assert_eq!(report["interfaces"][0]["state"], "in-sync");
    assert_eq!(
        report["interfaces"][0]["live"]["addresses"],
        serde_json::json!(["198.51.100.2/24"])
    );
    assert_eq!(report["undeclared"], serde_json::json!([]));

    // Behind netloom's back: an address added by hand, and a link nobody declared.
    ok(
        "ip",
        &["-n", inner, "addr", "add", "198.51.100.9/24", "dev", "br0"],
    );
    ok(
        "ip",
        &[
            "-n", inner, "link", "add", "x0", "up", "type", "veth", "peer", "name", "y0",
        ],
    );
    let drifted = netloom_in(root, inner, &["status", "--format", "json"]);
    assert_eq!(drifted.status.code(), Some(1), "{}", show(&drifted));
    let report = json(&drifted);
    assert_eq!(report["interfaces"][0]["state"], "drifted");
    crate::util::assert_drift(
        &report,
        serde_json::json!({
            "interface": "br0",
            "field": "ipv4",
            "declared": "198.51.100.2/24",
            "live": "198.51.100.2/24 198.51.100.9/24",
        }),
    );
    assert_eq!(
        report["undeclared"],
        serde_json::json!(["x0"]),
        "y0 is down"
    );

    let text = netloom_in(root, inner, &["status"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("br0  drifted")
            && stdout.contains(
                "    ipv4: declared 198.51.100.2/24, live 198.51.100.2/24 198.51.100.9/24"
            )
            && stdout.contains("up, not declared: x0"),
        "{}",
        show(&text)
    );
}

#[test]
fn status_shows_the_routes_an_apply_added_and_names_one_deleted_or_added_behind_its_back() {
    if !util::runnable("debian status, routes", missing()) {
        return;
    }
    let ns = Netns::new("dr", 2);
    let (inner, peer) = (&ns.0[0], &ns.0[1]);
    veth(inner, peer, "p0", "q0");
    let sys = system();
    let root = sys.root();
    // Issue 25's host: two routes per family, one of each in table 200, on the veth.
    let xml = std::fs::read_to_string(util::repo().join("tests/data/interfaces/routes-dns.xml"))
        .unwrap()
        .replace("name='eth0'", "name='p0'");
    let v1 = input(root, "routes.xml", &xml);
    let applied = netloom_in(root, inner, &["apply", "--yes", &v1]);
    succeeded("apply", &applied);
    assert!(
        stderr(&applied).contains("brought up p0"),
        "{}",
        show(&applied)
    );

    let json = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
    };
    let synced = netloom_in(root, inner, &["status", "--format", "json"]);
    assert_eq!(synced.status.code(), Some(0), "{}", show(&synced));
    let report = json(&synced);
    let live = crate::util::in_sync_routes(&report);
    for route in [
        "0.0.0.0/0 via 198.51.100.1 metric 0",
        "10.10.0.0/16 via 198.51.100.254 metric 100",
        "10.20.0.0/16 via 198.51.100.253 metric 0 src 198.51.100.10 table 200",
        "2001:db8:10::/48 via 2001:db8:1::fffe metric 100",
        "2001:db8:20::/48 via fe80::1 metric 1024 table 200",
    ] {
        assert!(live.contains(&route), "{route} not in {live:?}");
    }
    assert_eq!(
        report["interfaces"][0]["declared"]["routes"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );
    assert_eq!(
        report["interfaces"][0]["declared"]["dns"],
        serde_json::json!(["198.51.100.53", "198.51.100.54", "2001:db8:1::53"])
    );

    // Behind netloom's back: a declared route deleted, an undeclared one added.
    ok(
        "ip",
        &[
            "-n",
            inner,
            "route",
            "del",
            "10.20.0.0/16",
            "table",
            "200",
            "dev",
            "p0",
        ],
    );
    ok(
        "ip",
        &["-n", inner, "route", "add", "10.99.0.0/16", "dev", "p0"],
    );
    let drifted = netloom_in(root, inner, &["status", "--format", "json"]);
    assert_eq!(drifted.status.code(), Some(1), "{}", show(&drifted));
    let report = json(&drifted);
    assert_eq!(report["interfaces"][0]["state"], "drifted");
    assert_eq!(
        report["interfaces"][0]["drift"],
        serde_json::json!([
            {
                "interface": "p0",
                "field": "route",
                "key": "10.20.0.0/16 table 200",
                "declared": "via 198.51.100.253 src 198.51.100.10",
                "live": "missing",
            },
            {
                "interface": "p0",
                "field": "route",
                "key": "10.99.0.0/16",
                "declared": "none",
                "live": "on link metric 0",
            },
        ])
    );
    let text = netloom_in(root, inner, &["status"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("p0  drifted")
            && stdout.contains(
                "    route 10.20.0.0/16 table 200: declared via 198.51.100.253 src \
                 198.51.100.10, live missing"
            )
            && stdout.contains("    route 10.99.0.0/16: declared none, live on link metric 0")
            && stdout
                .contains("dns 198.51.100.53 198.51.100.54 2001:db8:1::53 (declared, not checked)"),
        "{}",
        show(&text)
    );
}
