use super::*;

/// Keyfiles NetworkManager 1.42.4 wrote in the sandbox for profiles sent with
/// `AddConnection2` (UUIDs as sent).
const NM_ETHERNET: &str = "[connection]
id=eth10
uuid=11111111-2222-5333-8444-555555555501
type=ethernet
autoconnect=false
interface-name=eth10

[ethernet]
mac-address=02:4E:4D:00:00:10
mtu=9000

[ipv4]
address1=198.51.100.10/24,198.51.100.1
address2=198.51.100.11/25
method=manual

[ipv6]
addr-gen-mode=default
address1=2001:db8::10/64,fe80::1
method=manual

[proxy]
";

const NM_BOND_PORT: &str = "[connection]
id=bond9
uuid=55555555-2222-5333-8444-555555555505
type=bond
interface-name=bond9
master=55555555-2222-5333-8444-555555555501
slave-type=bridge

[bond]
miimon=50
mode=active-backup
primary=eth8

[bridge-port]
";

const NM_VLAN_REWRITTEN: &str = "[connection]
id=v9
uuid=88888888-2222-5333-8444-555555555501
type=vlan
autoconnect=false
interface-name=v9

[ethernet]

[vlan]
flags=1
id=9
parent=eth0

[ipv4]
method=disabled

[ipv6]
method=disabled

[proxy]
";

fn problems(text: &str) -> Vec<String> {
    match read("x.nmconnection", text) {
        Ok(s) => panic!("expected problems, got {s:?}"),
        Err(d) => {
            d.0.iter()
                .map(|d| format!("{}: {}", d.location(), d.message()))
                .collect()
        }
    }
}

#[test]
fn network_managers_own_keyfiles_read_and_write_back_byte_for_byte() {
    for text in [NM_ETHERNET, NM_BOND_PORT, NM_VLAN_REWRITTEN] {
        let settings = read("f", text).unwrap();
        assert_eq!(write(&settings), text);
    }
}

#[test]
fn keyfile_spellings_become_dbus_names_and_types() {
    let s = read("f", NM_ETHERNET).unwrap();
    assert_eq!(s.kind(), Some(kind::ETHERNET));
    assert_eq!(
        s.get("connection", "autoconnect"),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        s.get(kind::ETHERNET, "mac-address"),
        Some(&Value::Bytes(vec![2, 0x4e, 0x4d, 0, 0, 0x10]))
    );
    assert_eq!(s.get(kind::ETHERNET, "mtu"), Some(&Value::U32(9000)));
    let Some(Value::Dicts(v4)) = s.get("ipv4", "address-data") else {
        panic!("{s:?}")
    };
    assert_eq!(v4.len(), 2);
    assert_eq!(v4[1]["address"], Value::Str("198.51.100.11".into()));
    assert_eq!(v4[1]["prefix"], Value::U32(25));
    assert_eq!(s.str("ipv4", "gateway"), Some("198.51.100.1"));
    assert_eq!(s.str("ipv6", "gateway"), Some("fe80::1"));
    assert_eq!(s.get("ipv6", "addr-gen-mode"), Some(&Value::I32(3)));
    assert!(s.0.contains_key("proxy"));
    let bond = read("f", NM_BOND_PORT).unwrap();
    let Some(Value::StrMap(options)) = bond.get(kind::BOND, "options") else {
        panic!("{bond:?}")
    };
    assert_eq!(options["primary"], "eth8");
    assert!(bond.0["bridge-port"].is_empty());
}

#[test]
fn what_a_keyfile_leaves_out_reads_as_network_manager_reads_it() {
    let s = read(
        "f",
        "[connection]\nid=v\ntype=vlan\n[vlan]\nid=3\nparent=eth0\n[ipv6]\nmethod=auto\naddress1=2001:db8::5\n[ipv4]\naddress1=10.1.2.3\n",
    )
    .unwrap();
    assert_eq!(
        s.get(kind::VLAN, "flags"),
        Some(&Value::U32(VLAN_FLAGS_ABSENT))
    );
    assert_eq!(
        s.get("ipv6", "addr-gen-mode"),
        Some(&Value::I32(ADDR_GEN_MODE_ABSENT))
    );
    // A prefix-less address is /24 or /64, as NetworkManager's reader guesses.
    let prefix = |family: &str| match s.get(family, "address-data") {
        Some(Value::Dicts(d)) => d[0]["prefix"].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(prefix("ipv4"), Value::U32(24));
    assert_eq!(prefix("ipv6"), Value::U32(64));
    // And writing it back leaves those out again rather than changing their meaning.
    let back = write(&s);
    assert!(
        !back.contains("addr-gen-mode") && back.contains("flags=1"),
        "{back}"
    );
}

#[test]
fn unknown_keys_and_sections_are_kept_as_written() {
    let text = "[connection]
id=eth0
uuid=u
type=ethernet
interface-name=eth0
zone=work\\sarea

[ethernet]
cloned-mac-address=stable

[ipv4]
address1=192.0.2.1/24
dns=192.0.2.53;192.0.2.54;
dns-search=example.org;
method=manual
route1=203.0.113.0/24,192.0.2.254,50

[ipv6]
addr-gen-mode=stable-privacy
method=disabled

[proxy]

[user]
a.b=c
";
    let s = read("f", text).unwrap();
    assert_eq!(s.str("connection", "zone"), Some("work\\sarea"));
    let route = BTreeMap::from([
        ("dest".to_owned(), Value::Str("203.0.113.0".into())),
        ("prefix".to_owned(), Value::U32(24)),
        ("next-hop".to_owned(), Value::Str("192.0.2.254".into())),
        ("metric".to_owned(), Value::U32(50)),
    ]);
    assert_eq!(
        s.get("ipv4", "route-data"),
        Some(&Value::Dicts(vec![route]))
    );
    assert_eq!(
        s.get("ipv4", "dns-data"),
        Some(&Value::Strs(vec!["192.0.2.53".into(), "192.0.2.54".into()]))
    );
    assert_eq!(s.get("ipv6", "addr-gen-mode"), Some(&Value::I32(1)));
    // `[user]` is one map on D-Bus (`user.data`), read the same way from a keyfile.
    assert_eq!(
        s.get("user", "data"),
        Some(&Value::StrMap(BTreeMap::from([("a.b".into(), "c".into())])))
    );
    assert_eq!(write(&s), text);
}

#[test]
fn routes_are_read_in_every_spelling_and_written_as_network_manager_writes_them() {
    let text = "[connection]\nid=eth0\ntype=ethernet\n\n[ipv4]\nmethod=manual\n\
                routes2=10.2.0.0/16;192.0.2.254;7;\nroute1=10.1.0.0/16\nroute1_options=table=200\n\
                route3=10.3.0.0/16,0.0.0.0,9\nroute3_options=mtu=1400,src=192.0.2.1\n\n\
                [ipv6]\nmethod=manual\nroute1=2001:db8::/32,::\n";
    let s = read("f", text).unwrap();
    let Some(Value::Dicts(v4)) = s.get("ipv4", "route-data") else {
        panic!("{s:?}");
    };
    let shown: Vec<String> = v4.iter().map(|r| format!("{r:?}")).collect();
    assert_eq!(v4.len(), 3, "{shown:#?}");
    assert_eq!(v4[0].get("table"), Some(&Value::U32(200)));
    assert_eq!(v4[1].get("metric"), Some(&Value::U32(7)));
    assert_eq!(v4[2].get("next-hop"), None, "0.0.0.0 is no gateway");
    assert_eq!(v4[2].get("mtu"), Some(&Value::Str("1400".into())));
    let Some(Value::Dicts(v6)) = s.get("ipv6", "route-data") else {
        panic!("{s:?}");
    };
    assert_eq!(v6[0].get("next-hop"), None);
    let back = write(&s);
    assert!(
        back.contains(
            "route1=10.1.0.0/16\nroute1_options=table=200\nroute2=10.2.0.0/16,192.0.2.254,7\n\
             route3=10.3.0.0/16,0.0.0.0,9\nroute3_options=mtu=1400,src=192.0.2.1\n"
        ) && back.contains("route1=2001:db8::/32\n"),
        "{back}"
    );
    for bad in [
        "route1=10.0.0.0/33\n",
        "route1=10.0.0.0/8,x\n",
        "route1=2001:db8::/32\n",
        "route1=10.0.0.0/8\nroute1_options=table=main\n",
        "route1=10.0.0.0/8\nroute1_options=src=nowhere\n",
    ] {
        let text = format!("[ipv4]\nmethod=manual\n{bad}");
        assert!(read("f", &text).is_err(), "{bad}");
    }
}

#[test]
fn the_writer_leaves_out_defaults_and_adds_what_network_manager_adds() {
    let mut s = Settings::default();
    s.set("connection", "id", Value::Str("br0".into()));
    s.set("connection", "type", Value::Str("bridge".into()));
    s.set("connection", "autoconnect", Value::Bool(true));
    s.set(kind::BRIDGE, "stp", Value::Bool(true));
    s.set(kind::BRIDGE, "forward-delay", Value::U32(15));
    s.set(kind::BRIDGE, "interface-name", Value::Str("br0".into()));
    s.set("ipv4", "ignore-auto-dns", Value::Bool(false));
    s.set("ipv4", "addresses", Value::U32s(vec![1, 2, 3]));
    s.set("ipv6", "method", Value::Str("ignore".into()));
    assert_eq!(
        write(&s),
        "[connection]\nid=br0\ntype=bridge\n\n[ethernet]\n\n[bridge]\n\n[ipv4]\nmethod=auto\n\n\
         [ipv6]\naddr-gen-mode=default\nmethod=ignore\n\n[proxy]\n"
    );
}

#[test]
fn numbered_keys_sort_by_number_and_strings_are_escaped() {
    let mut s = Settings::default();
    s.set("connection", "id", Value::Str(" two\\words".into()));
    s.set("connection", "type", Value::Str(kind::ETHERNET.into()));
    s.set("connection", "master", Value::Str("m".into()));
    let addresses = (1..=11)
        .map(|i| {
            BTreeMap::from([
                ("address".to_owned(), Value::Str(format!("10.0.0.{i}"))),
                ("prefix".to_owned(), Value::U32(8)),
            ])
        })
        .collect();
    s.set("ipv4", "address-data", Value::Dicts(addresses));
    s.set("ipv4", "method", Value::Str("manual".into()));
    let text = write(&s);
    // A port: no IP settings at all.
    assert!(text.starts_with("[connection]\nid=\\stwo\\\\words\ntype=ethernet\nmaster=m\n"));
    assert!(!text.contains("[ipv4]"), "{text}");
    s.remove("connection", "master");
    let text = write(&s);
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("address"))
        .map(|l| l.split('=').next().unwrap())
        .collect();
    assert_eq!(keys[..3], ["address1", "address2", "address3"]);
    assert_eq!(keys[10], "address11");
    assert_eq!(read("f", &text).unwrap().id(), Some(" two\\words"));
}

#[test]
fn bad_values_of_keys_netloom_manages_are_positioned() {
    let text = "[connection]
id=eth0
autoconnect=yes
[ethernet]
mtu=-1
mac-address=02:4E:4D:00:00
[vlan]
id=4294967296
[ipv4]
address1=192.0.2.300/24
gateway=2001:db8::1
[ipv6]
addr-gen-mode=random
address2=2001:db8::1/129
[bond]
mode=a\\qb
[x]
unknown=\\q is fine here
";
    assert_eq!(
        problems(text),
        [
            "x.nmconnection:3:13: invalid autoconnect 'yes': expected 'true' or 'false'",
            "x.nmconnection:5:5: invalid mtu '-1': expected a whole number from 0 to 4294967295",
            "x.nmconnection:6:13: invalid mac-address '02:4E:4D:00:00': expected a MAC address like 02:4E:4D:00:00:10",
            "x.nmconnection:8:4: invalid id '4294967296': expected a whole number from 0 to 4294967295",
            "x.nmconnection:10:10: invalid address1 '192.0.2.300/24': expected an IPv4 address with its prefix, like 192.0.2.10/24",
            "x.nmconnection:11:9: invalid gateway '2001:db8::1': expected an IPv4 address",
            "x.nmconnection:13:15: invalid addr-gen-mode 'random': expected 'eui64', 'stable-privacy', 'default-or-eui64', 'default' or 0 to 3",
            "x.nmconnection:14:10: invalid address2 '2001:db8::1/129': expected an IPv6 address with its prefix, like 2001:db8::10/64",
            "x.nmconnection:16:7: invalid escape sequence '\\q'",
        ]
    );
}

#[test]
fn the_old_spellings_still_read() {
    let s = read(
        "f",
        "[connection]\ntype=802-3-ethernet\n[802-3-ethernet]\nmac-address=2;78;77;0;0;16;\n[ipv4]\naddresses1=192.0.2.1;24;192.0.2.254;\nmethod=manual\nautoconnect=1\n",
    )
    .unwrap();
    assert_eq!(s.kind(), Some(kind::ETHERNET));
    assert_eq!(
        s.get(kind::ETHERNET, "mac-address"),
        Some(&Value::Bytes(vec![2, 78, 77, 0, 0, 16]))
    );
    assert_eq!(s.str("ipv4", "gateway"), Some("192.0.2.254"));
}

#[test]
fn rendered_read_back_and_live_settings_compare_equal_without_defaults() {
    let mut rendered = Settings::default();
    rendered.set("connection", "id", Value::Str("br0".into()));
    rendered.set("connection", "type", Value::Str(kind::BRIDGE.into()));
    rendered.set("connection", "autoconnect", Value::Bool(true));
    rendered.set(kind::BRIDGE, "stp", Value::Bool(true));
    rendered.set("ipv4", "method", Value::Str("auto".into()));
    rendered.set("ipv4", "ignore-auto-dns", Value::Bool(false));
    rendered.set("ipv6", "method", Value::Str("disabled".into()));
    // As GetSettings returns it: no defaults, but an empty address-data.
    let mut live = rendered.clone();
    live.remove("connection", "autoconnect");
    live.remove(kind::BRIDGE, "stp");
    live.remove("ipv4", "ignore-auto-dns");
    live.set("ipv4", "address-data", Value::Dicts(Vec::new()));
    let back = read("f", &write(&rendered)).unwrap();
    let want = rendered.managed().without_defaults();
    assert_ne!(rendered.managed(), live.managed());
    assert_eq!(live.managed().without_defaults(), want);
    assert_eq!(back.managed().without_defaults(), want);
}
