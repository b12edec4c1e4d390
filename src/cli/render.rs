//! `netloom render --backend B FILE... [--out DIR]`

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{Ctx, choose, input};
use crate::backend::{Backend, RenderedFile, Snapshot};
use crate::engine::{self, TargetRoot};
use crate::error::{Error, Result};
use crate::show::Shown;

/// Show or write the files a backend makes of interface XML.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Existing files under the root (or under --out DIR) are merged into, not replaced: \
keys netloom does not manage, and comments, are kept.\n\n\
Examples:\n  netloom render --backend ifcfg examples/host.xml\n  netloom render --backend ifcfg examples/host.xml --out /tmp/root\n  netloom render --root /mnt/sysimage host.xml"
)]
pub struct Args {
    /// Interface XML files (`-` for standard input); together they describe one host.
    #[arg(required_unless_present = "fleet", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write the files under DIR as if it were the target root, instead of printing them
    /// (with --fleet, each host's under DIR/HOST).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The root.
    #[command(flatten)]
    pub root: super::RootArg,
    /// The backend.
    #[command(flatten)]
    pub backend: super::BackendArg,
    /// Every host of a fleet repository (docs/fleet.md).
    #[command(flatten)]
    pub fleet: super::args::FleetArgs,
}

pub(super) fn run(args: &Args, cli: &Ctx) -> Result<()> {
    let host = input::load(&args.files)?;
    let root_dir = args.out.as_deref().unwrap_or(&cli.root);
    let backend = choose(cli, root_dir)?;
    let root = match &args.out {
        Some(dir) => Some(TargetRoot::create(dir)?.with_read_limit(cli.max_input_size)),
        None => TargetRoot::open(&cli.root)
            .ok()
            .map(|_| super::open_root(cli))
            .transpose()?,
    };
    let existing = existing(root.as_ref(), backend)?;
    let files = backend.render(&host, &existing)?;
    let done = match (&args.out, &root) {
        (Some(_), Some(root)) => engine::write_files(root, &files),
        _ => print_files(&files),
    };
    // The process ends next: freeing every file, profile and interface one by one costs
    // more (a tenth of rendering 1,000 keyfiles) than the kernel taking the memory back.
    std::mem::forget((files, existing, host));
    done
}

/// What the backend's files under the root hold now, for a render to merge into; nothing
/// without a root.
pub(super) fn existing(root: Option<&TargetRoot>, backend: &dyn Backend) -> Result<Snapshot> {
    match root {
        Some(r) => r.snapshot(backend.scan()),
        None => Ok(Snapshot::default()),
    }
}

/// Prints rendered files one after the other, each under a `==> PATH <==` header (as
/// `tail` and `head` separate files), for `render` and `net render` alike. The path is shown
/// escaped; the contents are the file's bytes. Buffered: standard output alone flushes at
/// every line, which costs a system call per line.
pub(super) fn print_files(files: &[RenderedFile]) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write_headed(&mut out, files, "", true)
        .and_then(|()| out.flush())
        .map_err(Error::Output)
}

/// Writes files as [`print_files`] shows them, each path after `prefix` (a fleet's host
/// directory, `web1/`); `first` when nothing was written before, so no blank line leads.
pub(super) fn write_headed(
    out: &mut dyn Write,
    files: &[RenderedFile],
    prefix: &str,
    first: bool,
) -> std::io::Result<()> {
    for (i, f) in files.iter().enumerate() {
        let sep = if i == 0 && first { "" } else { "\n" };
        write!(
            out,
            "{sep}==> {}{} <==\n{}",
            Shown(prefix),
            Shown(&f.path),
            f.contents
        )?;
    }
    Ok(())
}
