//! `net stop`: undo, last first, exactly the steps a network's start recorded, tolerating
//! what has gone already (a dnsmasq that died, rules a firewall reload flushed, a bridge
//! someone deleted), then put back what netloom changed for all its networks (the firewall
//! setup, forwarding) when no other running network needs it.

use super::fw::{self, Firewall};
use super::record::Step;
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
            Step::Sysctl { key, old } => match marks::needed_elsewhere(root, name, key) {
                Ok(true) => Ok(()),
                Ok(false) => super::cmd::write_sysctl(key, old),
                Err(e) => Err(e),
            },
            Step::Rules { loader, input } => fw::remove_rules(loader, input).map(|warning| {
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
        if read(root, &paths.def)?.is_none() {
            return Err(not_found(name));
        }
        return Err(Error::Live(format!("network '{name}' is not active")));
    };
    let undone = undo(root, name, &record.steps);
    if !undone.failed.is_empty() {
        return Err(Error::Live(format!(
            "network '{name}' could not be stopped completely: {}; it stays recorded as \
             running, so `netloom net stop {name}` tries again",
            undone.failed.join("; ")
        )));
    }
    let stem = name.file_stem();
    let mut removed = vec![paths.live, paths.record, paths.pid];
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
    let fw = match record.firewall.as_deref() {
        Some("nftables") => Some(Firewall::Nftables),
        Some("iptables") => Some(Firewall::Iptables),
        _ => None,
    };
    if let Some(fw) = fw {
        marks::release_base(root, name, fw)?.into_plan(&mut files, &mut removed);
    }
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    session.apply(&plan, command, None)?;
    Ok(warnings)
}
