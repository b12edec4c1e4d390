//! Fault injection, for tests only: `NETLOOM_FAULT=kill@POINT` makes the process kill itself
//! with SIGKILL when it reaches POINT, as a power cut or `kill -9` would; `fail@POINT` makes
//! the step fail with an I/O error, as a full disk would. Without the variable (every normal
//! run) each point is one environment lookup.
//!
//! Points, in the order an apply passes them: `journal` (journal written, not yet in place),
//! `journaled`, `temp-N` (file N written to its temporary, not renamed), `file-N` (file N in
//! place), `commit` (every file written, state not yet recorded), `committed`. A rollback or
//! recovery passes `restore-N` after restoring file N and `restored` before recording it.

use std::io;

/// The variable tests set.
pub const VAR: &str = "NETLOOM_FAULT";

/// Called at each point; returns an injected error or never returns when told to die.
pub(crate) fn point(name: &str) -> io::Result<()> {
    let Some(spec) = std::env::var_os(VAR) else {
        return Ok(());
    };
    let spec = spec.to_string_lossy();
    let (what, at) = spec.split_once('@').unwrap_or(("", ""));
    if at != name {
        return Ok(());
    }
    match what {
        "kill" => die(),
        "fail" => Err(io::Error::other(format!("injected fault at {name}"))),
        _ => Ok(()),
    }
}

/// Dies by SIGKILL, as `kill -9` would: no destructor, no cleanup, no flush.
fn die() -> ! {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    // Without a `kill` binary, an abort is the nearest thing: it too skips every cleanup.
    std::process::abort()
}
