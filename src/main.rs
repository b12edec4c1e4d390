//! The `netloom` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use netloom::Error;
use netloom::cli::{Cli, run};

/// Any error: bad input, an unreadable file, a failed write.
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Invalid(problems)) => {
            eprintln!("{problems}");
            ExitCode::from(EXIT_ERROR)
        }
        // A reader that went away (`netloom dumpxml … | head`) is not a failure.
        Err(Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netloom: error: {:#}", anyhow::Error::from(e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
