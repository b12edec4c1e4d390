//! A guest's network interfaces, as a libvirt domain's `<devices><interface>` elements have
//! them. A guest names only a network (and maybe a portgroup); [`crate::port`] resolves it
//! against the running network into an [`Actual`] connection, which is what lets the same
//! guest move between hosts with different hardware.

use std::net::IpAddr;

use super::network::{
    Bandwidth, MacvtapMode, NetName, NetVlan, Plug, PortOptions, Text, VirtualPort, file_stem,
    stem_name,
};
use super::{IfaceName, MacAddr, Uuid, ValueError, keywords};

keywords! {
    /// `<interface type>` of a guest.
    GuestType {
        /// Connected through a libvirt network, resolved at plug time.
        Network = "network",
        /// A tap on a host bridge.
        Bridge = "bridge",
        /// A macvtap on a host device.
        Direct = "direct",
        /// A tap that nothing attaches (the host's scripts do).
        Ethernet = "ethernet",
        /// QEMU's user-mode network stack.
        User = "user",
        /// A socket segment: this guest listens.
        Server = "server",
        /// A socket segment: this guest connects.
        Client = "client",
        /// A socket segment over IP multicast.
        Mcast = "mcast",
        /// A NIC with no backend at all, its link down, until it is plugged.
        Unplugged = "none",
    }
}

/// A guest name: the owner of its ports and the stem of its state file (`NAME.json`), so
/// the rules are those of a network name, with room for that one suffix: not `.`/`..`, no
/// `/`, no control character, and at most 250 bytes as a file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuestName(String);

impl GuestName {
    /// The suffix of the guest's state file.
    pub const SUFFIX: &str = ".json";

    /// Checks a name.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        stem_name(s, "guest", Self::SUFFIX)?;
        Ok(GuestName(s.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a file stem (XML-escaped, as libvirt's status files are).
    pub fn file_stem(&self) -> String {
        file_stem(&self.0)
    }
}

impl std::fmt::Display for GuestName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `<model type>`: the emulated NIC, which becomes the driver of a QEMU `-device` option.
/// QEMU device names are letters, digits, `_` and `-` (`virtio-net-pci`, `e1000`,
/// `ne2k_pci`; `qemu-system-x86_64 -device help` lists them), as libvirt's model names
/// are, so nothing else is allowed: a comma would start another property, `{` would make
/// the option JSON, and `help` (like `?`, which the characters already exclude) makes QEMU
/// list its devices and exit instead of starting the guest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NicModel(String);

impl NicModel {
    /// The most bytes of a model name (QEMU's longest device name has 38).
    pub const MAX_BYTES: usize = 64;

    /// Checks a model name.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let what = "expected a NIC model of 1 to 64 ASCII letters, digits, '_' or '-', starting with a letter or digit";
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
        {
            return Err(ValueError(format!("{what}; {c:?} is not allowed")));
        }
        let first_ok = s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
        if !first_ok || s.len() > Self::MAX_BYTES {
            return Err(ValueError(what.into()));
        }
        if s == "help" {
            return Err(ValueError(
                "expected a NIC model other than 'help', which makes QEMU list its devices and exit instead of starting the guest".into(),
            ));
        }
        Ok(NicModel(s.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NicModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `<script path>` or `<downscript path>` of a type-ethernet interface: a program run with
/// the tap's name as its only argument (QEMU's `script=` convention), never through a
/// shell. The path must be absolute, so what runs does not depend on where netloom was
/// started, and holds no control character, so a message naming it stays one line. That
/// it is an executable file is checked when a plug reads it (see
/// [`crate::xml::check_scripts`]), not here: the model does no I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPath(String);

impl ScriptPath {
    /// The most bytes of a path (Linux's `PATH_MAX`, with its NUL).
    pub const MAX_BYTES: usize = 4095;

    /// Checks a path.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        if !s.starts_with('/') {
            return Err(ValueError(
                "expected an absolute path: a relative one would depend on the directory netloom runs in".into(),
            ));
        }
        if let Some(c) = s.chars().find(|c| c.is_control()) {
            return Err(ValueError(format!(
                "expected a path without control characters; {c:?} is not allowed"
            )));
        }
        if s.len() > Self::MAX_BYTES {
            return Err(ValueError(format!(
                "expected a path of at most {} bytes",
                Self::MAX_BYTES
            )));
        }
        Ok(ScriptPath(s.to_owned()))
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ScriptPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `<source>` of a guest interface; which variant is allowed follows from the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestSource {
    /// No `<source>` (ethernet, user, none).
    Nothing,
    /// `<source network portgroup portid>` (type network).
    Network {
        /// `network`.
        network: NetName,
        /// `portgroup`.
        portgroup: Option<Text>,
        /// `portid`: the port it was plugged as (status XML only).
        portid: Option<Uuid>,
    },
    /// `<source bridge>` (type bridge).
    Bridge {
        /// `bridge`.
        bridge: IfaceName,
    },
    /// `<source dev mode>` (type direct); the mode defaults to vepa.
    Direct {
        /// `dev`.
        dev: IfaceName,
        /// `mode`.
        mode: Option<MacvtapMode>,
    },
    /// `<source address port>` (server, client, mcast).
    Socket {
        /// `address`: required for client and mcast (a multicast group there); a server
        /// without one listens on every address.
        address: Option<IpAddr>,
        /// `port`.
        port: u16,
    },
}

/// `<actual type>`: what a plug resolved the interface to. The type and source follow from
/// the plug (`network` and `bridge` keep their plug type, `direct`, `hostdev` for
/// `hostdev-pci`); the rest is the merged result of interface, portgroup and network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actual {
    /// The connection.
    pub plug: Plug,
    /// `<virtualport>`, merged and completed.
    pub virtualport: Option<VirtualPort>,
    /// `<vlan>`.
    pub vlan: Option<NetVlan>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<port isolated>`.
    pub port: Option<PortOptions>,
    /// `trustGuestRxFilters`.
    pub trust_guest_rx_filters: Option<bool>,
}

/// One guest `<interface>`, with libvirt's child order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestInterface {
    /// `type`.
    pub kind: GuestType,
    /// `trustGuestRxFilters`.
    pub trust_guest_rx_filters: Option<bool>,
    /// `<mac address>`; a plug fills it in when missing.
    pub mac: Option<MacAddr>,
    /// `<source>`.
    pub source: GuestSource,
    /// `<target dev>`: the host-side device (tap or macvtap); a plug names one when
    /// missing.
    pub target: Option<IfaceName>,
    /// `<model type>`.
    pub model: Option<NicModel>,
    /// `<virtualport>`.
    pub virtualport: Option<VirtualPort>,
    /// `<script path>` (type ethernet): run once the tap exists.
    pub script: Option<ScriptPath>,
    /// `<downscript path>` (type ethernet): run when the tap is given up.
    pub downscript: Option<ScriptPath>,
    /// `<vlan>`.
    pub vlan: Option<NetVlan>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<port isolated>`.
    pub port: Option<PortOptions>,
    /// `<link state>`: `Some(false)` is a NIC whose cable is out.
    pub link_up: Option<bool>,
    /// `<actual>`: status XML only.
    pub actual: Option<Actual>,
}

impl GuestInterface {
    /// An interface of `kind` with nothing else set.
    pub fn new(kind: GuestType, source: GuestSource) -> Self {
        GuestInterface {
            kind,
            trust_guest_rx_filters: None,
            mac: None,
            source,
            target: None,
            model: None,
            virtualport: None,
            script: None,
            downscript: None,
            vlan: None,
            bandwidth: None,
            port: None,
            link_up: None,
            actual: None,
        }
    }
}

/// The root element a guest document was written with, so it is written back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GuestForm {
    /// `<domain>`: a whole libvirt domain, of which only the name, the UUID and the
    /// interfaces are read (and written back).
    #[default]
    Domain,
    /// `<devices>` holding `<interface>` elements.
    Devices,
    /// One `<interface>`.
    Interface,
}

/// A guest document: a `<domain>` (its name and UUID are kept) or a bare list of
/// interfaces. Interface order is kept: it decides the NICs' PCI slots and so their names
/// in the guest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Guest {
    /// The root element it was read from.
    pub form: GuestForm,
    /// `<domain><name>`.
    pub name: Option<GuestName>,
    /// `<domain><uuid>`.
    pub uuid: Option<Uuid>,
    /// The interfaces, in document order.
    pub interfaces: Vec<GuestInterface>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guest_name_leaves_room_for_its_state_file() {
        let longest = "g".repeat(250);
        let stem = GuestName::parse(&longest).unwrap().file_stem();
        assert_eq!(format!("{stem}{}", GuestName::SUFFIX).len(), 255);
        let err = GuestName::parse(&format!("{longest}g")).unwrap_err().0;
        assert!(
            err.starts_with("expected a guest name of 1 to 250 bytes"),
            "{err}"
        );
        assert!(
            err.contains("this one is 251 bytes as a file name"),
            "{err}"
        );
        assert!(GuestName::parse(&"<".repeat(62)).is_ok());
        assert!(GuestName::parse(&"<".repeat(63)).is_err());
        for bad in ["", ".", "..", "a/b", "a\rb"] {
            assert!(GuestName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nic_models_are_device_names_that_cannot_ask_qemu_for_help() {
        for ok in [
            "virtio",
            "e1000",
            "ne2k_pci",
            "virtio-net-pci",
            "i82559er",
            "8139",
        ] {
            assert!(NicModel::parse(ok).is_ok(), "{ok}");
        }
        let err = NicModel::parse("help").unwrap_err().0;
        assert!(err.contains("list its devices and exit"), "{err}");
        for bad in [
            "?",
            "help,netdev=x",
            "e1000,help",
            "{\"driver\":\"e1000\"}",
            "-device",
            "_x",
            "e1000.x",
            "a=b",
            "",
            "a b",
        ] {
            assert!(NicModel::parse(bad).is_err(), "{bad:?}");
        }
        assert!(NicModel::parse(&"m".repeat(NicModel::MAX_BYTES)).is_ok());
        assert!(NicModel::parse(&"m".repeat(NicModel::MAX_BYTES + 1)).is_err());
    }
}
