//! `netloom history`, `rollback` and `confirm`: the journal, read and acted on.

use std::io::{BufWriter, Write};

use super::apply::{Color, Format, ask, session, show};
use super::{Cli, Status, open_root};
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
}

/// Restore the exact state before a transaction (by default the newest).
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A transaction whose files a later one changed again cannot be rolled \
back until the later one is. A file changed since by something other than netloom is not \
overwritten without --force.\n\nExamples:\n  netloom rollback\n  netloom rollback 3 --yes"
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
}

pub(super) fn history(args: &HistoryArgs, cli: &Cli) -> Result<Status> {
    let root = open_root(cli)?;
    let all = engine::history(&root)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = all
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "id": t.id,
                        "time": engine::utc(t.time),
                        "state": t.state,
                        "backend": t.backend,
                        "command": t.command,
                        "files": t.files.iter().map(|(m, p)| serde_json::json!({
                            "change": m.to_string(),
                            "path": p,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_writer(&mut out, &list).map_err(|e| Error::Output(e.into()))?;
            writeln!(out).map_err(Error::Output)?;
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
    Ok(Status::Success)
}

pub(super) fn rollback(args: &RollbackArgs, cli: &Cli) -> Result<Status> {
    // Asked without the lock: a question left open must not stop the confirmation timer.
    let root = open_root(cli)?;
    let (id, plan) = engine::rollback_plan(&root, args.id, args.force)?;
    show(&plan, &root, Format::Text, args.color)?;
    if !args.yes && !ask(&format!("Roll back transaction {id}?"))? {
        return Err(Error::Refused("cancelled; nothing was changed".into()));
    }
    let session = session(&root)?;
    session.rollback(id, args.force, &plan)?;
    super::say(&format!("rolled back transaction {id}"));
    Ok(Status::Success)
}

pub(super) fn confirm(cli: &Cli) -> Result<Status> {
    let root = TargetRoot::open(&cli.root)?;
    let session = session(&root)?;
    let id = session.confirm()?;
    super::say(&format!("transaction {id} is confirmed"));
    Ok(Status::Success)
}

pub(super) fn timer(id: u64, root_id: &str, cli: &Cli) -> Result<Status> {
    let root = engine::timer_root(&cli.root, root_id, id)?;
    engine::run_timer(&root, id)?;
    Ok(Status::Success)
}
