//! What guest ports inherit: `<vlan>`, `<bandwidth>`, `<port>`, `<virtualport>` and
//! `<portgroup>`.

use roxmltree::Node;

use super::super::reader::{Reader, attribute, named, parse_yes_no};
use super::PortGroupAt;
use super::read::has;
use crate::model::network::{
    Bandwidth, NativeMode, NetVlan, PortGroup, PortOptions, Rate, Text, TrunkTag, VirtualPort,
    VirtualPortType,
};
use crate::model::{Uuid, ValueError};

/// `<vlan trunk>` with its `<tag id nativeMode>`s.
pub(crate) fn vlan(r: &mut Reader, el: Node) -> Option<NetVlan> {
    let what = "<vlan>";
    r.check_attrs(el, what, &["trunk"]);
    let kids = r.children(el, what, &["tag"], None);
    let trunk = r.optional(el, what, "trunk", parse_yes_no);
    let tags_el = named(&kids, "tag");
    if tags_el.is_empty() {
        r.error(el.range().start, "<vlan> needs at least one <tag id>");
        return None;
    }
    let mut tags = Vec::new();
    let mut native: Option<usize> = None;
    for n in &tags_el {
        let what = "<tag>";
        r.check_attrs(*n, what, &["id", "nativeMode"]);
        r.children(*n, what, &[], None);
        let id = r.value(*n, what, "id", |s| {
            crate::model::parse_uint(s)
                .filter(|v| *v <= 4095)
                .map(|v| v as u16)
                .ok_or_else(|| ValueError("expected a VLAN id from 0 to 4095".into()))
        });
        let native_mode = r.optional(*n, what, "nativeMode", NativeMode::parse);
        if native_mode.is_some() {
            if let Some(first) = native {
                r.error_see(
                    n.range().start,
                    "only one <tag> of a <vlan> can be the native one",
                    "first native tag",
                    first,
                );
            }
            native.get_or_insert(n.range().start);
        }
        if let Some(id) = id {
            tags.push(TrunkTag { id, native_mode });
        }
    }
    if trunk == Some(false) && tags_el.len() > 1 {
        r.error(
            el.range().start,
            "<vlan trunk='no'> cannot have more than one <tag>; several tags make a trunk",
        );
    }
    if trunk == Some(false) && native.is_some() {
        r.error(
            el.range().start,
            "<vlan trunk='no'> cannot have a nativeMode tag; a native VLAN needs a trunk",
        );
    }
    (tags.len() == tags_el.len()).then_some(NetVlan { trunk, tags })
}

/// `<bandwidth>` with `<inbound>` and `<outbound>`.
pub(crate) fn bandwidth(r: &mut Reader, el: Node) -> Bandwidth {
    let what = "<bandwidth>";
    r.check_attrs(el, what, &[]);
    let kids = r.children(el, what, &["inbound", "outbound"], None);
    Bandwidth {
        inbound: r.once(&kids, "inbound", what).map(|n| rate(r, n, true)),
        outbound: r.once(&kids, "outbound", what).map(|n| rate(r, n, false)),
    }
}

pub(crate) fn rate(r: &mut Reader, el: Node, inbound: bool) -> Rate {
    let what = if inbound { "<inbound>" } else { "<outbound>" };
    let allowed: &[&str] = if inbound {
        &["average", "peak", "burst", "floor"]
    } else {
        &["average", "peak", "burst"]
    };
    r.check_attrs(el, what, allowed);
    r.children(el, what, &[], None);
    let num = |s: &str| {
        Some(s)
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| ValueError("expected a whole number of 1 or more".into()))
    };
    let rate = Rate {
        average: r.optional(el, what, "average", num),
        peak: r.optional(el, what, "peak", num),
        burst: r.optional(el, what, "burst", num),
        floor: if inbound {
            r.optional(el, what, "floor", num)
        } else {
            None
        },
    };
    if attribute(el, "average").is_none() && attribute(el, "floor").is_none() {
        let need = if inbound {
            "average or floor"
        } else {
            "average"
        };
        r.error(el.range().start, format!("{what} needs {need}"));
    }
    rate
}

/// `<port isolated>`.
pub(crate) fn port_options(r: &mut Reader, el: Node) -> PortOptions {
    let what = "<port>";
    r.check_attrs(el, what, &["isolated"]);
    r.children(el, what, &[], None);
    PortOptions {
        isolated: r.optional(el, what, "isolated", parse_yes_no),
    }
}

/// `<virtualport type>` with `<parameters>`. At network level the type is required; in a
/// portgroup it may be left to the merge with the network's.
pub(crate) fn virtualport(r: &mut Reader, el: Node, need_type: bool) -> Option<VirtualPort> {
    let what = "<virtualport>";
    r.check_attrs(el, what, &["type"]);
    let kids = r.children(el, what, &["parameters"], None);
    let kind = if need_type {
        r.value(el, what, "type", VirtualPortType::parse)
    } else {
        r.optional(el, what, "type", VirtualPortType::parse)
    };
    if attribute(el, "type").is_some() && kind.is_none() {
        return None;
    }
    let mut vp = VirtualPort {
        kind,
        ..VirtualPort::default()
    };
    let Some(p) = r.once(&kids, "parameters", what) else {
        return Some(vp);
    };
    let allowed: &[&str] = match kind {
        Some(VirtualPortType::Qbg) => &["managerid", "typeid", "typeidversion", "instanceid"],
        Some(VirtualPortType::Qbh) => &["profileid"],
        Some(VirtualPortType::Openvswitch) => &["profileid", "interfaceid"],
        Some(VirtualPortType::Midonet) => &["interfaceid"],
        None => &[
            "managerid",
            "typeid",
            "typeidversion",
            "instanceid",
            "profileid",
            "interfaceid",
        ],
    };
    let pwhat = match kind {
        Some(k) => format!("<parameters> of <virtualport type='{k}'>"),
        None => "<parameters>".to_owned(),
    };
    r.check_attrs(p, &pwhat, allowed);
    r.children(p, &pwhat, &[], None);
    let byte = |s: &str| {
        crate::model::parse_uint(s)
            .and_then(|v: u32| u8::try_from(v).ok())
            .ok_or_else(|| ValueError("expected a whole number from 0 to 255".into()))
    };
    let get = |name: &str| allowed.contains(&name);
    if get("managerid") {
        vp.managerid = r.optional(p, &pwhat, "managerid", byte);
    }
    if get("typeid") {
        vp.typeid = r.optional(p, &pwhat, "typeid", |s| {
            crate::model::parse_uint(s)
                .filter(|v: &u32| *v <= 0xff_ffff)
                .ok_or_else(|| ValueError("expected a whole number from 0 to 16777215".into()))
        });
    }
    if get("typeidversion") {
        vp.typeidversion = r.optional(p, &pwhat, "typeidversion", byte);
    }
    if get("instanceid") {
        vp.instanceid = r.optional(p, &pwhat, "instanceid", Uuid::parse);
    }
    if get("profileid") {
        vp.profileid = r.optional(p, &pwhat, "profileid", |s| {
            if s.is_empty() || s.len() > 39 {
                return Err(ValueError(
                    "expected a profile id of 1 to 39 characters".into(),
                ));
            }
            Text::parse(s)
        });
    }
    if get("interfaceid") {
        vp.interfaceid = r.optional(p, &pwhat, "interfaceid", Uuid::parse);
    }
    Some(vp)
}

/// A portgroup name, as the schema's `deviceName`: letters, digits and `_ . - \\ : /`.
pub(crate) fn portgroup_name(s: &str) -> Result<Text, ValueError> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '\\' | ':' | '/'));
    if !ok {
        return Err(ValueError(
            "expected a portgroup name of ASCII letters, digits, '_', '.', '-', '\\', ':' or '/'"
                .into(),
        ));
    }
    Text::parse(s)
}

/// `<portgroup name default trustGuestRxFilters>`.
pub(super) fn portgroup(r: &mut Reader, el: Node) -> Option<(PortGroup, PortGroupAt)> {
    let what = "<portgroup>";
    r.check_attrs(el, what, &["name", "default", "trustGuestRxFilters"]);
    let kids = r.children(el, what, &["virtualport", "bandwidth", "vlan"], None);
    let name = r.value(el, what, "name", portgroup_name);
    let default = r.optional(el, what, "default", parse_yes_no);
    let trust = r.optional(el, what, "trustGuestRxFilters", parse_yes_no);
    let mut at = PortGroupAt {
        el: el.range().start,
        default: has(el, "default"),
        ..PortGroupAt::default()
    };
    let virtualport = r
        .once(&kids, "virtualport", what)
        .and_then(|n| virtualport(r, n, false));
    let bandwidth = r.once(&kids, "bandwidth", what).map(|n| {
        at.bandwidth = Some(n.range().start);
        bandwidth(r, n)
    });
    let vlan = r.once(&kids, "vlan", what).and_then(|n| {
        at.vlan = Some(n.range().start);
        vlan(r, n)
    });
    Some((
        PortGroup {
            name: name?,
            default,
            trust_guest_rx_filters: trust,
            virtualport,
            bandwidth,
            vlan,
        },
        at,
    ))
}
