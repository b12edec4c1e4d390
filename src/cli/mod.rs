//! The command line: clap definitions and one module per verb.
//!
//! Verbs read their inputs, call the library and print; they hold no logic of their own that
//! a test of the library would miss. Exit codes are decided in `main.rs` from the error kind.

use clap::{Parser, Subcommand};

use crate::error::Result;

mod dumpxml;
mod input;
mod validate;

/// netloom: one declaration of a host's networking, rendered safely into what the
/// distribution uses.
#[derive(Debug, Parser)]
#[command(
    name = "netloom",
    version,
    about = "Turn libvirt interface XML into the network configuration your distribution uses",
    after_help = "Examples:\n  netloom validate examples/host.xml\n  netloom dumpxml examples/host.xml\n\nExit codes: 0 success, 2 any error (bad input, unreadable file)."
)]
pub struct Cli {
    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check interface XML and report every problem as file:line:col.
    Validate(validate::Args),
    /// Print interface XML in canonical form.
    Dumpxml(dumpxml::Args),
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Dumpxml(args) => dumpxml::run(&args),
    }
}
