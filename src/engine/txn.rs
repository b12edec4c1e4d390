//! Transactions: apply a plan under the lock with a journal, undo it on failure, roll it back
//! on request or when its confirmation does not come, and finish whatever a killed netloom
//! left half done.

use std::collections::BTreeMap;

use super::beneath::{self, Dir, Owner, Walk, write_err};
use super::fault;
use super::journal::{self, Reason, Record, State, Tx};
use super::lock::Lock;
use super::root::TargetRoot;
use super::time;
use crate::error::Error;
use crate::plan::{Change, Plan};

/// The journal's name for transactions of `net define`, `undefine` and `autostart`: network
/// definitions, which `rollback` restores like any other files.
pub const DEFINITIONS: &str = "net";

/// The journal's name for transactions of `net start`, `stop` and `create`: the record of a
/// running network, which only stopping or starting it may change.
pub const RUNTIME: &str = "net-run";

/// A command's hold on a root: the lock, taken after any unfinished transaction has been
/// dealt with. Everything that changes the root goes through one.
#[derive(Debug)]
pub struct Session<'r> {
    root: &'r TargetRoot,
    _lock: Lock,
    notices: Vec<String>,
}

/// What `netloom history` shows of one transaction.
#[derive(Debug, Clone)]
pub struct TxInfo {
    /// The transaction id.
    pub id: u64,
    /// When it was made, in seconds since the Unix epoch.
    pub time: u64,
    /// The backend whose files it wrote.
    pub backend: String,
    /// The command that made it (`apply`, `undefine eth0`).
    pub command: String,
    /// Where it stands.
    pub state: journal::State,
    /// The files it touched, each with `A` (added), `M` (modified) or `D` (deleted).
    pub files: Vec<(char, String)>,
}

impl<'r> Session<'r> {
    /// Takes the root's lock, then restores the previous state of any transaction a killed
    /// netloom left open, finishes an interrupted rollback, and rolls back a pending
    /// transaction whose deadline has passed, in that order, newest first.
    pub fn open(root: &'r TargetRoot) -> Result<Self, Error> {
        let lock = Lock::take(root)?;
        let mut session = Session {
            root,
            _lock: lock,
            notices: Vec::new(),
        };
        session.recover()?;
        Ok(session)
    }

    /// The root this session holds.
    pub(crate) fn root(&self) -> &TargetRoot {
        self.root
    }

    /// What recovery did, one sentence each, for the user to read.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    fn recover(&mut self) -> Result<(), Error> {
        journal::remove_partials(self.root)?;
        self.notices.extend(journal::damage(self.root)?);
        let now = time::now();
        for (id, state) in journal::states(self.root)?.into_iter().rev() {
            let Some((reason, what)) = state.recovery(now) else {
                continue;
            };
            let mut tx = journal::get(self.root, id)?;
            let n = tx.meta.files.len();
            let noun = self.restore(&mut tx, reason)?;
            self.notices.push(format!(
                "transaction {} {what}; restored the previous state of {n} {noun}{}",
                tx.meta.id,
                if n == 1 { "" } else { "s" }
            ));
        }
        Ok(())
    }

    /// Applies `plan` as one transaction and returns its id. With `confirm`, the transaction
    /// stays pending until [`Session::confirm`] or until that many seconds have passed.
    ///
    /// On any failure everything already written is restored and the error says so.
    pub fn apply(&self, plan: &Plan, command: &str, confirm: Option<u64>) -> Result<u64, Error> {
        if let Some(id) = pending(self.root)? {
            return Err(Error::Refused(format!(
                "transaction {id} is waiting for confirmation; run `netloom confirm` or \
                 `netloom rollback` first"
            )));
        }
        let walk = self.root.walk();
        let limit = self.root.read_limit();
        let mut owners = Vec::with_capacity(plan.changes.len());
        for c in &plan.changes {
            let now = match walk.parent(&c.path)? {
                (Some(dir), name) => dir.read(name, limit)?,
                (None, _) => None,
            };
            if now.as_ref().map(|(s, _)| s) != c.old.as_ref() {
                return Err(Error::Refused(format!(
                    "{} changed while the plan was being made; run the command again",
                    c.path
                )));
            }
            owners.push(now.map(|(_, o)| o));
        }
        let records: Vec<Record<'_>> = plan
            .changes
            .iter()
            .zip(&owners)
            .map(|(c, owner)| Record {
                path: &c.path,
                before: c.old.as_ref().zip(*owner),
                after: c.new.as_ref().map(|n| (n, *owner)),
            })
            .collect();
        let dirs = missing_dirs(&walk, &plan.changes)?;
        let mut tx = journal::begin(
            &walk,
            plan.backend,
            command,
            &records,
            dirs,
            None,
            time::now(),
        )?;
        let written = self.write(&walk, &mut tx, plan, &owners, confirm);
        if let Err(cause) = written {
            return Err(match self.restore(&mut tx, Reason::Failed) {
                Ok(_) => Error::Undone {
                    id: tx.meta.id,
                    source: Box::new(cause),
                },
                Err(undo) => Error::Stuck {
                    id: tx.meta.id,
                    source: Box::new(cause),
                    undo: Box::new(undo),
                },
            });
        }
        // The transaction is in place; failing to forget old ones must not report it failed.
        // Whatever is left is removed by a later command.
        let _ = journal::prune(self.root);
        Ok(tx.meta.id)
    }

    /// Writes the journalled plan: directories, then each file to a temporary renamed into
    /// place (or removed), none synced on its own; then one barrier for all of them, and
    /// only then the commit. A crash before the barrier is undone from the journal, which
    /// was made durable before the first change.
    fn write(
        &self,
        walk: &Walk,
        tx: &mut Tx,
        plan: &Plan,
        owners: &[Option<Owner>],
        confirm: Option<u64>,
    ) -> Result<(), Error> {
        let shown_tx = tx.shown();
        fault::point("journaled").map_err(write_err(&shown_tx))?;
        if confirm.is_some() {
            // Before any file changes: a timer that cannot start means no change at all,
            // and one started now already watches a transaction killed half-way.
            super::timer::spawn(self.root.path_for_programs(), tx.meta.id)?;
        }
        let mut touched = Touched::default();
        let mut made = Vec::new();
        for d in &tx.meta.dirs {
            walk.make(d, 0o755, &mut made)?;
        }
        for d in &made {
            touched.parent_of(walk, d)?;
        }
        for (i, (c, owner)) in plan.changes.iter().zip(owners).enumerate() {
            // Named only for an error: a path is not worth building for every file.
            let err = |e: std::io::Error| write_err(&self.root.shown(&c.path))(e);
            let (dir, name) = walk.parent(&c.path)?;
            match (&c.new, dir) {
                (Some(new), Some(dir)) => {
                    touched.writing(&dir, made.iter().any(|m| m == dir.rel()))?;
                    let tmp = dir.write_temp(name, new, *owner, false)?;
                    fault::point(format_args!("temp-{i}")).map_err(err)?;
                    dir.rename(&tmp, name)?;
                }
                (None, Some(dir)) => {
                    if dir.unlink(name)? {
                        touched.add(&dir);
                    }
                }
                (Some(_), None) => {
                    return Err(err(std::io::ErrorKind::NotFound.into()));
                }
                (None, None) => {}
            }
            fault::point(format_args!("file-{i}")).map_err(err)?;
        }
        touched.make_durable()?;
        fault::point("commit").map_err(write_err(&shown_tx))?;
        let state = match confirm {
            // Rounded up: `--confirm 2` must leave two whole seconds, not one and a bit.
            Some(secs) => State::Pending {
                deadline: time::now_ceil() + secs,
            },
            None => State::Committed,
        };
        tx.set_state(state)?;
        fault::point("committed").map_err(write_err(&shown_tx))
    }

    /// Puts back the state before `tx`: previous bytes, modes and owners, absences, and the
    /// directories it created. Safe to repeat: a killed restore is simply run again. A file
    /// that cannot be restored does not stop the others: every one that can be is, then
    /// the error names both kinds, and the transaction stays to be finished by the next
    /// command. Returns what one of its changes is called, for the notice that says so.
    fn restore(&self, tx: &mut Tx, reason: Reason) -> Result<String, Error> {
        if let Some(live) = super::store::owner(tx) {
            return Ok(super::store::restore(live, tx, reason)?.noun);
        }
        if !matches!(tx.state, State::RollingBack { .. }) {
            tx.set_state(State::RollingBack { reason })?;
        }
        let walk = self.root.walk();
        let mut touched = Touched::default();
        let mut restored = Vec::new();
        let mut unrestored = Vec::new();
        for (i, entry) in tx.meta.files.iter().enumerate().rev() {
            let done = self
                .restore_one(&walk, tx, entry, &mut touched)
                .and_then(|()| {
                    fault::point(format_args!("restore-{i}"))
                        .map_err(|e| write_err(&self.root.shown(&entry.path))(e))
                });
            match done {
                Ok(()) => restored.push(entry.path.clone()),
                Err(e) => unrestored.push((entry.path.clone(), Box::new(e))),
            }
        }
        restored.reverse();
        unrestored.reverse();
        // Once for every file, as in `write`: a killed restore is simply run again.
        if let Err(e) = touched.make_durable() {
            let why = e.report();
            unrestored.extend(restored.drain(..).map(|p| {
                let not_durable = Error::Write {
                    path: self.root.shown(&p),
                    source: std::io::Error::other(format!("not made durable: {why}")),
                };
                (p, Box::new(not_durable))
            }));
        }
        for d in tx.meta.dirs.iter().rev() {
            // Only if empty: anything else put there since is not ours to remove.
            let Ok((Some(parent), name)) = walk.parent(d) else {
                continue;
            };
            if let Ok(Some(dir)) = parent.open_dir(name) {
                let _ = dir.remove_temporaries();
            }
            if parent.remove_dir(name)? {
                parent.fsync()?;
            }
        }
        if !unrestored.is_empty() {
            return Err(Error::PartlyRestored {
                id: tx.meta.id,
                restored,
                unrestored,
            });
        }
        fault::point("restored").map_err(write_err(&tx.shown()))?;
        tx.set_state(State::RolledBack { reason })?;
        Ok("file".into())
    }

    /// Puts one file back as it was before `tx`, unless it is already.
    fn restore_one(
        &self,
        walk: &Walk,
        tx: &Tx,
        entry: &journal::Entry,
        touched: &mut Touched,
    ) -> Result<(), Error> {
        let (dir, name) = walk.parent(&entry.path)?;
        if let Some(d) = &dir {
            touched.sweep(d)?;
        }
        let Some(saved) = &entry.before else {
            if let Some(dir) = dir
                && dir.unlink(name)?
            {
                touched.add(&dir);
            }
            return Ok(());
        };
        let want = tx.blob(saved)?;
        // A file larger than the one wanted differs from it: reading stops there.
        let have = match &dir {
            Some(d) => match d.read(name, want.bytes.len() as u64) {
                Ok(have) => have,
                Err(Error::Read { .. }) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let same = have
            .as_ref()
            .is_some_and(|(s, o)| *s == want && saved.owner.is_none_or(|w| w == *o));
        if same {
            return Ok(());
        }
        let dir = match dir {
            Some(d) => d,
            None => {
                let (parent, _) = beneath::split(&entry.path)?;
                let mut made = Vec::new();
                let d = walk.make(parent, 0o755, &mut made)?;
                for m in &made {
                    touched.parent_of(walk, m)?;
                }
                d
            }
        };
        touched.writing(&dir, false)?;
        let tmp = dir.write_temp(name, &want, saved.owner, false)?;
        dir.rename(&tmp, name)
    }

    /// Rolls back transaction `id`, provided undoing it still means exactly `shown` (the plan
    /// [`rollback_plan`] gave, which the user saw): nothing changed while they read it.
    pub fn rollback(&self, id: u64, force: bool, shown: &Plan) -> Result<(), Error> {
        let (_, now) = rollback_plan(self.root, Some(id), force)?;
        if now != *shown {
            return Err(Error::Refused(format!(
                "the files of transaction {id} changed while the plan was shown; nothing was \
                 changed; run the command again"
            )));
        }
        let mut tx = journal::get(self.root, id)?;
        self.restore(&mut tx, Reason::Requested).map(drop)
    }

    /// Undoes transaction `id`, which this session just applied, because a step after it
    /// failed (a network's dnsmasq did not start): every file it wrote is restored, and the
    /// journal records it as failed.
    pub fn undo(&self, id: u64) -> Result<(), Error> {
        let mut tx = journal::get(self.root, id)?;
        self.restore(&mut tx, Reason::Failed).map(drop)
    }

    /// Makes the pending transaction final, and returns its id.
    pub fn confirm(&self) -> Result<u64, Error> {
        let Some(id) = pending(self.root)? else {
            let expired = State::RolledBack {
                reason: Reason::Expired,
            };
            let last = journal::states(self.root)?
                .into_iter()
                .rev()
                .find(|(_, s)| *s == expired);
            return Err(Error::Refused(match last {
                Some((id, _)) => format!(
                    "nothing is waiting for confirmation; transaction {id} was not confirmed in \
                     time and was rolled back"
                ),
                None => "nothing is waiting for confirmation".into(),
            }));
        };
        let mut tx = journal::get(self.root, id)?;
        if let Some(live) = super::store::owner(&tx) {
            super::store::confirm(live, &tx)?;
        }
        tx.set_state(State::Committed)?;
        Ok(tx.meta.id)
    }
}

/// The transaction `rollback` would undo (the newest live one when `id` is `None`) and what
/// undoing it changes, after checking that it may be undone: no later live transaction
/// touched its files, and (unless `force`) nobody changed them since. Reads only.
pub fn rollback_plan(
    root: &TargetRoot,
    id: Option<u64>,
    force: bool,
) -> Result<(u64, Plan), Error> {
    let all = journal::list(root)?;
    let tx = match id {
        Some(id) => all.iter().find(|t| t.meta.id == id).ok_or_else(|| {
            Error::Refused(format!(
                "there is no transaction {id}; see `netloom history`"
            ))
        })?,
        // A running network's state is never what a bare `rollback` means.
        None => all
            .iter()
            .rev()
            .find(|t| t.state.is_live() && t.meta.backend != RUNTIME)
            .ok_or_else(|| Error::Refused("there is no transaction to roll back".into()))?,
    };
    let id = tx.meta.id;
    if let Some(waiting) = all
        .iter()
        .find(|t| matches!(t.state, State::Pending { .. }))
        && waiting.meta.id != id
    {
        return Err(Error::Refused(format!(
            "transaction {} is waiting for confirmation; confirm it or roll it back first \
             (a NetworkManager checkpoint would otherwise undo this rollback)",
            waiting.meta.id
        )));
    }
    if tx.meta.backend == RUNTIME {
        return Err(Error::Refused(format!(
            "transaction {id} ({}) recorded a running network's state; files alone cannot \
             undo that: use `netloom net stop` or `netloom net start`",
            tx.meta.command
        )));
    }
    if !tx.state.is_live() {
        return Err(Error::Refused(format!(
            "transaction {id} is {}; there is nothing to roll back",
            tx.state.describe()
        )));
    }
    for later in all.iter().filter(|t| t.meta.id > id && t.state.is_live()) {
        if let Some(shared) = later
            .meta
            .files
            .iter()
            .find(|f| tx.meta.files.iter().any(|g| g.path == f.path))
        {
            return Err(Error::Refused(format!(
                "transaction {} changed {} again after transaction {id}; roll back {} first \
                 (`netloom rollback {}`)",
                later.meta.id, shared.path, later.meta.id, later.meta.id
            )));
        }
    }
    if let Some(live) = super::store::owner(tx) {
        return Ok((id, super::store::rollback_plan(live, tx, force)?));
    }
    let mut changes = Vec::new();
    let walk = root.walk();
    for entry in &tx.meta.files {
        let have = match walk.parent(&entry.path)? {
            (Some(dir), name) => dir.read(name, root.read_limit())?.map(|(s, _)| s),
            (None, _) => None,
        };
        let after = entry.after.as_ref().map(|s| tx.blob(s)).transpose()?;
        if have != after && !force {
            return Err(Error::Refused(format!(
                "{} was changed after transaction {id} by something other than netloom; \
                 `netloom rollback --force {id}` restores the state before it anyway",
                entry.path
            )));
        }
        let before = entry.before.as_ref().map(|s| tx.blob(s)).transpose()?;
        if have != before {
            changes.push(Change {
                path: entry.path.clone(),
                old: have,
                new: before,
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    let backend = match crate::backends::find(&tx.meta.backend) {
        Some(b) => b.name(),
        None if tx.meta.backend == DEFINITIONS => DEFINITIONS,
        None => "unknown",
    };
    Ok((id, Plan { backend, changes }))
}

/// The transaction awaiting `netloom confirm`, if any. Reads only.
pub fn pending(root: &TargetRoot) -> Result<Option<u64>, Error> {
    Ok(journal::states(root)?
        .into_iter()
        .rev()
        .find(|(_, s)| matches!(s, State::Pending { .. }))
        .map(|(id, _)| id))
}

/// Every transaction of a root, oldest first, for `netloom history`. Reads only.
pub fn history(root: &TargetRoot) -> Result<Vec<TxInfo>, Error> {
    Ok(journal::list(root)?
        .into_iter()
        .map(|t| TxInfo {
            id: t.meta.id,
            time: t.meta.time,
            backend: t.meta.backend,
            command: t.meta.command,
            state: t.state,
            files: t
                .meta
                .files
                .into_iter()
                .map(|f| {
                    let mark = match (&f.before, &f.after) {
                        (None, _) => 'A',
                        (Some(_), Some(_)) => 'M',
                        (Some(_), None) => 'D',
                    };
                    (mark, f.path)
                })
                .collect(),
        })
        .collect())
}

/// Whether a root has a transaction that needs recovery or a pending deadline that passed,
/// checked without the lock, so read-only commands on a root without a journal (a CI
/// checkout) never write.
pub fn needs_recovery(root: &TargetRoot) -> Result<bool, Error> {
    let now = time::now();
    Ok(journal::states(root)?
        .iter()
        .any(|(_, s)| s.recovery(now).is_some()))
}

/// The state of transaction `id`, if it exists.
pub(crate) fn state(root: &TargetRoot, id: u64) -> Result<Option<State>, Error> {
    Ok(journal::states(root)?
        .into_iter()
        .find(|(i, _)| *i == id)
        .map(|(_, s)| s))
}

/// The directories (relative, parents first) that must be created for the plan's new
/// files, so a rollback can remove them again. Each is looked at once, however many files
/// go into it, and below a missing one nothing is looked at.
fn missing_dirs(walk: &Walk, changes: &[Change]) -> Result<Vec<String>, Error> {
    let mut dirs: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in changes.iter().filter(|c| c.new.is_some()) {
        let (parent, _) = beneath::split(&c.path)?;
        if parent.is_empty() || !seen.insert(parent) {
            continue;
        }
        let mut end = 0;
        for part in parent.split('/') {
            end += part.len();
            let prefix = &parent[..end];
            end += 1;
            if walk.dir(prefix)?.is_none() && !dirs.iter().any(|d| d == prefix) {
                dirs.push(prefix.to_owned());
            }
        }
    }
    Ok(dirs)
}

/// The directories a transaction (or its undoing) changed, to be made durable once each,
/// with everything written in them, before the commit is recorded.
#[derive(Default)]
struct Touched {
    dirs: BTreeMap<String, Dir>,
    /// The directories whose leftover temporaries are removed already.
    swept: std::collections::HashSet<String>,
}

impl Touched {
    /// `dir` has an entry added, replaced or removed.
    fn add(&mut self, dir: &Dir) {
        self.dirs
            .entry(dir.rel().to_owned())
            .or_insert_with(|| dir.clone());
    }

    /// `dir` is about to get a file: see [`Touched::sweep`].
    fn writing(&mut self, dir: &Dir, new: bool) -> Result<(), Error> {
        if !new {
            self.sweep(dir)?;
        }
        self.add(dir);
        Ok(())
    }

    /// The first time `dir` is met, the temporaries a killed netloom left there are
    /// removed: under the lock, every one is such a leftover.
    fn sweep(&mut self, dir: &Dir) -> Result<(), Error> {
        if self.swept.insert(dir.rel().to_owned()) && dir.remove_temporaries()? > 0 {
            self.add(dir);
        }
        Ok(())
    }

    /// The directory above the new directory `rel` has a new entry.
    fn parent_of(&mut self, walk: &Walk, rel: &str) -> Result<(), Error> {
        let (parent, _) = beneath::split(rel)?;
        if let Some(dir) = walk.dir(parent)? {
            self.add(&dir);
        }
        Ok(())
    }

    /// The barrier: one `syncfs` per file system the directories are on (their files'
    /// bytes, and every rename), then each directory's `fsync`, which is what makes its
    /// entries durable by POSIX, and reports an error writing them back.
    fn make_durable(&self) -> Result<(), Error> {
        let mut devices = std::collections::HashSet::new();
        for dir in self.dirs.values() {
            if devices.insert(dir.device()?) {
                dir.syncfs()?;
            }
        }
        for dir in self.dirs.values() {
            dir.fsync()?;
        }
        Ok(())
    }
}
