//! The journal: one directory per transaction under `var/lib/netloom/journal/TXID/`, holding
//! the previous bytes, mode and owner of every file the transaction touches (or the fact that
//! it was absent), the new ones, and the transaction's state.
//!
//! A transaction's directory is written completely under a `.partial` name and renamed into
//! place before the first file changes, so a journal that exists is whole. Its `state` file is
//! replaced atomically at each step: `open` while files are being written, then `committed`
//! or `pending` (awaiting `netloom confirm`), `rolling-back`, `rolled-back`. Any command that
//! finds an `open` or `rolling-back` transaction, or a `pending` one past its deadline,
//! restores the previous state before doing anything else.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fsio::{self, Owner};
use super::root::TargetRoot;
use crate::error::Error;
use crate::plan::FileState;

/// Where journals live, relative to the root.
pub const DIR: &str = "var/lib/netloom/journal";

/// How many finished transactions are kept for `history` and `rollback`.
const KEEP: usize = 100;

/// What a transaction recorded about one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub path: String,
    pub before: Option<Saved>,
    pub after: Option<Saved>,
}

/// One side of a file: its mode, its owner, and the blob holding its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Saved {
    pub mode: u32,
    pub owner: Option<Owner>,
    pub blob: String,
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
}

/// One transaction as found on disk.
#[derive(Debug, Clone)]
pub(crate) struct Tx {
    pub meta: Meta,
    pub state: State,
    pub dir: PathBuf,
}

impl Tx {
    /// The bytes of a blob.
    pub fn blob(&self, saved: &Saved) -> Result<FileState, Error> {
        let path = self.dir.join(&saved.blob);
        let bytes = std::fs::read(&path).map_err(fsio::read_err(&path))?;
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
    let tmp = dir.join("state.tmp");
    let text = serde_json::to_vec(state).map_err(|e| Error::Write {
        path: tmp.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    fsio::create_synced(&tmp, &text)?;
    let path = dir.join("state");
    std::fs::rename(&tmp, &path).map_err(fsio::write_err(&path))?;
    fsio::sync_dir(dir)
}

/// The journal directory of a root, created when `create` is set.
pub(crate) fn dir(root: &TargetRoot, create: bool) -> Result<PathBuf, Error> {
    let dir = root.resolve(DIR)?;
    if create {
        std::fs::create_dir_all(&dir).map_err(fsio::write_err(&dir))?;
    }
    Ok(dir)
}

/// Every transaction of a root, oldest first. Leftovers of a journal that was never put in
/// place (`N.partial`) are removed: no file was touched for them.
pub(crate) fn list(root: &TargetRoot) -> Result<Vec<Tx>, Error> {
    let dir = dir(root, false)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fsio::read_err(&dir)(e)),
    };
    let mut found = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok(id) = name.parse::<u64>() {
            found.push((id, entry.path()));
        }
    }
    found.sort();
    found.into_iter().map(|(_, path)| load(&path)).collect()
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
    let read = |name: &str| -> Result<Vec<u8>, Error> {
        let p = dir.join(name);
        std::fs::read(&p).map_err(fsio::read_err(&p))
    };
    let bad = |name: &str, e: serde_json::Error| Error::Read {
        path: dir.join(name).display().to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    };
    let meta: Meta =
        serde_json::from_slice(&read("meta.json")?).map_err(|e| bad("meta.json", e))?;
    let state: State = serde_json::from_slice(&read("state")?).map_err(|e| bad("state", e))?;
    Ok(Tx {
        meta,
        state,
        dir: dir.to_path_buf(),
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
    time: u64,
) -> Result<Tx, Error> {
    let jdir = dir(root, true)?;
    let id = list(root)?.last().map_or(1, |t| t.meta.id + 1);
    let partial = jdir.join(format!("{id}.partial"));
    // The blobs are copies of files that may be private (a 0600 ifcfg file with a key in
    // it): only the owner may look into a transaction.
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&partial)
        .map_err(fsio::write_err(&partial))?;
    let mut files = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let save = |side: &str, state: &FileState, owner: Option<Owner>| {
            let blob = format!("{i}.{side}");
            fsio::create_synced(&partial.join(&blob), &state.bytes)?;
            Ok::<_, Error>(Saved {
                mode: state.mode,
                owner,
                blob,
            })
        };
        let before = match r.before {
            Some((s, o)) => Some(save("before", s, Some(o))?),
            None => None,
        };
        let after = match r.after {
            Some((s, o)) => Some(save("after", s, o)?),
            None => None,
        };
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
    };
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

/// Forgets the oldest finished transactions beyond the newest [`KEEP`].
pub(crate) fn prune(root: &TargetRoot) -> Result<(), Error> {
    let all = list(root)?;
    let excess = all.len().saturating_sub(KEEP);
    for tx in all.iter().take(excess) {
        if matches!(tx.state, State::Committed | State::RolledBack { .. }) {
            std::fs::remove_dir_all(&tx.dir).map_err(fsio::write_err(&tx.dir))?;
        }
    }
    Ok(())
}
