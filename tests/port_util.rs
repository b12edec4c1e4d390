//! What the guest port tests share: pool devices and networks in a lab's HV, plugging a
//! `<domain>`, and `port list` read as JSON.

use serde_json::Value;

use crate::net_live_util::{Lab, Out};

/// Makes veth pairs in HV whose first ends serve as a pool's physical devices.
pub fn pool(lab: &Lab, devs: &[&str]) {
    for d in devs {
        lab.hv.ip(&format!("link add {d} type veth peer name {d}p"));
        lab.hv.ip(&format!("link set {d} up"));
        lab.hv.ip(&format!("link set {d}p up"));
    }
}

/// Defines and starts network `name` from `body` (the children of `<network>`).
pub fn network(lab: &Lab, name: &str, body: &str) {
    let file = lab.file(
        &format!("{name}.xml"),
        &format!("<network>\n  <name>{name}</name>\n{body}\n</network>\n"),
    );
    let r = lab.netloom(&["net", "define", &file]);
    assert!(r.ok(), "define {name}: {r}");
    let r = lab.netloom(&["net", "start", name]);
    assert!(r.ok(), "start {name}: {r}");
}

/// `port plug` of a `<domain>` named `guest` holding `ifaces`, with `extra` arguments.
pub fn plug(lab: &Lab, guest: &str, ifaces: &str, extra: &[&str]) -> Out {
    let file = lab.file(
        &format!("{guest}.xml"),
        &format!(
            "<domain type='kvm'>\n  <name>{guest}</name>\n  <memory>1024</memory>\n  \
             <devices>\n    <disk type='file'/>\n{ifaces}\n  </devices>\n</domain>\n"
        ),
    );
    let mut args = vec!["port", "plug", &file, "--guest", guest];
    args.extend_from_slice(extra);
    lab.netloom(&args)
}

/// `port plug` that must succeed; its XML.
#[track_caller]
pub fn plugged(lab: &Lab, guest: &str, ifaces: &str) -> String {
    let r = plug(lab, guest, ifaces, &[]);
    assert!(r.ok(), "plug {guest}: {r}");
    r.stdout
}

/// `port list --format json`.
#[track_caller]
pub fn list(lab: &Lab) -> (Value, String) {
    let r = lab.netloom(&["port", "list", "--format", "json"]);
    assert!(r.ok(), "port list: {r}");
    (serde_json::from_str(&r.stdout).unwrap(), r.stderr)
}

/// A network's connections and its devices' counts, from `port list`.
#[track_caller]
pub fn usage(lab: &Lab, net: &str) -> (u64, Vec<(String, u64)>) {
    let (v, _) = list(lab);
    let n = v["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == net)
        .unwrap_or_else(|| panic!("{net} not in port list: {v}"))
        .clone();
    let devices = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["network"] == net)
        .map(|d| {
            (
                d["dev"].as_str().unwrap().to_owned(),
                d["connections"].as_u64().unwrap(),
            )
        })
        .collect();
    (n["connections"].as_u64().unwrap(), devices)
}
