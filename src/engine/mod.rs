//! The only code that touches a target root: reading what backends ask for, and writing what
//! they render. Every file operation goes through `beneath.rs`, which walks the root from
//! its directory without following symbolic links, so nothing outside it is read or written.
//!
//! Changes are made in transactions ([`Session`]): under a lock, journalled before the first
//! write (see `journal.rs` for the format and the states), each file written to a temporary
//! beside it and renamed into place, made durable together before the commit is recorded,
//! and undone on any failure. A killed netloom is cleaned up after by the next one.
//! `render --out`, which writes a scratch tree rather than a system, uses [`write_files`]
//! without a journal.

mod activate;
mod beneath;
pub mod boot;
mod change;
mod fault;
mod journal;
mod kind;
mod lock;
mod netstore;
pub mod network;
pub mod port;
mod root;
mod start_timer;
mod store;
mod store_apply;
mod time;
mod timer;
mod txn;

pub use activate::{Activation, Applied};
pub use change::{
    Answer, Change, FileChange, Outcome, Person, Question, StoreChange, Wanted, commit, roll_back,
};
/// The variable that injects a fault (see `fault.rs`); only builds with the tests' hooks have it.
#[cfg(feature = "fault-injection")]
pub use fault::VAR as FAULT_VAR;
pub use journal::{Reason, State};
pub use kind::TxKind;
use root::Scan;
pub use root::{Chroot, TargetRoot, chroot};
pub use start_timer::VERB as TIMER_VERB;
pub use store_apply::StoreApply;
pub use time::utc;
pub use timer::{open_root as timer_root, run as run_timer};
pub use txn::{
    DEFINITIONS, History, RUNTIME, Session, TxInfo, history, needs_recovery, pending, rollback_plan,
};

use std::collections::{BTreeMap, HashSet};

use beneath::Walk;

use crate::backend::{Backend, RenderedFile};
use crate::error::{Diagnostic, Diagnostics, Error};
use crate::model::{Host, IfaceName};
use crate::plan::{FileState, Plan};
use crate::source::SourceFile;

/// Writes each file under the root whole (a temporary renamed over it), so a reader sees
/// the old file or the new one, never half of either; a file whose bytes and mode are
/// already those is not touched. For a preview tree (`render --out`): nothing is synced, so
/// after a crash a file may be old, new, or empty. No lock is taken, unless the tree is a
/// root netloom applies to (it has netloom's state): there an `apply` running at the same
/// time removes every temporary it finds in the directories it writes, this call's too.
pub fn write_files(root: &TargetRoot, files: &[RenderedFile]) -> Result<(), Error> {
    let _lock = if root.exists(lock::STATE_DIR) {
        Some(lock::Lock::take(root)?)
    } else {
        None
    };
    let walk = root.walk();
    // Directories made by this call hold nothing to compare with.
    let mut made = Vec::new();
    for file in files {
        let (parent, name) = beneath::split(&file.path)?;
        let dir = walk.make(parent, 0o755, &mut made)?;
        let state = FileState {
            bytes: file.contents.as_bytes().to_vec(),
            mode: file.mode,
        };
        let fresh = made.last().is_some_and(|m| m == parent);
        // Anything larger than the new bytes differs from them: reading stops there.
        let same = !fresh
            && match dir.read(name, state.bytes.len() as u64) {
                Ok(have) => have.is_some_and(|(s, _)| s == state),
                Err(Error::Read { .. }) => false,
                Err(other) => return Err(other),
            };
        if !same {
            let tmp = dir.write_temp(name, &state, None, false)?;
            dir.rename(&tmp, name)?;
        }
    }
    Ok(())
}

/// What applying `host` with `backend` would change under the root: the rendered files that
/// differ, and the files the backend owns but no longer renders (an interface that was
/// removed from the declaration), planned as deletions.
pub fn plan(root: &TargetRoot, backend: &'static dyn Backend, host: &Host) -> Result<Plan, Error> {
    let walk = root.walk();
    let scan = root.scan(&walk, backend.scan())?;
    let rendered = backend.render(host, &scan.snapshot)?;
    let names: HashSet<&str> = rendered.iter().map(|f| f.path.as_str()).collect();
    let removed: Vec<String> = scan
        .snapshot
        .files
        .keys()
        .chain(scan.binary.keys())
        .filter(|p| {
            backend.owns(p, scan.snapshot.files.get(*p).map(String::as_str))
                && !names.contains(p.as_str())
        })
        .cloned()
        .collect();
    let current = current(
        root,
        &walk,
        rendered.iter().map(|f| &f.path).chain(&removed),
        &scan,
    )?;
    let plan = Plan::new(backend.name(), rendered, removed, current);
    refuse_unreadable(&plan, &scan)?;
    Ok(plan)
}

/// `value` as the pretty JSON netloom keeps its state in, with a final newline, for the file
/// at `path`. A value that cannot be serialised is an error naming the file, never an empty
/// file in its place.
pub(crate) fn json_text(path: &str, value: &impl serde::Serialize) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::Write {
        path: path.to_owned(),
        source: e.into(),
    })?;
    text.push('\n');
    Ok(text)
}

/// What writing `files` and deleting `removed` would change under the root, for callers
/// that decide the files themselves (a network's definition and runtime state) rather than
/// through a host backend.
pub fn plan_paths(
    root: &TargetRoot,
    name: &'static str,
    files: Vec<RenderedFile>,
    removed: Vec<String>,
) -> Result<Plan, Error> {
    let scan = Scan::default();
    let walk = root.walk();
    let current = current(
        root,
        &walk,
        files.iter().map(|f| &f.path).chain(&removed),
        &scan,
    )?;
    Ok(Plan::new(name, files, removed, current))
}

/// What removing interface `name` (with its ports and slaves) would change: its files are
/// deleted, or, where a file also holds other interfaces, rewritten without it.
pub fn plan_undefine(
    root: &TargetRoot,
    backend: &'static dyn Backend,
    name: &IfaceName,
) -> Result<Plan, Error> {
    let walk = root.walk();
    let scan = root.scan(&walk, backend.scan())?;
    // A file of the backend's that could not be read may configure the interface: what
    // removing it changes cannot be told.
    let unread: Vec<Diagnostic> = (scan.snapshot.binary.iter())
        .filter(|(p, _)| backend.owns(p, None))
        .map(|(_, d)| {
            d.clone().with_note(format!(
                "netloom cannot tell whether this file configures '{name}'; convert it to \
                 UTF-8 or move it away, then run the command again"
            ))
        })
        .collect();
    if !unread.is_empty() {
        return Err(Error::Invalid(Diagnostics(unread)));
    }
    let existing = &scan.snapshot;
    let target = backend.import(existing, std::slice::from_ref(name))?;
    let removal = backend.undefine(existing, &target)?;
    let touched: Vec<&String> = removal
        .files
        .iter()
        .map(|f| &f.path)
        .chain(&removal.removed)
        .collect();
    let current = current(root, &walk, touched.into_iter(), &scan)?;
    let plan = Plan::new(backend.name(), removal.files, removal.removed, current);
    refuse_unreadable(&plan, &scan)?;
    Ok(plan)
}

/// Refuses a plan that would replace or delete a file netloom could not read as text: its
/// bytes could not be kept, nor shown as the change they are. No backend owns files that
/// are not text; one that did would say so here.
fn refuse_unreadable(plan: &Plan, scan: &Scan) -> Result<(), Error> {
    let problems: Vec<Diagnostic> = plan
        .changes
        .iter()
        .filter_map(|c| {
            let old = c.old.as_ref()?;
            let problem = match scan.snapshot.binary.get(&c.path) {
                Some(p) => p.clone(),
                None => *SourceFile::from_bytes(c.path.as_str(), old.bytes.clone()).err()?,
            };
            let verb = if c.new.is_some() { "replace" } else { "delete" };
            Some(problem.with_note(format!(
                "netloom would {verb} this file, and cannot keep bytes it could not read; \
                 convert it to UTF-8 or move it away, then run the command again"
            )))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(Diagnostics(problems)))
    }
}

/// The current state of each path: from the scan where it was read already, else from the
/// disk, in parallel.
fn current<'a>(
    root: &TargetRoot,
    walk: &Walk,
    paths: impl Iterator<Item = &'a String>,
    scan: &Scan,
) -> Result<BTreeMap<String, Option<FileState>>, Error> {
    let paths: Vec<&String> = paths.collect();
    let read = |rel: &&String| -> Result<(String, Option<FileState>), Error> {
        let known = match (scan.snapshot.files.get(*rel), scan.modes.get(*rel)) {
            (Some(text), Some(mode)) => Some(FileState {
                bytes: text.as_bytes().to_vec(),
                mode: *mode,
            }),
            _ => scan.binary.get(*rel).cloned(),
        };
        if let Some(state) = known {
            return Ok(((*rel).clone(), Some(state)));
        }
        let (dir, name) = walk.parent(rel)?;
        let state = match dir {
            Some(d) => d.read(name, root.read_limit())?.map(|(s, _)| s),
            None => None,
        };
        Ok(((*rel).clone(), state))
    };
    crate::parallel::map(&paths, 256, read)
        .into_iter()
        .collect()
}
