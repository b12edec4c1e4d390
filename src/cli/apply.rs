//! `netloom diff`, `apply` and `undefine`: a plan, shown as a diff, then (for the last two)
//! applied as one journalled transaction.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::args::{Color, Format};
use super::live::Reach;
use super::{Ctx, Status, choose, input, open_root};
use crate::engine::{
    self, Activation, Answer, Applied, Change, FileChange, Outcome, Person, Question, Session,
    StoreApply, StoreChange, TargetRoot, Wanted,
};
use crate::error::{Error, Result, UsageKind};
use crate::model::IfaceName;
use crate::plan::{self, Plan};
use crate::show::Shown;

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
    pub fleet: super::args::FleetArgs,
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
    let wanted = Wanted::Host(&host);
    if let Reach::Store { store, journal } = super::live::reach(cli, &root, backend)? {
        let how = StoreApply {
            command: "apply",
            confirm: args.confirm,
            activate: !args.no_activate,
            verify: args.verify().map(|t| (&host, t)),
        };
        let change = StoreChange {
            store: &*store,
            journal,
            wanted,
            how,
        };
        return commit(&root, &change, args.how());
    }
    super::import::note_root(&root, backend, &[]);
    let activator = super::live::activator(cli, &root, backend, !args.no_activate)?;
    let activation = activator.as_deref().map(|activator| Activation {
        backend,
        activator,
        verify: args.verify(),
    });
    let change = FileChange {
        root: &root,
        backend,
        wanted,
        command: "apply",
        confirm: args.confirm,
        activation,
    };
    commit(&root, &change, args.how())
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
    let command = format!("undefine {name}");
    let wanted = Wanted::Undefine(&name);
    if let Reach::Store { store, journal } = super::live::reach(cli, &root, backend)? {
        let how = StoreApply {
            command: &command,
            confirm: None,
            activate: false,
            verify: None,
        };
        let change = StoreChange {
            store: &*store,
            journal,
            wanted,
            how,
        };
        return commit(&root, &change, args.how());
    }
    super::import::note_root(&root, backend, std::slice::from_ref(&name));
    let activator = super::live::activator(cli, &root, backend, !args.no_activate)?;
    let activation = activator.as_deref().map(|activator| Activation {
        backend,
        activator,
        verify: None,
    });
    let change = FileChange {
        root: &root,
        backend,
        wanted,
        command: &command,
        confirm: None,
        activation,
    };
    commit(&root, &change, args.how())
}

/// Opens a session on the root and tells the user what recovery did.
pub(super) fn session(root: &TargetRoot) -> Result<Session<'_>> {
    let session = Session::open(root)?;
    super::notify(session.notices());
    Ok(session)
}

/// Runs the apply protocol ([`engine::commit`]) on `change`, asking at the terminal, and
/// reports what it came to.
fn commit<C: Change>(root: &TargetRoot, change: &C, how: How) -> Result<Status> {
    let outcome = engine::commit(root, change, &mut Terminal { root, how: &how })?;
    let (planned, applied) = match &outcome {
        Outcome::Unchanged(planned) => (planned, None),
        Outcome::Applied(planned, applied) => (planned, Some(applied)),
    };
    let plan = C::diff(planned);
    match (how.format, applied) {
        (Format::Json, applied) => {
            report(&change.place(), plan, applied.map(|a| (a, how.confirm)))?;
        }
        (Format::Text, None) => super::say("nothing to change"),
        (Format::Text, Some(applied)) => {
            super::say(&summary(applied, plan, change.noun(), how.confirm));
        }
    }
    Ok(Status::Success)
}

/// The sentence that reports a transaction: what it changed, what it did on the running
/// host, and how long `netloom confirm` has.
fn summary(applied: &Applied, plan: &Plan, noun: &str, confirm: Option<u64>) -> String {
    let id = applied.id;
    let n = plan.changes.len();
    let noun = format!("{noun}{}", if n == 1 { "" } else { "s" });
    let live = live_summary(applied);
    match confirm {
        Some(secs) => format!(
            "transaction {id} changed {n} {noun}{live}; run `netloom confirm` within \
             {secs} s or it is rolled back"
        ),
        None => format!("transaction {id} changed {n} {noun}{live}"),
    }
}

/// The person at the terminal: shown the plan and asked, unless `--yes`, and told what
/// recovery did.
pub(super) struct Terminal<'a> {
    /// The root, which the JSON plan names.
    pub root: &'a TargetRoot,
    /// How the question is asked.
    pub how: &'a How,
}

impl Person for Terminal<'_> {
    fn ask(&mut self, plan: &Plan, question: Question<'_>) -> Result<Answer> {
        let question = match question {
            Question::Apply { place } => format!("Apply these changes to {place}?"),
            Question::RollBack { id } => format!("Roll back transaction {id}?"),
        };
        consent(plan, self.root, self.how, &question)
    }

    fn told(&mut self, notices: &[String]) {
        super::notify(notices);
    }
}

/// Shows the plan and, unless `--yes`, asks the question; an error when nobody can
/// answer. For people the diff goes to standard output; under `--format json`, which
/// standard output is for, it goes to standard error and only when a person is asked.
fn consent(plan: &Plan, root: &TargetRoot, how: &How, question: &str) -> Result<Answer> {
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
    Ok(if how.yes || ask(question, how.verb)? {
        Answer::Yes
    } else {
        Answer::No
    })
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
