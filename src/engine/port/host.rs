//! The host side of a guest's interfaces, in the network namespace netloom runs in: the tap
//! on a bridge, the macvtap on a pool device, or a device left detached with its link down.
//! Each change is recorded so that a plug that fails later can put things back.

use std::collections::BTreeSet;

use crate::error::{Error, LiveKind, RefusedKind};
use crate::live::cmd::{argv, run_argv};
use crate::live::kernel;
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
        /// Whether the guest's MAC goes on `lower` too (passthrough), whose own MAC is
        /// saved and put back when the interface gives the device up.
        lend_mac: bool,
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
                lend_mac: *mode == MacvtapMode::Passthrough,
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
                lend_mac: *mode == Some(MacvtapMode::Passthrough),
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
    /// A device netloom had made for an earlier connection of the NIC, removed to be made
    /// anew (a tap that must become a macvtap, a macvtap on another device): it cannot be
    /// given back.
    Removed(String),
    /// A device attached to a bridge (it was on `was`, or on none).
    Attached(String, Option<String>),
    /// A device taken off bridge `was`.
    Detached(String, String),
    /// A device's link set up or down; `was` it up before.
    Link(String, bool),
    /// A device's MAC changed; what it was.
    Mac(String, String),
}

/// The changes of one command, in order.
#[derive(Debug, Default)]
pub(crate) struct HostChanges {
    done: Vec<Done>,
}

/// `ip WORDS…`.
fn ip(words: &[&str]) -> Result<String, Error> {
    let mut all = vec!["ip"];
    all.extend_from_slice(words);
    run_argv(&argv(&all), None)
}

/// The names of the devices here.
pub(crate) fn devices() -> Result<BTreeSet<String>, Error> {
    kernel::devices()
}

/// What `ip -d link` says of an existing device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Device {
    /// `info_kind`: `tun`, `veth`, `macvtap`, `bridge`…; `None` for a physical NIC or `lo`.
    pub kind: Option<String>,
    /// The lower device (a macvtap's), or a veth's peer.
    pub link: Option<String>,
    /// A macvtap's mode as the kernel spells it (`passthru`).
    pub mode: Option<String>,
    /// Its MAC.
    pub address: Option<String>,
    /// The bridge it is attached to.
    pub master: Option<String>,
    /// Whether its link is set up.
    pub up: bool,
}

/// The device `dev`, `None` when there is none.
pub(crate) fn device(dev: &str) -> Option<Device> {
    let out = ip(&["-d", "-j", "link", "show", "dev", dev]).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&out).ok()?;
    let l = doc.get(0)?;
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    let info = l.get("linkinfo");
    Some(Device {
        kind: text(info.and_then(|i| i.get("info_kind"))),
        link: text(l.get("link")),
        mode: text(
            info.and_then(|i| i.get("info_data"))
                .and_then(|d| d.get("mode")),
        ),
        address: text(l.get("address")),
        master: text(l.get("master")),
        up: l
            .get("flags")
            .and_then(|f| f.as_array())
            .is_some_and(|f| f.iter().any(|x| x == "UP")),
    })
}

/// The kinds of existing device a guest's `<target dev>` may name: what QEMU or a test
/// harness made for the guest. Anything else (a NIC, a bridge, a VLAN) belongs to the host
/// and is never attached, detached or taken down for a guest.
pub(crate) const GUEST_KINDS: &[&str] = &["tun", "veth", "macvtap"];

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

/// The kernel's spelling of a macvtap mode.
fn kernel_mode(mode: MacvtapMode) -> &'static str {
    match mode {
        MacvtapMode::Passthrough => "passthru",
        m => m.as_str(),
    }
}

impl HostChanges {
    /// Makes the host match `want` for a guest NIC with `mac`. `made` are the devices
    /// netloom made for this guest before: only those may be removed and made anew when
    /// they no longer fit (a tap where a macvtap is wanted, another lower device or MAC).
    pub fn ensure(
        &mut self,
        want: &Wanted,
        mac: Option<MacAddr>,
        made: &BTreeSet<String>,
    ) -> Result<(), Error> {
        match want {
            Wanted::Nothing => Ok(()),
            Wanted::Detached { dev } => self.ensure_detached(dev.as_str()),
            Wanted::Tap { dev, bridge, up } => {
                self.ensure_tap(dev.as_str(), bridge.as_ref(), *up, mac, made)
            }
            Wanted::Macvtap {
                dev,
                lower,
                mode,
                lend_mac,
                up,
            } => {
                let mac_text = mac.map(|m| m.to_string());
                // A passthrough macvtap takes its device's MAC when it is made, so the
                // guest's goes on the device first, as libvirt does.
                if let Some(m) = mac_text.as_ref().filter(|_| *lend_mac) {
                    self.lend_mac(lower.as_str(), m)?;
                }
                let d = dev.as_str();
                let have = self.fitting_macvtap(d, lower, *mode, mac_text.as_deref(), made)?;
                let have = match have {
                    Some(h) => h,
                    None => self.make_macvtap(d, lower, *mode, mac_text.as_deref())?,
                };
                self.link(d, &have, *up)
            }
        }
    }

    /// A device the guest brought: off any bridge, and its link down, so it carries nothing
    /// until the guest is plugged to something again. One that is gone needs nothing.
    fn ensure_detached(&mut self, d: &str) -> Result<(), Error> {
        let Some(have) = device(d) else {
            return Ok(());
        };
        if let Some(was) = have.master.clone() {
            ip(&["link", "set", "dev", d, "nomaster"])?;
            self.done.push(Done::Detached(d.to_owned(), was));
        }
        self.link(d, &have, false)
    }

    /// A tap `d` (made when missing, replaced when another kind holds the name), with the
    /// tap side of `mac` when netloom made it, on `bridge` when one is given.
    fn ensure_tap(
        &mut self,
        d: &str,
        bridge: Option<&IfaceName>,
        up: bool,
        mac: Option<MacAddr>,
        made: &BTreeSet<String>,
    ) -> Result<(), Error> {
        let mut have = device(d);
        let fits = |h: &Device| matches!(h.kind.as_deref(), Some("tun" | "veth"));
        if let Some(h) = have.as_ref().filter(|h| !fits(h)) {
            self.replace(d, h, made, "a tap")?;
            have = None;
        }
        let have = match have {
            Some(h) => h,
            None => {
                ip(&["tuntap", "add", "dev", d, "mode", "tap", "vnet_hdr"])?;
                self.done.push(Done::Made(d.to_owned()));
                device(d).unwrap_or_default()
            }
        };
        if let Some(mac) = mac.filter(|_| made.contains(d) || self.made(d)) {
            let want = tap_mac(mac);
            if have.address.as_deref() != Some(want.as_str()) {
                ip(&["link", "set", "dev", d, "address", &want])?;
            }
        }
        if let Some(b) = bridge
            && have.master.as_deref() != Some(b.as_str())
        {
            ip(&["link", "set", "dev", d, "master", b.as_str()])?;
            self.done
                .push(Done::Attached(d.to_owned(), have.master.clone()));
        }
        self.link(d, &have, up)
    }

    /// Puts the guest's MAC `m` on `lower` (a passthrough macvtap's device), remembering
    /// the one it had so an undo puts it back.
    fn lend_mac(&mut self, lower: &str, m: &str) -> Result<(), Error> {
        let was = device(lower).and_then(|l| l.address);
        if let Some(was) = was.filter(|w| w != m) {
            set_mac(lower, m)?;
            self.done.push(Done::Mac(lower.to_owned(), was));
        }
        Ok(())
    }

    /// Device `d` when it is already the macvtap asked for; one of another shape is
    /// replaced (when netloom made it) and `None` returned, as for one that is missing.
    fn fitting_macvtap(
        &mut self,
        d: &str,
        lower: &IfaceName,
        mode: MacvtapMode,
        mac_text: Option<&str>,
        made: &BTreeSet<String>,
    ) -> Result<Option<Device>, Error> {
        let have = device(d);
        let fits = |h: &Device| {
            h.kind.as_deref() == Some("macvtap")
                && h.link.as_deref() == Some(lower.as_str())
                && h.mode.as_deref() == Some(kernel_mode(mode))
                && (mac_text.is_none() || h.address.as_deref() == mac_text)
        };
        if let Some(h) = have.as_ref().filter(|h| !fits(h)) {
            let what = format!("a {} macvtap on '{lower}'", kernel_mode(mode));
            self.replace(d, h, made, &what)?;
            return Ok(None);
        }
        Ok(have)
    }

    /// Makes macvtap `d` on `lower` in `mode`, with `mac_text` when given.
    fn make_macvtap(
        &mut self,
        d: &str,
        lower: &IfaceName,
        mode: MacvtapMode,
        mac_text: Option<&str>,
    ) -> Result<Device, Error> {
        let mut words = vec!["link", "add", "link", lower.as_str(), "name", d];
        if let Some(m) = mac_text {
            words.extend(["address", m]);
        }
        words.extend(["type", "macvtap", "mode", kernel_mode(mode)]);
        ip(&words)?;
        self.done.push(Done::Made(d.to_owned()));
        Ok(device(d).unwrap_or_default())
    }

    /// Whether this command made `dev`.
    fn made(&self, dev: &str) -> bool {
        self.done
            .iter()
            .any(|s| matches!(s, Done::Made(d) if d == dev))
    }

    /// Removes `dev` (which does not fit what is wanted) so it can be made anew, when
    /// netloom made it for this guest; refuses to touch anyone else's device.
    fn replace(
        &mut self,
        dev: &str,
        have: &Device,
        made: &BTreeSet<String>,
        wanted: &str,
    ) -> Result<(), Error> {
        if !made.contains(dev) {
            return Err(Error::refused(
                RefusedKind::NotOurs,
                format!(
                    "device '{dev}' exists and is not {wanted} (it is {}); netloom did not make \
                 it, so it will not replace it",
                    have.kind
                        .as_deref()
                        .map_or("a physical device".to_owned(), |k| format!("a {k}"))
                ),
            ));
        }
        ip(&["link", "del", "dev", dev])?;
        self.done.push(Done::Removed(dev.to_owned()));
        Ok(())
    }

    /// Sets `dev`'s link, recording what it was.
    fn link(&mut self, dev: &str, have: &Device, up: bool) -> Result<(), Error> {
        if have.up == up && !self.made(dev) {
            return Ok(());
        }
        ip(&["link", "set", "dev", dev, if up { "up" } else { "down" }])?;
        self.done.push(Done::Link(dev.to_owned(), have.up));
        Ok(())
    }

    /// Puts back what this command did, last first, as far as possible; says what could
    /// not be.
    pub fn undo(self) -> Vec<String> {
        let mut failed = Vec::new();
        for step in self.done.into_iter().rev() {
            let result = match &step {
                Done::Made(d) => ip(&["link", "del", "dev", d]).map(drop),
                Done::Removed(d) => Err(Error::live(
                    LiveKind::Conflict,
                    format!("device '{d}' was removed to be made anew and is gone"),
                )),
                Done::Attached(d, None) => ip(&["link", "set", "dev", d, "nomaster"]).map(drop),
                Done::Attached(d, Some(b)) | Done::Detached(d, b) => {
                    ip(&["link", "set", "dev", d, "master", b]).map(drop)
                }
                Done::Link(d, was) => {
                    ip(&["link", "set", "dev", d, if *was { "up" } else { "down" }]).map(drop)
                }
                Done::Mac(d, was) => set_mac(d, was),
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
    if device(dev).is_some_and(|d| d.master.is_some()) {
        ip(&["link", "set", "dev", dev, "nomaster"])?;
    }
    ip(&["link", "set", "dev", dev, "down"]).map(drop)
}

/// Sets `dev`'s MAC to `mac` (which netloom checked or read from the kernel).
pub(crate) fn set_mac(dev: &str, mac: &str) -> Result<(), Error> {
    ip(&["link", "set", "dev", dev, "address", mac]).map(drop)
}

/// Removes a device netloom made; one already gone (its guest took it along, or the host
/// rebooted) is fine.
pub(crate) fn remove(dev: &str) -> Result<(), Error> {
    if !devices()?.contains(dev) {
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
        .ok_or_else(|| {
            Error::refused(
                RefusedKind::Exhausted,
                format!("no free device name of the form {prefix}N"),
            )
        })
}
