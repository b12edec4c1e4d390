//! A backend's live half on the command line (`--live-mode`): where a verb's changes go, the
//! backend's files or a service that keeps its configuration, and what brings them up.
//! Nothing here names a backend: each says what it offers through [`crate::live::Live`].

use super::Ctx;
use crate::backend::Backend;
use crate::engine::TargetRoot;
use crate::error::{Error, RefusedKind, Result, UsageKind};
use crate::live::{Activator, Live, Store};

/// How far a command goes on the running host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveMode {
    /// Live when the root is `/`, not inside a chroot, and the backend's service or tool is
    /// there; else files only, saying why when the root is `/`.
    Auto,
    /// Always through the backend's live half, or an error saying why not. A service that
    /// keeps the configuration (NetworkManager) is then used whatever `--root` is, which
    /// only holds netloom's journal and lock.
    Always,
    /// Files only: no service is asked and nothing is brought up or down.
    Never,
}

/// Where a verb's changes go.
pub(super) enum Reach {
    /// A service keeps the configuration: plans, changes and imports go through it.
    Store {
        /// The connection.
        store: Box<dyn Store>,
        /// The name its transactions carry in the journal.
        journal: &'static str,
    },
    /// The backend's files under the root.
    Files,
}

/// Where `backend`'s changes go under `--live-mode`: its service, when it has one that keeps its
/// configuration and the mode says so, else its files.
pub(super) fn reach(cli: &Ctx, root: &TargetRoot, backend: &dyn Backend) -> Result<Reach> {
    let Some(live) = backend.live() else {
        if cli.live == LiveMode::Always {
            return Err(Error::usage(
                UsageKind::Unsupported,
                format!(
                    "--live-mode always: the {} backend has no live half; it writes files only",
                    backend.name()
                ),
            ));
        }
        return Ok(Reach::Files);
    };
    let Some(journal) = live.store_journal_name() else {
        return Ok(Reach::Files);
    };
    match cli.live {
        LiveMode::Never => Ok(Reach::Files),
        LiveMode::Always => {
            refuse_chroot(live)?;
            Ok(Reach::Store {
                store: connect(live)?,
                journal,
            })
        }
        LiveMode::Auto => {
            if let Err(why) = root.running_system() {
                if root.is_system_root() {
                    super::say(&format!(
                        "{why}: {} is not asked; using files under /",
                        live.service()
                    ));
                }
                return Ok(Reach::Files);
            }
            match connect(live) {
                Ok(store) => Ok(Reach::Store { store, journal }),
                Err(e) => {
                    super::say(&format!(
                        "{} does not answer ({e}); using files under /",
                        live.service()
                    ));
                    Ok(Reach::Files)
                }
            }
        }
    }
}

/// What brings `backend`'s files up on this host under `--live-mode`, if anything is to: only
/// when `wanted` (not `--no-activate`), and by default only on the running system's own
/// root. When the root is `/` and nothing can, it says why.
pub(super) fn activator(
    cli: &Ctx,
    root: &TargetRoot,
    backend: &dyn Backend,
    wanted: bool,
) -> Result<Option<Box<dyn Activator>>> {
    if !wanted || cli.live == LiveMode::Never {
        return Ok(None);
    }
    let Some(live) = backend.live() else {
        return Ok(None);
    };
    // A backend whose service keeps its configuration is live through it ([`reach`]); its
    // files are only ever written where that service is not to be asked.
    if live.store_journal_name().is_some() {
        return Ok(None);
    }
    match cli.live {
        LiveMode::Never => Ok(None),
        LiveMode::Always => {
            refuse_chroot(live)?;
            Ok(Some(live.activator(&root.live_context())?))
        }
        LiveMode::Auto => {
            if let Err(why) = root.running_system() {
                if root.is_system_root() {
                    super::say(&format!("{why}: nothing is brought up or down"));
                }
                return Ok(None);
            }
            match live.activator(&root.live_context()) {
                Ok(a) => Ok(Some(a)),
                Err(e) => {
                    super::say(&format!("nothing is brought up or down: {}", e.report()));
                    Ok(None)
                }
            }
        }
    }
}

/// A connection to the service that keeps a backend's configuration.
fn connect(live: &dyn Live) -> Result<Box<dyn Store>> {
    live.store().unwrap_or_else(|| {
        Err(Error::refused(
            RefusedKind::Unsupported,
            format!("{} keeps no configuration", live.service()),
        ))
    })
}

/// A chroot's `/` belongs to another system (an installer's target), whose service on the
/// other side of a reachable bus is the installer's own: never changed, whatever `--live-mode`.
fn refuse_chroot(live: &dyn Live) -> Result<()> {
    if crate::engine::chroot() == crate::engine::Chroot::Inside {
        return Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "netloom runs inside a chroot, whose running system is not the one configured: \
             {} is not changed; run without --live-mode always to write files only",
                live.service()
            ),
        ));
    }
    Ok(())
}
