//! What `netloom boot` does to the journal: a transaction still pending confirmation when the
//! machine went down is rolled back, because the person who was to confirm it lost the
//! machine (netcf's transaction script did the same at boot). Its confirmation timer died
//! with the machine, so without this the unconfirmed files would stay until some later
//! command noticed the deadline, and every network change would be refused until then.
//!
//! Files are restored early, before the host's network is configured, so the network comes
//! up from the confirmed files. A transaction of NetworkManager profiles can only be undone
//! through a running NetworkManager, so it waits for the late phase.

use super::txn::{Session, rollback_plan};
use super::{State, TargetRoot, TxKind, history};
use crate::error::{Error, LiveKind};

/// When in the boot `netloom boot` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the host's network is configured: only files can be restored.
    Early,
    /// Once the network (and NetworkManager, where there is one) is up.
    Late,
}

/// What rolling back the pending transactions did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rolled {
    /// The transactions rolled back, newest first.
    pub ids: Vec<u64>,
    /// Pending transactions left for the late phase (NetworkManager profiles).
    pub deferred: Vec<u64>,
}

/// Rolls back every transaction pending confirmation that `phase` can undo, restoring the
/// state before it even where something else changed its files since: that is what its
/// confirmation timer would have done when the deadline passed.
pub fn rollback_pending(
    session: &Session<'_>,
    root: &TargetRoot,
    phase: Phase,
) -> Result<Rolled, Error> {
    let mut out = Rolled::default();
    // Only one transaction can be pending at a time; should a journal hold more (written by
    // hand, or by another version), the newest goes first, as `rollback` needs.
    for tx in history(root)?.transactions.into_iter().rev() {
        if !matches!(tx.state, State::Pending { .. }) {
            continue;
        }
        // A service's profiles can only be undone through the running service.
        let in_store = matches!(tx.kind, TxKind::Store(_));
        if in_store && phase == Phase::Early {
            out.deferred.push(tx.id);
            continue;
        }
        let rolled = rollback_plan(root, Some(tx.id), true).and_then(|(id, plan)| match phase {
            Phase::Early => session.rollback_files(id, true, &plan),
            Phase::Late => session.rollback(id, true, &plan),
        });
        if let Err(e) = rolled {
            return Err(Error::live(
                LiveKind::Undo,
                format!(
                    "transaction {} is waiting for confirmation and could not be rolled back: {}",
                    tx.id,
                    e.report()
                ),
            ));
        }
        out.ids.push(tx.id);
    }
    Ok(out)
}
