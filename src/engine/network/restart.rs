//! `net restart`: the network's host side (bridge, firewall rules, dnsmasq) is undone and
//! made again from its definition, while its guest ports stay plugged: they are counted
//! again and their devices put back on the new bridge, so a guest sees a link flap at most
//! and keeps its address (dnsmasq starts again from the same lease file).
//!
//! What netloom changed for all networks together (the forwarding sysctls, the shared
//! firewall setup) is left in place across the restart, so the host's forwarding never
//! flips; should the network not start again, it is put back as `net stop` would.

use super::fw::{self, Firewall};
use super::marks::{self, Others};
use super::record::Record;
use super::record::same_netns;
use super::stop::undo;
use super::{Paths, not_found, read, read_network, read_record, start};
use crate::engine::{RUNTIME, Session, TargetRoot, plan_paths, port};
use crate::error::{Error, LiveKind, RefusedKind};
use crate::model::network::{NetName, Network};

/// Restarts running network `name`. Returns what to tell the user (rules already gone, a
/// guest device that could not be put back).
///
/// Refused before anything stops: a network not running here, and one whose definition
/// changed so that a plugged port no longer fits it (another bridge, a device left the
/// pool).
pub fn restart(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    command: &str,
) -> Result<Vec<String>, Error> {
    let paths = Paths::of(name);
    let Some(record) = read_record(root, name)? else {
        if read(root, &paths.def)?.is_none() {
            return Err(not_found(name));
        }
        return Err(Error::live(
            LiveKind::Inactive,
            format!("network '{name}' is not active; start it with `netloom net start {name}`"),
        ));
    };
    if !same_netns(&record) {
        return Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "network '{name}' was started in network namespace {}; restart it from there",
                record.netns
            ),
        ));
    }
    let net = wanted(root, name, &paths)?;
    let ports = port::ports_on(root, name)?;
    let refs: Vec<_> = ports.iter().collect();
    let (_, rejected) = crate::port::count(&net, &refs);
    if let Some((id, why)) = rejected.first() {
        return Err(Error::refused(
            RefusedKind::Mismatch,
            format!(
                "network '{name}' as defined now cannot take back guest port {id} ({}); nothing \
             was changed: unplug that guest first, or restore the definition it was plugged \
             with",
                why.report()
            ),
        ));
    }
    let fw = fw::of(&record);
    let mut notes = take_down(session, root, name, &paths, &record, command)?;
    match start::run(session, root, net, fw, command) {
        Ok(warnings) => notes.extend(warnings),
        Err(e) => {
            let left = match abandon(session, root, name, fw, command) {
                Ok(()) => String::new(),
                Err(more) => format!("; releasing what it shared failed: {}", more.report()),
            };
            return Err(Error::live(
                LiveKind::Undo,
                format!(
                    "network '{name}' was stopped to restart and did not start again: {}; it is \
                 stopped now, and its {} guest port(s) were released{left}",
                    e.report(),
                    ports.len()
                ),
            ));
        }
    }
    notes.extend(port::reattach(session, root, name, command)?);
    Ok(notes)
}

/// What the network restarts as: its definition, or, for a transient network, what runs.
fn wanted(root: &TargetRoot, name: &NetName, paths: &Paths) -> Result<Network, Error> {
    if let Some(net) = read_network(root, &paths.def)? {
        return Ok(net);
    }
    read_network(root, &paths.live)?
        .map(Network::without_live_state)
        .ok_or_else(|| not_found(name))
}

/// Undoes the steps the start recorded and forgets them, keeping the guest ports, the lease
/// file and the marks shared by all networks. A step that cannot be undone stops the
/// restart with the network still recorded as running, as `net stop` leaves it.
fn take_down(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    paths: &Paths,
    record: &Record,
    command: &str,
) -> Result<Vec<String>, Error> {
    let others = Others::load(root, name)?;
    let undone = undo(root, &others, name, fw::of(record), &record.steps);
    if !undone.failed.is_empty() {
        return Err(Error::live(
            LiveKind::Undo,
            format!(
                "network '{name}' could not be stopped to restart: {}; it stays recorded as \
             running, so `netloom net stop {name}` can try again",
                undone.failed.join("; ")
            ),
        ));
    }
    let mut removed = vec![paths.live.clone(), paths.record.clone(), paths.pid.clone()];
    removed.extend(record.files.iter().cloned());
    let plan = plan_paths(root, RUNTIME, Vec::new(), removed)?;
    session.apply(&plan, command, None)?;
    Ok(undone.warnings)
}

/// After a restart whose start failed: what `net stop` would have done besides undoing the
/// steps (the ports and the shared marks released, a transient network's leases removed).
fn abandon(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    fw: Option<Firewall>,
    command: &str,
) -> Result<(), Error> {
    let paths = Paths::of(name);
    let others = Others::load(root, name)?;
    let (mut files, mut removed) = (Vec::new(), Vec::new());
    let (forwarding, failed) = marks::release_forwarding(root, &others)?;
    forwarding.into_plan(&mut files, &mut removed);
    if let Some(fw) = fw {
        marks::release_base(root, &others, fw)?.into_plan(&mut files, &mut removed);
    }
    if read(root, &paths.def)?.is_none() {
        removed.push(paths.leases);
    }
    removed.extend(port::port_files(root, name)?);
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    if !plan.is_empty() {
        session.apply(&plan, command, None)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::live(LiveKind::Undo, failed.join("; ")))
    }
}
