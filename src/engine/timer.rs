//! The confirmation timer of `apply --confirm SECS`: a separate process, in its own process
//! group with no terminal streams, so closing the terminal or killing the `apply` that started
//! it does not stop it. If the machine goes down first, the deadline is in the journal and the
//! next netloom command rolls the transaction back.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::fsio;
use super::root::TargetRoot;
use super::time;
use super::txn::{Session, pending_deadline};
use crate::error::Error;

/// The hidden verb the timer process runs.
pub const VERB: &str = "__revert-timer";

/// Starts the timer process for transaction `id` on the root at `root` (absolute).
pub fn spawn(root: &Path, id: u64) -> Result<(), Error> {
    let exe = std::env::current_exe().map_err(fsio::read_err(Path::new("/proc/self/exe")))?;
    let mut cmd = Command::new(&exe);
    cmd.arg("--root")
        .arg(root)
        .arg(VERB)
        .arg(id.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn().map_err(fsio::write_err(&exe))?;
    Ok(())
}

/// Waits until transaction `id`'s deadline and rolls it back if it is still pending. Returns
/// as soon as it is confirmed or rolled back by someone else.
pub fn run(root: &TargetRoot, id: u64) -> Result<(), Error> {
    loop {
        let Some(deadline) = pending_deadline(root, id)? else {
            return Ok(());
        };
        let now = time::now();
        if now >= deadline {
            // Opening a session rolls back every pending transaction past its deadline.
            // Another netloom holding the lock (waiting for a person's answer, say) only
            // delays that: giving up would leave the host on a configuration nobody
            // confirmed, so wait for the lock again (each try waits a few seconds), unless
            // the holder confirmed or rolled back the transaction meanwhile.
            match Session::open(root) {
                Ok(_) => return Ok(()),
                Err(Error::Busy(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        std::thread::sleep(Duration::from_millis(((deadline - now) * 1000).min(500)));
    }
}
