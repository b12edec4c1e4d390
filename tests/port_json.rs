//! `--format json` of the `port` verbs: one flat object with `"version": 1`, as docs/json.md
//! describes; an interface's connection is fields of its own, not one string. Guests whose
//! interfaces need no running network (user, socket, none), so no namespace is needed.

use serde_json::{Value, json};

use crate::util::{Run, netloom};

const GUEST: &str = "<domain type='kvm'><name>vm1</name><devices>\n\
<interface type='user'><mac address='52:54:00:00:00:01'/></interface>\n\
<interface type='server'><mac address='52:54:00:00:00:02'/>\
<source address='127.0.0.1' port='5555'/></interface>\n\
<interface type='none'><mac address='52:54:00:00:00:03'/><link state='down'/></interface>\n\
</devices></domain>\n";

/// The one JSON object of a successful run, checked flat: every value a scalar or a list of
/// objects whose values are scalars.
#[track_caller]
fn doc(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line of JSON: {}", run.stdout);
    let v: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["version"], 1, "{v}");
    let scalar = |x: &Value| !x.is_array() && !x.is_object();
    for (key, value) in v.as_object().unwrap() {
        let flat = scalar(value)
            || value.as_array().is_some_and(|items| {
                items.iter().all(|i| {
                    i.as_object()
                        .is_some_and(|fields| fields.values().all(scalar))
                })
            });
        assert!(flat, "{key} is not flat: {v}");
    }
    v
}

/// The socket interface as `plug` and `list` give it.
fn server() -> Value {
    json!({
        "guest": "vm1", "mac": "52:54:00:00:00:02", "type": "server", "network": null,
        "portgroup": null, "port": null, "target": null, "link_up": true,
        "connection": "socket", "bridge": null, "dev": null, "mode": null, "pci": null,
        "socket_address": "127.0.0.1", "socket_port": 5555,
    })
}

#[test]
fn port_verbs_print_one_flat_versioned_object() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    std::fs::write(dir.path().join("vm1.xml"), GUEST).unwrap();
    let nl = |args: &[&str]| netloom(args, dir.path(), None);

    let plugged = doc(&nl(&[
        "port", "plug", "vm1.xml", "--guest", "vm1", "--root", root, "--format", "json",
    ]));
    assert_eq!(
        (&plugged["guest"], &plugged["action"]),
        (&json!("vm1"), &json!("plugged"))
    );
    let interfaces = plugged["interfaces"].as_array().unwrap();
    assert_eq!(interfaces.len(), 3, "{plugged}");
    assert_eq!(interfaces[1], server());
    assert_eq!(
        (&interfaces[0]["type"], &interfaces[0]["connection"]),
        (&json!("user"), &Value::Null)
    );
    assert_eq!(interfaces[2]["link_up"], false);

    let list = doc(&nl(&["port", "list", "--root", root, "--format", "json"]));
    assert_eq!(list["guests"], json!([{"name": "vm1", "pid": null}]));
    assert_eq!(list["interfaces"].as_array().unwrap()[1], server());
    assert_eq!(
        (&list["networks"], &list["devices"]),
        (&json!([]), &json!([]))
    );

    // qemu-args of what the text plug printed: each option with its value, and the NIC
    // whose link must start down with the QMP command that does it.
    let status = nl(&["port", "plug", "vm1.xml", "--guest", "vm1", "--root", root]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    std::fs::write(dir.path().join("status.xml"), &status.stdout).unwrap();
    let args = doc(&nl(&[
        "port",
        "qemu-args",
        "status.xml",
        "--format",
        "json",
    ]));
    let text = nl(&["port", "qemu-args", "status.xml"]);
    let joined: Vec<String> = (args["args"].as_array().unwrap().iter())
        .flat_map(|a| {
            [
                a["option"].as_str().unwrap().to_owned(),
                a["value"].as_str().unwrap().to_owned(),
            ]
        })
        .collect();
    assert_eq!(joined, text.stdout.lines().collect::<Vec<_>>());
    assert_eq!(args["link_down"].as_array().unwrap().len(), 1, "{args}");
    assert_eq!(args["link_down"][0]["nic"], "net2");

    let one = doc(&nl(&[
        "port",
        "unplug",
        "--guest",
        "vm1",
        "--mac",
        "52:54:00:00:00:01",
        "--root",
        root,
        "--format",
        "json",
    ]));
    assert_eq!(
        one,
        json!({"version": 1, "guest": "vm1", "mac": "52:54:00:00:00:01", "action": "unplugged"})
    );
    let all = doc(&nl(&[
        "port", "unplug", "--guest", "vm1", "--root", root, "--format", "json",
    ]));
    assert_eq!(
        all,
        json!({"version": 1, "guest": "vm1", "mac": null, "action": "released"})
    );
    let list = doc(&nl(&["port", "list", "--root", root, "--format", "json"]));
    assert_eq!(
        (&list["guests"], &list["interfaces"]),
        (&json!([]), &json!([]))
    );
}
