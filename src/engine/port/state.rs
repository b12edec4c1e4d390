//! What is plugged, as stored under `run/netloom/`: one `<networkport>` document per port
//! (`ports/NET/UUID.xml`, libvirt's format) and one record per guest (`guests/NAME.json`:
//! its interfaces as last plugged, and what says whether it still runs). Usage counts are
//! kept in each running network's live copy, as libvirt keeps `connections`, and are
//! always recomputable from the ports.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::backend::RenderedFile;
use crate::engine::TargetRoot;
use crate::engine::netstore as network;
use crate::error::{Error, LiveKind};
use crate::model::Uuid;
use crate::model::guest::{Guest, GuestName, GuestSource};
use crate::model::network::{NetName, Network, NetworkPort};
use crate::source::SourceFile;
use crate::xml;

/// Where ports live, one directory per network.
pub const PORT_DIR: &str = "run/netloom/ports";

/// Where guest records live.
pub const GUEST_DIR: &str = "run/netloom/guests";

/// Where the own MACs of devices given to one guest (passthrough) are kept until they are
/// put back, one file per device (`DEV.json`).
pub const SAVED_DIR: &str = "run/netloom/macs";

/// A device's own MAC, saved when a passthrough port (or a type-direct passthrough
/// interface) put its guest's MAC on the device (as libvirt does), to be put back when that
/// port is released: on unplug, when its guest ended (also while netloom was not running),
/// when its network stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SavedMac {
    /// The network the port is on; none for a type-direct interface.
    #[serde(default)]
    pub network: Option<String>,
    /// The device.
    pub dev: String,
    /// Its own MAC.
    pub mac: String,
    /// What holds it: a network port's UUID, or [`direct_holder`] for a type-direct
    /// interface, which has no port.
    pub port: String,
}

/// What holds a device lent to type-direct interface `mac` of guest `guest`.
pub(crate) fn direct_holder(guest: &GuestName, mac: Option<crate::model::MacAddr>) -> String {
    format!(
        "direct:{guest}/{}",
        mac.map(|m| m.to_string()).unwrap_or_default()
    )
}

impl SavedMac {
    /// Where it is kept.
    pub fn path(&self) -> String {
        format!("{SAVED_DIR}/{}.json", self.dev)
    }

    /// Its file.
    pub fn file(&self) -> Result<RenderedFile, Error> {
        let path = self.path();
        Ok(RenderedFile {
            contents: crate::engine::json_text(&path, self)?,
            path,
            mode: 0o600,
        })
    }
}

/// One guest as netloom last plugged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GuestRecord {
    /// The guest's name.
    pub name: String,
    /// The guest's UUID: the owner of its ports.
    pub uuid: String,
    /// The process the guest lives in (`--pid`), when given.
    #[serde(default)]
    pub pid: Option<u32>,
    /// That process's start time (clock ticks since boot), so a reused pid is not
    /// mistaken for the guest.
    #[serde(default)]
    pub start_time: Option<u64>,
    /// The boot the record was written in: a record from an earlier boot is of a guest
    /// that cannot be running.
    pub boot_id: String,
    /// The guest's interfaces with what they were resolved to (the XML `port plug` printed).
    pub xml: String,
    /// Host devices netloom made for the guest (taps, macvtaps), deleted when it ends.
    #[serde(default)]
    pub made: Vec<String>,
    /// The guest's QMP monitor (`--qmp`), told of each NIC connected or disconnected while
    /// the guest runs.
    #[serde(default)]
    pub qmp: Option<String>,
}

/// A guest's record with its interfaces read.
#[derive(Debug, Clone)]
pub(crate) struct Plugged {
    /// The record as stored.
    pub record: GuestRecord,
    /// Its interfaces.
    pub guest: Guest,
}

impl Plugged {
    /// The port UUIDs the guest's interfaces hold.
    pub fn port_ids(&self) -> Vec<Uuid> {
        self.guest
            .interfaces
            .iter()
            .filter_map(|i| match &i.source {
                GuestSource::Network { portid, .. } => *portid,
                _ => None,
            })
            .collect()
    }
}

/// Everything plugged under one root, and the networks running there.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stored {
    /// Guests by name.
    pub guests: BTreeMap<GuestName, Plugged>,
    /// Ports by network name (the directory they were found in), each with its path.
    pub ports: BTreeMap<String, Vec<(String, NetworkPort)>>,
    /// Running networks by name, as their live copies have them.
    pub networks: BTreeMap<NetName, Network>,
    /// Saved device MACs by device.
    pub saved: BTreeMap<String, SavedMac>,
}

impl Stored {
    /// Reads the root's state. A file netloom cannot read back is an error naming it:
    /// guessing what it held could hand one device to two guests.
    pub fn load(root: &TargetRoot) -> Result<Self, Error> {
        let mut out = Stored::default();
        for net in network::running(root)? {
            out.networks.insert(net.name.clone(), net);
        }
        for (rel, text) in files(root, GUEST_DIR, ".json")? {
            let record: GuestRecord = serde_json::from_str(&text).map_err(|e| {
                Error::live(
                    LiveKind::Unreadable,
                    format!("{rel}: not a guest record netloom wrote: {e}"),
                )
            })?;
            let guest = xml::read_guest(&SourceFile::new(rel.clone(), record.xml.clone()))
                .map_err(Error::Invalid)?;
            let name = GuestName::parse(&record.name).map_err(|e| {
                Error::live(LiveKind::Unreadable, format!("{rel}: bad guest name: {e}"))
            })?;
            out.guests.insert(name, Plugged { record, guest });
        }
        for dir in subdirs(root, PORT_DIR)? {
            let rel_dir = format!("{PORT_DIR}/{dir}");
            let mut ports = Vec::new();
            for (rel, text) in files(root, &rel_dir, ".xml")? {
                let port = xml::read_netport(&SourceFile::new(rel.clone(), text))
                    .map_err(Error::Invalid)?;
                ports.push((rel, port));
            }
            out.ports.insert(dir, ports);
        }
        for saved in saved_macs(root)? {
            out.saved.insert(saved.dev.clone(), saved);
        }
        Ok(out)
    }

    /// The running network whose ports directory is `dir`.
    pub fn network_of_dir(&self, dir: &str) -> Option<&Network> {
        self.networks.values().find(|n| n.name.file_stem() == dir)
    }

    /// Every stored port, with its network directory and path.
    pub fn all_ports(&self) -> impl Iterator<Item = (&str, &str, &NetworkPort)> {
        self.ports.iter().flat_map(|(d, ps)| {
            ps.iter()
                .map(move |(p, port)| (d.as_str(), p.as_str(), port))
        })
    }
}

/// Where port `uuid` of network `net` is stored.
pub(crate) fn port_path(net: &NetName, uuid: Uuid) -> String {
    format!("{PORT_DIR}/{}/{uuid}.xml", net.file_stem())
}

/// Where guest `name`'s record is stored.
pub(crate) fn guest_path(name: &GuestName) -> String {
    format!("{GUEST_DIR}/{}.json", name.file_stem())
}

/// A port's file.
pub(crate) fn port_file(net: &NetName, port: &NetworkPort) -> RenderedFile {
    RenderedFile {
        path: port_path(net, port.uuid),
        contents: xml::netport_to_xml(port),
        mode: 0o600,
    }
}

/// A guest's record file.
pub(crate) fn guest_file(name: &GuestName, record: &GuestRecord) -> Result<RenderedFile, Error> {
    let path = guest_path(name);
    Ok(RenderedFile {
        contents: crate::engine::json_text(&path, record)?,
        path,
        mode: 0o600,
    })
}

/// A running network's live copy with `net`'s counts.
pub(crate) fn network_file(net: &Network) -> RenderedFile {
    RenderedFile {
        path: network::live_path(&net.name),
        contents: xml::network_to_xml(net),
        mode: 0o600,
    }
}

/// The ports stored for network `name`, for `net stop` to remove with it.
pub fn port_files(root: &TargetRoot, name: &NetName) -> Result<Vec<String>, Error> {
    let dir = format!("{PORT_DIR}/{}", name.file_stem());
    Ok(root
        .entries(&dir)?
        .into_iter()
        .filter(|n| n.ends_with(".xml"))
        .map(|n| format!("{dir}/{n}"))
        .collect())
}

/// Every saved device MAC. A file netloom cannot read back is an error naming it: the
/// device's own MAC would be lost.
pub(crate) fn saved_macs(root: &TargetRoot) -> Result<Vec<SavedMac>, Error> {
    let mut out = Vec::new();
    for (rel, text) in files(root, SAVED_DIR, ".json")? {
        let saved: SavedMac = serde_json::from_str(&text).map_err(|e| {
            Error::live(
                LiveKind::Unreadable,
                format!("{rel}: not a saved MAC netloom wrote: {e}"),
            )
        })?;
        if saved.path() != rel {
            return Err(Error::live(
                LiveKind::Unreadable,
                format!(
                    "{rel}: holds the MAC of device '{}', not of its own name",
                    saved.dev
                ),
            ));
        }
        out.push(saved);
    }
    Ok(out)
}

/// The files directly in `dir` ending in `suffix`, sorted, with their text.
fn files(root: &TargetRoot, dir: &str, suffix: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for name in root
        .entries(dir)?
        .into_iter()
        .filter(|n| n.ends_with(suffix))
    {
        let rel = format!("{dir}/{name}");
        if let Some(text) = network::read(root, &rel)? {
            out.push((rel, text));
        }
    }
    Ok(out)
}

/// The directories directly in `dir`, sorted.
fn subdirs(root: &TargetRoot, dir: &str) -> Result<Vec<String>, Error> {
    root.subdirs(dir)
}

/// This boot's identity.
pub(crate) fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// When process `pid` started (clock ticks since boot), `None` when there is no such
/// process.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    // Field 22 overall is the 20th after the name.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the guest of `record` still runs: same boot, and its process (if it named one)
/// is the same process.
pub(crate) fn alive(record: &GuestRecord, boot: &str) -> bool {
    if record.boot_id != boot {
        return false;
    }
    match record.pid {
        None => true,
        Some(pid) => start_time(pid).is_some() && start_time(pid) == record.start_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::network::NAME_MAX;

    #[test]
    fn the_files_of_the_longest_guest_and_network_names_fit_in_a_file_name() {
        let guest = GuestName::parse(&("\"".repeat(40) + "&&")).unwrap();
        assert_eq!(guest.file_stem().len(), 250);
        let net = NetName::parse(&"n".repeat(NetName::MAX_STEM)).unwrap();
        let uuid = Uuid::derived("port", "x");
        for path in [guest_path(&guest), port_path(&net, uuid)] {
            let widest = path.split('/').map(str::len).max();
            assert!(widest <= Some(NAME_MAX), "{path}");
        }
        assert_eq!(
            guest_path(&guest).rsplit('/').next().map(str::len),
            Some(NAME_MAX)
        );
    }
}
