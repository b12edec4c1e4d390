//! Running the host's tools (`ip`, `nft`, `iptables-restore`, `tc`, `dnsmasq`, `kill`) for a
//! network, in whatever network namespace netloom itself runs in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Error;

/// What a tool printed, and whether it succeeded.
#[derive(Debug)]
pub(crate) struct Output {
    /// Exit status 0.
    pub ok: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// The command line as a user would type it, for messages.
pub(crate) fn shown(argv: &[String]) -> String {
    argv.join(" ")
}

/// Where `program` is: on `PATH`, else in the system directories a non-login root shell may
/// lack (`ip` and `dnsmasq` live in `/usr/sbin`).
fn locate(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(program))
}

/// Whether `program` can be found at all.
pub(crate) fn exists(program: &str) -> bool {
    locate(program).is_absolute()
}

/// Runs `argv`, feeding `stdin`; returns its output whatever its exit status.
pub(crate) fn output(argv: &[String], stdin: Option<&str>) -> Result<Output, Error> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::Live("an empty command line".into()));
    };
    let cannot = |e: std::io::Error| Error::Live(format!("cannot run `{}`: {e}", shown(argv)));
    let mut child = Command::new(locate(program))
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
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs `argv` and returns its standard output, or fails with its error output.
pub(crate) fn run(argv: &[String], stdin: Option<&str>) -> Result<String, Error> {
    let out = output(argv, stdin)?;
    if out.ok {
        Ok(out.stdout)
    } else {
        Err(failed(argv, &out))
    }
}

/// The error of a command that exited non-zero.
pub(crate) fn failed(argv: &[String], out: &Output) -> Error {
    let why = match (out.stderr.trim(), out.stdout.trim()) {
        ("", "") => "it exited non-zero without a message".to_owned(),
        ("", said) | (said, _) => said.lines().take(8).collect::<Vec<_>>().join("; "),
    };
    Error::Live(format!("`{}` failed: {why}", shown(argv)))
}

/// An argument vector from words.
pub(crate) fn argv<S: AsRef<str>>(words: &[S]) -> Vec<String> {
    words.iter().map(|w| w.as_ref().to_owned()).collect()
}

/// Writes a sysctl under `/proc/sys` (the network namespace's own, for `net/…` keys).
pub(crate) fn write_sysctl(key: &str, value: &str) -> Result<(), Error> {
    let path = Path::new("/proc/sys").join(key);
    std::fs::write(&path, format!("{value}\n"))
        .map_err(|e| Error::Live(format!("cannot set {}: {e}", path.display())))
}

/// Reads a sysctl, `None` when the kernel has no such key (IPv6 disabled).
pub(crate) fn read_sysctl(key: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/proc/sys").join(key))
        .ok()
        .map(|v| v.trim().to_owned())
}
