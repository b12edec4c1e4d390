//! `port plug` and `port unplug`.
//!
//! A plug makes a guest's ports match its document: an interface already plugged with the
//! same request keeps its port, device and MAC; a new or changed one is resolved afresh
//! (a type-none NIC turned into a network one is the runtime plug), and one that left the
//! document is released.

use std::collections::{BTreeMap, BTreeSet};

use super::checks::{check_targets, macs_of_others, preflight};
use super::host::{self, HostChanges, Wanted};
use super::pool::with_pool;
use super::qmp;
use super::script::{self, run_downscripts};
use super::state::{GuestRecord, Plugged, SavedMac, Stored, boot_id, direct_holder, start_time};
use super::{Outcome, Target, commit, document, reconcile, tidy};
use crate::engine::{Session, TargetRoot, fault};
use crate::error::{Error, LiveKind, RefusedKind, UsageKind};
use crate::model::guest::{Guest, GuestForm, GuestInterface, GuestName, GuestSource, GuestType};
use crate::model::network::{MacvtapMode, Owner, Text};
use crate::model::{IfaceName, MacAddr, Uuid};
use crate::port;
use crate::port::qemu::{self, QmpPath};
use crate::xml;

/// Plugs `doc`'s interfaces as guest `name` (living in process `pid`, when given) and
/// returns the guest's XML with every connection filled in.
pub fn plug(
    session: &Session<'_>,
    root: &TargetRoot,
    doc: &Guest,
    name: &GuestName,
    pid: Option<u32>,
    qmp: Option<&QmpPath>,
    command: &str,
) -> Result<Outcome, Error> {
    if let Some(n) = doc.name.as_ref().filter(|n| *n != name) {
        return Err(Error::usage(
            UsageKind::Conflict,
            format!("the XML is of guest '{n}', and --guest names '{name}'"),
        ));
    }
    let start = match pid {
        Some(p) => Some(start_time(p).ok_or_else(|| {
            Error::usage(
                UsageKind::BadValue,
                format!("--pid {p}: there is no such process"),
            )
        })?),
        None => None,
    };
    let stored = Stored::load(root)?;
    let mut t = reconcile(&stored);
    let prev = t.guests.remove(name);
    let uuid = doc
        .uuid
        .or_else(|| prev.as_ref().and_then(|p| p.guest.uuid))
        .unwrap_or_else(|| Uuid::derived("guest", name.as_str()));
    if let Some(p) = prev
        .as_ref()
        .and_then(|p| p.guest.uuid)
        .filter(|u| *u != uuid)
    {
        return Err(Error::refused(
            RefusedKind::Exists,
            format!("guest '{name}' is plugged with UUID {p}, not {uuid}; unplug it first"),
        ));
    }
    let owner = Owner {
        name: Text::parse(name.as_str())
            .map_err(|e| Error::usage(UsageKind::BadValue, format!("guest name '{name}': {e}")))?,
        uuid,
    };
    let before: Vec<GuestInterface> = prev
        .as_ref()
        .map(|p| p.guest.interfaces.clone())
        .unwrap_or_default();
    // This guest's ports come off; those of unchanged interfaces go back below.
    let mine: BTreeSet<Uuid> = prev
        .as_ref()
        .map(Plugged::port_ids)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut held: BTreeMap<
        Uuid,
        (
            crate::model::network::NetName,
            crate::model::network::NetworkPort,
        ),
    > = BTreeMap::new();
    for (net, ports) in &mut t.ports {
        for p in ports.extract_if(.., |p| mine.contains(&p.uuid)) {
            held.insert(p.uuid, (net.clone(), p));
        }
    }
    // Given MACs are taken before any is generated, so a generated one never repeats a
    // MAC given further down the document.
    let macs = macs_of_others(&t, doc)?;
    let mut taken: BTreeSet<MacAddr> = macs.keys().copied().collect();
    taken.extend(doc.interfaces.iter().filter_map(|i| i.mac));
    let have = host::devices()?;
    let mut names: BTreeSet<String> = have.clone();
    let targets = |ifaces: &[GuestInterface]| -> Vec<String> {
        ifaces
            .iter()
            .filter_map(|i| i.target.as_ref().map(|d| d.to_string()))
            .collect()
    };
    for g in t.guests.values() {
        names.extend(targets(&g.guest.interfaces));
    }
    names.extend(targets(&before));
    names.extend(targets(&doc.interfaces));

    let made: BTreeSet<String> = prev
        .as_ref()
        .map(|p| p.record.made.iter().cloned().collect())
        .unwrap_or_default();
    let mut asked = Vec::new();
    for (index, a) in doc.interfaces.iter().enumerate() {
        let mut iface = a.clone();
        iface.actual = None;
        if let GuestSource::Network { portid, .. } = &mut iface.source {
            *portid = None;
        }
        let mac = iface
            .mac
            .unwrap_or_else(|| port::new_mac(name, index, &taken));
        taken.insert(mac);
        iface.mac = Some(mac);
        asked.push((mac, iface));
    }
    // Unchanged interfaces keep their ports first, so every allocation below counts them.
    let mut now: Vec<Option<GuestInterface>> = vec![None; asked.len()];
    let mut kept_macs: BTreeSet<Option<MacAddr>> = BTreeSet::new();
    for (slot, (_, iface)) in now.iter_mut().zip(&asked) {
        let Some(old) = before
            .iter()
            .find(|b| b.mac == iface.mac && same_request(b, iface))
        else {
            continue;
        };
        kept_macs.insert(old.mac);
        let mut kept = old.clone();
        kept.link_up = iface.link_up;
        kept.model = iface.model.clone();
        if let GuestSource::Network {
            portid: Some(id), ..
        } = &old.source
            && let Some((net, p)) = held.remove(id)
        {
            t.ports.entry(net).or_default().push(p);
        }
        *slot = Some(kept);
    }
    for (index, (slot, (mac, mut iface))) in now.iter_mut().zip(asked).enumerate() {
        if slot.is_some() {
            continue;
        }
        if let GuestSource::Network { network, .. } = &iface.source {
            let net = stored.networks.get(network).ok_or_else(|| {
                Error::refused(
                    RefusedKind::Inactive,
                    format!(
                        "interface {} ({mac}): network '{network}' is not active; start it with \
                     `netloom net start {network}`",
                        index + 1
                    ),
                )
            })?;
            let net = with_pool(net)?;
            let (usage, _) = t.counted(&net);
            let id = Uuid::derived("port", &format!("{uuid}/{mac}"));
            let p = port::allocate(&usage, &iface, &owner, mac, id).map_err(|e| match e {
                Error::Refused { kind, message } => {
                    Error::refused(kind, format!("interface {} ({mac}): {message}", index + 1))
                }
                other => other,
            })?;
            if let GuestSource::Network { portid, .. } = &mut iface.source {
                *portid = Some(id);
            }
            iface.actual = port::actual(&p);
            t.ports.entry(net.name.clone()).or_default().push(p);
        }
        if iface.target.is_none() {
            // The NIC keeps its device name, unless netloom named it for another kind of
            // device (a macvtap that now must be a tap): that one goes, the new one gets a
            // name of its kind.
            let old = before.iter().find(|b| b.mac == Some(mac));
            iface.target = old.and_then(|o| o.target.clone()).filter(|d| {
                !made.contains(d.as_str()) || same_kind(&Wanted::of(&named(&iface)), d)
            });
        }
        // A device to make gets a name; a NIC with no backend needs none.
        let prefix = match Wanted::of(&named(&iface)) {
            Wanted::Macvtap { .. } => Some("macvtap"),
            Wanted::Tap { .. } => Some("vnet"),
            Wanted::Nothing | Wanted::Detached { .. } => None,
        };
        if let Some(prefix) = prefix.filter(|_| iface.target.is_none()) {
            let dev = host::free_name(prefix, &names)?;
            names.insert(dev.to_string());
            iface.target = Some(dev);
        }
        *slot = Some(iface);
    }
    let now: Vec<GuestInterface> = now.into_iter().flatten().collect();
    check_targets(&t, &stored, name, &now, &before, &have)?;
    preflight(&now, &made, &have)?;
    save_macs(&mut t, name, &now);
    // Devices of interfaces that left the document go (netloom's) or are detached (the
    // guest's own). They stay in the record until a later command sees them gone, so a
    // netloom killed before removing them leaves them to the next one.
    for old in &before {
        let Some(dev) = old.target.as_ref().map(|d| d.to_string()) else {
            continue;
        };
        if now
            .iter()
            .any(|n| n.target.as_ref().map(|d| d.as_str()) == Some(dev.as_str()))
        {
            continue;
        }
        if made.contains(&dev) {
            t.cleanup.push(dev);
        } else {
            t.detach.push(dev);
        }
    }
    let guest = document(doc, name, now);
    let record_doc = Guest {
        form: GuestForm::Domain,
        uuid: Some(uuid),
        ..guest.clone()
    };
    let mut record = GuestRecord {
        name: name.to_string(),
        uuid: uuid.to_string(),
        pid: pid.or_else(|| prev.as_ref().and_then(|p| p.record.pid)),
        start_time: start.or_else(|| prev.as_ref().and_then(|p| p.record.start_time)),
        boot_id: boot_id(),
        xml: xml::guest_to_xml(&record_doc),
        made: made.iter().cloned().collect(),
        qmp: qmp
            .map(|q| q.to_string())
            .or_else(|| prev.as_ref().and_then(|p| p.record.qmp.clone())),
    };
    let monitor = record
        .qmp
        .as_deref()
        .and_then(|q| QmpPath::parse(q).ok())
        .filter(|_| prev.is_some());
    // The devices this plug will make are known only once it made them; the record is
    // written first with the names it will use, so a netloom killed in between leaves
    // them to be removed with the guest.
    for i in &guest.interfaces {
        if let Some(d) = i.target.as_ref().map(|d| d.to_string())
            && !have.contains(&d)
            && !record.made.contains(&d)
            && matches!(Wanted::of(i), Wanted::Tap { .. } | Wanted::Macvtap { .. })
        {
            record.made.push(d);
        }
    }
    t.guests.insert(
        name.clone(),
        Plugged {
            record,
            guest: record_doc,
        },
    );
    let id = commit(session, root, &stored, &mut t, command)?;
    fault::point("port-committed").map_err(|e| Error::live(LiveKind::Injected, e.to_string()))?;
    let mut notes = std::mem::take(&mut t.notes);
    // A guest plugged before runs: the NICs whose cable goes out are told so before their
    // backends change, those whose cable goes in after (see `links`).
    let (downs, ups) = links(&before, &guest.interfaces, &kept_macs);
    if let Some(m) = &monitor
        && let Err(e) = qmp::set_links(m, &downs)
    {
        notes.push(e);
    }
    let mut changes = HostChanges::default();
    let result = guest
        .interfaces
        .iter()
        .try_for_each(|i| changes.ensure(&Wanted::of(i), i.mac, &made));
    // Scripts run once every device exists, for the interfaces connected anew; one that
    // fails undoes the plug, after the downscripts of those that ran.
    let fresh: Vec<&GuestInterface> = guest
        .interfaces
        .iter()
        .filter(|i| !kept_macs.contains(&i.mac))
        .collect();
    let result = result.and_then(|()| run_scripts(&fresh));
    if let Err(e) = result {
        let mut failed = changes.undo();
        if let Some(id) = id
            && let Err(undo) = session.undo(id)
        {
            failed.push(undo.to_string());
        }
        if failed.is_empty() {
            return Err(Error::live(
                LiveKind::Undo,
                format!("plugging guest '{name}' failed, and everything it did was undone: {e}"),
            ));
        }
        return Err(Error::live(
            LiveKind::Undo,
            format!(
                "plugging guest '{name}' failed: {e}; undoing it failed too: {}",
                failed.join("; ")
            ),
        ));
    }
    // The downscripts of interfaces given up (gone from the document, or connected anew),
    // while their taps still exist.
    let given_up: Vec<&GuestInterface> = before
        .iter()
        .filter(|b| !kept_macs.contains(&b.mac))
        .collect();
    notes.extend(run_downscripts(&given_up));
    notes.extend(tidy(&t));
    if let Some(m) = &monitor
        && let Err(e) = qmp::set_links(m, &ups)
    {
        notes.push(e);
    }
    notes.extend(unassociated(&guest));
    Ok(Outcome {
        xml: Some(xml::guest_to_xml(&guest)),
        notes,
    })
}

/// Unplugs guest `name`: one interface (the one with `mac`), whose NIC stays with no
/// backend and its link down, or the whole guest, which is forgotten.
pub fn unplug(
    session: &Session<'_>,
    root: &TargetRoot,
    name: &GuestName,
    mac: Option<MacAddr>,
    command: &str,
) -> Result<Outcome, Error> {
    let stored = Stored::load(root)?;
    let mut t = reconcile(&stored);
    let Some(mut g) = t.guests.remove(name) else {
        let gone = stored.guests.contains_key(name);
        commit(session, root, &stored, &mut t, command)?;
        tidy(&t);
        return Err(if gone {
            Error::refused(
                RefusedKind::Missing,
                format!("guest '{name}' had ended already; its ports were released"),
            )
        } else {
            Error::refused(
                RefusedKind::Missing,
                format!("no guest named '{name}' is plugged; see `netloom port list`"),
            )
        });
    };
    let given_up: Vec<GuestInterface> = g
        .guest
        .interfaces
        .iter()
        .filter(|i| mac.is_none() || i.mac == mac)
        .cloned()
        .collect();
    let released: BTreeSet<Uuid> = match mac {
        None => {
            for i in &g.guest.interfaces {
                if let Some(dev) = i.target.as_ref().map(|d| d.to_string()) {
                    if g.record.made.contains(&dev) {
                        t.cleanup.push(dev);
                    } else {
                        t.detach.push(dev);
                    }
                }
            }
            g.port_ids().into_iter().collect()
        }
        Some(mac) => {
            let index = g.guest.interfaces.iter().position(|i| i.mac == Some(mac));
            let Some(i) = g.guest.interfaces.iter_mut().find(|i| i.mac == Some(mac)) else {
                return Err(Error::refused(
                    RefusedKind::Missing,
                    format!("guest '{name}' has no interface with MAC {mac}"),
                ));
            };
            let ids = match &i.source {
                GuestSource::Network {
                    portid: Some(id), ..
                } => vec![*id],
                _ => Vec::new(),
            };
            if i.kind == GuestType::Unplugged {
                return Err(Error::refused(
                    RefusedKind::Missing,
                    format!("interface {mac} of guest '{name}' is not plugged"),
                ));
            }
            // A passthrough macvtap netloom made goes: its device returns to the pool, and
            // the kernel allows one passthrough macvtap per device.
            let exclusive = matches!(
                Wanted::of(i),
                Wanted::Macvtap {
                    mode: MacvtapMode::Passthrough,
                    ..
                }
            );
            if let Some(m) = g.record.qmp.as_deref().and_then(|q| QmpPath::parse(q).ok())
                && connected(i)
                && let Some(at) = index
                && let Err(e) = qmp::set_links(&m, &[(qemu::nic_id(at), false)])
            {
                t.notes.push(e);
            }
            i.kind = GuestType::Unplugged;
            i.source = GuestSource::Nothing;
            i.actual = None;
            i.virtualport = None;
            if let Some(dev) = i.target.as_ref().map(|d| d.to_string()) {
                if exclusive && g.record.made.contains(&dev) {
                    t.cleanup.push(dev);
                } else {
                    t.detach.push(dev);
                }
            }
            g.record.xml = xml::guest_to_xml(&g.guest);
            t.guests.insert(name.clone(), g.clone());
            ids.into_iter().collect()
        }
    };
    for ports in t.ports.values_mut() {
        ports.retain(|p| !released.contains(&p.uuid));
    }
    commit(session, root, &stored, &mut t, command)?;
    let mut notes = std::mem::take(&mut t.notes);
    notes.extend(run_downscripts(&given_up.iter().collect::<Vec<_>>()));
    notes.extend(tidy(&t));
    let what = match mac {
        Some(m) => format!("interface {m} of guest '{name}' unplugged"),
        None => format!("guest '{name}' unplugged"),
    };
    notes.push(format!("{what}: {} port(s) released", released.len()));
    Ok(Outcome { xml: None, notes })
}

/// Saves the own MAC of each device a passthrough interface of `now` (a network's port or
/// type direct) lends its guest's MAC, with what holds it, before anything is changed: the record is written before the host step, so a
/// netloom killed in between still knows what to put back. A device whose MAC a released
/// port saved keeps that saved MAC (the device's own, not the last guest's).
fn save_macs(t: &mut Target, guest: &GuestName, now: &[GuestInterface]) {
    for i in now {
        let Wanted::Macvtap {
            lower,
            lend_mac: true,
            ..
        } = Wanted::of(i)
        else {
            continue;
        };
        let (network, holder) = match &i.source {
            GuestSource::Network {
                network,
                portid: Some(id),
                ..
            } => (Some(network.to_string()), id.to_string()),
            GuestSource::Direct { .. } => (None, direct_holder(guest, i.mac)),
            _ => continue,
        };
        let dev = lower.to_string();
        if t.saved.get(&dev).is_some_and(|s| s.port == holder) {
            continue;
        }
        let own = match t.restore.iter().position(|s| s.dev == dev) {
            Some(at) => Some(t.restore.remove(at).mac),
            None => t
                .saved
                .remove(&dev)
                .map(|s| s.mac)
                .or_else(|| host::device(&dev).and_then(|d| d.address)),
        };
        if let Some(mac) = own {
            let saved = SavedMac {
                network,
                dev: dev.clone(),
                mac,
                port: holder,
            };
            t.saved.insert(dev, saved);
        }
    }
}

/// A NIC's link to set over QMP: its QEMU id, and up.
type Link = (String, bool);

/// Whether the guest sees `iface`'s cable in: it has a backend and its link is not down.
fn connected(iface: &GuestInterface) -> bool {
    iface.kind != GuestType::Unplugged && iface.link_up != Some(false)
}

/// The QMP link changes a plug of a running guest makes, as (NIC id, up): down, to send
/// before the host changes, for each NIC whose cable was in and goes out or is moved (its
/// interface connected anew); up, to send after, for each whose cable comes in or was
/// moved. The NIC ids follow document order, as QEMU was started with them (`port
/// qemu-args`); an interface new to the document has no NIC in the running guest and is
/// left out.
fn links(
    before: &[GuestInterface],
    now: &[GuestInterface],
    kept: &BTreeSet<Option<MacAddr>>,
) -> (Vec<Link>, Vec<Link>) {
    let (mut downs, mut ups) = (Vec::new(), Vec::new());
    for (index, i) in now.iter().enumerate() {
        let Some(old) = before.iter().find(|b| b.mac == i.mac) else {
            continue;
        };
        let moved = !kept.contains(&i.mac);
        let (was, is) = (connected(old), connected(i));
        if was && (!is || moved) {
            downs.push((qemu::nic_id(index), false));
        }
        if is && (!was || moved) {
            ups.push((qemu::nic_id(index), true));
        }
    }
    (downs, ups)
}

/// Runs the `<script>` of each of `ifaces` that has one, in order, with its tap; when one
/// fails, the downscripts of those that ran are run (their notes added to the error).
fn run_scripts(ifaces: &[&GuestInterface]) -> Result<(), Error> {
    let mut ran: Vec<&GuestInterface> = Vec::new();
    for i in ifaces {
        let (Some(path), Some(tap)) = (&i.script, &i.target) else {
            continue;
        };
        if let Err(e) = script::run(path, tap.as_str(), script::TIMEOUT) {
            let left = run_downscripts(&ran);
            if left.is_empty() {
                return Err(e);
            }
            return Err(Error::live(
                LiveKind::Undo,
                format!("{e}; {}", left.join("; ")),
            ));
        }
        ran.push(i);
    }
    Ok(())
}

/// Whether `old` (as plugged) and `new` (as asked) ask for the same connection, so the
/// port can be kept. The NIC model and link state are not part of the connection.
fn same_request(old: &GuestInterface, new: &GuestInterface) -> bool {
    // A network interface whose port went (its network stopped) must be plugged again.
    if matches!(old.source, GuestSource::Network { portid: None, .. }) {
        return false;
    }
    // A NIC that names no device keeps the one it has.
    let any_target = new.target.is_none();
    let strip = |i: &GuestInterface| {
        let mut i = i.clone();
        if any_target {
            i.target = None;
        }
        i.actual = None;
        i.model = None;
        i.link_up = None;
        if let GuestSource::Network { portid, .. } = &mut i.source {
            *portid = None;
        }
        i
    };
    strip(old) == strip(new)
}

/// `iface` with a placeholder target, to ask what kind of device it needs.
fn named(iface: &GuestInterface) -> GuestInterface {
    let mut i = iface.clone();
    if i.target.is_none() {
        i.target = IfaceName::parse("x").ok();
    }
    i
}

/// What netloom leaves to others, said once per interface: it resolves and records a
/// virtualport profile, but associating it (lldpad's VDP for 802.1Qbg/Qbh, `ovs-vsctl` for
/// Open vSwitch) is the switch side's, which netloom does not drive.
fn unassociated(guest: &Guest) -> Vec<String> {
    guest
        .interfaces
        .iter()
        .filter_map(|i| {
            let vp = i
                .actual
                .as_ref()
                .and_then(|a| a.virtualport.as_ref())
                .or(i.virtualport.as_ref())?;
            let kind = vp.kind.map_or("untyped", |k| k.as_str());
            let mac = i.mac.map(|m| m.to_string()).unwrap_or_default();
            Some(format!(
                "interface {mac}: its {kind} virtualport is recorded, not associated (netloom \
                 does not run lldpad or ovs-vsctl)"
            ))
        })
        .collect()
}

/// Whether device name `dev` (one netloom chose) is of the kind `want` needs, by the
/// prefix it was named with.
fn same_kind(want: &Wanted, dev: &IfaceName) -> bool {
    let d = dev.as_str();
    match want {
        Wanted::Macvtap { .. } => d.starts_with("macvtap"),
        Wanted::Tap { .. } => d.starts_with("vnet"),
        Wanted::Nothing | Wanted::Detached { .. } => true,
    }
}
