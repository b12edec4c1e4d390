//! `diff` and `apply --check`: what would change, exit codes, formats, and that looking
//! writes nothing. Bad input and roots that lead elsewhere change nothing either.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use super::support::{HOST_A, NULL_DIR, Sandbox, assert_tree};

/// After [`HOST_A`] rendered by hand: eth0 changes, eth1 stays (so only its mode, widened by
/// hand, changes back), eth2 is new, and the hand-made eth9 file is deleted.
const HOST_C: &str = "<interfaces>
  <interface type='ethernet' name='eth0'><start mode='none'/></interface>
  <interface type='ethernet' name='eth1'><start mode='onboot'/></interface>
  <interface type='ethernet' name='eth2'><start mode='hotplug'/></interface>
</interfaces>
";

/// A root holding what [`HOST_A`] renders, written by `render --out` (no journal), with
/// eth1.xml made 0666, an owned file for an interface no longer declared, and files the
/// backend does not own.
fn seeded() -> Sandbox {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    let root = sb.root().display().to_string();
    sb.run(&["--backend", "null", "render", "--out", &root, &a])
        .expect(0);
    std::fs::set_permissions(
        sb.at(&format!("{NULL_DIR}/eth1.xml")),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    sb.put(
        &format!("{NULL_DIR}/eth9.xml"),
        "<interface type='ethernet' name='eth9'/>\n",
        0o644,
    );
    sb.put(&format!("{NULL_DIR}/eth0.xml.bak"), "backup\n", 0o600);
    sb.put(&format!("{NULL_DIR}/README"), "not netloom's\n", 0o644);
    assert!(!sb.has_state_dir());
    sb
}

#[test]
fn diff_lists_creations_changes_mode_changes_and_deletions_in_path_order() {
    let sb = seeded();
    let before = sb.tree();
    let c = sb.input("c.xml", HOST_C);
    let out = sb.run(&["--backend", "null", "diff", "--color", "never", &c]);
    out.expect(1);
    let headers: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("diff --git "))
        .collect();
    let want: Vec<String> = ["eth0", "eth1", "eth2", "eth9"]
        .iter()
        .map(|n| format!("diff --git a/{NULL_DIR}/{n}.xml b/{NULL_DIR}/{n}.xml"))
        .collect();
    assert_eq!(headers, want, "{}", out.stdout);
    // eth1's bytes stay: its section is the mode change alone.
    let eth1 = format!(
        "diff --git a/{NULL_DIR}/eth1.xml b/{NULL_DIR}/eth1.xml\nold mode 100666\nnew mode 100644\n\
         diff --git a/{NULL_DIR}/eth2.xml"
    );
    assert!(out.stdout.contains(&eth1), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("-  <start mode='onboot'/>\n+  <start mode='none'/>\n")
    );
    assert!(out.stdout.contains("new file mode 100644\n"));
    assert!(out.stdout.contains(&format!(
        "deleted file mode 100644\n--- a/{NULL_DIR}/eth9.xml\n+++ /dev/null\n"
    )));
    for not_owned in ["eth0.xml.bak", "README"] {
        assert!(!out.stdout.contains(not_owned), "{}", out.stdout);
    }
    assert!(
        !out.stdout.contains('\x1b'),
        "--color never: {}",
        out.stdout
    );

    // apply --check says the same and exits the same way.
    let check = sb.run(&[
        "--backend",
        "null",
        "apply",
        "--check",
        "--color",
        "never",
        &c,
    ]);
    check.expect(1);
    assert_eq!(check.stdout, out.stdout);

    let colored = sb.run(&["--backend", "null", "diff", "--color", "always", &c]);
    colored.expect(1);
    assert!(colored.stdout.contains("\x1b["), "{}", colored.stdout);
    // The backend is found from the root's files without --backend.
    let auto = sb.run(&["diff", &c]);
    auto.expect(1);
    assert_eq!(auto.stdout, out.stdout, "a pipe gets no colour by default");

    let json = sb.run(&["--backend", "null", "diff", "--format", "json", &c]);
    json.expect(1);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["backend"], "null");
    assert_eq!(v["changed"], true);
    let got: Vec<(&str, &str, &Value, &Value)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
                &c["old_mode"],
                &c["new_mode"],
            )
        })
        .collect();
    let p = |n: &str| format!("{NULL_DIR}/{n}.xml");
    let (e0, e1, e2, e9) = (p("eth0"), p("eth1"), p("eth2"), p("eth9"));
    let m = |s: &str| Value::from(s);
    assert_eq!(
        got,
        [
            (e0.as_str(), "modify", &m("0644"), &m("0644")),
            (e1.as_str(), "modify", &m("0666"), &m("0644")),
            (e2.as_str(), "create", &Value::Null, &m("0644")),
            (e9.as_str(), "delete", &m("0644"), &Value::Null),
        ]
    );

    // Looking wrote nothing: not a byte, not a mode, no journal, no lock.
    assert_tree(&sb.tree(), &before, "after diff");
    assert!(!sb.has_state_dir(), "diff created {}", "var/lib/netloom");

    // Once applied, there is nothing left to show.
    sb.run(&["--backend", "null", "apply", "--yes", &c])
        .expect(0);
    let after = sb.tree();
    let again = sb.run(&["--backend", "null", "diff", &c]);
    again.expect(0);
    assert_eq!(again.stdout, "");
    let json = sb.run(&["--backend", "null", "diff", "--format", "json", &c]);
    json.expect(0);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["changed"], false);
    assert_eq!(v["changes"], Value::Array(Vec::new()));
    sb.run(&["--backend", "null", "apply", "--check", &c])
        .expect(0);
    let noop = sb.run(&["--backend", "null", "apply", "--yes", &c]);
    noop.expect(0).stderr_has("nothing to change");
    assert_tree(&sb.tree(), &after, "after applying an unchanged host");
    assert_eq!(sb.history().len(), 1, "an empty plan is not a transaction");
}

#[test]
fn invalid_xml_is_reported_with_its_position_and_writes_nothing() {
    let sb = seeded();
    let before = sb.tree();
    let bad = sb.input(
        "bad.xml",
        "<interfaces>\n  <interface type='ethernet' name='eth0'>\n    <mtu size='huge'/>\n  \
         </interface>\n</interfaces>\n",
    );
    for args in [
        vec!["--backend", "null", "diff", bad.as_str()],
        vec!["--backend", "null", "apply", "--yes", bad.as_str()],
        vec![
            "--backend",
            "null",
            "apply",
            "--yes",
            "--confirm",
            "5",
            bad.as_str(),
        ],
    ] {
        let out = sb.run(&args);
        out.expect(2)
            .stderr_has(&format!("{bad}:3:16: invalid size 'huge' on <mtu>"));
        assert_eq!(out.stdout, "", "{args:?}");
        assert_tree(&sb.tree(), &before, &format!("{args:?}"));
        assert!(!sb.has_state_dir(), "{args:?} created the journal");
    }
    assert!(
        sb.timers().is_empty(),
        "a refused --confirm started a timer"
    );
}

#[test]
fn a_symlink_out_of_the_root_is_refused_and_nothing_is_written_anywhere() {
    let sb = Sandbox::new();
    let outside = sb.dir().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::create_dir_all(sb.at("etc/netloom")).unwrap();
    std::os::unix::fs::symlink(&outside, sb.at(NULL_DIR)).unwrap();
    let before = sb.tree();
    let a = sb.input("a.xml", HOST_A);
    for verb in ["diff", "apply"] {
        let out = sb.run(&["--backend", "null", verb, &a]);
        out.expect(2).stderr_has(&format!(
            "{}/{NULL_DIR} is a symbolic link; netloom does not follow symbolic links under \
             the target root",
            sb.root().display()
        ));
        assert_tree(&sb.tree(), &before, verb);
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{verb} wrote outside the root"
        );
    }
    // No transaction was begun, so none is left to recover or to roll back.
    assert!(sb.history().is_empty());

    // A root that is itself reached through a symlink is fine: the files land in it.
    let sb = Sandbox::new();
    let link = sb.dir().join("link");
    std::os::unix::fs::symlink(sb.root(), &link).unwrap();
    let a = sb.input("a.xml", HOST_A);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netloom"))
        .args(["--root", link.to_str().unwrap(), "--backend", "null"])
        .args(["apply", "--yes", &a])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(sb.at(&format!("{NULL_DIR}/eth0.xml")).is_file());
    assert!(
        link.symlink_metadata().unwrap().file_type().is_symlink(),
        "the root's symlink was replaced"
    );
}

#[test]
fn without_a_terminal_and_without_yes_nothing_changes() {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    let root = sb.root().to_str().unwrap().to_owned();
    let before = sb.tree();
    // Even an answer of "y" on a pipe is no answer: a script that forgot --yes must not
    // change a host by accident.
    let run = crate::util::netloom(
        &["--root", &root, "--backend", "null", "apply", &a],
        sb.dir(),
        Some(b"y\n"),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("[y/N]"), "{}", run.stderr);
    assert!(
        run.stderr.contains("standard input is not a terminal")
            && run.stderr.contains("add --yes to apply without asking"),
        "{}",
        run.stderr
    );
    // The plan was still shown: what would have changed.
    assert!(run.stdout.contains("eth0.xml"), "{}", run.stdout);
    assert_tree(&sb.tree(), &before, "after apply without --yes");
    // With standard input closed altogether, and under --format json.
    for format in ["text", "json"] {
        sb.run(&["--backend", "null", "apply", "--format", format, &a])
            .expect(2)
            .stderr_has("add --yes to apply without asking");
    }
    assert_tree(&sb.tree(), &before, "after apply without --yes");
    assert!(sb.history().is_empty(), "no transaction was begun");

    // undefine and rollback refuse the same way.
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let applied = sb.tree();
    sb.run(&["--backend", "null", "undefine", "eth0"])
        .expect(2)
        .stderr_has("add --yes to remove without asking");
    sb.run(&["rollback"])
        .expect(2)
        .stderr_has("add --yes to roll back without asking");
    assert_tree(
        &sb.tree(),
        &applied,
        "after undefine and rollback without --yes",
    );
    assert_eq!(sb.history().len(), 1);
}
