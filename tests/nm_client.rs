//! The live NetworkManager client (`backends/nm/live`) against a real NetworkManager 1.42,
//! each test in a sandbox of its own (`util::nm::Sandbox`; root only, else SKIPPED).
//!
//! # What NetworkManager 1.42.4 does to the profiles it is sent
//!
//! Read back with `GetSettings` right after `AddConnection2` (the `*_ADDED` lists below are
//! asserted exactly, so a NetworkManager that behaves differently fails here first):
//!
//! * Keys it adds to every kind: `connection.permissions = []` and a generated
//!   `connection.uuid` when none was sent; `connection.timestamp` (`t`) once the profile
//!   has been active.
//! * Profiles with IP settings (not ports): `ipv4`/`ipv6` `dns-search = []` and
//!   `route-data = []`, `address-data = []` when none was sent (also for method
//!   `disabled`/`auto`), and an empty `proxy` section. It also returns the deprecated
//!   `addresses`/`routes` (and `dns` when DNS servers are set) beside them; the client
//!   leaves out those whose types `Value` cannot hold (see `LiveProfile`).
//! * `802-3-ethernet` gets `auto-negotiate = false`, `mac-address-blacklist = []`,
//!   `s390-options = {}`; that section is added to **vlans and bridges** too, not to bonds.
//! * `bond.interface-name`, `vlan.interface-name`, `bridge.interface-name`: copies of
//!   `connection.interface-name` (deprecated keys; on an update NetworkManager takes
//!   `connection.interface-name`, so a stale copy in `merged` does no harm).
//! * vlan: `flags = 0` (when not sent), `ingress-priority-map = []`,
//!   `egress-priority-map = []`. bridge: `vlans = []`. Bridge port: a `bridge-port` section
//!   with `vlans = []`. Bond port: nothing (no `bond-port` section).
//!
//! Values it rewrites or drops (`nm_normalizes_defaults_and_spellings`):
//!
//! * A key sent with its **default value is not returned**: `connection.autoconnect = true`,
//!   `ipv4.ignore-auto-dns = false`, `bridge.stp = true`, `bridge.forward-delay = 15`,
//!   `802-3-ethernet.mtu = 0`. A re-apply compare must treat "absent" as "default".
//! * Numeric bond modes become names (`mode = "1"` → `"active-backup"`); other bond options
//!   come back as sent (`miimon`, `primary`, `updelay = "0"` included).
//! * IPv6 addresses and gateways come back in canonical form (`2001:DB8:0:0::77` →
//!   `2001:db8::77`).
//! * A port's (`master` set) `ipv4` and `ipv6` sections are dropped whole.

use std::collections::BTreeMap;
use std::time::Duration;

use netloom::backends::nm::live::{Client, LiveError, LiveProfile};
use netloom::backends::nm::settings::{Settings, Value, kind};

use crate::util::nm::Sandbox;
use crate::util::{self, eventually};

/// How long an activation may take: NetworkManager reports a failed one itself, so this only
/// runs out when it hangs.
const UP: Duration = util::PATIENCE;

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn addr(a: &str, prefix: u32) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("address".into(), s(a)),
        ("prefix".into(), Value::U32(prefix)),
    ])
}

/// A profile of `kind` for interface `name` (id = name), not autoconnecting.
fn base(kind: &str, name: &str) -> Settings {
    let mut p = Settings::default();
    p.set("connection", "id", s(name));
    p.set("connection", "type", s(kind));
    p.set("connection", "interface-name", s(name));
    p.set("connection", "autoconnect", Value::Bool(false));
    p
}

/// Static IPv4 `a/prefix`; IPv6 disabled.
fn v4(mut p: Settings, a: &str, prefix: u32) -> Settings {
    p.set("ipv4", "method", s("manual"));
    p.set("ipv4", "address-data", Value::Dicts(vec![addr(a, prefix)]));
    p.set("ipv6", "method", s("disabled"));
    p
}

/// The dual-stack ethernet profile of the tests, for eth10 with `mac`.
fn ethernet(mac: Vec<u8>) -> Settings {
    let mut p = base(kind::ETHERNET, "eth10");
    p.set(kind::ETHERNET, "mtu", Value::U32(1400));
    p.set(kind::ETHERNET, "mac-address", Value::Bytes(mac));
    p.set("ipv4", "method", s("manual"));
    p.set(
        "ipv4",
        "address-data",
        Value::Dicts(vec![addr("198.51.100.10", 24)]),
    );
    p.set("ipv4", "gateway", s("198.51.100.1"));
    p.set("ipv6", "method", s("manual"));
    let a6 = addr("2001:db8:10::10", 64);
    p.set("ipv6", "address-data", Value::Dicts(vec![a6]));
    p.set("ipv6", "gateway", s("2001:db8:10::1"));
    p
}

/// A port of the controller with UUID `master`.
fn port(name: &str, master: &str, slave_type: &str) -> Settings {
    let mut p = base(kind::ETHERNET, name);
    p.set("connection", "master", s(master));
    p.set("connection", "slave-type", s(slave_type));
    p
}

fn bond() -> Settings {
    let options = [
        ("mode", "active-backup"),
        ("miimon", "100"),
        ("primary", "eth11"),
    ];
    let mut p = v4(base(kind::BOND, "bond0"), "198.51.100.20", 24);
    let options = options.map(|(k, v)| (k.to_owned(), v.to_owned()));
    p.set(
        kind::BOND,
        "options",
        Value::StrMap(BTreeMap::from(options)),
    );
    p
}

fn vlan(parent: &str) -> Settings {
    let mut p = v4(base(kind::VLAN, "bond0.100"), "203.0.113.10", 24);
    p.set(kind::VLAN, "parent", s(parent));
    p.set(kind::VLAN, "id", Value::U32(100));
    // Reorder headers (1), GVRP (2), MVRP (8); a service tag.
    p.set(kind::VLAN, "flags", Value::U32(11));
    p.set(kind::VLAN, "protocol", s("802.1ad"));
    p
}

fn bridge() -> Settings {
    let mut p = v4(base(kind::BRIDGE, "br0"), "203.0.113.1", 24);
    p.set(kind::BRIDGE, "stp", Value::Bool(false));
    p.set(kind::BRIDGE, "forward-delay", Value::U32(2));
    p.set(kind::BRIDGE, "priority", Value::U32(4096));
    p.set(kind::BRIDGE, "hello-time", Value::U32(3));
    p.set(kind::BRIDGE, "max-age", Value::U32(12));
    p.set(kind::BRIDGE, "ageing-time", Value::U32(600));
    p.set(kind::BRIDGE, "multicast-snooping", Value::Bool(false));
    p
}

/// The profile at `path`, found through `profiles()` as the engine will find it.
fn listed(c: &Client, path: &str) -> LiveProfile {
    c.profiles()
        .unwrap()
        .into_iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("{path} is not among the profiles"))
}

fn uuid(c: &Client, path: &str) -> String {
    listed(c, path).settings.uuid().unwrap().to_owned()
}

/// `section.key = value` for every key `got` has and `sent` has not (`connection.uuid`
/// only as present: its value is random), and `section (empty)` for empty sections.
fn added(sent: &Settings, got: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    for (section, keys) in &got.0 {
        if keys.is_empty() && !sent.0.contains_key(section) {
            out.push(format!("{section} (empty)"));
        }
        for (key, value) in keys {
            match sent.get(section, key) {
                Some(_) => {}
                None if (section.as_str(), key.as_str()) == ("connection", "uuid") => {
                    out.push("connection.uuid (generated)".into())
                }
                None => out.push(format!("{section}.{key} = {value:?}")),
            }
        }
    }
    out
}

/// Every key sent that came back different or not at all.
fn changed(sent: &Settings, got: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    for (section, keys) in &sent.0 {
        for (key, value) in keys {
            let back = got.get(section, key);
            if back != Some(value) {
                out.push(format!("{section}.{key}: {value:?} -> {back:?}"));
            }
        }
    }
    out
}

/// `sent` as NetworkManager returns its managed keys: the one managed key it adds is
/// `address-data = []` in an `ipv4`/`ipv6` section sent without it (method `disabled`,
/// `auto`, …). A renderer that always writes `address-data`, empty or not, compares equal.
fn as_nm_returns(sent: &Settings) -> Settings {
    let mut out = sent.clone();
    for family in ["ipv4", "ipv6"] {
        if sent.0.contains_key(family) && sent.get(family, "address-data").is_none() {
            out.set(family, "address-data", Value::Dicts(vec![]));
        }
    }
    out
}

/// Adds `sent`, reads it back through `profiles()`, checks that every key sent came back
/// unchanged, that the managed keys are what was sent (but for [`as_nm_returns`]) and that
/// the keys NetworkManager added are exactly `expect_added`; returns the path.
#[track_caller]
fn round_trip(c: &Client, sent: &Settings, expect_added: &[String]) -> String {
    let path = c.add(sent).unwrap();
    let got = listed(c, &path).settings;
    assert_eq!(
        changed(sent, &got),
        Vec::<String>::new(),
        "{}",
        sent.id().unwrap()
    );
    assert_eq!(got.managed(), as_nm_returns(sent).managed());
    assert_eq!(added(sent, &got), expect_added, "{}", sent.id().unwrap());
    path
}

const ETHERNET_SECTION: [&str; 3] = [
    "802-3-ethernet.auto-negotiate = Bool(false)",
    "802-3-ethernet.mac-address-blacklist = Strs([])",
    "802-3-ethernet.s390-options = StrMap({})",
];

const IP_EXTRAS_V4: [&str; 2] = ["ipv4.dns-search = Strs([])", "ipv4.route-data = Dicts([])"];

const IP_EXTRAS_V6_DISABLED: [&str; 4] = [
    "ipv6.address-data = Dicts([])",
    "ipv6.dns-search = Strs([])",
    "ipv6.route-data = Dicts([])",
    "proxy (empty)",
];

fn list(parts: &[&[&str]]) -> Vec<String> {
    parts
        .iter()
        .flat_map(|p| p.iter().map(|i| i.to_string()))
        .collect()
}

/// The MAC of a sandbox NIC, from the kernel (the sandbox numbers them by position).
fn mac(sb: &Sandbox, iface: &str) -> Vec<u8> {
    let out = sb.ip(&["-br", "link", "show", iface]);
    let text = out.split_whitespace().nth(2).unwrap();
    text.split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

#[test]
fn ethernet_profile_round_trips_through_add_update_and_delete() {
    let Some(sb) = Sandbox::start("nm ethernet round trip") else {
        return;
    };
    let c = sb.client();
    let mut sent = ethernet(mac(&sb, "eth10"));
    // A cloned MAC goes as bytes, and comes back twice: as bytes, and as the text of
    // `assigned-mac-address`.
    sent.set(
        kind::ETHERNET,
        "cloned-mac-address",
        Value::Bytes(vec![2, 0x4e, 0x4d, 0, 0, 0x99]),
    );
    let expect = list(&[
        &["802-3-ethernet.assigned-mac-address = Str(\"02:4E:4D:00:00:99\")"],
        &ETHERNET_SECTION,
        &[
            "connection.permissions = Strs([])",
            "connection.uuid (generated)",
        ],
        &IP_EXTRAS_V4,
        &[
            "ipv6.dns-search = Strs([])",
            "ipv6.route-data = Dicts([])",
            "proxy (empty)",
        ],
    ]);
    let path = round_trip(&c, &sent, &expect);
    let keyfile = sb.keyfile_dir().join("eth10.nmconnection");
    assert!(keyfile.is_file(), "TO_DISK writes {}", keyfile.display());

    let live = listed(&c, &path).settings;
    let mut want = sent.clone();
    want.set(kind::ETHERNET, "mtu", Value::U32(9000));
    want.set(
        "ipv4",
        "address-data",
        Value::Dicts(vec![addr("198.51.100.11", 25)]),
    );
    want.remove("ipv6", "gateway");
    // A new cloned MAC replaces the old one's `assigned-mac-address` too.
    want.set(
        kind::ETHERNET,
        "cloned-mac-address",
        Value::Bytes(vec![2, 0x4e, 0x4d, 0, 0, 0x98]),
    );
    c.update(&path, &live.merged(&want)).unwrap();
    let got = listed(&c, &path).settings;
    assert_eq!(got.managed(), want.managed());
    assert_eq!(got.uuid(), live.uuid());
    // Imported from what GetSettings says, the cloned MAC is read once.
    let host = netloom::backends::nm::import::host(std::slice::from_ref(&got), &[])
        .unwrap()
        .host;
    crate::util::assert_contains(
        &netloom::xml::to_xml(&host),
        "<nl:cloned-mac address='02:4e:4d:00:00:98'/>",
    );
    assert!(
        std::fs::read_to_string(&keyfile)
            .unwrap()
            .contains("mtu=9000")
    );

    c.delete(&path).unwrap();
    assert!(c.profiles().unwrap().iter().all(|p| p.path != path));
    assert!(!keyfile.exists(), "Delete removes the keyfile");
}

#[test]
fn bond_with_two_ports_and_a_vlan_round_trips() {
    let Some(sb) = Sandbox::start("nm bond round trip") else {
        return;
    };
    let c = sb.client();
    let port_added = list(&[
        &ETHERNET_SECTION,
        &[
            "connection.permissions = Strs([])",
            "connection.uuid (generated)",
        ],
    ]);
    let bond_path = round_trip(
        &c,
        &bond(),
        &list(&[
            &["bond.interface-name = Str(\"bond0\")"],
            &[
                "connection.permissions = Strs([])",
                "connection.uuid (generated)",
            ],
            &IP_EXTRAS_V4,
            &IP_EXTRAS_V6_DISABLED,
        ]),
    );
    let bond_uuid = uuid(&c, &bond_path);
    for name in ["eth11", "eth12"] {
        round_trip(&c, &port(name, &bond_uuid, "bond"), &port_added);
    }
    let vlan_added = list(&[
        &ETHERNET_SECTION,
        &[
            "connection.permissions = Strs([])",
            "connection.uuid (generated)",
        ],
        &IP_EXTRAS_V4,
        &IP_EXTRAS_V6_DISABLED,
        &[
            "vlan.egress-priority-map = Strs([])",
            "vlan.ingress-priority-map = Strs([])",
            "vlan.interface-name = Str(\"bond0.100\")",
        ],
    ]);
    round_trip(&c, &vlan(&bond_uuid), &vlan_added);
    let ids: Vec<String> = c
        .profiles()
        .unwrap()
        .iter()
        .map(|p| p.settings.id().unwrap().to_owned())
        .collect();
    for id in ["bond0", "eth11", "eth12", "bond0.100", "lo"] {
        assert!(ids.iter().any(|i| i == id), "{id} in {ids:?}");
    }
}

#[test]
fn bridge_with_a_port_round_trips() {
    let Some(sb) = Sandbox::start("nm bridge round trip") else {
        return;
    };
    let c = sb.client();
    let bridge_added = list(&[
        &ETHERNET_SECTION,
        &[
            "bridge.interface-name = Str(\"br0\")",
            "bridge.vlans = Dicts([])",
        ],
        &[
            "connection.permissions = Strs([])",
            "connection.uuid (generated)",
        ],
        &IP_EXTRAS_V4,
        &IP_EXTRAS_V6_DISABLED,
    ]);
    let br = round_trip(&c, &bridge(), &bridge_added);
    let port_added = list(&[
        &ETHERNET_SECTION,
        &["bridge-port.vlans = Dicts([])"],
        &[
            "connection.permissions = Strs([])",
            "connection.uuid (generated)",
        ],
    ]);
    round_trip(&c, &port("eth11", &uuid(&c, &br), "bridge"), &port_added);
}

#[test]
fn nm_normalizes_defaults_and_spellings() {
    let Some(sb) = Sandbox::start("nm normalization") else {
        return;
    };
    let c = sb.client();
    let back = |p: &Settings| listed(&c, &c.add(p).unwrap()).settings;

    let mut defaults = base(kind::ETHERNET, "eth13");
    defaults.set("connection", "autoconnect", Value::Bool(true));
    defaults.set(kind::ETHERNET, "mtu", Value::U32(0));
    defaults.set("ipv4", "method", s("auto"));
    defaults.set("ipv4", "ignore-auto-dns", Value::Bool(false));
    defaults.set("ipv6", "method", s("ignore"));
    let got = back(&defaults);
    assert_eq!(got.get("connection", "autoconnect"), None);
    assert_eq!(got.get(kind::ETHERNET, "mtu"), None);
    assert_eq!(got.get("ipv4", "ignore-auto-dns"), None);
    assert_eq!(got.get("ipv4", "address-data"), Some(&Value::Dicts(vec![])));

    let mut br = bridge();
    br.set("connection", "id", s("br1"));
    br.set(kind::BRIDGE, "stp", Value::Bool(true));
    br.set(kind::BRIDGE, "forward-delay", Value::U32(15));
    let got = back(&br);
    assert_eq!(got.get(kind::BRIDGE, "stp"), None);
    assert_eq!(got.get(kind::BRIDGE, "forward-delay"), None);

    let mut b = bond();
    let numeric = [("mode", "1"), ("updelay", "0")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    b.set(
        kind::BOND,
        "options",
        Value::StrMap(BTreeMap::from(numeric)),
    );
    let want = [("mode", "active-backup"), ("updelay", "0")];
    let want = want.map(|(k, v)| (k.to_owned(), v.to_owned()));
    let got = back(&b);
    assert_eq!(
        got.get(kind::BOND, "options"),
        Some(&Value::StrMap(BTreeMap::from(want)))
    );

    let mut e = base(kind::ETHERNET, "eth12");
    e.set("ipv4", "method", s("disabled"));
    e.set("ipv6", "method", s("manual"));
    e.set(
        "ipv6",
        "address-data",
        Value::Dicts(vec![addr("2001:DB8:0:0::77", 64)]),
    );
    e.set("ipv6", "gateway", s("2001:DB8::1"));
    let got = back(&e);
    let canonical = Value::Dicts(vec![addr("2001:db8::77", 64)]);
    assert_eq!(got.get("ipv6", "address-data"), Some(&canonical));
    assert_eq!(got.str("ipv6", "gateway"), Some("2001:db8::1"));

    let mut p = port("eth11", got.uuid().unwrap(), "bridge");
    p.set("ipv4", "method", s("disabled"));
    p.set("ipv6", "method", s("disabled"));
    let got = back(&p);
    assert!(!got.0.contains_key("ipv4") && !got.0.contains_key("ipv6"));
}

#[test]
fn update_with_merged_keeps_keys_netloom_does_not_manage() {
    let Some(sb) = Sandbox::start("nm merged update") else {
        return;
    };
    let c = sb.client();
    let mut by_hand = ethernet(mac(&sb, "eth10"));
    // Of the routes, servers and domains, what the model holds is netloom's (replaced by
    // the declaration's), the rest the user's: a route with an MTU, a routing domain.
    by_hand.set(
        "ipv4",
        "dns-search",
        Value::Strs(vec!["example.org".into(), "~corp.example".into()]),
    );
    by_hand.set("ipv4", "dns-data", Value::Strs(vec!["192.0.2.53".into()]));
    let route = |dest: &str, mtu: Option<u32>| {
        let mut r = BTreeMap::from([
            ("dest".to_owned(), s(dest)),
            ("prefix".to_owned(), Value::U32(16)),
        ]);
        if let Some(m) = mtu {
            r.insert("mtu".to_owned(), Value::U32(m));
        }
        r
    };
    let routes = vec![route("10.1.0.0", None), route("10.2.0.0", Some(1400))];
    by_hand.set("ipv4", "route-data", Value::Dicts(routes));
    by_hand.set("connection", "zone", s("work"));
    let path = c.add(&by_hand).unwrap();
    let live = listed(&c, &path).settings;
    assert!(
        live.get("ipv4", "dns").is_some(),
        "NM returns deprecated ipv4.dns"
    );

    let mut desired = ethernet(mac(&sb, "eth10"));
    desired.set(
        "ipv4",
        "address-data",
        Value::Dicts(vec![addr("198.51.100.99", 24)]),
    );
    desired.set("ipv4", "gateway", s("198.51.100.254"));
    desired.set(kind::ETHERNET, "mtu", Value::U32(1500));
    c.update(&path, &live.merged(&desired)).unwrap();

    let got = listed(&c, &path).settings;
    assert_eq!(got.managed(), desired.managed());
    assert_eq!(
        got.get("ipv4", "dns-search"),
        Some(&Value::Strs(vec!["~corp.example".into()]))
    );
    assert_eq!(
        got.get("ipv4", "route-data"),
        Some(&Value::Dicts(vec![route("10.2.0.0", Some(1400))]))
    );
    assert!(
        !matches!(got.get("ipv4", "dns-data"), Some(Value::Strs(d)) if !d.is_empty()),
        "{got:?}"
    );
    assert_eq!(got.str("connection", "zone"), Some("work"));
}

#[test]
fn ethernet_activates_with_its_static_addresses() {
    if !util::runnable("nm ethernet activation", util::tools::absent("ping")) {
        return;
    }
    let Some(sb) = Sandbox::start("nm ethernet activation") else {
        return;
    };
    let c = sb.client();
    let path = c.add(&ethernet(mac(&sb, "eth10"))).unwrap();
    c.activate(&path, UP).unwrap();
    let shown = sb.ip(&["addr", "show", "eth10"]);
    assert!(shown.contains("inet 198.51.100.10/24"), "{shown}");
    assert!(shown.contains("inet6 2001:db8:10::10/64"), "{shown}");
    assert!(shown.contains("mtu 1400"), "{shown}");
    assert!(c.active().unwrap().contains(&uuid(&c, &path)));
    assert!(
        listed(&c, &path)
            .settings
            .get("connection", "timestamp")
            .is_some()
    );
    // The other end of eth10 (peer0, the first NIC's) reaches the address NM configured.
    assert_eq!(sb.ifaces()[0], "eth10");
    let peer = sb.peer_netns();
    let run = |args: &[&str]| {
        let mut cmd = util::tools::in_netns(peer, args[0]);
        cmd.args(&args[1..]);
        cmd.output().unwrap()
    };
    assert!(
        run(&["ip", "addr", "add", "198.51.100.1/24", "dev", "peer0"])
            .status
            .success()
    );
    let ping = run(&["ping", "-c", "1", "-W", "5", "198.51.100.10"]);
    assert!(
        ping.status.success(),
        "{}",
        String::from_utf8_lossy(&ping.stdout)
    );
}

#[test]
fn bridge_activates_with_its_port() {
    let Some(sb) = Sandbox::start("nm bridge activation") else {
        return;
    };
    let c = sb.client();
    let br = c.add(&bridge()).unwrap();
    let eth11 = c.add(&port("eth11", &uuid(&c, &br), "bridge")).unwrap();
    // Without a port the bridge has no carrier; 1.42 then sits 2 s in ip-config.
    c.activate(&br, UP).unwrap();
    c.activate(&eth11, UP).unwrap();
    let shown = sb.ip(&["addr", "show", "br0"]);
    assert!(shown.contains("inet 203.0.113.1/24"), "{shown}");
    assert!(sb.ip(&["link", "show", "eth11"]).contains("master br0"));
    let active = c.active().unwrap();
    assert!(active.contains(&uuid(&c, &br)) && active.contains(&uuid(&c, &eth11)));
}

#[test]
fn bond_and_vlan_activate_where_the_kernel_has_them() {
    let Some(sb) = Sandbox::start("nm bond and vlan activation") else {
        return;
    };
    let what = "nm bond and vlan activation";
    if !sb.needs("BOND", what) || !sb.needs("VLAN", what) {
        return;
    }
    let c = sb.client();
    let b = c.add(&bond()).unwrap();
    let bu = uuid(&c, &b);
    let ports = ["eth11", "eth12"].map(|n| c.add(&port(n, &bu, "bond")).unwrap());
    let v = c.add(&vlan(&bu)).unwrap();
    c.activate(&b, UP).unwrap();
    for p in &ports {
        c.activate(p, UP).unwrap();
    }
    c.activate(&v, UP).unwrap();
    assert!(
        sb.ip(&["addr", "show", "bond0"])
            .contains("inet 198.51.100.20/24")
    );
    assert!(
        sb.ip(&["addr", "show", "bond0.100"])
            .contains("inet 203.0.113.10/24")
    );
    assert!(sb.ip(&["link", "show", "eth12"]).contains("master bond0"));
}

/// `profiles` without `connection.timestamp`.
fn untimed(mut profiles: Vec<LiveProfile>) -> Vec<LiveProfile> {
    for p in &mut profiles {
        p.settings.remove("connection", "timestamp");
    }
    profiles
}

#[test]
fn checkpoint_rollback_restores_profiles_and_deletes_new_ones() {
    let Some(sb) = Sandbox::start("nm checkpoint rollback") else {
        return;
    };
    let c = sb.client();
    let path = c.add(&ethernet(mac(&sb, "eth10"))).unwrap();
    c.activate(&path, UP).unwrap();
    let before = c.profiles().unwrap();

    let cp = c.checkpoint_create(0).unwrap();
    assert_eq!(c.checkpoints().unwrap(), std::slice::from_ref(&cp));
    let overlap = c.checkpoint_create(0).unwrap_err().to_string();
    assert!(
        overlap.contains("already included in checkpoint"),
        "{overlap}"
    );
    let live = listed(&c, &path).settings;
    let mut changed = ethernet(mac(&sb, "eth10"));
    changed.set(
        "ipv4",
        "address-data",
        Value::Dicts(vec![addr("198.51.100.50", 24)]),
    );
    c.update(&path, &live.merged(&changed)).unwrap();
    c.activate(&path, UP).unwrap();
    let new = c
        .add(&v4(base(kind::ETHERNET, "eth12"), "203.0.113.12", 24))
        .unwrap();
    assert!(
        sb.ip(&["addr", "show", "eth10"])
            .contains("198.51.100.50/24")
    );

    let result = c.checkpoint_rollback(&cp).unwrap();
    assert!(
        !result.is_empty() && result.values().all(|r| *r == 0),
        "{result:?}"
    );
    // The timestamp is state, not a setting: the re-activation after the rollback may
    // move it on by a second.
    assert_eq!(untimed(c.profiles().unwrap()), untimed(before));
    assert!(c.profiles().unwrap().iter().all(|p| p.path != new));
    assert!(c.checkpoints().unwrap().is_empty());
    // The rollback returns once the profiles are back; the device's re-activation, which
    // puts the old address on it, may still be under way on a busy machine.
    let restored =
        |shown: &str| shown.contains("198.51.100.10/24") && !shown.contains("198.51.100.50");
    assert!(
        eventually(|| restored(&sb.ip(&["addr", "show", "eth10"]))),
        "{}",
        sb.ip(&["addr", "show", "eth10"])
    );
}

#[test]
fn checkpoint_rolls_back_by_itself_after_its_timeout() {
    let Some(sb) = Sandbox::start("nm checkpoint timeout") else {
        return;
    };
    let c = sb.client();
    let before = c.profiles().unwrap();
    let cp = c.checkpoint_create(2).unwrap();
    let new = c
        .add(&v4(base(kind::ETHERNET, "eth12"), "203.0.113.12", 24))
        .unwrap();
    assert_eq!(c.checkpoints().unwrap(), [cp]);
    assert!(eventually(|| c.checkpoints().unwrap().is_empty()));
    assert!(eventually(|| {
        untimed(c.profiles().unwrap()) == untimed(before.clone())
    }));
    assert!(c.profiles().unwrap().iter().all(|p| p.path != new));
}

#[test]
fn checkpoint_destroy_keeps_changes_and_adjust_sets_a_timeout() {
    let Some(sb) = Sandbox::start("nm checkpoint destroy and adjust") else {
        return;
    };
    let c = sb.client();
    let cp = c.checkpoint_create(0).unwrap();
    let kept = c
        .add(&v4(base(kind::ETHERNET, "eth12"), "203.0.113.12", 24))
        .unwrap();
    c.checkpoint_destroy(&cp).unwrap();
    assert!(c.checkpoints().unwrap().is_empty());
    let missing = c.checkpoint_destroy(&cp).unwrap_err();
    assert!(missing.dbus_name().is_some(), "{missing}");

    // Created without a timeout, it only rolls back once adjust gives it one.
    let cp = c.checkpoint_create(0).unwrap();
    let gone = c
        .add(&v4(base(kind::ETHERNET, "eth13"), "203.0.113.13", 24))
        .unwrap();
    c.checkpoint_adjust(&cp, 1).unwrap();
    assert!(eventually(|| c.checkpoints().unwrap().is_empty()));
    let paths: Vec<String> = c.profiles().unwrap().into_iter().map(|p| p.path).collect();
    assert!(
        eventually(|| {
            let now: Vec<String> = c.profiles().unwrap().into_iter().map(|p| p.path).collect();
            now.contains(&kept) && !now.contains(&gone)
        }),
        "{paths:?}"
    );
}

#[test]
fn a_setting_nm_rejects_names_the_profile_and_the_setting() {
    let Some(sb) = Sandbox::start("nm rejected setting") else {
        return;
    };
    let c = sb.client();
    let mut bad = ethernet(mac(&sb, "eth10"));
    bad.set("connection", "bogus", s("x"));
    let e = c.add(&bad).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("eth10") && text.contains("connection.bogus"),
        "{text}"
    );
    assert!(matches!(e, LiveError::Call { .. }), "{e:?}");

    let path = c.add(&ethernet(mac(&sb, "eth10"))).unwrap();
    let e = c.update(&path, &bad).unwrap_err().to_string();
    assert!(e.contains("eth10") && e.contains("connection.bogus"), "{e}");
    let mut typed = ethernet(mac(&sb, "eth10"));
    typed.set(kind::ETHERNET, "mac-address", s("02:4e:4d:00:00:00"));
    let e = c.add(&typed).unwrap_err().to_string();
    assert!(
        e.contains("eth10") && e.contains("802-3-ethernet.mac-address"),
        "{e}"
    );
}

#[test]
fn a_failed_activation_names_the_profile_and_why() {
    let Some(sb) = Sandbox::start("nm failed activation") else {
        return;
    };
    let c = sb.client();
    // No DHCP server in the sandbox: the device fails once the 1 s DHCP timeout is over.
    let mut dhcp = base(kind::ETHERNET, "eth13");
    dhcp.set("ipv4", "method", s("auto"));
    dhcp.set("ipv4", "dhcp-timeout", Value::I32(1));
    dhcp.set("ipv6", "method", s("disabled"));
    let path = c.add(&dhcp).unwrap();
    let e = c.activate(&path, UP).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, LiveError::Activation { .. }), "{e:?}");
    assert!(text.contains("profile eth13"), "{text}");
    assert!(
        text.contains("IP configuration could not be reserved"),
        "{text}"
    );

    let nowhere = c
        .add(&v4(base(kind::ETHERNET, "eth99"), "203.0.113.99", 24))
        .unwrap();
    let e = c.activate(&nowhere, UP).unwrap_err().to_string();
    assert!(
        e.contains("profile eth99") && e.contains("No suitable device"),
        "{e}"
    );

    let e = c.activate(&path, Duration::ZERO);
    assert!(matches!(e, Err(LiveError::Timeout { .. })), "{e:?}");
}

#[test]
fn version_reload_and_sorted_profiles() {
    let Some(sb) = Sandbox::start("nm version and reload") else {
        return;
    };
    let c = sb.client();
    assert_eq!(c.version().unwrap(), sb.var("NM_SANDBOX_NM_VERSION"));
    assert!(sb.keyfile_dir().starts_with(sb.dir()));
    let keyfile = sb.keyfile_dir().join("by-hand.nmconnection");
    let text = "[connection]\nid=by-hand\nuuid=00000000-0000-4000-8000-000000000001\n\
                type=ethernet\ninterface-name=eth12\nautoconnect=false\n\n\
                [ipv4]\nmethod=disabled\n\n[ipv6]\nmethod=disabled\n";
    std::fs::write(&keyfile, text).unwrap();
    std::fs::set_permissions(
        &keyfile,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    assert!(
        c.profiles()
            .unwrap()
            .iter()
            .all(|p| p.settings.id() != Some("by-hand"))
    );
    c.reload().unwrap();
    c.add(&ethernet(mac(&sb, "eth10"))).unwrap();
    let all = c.profiles().unwrap();
    assert!(all.iter().any(|p| p.settings.id() == Some("by-hand")));
    let uuids: Vec<&str> = all.iter().map(|p| p.settings.uuid().unwrap()).collect();
    assert!(uuids.is_sorted(), "{uuids:?}");
    assert_eq!(uuids[0], "00000000-0000-4000-8000-000000000001");
}

#[test]
fn connecting_where_nothing_listens_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("unix:path={}/no-bus.sock", dir.path().display());
    let e = Client::connect_to(&address).unwrap_err();
    assert!(matches!(e, LiveError::Unreachable { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("cannot reach the D-Bus system bus") && text.contains(&address));
    let e = Client::connect_to("bogus").unwrap_err();
    assert!(matches!(e, LiveError::Unreachable { .. }), "{e:?}");
}

#[test]
fn a_bus_without_networkmanager_is_not_running() {
    let missing = util::tools::absent("dbus-daemon");
    if !util::runnable("nm client without NetworkManager", missing) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus.sock");
    let config = dir.path().join("bus.conf");
    std::fs::write(
        &config,
        format!(
            "<busconfig><type>session</type><listen>unix:path={}</listen>\
             <auth>EXTERNAL</auth><policy context=\"default\"><allow send_destination=\"*\"/>\
             <allow receive_sender=\"*\"/><allow own=\"*\"/></policy></busconfig>",
            socket.display()
        ),
    )
    .unwrap();
    let mut daemon = util::tools::command("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .arg("--nofork")
        .spawn()
        .unwrap();
    let address = format!("unix:path={}", socket.display());
    let up = eventually(|| socket.exists());
    let result = Client::connect_to(&address);
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(up, "dbus-daemon did not create {}", socket.display());
    let e = result.unwrap_err();
    assert!(matches!(e, LiveError::NotRunning { .. }), "{e:?}");
    assert!(
        e.to_string().contains("NetworkManager is not running"),
        "{e}"
    );
}
