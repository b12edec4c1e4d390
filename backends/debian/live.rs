//! The Debian backend's live half: ifupdown's own `ifdown` and `ifup`, run with
//! `/etc/network/interfaces` as the running system has it, so an interface is taken down
//! exactly as the old files configured it and brought up as the new ones do (hooks such
//! as bridge-utils' included). Only the interfaces a change touches are run.

use std::path::PathBuf;

use crate::error::{Error, RefusedKind};
use crate::live::{Activator, Context, Live, cmd};

/// The tool, as messages name it and the journal records it.
const IFUPDOWN: &str = "ifupdown";

/// ifupdown as the Debian backend's live half.
pub struct DebianLive;

impl Live for DebianLive {
    fn service(&self) -> &'static str {
        IFUPDOWN
    }

    fn activator(&self, cx: &Context) -> Result<Box<dyn Activator>, Error> {
        // ifupdown reads /etc/network whatever the root: another root's files would bring
        // up what the running system's say.
        if !cx.running_system {
            return Err(Error::refused(
                RefusedKind::Elsewhere,
                format!(
                    "ifupdown reads /etc/network/interfaces of the running system, and the root \
                 is {}; only a root of / is brought up",
                    cx.root.display()
                ),
            ));
        }
        for tool in ["ifup", "ifdown", "ifquery"] {
            if cmd::locate(tool).is_none() {
                return Err(Error::refused(
                    RefusedKind::Unsupported,
                    format!("{tool} is not installed (Debian package ifupdown)"),
                ));
            }
        }
        Ok(Box::new(Ifupdown))
    }

    fn reopen(&self, via: &str, cx: &Context) -> Result<Box<dyn Activator>, Error> {
        if via != IFUPDOWN {
            return Err(Error::refused(
                RefusedKind::Unsupported,
                format!("the Debian backend brings files up with ifupdown, not {via}"),
            ));
        }
        self.activator(cx)
    }
}

/// `ifdown` and `ifup`, one interface at a time.
struct Ifupdown;

impl Activator for Ifupdown {
    fn via(&self) -> &'static str {
        IFUPDOWN
    }

    /// The interfaces ifupdown has configured (`ifquery --state`): those `ifdown` takes
    /// down. One brought up by something else is not ifupdown's to take down.
    fn up(&self, names: &[String]) -> Result<Vec<String>, Error> {
        let state = cmd::run("ifquery", &["--state"])?;
        let configured: Vec<&str> = state.lines().filter_map(|l| l.split('=').next()).collect();
        Ok(names
            .iter()
            .filter(|n| configured.contains(&n.as_str()))
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
