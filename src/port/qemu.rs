//! QEMU `-netdev`/`-device` arguments for a guest's resolved interfaces, built the way
//! libvirt's qemu driver builds them, so a guest started by hand (or by another manager)
//! from `netloom port qemu-args` gets the same NICs, in the same PCI order, with the same
//! names as under libvirt: backend `hostnetN`, NIC `netN`, N the interface's index in the
//! document from 0.
//!
//! Only what QEMU itself does is here. The host side of a plug (attaching a tap to its
//! bridge, VLANs, bandwidth, the virtualport, a VF's MAC) is `engine::port`'s job, and
//! QEMU opens the taps itself (`script=no`: no helper script runs), so these arguments need
//! no file descriptor from anyone. What cannot work without one (macvtap) is refused.
//!
//! The values spliced into QEMU's `key=value,key=value` syntax are interface names, NIC
//! models, MAC addresses, IP addresses, ports and PCI addresses. A comma inside a value
//! would start another property, but none of those types can hold one (the newtypes refuse
//! it when they are read, see the tests), so nothing is escaped here. The NIC model is the
//! `-device` driver, where QEMU also reads `help` and `?` as a request to list its devices
//! and exit, and `{` as the start of JSON: [`NicModel`] refuses all three. The ids
//! (`hostnetN`, `netN`, `hostdevN`) are netloom's own, letter-first as QEMU wants them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::error::{Error, RefusedKind};
use crate::model::guest::{Guest, GuestInterface, GuestSource, GuestType, NicModel};
use crate::model::network::{PciAddress, Plug};
use crate::model::{IfaceName, MacAddr};

/// The arguments, and the NICs that must start with their link down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QemuArgs {
    /// Every argument, in order (`-netdev`, its value, `-device`, its value, ...).
    pub args: Vec<String>,
    /// The `id` of each NIC whose link must be set down before the guest runs.
    pub link_down: Vec<String>,
}

/// The NIC libvirt gives an x86 guest whose interface names no `<model>`, so a guest gets
/// the same hardware (and the same driver inside) with or without libvirt.
pub const DEFAULT_MODEL: &str = "rtl8139";

/// The arguments for `guest`'s interfaces, in document order: each interface gets its own
/// backend (never a shared hub, which would join NICs the guest expects to be apart) and
/// its NIC, so the NICs take PCI slots, and so names inside the guest, in that order.
///
/// Refused, naming the interface (1-based, with its MAC or target): an interface not yet
/// plugged (type network without `<actual>`, or without a MAC), a tap without
/// `<target dev>`, a macvtap (direct), a socket interface QEMU cannot open, and a target
/// two interfaces share.
///
/// An interface plugged into a PCI function (a hostdev pool) is `-device vfio-pci,host=...,
/// id=hostdevN`: the function is the NIC, so it has no netdev and no model, and no MAC
/// either: vfio-pci has no `mac` property, the VF's MAC is set on the host through its PF
/// (as libvirt does), which is the plug's job. For the same reason it cannot start with its
/// link down here (refused).
///
/// A socket client connects once, while QEMU starts (IPv4) or just after (IPv6 `stream`),
/// without retrying, as libvirt's `connect=` does: its server must already listen.
pub fn qemu_args(guest: &Guest) -> Result<QemuArgs, Error> {
    let mut out = QemuArgs::default();
    let mut taps: HashMap<&IfaceName, usize> = HashMap::new();
    for (index, iface) in guest.interfaces.iter().enumerate() {
        let backend = backend(index, iface)?;
        if let Backend::Netdev { tap: Some(dev), .. } = &backend
            && let Some(first) = taps.insert(dev, index)
        {
            return Err(refuse(
                index,
                iface,
                &format!(
                    "has target dev {dev}, like interface {}; QEMU cannot open one tap for two NICs",
                    first + 1
                ),
            ));
        }
        let mac = iface.mac.ok_or_else(|| {
            refuse(
                index,
                iface,
                "has no MAC address; `netloom port plug` fills it in: run it first and pass its output",
            )
        })?;
        let down = iface.kind == GuestType::Unplugged || iface.link_up == Some(false);
        match backend {
            Backend::Netdev { value, .. } => {
                let model = device_model(iface.model.as_ref());
                out.args.push("-netdev".into());
                out.args.push(value);
                out.args.push("-device".into());
                out.args.push(format!(
                    "{model},netdev=hostnet{index},id={},mac={mac}",
                    nic_id(index)
                ));
            }
            Backend::Nothing => {
                let model = device_model(iface.model.as_ref());
                out.args.push("-device".into());
                out.args.push(format!("{model},id=net{index},mac={mac}"));
            }
            Backend::Hostdev(address) => {
                if down {
                    return Err(refuse(
                        index,
                        iface,
                        "is a passed-through PCI function with <link state='down'/>; QEMU cannot set the link of a device it does not emulate",
                    ));
                }
                out.args.push("-device".into());
                out.args
                    .push(format!("vfio-pci,host={},id=hostdev{index}", pci(&address)));
                continue;
            }
        }
        if down {
            out.link_down.push(nic_id(index));
        }
    }
    Ok(out)
}

/// The arguments one per line, for `mapfile -t args < <(netloom port qemu-args g.xml)`:
/// no argument can hold a newline (the values are all restricted types), so lines are
/// arguments. The link-down NICs are not arguments; see [`qmp_link_down`].
pub fn to_text(args: &QemuArgs) -> String {
    let mut text = String::new();
    for arg in &args.args {
        text.push_str(arg);
        text.push('\n');
    }
    text
}

/// The QMP commands that set each link-down NIC's link down, one JSON object per NIC.
/// QEMU has no command-line property for a NIC's initial link state, so libvirt starts
/// QEMU with `-S` (CPUs stopped) and sends these before `cont`; a guest started from
/// [`qemu_args`] must do the same, or its NICs come up connected.
pub fn qmp_link_down(args: &QemuArgs) -> Vec<String> {
    // The ids are `netN`: nothing in them needs JSON escaping.
    args.link_down
        .iter()
        .map(|id| set_link(id, false))
        .collect()
}

/// What the CLI prints on stderr when some NICs must start with their link down (`None`
/// when none must): which, why, and the QMP commands to send.
pub fn link_down_note(args: &QemuArgs) -> Option<String> {
    if args.link_down.is_empty() {
        return None;
    }
    let mut note = format!(
        "note: NIC {} must start with its link down; QEMU has no option for that, so start it \
         with -S and a QMP monitor, send these after qmp_capabilities, then cont:\n",
        args.link_down.join(", ")
    );
    for cmd in qmp_link_down(args) {
        let _ = writeln!(note, "  {cmd}");
    }
    Some(note)
}

/// What connects one NIC to the host.
enum Backend<'a> {
    /// A `-netdev` value (with its `id`), and the tap it opens if it is one.
    Netdev {
        value: String,
        tap: Option<&'a IfaceName>,
    },
    /// A whole PCI function passed through: it is the NIC, with no backend.
    Hostdev(PciAddress),
    /// No backend: type `none`, a NIC whose cable is out.
    Nothing,
}

/// The backend of interface `index`, or why it has none QEMU could open.
fn backend(index: usize, iface: &GuestInterface) -> Result<Backend<'_>, Error> {
    let tap = || {
        let dev = iface.target.as_ref().ok_or_else(|| {
            refuse(
                index,
                iface,
                "has no <target dev>; a plug names the tap: run `netloom port plug` first and pass its output",
            )
        })?;
        Ok(Backend::Netdev {
            value: format!("tap,id=hostnet{index},ifname={dev},script=no,downscript=no"),
            tap: Some(dev),
        })
    };
    match iface.kind {
        GuestType::Network => match iface.actual.as_ref().map(|a| &a.plug) {
            None => Err(refuse(
                index,
                iface,
                "is not plugged; run `netloom port plug` and pass its output",
            )),
            Some(Plug::Bridge { .. }) => tap(),
            Some(Plug::Direct { .. }) => Err(macvtap(index, iface)),
            Some(Plug::HostdevPci {
                driver, address, ..
            }) => match driver.as_ref().map(|d| d.as_str()) {
                None | Some("vfio") => Ok(Backend::Hostdev(*address)),
                Some(other) => Err(refuse(
                    index,
                    iface,
                    &format!(
                        "is plugged into a PCI function with driver {other}; QEMU passes functions through with vfio only"
                    ),
                )),
            },
        },
        GuestType::Bridge | GuestType::Ethernet => tap(),
        GuestType::Direct => Err(macvtap(index, iface)),
        GuestType::User => Ok(Backend::Netdev {
            value: format!("user,id=hostnet{index}"),
            tap: None,
        }),
        GuestType::Server | GuestType::Client | GuestType::Mcast => {
            socket(index, iface).map(|value| Backend::Netdev { value, tap: None })
        }
        // A NIC that boots with no connection but names its device is to be plugged while
        // the guest runs: QEMU cannot give a realized NIC another netdev, so it boots with
        // its own tap (detached, its link down) and a runtime plug attaches that tap and
        // sets the link up over QMP.
        GuestType::Unplugged if iface.target.is_some() => tap(),
        GuestType::Unplugged => Ok(Backend::Nothing),
    }
}

/// The id of the QMP monitor netloom talks to (`port plug --qmp`).
pub const QMP_ID: &str = "netloom-qmp";

/// A QMP socket path as `--qmp` takes it: absolute (QEMU and netloom may run in different
/// directories), short enough for a unix socket address (107 bytes), without a comma
/// (QEMU's option syntax would read it as the next property) or a control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmpPath(String);

impl QmpPath {
    /// The most bytes of a unix socket path (`sun_path` less its NUL).
    pub const MAX_BYTES: usize = 107;

    /// Checks a path.
    pub fn parse(s: &str) -> Result<Self, crate::model::ValueError> {
        let bad = |why: &str| Err(crate::model::ValueError(format!("expected {why}")));
        if !s.starts_with('/') {
            return bad("an absolute path");
        }
        if s.len() > Self::MAX_BYTES {
            return bad("a path of at most 107 bytes, the most a unix socket address holds");
        }
        if s.chars().any(|c| c == ',' || c.is_control()) {
            return bad("a path without ',' (QEMU's option separator) or control characters");
        }
        Ok(QmpPath(s.to_owned()))
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for QmpPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The arguments that give QEMU the QMP monitor netloom connects to at `path`: a unix
/// socket QEMU listens on (without waiting for a client) and a control monitor on it.
pub fn qmp_args(path: &QmpPath) -> Vec<String> {
    vec![
        "-chardev".into(),
        format!("socket,id={QMP_ID},path={path},server=on,wait=off"),
        "-mon".into(),
        format!("chardev={QMP_ID},mode=control"),
    ]
}

/// The QMP command that sets NIC `id`'s link; the ids are `netN`, which need no JSON
/// escaping.
pub fn set_link(id: &str, up: bool) -> String {
    format!(r#"{{"execute":"set_link","arguments":{{"name":"{id}","up":{up}}}}}"#)
}

/// The QEMU id of the NIC of interface `index`.
pub fn nic_id(index: usize) -> String {
    format!("net{index}")
}

/// The `-netdev` value of a server, client or mcast interface. QEMU's `socket` backend
/// (libvirt's choice) parses IPv4 only (`[::1]:5555` is "can't resolve host address '['"
/// in QEMU 10), so an IPv6 server or client gets the `stream` backend (QEMU 7.2 and
/// later), which speaks the same framing; IPv6 multicast has no backend at all.
fn socket(index: usize, iface: &GuestInterface) -> Result<String, Error> {
    let GuestSource::Socket { address, port } = iface.source else {
        return Err(refuse(index, iface, "has no <source address port>"));
    };
    if port == 0 {
        return Err(refuse(
            index,
            iface,
            "has port 0; a peer could not know which port to use",
        ));
    }
    let id = format!("hostnet{index}");
    match (iface.kind, address) {
        (GuestType::Server, None) => Ok(format!("socket,id={id},listen=:{port}")),
        (GuestType::Server, Some(IpAddr::V4(a))) => Ok(format!("socket,id={id},listen={a}:{port}")),
        (GuestType::Client, Some(IpAddr::V4(a))) => {
            Ok(format!("socket,id={id},connect={a}:{port}"))
        }
        (GuestType::Server | GuestType::Client, Some(IpAddr::V6(a))) => {
            let server = if iface.kind == GuestType::Server {
                "on"
            } else {
                "off"
            };
            Ok(format!(
                "stream,id={id},server={server},addr.type=inet,addr.host={a},addr.port={port}"
            ))
        }
        (GuestType::Client, None) => Err(refuse(
            index,
            iface,
            "is a client without <source address>; it needs the server's address",
        )),
        (_, Some(IpAddr::V4(a))) if a.is_multicast() => {
            Ok(format!("socket,id={id},mcast={a}:{port}"))
        }
        (_, Some(IpAddr::V4(a))) => Err(refuse(
            index,
            iface,
            &format!("has mcast address {a}, which is not a multicast group (224.0.0.0/4)"),
        )),
        (_, Some(IpAddr::V6(a))) => Err(refuse(
            index,
            iface,
            &format!("has mcast address {a}; QEMU's multicast backends take IPv4 groups only"),
        )),
        (_, None) => Err(refuse(
            index,
            iface,
            "is mcast without <source address>; it needs the multicast group",
        )),
    }
}

/// The refusal of a macvtap: QEMU can only use one through an open `/dev/tapN` passed as
/// `fd=`, which a list of arguments cannot carry.
fn macvtap(index: usize, iface: &GuestInterface) -> Error {
    refuse(
        index,
        iface,
        "is a macvtap (direct); QEMU needs an open /dev/tapN file descriptor passed to it (fd=), which arguments alone cannot carry",
    )
}

/// QEMU's device for a `<model type>`, as libvirt maps it: the virtio names are libvirt's
/// own, every other model is already QEMU's device name.
fn device_model(model: Option<&NicModel>) -> &str {
    match model.map(NicModel::as_str) {
        None => DEFAULT_MODEL,
        Some("virtio") => "virtio-net-pci",
        Some("virtio-transitional") => "virtio-net-pci-transitional",
        Some("virtio-non-transitional") => "virtio-net-pci-non-transitional",
        Some(other) => other,
    }
}

/// `DDDD:BB:SS.F` in hex, as QEMU's `host=` takes it.
fn pci(a: &PciAddress) -> String {
    format!(
        "{:04x}:{:02x}:{:02x}.{:x}",
        a.domain, a.bus, a.slot, a.function
    )
}

/// A refusal naming interface `index` by its 1-based position and its MAC, else its target.
fn refuse(index: usize, iface: &GuestInterface, why: &str) -> Error {
    Error::refused(
        RefusedKind::Unsupported,
        format!("{} {why}", name(index, iface.mac, iface.target.as_ref())),
    )
}

/// `interface N (MAC)`, `interface N (target DEV)` or `interface N`.
fn name(index: usize, mac: Option<MacAddr>, target: Option<&IfaceName>) -> String {
    let n = index + 1;
    match (mac, target) {
        (Some(mac), _) => format!("interface {n} ({mac})"),
        (None, Some(dev)) => format!("interface {n} (target {dev})"),
        (None, None) => format!("interface {n}"),
    }
}

#[cfg(test)]
mod tests;
