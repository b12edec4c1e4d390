//! The contract between the engine and a backend.
//!
//! A backend turns the validated model into files relative to a target root, and reads such
//! files back. It is pure: no file system, clock or environment. The engine reads what the
//! backend says it needs ([`Backend::reads`]) into a [`Snapshot`] and hands it over, so a
//! backend's output can be tested byte for byte and shown as a diff before anything is
//! written. The trait is object-safe and `Sync` so that the registry in [`crate::backends`]
//! can be a static list every command iterates.

use std::collections::BTreeMap;

use crate::error::Diagnostics;
use crate::model::{Host, IfaceName};

/// What kind of object a backend renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// Host interfaces (ifcfg, Debian, NetworkManager, networkd).
    Interfaces,
}

/// One file a backend wants under the target root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Path relative to the target root, `/`-separated, without `..` (backends build it from
    /// validated names only).
    pub path: String,
    /// The whole content.
    pub contents: String,
    /// Permission bits, such as 0o644 or 0o600 for files holding secrets.
    pub mode: u32,
}

/// The files of a target root that a backend asked for, read by the engine: relative path to
/// text. A missing file is simply absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Relative path to contents.
    pub files: BTreeMap<String, String>,
}

/// Why a backend could not render or import.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// Existing native files could not be read; every problem is positioned.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// A template failed to render (a bug: templates only see checked values).
    #[error("template error in the {backend} backend")]
    Template {
        /// The backend's name.
        backend: &'static str,
        /// The cause.
        #[source]
        source: askama::Error,
    },
}

/// One backend: a way of writing host configuration.
pub trait Backend: Send + Sync {
    /// The stable id: the `--backend` value and the folder name under `backends/`,
    /// `templates/` and `golden/`.
    fn name(&self) -> &'static str;

    /// Whether this backend renders objects of `kind`.
    fn accepts(&self, kind: ObjectKind) -> bool;

    /// A path (relative to the root) whose presence says a system uses this backend, for
    /// detection when `--backend` is not given.
    fn marker(&self) -> Option<&'static str> {
        None
    }

    /// The files the engine reads into the snapshot, as `/`-separated relative patterns in
    /// which `*` matches any part of one path component (`etc/sysconfig/network-scripts/ifcfg-*`,
    /// `sys/class/net/*/address`). Patterns keep the reading bounded: a root may be `/`.
    fn scan(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether a relative path is one of this backend's files, so one it no longer renders
    /// may be removed.
    fn owns(&self, _path: &str) -> bool {
        false
    }

    /// The files for `host`, merged into what `existing` holds where the format is shared
    /// with the user. Pure and deterministic: sorted by path.
    fn render(&self, host: &Host, existing: &Snapshot) -> Result<Vec<RenderedFile>, BackendError>;

    /// Reads the existing native configuration back into the model. `names` limits it to
    /// those top-level interfaces (and what they contain); empty means all.
    fn import(&self, existing: &Snapshot, names: &[IfaceName]) -> Result<Host, BackendError>;
}
