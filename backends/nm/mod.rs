//! NetworkManager: profiles rendered from the model, written as keyfiles under a root
//! (installers, no daemon) or sent to a running NetworkManager over D-Bus.

pub mod live;
pub mod settings;

pub use settings::{Settings, Value};
