//! The library's error type and the positioned diagnostics it carries.
//!
//! Input problems are never a single string: each is a [`Diagnostic`] naming `file:line:col`,
//! with the offending source line and a caret, and a run collects all of them before it
//! stops, so a user fixes a file in one pass instead of one error at a time.

use std::fmt;

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
        // Copy tabs so the caret lines up however the terminal expands them.
        let pad: String = snippet
            .text
            .chars()
            .take(snippet.caret)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let num = snippet.line.to_string();
        let gutter = " ".repeat(num.len());
        write!(f, "\n {num} | {}\n {gutter} | {pad}^", snippet.text)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(snippet) = &self.snippet {
            Self::fmt_snippet(f, snippet)?;
        }
        for note in &self.notes {
            write!(f, "\n  = note: {note}")?;
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
    #[error("cannot read {path}")]
    Read {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file under the target root could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A path that must not be used: one that leaves the target root, or is not a directory.
    #[error("{path} {why}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        why: String,
    },
    /// A backend refused to render or import.
    #[error(transparent)]
    Backend(crate::backend::BackendError),
    /// The command line asks for something that cannot be done as asked.
    #[error("{0}")]
    Usage(String),
    /// Another netloom holds the root's lock.
    #[error("{0}")]
    Busy(String),
    /// The journal's state forbids the request (rolling back over a later change, confirming
    /// when nothing is pending); the message says what to do instead.
    #[error("{0}")]
    Refused(String),
    /// A step of a transaction failed and everything it had done was undone.
    #[error("transaction {id} failed and was undone; every file is as it was before")]
    Undone {
        /// The transaction.
        id: u64,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// A step failed and undoing it failed too; the journal keeps the previous state and
    /// the next netloom command on the root will restore it.
    #[error(
        "transaction {id} failed, and restoring the previous state failed too ({undo}); the \
         journal keeps the previous state and the next netloom command on this root restores it"
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
    /// NetworkManager refused or failed a request; the message names the profile and,
    /// where NetworkManager says, the setting.
    #[error(transparent)]
    NetworkManager(#[from] crate::backends::nm::live::LiveError),
    /// A command run on the host for a network (`ip`, `nft`, `dnsmasq`) failed, or the
    /// network is not in the state the request needs; the message names the network.
    #[error("{0}")]
    Live(String),
    /// Starting a network failed, and every step it had made was undone.
    #[error("starting network '{network}' failed; every step it had made was undone")]
    StartUndone {
        /// The network.
        network: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
    /// Starting a network failed, and undoing some of its steps failed too.
    #[error(
        "starting network '{network}' failed, and some of its steps could not be undone; \
         left behind: {leftovers}"
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

impl Error {
    pub(crate) fn bad_path(path: &str, why: &str) -> Self {
        Error::BadPath {
            path: path.to_owned(),
            why: why.to_owned(),
        }
    }
}

impl From<crate::backend::BackendError> for Error {
    /// Positioned problems in native files are input problems like any other.
    fn from(e: crate::backend::BackendError) -> Self {
        match e {
            crate::backend::BackendError::Invalid(d) => Error::Invalid(d),
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
    fn whole_file_problems_have_no_position() {
        let d = Diagnostic::new("missing.xml", None, "cannot read: gone");
        assert_eq!(d.to_string(), "missing.xml: cannot read: gone");
        let all = Diagnostics(vec![d.clone(), d]);
        assert!(all.to_string().ends_with("2 problems in 1 file"));
    }
}
