//! `netloom dumpxml FILE...`

use std::io::Write;
use std::path::PathBuf;

use super::input;
use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::xml;

/// Print interface or network XML in canonical form.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The canonical form has libvirt's elements in netcf's order, two-space indent and \
single-quoted attributes; a vlan without a name gets DEV.TAG and <shared bridge=…/> is written as the \
bridge it means. It reads back to the same model. Several interfaces are printed inside <interfaces>.\n\n\
A network file (root <network>, one per file) is printed as virsh net-dumpxml would print it, with \
what netloom fills in when it is missing: a UUID derived from the name and, for a network with a \
bridge of its own, a 52:54:00 bridge MAC derived from the UUID (both stable, never random). \
Several networks are printed one after the other. Interface and network files cannot be mixed here.\n\n\
Examples:\n  netloom dumpxml examples/host.xml\n  netloom dumpxml eth0.xml br0.xml > host.xml\n  cat br0.xml | netloom dumpxml -\n  netloom dumpxml default-network.xml"
)]
pub struct Args {
    /// Interface XML files, which together describe one host, or network XML files (`-` for
    /// standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub(super) fn run(args: &Args) -> Result<()> {
    let (sources, mut problems) = input::read_all(&args.files);
    let (networks, interfaces) = input::split_kinds(sources);
    if networks.is_empty() {
        // Interface files only: exactly the behaviour before networks existed.
        let host = input::host_of(&interfaces, problems)?;
        return print(&xml::to_xml(&host));
    }
    for src in &interfaces {
        problems.push(Diagnostic::new(
            src.name(),
            None,
            "this is interface XML, given together with network XML; dumpxml prints one kind at a time",
        ));
    }
    let (mut nets, _, found) = input::read_mixed(networks);
    problems.extend(found);
    if !problems.is_empty() {
        return Err(Error::Invalid(Diagnostics(problems)));
    }
    let mut text = String::new();
    for net in &mut nets {
        net.fill_defaults();
        text.push_str(&xml::network_to_xml(net));
    }
    print(&text)
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}
