//! The contract between the engine and a backend.
//!
//! A backend turns the validated model into files relative to a target root. It is pure: no
//! file system, clock or environment, so its output can be tested byte for byte and shown as
//! a diff before anything is written. The trait is object-safe and `Sync` so that the
//! registry in [`crate::backends`] can be a static list every command iterates.

/// What kind of object a backend renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    /// Host interfaces (ifcfg, Debian, NetworkManager, networkd).
    Interfaces,
}

/// One backend: a way of writing host or network configuration.
pub trait Backend: Send + Sync {
    /// The stable id: the `--backend` value and the folder name under `backends/`,
    /// `templates/` and `golden/`.
    fn name(&self) -> &'static str;

    /// Whether this backend renders objects of `kind`.
    fn accepts(&self, kind: ObjectKind) -> bool;
}
