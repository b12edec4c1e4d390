//! Durable file operations under a target root: each write goes to a temporary file in the
//! same directory, is fsynced, renamed into place, and the directory is fsynced, so after a
//! crash a path holds either its old bytes or its new ones.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
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

/// Writes `state` to `path`, with `owner` when given: the bytes are durable before the
/// rename; the rename itself is durable once the caller syncs the directory (a transaction
/// syncs each directory once, before recording its commit). `point` names the fault point
/// passed before the rename (`temp-N`); `None` passes none.
pub(crate) fn put(
    path: &Path,
    state: &FileState,
    owner: Option<Owner>,
    point: Option<std::fmt::Arguments<'_>>,
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
    // Owner first: the kernel clears setuid and setgid bits on a change of owner.
    if let Some(o) = owner {
        let meta = file.metadata().map_err(&io)?;
        if (meta.uid(), meta.gid()) != (o.uid, o.gid) {
            std::os::unix::fs::fchown(file, Some(o.uid), Some(o.gid)).map_err(&io)?;
        }
    }
    file.set_permissions(std::fs::Permissions::from_mode(state.mode))
        .map_err(&io)?;
    file.sync_all().map_err(&io)?;
    if let Some(p) = point {
        fault::point(p).map_err(&io)?;
    }
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Removes `path`; an absent file is already removed. Durable once the caller syncs the
/// directory, as for [`put`].
pub(crate) fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(write_err(path)(e)),
    }
}

/// Syncs the directory holding `path`; a directory that does not exist (never created, or
/// removed since) has nothing to sync.
pub(crate) fn sync_parent(path: &Path) -> Result<(), Error> {
    match path.parent() {
        Some(dir) if dir.is_dir() => sync_dir(dir),
        _ => Ok(()),
    }
}

/// Creates the directory `path` (its parent exists) with mode 0755 whatever the umask, so a
/// configuration directory netloom creates is readable as the distribution's would be.
pub(crate) fn make_dir(path: &Path, mode: u32) -> Result<bool, Error> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(write_err(path)(e)),
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(write_err(path))?;
    Ok(true)
}

/// Creates `path` and its missing parents, all 0755 except `path` itself, which gets `mode`.
pub(crate) fn make_dirs(path: &Path, mode: u32) -> Result<(), Error> {
    if path.is_dir() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        make_dirs(parent, 0o755)?;
    }
    if make_dir(path, mode)?
        && let Some(parent) = path.parent()
    {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Writes a journal file durably, readable by its owner only: it holds the bytes of files
/// that may be private.
pub(crate) fn create_synced(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
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
