//! A target root: the directory every path is relative to (`/`, or `/mnt/sysimage` for an
//! installer). It is opened once; everything below it is reached through that directory
//! (`beneath.rs`), so nothing outside it is ever read or written.

use std::collections::{BTreeMap, HashMap};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use super::beneath::{self, Dir, TEMP_PREFIX, Walk};
use crate::backend::Snapshot;
use crate::error::Error;
use crate::plan::FileState;
use crate::source::SourceFile;

/// What a plan reads of a root: see [`TargetRoot::scan`].
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The UTF-8 files, for the backend.
    pub snapshot: Snapshot,
    /// Their permission bits.
    pub modes: HashMap<String, u32>,
    /// The files that are not UTF-8.
    pub binary: BTreeMap<String, FileState>,
}

/// Kernel state under the root, made of symbolic links and never written: the one place
/// where reading follows links (each resolved inside the root).
const KERNEL_STATE: &str = "sys/";

/// An open target root.
#[derive(Debug, Clone)]
pub struct TargetRoot {
    path: PathBuf,
    /// The root with symlinks resolved, for other programs only.
    real: PathBuf,
    /// The most bytes read of one file (see [`TargetRoot::with_read_limit`]).
    read_limit: u64,
    /// The root's directory, opened once.
    top: Dir,
}

impl TargetRoot {
    /// Opens an existing directory as a target root. Symbolic links in the root's own path
    /// are followed (the root is the user's choice); none below it ever is.
    pub fn open(path: &Path) -> Result<Self, Error> {
        Self::from_dir(path, Dir::open_root(path)?)
    }

    /// The root another process handed over as the open directory `fd`, named `path` in
    /// messages: the very directory that process held, whatever `path` leads to now.
    pub(crate) fn open_at(fd: std::os::fd::BorrowedFd<'_>, path: &Path) -> Result<Self, Error> {
        Self::from_dir(path, Dir::open_root_at(fd, path)?)
    }

    fn from_dir(path: &Path, top: Dir) -> Result<Self, Error> {
        // Where the directory opened really is: the path of the descriptor, so the timer
        // and dnsmasq are given the very directory this process holds.
        let real = std::fs::read_link(format!("/proc/self/fd/{}", top.fd().as_raw_fd()))
            .or_else(|_| std::fs::canonicalize(path))
            .map_err(|source| Error::Read {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Self {
            path: path.to_path_buf(),
            real,
            read_limit: crate::source::DEFAULT_MAX_INPUT,
            top,
        })
    }

    /// The root, reading at most `bytes` of any one file into a snapshot (by default
    /// [`crate::source::DEFAULT_MAX_INPUT`]): a larger file is an error naming it, not a
    /// reason to fill the memory.
    pub fn with_read_limit(mut self, bytes: u64) -> Self {
        self.read_limit = bytes;
        self
    }

    /// The root's directory: device and inode numbers, which tell whether a directory met
    /// later by its path is still this one.
    pub(crate) fn identity(&self) -> Result<(u64, u64), Error> {
        self.top.identity()
    }

    /// The root's open directory, for a process that is handed it.
    pub(crate) fn fd(&self) -> &std::os::fd::OwnedFd {
        self.top.fd()
    }

    /// The root as given, for messages.
    pub fn display(&self) -> std::path::Display<'_> {
        self.path.display()
    }

    /// The root's real path, symbolic links resolved: only for what other programs are
    /// given (dnsmasq, which is given the paths of its files on a running system; the
    /// confirmation timer, for `ps` and as a fallback it checks, see `timer.rs`). netloom
    /// itself never opens a path built from it.
    pub fn path_for_programs(&self) -> &Path {
        &self.real
    }

    /// Whether this is the running system's own root, whose services (NetworkManager)
    /// netloom may talk to.
    pub fn is_system_root(&self) -> bool {
        self.real == Path::new("/")
    }

    /// Whether the root is the running system's: `/`, and not inside a chroot; else why
    /// not, for a message. Only then may a live half change anything by default.
    pub fn running_system(&self) -> Result<(), String> {
        if !self.is_system_root() {
            return Err(format!("the root is {}, not /", self.path.display()));
        }
        match chroot() {
            Chroot::Inside => Err("netloom runs inside a chroot".into()),
            Chroot::No | Chroot::Unknown => Ok(()),
        }
    }

    /// What a backend's live half is told of the root.
    pub fn live_context(&self) -> crate::live::Context {
        crate::live::Context {
            root: self.real.clone(),
            running_system: self.running_system().is_ok(),
        }
    }

    /// Opens a root for writing, creating the directory if it does not exist yet.
    pub fn create(path: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(path).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
        Self::open(path)
    }

    /// A fresh view of the root for one operation: each directory it reaches is resolved
    /// once.
    pub(crate) fn walk(&self) -> Walk {
        Walk::new(self.top.clone())
    }

    /// The most bytes read of one file.
    pub(crate) fn read_limit(&self) -> u64 {
        self.read_limit
    }

    /// `rel` as a person reads it: under the root as given.
    pub(crate) fn shown(&self, rel: &str) -> String {
        beneath::shown(&self.path, rel)
    }

    /// The names in directory `rel` under the root, sorted, without the temporaries a
    /// killed netloom may have left; none when the directory does not exist.
    pub(crate) fn entries(&self, rel: &str) -> Result<Vec<String>, Error> {
        let Some(dir) = self.walk().dir(rel)? else {
            return Ok(Vec::new());
        };
        Ok(dir
            .list()?
            .into_iter()
            .map(|(name, _)| name)
            .filter(|n| !n.starts_with(TEMP_PREFIX))
            .collect())
    }

    /// The directories directly in `rel`, sorted; none when it does not exist. Links are
    /// not directories.
    pub(crate) fn subdirs(&self, rel: &str) -> Result<Vec<String>, Error> {
        let Some(dir) = self.walk().dir(rel)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (name, kind) in dir.list()? {
            let kind = match kind {
                FileType::Unknown => dir.kind(&name)?,
                known => Some(known),
            };
            if kind == Some(FileType::Directory) {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// Whether anything is at `rel` (a backend's marker); a path that cannot be walked
    /// has nothing.
    pub(crate) fn exists(&self, rel: &str) -> bool {
        let walk = self.walk();
        walk.parent(rel)
            .and_then(|(dir, name)| match dir {
                Some(d) => d.kind(name),
                None => Ok(None),
            })
            .is_ok_and(|k| k.is_some())
    }

    /// The text of file `rel` under the root, `None` when it does not exist. A file that is
    /// not UTF-8 is an error at its first bad byte.
    pub(crate) fn read_text(&self, rel: &str) -> Result<Option<String>, Error> {
        let (dir, name) = self.walk().parent(rel)?;
        let Some((state, _)) = dir
            .map(|d| d.read(name, self.read_limit))
            .transpose()?
            .flatten()
        else {
            return Ok(None);
        };
        SourceFile::from_bytes(self.shown(rel), state.bytes)
            .map(|f| Some(f.text().to_owned()))
            .map_err(|problem| Error::Invalid(crate::error::Diagnostics(vec![*problem])))
    }

    /// Removes file `rel` if it is there; its directory is not synced (a scratch file's
    /// absence need not survive a crash).
    pub(crate) fn remove(&self, rel: &str) -> Result<(), Error> {
        match self.walk().parent(rel)? {
            (Some(dir), name) => dir.unlink(name).map(drop),
            (None, _) => Ok(()),
        }
    }

    /// Writes a file that no transaction covers (a start's intent), durably and atomically:
    /// it must survive the netloom that writes it being killed at any moment.
    pub(crate) fn write_scratch(&self, rel: &str, bytes: &[u8], mode: u32) -> Result<(), Error> {
        let walk = self.walk();
        let (parent, name) = beneath::split(rel)?;
        let dir = walk.make(parent, 0o755, &mut Vec::new())?;
        let state = FileState {
            bytes: bytes.to_vec(),
            mode,
        };
        let tmp = dir.write_temp(name, &state, None, true)?;
        dir.rename(&tmp, name)?;
        dir.fsync()
    }

    /// Reads every regular file matching one of `patterns` (see
    /// [`crate::backend::Backend::scan`]) into a snapshot.
    /// A file that is not UTF-8 is an error at its first bad byte: backends read text.
    pub fn snapshot(&self, patterns: &[&str]) -> Result<Snapshot, Error> {
        let scan = self.scan(&self.walk(), patterns)?;
        if !scan.snapshot.binary.is_empty() {
            let problems = scan.snapshot.binary.into_values().collect();
            return Err(Error::Invalid(crate::error::Diagnostics(problems)));
        }
        Ok(scan.snapshot)
    }

    /// [`TargetRoot::snapshot`] for a plan: with each file's permission bits, which it should
    /// not have to stat 10,000 files again for, and with the files that are not UTF-8 kept
    /// apart, positioned, for the plan to refuse touching.
    pub(crate) fn scan(&self, walk: &Walk, patterns: &[&str]) -> Result<Scan, Error> {
        let mut found = Vec::new();
        for pattern in patterns {
            let parts: Vec<&str> = pattern.split('/').collect();
            let follow = pattern.starts_with(KERNEL_STATE);
            let lister = Lister { walk, follow };
            lister.collect(String::new(), walk.top().clone(), &parts, &mut found)?;
        }
        // Reading is I/O-bound: a root of 10,000 files is read on every core at once.
        let mut scan = Scan {
            snapshot: Snapshot::default(),
            modes: HashMap::with_capacity(found.len()),
            binary: BTreeMap::new(),
        };
        let limit = self.read_limit;
        let read = |(rel, dir, name): &(String, Dir, String)| {
            dir.read_matching(name, limit)
                .map(|r| r.map(|(state, _)| (rel.clone(), state)))
        };
        for read in crate::parallel::map(&found, 256, read) {
            let Some((rel, FileState { bytes, mode })) = read? else {
                continue;
            };
            match String::from_utf8(bytes) {
                Ok(text) => {
                    scan.modes.insert(rel.clone(), mode);
                    scan.snapshot.files.insert(rel, text);
                }
                Err(e) => {
                    let bytes = e.into_bytes();
                    // Positioned once here, for whichever backend must refuse the file.
                    if let Err(problem) = SourceFile::from_bytes(rel.as_str(), bytes.clone()) {
                        scan.snapshot.binary.insert(rel.clone(), *problem);
                    }
                    scan.binary.insert(rel, FileState { bytes, mode });
                }
            }
        }
        Ok(scan)
    }
}

/// Lists the files a pattern matches, from directory entries (which say what each is, so
/// 10,000 files cost no `stat`), through the operation's [`Walk`].
struct Lister<'w> {
    walk: &'w Walk,
    /// Whether links are followed (under [`KERNEL_STATE`] only).
    follow: bool,
}

impl Lister<'_> {
    /// Walks `parts` below `rel` (open as `dir`) and adds each matching file: its path, its
    /// directory and its name there.
    fn collect(
        &self,
        rel: String,
        dir: Dir,
        parts: &[&str],
        found: &mut Vec<(String, Dir, String)>,
    ) -> Result<(), Error> {
        let Some((first, rest)) = parts.split_first() else {
            return Ok(());
        };
        let join = |name: &str| {
            if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            }
        };
        if !first.contains('*') {
            let sub = join(first);
            if rest.is_empty() {
                found.push((sub, dir, (*first).to_owned()));
                return Ok(());
            }
            if let Some(next) = self.subdir(&sub)? {
                self.collect(sub, next, rest, found)?;
            }
            return Ok(());
        }
        for (name, kind) in dir.list_raw()? {
            // A name that is not UTF-8 cannot be held, nor passed over where the pattern
            // would take it (U+FFFD matches no part of a pattern but `*`): it is named.
            let name = match name.into_string() {
                Ok(name) => name,
                Err(raw) if wildcard(first, &raw.to_string_lossy()) => {
                    return Err(dir.not_utf8(&raw));
                }
                Err(_) => continue,
            };
            if !wildcard(first, &name) || name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let kind = match kind {
                FileType::Unknown => dir.kind(&name)?.unwrap_or(FileType::Unknown),
                known => known,
            };
            let sub = join(&name);
            if rest.is_empty() {
                match kind {
                    // A directory is not one of the files.
                    FileType::Directory => {}
                    FileType::RegularFile | FileType::Unknown => {
                        found.push((sub, dir.clone(), name));
                    }
                    // Refused by name when read.
                    _ => found.push((sub, dir.clone(), name)),
                }
                continue;
            }
            let descend = match kind {
                FileType::Directory => true,
                FileType::Symlink if self.follow => true,
                // Refused by name.
                FileType::Symlink => true,
                // A file where a directory is looked for is not on the way.
                _ => false,
            };
            if descend && let Some(next) = self.subdir(&sub)? {
                self.collect(sub, next, rest, found)?;
            }
        }
        Ok(())
    }

    fn subdir(&self, rel: &str) -> Result<Option<Dir>, Error> {
        if self.follow {
            self.walk.dir_in_root(rel)
        } else {
            self.walk.dir(rel)
        }
    }
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
fn wildcard(pattern: &str, name: &str) -> bool {
    let mut pieces = pattern.split('*');
    let Some(head) = pieces.next() else {
        return true;
    };
    let Some(mut rest) = name.strip_prefix(head) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        if i + 1 == pieces.len() {
            return rest.ends_with(piece) && rest.len() >= piece.len();
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// Whether this process runs inside a chroot: an installer's `%post` or `in-target` step,
/// whose `/` is the system being installed, not the one running (and whose services, if a
/// bus reaches them, are the installer's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroot {
    /// `/` is PID 1's root.
    No,
    /// `/` is not PID 1's root, or `/proc` is not mounted (which only a chroot leaves so).
    Inside,
    /// PID 1's root cannot be looked at (a sandbox that hides other processes): taken as
    /// not inside one, as systemd does.
    Unknown,
}

/// Tells as systemd's `running_in_chroot` does: `/` and `/proc/1/root` compared by device
/// and inode; with no `/proc/1/root`, a `/proc` that is not mounted means a chroot.
pub fn chroot() -> Chroot {
    let id = |p: &str| rustix::fs::stat(p).map(|s| (s.st_dev, s.st_ino));
    let proc_mounted = || rustix::fs::stat("/proc/self").is_ok();
    chroot_from(id("/"), id("/proc/1/root"), proc_mounted)
}

/// [`chroot`] from what it looked at.
fn chroot_from(
    root: rustix::io::Result<(u64, u64)>,
    pid1: rustix::io::Result<(u64, u64)>,
    proc_mounted: impl FnOnce() -> bool,
) -> Chroot {
    match (root, pid1) {
        (Ok(a), Ok(b)) if a == b => Chroot::No,
        (Ok(_), Ok(_)) => Chroot::Inside,
        (_, Err(rustix::io::Errno::NOENT)) if !proc_mounted() => Chroot::Inside,
        _ => Chroot::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chroot_is_told_as_systemd_tells_it() {
        use rustix::io::Errno;
        assert_eq!(chroot_from(Ok((1, 2)), Ok((1, 2)), || true), Chroot::No);
        assert_eq!(chroot_from(Ok((1, 2)), Ok((1, 3)), || true), Chroot::Inside);
        assert_eq!(chroot_from(Ok((1, 2)), Ok((9, 2)), || true), Chroot::Inside);
        assert_eq!(
            chroot_from(Ok((1, 2)), Err(Errno::NOENT), || false),
            Chroot::Inside,
            "no /proc at all"
        );
        assert_eq!(
            chroot_from(Ok((1, 2)), Err(Errno::NOENT), || true),
            Chroot::Unknown,
            "a /proc without PID 1's root cannot tell"
        );
        assert_eq!(
            chroot_from(Ok((1, 2)), Err(Errno::ACCESS), || true),
            Chroot::Unknown
        );
    }

    #[test]
    fn wildcards_match_within_one_component() {
        assert!(wildcard("ifcfg-*", "ifcfg-eth0"));
        assert!(wildcard("ifcfg-*", "ifcfg-"));
        assert!(!wildcard("ifcfg-*", "route-eth0"));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
        assert!(wildcard("exact", "exact"));
        assert!(!wildcard("exact", "exactly"));
    }

    #[test]
    fn a_file_over_the_read_limit_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/big"), vec![b'x'; 4096]).unwrap();
        let root = TargetRoot::open(dir.path()).unwrap();
        assert_eq!(root.snapshot(&["etc/*"]).unwrap().files.len(), 1);
        let err = root.with_read_limit(4095).snapshot(&["etc/*"]).unwrap_err();
        let text = format!("{:#}", anyhow::Error::from(err));
        assert!(text.ends_with("etc/big: larger than the input size limit of 4095 bytes (raise it with --max-input-size)"), "{text}");
    }

    #[test]
    fn snapshots_read_only_matching_files() {
        let dir = tempfile::tempdir().unwrap();
        let scripts = dir.path().join("etc/sysconfig/network-scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        std::fs::write(scripts.join("ifcfg-eth0"), "DEVICE=eth0\n").unwrap();
        std::fs::write(scripts.join("route-eth0"), "x\n").unwrap();
        std::fs::create_dir_all(dir.path().join("sys/class/net/eth0")).unwrap();
        std::fs::write(
            dir.path().join("sys/class/net/eth0/address"),
            "52:54:00:00:00:01\n",
        )
        .unwrap();
        let root = TargetRoot::open(dir.path()).unwrap();
        let snap = root
            .snapshot(&[
                "etc/sysconfig/network-scripts/ifcfg-*",
                "sys/class/net/*/address",
                "missing/*",
            ])
            .unwrap();
        let paths: Vec<&str> = snap.files.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "etc/sysconfig/network-scripts/ifcfg-eth0",
                "sys/class/net/eth0/address"
            ]
        );
    }
}
