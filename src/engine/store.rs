//! Transactions on a [`Store`]: a backend's configuration kept by a running service
//! (NetworkManager's profiles), changed through the service and journalled like files.
//!
//! The protocol is the files' one: the service's own undo token (a checkpoint) is taken,
//! the journal written with every object's whole previous and new state, the objects
//! changed, what should come up brought up, and the transaction committed, or left pending
//! for `netloom confirm`. Any failure undoes it: the token first if it still exists, then
//! every object from the journal, which works even when the service restarted and forgot
//! the token. Which backend's live half undoes a transaction is found in the registry by
//! the name the journal records, so a later netloom (the timer, the recovery of a killed
//! one) needs nothing but the journal.

use super::beneath::{Owner, write_err};
use super::fault;
use super::journal::{self, Reason, Record, State, Tx};
use super::kind::TxKind;
use super::{Session, time, timer};
use crate::error::{LiveKind, RefusedKind};
use std::time::Duration;

use crate::error::Error;
use crate::live::{Live, Store, StorePlan, StoreRecord};
use crate::model::Host;
use crate::plan::{FileState, Plan};

/// How a store transaction is applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreApply<'a> {
    /// The command, for `history` (`apply`, `undefine br0`).
    pub command: &'a str,
    /// Seconds to wait for `netloom confirm`; `None`: final at once.
    pub confirm: Option<u64>,
    /// Whether to bring up what changed; `false` only saves it.
    pub activate: bool,
    /// What was declared, and how long to wait for what was brought up to match it;
    /// `None`: not verified.
    pub verify: Option<(&'a Host, Duration)>,
}

/// The live half whose store wrote transaction `tx`, if a store did.
pub(crate) fn owner(tx: &Tx) -> Option<&'static dyn Live> {
    match tx.meta.backend {
        TxKind::Store(name) => owner_named(name),
        TxKind::Files(_) | TxKind::Definitions | TxKind::Runtime => None,
    }
}

/// The live half whose store journals its transactions as `name`, if one does.
pub(crate) fn owner_named(name: &str) -> Option<&'static dyn Live> {
    crate::backends::ALL
        .iter()
        .filter_map(|b| b.live())
        .find(|l| l.store_journal_name() == Some(name))
}

/// The records of `tx`, read back from its journal.
fn records(tx: &Tx) -> Result<Vec<StoreRecord>, Error> {
    tx.meta
        .files
        .iter()
        .map(|entry| {
            let side = |s: &Option<journal::Saved>| -> Result<Option<Vec<u8>>, Error> {
                s.as_ref().map(|s| Ok(tx.blob(s)?.bytes)).transpose()
            };
            Ok(StoreRecord {
                key: entry.path.clone(),
                before: side(&entry.before)?,
                after: side(&entry.after)?,
            })
        })
        .collect()
}

impl Session<'_> {
    /// Applies `plan` to `store` as one transaction and returns its id: the store's undo
    /// token, the journal, the changes, then (with `how.activate`) what should come up
    /// brought up. Any failure undoes everything, token first. With `how.confirm`, the
    /// token is kept for the window, and netloom's timer undoes the transaction unless
    /// `netloom confirm` comes in time.
    pub fn apply_store(
        &self,
        store: &dyn Store,
        journal_name: &str,
        plan: &StorePlan,
        how: StoreApply<'_>,
    ) -> Result<u64, Error> {
        let root = self.root();
        if let Some(id) = super::pending(root)? {
            return Err(Error::refused(
                RefusedKind::Pending,
                format!(
                    "transaction {id} is waiting for confirmation; run `netloom confirm` or \
                 `netloom rollback` first"
                ),
            ));
        }
        let state = |bytes: &Vec<u8>| FileState {
            bytes: bytes.clone(),
            mode: 0o600,
        };
        let sides: Vec<(Option<FileState>, Option<FileState>)> = plan
            .records
            .iter()
            .map(|r| (r.before.as_ref().map(state), r.after.as_ref().map(state)))
            .collect();
        let owner = Owner { uid: 0, gid: 0 };
        let journalled: Vec<Record<'_>> = plan
            .records
            .iter()
            .zip(&sides)
            .map(|(r, (before, after))| Record {
                path: &r.key,
                before: before.as_ref().map(|b| (b, owner)),
                after: after.as_ref().map(|a| (a, None)),
            })
            .collect();
        // The kind first: nothing is to undo yet if the journal could not name it.
        let kind = match owner_named(journal_name).and_then(|l| l.store_journal_name()) {
            Some(name) => TxKind::Store(name),
            None => {
                return Err(Error::refused(
                    RefusedKind::Journal,
                    format!(
                        "cannot journal this change: no service journals its transactions as '{}'",
                        crate::show::text(journal_name)
                    ),
                ));
            }
        };
        let token = store.begin()?;
        let began = journal::begin(
            &root.walk(),
            kind,
            how.command,
            &journalled,
            Vec::new(),
            token.as_deref(),
            None,
            time::now(),
        );
        let mut tx = match began {
            Ok(tx) => tx,
            Err(e) => {
                // Nothing was changed yet; the token only has to go.
                if let Some(t) = &token {
                    let _ = store.release(t);
                }
                return Err(e);
            }
        };
        if let Err(cause) = self.write_store(store, &mut tx, plan, how) {
            let id = tx.meta.id;
            return Err(match undo(store, &mut tx, Reason::Failed) {
                Ok(_) => Error::Undone {
                    id,
                    source: Box::new(cause),
                },
                Err(undo) => Error::Stuck {
                    id,
                    source: Box::new(cause),
                    undo: Box::new(undo),
                },
            });
        }
        let _ = journal::prune(root);
        Ok(tx.meta.id)
    }

    fn write_store(
        &self,
        store: &dyn Store,
        tx: &mut Tx,
        plan: &StorePlan,
        how: StoreApply<'_>,
    ) -> Result<(), Error> {
        let jdir = tx.shown();
        fault::point("journaled").map_err(write_err(&jdir))?;
        if how.confirm.is_some() {
            timer::spawn(self.root(), tx.meta.id)?;
        }
        store.write(&plan.records, &mut |i| {
            fault::point(format_args!("profile-{i}")).map_err(write_err(&jdir))
        })?;
        if how.activate {
            let up = store.activate(&plan.records)?;
            if let Some((declared, timeout)) = how.verify {
                let selected = crate::live::verify::selected(declared, &up);
                crate::live::verify::verify(&selected, timeout)?;
            }
        }
        fault::point("commit").map_err(write_err(&jdir))?;
        let token = tx.meta.checkpoint.clone();
        match how.confirm {
            Some(secs) => {
                if let Some(t) = &token {
                    store.extend(t, secs)?;
                }
                tx.set_state(State::Pending {
                    deadline: time::now_ceil() + secs,
                })?
            }
            None => {
                if let Some(t) = &token {
                    store.release(t)?;
                }
                tx.set_state(State::Committed)?;
            }
        }
        fault::point("committed").map_err(write_err(&jdir))
    }
}

/// What undoing a store transaction did, for the notice that says so.
pub(crate) struct Undone {
    /// What one object is called, with the service ("NetworkManager profile").
    pub noun: String,
}

/// Undoes store transaction `tx` for a rollback, a recovery or an expired `--confirm`,
/// reaching the store the way its live half does.
pub(crate) fn restore(live: &dyn Live, tx: &mut Tx, reason: Reason) -> Result<Undone, Error> {
    let store = match live.store() {
        Some(Ok(store)) => store,
        Some(Err(e)) => return Err(unreachable(live, tx, &e)),
        None => {
            let e = Error::refused(
                RefusedKind::Unsupported,
                format!("{} keeps no configuration", live.service()),
            );
            return Err(unreachable(live, tx, &e));
        }
    };
    undo(&*store, tx, reason)
}

/// What recovering a store transaction came to.
pub(crate) enum Recovered {
    /// It was undone.
    Undone(Undone),
    /// Its service cannot be reached (not running yet, early in the boot): a notice saying
    /// it is left as it is, for a later command to undo.
    Deferred(String),
}

/// Undoes store transaction `tx`, which a killed netloom left open or whose confirmation
/// did not come, if its service can be reached; if it cannot, it is left as it is and said
/// so, rather than failing the command: whatever the command does is unrelated to a
/// service no one can reach, and every later command tries again.
pub(crate) fn recover(
    live: &dyn Live,
    tx: &mut Tx,
    reason: Reason,
    what: &str,
) -> Result<Recovered, Error> {
    let store = match connect(live) {
        Ok(store) => store,
        Err(e) => {
            let service = live.service();
            return Ok(Recovered::Deferred(format!(
                "transaction {} {what} and changed {service}'s configuration, but {service} \
                 cannot be reached ({}); it is left as it is, and the next netloom command \
                 that reaches {service} restores the previous settings",
                tx.meta.id,
                e.report()
            )));
        }
    };
    undo(&*store, tx, reason).map(Recovered::Undone)
}

fn unreachable(live: &dyn Live, tx: &Tx, e: &Error) -> Error {
    let service = live.service();
    Error::live(
        LiveKind::Undo,
        format!(
            "transaction {} changed {service}'s configuration and must be undone, but {service} \
         cannot be reached ({}); the journal keeps the previous settings and the next \
         netloom command restores them",
            tx.meta.id,
            e.report()
        ),
    )
}

fn undo(store: &dyn Store, tx: &mut Tx, reason: Reason) -> Result<Undone, Error> {
    // Only an open or pending transaction still has its token: a committed one released
    // it, and after a restart its name may be someone else's.
    let holds_token = matches!(tx.state, State::Open | State::Pending { .. });
    if !matches!(tx.state, State::RollingBack { .. }) {
        tx.set_state(State::RollingBack { reason })?;
    }
    let token = tx.meta.checkpoint.clone().filter(|_| holds_token);
    let jdir = tx.shown();
    store.undo(token.as_deref(), &records(tx)?, &mut |i| {
        fault::point(format_args!("restore-{i}")).map_err(write_err(&jdir))
    })?;
    fault::point("restored").map_err(write_err(&jdir))?;
    tx.set_state(State::RolledBack { reason })?;
    Ok(Undone {
        noun: format!("{} {}", store.place(), store.noun()),
    })
}

/// Before `confirm` makes store transaction `tx` final: its token must go, or the service
/// would still undo it.
pub(crate) fn confirm(live: &dyn Live, tx: &Tx) -> Result<(), Error> {
    let store = connect(live)?;
    store.confirm(tx.meta.id, tx.meta.checkpoint.as_deref(), &records(tx)?)
}

/// What rolling back store transaction `tx` changes.
pub(crate) fn rollback_plan(live: &dyn Live, tx: &Tx, force: bool) -> Result<Plan, Error> {
    let store = connect(live)?;
    store.rollback_plan(tx.meta.id, &records(tx)?, force)
}

fn connect(live: &dyn Live) -> Result<Box<dyn Store>, Error> {
    live.store().unwrap_or_else(|| {
        Err(Error::refused(
            RefusedKind::Unsupported,
            format!("{} keeps no configuration", live.service()),
        ))
    })
}
