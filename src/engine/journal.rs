//! The journal: one directory per transaction under `var/lib/netloom/journal/TXID/`, holding
//! the previous bytes, mode and owner of every file the transaction touches (or the fact that
//! it was absent), the new ones, and the transaction's state.
//!
//! The bytes of every file, before and after, are kept one after another in the
//! transaction's `data` file (`meta.json` says where each lies), so journalling 1,000 files
//! costs one fsync rather than 2,000.
//!
//! A transaction's directory is written completely under a `.partial` name and renamed into
//! place before the first file changes, so a journal that exists is whole. Its `state` file is
//! replaced atomically at each step: `open` while files are being written, then `committed`
//! or `pending` (awaiting `netloom confirm`), `rolling-back`, `rolled-back`. Any command that
//! finds an `open` or `rolling-back` transaction, or a `pending` one past its deadline,
//! restores the previous state before doing anything else.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fsio::{self, Owner};
use super::root::TargetRoot;
use crate::error::Error;
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
    pub backend: String,
    pub command: String,
    pub files: Vec<Entry>,
    /// Directories the transaction creates, parents first; removed again by a rollback.
    pub dirs: Vec<String>,
    /// For a transaction of NetworkManager profiles: the checkpoint it runs in, which a
    /// rollback uses first and `confirm` destroys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
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
#[derive(Debug, Clone)]
pub(crate) struct Tx {
    pub meta: Meta,
    pub state: State,
    pub dir: PathBuf,
}

impl Tx {
    /// The bytes and mode of one side of a file.
    pub fn blob(&self, saved: &Saved) -> Result<FileState, Error> {
        use std::io::{Read, Seek, SeekFrom};
        let path = self.dir.join(DATA);
        let err = fsio::read_err(&path);
        let mut file = std::fs::File::open(&path).map_err(&err)?;
        file.seek(SeekFrom::Start(saved.offset)).map_err(&err)?;
        let len = usize::try_from(saved.len).map_err(|e| err(std::io::Error::other(e)))?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes).map_err(&err)?;
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
}

fn write_state(dir: &Path, state: &State) -> Result<(), Error> {
    let path = dir.join("state");
    let bytes = serde_json::to_vec(state).map_err(|e| Error::Write {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    // A temporary beside it, fsynced and renamed over it, as every file netloom writes.
    fsio::put(&path, &FileState { bytes, mode: 0o600 }, None, None)?;
    fsio::sync_dir(dir)
}

/// The journal directory of a root, created when `create` is set.
pub(crate) fn dir(root: &TargetRoot, create: bool) -> Result<PathBuf, Error> {
    let dir = root.resolve(DIR)?;
    if create {
        // The journal holds copies of files that may be private: its directory is not
        // readable by others, the directories above it are ordinary.
        fsio::make_dirs(&dir, 0o700)?;
    }
    Ok(dir)
}

/// Every transaction of a root, oldest first, with all it recorded. Reading every
/// `meta.json` (each lists every file its transaction touched) is for `history` and
/// `rollback`; the other commands need only [`states`].
pub(crate) fn list(root: &TargetRoot) -> Result<Vec<Tx>, Error> {
    entries(root)?.iter().map(|(_, path)| load(path)).collect()
}

/// Every transaction's id and state, oldest first.
pub(crate) fn states(root: &TargetRoot) -> Result<Vec<(u64, State)>, Error> {
    entries(root)?
        .into_iter()
        .map(|(id, path)| Ok((id, read_state(&path)?)))
        .collect()
}

/// Transaction `id`, with all it recorded.
pub(crate) fn get(root: &TargetRoot, id: u64) -> Result<Tx, Error> {
    match entries(root)?.into_iter().find(|(i, _)| *i == id) {
        Some((_, path)) => load(&path),
        None => Err(Error::Refused(format!(
            "there is no transaction {id}; see `netloom history`"
        ))),
    }
}

/// The transactions' directories by id, oldest first. Only real directories named by a number
/// count: a symlink there could lead out of the root, and `N.partial` is a journal that was
/// never put in place (or one being forgotten), which [`remove_partials`] deletes under the
/// lock.
fn entries(root: &TargetRoot) -> Result<Vec<(u64, PathBuf)>, Error> {
    let dir = dir(root, false)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fsio::read_err(&dir)(e)),
    };
    let mut found = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if let (Ok(id), true) = (name.parse::<u64>(), is_dir) {
            found.push((id, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Removes journals that were never put in place. Called under the lock only.
pub(crate) fn remove_partials(root: &TargetRoot) -> Result<(), Error> {
    let dir = dir(root, false)?;
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.filter_map(|e| e.ok()) {
        if entry.file_name().to_string_lossy().ends_with(".partial") {
            let p = entry.path();
            std::fs::remove_dir_all(&p).map_err(fsio::write_err(&p))?;
        }
    }
    Ok(())
}

fn load(dir: &Path) -> Result<Tx, Error> {
    Ok(Tx {
        meta: read_json(dir, "meta.json")?,
        state: read_state(dir)?,
        dir: dir.to_path_buf(),
    })
}

fn read_state(dir: &Path) -> Result<State, Error> {
    read_json(dir, "state")
}

/// One JSON file of a transaction, which must be a regular file, never a symlink.
fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, name: &str) -> Result<T, Error> {
    let p = dir.join(name);
    let meta = std::fs::symlink_metadata(&p).map_err(fsio::read_err(&p))?;
    if !meta.is_file() {
        return Err(Error::bad_path(
            &p.display().to_string(),
            "is not a regular file; the journal is damaged",
        ));
    }
    let bytes = std::fs::read(&p).map_err(fsio::read_err(&p))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Read {
        path: p.display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// What the journal needs of each file: its path and both sides.
pub(crate) struct Record<'a> {
    pub path: &'a str,
    pub before: Option<(&'a FileState, Owner)>,
    pub after: Option<(&'a FileState, Option<Owner>)>,
}

/// Writes a whole journal for a new transaction and puts it in place with state `open`.
pub(crate) fn begin(
    root: &TargetRoot,
    backend: &str,
    command: &str,
    records: &[Record<'_>],
    dirs: Vec<String>,
    checkpoint: Option<&str>,
    time: u64,
) -> Result<Tx, Error> {
    let jdir = dir(root, true)?;
    let id = entries(root)?.last().map_or(1, |(id, _)| id + 1);
    let partial = jdir.join(format!("{id}.partial"));
    fsio::make_dir(&partial, 0o700)?;
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
        backend: backend.to_owned(),
        command: command.to_owned(),
        files,
        dirs,
        checkpoint: checkpoint.map(str::to_owned),
    };
    fsio::create_synced(&partial.join(DATA), &data)?;
    let text = serde_json::to_vec_pretty(&meta).map_err(|e| Error::Write {
        path: partial.join("meta.json").display().to_string(),
        source: std::io::Error::other(e),
    })?;
    fsio::create_synced(&partial.join("meta.json"), &text)?;
    write_state(&partial, &State::Open)?;
    super::fault::point("journal").map_err(fsio::write_err(&partial))?;
    let done = jdir.join(id.to_string());
    std::fs::rename(&partial, &done).map_err(fsio::write_err(&done))?;
    fsio::sync_dir(&jdir)?;
    Ok(Tx {
        meta,
        state: State::Open,
        dir: done,
    })
}

/// Forgets the oldest finished transactions beyond the newest [`KEEP`]. Each is first renamed
/// to `N.partial`, so a kill half-way through removing it leaves something every command
/// ignores and the next one removes, never a transaction with half its files.
pub(crate) fn prune(root: &TargetRoot) -> Result<(), Error> {
    let all = entries(root)?;
    let excess = all.len().saturating_sub(KEEP);
    let Some(jdir) = all.first().and_then(|(_, d)| d.parent()) else {
        return Ok(());
    };
    for (id, dir) in all.iter().take(excess) {
        if matches!(
            read_state(dir)?,
            State::Committed | State::RolledBack { .. }
        ) {
            let gone = jdir.join(format!("{id}.partial"));
            std::fs::rename(dir, &gone).map_err(fsio::write_err(dir))?;
            fsio::sync_dir(jdir)?;
            std::fs::remove_dir_all(&gone).map_err(fsio::write_err(&gone))?;
        }
    }
    Ok(())
}
