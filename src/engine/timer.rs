//! The confirmation timer of `apply --confirm SECS`: a separate process, in its own process
//! group with no terminal streams, so closing the terminal or killing the `apply` that started
//! it does not stop it. If the machine goes down first, the deadline is in the journal and the
//! next netloom command rolls the transaction back.
//!
//! The timer is handed the root itself, not its path: the root's open directory as its
//! standard input (the one descriptor a child inherits without `unsafe` code), and the
//! directory's device and inode numbers as `--root-id`. It works on that directory,
//! whatever the path leads to by then (a root renamed, or swapped for a link, between the
//! `apply` and the timer's start). Only when its standard input is not that directory (the
//! verb run by hand) does it open the path, and then it refuses a directory that is not the
//! one the apply ran on: it has no way to the right journal then, and leaves the pending
//! transaction to the next netloom command on that root, which rolls it back as expired.
//! Everything the timer itself runs gets a standard input of its own (`/dev/null`).

use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use super::journal::State;
use super::root::TargetRoot;
use super::start_timer::ROOT_ID;
use super::time;
use super::txn::{Session, state};
use crate::error::{Error, RefusedKind, UsageKind};

/// The root a timer process was handed: its standard input when that is the directory
/// `root_id` (`DEV:INO`) names, else the directory at `path` if it is that one, else an
/// error saying why the timer leaves the transaction alone.
pub fn open_root(path: &Path, root_id: &str, id: u64) -> Result<TargetRoot, Error> {
    let want = root_id
        .split_once(':')
        .and_then(|(d, i)| Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?)))
        .ok_or_else(|| {
            Error::usage(
                UsageKind::BadValue,
                format!("{ROOT_ID} must be DEV:INO, two numbers, not '{root_id}'"),
            )
        })?;
    let stdin = std::io::stdin();
    if let Ok(root) = TargetRoot::open_at(stdin.as_fd(), path)
        && root.identity()? == want
    {
        return Ok(root);
    }
    let root = TargetRoot::open(path)?;
    let have = root.identity()?;
    if have != want {
        return Err(Error::refused(
            RefusedKind::Elsewhere,
            format!(
                "{} is no longer the directory transaction {id} was applied to (device {} inode \
             {}, now device {} inode {}); the confirmation timer leaves it alone, and the \
             next netloom command on the root it was applied to rolls it back",
                path.display(),
                want.0,
                want.1,
                have.0,
                have.1
            ),
        ));
    }
    Ok(root)
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
                    Err(Error::Busy { .. }) => continue,
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
                Err(Error::Busy { .. }) => continue,
                other => return other.map(|_| ()),
            }
        }
        std::thread::sleep(Duration::from_millis(((deadline - now) * 1000).min(500)));
    }
}
