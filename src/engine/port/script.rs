//! The `<script>` and `<downscript>` of type-ethernet NICs, run as QEMU runs its `script=`
//! and `downscript=`: the program itself with the tap's name as its only argument, never
//! through a shell, in a process group of its own so a timeout ends whatever it started.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, LiveKind};
use crate::model::guest::{GuestInterface, ScriptPath};

/// How long a script may take: setting up one tap is a few commands, and a script that
/// hangs must not hold the plug (and its lock) for ever.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// The most bytes of a script's output kept for a message: its end, where the error is.
const OUTPUT_MAX: usize = 4096;

/// Runs `script` with `tap` as its only argument, for at most `limit`. A failure (it could
/// not start, exited non-zero, was killed, or took too long) says which script, for which
/// tap, and what it printed.
pub(crate) fn run(script: &ScriptPath, tap: &str, limit: Duration) -> Result<(), Error> {
    let fail = |what: String, output: &str| {
        let output = output.trim();
        let shown = if output.is_empty() {
            String::new()
        } else {
            format!(": {output}")
        };
        Error::live(
            LiveKind::Failed,
            format!("script '{script}' for tap '{tap}' {what}{shown}"),
        )
    };
    let mut child = Command::new(script.as_str())
        .arg(tap)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("could not be started ({e})"), ""))?;
    let readers = [
        child.stdout.take().map(|mut p| {
            std::thread::spawn(move || {
                let mut b = Vec::new();
                let _ = p.read_to_end(&mut b);
                b
            })
        }),
        child.stderr.take().map(|mut p| {
            std::thread::spawn(move || {
                let mut b = Vec::new();
                let _ = p.read_to_end(&mut b);
                b
            })
        }),
    ];
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(10)),
            _ => break None,
        }
    };
    if status.is_none() {
        // The whole group, so nothing it started keeps the output pipes open.
        let group = i32::try_from(child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw);
        if let Some(pid) = group {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut output = Vec::new();
    for r in readers.into_iter().flatten() {
        output.extend(r.join().unwrap_or_default());
    }
    let start_at = output.len().saturating_sub(OUTPUT_MAX);
    let output = String::from_utf8_lossy(&output[start_at..]).into_owned();
    match status {
        None => Err(fail(
            format!("did not finish within {} s and was killed", limit.as_secs()),
            &output,
        )),
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(fail(
            match s.code() {
                Some(code) => format!("failed (exit status {code})"),
                None => "was killed by a signal".to_owned(),
            },
            &output,
        )),
    }
}

/// Runs the `<downscript>` of each of `ifaces` that has one, with its tap. A failure is a
/// note: the interface is given up anyway.
pub(crate) fn run_downscripts(ifaces: &[&GuestInterface]) -> Vec<String> {
    ifaces
        .iter()
        .filter_map(|i| {
            let (Some(path), Some(tap)) = (&i.downscript, &i.target) else {
                return None;
            };
            run(path, tap.as_str(), TIMEOUT)
                .err()
                .map(|e| e.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &std::path::Path, body: &str) -> ScriptPath {
        let path = dir.join("s");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        ScriptPath::parse(path.to_str().unwrap()).unwrap()
    }

    #[test]
    fn the_tap_is_the_only_argument_and_no_shell_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("args");
        let s = script(
            dir.path(),
            &format!("printf '%s|' \"$#\" \"$@\" > {}", out.display()),
        );
        run(&s, "vnet5; touch /tmp/x", TIMEOUT).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "1|vnet5; touch /tmp/x|"
        );
    }

    #[test]
    fn a_failure_names_script_tap_and_status_with_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let s = script(dir.path(), "echo out; echo 'no such bridge' >&2; exit 3");
        let err = run(&s, "vnet0", TIMEOUT).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "script '{s}' for tap 'vnet0' failed (exit status 3)"
            )),
            "{err}"
        );
        assert!(
            err.contains("out") && err.contains("no such bridge"),
            "{err}"
        );
    }

    #[test]
    fn a_script_that_hangs_is_killed_with_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        // A child of the script holds the output pipe too: the group is killed, so reading
        // the output ends.
        let s = script(dir.path(), "echo started; sleep 600 & sleep 600");
        let err = run(&s, "vnet0", Duration::from_millis(300))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("did not finish within 0 s and was killed: started"),
            "{err}"
        );
    }

    #[test]
    fn a_program_that_cannot_start_is_named() {
        let missing = ScriptPath::parse("/nonexistent/netloom-ifup").unwrap();
        let err = run(&missing, "vnet0", TIMEOUT).unwrap_err().to_string();
        assert!(
            err.contains("script '/nonexistent/netloom-ifup' for tap 'vnet0' could not be started"),
            "{err}"
        );
    }
}
