//! Guest ports, the stateful half: `port plug`, `port unplug` and `port list` under
//! `run/netloom/`, with the host devices they connect.
//!
//! Every command starts as libvirt's network driver does when it starts: it reads what is
//! plugged, forgets the guests that no longer run (their process ended, or the record is
//! from an earlier boot) and the ports nobody holds, and recounts every running network's
//! usage from the ports that remain ([`reconcile`]). Then it changes what it was asked to,
//! writes every file in one journalled transaction, and only then touches the host; a
//! host step that fails undoes the transaction and the steps before it.

mod checks;
mod host;
mod plug;
mod pool;
mod qmp;
mod restart;
mod script;
mod state;

use std::collections::{BTreeMap, BTreeSet};

use crate::backend::RenderedFile;
use crate::engine::{RUNTIME, Session, TargetRoot, plan_paths};
use crate::error::Error;
use crate::model::guest::{Guest, GuestInterface, GuestName, GuestSource};
use crate::model::network::{NetName, Network, NetworkPort, Plug};
use crate::port;

pub use plug::{plug, unplug};
pub(crate) use restart::{ports_on, reattach};
pub use state::{GUEST_DIR, PORT_DIR, SAVED_DIR, port_files};
use state::{Plugged, SavedMac, Stored, alive, boot_id, guest_file, network_file, port_file};

/// What a command leaves for the user: the guest's XML where there is one, and notes.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The guest's interfaces as plugged (`port plug`).
    pub xml: Option<String>,
    /// What reconciling or the command did besides, one sentence each.
    pub notes: Vec<String>,
}

/// One guest in `port list`.
#[derive(Debug, Clone)]
pub struct GuestView {
    /// Its name.
    pub name: GuestName,
    /// Its process, if it named one.
    pub pid: Option<u32>,
    /// Its interfaces as plugged.
    pub interfaces: Vec<GuestInterface>,
}

/// One running network's usage in `port list`.
#[derive(Debug, Clone)]
pub struct NetUsage {
    /// The network.
    pub name: NetName,
    /// Ports plugged into it.
    pub connections: u32,
    /// Each pool device (interface name or PCI address) with its count, in pool order.
    pub devices: Vec<(String, u32)>,
}

/// What `port list` shows.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Guests by name.
    pub guests: Vec<GuestView>,
    /// Running networks by name.
    pub networks: Vec<NetUsage>,
    /// What reconciling did.
    pub notes: Vec<String>,
}

/// The state a command works on: what is plugged once ended guests and orphaned ports are
/// gone. Ports are grouped by running network.
#[derive(Debug, Clone, Default)]
pub(crate) struct Target {
    guests: BTreeMap<GuestName, Plugged>,
    ports: BTreeMap<NetName, Vec<NetworkPort>>,
    /// Devices to remove once the files are written (made for guests that ended).
    cleanup: Vec<String>,
    /// Devices to take off their bridge and down once the files are written.
    detach: Vec<String>,
    /// Device MACs saved for ports (passthrough), by device.
    saved: BTreeMap<String, SavedMac>,
    /// Device MACs to put back once the files are written: their ports were released.
    restore: Vec<SavedMac>,
    /// Interfaces of ended guests whose `<downscript>` runs before their devices go.
    downscripts: Vec<GuestInterface>,
    notes: Vec<String>,
}

impl Target {
    /// `net` with its usage counted from the ports, and the ports that could not be.
    fn counted(&self, net: &Network) -> (Network, Vec<(crate::model::Uuid, Error)>) {
        let ports: Vec<&NetworkPort> = self
            .ports
            .get(&net.name)
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        port::count(&net.clone().without_live_state(), &ports)
    }
}

/// Forgets what no longer runs and recounts usage; see the module documentation.
pub(crate) fn reconcile(stored: &Stored) -> Target {
    let boot = boot_id();
    let mut t = Target::default();
    for (name, g) in &stored.guests {
        if alive(&g.record, &boot) {
            t.guests.insert(name.clone(), g.clone());
            continue;
        }
        let held = g.port_ids().len();
        let why = if g.record.boot_id != boot {
            "its record is from an earlier boot".to_owned()
        } else {
            format!("its process {} has ended", g.record.pid.unwrap_or_default())
        };
        t.notes.push(format!(
            "guest '{name}' is gone ({why}): released its {held} port(s)"
        ));
        if g.record.boot_id == boot {
            t.cleanup.extend(g.record.made.iter().cloned());
            t.downscripts.extend(
                g.guest
                    .interfaces
                    .iter()
                    .filter(|i| i.downscript.is_some())
                    .cloned(),
            );
        }
    }
    let held: BTreeMap<crate::model::Uuid, &GuestName> = t
        .guests
        .iter()
        .flat_map(|(n, g)| g.port_ids().into_iter().map(move |id| (id, n)))
        .collect();
    for (dir, _, port) in stored.all_ports() {
        let Some(net) = stored.network_of_dir(dir) else {
            t.notes.push(format!(
                "port {} (guest '{}'): its network is not running; released",
                port.uuid, port.owner.name
            ));
            continue;
        };
        if !held.contains_key(&port.uuid) {
            if stored
                .guests
                .values()
                .all(|g| !g.port_ids().contains(&port.uuid))
            {
                t.notes.push(format!(
                    "network '{}': port {} belonged to no plugged guest; released",
                    net.name, port.uuid
                ));
            }
            continue;
        }
        t.ports
            .entry(net.name.clone())
            .or_default()
            .push(port.clone());
    }
    t.saved = stored.saved.clone();
    let kept: BTreeSet<crate::model::Uuid> = t.ports.values().flatten().map(|p| p.uuid).collect();
    for (name, g) in &mut t.guests {
        settle(name, g, &kept, &mut t.cleanup, &mut t.notes);
    }
    for net in stored.networks.values() {
        let (counted, rejected) = t.counted(net);
        for (uuid, e) in rejected {
            t.notes.push(format!("port {uuid} is not counted: {e}"));
        }
        if counted != *net {
            let n = t.ports.get(&net.name).map_or(0, Vec::len);
            t.notes.push(recount_note(&net.name, n));
        }
    }
    t
}

/// What reconciling says of a network whose usage counts it rebuilt from `n` ports.
fn recount_note(net: &NetName, n: usize) -> String {
    format!("network '{net}': usage counts rebuilt from {n} plugged port(s)")
}

/// Brings a running guest's record up to date: an interface whose port was released (its
/// network stopped) loses its `<actual>` and must be plugged again; a device netloom made
/// that no interface uses any more (an earlier command was killed before removing it) is
/// removed now.
fn settle(
    name: &GuestName,
    g: &mut Plugged,
    kept: &BTreeSet<crate::model::Uuid>,
    cleanup: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let mut changed = false;
    for i in &mut g.guest.interfaces {
        if let crate::model::guest::GuestSource::Network {
            network, portid, ..
        } = &mut i.source
            && let Some(id) = *portid
            && !kept.contains(&id)
        {
            notes.push(format!(
                "guest '{name}': interface {} lost its port on network '{network}', which \
                 stopped; plug it again",
                i.mac.map(|m| m.to_string()).unwrap_or_default()
            ));
            *portid = None;
            i.actual = None;
            changed = true;
        }
    }
    if changed {
        g.record.xml = crate::xml::guest_to_xml(&g.guest);
    }
    let used: BTreeSet<String> = g
        .guest
        .interfaces
        .iter()
        .filter_map(|i| i.target.as_ref().map(|d| d.to_string()))
        .collect();
    let (keep, stale): (Vec<String>, Vec<String>) =
        g.record.made.drain(..).partition(|d| used.contains(d));
    g.record.made = keep;
    cleanup.extend(stale);
}

/// Writes `t` over `stored` in one transaction: guest records, ports, and each running
/// network's live copy with its recounted usage. Returns the transaction, if one was
/// needed.
fn commit(
    session: &Session<'_>,
    root: &TargetRoot,
    stored: &Stored,
    t: &mut Target,
    command: &str,
) -> Result<Option<u64>, Error> {
    let mut files: Vec<RenderedFile> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    release_saved(t);
    for saved in t.saved.values() {
        files.push(saved.file()?);
    }
    for saved in stored.saved.values() {
        if !t.saved.contains_key(&saved.dev) {
            removed.push(saved.path());
        }
    }
    for (name, g) in &t.guests {
        files.push(guest_file(name, &g.record)?);
    }
    for name in stored.guests.keys() {
        if !t.guests.contains_key(name) {
            removed.push(state::guest_path(name));
        }
    }
    let mut keep: BTreeSet<String> = BTreeSet::new();
    for (net, ports) in &t.ports {
        for p in ports {
            let f = port_file(net, p);
            keep.insert(f.path.clone());
            files.push(f);
        }
    }
    for (_, path, _) in stored.all_ports() {
        if !keep.contains(path) {
            removed.push(path.to_owned());
        }
    }
    // Ports that cannot be counted were reported by `reconcile`; they stay uncounted.
    for net in stored.networks.values() {
        files.push(network_file(&t.counted(net).0));
    }
    let plan = plan_paths(root, RUNTIME, files, removed)?;
    if plan.is_empty() {
        return Ok(None);
    }
    session.apply(&plan, command, None).map(Some)
}

/// Moves the saved MACs whose ports are no longer held to those to put back.
fn release_saved(t: &mut Target) {
    let mut held: BTreeSet<String> = t
        .ports
        .values()
        .flatten()
        .map(|p| p.uuid.to_string())
        .collect();
    for (name, g) in &t.guests {
        for i in &g.guest.interfaces {
            if let (GuestSource::Direct { .. }, host::Wanted::Macvtap { lend_mac: true, .. }) =
                (&i.source, host::Wanted::of(i))
            {
                held.insert(state::direct_holder(name, i.mac));
            }
        }
    }
    let (keep, gone): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut t.saved)
        .into_iter()
        .partition(|(_, s)| held.contains(&s.port));
    t.saved = keep;
    t.restore.extend(gone.into_values());
}

/// Puts a device's own MAC back; a device that is gone has nothing to put back.
pub(crate) fn restore_mac(saved: &SavedMac) -> Result<(), String> {
    if !host::devices()
        .map_err(|e| e.report())?
        .contains(&saved.dev)
    {
        return Ok(());
    }
    host::set_mac(&saved.dev, &saved.mac).map_err(|e| {
        format!(
            "device '{}' keeps its guest's MAC, not its own {}: {e}",
            saved.dev, saved.mac
        )
    })
}

/// The saved MACs of network `net`'s devices, for `net stop` to put back and forget with
/// its ports.
pub(crate) fn saved_of(root: &TargetRoot, net: &NetName) -> Result<Vec<SavedMac>, Error> {
    Ok(state::saved_macs(root)?
        .into_iter()
        .filter(|s| s.network.as_deref() == Some(net.as_str()))
        .collect())
}

/// After a commit: removes the devices of ended guests and detaches released ones, then
/// puts back the own MACs of devices whose ports were released. A failure here leaves a
/// device behind (or with its guest's MAC), which is said, but changes nothing plugged.
fn tidy(t: &Target) -> Vec<String> {
    let mut notes = script::run_downscripts(&t.downscripts.iter().collect::<Vec<_>>());
    for dev in &t.cleanup {
        if let Err(e) = host::remove(dev) {
            notes.push(format!("device '{dev}' is left behind: {e}"));
        }
    }
    match host::devices() {
        Ok(devices) => {
            for dev in t.detach.iter().filter(|d| devices.contains(*d)) {
                if let Err(e) = host::detach(dev) {
                    notes.push(format!("device '{dev}' could not be detached: {e}"));
                }
            }
        }
        Err(e) if !t.detach.is_empty() => {
            notes.push(format!("no device was detached: {}", e.report()));
        }
        Err(_) => {}
    }
    for saved in &t.restore {
        if let Err(e) = restore_mac(saved) {
            notes.push(e);
        }
    }
    notes
}

/// `port list`: what is plugged, after reconciling (which may release ports and rewrite
/// counts, so it takes the session).
pub fn list(session: &Session<'_>, root: &TargetRoot, command: &str) -> Result<Listing, Error> {
    let stored = Stored::load(root)?;
    let mut t = reconcile(&stored);
    commit(session, root, &stored, &mut t, command)?;
    let mut notes = std::mem::take(&mut t.notes);
    notes.extend(tidy(&t));
    let guests = t
        .guests
        .iter()
        .map(|(name, g)| GuestView {
            name: name.clone(),
            pid: g.record.pid,
            interfaces: g.guest.interfaces.clone(),
        })
        .collect();
    let networks = stored
        .networks
        .values()
        .map(|net| usage(&t.counted(net).0))
        .collect();
    Ok(Listing {
        guests,
        networks,
        notes,
    })
}

/// A network's usage as `port list` shows it.
fn usage(net: &Network) -> NetUsage {
    let mut devices = Vec::new();
    if let Some(f) = &net.forward {
        for i in &f.interfaces {
            devices.push((i.dev.to_string(), i.connections.unwrap_or(0)));
        }
        for a in &f.addresses {
            devices.push((pci(a), a.connections.unwrap_or(0)));
        }
    }
    NetUsage {
        name: net.name.clone(),
        connections: net.connections.unwrap_or(0),
        devices,
    }
}

/// A PCI address as `lspci -D` prints it.
pub fn pci(a: &crate::model::network::PciAddress) -> String {
    format!(
        "{:04x}:{:02x}:{:02x}.{:x}",
        a.domain, a.bus, a.slot, a.function
    )
}

/// Where an interface is connected, for `port list`: `bridge B`, `direct D (mode)`,
/// `hostdev ADDR`, or what its type connects to.
pub fn connection(iface: &GuestInterface) -> String {
    use crate::model::guest::GuestSource as S;
    if let Some(a) = &iface.actual {
        return match &a.plug {
            Plug::Bridge { bridge, .. } => format!("bridge {bridge}"),
            Plug::Direct { dev, mode } => format!("direct {dev} ({mode})"),
            Plug::HostdevPci { address, .. } => format!("hostdev {}", pci(address)),
        };
    }
    match &iface.source {
        S::Bridge { bridge } => format!("bridge {bridge}"),
        S::Direct { dev, mode } => {
            format!("direct {dev} ({})", mode.map_or("vepa", |m| m.as_str()))
        }
        S::Socket { address, port } => match address {
            Some(a) if a.is_ipv6() => format!("[{a}]:{port}"),
            Some(a) => format!("{a}:{port}"),
            None => format!(":{port}"),
        },
        S::Network { network, .. } => format!("network {network} (not plugged)"),
        S::Nothing => "-".into(),
    }
}

/// A guest document holding `interfaces`, in the form `like` was read in.
fn document(like: &Guest, name: &GuestName, interfaces: Vec<GuestInterface>) -> Guest {
    Guest {
        form: like.form,
        name: Some(name.clone()),
        uuid: like.uuid,
        interfaces,
    }
}
