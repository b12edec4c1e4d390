//! NetworkManager: profiles rendered from the model, written as keyfiles under a root
//! (installers, no daemon) or sent to a running NetworkManager over D-Bus.
//!
//! The halves share [`render::profiles`] (the model to [`Settings`]).

pub mod render;
pub mod settings;

pub use settings::{Settings, Value};
