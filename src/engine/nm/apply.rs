//! Applying a [`LivePlan`] in one checkpoint and one journalled transaction, and undoing it:
//! on failure, on `rollback`, when `--confirm` runs out, or when a killed netloom left it
//! open.
//!
//! The checkpoint restores what NetworkManager knows best (which profiles were active on
//! which device); the journal holds every touched profile's whole previous settings, so the
//! settings come back even when NetworkManager restarted and the checkpoint is gone. Undo
//! does both: the checkpoint first if it still exists, then every profile is compared with
//! the journal and put back where it differs.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::{LivePlan, Op, shown, shown_path};
use crate::backends::nm::live::{Checkpoint, Client, LiveProfile};
use crate::backends::nm::{Settings, Value};
use crate::engine::beneath::{Owner, write_err};
use crate::engine::fault;
use crate::engine::journal::{self, Reason, Record, State, Tx};
use crate::engine::{Session, time, timer};
use crate::error::Error;
use crate::plan::{Change, FileState, Plan};

/// The journal's backend name for transactions of live NetworkManager profiles.
pub const LIVE: &str = "nm-live";

/// How long NetworkManager keeps a checkpoint without `--confirm`: the longest an apply may
/// take. A netloom killed half-way is undone by NetworkManager after this, and by the next
/// netloom command on the root before it.
const SAFETY_SECS: u32 = 600;

/// With `--confirm`, NetworkManager's own rollback comes this much after netloom's timer,
/// which undoes the transaction first (journal and all); the checkpoint is the fallback for
/// a timer that died.
const GRACE_SECS: u32 = 5;

/// How long one profile may take to come up.
const ACTIVATION: Duration = Duration::from_secs(45);

/// Journal entries name profiles by UUID, which stays while ids and object paths change.
const PREFIX: &str = "nm/";

fn json(s: &Settings) -> Result<FileState, Error> {
    let bytes =
        serde_json::to_vec(s).map_err(|e| Error::Live(format!("cannot journal a profile: {e}")))?;
    Ok(FileState { bytes, mode: 0o600 })
}

/// One profile a transaction touched, as its journal has it.
struct Touched {
    uuid: String,
    before: Option<Settings>,
    after: Option<Settings>,
}

/// Every profile `tx` touched, in the order it touched them, decoded once for whoever
/// undoes, confirms or plans a rollback.
fn touched(tx: &Tx) -> Result<Vec<Touched>, Error> {
    let decode = |saved: &journal::Saved| -> Result<Settings, Error> {
        let blob = tx.blob(saved)?;
        serde_json::from_slice(&blob.bytes).map_err(|e| Error::Read {
            path: tx.shown(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
    };
    tx.meta
        .files
        .iter()
        .map(|entry| {
            Ok(Touched {
                uuid: entry
                    .path
                    .strip_prefix(PREFIX)
                    .unwrap_or(&entry.path)
                    .to_owned(),
                before: entry.before.as_ref().map(decode).transpose()?,
                after: entry.after.as_ref().map(decode).transpose()?,
            })
        })
        .collect()
}

impl Session<'_> {
    /// Applies `plan` to NetworkManager as one transaction and returns its id: a
    /// checkpoint over every device, the journal, the profile changes, then (unless
    /// `activate` is false) the changed profiles with autoconnect brought up, controllers
    /// before ports. Any failure rolls the checkpoint back and restores every profile from
    /// the journal. With `confirm`, the checkpoint stays, NetworkManager rolls it back
    /// unless `netloom confirm` comes in time, and netloom's timer does the same.
    pub fn apply_live(
        &self,
        client: &Client,
        plan: &LivePlan,
        command: &str,
        confirm: Option<u64>,
        activate: bool,
    ) -> Result<u64, Error> {
        let root = self.root();
        if let Some(id) = crate::engine::pending(root)? {
            return Err(Error::Refused(format!(
                "transaction {id} is waiting for confirmation; run `netloom confirm` or \
                 `netloom rollback` first"
            )));
        }
        let sides: Vec<(String, Option<FileState>, Option<FileState>)> = plan
            .ops
            .iter()
            .map(|op| {
                let (before, after) = match op {
                    Op::Add { settings } => (None, Some(json(settings)?)),
                    Op::Update { before, after, .. } => (Some(json(before)?), Some(json(after)?)),
                    Op::Delete { before, .. } => (Some(json(before)?), None),
                };
                Ok((format!("{PREFIX}{}", op.uuid()), before, after))
            })
            .collect::<Result<_, Error>>()?;
        let owner = Owner { uid: 0, gid: 0 };
        let records: Vec<Record<'_>> = sides
            .iter()
            .map(|(path, before, after)| Record {
                path,
                before: before.as_ref().map(|b| (b, owner)),
                after: after.as_ref().map(|a| (a, None)),
            })
            .collect();
        // The confirmation window starts at the commit, after activation; the checkpoint's
        // timeout is set to it then (`write_live`).
        let cp = client.checkpoint_create(SAFETY_SECS)?;
        let began = journal::begin(
            &root.walk(),
            LIVE,
            command,
            &records,
            Vec::new(),
            Some(&cp.0),
            time::now(),
        );
        let mut tx = match began {
            Ok(tx) => tx,
            Err(e) => {
                // Nothing was changed yet; the checkpoint only has to go.
                let _ = client.checkpoint_destroy(&cp);
                return Err(e);
            }
        };
        let done = self.write_live(client, &mut tx, plan, &cp, confirm, activate);
        if let Err(cause) = done {
            let id = tx.meta.id;
            return Err(match undo(client, &mut tx, Reason::Failed) {
                Ok(()) => Error::Undone {
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

    fn write_live(
        &self,
        client: &Client,
        tx: &mut Tx,
        plan: &LivePlan,
        cp: &Checkpoint,
        confirm: Option<u64>,
        activate: bool,
    ) -> Result<(), Error> {
        let jdir = tx.shown();
        fault::point("journaled").map_err(write_err(&jdir))?;
        if confirm.is_some() {
            timer::spawn(self.root().path_for_programs(), tx.meta.id)?;
        }
        let mut up = Vec::new();
        for (i, op) in plan.ops.iter().enumerate() {
            match op {
                Op::Add { settings } => {
                    let path = client.add(settings)?;
                    up.push((path, settings));
                }
                Op::Update { path, after, .. } => {
                    client.update(path, after)?;
                    up.push((path.clone(), after));
                }
                Op::Delete { path, .. } => client.delete(path)?,
            }
            fault::point(format_args!("profile-{i}")).map_err(write_err(&jdir))?;
        }
        if activate {
            bring_up(client, &up)?;
        }
        fault::point("commit").map_err(write_err(&jdir))?;
        match confirm {
            Some(secs) => {
                let window = u32::try_from(secs).unwrap_or(u32::MAX);
                client.checkpoint_adjust(cp, window.saturating_add(GRACE_SECS))?;
                tx.set_state(State::Pending {
                    deadline: time::now_ceil() + secs,
                })?
            }
            None => {
                client.checkpoint_destroy(cp)?;
                tx.set_state(State::Committed)?;
            }
        }
        fault::point("committed").map_err(write_err(&jdir))
    }
}

/// Activates the changed profiles that connect automatically, in plan order: controllers
/// before their ports. (A port left as it was stays attached when its controller is
/// activated again: NetworkManager attaches it by itself, which a test checks.)
fn bring_up(client: &Client, changed: &[(String, &Settings)]) -> Result<(), Error> {
    for (path, settings) in changed {
        if settings.get("connection", "autoconnect") != Some(&Value::Bool(false)) {
            client.activate(path, ACTIVATION)?;
        }
    }
    Ok(())
}

/// Undoes a live transaction for `Session`'s restore (rollback, recovery, an expired
/// `--confirm`), connecting to NetworkManager as the environment says.
pub(crate) fn restore(tx: &mut Tx, reason: Reason) -> Result<(), Error> {
    let client = Client::connect().map_err(|e| {
        Error::Live(format!(
            "transaction {} changed NetworkManager profiles and must be undone, but \
             NetworkManager cannot be reached ({e}); the journal keeps the previous settings \
             and the next netloom command restores them",
            tx.meta.id
        ))
    })?;
    undo(&client, tx, reason)
}

fn undo(client: &Client, tx: &mut Tx, reason: Reason) -> Result<(), Error> {
    // Only an open or pending transaction still has its checkpoint: a committed one
    // destroyed it, and after a restart its path may name someone else's.
    let holds_checkpoint = matches!(tx.state, State::Open | State::Pending { .. });
    if !matches!(tx.state, State::RollingBack { .. }) {
        tx.set_state(State::RollingBack { reason })?;
    }
    // The checkpoint puts devices back as they were; it is gone after a restart, or when
    // NetworkManager's own timeout already used it.
    if let Some(cp) = tx.meta.checkpoint.clone().map(Checkpoint)
        && holds_checkpoint
        && client.checkpoints()?.contains(&cp)
    {
        client.checkpoint_rollback(&cp)?;
    }
    let live = by_uuid(client.profiles()?);
    let mut restored = Vec::new();
    for (i, t) in touched(tx)?.iter().enumerate().rev() {
        match (&t.before, live.get(&t.uuid)) {
            (None, Some(p)) => client.delete(&p.path)?,
            (None, None) => {}
            (Some(want), Some(p)) => {
                if restorable(&p.settings) != restorable(want) {
                    client.update(&p.path, &want.sendable())?;
                    restored.push(p.path.clone());
                }
            }
            (Some(want), None) => restored.push(client.add(&want.sendable())?),
        }
        fault::point(format_args!("restore-{i}")).map_err(write_err(&tx.shown()))?;
    }
    // Settings alone do not change a device that is up: bring the restored ones up again
    // where they are active, as the checkpoint would have.
    let active = client.active()?;
    for p in client.profiles()? {
        let up = p.settings.uuid().is_some_and(|u| active.contains(u));
        if up && restored.contains(&p.path) {
            client.activate(&p.path, ACTIVATION)?;
        }
    }
    fault::point("restored").map_err(write_err(&tx.shown()))?;
    tx.set_state(State::RolledBack { reason })
}

/// What restoring compares: the whole settings but the time NetworkManager last
/// activated the profile, which an undo must not count as a change.
fn restorable(s: &Settings) -> Settings {
    let mut out = s.sendable();
    out.remove("connection", "timestamp");
    out
}

fn by_uuid(profiles: Vec<LiveProfile>) -> HashMap<String, LiveProfile> {
    profiles
        .into_iter()
        .filter_map(|p| Some((p.settings.uuid()?.to_owned(), p)))
        .collect()
}

/// Before `confirm` makes a live transaction final: its checkpoint must go, or
/// NetworkManager would still roll it back.
pub(crate) fn confirm(tx: &Tx) -> Result<(), Error> {
    let Some(cp) = tx.meta.checkpoint.clone().map(Checkpoint) else {
        return Ok(());
    };
    let client = Client::connect()?;
    if client.checkpoints()?.contains(&cp) {
        client.checkpoint_destroy(&cp)?;
        return Ok(());
    }
    // Gone: NetworkManager restarted, or its own timeout already rolled the change back.
    // The profiles decide: confirming is refused unless they still say what was applied.
    let live = by_uuid(client.profiles()?);
    for t in touched(tx)? {
        let have = live.get(&t.uuid).map(|p| p.settings.comparable());
        if have != t.after.as_ref().map(Settings::comparable) {
            return Err(Error::Refused(format!(
                "transaction {} can no longer be confirmed: NetworkManager's checkpoint is \
                 gone and its profiles are no longer as applied; run `netloom rollback` to \
                 restore the state before it",
                tx.meta.id
            )));
        }
    }
    Ok(())
}

/// What rolling back live transaction `tx` changes, shown as keyfile texts; refused when a
/// profile was changed since by something else, unless `force`.
pub(crate) fn rollback_plan(tx: &Tx, force: bool) -> Result<Plan, Error> {
    let client = Client::connect()?;
    let live = by_uuid(client.profiles()?);
    let id = tx.meta.id;
    let mut changes = BTreeMap::new();
    for Touched {
        uuid,
        before,
        after,
    } in touched(tx)?
    {
        let have = live.get(&uuid).map(|p| &p.settings);
        let cmp = |s: Option<&Settings>| s.map(Settings::comparable);
        if cmp(have) != cmp(after.as_ref()) && !force {
            let name = have
                .or(after.as_ref())
                .or(before.as_ref())
                .map_or(uuid.clone(), shown_path);
            return Err(Error::Refused(format!(
                "{name} was changed after transaction {id} by something other than netloom; \
                 `netloom rollback --force {id}` restores the state before it anyway"
            )));
        }
        if cmp(have) != cmp(before.as_ref()) {
            let Some(named) = have.or(before.as_ref()) else {
                continue;
            };
            let path = shown_path(named);
            changes.insert(
                path.clone(),
                Change {
                    path,
                    old: have.map(shown),
                    new: before.as_ref().map(shown),
                },
            );
        }
    }
    Ok(Plan {
        backend: "nm",
        changes: changes.into_values().collect(),
    })
}

/// Whether `root`'s transaction `tx` is one of live profiles.
pub(crate) fn is_live(tx: &Tx) -> bool {
    tx.meta.backend == LIVE
}
