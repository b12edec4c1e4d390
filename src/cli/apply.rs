//! `netloom diff`, `apply` and `undefine`: a plan, shown as a diff, then (for the last two)
//! applied as one journalled transaction.

use crate::error::{RefusedKind, UsageKind};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::live::Reach;
use super::{Ctx, Status, choose, input, open_root};
use crate::engine::{self, Activation, Applied, Session, StoreApply, TargetRoot};
use crate::error::{Error, Result};
use crate::live::Store;
use crate::model::{Host, IfaceName};
use crate::plan::{self, Plan};
use crate::show::Shown;

/// When to colour a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl Color {
    /// How a diff on standard output is written: coloured as asked, and escaped whenever a
    /// person reads it (colour, or a terminal), so a file's escape sequences never act.
    pub(super) fn look(self) -> crate::plan::Look {
        crate::plan::Look {
            color: self.enabled(),
            escape: std::io::stdout().is_terminal(),
        }
    }

    pub(super) fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// How a verb prints: for people, or for machines (docs/json.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: a unified diff, a table.
    Text,
    /// For machines: one JSON object.
    Json,
}

/// Show what `apply` would change, as a unified diff.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 nothing would change, 1 something would, 2 an error. \
Files the backend owns but no longer renders (an interface removed from the XML) are shown as \
deletions.\n\nExamples:\n  netloom diff --backend ifcfg --root /mnt/sysimage host.xml\n  \
netloom diff --format json host.xml | jq .changes[].path"
)]
pub struct DiffArgs {
    /// Interface XML files (`-` for standard input); together they describe the whole host.
    #[arg(required_unless_present = "fleet", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Colour the diff.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
    /// Print a unified diff, or the plan as JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// `--root`, `--backend`, `--live-mode`.
    #[command(flatten)]
    pub host: super::HostArgs,
    /// Every host of a fleet repository (docs/fleet.md).
    #[command(flatten)]
    pub fleet: super::fleet::FleetArgs,
}

/// Show the diff, then write it as one transaction that `rollback` can undo.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The XML describes the whole host: files the backend owns for \
interfaces that are not in it are deleted (the diff shows them first). A person at a terminal \
is asked before anything is written; --yes skips the question, and without a terminal on \
standard input (a script) it is required: nobody could answer.\n\nOn the running system (--root /, not inside a chroot), the interfaces the \
change touches are taken down with the old configuration and brought up with the new (ifupdown, \
NetworkManager), then checked against the kernel; any failure or mismatch, or a --confirm that \
does not come, restores the files and brings the old configuration back up. --no-activate \
writes the configuration only.\n\nExamples:\n  netloom apply --root /mnt/sysimage --yes host.xml\n  \
netloom apply --confirm 60 host.xml && netloom confirm\n  \
netloom apply --yes --format json host.xml | jq .changed"
)]
pub struct ApplyArgs {
    /// Interface XML files (`-` for standard input); together they describe the whole host.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Roll the transaction back unless `netloom confirm` comes within SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub confirm: Option<u64>,
    /// Only show the diff and exit as `diff` does (1 when something would change).
    #[arg(long)]
    pub check: bool,
    /// Colour the diff.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
    /// Print the diff and a summary, or one JSON object: whether anything changed, the
    /// transaction and its files (with --check, what `diff --format json` prints).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Change the configuration (files, or a service's profiles) without bringing anything
    /// up or down.
    #[arg(long)]
    pub no_activate: bool,
    /// After bringing interfaces up, do not check the running host against the declaration.
    #[arg(long)]
    pub no_verify: bool,
    /// How long the running host may take to match the declaration after activation before
    /// the transaction is rolled back, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_seconds)]
    pub verify_timeout: Duration,
    /// `--root`, `--backend`, `--live-mode`.
    #[command(flatten)]
    pub host: super::HostArgs,
}

/// A number of seconds, whole or decimal, up to an hour.
fn parse_seconds(text: &str) -> std::result::Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("expected a number of seconds, such as 5 or 0.5, not '{text}'"))?;
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("expected from 0 to 3600 seconds, not '{text}'"));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl ApplyArgs {
    /// How long verification waits, unless it is off.
    pub(super) fn verify(&self) -> Option<Duration> {
        (!self.no_verify).then_some(self.verify_timeout)
    }

    /// How the transaction is asked for and reported.
    pub(super) fn how(&self) -> How {
        How {
            yes: self.yes,
            confirm: self.confirm,
            color: self.color,
            format: self.format,
            verb: "apply",
        }
    }
}

impl UndefineArgs {
    /// How the transaction is asked for and reported.
    pub(super) fn how(&self) -> How {
        How {
            yes: self.yes,
            confirm: None,
            color: self.color,
            format: self.format,
            verb: "remove",
        }
    }
}

/// How a transaction is asked for and reported.
pub(super) struct How {
    /// `--yes`: do not ask.
    pub yes: bool,
    /// `--confirm SECS`.
    pub confirm: Option<u64>,
    /// How to colour the diff.
    pub color: Color,
    /// For people or for machines.
    pub format: Format,
    /// The verb the refusal without a terminal names ("add --yes to apply without asking").
    pub verb: &'static str,
}

/// Remove one interface's configuration (its ports and slaves with it), as a transaction.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  netloom undefine --root /mnt/sysimage br0\n  \
netloom undefine --yes bond0"
)]
pub struct UndefineArgs {
    /// The top-level interface to remove.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Remove without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Colour the diff.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
    /// Print the diff and a summary, or one JSON object as `apply --format json` does.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Change the configuration without taking anything down on the running host.
    #[arg(long)]
    pub no_activate: bool,
    /// `--root`, `--backend`, `--live-mode`.
    #[command(flatten)]
    pub host: super::HostArgs,
}

pub(super) fn diff(args: &DiffArgs, cli: &Ctx) -> Result<Status> {
    preview(cli, &args.files, args.format, args.color)
}

/// `diff`, and `apply --check`: the plan shown, exit 1 when it is not empty. Reads only.
fn preview(cli: &Ctx, files: &[PathBuf], format: Format, color: Color) -> Result<Status> {
    let host = input::load(files)?;
    let root = open_root(cli)?;
    let backend = choose(cli, &cli.root)?;
    let plan = match super::live::reach(cli, &root, backend)? {
        Reach::Store { store, .. } => store.plan(&host)?.plan,
        Reach::Files => {
            super::import::note_root(&root, backend, &[]);
            engine::plan(&root, backend, &host)?
        }
    };
    show(&plan, &root, format, color)?;
    Ok(if plan.is_empty() {
        Status::Success
    } else {
        Status::Changes
    })
}

pub(super) fn apply(args: &ApplyArgs, cli: &Ctx) -> Result<Status> {
    if args.check {
        return preview(cli, &args.files, args.format, args.color);
    }
    let host = input::load(&args.files)?;
    let root = open_root(cli)?;
    let backend = choose(cli, &cli.root)?;
    if let Reach::Store { store, journal } = super::live::reach(cli, &root, backend)? {
        return store_apply(&root, &*store, journal, &host, args);
    }
    super::import::note_root(&root, backend, &[]);
    let activator = super::live::activator(cli, &root, backend, !args.no_activate)?;
    let activation = activator.as_deref().map(|activator| Activation {
        backend,
        activator,
        verify: args.verify(),
    });
    let target = Target::files(&root);
    commit(
        &root,
        &target,
        args.how(),
        || engine::plan(&root, backend, &host),
        |p| p,
        |session, plan| session.apply_live(plan, "apply", args.confirm, activation.as_ref()),
    )
}

pub(super) fn undefine(args: &UndefineArgs, cli: &Ctx) -> Result<Status> {
    let name = IfaceName::parse(&args.name).map_err(|e| {
        Error::usage(
            UsageKind::BadValue,
            format!("invalid interface name '{}': {e}", args.name),
        )
    })?;
    let root = open_root(cli)?;
    let backend = choose(cli, &cli.root)?;
    if let Reach::Store { store, journal } = super::live::reach(cli, &root, backend)? {
        return store_undefine(&root, &*store, journal, &name, args);
    }
    super::import::note_root(&root, backend, std::slice::from_ref(&name));
    let activator = super::live::activator(cli, &root, backend, !args.no_activate)?;
    let activation = activator.as_deref().map(|activator| Activation {
        backend,
        activator,
        verify: None,
    });
    let command = format!("undefine {name}");
    let target = Target::files(&root);
    commit(
        &root,
        &target,
        args.how(),
        || engine::plan_undefine(&root, backend, &name),
        |p| p,
        |session, plan| session.apply_live(plan, &command, None, activation.as_ref()),
    )
}

/// Opens a session on the root and tells the user what recovery did.
pub(super) fn session(root: &TargetRoot) -> Result<Session<'_>> {
    let session = Session::open(root)?;
    super::notify(session.notices());
    Ok(session)
}

/// Where a transaction's changes go: files under the root, or NetworkManager's profiles.
pub(super) struct Target<'a> {
    /// What the question and the messages call it.
    pub place: String,
    /// What one change is.
    pub noun: &'a str,
}

impl Target<'_> {
    /// The root's files.
    pub fn files(root: &TargetRoot) -> Target<'static> {
        Target {
            place: root.display().to_string(),
            noun: "file",
        }
    }
}

/// Makes the plan, shows it, asks, and applies it with `write`. The question is asked
/// without the lock, so a prompt left open neither blocks other commands nor the
/// confirmation timer; under the lock the plan is made again and must show the same.
pub(super) fn commit<P>(
    root: &TargetRoot,
    target: &Target<'_>,
    how: How,
    make: impl Fn() -> Result<P>,
    view: impl Fn(&P) -> &Plan,
    write: impl FnOnce(&Session<'_>, &P) -> Result<Applied>,
) -> Result<Status> {
    if let Some(id) = engine::pending(root)? {
        return Err(Error::refused(
            RefusedKind::Pending,
            format!(
                "transaction {id} is waiting for confirmation; run `netloom confirm` or \
             `netloom rollback` first"
            ),
        ));
    }
    let first = make()?;
    let plan = view(&first);
    if plan.is_empty() {
        return match how.format {
            Format::Text => {
                super::say("nothing to change");
                Ok(Status::Success)
            }
            Format::Json => report(&target.place, plan, None).map(|()| Status::Success),
        };
    }
    let question = format!("Apply these changes to {}?", target.place);
    consent(plan, root, &how, &question)?;
    let session = session(root)?;
    let again = make()?;
    if view(&again) != plan {
        return Err(Error::refused(
            RefusedKind::Stale,
            format!(
                "{} changed while the plan was shown; nothing was changed; run the command again",
                target.place
            ),
        ));
    }
    let applied = write(&session, &again)?;
    if how.format == Format::Json {
        report(&target.place, plan, Some((&applied, how.confirm)))?;
        return Ok(Status::Success);
    }
    let id = applied.id;
    let n = plan.changes.len();
    let noun = format!("{}{}", target.noun, if n == 1 { "" } else { "s" });
    let live = live_summary(&applied);
    match how.confirm {
        Some(secs) => {
            super::say(&format!(
                "transaction {id} changed {n} {noun}{live}; run `netloom confirm` within \
                 {secs} s or it is rolled back"
            ));
        }
        None => super::say(&format!("transaction {id} changed {n} {noun}{live}")),
    }
    Ok(Status::Success)
}

/// Shows the plan and, unless `--yes`, asks the question; an error when the answer is not
/// yes or nobody can answer. For people the diff goes to standard output; under
/// `--format json`, which standard output is for, it goes to standard error and only when
/// a person is asked.
pub(super) fn consent(plan: &Plan, root: &TargetRoot, how: &How, question: &str) -> Result<()> {
    match how.format {
        Format::Text => show(plan, root, Format::Text, how.color)?,
        Format::Json if !how.yes && std::io::stdin().is_terminal() => {
            let mut err = BufWriter::with_capacity(1 << 16, std::io::stderr().lock());
            let look = plan::Look {
                color: false,
                escape: std::io::stderr().is_terminal(),
            };
            plan::write_diff(plan, &mut err, look)
                .and_then(|()| err.flush())
                .map_err(Error::Output)?;
        }
        Format::Json => {}
    }
    if how.yes || ask(question, how.verb)? {
        Ok(())
    } else {
        Err(Error::refused(
            RefusedKind::Cancelled,
            "cancelled; nothing was changed",
        ))
    }
}

/// `apply` and `undefine` under `--format json`: whether anything changed, the transaction,
/// its state and its files, and what was brought down and up.
fn report(place: &str, plan: &Plan, applied: Option<(&Applied, Option<u64>)>) -> Result<()> {
    let state = applied.map(|(_, confirm)| {
        if confirm.is_some() {
            "pending"
        } else {
            "committed"
        }
    });
    let (down, up) = applied.map_or((&[][..], &[][..]), |(a, _)| (&a.down[..], &a.up[..]));
    // Each file as `diff --format json` gives it, its unified diff included: what a script
    // shows of the change is then what was written, not a diff read a moment before.
    let files = crate::plan::change_values(plan).map_err(Error::Output)?;
    super::json::print(serde_json::json!({
        "root": place,
        "backend": plan.backend,
        "changed": applied.is_some(),
        "transaction": applied.map(|(a, _)| a.id),
        "state": state,
        "confirm_within": applied.and_then(|(_, confirm)| confirm),
        "files": files,
        "down": down,
        "up": up,
    }))
}

/// What a transaction did on the running host, as the end of the sentence that reports it.
fn live_summary(applied: &Applied) -> String {
    if !applied.activated {
        return String::new();
    }
    let mut out = String::new();
    if !applied.down.is_empty() {
        out += &format!("; took down {}", applied.down.join(", "));
    }
    if !applied.up.is_empty() {
        out += &format!("; brought up {}", applied.up.join(", "));
    }
    if out.is_empty() {
        out = "; no interface to bring up or down".into();
    }
    out
}

/// Prints a plan to standard output, in writes of 64 KiB: a diff of 1,000 files is some
/// hundreds of kilobytes.
pub(super) fn show(plan: &Plan, root: &TargetRoot, format: Format, color: Color) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match format {
        Format::Text => plan::write_diff(plan, &mut out, color.look()),
        Format::Json => plan::write_json(plan, &root.display().to_string(), &mut out),
    }
    .and_then(|()| out.flush())
    .map_err(Error::Output)
}

/// Asks a yes/no question on the terminal, shown escaped (it names the root). Without a
/// terminal on standard input (a script, an installer) nobody can answer, and a script that
/// forgot `--yes` must not change a host by accident: refused, saying to add it.
pub(super) fn ask(question: &str, verb: &str) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::usage(
            UsageKind::NoTerminal,
            format!(
                "standard input is not a terminal, so nobody can answer \"{question}\"; nothing \
             was changed; add --yes to {verb} without asking"
            ),
        ));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{} [y/N] ", Shown(question));
    let _ = err.flush();
    let mut answer = String::new();
    stdin.read_line(&mut answer).map_err(|source| Error::Read {
        path: "standard input".into(),
        source,
    })?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// How a service's plan is named to a person.
fn target(store: &dyn Store) -> Target<'static> {
    Target {
        place: store.place(),
        noun: store.noun(),
    }
}

/// `apply` through a service that keeps the configuration (see [`super::live::reach`]).
fn store_apply(
    root: &TargetRoot,
    store: &dyn Store,
    journal: &str,
    host: &Host,
    args: &ApplyArgs,
) -> Result<Status> {
    commit(
        root,
        &target(store),
        args.how(),
        || store.plan(host),
        |p| &p.plan,
        |session, plan| {
            let how = StoreApply {
                command: "apply",
                confirm: args.confirm,
                activate: !args.no_activate,
                verify: args.verify().map(|t| (host, t)),
            };
            let id = session.apply_store(store, journal, plan, how)?;
            Ok(Applied {
                id,
                ..Applied::default()
            })
        },
    )
}

/// `undefine` through a service that keeps the configuration.
fn store_undefine(
    root: &TargetRoot,
    store: &dyn Store,
    journal: &str,
    name: &IfaceName,
    args: &UndefineArgs,
) -> Result<Status> {
    let command = format!("undefine {name}");
    commit(
        root,
        &target(store),
        args.how(),
        || store.plan_undefine(name),
        |p| &p.plan,
        |session, plan| {
            let how = StoreApply {
                command: &command,
                confirm: None,
                activate: false,
                verify: None,
            };
            let id = session.apply_store(store, journal, plan, how)?;
            Ok(Applied {
                id,
                ..Applied::default()
            })
        },
    )
}
