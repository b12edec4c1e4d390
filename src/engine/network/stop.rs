//! `net stop`: undo, last first, exactly the steps a network's start recorded, tolerating
//! what has gone already (a dnsmasq that died, rules a firewall reload flushed, a bridge
//! someone deleted), then take away the shared firewall setup if netloom made it and no
//! network uses it any more.

use super::fw::{self, Firewall};
use super::record::{BaseMark, Step};
use super::{Paths, RUN_DIR, dnsmasq, link, not_found, read, read_record, stored};
use crate::backend::RenderedFile;
use crate::backends::{dnsmasq::DIR as DNSMASQ_DIR, firewall::DIR as FIREWALL_DIR};
use crate::engine::{RUNTIME, Session, TargetRoot, plan_paths};
use crate::error::Error;
use crate::model::network::NetName;

/// Where the mark of the shared setup netloom loaded for `fw` is.
pub(super) fn mark_path(fw: Firewall) -> String {
    format!("run/netloom/firewall/{}.json", fw.as_str())
}

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
            Step::Sysctl { key, old } => match needed_elsewhere(root, name, key) {
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

/// Whether another running network of the root needs forwarding sysctl `key`.
fn needed_elsewhere(root: &TargetRoot, name: &NetName, key: &str) -> Result<bool, Error> {
    Ok(stored(root, RUN_DIR)?
        .iter()
        .filter(|n| &n.name != name)
        .any(|n| link::forwarding_keys(n).contains(&key)))
}

/// Whether another running network of the root has its rules in `fw`.
pub(super) fn firewall_in_use(
    root: &TargetRoot,
    name: &NetName,
    fw: Firewall,
) -> Result<bool, Error> {
    for other in stored(root, RUN_DIR)?.iter().filter(|n| &n.name != name) {
        let uses = read_record(root, &other.name)?
            .and_then(|r| r.firewall)
            .is_some_and(|f| f == fw.as_str());
        if uses {
            return Ok(true);
        }
    }
    Ok(false)
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
    let fw = match record.firewall.as_deref() {
        Some("nftables") => Some(Firewall::Nftables),
        Some("iptables") => Some(Firewall::Iptables),
        _ => None,
    };
    if let Some(fw) = fw
        && !firewall_in_use(root, name, fw)?
        && let Some(text) = read(root, &mark_path(fw))?
    {
        let mark: BaseMark = serde_json::from_str(&text).unwrap_or_default();
        let kept = fw::remove_base(fw, &mark.loaded);
        if kept.is_empty() {
            removed.push(mark_path(fw));
        } else if kept != mark.loaded {
            let mut contents =
                serde_json::to_string_pretty(&BaseMark { loaded: kept }).unwrap_or_default();
            contents.push('\n');
            files.push(RenderedFile {
                path: mark_path(fw),
                contents,
                mode: 0o644,
            });
        }
    }
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    session.apply(&plan, command, None)?;
    Ok(undone.warnings)
}
