//! Options several verbs share: how output is printed and coloured, and which fleet
//! repository to read. Below every verb, so a verb that uses another's options does not
//! depend on that verb.

use std::io::IsTerminal;
use std::path::PathBuf;

/// How a verb prints: for people, or for machines (docs/json.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: a unified diff, a table.
    Text,
    /// For machines: one JSON object.
    Json,
}

/// When to colour a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    /// When standard output is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl Color {
    /// How a diff on standard output is written: coloured as asked, and escaped whenever a
    /// person reads it (colour, or a terminal), so a file's escape sequences never act.
    pub(super) fn look(self) -> crate::plan::Look {
        crate::plan::Look {
            color: self.enabled(),
            escape: std::io::stdout().is_terminal(),
        }
    }

    pub(super) fn enabled(self) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// `--fleet DIR` and `--roots DIR`, shared by `render`, `diff` and `validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// A fleet repository: one directory per host, holding its interface XML (every
    /// *.xml), optionally a `backend` file naming its backend and a `root` directory of its
    /// current files. Every host is checked in one run (docs/fleet.md).
    // Not `conflicts_with = "files"`: clap then stops checking `requires = "fleet"` when
    // files are given (clap issue 4520), and `--roots` would be ignored. `run` refuses both.
    #[arg(long, value_name = "DIR")]
    pub fleet: Option<PathBuf>,
    /// With --fleet: each host's current files are DIR/HOST (a snapshot of the hosts), not
    /// the fleet's HOST/root.
    #[arg(long, value_name = "DIR", requires = "fleet")]
    pub roots: Option<PathBuf>,
}
