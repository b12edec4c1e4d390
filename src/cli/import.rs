//! `netloom import [NAME...]` and `netloom list`: a root's configuration as interface XML.

use std::io::Write;

use super::{Ctx, choose};
use crate::backend::{Backend, Imported, Note};
use crate::engine::TargetRoot;
use crate::error::{Diagnostics, Error, Result, UsageKind};
use crate::model::IfaceName;
use crate::show::Shown;
use crate::xml;

/// Read a root's existing configuration back as interface XML.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "ifcfg: an interface is found as netcf found it: its ifcfg-NAME file, else the file whose \
HWADDR is its live MAC (sys/class/net/NAME/address under the root), else a file with DEVICE=NAME.\n\
debian: every stanza ifupdown reads, in etc/network/interfaces and the files it sources.\n\n\
What the model cannot hold is said on standard error, one note a line (file:line:col: note: …): \
a file skipped for its kind (Wi-Fi, a team, a tunnel), a setting kept in a file but not imported. \
--strict makes each an error (exit 2).\n\n\
Examples:\n  netloom import --backend ifcfg --root /mnt/sysimage\n  netloom import --backend debian br0 bond0\n  netloom import --root old-root > host.xml\n  netloom import --strict --backend nm"
)]
pub struct Args {
    /// Top-level interfaces to import (all when none are given).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Refuse (exit 2) instead of noting what the model cannot hold: a file skipped for its
    /// kind, a setting kept in a file but not imported.
    #[arg(long)]
    pub strict: bool,
    /// `--root`, `--backend`, `--live-mode`.
    #[command(flatten)]
    pub host: super::HostArgs,
}

fn imported(cli: &Ctx, names: &[String]) -> Result<Imported> {
    let names = names
        .iter()
        .map(|n| {
            IfaceName::parse(n).map_err(|e| {
                Error::usage(
                    UsageKind::BadValue,
                    format!("invalid interface name '{n}': {e}"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let root = super::open_root(cli)?;
    let backend = choose(cli, &cli.root)?;
    if let super::live::Reach::Store { store, .. } = super::live::reach(cli, &root, backend)? {
        return store.import(&names);
    }
    let existing = root.snapshot(backend.scan())?;
    Ok(backend.import_noted(&existing, &names)?)
}

/// Prints the notes of an import on standard error, each on one line, shown escaped.
pub(super) fn show_notes(notes: &[Note]) {
    let mut err = std::io::stderr().lock();
    for note in notes {
        // A closed standard error is not worth failing over.
        let _ = writeln!(err, "{note}");
    }
}

/// What importing the root says it could not hold, for the verbs that change a root
/// (`diff`, `apply`, `undefine`), shown once before their plan: the settings a merge keeps in
/// the files without the declaration saying them, and the files left alone. A root the
/// import refuses gets no notes here: the plan says what stops it, if anything does.
pub(super) fn note_root(root: &TargetRoot, backend: &dyn Backend, names: &[IfaceName]) {
    show_notes(&root_notes(root, backend, names));
}

/// The notes [`note_root`] shows, for a caller that shows them its own way (`--fleet`).
pub(super) fn root_notes(
    root: &TargetRoot,
    backend: &dyn Backend,
    names: &[IfaceName],
) -> Vec<Note> {
    let Ok(existing) = root.snapshot(backend.scan()) else {
        return Vec::new();
    };
    backend
        .import_noted(&existing, names)
        .map(|imported| imported.notes)
        .unwrap_or_default()
}

pub(super) fn run(args: &Args, cli: &Ctx) -> Result<()> {
    let Imported { host, notes } = imported(cli, &args.names)?;
    if args.strict && notes.iter().any(|n| n.kind.is_loss()) {
        let why = "--strict refuses what the import cannot hold; without it, this is a note";
        return Err(Error::Invalid(Diagnostics(
            (notes.into_iter())
                .filter(|n| n.kind.is_loss())
                .map(|n| n.at.with_note(why))
                .collect(),
        )));
    }
    show_notes(&notes);
    let mut out = std::io::stdout().lock();
    out.write_all(xml::to_xml(&host).as_bytes())
        .map_err(Error::Output)?;
    out.flush().map_err(Error::Output)
}

/// List the top-level interfaces a root's configuration defines.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  netloom list --backend ifcfg --root /mnt/sysimage\n  netloom list\n  \
netloom list --format json | jq -r '.interfaces[].name'"
)]
pub struct ListArgs {
    /// One name a line, or one JSON object: the backend and each interface's name and type.
    #[arg(long, value_enum, default_value_t = super::args::Format::Text)]
    pub format: super::args::Format,
    /// `--root`, `--backend`, `--live-mode`.
    #[command(flatten)]
    pub host: super::HostArgs,
}

pub(super) fn list(args: &ListArgs, cli: &Ctx) -> Result<()> {
    let Imported { host, notes } = imported(cli, &[])?;
    show_notes(&notes);
    if args.format == super::args::Format::Json {
        let backend = choose(cli, &cli.root)?;
        let interfaces: Vec<serde_json::Value> = (host.interfaces.iter())
            .map(|i| serde_json::json!({"name": i.name.as_str(), "type": i.kind.type_name()}))
            .collect();
        return super::json::print(serde_json::json!({
            "root": cli.root.display().to_string(),
            "backend": backend.name(),
            "interfaces": interfaces,
        }));
    }
    let mut out = std::io::stdout().lock();
    for i in &host.interfaces {
        writeln!(out, "{}", Shown(&i.name)).map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)
}
