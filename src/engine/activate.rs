//! Files brought up on the running host, inside the transaction that writes them: the
//! interfaces whose configuration changes are taken down with the old files, the files
//! written, the interfaces brought up with the new ones, and (see `txn.rs`) verified before
//! the commit. Undoing it, for whatever reason, takes down what the new files brought up,
//! restores the files, and brings back up what was up before.
//!
//! What changes is told by the backend itself: its import of the files before and after
//! the plan ([`crate::live::change::touched`]). The journal records the interfaces, so the
//! timer, a `rollback` or the recovery of a killed netloom can undo it from the journal
//! alone, reopening the same way through the backend's live half.

use std::path::PathBuf;
use std::time::Duration;

use super::journal::{LiveMeta, Tx};
use super::kind::TxKind;
use super::root::TargetRoot;
use crate::backend::{Backend, Snapshot};
use crate::error::{Error, RefusedKind};
use crate::live::{Activator, change};
use crate::model::{Host, StartMode};
use crate::plan::Plan;
use crate::show::Shown;

/// How the files of an apply are brought up.
#[derive(Clone, Copy)]
pub struct Activation<'a> {
    /// The backend whose files the plan writes: it reads them back to tell what changed.
    pub backend: &'static dyn Backend,
    /// What brings them up.
    pub activator: &'a dyn Activator,
    /// How long to wait for what was brought up to match the new files' declaration;
    /// `None`: not verified.
    pub verify: Option<Duration>,
}

impl std::fmt::Debug for Activation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Activation")
            .field("backend", &self.backend.name())
            .field("via", &self.activator.via())
            .field("verify", &self.verify)
            .finish()
    }
}

/// What a transaction did, for the message after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The transaction.
    pub id: u64,
    /// The interfaces taken down with the old files, in the order they were.
    pub down: Vec<String>,
    /// The interfaces brought up with the new files, in the order they were.
    pub up: Vec<String>,
    /// Whether anything was activated at all (an activator was given).
    pub activated: bool,
}

/// What undoing a transaction did on the running host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LiveUndo {
    /// The interfaces whose configuration the transaction changed.
    pub touched: Vec<String>,
    /// Those taken down (they were up with the transaction's files).
    pub down: Vec<String>,
    /// Those brought back up with the previous files.
    pub up: Vec<String>,
    /// What could not be done, each with why.
    pub problems: Vec<String>,
}

impl LiveUndo {
    /// One sentence for a message: which interfaces were touched and what became of them.
    pub fn describe(&self) -> String {
        let list = |v: &[String]| v.iter().map(|n| Shown(n).to_string()).collect::<Vec<_>>();
        let mut parts = vec![format!(
            "interfaces touched: {}",
            list(&self.touched).join(", ")
        )];
        if !self.down.is_empty() {
            parts.push(format!("taken down: {}", list(&self.down).join(", ")));
        }
        if !self.up.is_empty() {
            parts.push(format!(
                "brought back up with the previous configuration: {}",
                list(&self.up).join(", ")
            ));
        }
        parts.extend(self.problems.iter().map(|p| Shown(p).to_string()));
        parts.join("; ")
    }
}

/// Which interfaces `plan` touches, which of them are up now and which come up with the
/// new files: read before anything changes, for the journal; and what the new files
/// declare, for verification.
pub(super) fn prepare(
    root: &TargetRoot,
    plan: &Plan,
    live: &Activation<'_>,
) -> Result<(LiveMeta, Host), Error> {
    let before = root.scan(&root.walk(), live.backend.scan())?.snapshot;
    let after = applied(&before, plan);
    let read = |snap: &Snapshot, which: &str| {
        live.backend.import(snap, &[]).map_err(|e| {
            Error::refused(
                RefusedKind::Unreadable,
                format!(
                    "cannot tell which interfaces the change touches: the {which} files do not \
                 read back ({}); --no-activate writes them without bringing anything up",
                    Error::from(e).report()
                ),
            )
        })
    };
    let old = read(&before, "current")?;
    let new = read(&after, "new")?;
    let touched = change::touched(&old, &new);
    let was_up = live.activator.up(&touched)?;
    // What comes up: what the new files start at boot, and what was up before and is
    // still declared.
    let up = touched
        .iter()
        .filter(|n| {
            new.interfaces.iter().any(|i| {
                i.name.as_str() == n.as_str()
                    && (i.start == Some(StartMode::OnBoot) || was_up.contains(n))
            })
        })
        .cloned()
        .collect();
    let meta = LiveMeta {
        via: live.activator.via().to_owned(),
        touched,
        was_up,
        up,
    };
    Ok((meta, new))
}

/// Waits for the interfaces `meta` brought up to match `declared`, field by field.
pub(super) fn verify(declared: &Host, up: &[String], timeout: Duration) -> Result<(), Error> {
    crate::live::verify::verify(&crate::live::verify::selected(declared, up), timeout)
}

/// The snapshot `before` with `plan`'s changes made.
fn applied(before: &Snapshot, plan: &Plan) -> Snapshot {
    let mut after = before.clone();
    for c in &plan.changes {
        after.binary.remove(&c.path);
        match &c.new {
            Some(new) => {
                let text = String::from_utf8_lossy(&new.bytes).into_owned();
                after.files.insert(c.path.clone(), text);
            }
            None => {
                after.files.remove(&c.path);
            }
        }
    }
    after
}

/// The interfaces an apply takes down before the files change: those it touches that are
/// up, the upper ones first.
pub(super) fn to_take_down(meta: &LiveMeta) -> Vec<String> {
    let mut down: Vec<String> = (meta.touched.iter())
        .filter(|n| meta.was_up.contains(n))
        .cloned()
        .collect();
    down.reverse();
    down
}

/// The files of `tx` as the service that loads them sees them.
pub(super) fn files_for_programs(root: &TargetRoot, tx: &Tx) -> Vec<PathBuf> {
    let base = root.path_for_programs();
    tx.meta.files.iter().map(|e| base.join(&e.path)).collect()
}

/// The activator that undoes `tx`: the one at hand (the apply that just failed), else the
/// one the journal names, reopened through its backend's live half.
pub(super) fn reopen(
    root: &TargetRoot,
    tx: &Tx,
    meta: &LiveMeta,
) -> Result<Box<dyn Activator>, Error> {
    let backend = match tx.meta.backend {
        TxKind::Files(name) => crate::backends::find(name),
        TxKind::Definitions | TxKind::Runtime | TxKind::Store(_) => None,
    };
    let live = backend.and_then(|b| b.live()).ok_or_else(|| {
        Error::refused(
            RefusedKind::Unsupported,
            format!(
                "transaction {} was brought up by {}, which no backend of this netloom \
                 offers",
                tx.meta.id, meta.via
            ),
        )
    })?;
    live.reopen(&meta.via, &root.live_context())
}

/// Undo's first live step, with the transaction's files still in place: the service's own
/// undo token (when the transaction still holds it), then the touched interfaces that are
/// up taken down with those files. What fails is noted, and the files are restored anyway.
pub(super) fn take_down_now(
    a: &dyn Activator,
    tx: &Tx,
    meta: &LiveMeta,
    holds_token: bool,
    u: &mut LiveUndo,
) {
    if let (true, Some(token)) = (holds_token, &tx.meta.checkpoint)
        && let Err(e) = a.rollback(token)
    {
        u.problems
            .push(format!("undoing through {token} failed: {}", e.report()));
    }
    let now_up = match a.up(&meta.touched) {
        Ok(up) => up,
        Err(e) => {
            u.problems.push(format!(
                "cannot tell which interfaces are up: {}",
                e.report()
            ));
            return;
        }
    };
    let mut down: Vec<String> = (meta.touched.iter().rev())
        .filter(|n| now_up.contains(n))
        .cloned()
        .collect();
    match a.down(&down) {
        Ok(()) => u.down.append(&mut down),
        Err(e) => u.problems.push(format!(
            "taking {} down failed: {}",
            down.join(", "),
            e.report()
        )),
    }
}

/// Undo's last live step, with the previous files back: what was up before brought up
/// again with them. What fails is noted.
pub(super) fn bring_back(
    a: &dyn Activator,
    root: &TargetRoot,
    tx: &Tx,
    meta: &LiveMeta,
    u: &mut LiveUndo,
) {
    let up: Vec<String> = (meta.touched.iter())
        .filter(|n| meta.was_up.contains(n))
        .cloned()
        .collect();
    match a.up_with(&files_for_programs(root, tx), &up) {
        Ok(()) => u.up = up,
        Err(e) => u.problems.push(format!(
            "bringing {} back up failed: {}",
            up.join(", "),
            e.report()
        )),
    }
}
