//! Guest ports, the pure half: resolving a guest interface against a running network
//! (portgroup, virtualport merge, pool device allocation, MAC), counting usage from the
//! plugged ports, and QEMU's arguments for resolved interfaces. Nothing here touches the
//! disk or the host; `engine::port` stores ports and connects devices.

mod allocate;
mod merge;
pub mod qemu;

pub use allocate::{actual, allocate, count, new_mac};
pub use merge::merge_virtualport;
