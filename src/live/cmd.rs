//! Running a host's tool for a live half (`ifup`, `ifdown`, `ip`), in whatever network and
//! mount namespaces netloom itself runs in, with messages that name the command.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::error::Error;

/// Where `program` is: on `PATH`, else in the system directories a non-login root shell may
/// lack (`ifup` and `ip` live in `/usr/sbin`).
pub fn locate(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Runs `program` with `args` and returns its standard output; an error names the command
/// and says what it printed (its first lines).
pub fn run(program: &str, args: &[&str]) -> Result<String, Error> {
    let line = || {
        std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
    };
    let shown = || line().join(" ");
    let path = locate(program).ok_or_else(|| {
        Error::Live(format!(
            "cannot run `{}`: {program} is not installed",
            shown()
        ))
    })?;
    let out = Command::new(path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Live(format!("cannot run `{}`: {e}", shown())))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let why = match (stderr.trim(), stdout.trim()) {
        ("", "") => format!("it exited with {} without a message", out.status),
        ("", said) | (said, _) => said.lines().take(8).collect::<Vec<_>>().join("; "),
    };
    Err(Error::Live(format!("`{}` failed: {why}", shown())))
}
