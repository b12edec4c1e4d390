//! What a plug refuses before anything is written: MACs and target devices that are not
//! the guest's to use, and what the host step would fail on.

use std::collections::{BTreeMap, BTreeSet};

use super::Target;
use super::host::{self, Wanted};
use super::state::Stored;
use crate::error::{Error, RefusedKind};
use crate::model::guest::{Guest, GuestInterface, GuestName};
use crate::model::{IfaceName, MacAddr};

/// The MACs other guests hold, refusing one of `doc`'s that another guest holds or that
/// `doc` gives twice.
pub(super) fn macs_of_others(
    t: &Target,
    doc: &Guest,
) -> Result<BTreeMap<MacAddr, GuestName>, Error> {
    let mut out = BTreeMap::new();
    for (n, g) in &t.guests {
        for m in g.guest.interfaces.iter().filter_map(|i| i.mac) {
            out.insert(m, n.clone());
        }
    }
    let mut seen = BTreeSet::new();
    for (index, m) in doc
        .interfaces
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.mac.map(|m| (i, m)))
    {
        if let Some(other) = out.get(&m) {
            return Err(Error::refused(
                RefusedKind::Exists,
                format!(
                    "interface {} has MAC {m}, which guest '{other}' uses already",
                    index + 1
                ),
            ));
        }
        if !seen.insert(m) {
            return Err(Error::refused(
                RefusedKind::Exists,
                format!(
                    "interface {} has MAC {m}, which an earlier interface has too",
                    index + 1
                ),
            ));
        }
    }
    Ok(out)
}

/// Refuses a `<target dev>` that is not the guest's to use: one another guest (or another
/// interface of this one) has, a running network's bridge or pool device, or an existing
/// device of a kind a guest's backend never is (a NIC, a bridge), which a plug would attach
/// and an unplug take down.
pub(super) fn check_targets(
    t: &Target,
    stored: &Stored,
    name: &GuestName,
    now: &[GuestInterface],
    before: &[GuestInterface],
    have: &BTreeSet<String>,
) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    for (index, iface) in now.iter().enumerate() {
        let Some(dev) = iface.target.as_ref().map(IfaceName::as_str) else {
            continue;
        };
        let which = format!("interface {} (target dev '{dev}')", index + 1);
        if !seen.insert(dev) {
            return Err(Error::refused(
                RefusedKind::Exists,
                format!("{which}: an earlier interface has that device too"),
            ));
        }
        if let Some((other, _)) = t.guests.iter().find(|(n, g)| {
            *n != name
                && g.guest
                    .interfaces
                    .iter()
                    .any(|i| i.target.as_ref().map(IfaceName::as_str) == Some(dev))
        }) {
            return Err(Error::refused(
                RefusedKind::Exists,
                format!("{which}: guest '{other}' uses that device"),
            ));
        }
        for net in stored.networks.values() {
            let bridge = net.bridge_name();
            let f = net.forward.as_ref();
            let pool = f.into_iter().flat_map(|f| {
                f.interfaces
                    .iter()
                    .map(|i| &i.dev)
                    .chain(f.dev.as_ref())
                    .chain(f.pf.as_ref())
            });
            if bridge.iter().chain(pool).any(|d| d.as_str() == dev) {
                return Err(Error::refused(
                    RefusedKind::Exists,
                    format!("{which}: that device belongs to network '{}'", net.name),
                ));
            }
        }
        let ours = before
            .iter()
            .any(|b| b.target.as_ref().map(IfaceName::as_str) == Some(dev));
        if have.contains(dev) && !ours {
            let kind = host::device(dev).and_then(|d| d.kind);
            if !kind
                .as_deref()
                .is_some_and(|k| host::GUEST_KINDS.contains(&k))
            {
                return Err(Error::refused(
                    RefusedKind::NotOurs,
                    format!(
                        "{which}: that device exists and is {}, not a tap, veth or macvtap; a \
                     guest's backend is never a device of the host's own",
                        kind.map_or("a physical or loopback device".to_owned(), |k| format!(
                            "a {k} device"
                        ))
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses, before anything is written, what the host step would fail on: a bridge or a
/// macvtap's device that does not exist, and an existing device of the guest's own that
/// cannot become what is wanted (netloom replaces only devices it made).
pub(super) fn preflight(
    now: &[GuestInterface],
    made: &BTreeSet<String>,
    have: &BTreeSet<String>,
) -> Result<(), Error> {
    for (index, iface) in now.iter().enumerate() {
        let which = |kind: RefusedKind, what: String| {
            Error::refused(
                kind,
                format!(
                    "interface {} ({}): {what}",
                    index + 1,
                    iface.mac.map(|m| m.to_string()).unwrap_or_default()
                ),
            )
        };
        match Wanted::of(iface) {
            Wanted::Tap {
                dev,
                bridge: Some(b),
                ..
            } => {
                if !have.contains(b.as_str()) {
                    return Err(which(
                        RefusedKind::Missing,
                        format!("bridge '{b}' does not exist"),
                    ));
                }
                let existing = host::device(dev.as_str());
                if let Some(k) = existing.and_then(|d| d.kind).filter(|k| k == "macvtap")
                    && !made.contains(dev.as_str())
                {
                    return Err(which(
                        RefusedKind::NotOurs,
                        format!("target dev '{dev}' is a {k}, which cannot join bridge '{b}'"),
                    ));
                }
            }
            Wanted::Macvtap { dev, lower, .. } => {
                if !have.contains(lower.as_str()) {
                    return Err(which(
                        RefusedKind::Missing,
                        format!("device '{lower}' does not exist"),
                    ));
                }
                let existing = host::device(dev.as_str());
                if let Some(k) = existing.and_then(|d| d.kind).filter(|k| k != "macvtap")
                    && !made.contains(dev.as_str())
                {
                    return Err(which(
                        RefusedKind::NotOurs,
                        format!("target dev '{dev}' is a {k}, not a macvtap on '{lower}'"),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}
