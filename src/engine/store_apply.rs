//! Applying a change to a [`Store`] as one transaction: the service's undo token, the
//! journal, the objects changed, what should come up brought up, then committed or left
//! pending (see `store.rs` for the protocol and for undoing).
//!
//! Apart from `store.rs` because the two sit on either side of a `Session`: applying is a
//! method of the session (`txn`), while undoing and recovering a store's transaction are
//! what the session's rollback and recovery call.

use std::time::Duration;

use super::beneath::{Owner, write_err};
use super::fault;
use super::journal::{self, Reason, Record, State, Tx};
use super::kind::TxKind;
use super::store::{owner_named, undo};
use super::{Session, time};
use crate::error::{Error, RefusedKind};
use crate::live::{Store, StorePlan};
use crate::model::Host;
use crate::plan::FileState;

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
        super::txn::refuse_pending(root)?;
        let sides = sides(plan);
        let journalled = journalled(plan, &sides);
        // The kind first: nothing is to undo yet if the journal could not name it.
        let kind = kind_named(journal_name)?;
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
        let mut tx = began.inspect_err(|_| {
            // Nothing was changed yet; the token only has to go.
            if let Some(t) = &token {
                let _ = store.release(t);
            }
        })?;
        if let Err(cause) = self.write_store(store, &mut tx, plan, how) {
            return Err(undo_failed(store, &mut tx, cause));
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
            super::start_timer::spawn(self.root(), tx.meta.id)?;
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

/// Each record's previous and new state, as the journal keeps a file's: the bytes, with
/// the mode a file of secrets would have.
fn sides(plan: &StorePlan) -> Vec<(Option<FileState>, Option<FileState>)> {
    let state = |bytes: &Vec<u8>| FileState {
        bytes: bytes.clone(),
        mode: 0o600,
    };
    plan.records
        .iter()
        .map(|r| (r.before.as_ref().map(state), r.after.as_ref().map(state)))
        .collect()
}

/// What the journal records of each object: its key, and its previous and new state.
fn journalled<'p>(
    plan: &'p StorePlan,
    sides: &'p [(Option<FileState>, Option<FileState>)],
) -> Vec<Record<'p>> {
    let owner = Owner { uid: 0, gid: 0 };
    plan.records
        .iter()
        .zip(sides)
        .map(|(r, (before, after))| Record {
            path: &r.key,
            before: before.as_ref().map(|b| (b, owner)),
            after: after.as_ref().map(|a| (a, None)),
        })
        .collect()
}

/// The journal's kind for a transaction of the store journalled as `journal_name`; a
/// refusal when no service's live half journals as that.
fn kind_named(journal_name: &str) -> Result<TxKind, Error> {
    match owner_named(journal_name).and_then(|l| l.store_journal_name()) {
        Some(name) => Ok(TxKind::Store(name)),
        None => Err(Error::refused(
            RefusedKind::Journal,
            format!(
                "cannot journal this change: no service journals its transactions as '{}'",
                crate::show::text(journal_name)
            ),
        )),
    }
}

/// Undoes a store transaction whose writing failed with `cause`, and says how far that
/// got: the error the command ends with.
fn undo_failed(store: &dyn Store, tx: &mut Tx, cause: Error) -> Error {
    let id = tx.meta.id;
    Error::after_undo(id, cause, undo(store, tx, Reason::Failed).map(drop))
}
