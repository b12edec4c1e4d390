//! Durable file operations under a target root: each write goes to a temporary file in the
//! same directory, is fsynced, renamed into place, and the directory is fsynced, so after a
//! crash a path holds either its old bytes or its new ones.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::error::Error;
use crate::plan::FileState;

use super::fault;

/// Prefix of the temporary files, so recovery can find the ones a killed process left.
pub(crate) const TEMP_PREFIX: &str = ".netloom-";

/// A file's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Owner {
    pub uid: u32,
    pub gid: u32,
}

pub(crate) fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.display().to_string(),
        source,
    }
}

pub(crate) fn read_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Read {
        path: path.display().to_string(),
        source,
    }
}

/// The bytes, mode and owner of `path`, or `None` when it does not exist.
pub(crate) fn read_state(path: &Path) -> Result<Option<(FileState, Owner)>, Error> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(path)(e)),
    };
    if !meta.is_file() {
        return Err(Error::bad_path(
            &path.display().to_string(),
            "is not a regular file; netloom only replaces regular files",
        ));
    }
    let bytes = std::fs::read(path).map_err(read_err(path))?;
    let state = FileState {
        bytes,
        mode: meta.permissions().mode() & 0o7777,
    };
    let owner = Owner {
        uid: meta.uid(),
        gid: meta.gid(),
    };
    Ok(Some((state, owner)))
}

/// Writes `state` to `path` durably, with `owner` when given. `point` names the fault points
/// passed (`temp-N` before the rename); `None` passes none.
pub(crate) fn put(
    path: &Path,
    state: &FileState,
    owner: Option<Owner>,
    point: Option<&str>,
) -> Result<(), Error> {
    let io = write_err(path);
    let dir = path
        .parent()
        .ok_or_else(|| Error::bad_path(&path.display().to_string(), "has no parent directory"))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(&io)?;
    tmp.write_all(&state.bytes).map_err(&io)?;
    let file = tmp.as_file();
    file.set_permissions(std::fs::Permissions::from_mode(state.mode))
        .map_err(&io)?;
    if let Some(o) = owner {
        let meta = file.metadata().map_err(&io)?;
        if (meta.uid(), meta.gid()) != (o.uid, o.gid) {
            std::os::unix::fs::fchown(file, Some(o.uid), Some(o.gid)).map_err(&io)?;
        }
    }
    file.sync_all().map_err(&io)?;
    if let Some(p) = point {
        fault::point(p).map_err(&io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    sync_dir(dir)
}

/// Removes `path` durably; an absent file is already removed.
pub(crate) fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(write_err(path)(e)),
    }
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// Writes a small file durably (journal entries): plain create, write, fsync. The file is
/// readable by its owner only, as a journal blob may be a copy of a private file.
pub(crate) fn create_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = write_err(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(&io)?;
    f.write_all(bytes).map_err(&io)?;
    f.sync_all().map_err(&io)
}

/// Makes a directory's entries (a rename, a new or removed file) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(write_err(dir))
}

/// Removes temporary files a killed netloom left in `dir`.
pub(crate) fn remove_temporaries(dir: &Path) -> Result<(), Error> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut removed = false;
    for e in entries.filter_map(|e| e.ok()) {
        if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            std::fs::remove_file(e.path()).map_err(write_err(&e.path()))?;
            removed = true;
        }
    }
    if removed {
        sync_dir(dir)?;
    }
    Ok(())
}
