//! The live half of the NetworkManager backend: a blocking client of NetworkManager's D-Bus
//! API (1.42 and later), speaking [`Settings`] both ways.
//!
//! The client is deliberately thin: one method per D-Bus call netloom needs, with settings
//! passed and returned exactly as NetworkManager has them (see [`LiveProfile`]). Deciding
//! what to change, comparing with [`Settings::managed`] and building [`Settings::merged`]
//! is `plan.rs`'s job, and `store.rs` makes NetworkManager a [`crate::live::Store`] the
//! engine runs its transactions on. Every call is synchronous; zbus runs the connection on
//! its own thread, so no async runtime leaks into the rest of netloom.
//!
//! What NetworkManager 1.42 does to the profiles it is sent (keys it adds, values it
//! rewrites) is recorded beside the tests that observe it, in `tests/nm_client.rs`.

mod activate;
mod convert;
mod error;
mod files;
mod plan;
mod store;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use zbus::blocking::Connection;
use zbus::blocking::connection::Builder;
use zbus::zvariant::{DynamicDeserialize, DynamicType, ObjectPath, OwnedObjectPath, OwnedValue};

use super::settings::Settings;
pub use error::LiveError;
pub use files::{NmFiles, VIA};
pub use plan::{import, plan, plan_undefine};
pub use store::{JOURNAL, NmStore};

use crate::error::{Error, RefusedKind};
use crate::live::{Activator, Context, Live, Store};

/// How long NetworkManager keeps a checkpoint without `--confirm`: the longest an apply may
/// take. A netloom killed half-way is undone by NetworkManager after this, and by the next
/// netloom command on the root before it. (Both ways use it: profiles over D-Bus, and
/// keyfiles NetworkManager reads.)
const SAFETY_SECS: u32 = 600;

/// With `--confirm`, NetworkManager's own rollback comes this much after netloom's timer,
/// which undoes the transaction first (journal and all); the checkpoint is the fallback for
/// a timer that died.
const GRACE_SECS: u32 = 5;

/// How long one profile may take to come up.
const ACTIVATION: Duration = Duration::from_secs(45);

/// NetworkManager's live half: its profiles, changed over D-Bus.
pub struct NmLive;

impl Live for NmLive {
    fn service(&self) -> &'static str {
        "NetworkManager"
    }

    fn store(&self) -> Option<Result<Box<dyn Store>, Error>> {
        Some(
            Client::connect()
                .map(|c| Box::new(NmStore::new(c)) as Box<dyn Store>)
                .map_err(Error::from),
        )
    }

    fn store_journal_name(&self) -> Option<&'static str> {
        Some(JOURNAL)
    }

    /// NetworkManager loading the keyfiles netloom wrote: what is used when its profiles
    /// are not changed over D-Bus directly (the same calls as for ifcfg files).
    fn activator(&self, _cx: &Context) -> Result<Box<dyn Activator>, Error> {
        Ok(Box::new(NmFiles::new(Client::connect()?)))
    }

    fn reopen(&self, via: &str, cx: &Context) -> Result<Box<dyn Activator>, Error> {
        if via != VIA {
            return Err(Error::refused(
                RefusedKind::Unsupported,
                format!("the nm backend brings files up through NetworkManager, not {via}"),
            ));
        }
        self.activator(cx)
    }
}

pub(crate) const NM: &str = "org.freedesktop.NetworkManager";
pub(crate) const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const SETTINGS_PATH: &str = "/org/freedesktop/NetworkManager/Settings";
const SETTINGS_IFACE: &str = "org.freedesktop.NetworkManager.Settings";
const CONNECTION_IFACE: &str = "org.freedesktop.NetworkManager.Settings.Connection";
pub(crate) const ACTIVE_IFACE: &str = "org.freedesktop.NetworkManager.Connection.Active";
pub(crate) const DEVICE_IFACE: &str = "org.freedesktop.NetworkManager.Device";
const PROPERTIES_IFACE: &str = "org.freedesktop.DBus.Properties";

/// Where the system bus listens when `DBUS_SYSTEM_BUS_ADDRESS` is not set (the D-Bus
/// specification's default).
const DEFAULT_SYSTEM_BUS: &str = "unix:path=/var/run/dbus/system_bus_socket";

/// `AddConnection2`/`Update2` flag: keep the profile as a keyfile, so it survives a restart
/// the way netloom's offline half would have written it.
const TO_DISK: u32 = 0x1;

/// `CheckpointCreate` flags: a rollback deletes profiles added since, and takes down
/// software devices created since, so it leaves the host as it found it.
const CHECKPOINT_FLAGS: u32 = 0x2 | 0x4;

/// How long one D-Bus call may take. NetworkManager answers in milliseconds; a checkpoint
/// rollback that re-activates many devices is the slowest call and still far below this.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long connecting (socket, authentication, `Hello`) may take. zbus applies no method
/// timeout to its `Hello`: a bus that takes the connection but never answers (a wedged
/// daemon, a policy that drops the reply) would otherwise hang netloom for good.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Error names that mean "that object is gone", which a profile or active connection
/// deleted between two calls produces.
const VANISHED: &[&str] = &[
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownMethod",
    "org.freedesktop.DBus.Error.UnknownInterface",
];

/// A profile as NetworkManager has it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveProfile {
    /// Its D-Bus object path. Valid until NetworkManager restarts (paths are renumbered
    /// then), so keep the UUID for anything longer-lived.
    pub path: String,
    /// Its settings exactly as `GetSettings` returned them (no secrets), except for the
    /// deprecated keys whose D-Bus types [`super::Value`] cannot hold (`ipv4.addresses`,
    /// `ipv6.addresses`, `ipv6.routes`, `ipv6.dns`). Deprecated keys it can hold, such as
    /// `ipv4.dns`, are kept; [`Settings::merged`] drops them before an update.
    pub settings: Settings,
}

/// A NetworkManager checkpoint: its D-Bus object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint(pub String);

/// A connection to NetworkManager on a D-Bus system bus.
pub struct Client {
    conn: Connection,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("unique_name", &self.conn.unique_name())
            .finish()
    }
}

impl Client {
    /// Connects to the system bus (`DBUS_SYSTEM_BUS_ADDRESS` when set, as every D-Bus
    /// client does, else the standard socket) and checks that NetworkManager is on it.
    pub fn connect() -> Result<Client, LiveError> {
        let address = std::env::var("DBUS_SYSTEM_BUS_ADDRESS")
            .ok()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| DEFAULT_SYSTEM_BUS.to_owned());
        Client::connect_to(&address)
    }

    /// Connects to the bus at `address` (such as `unix:path=/tmp/x/bus.sock`) and checks
    /// that NetworkManager is on it: [`LiveError::NotRunning`] when nobody owns its name.
    pub fn connect_to(address: &str) -> Result<Client, LiveError> {
        Client::connect_within(address, CONNECT_TIMEOUT)
    }

    /// [`Client::connect_to`], giving up after `limit`.
    fn connect_within(address: &str, limit: Duration) -> Result<Client, LiveError> {
        let unreachable = |source| LiveError::Unreachable {
            address: address.to_owned(),
            source: Box::new(source),
        };
        let io = |e| unreachable(zbus::Error::InputOutput(Arc::new(e)));
        let builder = Builder::address(address)
            .map_err(unreachable)?
            .method_timeout(CALL_TIMEOUT);
        // zbus puts no timeout on connecting, so it runs on a thread of its own. A bus that
        // never answers leaves that thread waiting until the bus goes away; netloom reports
        // the error and exits long before that matters.
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("nm-connect".to_owned())
            .spawn(move || tx.send(builder.build()))
            .map_err(io)?;
        let conn = match rx.recv_timeout(limit) {
            Ok(built) => built.map_err(unreachable)?,
            Err(_) => {
                let why = format!("no answer within {:.1} s", limit.as_secs_f64());
                return Err(io(std::io::Error::new(std::io::ErrorKind::TimedOut, why)));
            }
        };
        let owned: bool = conn
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "NameHasOwner",
                &(NM,),
            )
            .and_then(|m| m.body().deserialize())
            .map_err(|e| LiveError::call("NameHasOwner", None, e))?;
        if !owned {
            return Err(LiveError::NotRunning {
                address: address.to_owned(),
            });
        }
        Ok(Client { conn })
    }

    /// NetworkManager's version, such as `1.42.4`.
    pub fn version(&self) -> Result<String, LiveError> {
        let v = self
            .property(NM_PATH, NM, "Version")
            .map_err(|e| LiveError::call("Version", None, e))?;
        String::try_from(v).map_err(|e| LiveError::call("Version", None, e.into()))
    }

    /// Every profile NetworkManager knows (including in-memory ones such as `lo`), sorted by
    /// UUID so listings and diffs do not depend on object path numbering.
    pub fn profiles(&self) -> Result<Vec<LiveProfile>, LiveError> {
        let paths: Vec<OwnedObjectPath> = self
            .call(SETTINGS_PATH, SETTINGS_IFACE, "ListConnections", &())
            .map_err(|e| LiveError::call("ListConnections", None, e))?;
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            match self.settings(path.as_str()) {
                Ok(settings) => out.push(LiveProfile {
                    path: path.to_string(),
                    settings,
                }),
                // Deleted since it was listed: it is not a profile any more.
                Err(e) if e.dbus_name().is_some_and(|n| VANISHED.contains(&n)) => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| (a.settings.uuid(), &a.path).cmp(&(b.settings.uuid(), &b.path)));
        Ok(out)
    }

    /// The settings of the profile at `path` (`GetSettings`).
    pub fn settings(&self, path: &str) -> Result<Settings, LiveError> {
        let reply: convert::WireReply = self
            .call(path, CONNECTION_IFACE, "GetSettings", &())
            .map_err(|e| LiveError::call("GetSettings", Some(path), e))?;
        convert::from_wire(&reply, path)
    }

    /// Adds a profile, stored as a keyfile (`AddConnection2` with `TO_DISK`); returns its
    /// object path. NetworkManager generates `connection.uuid` when `settings` has none.
    pub fn add(&self, settings: &Settings) -> Result<String, LiveError> {
        let body = (
            convert::to_wire(settings),
            TO_DISK,
            HashMap::<String, OwnedValue>::new(),
        );
        let (path, _result): (OwnedObjectPath, HashMap<String, OwnedValue>) = self
            .call(SETTINGS_PATH, SETTINGS_IFACE, "AddConnection2", &body)
            .map_err(|e| LiveError::call("AddConnection2", Some(id_of(settings)), e))?;
        Ok(path.to_string())
    }

    /// Replaces the whole profile at `path` by `settings` (`Update2` with `TO_DISK`).
    /// Whatever `settings` leaves out goes back to its default, so send
    /// `live.merged(&desired)`, not `desired`. A running activation is not touched; call
    /// [`Client::activate`] for the change to reach the device.
    pub fn update(&self, path: &str, settings: &Settings) -> Result<(), LiveError> {
        let body = (
            convert::to_wire(settings),
            TO_DISK,
            HashMap::<String, OwnedValue>::new(),
        );
        let _result: HashMap<String, OwnedValue> = self
            .call(path, CONNECTION_IFACE, "Update2", &body)
            .map_err(|e| {
                let id = settings.id().map_or_else(|| self.name(path), str::to_owned);
                LiveError::call("Update2", Some(&id), e)
            })?;
        Ok(())
    }

    /// Deletes the profile at `path` (its keyfile too), deactivating it if it is active.
    pub fn delete(&self, path: &str) -> Result<(), LiveError> {
        self.call::<_, ()>(path, CONNECTION_IFACE, "Delete", &())
            .map_err(|e| LiveError::call("Delete", Some(&self.name(path)), e))
    }

    /// Asks NetworkManager to re-read every profile from disk (`ReloadConnections`).
    pub fn reload(&self) -> Result<(), LiveError> {
        let _ok: bool = self
            .call(SETTINGS_PATH, SETTINGS_IFACE, "ReloadConnections", &())
            .map_err(|e| LiveError::call("ReloadConnections", None, e))?;
        Ok(())
    }

    /// Has NetworkManager read `files` (absolute paths in the directories its settings
    /// plugins read: ifcfg files, keyfiles) again: a changed file updates its profile, a new
    /// one adds one, a removed one deletes it (`LoadConnections`). Returns the files it could
    /// not load.
    pub fn load(&self, files: &[String]) -> Result<Vec<String>, LiveError> {
        let (_ok, failed): (bool, Vec<String>) = self
            .call(SETTINGS_PATH, SETTINGS_IFACE, "LoadConnections", &(files,))
            .map_err(|e| LiveError::call("LoadConnections", None, e))?;
        Ok(failed)
    }

    /// The file the profile at `path` is stored in, empty for one kept in memory.
    pub fn filename(&self, path: &str) -> Result<String, LiveError> {
        self.property(path, CONNECTION_IFACE, "Filename")
            .and_then(|v| Ok(String::try_from(v)?))
            .map_err(|e| LiveError::call("Filename", Some(path), e))
    }

    /// Deactivates the active connection of the profile `uuid`, if it has one.
    pub fn deactivate(&self, uuid: &str) -> Result<(), LiveError> {
        let what = "DeactivateConnection";
        let paths = self
            .property(NM_PATH, NM, "ActiveConnections")
            .and_then(|v| Ok(Vec::<OwnedObjectPath>::try_from(v)?))
            .map_err(|e| LiveError::call(what, None, e))?;
        for p in paths {
            let of = match self.property(p.as_str(), ACTIVE_IFACE, "Uuid") {
                Ok(v) => String::try_from(v).unwrap_or_default(),
                Err(e) if vanished(&e) => continue,
                Err(e) => return Err(LiveError::call(what, None, e)),
            };
            if of == uuid {
                return match self.call::<_, ()>(NM_PATH, NM, what, &(p.as_ref(),)) {
                    // Deactivated meanwhile: what was asked is so.
                    Err(e) if vanished(&e) || e.to_string().contains("ConnectionNotActive") => {
                        Ok(())
                    }
                    Err(e) => Err(LiveError::call(what, Some(uuid), e)),
                    Ok(()) => Ok(()),
                };
            }
        }
        Ok(())
    }

    /// The UUIDs of the active connections.
    pub fn active(&self) -> Result<BTreeSet<String>, LiveError> {
        let what = "ActiveConnections";
        let paths = self
            .property(NM_PATH, NM, what)
            .and_then(|v| Ok(Vec::<OwnedObjectPath>::try_from(v)?))
            .map_err(|e| LiveError::call(what, None, e))?;
        let mut out = BTreeSet::new();
        for p in paths {
            match self.property(p.as_str(), ACTIVE_IFACE, "Uuid") {
                Ok(v) => {
                    out.insert(
                        String::try_from(v).map_err(|e| LiveError::call(what, None, e.into()))?,
                    );
                }
                // Deactivated since it was listed.
                Err(e) if vanished(&e) => {}
                Err(e) => return Err(LiveError::call(what, None, e)),
            }
        }
        Ok(out)
    }

    /// Takes a checkpoint of every device, which NetworkManager rolls back by itself after
    /// `rollback_timeout_secs` (0: never) unless it is destroyed first. A rollback also
    /// deletes profiles added since and takes down devices created since.
    ///
    /// `ALLOW_OVERLAPPING` is deliberately not set: an existing checkpoint means another
    /// change (a netloom apply waiting for confirmation, or nmstate, or cockpit) is still
    /// pending. Stacking a second one on it would let that older checkpoint's rollback
    /// destroy ours and undo our change with it, so NetworkManager's refusal ("device … is
    /// already included in checkpoint …") is passed on instead. [`Client::checkpoints`]
    /// lists what is pending.
    pub fn checkpoint_create(&self, rollback_timeout_secs: u32) -> Result<Checkpoint, LiveError> {
        let all: Vec<ObjectPath<'_>> = Vec::new();
        let cp: OwnedObjectPath = self
            .call(
                NM_PATH,
                NM,
                "CheckpointCreate",
                &(all, rollback_timeout_secs, CHECKPOINT_FLAGS),
            )
            .map_err(|e| LiveError::call("CheckpointCreate", None, e))?;
        Ok(Checkpoint(cp.to_string()))
    }

    /// Rolls back to `cp` (which destroys it): device path to result, 0 for success, 1 no
    /// such device, 2 device unmanaged, 3 failed.
    pub fn checkpoint_rollback(&self, cp: &Checkpoint) -> Result<BTreeMap<String, u32>, LiveError> {
        let what = "CheckpointRollback";
        let result: HashMap<String, u32> = checkpoint_path(cp)
            .and_then(|p| self.call(NM_PATH, NM, what, &(p,)))
            .map_err(|e| LiveError::call(what, None, e))?;
        Ok(result.into_iter().collect())
    }

    /// Forgets `cp`, keeping every change made since (the "commit").
    pub fn checkpoint_destroy(&self, cp: &Checkpoint) -> Result<(), LiveError> {
        let what = "CheckpointDestroy";
        checkpoint_path(cp)
            .and_then(|p| self.call(NM_PATH, NM, what, &(p,)))
            .map_err(|e| LiveError::call(what, None, e))
    }

    /// Sets `cp`'s automatic rollback to `secs` from now (0: never).
    pub fn checkpoint_adjust(&self, cp: &Checkpoint, secs: u32) -> Result<(), LiveError> {
        let what = "CheckpointAdjustRollbackTimeout";
        checkpoint_path(cp)
            .and_then(|p| self.call(NM_PATH, NM, what, &(p, secs)))
            .map_err(|e| LiveError::call(what, None, e))
    }

    /// The checkpoints that exist now, whoever made them.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, LiveError> {
        let paths = self
            .property(NM_PATH, NM, "Checkpoints")
            .and_then(|v| Ok(Vec::<OwnedObjectPath>::try_from(v)?))
            .map_err(|e| LiveError::call("Checkpoints", None, e))?;
        Ok(paths.iter().map(|p| Checkpoint(p.to_string())).collect())
    }

    /// One method call to NetworkManager, its reply deserialized as `R`.
    fn call<B, R>(&self, path: &str, iface: &str, method: &str, body: &B) -> zbus::Result<R>
    where
        B: serde::Serialize + DynamicType,
        R: for<'d> DynamicDeserialize<'d>,
    {
        let reply = self
            .conn
            .call_method(Some(NM), path, Some(iface), method, body)?;
        reply.body().deserialize()
    }

    /// One property, read afresh (no cache: a cache would need signal handling to stay true).
    fn property(&self, path: &str, iface: &str, name: &str) -> zbus::Result<OwnedValue> {
        self.call(path, PROPERTIES_IFACE, "Get", &(iface, name))
    }

    /// The id of the profile at `path`, for an error message; the path itself when the
    /// profile cannot be read (it may be what failed).
    fn name(&self, path: &str) -> String {
        self.settings(path)
            .ok()
            .and_then(|s| s.id().map(str::to_owned))
            .unwrap_or_else(|| path.to_owned())
    }
}

/// `cp` as an object path argument.
fn checkpoint_path<'a>(cp: &'a Checkpoint) -> zbus::Result<ObjectPath<'a>> {
    Ok(ObjectPath::try_from(cp.0.as_str())?)
}

/// Whether `e` says the object is gone.
fn vanished(e: &zbus::Error) -> bool {
    matches!(e, zbus::Error::MethodError(name, _, _) if VANISHED.contains(&name.as_str()))
}

/// The profile's id for an error message.
fn id_of(settings: &Settings) -> &str {
    settings.id().unwrap_or("(without connection.id)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bus_that_never_answers_is_given_up_on() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("mute.sock");
        // Listening, so connect() succeeds, but nobody ever reads or answers.
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let address = format!("unix:path={}", socket.display());
        // On a thread of the test's own, so a connect that never gives up fails this test
        // (after a wait no busy machine needs) instead of hanging it.
        let (tx, rx) = mpsc::channel();
        let mute = address.clone();
        std::thread::spawn(move || {
            let _ = tx.send(Client::connect_within(&mute, Duration::from_millis(300)).map(drop));
        });
        let e = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("connect_within never gave up on a bus that does not answer")
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&address) && text.contains("no answer within 0.3 s"),
            "{text}"
        );
    }
}
