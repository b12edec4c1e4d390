//! Every file operation under a target root, confined to it by construction.
//!
//! The root is opened once, as a directory. Every path below it is walked one component at
//! a time with `openat(parent, name, O_DIRECTORY | O_NOFOLLOW)` and never re-resolved from a
//! string, so a symbolic link anywhere on the way, there from the start or swapped in while
//! netloom runs, is an error naming it, and nothing is read or written outside the root.
//! (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS` does such a walk in one call,
//! but only from Linux 5.6, which RHEL 8's 4.18 is not; and it cannot say which component
//! was the link.) A directory is resolved once per operation: a [`Walk`] keeps the
//! directories it opened, and the ones it found missing, so the 10,000th file of a
//! directory costs the `openat` of the file alone.
//!
//! Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked with `fstat`: anything but a
//! regular file (a FIFO, a device, a socket) is refused by name, so nothing planted under the
//! root makes netloom hang or read a device. A file is written whole to a temporary beside
//! it, created with `O_CREAT | O_EXCL | O_NOFOLLOW` under [`TEMP_PREFIX`], then renamed over
//! it. Durability is the caller's: nothing here syncs unless asked ([`Dir::fsync`],
//! [`Dir::syncfs`]), so a transaction syncs once for all its files.
//!
//! A hard link cannot be refused on the way (it is a name like any other), and need not be:
//! a file is replaced by renaming a new one over its name, so another name of the same file,
//! inside the root or outside it, keeps the old bytes and is never written. The one file
//! written in place, the lock, must have no other name ([`Dir::open_rw`]). A hard-linked
//! file is read like any other: its bytes are what the host's own tool reads at that name
//! (system-config-network hard-linked every ifcfg file into `/etc/sysconfig/networking`),
//! and the journal that keeps a copy is readable by its owner alone.
//!
//! The one place links are followed is sysfs (`sys/` under the root), which is made of them
//! (`class/net/eth0` is `../../devices/…/eth0`) and is only ever read: there a link is
//! resolved inside the root, as the kernel resolves it in a chroot ([`Walk::dir_in_root`]).
//! What netloom writes never passes through it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::error::Error;
use crate::plan::FileState;

/// Prefix of the temporary files: under the lock every one is a leftover of a killed
/// netloom, which the next transaction in its directory removes.
pub(crate) const TEMP_PREFIX: &str = ".netloom-";

/// What a symbolic link under the root is told.
const SYMLINK: &str =
    "is a symbolic link; netloom does not follow symbolic links under the target root";

/// How many links one path may pass through under `sys/`, as the kernel allows.
const MAX_LINKS: usize = 40;

/// A file's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Owner {
    pub uid: u32,
    pub gid: u32,
}

/// An error writing `path` (as shown to the user).
pub(crate) fn write_err(path: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_owned(),
        source,
    }
}

/// An error reading `path` (as shown to the user).
pub(crate) fn read_err(path: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Read {
        path: path.to_owned(),
        source,
    }
}

/// A path as a person reads it: `rel` under the root as it was given.
pub(crate) fn shown(root: &Path, rel: &str) -> String {
    if rel.is_empty() {
        root.display().to_string()
    } else {
        root.join(rel).display().to_string()
    }
}

/// The components of a path relative to the root. Only plain names: an absolute path, `..`,
/// `.` or an empty component is refused, since backends build paths from checked names.
pub(crate) fn components(rel: &str) -> Result<Vec<&str>, Error> {
    let bad = || Error::bad_path(rel, "must be a plain path inside the target root");
    if rel.is_empty() {
        return Ok(Vec::new());
    }
    rel.split('/')
        .map(|c| match c {
            "" | "." | ".." => Err(bad()),
            c => Ok(c),
        })
        .collect()
}

/// `rel` split into its directory and its last component.
pub(crate) fn split(rel: &str) -> Result<(&str, &str), Error> {
    components(rel)?;
    match rel.rsplit_once('/') {
        Some((dir, name)) => Ok((dir, name)),
        None if !rel.is_empty() => Ok(("", rel)),
        None => Err(Error::bad_path(rel, "names no file")),
    }
}

/// A file name as text: itself when it is UTF-8, else with each byte that is not written
/// `\xNN`, so the file can be told from its neighbours (a backslash passes the terminal as
/// it is; the rest is escaped where it is shown, see `show.rs`).
pub(crate) fn name_text(name: &OsStr) -> Cow<'_, str> {
    if let Some(text) = name.to_str() {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    Cow::Owned(out)
}

/// What a file whose name is not UTF-8 is told where netloom would read it.
const NOT_UTF8_NAME: &str = "has a name that is not valid UTF-8; netloom reads only files \
    named in UTF-8 and cannot tell what this one holds: rename it or move it away";

/// One directory under the root, open, with the path it was reached by.
#[derive(Debug, Clone)]
pub(crate) struct Dir(Arc<DirInner>);

#[derive(Debug)]
struct DirInner {
    /// The root as given, for messages.
    root: Arc<Path>,
    fd: OwnedFd,
    /// Relative to the root; empty for the root itself.
    rel: String,
    /// Its status, fetched when first needed.
    stat: OnceLock<DirStat>,
}

/// What a directory's status tells its files.
#[derive(Debug, Clone, Copy)]
struct DirStat {
    dev: u64,
    mode: u32,
    gid: u32,
}

/// What is at a name in a directory, as the walk sees it.
enum Child {
    Dir(Dir),
    Missing,
    Link,
    Other,
}

/// A file opened for reading, or why not.
enum Opened {
    File(OwnedFd, rustix::fs::Stat),
    Missing,
    Not(FileType),
}

impl Dir {
    /// The root itself, opened from its path (symbolic links in the root's own path are
    /// followed: choosing the root is the user's).
    pub fn open_root(path: &Path) -> Result<Self, Error> {
        let shown = path.display().to_string();
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOTDIR) => return Err(Error::bad_path(&shown, "is not a directory")),
            Err(e) => return Err(read_err(&shown)(e.into())),
        };
        Ok(Dir(Arc::new(DirInner {
            root: Arc::from(path),
            fd,
            rel: String::new(),
            stat: OnceLock::new(),
        })))
    }

    /// The root, opened through `fd`, a descriptor of it another process handed over;
    /// `path` is what messages call it.
    pub fn open_root_at(fd: std::os::fd::BorrowedFd<'_>, path: &Path) -> Result<Self, Error> {
        let shown = path.display().to_string();
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(fd, ".", flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOTDIR) => return Err(Error::bad_path(&shown, "is not a directory")),
            Err(e) => return Err(read_err(&shown)(e.into())),
        };
        Ok(Dir(Arc::new(DirInner {
            root: Arc::from(path),
            fd,
            rel: String::new(),
            stat: OnceLock::new(),
        })))
    }

    /// The directory's device and inode numbers: which directory it is, whatever its path.
    pub fn identity(&self) -> Result<(u64, u64), Error> {
        let st =
            rustix::fs::fstat(&self.0.fd).map_err(|e| read_err(&self.shown_self())(e.into()))?;
        // The field widths differ between architectures.
        #[allow(clippy::unnecessary_cast)]
        Ok((st.st_dev as u64, st.st_ino as u64))
    }

    /// Relative to the root; empty for the root.
    pub fn rel(&self) -> &str {
        &self.0.rel
    }

    /// The descriptor, for what must be asked of the kernel about the directory itself.
    pub fn fd(&self) -> &OwnedFd {
        &self.0.fd
    }

    /// `name` in this directory, relative to the root.
    pub fn join(&self, name: &str) -> String {
        if self.0.rel.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.0.rel)
        }
    }

    /// `name` in this directory as a person reads it.
    pub fn shown(&self, name: &str) -> String {
        shown(&self.0.root, &self.join(name))
    }

    /// This directory as a person reads it.
    pub fn shown_self(&self) -> String {
        shown(&self.0.root, &self.0.rel)
    }

    fn stat(&self) -> Result<DirStat, Error> {
        if let Some(s) = self.0.stat.get() {
            return Ok(*s);
        }
        let st =
            rustix::fs::fstat(&self.0.fd).map_err(|e| read_err(&self.shown_self())(e.into()))?;
        // The field widths differ between architectures.
        #[allow(clippy::unnecessary_cast)]
        let s = DirStat {
            dev: st.st_dev as u64,
            mode: st.st_mode as u32,
            gid: st.st_gid as u32,
        };
        Ok(*self.0.stat.get_or_init(|| s))
    }

    /// The file system the directory is on.
    pub fn device(&self) -> Result<u64, Error> {
        Ok(self.stat()?.dev)
    }

    /// The directory's permission bits.
    pub fn mode(&self) -> Result<u32, Error> {
        Ok(self.stat()?.mode & 0o7777)
    }

    fn child_dir(&self, name: &str, fd: OwnedFd) -> Dir {
        Dir(Arc::new(DirInner {
            root: self.0.root.clone(),
            fd,
            rel: self.join(name),
            stat: OnceLock::new(),
        }))
    }

    /// What is at `name`, opened when it is a directory; a link is never followed.
    fn child(&self, name: &str) -> Result<Child, Error> {
        self.child_os(OsStr::new(name))
    }

    /// [`Dir::child`] for any name, UTF-8 or not.
    fn child_os(&self, name: &OsStr) -> Result<Child, Error> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let shown = || self.shown(&name_text(name));
        // A name being swapped between a directory and a link can be one when opened and the
        // other when looked at: it is opened again then, a few times.
        for _ in 0..8 {
            match rustix::fs::openat(&self.0.fd, name, flags, Mode::empty()) {
                Ok(fd) => return Ok(Child::Dir(self.child_dir(&name_text(name), fd))),
                Err(Errno::NOENT) => return Ok(Child::Missing),
                // A link gives one or the other, depending on the kernel; only then is it
                // worth a look at what is there.
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    let kind = match rustix::fs::statat(&self.0.fd, name, AtFlags::SYMLINK_NOFOLLOW)
                    {
                        Ok(st) => Some(FileType::from_raw_mode(st.st_mode)),
                        Err(Errno::NOENT) => None,
                        Err(e) => return Err(read_err(&shown())(e.into())),
                    };
                    match kind {
                        Some(FileType::Symlink) => return Ok(Child::Link),
                        None => return Ok(Child::Missing),
                        Some(FileType::Directory) => continue,
                        Some(_) => return Ok(Child::Other),
                    }
                }
                Err(e) => return Err(read_err(&shown())(e.into())),
            }
        }
        Ok(Child::Link)
    }

    /// The subdirectory `name`, or `None` when nothing is there; a link or a file in its
    /// place is an error naming it.
    pub fn open_dir(&self, name: &str) -> Result<Option<Dir>, Error> {
        match self.child(name)? {
            Child::Dir(d) => Ok(Some(d)),
            Child::Missing => Ok(None),
            Child::Link => Err(Error::bad_path(&self.shown(name), SYMLINK)),
            Child::Other => Err(Error::bad_path(&self.shown(name), "is not a directory")),
        }
    }

    /// What kind of thing `name` is, without following it; `None` when nothing is there.
    pub fn kind(&self, name: &str) -> Result<Option<FileType>, Error> {
        match rustix::fs::statat(&self.0.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(read_err(&self.shown(name))(e.into())),
        }
    }

    /// Creates the subdirectory `name` with `mode` whatever the umask (a configuration
    /// directory netloom makes is readable as the distribution's would be), and opens it.
    /// Returns it and whether it was created.
    pub fn make_dir(&self, name: &str, mode: u32) -> Result<(Dir, bool), Error> {
        let shown = || self.shown(name);
        let created = match rustix::fs::mkdirat(&self.0.fd, name, Mode::from_raw_mode(mode)) {
            Ok(()) => true,
            Err(Errno::EXIST) => false,
            Err(e) => return Err(write_err(&shown())(e.into())),
        };
        let dir = self
            .open_dir(name)?
            .ok_or_else(|| write_err(&shown())(Errno::NOENT.into()))?;
        if created && mode & umask() != 0 {
            rustix::fs::fchmod(&dir.0.fd, Mode::from_raw_mode(mode))
                .map_err(|e| write_err(&shown())(e.into()))?;
        }
        Ok((dir, created))
    }

    /// The bytes, permission bits and owner of the regular file `name`, read whole if it
    /// holds at most `limit` bytes; `None` when nothing is there. A link, a FIFO, a device
    /// or a directory there is an error naming it.
    pub fn read(&self, name: &str, limit: u64) -> Result<Option<(FileState, Owner)>, Error> {
        match self.open_file(name)? {
            Opened::File(fd, st) => self.read_open(name, fd, &st, limit).map(Some),
            Opened::Missing => Ok(None),
            Opened::Not(kind) => Err(not_regular(&self.shown(name), kind)),
        }
    }

    /// [`Dir::read`] for a file a pattern names: a directory of that name is not one of the
    /// files, and is passed over.
    pub fn read_matching(
        &self,
        name: &str,
        limit: u64,
    ) -> Result<Option<(FileState, Owner)>, Error> {
        match self.open_file(name)? {
            Opened::File(fd, st) => self.read_open(name, fd, &st, limit).map(Some),
            Opened::Missing | Opened::Not(FileType::Directory) => Ok(None),
            Opened::Not(kind) => Err(not_regular(&self.shown(name), kind)),
        }
    }

    /// The regular file `name`, open for reading; missing, or anything else there, is an
    /// error naming it.
    pub fn open_read(&self, name: &str) -> Result<File, Error> {
        match self.open_file(name)? {
            Opened::File(fd, _) => Ok(File::from(fd)),
            Opened::Missing => Err(read_err(&self.shown(name))(Errno::NOENT.into())),
            Opened::Not(kind) => Err(not_regular(&self.shown(name), kind)),
        }
    }

    /// Opens `name` for reading if it is a regular file: without following a link, and
    /// without waiting on a FIFO.
    fn open_file(&self, name: &str) -> Result<Opened, Error> {
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.0.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(Opened::Missing),
            Err(Errno::LOOP) => return Ok(Opened::Not(FileType::Symlink)),
            Err(e) => return Err(read_err(&self.shown(name))(e.into())),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| read_err(&self.shown(name))(e.into()))?;
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => Ok(Opened::File(fd, st)),
            kind => Ok(Opened::Not(kind)),
        }
    }

    fn read_open(
        &self,
        name: &str,
        fd: OwnedFd,
        st: &rustix::fs::Stat,
        limit: u64,
    ) -> Result<(FileState, Owner), Error> {
        // The field widths differ between architectures.
        #[allow(clippy::unnecessary_cast)]
        let (size, mode, uid, gid) = (
            st.st_size as u64,
            st.st_mode as u32,
            st.st_uid as u32,
            st.st_gid as u32,
        );
        let bytes =
            read_whole(File::from(fd), size, limit).map_err(|e| read_err(&self.shown(name))(e))?;
        let state = FileState {
            bytes,
            mode: mode & 0o7777,
        };
        Ok((state, Owner { uid, gid }))
    }

    /// Writes `state` to a new temporary in this directory, with `owner` when given (else
    /// the writer's), and returns its name; `target` (the name it is for) is what errors
    /// name. One `write` for the bytes; `sync` makes them durable before the file is closed,
    /// for a single small file that needs it (a journal's state). On failure the temporary
    /// is gone.
    pub fn write_temp(
        &self,
        target: &str,
        state: &FileState,
        owner: Option<Owner>,
        sync: bool,
    ) -> Result<String, Error> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static PID: OnceLock<u32> = OnceLock::new();
        let pid = *PID.get_or_init(std::process::id);
        // Named only for an error: a path is not worth building for every file written.
        let io = |e: std::io::Error| write_err(&self.shown(target))(e);
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let (name, fd) = loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("{TEMP_PREFIX}{pid}-{n}");
            let mode = Mode::from_raw_mode(state.mode & 0o777);
            match rustix::fs::openat(&self.0.fd, name.as_str(), flags, mode) {
                Ok(fd) => break (name, fd),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(io(e.into())),
            }
        };
        let filled = self.fill(File::from(fd), state, owner, sync);
        if let Err(e) = filled {
            let _ = rustix::fs::unlinkat(&self.0.fd, name.as_str(), AtFlags::empty());
            return Err(io(e));
        }
        Ok(name)
    }

    /// The bytes, owner and mode of a new temporary.
    fn fill(
        &self,
        mut file: File,
        state: &FileState,
        owner: Option<Owner>,
        sync: bool,
    ) -> std::io::Result<()> {
        file.write_all(&state.bytes)?;
        // Owner first: the kernel clears setuid and setgid bits on a change of owner.
        let mut chowned = false;
        if let Some(o) = owner {
            let made = self.creator().map_err(std::io::Error::other)?;
            if made != o {
                rustix::fs::fchown(
                    &file,
                    Some(rustix::fs::Uid::from_raw(o.uid)),
                    Some(rustix::fs::Gid::from_raw(o.gid)),
                )?;
                chowned = true;
            }
        }
        // The mode given at creation lost what the umask holds, and had no special bits.
        if chowned || state.mode & !0o777 != 0 || state.mode & umask() != 0 {
            rustix::fs::fchmod(&file, Mode::from_raw_mode(state.mode))?;
        }
        if sync {
            rustix::fs::fsync(&file)?;
        }
        Ok(())
    }

    /// The owner a file created in this directory gets: this process's, with the
    /// directory's group when the directory is setgid.
    fn creator(&self) -> Result<Owner, Error> {
        let dir = self.stat()?;
        let gid = if dir.mode & 0o2000 != 0 {
            dir.gid
        } else {
            rustix::process::getegid().as_raw()
        };
        Ok(Owner {
            uid: rustix::process::geteuid().as_raw(),
            gid,
        })
    }

    /// Creates the file `name` with `bytes` and `mode` (a journal's file: the name is new,
    /// nothing is replaced).
    pub fn create(&self, name: &str, bytes: &[u8], mode: u32) -> Result<(), Error> {
        let shown = self.shown(name);
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.0.fd, name, flags, Mode::from_raw_mode(mode))
            .map_err(|e| write_err(&shown)(e.into()))?;
        File::from(fd).write_all(bytes).map_err(write_err(&shown))
    }

    /// Opens `name` for reading and writing, creating it with `mode` if it does not exist
    /// (the lock). It must be a regular file with no other name: `O_NOFOLLOW` stops a
    /// symbolic link, not a hard link, and a hard link planted here to a file outside the
    /// root would have that file written in place.
    pub fn open_rw(&self, name: &str, mode: u32) -> Result<File, Error> {
        let shown = self.shown(name);
        let flags = OFlags::RDWR
            | OFlags::CREATE
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::NOCTTY
            | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.0.fd, name, flags, Mode::from_raw_mode(mode)) {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return Err(Error::bad_path(&shown, SYMLINK)),
            Err(e) => return Err(write_err(&shown)(e.into())),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| write_err(&shown)(e.into()))?;
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind != FileType::RegularFile {
            return Err(not_regular(&shown, kind));
        }
        if st.st_nlink != 1 {
            return Err(Error::bad_path(
                &shown,
                &format!(
                    "has {} hard links; netloom writes in place only a file that has no other \
                     name (another could be outside the target root): remove it",
                    st.st_nlink
                ),
            ));
        }
        Ok(File::from(fd))
    }

    /// Renames `from` to `to` in this directory; `to` is replaced, never followed.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), Error> {
        rustix::fs::renameat(&self.0.fd, from, &self.0.fd, to)
            .map_err(|e| write_err(&self.shown(to))(e.into()))
    }

    /// Removes `name` (a link is removed itself); returns whether anything was there.
    pub fn unlink(&self, name: &str) -> Result<bool, Error> {
        self.unlink_os(OsStr::new(name))
    }

    /// [`Dir::unlink`] for any name, UTF-8 or not.
    fn unlink_os(&self, name: &OsStr) -> Result<bool, Error> {
        match rustix::fs::unlinkat(&self.0.fd, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(write_err(&self.shown(&name_text(name)))(e.into())),
        }
    }

    /// Removes the subdirectory `name` if it is empty; returns whether it was removed.
    pub fn remove_dir(&self, name: &str) -> Result<bool, Error> {
        match rustix::fs::unlinkat(&self.0.fd, name, AtFlags::REMOVEDIR) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT | Errno::NOTEMPTY | Errno::EXIST | Errno::NOTDIR) => Ok(false),
            Err(e) => Err(write_err(&self.shown(name))(e.into())),
        }
    }

    /// Removes `name` and everything below it, following no link (a journal that was never
    /// put in place). Every name below is removed, UTF-8 or not.
    pub fn remove_tree(&self, name: &str) -> Result<(), Error> {
        self.remove_tree_os(OsStr::new(name))
    }

    fn remove_tree_os(&self, name: &OsStr) -> Result<(), Error> {
        match self.child_os(name)? {
            Child::Missing => Ok(()),
            Child::Dir(dir) => {
                for (entry, kind) in dir.list_raw()? {
                    match kind {
                        FileType::Directory | FileType::Unknown => dir.remove_tree_os(&entry)?,
                        _ => dir.unlink_os(&entry).map(drop)?,
                    }
                }
                match rustix::fs::unlinkat(&self.0.fd, name, AtFlags::REMOVEDIR) {
                    Ok(()) | Err(Errno::NOENT) => Ok(()),
                    Err(e) => Err(write_err(&self.shown(&name_text(name)))(e.into())),
                }
            }
            Child::Link | Child::Other => self.unlink_os(name).map(drop),
        }
    }

    /// The names in this directory with what each is (from the directory itself, so no
    /// `stat` per name; [`FileType::Unknown`] where the file system does not say), sorted.
    /// A name that is not UTF-8 is an error naming it: whoever lists a directory reads what
    /// is in it, and must not take such a file for absent.
    pub fn list(&self) -> Result<Vec<(String, FileType)>, Error> {
        self.list_raw()?
            .into_iter()
            .map(|(name, kind)| match name.into_string() {
                Ok(name) => Ok((name, kind)),
                Err(name) => Err(self.not_utf8(&name)),
            })
            .collect()
    }

    /// [`Dir::list`] with every name as it is, UTF-8 or not, sorted by its bytes.
    pub fn list_raw(&self) -> Result<Vec<(OsString, FileType)>, Error> {
        let shown = || self.shown_self();
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.0.fd, ".", flags, Mode::empty())
            .map_err(|e| read_err(&shown())(e.into()))?;
        let entries = rustix::fs::Dir::new(fd).map_err(|e| read_err(&shown())(e.into()))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| read_err(&shown())(e.into()))?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name != "." && name != ".." {
                out.push((name.to_owned(), entry.file_type()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The error for a file whose name is not UTF-8, met where a file is looked for.
    pub fn not_utf8(&self, name: &OsStr) -> Error {
        Error::bad_path(&self.shown(&name_text(name)), NOT_UTF8_NAME)
    }

    /// Removes the temporaries a killed netloom left here; returns how many. Only under the
    /// lock: there, no temporary belongs to a netloom still running. A temporary's name is
    /// ASCII, so a name that is not UTF-8 is never one.
    pub fn remove_temporaries(&self) -> Result<usize, Error> {
        let mut removed = 0;
        for (name, kind) in self.list_raw()? {
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.starts_with(TEMP_PREFIX) && kind != FileType::Directory {
                self.unlink(name)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Makes this directory's entries (a rename, a new or removed name) durable.
    pub fn fsync(&self) -> Result<(), Error> {
        rustix::fs::fsync(&self.0.fd).map_err(|e| write_err(&self.shown_self())(e.into()))
    }

    /// Makes everything written to this directory's file system durable: one barrier for
    /// any number of files. From Linux 5.8 it fails if writing anything back to the file
    /// system failed since this directory was opened, so the directory to ask is one opened
    /// before the first write; before 5.8 it says nothing of such errors (see
    /// [`syncfs_reports_errors`] and [`Dir::sync_file`]).
    pub fn syncfs(&self) -> Result<(), Error> {
        rustix::fs::syncfs(&self.0.fd).map_err(|e| write_err(&self.shown_self())(e.into()))
    }

    /// Makes the file `name` durable, and reports an error writing it back, whenever it
    /// happened: `fdatasync` on a descriptor opened now still reports an error no one has
    /// seen (Linux 4.13 and later). After a `syncfs` nothing is left to write, so it costs
    /// an `open` and a check. For kernels whose `syncfs` reports no error.
    pub fn sync_file(&self, name: &str) -> Result<(), Error> {
        let shown = || self.shown(name);
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.0.fd, name, flags, Mode::empty())
            .map_err(|e| write_err(&shown())(e.into()))?;
        rustix::fs::fdatasync(&fd).map_err(|e| write_err(&shown())(e.into()))
    }
}

/// Whether this kernel's `syncfs` reports an error writing back what it syncs: from Linux
/// 5.8 on. Before (RHEL 8's 4.18, Debian 10's 4.19), it returns success whatever happened,
/// so a transaction also syncs each file it wrote with [`Dir::sync_file`]. Read once.
pub(crate) fn syncfs_reports_errors() -> bool {
    static REPORTS: OnceLock<bool> = OnceLock::new();
    *REPORTS.get_or_init(|| {
        let uname = rustix::system::uname();
        reports_errors(&uname.release().to_string_lossy())
    })
}

/// [`syncfs_reports_errors`] for a kernel release (`5.8.0-63-generic`, `4.18.0-553.el8`).
/// One that cannot be read is taken as old: syncing each file again costs little, missing
/// an error costs a file.
fn reports_errors(release: &str) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (5, 8),
        _ => false,
    }
}

/// The error for a non-regular file where a regular one must be.
fn not_regular(shown: &str, kind: FileType) -> Error {
    let what = match kind {
        FileType::Symlink => return Error::bad_path(shown, SYMLINK),
        FileType::Fifo => "is a FIFO",
        FileType::CharacterDevice => "is a character device",
        FileType::BlockDevice => "is a block device",
        FileType::Socket => "is a socket",
        FileType::Directory => "is a directory",
        _ => "is not a regular file",
    };
    Error::bad_path(
        shown,
        &format!("{what}; netloom reads and replaces only regular files under the target root"),
    )
}

/// All of an open regular file of `size` bytes (by `fstat`), if it holds at most `limit`:
/// one `read` when the size is right, more only for a file whose size says nothing (sysfs,
/// procfs) or that is growing.
fn read_whole(mut file: File, size: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            crate::source::TooLarge { limit },
        )
    };
    if size > limit {
        return Err(too_large());
    }
    let want = usize::try_from(size).map_err(std::io::Error::other)?;
    // One byte more than the size: a read that returns exactly the size has met the end.
    let mut bytes = vec![0; want + 1];
    let n = loop {
        match file.read(&mut bytes) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    bytes.truncate(n);
    if n == want && n > 0 {
        return Ok(bytes);
    }
    file.take(limit.saturating_add(1).saturating_sub(n as u64))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// This process's umask, read once: a mode it hides must be set again with `fchmod`, others
/// need not be. Unknown (no `/proc`), every bit counts as hidden, so modes are always set.
fn umask() -> u32 {
    static MASK: OnceLock<u32> = OnceLock::new();
    *MASK.get_or_init(|| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            })
            .unwrap_or(0o777)
    })
}

/// One operation's view of the root: each directory resolved once, missing ones too.
/// Shared by the threads of a parallel read.
#[derive(Debug)]
pub(crate) struct Walk {
    top: Dir,
    /// By path relative to the root: the directory, or `None` where nothing was there.
    known: Mutex<HashMap<String, Option<Dir>>>,
}

impl Walk {
    /// A fresh view from the root's directory.
    pub fn new(top: Dir) -> Self {
        Walk {
            top,
            known: Mutex::new(HashMap::new()),
        }
    }

    /// The root's directory.
    pub fn top(&self) -> &Dir {
        &self.top
    }

    fn remembered(&self, rel: &str) -> Option<Option<Dir>> {
        self.known.lock().ok()?.get(rel).cloned()
    }

    fn remember(&self, rel: &str, dir: Option<Dir>) {
        if let Ok(mut known) = self.known.lock() {
            known.insert(rel.to_owned(), dir);
        }
    }

    /// The directory `rel`, or `None` when a component is missing (nothing is created). A
    /// link or a file on the way is an error naming it.
    pub fn dir(&self, rel: &str) -> Result<Option<Dir>, Error> {
        if rel.is_empty() {
            return Ok(Some(self.top.clone()));
        }
        if let Some(known) = self.remembered(rel) {
            return Ok(known);
        }
        let (parent, name) = split(rel)?;
        let Some(parent) = self.dir(parent)? else {
            return Ok(None);
        };
        let found = parent.open_dir(name)?;
        self.remember(rel, found.clone());
        Ok(found)
    }

    /// The directory `rel`, made where missing, each new one with mode 0755 except `rel`
    /// itself, which gets `mode`. The ones made are added to `made`, parents first.
    pub fn make(&self, rel: &str, mode: u32, made: &mut Vec<String>) -> Result<Dir, Error> {
        if rel.is_empty() {
            return Ok(self.top.clone());
        }
        if let Some(Some(dir)) = self.remembered(rel) {
            return Ok(dir);
        }
        let (parent, name) = split(rel)?;
        let parent = self.make(parent, 0o755, made)?;
        let (dir, created) = parent.make_dir(name, mode)?;
        if created {
            made.push(rel.to_owned());
        }
        self.remember(rel, Some(dir.clone()));
        Ok(dir)
    }

    /// The directory holding the file `rel` (if it exists) and the file's name in it.
    pub fn parent<'p>(&self, rel: &'p str) -> Result<(Option<Dir>, &'p str), Error> {
        let (dir, name) = split(rel)?;
        Ok((self.dir(dir)?, name))
    }

    /// For reading kernel state under `sys/` only: the directory `rel`, following symbolic
    /// links, each resolved inside the root (an absolute target from the root, `..` never
    /// above it), at most [`MAX_LINKS`] of them. The directory found is named by the path it
    /// really has.
    pub fn dir_in_root(&self, rel: &str) -> Result<Option<Dir>, Error> {
        let mut pending: Vec<String> = components(rel)?
            .into_iter()
            .rev()
            .map(str::to_owned)
            .collect();
        let mut real: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    real.pop();
                    continue;
                }
                _ => {}
            }
            let Some(here) = self.dir(&real.join("/"))? else {
                return Ok(None);
            };
            match here.child(&part)? {
                Child::Dir(d) => {
                    real.push(part);
                    self.remember(&real.join("/"), Some(d));
                }
                Child::Missing => return Ok(None),
                Child::Other => {
                    return Err(Error::bad_path(&here.shown(&part), "is not a directory"));
                }
                Child::Link => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Error::bad_path(
                            &shown(&self.top.0.root, rel),
                            "passes through too many symbolic links",
                        ));
                    }
                    let target = rustix::fs::readlinkat(here.fd(), part.as_str(), Vec::new())
                        .map_err(|e| read_err(&here.shown(&part))(e.into()))?;
                    let target = target.to_string_lossy().into_owned();
                    if target.starts_with('/') {
                        real.clear();
                    }
                    pending.extend(target.split('/').rev().map(str::to_owned));
                }
            }
        }
        self.dir(&real.join("/"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, Walk) {
        let dir = tempfile::tempdir().unwrap();
        let walk = Walk::new(Dir::open_root(dir.path()).unwrap());
        (dir, walk)
    }

    #[test]
    fn syncfs_reports_write_back_errors_from_linux_5_8() {
        for (release, reports) in [
            ("4.18.0-553.el8_10.x86_64", false),
            ("4.19.0-27-amd64", false),
            ("5.4.0-42-generic", false),
            ("5.8.0", true),
            ("5.14.0-427.el9.x86_64", true),
            ("6.1.0-18-amd64", true),
            ("10.0", true),
            ("", false),
            ("junk", false),
        ] {
            assert_eq!(reports_errors(release), reports, "{release}");
        }
    }

    #[test]
    fn a_file_is_synced_through_its_directory_without_following_a_link() {
        let (dir, walk) = root();
        std::fs::write(dir.path().join("f"), "x").unwrap();
        std::os::unix::fs::symlink("f", dir.path().join("link")).unwrap();
        walk.top().sync_file("f").unwrap();
        assert!(walk.top().sync_file("link").is_err());
        assert!(walk.top().sync_file("none").is_err());
    }

    #[test]
    fn paths_must_be_plain_and_relative() {
        for bad in ["../x", "etc/../../x", "/etc/x", "etc//x", "./etc", "etc/."] {
            assert!(components(bad).is_err(), "{bad}");
        }
        assert_eq!(components("etc/x").unwrap(), ["etc", "x"]);
        assert_eq!(split("etc/x/y").unwrap(), ("etc/x", "y"));
        assert_eq!(split("y").unwrap(), ("", "y"));
    }

    #[test]
    fn a_symlink_on_the_way_is_an_error_naming_it() {
        let (dir, walk) = root();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("etc/out")).unwrap();
        let err = walk.dir("etc/out/deeper").unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}/etc/out is a symbolic link; netloom does not follow symbolic links under \
                 the target root",
                dir.path().display()
            )
        );
        assert!(walk.make("etc/out/x", 0o755, &mut Vec::new()).is_err());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        // A link to a place inside the root is refused all the same.
        std::os::unix::fs::symlink("..", dir.path().join("etc/up")).unwrap();
        assert!(walk.dir("etc/up").is_err());
    }

    #[test]
    fn a_missing_directory_ends_a_read_and_is_made_by_a_write() {
        let (dir, walk) = root();
        assert!(walk.dir("etc/a/b").unwrap().is_none());
        let mut made = Vec::new();
        let b = walk.make("etc/a/b", 0o700, &mut made).unwrap();
        assert_eq!(made, ["etc", "etc/a", "etc/a/b"]);
        assert_eq!(b.rel(), "etc/a/b");
        assert_eq!(b.mode().unwrap(), 0o700);
        assert!(dir.path().join("etc/a/b").is_dir());
        // The walk knew them missing; once made it knows them made.
        assert_eq!(walk.dir("etc/a/b").unwrap().unwrap().rel(), "etc/a/b");
    }

    #[test]
    fn only_regular_files_are_read() {
        let (dir, walk) = root();
        let top = walk.top();
        std::fs::write(dir.path().join("f"), "text").unwrap();
        std::os::unix::fs::symlink("f", dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let (state, _) = top.read("f", 100).unwrap().unwrap();
        assert_eq!(state.bytes, b"text");
        assert!(top.read("none", 100).unwrap().is_none());
        let err = top.read("link", 100).unwrap_err().to_string();
        assert!(err.ends_with("/link is a symbolic link; netloom does not follow symbolic links under the target root"), "{err}");
        let err = top.read("d", 100).unwrap_err().to_string();
        assert!(
            err.contains("/d is a directory; netloom reads and replaces only regular files"),
            "{err}"
        );
        let err = top.read("f", 3).unwrap_err();
        let text = format!("{:#}", anyhow::Error::from(err));
        assert!(
            text.contains("larger than the input size limit of 3 bytes"),
            "{text}"
        );
    }

    #[test]
    fn a_temporary_is_renamed_over_a_link_without_following_it() {
        let (dir, walk) = root();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("f")).unwrap();
        let top = walk.top();
        let state = FileState {
            bytes: b"new".to_vec(),
            mode: 0o640,
        };
        let tmp = top.write_temp("f", &state, None, false).unwrap();
        assert!(tmp.starts_with(TEMP_PREFIX));
        top.rename(&tmp, "f").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        let (read, _) = top.read("f", 100).unwrap().unwrap();
        assert_eq!(read, state);
    }

    #[test]
    fn sysfs_links_are_followed_inside_the_root() {
        let (dir, walk) = root();
        let dev = dir.path().join("sys/devices/virtual/net/eth0");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("address"), "52:54:00:00:00:01\n").unwrap();
        std::fs::create_dir_all(dir.path().join("sys/class/net")).unwrap();
        std::os::unix::fs::symlink(
            "../../devices/virtual/net/eth0",
            dir.path().join("sys/class/net/eth0"),
        )
        .unwrap();
        // Absolute, as seen from inside the root; and one that climbs above it.
        std::os::unix::fs::symlink(
            "/sys/devices/virtual/net/eth0",
            dir.path().join("sys/class/net/abs"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            "../../../../../../../..",
            dir.path().join("sys/class/net/up"),
        )
        .unwrap();
        let eth0 = walk.dir_in_root("sys/class/net/eth0").unwrap().unwrap();
        assert_eq!(eth0.rel(), "sys/devices/virtual/net/eth0");
        assert!(eth0.read("address", 100).unwrap().is_some());
        let abs = walk.dir_in_root("sys/class/net/abs").unwrap().unwrap();
        assert_eq!(abs.rel(), "sys/devices/virtual/net/eth0");
        assert_eq!(
            walk.dir_in_root("sys/class/net/up").unwrap().unwrap().rel(),
            ""
        );
        std::os::unix::fs::symlink("loop", dir.path().join("sys/class/net/loop")).unwrap();
        assert!(walk.dir_in_root("sys/class/net/loop").is_err());
    }
}
