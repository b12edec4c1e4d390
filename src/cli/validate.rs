//! `netloom validate FILE...`

use std::io::Write;
use std::path::PathBuf;

use super::input;
use crate::error::{Diagnostics, Error, Result};
use crate::show::Shown;
use crate::xml::{self, DocumentKind};

/// Check interface, network, guest or network port XML without changing anything.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each file is interface XML (<interface> or <interfaces>), network XML (one <network>, \
as virsh net-dumpxml prints it), a guest's interfaces (<domain> or <devices>, as virsh dumpxml prints \
them) or a <networkport>; the root element decides, and all kinds may be given together. \
Interface files given together describe one host: an interface defined in two of them is an error. \
A network is checked as libvirt's net-define would check it.\n\nExamples:\n  netloom validate examples/host.xml\n  netloom validate eth0.xml br0.xml\n  virsh iface-dumpxml br0 | netloom validate -\n  virsh net-dumpxml default | netloom validate -\n\nPrints 'FILE: ok' for every valid file; problems go to standard error. Exit 0 when all are valid, 2 otherwise."
)]
pub struct Args {
    /// XML files (`-` for standard input).
    #[arg(required_unless_present = "fleet", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Every host of a fleet repository (docs/fleet.md).
    #[command(flatten)]
    pub fleet: super::args::FleetArgs,
    /// With --fleet: the backend of each host that has no `backend` file (and no root to
    /// tell by); without --fleet, validating needs no backend.
    #[arg(long, value_name = "NAME", requires = "fleet")]
    pub backend: Option<String>,
    /// With --fleet: one line a host, or one JSON object (docs/json.md).
    #[arg(long, value_enum, default_value_t = super::args::Format::Text, requires = "fleet")]
    pub format: super::args::Format,
}

pub(super) fn run(args: &Args) -> Result<()> {
    let (sources, mut problems) = input::read_all(&args.files);
    // Guests and network ports stand alone; interfaces and networks are read together.
    let (alone, together): (Vec<_>, Vec<_>) = sources.into_iter().partition(|s| {
        matches!(
            xml::document_kind(s.text()),
            DocumentKind::Guest | DocumentKind::NetworkPort
        )
    });
    for src in &alone {
        let read = match xml::document_kind(src.text()) {
            DocumentKind::Guest => xml::read_guest(src).map(drop),
            _ => xml::read_netport(src).map(drop),
        };
        if let Err(found) = read {
            problems.extend(found.0);
        }
    }
    let (_, _, found) = input::read_mixed(together);
    problems.extend(found);
    let problems = Diagnostics(problems);
    let bad = problems.files();
    let printed = print_ok(&args.files, &bad);
    // Problems decide the outcome even when nobody reads standard output (`… | grep -q`).
    if !problems.0.is_empty() {
        return Err(Error::Invalid(problems));
    }
    printed.map_err(Error::Output)
}

fn print_ok(files: &[PathBuf], bad: &[&str]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for path in files {
        let name = input::display_name(path);
        if !bad.contains(&name.as_str()) {
            writeln!(out, "{}: ok", Shown(&name))?;
        }
    }
    out.flush()
}
