//! Fault injection, for tests only: `NETLOOM_FAULT=kill@POINT` makes the process kill itself
//! with SIGKILL when it reaches POINT, as a power cut or `kill -9` would; `fail@POINT` makes
//! the step fail with an I/O error, as a full disk would; `trace@FILE` appends the name of
//! every point passed to FILE, one a line, so a test can tell a step ran, and in which order
//! (the durability barrier, whose absence no tree shows).
//!
//! Only a build with the `fault-injection` feature has it: the tests turn the feature on (a
//! dev-dependency of the package on itself, see Cargo.toml), so `cargo test` and the binary
//! the integration tests run have the hook, while `cargo build --release` compiles every
//! point to nothing and never reads the variable. A product that dies when an environment
//! variable says so is a test mechanism, not a feature.
//!
//! Points, in the order an apply passes them: `journal` (journal written, not yet in place),
//! `journal-sync` (its `syncfs`, which fails there), `journaled`, `down` (with activation:
//! the touched interfaces taken down, no file written), `temp-N` (file N written to its
//! temporary, not renamed), `file-N` (file N in place), `barrier` (every file in place, none
//! yet made durable: the barrier's `syncfs` fails there), `up` (with activation: every file
//! written and the interfaces brought up), `commit` (state not yet recorded), `committed`.
//! A service's store passes `profile-N` after changing object N instead of the file points.
//! A rollback or
//! recovery passes `restore-N` after restoring file N, `restore-barrier` before making them
//! durable, `rmdir-N` before removing the
//! directory N the transaction made (last made, first removed), and `restored` before
//! recording it.
//! A point's name is given as anything printable (`format_args!("file-{i}")`), so a build
//! without the hook does not even format it.

use std::fmt::Display;
use std::io;

/// The variable tests set.
#[cfg(feature = "fault-injection")]
pub const VAR: &str = "NETLOOM_FAULT";

/// Called at each point; returns an injected error or never returns when told to die.
#[cfg(feature = "fault-injection")]
pub(crate) fn point(name: impl Display) -> io::Result<()> {
    let Some(spec) = std::env::var_os(VAR) else {
        return Ok(());
    };
    let spec = spec.to_string_lossy();
    let (what, at) = spec.split_once('@').unwrap_or(("", ""));
    let name = name.to_string();
    if what == "trace" {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(at);
        // A trace that cannot be written shows as a missing line in the test that reads it.
        let _ = file.and_then(|mut f| writeln!(f, "{name}"));
        return Ok(());
    }
    if at != name {
        return Ok(());
    }
    match what {
        "kill" => die(),
        "fail" => Err(io::Error::other(format!("injected fault at {name}"))),
        _ => Ok(()),
    }
}

/// Without the hook, a point is nothing: no lookup, no formatting.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub(crate) fn point(_name: impl Display) -> io::Result<()> {
    Ok(())
}

/// Dies by SIGKILL, as `kill -9` would: no destructor, no cleanup, no flush.
#[cfg(feature = "fault-injection")]
fn die() -> ! {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    // Without a `kill` binary, an abort is the nearest thing: it too skips every cleanup.
    std::process::abort()
}
