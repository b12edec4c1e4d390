//! `netloom boot`: what the units in `dist/systemd/` run while the machine boots.

use clap::ValueEnum;

use super::{Ctx, net, say, with_session};
use crate::engine::boot::{self, Phase};
use crate::error::Result;

/// Roll back what is still pending confirmation, then start the autostart networks.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A transaction still waiting for `netloom confirm` when the machine went down \
is rolled back: the person who was to confirm it lost the machine. Its files are restored in \
the early phase, before the host's network is configured (unit netloom-boot.service); \
NetworkManager profiles, and the autostart networks, in the late phase, once the network is up \
(unit netloom-networks.service). Without --phase, both phases run, in that order.\n\n\
Examples:\n  netloom boot\n  netloom boot --phase early"
)]
pub struct Args {
    /// Run one phase only.
    #[arg(long, value_enum)]
    pub phase: Option<PhaseArg>,
    /// The root.
    #[command(flatten)]
    pub root: super::RootArg,
}

/// The phases of `boot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PhaseArg {
    /// Before the network: restore the files of transactions pending confirmation.
    Early,
    /// After the network: roll back pending NetworkManager profiles, start autostart networks.
    Late,
}

impl From<PhaseArg> for Phase {
    fn from(p: PhaseArg) -> Self {
        match p {
            PhaseArg::Early => Phase::Early,
            PhaseArg::Late => Phase::Late,
        }
    }
}

pub(super) fn run(args: &Args, cli: &Ctx) -> Result<()> {
    let phases = match args.phase {
        Some(p) => vec![Phase::from(p)],
        None => vec![Phase::Early, Phase::Late],
    };
    for phase in phases {
        let rolled = with_session(cli, |s, root| boot::rollback_pending(s, root, phase))?;
        for id in &rolled.ids {
            say(&format!(
                "rolled back transaction {id}: it was still waiting for confirmation when the \
                 machine went down"
            ));
        }
        for id in &rolled.deferred {
            say(&format!(
                "transaction {id} is waiting for confirmation and changed NetworkManager \
                 profiles: `netloom boot --phase late` rolls it back once NetworkManager runs"
            ));
        }
        if phase == Phase::Late {
            net::start_autostart(cli, None, true)?;
        }
    }
    Ok(())
}
