//! The live half of the backend contract: what a backend offers on a running host beyond
//! the files it renders (see [`crate::backend::Backend::live`]).
//!
//! A backend's configuration reaches a running host in one of two ways, and a live half
//! offers the one that fits it:
//!
//! - a [`Store`]: the configuration itself is kept by a service, which netloom changes
//!   through the service's own API and never behind its back (NetworkManager's profiles over
//!   D-Bus). The plan is made against what the service has, and the journal holds the
//!   service's objects instead of files;
//! - an [`Activator`]: the configuration is files under the root, which the engine writes
//!   as for an installer, and the activator brings up what they now say (ifupdown's `ifdown`
//!   with the old files, `ifup` with the new).
//!
//! The engine runs either inside its one transaction (plan, journal, change, activate,
//! verify, commit) and undoes both the same way. Neither the command line nor the engine
//! names a backend: they ask the registry, and each backend's folder holds its live half.

pub mod change;
pub mod cmd;
pub mod kernel;
pub mod routes;
pub mod status;
pub mod verify;

use std::path::PathBuf;

use crate::error::Error;
use crate::model::Imported;
use crate::model::{Host, IfaceName};
use crate::plan::Plan;

/// Where a command runs, for a live half deciding what it can do there.
#[derive(Debug, Clone)]
pub struct Context {
    /// The target root as other programs are given it: `/` on a running system.
    pub root: PathBuf,
    /// Whether the root is the running system's own: `/`, and not inside a chroot.
    pub running_system: bool,
}

/// A backend's live half.
pub trait Live: Send + Sync {
    /// The service or tool it works through, as messages name it ("NetworkManager").
    fn service(&self) -> &'static str;

    /// For a backend whose configuration a running service keeps: a connection to it, or
    /// why there is none. `None` for a backend whose configuration is files.
    fn store(&self) -> Option<Result<Box<dyn Store>, Error>> {
        None
    }

    /// The name a store's transactions carry in the journal (in place of a backend's
    /// name), by which a later netloom finds the live half that undoes them.
    fn store_journal_name(&self) -> Option<&'static str> {
        None
    }

    /// How the files this backend writes are brought up on this host, or why they cannot
    /// be (the tool is missing, the root is not the running system's).
    fn activator(&self, cx: &Context) -> Result<Box<dyn Activator>, Error>;

    /// The activator a journal names ([`Activator::via`]), to undo what it did: for the
    /// confirmation timer, a rollback, or the recovery of a killed netloom.
    fn reopen(&self, via: &str, cx: &Context) -> Result<Box<dyn Activator>, Error>;
}

/// One change a [`Store`] makes, as the journal keeps it: an object's key and its whole
/// state before and after, in the store's own encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRecord {
    /// What the object is called in the journal (`nm/UUID`): stable across restarts.
    pub key: String,
    /// Its state before, `None` when the change creates it.
    pub before: Option<Vec<u8>>,
    /// Its state after, `None` when the change deletes it.
    pub after: Option<Vec<u8>>,
}

/// What a [`Store`] would change: the records, in the order they are made, and the same
/// for a person to read, as a diff of files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePlan {
    /// For display, and to tell whether anything changed while it was shown.
    pub plan: Plan,
    /// The changes, in order (controllers before their ports, deletions last).
    pub records: Vec<StoreRecord>,
}

impl StorePlan {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// A hook the engine runs after each step of a store (its fault injection points):
/// called with the step's index, an error stops the step's loop.
pub type Step<'a> = &'a mut dyn FnMut(usize) -> Result<(), Error>;

/// A backend's configuration as a running service keeps it, reached through the service.
pub trait Store {
    /// What the question before a change, and the messages after it, call the service.
    fn place(&self) -> String;

    /// What one of its objects is called ("profile").
    fn noun(&self) -> &'static str;

    /// What applying `host` changes there.
    fn plan(&self, host: &Host) -> Result<StorePlan, Error>;

    /// What removing the top-level interface `name`, with its ports and slaves, changes.
    fn plan_undefine(&self, name: &IfaceName) -> Result<StorePlan, Error>;

    /// What the service has, as a host (`names` limits it to those top-level interfaces),
    /// with a note for each profile skipped and each setting it keeps but the model does not.
    fn import(&self, names: &[IfaceName]) -> Result<Imported, Error>;

    /// Before the first change: what the service itself can undo by (a checkpoint), as a
    /// token the journal keeps; it undoes by itself after a while unless committed.
    fn begin(&self) -> Result<Option<String>, Error>;

    /// Forgets `token` without undoing anything: nothing was changed (the journal could not
    /// be written), or the change is final.
    fn release(&self, token: &str) -> Result<(), Error>;

    /// Makes the records' changes in order, running `step` after each.
    fn write(&self, records: &[StoreRecord], step: Step<'_>) -> Result<(), Error>;

    /// Brings up what the records added or changed that comes up by itself; returns the
    /// interfaces it brought up.
    fn activate(&self, records: &[StoreRecord]) -> Result<Vec<String>, Error>;

    /// Keeps `token` for `secs` more seconds (a pending `--confirm`): the service's own
    /// undo then comes after netloom's timer, as a fallback.
    fn extend(&self, token: &str, secs: u64) -> Result<(), Error>;

    /// Puts back every record's previous state, newest first, running `step` after each:
    /// first through `token` when it is given and still exists, then object by object from
    /// the journal, which also works after the service restarted and forgot the token.
    /// Returns the interfaces it brought up again.
    fn undo(
        &self,
        token: Option<&str>,
        records: &[StoreRecord],
        step: Step<'_>,
    ) -> Result<Vec<String>, Error>;

    /// Before transaction `id` is made final: its token must go, or, when it is gone, the
    /// service must still have what was applied.
    fn confirm(&self, id: u64, token: Option<&str>, records: &[StoreRecord]) -> Result<(), Error>;

    /// What rolling back transaction `id` changes, shown as files; refused when something
    /// else changed its objects since, unless `force`.
    fn rollback_plan(&self, id: u64, records: &[StoreRecord], force: bool) -> Result<Plan, Error>;
}

/// How files under the running system's root are brought up: the tool that reads them
/// (ifupdown), or the service that loads them (NetworkManager reading ifcfg files).
pub trait Activator {
    /// The name the journal keeps, by which [`Live::reopen`] finds this way again.
    fn via(&self) -> &'static str;

    /// Which of `names` are up now, as this way counts them (ifupdown's state, the
    /// service's active connections).
    fn up(&self, names: &[String]) -> Result<Vec<String>, Error>;

    /// Before anything changes: what the service itself can undo by (a checkpoint), as a
    /// token the journal keeps. Most ways have none.
    fn begin(&self) -> Result<Option<String>, Error> {
        Ok(None)
    }

    /// Takes `names` down, in the order given, with the configuration the files have now
    /// (before they change).
    fn down(&self, names: &[String]) -> Result<(), Error>;

    /// Makes the changed `files` known (as the service sees them: absolute paths on the
    /// running system) and brings `names` up, in the order given.
    fn up_with(&self, files: &[PathBuf], names: &[String]) -> Result<(), Error>;

    /// Keeps `token` for `secs` more seconds (a pending `--confirm`).
    fn extend(&self, _token: &str, _secs: u64) -> Result<(), Error> {
        Ok(())
    }

    /// Undoes through `token`, first of all, when it still exists.
    fn rollback(&self, _token: &str) -> Result<(), Error> {
        Ok(())
    }

    /// Forgets `token` without undoing anything.
    fn release(&self, _token: &str) -> Result<(), Error> {
        Ok(())
    }
}
