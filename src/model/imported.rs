//! What an import reads: the host, and a note for each thing it left out. Here, beside the
//! model, because a backend's files and a service's profiles are both read into it (the
//! backends and the live layer above share it).

use crate::error::Diagnostic;
use crate::model::Host;

/// What an import left out, and why: a whole file, profile or stanza, or one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// An interface of a kind the model does not hold (Wi-Fi, a team, a tunnel), or one its
    /// tool does not read: not imported, and never owned, so no plan edits or deletes it.
    Skipped,
    /// A setting the model has no place for: kept in the file, not imported.
    NotImported,
    /// A value the file leaves to the machine or to its tool's rule, which netloom took from
    /// there and says where: a device name from the MAC a profile is bound to
    /// (`sys/class/net/NAME/address`), a vlan's `PARENT.ID`. Nothing is lost, so
    /// `import --strict` shows it and goes on.
    Derived,
}

impl NoteKind {
    /// Whether the note says something was left out, which `import --strict` refuses.
    pub fn is_loss(self) -> bool {
        matches!(self, NoteKind::Skipped | NoteKind::NotImported)
    }
}

/// One thing an import could not hold, where it is written. Notes travel beside the host
/// as data; the command line shows them (`file:line:col: note: …`) and `import --strict`
/// turns them into errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What was left out.
    pub kind: NoteKind,
    /// Where, and what: the file, the position and the message, with the source line for
    /// when the note is shown as an error.
    pub at: Diagnostic,
}

impl Note {
    /// A note of `kind` at `at`.
    pub fn new(kind: NoteKind, at: Diagnostic) -> Self {
        Self { kind, at }
    }
}

impl std::fmt::Display for Note {
    /// `file:line:col: note: message` on one line, each part shown escaped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::show::Shown;
        write!(
            f,
            "{}: note: {}",
            Shown(&self.at.location()),
            Shown(self.at.message())
        )
    }
}

/// What [`Backend::import_noted`] reads: the host, and a note for everything it left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    /// The interfaces read.
    pub host: Host,
    /// What was skipped or not imported, in the order the files were read.
    pub notes: Vec<Note>,
}
