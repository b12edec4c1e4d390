//! What netloom changed on the host for all its running networks together, rather than
//! for one: the shared firewall setup it loaded, and the forwarding sysctls it turned on.
//! The network that made such a change may stop while another still needs it, so the
//! change is kept in a mark of the root, and undone by whichever network stops last.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fw::{self, Firewall};
use super::record::Step;
use super::{RUN_DIR, cmd, link, read, read_record, stored};
use crate::backend::RenderedFile;
use crate::backends::firewall::BaseStep;
use crate::engine::TargetRoot;
use crate::error::Error;
use crate::model::network::NetName;

/// `run/netloom/firewall/BACKEND.json`: the parts of the shared firewall setup that netloom
/// itself loaded (and not libvirt, or the host's own rules).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BaseMark {
    /// The loaded steps, in order.
    pub loaded: Vec<BaseStep>,
}

/// `run/netloom/forwarding.json`: the forwarding sysctls netloom turned on, each with its
/// value before.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ForwardingMark {
    /// Key under `/proc/sys` to its old value.
    pub old: BTreeMap<String, String>,
}

const FORWARDING: &str = "run/netloom/forwarding.json";

fn base_path(fw: Firewall) -> String {
    format!("run/netloom/firewall/{}.json", fw.as_str())
}

/// How a command's transaction changes a mark.
#[derive(Debug)]
pub(super) enum Change {
    /// Write it.
    Write(RenderedFile),
    /// Remove it.
    Remove(String),
    /// Leave it as it is.
    Keep,
}

impl Change {
    /// Adds the change to a plan's files and removals.
    pub(super) fn into_plan(self, files: &mut Vec<RenderedFile>, removed: &mut Vec<String>) {
        match self {
            Change::Write(f) => files.push(f),
            Change::Remove(p) => removed.push(p),
            Change::Keep => {}
        }
    }
}

fn load<T: Default + for<'de> Deserialize<'de>>(root: &TargetRoot, path: &str) -> Result<T, Error> {
    match read(root, path)? {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::Live(format!("{path}: not a mark netloom wrote: {e}"))),
    }
}

/// The change that leaves `value` at `path`: removed when `empty`, otherwise written.
fn store<T: Serialize + PartialEq>(path: String, before: &T, value: &T, empty: bool) -> Change {
    if value == before {
        Change::Keep
    } else if empty {
        Change::Remove(path)
    } else {
        let mut contents = serde_json::to_string_pretty(value).unwrap_or_default();
        contents.push('\n');
        Change::Write(RenderedFile {
            path,
            contents,
            mode: 0o644,
        })
    }
}

/// The base mark of `fw` with `loaded` (what a start just loaded) added.
pub(super) fn add_base(
    root: &TargetRoot,
    fw: Option<Firewall>,
    loaded: &[BaseStep],
) -> Result<Change, Error> {
    let Some(fw) = fw else {
        return Ok(Change::Keep);
    };
    let before: BaseMark = load(root, &base_path(fw))?;
    let mut mark = before.clone();
    for step in loaded {
        if !mark.loaded.contains(step) {
            mark.loaded.push(step.clone());
        }
    }
    let empty = mark.loaded.is_empty();
    Ok(store(base_path(fw), &before, &mark, empty))
}

/// The forwarding mark with the sysctls `steps` raised added (a key already in it keeps
/// its older value: that is the one before netloom).
pub(super) fn add_forwarding(root: &TargetRoot, steps: &[Step]) -> Result<Change, Error> {
    let before: ForwardingMark = load(root, FORWARDING)?;
    let mut mark = before.clone();
    for step in steps {
        if let Step::Sysctl { key, old } = step {
            mark.old.entry(key.clone()).or_insert_with(|| old.clone());
        }
    }
    let empty = mark.old.is_empty();
    Ok(store(FORWARDING.into(), &before, &mark, empty))
}

/// Whether another running network of the root needs forwarding sysctl `key`.
pub(super) fn needed_elsewhere(
    root: &TargetRoot,
    name: &NetName,
    key: &str,
) -> Result<bool, Error> {
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

/// Puts back every forwarding sysctl in the mark that no running network but `name` needs.
/// Returns the mark's change, and the sysctls that could not be put back.
pub(super) fn release_forwarding(
    root: &TargetRoot,
    name: &NetName,
) -> Result<(Change, Vec<String>), Error> {
    let before: ForwardingMark = load(root, FORWARDING)?;
    let mut mark = before.clone();
    let mut failed = Vec::new();
    for (key, old) in &before.old {
        if needed_elsewhere(root, name, key)? {
            continue;
        }
        match cmd::write_sysctl(key, old) {
            Ok(()) => {
                mark.old.remove(key);
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    let empty = mark.old.is_empty();
    Ok((store(FORWARDING.into(), &before, &mark, empty), failed))
}

/// Takes away the shared setup of `fw` that netloom loaded, when no running network but
/// `name` has rules in it and nothing else left rules in it.
pub(super) fn release_base(
    root: &TargetRoot,
    name: &NetName,
    fw: Firewall,
) -> Result<Change, Error> {
    if firewall_in_use(root, name, fw)? {
        return Ok(Change::Keep);
    }
    let before: BaseMark = load(root, &base_path(fw))?;
    if before.loaded.is_empty() {
        return Ok(Change::Keep);
    }
    let mark = BaseMark {
        loaded: fw::remove_base(fw, &before.loaded),
    };
    let empty = mark.loaded.is_empty();
    Ok(store(base_path(fw), &before, &mark, empty))
}
