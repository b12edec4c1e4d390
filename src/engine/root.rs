//! A target root: the directory every path is relative to (`/`, or `/mnt/sysimage` for an
//! installer). Nothing outside it is ever read or written.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use crate::backend::Snapshot;
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
use crate::error::Error;

/// A checked target root.
#[derive(Debug, Clone)]
pub struct TargetRoot {
    path: PathBuf,
    /// The root with symlinks resolved, to judge where a symlink below it leads.
    real: PathBuf,
    /// The most bytes read of one file (see [`TargetRoot::with_read_limit`]).
    read_limit: u64,
}

impl TargetRoot {
    /// Opens an existing directory as a target root.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let real = std::fs::canonicalize(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        if !real.is_dir() {
            return Err(Error::bad_path(
                &path.display().to_string(),
                "is not a directory",
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            real,
            read_limit: crate::source::DEFAULT_MAX_INPUT,
        })
    }

    /// The root, reading at most `bytes` of any one file into a snapshot (by default
    /// [`crate::source::DEFAULT_MAX_INPUT`]): a larger file, or an endless one such as a
    /// device node, is an error naming it, not a reason to fill the memory.
    pub fn with_read_limit(mut self, bytes: u64) -> Self {
        self.read_limit = bytes;
        self
    }

    /// The root as given, for messages.
    pub fn display(&self) -> std::path::Display<'_> {
        self.path.display()
    }

    /// The root with symlinks resolved: what a separate process (the confirmation timer)
    /// must be given, whatever its working directory.
    pub fn absolute(&self) -> &Path {
        &self.real
    }

    /// Opens a root for writing, creating the directory if it does not exist yet.
    pub fn create(path: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(path).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        })?;
        Self::open(path)
    }

    /// The names in directory `rel` under the root, sorted, without the temporaries a
    /// killed netloom may have left; none when the directory does not exist.
    pub(crate) fn entries(&self, rel: &str) -> Result<Vec<String>, Error> {
        let abs = self.resolve(rel)?;
        let read = match std::fs::read_dir(&abs) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(Error::Read {
                    path: abs.display().to_string(),
                    source,
                });
            }
        };
        let mut names: Vec<String> = read
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with(super::fsio::TEMP_PREFIX))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The absolute path of `rel` under the root. Refused: absolute paths, `..`, and any
    /// existing symlink on the way that leads outside the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, Error> {
        let mut out = self.path.clone();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                _ => return Err(Error::bad_path(rel, "must stay inside the target root")),
            }
            self.inside(rel, &out)?;
        }
        Ok(out)
    }

    /// Reads every regular file matching one of `patterns` (see
    /// [`crate::backend::Backend::scan`]) into a snapshot.
    /// A file that is not UTF-8 is an error at its first bad byte: backends read text.
    pub fn snapshot(&self, patterns: &[&str]) -> Result<Snapshot, Error> {
        let scan = self.scan(patterns)?;
        if !scan.snapshot.binary.is_empty() {
            let problems = scan.snapshot.binary.into_values().collect();
            return Err(Error::Invalid(crate::error::Diagnostics(problems)));
        }
        Ok(scan.snapshot)
    }

    /// [`TargetRoot::snapshot`] for a plan: with each file's permission bits, which it should
    /// not have to stat 10,000 files again for, and with the files that are not UTF-8 kept
    /// apart rather than refused, so that one the backend owns can still be replaced or
    /// deleted (and shown as a binary change).
    pub(crate) fn scan(&self, patterns: &[&str]) -> Result<Scan, Error> {
        let mut found = Vec::new();
        for pattern in patterns {
            let parts: Vec<&str> = pattern.split('/').collect();
            self.collect(String::new(), self.path.clone(), &parts, &mut found)?;
        }
        // Reading is I/O-bound: a root of 10,000 files is read on every core at once.
        let mut scan = Scan {
            snapshot: Snapshot::default(),
            modes: HashMap::with_capacity(found.len()),
            binary: BTreeMap::new(),
        };
        let limit = self.read_limit;
        for read in crate::parallel::map(&found, 256, |file| read_one(file, limit)) {
            let (rel, bytes, mode) = read?;
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

    /// Walks `parts` below `rel` (already resolved to `abs`) and lists the matching regular
    /// files, checking only the component it adds each step, with the file type `read_dir`
    /// already knows where it can: 10,000 files cost no stat per path component.
    fn collect(
        &self,
        rel: String,
        abs: PathBuf,
        parts: &[&str],
        found: &mut Vec<(String, PathBuf)>,
    ) -> Result<(), Error> {
        let Some((first, rest)) = parts.split_first() else {
            return Ok(());
        };
        let mut step = |name: &str, known: Option<std::fs::FileType>| -> Result<(), Error> {
            let rel = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            let abs = abs.join(name);
            let plain = known.is_some_and(|t| !t.is_symlink());
            if !plain {
                self.inside(&rel, &abs)?;
            }
            if !rest.is_empty() {
                return self.collect(rel, abs, rest, found);
            }
            let is_file = match known {
                Some(t) if plain => t.is_file(),
                _ => abs.is_file(),
            };
            if is_file {
                found.push((rel, abs));
            }
            Ok(())
        };
        if !first.contains('*') {
            return step(first, None);
        }
        let Ok(entries) = std::fs::read_dir(&abs) else {
            return Ok(());
        };
        let mut matches: Vec<(String, Option<std::fs::FileType>)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().to_str()?.to_owned(), e.file_type().ok())))
            .filter(|(n, _)| wildcard(first, n))
            .collect();
        matches.sort_by(|x, y| x.0.cmp(&y.0));
        for (name, known) in matches {
            step(&name, known)?;
        }
        Ok(())
    }

    /// Refuses `abs` (the path of `rel`) if it is a symlink that leads out of the root.
    fn inside(&self, rel: &str, abs: &Path) -> Result<(), Error> {
        if abs
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            let target = std::fs::canonicalize(abs).map_err(|source| Error::Read {
                path: abs.display().to_string(),
                source,
            })?;
            if !target.starts_with(&self.real) {
                return Err(Error::bad_path(
                    rel,
                    &format!(
                        "leads out of the target root through the symlink {}",
                        abs.display()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Reads one listed file of at most `limit` bytes, with its permission bits.
fn read_one((rel, abs): &(String, PathBuf), limit: u64) -> Result<(String, Vec<u8>, u32), Error> {
    use std::os::unix::fs::PermissionsExt;
    let err = |source| Error::Read {
        path: abs.display().to_string(),
        source,
    };
    let file = std::fs::File::open(abs).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    let bytes = crate::source::read_open_file(file, &meta, limit).map_err(err)?;
    Ok((rel.clone(), bytes, meta.permissions().mode() & 0o7777))
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn paths_cannot_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = TargetRoot::open(dir.path()).unwrap();
        assert!(root.resolve("etc/x").is_ok());
        assert!(root.resolve("../x").is_err());
        assert!(root.resolve("etc/../../x").is_err());
        assert!(root.resolve("/etc/x").is_err());
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("etc"), dir.path().join("in")).unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        let err = root.resolve("out/x").unwrap_err().to_string();
        assert!(err.contains("leads out of the target root"), "{err}");
        assert!(root.resolve("in/x").is_ok());
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
