//! Virtual networks as `virsh net-*` keeps them: definitions under `etc/netloom/networks/`,
//! and, for each running network, its live definition and the record of what its start did
//! under `run/netloom/networks/` (paths relative to the target root). Every file goes
//! through a journalled transaction; the live steps (bridge, firewall, dnsmasq) happen in
//! the network namespace netloom runs in, and each is recorded so that stop, or a failed
//! start, undoes exactly what was done.
//!
//! Definitions are journalled as [`DEFINITIONS`](super::DEFINITIONS), so `netloom rollback`
//! restores them; runtime state as [`RUNTIME`](super::RUNTIME), which only `net stop` or
//! `net start` may change.

pub(crate) mod cmd;
pub mod edit;
mod fw;
pub mod leases;
pub(crate) mod link;
mod marks;
pub mod record;
mod restart;
mod start;
mod stop;
mod update;
mod vxlan;

use std::collections::BTreeSet;

use crate::backend::RenderedFile;
use crate::engine::{DEFINITIONS, Session, TargetRoot, plan_paths};
use crate::error::{Error, LiveKind, RefusedKind};
use crate::model::Uuid;
use crate::model::network::{BridgeDef, BridgeName, NetName, Network};
use crate::xml;

pub use super::netstore::{DEF_DIR, RUN_DIR};
pub(crate) use super::netstore::{Paths, read, read_network, stored};
pub use fw::Firewall;
use record::Record;
pub use restart::restart;
pub use start::{create, start};
pub use stop::stop;
pub use update::{Affect, Reload, Updated, update};

/// Definitions hold the whole network (its metadata too), so only root reads them, as with
/// libvirt's.
const DEF_MODE: u32 = 0o600;

/// What `net list` shows of one network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetInfo {
    /// The name.
    pub name: NetName,
    /// Its UUID (the running network's, else the definition's).
    pub uuid: Uuid,
    /// Whether it is running.
    pub active: bool,
    /// Whether it has a definition (a running network without one is transient).
    pub persistent: bool,
    /// Whether it is marked to start at boot.
    pub autostart: bool,
    /// Its bridge, if it has one.
    pub bridge: Option<String>,
    /// The firewall backend its rules went into, while it runs.
    pub firewall: Option<String>,
    /// Its link to the same network on other hosts, if it is a cross-host network.
    pub vxlan: Option<VxlanInfo>,
}

/// What `net list` shows of a cross-host network's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanInfo {
    /// The VXLAN device on the bridge.
    pub device: String,
    /// The VXLAN network identifier.
    pub vni: u32,
    /// The UDP port this host listens on.
    pub port: u16,
    /// The other hosts: address and UDP port.
    pub peers: Vec<(std::net::IpAddr, u16)>,
}

impl VxlanInfo {
    /// The link of `net`, `None` for a network on one host.
    fn of(net: &Network) -> Option<Self> {
        let (x, vni) = (net.cross_host.as_ref()?, net.vni()?);
        Some(Self {
            device: x.device(vni),
            vni: vni.get(),
            port: x.port(),
            peers: x
                .peers
                .iter()
                .map(|p| (p.address, p.port_or_default()))
                .collect(),
        })
    }
}

/// Reads a running network's record.
fn read_record(root: &TargetRoot, name: &NetName) -> Result<Option<Record>, Error> {
    let rel = Paths::of(name).record;
    let Some(text) = read(root, &rel)? else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        Error::live(
            LiveKind::Unreadable,
            format!("{}: not a record netloom wrote: {e}", root.shown(&rel)),
        )
    })
}

/// Every network of the root, defined or running, for `net list`.
pub fn list(root: &TargetRoot) -> Result<Vec<NetInfo>, Error> {
    let defined = stored(root, DEF_DIR)?;
    let running = stored(root, RUN_DIR)?;
    let names: BTreeSet<&NetName> = defined.iter().chain(&running).map(|n| &n.name).collect();
    let mut out = Vec::new();
    for name in names {
        let paths = Paths::of(name);
        let live = running.iter().find(|n| &n.name == name);
        let def = defined.iter().find(|n| &n.name == name);
        let record = match live {
            Some(_) => read_record(root, name)?,
            None => None,
        };
        let shown = live.or(def);
        out.push(NetInfo {
            name: name.clone(),
            uuid: shown.map_or_else(
                || Uuid::derived("network", name.as_str()),
                Network::uuid_or_derived,
            ),
            active: record.is_some(),
            persistent: def.is_some(),
            autostart: def.is_some() && read(root, &paths.autostart)?.is_some(),
            bridge: shown
                .and_then(Network::bridge_name)
                .map(|b| b.as_str().to_owned()),
            firewall: record.and_then(|r| r.firewall),
            vxlan: shown.and_then(VxlanInfo::of),
        });
    }
    Ok(out)
}

/// The network, defined or running, whose UUID is `uuid`.
pub fn by_uuid(root: &TargetRoot, uuid: Uuid) -> Result<Option<NetName>, Error> {
    let mut all = stored(root, RUN_DIR)?;
    all.extend(stored(root, DEF_DIR)?);
    Ok(all
        .into_iter()
        .find(|n| n.uuid_or_derived() == uuid)
        .map(|n| n.name))
}

/// What `net info` shows of network `name`.
pub fn info(root: &TargetRoot, name: &NetName) -> Result<NetInfo, Error> {
    list(root)?
        .into_iter()
        .find(|n| &n.name == name)
        .ok_or_else(|| not_found(name))
}

/// A network's XML: the running copy when it runs (unless `inactive`), else its
/// definition.
pub fn dumpxml(root: &TargetRoot, name: &NetName, inactive: bool) -> Result<String, Error> {
    let paths = Paths::of(name);
    let order = if inactive {
        [&paths.def, &paths.live]
    } else {
        [&paths.live, &paths.def]
    };
    for rel in order {
        if let Some(text) = read(root, rel)? {
            return Ok(text);
        }
    }
    Err(not_found(name))
}

fn not_found(name: &NetName) -> Error {
    Error::live(
        LiveKind::Missing,
        format!("no network named '{name}'; `netloom net list --all` shows them"),
    )
}

/// Defines `net` (or replaces its definition), filling in what libvirt generates: the
/// UUID, the bridge MAC and a free `virbrN` bridge name. Returns the network as stored, and
/// whether its stored definition changed (a definition stored as it was writes nothing).
///
/// Refused: a UUID another network has, and a bridge another network uses.
pub fn define(
    session: &Session<'_>,
    root: &TargetRoot,
    mut net: Network,
    command: &str,
) -> Result<(Network, bool), Error> {
    complete(root, &mut net)?;
    let file = RenderedFile {
        path: Paths::of(&net.name).def,
        contents: xml::network_to_xml(&net),
        mode: DEF_MODE,
    };
    let plan = plan_paths(root, DEFINITIONS, vec![file], Vec::new())?;
    let changed = !plan.is_empty();
    if changed {
        session.apply(&plan, command, None)?;
    }
    Ok((net, changed))
}

/// Fills in the UUID, MAC and bridge name, checked against every other network of the root.
fn complete(root: &TargetRoot, net: &mut Network) -> Result<(), Error> {
    // Running copies too: a network redefined while it runs still holds its old bridge.
    let mut others = stored(root, DEF_DIR)?;
    others.extend(stored(root, RUN_DIR)?);
    let same: Vec<&Network> = others.iter().filter(|o| o.name == net.name).collect();
    if net.uuid.is_none() {
        // Redefining without a UUID keeps the network's identity, whatever made it.
        net.uuid = same.iter().find_map(|o| o.uuid);
    }
    net.fill_defaults();
    let uuid = net.uuid_or_derived();
    if let Some(o) = same.iter().find(|o| o.uuid_or_derived() != uuid) {
        return Err(Error::refused(
            RefusedKind::Exists,
            format!(
                "network '{}' exists with UUID {}, not {uuid}; keep its UUID or leave it out",
                net.name,
                o.uuid_or_derived()
            ),
        ));
    }
    let others: Vec<&Network> = others.iter().filter(|o| o.name != net.name).collect();
    if let Some(o) = others.iter().find(|o| o.uuid_or_derived() == uuid) {
        return Err(Error::refused(
            RefusedKind::Exists,
            format!(
                "network '{}' has UUID {uuid} already; give '{}' another",
                o.name, net.name
            ),
        ));
    }
    if !net.has_own_bridge() {
        return Ok(());
    }
    let used: BTreeSet<String> = others
        .iter()
        .filter_map(|o| o.bridge_name())
        .map(|b| b.as_str().to_owned())
        .collect();
    if let Some(bridge) = net.bridge_name() {
        if let Some(o) = others
            .iter()
            .find(|o| o.bridge_name().as_ref() == Some(&bridge))
        {
            return Err(Error::refused(
                RefusedKind::Exists,
                format!("bridge '{bridge}' is already used by network '{}'", o.name),
            ));
        }
        return Ok(());
    }
    let template = net
        .bridge
        .as_ref()
        .and_then(|b| b.name.as_ref())
        .map_or("virbr%d", BridgeName::as_str)
        .to_owned();
    let devices = link::devices()?;
    let free = (0..=BridgeName::TEMPLATE_MAX)
        .map(|n| template.replacen("%d", &n.to_string(), 1))
        .find(|b| !used.contains(b) && !devices.contains(b))
        .ok_or_else(|| {
            Error::refused(
                RefusedKind::Exhausted,
                format!("no free bridge name for the template '{template}'"),
            )
        })?;
    let name = BridgeName::parse(&free).map_err(|e| {
        Error::refused(
            RefusedKind::Exhausted,
            format!("the template '{template}' gives '{free}': {e}"),
        )
    })?;
    net.bridge.get_or_insert_with(BridgeDef::default).name = Some(name);
    Ok(())
}

/// Removes a network's definition and autostart mark. A running network keeps running,
/// as a transient one.
pub fn undefine(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    command: &str,
) -> Result<(), Error> {
    let paths = Paths::of(name);
    if read(root, &paths.def)?.is_none() {
        return Err(not_defined(root, name)?);
    }
    let mut removed = vec![paths.def, paths.autostart];
    if read(root, &paths.record)?.is_none() {
        // Nothing will start it again: its leases go with it, as libvirt's do.
        removed.push(paths.leases);
    }
    let plan = plan_paths(root, DEFINITIONS, Vec::new(), removed)?;
    session.apply(&plan, command, None)?;
    Ok(())
}

fn not_defined(root: &TargetRoot, name: &NetName) -> Result<Error, Error> {
    Ok(if read(root, &Paths::of(name).record)?.is_some() {
        Error::refused(
            RefusedKind::Unsupported,
            format!(
                "network '{name}' is transient (running without a definition); define it first"
            ),
        )
    } else {
        not_found(name)
    })
}

/// Marks a defined network to start at boot (`net start --autostart`), or unmarks it.
/// Returns whether anything changed.
pub fn set_autostart(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &NetName,
    on: bool,
    command: &str,
) -> Result<bool, Error> {
    let paths = Paths::of(name);
    if read(root, &paths.def)?.is_none() {
        return Err(not_defined(root, name)?);
    }
    let (files, removed) = if on {
        let mark = RenderedFile {
            path: paths.autostart,
            contents: String::new(),
            mode: 0o644,
        };
        (vec![mark], Vec::new())
    } else {
        (Vec::new(), vec![paths.autostart])
    };
    let plan = plan_paths(root, DEFINITIONS, files, removed)?;
    if plan.is_empty() {
        return Ok(false);
    }
    session.apply(&plan, command, None)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::NetContext;
    use crate::model::network::NAME_MAX;

    /// The longest names a network can have: plain, and all escapes.
    fn longest_names() -> Vec<String> {
        vec!["n".repeat(NetName::MAX_STEM), "'".repeat(40) + "&"]
    }

    /// Every component of `path` fits in a file name.
    fn fits(path: &str) {
        for part in path.split('/') {
            assert!(part.len() <= NAME_MAX, "{} bytes: {path}", part.len());
        }
    }

    #[test]
    fn every_file_of_the_longest_network_name_fits_in_a_file_name() {
        for name in longest_names() {
            let xml = format!(
                "<network><name>{}</name><bridge name='virbr9'/><forward/>\
                 <ip address='192.0.2.1' prefix='24'><dhcp><range start='192.0.2.2' end='192.0.2.9'/></dhcp></ip>\
                 <ip family='ipv6' address='2001:db8::1' prefix='64'/></network>",
                name.replace('&', "&amp;")
            );
            let net = xml::read_network_str("n.xml", &xml).unwrap();
            assert_eq!(net.name.file_stem().len(), NetName::MAX_STEM);
            let p = Paths::of(&net.name);
            let mut paths = vec![
                p.def,
                p.autostart,
                p.live,
                p.record,
                p.intent,
                p.pid,
                p.leases,
            ];
            let ctx = NetContext::default();
            for backend in crate::backends::NETWORK {
                let files = backend.render(&net, &ctx).unwrap();
                assert!(!files.is_empty(), "{}", backend.name());
                paths.extend(files.into_iter().map(|f| f.path));
            }
            assert_eq!(paths.len(), 7 + 6);
            for path in &paths {
                fits(path);
            }
            let longest = paths
                .iter()
                .map(|p| p.rsplit('/').next().unwrap_or_default().len());
            assert_eq!(
                longest.max(),
                Some(NAME_MAX),
                "LONGEST_SUFFIX is the longest"
            );
        }
    }
}
