//! RHEL/Fedora `ifcfg-*` files, as read by initscripts' network-scripts and by
//! NetworkManager's ifcfg-rh plugin.
//!
//! netcf's RedHat mapping is the reference (`../shared/notes/netcf.md` §3.1), with its losses
//! fixed: a gateway given with DHCP is kept, a vlan's tag is always written (`VLAN_ID`), and
//! files are merged key by key instead of wiped. The README lists every deliberate
//! difference.

mod import;
mod parse;
mod render;

use crate::backend::{Backend, BackendError, ObjectKind, RenderedFile, Snapshot};
use crate::model::{Host, IfaceName};

/// Where the files live, relative to the target root.
pub const DIR: &str = "etc/sysconfig/network-scripts";

/// The ifcfg backend.
pub struct Ifcfg;

impl Backend for Ifcfg {
    fn name(&self) -> &'static str {
        "ifcfg"
    }

    fn accepts(&self, kind: ObjectKind) -> bool {
        kind == ObjectKind::Interfaces
    }

    fn marker(&self) -> Option<&'static str> {
        Some(DIR)
    }

    fn scan(&self) -> &'static [&'static str] {
        &[
            "etc/sysconfig/network-scripts/ifcfg-*",
            "sys/class/net/*/address",
        ]
    }

    fn owns(&self, path: &str, _text: Option<&str>) -> bool {
        path.strip_prefix(DIR)
            .and_then(|p| p.strip_prefix("/ifcfg-"))
            // The loopback's file belongs to the distribution: a declaration that does not
            // mention `lo` must not delete it.
            .is_some_and(|name| !name.is_empty() && name != "lo" && !parse::is_ignored(name))
    }

    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError> {
        render::render(host, existing)
    }

    fn import(&self, existing: &Snapshot, names: &[IfaceName]) -> Result<Host, BackendError> {
        import::import(existing, names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owns_ifcfg_files_but_not_backups_or_neighbours() {
        assert!(Ifcfg.owns("etc/sysconfig/network-scripts/ifcfg-eth0", None));
        assert!(Ifcfg.owns("etc/sysconfig/network-scripts/ifcfg-by-device", None));
        for other in [
            "etc/sysconfig/network-scripts/ifcfg-eth0.bak",
            "etc/sysconfig/network-scripts/ifcfg-lo",
            "etc/sysconfig/network-scripts/ifcfg-",
            "etc/sysconfig/network-scripts/route-eth0",
            "etc/sysconfig/network-scripts-old/ifcfg-eth0",
            "sys/class/net/eth0/address",
        ] {
            assert!(!Ifcfg.owns(other, None), "{other}");
        }
    }
}
