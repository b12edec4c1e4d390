//! netloom turns one declaration of a host's networking (libvirt interface XML) into the
//! configuration its distribution actually uses, and does it safely.
//!
//! The layers, one way only: [`cli`] calls the engine, the engine calls [`backends`], and
//! backends read the validated [`model`] that [`xml`] produced. Inputs are checked once, at
//! the boundary; every problem is reported as `file:line:col` (see [`error`]), and every value
//! shown to a person goes through one escaping rule (see [`show`]).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod backend;
#[path = "../backends/mod.rs"]
pub mod backends;
pub mod cli;
pub mod engine;
pub mod error;
pub mod live;
pub mod model;
mod parallel;
pub mod plan;
pub mod port;
#[cfg(test)]
pub(crate) mod scaling;
pub mod show;
pub mod source;
pub mod syntax;
pub mod xml;

pub use error::{Diagnostic, Diagnostics, Error, LiveKind, RefusedKind, Result, UsageKind};
pub use source::SourceFile;
