//! The library's error type and the positioned diagnostics it carries.
//!
//! Input problems are never a single string: each is a [`Diagnostic`] naming `file:line:col`,
//! with the offending source line and a caret, and a run collects all of them before it
//! stops, so a user fixes a file in one pass instead of one error at a time.
//!
//! What these types display is meant for a terminal: every part that came from an input (a
//! file name, a value inside a message) is shown by the rule of [`crate::show`], and the only
//! line breaks are the layout's own.
//!
//! The parts of an error that a backend or the live layer gives ([`BackendError`], [`Refusal`],
//! [`Drift`]) are defined here, below both, so that the error depends on no layer above it.

use std::fmt;

use crate::show::{self, Shown};

/// One setting a backend's format cannot express. Refusing it beats the silent omission
/// other tools make (cloud-init drops bridge forward delay, STP and MTU this way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The interface (or port, or slave) that has the setting.
    pub interface: String,
    /// The setting, as the interface XML spells it.
    pub setting: String,
    /// Why the format cannot hold it, and what to do instead.
    pub why: String,
}

impl std::fmt::Display for Refusal {
    /// One line of [`BackendError::Unsupported`]'s list: each part shown escaped, so the
    /// list's line breaks are the only ones.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "interface '{}': {}: {}",
            Shown(&self.interface),
            Shown(&self.setting),
            Shown(&self.why)
        )
    }
}

/// Why a backend could not render or import.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// Existing native files could not be read; every problem is positioned.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// The declaration holds settings the format cannot express; all of them are listed.
    #[error("the {backend} backend cannot express {}:\n{}", if refusals.len() == 1 { "this setting" } else { "these settings" }, refusals.iter().map(|r| format!("  {r}")).collect::<Vec<_>>().join("\n"))]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// Every setting it cannot express.
        refusals: Vec<Refusal>,
    },
    /// A network setting the renderer cannot turn into its format (checked at render time
    /// because it depends on more than one element, such as a reverse zone of an odd prefix).
    #[error("network '{network}': {why}")]
    Network {
        /// The network's name.
        network: String,
        /// What is wrong and what to do instead.
        why: String,
    },
    /// A template failed to render (a bug: templates only see checked values).
    #[error("template error in the {backend} backend")]
    Template {
        /// The backend's name.
        backend: &'static str,
        /// The cause.
        #[source]
        source: askama::Error,
    },
}

/// One setting the running host does not have as declared.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    /// The interface (a top-level one, or a port or slave inside it).
    pub interface: String,
    /// The setting: `link`, `state`, `type`, `mtu`, `ipv4`, `ipv6`, `ports`, `slaves`,
    /// `bond mode`, `vlan id`, `vlan parent`, `gateway`, `route`.
    pub field: &'static str,
    /// Which of several the field names: a route's destination and table
    /// (`10.10.0.0/16 table 200`). Left out of JSON when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// As declared.
    pub declared: String,
    /// As the kernel has it.
    pub live: String,
}

impl std::fmt::Display for Drift {
    /// One line, each value shown escaped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", Shown(&self.interface), self.field)?;
        if let Some(key) = &self.key {
            write!(f, " {}", Shown(key))?;
        }
        write!(
            f,
            ": declared {}, live {}",
            Shown(&self.declared),
            Shown(&self.live)
        )
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
}

/// One problem in one input, printed compiler-style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    file: String,
    pos: Option<Position>,
    message: String,
    snippet: Option<Snippet>,
    notes: Vec<String>,
}

/// The part of a source line shown under a message: already cut to a window around the
/// column (a minified file must not flood the terminal, nor cost a copy of its one long line
/// per problem) and with control characters replaced so they cannot garble the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The 1-based line number.
    pub line: u32,
    /// The text shown.
    pub text: String,
    /// How many characters of `text` precede the caret.
    pub caret: usize,
}

impl Diagnostic {
    /// A problem in `file`, at `pos` when it has one (a file that cannot be read has none).
    pub fn new(file: impl Into<String>, pos: Option<Position>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            pos,
            message: message.into(),
            snippet: None,
            notes: Vec::new(),
        }
    }

    /// Attaches the source excerpt the position points into.
    pub fn with_snippet(mut self, snippet: Snippet) -> Self {
        self.snippet = Some(snippet);
        self
    }

    /// Adds a note printed under the caret, such as where a duplicate was first defined.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// The name of the input the problem is in.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Where in the input, if anywhere in particular.
    pub fn position(&self) -> Option<Position> {
        self.pos
    }

    /// The message alone, without position or source line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `file:line:col`, or just `file` for whole-file problems.
    pub fn location(&self) -> String {
        match self.pos {
            Some(p) => format!("{}:{}:{}", self.file, p.line, p.col),
            None => self.file.clone(),
        }
    }

    fn fmt_snippet(f: &mut fmt::Formatter<'_>, snippet: &Snippet) -> fmt::Result {
        // One character for one, so the caret still lines up: whatever the source left that
        // must not reach a terminal (a bidirectional override) becomes U+FFFD. Tabs stay,
        // and are copied so the caret lines up however the terminal expands them.
        let unsafe_char = |c: char| c != '\t' && show::must_escape(c);
        let text: std::borrow::Cow<'_, str> =
            if show::needs_escape(&snippet.text) && snippet.text.chars().any(unsafe_char) {
                let replace = |c| if unsafe_char(c) { '\u{fffd}' } else { c };
                snippet.text.chars().map(replace).collect::<String>().into()
            } else {
                snippet.text.as_str().into()
            };
        let pad: String = text
            .chars()
            .take(snippet.caret)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let num = snippet.line.to_string();
        let gutter = " ".repeat(num.len());
        write!(f, "\n {num} | {text}\n {gutter} | {pad}^")
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: message`, the source line, the caret and the notes, one per line; the
    /// file name, the message and each note are shown escaped, so a value in them cannot add
    /// a line or move the cursor.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Shown(&self.file))?;
        if let Some(p) = self.pos {
            write!(f, ":{}:{}", p.line, p.col)?;
        }
        write!(f, ": {}", Shown(&self.message))?;
        if let Some(snippet) = &self.snippet {
            Self::fmt_snippet(f, snippet)?;
        }
        for note in &self.notes {
            write!(f, "\n  = note: {}", Shown(note))?;
        }
        Ok(())
    }
}

/// Every problem found in one run, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The files that have at least one problem, in order of first appearance.
    pub fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = Vec::new();
        for d in &self.0 {
            if !files.contains(&d.file()) {
                files.push(d.file());
            }
        }
        files
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        let files = self.files().len();
        write!(
            f,
            "{n} problem{} in {files} file{}",
            if n == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" }
        )
    }
}

/// Everything that can go wrong in the library.
///
/// Its `Display` shows the values it holds escaped (see [`crate::show`]); the causes behind
/// it (an I/O error, a daemon's answer) are not netloom's text, and [`Error::report`] shows
/// them escaped too.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is wrong; every problem found is listed.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// Writing the result to standard output failed (a closed pipe, a full disk).
    #[error("cannot write to standard output")]
    Output(#[source] std::io::Error),
    /// A file or directory under the target root could not be read.
    #[error("cannot read {}", Shown(.path))]
    Read {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file under the target root could not be written.
    #[error("cannot write {}", Shown(.path))]
    Write {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A path that must not be used: one that leaves the target root, or is not a directory.
    #[error("{} {}", Shown(.path), Shown(.why))]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// A backend refused to render or import.
    #[error(transparent)]
    Backend(BackendError),
    /// The command line asks for something that cannot be done as asked.
    #[error("{}", Shown(.message))]
    Usage {
        /// What is wrong with the request, for a caller that acts on it.
        kind: UsageKind,
        /// What to tell a person: the option or value, and what was expected.
        message: String,
    },
    /// Another netloom holds the root's lock, and did not let go in time.
    #[error(
        "{} is changing {}; waited {} s for it to finish (lock: {})",
        match .holder { Some(pid) => format!("another netloom (pid {})", Shown(pid)), None => "another netloom".to_owned() },
        Shown(.root),
        .waited.as_secs(),
        Shown(.lock)
    )]
    Busy {
        /// The process id the lock file names, when it names one.
        holder: Option<String>,
        /// The root being changed.
        root: String,
        /// How long this netloom waited.
        waited: std::time::Duration,
        /// The lock file, as shown.
        lock: String,
    },
    /// The state of the journal, a running network or a guest forbids the request (rolling
    /// back over a later change, confirming when nothing is pending, plugging into a
    /// network that is not running); the message says what to do instead.
    #[error("{}", Shown(.message))]
    Refused {
        /// Why, for a caller that acts on it (a retry, a confirm, a stop first).
        kind: RefusedKind,
        /// What to tell a person, with what to do instead.
        message: String,
    },
    /// A step of a transaction failed and everything it had done was undone.
    #[error("transaction {id} failed and was undone; every file is as it was before")]
    Undone {
        /// The transaction.
        id: u64,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// A step of a transaction that brought its files up on the running host failed; the
    /// files were restored, and the interfaces it touched taken down and brought back up
    /// with them, as `live` says.
    #[error(
        "transaction {id} failed and was undone; every file is as it was before, {} ({})",
        if *.whole { "and so is the running host" } else { "but the running host is not" },
        Shown(.live)
    )]
    Reverted {
        /// The transaction.
        id: u64,
        /// Whether every live step of the undo worked.
        whole: bool,
        /// What the undo did on the running host: the interfaces touched, taken down, and
        /// brought back up, and anything that failed.
        live: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// After activation, the running host did not come to match the declaration.
    #[error(
        "the running host does not match the declaration after {:.1} s:\n{}",
        .after.as_secs_f64(),
        .drift.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
    )]
    Mismatch {
        /// How long verification waited.
        after: std::time::Duration,
        /// Every setting that differs, field by field.
        drift: Vec<Drift>,
    },
    /// A step failed and undoing it failed too; the journal keeps the previous state and
    /// the next netloom command on the root will restore it.
    #[error(
        "transaction {id} failed, and restoring the previous state failed too ({}); the \
         journal keeps the previous state and the next netloom command on this root restores it",
        Shown(.undo)
    )]
    Stuck {
        /// The transaction.
        id: u64,
        /// What failed first.
        #[source]
        source: Box<Error>,
        /// Why undoing failed.
        undo: Box<Error>,
    },
    /// Restoring a transaction's previous state (a rollback, a recovery, the undoing of a
    /// failed apply) stopped short: every file that could be restored is, the others are
    /// named with why. The journal still holds the previous state, and the next netloom
    /// command on the root finishes restoring it.
    #[error("{}", partly_restored(*.id, .restored, .unrestored))]
    PartlyRestored {
        /// The transaction.
        id: u64,
        /// The files (relative to the root) back as they were before it.
        restored: Vec<String>,
        /// The files that are not, each with why.
        unrestored: Vec<(String, Box<Error>)>,
    },
    /// A service a backend's live half talks to (a daemon over D-Bus) refused or failed a
    /// request; the backend's own error names the object and, where the service says, the
    /// setting.
    #[error(transparent)]
    Service(Box<dyn std::error::Error + Send + Sync>),
    /// A command run on the host for a network (`ip`, `nft`, `dnsmasq`) failed, or the
    /// network is not in the state the request needs; the message names the network.
    #[error("{}", Shown(.message))]
    Live {
        /// What went wrong on the host, for a caller that acts on it.
        kind: LiveKind,
        /// What to tell a person: the network, the command, what it said.
        message: String,
    },
    /// Starting a network failed, and every step it had made was undone.
    #[error("starting network '{}' failed; every step it had made was undone", Shown(.network))]
    StartUndone {
        /// The network.
        network: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// Starting a network failed, and undoing some of its steps failed too.
    #[error(
        "starting network '{}' failed, and some of its steps could not be undone; left \
         behind: {}",
        Shown(.network),
        Shown(.leftovers)
    )]
    StartStuck {
        /// The network.
        network: String,
        /// What failed first.
        #[source]
        source: Box<Error>,
        /// The undo steps that failed, with their errors.
        leftovers: String,
    },
}

/// Why the state of a root, a running network or a guest forbids a request: what a caller
/// (a script, the Ansible module, a test) can act on without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedKind {
    /// A transaction is waiting for confirmation: confirm or roll it back first.
    Pending,
    /// `confirm` with nothing waiting for confirmation.
    NothingPending,
    /// The files changed between the plan that was shown and the write: run it again.
    Stale,
    /// There is no such transaction, or nothing to roll back.
    NoTransaction,
    /// The journal cannot record this (a damaged later entry, numbers used up, a plan or a
    /// service it cannot hold).
    Journal,
    /// A later change (another transaction, or something other than netloom) touched the
    /// same files: rolling back would undo it.
    Overwritten,
    /// What the transaction did cannot be undone by restoring files (a running network's
    /// state), or it is in a state that has nothing to undo.
    NotRestorable,
    /// The object lives where this netloom is not (another network namespace, another
    /// directory than the one it was applied to, a root that is not the running system).
    Elsewhere,
    /// An earlier start was interrupted: undo it first.
    Interrupted,
    /// The named object does not exist (a network's entry, a portgroup, a guest, one of its
    /// interfaces).
    Missing,
    /// The object, name or value exists already or is taken by another.
    Exists,
    /// The network a guest needs is not running.
    Inactive,
    /// netloom (or the backend chosen, the network's mode, or the tools this host has)
    /// does not do this.
    Unsupported,
    /// Every name, device or function of a pool is in use.
    Exhausted,
    /// The device exists and netloom did not make it, so it is left alone.
    NotOurs,
    /// Two sources of one thing disagree: a recorded port and the network it is counted
    /// against, or the interface, network and portgroup giving a virtualport.
    Mismatch,
    /// What is needed to decide cannot be read back.
    Unreadable,
    /// A killed netloom left a transaction unfinished, and this command writes nothing.
    Unfinished,
    /// The request matches several objects where it must name one.
    Ambiguous,
    /// The person asked answered no.
    Cancelled,
}

/// What went wrong while netloom ran something on the host for a network, a guest or a
/// backend's live half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    /// The network is not running.
    Inactive,
    /// The network is running already.
    Active,
    /// There is no network of that name.
    Missing,
    /// A command, a daemon or a file of the host failed or refused.
    Failed,
    /// What a tool printed, or a record netloom keeps, cannot be read.
    Unreadable,
    /// Something of the host's own is in the way (a route, a device of the same name, a
    /// device that is no longer what netloom made).
    Conflict,
    /// The host lacks what is needed (a program, a kernel feature, a permission, a
    /// reachable service).
    Unavailable,
    /// The step failed, and undoing it failed or was partial: the message says what is left.
    Undo,
    /// A fault injected by a test (`NETLOOM_FAULT`).
    Injected,
}

/// What is wrong with a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKind {
    /// An option's value, or a name given, is not valid.
    BadValue,
    /// Options, or an option and the input, that do not go together.
    Conflict,
    /// Something the command needs was not given.
    Missing,
    /// No backend was given and the root does not tell which one.
    NoBackend,
    /// A question needs an answer and standard input is not a terminal.
    NoTerminal,
    /// The request cannot be done with this backend or root.
    Unsupported,
    /// The XML given is not the kind of entry the command edits.
    WrongXml,
}

/// What [`Error::PartlyRestored`] says: both lists whole, and what happens next.
fn partly_restored(id: u64, restored: &[String], unrestored: &[(String, Box<Error>)]) -> String {
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    let done = if restored.is_empty() {
        "no file is restored".to_owned()
    } else {
        format!(
            "{} {} restored ({})",
            restored.len(),
            files(restored.len()),
            restored
                .iter()
                .map(|p| Shown(p).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let left = unrestored
        .iter()
        .map(|(p, why)| format!("{} ({})", Shown(p), why.report()))
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "transaction {id} could not be restored completely: {done}; {} {} not restored: \
         {left}; the journal keeps the previous state, and the next netloom command on this \
         root finishes restoring it",
        unrestored.len(),
        files(unrestored.len())
    )
}

impl Error {
    /// What a failed transaction `id` ends with once undoing it ran: `Undone`, or `Stuck`
    /// with why when undoing failed too.
    pub(crate) fn after_undo(id: u64, cause: Error, undo: Result<(), Error>) -> Self {
        match undo {
            Ok(()) => Error::Undone {
                id,
                source: Box::new(cause),
            },
            Err(undo) => Error::Stuck {
                id,
                source: Box::new(cause),
                undo: Box::new(undo),
            },
        }
    }

    /// A refusal: the state forbids the request, for the reason `kind`.
    pub fn refused(kind: RefusedKind, message: impl Into<String>) -> Self {
        Error::Refused {
            kind,
            message: message.into(),
        }
    }

    /// A failure on the host, of kind `kind`.
    pub fn live(kind: LiveKind, message: impl Into<String>) -> Self {
        Error::Live {
            kind,
            message: message.into(),
        }
    }

    /// A command line that cannot be done as asked, for the reason `kind`.
    pub fn usage(kind: UsageKind, message: impl Into<String>) -> Self {
        Error::Usage {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn bad_path(path: &str, why: &str) -> Self {
        Error::BadPath {
            path: path.to_owned(),
            why: why.to_owned(),
        }
    }

    /// The error and its causes joined by `: ` (as anyhow's `{:#}`), for a terminal: each
    /// part is shown escaped, except the positioned problems and the list of settings a
    /// backend refuses, whose line breaks are their layout and whose parts are escaped
    /// already.
    pub fn report(&self) -> String {
        let mut text = String::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = next {
            if !text.is_empty() {
                text.push_str(": ");
            }
            // Writing into a String cannot fail.
            let _ = if laid_out(e) {
                fmt::write(&mut text, format_args!("{e}"))
            } else {
                fmt::write(&mut text, format_args!("{}", Shown(e)))
            };
            next = e.source();
        }
        text
    }
}

/// Whether `e` displays several lines of its own layout, each part already shown escaped.
fn laid_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let backend = |b: &BackendError| {
        matches!(
            b,
            BackendError::Invalid(_) | BackendError::Unsupported { .. }
        )
    };
    // A boxed cause (`Undone`, `Stuck`) is seen as the box.
    let own = e
        .downcast_ref::<Error>()
        .or_else(|| e.downcast_ref::<Box<Error>>().map(|b| &**b));
    match own {
        Some(Error::Invalid(_) | Error::Mismatch { .. }) => true,
        Some(Error::Backend(b)) => backend(b),
        Some(_) => false,
        None => e.downcast_ref::<BackendError>().is_some_and(backend),
    }
}

impl From<BackendError> for Error {
    /// Positioned problems in native files are input problems like any other.
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Invalid(d) => Error::Invalid(d),
            other => Error::Backend(other),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_lines_up_under_the_column_with_tabs() {
        let snippet = Snippet {
            line: 12,
            text: "\t<a x/>".into(),
            caret: 3,
        };
        let d = Diagnostic::new("f.xml", Some(Position { line: 12, col: 4 }), "bad")
            .with_snippet(snippet)
            .with_note("first defined at f.xml:1:1");
        assert_eq!(
            d.to_string(),
            "f.xml:12:4: bad\n 12 | \t<a x/>\n    | \t  ^\n  = note: first defined at f.xml:1:1"
        );
    }

    #[test]
    fn every_part_from_an_input_is_shown_escaped_and_the_layout_kept() {
        let d = Diagnostic::new(
            "a\r\u{1b}[2J.xml",
            Some(Position { line: 1, col: 3 }),
            "invalid name 'x\ny\u{202e}'",
        )
        .with_snippet(Snippet {
            line: 1,
            text: "\u{202e}\tx".into(),
            caret: 2,
        })
        .with_note("first defined in b\r.xml");
        assert_eq!(
            d.to_string(),
            "a\\r\\u{1b}[2J.xml:1:3: invalid name 'x\\ny\\u{202e}'\n 1 | \u{fffd}\tx\n   |  \t^\n  \
             = note: first defined in b\\r.xml"
        );
    }

    #[test]
    fn values_in_errors_are_shown_escaped() {
        let e = Error::usage(UsageKind::BadValue, "--guest 'g\rX': bad");
        assert_eq!(e.to_string(), "--guest 'g\\rX': bad");
        let e = Error::bad_path("/mnt/\u{1b}[2J", "is not a directory");
        assert_eq!(e.to_string(), "/mnt/\\u{1b}[2J is not a directory");
    }

    #[test]
    fn a_report_escapes_every_cause() {
        let e = Error::Undone {
            id: 3,
            source: Box::new(Error::Read {
                path: "a\rb".into(),
                source: std::io::Error::other("disk\nfull\u{202e}"),
            }),
        };
        assert_eq!(
            e.report(),
            "transaction 3 failed and was undone; every file is as it was before: cannot read \
             a\\rb: disk\\nfull\\u{202e}"
        );
    }

    #[test]
    fn a_report_keeps_the_lines_of_problems_and_refusals() {
        let problems = Diagnostics(vec![Diagnostic::new("f\n.xml", None, "bad\r")]);
        let e = Error::Undone {
            id: 1,
            source: Box::new(Error::Invalid(problems)),
        };
        let text = e.report();
        assert!(
            text.ends_with("before: f\\n.xml: bad\\r\n1 problem in 1 file"),
            "{text}"
        );
        let e = Error::Backend(BackendError::Unsupported {
            backend: "example",
            refusals: vec![Refusal {
                interface: "e\r0".into(),
                setting: "<mtu>".into(),
                why: "a\nb".into(),
            }],
        });
        assert_eq!(
            e.report(),
            "the example backend cannot express this setting:\n  interface 'e\\r0': <mtu>: a\\nb"
        );
    }

    #[test]
    fn whole_file_problems_have_no_position() {
        let d = Diagnostic::new("missing.xml", None, "cannot read: gone");
        assert_eq!(d.to_string(), "missing.xml: cannot read: gone");
        let all = Diagnostics(vec![d.clone(), d]);
        assert!(all.to_string().ends_with("2 problems in 1 file"));
    }
}
