//! A physical NIC.

use super::{Link, MacAddr};

/// The settings of an ethernet device, top-level or as a port or slave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ethernet {
    /// The hardware address that identifies the NIC (ifcfg's `HWADDR`).
    pub mac: Option<MacAddr>,
    /// The address the NIC is given instead of its own (ifcfg's `MACADDR`,
    /// NetworkManager's `cloned-mac-address`; `<nl:cloned-mac>`).
    pub cloned_mac: Option<MacAddr>,
    /// Reported link status.
    pub link: Option<Link>,
}
