//! The command line: clap definitions and one module per verb.
//!
//! Verbs read their inputs, call the library and print; they hold no logic of their own that
//! a test of the library would miss. Exit codes are decided in `main.rs` from the error kind.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::backend::Backend;
use crate::backends;
use crate::engine::TargetRoot;
use crate::error::{Error, Result};

mod dumpxml;
mod import;
mod input;
mod render;
mod validate;

/// netloom: one declaration of a host's networking, rendered safely into what the
/// distribution uses.
#[derive(Debug, Parser)]
#[command(
    name = "netloom",
    version,
    about = "Turn libvirt interface XML into the network configuration your distribution uses",
    after_help = "Examples:\n  netloom validate examples/host.xml\n  netloom render --backend ifcfg examples/host.xml\n  netloom import --backend ifcfg --root /mnt/sysimage\n\nExit codes: 0 success, 2 any error (bad input, unreadable file)."
)]
pub struct Cli {
    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
    /// The target root every path is read from and written to (an installer's /mnt/sysimage).
    #[arg(long, global = true, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The backend to use; without it, the one whose files the root has.
    #[arg(long, global = true, value_name = "NAME")]
    pub backend: Option<String>,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check interface XML and report every problem as file:line:col.
    Validate(validate::Args),
    /// Print interface XML in canonical form.
    Dumpxml(dumpxml::Args),
    /// Show or write the files a backend makes of interface XML.
    Render(render::Args),
    /// Read a root's existing configuration back as interface XML.
    Import(import::Args),
    /// List the top-level interfaces a root's configuration defines.
    #[command(
        after_help = "Examples:\n  netloom list --backend ifcfg --root /mnt/sysimage\n  netloom list"
    )]
    List,
    /// List the backends, marking the one the root uses.
    #[command(
        after_help = "Examples:\n  netloom backends\n  netloom backends --root /mnt/sysimage"
    )]
    Backends,
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Dumpxml(args) => dumpxml::run(args),
        Command::Render(args) => render::run(args, &cli),
        Command::Import(args) => import::run(args, &cli),
        Command::List => import::list(&cli),
        Command::Backends => list_backends(&cli),
    }
}

/// The backend `--backend` names, or the one whose marker the root has.
pub(crate) fn choose(cli: &Cli, root: &Path) -> Result<&'static dyn Backend> {
    let names = || {
        backends::ALL
            .iter()
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = &cli.backend {
        return backends::find(name).ok_or_else(|| {
            Error::Usage(format!("unknown backend '{name}'; available: {}", names()))
        });
    }
    let found = detected(root);
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::Usage(format!(
            "cannot tell which backend {} uses; give --backend (one of: {})",
            root.display(),
            names()
        ))),
        many => Err(Error::Usage(format!(
            "{} has files of several backends ({}); give --backend",
            root.display(),
            many.iter().map(|b| b.name()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn detected(root: &Path) -> Vec<&'static dyn Backend> {
    let Ok(root) = TargetRoot::open(root) else {
        return Vec::new();
    };
    backends::ALL
        .iter()
        .copied()
        .filter(|b| {
            b.marker()
                .is_some_and(|m| root.resolve(m).is_ok_and(|p| p.exists()))
        })
        .collect()
}

fn list_backends(cli: &Cli) -> Result<()> {
    use std::io::Write;
    let found = detected(&cli.root);
    let mut out = std::io::stdout().lock();
    for b in backends::ALL {
        let mark = if found.iter().any(|f| f.name() == b.name()) {
            "  (used by the root)"
        } else {
            ""
        };
        writeln!(out, "{}{mark}", b.name()).map_err(Error::Output)?;
    }
    Ok(())
}
