//! Where virtual networks are kept under a root, and how they are read back: the paths of
//! one network's files, the defined and the running networks. Below both the networks'
//! engine and the guest ports' (ports resolve against the running networks), so neither
//! reaches into the other to find them.

use crate::engine::TargetRoot;
use crate::error::Error;
use crate::model::network::{NetName, Network};
use crate::source::SourceFile;
use crate::xml::{self, NetworkChecks};

/// Where definitions live.
pub const DEF_DIR: &str = "etc/netloom/networks";

/// Where running networks' state lives.
pub const RUN_DIR: &str = "run/netloom/networks";

/// The paths of one network's files.
pub(crate) struct Paths {
    pub(crate) def: String,
    pub(crate) autostart: String,
    pub(crate) live: String,
    pub(crate) record: String,
    pub(crate) intent: String,
    pub(crate) pid: String,
    /// dnsmasq's lease file, which outlives a stop of a defined network.
    pub(crate) leases: String,
}

impl Paths {
    /// The paths of the network `name`.
    pub(crate) fn of(name: &NetName) -> Self {
        let stem = name.file_stem();
        Paths {
            def: format!("{DEF_DIR}/{stem}.xml"),
            autostart: format!("{DEF_DIR}/{stem}.autostart"),
            live: format!("{RUN_DIR}/{stem}.xml"),
            record: format!("{RUN_DIR}/{stem}.json"),
            intent: format!("{RUN_DIR}/{stem}.starting"),
            pid: format!("{RUN_DIR}/{stem}.pid"),
            leases: format!("{}/{stem}.leases", crate::backends::dnsmasq::DIR),
        }
    }
}

/// Reads a file under the root, `None` when it does not exist.
pub(crate) fn read(root: &TargetRoot, rel: &str) -> Result<Option<String>, Error> {
    root.read_text(rel)
}

/// Reads a stored network (a definition or a live copy), with every check.
pub(crate) fn read_network(root: &TargetRoot, rel: &str) -> Result<Option<Network>, Error> {
    let Some(text) = read(root, rel)? else {
        return Ok(None);
    };
    let shown = root.shown(rel);
    xml::read_network_with(&SourceFile::new(shown, text), NetworkChecks::Define)
        .map(Some)
        .map_err(Error::Invalid)
}

/// The networks stored in `dir` (definitions or live copies), sorted by name.
pub(crate) fn stored(root: &TargetRoot, dir: &str) -> Result<Vec<Network>, Error> {
    let files: Vec<String> = root
        .entries(dir)?
        .into_iter()
        .filter(|n| n.ends_with(".xml"))
        .collect();
    let mut out = Vec::new();
    for file in files {
        if let Some(net) = read_network(root, &format!("{dir}/{file}"))? {
            out.push(net);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The running networks as they run (their live copies, usage counts included), sorted
/// by name: what guest ports resolve against.
pub(crate) fn running(root: &TargetRoot) -> Result<Vec<Network>, Error> {
    let mut out = Vec::new();
    for net in stored(root, RUN_DIR)? {
        if read(root, &Paths::of(&net.name).record)?.is_some() {
            out.push(net);
        }
    }
    Ok(out)
}

/// Where a running network's live copy is (relative to the root).
pub(crate) fn live_path(name: &NetName) -> String {
    Paths::of(name).live
}
