//! `netloom status` against a real NetworkManager (the sandbox in `tests/util/nm.rs`): the
//! declaration is NetworkManager's profiles, read over D-Bus; the live state is the kernel
//! of the sandbox's network namespace, where netloom runs.

use std::path::Path;

use crate::util::Run;
use crate::util::nm::Sandbox;

/// netloom in the sandbox's namespace against its bus, `root` holding the journal.
fn run(sb: &Sandbox, root: &Path, args: &[&str]) -> Run {
    crate::nm_live::run(sb, root, args, &[])
}

#[test]
fn status_is_in_sync_after_an_apply_and_names_an_address_added_behind_its_back() {
    let Some(sb) = Sandbox::start("nm status") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let xml = tmp.path().join("host.xml");
    std::fs::write(
        &xml,
        "<interface type='ethernet' name='eth10'><start mode='onboot'/>
           <protocol family='ipv4'><ip address='198.51.100.10' prefix='24'/></protocol>
           <protocol family='ipv6'><ip address='2001:db8:10::10' prefix='64'/></protocol>
         </interface>",
    )
    .unwrap();
    let applied = run(&sb, tmp.path(), &["apply", "--yes", xml.to_str().unwrap()]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    let json = |r: &Run| -> serde_json::Value {
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
    };
    let synced = run(&sb, tmp.path(), &["status", "eth10", "--format", "json"]);
    assert_eq!(synced.code, 0, "{synced:?}");
    let report = json(&synced);
    assert_eq!(report["in_sync"], true, "{report}");
    assert_eq!(report["interfaces"][0]["name"], "eth10");
    assert_eq!(report["interfaces"][0]["live"]["up"], true);

    sb.ip(&["addr", "add", "198.51.100.99/24", "dev", "eth10"]);
    let drifted = run(&sb, tmp.path(), &["status", "eth10", "--format", "json"]);
    assert_eq!(drifted.code, 1, "{drifted:?}");
    let report = json(&drifted);
    assert_eq!(report["in_sync"], false);
    let drift = &report["interfaces"][0]["drift"];
    assert_eq!(drift.as_array().map(Vec::len), Some(1), "{drift}");
    assert_eq!(drift[0]["field"], "ipv4");
    assert_eq!(drift[0]["declared"], "198.51.100.10/24");
    assert_eq!(drift[0]["live"], "198.51.100.10/24 198.51.100.99/24");
}

#[test]
fn status_is_in_sync_after_an_apply_with_routes_and_names_a_route_deleted_behind_its_back() {
    let Some(sb) = Sandbox::start("nm status: routes") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let xml = tmp.path().join("host.xml");
    // Issue 25's host: two routes per family, one of each in table 200.
    let text =
        std::fs::read_to_string(crate::util::repo().join("tests/data/interfaces/routes-dns.xml"))
            .unwrap()
            .replace("name='eth0'", "name='eth10'");
    std::fs::write(&xml, text).unwrap();
    // The apply verifies the routes: it fails when one has not come up.
    let applied = run(&sb, tmp.path(), &["apply", "--yes", xml.to_str().unwrap()]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);

    let json = |r: &Run| -> serde_json::Value {
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
    };
    let synced = run(&sb, tmp.path(), &["status", "eth10", "--format", "json"]);
    assert_eq!(synced.code, 0, "{synced:?}");
    let report = json(&synced);
    let live = crate::util::in_sync_routes(&report);
    // The metric declared, and NetworkManager's own where none is.
    assert!(
        live.contains(&"10.10.0.0/16 via 198.51.100.254 metric 100")
            && live
                .iter()
                .any(|r| r.starts_with("10.20.0.0/16 via 198.51.100.253 metric ")
                    && r.ends_with(" src 198.51.100.10 table 200")),
        "{live:?}"
    );

    sb.ip(&["route", "del", "10.10.0.0/16", "dev", "eth10"]);
    let drifted = run(&sb, tmp.path(), &["status", "eth10", "--format", "json"]);
    assert_eq!(drifted.code, 1, "{drifted:?}");
    let report = json(&drifted);
    crate::util::assert_drift(
        &report,
        serde_json::json!({
            "interface": "eth10",
            "field": "route",
            "key": "10.10.0.0/16",
            "declared": "via 198.51.100.254 metric 100",
            "live": "missing",
        }),
    );
}
