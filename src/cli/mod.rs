//! The command line: clap definitions and one module per verb.
//!
//! Verbs read their inputs, call the library and print; they hold no logic of their own that
//! a test of the library would miss. Exit codes are decided in `main.rs` from the error kind.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand};

use crate::backend::Backend;
use crate::backends;
use crate::engine::{self, TargetRoot};
use crate::error::{Error, Result, UsageKind};
use crate::show::Shown;

mod apply;
mod args;
mod boot;
mod detect;
mod dumpxml;
mod fleet;
mod history;
mod import;
mod input;
mod json;
mod live;
mod net;
mod port;
mod render;
mod status;
mod validate;

/// netloom: one declaration of a host's networking, rendered safely into what the
/// distribution uses.
#[derive(Debug, Parser)]
#[command(
    name = "netloom",
    version,
    about = "Turn libvirt interface XML into the network configuration your distribution uses",
    after_help = "Each verb takes only its own options (`netloom VERB --help`); --root, --backend \
and --live-mode may also come before the verb, for the verbs that take them.\n\n\
Examples:\n  netloom validate examples/host.xml\n  netloom render --backend ifcfg examples/host.xml\n  netloom diff --root /mnt/sysimage host.xml\n  netloom apply --root /mnt/sysimage --yes host.xml\n  netloom import --backend ifcfg --root /mnt/sysimage\n\nExit codes: 0 success, 1 `diff` (or `apply --check`) found changes, 2 any error (bad input, unreadable file, refused request)."
)]
pub struct Cli {
    /// The verb to run.
    #[command(subcommand)]
    pub command: Command,
    /// The most bytes read of one input: each file named, standard input, and each file
    /// read under the root. In bytes, or with K, M or G for KiB, MiB or GiB. A larger input
    /// is refused as soon as reading passes the limit.
    #[arg(long, global = true, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_input_size: u64,
}

/// `--root`, for the verbs that read or write a root.
#[derive(Debug, Clone, clap::Args)]
pub struct RootArg {
    /// The target root every path is read from and written to (an installer's /mnt/sysimage).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// `--backend`, for the verbs that render, read or change a host's interfaces.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArg {
    /// The backend to use; without it, the one whose files the root has (`netloom backends
    /// --help` gives the rule).
    #[arg(long, value_name = "NAME")]
    pub backend: Option<String>,
}

/// `--root`, `--backend` and `--live-mode` together: what every verb that reads or changes
/// one host's configuration takes.
#[derive(Debug, Clone, clap::Args)]
pub struct HostArgs {
    /// The root.
    #[command(flatten)]
    pub root: RootArg,
    /// The backend.
    #[command(flatten)]
    pub backend: BackendArg,
    /// The live mode.
    #[command(flatten)]
    pub live: LiveArg,
}

impl HostArgs {
    /// The three, as [`Command::options`] gives a verb's.
    fn options(&self) -> (Option<&RootArg>, Option<&BackendArg>, Option<&LiveArg>) {
        (Some(&self.root), Some(&self.backend), Some(&self.live))
    }
}

/// `--live-mode`, for the verbs that may go through a backend's service on the running host.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArg {
    /// How far a command goes on the running host: through the backend's service and
    /// tools (auto: only when the root is / and not inside a chroot), or files only.
    #[arg(id = "live_mode", long = "live-mode", value_enum, default_value_t = live::LiveMode::Auto, value_name = "MODE")]
    pub live: live::LiveMode,
}

/// The options that may also come before the verb (`netloom --root /mnt/sysimage apply …`,
/// as scripts and the confirmation timer write them): they are read as if given right after
/// it, so a verb that does not take one refuses it as it would there.
const BEFORE_VERB: [&str; 3] = ["--root", "--backend", "--live-mode"];

/// The command line with the options of [`BEFORE_VERB`] that precede the verb (or the `net`
/// or `port` subverb) moved to just after it. What is not a known verb is left as it is, for
/// clap to refuse.
pub fn options_after_verb(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let mut cmd = Cli::command();
    let mut moved: Vec<usize> = Vec::new();
    let mut i = 1;
    while let Some(arg) = args.get(i).and_then(|a| a.to_str()) {
        if arg == "--" {
            return args;
        } else if let Some(name) = BEFORE_VERB
            .iter()
            .find(|o| arg == **o || arg.starts_with(&format!("{o}=")))
        {
            let width = if arg == *name { 2 } else { 1 };
            moved.extend((i..i + width).filter(|j| *j < args.len()));
            i += width;
        } else if arg == "--max-input-size" {
            i += 2;
        } else if arg.starts_with('-') {
            i += 1;
        } else {
            let Some(sub) = cmd.find_subcommand(arg).cloned() else {
                return args;
            };
            if sub.get_subcommands().next().is_some() {
                cmd = sub;
                i += 1;
                continue;
            }
            let taken: Vec<OsString> = moved.iter().map(|j| args[*j].clone()).collect();
            let verb = i - moved.len();
            for j in moved.iter().rev() {
                args.remove(*j);
            }
            args.splice(verb + 1..verb + 1, taken);
            return args;
        }
    }
    args
}

/// What a verb runs with: its options, those it does not take at their defaults.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// `--root`.
    pub root: PathBuf,
    /// `--backend`.
    pub backend: Option<String>,
    /// `--live-mode`.
    pub live: live::LiveMode,
    /// `--max-input-size`.
    pub max_input_size: u64,
}

impl Ctx {
    /// The context of `cli`'s verb.
    fn of(cli: &Cli) -> Ctx {
        let (root, backend, live) = cli.command.options();
        Ctx {
            root: root.map_or_else(|| PathBuf::from("/"), |r| r.root.clone()),
            backend: backend.and_then(|b| b.backend.clone()),
            live: live.map_or(live::LiveMode::Auto, |l| l.live),
            max_input_size: cli.max_input_size,
        }
    }
}

/// A size in bytes, or with a K, M or G suffix for KiB, MiB or GiB (`64M`).
fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let (digits, shift) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 10),
        Some((i, 'M' | 'm')) => (&text[..i], 20),
        Some((i, 'G' | 'g')) => (&text[..i], 30),
        _ => (text, 0),
    };
    let expected =
        || format!("expected a size in bytes, or with K, M or G (such as 64M), not '{text}'");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected());
    }
    let n: u64 = digits.parse().map_err(|_| expected())?;
    match n.checked_mul(1 << shift) {
        Some(0) => Err("expected a size of at least 1 byte".to_owned()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("'{text}' is larger than netloom can count")),
    }
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check interface, network, guest or port XML and report every problem as file:line:col.
    Validate(validate::Args),
    /// Print interface or network XML in canonical form.
    Dumpxml(dumpxml::Args),
    /// Show or write the files a backend makes of interface XML.
    Render(render::Args),
    /// Read a root's existing configuration back as interface XML.
    Import(import::Args),
    /// List the top-level interfaces a root's configuration defines.
    List(import::ListArgs),
    /// List the backends, marking the one the root uses.
    Backends(BackendsArgs),
    /// Show what `apply` would change, as a unified diff (exit 1 when something would).
    Diff(apply::DiffArgs),
    /// Show the diff, then write it atomically as one journalled transaction.
    Apply(apply::ApplyArgs),
    /// Remove one interface's configuration, with its ports and slaves.
    Undefine(apply::UndefineArgs),
    /// Show each declared interface's live state next to its declaration (exit 1 on drift).
    Status(status::Args),
    /// Make a pending `apply --confirm` final.
    Confirm(history::ConfirmArgs),
    /// Undo a transaction, restoring the exact previous bytes, modes and absences.
    Rollback(history::RollbackArgs),
    /// List the transactions made under the root.
    History(history::HistoryArgs),
    /// Virtual networks: libvirt network XML rendered into dnsmasq and firewall files.
    #[command(after_help = "Examples:\n  netloom net define default.xml\n  \
netloom net start default\n  netloom net list --all")]
    Net {
        /// The `net` verb.
        #[command(subcommand)]
        command: net::NetCommand,
    },
    /// Guest ports: a guest's interfaces resolved against running networks.
    #[command(after_help = "Examples:\n  netloom port plug vm1.xml --guest vm1\n  \
netloom port list\n  netloom port unplug --guest vm1")]
    Port {
        /// The `port` verb.
        #[command(subcommand)]
        command: port::PortCommand,
    },
    /// At boot: roll back transactions pending confirmation, start autostart networks.
    Boot(boot::Args),
    /// Internal: the confirmation timer `apply --confirm` starts.
    #[command(name = engine::TIMER_VERB, hide = true)]
    RevertTimer {
        /// The pending transaction.
        id: u64,
        /// The root's directory, `DEV:INO`, which standard input holds open.
        #[arg(long = "root-id", value_name = "DEV:INO")]
        root_id: String,
        /// The root.
        #[command(flatten)]
        root: RootArg,
    },
}

impl Command {
    /// The verb's `--root`, `--backend` and `--live-mode`, each `None` when it does not take it.
    fn options(&self) -> (Option<&RootArg>, Option<&BackendArg>, Option<&LiveArg>) {
        match self {
            Command::Validate(_) | Command::Dumpxml(_) => (None, None, None),
            Command::Render(a) => (Some(&a.root), Some(&a.backend), None),
            Command::Import(a) => a.host.options(),
            Command::List(a) => a.host.options(),
            Command::Backends(a) => (Some(&a.root), None, None),
            Command::Diff(a) => a.host.options(),
            Command::Apply(a) => a.host.options(),
            Command::Undefine(a) => a.host.options(),
            Command::Status(a) => a.host.options(),
            Command::Confirm(a) => (Some(&a.root), None, None),
            Command::Rollback(a) => (Some(&a.root), None, None),
            Command::History(a) => (Some(&a.root), None, None),
            Command::Net { command } => (command.root(), None, None),
            Command::Port { command } => (command.root(), None, None),
            Command::Boot(a) => (Some(&a.root), None, None),
            Command::RevertTimer { root, .. } => (Some(root), None, None),
        }
    }
}

/// How a successful command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Success,
    /// Exit 1: `diff` or `apply --check` found something to change, or `status` drift.
    Changes,
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<Status> {
    input::set_max_size(cli.max_input_size);
    let done = |r: Result<()>| r.map(|()| Status::Success);
    let ctx = &Ctx::of(&cli);
    match &cli.command {
        Command::Validate(args) if args.fleet.fleet.is_some() => fleet::validate(args, ctx),
        Command::Validate(args) => done(validate::run(args)),
        Command::Dumpxml(args) => done(dumpxml::run(args)),
        Command::Render(args) if args.fleet.fleet.is_some() => fleet::render(args, ctx),
        Command::Render(args) => done(render::run(args, ctx)),
        Command::Import(args) => done(import::run(args, ctx)),
        Command::List(args) => done(import::list(args, ctx)),
        Command::Backends(args) => done(list_backends(args, ctx)),
        Command::Diff(args) if args.fleet.fleet.is_some() => fleet::diff(args, ctx),
        Command::Diff(args) => apply::diff(args, ctx),
        Command::Apply(args) => apply::apply(args, ctx),
        Command::Undefine(args) => apply::undefine(args, ctx),
        Command::Status(args) => status::run(args, ctx),
        Command::Confirm(args) => history::confirm(args, ctx),
        Command::Rollback(args) => history::rollback(args, ctx),
        Command::History(args) => history::history(args, ctx),
        Command::Net { command } => done(net::run(command, ctx)),
        Command::Port { command } => done(port::run(command, ctx)),
        Command::Boot(args) => done(boot::run(args, ctx)),
        Command::RevertTimer { id, root_id, .. } => history::timer(*id, root_id, ctx),
    }
}

/// Opens the root for a command that only reads it, first finishing what a killed netloom
/// left undone there (which takes the lock only when there is something to do).
pub(crate) fn open_root(cli: &Ctx) -> Result<TargetRoot> {
    let root = TargetRoot::open(&cli.root)?.with_read_limit(cli.max_input_size);
    if engine::needs_recovery(&root)? {
        let session = engine::Session::open(&root)?;
        notify(session.notices());
    }
    Ok(root)
}

/// Runs `f` holding the root's lock, after telling the user what recovery did.
pub(crate) fn with_session<T>(
    cli: &Ctx,
    f: impl FnOnce(&engine::Session<'_>, &TargetRoot) -> Result<T>,
) -> Result<T> {
    let root = TargetRoot::open(&cli.root)?.with_read_limit(cli.max_input_size);
    let session = engine::Session::open(&root)?;
    notify(session.notices());
    f(&session, &root)
}

/// Tells the user on standard error what recovery did.
pub(crate) fn notify(notices: &[String]) {
    for n in notices {
        say(n);
    }
}

/// One line on standard error, prefixed like every message of netloom. The text is shown
/// escaped (a message netloom builds never holds a line break of its own, so only values
/// are). A closed standard error is not worth failing over.
pub(crate) fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "netloom: {}", Shown(text));
}

/// Tells the user on standard error why a command failed: an input's problems as they are
/// laid out, anything else as `netloom: error: ` and the error with its causes, every value
/// shown escaped.
pub fn complain(err: &Error) {
    use std::io::Write;
    let text = match err {
        Error::Invalid(problems) => problems.to_string(),
        other => format!("netloom: error: {}", other.report()),
    };
    // `eprintln!` panics when standard error is closed; the exit code must still say 2.
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The backend `--backend` names, or the one whose marker the root has.
pub(crate) fn choose(cli: &Ctx, root: &Path) -> Result<&'static dyn Backend> {
    choose_named(cli.backend.as_deref(), root)
}

/// The backend `name` names, or without one the one whose marker the root has (for
/// `--backend`, and a fleet host's `backend` file).
pub(crate) fn choose_named(name: Option<&str>, root: &Path) -> Result<&'static dyn Backend> {
    let names = || {
        backends::ALL
            .iter()
            .filter(|b| b.listed())
            .map(|b| b.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = name {
        return backends::find(name).ok_or_else(|| {
            Error::usage(
                UsageKind::BadValue,
                format!("unknown backend '{name}'; available: {}", names()),
            )
        });
    }
    let detection = detect::detect(root);
    let several = || {
        (detection.found.iter())
            .map(|f| f.describe())
            .collect::<Vec<_>>()
            .join("; ")
    };
    match detection.verdict {
        detect::Verdict::One(backend, _) => Ok(backend),
        detect::Verdict::Nothing => Err(Error::usage(
            UsageKind::NoBackend,
            format!(
                "cannot tell which backend {} uses; give --backend (one of: {})",
                root.display(),
                names()
            ),
        )),
        detect::Verdict::Conflict => Err(Error::usage(
            UsageKind::NoBackend,
            format!(
                "{} has two managers configuring interfaces: {}; give --backend",
                root.display(),
                several()
            ),
        )),
        detect::Verdict::Tie => Err(Error::usage(
            UsageKind::NoBackend,
            format!(
                "{} has files of several backends and none configures an interface ({}); give \
             --backend",
                root.display(),
                several()
            ),
        )),
    }
}

/// List the backends, marking the one the root uses.
#[derive(Debug, clap::Args)]
#[command(after_help = BACKENDS_HELP)]
pub struct BackendsArgs {
    /// The root.
    #[command(flatten)]
    pub root: RootArg,
    /// One backend a line, or one JSON object: the chosen backend, and each one's marker,
    /// whether the root has it and what its files configure.
    #[arg(long, value_enum, default_value_t = args::Format::Text)]
    pub format: args::Format,
}

const BACKENDS_HELP: &str = "Without --backend, the backend is the one whose files the root \
has (ifcfg: etc/sysconfig/network-scripts, debian: etc/network/interfaces, nm: \
etc/NetworkManager). When several are there, the one whose files configure an interface \
(other than lo) is used: only two that both configure interfaces are a conflict, which asks for \
--backend and names what each configures. When none configures anything (a fresh RHEL 9 root \
whose ifcfg directory holds only NetworkManager's readme; a Debian desktop whose interfaces file \
only has lo), on the running host (--root /) the one at work decides: NetworkManager when its \
process runs, ifupdown when run/network/ifstate names an interface other than lo; else \
NetworkManager, which manages every device nothing else configures.\n\nExamples:\n  \
netloom backends\n  netloom backends --root /mnt/sysimage\n  netloom backends --format json";

fn list_backends(args: &BackendsArgs, cli: &Ctx) -> Result<()> {
    use std::io::Write;
    // What an interrupted transaction left must not decide which backend the root uses.
    if TargetRoot::open(&cli.root).is_ok() {
        open_root(cli)?;
    }
    let detection = detect::detect(&cli.root);
    let chosen = match &detection.verdict {
        detect::Verdict::One(b, why) => Some((b.name(), *why)),
        _ => None,
    };
    if args.format == args::Format::Json {
        let list: Vec<serde_json::Value> = (backends::ALL.iter())
            .filter_map(|b| {
                let found = detection
                    .found
                    .iter()
                    .find(|f| f.backend.name() == b.name());
                if !b.listed() && found.is_none() {
                    return None;
                }
                Some(serde_json::json!({
                    "name": b.name(),
                    "marker": b.marker(),
                    "present": found.is_some(),
                    "configures": found.and_then(|f| f.configures.as_ref().ok()),
                    "unreadable": found.and_then(|f| f.configures.as_ref().err()),
                    "running": found.is_some_and(|f| f.running),
                }))
            })
            .collect();
        return json::print(serde_json::json!({
            "root": cli.root.display().to_string(),
            "chosen": chosen.map(|(name, _)| name),
            "why": chosen.map(|(_, why)| why),
            "backends": list,
        }));
    }
    let mut out = std::io::stdout().lock();
    for b in backends::ALL {
        let found = detection
            .found
            .iter()
            .find(|f| f.backend.name() == b.name());
        if !b.listed() && found.is_none() {
            continue;
        }
        let mark = match (chosen, found) {
            (Some((name, _)), _) if name == b.name() => "  (used by the root)".to_owned(),
            (_, Some(f)) => format!("  (files there: {})", f.describe()),
            _ => String::new(),
        };
        writeln!(out, "{}{}", b.name(), Shown(&mark)).map_err(Error::Output)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::options_after_verb;

    fn moved(args: &str) -> String {
        let args = std::iter::once("netloom")
            .chain(args.split(' '))
            .map(Into::into);
        let out: Vec<String> = options_after_verb(args)
            .into_iter()
            .skip(1)
            .map(|a| a.into_string().unwrap_or_default())
            .collect();
        out.join(" ")
    }

    #[test]
    fn options_before_the_verb_are_moved_right_after_it() {
        for (given, read) in [
            ("--root R apply --yes h.xml", "apply --root R --yes h.xml"),
            (
                "--backend nm --root=R --live-mode never diff h.xml",
                "diff --backend nm --root=R --live-mode never h.xml",
            ),
            // After the `net` or `port` subverb, not between it and its verb.
            ("--root R net start default", "net start --root R default"),
            ("net --root R list --all", "net list --root R --all"),
            // The global option stays where it is, with its value.
            (
                "--max-input-size 1M --root R history",
                "--max-input-size 1M history --root R",
            ),
            // A verb that does not take it is left to refuse it.
            ("--root R validate h.xml", "validate --root R h.xml"),
            // Nothing to move, no verb, an unknown verb, or past `--`: left as it is.
            ("apply --root R h.xml", "apply --root R h.xml"),
            ("--root R", "--root R"),
            ("--root R frobnicate", "--root R frobnicate"),
            ("-- --root R apply", "-- --root R apply"),
        ] {
            assert_eq!(moved(given), read, "{given}");
        }
    }
}
