//! Running a host's tools (`ip`, `ifup`, `ifdown`, `nft`, `iptables-restore`, `dnsmasq`,
//! `kill`), in whatever network and mount namespaces netloom itself runs in, with messages
//! that name the command. The one runner for the live layer, the backends' live halves and
//! the engine's networks and guest ports.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::error::{Error, LiveKind};

/// What a tool printed, and whether it succeeded.
#[derive(Debug)]
pub struct Output {
    /// Exit status 0.
    pub ok: bool,
    /// How it exited, for messages.
    pub status: std::process::ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// The command line as a user would type it, for messages.
pub fn shown(argv: &[String]) -> String {
    argv.join(" ")
}

/// An argument vector from words.
pub fn argv<S: AsRef<str>>(words: &[S]) -> Vec<String> {
    words.iter().map(|w| w.as_ref().to_owned()).collect()
}

/// Where `program` is: on `PATH`, else in the system directories a non-login root shell may
/// lack (`ifup`, `ip` and `dnsmasq` live in `/usr/sbin`).
pub fn locate(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether `program` can be found at all.
pub fn exists(program: &str) -> bool {
    locate(program).is_some()
}

/// Runs `argv`, feeding `stdin`; returns its output whatever its exit status.
pub fn output(argv: &[String], stdin: Option<&str>) -> Result<Output, Error> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::live(LiveKind::Failed, "an empty command line"));
    };
    let path = locate(program).ok_or_else(|| {
        Error::live(
            LiveKind::Unavailable,
            format!("cannot run `{}`: {program} is not installed", shown(argv)),
        )
    })?;
    let cannot = |e: std::io::Error| {
        Error::live(
            LiveKind::Failed,
            format!("cannot run `{}`: {e}", shown(argv)),
        )
    };
    let mut child = Command::new(path)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot)?;
    // Fed from a thread: a tool that answers while it reads (`nft --echo`) could otherwise
    // fill its output pipe while netloom still waits to finish writing its input.
    let feeder = child.stdin.take().zip(stdin.map(str::to_owned));
    let out = std::thread::scope(|s| {
        let fed = feeder.map(|(mut pipe, text)| s.spawn(move || pipe.write_all(text.as_bytes())));
        let out = child.wait_with_output();
        let fed = fed.map(|h| h.join());
        (out, fed)
    });
    let out = out.0.map_err(cannot)?;
    Ok(Output {
        ok: out.status.success(),
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs `argv`, feeding `stdin`, and returns its standard output, or fails with what it
/// printed.
pub fn run_argv(argv: &[String], stdin: Option<&str>) -> Result<String, Error> {
    let out = output(argv, stdin)?;
    if out.ok {
        Ok(out.stdout)
    } else {
        Err(failed(argv, &out))
    }
}

/// Runs `program` with `args` and returns its standard output; an error names the command
/// and says what it printed (its first lines).
pub fn run(program: &str, args: &[&str]) -> Result<String, Error> {
    let mut all = vec![program];
    all.extend_from_slice(args);
    run_argv(&argv(&all), None)
}

/// The error of a command that exited non-zero.
pub fn failed(argv: &[String], out: &Output) -> Error {
    let why = match (out.stderr.trim(), out.stdout.trim()) {
        ("", "") => format!("it exited with {} without a message", out.status),
        ("", said) | (said, _) => said.lines().take(8).collect::<Vec<_>>().join("; "),
    };
    Error::live(LiveKind::Failed, format!("`{}` failed: {why}", shown(argv)))
}

/// Runs `program NAME` for each of `names`, in order, stopping at the first that fails: how
/// ifupdown's and initscripts' `ifup` and `ifdown` take one interface at a time.
pub fn each(program: &str, names: &[String]) -> Result<(), Error> {
    names
        .iter()
        .try_for_each(|name| run(program, &[name]).map(drop))
}
