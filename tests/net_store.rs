//! `netloom net define/undefine/autostart/list/dumpxml`, and start/stop/create of networks
//! on host devices (which make nothing live, so these run anywhere): the definitions and
//! runtime files under a scratch root, the journal, and every refusal.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{Run, netloom};

/// Runs `netloom --root ROOT ARGS`.
fn nl(root: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--root", root.to_str().unwrap()];
    all.extend_from_slice(args);
    netloom(&all, root, None)
}

fn ok(r: Run) -> Run {
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r
}

fn refused(r: Run, needle: &str) {
    assert_eq!(r.code, 2, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(needle),
        "{needle:?} missing from:\n{}",
        r.stderr
    );
}

fn write(root: &Path, name: &str, text: &str) -> String {
    let path = root.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn nat(name: &str, bridge: &str) -> String {
    let bridge = if bridge.is_empty() {
        String::new()
    } else {
        format!("<bridge name='{bridge}'/>")
    };
    format!(
        "<network><name>{name}</name><forward mode='nat'/>{bridge}\
         <ip address='10.88.0.1' prefix='24'/></network>"
    )
}

const HOSTDEV: &str = "<network><name>host</name><forward mode='bridge'/>\
                       <bridge name='brhost'/></network>";

fn json_list(root: &Path) -> serde_json::Value {
    let r = ok(nl(root, &["net", "list", "--all", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["version"], 1, "{doc}");
    doc["networks"].clone()
}

fn transactions(root: &Path) -> usize {
    let r = ok(nl(root, &["history", "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    v["transactions"].as_array().unwrap().len()
}

#[test]
fn define_stores_the_completed_network_privately_and_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = write(root, "n.xml", &nat("lab", "nlbr9"));
    let r = ok(nl(root, &["net", "define", &file]));
    assert_eq!(r.stdout, format!("Network lab defined from {file}\n"));
    let stored = root.join("etc/netloom/networks/lab.xml");
    let mode = std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&stored).unwrap();
    // The UUID and bridge MAC are filled in, derived from the name, not random.
    assert!(text.contains("<uuid>"), "{text}");
    assert!(text.contains("<mac address='52:54:00:"), "{text}");
    assert_eq!(ok(nl(root, &["net", "dumpxml", "lab"])).stdout, text);
    // Defining the same file again changes nothing, so no transaction is made.
    let before = transactions(root);
    ok(nl(root, &["net", "define", &file]));
    assert_eq!(transactions(root), before);
    assert_eq!(std::fs::read_to_string(&stored).unwrap(), text);

    let list = json_list(root);
    assert_eq!(
        list,
        serde_json::json!([{"name": "lab", "state": "inactive", "autostart": false,
            "persistent": true, "bridge": "nlbr9", "firewall": null}])
    );
    // Without --all only running networks are listed.
    let r = ok(nl(root, &["net", "list"]));
    assert!(!r.stdout.contains("lab"), "{}", r.stdout);
    let r = ok(nl(root, &["net", "list", "--all"]));
    crate::util::assert_contains(
        &r.stdout,
        " lab    inactive   no          yes          nlbr9",
    );
}

#[test]
fn define_fills_a_bridge_template_with_the_lowest_free_number() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for (name, want) in [("a", "nlq0x"), ("b", "nlq1x")] {
        let file = write(root, "n.xml", &nat(name, "nlq%dx"));
        ok(nl(root, &["net", "define", &file]));
        let text = ok(nl(root, &["net", "dumpxml", name])).stdout;
        assert!(text.contains(&format!("<bridge name='{want}'")), "{text}");
    }
}

#[test]
fn define_refuses_a_used_bridge_a_used_uuid_and_a_changed_uuid() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    ok(nl(
        root,
        &["net", "define", &write(root, "a.xml", &nat("a", "nlbr1"))],
    ));
    let before = transactions(root);
    refused(
        nl(
            root,
            &["net", "define", &write(root, "b.xml", &nat("b", "nlbr1"))],
        ),
        "bridge 'nlbr1' is already used by network 'a'",
    );
    let uuid = {
        let text = ok(nl(root, &["net", "dumpxml", "a"])).stdout;
        let start = text.find("<uuid>").unwrap() + 6;
        text[start..start + 36].to_owned()
    };
    let same_uuid =
        format!("<network><name>c</name><uuid>{uuid}</uuid><bridge name='nlbr3'/></network>");
    refused(
        nl(root, &["net", "define", &write(root, "c.xml", &same_uuid)]),
        "network 'a' has UUID",
    );
    let other_uuid = "<network><name>a</name><uuid>11111111-2222-3333-4444-555555555555</uuid>\
                      <bridge name='nlbr1'/></network>";
    refused(
        nl(root, &["net", "define", &write(root, "d.xml", other_uuid)]),
        "network 'a' exists with UUID",
    );
    assert_eq!(transactions(root), before, "a refusal wrote something");
}

#[test]
fn bad_xml_is_positioned_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = write(
        root,
        "bad.xml",
        "<network>\n  <name>x</name>\n  <bridge name='a&#10;b'/>\n</network>\n",
    );
    let r = nl(root, &["net", "define", &file]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.xml:3:"), "{}", r.stderr);
    assert!(!root.join("etc").exists(), "something was written");
    refused(nl(root, &["net", "create", &file]), "bad.xml:3:");
    assert!(!root.join("run").exists(), "something was written");
}

#[test]
fn autostart_marks_and_unmarks_and_undefine_removes_both() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    ok(nl(
        root,
        &["net", "define", &write(root, "n.xml", &nat("lab", "nlbr2"))],
    ));
    let r = ok(nl(root, &["net", "autostart", "lab"]));
    assert_eq!(r.stdout, "Network lab marked as autostarted\n");
    assert!(root.join("etc/netloom/networks/lab.autostart").is_file());
    assert_eq!(json_list(root)[0]["autostart"], true);
    ok(nl(root, &["net", "autostart", "--disable", "lab"]));
    assert!(!root.join("etc/netloom/networks/lab.autostart").exists());
    ok(nl(root, &["net", "autostart", "lab"]));
    let r = ok(nl(root, &["net", "undefine", "lab"]));
    assert_eq!(r.stdout, "Network lab has been undefined\n");
    assert!(!root.join("etc/netloom/networks/lab.xml").exists());
    assert!(!root.join("etc/netloom/networks/lab.autostart").exists());
    assert_eq!(json_list(root), serde_json::json!([]));
    refused(
        nl(root, &["net", "undefine", "lab"]),
        "no network named 'lab'",
    );
    refused(
        nl(root, &["net", "autostart", "lab"]),
        "no network named 'lab'",
    );
    refused(
        nl(root, &["net", "dumpxml", "lab"]),
        "no network named 'lab'",
    );
    refused(nl(root, &["net", "start", "lab"]), "no network named 'lab'");
    refused(nl(root, &["net", "stop", "lab"]), "no network named 'lab'");
    // The definition comes back with a rollback of the undefine.
    ok(nl(root, &["rollback", "--yes"]));
    assert!(root.join("etc/netloom/networks/lab.xml").is_file());
}

#[test]
fn a_host_device_network_is_only_marked_active_and_rollback_cannot_touch_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    ok(nl(root, &["net", "define", &write(root, "h.xml", HOSTDEV)]));
    let r = ok(nl(root, &["net", "start", "host"]));
    assert_eq!(r.stdout, "Network host started\n");
    refused(nl(root, &["net", "start", "host"]), "is already active");
    let list = json_list(root);
    assert_eq!(list[0]["state"], "active");
    assert_eq!(list[0]["firewall"], serde_json::Value::Null);
    let r = ok(nl(root, &["net", "list"]));
    assert!(r.stdout.contains(" host   active"), "{}", r.stdout);
    let record = std::fs::read_to_string(root.join("run/netloom/networks/host.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["firewall"], serde_json::Value::Null);
    assert_eq!(record["steps"], serde_json::json!([]));
    // The namespace it was started in, which stop checks.
    assert!(
        record["netns"].as_str().unwrap().starts_with("net:["),
        "{record}"
    );
    // The start's transaction (the newest, 2) cannot be rolled back; a bare rollback
    // passes over it to the newest it may undo.
    refused(
        nl(root, &["rollback", "--yes", "2"]),
        "recorded a running network's state",
    );
    let r = ok(nl(root, &["net", "destroy", "host"]));
    assert_eq!(r.stdout, "Network host stopped\n");
    assert_eq!(json_list(root)[0]["state"], "inactive");
    assert!(!root.join("run/netloom/networks/host.json").exists());
    assert!(!root.join("run/netloom/networks/host.xml").exists());
    refused(
        nl(root, &["net", "stop", "host"]),
        "network 'host' is not active",
    );
    // A bare rollback passes over the start and the stop to the definition.
    ok(nl(root, &["rollback", "--yes"]));
    assert!(!root.join("etc/netloom/networks/host.xml").exists());
    assert_eq!(json_list(root), serde_json::json!([]));
}

#[test]
fn create_starts_a_transient_network_that_is_gone_once_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = write(root, "h.xml", HOSTDEV);
    let r = ok(nl(root, &["net", "create", &file]));
    assert_eq!(r.stdout, format!("Network host created from {file}\n"));
    assert_eq!(json_list(root)[0]["persistent"], false);
    refused(nl(root, &["net", "create", &file]), "already active");
    refused(nl(root, &["net", "autostart", "host"]), "is transient");
    // Defining it while it runs makes it persistent, as in libvirt.
    ok(nl(root, &["net", "define", &file]));
    assert_eq!(json_list(root)[0]["persistent"], true);
    ok(nl(root, &["net", "undefine", "host"]));
    ok(nl(root, &["net", "stop", "host"]));
    assert_eq!(json_list(root), serde_json::json!([]));
    // A defined network is started, not created.
    ok(nl(root, &["net", "define", &file]));
    refused(
        nl(root, &["net", "create", &file]),
        "start it with `netloom net start host`",
    );
}

#[test]
fn start_autostart_starts_only_the_marked_inactive_networks() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    ok(nl(root, &["net", "define", &write(root, "h.xml", HOSTDEV)]));
    let other = HOSTDEV
        .replace("host", "other")
        .replace("brhost", "brother");
    ok(nl(root, &["net", "define", &write(root, "o.xml", &other)]));
    ok(nl(root, &["net", "autostart", "host"]));
    let r = ok(nl(root, &["net", "start", "--autostart"]));
    assert_eq!(r.stdout, "Network host started\n");
    let list = json_list(root);
    let states: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap(), n["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("host", "active"), ("other", "inactive")]);
    // Nothing left to start is not an error.
    let r = ok(nl(root, &["net", "start", "--autostart"]));
    assert_eq!(r.stdout, "");
    crate::util::assert_contains(&r.stderr, "no inactive network is marked");
}

#[test]
fn a_bad_network_name_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    refused(
        nl(tmp.path(), &["net", "start", "a/b"]),
        "is not a network name",
    );
}

#[test]
fn what_netloom_cannot_apply_at_start_is_refused_by_name_before_anything_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let xml = "<network><name>shaped</name><bridge name='nlbr7' zone='trusted'/>\
               <domain name='lab.test' localOnly='yes' register='yes'/>\
               <bandwidth><inbound average='1000'/></bandwidth>\
               <ip address='10.88.0.1' prefix='24'/></network>";
    ok(nl(root, &["net", "define", &write(root, "s.xml", xml)]));
    let r = nl(root, &["net", "start", "shaped"]);
    refused(r, "network 'shaped': netloom cannot apply <bandwidth>");
    let r = nl(root, &["net", "start", "shaped"]);
    for part in ["<bridge zone>", "<domain register='yes'>"] {
        assert!(r.stderr.contains(part), "{part} missing: {}", r.stderr);
    }
    assert!(
        !root.join("run").exists(),
        "a refused start wrote runtime state"
    );
}

#[test]
fn a_name_too_long_for_its_files_is_refused_where_it_is_written_and_nothing_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let file = write(root, "n.xml", &nat(&"n".repeat(246), ""));
    for verb in ["define", "create"] {
        let r = nl(root, &["net", verb, &file]);
        refused(r, "n.xml:1:16: invalid <name>");
    }
    let r = nl(root, &["net", "define", &file]);
    assert!(r.stderr.contains("1 to 245 bytes"), "{}", r.stderr);
    let entries: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["n.xml"], "nothing, not even a directory, is made");
    // The same limit on the command line, before the root is touched.
    refused(
        nl(root, &["net", "start", &"n".repeat(246)]),
        "expected a network name of 1 to 245 bytes",
    );
    assert_eq!(std::fs::read_dir(root).unwrap().count(), 1);
}

#[test]
fn the_longest_network_name_is_defined_marked_and_undefined() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // 40 quotes and 5 bytes: 245 bytes as a file name, so NAME.autostart has 255.
    let name = "\"".repeat(40) + "lab12";
    let file = write(root, "n.xml", &nat(&name, "nlbr9"));
    ok(nl(root, &["net", "define", &file]));
    ok(nl(root, &["net", "autostart", &name]));
    let mark = format!("{}lab12.autostart", "&quot;".repeat(40));
    assert_eq!(mark.len(), 255);
    assert!(root.join("etc/netloom/networks").join(&mark).is_file());
    assert!(
        ok(nl(root, &["net", "dumpxml", &name]))
            .stdout
            .contains("lab12</name>")
    );
    ok(nl(root, &["net", "undefine", &name]));
    assert!(!root.join("etc/netloom/networks").join(&mark).exists());
}
