//! Debian's `/etc/network/interfaces`, as read by ifupdown (0.8) and its helper packages
//! ifenslave, bridge-utils and vlan.
//!
//! Strategy: each top-level interface gets its own file, `etc/network/interfaces.d/NAME`,
//! which starts with [`render::HEADER`] so that netloom knows it wrote it. Every other file
//! ifupdown reads (the main file and whatever it sources) stays the user's: netloom only
//! removes from them the definitions of interfaces it now manages (their `iface` stanzas and
//! their names on `auto`/`allow-*` lines), keeping every other byte, and adds a `source`
//! line to the main file when its own file would otherwise not be read. netcf's Debian
//! mapping (`../shared/notes/netcf.md` §3.2) is the reference, with its losses fixed: the
//! README lists every deliberate difference.

mod render;

use crate::backend::{Backend, BackendError, ObjectKind, RenderedFile, Snapshot};
use crate::model::{Host, IfaceName};

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

    fn accepts(&self, kind: ObjectKind) -> bool {
        kind == ObjectKind::Interfaces
    }

    fn marker(&self) -> Option<&'static str> {
        Some(MAIN)
    }

    fn scan(&self) -> &'static [&'static str] {
        &["etc/network/*", "etc/network/*/*"]
    }

    fn owns(&self, path: &str, text: Option<&str>) -> bool {
        path.strip_prefix(DIR)
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|name| IfaceName::parse(name).is_ok())
            && text.is_some_and(|t| t.starts_with(render::HEADER))
    }

    fn render(&self, host: &Host, _existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        let mut files = Vec::new();
        let mut refusals = Vec::new();
        for iface in &host.interfaces {
            match render::interface_file(iface) {
                Ok(contents) => files.push(RenderedFile {
                    path: format!("{DIR}/{}", iface.name),
                    contents,
                    mode: 0o644,
                }),
                Err(r) => refusals.extend(r),
            }
        }
        if !refusals.is_empty() {
            return Err(BackendError::Unsupported {
                backend: "debian",
                refusals,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    fn import(&self, _existing: &Snapshot, _names: &[IfaceName]) -> Result<Host, BackendError> {
        Ok(Host::default())
    }
}
