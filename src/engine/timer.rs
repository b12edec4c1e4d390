//! The confirmation timer of `apply --confirm SECS`: a separate process, in its own process
//! group with no terminal streams, so closing the terminal or killing the `apply` that started
//! it does not stop it. If the machine goes down first, the deadline is in the journal and the
//! next netloom command rolls the transaction back.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::beneath::{read_err, write_err};
use super::journal::State;
use super::root::TargetRoot;
use super::time;
use super::txn::{Session, state};
use crate::error::Error;

/// The hidden verb the timer process runs.
pub const VERB: &str = "__revert-timer";

/// Starts the timer process for transaction `id` on the root at `root` (absolute).
pub(crate) fn spawn(root: &Path, id: u64) -> Result<(), Error> {
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
        .arg(root)
        .arg(VERB)
        .arg(id.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Not the caller's directory: the timer must not keep an installer's mount busy.
        .current_dir("/");
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn().map_err(write_err(&exe.display().to_string()))?;
    Ok(())
}

/// Waits until transaction `id`'s deadline and rolls it back if it is still pending. Returns
/// as soon as it is confirmed or rolled back by someone else. Started before the apply
/// writes any file, it first waits for the apply to finish; if the apply was killed, the
/// recovery that opening a session runs deals with it.
pub fn run(root: &TargetRoot, id: u64) -> Result<(), Error> {
    loop {
        let deadline = match state(root, id)? {
            Some(State::Pending { deadline }) => deadline,
            Some(State::Open) => {
                match Session::open(root) {
                    Err(Error::Busy(_)) => continue,
                    other => other.map(|_| ())?,
                }
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            _ => return Ok(()),
        };
        let now = time::now();
        if now >= deadline {
            // Opening a session rolls back every pending transaction past its deadline. If
            // another netloom holds the root, wait for it: it may be the `confirm`.
            match Session::open(root) {
                Err(Error::Busy(_)) => continue,
                other => return other.map(|_| ()),
            }
        }
        std::thread::sleep(Duration::from_millis(((deadline - now) * 1000).min(500)));
    }
}
