//! QEMU `-netdev`/`-device` arguments for a guest's resolved interfaces.

use crate::error::Error;
use crate::model::guest::Guest;

/// The arguments, and the NICs that must start with their link down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QemuArgs {
    /// Every argument, in order (`-netdev`, its value, `-device`, its value, ...).
    pub args: Vec<String>,
    /// The `id` of each NIC whose link must be set down before the guest runs.
    pub link_down: Vec<String>,
}

/// The arguments for `guest`'s interfaces, in document order.
pub fn qemu_args(guest: &Guest) -> Result<QemuArgs, Error> {
    let _ = guest;
    Err(Error::Refused("not written yet".into()))
}

/// One argument per line.
pub fn to_text(args: &QemuArgs) -> String {
    args.args.iter().map(|a| format!("{a}\n")).collect()
}

/// QMP commands setting each link-down NIC's link down.
pub fn qmp_link_down(args: &QemuArgs) -> Vec<String> {
    args.link_down
        .iter()
        .map(|id| format!(r#"{{"execute":"set_link","arguments":{{"name":"{id}","up":false}}}}"#))
        .collect()
}
