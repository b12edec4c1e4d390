//! Starting the confirmation timer of `apply --confirm SECS` (its own side is `timer.rs`).
//!
//! Apart from the timer because the two sit on either side of a transaction: `txn` starts the
//! timer once an apply is written, and the timer, when the time is up, rolls back through a
//! `Session` of `txn`. Kept in one module, the two would depend on each other.

use std::path::Path;
use std::process::{Command, Stdio};

use super::beneath::{read_err, write_err};
use super::root::TargetRoot;
use crate::error::Error;

/// The hidden verb the timer process runs.
pub const VERB: &str = "__revert-timer";

/// The timer's option naming the root's directory by device and inode (`DEV:INO`).
pub const ROOT_ID: &str = "--root-id";

/// Starts the timer process for transaction `id` on `root`.
pub(crate) fn spawn(root: &TargetRoot, id: u64) -> Result<(), Error> {
    let (dev, ino) = root.identity()?;
    let shown = root.display().to_string();
    // A copy with close-on-exec, which the child gets on its standard input without it.
    let handed = root.fd().try_clone().map_err(read_err(&shown))?;
    // /proc/self/exe still runs when the binary was replaced (a package upgrade) since this
    // process started; `current_exe` is the fallback off Linux.
    let proc_exe = Path::new("/proc/self/exe");
    let exe = if proc_exe.exists() {
        proc_exe.to_path_buf()
    } else {
        std::env::current_exe().map_err(read_err("/proc/self/exe"))?
    };
    let mut cmd = Command::new(&exe);
    cmd.arg("--root")
        .arg(root.path_for_programs())
        .arg(VERB)
        .arg(id.to_string())
        .arg(ROOT_ID)
        .arg(format!("{dev}:{ino}"))
        .stdin(Stdio::from(handed))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Not the caller's directory: the timer must not keep an installer's mount busy.
        .current_dir("/");
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn().map_err(write_err(&exe.display().to_string()))?;
    Ok(())
}
