//! The contract between the engine and a backend.
//!
//! A backend turns the validated model into files relative to a target root, and reads such
//! files back. It is pure: no file system, clock or environment. The engine reads what the
//! backend says it needs ([`Backend::reads`]) into a [`Snapshot`] and hands it over, so a
//! backend's output can be tested byte for byte and shown as a diff before anything is
//! written. The trait is object-safe and `Sync` so that the registry in [`crate::backends`]
//! can be a static list every command iterates.

use std::collections::BTreeMap;

use crate::error::Diagnostic;
pub use crate::error::{BackendError, Refusal};
use crate::model::network::Network;
use crate::model::{Host, IfaceName};
pub use crate::model::{Imported, Note, NoteKind};
pub use crate::plan::RenderedFile;

/// The files of a target root that a backend asked for, read by the engine: relative path to
/// text. A missing file is simply absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Relative path to contents.
    pub files: BTreeMap<String, String>,
    /// Files that matched but are not UTF-8, each with the problem positioned at its first
    /// bad byte: a backend that reads or edits one must refuse it with that diagnostic rather
    /// than take it for absent, since netloom cannot keep bytes it could not read.
    pub binary: BTreeMap<String, Diagnostic>,
}

/// What [`Backend::undefine`] changes: files rewritten without the interface, and paths
/// deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// Files to write, sorted by path.
    pub files: Vec<RenderedFile>,
    /// Paths to delete.
    pub removed: Vec<String>,
}

/// How detection tells that a backend's service or tool is at work on the running host,
/// without asking an init system (which a container or an installer may not have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Running {
    /// A daemon that is running when a process of this name (`/proc/PID/comm`) is: a pid
    /// file is not written by a daemon run in the foreground, as systemd runs them.
    Process(&'static str),
    /// A tool that leaves a state file (relative to the root) with one `NAME=…` line per
    /// interface it brought up: at work when the file names an interface other than `lo`.
    StateFile(&'static str),
}

/// One backend: a way of writing host configuration.
pub trait Backend: Send + Sync {
    /// The stable id: the `--backend` value and the folder name under `backends/`,
    /// `templates/` and `golden/`.
    fn name(&self) -> &'static str;

    /// Whether a user chooses it: `netloom backends` and the list of names an error offers
    /// show it. A backend that exists for the tests says no; `--backend` still reaches it,
    /// and `backends` still shows it on a root that has its files.
    fn listed(&self) -> bool {
        true
    }

    /// A path (relative to the root) whose presence says a system uses this backend, for
    /// detection when `--backend` is not given.
    fn marker(&self) -> Option<&'static str> {
        None
    }

    /// How to tell that this backend's service or tool is at work on the running host, which
    /// breaks a tie in detection on `--root /` (two backends' files there, neither
    /// configuring an interface).
    fn running(&self) -> Option<Running> {
        None
    }

    /// Whether this backend's service manages every device that no file configures
    /// (NetworkManager does): a root with its files and another backend's that configure
    /// nothing is then this backend's.
    fn manages_unconfigured(&self) -> bool {
        false
    }

    /// The files the engine reads into the snapshot, as `/`-separated relative patterns in
    /// which `*` matches any part of one path component (`etc/sysconfig/network-scripts/ifcfg-*`,
    /// `sys/class/net/*/address`). Patterns keep the reading bounded: a root may be `/`.
    fn scan(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether an existing file is one of this backend's, so one it no longer renders may be
    /// removed. Most backends can tell by the path alone; one that writes into a directory
    /// it shares with the user (Debian's `interfaces.d`) also looks at the text, which is
    /// `None` for a file that is not UTF-8.
    fn owns(&self, _path: &str, _text: Option<&str>) -> bool {
        false
    }

    /// The files for `host`, merged into what `existing` holds where the format is shared
    /// with the user. Pure and deterministic: sorted by path.
    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError>;

    /// What removing `target` (one top-level interface with its ports and slaves, as
    /// [`Backend::import`] gave it back) changes: the files to write instead and the paths to
    /// delete. The default suits backends whose files each hold one interface: it renders
    /// the rest of the host and keeps only the files `target` had. A backend that shares
    /// files with the user overrides it to remove just `target`'s definitions.
    fn undefine(&self, existing: &Snapshot, target: &Host) -> Result<Removal, BackendError> {
        let own: std::collections::BTreeSet<String> = self
            .render(target, existing)?
            .into_iter()
            .map(|f| f.path)
            .filter(|p| existing.files.contains_key(p))
            .collect();
        let mut rest = self.import(existing, &[])?;
        rest.interfaces
            .retain(|i| !target.interfaces.iter().any(|t| t.name == i.name));
        let files: Vec<RenderedFile> = self
            .render(&rest, existing)?
            .into_iter()
            .filter(|f| own.contains(&f.path))
            .collect();
        let removed = own
            .iter()
            .filter(|p| !files.iter().any(|k| &k.path == *p))
            .cloned()
            .collect();
        Ok(Removal { files, removed })
    }

    /// Reads the existing native configuration back into the model. `names` limits it to
    /// those top-level interfaces (and what they contain); empty means all. What the model
    /// cannot hold is left out, and [`Backend::import_noted`] says what.
    fn import(&self, existing: &Snapshot, names: &[IfaceName]) -> Result<Host, BackendError> {
        self.import_noted(existing, names).map(|i| i.host)
    }

    /// [`Backend::import`], with a note for every file, profile or stanza skipped (a kind
    /// the model does not hold) and every setting kept in the files but not imported. With
    /// `names`, only the notes of what those interfaces are read from.
    fn import_noted(
        &self,
        existing: &Snapshot,
        names: &[IfaceName],
    ) -> Result<Imported, BackendError>;

    /// The live half, for a running host: a service that keeps the configuration, or a way
    /// to bring the files up (see [`crate::live`]). `None`: files only.
    fn live(&self) -> Option<&dyn crate::live::Live> {
        None
    }
}

/// Where a network's files say its other files are: the directory dnsmasq reads the hosts
/// files from, as an absolute path on the target system. It is a parameter so output can
/// be compared with libvirt's (`/var/lib/libvirt/dnsmasq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetContext {
    /// Absolute directory of the dnsmasq files, without a trailing `/`.
    pub dnsmasq_dir: String,
    /// The pid file dnsmasq writes, when netloom starts it (`net start`); `None` when only
    /// rendering, as libvirt's own conf tests do.
    pub pid_file: Option<String>,
}

use crate::model::network::DNSMASQ_LINE_MAX;

impl NetContext {
    /// Checks the paths dnsmasq is given, once for every caller: absolute (dnsmasq changes
    /// to `/` before it writes its pid file), without control characters (a line break
    /// would start a new option) or commas (which end a value in several options). A
    /// trailing `/` of the directory is dropped.
    pub fn new(dnsmasq_dir: &str, pid_file: Option<&str>) -> Result<Self, String> {
        let dir = dnsmasq_dir.trim_end_matches('/');
        for path in std::iter::once(dir).chain(pid_file) {
            if !path.starts_with('/') || path.chars().any(|c| c.is_control() || c == ',') {
                return Err(format!(
                    "'{path}' is not an absolute path without commas or control characters"
                ));
            }
        }
        // The longest line a path goes into: the hosts file of a network whose name is the
        // longest stem written the longest way (a comma makes the value quoted, and inside
        // quotes each backslash is doubled). dnsmasq takes the rest of a longer line as an
        // option of its own.
        let stem = format!(
            ",{}",
            "\\".repeat(crate::model::network::NetName::MAX_STEM - 1)
        );
        let hosts = format!("{dir}/{stem}.hostsfile");
        let lines = [
            ("dhcp-hostsfile=", Some(hosts.as_str()), dir),
            ("pid-file=", pid_file, pid_file.unwrap_or_default()),
        ];
        for (option, path, given) in lines {
            let Some(path) = path else { continue };
            let len = option.len() + crate::syntax::dnsmasq::value(path).len();
            if len > DNSMASQ_LINE_MAX {
                return Err(format!(
                    "'{given}' is too long for dnsmasq: a network's {option} line could be \
                     {len} bytes, and dnsmasq reads at most {DNSMASQ_LINE_MAX} as one line"
                ));
            }
        }
        Ok(Self {
            dnsmasq_dir: dir.to_owned(),
            pid_file: pid_file.map(str::to_owned),
        })
    }
}

impl Default for NetContext {
    fn default() -> Self {
        Self {
            dnsmasq_dir: "/var/lib/netloom/dnsmasq".into(),
            pid_file: None,
        }
    }
}

/// One backend of virtual networks: dnsmasq configuration or a firewall's rules. Pure like
/// [`Backend`]: it turns a validated network into files relative to the target root.
pub trait NetBackend: Send + Sync {
    /// The stable id, also the folder under `backends/` and `golden/`.
    fn name(&self) -> &'static str;

    /// The files for `net`, sorted by path. A network that needs none of this backend's
    /// files (a firewall for a host-bridge network) gives an empty list.
    fn render(&self, net: &Network, ctx: &NetContext) -> Result<Vec<RenderedFile>, BackendError>;
}
