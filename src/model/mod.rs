//! The typed, validated model of a host's interfaces. No I/O happens here.
//!
//! Every value is a newtype that was checked once when it was read (see [`crate::xml`]), so a
//! backend that receives a [`Host`] never validates again and never sees, say, an interface
//! name with a `/` in it that could escape a directory. Order is kept as written everywhere:
//! interfaces, bond slaves, bridge ports, addresses. NIC order decides which device becomes
//! `ethN` on some systems, so nothing here is ever sorted.

mod bond;
mod bridge;
mod common;
mod ethernet;
pub mod guest;
mod imported;
mod ip;
pub mod network;
mod route;
mod uuid;
mod vlan;

pub use bond::{
    AdSelect, ArpValidate, Arpmon, BOND_OPTION_NAMES, Bond, BondMode, BondMonitor, BondOption,
    BondOptions, Carrier, DriverOption, FailOverMac, LacpRate, Miimon, PrimaryReselect, Slave,
    XmitHashPolicy, parse_arp_target,
};
pub use bridge::{
    AgeingTime, Bridge, BridgeOptions, ForwardDelay, HelloTime, MaxAge, Port, PortKind, Seconds,
};
pub use common::{IfaceName, Link, LinkState, MAX_NAME_BYTES, MacAddr, Mtu, StartMode, parse_uint};
pub use ethernet::Ethernet;
pub use imported::{Imported, Note, NoteKind};
pub use ip::{
    Dhcp, Ipv4, Ipv4Address, Ipv4Prefix, Ipv6, Ipv6Address, Ipv6Prefix, Prefix, parse_host_ipv4,
    parse_host_ipv6,
};
pub use route::{
    Destination, DomainName, Ipv4Route, Ipv6Route, MAX_DOMAIN_BYTES, Route, RouteCheck,
    RouteFamily, RouteKey, RouteProblem, RouteTable, parse_metric,
};
pub use uuid::Uuid;
pub use vlan::{Vlan, VlanOptions, VlanProtocol, VlanTag};

/// Why a value was refused: what was expected, phrased to follow "expected" in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The namespace of what netloom's interface XML holds beyond libvirt's schema: options
/// inside the libvirt element they belong to, written with the prefix `nl`.
pub const NETLOOM_NS: &str = "urn:netloom:xml:1";

/// Defines a closed set of XML keywords as an enum with `as_str`, `parse` and `ALL`, so the
/// spelling lives in one place and error messages can list the allowed words.
macro_rules! keywords {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the schema's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The XML spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Reads the XML spelling; the error lists every allowed word.
            pub fn parse(s: &str) -> Result<Self, $crate::model::ValueError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::model::ValueError(format!(
                        "expected {}",
                        $crate::model::one_of(Self::ALL.iter().map(|v| v.as_str()))
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use keywords;

/// `'a', 'b' or 'c'`: the allowed words of a message.
pub(crate) fn one_of<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    join_or(words.into_iter().map(|w| format!("'{w}'")).collect())
}

/// `a, b or c`, or `nothing` for an empty list.
pub(crate) fn join_or(items: Vec<String>) -> String {
    match items.split_last() {
        None => String::from("nothing"),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A whole host: every top-level interface, in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Host {
    /// Top-level interfaces; ports and slaves live inside their masters.
    pub interfaces: Vec<Interface>,
}

/// A top-level interface: the only level that carries start mode, MTU and addressing. Ports
/// and slaves inherit those from their master, as in libvirt's grammar.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    /// The device name (for a vlan written without one, `DEV.TAG`).
    pub name: IfaceName,
    /// The `<uuid>` the host interface proposal allows on every interface (libvirt's schema
    /// has none): the profile's UUID where a backend keeps one; `None` when not said.
    pub uuid: Option<Uuid>,
    /// When the interface is brought up; `None` when the input did not say.
    pub start: Option<StartMode>,
    /// The MTU of the interface (and, by inheritance, of its ports).
    pub mtu: Option<Mtu>,
    /// IPv4 addressing, if the interface has a `<protocol family='ipv4'>`.
    pub ipv4: Option<Ipv4>,
    /// IPv6 addressing, if the interface has a `<protocol family='ipv6'>`.
    pub ipv6: Option<Ipv6>,
    /// What kind of device it is, with its kind's settings.
    pub kind: InterfaceKind,
}

/// The four kinds of host interface. Adding one makes every exhaustive `match` on this enum
/// fail to compile, which is how each layer finds the places it must handle it.
#[derive(Debug, Clone, PartialEq)]
pub enum InterfaceKind {
    /// A physical NIC.
    Ethernet(Ethernet),
    /// A bond of NICs.
    Bond(Bond),
    /// An 802.1Q VLAN on a parent device.
    Vlan(Vlan),
    /// A software bridge with its ports.
    Bridge(Bridge),
}

impl InterfaceKind {
    /// The `type` attribute of the XML.
    pub fn type_name(&self) -> &'static str {
        match self {
            InterfaceKind::Ethernet(_) => "ethernet",
            InterfaceKind::Bond(_) => "bond",
            InterfaceKind::Vlan(_) => "vlan",
            InterfaceKind::Bridge(_) => "bridge",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_reads_naturally() {
        assert_eq!(one_of([]), "nothing");
        assert_eq!(one_of(["a"]), "'a'");
        assert_eq!(one_of(["a", "b", "c"]), "'a', 'b' or 'c'");
    }

    #[test]
    fn keyword_enums_list_their_words_on_error() {
        assert_eq!(StartMode::parse("onboot"), Ok(StartMode::OnBoot));
        assert_eq!(
            StartMode::parse("auto").unwrap_err().0,
            "expected 'onboot', 'none' or 'hotplug'"
        );
    }
}
