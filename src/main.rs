//! The `netloom` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ContextValue};
use netloom::Error;
use netloom::cli::{Cli, Status, complain, options_after_verb, run};
use netloom::show;

/// `diff` (or `apply --check`) found something to change.
const EXIT_CHANGES: u8 = 1;

/// Any error: bad input, an unreadable file, a failed write.
const EXIT_ERROR: u8 = 2;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = options_after_verb(std::env::args_os());
    let cli = Cli::try_parse_from(args).unwrap_or_else(|e| shown(e).exit());
    let err = match run(cli) {
        Ok(Status::Success) => return ExitCode::SUCCESS,
        Ok(Status::Changes) => return ExitCode::from(EXIT_CHANGES),
        // A reader that went away (`netloom dumpxml … | head`) is not a failure.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS;
        }
        Err(err) => err,
    };
    complain(&err);
    ExitCode::from(EXIT_ERROR)
}

/// A command-line error with the arguments it quotes (an unknown one, a bad value, the tip
/// that repeats it) shown escaped, like every value netloom prints. Clap's own text and
/// colours are kept.
fn shown(mut err: clap::Error) -> clap::Error {
    let escaped: Vec<(ContextKind, ContextValue)> = err
        .context()
        .filter(|(kind, _)| *kind != ContextKind::Usage)
        .filter_map(|(kind, value)| escape(value).map(|v| (kind, v)))
        .collect();
    for (kind, value) in escaped {
        err.insert(kind, value);
    }
    err
}

/// The value with its text shown escaped, `None` when nothing in it needed escaping. A
/// styled text that did loses its styles, which only clap's tips have.
fn escape(value: &ContextValue) -> Option<ContextValue> {
    let one = |s: &str| match show::text(s) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(shown) => Some(shown),
    };
    let many = |all: Vec<String>| {
        let shown: Vec<String> = all.iter().map(|s| show::text(s).into_owned()).collect();
        (shown != all).then_some(shown)
    };
    match value {
        ContextValue::String(s) => one(s).map(ContextValue::String),
        ContextValue::Strings(v) => many(v.clone()).map(ContextValue::Strings),
        ContextValue::StyledStr(s) => {
            one(&s.to_string()).map(|s| ContextValue::StyledStr(s.into()))
        }
        ContextValue::StyledStrs(v) => many(v.iter().map(ToString::to_string).collect())
            .map(|v| ContextValue::StyledStrs(v.into_iter().map(Into::into).collect())),
        _ => None,
    }
}
