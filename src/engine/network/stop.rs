//! `net stop`: undo, last first, exactly the steps a network's start recorded, tolerating
//! what has gone already (a dnsmasq that died, rules a firewall reload flushed, a bridge
//! someone deleted), then put back what netloom changed for all its networks (the firewall
//! setup, forwarding) when no other running network needs it.

use super::fw::{self, Firewall};
use super::marks::{self, Change, Others};
use super::record::{Intent, Record, Step, current_netns, same_netns};
use super::{Paths, link, not_found, read, read_record};
use crate::backend::RenderedFile;
use crate::backends::DHCP;
use crate::backends::firewall::BaseStep;
use crate::backends::network::Loaded;
use crate::engine::{RUNTIME, Session, TargetRoot, plan_paths};
use crate::error::{Error, LiveKind, RefusedKind};
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

/// Undoes `steps` last first, each whatever became of the others; the firewall rules with
/// `fw`, the backend that loaded them.
pub(super) fn undo(
    root: &TargetRoot,
    others: &Others,
    name: &NetName,
    fw: Option<Firewall>,
    steps: &[Step],
) -> Undone {
    let mut out = Undone::default();
    for step in steps.iter().rev() {
        let result = match step {
            // dnsmasq wrote its pid where the start told it: the network's pid file, read
            // through the root like every file under it. Whatever it holds is only a hint:
            // the process is checked by its command line, and looked for without it.
            Step::Dnsmasq { conf, .. } => {
                let text = root.read_text(&Paths::of(name).pid).ok().flatten();
                DHCP.stop(conf, text.and_then(|t| t.trim().parse::<u32>().ok()))
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
            } => fw::remove_rules(
                fw,
                Loaded {
                    loader: loader.clone(),
                    input: input.clone(),
                    tables: tables.clone(),
                },
            )
            .map(|warning| {
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
    let mut out = undo(root, others, name, fw, &intent.record.steps);
    let Some(fw) = fw.filter(|_| !intent.base.is_empty()) else {
        return out;
    };
    if others.use_firewall(fw) {
        out.kept_base = intent.base.clone();
        return out;
    }
    let kept = fw.remove_base(&intent.base);
    if !kept.is_empty() {
        out.failed.push(format!(
            "{} part(s) of the {} firewall setup",
            kept.len(),
            fw.name()
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
        return Err(elsewhere_refused(name, &record));
    }
    let others = Others::load(root, name)?;
    let mut left = Leftovers::default();
    if elsewhere {
        forget_elsewhere(root, &others, name, &record, &mut left)?;
    } else {
        undo_here(root, &others, name, &record, &mut left)?;
    }
    // Pool devices its passthrough ports lent their guests' MACs get their own back.
    let saved = crate::engine::port::saved_of(root, name)?;
    let lent = saved.iter().map(|s| s.path());
    release_files(root, name, &paths, &record, lent, &mut left)?;
    let plan = plan_paths(root, RUNTIME, left.files, left.removed)?;
    session.apply(&plan, command, None)?;
    let mut warnings = left.warnings;
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

/// What a stop's transaction writes and removes, and what it has to tell.
#[derive(Default)]
struct Leftovers {
    files: Vec<RenderedFile>,
    removed: Vec<String>,
    warnings: Vec<String>,
}

impl Leftovers {
    /// Adds a mark's change to the transaction.
    fn mark(&mut self, change: Change) {
        change.into_plan(&mut self.files, &mut self.removed);
    }
}

/// The refusal to stop, from here, a network started in another network namespace.
fn elsewhere_refused(name: &NetName, record: &Record) -> Error {
    Error::refused(
        RefusedKind::Elsewhere,
        format!(
            "network '{name}' was started in network namespace {}, and this netloom runs in \
         {}; stop it from there (`ip netns exec NAME netloom …`, or `nsenter --net` into \
         its {}), or forget it with `net stop --force` if that namespace is gone",
            record.netns,
            current_netns(),
            DHCP.name()
        ),
    )
}

/// `--force` on a network of another namespace: only its processes are reachable from
/// here; the rest belongs to that namespace.
fn forget_elsewhere(
    root: &TargetRoot,
    others: &Others,
    name: &NetName,
    record: &Record,
    left: &mut Leftovers,
) -> Result<(), Error> {
    let own: Vec<Step> = record
        .steps
        .iter()
        .filter(|s| matches!(s, Step::Dnsmasq { .. }))
        .cloned()
        .collect();
    let undone = undo(root, others, name, None, &own);
    if !undone.failed.is_empty() {
        return Err(Error::live(LiveKind::Undo, undone.failed.join("; ")));
    }
    left.warnings.push(format!(
        "network '{name}': its bridge, rules and sysctls were left to network namespace {}",
        record.netns
    ));
    Ok(())
}

/// Undoes the record's steps, then releases what netloom changed for all networks
/// (forwarding, the shared firewall setup) when no other running network needs it.
fn undo_here(
    root: &TargetRoot,
    others: &Others,
    name: &NetName,
    record: &Record,
    left: &mut Leftovers,
) -> Result<(), Error> {
    let fw = fw::of(record);
    let undone = undo(root, others, name, fw, &record.steps);
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
    left.warnings.extend(undone.warnings);
    let (forwarding, failed) = marks::release_forwarding(root, others)?;
    left.mark(forwarding);
    left.warnings.extend(failed);
    if let Some(fw) = fw {
        left.mark(marks::release_base(root, others, fw)?);
    }
    Ok(())
}

/// The network's files that go with it: a transient network's leases, its guests' ports,
/// the MACs its passthrough ports lent (`lent`), its runtime state and what its start wrote.
fn release_files(
    root: &TargetRoot,
    name: &NetName,
    paths: &Paths,
    record: &Record,
    lent: impl Iterator<Item = String>,
    left: &mut Leftovers,
) -> Result<(), Error> {
    if read(root, &paths.def)?.is_none() {
        // A transient network: nothing will start it again, its leases go with it.
        left.removed.push(paths.leases.clone());
    }
    // Its guests' ports go with it: a network started again starts with no connections.
    let ports = crate::engine::port::port_files(root, name)?;
    if !ports.is_empty() {
        left.warnings.push(format!(
            "network '{name}': {} guest port(s) released with it",
            ports.len()
        ));
    }
    left.removed.extend(ports);
    left.removed.extend(lent);
    left.removed
        .extend([paths.live.clone(), paths.record.clone(), paths.pid.clone()]);
    left.removed.extend(record.files.iter().cloned());
    Ok(())
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
    let fw = fw::of(&intent.record);
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
