//! apply, history and rollback with the null and the ifcfg backend, and undefine: each
//! transaction is undone to the exact previous tree, and refused where undoing would lose
//! someone else's change.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::support::{
    HOST_A, HOST_B, NULL_DIR, Sandbox, Tree, assert_tree, committed, euid, rolled_back, state_of,
    temporaries,
};

const SCRIPTS: &str = "etc/sysconfig/network-scripts";

fn is_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn null_history_lists_transactions_and_rollback_restores_each_previous_tree() {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    let empty = sb.tree();
    assert!(empty.is_empty());

    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0)
        .stderr_has("transaction 1 changed 2 files");
    let after_a = sb.tree();
    // It created etc, etc/netloom and etc/netloom/null.
    assert!(after_a.contains_key("etc/netloom"));
    sb.run(&["--backend", "null", "apply", "--yes", &b])
        .expect(0)
        .stderr_has("transaction 2 changed 3 files");
    let after_b = sb.tree();

    let text = sb.run(&["history"]);
    text.expect(0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 2 + 2 + 3, "{}", text.stdout);
    let cols: Vec<&str> = lines[0].split("  ").collect();
    assert_eq!(cols.len(), 5, "{}", lines[0]);
    assert_eq!(
        (cols[0], cols[2], cols[3], cols[4]),
        ("1", "committed", "null", "apply")
    );
    assert!(is_utc(cols[1]), "{}", cols[1]);
    assert_eq!(lines[1], format!("    A {NULL_DIR}/eth0.xml"));
    assert_eq!(lines[2], format!("    A {NULL_DIR}/eth1.xml"));
    assert!(lines[3].starts_with("2  "), "{}", lines[3]);
    assert_eq!(
        &lines[4..],
        [
            format!("    D {NULL_DIR}/eth0.xml"),
            format!("    M {NULL_DIR}/eth1.xml"),
            format!("    A {NULL_DIR}/eth2.xml"),
        ]
    );
    let json = sb.history();
    assert_eq!(json.len(), 2);
    assert_eq!(json[1]["id"], 2);
    assert_eq!(json[1]["backend"], "null");
    assert_eq!(json[1]["command"], "apply");
    assert_eq!(state_of(&json[1]), committed());
    assert!(is_utc(json[1]["time"].as_str().unwrap()));
    assert_eq!(json[1]["files"][0]["action"], "delete");
    assert_eq!(json[1]["files"][2]["path"], format!("{NULL_DIR}/eth2.xml"));

    // Transaction 2 changed transaction 1's files again: 1 cannot go first.
    let refused = sb.run(&["rollback", "1", "--yes"]);
    refused
        .expect(2)
        .stderr_has("transaction 2 changed")
        .stderr_has("roll back 2 first");
    assert_tree(&sb.tree(), &after_b, "after a refused rollback");
    assert_eq!(sb.state(1), committed());

    // The newest goes first, to the exact tree before it.
    sb.run(&["rollback", "--yes"])
        .expect(0)
        .stderr_has("rolled back transaction 2");
    assert_tree(&sb.tree(), &after_a, "after rolling back 2");
    assert_eq!(sb.state(2), rolled_back("requested"));
    sb.run(&["rollback", "2", "--yes"])
        .expect(2)
        .stderr_has("transaction 2 is rolled back (requested); there is nothing to roll back");
    sb.run(&["rollback", "7", "--yes"])
        .expect(2)
        .stderr_has("there is no transaction 7");

    // Now 1 may go, and the directories it created go with it.
    sb.run(&["rollback", "1", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &empty, "after rolling back 1");
    sb.run(&["rollback", "--yes"])
        .expect(2)
        .stderr_has("there is no transaction to roll back");

    // A file changed by hand since is not overwritten without --force.
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0)
        .stderr_has("transaction 3 changed 2 files");
    let eth1 = sb.at(&format!("{NULL_DIR}/eth1.xml"));
    let applied = std::fs::read(&eth1).unwrap();
    std::fs::write(&eth1, "edited by hand\n").unwrap();
    let edited = sb.tree();
    sb.run(&["rollback", "--yes"])
        .expect(2)
        .stderr_has(&format!(
            "{NULL_DIR}/eth1.xml was changed after transaction 3"
        ))
        .stderr_has("--force");
    assert_tree(
        &sb.tree(),
        &edited,
        "after a rollback refused for a hand edit",
    );
    // A mode changed by hand counts as a change too.
    std::fs::write(&eth1, &applied).unwrap();
    std::fs::set_permissions(&eth1, std::fs::Permissions::from_mode(0o600)).unwrap();
    sb.run(&["rollback", "--yes"])
        .expect(2)
        .stderr_has("was changed after transaction 3");
    sb.run(&["rollback", "--force", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &empty, "after a forced rollback");
    assert_eq!(sb.state(3), rolled_back("requested"));
}

/// An ifcfg file as an installer and an administrator left it: comments, keys netloom does
/// not manage, private.
const USER_ETH0: &str = "# Set up by the installer; keep this comment.
TYPE=Ethernet
DEVICE=eth0
BOOTPROTO=none
ONBOOT=yes
IPADDR=192.0.2.5
PREFIX=24
# Site policy:
ETHTOOL_OPTS=\"-K eth0 gro off\"
USERCTL=no
";

const IFCFG_HOST: &str = "<interfaces>
  <interface type='ethernet' name='eth0'>
    <start mode='onboot'/>
    <protocol family='ipv4'><ip address='192.0.2.10' prefix='24'/></protocol>
  </interface>
  <interface type='ethernet' name='eth1'>
    <start mode='onboot'/>
    <protocol family='ipv4'><dhcp/></protocol>
  </interface>
</interfaces>
";

#[test]
fn ifcfg_rollback_restores_exact_bytes_mode_and_owner() {
    let sb = Sandbox::new();
    let eth0 = format!("{SCRIPTS}/ifcfg-eth0");
    sb.put(&eth0, USER_ETH0, 0o600);
    // Bystanders the backend does not own: a backup and a route file.
    let bystanders = [
        format!("{SCRIPTS}/ifcfg-eth0.bak"),
        format!("{SCRIPTS}/route-eth0"),
    ];
    sb.put(&bystanders[0], "DEVICE=eth0\nBOOTPROTO=dhcp\n", 0o600);
    sb.put(&bystanders[1], "default via 192.0.2.1\n", 0o644);
    let as_root = euid() == 0;
    if as_root {
        std::os::unix::fs::chown(sb.at(&eth0), Some(1234), Some(1234)).unwrap();
    } else {
        eprintln!("SKIPPED (owner part): not running as root, so cannot chown to 1234:1234");
    }
    let before = sb.tree();
    let host = sb.input("host.xml", IFCFG_HOST);

    // No --backend: the root's network-scripts directory says ifcfg.
    sb.run(&["apply", "--yes", &host]).expect(0);
    let after = sb.tree();
    let text = String::from_utf8(std::fs::read(sb.at(&eth0)).unwrap()).unwrap();
    assert!(text.contains("IPADDR=192.0.2.10"), "{text}");
    assert!(text.contains("# Site policy:\nETHTOOL_OPTS"), "{text}");
    let meta = std::fs::metadata(sb.at(&eth0)).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o600, "a private file stays private");
    if as_root {
        assert_eq!((meta.uid(), meta.gid()), (1234, 1234), "the owner is kept");
    }
    assert!(sb.at(&format!("{SCRIPTS}/ifcfg-eth1")).is_file());
    for b in &bystanders {
        assert_eq!(after.get(b), before.get(b), "{b}");
    }

    // The journal's copy of the private file is no more readable than the file.
    let tx = sb.journal(1);
    let data = tx.join("data");
    let saved = std::fs::read(&data).unwrap();
    assert!(
        saved
            .windows(USER_ETH0.len())
            .any(|w| w == USER_ETH0.as_bytes()),
        "the journal holds the previous bytes"
    );
    for p in [&tx, &data, &tx.join("meta.json"), &tx.join("state")] {
        let mode = std::fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:03o}", p.display());
    }

    let json = sb.history();
    assert_eq!(json[0]["backend"], "ifcfg");
    let files: Vec<(&str, &str)> = json[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["action"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    let eth1 = format!("{SCRIPTS}/ifcfg-eth1");
    assert_eq!(
        files,
        [("modify", eth0.as_str()), ("create", eth1.as_str())]
    );

    sb.run(&["rollback", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &before, "after rolling back the ifcfg apply");
    // And forward again: the same plan, the same result.
    sb.run(&["apply", "--yes", &host])
        .expect(0)
        .stderr_has("transaction 2 changed 2 files");
    assert_tree(&sb.tree(), &after, "after applying again");
}

/// A bond of two slaves and an ethernet, as hand-written ifcfg files.
fn bonded() -> Sandbox {
    let sb = Sandbox::new();
    sb.put(
        &format!("{SCRIPTS}/ifcfg-bond0"),
        "DEVICE=bond0\nTYPE=Bond\nBONDING_MASTER=yes\nBONDING_OPTS=\"mode=active-backup miimon=100\"\n\
         ONBOOT=yes\nBOOTPROTO=none\nIPADDR=10.0.0.2\nPREFIX=24\n",
        0o644,
    );
    for slave in ["eth1", "eth2"] {
        sb.put(
            &format!("{SCRIPTS}/ifcfg-{slave}"),
            &format!("# {slave} is bonded\nDEVICE={slave}\nMASTER=bond0\nSLAVE=yes\nONBOOT=yes\n"),
            0o640,
        );
    }
    sb.put(&format!("{SCRIPTS}/ifcfg-eth0"), USER_ETH0, 0o600);
    sb
}

#[test]
fn undefine_removes_an_interface_with_its_slaves_as_a_transaction() {
    let sb = bonded();
    let before = sb.tree();

    // A slave, an unknown name and a bad name are refused, and nothing is written.
    for (name, says) in [
        ("eth1", "'eth1' is part of 'bond0'"),
        ("eth9", "no ifcfg file configures 'eth9'"),
        ("bad/name", "invalid interface name 'bad/name'"),
    ] {
        let out = sb.run(&["undefine", name, "--yes"]);
        out.expect(2).stderr_has(says);
        assert_tree(&sb.tree(), &before, name);
    }
    assert!(sb.history().is_empty());

    let out = sb.run(&["undefine", "bond0", "--yes"]);
    out.expect(0).stderr_has("transaction 1 changed 3 files");
    for gone in ["bond0", "eth1", "eth2"] {
        crate::util::assert_contains(
            &out.stdout,
            &format!("--- a/{SCRIPTS}/ifcfg-{gone}\n+++ /dev/null\n"),
        );
    }
    let mut want: Tree = before.clone();
    for gone in ["bond0", "eth1", "eth2"] {
        want.remove(&format!("{SCRIPTS}/ifcfg-{gone}"));
    }
    // ifcfg-eth0 is kept byte for byte, with its mode.
    assert_tree(&sb.tree(), &want, "after undefine bond0");
    let json = sb.history();
    assert_eq!(json[0]["command"], "undefine bond0");
    assert!(
        json[0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["action"] == "delete")
    );
    let list = sb.run(&["list"]);
    list.expect(0);
    assert_eq!(list.stdout, "eth0\n");

    sb.run(&["undefine", "bond0", "--yes"])
        .expect(2)
        .stderr_has("no ifcfg file configures 'bond0'");
    sb.run(&["rollback", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &before, "after rolling back the undefine");
    assert!(temporaries(&sb.tree()).is_empty());
}

#[test]
fn undefine_with_the_null_backend_and_rollback_of_a_single_file() {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let before = sb.tree();
    sb.run(&["undefine", "eth0", "--yes"])
        .expect(0)
        .stderr_has("transaction 2 changed 1 file");
    assert!(!sb.at(&format!("{NULL_DIR}/eth0.xml")).exists());
    assert!(sb.at(&format!("{NULL_DIR}/eth1.xml")).exists());
    sb.run(&["rollback", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &before, "after rolling back undefine eth0");
}
