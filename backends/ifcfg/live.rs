//! The ifcfg backend's live half. Where NetworkManager runs (RHEL 8 and 9, whose
//! NetworkManager reads ifcfg files through its ifcfg-rh plugin), it is asked over D-Bus:
//! the changed files loaded again and the touched interfaces activated, inside a checkpoint,
//! as the nm backend's files are ([`crate::backends::nm::live::NmFiles`]). Where it does not
//! and initscripts' `ifup` is installed (the legacy network-scripts), its `ifdown` and `ifup`
//! are run. Where neither is, nothing is brought up, and netloom says so.

use std::path::{Path, PathBuf};

use crate::backends::nm::live::{Client, NmFiles, VIA as NETWORKMANAGER};
use crate::error::{Error, RefusedKind};
use crate::live::{Activator, Context, Live, cmd};

/// What the journal records of initscripts' way.
const INITSCRIPTS: &str = "initscripts";

/// initscripts' own scripts, which only the network-scripts package installs: a `ifup` on
/// `PATH` alone may be ifupdown's (Debian) or NetworkManager's wrapper.
const INITSCRIPTS_MARK: &str = "/etc/sysconfig/network-scripts/ifup-eth";

/// The ifcfg backend's live half.
pub struct IfcfgLive;

impl Live for IfcfgLive {
    fn service(&self) -> &'static str {
        "NetworkManager or initscripts"
    }

    fn activator(&self, cx: &Context) -> Result<Box<dyn Activator>, Error> {
        if !cx.running_system {
            return Err(Error::refused(
                RefusedKind::Elsewhere,
                format!(
                    "the root is {}, which is not the running system's: its ifcfg files are \
                 not the ones NetworkManager or initscripts read",
                    cx.root.display()
                ),
            ));
        }
        let nm = match Client::connect() {
            Ok(client) => return Ok(Box::new(NmFiles::new(client))),
            Err(e) => e,
        };
        if Path::new(INITSCRIPTS_MARK).is_file() && cmd::locate("ifup").is_some() {
            return Ok(Box::new(Initscripts));
        }
        Err(Error::refused(
            RefusedKind::Unsupported,
            format!(
                "neither NetworkManager ({nm}) nor initscripts' ifup ({INITSCRIPTS_MARK}) is \
             here, so nothing was activated"
            ),
        ))
    }

    fn reopen(&self, via: &str, cx: &Context) -> Result<Box<dyn Activator>, Error> {
        match via {
            NETWORKMANAGER => Ok(Box::new(NmFiles::new(Client::connect()?))),
            INITSCRIPTS => Ok(Box::new(Initscripts)),
            _ => self.activator(cx),
        }
    }
}

/// initscripts' `ifdown` and `ifup`, one interface at a time.
struct Initscripts;

impl Activator for Initscripts {
    fn via(&self) -> &'static str {
        INITSCRIPTS
    }

    /// initscripts keeps no state: an interface is up when its link is administratively up.
    fn up(&self, names: &[String]) -> Result<Vec<String>, Error> {
        Ok(names
            .iter()
            .filter(|n| {
                std::fs::read_to_string(format!("/sys/class/net/{n}/flags"))
                    .ok()
                    .and_then(|f| u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).ok())
                    .is_some_and(|flags| flags & 1 == 1)
            })
            .cloned()
            .collect())
    }

    fn down(&self, names: &[String]) -> Result<(), Error> {
        cmd::each("ifdown", names)
    }

    fn up_with(&self, _files: &[PathBuf], names: &[String]) -> Result<(), Error> {
        cmd::each("ifup", names)
    }
}
