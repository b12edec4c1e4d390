//! `netloom history`, `rollback` and `confirm`: the journal, read and acted on.

use std::io::{BufWriter, Write};

use super::apply::{How, Terminal, session};
use super::args::{Color, Format};
use super::{Ctx, Status, open_root};
use crate::engine::{self, TargetRoot};
use crate::error::{Error, Result};
use crate::show::Shown;

/// List the transactions netloom made under the root, oldest first.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each transaction is listed with its id, time (UTC), state, backend and \
command, then its files: A added, M modified, D deleted.\n\nExamples:\n  netloom history\n  \
netloom history --root /mnt/sysimage --format json"
)]
pub struct HistoryArgs {
    /// A table, or JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The root.
    #[command(flatten)]
    pub root: super::RootArg,
}

/// Restore the exact state before a transaction (by default the newest).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A transaction whose files a later one changed again cannot be rolled \
back until the later one is. A file changed since by something other than netloom is not \
overwritten without --force. Without a terminal on standard input, --yes is required.\n\nExamples:\n  netloom rollback\n  netloom rollback 3 --yes\n  \
netloom rollback --yes --format json"
)]
pub struct RollbackArgs {
    /// The transaction (see `netloom history`); the newest by default.
    #[arg(value_name = "TXID")]
    pub id: Option<u64>,
    /// Roll back without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Restore even files that were changed since by something other than netloom.
    #[arg(long)]
    pub force: bool,
    /// Colour the diff.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
    /// Print the diff and a summary, or one JSON object: the transaction and its files.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The root.
    #[command(flatten)]
    pub root: super::RootArg,
}

/// Make a pending `apply --confirm` final.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  netloom apply --confirm 60 host.xml\n  netloom confirm")]
pub struct ConfirmArgs {
    /// A sentence, or one JSON object: the transaction and its new state.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The root.
    #[command(flatten)]
    pub root: super::RootArg,
}

pub(super) fn history(args: &HistoryArgs, cli: &Ctx) -> Result<Status> {
    let root = open_root(cli)?;
    let engine::History {
        transactions: all,
        damaged,
    } = engine::history(&root)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            drop(out);
            let list: Vec<serde_json::Value> = all.iter().map(transaction).collect();
            return super::json::print(serde_json::json!({
                "root": root.display().to_string(),
                "transactions": list,
                "damaged": damaged,
            }))
            .map(|()| Status::Success);
        }
        Format::Text => {
            for t in &all {
                writeln!(
                    out,
                    "{}  {}  {}  {}  {}",
                    t.id,
                    engine::utc(t.time),
                    t.state.describe(),
                    Shown(&t.backend),
                    Shown(&t.command)
                )
                .map_err(Error::Output)?;
                for (mark, path) in &t.files {
                    writeln!(out, "    {mark} {}", Shown(path)).map_err(Error::Output)?;
                }
            }
        }
    }
    out.flush().map_err(Error::Output)?;
    super::notify(&damaged);
    Ok(Status::Success)
}

/// One transaction in `history --format json`: its state flat beside its other fields, with
/// the deadline of a pending one and the reason of a rolled-back one (`null` otherwise).
fn transaction(t: &engine::TxInfo) -> serde_json::Value {
    use engine::State;
    let (state, deadline, reason) = match &t.state {
        State::Open => ("open", None, None),
        State::Pending { deadline } => ("pending", Some(engine::utc(*deadline)), None),
        State::Committed => ("committed", None, None),
        State::RollingBack { reason } => ("rolling-back", None, Some(*reason)),
        State::RolledBack { reason } => ("rolled-back", None, Some(*reason)),
    };
    let action = |mark: char| match mark {
        'A' => "create",
        'D' => "delete",
        _ => "modify",
    };
    serde_json::json!({
        "id": t.id,
        "time": engine::utc(t.time),
        "state": state,
        "deadline": deadline,
        "reason": reason,
        "backend": t.backend,
        "command": t.command,
        "files": t.files.iter().map(|(m, p)| serde_json::json!({
            "path": p,
            "action": action(*m),
        })).collect::<Vec<_>>(),
    })
}

pub(super) fn rollback(args: &RollbackArgs, cli: &Ctx) -> Result<Status> {
    // Asked without the lock: a question left open must not stop the confirmation timer.
    let root = open_root(cli)?;
    let how = How {
        yes: args.yes,
        confirm: None,
        color: args.color,
        format: args.format,
        verb: "roll back",
    };
    let mut person = Terminal {
        root: &root,
        how: &how,
    };
    let (id, plan) = engine::roll_back(&root, args.id, args.force, &mut person)?;
    match args.format {
        Format::Text => super::say(&format!("rolled back transaction {id}")),
        Format::Json => super::json::print(serde_json::json!({
            "root": root.display().to_string(),
            "transaction": id,
            "state": "rolled-back",
            "files": super::json::files(&plan),
        }))?,
    }
    Ok(Status::Success)
}

pub(super) fn confirm(args: &ConfirmArgs, cli: &Ctx) -> Result<Status> {
    let root = TargetRoot::open(&cli.root)?;
    let session = session(&root)?;
    let id = session.confirm()?;
    match args.format {
        Format::Text => super::say(&format!("transaction {id} is confirmed")),
        Format::Json => super::json::print(serde_json::json!({
            "root": root.display().to_string(),
            "transaction": id,
            "state": "committed",
        }))?,
    }
    Ok(Status::Success)
}

pub(super) fn timer(id: u64, root_id: &str, cli: &Ctx) -> Result<Status> {
    let root = engine::timer_root(&cli.root, root_id, id)?;
    engine::run_timer(&root, id)?;
    Ok(Status::Success)
}
