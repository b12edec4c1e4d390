//! `net stop`: undo, last first, exactly the steps a network's start recorded, tolerating
//! what has gone already (a dnsmasq that died, rules a firewall reload flushed, a bridge
//! someone deleted), then put back what netloom changed for all its networks (the firewall
//! setup, forwarding) when no other running network needs it.

use super::fw::{self, Firewall};
use super::marks::{self, Others};
use super::record::{Intent, Record, Step, current_netns};
use super::{Paths, dnsmasq, link, not_found, read, read_record};
use crate::backends::firewall::BaseStep;
use crate::engine::{RUNTIME, Session, TargetRoot, plan_paths};
use crate::error::Error;
use crate::error::{LiveKind, RefusedKind};
use crate::model::network::NetName;

/// What undoing a record's steps gave.
#[derive(Debug, Default)]
pub(super) struct Undone {
    /// Steps that failed, each with its error: something is left behind.
    pub failed: Vec<String>,
    /// Things to tell the user that left nothing behind.
    pub warnings: Vec<String>,
    /// Forwarding sysctls left raised because another running network needs them: the
    /// caller hands them to the root's mark, so the last network to stop puts them back.
    pub kept: Vec<Step>,
    /// The same for parts of the shared firewall setup.
    pub kept_base: Vec<BaseStep>,
}

/// Undoes `steps` last first, each whatever became of the others.
pub(super) fn undo(root: &TargetRoot, others: &Others, name: &NetName, steps: &[Step]) -> Undone {
    let mut out = Undone::default();
    for step in steps.iter().rev() {
        let result = match step {
            // dnsmasq wrote its pid where the start told it: the network's pid file, read
            // through the root like every file under it. Whatever it holds is only a hint:
            // the process is checked by its command line, and looked for without it.
            Step::Dnsmasq { conf, .. } => {
                let text = root.read_text(&Paths::of(name).pid).ok().flatten();
                dnsmasq::stop(conf, text.and_then(|t| t.trim().parse::<u32>().ok()))
            }
            Step::Sysctl {
                key,
                old,
                interfaces,
            } => {
                if others.need_forwarding(key) {
                    out.kept.push(step.clone());
                    Ok(())
                } else {
                    link::restore_forwarding(key, old, interfaces)
                }
            }
            Step::Rules {
                loader,
                input,
                tables,
            } => fw::remove_rules(loader, input, tables).map(|warning| {
                out.warnings
                    .extend(warning.map(|w| format!("network '{name}': {w}")));
            }),
            Step::Bridge { name } => link::delete_bridge(name),
            Step::Vxlan { name } => super::vxlan::delete(name),
        };
        if let Err(e) = result {
            out.failed.push(e.to_string());
        }
    }
    out
}

/// Undoes what a start made, from its intent, whatever became of each step. The shared
/// firewall setup it loaded comes off too, unless another network has rules in it.
pub(super) fn undo_intent(
    root: &TargetRoot,
    others: &Others,
    name: &NetName,
    fw: Option<Firewall>,
    intent: &Intent,
) -> Undone {
    let mut out = undo(root, others, name, &intent.record.steps);
    let Some(fw) = fw.filter(|_| !intent.base.is_empty()) else {
        return out;
    };
    if others.use_firewall(fw) {
        out.kept_base = intent.base.clone();
        return out;
    }
    let kept = fw::remove_base(fw, &intent.base);
    if !kept.is_empty() {
        out.failed.push(format!(
            "{} part(s) of the {} firewall setup",
            kept.len(),
            fw.as_str()
        ));
    }
    out
}

/// Stops network `name`. Returns warnings for the user (rules that were gone already).
///
/// When a step cannot be undone, the network stays recorded as running and the error says
/// what is left, so the next `net stop` tries again. With `force`, a network started in
/// another network namespace (one deleted since, typically) is forgotten: its dnsmasq is
/// stopped, the rest is left to that namespace.
pub fn stop(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    force: bool,
    command: &str,
) -> Result<Vec<String>, Error> {
    let paths = Paths::of(name);
    let Some(record) = read_record(root, name)? else {
        if let Some(intent) = read(root, &paths.intent)? {
            return clean_interrupted(session, root, name, &paths, &intent, command);
        }
        if read(root, &paths.def)?.is_none() {
            return Err(not_found(name));
        }
        return Err(Error::live(
            LiveKind::Inactive,
            format!("network '{name}' is not active"),
        ));
    };
    let elsewhere = !same_netns(&record);
    if elsewhere && !force {
        return Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "network '{name}' was started in network namespace {}, and this netloom runs in \
             {}; stop it from there (`ip netns exec NAME netloom …`, or `nsenter --net` into \
             its dnsmasq), or forget it with `net stop --force` if that namespace is gone",
                record.netns,
                current_netns()
            ),
        ));
    }
    let others = Others::load(root, name)?;
    let mut files = Vec::new();
    let mut removed = Vec::new();
    let mut warnings = Vec::new();
    if elsewhere {
        // Only processes are reachable from here; the rest belongs to that namespace.
        let own: Vec<Step> = record
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Dnsmasq { .. }))
            .cloned()
            .collect();
        let undone = undo(root, &others, name, &own);
        if !undone.failed.is_empty() {
            return Err(Error::live(LiveKind::Undo, undone.failed.join("; ")));
        }
        warnings.push(format!(
            "network '{name}': its bridge, rules and sysctls were left to network namespace {}",
            record.netns
        ));
    } else {
        let undone = undo(root, &others, name, &record.steps);
        if !undone.failed.is_empty() {
            return Err(Error::live(
                LiveKind::Undo,
                format!(
                    "network '{name}' could not be stopped completely: {}; it stays recorded as \
                 running, so `netloom net stop {name}` tries again",
                    undone.failed.join("; ")
                ),
            ));
        }
        warnings.extend(undone.warnings);
        let (forwarding, failed) = marks::release_forwarding(root, &others)?;
        forwarding.into_plan(&mut files, &mut removed);
        warnings.extend(failed);
        if let Some(fw) = record.firewall.as_deref().and_then(Firewall::parse) {
            marks::release_base(root, &others, fw)?.into_plan(&mut files, &mut removed);
        }
    }
    if read(root, &paths.def)?.is_none() {
        // A transient network: nothing will start it again, its leases go with it.
        removed.push(paths.leases.clone());
    }
    // Its guests' ports go with it: a network started again starts with no connections.
    let ports = crate::engine::port::port_files(root, name)?;
    if !ports.is_empty() {
        warnings.push(format!(
            "network '{name}': {} guest port(s) released with it",
            ports.len()
        ));
    }
    removed.extend(ports);
    // Pool devices its passthrough ports lent their guests' MACs get their own back.
    let saved = crate::engine::port::saved_of(root, name)?;
    removed.extend(saved.iter().map(|s| s.path()));
    removed.extend([paths.live, paths.record, paths.pid]);
    removed.extend(record.files.iter().cloned());
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    session.apply(&plan, command, None)?;
    for s in &saved {
        if let Err(e) = crate::engine::port::restore_mac(s) {
            warnings.push(e);
        }
    }
    // A start killed between its commit and its end leaves its intent beside the record;
    // the record covered all of it, so it is undone already.
    let _ = root.remove(&paths.intent);
    Ok(warnings)
}

/// Whether the steps of `record` were made in this network namespace: undoing them from
/// another would change the wrong network stack.
pub(super) fn same_netns(record: &Record) -> bool {
    record.netns.is_empty() || record.netns == current_netns()
}

/// `net stop` of a network whose start was interrupted (netloom was killed): undoes what
/// its intent lists, hands what another network still needs to the root's marks, then
/// forgets the intent.
fn clean_interrupted(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    paths: &Paths,
    text: &str,
    command: &str,
) -> Result<Vec<String>, Error> {
    let intent: Intent = serde_json::from_str(text).map_err(|e| {
        Error::live(LiveKind::Unreadable, format!(
            "{}: not an intent netloom wrote ({e}); remove it once nothing of the start is left",
            paths.intent
        ))
    })?;
    if !same_netns(&intent.record) {
        return Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "the interrupted start of network '{name}' was in network namespace {}; run \
             `net stop {name}` there",
                intent.record.netns
            ),
        ));
    }
    let fw = intent.record.firewall.as_deref().and_then(Firewall::parse);
    let others = Others::load(root, name)?;
    let undone = undo_intent(root, &others, name, fw, &intent);
    if !undone.failed.is_empty() {
        return Err(Error::live(
            LiveKind::Undo,
            format!(
                "the interrupted start of network '{name}' could not be undone completely: {}",
                undone.failed.join("; ")
            ),
        ));
    }
    let (mut files, mut removed) = (Vec::new(), Vec::new());
    marks::add_forwarding(root, &undone.kept)?.into_plan(&mut files, &mut removed);
    marks::add_base(root, fw, &undone.kept_base)?.into_plan(&mut files, &mut removed);
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    if !plan.is_empty() {
        session.apply(&plan, command, None)?;
    }
    let _ = root.remove(&paths.intent);
    let mut warnings = undone.warnings;
    warnings.push(format!(
        "network '{name}' was not running: an interrupted start of it was undone"
    ));
    Ok(warnings)
}
