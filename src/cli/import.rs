//! `netloom import [NAME...]` and `netloom list`: a root's configuration as interface XML.

use std::io::Write;

use super::{Cli, choose};
use crate::error::{Error, Result};
use crate::model::{Host, IfaceName};
use crate::show::Shown;
use crate::xml;

/// Read a root's existing configuration back as interface XML.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "ifcfg: an interface is found as netcf found it: its ifcfg-NAME file, else the file whose \
HWADDR is its live MAC (sys/class/net/NAME/address under the root), else a file with DEVICE=NAME.\n\
debian: every stanza ifupdown reads, in etc/network/interfaces and the files it sources.\n\n\
Examples:\n  netloom import --backend ifcfg --root /mnt/sysimage\n  netloom import --backend debian br0 bond0\n  netloom import --root old-root > host.xml"
)]
pub struct Args {
    /// Top-level interfaces to import (all when none are given).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

fn host(cli: &Cli, names: &[String]) -> Result<Host> {
    let names = names
        .iter()
        .map(|n| {
            IfaceName::parse(n)
                .map_err(|e| Error::Usage(format!("invalid interface name '{n}': {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let root = super::open_root(cli)?;
    let backend = choose(cli, &cli.root)?;
    if let super::live::Reach::Store { store, .. } = super::live::reach(cli, &root, backend)? {
        return store.import(&names);
    }
    let existing = root.snapshot(backend.scan())?;
    Ok(backend.import(&existing, &names)?)
}

pub(super) fn run(args: &Args, cli: &Cli) -> Result<()> {
    let host = host(cli, &args.names)?;
    let mut out = std::io::stdout().lock();
    out.write_all(xml::to_xml(&host).as_bytes())
        .map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

pub(super) fn list(cli: &Cli) -> Result<()> {
    let host = host(cli, &[])?;
    let mut out = std::io::stdout().lock();
    for i in &host.interfaces {
        writeln!(out, "{}", Shown(&i.name)).map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)
}
