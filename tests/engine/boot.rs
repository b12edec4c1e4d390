//! `netloom boot` on the journal: an apply still pending confirmation when the machine went
//! down (its timer died with it, its deadline not yet passed) is rolled back to the exact
//! tree before it, even where its files were changed since; the phases split the work as
//! the units in dist/systemd expect. The boot itself, under systemd, is in `tests/boot.rs`.

use super::support::{HOST_A, HOST_B, NULL_DIR, Sandbox, assert_tree, committed, rolled_back};

/// A root after [`HOST_A`] (transaction 1), with [`HOST_B`] applied with a confirmation an
/// hour away (transaction 2) and its timer killed, as a reboot would: the trees before and
/// after the unconfirmed apply.
fn interrupted() -> (Sandbox, super::support::Tree, super::support::Tree) {
    let sb = Sandbox::new();
    let (a, b) = (sb.input("a.xml", HOST_A), sb.input("b.xml", HOST_B));
    sb.run(&["--backend", "null", "apply", "--yes", &a])
        .expect(0);
    let confirmed = sb.tree();
    sb.run(&[
        "--backend",
        "null",
        "apply",
        "--yes",
        "--confirm",
        "3600",
        &b,
    ])
    .expect(0);
    sb.kill_timer();
    let pending = sb.tree();
    assert_ne!(confirmed, pending);
    assert_eq!(sb.state(2)["state"], "pending");
    (sb, confirmed, pending)
}

#[test]
fn boot_rolls_back_a_pending_apply_whose_deadline_has_not_passed() {
    let (sb, confirmed, _) = interrupted();
    // Any other command leaves it pending: the deadline is an hour away.
    sb.run(&["history"]).expect(0);
    assert_eq!(sb.state(2)["state"], "pending");

    sb.run(&["boot", "--phase", "early"])
        .expect(0)
        .stderr_has("rolled back transaction 2: it was still waiting for confirmation");
    // The journal is under the root too; everything else is exactly as before the apply.
    let mut have = sb.tree();
    let mut want = confirmed;
    have.retain(|p, _| !p.starts_with("var/lib/netloom"));
    want.retain(|p, _| !p.starts_with("var/lib/netloom"));
    assert_tree(&have, &want, "after boot --phase early");
    assert_eq!(sb.state(1), committed());
    assert_eq!(sb.state(2), rolled_back("requested"));

    // Nothing is pending any more: a second boot changes nothing, and says nothing of it.
    let before = sb.tree();
    let again = sb.run(&["boot", "--phase", "early"]);
    again.expect(0);
    assert!(!again.stderr.contains("rolled back"), "{}", again.stderr);
    assert_eq!(sb.tree(), before);
}

#[test]
fn boot_restores_even_files_changed_since_as_the_timer_would() {
    let (sb, confirmed, _) = interrupted();
    let changed = format!("{NULL_DIR}/eth2.xml");
    sb.put(
        &changed,
        "<!-- written by hand after the apply -->\n",
        0o644,
    );
    // `rollback` would refuse without --force; the boot does what the timer would have done.
    sb.run(&["rollback", "--yes", "2"])
        .expect(2)
        .stderr_has("was changed after transaction 2");
    sb.run(&["boot"])
        .expect(0)
        .stderr_has("rolled back transaction 2");
    let mut have = sb.tree();
    let mut want = confirmed;
    have.retain(|p, _| !p.starts_with("var/lib/netloom"));
    want.retain(|p, _| !p.starts_with("var/lib/netloom"));
    assert_tree(&have, &want, "after boot");
}

#[test]
fn boot_late_alone_also_rolls_back_and_reports_no_autostart_network() {
    let (sb, confirmed, _) = interrupted();
    sb.run(&["boot", "--phase", "late"])
        .expect(0)
        .stderr_has("rolled back transaction 2")
        .stderr_has("no inactive network is marked for autostart");
    let mut have = sb.tree();
    let mut want = confirmed;
    have.retain(|p, _| !p.starts_with("var/lib/netloom"));
    want.retain(|p, _| !p.starts_with("var/lib/netloom"));
    assert_tree(&have, &want, "after boot --phase late");
    sb.run(&["boot", "--phase", "never"])
        .expect(2)
        .stderr_has("'never'");
}

#[test]
fn a_pending_transaction_of_networkmanager_profiles_waits_for_the_late_phase() {
    let (sb, _, pending) = interrupted();
    // Made to look like `apply --nm live` wrote it: its undoing needs NetworkManager.
    let meta = sb.journal(2).join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    assert!(text.contains("\"backend\": \"null\""), "{text}");
    std::fs::write(
        &meta,
        text.replace("\"backend\": \"null\"", "\"backend\": \"nm-live\""),
    )
    .unwrap();
    sb.run(&["boot", "--phase", "early"]).expect(0).stderr_has(
        "transaction 2 is waiting for confirmation and changed NetworkManager profiles",
    );
    assert_eq!(sb.state(2)["state"], "pending");
    let mut have = sb.tree();
    let mut want = pending;
    have.retain(|p, _| !p.starts_with("var/lib/netloom"));
    want.retain(|p, _| !p.starts_with("var/lib/netloom"));
    assert_tree(&have, &want, "after boot --phase early");
    // The late phase undoes it through NetworkManager: here on a bus that does not exist
    // (never the machine's own), so it fails, naming the transaction, and it stays pending.
    let bus = format!("unix:path={}", sb.dir().join("no-bus").display());
    let late = sb
        .command(&["boot", "--phase", "late"])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &bus)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&late.stderr);
    assert_eq!(late.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("transaction 2 is waiting for confirmation and could not be rolled back")
            && stderr.contains("no-bus"),
        "{stderr}"
    );
    assert_eq!(sb.state(2)["state"], "pending");
}

#[test]
fn an_expired_transaction_of_networkmanager_profiles_does_not_fail_the_early_phase() {
    let (sb, _, pending) = interrupted();
    let meta = sb.journal(2).join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(
        &meta,
        text.replace("\"backend\": \"null\"", "\"backend\": \"nm-live\""),
    )
    .unwrap();
    // Its deadline passed while the machine was down.
    let state = sb.journal(2).join("state");
    let expired = r#"{"state":"pending","deadline":1}"#;
    std::fs::write(&state, expired).unwrap();
    // Every command here reaches NetworkManager through a bus that does not exist (never the
    // machine's own): the history too is read from the journal, not with `history`.
    let bus = format!("unix:path={}", sb.dir().join("no-bus").display());
    let run = |args: &[&str]| {
        let out = sb
            .command(args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &bus)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&["boot", "--phase", "early"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "transaction 2 was not confirmed in time and changed NetworkManager's \
             configuration, but NetworkManager cannot be reached ("
        ) && stderr.contains("no-bus")
            && stderr.contains("it is left as it is"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&state).unwrap(), expired);
    let mut have = sb.tree();
    let mut want = pending;
    have.retain(|p, _| !p.starts_with("var/lib/netloom"));
    want.retain(|p, _| !p.starts_with("var/lib/netloom"));
    assert_tree(&have, &want, "after boot --phase early");
    // Nor does it block a command that only reads.
    let (code, stderr) = run(&["history"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), expired);
}
