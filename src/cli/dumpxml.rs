//! `netloom dumpxml FILE...`

use std::io::Write;
use std::path::PathBuf;

use super::input;
use crate::error::{Error, Result};
use crate::xml;

/// Print interface XML in canonical form.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The canonical form has libvirt's elements in netcf's order, two-space indent and \
single-quoted attributes; a vlan without a name gets DEV.TAG and <shared bridge=…/> is written as the \
bridge it means. It reads back to the same model. Several interfaces are printed inside <interfaces>.\n\n\
Examples:\n  netloom dumpxml examples/host.xml\n  netloom dumpxml eth0.xml br0.xml > host.xml\n  cat br0.xml | netloom dumpxml -"
)]
pub struct Args {
    /// Interface XML files (`-` for standard input); together they describe one host.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub(super) fn run(args: &Args) -> Result<()> {
    let host = input::load(&args.files)?;
    let mut out = std::io::stdout().lock();
    out.write_all(xml::to_xml(&host).as_bytes())
        .map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}
