//! A running NetworkManager as a [`Store`]: its profiles are changed over D-Bus (never
//! behind its back, by writing keyfiles it has loaded), inside a checkpoint, and journalled
//! by the engine like files, so a rollback works even after the daemon restarted and forgot
//! the checkpoint.
//!
//! The checkpoint restores what NetworkManager knows best (which profiles were active on
//! which device); the journal holds every touched profile's whole previous settings, so the
//! settings come back even when the checkpoint is gone. Undo does both: the checkpoint
//! first if it still exists, then every profile is compared with the journal and put back
//! where it differs.

use std::collections::{BTreeMap, HashMap};

use super::plan::{PREFIX, shown, shown_path};
use super::{Checkpoint, Client, LiveProfile};
use crate::backends::nm::{Settings, Value};
use crate::error::{Error, LiveKind, RefusedKind};
use crate::live::{Step, Store, StorePlan, StoreRecord};
use crate::model::Imported;
use crate::model::{Host, IfaceName};
use crate::plan::{Change, Plan};

/// The journal's backend name for transactions of live NetworkManager profiles.
pub const JOURNAL: &str = "nm-live";

use super::{ACTIVATION, GRACE_SECS, SAFETY_SECS};

/// NetworkManager's profiles, reached over D-Bus.
#[derive(Debug)]
pub struct NmStore {
    client: Client,
}

impl NmStore {
    /// The store behind a connected client.
    pub fn new(client: Client) -> Self {
        NmStore { client }
    }

    /// The client, for callers that also read what the store does not say.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// One profile a transaction touched, decoded from its journal record.
struct Touched {
    uuid: String,
    before: Option<Settings>,
    after: Option<Settings>,
}

/// The profiles of `records`, decoded.
fn touched(records: &[StoreRecord]) -> Result<Vec<Touched>, Error> {
    let decode = |bytes: &Vec<u8>| -> Result<Settings, Error> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::live(
                LiveKind::Unreadable,
                format!("a journalled profile cannot be read: {e}"),
            )
        })
    };
    records
        .iter()
        .map(|r| {
            Ok(Touched {
                uuid: r.key.strip_prefix(PREFIX).unwrap_or(&r.key).to_owned(),
                before: r.before.as_ref().map(decode).transpose()?,
                after: r.after.as_ref().map(decode).transpose()?,
            })
        })
        .collect()
}

fn by_uuid(profiles: Vec<LiveProfile>) -> HashMap<String, LiveProfile> {
    profiles
        .into_iter()
        .filter_map(|p| Some((p.settings.uuid()?.to_owned(), p)))
        .collect()
}

/// The object path of the live profile `uuid`, which a change was planned against.
fn path_of<'a>(live: &'a HashMap<String, LiveProfile>, uuid: &str) -> Result<&'a str, Error> {
    live.get(uuid).map(|p| p.path.as_str()).ok_or_else(|| {
        Error::refused(
            RefusedKind::Stale,
            format!(
                "NetworkManager's profile {uuid} went away while the change was being made; \
             run the command again"
            ),
        )
    })
}

/// What restoring compares: the whole settings but the time NetworkManager last
/// activated the profile, which an undo must not count as a change.
fn restorable(s: &Settings) -> Settings {
    let mut out = s.sendable();
    out.remove("connection", "timestamp");
    out
}

impl Store for NmStore {
    fn place(&self) -> String {
        "NetworkManager".into()
    }

    fn noun(&self) -> &'static str {
        "profile"
    }

    fn plan(&self, host: &Host) -> Result<StorePlan, Error> {
        super::plan::plan(&self.client, host)
    }

    fn plan_undefine(&self, name: &IfaceName) -> Result<StorePlan, Error> {
        super::plan::plan_undefine(&self.client, name)
    }

    fn import(&self, names: &[IfaceName]) -> Result<Imported, Error> {
        super::plan::import(&self.client, names)
    }

    /// A checkpoint over every device. The confirmation window starts at the commit, after
    /// activation; the checkpoint's timeout is set to it then ([`Store::extend`]).
    fn begin(&self) -> Result<Option<String>, Error> {
        Ok(Some(self.client.checkpoint_create(SAFETY_SECS)?.0))
    }

    fn release(&self, token: &str) -> Result<(), Error> {
        Ok(self
            .client
            .checkpoint_destroy(&Checkpoint(token.to_owned()))?)
    }

    fn write(&self, records: &[StoreRecord], step: Step<'_>) -> Result<(), Error> {
        let live = by_uuid(self.client.profiles()?);
        for (i, t) in touched(records)?.iter().enumerate() {
            match (&t.before, &t.after) {
                (None, Some(after)) => {
                    self.client.add(after)?;
                }
                (Some(_), Some(after)) => self.client.update(path_of(&live, &t.uuid)?, after)?,
                (Some(_), None) => self.client.delete(path_of(&live, &t.uuid)?)?,
                (None, None) => {}
            }
            step(i)?;
        }
        Ok(())
    }

    /// Activates the changed profiles that connect automatically, in plan order:
    /// controllers before their ports. (A port left as it was stays attached when its
    /// controller is activated again: NetworkManager attaches it by itself, which a test
    /// checks.)
    fn activate(&self, records: &[StoreRecord]) -> Result<Vec<String>, Error> {
        let live = by_uuid(self.client.profiles()?);
        let mut up = Vec::new();
        for t in touched(records)? {
            let Some(after) = &t.after else { continue };
            if after.get("connection", "autoconnect") == Some(&Value::Bool(false)) {
                continue;
            }
            self.client.activate(path_of(&live, &t.uuid)?, ACTIVATION)?;
            up.extend(after.interface_name().map(str::to_owned));
        }
        Ok(up)
    }

    fn extend(&self, token: &str, secs: u64) -> Result<(), Error> {
        let window = u32::try_from(secs).unwrap_or(u32::MAX);
        Ok(self.client.checkpoint_adjust(
            &Checkpoint(token.to_owned()),
            window.saturating_add(GRACE_SECS),
        )?)
    }

    fn undo(
        &self,
        token: Option<&str>,
        records: &[StoreRecord],
        step: Step<'_>,
    ) -> Result<Vec<String>, Error> {
        let client = &self.client;
        // The checkpoint puts devices back as they were; it is gone after a restart, or
        // when NetworkManager's own timeout already used it.
        if let Some(cp) = token.map(|t| Checkpoint(t.to_owned()))
            && client.checkpoints()?.contains(&cp)
        {
            client.checkpoint_rollback(&cp)?;
        }
        let live = by_uuid(client.profiles()?);
        let mut restored = Vec::new();
        for (i, t) in touched(records)?.iter().enumerate().rev() {
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
            step(i)?;
        }
        // Settings alone do not change a device that is up: bring the restored ones up
        // again where they are active, as the checkpoint would have.
        let active = client.active()?;
        let mut up = Vec::new();
        for p in client.profiles()? {
            let on = p.settings.uuid().is_some_and(|u| active.contains(u));
            if on && restored.contains(&p.path) {
                client.activate(&p.path, ACTIVATION)?;
                up.extend(p.settings.interface_name().map(str::to_owned));
            }
        }
        Ok(up)
    }

    fn confirm(&self, id: u64, token: Option<&str>, records: &[StoreRecord]) -> Result<(), Error> {
        let Some(cp) = token.map(|t| Checkpoint(t.to_owned())) else {
            return Ok(());
        };
        if self.client.checkpoints()?.contains(&cp) {
            self.client.checkpoint_destroy(&cp)?;
            return Ok(());
        }
        // Gone: NetworkManager restarted, or its own timeout already rolled the change
        // back. The profiles decide: confirming is refused unless they still say what was
        // applied.
        let live = by_uuid(self.client.profiles()?);
        for t in touched(records)? {
            let have = live.get(&t.uuid).map(|p| p.settings.comparable());
            if have != t.after.as_ref().map(Settings::comparable) {
                return Err(Error::refused(
                    RefusedKind::Stale,
                    format!(
                        "transaction {id} can no longer be confirmed: NetworkManager's checkpoint \
                     is gone and its profiles are no longer as applied; run `netloom rollback` \
                     to restore the state before it"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn rollback_plan(&self, id: u64, records: &[StoreRecord], force: bool) -> Result<Plan, Error> {
        let live = by_uuid(self.client.profiles()?);
        let mut changes = BTreeMap::new();
        for Touched {
            uuid,
            before,
            after,
        } in touched(records)?
        {
            let have = live.get(&uuid).map(|p| &p.settings);
            let cmp = |s: Option<&Settings>| s.map(Settings::comparable);
            if cmp(have) != cmp(after.as_ref()) && !force {
                let name = have
                    .or(after.as_ref())
                    .or(before.as_ref())
                    .map_or(uuid.clone(), shown_path);
                return Err(Error::refused(
                    RefusedKind::Overwritten,
                    format!(
                        "{name} was changed after transaction {id} by something other than \
                     netloom; `netloom rollback --force {id}` restores the state before it \
                     anyway"
                    ),
                ));
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
}
