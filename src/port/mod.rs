//! Guest ports, the pure half: resolving a guest interface against a running network
//! (portgroup, virtualport merge, pool device allocation, MAC), counting usage from the
//! plugged ports, and QEMU's arguments for resolved interfaces. Nothing here touches the
//! disk or the host; `engine::port` stores ports and connects devices.

mod allocate;
mod count;
mod mac;
mod merge;
mod pool;
pub mod qemu;
#[cfg(test)]
mod testutil;

pub use allocate::{actual, allocate};
pub use count::count;
pub use mac::new_mac;
pub use merge::merge_virtualport;
