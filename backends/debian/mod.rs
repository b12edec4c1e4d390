//! Debian's `/etc/network/interfaces`, as read by ifupdown (0.8) and its helper packages
//! ifenslave, bridge-utils and vlan.
//!
//! Strategy: each top-level interface gets its own file, `etc/network/interfaces.d/NAME`,
//! which starts with [`render::HEADER`] so that netloom knows it wrote it. Every other file
//! ifupdown reads (the main file and whatever it sources) stays the user's: netloom only
//! removes from them the definitions of interfaces it now manages (their `iface` stanzas and
//! their names on `auto`/`allow-*` lines), keeping every other byte, and adds a `source`
//! line to the main file when its own file would otherwise not be read. netcf's Debian
//! mapping is the reference, with its losses fixed: docs/debian.md lists every deliberate
//! difference, and `tests/debian_netcf.rs` runs netcf's own test data.

mod import;
mod include;
pub mod live;
mod render;
mod splice;

use std::collections::{BTreeMap, BTreeSet};

use crate::backend::{Backend, BackendError, Imported, Removal, RenderedFile, Snapshot};
use crate::model::{Host, IfaceName, Interface, InterfaceKind, PortKind};

/// The file ifupdown reads first, relative to the target root.
pub const MAIN: &str = "etc/network/interfaces";

/// Where netloom writes one file per top-level interface.
pub const DIR: &str = "etc/network/interfaces.d";

/// The Debian backend.
pub struct Debian;

impl Backend for Debian {
    fn name(&self) -> &'static str {
        "debian"
    }

    fn marker(&self) -> Option<&'static str> {
        Some(MAIN)
    }

    fn running(&self) -> Option<crate::backend::Running> {
        // ifup records each interface it brought up there; networking.service brings up
        // `lo` on every Debian, so only another interface says ifupdown is at work.
        Some(crate::backend::Running::StateFile("run/network/ifstate"))
    }

    fn scan(&self) -> &'static [&'static str] {
        // Not all of etc/network: its hook directories hold symlinks into /lib, which a
        // root other than / cannot follow, and scripts that are none of netloom's business.
        &[
            "etc/network/interfaces",
            "etc/network/interfaces.*",
            "etc/network/interfaces.d/*",
            "etc/systemd/network/10-netloom-*.link",
            "sys/class/net/*/address",
        ]
    }

    fn owns(&self, path: &str, text: Option<&str>) -> bool {
        (path.strip_prefix(DIR).and_then(|p| p.strip_prefix('/')))
            .or_else(|| render::link_name(path))
            .is_some_and(|name| IfaceName::parse(name).is_ok())
            && text.is_some_and(|t| t.starts_with(render::HEADER))
    }

    fn live(&self) -> Option<&dyn crate::live::Live> {
        Some(&live::DebianLive)
    }

    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        let mut own = Vec::new();
        let mut refusals = Vec::new();
        for iface in &host.interfaces {
            match render::interface_file(iface) {
                // Made text at once, each file's stanzas freed before the next is built:
                // 10,000 files' stanzas held to the end cost the allocator more than the
                // text does.
                Ok(file) if refusals.is_empty() => own.push(RenderedFile {
                    path: format!("{DIR}/{}", iface.name),
                    contents: file.text()?,
                    mode: 0o644,
                }),
                Ok(_) => {}
                Err(r) => refusals.extend(r),
            }
        }
        if !refusals.is_empty() {
            return Err(BackendError::Unsupported {
                backend: "debian",
                refusals,
            });
        }
        let managed = host.interfaces.iter().flat_map(names).collect();
        let owned = self.owned(&existing.files);
        let links = splice::links(host, &existing.files, &owned)?;
        let mut files = splice::plan(splice::Inputs {
            existing: &existing.files,
            binary: &existing.binary,
            own,
            owned,
            managed,
        })?;
        files.extend(links);
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    fn undefine(&self, existing: &Snapshot, target: &Host) -> Result<Removal, BackendError> {
        let tops: Vec<String> = target
            .interfaces
            .iter()
            .map(|i| i.name.to_string())
            .collect();
        let names = target.interfaces.iter().flat_map(names).collect();
        splice::remove(
            &existing.files,
            &existing.binary,
            &self.owned(&existing.files),
            &tops,
            &names,
        )
    }

    fn import_noted(
        &self,
        existing: &Snapshot,
        names: &[IfaceName],
    ) -> Result<Imported, BackendError> {
        import::import(existing, names)
    }
}

impl Debian {
    /// The existing files netloom wrote.
    fn owned(&self, files: &BTreeMap<String, String>) -> BTreeSet<String> {
        files
            .iter()
            .filter(|(p, t)| self.owns(p, Some(t)))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// Every interface name a top-level interface defines: its own, its ports' and its slaves'.
fn names(iface: &Interface) -> Vec<String> {
    let mut out = vec![iface.name.to_string()];
    let slaves = |b: &crate::model::Bond, out: &mut Vec<String>| {
        out.extend(b.slaves.iter().map(|s| s.name.to_string()));
    };
    match &iface.kind {
        InterfaceKind::Ethernet(_) | InterfaceKind::Vlan(_) => {}
        InterfaceKind::Bond(b) => slaves(b, &mut out),
        InterfaceKind::Bridge(br) => {
            for port in &br.ports {
                out.push(port.name.to_string());
                if let PortKind::Bond(b) = &port.kind {
                    slaves(b, &mut out);
                }
            }
        }
    }
    out
}
