//! The `netloom` binary: parse the command line, run it, map the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use netloom::Error;
use netloom::cli::{Cli, Status, run};

/// `diff` (or `apply --check`) found something to change.
const EXIT_CHANGES: u8 = 1;

/// Any error: bad input, an unreadable file, a failed write.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let err = match run(cli) {
        Ok(Status::Success) => return ExitCode::SUCCESS,
        Ok(Status::Changes) => return ExitCode::from(EXIT_CHANGES),
        // A reader that went away (`netloom dumpxml … | head`) is not a failure.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            return ExitCode::SUCCESS;
        }
        Err(err) => err,
    };
    let text = match err {
        Error::Invalid(problems) => problems.to_string(),
        other => format!("netloom: error: {:#}", anyhow::Error::from(other)),
    };
    // `eprintln!` panics when standard error is closed; the exit code must still say 2.
    let _ = writeln!(std::io::stderr().lock(), "{text}");
    ExitCode::from(EXIT_ERROR)
}
