//! Transactions: apply a plan under the lock with a journal, undo it on failure, roll it back
//! on request or when its confirmation does not come, and finish whatever a killed netloom
//! left half done.

use std::collections::BTreeMap;
use std::time::Duration;

use super::activate::{self, Activation, Applied, LiveUndo};
use super::beneath::{self, Dir, Owner, Walk, write_err};
use super::fault;
use super::journal::{self, Reason, Record, State, Tx};
use super::kind::TxKind;
use super::lock::Lock;
use super::root::TargetRoot;
use super::time;
use crate::error::{Error, RefusedKind};
use crate::live::Activator;
use crate::model::Host;
use crate::plan::{Change, Plan};

/// The journal's name for transactions of `net define`, `undefine` and `autostart`: network
/// definitions, which `rollback` restores like any other files.
pub const DEFINITIONS: &str = TxKind::Definitions.as_str();

/// The journal's name for transactions of `net start`, `stop` and `create`: the record of a
/// running network, which only stopping or starting it may change.
pub const RUNTIME: &str = TxKind::Runtime.as_str();

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
    /// What it changed, as the journal spells it (the backend whose files it wrote).
    pub backend: String,
    /// What it changed.
    pub kind: TxKind,
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
    /// transaction whose deadline has passed, in that order, newest first. A transaction of
    /// a service's configuration whose service cannot be reached is left for a later
    /// command, with a notice.
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
        self.notices.extend(journal::remove_partials(self.root)?);
        self.notices.extend(journal::damage(self.root)?);
        let now = time::now();
        for (id, state) in journal::states(self.root)?.into_iter().rev() {
            let Some((reason, what)) = state.recovery(now) else {
                continue;
            };
            let mut tx = journal::get(self.root, id)?;
            let n = tx.meta.files.len();
            // A service's configuration waits for the service (early in the boot, before
            // NetworkManager runs): the command goes on, and a later one undoes it.
            let restored = match super::store::owner(&tx) {
                Some(live) => match super::store::recover(live, &mut tx, reason, what)? {
                    super::store::Recovered::Deferred(notice) => {
                        self.notices.push(notice);
                        continue;
                    }
                    super::store::Recovered::Undone(undone) => Restored {
                        noun: undone.noun,
                        live: None,
                    },
                },
                None => self.restore(&mut tx, reason)?,
            };
            let live = match &restored.live {
                Some(u) => format!("; {}", u.describe()),
                None => String::new(),
            };
            self.notices.push(format!(
                "transaction {} {what}; restored the previous state of {n} {}{}{live}",
                tx.meta.id,
                restored.noun,
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
        Ok(self.apply_live(plan, command, confirm, None)?.id)
    }

    /// [`Session::apply`], bringing the files up on the running host with `live`: the
    /// interfaces the plan touches are taken down with the old files before they change
    /// and brought up with the new ones after, before the commit. Any failure, of a file or
    /// of an interface, restores the files and brings the previous configuration back up,
    /// and the error says which interfaces were touched.
    pub fn apply_live(
        &self,
        plan: &Plan,
        command: &str,
        confirm: Option<u64>,
        live: Option<&Activation<'_>>,
    ) -> Result<Applied, Error> {
        refuse_pending(self.root)?;
        let walk = self.root.walk();
        let owners = self.owners_if_unchanged(&walk, plan)?;
        let records = records(plan, &owners);
        let dirs = missing_dirs(&walk, &plan.changes)?;
        let (meta, declared) = match live {
            Some(l) => {
                let (meta, declared) = activate::prepare(self.root, plan, l)?;
                (Some(meta), l.verify.map(|timeout| (declared, timeout)))
            }
            None => (None, None),
        };
        // The kind first: nothing is to undo yet if the journal could not name it.
        let kind = TxKind::parse(plan.backend).map_err(|why| {
            Error::refused(
                RefusedKind::Journal,
                format!("cannot journal this plan: {why}"),
            )
        })?;
        let opened = Opening {
            kind,
            command,
            records: &records,
            dirs,
            meta,
        };
        let mut tx = begin(&walk, opened, live.map(|l| l.activator))?;
        let started = std::cell::Cell::new(false);
        let step = live.map(|l| LiveStep {
            activator: l.activator,
            verify: declared.as_ref().map(|(host, timeout)| (host, *timeout)),
            started: &started,
        });
        if let Err(cause) = self.write(&walk, &mut tx, plan, &owners, confirm, step) {
            // Nothing live was done yet: the files alone are restored, and no interface is
            // bounced for a failure that never reached it.
            let activator = live.map(|l| l.activator).filter(|_| started.get());
            return Err(self.undo_failed(&mut tx, cause, activator));
        }
        // The transaction is in place; failing to forget old ones must not report it failed.
        // Whatever is left is removed by a later command.
        let _ = journal::prune(self.root);
        Ok(applied(&tx, live.is_some()))
    }

    /// Each planned file's owner now, provided its bytes are still the plan's old ones:
    /// what the journal keeps and a new file is written with. A refusal, naming it, for a
    /// file that changed since the plan was made.
    fn owners_if_unchanged(&self, walk: &Walk, plan: &Plan) -> Result<Vec<Option<Owner>>, Error> {
        let limit = self.root.read_limit();
        let mut owners = Vec::with_capacity(plan.changes.len());
        for c in &plan.changes {
            let now = match walk.parent(&c.path)? {
                (Some(dir), name) => dir.read(name, limit)?,
                (None, _) => None,
            };
            if now.as_ref().map(|(s, _)| s) != c.old.as_ref() {
                return Err(Error::refused(
                    RefusedKind::Stale,
                    format!(
                        "{} changed while the plan was being made; run the command again",
                        c.path
                    ),
                ));
            }
            owners.push(now.map(|(_, o)| o));
        }
        Ok(owners)
    }

    /// Restores a transaction whose writing failed with `cause`, bringing the previous
    /// configuration back up with `activator` when anything live was done (else the files
    /// alone), and says how far that got: the error the command ends with.
    fn undo_failed(&self, tx: &mut Tx, cause: Error, activator: Option<&dyn Activator>) -> Error {
        let id = tx.meta.id;
        let undo = match activator {
            Some(_) => self.restore_with(tx, Reason::Failed, activator),
            None => self.restore_files_only(tx, Reason::Failed),
        };
        match undo {
            Ok(Restored {
                live: Some(undo), ..
            }) => Error::Reverted {
                id,
                whole: undo.problems.is_empty(),
                live: undo.describe(),
                source: Box::new(cause),
            },
            other => Error::after_undo(id, cause, other.map(drop)),
        }
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
        live: Option<LiveStep<'_>>,
    ) -> Result<(), Error> {
        let shown_tx = tx.shown();
        fault::point("journaled").map_err(write_err(&shown_tx))?;
        if confirm.is_some() {
            // Before any file changes: a timer that cannot start means no change at all,
            // and one started now already watches a transaction killed half-way.
            super::start_timer::spawn(self.root, tx.meta.id)?;
        }
        // With the old files, before they change: ifupdown reads them to take an
        // interface down.
        if let (Some(l), Some(meta)) = (live, &tx.meta.live) {
            l.started.set(true);
            l.activator.down(&activate::to_take_down(meta))?;
            fault::point("down").map_err(write_err(&shown_tx))?;
        }
        let touched = self.write_files(walk, tx, plan, owners)?;
        touched.make_durable("barrier")?;
        if let Some(l) = live {
            self.bring_up(tx, l)?;
        }
        fault::point("commit").map_err(write_err(&shown_tx))?;
        self.settle(tx, confirm, live.map(|l| l.activator))?;
        fault::point("committed").map_err(write_err(&shown_tx))
    }

    /// The transaction's new directories, then each of its files, none made durable yet:
    /// what was touched, for the barrier.
    fn write_files(
        &self,
        walk: &Walk,
        tx: &Tx,
        plan: &Plan,
        owners: &[Option<Owner>],
    ) -> Result<Touched, Error> {
        let mut touched = Touched::new(walk.top());
        let mut made = Vec::new();
        for d in &tx.meta.dirs {
            walk.make(d, 0o755, &mut made)?;
        }
        for d in &made {
            touched.parent_of(walk, d)?;
        }
        for (i, (c, owner)) in plan.changes.iter().zip(owners).enumerate() {
            self.write_one(walk, i, c, *owner, &made, &mut touched)?;
        }
        Ok(touched)
    }

    /// Change `i` of the plan: its new bytes to a temporary renamed over it, or its removal.
    /// `made` are the directories this transaction created, which hold no leftovers.
    fn write_one(
        &self,
        walk: &Walk,
        i: usize,
        c: &Change,
        owner: Option<Owner>,
        made: &[String],
        touched: &mut Touched,
    ) -> Result<(), Error> {
        // Named only for an error: a path is not worth building for every file.
        let err = |e: std::io::Error| write_err(&self.root.shown(&c.path))(e);
        let (dir, name) = walk.parent(&c.path)?;
        match (&c.new, dir) {
            (Some(new), Some(dir)) => {
                touched.writing(&dir, made.iter().any(|m| m == dir.rel()))?;
                let tmp = dir.write_temp(name, new, owner, false)?;
                fault::point(format_args!("temp-{i}")).map_err(err)?;
                dir.rename(&tmp, name)?;
                touched.wrote(&dir, name);
            }
            (None, Some(dir)) => {
                if dir.unlink(name)? {
                    touched.add(&dir)?;
                }
            }
            (Some(_), None) => {
                return Err(err(std::io::ErrorKind::NotFound.into()));
            }
            (None, None) => {}
        }
        fault::point(format_args!("file-{i}")).map_err(err)
    }

    /// The written files brought up on the running host, and checked against what they
    /// declare when asked to.
    fn bring_up(&self, tx: &Tx, live: LiveStep<'_>) -> Result<(), Error> {
        let Some(meta) = &tx.meta.live else {
            return Ok(());
        };
        live.activator
            .up_with(&activate::files_for_programs(self.root, tx), &meta.up)?;
        fault::point("up").map_err(write_err(&tx.shown()))?;
        if let Some((declared, timeout)) = live.verify {
            activate::verify(declared, &meta.up, timeout)?;
        }
        Ok(())
    }

    /// The commit: the activator's undo token kept for the confirmation window or let go,
    /// then the state recorded, `pending` until a deadline or `committed`.
    fn settle(
        &self,
        tx: &mut Tx,
        confirm: Option<u64>,
        activator: Option<&dyn Activator>,
    ) -> Result<(), Error> {
        if let (Some(a), Some(token)) = (activator, &tx.meta.checkpoint) {
            match confirm {
                Some(secs) => a.extend(token, secs)?,
                None => a.release(token)?,
            }
        }
        let state = match confirm {
            // Rounded up: `--confirm 2` must leave two whole seconds, not one and a bit.
            Some(secs) => State::Pending {
                deadline: time::now_ceil() + secs,
            },
            None => State::Committed,
        };
        tx.set_state(state)
    }

    /// Puts back the state before `tx`: previous bytes, modes and owners, absences, and the
    /// directories it created. Safe to repeat: a killed restore is simply run again. A file
    /// that cannot be restored does not stop the others: every one that can be is, then
    /// the error names both kinds, and the transaction stays to be finished by the next
    /// command. A transaction that brought its files up has the interfaces its files
    /// brought up taken down first, and the ones that were up before brought back up after.
    fn restore(&self, tx: &mut Tx, reason: Reason) -> Result<Restored, Error> {
        self.restore_with(tx, reason, None)
    }

    /// [`Session::restore`] of a transaction that failed before it took anything down:
    /// only its files.
    fn restore_files_only(&self, tx: &mut Tx, reason: Reason) -> Result<Restored, Error> {
        tx.meta.live = None;
        self.restore_with(tx, reason, None)
    }

    /// [`Session::restore`] with the activator at hand, if any (else the journal's is
    /// reopened).
    fn restore_with(
        &self,
        tx: &mut Tx,
        reason: Reason,
        activator: Option<&dyn Activator>,
    ) -> Result<Restored, Error> {
        if let Some(live) = super::store::owner(tx) {
            let noun = super::store::restore(live, tx, reason)?.noun;
            return Ok(Restored { noun, live: None });
        }
        let holds_token = matches!(tx.state, State::Open | State::Pending { .. });
        if !matches!(tx.state, State::RollingBack { .. }) {
            tx.set_state(State::RollingBack { reason })?;
        }
        let mut reopened = None;
        let undo = self.take_down(tx, activator, holds_token, &mut reopened);
        let walk = self.root.walk();
        let (restored, mut unrestored) = self.restore_files(&walk, tx);
        self.remove_made_dirs(&walk, tx, &mut unrestored);
        if !unrestored.is_empty() {
            return Err(Error::PartlyRestored {
                id: tx.meta.id,
                restored,
                unrestored,
            });
        }
        let live = undo.map(|(a, meta, mut u)| {
            if let Some(a) = a {
                activate::bring_back(a, self.root, tx, &meta, &mut u);
            }
            u
        });
        fault::point("restored").map_err(write_err(&tx.shown()))?;
        tx.set_state(State::RolledBack { reason })?;
        Ok(Restored {
            noun: "file".into(),
            live,
        })
    }

    /// For a transaction that brought its files up: the interfaces they brought up taken
    /// down before the old files come back, with `activator` or, when none is at hand, the
    /// one the journal names (reopened into `reopened`). What to bring back up after, and
    /// what was done so far; a problem is noted, never an end to the restore.
    fn take_down<'a>(
        &self,
        tx: &Tx,
        activator: Option<&'a dyn Activator>,
        holds_token: bool,
        reopened: &'a mut Option<Box<dyn Activator>>,
    ) -> Option<(Option<&'a dyn Activator>, journal::LiveMeta, LiveUndo)> {
        let meta = tx.meta.live.clone()?;
        let mut u = LiveUndo {
            touched: meta.touched.clone(),
            ..LiveUndo::default()
        };
        let a = match activator {
            Some(a) => Some(a),
            None => match activate::reopen(self.root, tx, &meta) {
                Ok(a) => Some(&**reopened.insert(a)),
                Err(e) => {
                    u.problems.push(format!(
                        "nothing was brought down or up again: {}",
                        e.report()
                    ));
                    None
                }
            },
        };
        if let Some(a) = a {
            activate::take_down_now(a, tx, &meta, holds_token, &mut u);
        }
        Some((a, meta, u))
    }

    /// Every file of `tx` put back, newest change first, then made durable together: the
    /// files restored, and the ones that are not, each with why. One that fails does not
    /// stop the others.
    fn restore_files(&self, walk: &Walk, tx: &Tx) -> (Vec<String>, Vec<(String, Box<Error>)>) {
        let mut touched = Touched::new(walk.top());
        let mut restored = Vec::new();
        let mut unrestored = Vec::new();
        for (i, entry) in tx.meta.files.iter().enumerate().rev() {
            let done = self
                .restore_one(walk, tx, entry, &mut touched)
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
        if let Err(e) = touched.make_durable("restore-barrier") {
            let why = e.report();
            unrestored.extend(restored.drain(..).map(|p| {
                let not_durable = Error::Write {
                    path: self.root.shown(&p),
                    source: std::io::Error::other(format!("not made durable: {why}")),
                };
                (p, Box::new(not_durable))
            }));
        }
        (restored, unrestored)
    }

    /// The directories `tx` created removed again, deepest first, each only if empty:
    /// anything else put there since is not ours to remove. One that cannot be is added to
    /// `unrestored`, named with a slash.
    fn remove_made_dirs(&self, walk: &Walk, tx: &Tx, unrestored: &mut Vec<(String, Box<Error>)>) {
        for (i, d) in tx.meta.dirs.iter().enumerate().rev() {
            let Ok((Some(parent), name)) = walk.parent(d) else {
                continue;
            };
            if let Ok(Some(dir)) = parent.open_dir(name) {
                let _ = dir.remove_temporaries();
            }
            let removed = fault::point(format_args!("rmdir-{i}"))
                .map_err(|e| write_err(&self.root.shown(d))(e))
                .and_then(|()| parent.remove_dir(name))
                .and_then(|gone| if gone { parent.fsync() } else { Ok(()) });
            if let Err(e) = removed {
                unrestored.push((format!("{d}/"), Box::new(e)));
            }
        }
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
                touched.add(&dir)?;
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
        dir.rename(&tmp, name)?;
        touched.wrote(&dir, name);
        Ok(())
    }

    /// Rolls back transaction `id`, provided undoing it still means exactly `shown` (the plan
    /// [`rollback_plan`] gave, which the user saw): nothing changed while they read it.
    pub fn rollback(&self, id: u64, force: bool, shown: &Plan) -> Result<(), Error> {
        self.refuse_changed_since(id, force, shown)?;
        let mut tx = journal::get(self.root, id)?;
        self.restore(&mut tx, Reason::Requested).map(drop)
    }

    /// [`Session::rollback`] of the files alone, bringing nothing down or up: at boot,
    /// before the network is configured, nothing is up yet, and what comes up next reads
    /// the restored files.
    pub fn rollback_files(&self, id: u64, force: bool, shown: &Plan) -> Result<(), Error> {
        self.refuse_changed_since(id, force, shown)?;
        let mut tx = journal::get(self.root, id)?;
        self.restore_files_only(&mut tx, Reason::Requested)
            .map(drop)
    }

    /// A refusal unless undoing transaction `id` still means exactly `shown`, made again
    /// under the lock.
    fn refuse_changed_since(&self, id: u64, force: bool, shown: &Plan) -> Result<(), Error> {
        let (_, now) = rollback_plan(self.root, Some(id), force)?;
        if now != *shown {
            return Err(Error::refused(
                RefusedKind::Stale,
                format!(
                    "the files of transaction {id} changed while the plan was shown; nothing was \
                 changed; run the command again"
                ),
            ));
        }
        Ok(())
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
            return Err(Error::refused(
                RefusedKind::NothingPending,
                match last {
                    Some((id, _)) => format!(
                        "nothing is waiting for confirmation; transaction {id} was not confirmed in \
                     time and was rolled back"
                    ),
                    None => "nothing is waiting for confirmation".into(),
                },
            ));
        };
        let mut tx = journal::get(self.root, id)?;
        if let Some(live) = super::store::owner(&tx) {
            super::store::confirm(live, &tx)?;
        }
        if let (Some(meta), Some(token)) = (&tx.meta.live, &tx.meta.checkpoint) {
            activate::reopen(self.root, &tx, meta)?.release(token)?;
        }
        tx.set_state(State::Committed)?;
        Ok(tx.meta.id)
    }
}

/// The live steps of writing a transaction: what brings the files up, and what they must
/// then match.
#[derive(Clone, Copy)]
struct LiveStep<'a> {
    activator: &'a dyn Activator,
    verify: Option<(&'a Host, Duration)>,
    /// Set once anything was done on the running host.
    started: &'a std::cell::Cell<bool>,
}

/// What restoring a transaction did.
pub(crate) struct Restored {
    /// What one of its changes is called, for the notice that says so.
    pub noun: String,
    /// What was done on the running host, for a transaction that brought its files up.
    pub live: Option<LiveUndo>,
}

/// The transaction `rollback` would undo (the newest live one when `id` is `None`) and what
/// undoing it changes, after checking that it may be undone: no later live transaction
/// touched its files, and (unless `force`) nobody changed them since. Reads only.
pub fn rollback_plan(
    root: &TargetRoot,
    id: Option<u64>,
    force: bool,
) -> Result<(u64, Plan), Error> {
    let listed = journal::list(root)?;
    let tx = to_roll_back(root, &listed.found, id)?;
    refuse_unsafe_rollback(&listed, tx)?;
    let plan = match super::store::owner(tx) {
        Some(live) => super::store::rollback_plan(live, tx, force)?,
        None => files_rollback_plan(root, tx, force)?,
    };
    Ok((tx.meta.id, plan))
}

/// The transaction `rollback` means: `id`, or the newest live one that is not a running
/// network's state.
fn to_roll_back<'t>(root: &TargetRoot, all: &'t [Tx], id: Option<u64>) -> Result<&'t Tx, Error> {
    match id {
        // One that is not in the list may be there but not readable: say why.
        Some(id) => match all.iter().find(|t| t.meta.id == id) {
            Some(tx) => Ok(tx),
            None => Err(journal::get(root, id).err().unwrap_or_else(|| {
                Error::refused(
                    RefusedKind::NoTransaction,
                    format!("there is no transaction {id}; see `netloom history`"),
                )
            })),
        },
        // A running network's state is never what a bare `rollback` means.
        None => all
            .iter()
            .rev()
            .find(|t| t.state.is_live() && t.meta.backend != TxKind::Runtime)
            .ok_or_else(|| {
                Error::refused(
                    RefusedKind::NoTransaction,
                    "there is no transaction to roll back",
                )
            }),
    }
}

/// A refusal when undoing `tx` could undo more, or other, than it: a later journal entry
/// that cannot be read, another transaction waiting for confirmation, a running
/// network's state, a transaction no longer live, or a later one that changed its files
/// again.
fn refuse_unsafe_rollback(listed: &journal::Listed, tx: &Tx) -> Result<(), Error> {
    let all = &listed.found;
    let id = tx.meta.id;
    // A later entry that cannot be read may have changed the same files: undoing beneath
    // it blind could put back what it replaced.
    if let Some((later, why)) = listed.damaged.iter().find(|(d, _)| *d > id) {
        return Err(Error::refused(
            RefusedKind::Journal,
            format!(
                "journal entry {later} is later than transaction {id} and cannot be read ({why}); \
             look at it, then remove it or restore it before rolling back"
            ),
        ));
    }
    if let Some(waiting) = all
        .iter()
        .find(|t| matches!(t.state, State::Pending { .. }))
        && waiting.meta.id != id
    {
        return Err(Error::refused(
            RefusedKind::Pending,
            format!(
                "transaction {} is waiting for confirmation; confirm it or roll it back first \
             (a NetworkManager checkpoint would otherwise undo this rollback)",
                waiting.meta.id
            ),
        ));
    }
    if tx.meta.backend == TxKind::Runtime {
        return Err(Error::refused(
            RefusedKind::NotRestorable,
            format!(
                "transaction {id} ({}) recorded a running network's state; files alone cannot \
             undo that: use `netloom net stop` or `netloom net start`",
                tx.meta.command
            ),
        ));
    }
    if !tx.state.is_live() {
        return Err(Error::refused(
            RefusedKind::NotRestorable,
            format!(
                "transaction {id} is {}; there is nothing to roll back",
                tx.state.describe()
            ),
        ));
    }
    refuse_changed_again(all, tx)
}

/// A refusal when a later live transaction changed one of `tx`'s files again: it must be
/// rolled back first.
fn refuse_changed_again(all: &[Tx], tx: &Tx) -> Result<(), Error> {
    let id = tx.meta.id;
    for later in all.iter().filter(|t| t.meta.id > id && t.state.is_live()) {
        if let Some(shared) = later
            .meta
            .files
            .iter()
            .find(|f| tx.meta.files.iter().any(|g| g.path == f.path))
        {
            return Err(Error::refused(
                RefusedKind::Overwritten,
                format!(
                    "transaction {} changed {} again after transaction {id}; roll back {} first \
                 (`netloom rollback {}`)",
                    later.meta.id, shared.path, later.meta.id, later.meta.id
                ),
            ));
        }
    }
    Ok(())
}

/// What undoing file transaction `tx` changes: each file from what it has now to what it
/// had before `tx`. Unless `force`, a refusal for a file something other than netloom
/// changed since.
fn files_rollback_plan(root: &TargetRoot, tx: &Tx, force: bool) -> Result<Plan, Error> {
    let id = tx.meta.id;
    let mut changes = Vec::new();
    let walk = root.walk();
    for entry in &tx.meta.files {
        let have = match walk.parent(&entry.path)? {
            (Some(dir), name) => dir.read(name, root.read_limit())?.map(|(s, _)| s),
            (None, _) => None,
        };
        let after = entry.after.as_ref().map(|s| tx.blob(s)).transpose()?;
        if have != after && !force {
            return Err(Error::refused(
                RefusedKind::Overwritten,
                format!(
                    "{} was changed after transaction {id} by something other than netloom; \
                 `netloom rollback --force {id}` restores the state before it anyway",
                    entry.path
                ),
            ));
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
    let backend = tx.meta.backend.as_str();
    Ok(Plan { backend, changes })
}

/// A refusal while a transaction awaits `netloom confirm`: a new one would be undone with
/// it. Said here only, for files and services alike. Reads only.
pub(crate) fn refuse_pending(root: &TargetRoot) -> Result<(), Error> {
    match pending(root)? {
        Some(id) => Err(Error::refused(
            RefusedKind::Pending,
            format!(
                "transaction {id} is waiting for confirmation; run `netloom confirm` or \
             `netloom rollback` first"
            ),
        )),
        None => Ok(()),
    }
}

/// The transaction awaiting `netloom confirm`, if any. Reads only.
pub fn pending(root: &TargetRoot) -> Result<Option<u64>, Error> {
    Ok(journal::states(root)?
        .into_iter()
        .rev()
        .find(|(_, s)| matches!(s, State::Pending { .. }))
        .map(|(id, _)| id))
}

/// What `netloom history` lists: every transaction of a root it can read, oldest first,
/// and why each journal entry it cannot is not one (a damaged `meta.json`, a planted
/// directory), so none is left out in silence. Reads only, each entry once.
pub struct History {
    /// The transactions, oldest first.
    pub transactions: Vec<TxInfo>,
    /// One sentence per entry that is not a transaction netloom wrote.
    pub damaged: Vec<String>,
}

/// Every transaction of a root, and the journal entries that are not ones.
pub fn history(root: &TargetRoot) -> Result<History, Error> {
    let listed = journal::list(root)?;
    let damaged = (listed.named.into_iter())
        .chain(listed.damaged.into_iter().map(|(_, why)| why))
        .collect();
    let transactions = listed
        .found
        .into_iter()
        .map(|t| TxInfo {
            id: t.meta.id,
            time: t.meta.time,
            backend: t.meta.backend.as_str().to_owned(),
            kind: t.meta.backend,
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
        .collect();
    Ok(History {
        transactions,
        damaged,
    })
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

/// What the journal records of each planned file: its path, and its old and new state
/// with the owner it has now.
fn records<'p>(plan: &'p Plan, owners: &[Option<Owner>]) -> Vec<Record<'p>> {
    plan.changes
        .iter()
        .zip(owners)
        .map(|(c, owner)| Record {
            path: &c.path,
            before: c.old.as_ref().zip(*owner),
            after: c.new.as_ref().map(|n| (n, *owner)),
        })
        .collect()
}

/// What a transaction of files is journalled as, before anything is taken.
struct Opening<'a> {
    kind: TxKind,
    command: &'a str,
    records: &'a [Record<'a>],
    dirs: Vec<String>,
    meta: Option<journal::LiveMeta>,
}

/// Takes the activator's undo token, if it has one, then writes the journal that records
/// it. Nothing was changed yet if the journal cannot be written: the token only has to go.
fn begin(walk: &Walk, o: Opening<'_>, activator: Option<&dyn Activator>) -> Result<Tx, Error> {
    let token = match activator {
        Some(a) => a.begin()?,
        None => None,
    };
    journal::begin(
        walk,
        o.kind,
        o.command,
        o.records,
        o.dirs,
        token.as_deref(),
        o.meta,
        time::now(),
    )
    .inspect_err(|_| {
        if let (Some(a), Some(t)) = (activator, &token) {
            let _ = a.release(t);
        }
    })
}

/// What an applied transaction did, for the message after it.
fn applied(tx: &Tx, activated: bool) -> Applied {
    let (down, up) = match &tx.meta.live {
        Some(m) => (activate::to_take_down(m), m.up.clone()),
        None => (Vec::new(), Vec::new()),
    };
    Applied {
        id: tx.meta.id,
        down,
        up,
        activated,
    }
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
struct Touched {
    dirs: BTreeMap<String, Dir>,
    /// The directories whose leftover temporaries are removed already.
    swept: std::collections::HashSet<String>,
    /// The root's directory, opened before anything was written: what `syncfs` is asked
    /// on the root's file system (see [`Dir::syncfs`]).
    top: Dir,
    /// Whether a touched directory is on the root's file system.
    on_top: bool,
    /// For every other file system (a mount under the root), the first touched directory
    /// on it, which was opened before anything was written into it.
    others: Vec<(u64, Dir)>,
    /// The files written, on a kernel whose `syncfs` reports no write-back error.
    written: Option<Vec<(Dir, String)>>,
}

impl Touched {
    /// Nothing touched yet under the root whose directory is `top`.
    fn new(top: &Dir) -> Self {
        Touched {
            dirs: BTreeMap::new(),
            swept: std::collections::HashSet::new(),
            top: top.clone(),
            on_top: false,
            others: Vec::new(),
            written: (!beneath::syncfs_reports_errors()).then(Vec::new),
        }
    }

    /// `dir` has an entry added, replaced or removed.
    fn add(&mut self, dir: &Dir) -> Result<(), Error> {
        if self.dirs.contains_key(dir.rel()) {
            return Ok(());
        }
        let device = dir.device()?;
        if device == self.top.device()? {
            self.on_top = true;
        } else if !self.others.iter().any(|(d, _)| *d == device) {
            self.others.push((device, dir.clone()));
        }
        self.dirs.insert(dir.rel().to_owned(), dir.clone());
        Ok(())
    }

    /// `dir` is about to get a file: see [`Touched::sweep`].
    fn writing(&mut self, dir: &Dir, new: bool) -> Result<(), Error> {
        if !new {
            self.sweep(dir)?;
        }
        self.add(dir)
    }

    /// The file `name` was written in `dir` (and `dir` added already).
    fn wrote(&mut self, dir: &Dir, name: &str) {
        if let Some(written) = &mut self.written {
            written.push((dir.clone(), name.to_owned()));
        }
    }

    /// The first time `dir` is met, the temporaries a killed netloom left there are
    /// removed: under the lock, every one is such a leftover.
    fn sweep(&mut self, dir: &Dir) -> Result<(), Error> {
        if self.swept.insert(dir.rel().to_owned()) && dir.remove_temporaries()? > 0 {
            self.add(dir)?;
        }
        Ok(())
    }

    /// The directory above the new directory `rel` has a new entry.
    fn parent_of(&mut self, walk: &Walk, rel: &str) -> Result<(), Error> {
        let (parent, _) = beneath::split(rel)?;
        if let Some(dir) = walk.dir(parent)? {
            self.add(&dir)?;
        }
        Ok(())
    }

    /// The barrier (fault point `point` first): one `syncfs` per file system the
    /// directories are on (their files' bytes, and every rename), each asked on a directory
    /// opened before the first write, so that from Linux 5.8 it reports any error writing
    /// them back; on older kernels, whose `syncfs` reports none, an `fdatasync` of each file
    /// written, which does. Then each directory's `fsync`, which is what makes its entries
    /// durable by POSIX, and reports an error writing them back.
    fn make_durable(&self, point: &str) -> Result<(), Error> {
        fault::point(point).map_err(write_err(&self.top.shown_self()))?;
        if self.on_top {
            self.top.syncfs()?;
        }
        for (_, dir) in &self.others {
            dir.syncfs()?;
        }
        for (dir, name) in self.written.iter().flatten() {
            dir.sync_file(name)?;
        }
        for dir in self.dirs.values() {
            dir.fsync()?;
        }
        Ok(())
    }
}
