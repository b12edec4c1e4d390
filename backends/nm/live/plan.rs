//! What a running NetworkManager needs to match a declaration: each rendered profile
//! matched with a live one, by UUID (netloom derives it from the interface name), else by
//! interface name and type, so a profile the installer or the user made is updated rather
//! than doubled. Only the keys netloom manages are compared and shown
//! ([`Settings::comparable`]); the rest of a live profile (DNS servers, a zone) is kept when
//! it is updated. Live profiles with netloom's UUID that are no longer rendered are
//! deleted, as files a backend owns are.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{Client, LiveProfile};
use crate::backends::nm::settings::Value;
use crate::backends::nm::{Settings, keyfile, render};
use crate::error::{Error, LiveKind, RefusedKind};
use crate::live::{StorePlan, StoreRecord};
use crate::model::Imported;
use crate::model::{Host, IfaceName};
use crate::plan::{Change, FileState, Plan};

/// Journal entries name profiles by UUID, which stays while ids and object paths change.
pub(super) const PREFIX: &str = "nm/";

/// What one profile needs.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// A new profile.
    Add {
        /// The whole profile.
        settings: Settings,
    },
    /// An existing profile that differs.
    Update {
        /// Its settings now, whole.
        before: Settings,
        /// What replaces them: `before` with the managed keys rendered.
        after: Settings,
    },
    /// A profile that is no longer wanted.
    Delete {
        /// Its settings now, whole.
        before: Settings,
    },
}

impl Op {
    fn uuid(&self) -> &str {
        match self {
            Op::Add { settings: s }
            | Op::Update { after: s, .. }
            | Op::Delete { before: s, .. } => s.uuid().unwrap_or_default(),
        }
    }
}

/// The ops of a plan as the journal keeps them: each profile's whole settings before and
/// after, as JSON, under `nm/UUID`; and the same as a diff of keyfile texts, so the user
/// reads it like a diff of files.
fn store_plan(ops: Vec<Op>) -> Result<StorePlan, Error> {
    let records = ops
        .iter()
        .map(|op| {
            let (before, after) = match op {
                Op::Add { settings } => (None, Some(json(settings)?)),
                Op::Update { before, after, .. } => (Some(json(before)?), Some(json(after)?)),
                Op::Delete { before, .. } => (Some(json(before)?), None),
            };
            Ok(StoreRecord {
                key: format!("{PREFIX}{}", op.uuid()),
                before,
                after,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(StorePlan {
        plan: display(&ops),
        records,
    })
}

/// A profile as the journal keeps it.
fn json(s: &Settings) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(s).map_err(|e| {
        Error::live(
            LiveKind::Unreadable,
            format!("cannot journal a profile: {e}"),
        )
    })
}

/// What applying `host` changes in the NetworkManager behind `client`.
pub fn plan(client: &Client, host: &Host) -> Result<StorePlan, Error> {
    let desired = render::profiles(host)?;
    let live = client.profiles()?;
    let (matched, taken) = matches(&desired, &live);
    for (d, m) in desired.iter().zip(&matched) {
        refuse_other_uuid(d, *m)?;
    }
    let mut ops = changes(desired, &matched);
    for p in live.iter().rev() {
        if crate::backends::nm::netlooms(&p.settings)
            && p.settings.uuid().is_some_and(|u| !taken.contains(u))
        {
            ops.push(Op::Delete {
                before: p.settings.clone(),
            });
        }
    }
    store_plan(ops)
}

/// The live profile each desired one replaces, if any, and the UUIDs of those taken. UUIDs
/// first, for every profile, so a name match never takes a profile another rendered
/// profile has by UUID; then names (device and kind), among the live profiles left.
fn matches<'l>(
    desired: &[Settings],
    live: &'l [LiveProfile],
) -> (Vec<Option<&'l LiveProfile>>, HashSet<&'l str>) {
    let by_uuid: HashMap<&str, &LiveProfile> = (live.iter())
        .filter_map(|p| Some((p.settings.uuid()?, p)))
        .collect();
    let wanted: HashSet<&str> = desired.iter().filter_map(Settings::uuid).collect();
    let mut matched: Vec<Option<&LiveProfile>> = (desired.iter())
        .map(|d| d.uuid().and_then(|u| by_uuid.get(u).copied()))
        .collect();
    let mut taken: HashSet<&str> = (matched.iter().flatten())
        .filter_map(|p| p.settings.uuid())
        .collect();
    for (d, m) in desired.iter().zip(matched.iter_mut()) {
        if m.is_some() {
            continue;
        }
        // Profiles are sorted by UUID, so the pick among several is stable.
        *m = live.iter().find(|p| {
            p.settings.interface_name() == d.interface_name()
                && p.settings.kind() == d.kind()
                && p.settings
                    .uuid()
                    .is_some_and(|u| !taken.contains(u) && !wanted.contains(u))
        });
        if let Some(u) = m.and_then(|p| p.settings.uuid()) {
            taken.insert(u);
        }
    }
    (matched, taken)
}

/// The profiles to add, and the matched ones to update where they differ, each keeping the
/// UUID it has. A port names its controller by UUID; a controller matched by name keeps
/// its own, so the port is told that one.
fn changes(desired: Vec<Settings>, matched: &[Option<&LiveProfile>]) -> Vec<Op> {
    let renamed: HashMap<String, String> = (desired.iter().zip(matched))
        .filter_map(|(d, m)| {
            Some((
                d.uuid()?.to_owned(),
                m.as_ref()?.settings.uuid()?.to_owned(),
            ))
        })
        .collect();
    let mut ops = Vec::new();
    for (mut d, m) in desired.into_iter().zip(matched) {
        if let Some(actual) = d.master().and_then(|m| renamed.get(m)) {
            d.set("connection", "master", Value::Str(actual.clone()));
        }
        match m {
            None => ops.push(Op::Add { settings: d }),
            Some(cur) => {
                if let Some(uuid) = cur.settings.uuid() {
                    d.set("connection", "uuid", Value::Str(uuid.to_owned()));
                }
                if cur.settings.comparable() != d.comparable() {
                    ops.push(Op::Update {
                        before: cur.settings.clone(),
                        after: cur.settings.merged(&d),
                    });
                }
            }
        }
    }
    ops
}

/// Refuses to take over `found`, a profile matched by its device's name, for `desired`,
/// whose UUID is the XML's own: NetworkManager cannot change a profile's UUID, and keeping
/// the found one would silently not be what the XML says.
fn refuse_other_uuid(desired: &Settings, found: Option<&LiveProfile>) -> Result<(), Error> {
    let Some(found) = found else { return Ok(()) };
    if !desired.0.contains_key(crate::backends::nm::USER) || found.settings.uuid() == desired.uuid()
    {
        return Ok(());
    }
    Err(Error::refused(
        RefusedKind::Exists,
        format!(
            "NetworkManager's profile '{}' (UUID {}) configures device '{}', which the XML gives \
         <uuid>{}</uuid>, and a profile's UUID cannot change: give that profile's UUID, drop \
         the <uuid>, or delete the profile",
            found.settings.id().unwrap_or("?"),
            found.settings.uuid().unwrap_or("?"),
            desired.interface_name().unwrap_or("?"),
            desired.uuid().unwrap_or("?"),
        ),
    ))
}

/// What removing interface `name` with its ports and slaves changes: its profiles (found
/// by interface name, and ports by their controller's UUID or name) are deleted, ports
/// first.
pub fn plan_undefine(client: &Client, name: &IfaceName) -> Result<StorePlan, Error> {
    let live = client.profiles()?;
    let top: Vec<&LiveProfile> = live
        .iter()
        .filter(|p| {
            p.settings.interface_name() == Some(name.as_str()) && p.settings.master().is_none()
        })
        .collect();
    if top.is_empty() {
        return Err(Error::refused(
            RefusedKind::Missing,
            format!("NetworkManager has no profile for interface '{name}'"),
        ));
    }
    let mut doomed: Vec<&LiveProfile> = top;
    // Ports of ports (a bond in a bridge): keep looking until nothing new is found.
    let mut i = 0;
    while i < doomed.len() {
        let controller = &doomed[i].settings;
        let keys = [controller.uuid(), controller.interface_name()];
        for p in &live {
            let port_of = p.settings.master().is_some_and(|m| keys.contains(&Some(m)));
            if port_of && !doomed.iter().any(|d| d.path == p.path) {
                doomed.push(p);
            }
        }
        i += 1;
    }
    let ops: Vec<Op> = doomed
        .into_iter()
        .rev()
        .map(|p| Op::Delete {
            before: p.settings.clone(),
        })
        .collect();
    store_plan(ops)
}

/// The live profiles as a host, for `import`: every profile netloom can express.
pub fn import(client: &Client, names: &[IfaceName]) -> Result<Imported, Error> {
    let profiles: Vec<Settings> = client
        .profiles()?
        .into_iter()
        .map(|p| p.settings.sendable())
        .collect();
    Ok(crate::backends::nm::import::host(&profiles, names)?)
}

/// The keyfile text a user reads for one side of a change: the managed keys, with the UUID.
pub(crate) fn shown(s: &Settings) -> FileState {
    let mut view = s.comparable();
    if let Some(uuid) = s.uuid() {
        view.set("connection", "uuid", Value::Str(uuid.to_owned()));
    }
    FileState {
        bytes: keyfile::write(&view).into_bytes(),
        mode: 0o600,
    }
}

/// The path a change is shown under.
pub(crate) fn shown_path(s: &Settings) -> String {
    let id = s.id().or(s.interface_name()).unwrap_or("unnamed");
    format!("nm/{id}.nmconnection")
}

fn display(ops: &[Op]) -> Plan {
    let mut changes: BTreeMap<String, Change> = BTreeMap::new();
    for op in ops {
        let (path, old, new) = match op {
            Op::Add { settings } => (shown_path(settings), None, Some(shown(settings))),
            Op::Update { before, after, .. } => {
                (shown_path(after), Some(shown(before)), Some(shown(after)))
            }
            Op::Delete { before, .. } => (shown_path(before), Some(shown(before)), None),
        };
        // Two profiles of one name (a user's and netloom's) are told apart by UUID.
        let key = if changes.contains_key(&path) {
            format!("nm/{}.nmconnection", op.uuid())
        } else {
            path
        };
        changes.insert(
            key.clone(),
            Change {
                path: key,
                old,
                new,
            },
        );
    }
    Plan {
        backend: "nm",
        changes: changes.into_values().collect(),
    }
}
