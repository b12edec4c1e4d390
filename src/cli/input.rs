//! Reading the files named on the command line, `-` being standard input.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Diagnostic, Diagnostics, Error, Result};
use crate::model::Host;
use crate::model::network::Network;
use crate::source::{self, SourceFile};
use crate::xml;

/// The name standard input is reported under.
pub(super) const STDIN: &str = "<stdin>";

/// The most bytes read of one input (`--max-input-size`). Set once, before the verb runs,
/// by [`super::run`]: every verb reads its files through this module, and a setting held
/// here spares each of them passing it down.
static MAX_SIZE: AtomicU64 = AtomicU64::new(source::DEFAULT_MAX_INPUT);

/// Sets the most bytes read of one input.
pub(super) fn set_max_size(bytes: u64) {
    MAX_SIZE.store(bytes, Ordering::Relaxed);
}

/// The bytes of one input: a file, or standard input for `-`, read under the size limit.
fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    let limit = MAX_SIZE.load(Ordering::Relaxed);
    if path.as_os_str() == "-" {
        source::read_bounded(std::io::stdin().lock(), limit)
    } else {
        source::read_file_bounded(path, limit)
    }
}

/// The name a path is reported under.
pub(super) fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        STDIN.to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads every input; one that cannot be read (or is not UTF-8) becomes a diagnostic, so the
/// others are still checked in the same run.
pub(super) fn read_all(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<Diagnostic>) {
    let mut sources = Vec::with_capacity(paths.len());
    let mut problems = Vec::new();
    let mut stdin_used = false;
    let mut seen = Vec::new();
    for path in paths {
        let name = display_name(path);
        // The same file twice would define each of its interfaces twice; say what happened.
        if let Ok(real) = std::fs::canonicalize(path) {
            if seen.contains(&real) {
                problems.push(Diagnostic::new(
                    name,
                    None,
                    "this file is given more than once",
                ));
                continue;
            }
            seen.push(real);
        }
        if path.as_os_str() == "-" {
            if stdin_used {
                problems.push(Diagnostic::new(
                    name,
                    None,
                    "standard input is given more than once",
                ));
                continue;
            }
            stdin_used = true;
        }
        match read_input(path) {
            Ok(bytes) => match SourceFile::from_bytes(name, bytes) {
                Ok(src) => sources.push(src),
                Err(d) => problems.push(*d),
            },
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                problems.push(Diagnostic::new(name, None, e.to_string()));
            }
            Err(e) => problems.push(Diagnostic::new(name, None, format!("cannot read: {e}"))),
        }
    }
    (sources, problems)
}

/// The host the inputs describe together, or every problem in all of them.
pub(super) fn load(paths: &[PathBuf]) -> Result<Host> {
    let (sources, problems) = read_all(paths);
    host_of(&sources, problems)
}

/// The host `sources` describe together, or every problem in them and the `problems` met
/// while reading them.
pub(super) fn host_of(sources: &[SourceFile], mut problems: Vec<Diagnostic>) -> Result<Host> {
    match xml::read_host(sources) {
        Ok(host) if problems.is_empty() => Ok(host),
        Ok(_) => Err(Error::Invalid(Diagnostics(problems))),
        Err(found) => {
            problems.extend(found.0);
            Err(Error::Invalid(Diagnostics(problems)))
        }
    }
}

/// The inputs split by what their root element says they are: network XML (`<network>`)
/// or interface XML (`<interface>`, `<interfaces>`, and anything else, whose error the
/// interface reader gives).
pub(super) fn split_kinds(sources: Vec<SourceFile>) -> (Vec<SourceFile>, Vec<SourceFile>) {
    sources
        .into_iter()
        .partition(|s| xml::is_network_document(s.text()))
}

/// Every network of the given files (one per file) and the host the interface files
/// describe together, or every problem in all of them.
pub(super) fn read_mixed(
    sources: Vec<SourceFile>,
) -> (Vec<Network>, Option<Host>, Vec<Diagnostic>) {
    let (networks, interfaces) = split_kinds(sources);
    let mut problems = Vec::new();
    let mut nets = Vec::with_capacity(networks.len());
    for src in &networks {
        match xml::read_network(src) {
            Ok(n) => nets.push(n),
            Err(found) => problems.extend(found.0),
        }
    }
    let host = if interfaces.is_empty() {
        None
    } else {
        match xml::read_host(&interfaces) {
            Ok(h) => Some(h),
            Err(found) => {
                problems.extend(found.0);
                None
            }
        }
    };
    (nets, host, problems)
}

/// The one network a file holds, or every problem in it.
pub(super) fn load_network(path: &Path) -> Result<Network> {
    let (sources, mut problems) = read_all(std::slice::from_ref(&path.to_path_buf()));
    for src in &sources {
        match xml::read_network(src) {
            Ok(net) if problems.is_empty() => return Ok(net),
            Ok(_) => {}
            Err(found) => problems.extend(found.0),
        }
    }
    Err(Error::Invalid(Diagnostics(problems)))
}
