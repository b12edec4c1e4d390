//! The `nm` backend's live half on the command line: when NetworkManager runs, `diff`,
//! `apply`, `undefine` and `import` go through its D-Bus API instead of keyfiles.

use super::apply::{ApplyArgs, Target, UndefineArgs, commit};
use super::{Cli, Status};
use crate::backend::Backend;
use crate::backends::nm::live::Client;
use crate::engine::{self, TargetRoot};
use crate::error::Result;
use crate::model::{Host, IfaceName};

/// How the `nm` backend reaches NetworkManager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NmMode {
    /// Over D-Bus when the root is `/` and NetworkManager answers there; else keyfiles.
    Auto,
    /// Always over D-Bus; `--root` then only holds netloom's journal and lock.
    Live,
    /// Always keyfiles under the root, even when NetworkManager runs.
    Keyfile,
}

/// The client to use, when `backend` is `nm` and the mode says live.
pub(super) fn client(
    cli: &Cli,
    root: &TargetRoot,
    backend: &dyn Backend,
) -> Result<Option<Client>> {
    if backend.name() != "nm" {
        return Ok(None);
    }
    match cli.nm {
        NmMode::Keyfile => Ok(None),
        NmMode::Live => Ok(Some(Client::connect()?)),
        NmMode::Auto => {
            if !root.is_system_root() {
                return Ok(None);
            }
            match Client::connect() {
                Ok(client) => Ok(Some(client)),
                Err(e) => {
                    super::say(&format!(
                        "NetworkManager does not answer ({e}); using keyfiles under /"
                    ));
                    Ok(None)
                }
            }
        }
    }
}

fn target() -> Target<'static> {
    Target {
        place: "NetworkManager".into(),
        noun: "profile",
    }
}

pub(super) fn apply(
    root: &TargetRoot,
    client: &Client,
    host: &Host,
    args: &ApplyArgs,
) -> Result<Status> {
    commit(
        root,
        &target(),
        args.yes,
        args.confirm,
        args.color,
        || engine::nm::plan(client, host),
        |p| &p.plan,
        |session, plan| session.apply_live(client, plan, "apply", args.confirm, !args.no_activate),
    )
}

pub(super) fn undefine(
    root: &TargetRoot,
    client: &Client,
    name: &IfaceName,
    args: &UndefineArgs,
) -> Result<Status> {
    let command = format!("undefine {name}");
    commit(
        root,
        &target(),
        args.yes,
        None,
        args.color,
        || engine::nm::plan_undefine(client, name),
        |p| &p.plan,
        |session, plan| session.apply_live(client, plan, &command, None, false),
    )
}
