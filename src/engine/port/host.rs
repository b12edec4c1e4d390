//! The host side of a guest's interfaces, in the network namespace netloom runs in: the tap
//! on a bridge, the macvtap on a pool device, or a device left detached with its link down.
//! Each change is recorded so that a plug that fails later can put things back.

use std::collections::BTreeSet;

use crate::engine::network::cmd::{self, argv};
use crate::error::Error;
use crate::model::guest::{GuestInterface, GuestSource, GuestType};
use crate::model::network::{MacvtapMode, Plug};
use crate::model::{IfaceName, MacAddr};

/// What a guest interface needs on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// Nothing netloom makes (user, sockets, PCI passthrough).
    Nothing,
    /// A tap (or any device, such as a veth end) attached to `bridge`, or to nothing for
    /// type ethernet.
    Tap {
        /// The device.
        dev: IfaceName,
        /// The bridge.
        bridge: Option<IfaceName>,
        /// Link up.
        up: bool,
    },
    /// A macvtap on `lower`.
    Macvtap {
        /// The device.
        dev: IfaceName,
        /// The pool device.
        lower: IfaceName,
        /// The mode.
        mode: MacvtapMode,
        /// Link up.
        up: bool,
    },
    /// A NIC with no backend: its host device, if there is one, detached and down.
    Detached {
        /// The device.
        dev: IfaceName,
    },
}

impl Wanted {
    /// What `iface` (resolved) needs.
    pub fn of(iface: &GuestInterface) -> Wanted {
        let up = iface.link_up != Some(false);
        let Some(dev) = iface.target.clone() else {
            return Wanted::Nothing;
        };
        let actual = iface.actual.as_ref().map(|a| &a.plug);
        match (iface.kind, &iface.source, actual) {
            (GuestType::Network, _, Some(Plug::Bridge { bridge, .. })) => Wanted::Tap {
                dev,
                bridge: Some(bridge.clone()),
                up,
            },
            (GuestType::Network, _, Some(Plug::Direct { dev: lower, mode })) => Wanted::Macvtap {
                dev,
                lower: lower.clone(),
                mode: *mode,
                up,
            },
            (GuestType::Bridge, GuestSource::Bridge { bridge }, _) => Wanted::Tap {
                dev,
                bridge: Some(bridge.clone()),
                up,
            },
            (GuestType::Direct, GuestSource::Direct { dev: lower, mode }, _) => Wanted::Macvtap {
                dev,
                lower: lower.clone(),
                mode: mode.unwrap_or(MacvtapMode::Vepa),
                up,
            },
            (GuestType::Ethernet, _, _) => Wanted::Tap {
                dev,
                bridge: None,
                up,
            },
            (GuestType::Unplugged, _, _) => Wanted::Detached { dev },
            _ => Wanted::Nothing,
        }
    }
}

/// One change made to the host, to be undone when the plug fails.
#[derive(Debug, Clone)]
enum Done {
    /// A device made.
    Made(String),
    /// A device attached to a bridge and set up.
    Attached(String),
}

/// The changes of one command, in order.
#[derive(Debug, Default)]
pub(crate) struct HostChanges {
    done: Vec<Done>,
    /// Devices made, for the guest record.
    pub made: Vec<String>,
}

/// `ip WORDS…`.
fn ip(words: &[&str]) -> Result<String, Error> {
    let mut all = vec!["ip"];
    all.extend_from_slice(words);
    cmd::run(&argv(&all), None)
}

/// The names of the devices here.
pub(crate) fn devices() -> BTreeSet<String> {
    crate::engine::network::link::devices()
}

/// The kind of an existing device (`ip -d link`'s `info_kind`: `tun`, `veth`, `macvtap`,
/// `bridge`…); `None` for a device without one (a physical NIC, `lo`) or none at all.
pub(crate) fn kind(dev: &str) -> Option<String> {
    let out = ip(&["-d", "-j", "link", "show", "dev", dev]).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&out).ok()?;
    doc.get(0)?
        .get("linkinfo")?
        .get("info_kind")?
        .as_str()
        .map(str::to_owned)
}

/// The kinds of existing device a guest's `<target dev>` may name: what QEMU or a test
/// harness made for the guest. Anything else (a NIC, a bridge, a VLAN) belongs to the host
/// and is never attached, detached or taken down for a guest.
pub(crate) const GUEST_KINDS: &[&str] = &["tun", "veth", "macvtap"];

/// The bridge a device is attached to, if any.
fn master(dev: &str) -> Option<String> {
    let out = ip(&["-j", "link", "show", "dev", dev]).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&out).ok()?;
    doc.get(0)?.get("master")?.as_str().map(str::to_owned)
}

/// The tap's own MAC: the guest's with the first byte 0xfe, as libvirt sets it, so the
/// bridge never takes the guest's address as its own and the tap is never a bridge's
/// lowest MAC.
fn tap_mac(mac: MacAddr) -> String {
    let o = mac.octets();
    format!(
        "fe:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        o[1], o[2], o[3], o[4], o[5]
    )
}

impl HostChanges {
    /// Makes the host match `want` for a guest NIC with `mac`; `have` are the devices
    /// present before the command.
    pub fn ensure(
        &mut self,
        want: &Wanted,
        mac: Option<MacAddr>,
        have: &BTreeSet<String>,
    ) -> Result<(), Error> {
        match want {
            Wanted::Nothing => Ok(()),
            Wanted::Detached { dev } => {
                if have.contains(dev.as_str()) {
                    detach(dev.as_str())?;
                }
                Ok(())
            }
            Wanted::Tap { dev, bridge, up } => {
                let d = dev.as_str();
                if !have.contains(d) {
                    ip(&["tuntap", "add", "dev", d, "mode", "tap", "vnet_hdr"])?;
                    self.done.push(Done::Made(d.to_owned()));
                    self.made.push(d.to_owned());
                    if let Some(mac) = mac {
                        ip(&["link", "set", "dev", d, "address", &tap_mac(mac)])?;
                    }
                }
                if let Some(b) = bridge {
                    if !devices().contains(b.as_str()) {
                        return Err(Error::Live(format!(
                            "bridge '{b}' does not exist (for device '{d}')"
                        )));
                    }
                    if master(d).as_deref() != Some(b.as_str()) {
                        ip(&["link", "set", "dev", d, "master", b.as_str()])?;
                        self.done.push(Done::Attached(d.to_owned()));
                    }
                }
                ip(&["link", "set", "dev", d, if *up { "up" } else { "down" }])?;
                Ok(())
            }
            Wanted::Macvtap {
                dev,
                lower,
                mode,
                up,
            } => {
                let d = dev.as_str();
                if !have.contains(d) {
                    if !devices().contains(lower.as_str()) {
                        return Err(Error::Live(format!(
                            "device '{lower}' does not exist (for macvtap '{d}')"
                        )));
                    }
                    let mode = match mode {
                        MacvtapMode::Passthrough => "passthru",
                        m => m.as_str(),
                    };
                    let mut words = vec!["link", "add", "link", lower.as_str(), "name", d];
                    let mac_text = mac.map(|m| m.to_string());
                    if let Some(m) = &mac_text {
                        words.extend(["address", m.as_str()]);
                    }
                    words.extend(["type", "macvtap", "mode", mode]);
                    ip(&words)?;
                    self.done.push(Done::Made(d.to_owned()));
                    self.made.push(d.to_owned());
                }
                ip(&["link", "set", "dev", d, if *up { "up" } else { "down" }])?;
                Ok(())
            }
        }
    }

    /// Puts back what this command did, last first, as far as possible.
    pub fn undo(self) -> Vec<String> {
        let mut failed = Vec::new();
        for step in self.done.into_iter().rev() {
            let result = match &step {
                Done::Made(d) => ip(&["link", "del", "dev", d]).map(drop),
                Done::Attached(d) => detach(d),
            };
            if let Err(e) = result {
                failed.push(e.to_string());
            }
        }
        failed
    }
}

/// Takes a device off its bridge and its link down, keeping the device.
pub(crate) fn detach(dev: &str) -> Result<(), Error> {
    if master(dev).is_some() {
        ip(&["link", "set", "dev", dev, "nomaster"])?;
    }
    ip(&["link", "set", "dev", dev, "down"]).map(drop)
}

/// Removes a device netloom made; one already gone (its guest took it along, or the host
/// rebooted) is fine.
pub(crate) fn remove(dev: &str) -> Result<(), Error> {
    if !devices().contains(dev) {
        return Ok(());
    }
    ip(&["link", "del", "dev", dev]).map(drop)
}

/// A device name `PREFIXn` with the lowest n not in `taken`.
pub(crate) fn free_name(prefix: &str, taken: &BTreeSet<String>) -> Result<IfaceName, Error> {
    (0..65536)
        .map(|n| format!("{prefix}{n}"))
        .find(|n| !taken.contains(n))
        .and_then(|n| IfaceName::parse(&n).ok())
        .ok_or_else(|| Error::Refused(format!("no free device name of the form {prefix}N")))
}
