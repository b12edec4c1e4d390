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

use super::beneath::write_err;
use super::fault;
use super::journal::{self, Reason, State, Tx};
use super::kind::TxKind;

use crate::error::{Error, LiveKind, RefusedKind};
use crate::live::{Live, Store, StoreRecord};
use crate::plan::Plan;

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

pub(super) fn undo(store: &dyn Store, tx: &mut Tx, reason: Reason) -> Result<Undone, Error> {
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
