//! The only code that touches a target root: reading what backends ask for, and writing what
//! they render. Every path goes through [`root::TargetRoot`], which refuses anything that
//! would leave the root.
//!
//! This is the first half of the engine: `render --out` writes through [`write_files`]
//! (each file to a temporary file beside it, fsynced, renamed into place). The journal,
//! lock, rollback and confirm timer arrive with issue 5.

mod root;

pub use root::TargetRoot;

use std::io::Write;

use crate::backend::RenderedFile;
use crate::error::Error;

/// Writes each file under the root atomically: a reader sees the old file or the new one,
/// never half of either.
pub fn write_files(root: &TargetRoot, files: &[RenderedFile]) -> Result<(), Error> {
    for file in files {
        let path = root.resolve(&file.path)?;
        let dir = path
            .parent()
            .ok_or_else(|| Error::bad_path(&file.path, "has no parent directory"))?;
        let io = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".netloom-")
            .tempfile_in(dir)
            .map_err(io)?;
        tmp.write_all(file.contents.as_bytes()).map_err(io)?;
        set_mode(tmp.as_file(), file.mode).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}
