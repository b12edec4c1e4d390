//! What netloom changed on the host for all its running networks together, rather than
//! for one: the shared firewall setup it loaded, and the forwarding sysctls it turned on.
//! The network that made such a change may stop while another still needs it, so the
//! change is kept in a mark of the root, and undone by whichever network stops last.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fw::Firewall;
use super::record::{Record, Step};
use super::{RUN_DIR, link, read, read_record, stored};
use crate::backend::RenderedFile;
use crate::backends::firewall::BaseStep;
use crate::engine::TargetRoot;
use crate::error::{Error, LiveKind};
use crate::model::network::{NetName, Network};

/// `run/netloom/firewall/BACKEND.json`: the parts of the shared firewall setup that netloom
/// itself loaded (and not libvirt, or the host's own rules).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BaseMark {
    /// The loaded steps, in order.
    pub loaded: Vec<BaseStep>,
}

/// `run/netloom/forwarding.json`: the forwarding sysctls netloom turned on, each with what
/// it overwrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ForwardingMark {
    /// Key under `/proc/sys` to its values before.
    pub old: BTreeMap<String, Saved>,
}

/// A forwarding sysctl's value before netloom raised it, and each interface's own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Saved {
    /// The global value.
    pub value: String,
    /// Each interface's forwarding key with its value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub interfaces: BTreeMap<String, String>,
}

const FORWARDING: &str = "run/netloom/forwarding.json";

fn base_path(fw: Firewall) -> String {
    format!("run/netloom/firewall/{}.json", fw.name())
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
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            Error::live(
                LiveKind::Unreadable,
                format!("{path}: not a mark netloom wrote: {e}"),
            )
        }),
    }
}

/// The change that leaves `value` at `path`: removed when `empty`, otherwise written.
fn store<T: Serialize + PartialEq>(
    path: String,
    before: &T,
    value: &T,
    empty: bool,
) -> Result<Change, Error> {
    Ok(if value == before {
        Change::Keep
    } else if empty {
        Change::Remove(path)
    } else {
        Change::Write(RenderedFile {
            contents: crate::engine::json_text(&path, value)?,
            path,
            mode: 0o644,
        })
    })
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
    store(base_path(fw), &before, &mark, empty)
}

/// The forwarding mark with the sysctls `steps` raised added (a key already in it keeps
/// its older value: that is the one before netloom).
pub(super) fn add_forwarding(root: &TargetRoot, steps: &[Step]) -> Result<Change, Error> {
    let before: ForwardingMark = load(root, FORWARDING)?;
    let mut mark = before.clone();
    for step in steps {
        if let Step::Sysctl {
            key,
            old,
            interfaces,
        } = step
        {
            mark.old.entry(key.clone()).or_insert_with(|| Saved {
                value: old.clone(),
                interfaces: interfaces.clone(),
            });
        }
    }
    let empty = mark.old.is_empty();
    store(FORWARDING.into(), &before, &mark, empty)
}

/// The root's other running networks with their records, read once per command: what
/// netloom changed for all of them stays while one of them needs it.
pub(super) struct Others(Vec<(Network, Record)>);

impl Others {
    /// Every running network of the root but `name`.
    pub(super) fn load(root: &TargetRoot, name: &NetName) -> Result<Self, Error> {
        let mut out = Vec::new();
        for net in stored(root, RUN_DIR)? {
            if &net.name == name {
                continue;
            }
            if let Some(record) = read_record(root, &net.name)? {
                out.push((net, record));
            }
        }
        Ok(Others(out))
    }

    /// Whether one of them needs forwarding sysctl `key`.
    pub(super) fn need_forwarding(&self, key: &str) -> bool {
        self.0
            .iter()
            .any(|(n, _)| link::forwarding_keys(n).contains(&key))
    }

    /// Whether one of them has its rules in `fw`.
    pub(super) fn use_firewall(&self, fw: Firewall) -> bool {
        self.0
            .iter()
            .any(|(_, r)| r.firewall.as_deref() == Some(fw.name()))
    }

    /// One that was started in another network namespace than this netloom runs in.
    pub(super) fn elsewhere(&self) -> Option<(&NetName, &str)> {
        self.0
            .iter()
            .find(|(_, r)| !super::record::same_netns(r))
            .map(|(n, r)| (&n.name, r.netns.as_str()))
    }
}

/// Puts back every forwarding sysctl in the mark that none of `others` needs.
/// Returns the mark's change, and the sysctls that could not be put back.
pub(super) fn release_forwarding(
    root: &TargetRoot,
    others: &Others,
) -> Result<(Change, Vec<String>), Error> {
    let before: ForwardingMark = load(root, FORWARDING)?;
    let mut mark = before.clone();
    let mut failed = Vec::new();
    for (key, saved) in &before.old {
        if others.need_forwarding(key) {
            continue;
        }
        match link::restore_forwarding(key, &saved.value, &saved.interfaces) {
            Ok(()) => {
                mark.old.remove(key);
            }
            Err(e) => failed.push(e.to_string()),
        }
    }
    let empty = mark.old.is_empty();
    Ok((store(FORWARDING.into(), &before, &mark, empty)?, failed))
}

/// Takes away the shared setup of `fw` that netloom loaded, when none of `others` has rules
/// in it and nothing else left rules in it.
pub(super) fn release_base(
    root: &TargetRoot,
    others: &Others,
    fw: Firewall,
) -> Result<Change, Error> {
    if others.use_firewall(fw) {
        return Ok(Change::Keep);
    }
    let before: BaseMark = load(root, &base_path(fw))?;
    if before.loaded.is_empty() {
        return Ok(Change::Keep);
    }
    let mark = BaseMark {
        loaded: fw.remove_base(&before.loaded),
    };
    let empty = mark.loaded.is_empty();
    store(base_path(fw), &before, &mark, empty)
}
