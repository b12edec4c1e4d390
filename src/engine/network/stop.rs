//! `net stop`: undo, last first, exactly the steps a network's start recorded, tolerating
//! what has gone already (a dnsmasq that died, rules a firewall reload flushed, a bridge
//! someone deleted), then put back what netloom changed for all its networks (the firewall
//! setup, forwarding) when no other running network needs it.

use super::fw::{self, Firewall};
use super::record::{Intent, Record, Step, current_netns};
use super::{Paths, dnsmasq, link, marks, not_found, read, read_record};
use crate::backends::{dnsmasq::DIR as DNSMASQ_DIR, firewall::DIR as FIREWALL_DIR};
use crate::engine::{RUNTIME, Session, TargetRoot, plan_paths};
use crate::error::Error;
use crate::model::network::NetName;

/// What undoing a record's steps gave.
#[derive(Debug, Default)]
pub(super) struct Undone {
    /// Steps that failed, each with its error: something is left behind.
    pub failed: Vec<String>,
    /// Things to tell the user that left nothing behind.
    pub warnings: Vec<String>,
}

/// Undoes `steps` last first, each whatever became of the others. A forwarding sysctl is
/// put back only when no other running network of the root needs it.
pub(super) fn undo(root: &TargetRoot, name: &NetName, steps: &[Step]) -> Undone {
    let mut out = Undone::default();
    for step in steps.iter().rev() {
        let result = match step {
            Step::Dnsmasq { conf, pid_file } => dnsmasq::stop(conf, pid_file),
            Step::Sysctl {
                key,
                old,
                interfaces,
            } => match marks::needed_elsewhere(root, name, key) {
                Ok(true) => Ok(()),
                Ok(false) => link::restore_forwarding(key, old, interfaces),
                Err(e) => Err(e),
            },
            Step::Rules {
                loader,
                input,
                tables,
            } => fw::remove_rules(loader, input, tables).map(|warning| {
                out.warnings
                    .extend(warning.map(|w| format!("network '{name}': {w}")));
            }),
            Step::Bridge { name } => link::delete_bridge(name),
        };
        if let Err(e) = result {
            out.failed.push(e.to_string());
        }
    }
    out
}

/// Stops network `name`. Returns warnings for the user (rules that were gone already).
///
/// When a step cannot be undone, the network stays recorded as running and the error says
/// what is left, so the next `net stop` tries again.
pub fn stop(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    command: &str,
) -> Result<Vec<String>, Error> {
    let paths = Paths::of(name);
    let Some(record) = read_record(root, name)? else {
        if let Some(intent) = read(root, &paths.intent)? {
            return clean_interrupted(root, name, &paths, &intent);
        }
        if read(root, &paths.def)?.is_none() {
            return Err(not_found(name));
        }
        return Err(Error::Live(format!("network '{name}' is not active")));
    };
    same_netns(name, &record)?;
    let undone = undo(root, name, &record.steps);
    if !undone.failed.is_empty() {
        return Err(Error::Live(format!(
            "network '{name}' could not be stopped completely: {}; it stays recorded as \
             running, so `netloom net stop {name}` tries again",
            undone.failed.join("; ")
        )));
    }
    let stem = name.file_stem();
    let transient = read(root, &paths.def)?.is_none();
    let mut removed = vec![paths.live, paths.record, paths.pid];
    if transient {
        // Nothing will start it again: its leases go with it.
        removed.push(format!("{DNSMASQ_DIR}/{stem}.leases"));
    }
    removed.extend(
        ["addnhosts", "conf", "hostsfile"].map(|ext| format!("{DNSMASQ_DIR}/{stem}.{ext}")),
    );
    removed
        .extend(["ip6tables", "iptables", "nft"].map(|ext| format!("{FIREWALL_DIR}/{stem}.{ext}")));
    let mut files = Vec::new();
    let mut warnings = undone.warnings;
    let (forwarding, failed) = marks::release_forwarding(root, name)?;
    forwarding.into_plan(&mut files, &mut removed);
    warnings.extend(failed);
    let fw = record.firewall.as_deref().and_then(Firewall::parse);
    if let Some(fw) = fw {
        marks::release_base(root, name, fw)?.into_plan(&mut files, &mut removed);
    }
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    session.apply(&plan, command, None)?;
    Ok(warnings)
}

/// Refuses to undo steps made in another network namespace: they would change the wrong
/// network stack (another namespace's bridge of that name, its rules and sysctls).
fn same_netns(name: &NetName, record: &Record) -> Result<(), Error> {
    let here = current_netns();
    if record.netns.is_empty() || record.netns == here {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "network '{name}' was started in network namespace {}, and this netloom runs in {here}; \
         stop it from there (`ip netns exec NAME netloom …`)",
        record.netns
    )))
}

/// Undoes what a start made, from its intent, whatever became of each step; returns what
/// could not be undone. Also takes the shared firewall setup the start loaded away again
/// when no other network uses it.
pub(super) fn undo_intent(
    root: &TargetRoot,
    name: &NetName,
    fw: Option<Firewall>,
    intent: &Intent,
) -> Vec<String> {
    let mut failed = undo(root, name, &intent.record.steps).failed;
    if let Some(fw) = fw
        && !intent.base.is_empty()
        && !marks::firewall_in_use(root, name, fw).unwrap_or(true)
    {
        let kept = fw::remove_base(fw, &intent.base);
        if !kept.is_empty() {
            failed.push(format!(
                "{} part(s) of the {} firewall setup",
                kept.len(),
                fw.as_str()
            ));
        }
    }
    failed
}

/// `net stop` of a network whose start was interrupted (netloom was killed): undoes what
/// its intent lists, then forgets the intent.
fn clean_interrupted(
    root: &TargetRoot,
    name: &NetName,
    paths: &Paths,
    text: &str,
) -> Result<Vec<String>, Error> {
    let intent: Intent = serde_json::from_str(text).map_err(|e| {
        Error::Live(format!(
            "{}: not an intent netloom wrote: {e}",
            paths.intent
        ))
    })?;
    same_netns(name, &intent.record)?;
    let fw = intent.record.firewall.as_deref().and_then(Firewall::parse);
    let failed = undo_intent(root, name, fw, &intent);
    if !failed.is_empty() {
        return Err(Error::Live(format!(
            "the interrupted start of network '{name}' could not be undone completely: {}",
            failed.join("; ")
        )));
    }
    let _ = std::fs::remove_file(root.resolve(&paths.intent)?);
    Ok(vec![format!(
        "network '{name}' was not running: an interrupted start of it was undone"
    )])
}
