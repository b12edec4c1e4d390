//! Which backend a root uses when `--backend` is not given, decided as a person would:
//!
//! 1. The candidates are the backends whose marker the root has (`backends --help`).
//! 2. One candidate is the answer.
//! 3. Of several, those whose files configure an interface other than `lo` count: one is
//!    the answer; two or more are a real conflict, which names what each configures and asks
//!    for `--backend`.
//! 4. When none configures anything (a fresh root, a Debian desktop whose interfaces file
//!    only has `lo`, a RHEL 9 root whose ifcfg directory only has NetworkManager's readme):
//!    on the running host, the one whose service or tool is at work; else the one whose
//!    service manages every device nothing configures (NetworkManager).
//!
//! Nothing here names a backend: each says what it needs through [`Backend`]'s hooks.

use std::path::Path;

use crate::backend::{Backend, Running};
use crate::backends;
use crate::engine::TargetRoot;

/// One backend whose marker a root has.
pub(super) struct Found {
    /// The backend.
    pub backend: &'static dyn Backend,
    /// The interfaces its files configure (`lo` left out), or why they could not be read.
    pub configures: Result<Vec<String>, String>,
    /// Whether its service or tool is at work on the running host (false off it).
    pub running: bool,
}

impl Found {
    /// Whether its files configure anything (or could not be read, which may hide that).
    fn configures_any(&self) -> bool {
        self.configures
            .as_ref()
            .map_or(true, |names| !names.is_empty())
    }

    /// What it configures, for a message.
    pub fn describe(&self) -> String {
        match &self.configures {
            Ok(names) if names.is_empty() => {
                format!("{} configures no interface", self.backend.name())
            }
            Ok(names) => format!("{} configures {}", self.backend.name(), names.join(", ")),
            Err(why) => format!(
                "{} has files netloom cannot read ({why})",
                self.backend.name()
            ),
        }
    }
}

/// What detection decided.
pub(super) enum Verdict {
    /// This backend, and why (for `backends`).
    One(&'static dyn Backend, &'static str),
    /// No backend's marker is there.
    Nothing,
    /// Several backends' files configure interfaces.
    Conflict,
    /// Several candidates, none configuring anything, and nothing to break the tie.
    Tie,
}

/// The candidates of a root and the verdict.
pub(super) struct Detection {
    /// The backends whose marker the root has, in [`backends::ALL`]'s order.
    pub found: Vec<Found>,
    /// The decision.
    pub verdict: Verdict,
}

/// Detects the backend of the root at `path`.
pub(super) fn detect(path: &Path) -> Detection {
    let Ok(root) = TargetRoot::open(path) else {
        return Detection {
            found: Vec::new(),
            verdict: Verdict::Nothing,
        };
    };
    let live = root.running_system().is_ok();
    let found: Vec<Found> = (backends::ALL.iter().copied())
        .filter(|b| b.marker().is_some_and(|m| root.exists(m)))
        .map(|backend| Found {
            backend,
            configures: configures(&root, backend),
            running: live && backend.running().is_some_and(|r| running(&root, r)),
        })
        .collect();
    let verdict = decide(&found);
    Detection { found, verdict }
}

/// Steps 2 to 4 of the rule.
fn decide(found: &[Found]) -> Verdict {
    if let [one] = found {
        return Verdict::One(one.backend, "the only backend whose files the root has");
    }
    if found.is_empty() {
        return Verdict::Nothing;
    }
    let configuring: Vec<&Found> = found.iter().filter(|f| f.configures_any()).collect();
    match configuring.as_slice() {
        [one] => return Verdict::One(one.backend, "the only one whose files configure interfaces"),
        [] => {}
        _ => return Verdict::Conflict,
    }
    if let [one] = only(found, |f| f.running).as_slice() {
        return Verdict::One(
            one.backend,
            "nothing is configured; its service runs on this host",
        );
    }
    if let [one] = only(found, |f| f.backend.manages_unconfigured()).as_slice() {
        return Verdict::One(
            one.backend,
            "nothing is configured; its service manages every device",
        );
    }
    Verdict::Tie
}

fn only(found: &[Found], pick: impl Fn(&Found) -> bool) -> Vec<&Found> {
    found.iter().filter(|f| pick(f)).collect()
}

/// The interfaces `backend`'s files under the root configure, `lo` left out.
fn configures(root: &TargetRoot, backend: &dyn Backend) -> Result<Vec<String>, String> {
    let existing = root.snapshot(backend.scan()).map_err(|e| e.report())?;
    let host = backend.import(&existing, &[]).map_err(|e| e.to_string())?;
    Ok((host.interfaces.iter())
        .map(|i| i.name.to_string())
        .filter(|n| n != "lo")
        .collect())
}

/// Whether a backend's service or tool is at work, by what it leaves (never by asking an
/// init system: a container or a rescue shell may have none).
fn running(root: &TargetRoot, how: Running) -> bool {
    match how {
        Running::Process(name) => process_runs(name),
        Running::StateFile(rel) => root.read_text(rel).ok().flatten().is_some_and(|text| {
            text.lines()
                .filter_map(|l| l.split('=').next())
                .any(|n| !n.trim().is_empty() && n.trim() != "lo")
        }),
    }
}

/// Whether a process named `name` runs (as `/proc/PID/comm` says; only read on the running
/// host, whose `/proc` it is).
fn process_runs(name: &str) -> bool {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .any(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim_end() == name))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn found(backend: &'static dyn Backend, configures: &[&str], running: bool) -> Found {
        Found {
            backend,
            configures: Ok(configures.iter().map(|s| (*s).to_owned()).collect()),
            running,
        }
    }

    fn chosen(verdict: Verdict) -> Option<&'static str> {
        match verdict {
            Verdict::One(b, _) => Some(b.name()),
            _ => None,
        }
    }

    /// The backend that manages what nothing configures, and two that do not (named
    /// through the registry, as the rest of this layer does).
    fn cast() -> (
        &'static dyn Backend,
        &'static dyn Backend,
        &'static dyn Backend,
    ) {
        let manager = backends::ALL
            .iter()
            .copied()
            .find(|b| b.manages_unconfigured());
        let others: Vec<&'static dyn Backend> = (backends::ALL.iter().copied())
            .filter(|b| !b.manages_unconfigured() && b.marker().is_some())
            .collect();
        (manager.unwrap(), others[0], others[1])
    }

    #[test]
    fn the_service_at_work_breaks_a_tie_and_the_manager_of_the_rest_is_the_default() {
        let (nm, a, b) = cast();
        // Nothing configured by either: the one at work on this host wins.
        let tie = [found(a, &[], true), found(nm, &[], false)];
        assert_eq!(chosen(decide(&tie)), Some(a.name()));
        // Neither at work (off the running host): the manager of what nothing configures.
        let tie = [found(a, &[], false), found(nm, &[], false)];
        assert_eq!(chosen(decide(&tie)), Some(nm.name()));
        // Two at work and no such manager: asked.
        let tie = [found(a, &[], true), found(b, &[], true)];
        assert!(matches!(decide(&tie), Verdict::Tie));
        // A real conflict is asked even when one of them is at work.
        let both = [found(a, &["eth0"], true), found(nm, &["eth1"], false)];
        assert!(matches!(decide(&both), Verdict::Conflict));
        // One configuring beats the manager of the rest.
        let one = [found(a, &["eth0"], false), found(nm, &[], true)];
        assert_eq!(chosen(decide(&one)), Some(a.name()));
        // Files that cannot be read may configure anything: never passed over.
        let mut unread = found(a, &[], false);
        unread.configures = Err("bad".into());
        let both = [unread, found(nm, &["eth1"], true)];
        assert!(matches!(decide(&both), Verdict::Conflict));
    }

    #[test]
    fn a_process_is_found_by_its_name() {
        let me = std::fs::read_to_string("/proc/self/comm").unwrap();
        assert!(process_runs(me.trim_end()), "{me}");
        assert!(!process_runs("no-such-daemon"));
    }

    #[test]
    fn ifstate_naming_only_lo_is_not_ifupdown_at_work() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("run/network")).unwrap();
        let root = TargetRoot::open(dir.path()).unwrap();
        let marker = Running::StateFile("run/network/ifstate");
        assert!(!running(&root, marker), "no file");
        std::fs::write(dir.path().join("run/network/ifstate"), "lo=lo\n").unwrap();
        assert!(!running(&root, marker), "lo only");
        std::fs::write(dir.path().join("run/network/ifstate"), "lo=lo\neth0=eth0\n").unwrap();
        assert!(running(&root, marker));
    }
}
