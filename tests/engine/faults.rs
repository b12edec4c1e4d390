//! Death by SIGKILL and injected I/O errors at every step of an apply, a rollback and a
//! recovery (`NETLOOM_FAULT`): each file is always whole, and the next command puts the tree
//! back exactly as it was before (or leaves it exactly as after, once committed).

use serde_json::Value;

use super::support::{
    HOST_A, HOST_B, NULL_DIR, Sandbox, Tree, assert_each_old_or_new, assert_tree, committed,
    rolled_back, state_of, temporaries,
};

/// A case: how to make the root's old state, and the XML whose apply is interrupted.
struct Case {
    name: &'static str,
    setup: fn(&Sandbox),
    host: &'static str,
}

/// eth0.xml deleted, eth1.xml modified, eth2.xml created, from hand-made files with their
/// own modes.
fn three_kinds(sb: &Sandbox) {
    sb.put(
        &format!("{NULL_DIR}/eth0.xml"),
        "<!-- by hand -->\n<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>\n",
        0o640,
    );
    sb.put(
        &format!("{NULL_DIR}/eth1.xml"),
        "<interface type='ethernet' name='eth1'><start mode='onboot'/></interface>\n",
        0o600,
    );
}

/// An empty root: the apply creates two files and the directories above them.
fn empty(_: &Sandbox) {}

const CASES: [Case; 2] = [
    Case {
        name: "create+modify+delete",
        setup: three_kinds,
        host: HOST_B,
    },
    Case {
        name: "new directories",
        setup: empty,
        host: HOST_A,
    },
];

/// A sandbox in the case's old state, with its input.
fn prepare(case: &Case) -> (Sandbox, String) {
    let sb = Sandbox::new();
    (case.setup)(&sb);
    let host = sb.input("host.xml", case.host);
    (sb, host)
}

/// The old and new trees of a case, and the fault points of its apply, in order.
fn explore(case: &Case) -> (Tree, Tree, Vec<String>) {
    let (sb, host) = prepare(case);
    let old = sb.tree();
    let out = sb.run(&["--backend", "null", "diff", "--format", "json", &host]);
    out.expect(1);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let actions: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    let mut points = vec!["journal".to_owned(), "journaled".to_owned()];
    for (i, action) in actions.iter().enumerate() {
        // A deletion has no temporary.
        if *action != "delete" {
            points.push(format!("temp-{i}"));
        }
        points.push(format!("file-{i}"));
    }
    points.extend(["commit".to_owned(), "committed".to_owned()]);
    sb.run(&["--backend", "null", "apply", "--yes", &host])
        .expect(0);
    let new = sb.tree();
    assert_ne!(old, new);
    (old, new, points)
}

#[test]
fn plans_under_test_have_every_kind_of_change() {
    let (_, _, points) = explore(&CASES[0]);
    assert_eq!(
        points,
        [
            "journal",
            "journaled",
            "file-0",
            "temp-1",
            "file-1",
            "temp-2",
            "file-2",
            "commit",
            "committed"
        ]
    );
    let (old, new, _) = explore(&CASES[1]);
    assert!(old.is_empty());
    assert!(new.contains_key("etc") && new.contains_key(NULL_DIR));
}

#[test]
fn kill_9_at_every_point_of_an_apply_leaves_old_or_new_and_the_next_command_recovers() {
    for case in &CASES {
        let (old, new, points) = explore(case);
        for point in &points {
            let what = format!("{}: kill@{point}", case.name);
            let (sb, host) = prepare(case);
            sb.run_with(
                &["--backend", "null", "apply", "--yes", &host],
                Some(&format!("kill@{point}")),
            )
            .expect_killed(&what);
            let now = sb.tree();
            assert_each_old_or_new(&now, &old, &new, &what);
            let temps = temporaries(&now);
            if point.starts_with("temp-") {
                assert_eq!(temps.len(), 1, "{what}: {temps:?}");
            } else {
                assert!(temps.is_empty(), "{what}: {temps:?}");
            }

            // A command that only reads finishes the job first.
            let out = sb.run(&["history", "--format", "json"]);
            out.expect(0);
            let history = sb.history();
            match point.as_str() {
                // The journal never got into place: no file was touched, no transaction.
                "journal" => {
                    assert_tree(&sb.tree(), &old, &what);
                    assert!(history.is_empty(), "{what}: {history:?}");
                }
                "committed" => {
                    assert_tree(&sb.tree(), &new, &what);
                    assert_eq!(history.len(), 1, "{what}");
                    assert_eq!(state_of(&history[0]), committed(), "{what}");
                    assert!(
                        !out.stderr.contains("interrupted"),
                        "{what}: {}",
                        out.stderr
                    );
                }
                _ => {
                    assert_tree(&sb.tree(), &old, &what);
                    assert_eq!(history.len(), 1, "{what}");
                    assert_eq!(state_of(&history[0]), rolled_back("interrupted"), "{what}");
                    out.stderr_has("transaction 1 was interrupted; restored the previous state");
                }
            }
            // Recovery is done once: the next command has nothing to say.
            let again = sb.run(&["history"]);
            again.expect(0);
            assert_eq!(again.stderr, "", "{what}");

            // And the root takes the same apply again, to the same result.
            sb.run(&["--backend", "null", "apply", "--yes", &host])
                .expect(0);
            assert_tree(&sb.tree(), &new, &format!("{what}, then applied again"));
        }
    }
}

/// A root after [`HOST_A`] (transaction 1, which created the directories) and [`HOST_B`]
/// (transaction 2), with the trees after each.
fn two_transactions() -> (Sandbox, Tree, Tree) {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let after_a = sb.tree();
    sb.run(&["--backend", "null", "apply", "--yes", &b])
        .expect(0);
    let after_b = sb.tree();
    (sb, after_a, after_b)
}

#[test]
fn kill_9_during_a_rollback_is_finished_by_the_next_command() {
    // Transaction 2's entries are restored in reverse: restore-2, restore-1, restore-0.
    for point in ["restore-2", "restore-1", "restore-0", "restored"] {
        let what = format!("rollback, kill@{point}");
        let (sb, after_a, after_b) = two_transactions();
        sb.run_with(&["rollback", "--yes"], Some(&format!("kill@{point}")))
            .expect_killed(&what);
        assert_each_old_or_new(&sb.tree(), &after_b, &after_a, &what);
        assert!(temporaries(&sb.tree()).is_empty(), "{what}");
        let list = sb.run(&["--backend", "null", "list"]);
        list.expect(0)
            .stderr_has("transaction 2 was being rolled back when interrupted");
        assert_eq!(list.stdout, "eth0\neth1\n", "{what}");
        assert_tree(&sb.tree(), &after_a, &what);
        assert_eq!(sb.state(2), rolled_back("requested"), "{what}");
        assert_eq!(sb.state(1), committed(), "{what}");

        // The rollback of the first transaction removes its directories, even when killed
        // just before it records that it is done.
        sb.run_with(&["rollback", "1", "--yes"], Some("kill@restored"))
            .expect_killed(&what);
        sb.run(&["history"]).expect(0);
        assert_tree(&sb.tree(), &Tree::new(), &format!("{what}, then 1"));
        assert_eq!(sb.state(1), rolled_back("requested"), "{what}");
    }
}

#[test]
fn kill_9_during_recovery_is_finished_by_the_command_after() {
    let case = &CASES[0];
    let (old, new, _) = explore(case);
    for point in ["restore-2", "restore-1", "restore-0", "restored"] {
        let what = format!("recovery, kill@{point}");
        let (sb, host) = prepare(case);
        sb.run_with(
            &["--backend", "null", "apply", "--yes", &host],
            Some("kill@commit"),
        )
        .expect_killed(&what);
        assert_tree(&sb.tree(), &new, "every file written before the commit");
        // The recovering command dies too, mid-way through restoring.
        sb.run_with(&["history"], Some(&format!("kill@{point}")))
            .expect_killed(&what);
        assert_each_old_or_new(&sb.tree(), &old, &new, &what);
        let out = sb.run(&["history", "--format", "json"]);
        out.expect(0)
            .stderr_has("transaction 1 was being rolled back when interrupted");
        assert_tree(&sb.tree(), &old, &what);
        assert_eq!(sb.state(1), rolled_back("interrupted"), "{what}");
    }
}

#[test]
fn an_injected_failure_at_every_point_is_undone_and_reported() {
    for case in &CASES {
        let (old, _, points) = explore(case);
        for point in &points {
            let what = format!("{}: fail@{point}", case.name);
            let (sb, host) = prepare(case);
            let out = sb.run_with(
                &["--backend", "null", "apply", "--yes", &host],
                Some(&format!("fail@{point}")),
            );
            out.expect(2)
                .stderr_has(&format!("injected fault at {point}"));
            assert_tree(&sb.tree(), &old, &what);
            let history = sb.history();
            if point == "journal" {
                // Failed before the journal was in place: nothing was begun.
                assert!(history.is_empty(), "{what}");
                continue;
            }
            out.stderr_has("transaction 1 failed and was undone; every file is as it was before");
            // The failing file is named; steps of the transaction itself name its journal.
            let failing = match point.split_once('-') {
                Some((_, i)) => {
                    let i: usize = i.parse().unwrap();
                    format!("/{}", history[0]["files"][i]["path"].as_str().unwrap())
                }
                None => "/var/lib/netloom/journal/1:".to_owned(),
            };
            out.stderr_has(&format!("cannot write {}", sb.root().display()))
                .stderr_has(&failing);
            assert_eq!(state_of(&history[0]), rolled_back("failed"), "{what}");
        }
    }
}

#[test]
fn a_failed_rollback_is_finished_by_the_next_command() {
    let (sb, after_a, after_b) = two_transactions();
    let out = sb.run_with(&["rollback", "--yes"], Some("fail@restore-1"));
    out.expect(2).stderr_has("injected fault at restore-1");
    assert_each_old_or_new(&sb.tree(), &after_b, &after_a, "failed rollback");
    sb.run(&["history"])
        .expect(0)
        .stderr_has("transaction 2 was being rolled back when interrupted");
    assert_tree(
        &sb.tree(),
        &after_a,
        "after the failed rollback was finished",
    );
    assert_eq!(sb.state(2), rolled_back("requested"));
}
