//! A plan: what applying a configuration would change under a target root, file by file,
//! with the old and new bytes and modes. Pure: the engine reads the current state and hands
//! it in, so a plan can be shown as a diff (`netloom diff`), serialised for machines
//! (`--format json`) and journalled by the engine before anything is written.

mod diff;

pub use diff::{Look, change_values, write_diff, write_json};

use std::collections::BTreeMap;

/// One file a backend wants under the target root: the unit a plan is made of, so it is
/// defined here, below the backends and the live layer that both speak it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path relative to the target root, `/`-separated, without `..` (backends build it from
    /// validated names only).
    pub path: String,
    /// The whole content.
    pub contents: String,
    /// Permission bits, such as 0o644 or 0o600 for files holding secrets.
    pub mode: u32,
}

/// The contents and permission bits of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    /// The whole content, as bytes: an existing file need not be UTF-8.
    pub bytes: Vec<u8>,
    /// Permission bits (`0o644`), without the file type.
    pub mode: u32,
}

/// What happens to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The file does not exist yet.
    Create,
    /// The file exists and its bytes or mode change.
    Modify,
    /// The file exists and goes away.
    Delete,
}

impl Action {
    /// The word used in `--format json` and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Modify => "modify",
            Action::Delete => "delete",
        }
    }
}

/// One file that changes. `old` is `None` for a creation, `new` for a deletion; never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Path relative to the target root.
    pub path: String,
    /// The state before, if the file exists.
    pub old: Option<FileState>,
    /// The state after, if the file is to exist.
    pub new: Option<FileState>,
}

impl Change {
    /// Whether this creates, modifies or deletes the file.
    pub fn action(&self) -> Action {
        match (&self.old, &self.new) {
            (None, _) => Action::Create,
            (Some(_), Some(_)) => Action::Modify,
            (Some(_), None) => Action::Delete,
        }
    }
}

/// Every change one command would make, sorted by path. Files that would stay the same are
/// not in it, so an empty plan means "nothing to do".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The backend that rendered the files.
    pub backend: &'static str,
    /// The changes, sorted by path, one per path.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Compares what a backend rendered (and the files it no longer renders, `removed`) with
    /// the current state of those paths (`current`, `None` for an absent file).
    ///
    /// A replaced file keeps its mode, narrowed to what the backend allows: group and other
    /// bits the backend withholds (a 0600 keyfile) are taken away, none are ever added, so a
    /// file the user made private stays private.
    pub fn new(
        backend: &'static str,
        rendered: Vec<RenderedFile>,
        removed: Vec<String>,
        mut current: BTreeMap<String, Option<FileState>>,
    ) -> Self {
        let mut changes = Vec::with_capacity(rendered.len() + removed.len());
        for file in rendered {
            // Taken, not copied: the map is this plan's own.
            let old = current.remove(&file.path).flatten();
            let mode = match &old {
                Some(o) => o.mode & (file.mode | 0o700),
                None => file.mode,
            };
            let new = FileState {
                bytes: file.contents.into_bytes(),
                mode,
            };
            if old.as_ref() != Some(&new) {
                changes.push(Change {
                    path: file.path,
                    old,
                    new: Some(new),
                });
            }
        }
        for path in removed {
            if let Some(old) = current.remove(&path).flatten() {
                changes.push(Change {
                    path,
                    old: Some(old),
                    new: None,
                });
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        changes.dedup_by(|a, b| a.path == b.path);
        Plan { backend, changes }
    }

    /// Whether applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str, mode: u32) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: text.into(),
            mode,
        }
    }

    fn state(text: &str, mode: u32) -> Option<FileState> {
        Some(FileState {
            bytes: text.as_bytes().to_vec(),
            mode,
        })
    }

    #[test]
    fn only_real_changes_are_planned_in_path_order() {
        let current = BTreeMap::from([
            ("b".to_owned(), state("same\n", 0o644)),
            ("c".to_owned(), state("old\n", 0o644)),
            ("d".to_owned(), state("gone\n", 0o644)),
            ("e".to_owned(), None),
        ]);
        let plan = Plan::new(
            "null",
            vec![
                file("c", "new\n", 0o644),
                file("b", "same\n", 0o644),
                file("a", "fresh\n", 0o600),
            ],
            vec!["d".into(), "e".into()],
            current,
        );
        let got: Vec<(&str, Action)> = plan
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.action()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", Action::Create),
                ("c", Action::Modify),
                ("d", Action::Delete)
            ]
        );
        assert_eq!(plan.changes[0].new, state("fresh\n", 0o600));
    }

    #[test]
    fn modes_are_kept_but_narrowed_never_widened() {
        let current = BTreeMap::from([
            ("private".to_owned(), state("x\n", 0o600)),
            ("open".to_owned(), state("x\n", 0o666)),
            ("secret".to_owned(), state("x\n", 0o644)),
        ]);
        let plan = Plan::new(
            "null",
            vec![
                file("private", "x\n", 0o644),
                file("open", "x\n", 0o644),
                file("secret", "x\n", 0o600),
            ],
            Vec::new(),
            current,
        );
        let modes: Vec<(&str, u32)> = plan
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.new.as_ref().map_or(0, |n| n.mode)))
            .collect();
        // "private" keeps 0600 and its bytes are the same: no change at all.
        assert_eq!(modes, [("open", 0o644), ("secret", 0o600)]);
    }
}
