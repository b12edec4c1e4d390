//! One netloom at a time per root: an advisory lock on `var/lib/netloom/lock`, released by
//! the kernel when the holder exits, even by `kill -9`, so a crash never leaves a stale lock.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::time::{Duration, Instant};

use super::beneath::{self, write_err};
use super::root::TargetRoot;
use crate::error::Error;

/// Where the lock lives, relative to the root.
pub const PATH: &str = "var/lib/netloom/lock";

/// Where netloom keeps its state under a root it changed (the lock, the journal): a
/// directory that has it is a real root, whatever else it is used for.
pub const STATE_DIR: &str = "var/lib/netloom";

/// How long a second netloom waits for the first before giving up.
const WAIT: Duration = Duration::from_secs(3);

/// Held while a command changes the root; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the root's lock, waiting briefly for another netloom to finish.
    pub fn take(root: &TargetRoot) -> Result<Self, Error> {
        let (dir, name) = beneath::split(PATH)?;
        let dir = root.walk().make(dir, 0o755, &mut Vec::new())?;
        let mut file = dir.open_rw(name, 0o644)?;
        let shown = dir.shown(name);
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < WAIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let pid = holder.trim();
                    return Err(Error::Busy {
                        holder: (!pid.is_empty()).then(|| pid.to_owned()),
                        root: root.display().to_string(),
                        waited: WAIT,
                        lock: shown,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(write_err(&shown)(e)),
            }
        }
        // Who holds it, for the message another netloom prints; best effort.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        Ok(Lock { _file: file })
    }
}
