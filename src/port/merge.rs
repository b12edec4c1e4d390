//! libvirt's three-way virtualport merge (virNetDevVPortProfileMerge3) and the completion
//! check that follows it at allocation (virNetDevVPortProfileCheckComplete).

use std::fmt::Display;

use crate::error::{Error, RefusedKind};
use crate::model::Uuid;
use crate::model::network::{Text, VirtualPort, VirtualPortType};

/// Merges the virtualports of interface, network and portgroup as the network device
/// abstraction design says: "if anything is specified both directly under `<network>` and in
/// a `<portgroup>`, the value in portgroup will take precedence", so a network can give the
/// general profile and each portgroup override part of it. The interface may add what
/// neither says (its instanceid), but a value of its own that differs from the resulting one
/// is refused naming both: the design leaves that case open, and libvirt refuses it, since a
/// guest that silently lost its setting would be connected as it did not ask. (libvirt
/// refuses a network/portgroup difference too; netloom follows the design there.)
/// A source's attributes are taken only when meaningful for the type decided so far, and
/// whatever the merged type has no use for is dropped at the end. When no source has a type
/// the result is `None`, as in libvirt: an untyped profile alone says nothing about how the
/// port is connected.
pub fn merge_virtualport(
    iface: Option<&VirtualPort>,
    network: Option<&VirtualPort>,
    portgroup: Option<&VirtualPort>,
) -> Result<Option<VirtualPort>, Error> {
    merge3([
        (iface, "the interface"),
        (network, "the network"),
        (portgroup, "the portgroup"),
    ])
}

/// [`merge_virtualport`] with each source named as it should appear in a conflict message
/// (allocation names the network and the portgroup). The sources are interface, network,
/// portgroup, in that order.
pub(super) fn merge3(
    sources: [(Option<&VirtualPort>, &str); 3],
) -> Result<Option<VirtualPort>, Error> {
    if sources
        .iter()
        .all(|(v, _)| v.is_none_or(|v| v.kind.is_none()))
    {
        return Ok(None);
    }
    let [
        (iface, iface_from),
        (network, net_from),
        (portgroup, pg_from),
    ] = sources;
    // The portgroup's values first, so the network's fill in only what it leaves unset.
    let mut shared = Merged::default();
    for (vp, from) in [(portgroup, pg_from), (network, net_from)] {
        if let Some(vp) = vp {
            shared.absorb(Merged::raw(vp, from), Clash::Keep)?;
        }
    }
    let mut m = Merged::default();
    if let Some(vp) = iface {
        m.absorb(Merged::raw(vp, iface_from), Clash::Refuse)?;
    }
    m.absorb(shared, Clash::Refuse)?;
    Ok(Some(m.finish()))
}

/// What to do with an attribute that is set already when another value comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clash {
    /// Keep the value set first (the portgroup's over the network's).
    Keep,
    /// Refuse, naming both (the interface's against the rest).
    Refuse,
}

/// Each attribute with where its value came from, for conflict messages.
#[derive(Default)]
struct Merged<'a> {
    kind: Option<(VirtualPortType, &'a str)>,
    managerid: Option<(u8, &'a str)>,
    typeid: Option<(u32, &'a str)>,
    typeidversion: Option<(u8, &'a str)>,
    instanceid: Option<(Uuid, &'a str)>,
    profileid: Option<(Text, &'a str)>,
    interfaceid: Option<(Uuid, &'a str)>,
}

impl<'a> Merged<'a> {
    /// Every attribute of one source, unfiltered.
    fn raw(vp: &VirtualPort, from: &'a str) -> Self {
        Merged {
            kind: vp.kind.map(|v| (v, from)),
            managerid: vp.managerid.map(|v| (v, from)),
            typeid: vp.typeid.map(|v| (v, from)),
            typeidversion: vp.typeidversion.map(|v| (v, from)),
            instanceid: vp.instanceid.map(|v| (v, from)),
            profileid: vp.profileid.clone().map(|v| (v, from)),
            interfaceid: vp.interfaceid.map(|v| (v, from)),
        }
    }

    /// Merges `other` into what is set so far. The type comes first, since it decides
    /// which attributes are taken.
    fn absorb(&mut self, other: Merged<'a>, clash: Clash) -> Result<(), Error> {
        use VirtualPortType::*;
        fill("type", &mut self.kind, other.kind, clash)?;
        let kind = self.kind.as_ref().map(|(k, _)| *k);
        // Attributes are taken when meaningful for the type so far (any while untyped).
        // libvirt copies the interface's profile whole, but what its type has no use for
        // is dropped in the end, so filtering it here gives the same result.
        if matches!(kind, None | Some(Qbg)) {
            fill("managerid", &mut self.managerid, other.managerid, clash)?;
            fill("typeid", &mut self.typeid, other.typeid, clash)?;
            let tiv = other.typeidversion;
            fill("typeidversion", &mut self.typeidversion, tiv, clash)?;
            fill("instanceid", &mut self.instanceid, other.instanceid, clash)?;
        }
        if matches!(kind, None | Some(Qbh | Openvswitch)) {
            fill("profileid", &mut self.profileid, other.profileid, clash)?;
        }
        // Only for openvswitch, as in libvirt (whose merge predates midonet): a midonet
        // port's interfaceid comes from the interface alone.
        if matches!(kind, None | Some(Openvswitch)) {
            fill(
                "interfaceid",
                &mut self.interfaceid,
                other.interfaceid,
                clash,
            )?;
        }
        Ok(())
    }

    /// The merged profile, keeping only what its type uses.
    fn finish(self) -> VirtualPort {
        let kind = self.kind.map(|(k, _)| k);
        let keep = |attr: &str| uses(kind, attr);
        VirtualPort {
            kind,
            managerid: self.managerid.map(|(v, _)| v).filter(|_| keep("managerid")),
            typeid: self.typeid.map(|(v, _)| v).filter(|_| keep("typeid")),
            typeidversion: self
                .typeidversion
                .map(|(v, _)| v)
                .filter(|_| keep("typeidversion")),
            instanceid: self
                .instanceid
                .map(|(v, _)| v)
                .filter(|_| keep("instanceid")),
            profileid: self.profileid.map(|(v, _)| v).filter(|_| keep("profileid")),
            interfaceid: self
                .interfaceid
                .map(|(v, _)| v)
                .filter(|_| keep("interfaceid")),
        }
    }
}

/// Whether a profile of type `kind` has the attribute (libvirt's `<parameters>` per type).
fn uses(kind: Option<VirtualPortType>, attr: &str) -> bool {
    use VirtualPortType::*;
    match kind {
        None => true,
        Some(Qbg) => matches!(
            attr,
            "managerid" | "typeid" | "typeidversion" | "instanceid"
        ),
        Some(Qbh) => attr == "profileid",
        Some(Openvswitch) => matches!(attr, "profileid" | "interfaceid"),
        Some(Midonet) => attr == "interfaceid",
    }
}

/// Fills an unset attribute; the same value again is fine, another one is kept out or
/// refused as `clash` says.
fn fill<'a, T: PartialEq + Display>(
    attr: &str,
    slot: &mut Option<(T, &'a str)>,
    value: Option<(T, &'a str)>,
    clash: Clash,
) -> Result<(), Error> {
    let Some((value, from)) = value else {
        return Ok(());
    };
    match slot {
        None => {
            *slot = Some((value, from));
            Ok(())
        }
        Some((old, _)) if *old == value || clash == Clash::Keep => Ok(()),
        Some((old, was)) => Err(Error::refused(
            RefusedKind::Mismatch,
            format!(
                "cannot merge virtualports: {attr} '{old}' from {was} conflicts with {attr} \
             '{value}' from {from}"
            ),
        )),
    }
}

/// Checks that a merged profile says all its type needs and generates what libvirt
/// generates (a Qbg instanceid, an openvswitch interfaceid). libvirt draws those at
/// random; netloom derives them from the port's UUID, so rendering a port twice gives the
/// same document.
pub(super) fn complete(vp: &mut VirtualPort, port: Uuid, network: &str) -> Result<(), Error> {
    let Some(kind) = vp.kind else {
        return Ok(());
    };
    let missing = match kind {
        VirtualPortType::Qbg => {
            if vp.managerid.is_none() {
                Some("managerid")
            } else if vp.typeid.is_none() {
                Some("typeid")
            } else if vp.typeidversion.is_none() {
                Some("typeidversion")
            } else {
                if vp.instanceid.is_none() {
                    vp.instanceid = Some(Uuid::derived("instanceid", &port.to_string()));
                }
                None
            }
        }
        VirtualPortType::Qbh => vp.profileid.is_none().then_some("profileid"),
        VirtualPortType::Openvswitch => {
            if vp.interfaceid.is_none() {
                vp.interfaceid = Some(Uuid::derived("interfaceid", &port.to_string()));
            }
            None
        }
        VirtualPortType::Midonet => vp.interfaceid.is_none().then_some("interfaceid"),
    };
    match missing {
        Some(attr) => Err(Error::refused(
            RefusedKind::Missing,
            format!(
                "missing {attr} in <virtualport type='{kind}'> for a port on network '{network}' \
             (neither the interface, the network nor the portgroup gives it)"
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::testutil::refused;

    fn vp(kind: Option<VirtualPortType>) -> VirtualPort {
        VirtualPort {
            kind,
            ..VirtualPort::default()
        }
    }

    fn uuid(s: &str) -> Uuid {
        Uuid::parse(s).unwrap()
    }

    #[test]
    fn lower_sources_fill_only_unset_attributes() {
        let iface = VirtualPort {
            typeid: Some(7),
            ..vp(Some(VirtualPortType::Qbg))
        };
        let network = VirtualPort {
            managerid: Some(11),
            typeid: Some(7),
            ..vp(Some(VirtualPortType::Qbg))
        };
        let portgroup = VirtualPort {
            typeidversion: Some(3),
            managerid: Some(11),
            ..vp(None)
        };
        let m = merge_virtualport(Some(&iface), Some(&network), Some(&portgroup))
            .unwrap()
            .unwrap();
        assert_eq!(
            m,
            VirtualPort {
                managerid: Some(11),
                typeid: Some(7),
                typeidversion: Some(3),
                ..vp(Some(VirtualPortType::Qbg))
            }
        );
    }

    #[test]
    fn the_same_attribute_set_twice_differently_is_refused_naming_both() {
        let iface = VirtualPort {
            managerid: Some(12),
            ..vp(None)
        };
        let network = VirtualPort {
            managerid: Some(11),
            ..vp(Some(VirtualPortType::Qbg))
        };
        let err = refused(
            RefusedKind::Mismatch,
            merge_virtualport(Some(&iface), Some(&network), None),
        );
        assert_eq!(
            err,
            "cannot merge virtualports: managerid '12' from the interface conflicts with \
             managerid '11' from the network"
        );
        // The portgroup's value wins over the network's; the interface's against that
        // result is still refused, naming where the result came from.
        let pg = VirtualPort {
            profileid: Some(Text::parse("alice").unwrap()),
            ..vp(None)
        };
        let net = VirtualPort {
            profileid: Some(Text::parse("bob").unwrap()),
            ..vp(Some(VirtualPortType::Openvswitch))
        };
        let m = merge3([
            (None, "the interface"),
            (Some(&net), "network 'ovs'"),
            (Some(&pg), "portgroup 'alice'"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(m.profileid, pg.profileid);
        let iface = VirtualPort {
            profileid: Some(Text::parse("bob").unwrap()),
            ..vp(None)
        };
        let err = refused(
            RefusedKind::Mismatch,
            merge3([
                (Some(&iface), "the interface"),
                (Some(&net), "network 'ovs'"),
                (Some(&pg), "portgroup 'alice'"),
            ]),
        );
        assert_eq!(
            err,
            "cannot merge virtualports: profileid 'bob' from the interface conflicts with \
             profileid 'alice' from portgroup 'alice'"
        );
    }

    #[test]
    fn the_design_example_portgroup_typeid_wins_over_the_networks() {
        // The device abstraction design's vepa network: the network gives the whole 802.1Qbg
        // profile, each portgroup its own typeid, and a guest only its instanceid.
        let net = VirtualPort {
            managerid: Some(11),
            typeid: Some(1193047),
            typeidversion: Some(2),
            ..vp(Some(VirtualPortType::Qbg))
        };
        let engineering = VirtualPort {
            typeid: Some(33),
            ..vp(None)
        };
        let id = uuid("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f");
        let iface = VirtualPort {
            instanceid: Some(id),
            ..vp(None)
        };
        let m = merge_virtualport(Some(&iface), Some(&net), Some(&engineering))
            .unwrap()
            .unwrap();
        assert_eq!(
            m,
            VirtualPort {
                managerid: Some(11),
                typeid: Some(33),
                typeidversion: Some(2),
                instanceid: Some(id),
                ..vp(Some(VirtualPortType::Qbg))
            }
        );
        // The interface saying the network's typeid, which the portgroup overrode, is a
        // conflict with the portgroup's.
        let stale = VirtualPort {
            typeid: Some(1193047),
            ..vp(None)
        };
        assert_eq!(
            refused(
                RefusedKind::Mismatch,
                merge_virtualport(Some(&stale), Some(&net), Some(&engineering))
            ),
            "cannot merge virtualports: typeid '1193047' from the interface conflicts with \
             typeid '33' from the portgroup"
        );
    }

    #[test]
    fn mismatched_types_are_refused() {
        let err = refused(
            RefusedKind::Mismatch,
            merge_virtualport(
                Some(&vp(Some(VirtualPortType::Qbh))),
                Some(&vp(Some(VirtualPortType::Qbg))),
                None,
            ),
        );
        assert_eq!(
            err,
            "cannot merge virtualports: type '802.1Qbh' from the interface conflicts with type \
             '802.1Qbg' from the network"
        );
        // The portgroup's type wins over the network's, and the interface's must agree.
        let m = merge_virtualport(
            None,
            Some(&vp(Some(VirtualPortType::Openvswitch))),
            Some(&vp(Some(VirtualPortType::Midonet))),
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.kind, Some(VirtualPortType::Midonet));
        let err = refused(
            RefusedKind::Mismatch,
            merge_virtualport(
                Some(&vp(Some(VirtualPortType::Openvswitch))),
                None,
                Some(&vp(Some(VirtualPortType::Midonet))),
            ),
        );
        assert!(
            err.contains("type 'openvswitch' from the interface"),
            "{err}"
        );
        assert!(err.contains("type 'midonet' from the portgroup"), "{err}");
    }

    #[test]
    fn an_untyped_profile_adopts_the_type_and_all_untyped_is_none() {
        let id = uuid("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f");
        let iface = VirtualPort {
            interfaceid: Some(id),
            ..vp(None)
        };
        let m = merge_virtualport(
            Some(&iface),
            None,
            Some(&vp(Some(VirtualPortType::Openvswitch))),
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.kind, Some(VirtualPortType::Openvswitch));
        assert_eq!(m.interfaceid, Some(id));
        // No type anywhere: libvirt's merge gives no profile at all.
        let pg = VirtualPort {
            profileid: Some(Text::parse("p").unwrap()),
            ..vp(None)
        };
        assert_eq!(
            merge_virtualport(Some(&iface), None, Some(&pg)).unwrap(),
            None
        );
        assert_eq!(merge_virtualport(None, None, None).unwrap(), None);
    }

    #[test]
    fn attributes_the_merged_type_has_no_use_for_are_dropped() {
        // The interface's managerid means nothing to 802.1Qbh: dropped, no conflict check.
        let iface = VirtualPort {
            managerid: Some(5),
            ..vp(None)
        };
        let net = VirtualPort {
            profileid: Some(Text::parse("spongebob24").unwrap()),
            ..vp(Some(VirtualPortType::Qbh))
        };
        let pg = VirtualPort {
            managerid: Some(6),
            interfaceid: Some(uuid("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f")),
            ..vp(None)
        };
        let m = merge_virtualport(Some(&iface), Some(&net), Some(&pg))
            .unwrap()
            .unwrap();
        assert_eq!(m, net);
        // midonet takes no interfaceid from the network, only the interface's own.
        let net = VirtualPort {
            interfaceid: Some(uuid("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f")),
            ..vp(Some(VirtualPortType::Midonet))
        };
        let m = merge_virtualport(None, Some(&net), None).unwrap().unwrap();
        assert_eq!(m, vp(Some(VirtualPortType::Midonet)));
    }

    #[test]
    fn completion_requires_what_each_type_needs() {
        let port = uuid("a0e9a1f1-6e0e-4b9c-9a0e-0a4c2a3b4c5d");
        let mut qbg = VirtualPort {
            managerid: Some(11),
            typeid: Some(1),
            ..vp(Some(VirtualPortType::Qbg))
        };
        assert_eq!(
            refused(RefusedKind::Missing, complete(&mut qbg, port, "vepa-net")),
            "missing typeidversion in <virtualport type='802.1Qbg'> for a port on network \
             'vepa-net' (neither the interface, the network nor the portgroup gives it)"
        );
        let mut qbh = vp(Some(VirtualPortType::Qbh));
        let err = refused(RefusedKind::Missing, complete(&mut qbh, port, "n"));
        assert!(err.starts_with("missing profileid in <virtualport type='802.1Qbh'>"));
        let mut mido = vp(Some(VirtualPortType::Midonet));
        let err = refused(RefusedKind::Missing, complete(&mut mido, port, "n"));
        assert!(err.starts_with("missing interfaceid in <virtualport type='midonet'>"));
    }

    #[test]
    fn generated_ids_are_derived_from_the_port_uuid() {
        let port = uuid("a0e9a1f1-6e0e-4b9c-9a0e-0a4c2a3b4c5d");
        let other = uuid("b0e9a1f1-6e0e-4b9c-9a0e-0a4c2a3b4c5d");
        let mut qbg = VirtualPort {
            managerid: Some(11),
            typeid: Some(1),
            typeidversion: Some(2),
            ..vp(Some(VirtualPortType::Qbg))
        };
        complete(&mut qbg, port, "n").unwrap();
        let want = Uuid::derived("instanceid", "a0e9a1f1-6e0e-4b9c-9a0e-0a4c2a3b4c5d");
        assert_eq!(qbg.instanceid, Some(want));
        let mut ovs = vp(Some(VirtualPortType::Openvswitch));
        complete(&mut ovs, port, "n").unwrap();
        let first = ovs.interfaceid;
        assert_eq!(first, Some(Uuid::derived("interfaceid", &port.to_string())));
        let mut again = vp(Some(VirtualPortType::Openvswitch));
        complete(&mut again, port, "n").unwrap();
        assert_eq!(again.interfaceid, first);
        let mut elsewhere = vp(Some(VirtualPortType::Openvswitch));
        complete(&mut elsewhere, other, "n").unwrap();
        assert_ne!(elsewhere.interfaceid, first);
        // A given id is kept.
        let given = uuid("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f");
        let mut kept = VirtualPort {
            interfaceid: Some(given),
            ..vp(Some(VirtualPortType::Openvswitch))
        };
        complete(&mut kept, port, "n").unwrap();
        assert_eq!(kept.interfaceid, Some(given));
    }
}
