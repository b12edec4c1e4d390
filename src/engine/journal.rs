//! The journal: one directory per transaction under `var/lib/netloom/journal/TXID/`, holding
//! the previous bytes, mode and owner of every file the transaction touches (or the fact that
//! it was absent), the new ones, and the transaction's state.
//!
//! The bytes of every file, before and after, are kept one after another in the
//! transaction's `data` file (`meta.json` says where each lies), so journalling 1,000 files
//! costs one fsync rather than 2,000.
//!
//! A transaction's directory is written completely under a `.partial` name, made durable
//! with the rest of its file system (one `syncfs`, not one `fsync` per file), and renamed
//! into place before the first file changes, so a journal that exists is whole. Its `state`
//! file is replaced atomically at each step: `open` while files are being written, then `committed`
//! or `pending` (awaiting `netloom confirm`), `rolling-back`, `rolled-back`. Any command that
//! finds an `open` or `rolling-back` transaction, or a `pending` one past its deadline,
//! restores the previous state before doing anything else.
//!
//! Anything else in the journal's directory named like a transaction (a symbolic link, a
//! file, a directory without a readable `meta.json` or `state`, a number not written as
//! netloom writes one: `07`, `+7`) is not one netloom wrote: it is reported by name
//! ([`damage`]) and otherwise ignored, and new transactions are numbered past it.

use std::fs::File;
use std::sync::OnceLock;

use rustix::fs::FileType;
use serde::{Deserialize, Serialize};

use super::beneath::{Dir, Owner, Walk, read_err, write_err};
use super::kind::TxKind;
use super::root::TargetRoot;
use crate::error::{Error, RefusedKind};
use crate::plan::FileState;

/// Where journals live, relative to the root.
pub const DIR: &str = "var/lib/netloom/journal";

/// The file holding every saved side's bytes.
const DATA: &str = "data";

/// How many finished transactions are kept for `history` and `rollback`.
const KEEP: usize = 100;

/// What a transaction recorded about one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub path: String,
    pub before: Option<Saved>,
    pub after: Option<Saved>,
}

/// One side of a file: its mode, its owner, and where its bytes lie in the `data` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Saved {
    pub mode: u32,
    pub owner: Option<Owner>,
    pub offset: u64,
    pub len: u64,
}

/// What a transaction is about, written once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Meta {
    pub id: u64,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// What it changed; named `backend` on disk, as builds before [`TxKind`] wrote it.
    pub backend: TxKind,
    pub command: String,
    pub files: Vec<Entry>,
    /// Directories the transaction creates, parents first; removed again by a rollback.
    pub dirs: Vec<String>,
    /// For a transaction of a live half (a service's profiles, or files it loads): the
    /// service's own undo token, such as the checkpoint it runs in, which a rollback uses
    /// first and `confirm` releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
    /// For a transaction whose files were brought up on the running host: how, and which
    /// interfaces, so whoever undoes it brings the previous configuration back up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveMeta>,
}

/// What a transaction did on the running host besides writing files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LiveMeta {
    /// The way it was done ([`crate::live::Activator::via`]), which the backend's live half
    /// reopens to undo it.
    pub via: String,
    /// The top-level interfaces whose configuration changed, in the order they come up.
    pub touched: Vec<String>,
    /// Those of them that were up before: an undo brings them up again with the old files.
    pub was_up: Vec<String>,
    /// Those the transaction brings up with the new files.
    pub up: Vec<String>,
}

/// Where a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum State {
    /// Files are being written; if found so by another process, it was interrupted.
    Open,
    /// Written, and rolled back unless confirmed before `deadline` (Unix seconds).
    Pending {
        /// When the transaction is rolled back unless confirmed.
        deadline: u64,
    },
    /// Written and final (until rolled back on request).
    Committed,
    /// Being rolled back; if found so by another process, the rollback is finished.
    RollingBack {
        /// Why.
        reason: Reason,
    },
    /// The previous state was restored.
    RolledBack {
        /// Why.
        reason: Reason,
    },
}

/// Why a transaction was rolled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// `netloom rollback`.
    Requested,
    /// A step of the apply failed.
    Failed,
    /// The process was killed mid-way; a later command finished the job.
    Interrupted,
    /// `--confirm` ran out before `netloom confirm`.
    Expired,
}

impl State {
    /// A word for `history`.
    pub fn describe(&self) -> String {
        match self {
            State::Open => "open".into(),
            State::Pending { deadline } => format!("pending until {}", super::time::utc(*deadline)),
            State::Committed => "committed".into(),
            State::RollingBack { .. } => "rolling back".into(),
            State::RolledBack { reason } => format!(
                "rolled back ({})",
                match reason {
                    Reason::Requested => "requested",
                    Reason::Failed => "apply failed",
                    Reason::Interrupted => "interrupted",
                    Reason::Expired => "not confirmed in time",
                }
            ),
        }
    }

    /// Whether nothing is left to do to the transaction but roll it back on request.
    pub fn is_final(&self) -> bool {
        matches!(self, State::Committed | State::RolledBack { .. })
    }

    /// Whether the transaction's changes are in place (so later ones build on them).
    pub fn is_live(&self) -> bool {
        matches!(self, State::Committed | State::Pending { .. })
    }

    /// Whether a transaction in this state at time `now` must be rolled back before anything
    /// else happens, why, and how to say so: a netloom was killed while applying or rolling it
    /// back, or its confirmation did not come in time.
    pub(crate) fn recovery(&self, now: u64) -> Option<(Reason, &'static str)> {
        match *self {
            State::Open => Some((Reason::Interrupted, "was interrupted")),
            State::RollingBack { reason } => {
                Some((reason, "was being rolled back when interrupted"))
            }
            State::Pending { deadline } if deadline <= now => {
                Some((Reason::Expired, "was not confirmed in time"))
            }
            _ => None,
        }
    }
}

/// One transaction as found on disk.
#[derive(Debug)]
pub(crate) struct Tx {
    pub meta: Meta,
    pub state: State,
    /// Its directory, `journal/N`.
    pub dir: Dir,
    /// Its `data` file, opened when first read.
    data: OnceLock<File>,
}

impl Tx {
    /// The bytes and mode of one side of a file.
    pub fn blob(&self, saved: &Saved) -> Result<FileState, Error> {
        use std::os::unix::fs::FileExt;
        let err = |e: std::io::Error| read_err(&self.dir.shown(DATA))(e);
        let file = match self.data.get() {
            Some(f) => f,
            None => {
                let f = self.dir.open_read(DATA)?;
                self.data.get_or_init(|| f)
            }
        };
        let len = usize::try_from(saved.len).map_err(|e| err(std::io::Error::other(e)))?;
        let mut bytes = vec![0; len];
        file.read_exact_at(&mut bytes, saved.offset).map_err(&err)?;
        Ok(FileState {
            bytes,
            mode: saved.mode,
        })
    }

    /// Records a new state durably.
    pub fn set_state(&mut self, state: State) -> Result<(), Error> {
        write_state(&self.dir, &state)?;
        self.state = state;
        Ok(())
    }

    /// The transaction's directory as a person reads it: what its own steps' errors name.
    pub fn shown(&self) -> String {
        self.dir.shown_self()
    }
}

/// Replaces `state` in a transaction's directory: a temporary, synced, renamed over it.
fn write_state(dir: &Dir, state: &State) -> Result<(), Error> {
    let bytes = serde_json::to_vec(state).map_err(|e| Error::Write {
        path: dir.shown("state"),
        source: std::io::Error::other(e),
    })?;
    let tmp = dir.write_temp("state", &FileState { bytes, mode: 0o600 }, None, true)?;
    dir.rename(&tmp, "state")?;
    dir.fsync()
}

/// What the journal's directory holds.
#[derive(Default)]
struct Entries {
    /// The directory, if it exists.
    dir: Option<Dir>,
    /// The transactions' directories by id, oldest first.
    found: Vec<(u64, Dir)>,
    /// The journals never put in place (`N.partial`), by name.
    partials: Vec<String>,
    /// What is named like a transaction and is not one, with why, for a notice.
    damaged: Vec<String>,
    /// The highest number any entry has, whatever it is, and its name.
    highest: Option<(u64, String)>,
}

/// What a notice says of a journal entry that is not a transaction netloom wrote.
fn damaged(dir: &Dir, why: &str) -> String {
    format!(
        "{} is not a transaction netloom wrote ({why}); it is ignored: look at it, then remove it",
        dir.shown_self()
    )
}

/// The number of a journal entry named as netloom names one: `N` or `N.partial`, with `N`
/// exactly as `u64::to_string` writes it. `None` for a name that is nothing like one
/// (ignored); `Some(Err(()))` for one that looks like a number and is not written so (`07`,
/// `+7`, a number past `u64::MAX`), which is not netloom's.
fn entry_id(number: &str) -> Option<Result<u64, ()>> {
    let digits = number.strip_prefix('+').unwrap_or(number);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        number
            .parse::<u64>()
            .ok()
            .filter(|id| id.to_string() == number)
            .ok_or(()),
    )
}

/// The transactions' directories. Only real directories named by a number as netloom
/// writes it count: a link there could lead out of the root, and `N.partial` is a journal
/// that was never put in place (or one being forgotten), which [`remove_partials`] deletes
/// under the lock.
fn entries(walk: &Walk) -> Result<Entries, Error> {
    let Some(jdir) = walk.dir(DIR)? else {
        return Ok(Entries::default());
    };
    let mut out = Entries::default();
    for (name, kind) in jdir.list_raw()? {
        // netloom names its entries in ASCII: any other name is not named like one.
        let Ok(name) = name.into_string() else {
            continue;
        };
        let partial = name.strip_suffix(".partial");
        let id = match entry_id(partial.unwrap_or(&name)) {
            None => continue,
            Some(Ok(id)) => id,
            Some(Err(())) => {
                out.damaged.push(format!(
                    "{} is not a transaction netloom wrote (its name is not a number as \
                     netloom writes one); it is ignored: look at it, then remove it",
                    jdir.shown(&name)
                ));
                continue;
            }
        };
        if out.highest.as_ref().is_none_or(|(h, _)| id > *h) {
            out.highest = Some((id, name.clone()));
        }
        if partial.is_some() {
            out.partials.push(name);
            continue;
        }
        let what = match kind {
            FileType::Directory | FileType::Unknown => match jdir.open_dir(&name) {
                Ok(Some(d)) => {
                    out.found.push((id, d));
                    continue;
                }
                Ok(None) => continue,
                // Swapped for something else since it was listed.
                Err(Error::BadPath { why, .. }) => format!("it {why}"),
                // What netloom wrote it can open: one it cannot is someone else's.
                Err(Error::Read { source, .. })
                    if source.kind() == std::io::ErrorKind::PermissionDenied =>
                {
                    format!("it cannot be opened: {source}")
                }
                // Anything else (too many open files, an I/O error) says nothing of the
                // entry, and could hide a transaction that must be recovered.
                Err(e) => return Err(e),
            },
            FileType::Symlink => "it is a symbolic link, which netloom does not follow".into(),
            _ => "it is not a directory".into(),
        };
        out.damaged.push(format!(
            "{} is not a transaction netloom wrote ({what}); it is ignored: look at it, then \
             remove it",
            jdir.shown(&name)
        ));
    }
    out.found.sort_by_key(|(id, _)| *id);
    out.dir = Some(jdir);
    Ok(out)
}

/// A transaction's state, or why the entry is not a transaction. An entry in a state that
/// a command acts on (open, rolling back, pending) is a transaction only if its `meta.json`
/// loads: one that does not could be neither recovered nor confirmed, and would block every
/// command. A finished one is acted on only by `history`, `rollback` and pruning, which load
/// it whole anyway; reading every finished transaction's list of files for every command
/// would cost more than the command.
fn entry_state(dir: &Dir) -> Result<Result<State, String>, Error> {
    if dir.kind("meta.json")? != Some(FileType::RegularFile) {
        return Ok(Err(damaged(dir, "it has no meta.json")));
    }
    let state = match read_json::<State>(dir, "state")? {
        Ok(state) => state,
        Err(why) => return Ok(Err(damaged(dir, &why))),
    };
    if !state.is_final()
        && let Err(why) = read_json::<Meta>(dir, "meta.json")?
    {
        return Ok(Err(damaged(dir, &why)));
    }
    Ok(Ok(state))
}

/// Every transaction of a root, oldest first, with all it recorded. Reading every
/// `meta.json` (each lists every file its transaction touched) is for `history` and
/// `rollback`; the other commands need only [`states`].
pub(crate) fn list(root: &TargetRoot) -> Result<Listed, Error> {
    let entries = entries(&root.walk())?;
    let mut out = Listed {
        named: entries.damaged,
        ..Listed::default()
    };
    for (id, dir) in entries.found {
        match load(dir)? {
            Ok(tx) => out.found.push(tx),
            Err(why) => out.damaged.push((id, why)),
        }
    }
    Ok(out)
}

/// The transactions of a root that could be read, and the entries that could not.
#[derive(Default)]
pub(crate) struct Listed {
    /// Oldest first.
    pub found: Vec<Tx>,
    /// Each entry's number and why it is not a transaction netloom wrote.
    pub damaged: Vec<(u64, String)>,
    /// Why each entry that is not named like a transaction is not one.
    pub named: Vec<String>,
}

/// Every transaction's id and state, oldest first.
pub(crate) fn states(root: &TargetRoot) -> Result<Vec<(u64, State)>, Error> {
    let mut out = Vec::new();
    for (id, dir) in entries(&root.walk())?.found {
        if let Ok(state) = entry_state(&dir)? {
            out.push((id, state));
        }
    }
    Ok(out)
}

/// What in the journal is not a transaction netloom wrote, one notice each.
pub(crate) fn damage(root: &TargetRoot) -> Result<Vec<String>, Error> {
    let entries = entries(&root.walk())?;
    let mut out = entries.damaged;
    for (_, dir) in entries.found {
        if let Err(why) = entry_state(&dir)? {
            out.push(why);
        }
    }
    Ok(out)
}

/// Transaction `id`, with all it recorded.
pub(crate) fn get(root: &TargetRoot, id: u64) -> Result<Tx, Error> {
    let missing = || {
        Error::refused(
            RefusedKind::NoTransaction,
            format!("there is no transaction {id}; see `netloom history`"),
        )
    };
    let entries = entries(&root.walk())?;
    let Some((_, dir)) = entries.found.into_iter().find(|(i, _)| *i == id) else {
        return Err(missing());
    };
    load(dir)?.map_err(|why| Error::refused(RefusedKind::Journal, why))
}

/// Removes journals that were never put in place (`N.partial`, nothing else). Called under
/// the lock only. One that cannot be removed blocks nothing: a notice names it.
pub(crate) fn remove_partials(root: &TargetRoot) -> Result<Vec<String>, Error> {
    let entries = entries(&root.walk())?;
    let Some(jdir) = entries.dir else {
        return Ok(Vec::new());
    };
    let mut notices = Vec::new();
    for name in &entries.partials {
        if let Err(e) = jdir.remove_tree(name) {
            notices.push(format!(
                "{} is a journal never put in place, and could not be removed ({}); it is \
                 ignored: look at it, then remove it",
                jdir.shown(name),
                e.report()
            ));
        }
    }
    Ok(notices)
}

/// A transaction from its directory, or why it is not one.
fn load(dir: Dir) -> Result<Result<Tx, String>, Error> {
    let meta = match read_json(&dir, "meta.json")? {
        Ok(m) => m,
        Err(why) => return Ok(Err(damaged(&dir, &why))),
    };
    let state = match read_json(&dir, "state")? {
        Ok(s) => s,
        Err(why) => return Ok(Err(damaged(&dir, &why))),
    };
    Ok(Ok(Tx {
        meta,
        state,
        dir,
        data: OnceLock::new(),
    }))
}

/// One JSON file of a transaction, or why it is not one netloom wrote: missing, not a
/// regular file, larger than netloom writes it, or not what netloom writes. Only an I/O
/// error is an error.
fn read_json<T: serde::de::DeserializeOwned>(
    dir: &Dir,
    name: &str,
) -> Result<Result<T, String>, Error> {
    let limit = if name == "state" { MAX_STATE } else { MAX_JSON };
    let bytes = match dir.read(name, limit) {
        Ok(Some((state, _))) => state.bytes,
        Ok(None) => return Ok(Err(format!("it has no {name}"))),
        Err(Error::BadPath { why, .. }) => return Ok(Err(format!("its {name} {why}"))),
        // Not `--max-input-size`'s: these limits are netloom's own.
        Err(Error::Read { source, .. }) if source.kind() == std::io::ErrorKind::FileTooLarge => {
            return Ok(Err(format!(
                "its {name} is larger than the {limit} bytes netloom writes at most"
            )));
        }
        Err(e) => return Err(e),
    };
    Ok(serde_json::from_slice(&bytes)
        .map_err(|e| format!("its {name} is not what netloom writes: {e}")))
}

/// The most bytes read of a journal's JSON file: a transaction of a million files.
const MAX_JSON: u64 = 1 << 30;

/// The most bytes read of a transaction's `state`: one line of JSON.
const MAX_STATE: u64 = 4096;

/// What the journal needs of each file: its path and both sides.
pub(crate) struct Record<'a> {
    pub path: &'a str,
    pub before: Option<(&'a FileState, Owner)>,
    pub after: Option<(&'a FileState, Option<Owner>)>,
}

/// Writes a whole journal for a new transaction and puts it in place with state `open`:
/// written under `N.partial`, made durable with one `syncfs` of its file system, renamed to
/// `N`, and the rename made durable. A journal that cannot be put in place is removed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn begin(
    walk: &Walk,
    backend: TxKind,
    command: &str,
    records: &[Record<'_>],
    dirs: Vec<String>,
    checkpoint: Option<&str>,
    live: Option<LiveMeta>,
    time: u64,
) -> Result<Tx, Error> {
    // The journal holds copies of files that may be private: its directory is not
    // readable by others, the directories above it are ordinary.
    walk.make(DIR, 0o700, &mut Vec::new())?;
    let found = entries(walk)?;
    let Some(jdir) = found.dir else {
        return Err(Error::bad_path(DIR, "could not be made"));
    };
    let id = match &found.highest {
        None => 1,
        Some((highest, name)) => highest.checked_add(1).ok_or_else(|| {
            Error::refused(
                RefusedKind::Journal,
                format!(
                    "{} has the highest number a transaction can have; netloom cannot number \
                 another past it: move it out of the journal",
                    jdir.shown(name)
                ),
            )
        })?,
    };
    let mut files = Vec::with_capacity(records.len());
    let mut data: Vec<u8> = Vec::new();
    for r in records {
        let mut save = |state: &FileState, owner: Option<Owner>| {
            let offset = data.len() as u64;
            data.extend_from_slice(&state.bytes);
            Saved {
                mode: state.mode,
                owner,
                offset,
                len: state.bytes.len() as u64,
            }
        };
        let before = r.before.map(|(s, o)| save(s, Some(o)));
        let after = r.after.map(|(s, o)| save(s, o));
        files.push(Entry {
            path: r.path.to_owned(),
            before,
            after,
        });
    }
    let meta = Meta {
        id,
        time,
        backend,
        command: command.to_owned(),
        files,
        dirs,
        checkpoint: checkpoint.map(str::to_owned),
        live,
    };
    let partial = format!("{id}.partial");
    let placed = place(&jdir, &partial, id, &meta, &data);
    if placed.is_err() {
        // Never left behind: the next command would only have to remove it.
        let _ = jdir.remove_tree(&partial);
    }
    Ok(Tx {
        meta,
        state: State::Open,
        dir: placed?,
        data: OnceLock::new(),
    })
}

/// Writes the journal's files under `partial`, makes them durable, and renames the
/// directory to its id.
fn place(jdir: &Dir, partial: &str, id: u64, meta: &Meta, data: &[u8]) -> Result<Dir, Error> {
    let (dir, _) = jdir.make_dir(partial, 0o700)?;
    dir.create(DATA, data, 0o600)?;
    let text = serde_json::to_vec_pretty(meta).map_err(|e| Error::Write {
        path: dir.shown("meta.json"),
        source: std::io::Error::other(e),
    })?;
    dir.create("meta.json", &text, 0o600)?;
    let state = serde_json::to_vec(&State::Open).map_err(|e| Error::Write {
        path: dir.shown("state"),
        source: std::io::Error::other(e),
    })?;
    dir.create("state", &state, 0o600)?;
    super::fault::point("journal").map_err(write_err(&dir.shown_self()))?;
    // One barrier for the three files and the directory; on a kernel whose `syncfs`
    // reports no write-back error, each file is synced after it (see `beneath.rs`).
    super::fault::point("journal-sync").map_err(write_err(&dir.shown_self()))?;
    dir.syncfs()?;
    if !super::beneath::syncfs_reports_errors() {
        for name in [DATA, "meta.json", "state"] {
            dir.sync_file(name)?;
        }
    }
    let name = id.to_string();
    jdir.rename(partial, &name)?;
    jdir.fsync()?;
    jdir.open_dir(&name)?
        .ok_or_else(|| write_err(&jdir.shown(&name))(std::io::ErrorKind::NotFound.into()))
}

/// Forgets the oldest finished transactions beyond the newest [`KEEP`]. Each is first renamed
/// to `N.partial`, so a kill half-way through removing it leaves something every command
/// ignores and the next one removes, never a transaction with half its files.
pub(crate) fn prune(root: &TargetRoot) -> Result<(), Error> {
    let entries = entries(&root.walk())?;
    let Some(jdir) = entries.dir else {
        return Ok(());
    };
    let excess = entries.found.len().saturating_sub(KEEP);
    for (id, dir) in entries.found.into_iter().take(excess) {
        // Loaded whole: an entry that is not a transaction is not netloom's to remove.
        if matches!(load(dir)?, Ok(tx) if tx.state.is_final()) {
            // Only a name `id.to_string()` writes is a transaction's ([`entry_id`]).
            let gone = format!("{id}.partial");
            jdir.rename(&id.to_string(), &gone)?;
            jdir.fsync()?;
            jdir.remove_tree(&gone)?;
        }
    }
    Ok(())
}
