//! The live contracts of a virtual network's backends: what the engine asks of a firewall
//! backend and of the DHCP and DNS server while it starts, stops or updates a network.
//!
//! Each backend owns everything about its tool (the commands, how its output reads, how what
//! it loaded comes off again); the engine only sequences these calls and records what each
//! gave, so a new firewall is a folder with a [`FirewallBackend`] and a registry line
//! ([`crate::backends::FIREWALLS`]), and the engine names no tool.

use std::collections::BTreeMap;

use crate::backend::BackendError;
use crate::backend::{NetBackend, RenderedFile};
use crate::backends::firewall::{self, BaseStep, Plan};
use crate::error::Error;
use crate::live::cmd;
use crate::model::network::Network;

/// How one loaded fragment comes off again, as a network's record keeps it: feeding `input`
/// to `loader` removes exactly its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The command, program first.
    pub loader: Vec<String>,
    /// Its standard input.
    pub input: String,
    /// Whatever identifies the tables the rules went into (nft: each family's table handle),
    /// so a removal never reaches into a table made again since; empty where the tool needs
    /// none.
    pub tables: BTreeMap<String, u64>,
}

/// A firewall a running network's rules go into: its renderer ([`NetBackend`]) and the live
/// half that loads and removes what it rendered with its own tool.
pub trait FirewallBackend: NetBackend {
    /// One line for `--firewall`'s help: what the backend writes and with what.
    fn summary(&self) -> &'static str;

    /// The program whose working makes this backend the default, for the message when none
    /// does.
    fn program(&self) -> &'static str;

    /// Whether its tool works here (the default is the first backend of the registry that
    /// works).
    fn works(&self) -> bool;

    /// The one-time shared setup's steps: the chains and the jumps into them.
    fn setup_steps(&self) -> Vec<BaseStep>;

    /// The steps that add netloom's DNAT chain to the shared setup.
    fn dnat_steps(&self) -> Vec<BaseStep>;

    /// The shared setup a start needs: with netloom's DNAT chain when `dnat`.
    fn base_steps(&self, dnat: bool) -> Vec<BaseStep> {
        let mut steps = self.setup_steps();
        if dnat {
            steps.extend(self.dnat_steps());
        }
        steps
    }

    /// Loads one of the network's rendered fragments; returns how it comes off again. A
    /// fragment whose removal cannot be worked out is refused (and, where the tool allows
    /// knowing it first, never loaded).
    fn load(&self, file: &RenderedFile) -> Result<Loaded, Error>;

    /// Takes a loaded fragment away, tolerating rules gone already (a firewall reload);
    /// returns how many were.
    fn remove(&self, loaded: &Loaded) -> Result<usize, Error>;

    /// Takes away the parts of the shared setup in `loaded` that nothing uses any more, and
    /// returns those that stay (still used by someone's rules, or not removable).
    fn remove_base(&self, loaded: &[BaseStep]) -> Vec<BaseStep>;

    /// The network's fragments from its firewall `plan`, which the engine works out once
    /// for a start and hands to each step ([`NetBackend::render`] works it out itself).
    fn fragments(&self, net: &Network, plan: &Plan) -> Result<Vec<RenderedFile>, BackendError>;

    /// What else the network needs once its rules are in (nftables: the DHCP checksum fix
    /// on the bridge); a warning for the user when it cannot be had, which costs little
    /// enough not to fail the start.
    fn after_load(&self, _net: &Network, _plan: &Plan) -> Option<String> {
        None
    }

    /// Completes the shared setup: each step whose probe fails is loaded and added to
    /// `loaded` (also when a later step fails, so the caller can take it away again).
    fn load_base(&self, dnat: bool, loaded: &mut Vec<BaseStep>) -> Result<(), Error> {
        for step in self.base_steps(dnat) {
            if cmd::output(&step.probe, None)?.ok {
                continue;
            }
            cmd::run_argv(&step.loader, Some(&step.input))?;
            loaded.push(step);
        }
        Ok(())
    }
}

/// The fragments of `net` for `fw`, its plan worked out here: what [`NetBackend::render`]
/// of a firewall backend gives.
pub fn render_firewall(
    fw: &dyn FirewallBackend,
    net: &Network,
) -> Result<Vec<RenderedFile>, BackendError> {
    match firewall::plan(net)? {
        Some(plan) => fw.fragments(net, &plan),
        None => Ok(Vec::new()),
    }
}

/// The DHCP and DNS server of a network with its own bridge: its renderer and the process
/// it runs on those files.
pub trait DhcpServer: NetBackend {
    /// Whether it serves `net` at all (a bridge of its own and an `<ip>`).
    fn serves(&self, net: &Network) -> bool;

    /// Where its files go, relative to the target root (it is given absolute paths inside
    /// it, which must be searchable by the unprivileged user it drops to).
    fn dir(&self) -> &'static str;

    /// Fails, naming `net` and the package to install, when its program is not installed:
    /// checked before anything of the network is made.
    fn installed(&self, net: &Network) -> Result<(), Error>;

    /// Starts it on `conf` with the lease file `leases`, returning once it serves.
    fn start(&self, conf: &str, leases: &str) -> Result<(), Error>;

    /// Stops the one of `conf` (pid `recorded`, only a hint); one not running is fine.
    fn stop(&self, conf: &str, recorded: Option<u32>) -> Result<(), Error>;

    /// Tells the one of `conf` to reread its hosts files; its pid.
    fn reload(&self, conf: &str, recorded: Option<u32>) -> Result<u32, Error>;

    /// Stops and starts the one of `conf` on the same lease file, to read every option.
    fn restart(&self, conf: &str, recorded: Option<u32>, leases: &str) -> Result<(), Error>;

    /// The pid of the running one of `conf`, or an error saying it is not running.
    fn running(&self, conf: &str, recorded: Option<u32>) -> Result<u32, Error>;
}

/// Feeds a removal to its loader. When that fails as a whole (a rule is gone already: the
/// firewall was reloaded, or someone deleted it), each of `singles` (the removal split into
/// inputs of one command each) is fed alone, so what is left still comes off. Returns how
/// many commands failed, added to `missing` (those the backend found gone beforehand).
pub fn feed_removal(
    loader: &[String],
    input: &str,
    singles: impl FnOnce(&str) -> Vec<String>,
    mut missing: usize,
) -> Result<usize, Error> {
    if input.trim().is_empty() || cmd::output(loader, Some(input))?.ok {
        return Ok(missing);
    }
    for single in singles(input) {
        if !cmd::output(loader, Some(&single))?.ok {
            missing += 1;
        }
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::feed_removal;
    use crate::backends::{DHCP, FIREWALLS, NETWORK, firewall};
    use crate::live::cmd::argv;

    #[test]
    fn every_firewall_and_the_dhcp_server_render_through_the_network_registry() {
        let rendered: Vec<&str> = NETWORK.iter().map(|b| b.name()).collect();
        for fw in FIREWALLS {
            assert!(
                rendered.contains(&fw.name()),
                "{} renders nothing",
                fw.name()
            );
            assert_eq!(firewall(fw.name()).map(|f| f.name()), Some(fw.name()));
        }
        assert!(rendered.contains(&DHCP.name()));
        assert!(firewall(DHCP.name()).is_none());
        let mut names: Vec<&str> = FIREWALLS.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIREWALLS.len(), "two firewalls of one name");
    }

    #[test]
    fn a_removal_that_fails_as_a_whole_is_fed_one_command_at_a_time() {
        let split = |input: &str| input.lines().map(|l| format!("{l}\n")).collect();
        // Taken whole: nothing more was missing than the backend found.
        assert_eq!(
            feed_removal(&argv(&["true"]), "a\nb\n", split, 1).unwrap(),
            1
        );
        // Refused whole, then each line refused too: every one was gone.
        assert_eq!(
            feed_removal(&argv(&["false"]), "a\nb\nc\n", split, 1).unwrap(),
            4
        );
        // Nothing left to remove: the loader is not even run.
        assert_eq!(feed_removal(&argv(&["false"]), " \n", split, 2).unwrap(), 2);
    }
}
