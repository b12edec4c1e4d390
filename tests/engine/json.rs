//! `--format json` of the verbs that change a root and of those that list it: one flat
//! object with `"version": 1`, saying whether anything changed, the transaction and its
//! files, as docs/json.md describes.

use serde_json::{Value, json};

use super::support::{HOST_A, HOST_B, NULL_DIR, Sandbox};

/// The one JSON object a successful run printed.
#[track_caller]
fn doc(sb: &Sandbox, args: &[&str]) -> Value {
    let out = sb.run(args);
    out.expect(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line of JSON: {}", out.stdout);
    let v: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["version"], 1, "{v}");
    v
}

fn file(name: &str, action: &str) -> Value {
    json!({"path": format!("{NULL_DIR}/{name}.xml"), "action": action})
}

/// The `files` of an `apply` or `undefine` document as `{path, action}`, after checking that
/// each also carries its unified diff, headed by its path, as `diff --format json` does.
#[track_caller]
fn written(doc: &mut Value) -> Value {
    let files = doc["files"].as_array_mut().unwrap();
    for f in files.iter_mut() {
        let path = f["path"].as_str().unwrap().to_owned();
        let diff = f["diff"].as_str().unwrap_or_default();
        assert!(
            diff.starts_with(&format!("diff --git a/{path} b/{path}\n")),
            "{f}"
        );
        let obj = f.as_object_mut().unwrap();
        obj.retain(|k, _| k == "path" || k == "action");
    }
    doc["files"].clone()
}

#[test]
fn apply_undefine_rollback_and_history_say_what_they_did() {
    let sb = Sandbox::new();
    let root = sb.root().display().to_string();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    let apply = |x: &str| {
        doc(
            &sb,
            &["--backend", "null", "apply", "--yes", "--format", "json", x],
        )
    };

    let mut first = apply(&a);
    written(&mut first);
    assert_eq!(
        first,
        json!({
            "version": 1, "root": root, "backend": "null", "changed": true, "transaction": 1,
            "state": "committed", "confirm_within": null,
            "files": [file("eth0", "create"), file("eth1", "create")],
            "down": [], "up": [],
        })
    );
    // The same host again: nothing changed, no transaction.
    let again = apply(&a);
    assert_eq!(
        (&again["changed"], &again["transaction"], &again["files"]),
        (&json!(false), &Value::Null, &json!([]))
    );
    let mut second = apply(&b);
    assert_eq!(second["transaction"], 2);
    assert_eq!(
        written(&mut second),
        json!([
            file("eth0", "delete"),
            file("eth1", "modify"),
            file("eth2", "create")
        ])
    );

    let mut gone = doc(
        &sb,
        &[
            "--backend",
            "null",
            "undefine",
            "--yes",
            "--format",
            "json",
            "eth2",
        ],
    );
    let files = written(&mut gone);
    assert_eq!(
        (&gone["changed"], &gone["transaction"], &files),
        (&json!(true), &json!(3), &json!([file("eth2", "delete")]))
    );

    let back = doc(&sb, &["rollback", "--yes", "--format", "json"]);
    assert_eq!(
        back,
        json!({
            "version": 1, "root": root, "transaction": 3, "state": "rolled-back",
            "files": [file("eth2", "create")],
        })
    );

    // history: the state flat, the reason beside it, the files as apply gave them.
    let history = doc(&sb, &["history", "--format", "json"]);
    let list = history["transactions"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(
        (&list[0]["state"], &list[0]["reason"], &list[0]["deadline"]),
        (&json!("committed"), &Value::Null, &Value::Null)
    );
    assert_eq!(list[1]["files"], second["files"]);
    assert_eq!(
        (&list[2]["state"], &list[2]["reason"], &list[2]["command"]),
        (
            &json!("rolled-back"),
            &json!("requested"),
            &json!("undefine eth2")
        )
    );
}

#[test]
fn confirm_list_and_backends_print_one_object() {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    let pending = doc(
        &sb,
        &[
            "--backend",
            "null",
            "apply",
            "--yes",
            "--confirm",
            "600",
            "--format",
            "json",
            &a,
        ],
    );
    assert_eq!(
        (&pending["state"], &pending["confirm_within"]),
        (&json!("pending"), &json!(600))
    );
    let history = doc(&sb, &["history", "--format", "json"]);
    assert_eq!(history["transactions"][0]["state"], "pending");
    assert!(
        history["transactions"][0]["deadline"].is_string(),
        "{history}"
    );
    let confirmed = doc(&sb, &["confirm", "--format", "json"]);
    assert_eq!(
        (&confirmed["transaction"], &confirmed["state"]),
        (&json!(1), &json!("committed"))
    );
    sb.kill_timer();

    let list = doc(&sb, &["list", "--format", "json"]);
    assert_eq!(list["backend"], "null");
    assert_eq!(
        list["interfaces"],
        json!([{"name": "eth0", "type": "ethernet"}, {"name": "eth1", "type": "ethernet"}])
    );
    let backends = doc(&sb, &["backends", "--format", "json"]);
    assert_eq!(backends["chosen"], "null");
    let null = backends["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "null")
        .unwrap();
    assert_eq!(
        (&null["present"], &null["configures"]),
        (&json!(true), &json!(["eth0", "eth1"]))
    );
}

#[test]
fn net_define_says_whether_the_stored_definition_changed() {
    let sb = Sandbox::new();
    let net = sb.input(
        "n.xml",
        "<network><name>lab</name><bridge name='virbr7'/>\
         <ip address='192.168.77.1' netmask='255.255.255.0'/></network>",
    );
    let define = ["net", "define", "--format", "json", &net];
    let first = doc(&sb, &define);
    assert_eq!(
        (&first["network"], &first["action"], &first["changed"]),
        (&json!("lab"), &json!("defined"), &json!(true)),
        "{first}"
    );
    let again = doc(&sb, &define);
    assert_eq!(again["changed"], false, "{again}");
    let other = sb.input(
        "n2.xml",
        "<network><name>lab</name><bridge name='virbr7'/>\
         <ip address='192.168.78.1' netmask='255.255.255.0'/></network>",
    );
    let changed = doc(&sb, &["net", "define", "--format", "json", &other]);
    assert_eq!(changed["changed"], true, "{changed}");
}
