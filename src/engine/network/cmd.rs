//! The host's tools for a network (through the live layer's one runner), and its sysctls.

use std::path::Path;

use crate::error::{Error, LiveKind};
pub(crate) use crate::live::cmd::{argv, failed, output, run_argv as run, shown};

/// Writes a sysctl under `/proc/sys` (the network namespace's own, for `net/…` keys).
pub(crate) fn write_sysctl(key: &str, value: &str) -> Result<(), Error> {
    let path = Path::new("/proc/sys").join(key);
    std::fs::write(&path, format!("{value}\n")).map_err(|e| {
        Error::live(
            LiveKind::Failed,
            format!("cannot set {}: {e}", path.display()),
        )
    })
}

/// Reads a sysctl, `None` when the kernel has no such key (IPv6 disabled).
pub(crate) fn read_sysctl(key: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/proc/sys").join(key))
        .ok()
        .map(|v| v.trim().to_owned())
}
