//! An 802.1Q VLAN on a parent device.

use std::fmt;

use super::common::parse_uint;
use super::{IfaceName, Link, ValueError};

/// A VLAN tag, 0 to 4095 as libvirt's schema allows (the kernel itself refuses 4095).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VlanTag(u16);

impl VlanTag {
    /// The largest tag the schema allows.
    pub const MAX: u16 = 4095;

    /// Reads a decimal tag and range-checks it.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        match parse_uint(s) {
            Some(v) if v <= u32::from(Self::MAX) => Ok(Self(v as u16)),
            _ => Err(ValueError(format!(
                "expected a VLAN tag from 0 to {}",
                Self::MAX
            ))),
        }
    }

    /// The tag.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for VlanTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

super::keywords! {
    /// The ethertype of a vlan's tag.
    VlanProtocol {
        /// 802.1Q, the default.
        Ieee8021q = "802.1Q",
        /// 802.1ad, a service tag (QinQ).
        Ieee8021ad = "802.1ad",
    }
}

/// A vlan's options beyond the tag and the parent, in netloom's namespace (`<nl:vlan
/// protocol='802.1ad' gvrp='yes' …/>` inside `<vlan>`). `None` is the kernel's default:
/// 802.1Q, headers reordered, no GVRP, MVRP or loose binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanOptions {
    /// The tag's protocol.
    pub protocol: Option<VlanProtocol>,
    /// Whether the tag is taken out of received frames' headers (`REORDER_HDR`).
    pub reorder_hdr: Option<bool>,
    /// GVRP registration of the vlan with the switch.
    pub gvrp: Option<bool>,
    /// MVRP registration.
    pub mvrp: Option<bool>,
    /// Whether the vlan's state follows only its parent's administrative state
    /// (`LOOSE_BINDING`).
    pub loose_binding: Option<bool>,
}

impl VlanOptions {
    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `<vlan>`: the tag and the device it rides on. The tag is always explicit; it is never
/// inferred from digits in the interface name (a netcf loss).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vlan {
    /// The 802.1Q tag.
    pub tag: VlanTag,
    /// The parent device.
    pub parent: IfaceName,
    /// Its other options (`<nl:vlan>`).
    pub options: VlanOptions,
    /// Reported link status.
    pub link: Option<Link>,
}

impl Vlan {
    /// The conventional name `DEV.TAG`, used when the XML names no interface; refused if it
    /// would exceed the kernel's 15 bytes.
    pub fn default_name(parent: &IfaceName, tag: VlanTag) -> Result<IfaceName, ValueError> {
        let name = format!("{parent}.{tag}");
        IfaceName::parse(&name).map_err(|_| {
            ValueError(format!(
                "the default name '{name}' is longer than 15 bytes; give the vlan a name"
            ))
        })
    }
}

impl Vlan {
    /// The name NetworkManager gives a vlan profile that names no device
    /// (`nm_utils_new_vlan_name`): `PARENT.ID`, the parent cut short so the whole fits the
    /// kernel's 15 bytes.
    pub fn networkmanager_name(parent: &IfaceName, tag: VlanTag) -> IfaceName {
        let id = format!(".{tag}");
        let keep = parent.as_str().len().min(super::MAX_NAME_BYTES - id.len());
        // Names are ASCII, so any byte is a character boundary.
        let name = format!("{}{id}", &parent.as_str()[..keep]);
        IfaceName::parse(&name).unwrap_or_else(|_| parent.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_range_checked() {
        assert_eq!(VlanTag::parse("0").unwrap().get(), 0);
        assert_eq!(VlanTag::parse("4095").unwrap().get(), 4095);
        for bad in ["4096", "-1", "", "42a", "65578"] {
            assert!(VlanTag::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn networkmanager_names_cut_the_parent_short() {
        let tag = |t: &str| VlanTag::parse(t).unwrap();
        let long = IfaceName::parse("enp0s31f6abcde").unwrap();
        assert_eq!(
            Vlan::networkmanager_name(&long, tag("4000")).as_str(),
            "enp0s31f6a.4000"
        );
        assert_eq!(
            Vlan::networkmanager_name(&long, tag("7")).as_str(),
            "enp0s31f6abcd.7"
        );
        let eth0 = IfaceName::parse("eth0").unwrap();
        assert_eq!(
            Vlan::networkmanager_name(&eth0, tag("43")).as_str(),
            "eth0.43"
        );
    }

    #[test]
    fn default_names_are_dev_dot_tag_and_fit_the_kernel_limit() {
        let eth0 = IfaceName::parse("eth0").unwrap();
        let tag = VlanTag::parse("42").unwrap();
        assert_eq!(Vlan::default_name(&eth0, tag).unwrap().as_str(), "eth0.42");
        let long = IfaceName::parse("enp0s31f6abcde").unwrap();
        let err = Vlan::default_name(&long, VlanTag::parse("4000").unwrap()).unwrap_err();
        assert!(err.0.contains("'enp0s31f6abcde.4000'"), "{err}");
    }
}
