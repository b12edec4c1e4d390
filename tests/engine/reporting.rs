//! What a rollback or a recovery that cannot finish says, and what the journal's directory
//! may hold that is not a transaction netloom wrote.

use super::support::{HOST_A, HOST_B, NULL_DIR, Sandbox, Tree, assert_tree, rolled_back};

/// A root after [`HOST_A`] (transaction 1) and [`HOST_B`] (transaction 2), with the trees
/// after each.
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

/// What the error says when restoring transaction 2 failed at its second file (eth1; files
/// are restored last first).
fn partly(sb: &Sandbox) -> String {
    format!(
        "transaction 2 could not be restored completely: 2 files restored ({NULL_DIR}/eth0.xml, \
         {NULL_DIR}/eth2.xml); 1 file not restored: {NULL_DIR}/eth1.xml (cannot write \
         {}/{NULL_DIR}/eth1.xml: injected fault at restore-1); the journal keeps the previous \
         state, and the next netloom command on this root finishes restoring it",
        sb.root().display()
    )
}

#[test]
fn a_rollback_that_cannot_restore_a_file_restores_the_others_and_names_both() {
    let (sb, after_a, _) = two_transactions();
    let out = sb.run_with(&["rollback", "--yes"], Some("fail@restore-1"));
    out.expect(2).stderr_has(&partly(&sb));
    // The file after the failing one was restored all the same.
    assert_eq!(
        sb.tree().get(&format!("{NULL_DIR}/eth0.xml")),
        after_a.get(&format!("{NULL_DIR}/eth0.xml"))
    );
    sb.run(&["history"])
        .expect(0)
        .stderr_has("transaction 2 was being rolled back when interrupted");
    assert_tree(&sb.tree(), &after_a, "finished by the next command");
    assert_eq!(sb.state(2), rolled_back("requested"));
}

#[test]
fn a_recovery_that_cannot_restore_a_file_names_it_and_the_next_command_finishes() {
    let (sb, after_a, _) = two_transactions();
    let b = sb.input("b2.xml", HOST_A);
    // Transaction 3 puts A back, and is killed before its commit: recovery restores B.
    sb.run_with(
        &["--backend", "null", "apply", "--yes", &b],
        Some("kill@commit"),
    )
    .expect_killed("apply");
    let out = sb.run_with(&["history"], Some("fail@restore-1"));
    out.expect(2)
        .stderr_has("transaction 3 could not be restored completely")
        .stderr_has("injected fault at restore-1")
        .stderr_has("the next netloom command on this root finishes restoring it");
    sb.run(&["history"])
        .expect(0)
        .stderr_has("transaction 3 was being rolled back when interrupted");
    assert_eq!(sb.state(3), rolled_back("interrupted"));
    sb.run(&["rollback", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &after_a, "transaction 2 rolled back after");
}

#[test]
fn a_damaged_or_planted_journal_entry_is_named_and_blocks_nothing() {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let journal = sb.at("var/lib/netloom/journal");
    let outside = sb.dir().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("state"), r#"{"state":"open"}"#).unwrap();
    std::fs::write(journal.join("5"), "a file\n").unwrap();
    std::os::unix::fs::symlink(&outside, journal.join("6")).unwrap();
    std::fs::create_dir(journal.join("7")).unwrap();
    std::fs::create_dir(journal.join("8")).unwrap();
    std::fs::write(journal.join("8/meta.json"), "garbage").unwrap();
    std::fs::write(journal.join("8/state"), "garbage").unwrap();
    let out = sb.run(&["--backend", "null", "apply", "--yes", &b]);
    out.expect(0).stderr_has("transaction 9 changed 3 files");
    let shown = |n: &str| {
        format!(
            "{}/{n} is not a transaction netloom wrote",
            journal.display()
        )
    };
    for (n, why) in [
        ("5", "(it is not a directory)"),
        (
            "6",
            "(it is a symbolic link, which netloom does not follow)",
        ),
        ("7", "(it has no meta.json)"),
        ("8", "(its state is not what netloom writes: "),
    ] {
        out.stderr_has(&format!("{} {why}", shown(n)));
    }
    out.stderr_has("it is ignored: look at it, then remove it");
    let ids: Vec<u64> = sb
        .history()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 9]);
    sb.run(&["rollback", "--yes"]).expect(0);
    assert_eq!(
        std::fs::read_to_string(outside.join("state")).unwrap(),
        r#"{"state":"open"}"#
    );
    assert_eq!(
        std::fs::read_to_string(journal.join("5")).unwrap(),
        "a file\n"
    );
}

#[test]
fn a_journal_of_a_kind_this_netloom_does_not_know_is_named_not_taken_for_another() {
    let (sb, _, after_b) = two_transactions();
    let meta = sb.journal(2).join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    assert!(text.contains("\"backend\": \"null\""), "{text}");
    std::fs::write(
        &meta,
        text.replace("\"backend\": \"null\"", "\"backend\": \"networkd\""),
    )
    .unwrap();
    let why = "(its meta.json is not what netloom writes: unknown transaction kind 'networkd': \
               expected a backend's name, 'net', 'net-run' or a service's journal name";
    sb.run(&["history"]).expect(0).stderr_has(why);
    sb.run(&["rollback", "--yes", "2"])
        .expect(2)
        .stderr_has(why);
    assert_tree(&sb.tree(), &after_b, "nothing rolled back");
}

#[test]
fn a_failed_apply_leaves_no_partial_journal() {
    for point in ["journal", "journaled", "file-0"] {
        let sb = Sandbox::new();
        let a = sb.input("a.xml", HOST_A);
        sb.run_with(
            &["--backend", "null", "apply", "--yes", &a],
            Some(&format!("fail@{point}")),
        )
        .expect(2);
        let names: Vec<String> = std::fs::read_dir(sb.at("var/lib/netloom/journal"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.parse::<u64>().is_err())
            .collect();
        assert!(names.is_empty(), "fail@{point}: left {names:?}");
    }
}

/// Plants a copy of transaction 1, marked open, as journal entry `name`.
fn plant_open_copy(sb: &Sandbox, name: &str) -> std::path::PathBuf {
    let planted = sb.at(&format!("var/lib/netloom/journal/{name}"));
    std::fs::create_dir(&planted).unwrap();
    for f in ["meta.json", "data"] {
        std::fs::copy(sb.journal(1).join(f), planted.join(f)).unwrap();
    }
    std::fs::write(planted.join("state"), r#"{"state":"open"}"#).unwrap();
    planted
}

#[test]
fn journal_entries_named_by_a_number_netloom_does_not_write_are_not_transactions() {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let after_a = sb.tree();
    let planted: Vec<_> = ["07", "+7", "07.partial"]
        .iter()
        .map(|n| (*n, plant_open_copy(&sb, n)))
        .collect();
    // Nothing recovers them: the files of transaction 1 stay.
    let out = sb.run(&["--backend", "null", "apply", "--yes", &b]);
    out.expect(0).stderr_has("transaction 2 changed 3 files");
    for (name, _) in &planted {
        out.stderr_has(&format!(
            "{}/var/lib/netloom/journal/{name} is not a transaction netloom wrote (its name is \
             not a number as netloom writes one)",
            sb.root().display()
        ));
    }
    assert!(!out.stderr.contains("was interrupted"), "{}", out.stderr);
    for (name, dir) in &planted {
        assert_eq!(
            std::fs::read_to_string(dir.join("state")).unwrap(),
            r#"{"state":"open"}"#,
            "{name}"
        );
    }
    let ids: Vec<u64> = sb
        .history()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2]);
    sb.run(&["rollback", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &after_a, "after rolling back transaction 2");
}

#[test]
fn a_journal_entry_with_the_highest_number_is_a_clear_refusal_not_a_crash() {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    std::fs::create_dir_all(sb.at("var/lib/netloom/journal/18446744073709551615")).unwrap();
    let before = sb.tree();
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(2)
        .stderr_has(&format!(
            "{}/var/lib/netloom/journal/18446744073709551615 has the highest number a \
             transaction can have; netloom cannot number another past it",
            sb.root().display()
        ));
    assert_tree(&sb.tree(), &before, "after the refused apply");
}

#[test]
fn an_open_or_pending_entry_whose_meta_does_not_load_blocks_nothing() {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let after_a = sb.tree();
    let journal = sb.at("var/lib/netloom/journal");
    for (n, state) in [
        ("5", r#"{"state":"open"}"#),
        ("6", r#"{"state":"rolling-back","reason":"failed"}"#),
        ("7", r#"{"state":"pending","deadline":4102444800}"#),
    ] {
        std::fs::create_dir(journal.join(n)).unwrap();
        std::fs::write(journal.join(n).join("meta.json"), "garbage").unwrap();
        std::fs::write(journal.join(n).join("state"), state).unwrap();
    }
    // A read-only command has nothing to recover, and a pending one of them blocks nothing.
    sb.run(&["history"]).expect(0);
    assert_tree(&sb.tree(), &after_a, "after history");
    let out = sb.run(&["--backend", "null", "apply", "--yes", &b]);
    out.expect(0).stderr_has("transaction 8 changed 3 files");
    for n in ["5", "6", "7"] {
        out.stderr_has(&format!(
            "{}/{n} is not a transaction netloom wrote (its meta.json is not what netloom \
             writes: ",
            journal.display()
        ));
    }
    let ids: Vec<u64> = sb
        .history()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 8]);
    sb.run(&["confirm"])
        .expect(2)
        .stderr_has("nothing is waiting for confirmation");
    sb.run(&["rollback", "--yes"]).expect(0);
    assert_tree(&sb.tree(), &after_a, "after rolling back transaction 8");
    for n in ["5", "6", "7"] {
        assert_eq!(
            std::fs::read(journal.join(n).join("meta.json")).unwrap(),
            b"garbage"
        );
    }
}

#[test]
fn a_partial_journal_holding_names_that_are_not_utf8_is_removed_whole() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let partial = sb.at("var/lib/netloom/journal/9.partial");
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
    std::fs::create_dir_all(partial.join(odd)).unwrap();
    std::fs::write(partial.join(odd).join(odd), "x").unwrap();
    std::fs::write(partial.join("state"), "x").unwrap();
    sb.run(&["--backend", "null", "apply", "--yes", &b])
        .expect(0)
        .stderr_has("transaction 2 changed 3 files");
    assert!(!partial.exists());
}

#[test]
fn a_state_file_larger_than_netloom_writes_is_damage_not_an_error() {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let planted = sb.at("var/lib/netloom/journal/5");
    std::fs::create_dir(&planted).unwrap();
    std::fs::copy(sb.journal(1).join("meta.json"), planted.join("meta.json")).unwrap();
    // Sparse: two GiB that take no room.
    let state = std::fs::File::create(planted.join("state")).unwrap();
    state.set_len(2 << 30).unwrap();
    drop(state);
    sb.run(&["history"]).expect(0);
    let out = sb.run(&["--backend", "null", "apply", "--yes", &b]);
    out.expect(0)
        .stderr_has("transaction 6 changed 3 files")
        .stderr_has(&format!(
            "{} is not a transaction netloom wrote (its state is larger than the 4096 bytes \
             netloom writes at most)",
            planted.display()
        ));
    assert!(!out.stderr.contains("max-input-size"), "{}", out.stderr);
}

#[test]
fn only_partial_journals_named_by_a_number_are_removed() {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    let journal = sb.at("var/lib/netloom/journal");
    for name in ["notes.partial", "3.partial"] {
        std::fs::create_dir_all(journal.join(name)).unwrap();
        std::fs::write(journal.join(name).join("f"), "x").unwrap();
    }
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0)
        .stderr_has("transaction 1 changed 2 files");
    assert!(journal.join("notes.partial/f").exists());
    assert!(!journal.join("3.partial").exists());
}

#[test]
fn a_rollback_that_cannot_remove_a_directory_it_made_says_what_it_restored() {
    let sb = Sandbox::new();
    let a = sb.input("a.xml", HOST_A);
    let empty = sb.tree();
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    // Directories made: etc, etc/netloom, etc/netloom/null; the last is removed first.
    let out = sb.run_with(&["rollback", "--yes"], Some("fail@rmdir-2"));
    out.expect(2).stderr_has(&format!(
        "transaction 1 could not be restored completely: 2 files restored \
         ({NULL_DIR}/eth0.xml, {NULL_DIR}/eth1.xml); 1 file not restored: {NULL_DIR}/ (cannot \
         write {}/{NULL_DIR}: injected fault at rmdir-2); the journal keeps the previous state, \
         and the next netloom command on this root finishes restoring it",
        sb.root().display()
    ));
    sb.run(&["history"])
        .expect(0)
        .stderr_has("transaction 1 was being rolled back when interrupted");
    assert_tree(&sb.tree(), &empty, "finished by the next command");
    assert_eq!(sb.state(1), rolled_back("requested"));
}

#[test]
fn history_names_a_committed_entry_it_cannot_read_and_rollback_does_not_undo_beneath_it() {
    let (sb, after_a, after_b) = two_transactions();
    let journal = sb.at("var/lib/netloom/journal");
    std::fs::write(journal.join("2/meta.json"), "garbage").unwrap();
    let damaged = format!("{}/2 is not a transaction netloom wrote", journal.display());

    let out = sb.run(&["history"]);
    out.expect(0).stderr_has(&damaged);
    assert!(out.stdout.starts_with("1  "), "{}", out.stdout);
    let json = sb.run(&["history", "--format", "json"]);
    json.expect(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let listed = v["damaged"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{v}");
    assert!(listed[0].as_str().unwrap().contains(&damaged), "{v}");
    assert_eq!(v["transactions"].as_array().unwrap().len(), 1, "{v}");

    // Transaction 2 may have changed what transaction 1 wrote: undoing 1 beneath it is
    // refused, and nothing changes.
    let refused = sb.run(&["rollback", "--yes"]);
    refused
        .expect(2)
        .stderr_has("journal entry 2 is later than transaction 1 and cannot be read");
    assert_tree(&sb.tree(), &after_b, "after the refused rollback");
    assert_ne!(after_a, after_b);
}
