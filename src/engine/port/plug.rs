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
use crate::model::network::{MacvtapMode, NetName, NetworkPort, Owner, Text};
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
    let running = running(doc, name, pid, qmp)?;
    let stored = Stored::load(root)?;
    let mut t = reconcile(&stored);
    let prev = t.guests.remove(name);
    let owner = owner(doc, name, prev.as_ref())?;
    let before: Vec<GuestInterface> = prev
        .as_ref()
        .map(|p| p.guest.interfaces.clone())
        .unwrap_or_default();
    let made: BTreeSet<String> = prev
        .as_ref()
        .map(|p| p.record.made.iter().cloned().collect())
        .unwrap_or_default();
    let mut held = hold_ports(&mut t, prev.as_ref());
    let mut taken = macs_taken(&t, doc)?;
    let have = host::devices()?;
    let mut names = device_names(&t, &have, &before, doc);
    let asked = give_macs(doc, name, &mut taken);
    // Unchanged interfaces keep their ports first, so every allocation below counts them.
    let (mut now, kept_macs) = keep_unchanged(&mut t, &before, &asked, &mut held);
    for (index, (slot, (mac, mut iface))) in now.iter_mut().zip(asked).enumerate() {
        if slot.is_some() {
            continue;
        }
        allocate_port(&mut t, &stored, &owner, index, mac, &mut iface)?;
        name_device(&mut iface, mac, &before, &made, &mut names)?;
        *slot = Some(iface);
    }
    let now: Vec<GuestInterface> = now.into_iter().flatten().collect();
    check_targets(&t, &stored, name, &now, &before, &have)?;
    preflight(&now, &made, &have)?;
    save_macs(&mut t, name, &now);
    give_up_devices(&mut t, &before, &now, &made);
    let guest = document(doc, name, now);
    let plugged = record(&guest, name, &owner, &made, &have, &running, prev.as_ref());
    let monitor = plugged
        .record
        .qmp
        .as_deref()
        .and_then(|q| QmpPath::parse(q).ok())
        .filter(|_| prev.is_some());
    t.guests.insert(name.clone(), plugged);
    let id = commit(session, root, &stored, &mut t, command)?;
    fault::point("port-committed").map_err(|e| Error::live(LiveKind::Injected, e.to_string()))?;
    let mut notes = std::mem::take(&mut t.notes);
    // A guest plugged before runs: the NICs whose cable goes out are told so before their
    // backends change, those whose cable goes in after (see `links`).
    let (downs, ups) = links(&before, &guest.interfaces, &kept_macs);
    set_links(monitor.as_ref(), &downs, &mut notes);
    change_host(session, id, name, &guest, &kept_macs, &made)?;
    // The downscripts of interfaces given up (gone from the document, or connected anew),
    // while their taps still exist.
    let given_up: Vec<&GuestInterface> = before
        .iter()
        .filter(|b| !kept_macs.contains(&b.mac))
        .collect();
    notes.extend(run_downscripts(&given_up));
    notes.extend(tidy(&t));
    set_links(monitor.as_ref(), &ups, &mut notes);
    notes.extend(unassociated(&guest));
    Ok(Outcome {
        xml: Some(xml::guest_to_xml(&guest)),
        notes,
    })
}

/// Where a plugged guest runs, as the command says: its process with that process's start
/// time (so a later process given the same pid is not taken for the guest), and its QMP
/// monitor. What the command leaves out is kept from the guest's earlier plug.
struct Running<'a> {
    pid: Option<u32>,
    start: Option<u64>,
    qmp: Option<&'a QmpPath>,
}

/// Checks what the command says of the guest against its document and the host: the
/// document names the same guest, and the process exists.
fn running<'a>(
    doc: &Guest,
    name: &GuestName,
    pid: Option<u32>,
    qmp: Option<&'a QmpPath>,
) -> Result<Running<'a>, Error> {
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
    Ok(Running { pid, start, qmp })
}

/// The owner the guest's ports name: its UUID is the document's, else the one it was
/// plugged with, else one derived from its name. A guest plugged before keeps its UUID:
/// one document giving another is refused, as its ports name the first.
fn owner(doc: &Guest, name: &GuestName, prev: Option<&Plugged>) -> Result<Owner, Error> {
    let uuid = doc
        .uuid
        .or_else(|| prev.and_then(|p| p.guest.uuid))
        .unwrap_or_else(|| Uuid::derived("guest", name.as_str()));
    if let Some(p) = prev.and_then(|p| p.guest.uuid).filter(|u| *u != uuid) {
        return Err(Error::refused(
            RefusedKind::Exists,
            format!("guest '{name}' is plugged with UUID {p}, not {uuid}; unplug it first"),
        ));
    }
    Ok(Owner {
        name: Text::parse(name.as_str())
            .map_err(|e| Error::usage(UsageKind::BadValue, format!("guest name '{name}': {e}")))?,
        uuid,
    })
}

/// Takes the ports of the guest's earlier plug off their networks, by port: those of
/// unchanged interfaces go back in `keep_unchanged`, the rest are released.
fn hold_ports(t: &mut Target, prev: Option<&Plugged>) -> BTreeMap<Uuid, (NetName, NetworkPort)> {
    let mine: BTreeSet<Uuid> = prev
        .map(Plugged::port_ids)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut held = BTreeMap::new();
    for (net, ports) in &mut t.ports {
        for p in ports.extract_if(.., |p| mine.contains(&p.uuid)) {
            held.insert(p.uuid, (net.clone(), p));
        }
    }
    held
}

/// The MACs a generated one must not repeat: other guests' (a clash with one is refused
/// here) and every one `doc` gives. Given MACs are taken before any is generated, so a
/// generated one never repeats a MAC given further down the document.
fn macs_taken(t: &Target, doc: &Guest) -> Result<BTreeSet<MacAddr>, Error> {
    let mut taken: BTreeSet<MacAddr> = macs_of_others(t, doc)?.into_keys().collect();
    taken.extend(doc.interfaces.iter().filter_map(|i| i.mac));
    Ok(taken)
}

/// The device names a new device must not take: the host's (`have`) and every target
/// a guest's interfaces name, before or now.
fn device_names(
    t: &Target,
    have: &BTreeSet<String>,
    before: &[GuestInterface],
    doc: &Guest,
) -> BTreeSet<String> {
    let targets = |ifaces: &[GuestInterface]| -> Vec<String> {
        ifaces
            .iter()
            .filter_map(|i| i.target.as_ref().map(|d| d.to_string()))
            .collect()
    };
    let mut names = have.clone();
    for g in t.guests.values() {
        names.extend(targets(&g.guest.interfaces));
    }
    names.extend(targets(before));
    names.extend(targets(&doc.interfaces));
    names
}

/// `doc`'s interfaces as asked, each with its MAC (generated where the document gives
/// none) and without the connection a plug fills in (`<actual>`, the port id).
fn give_macs(
    doc: &Guest,
    name: &GuestName,
    taken: &mut BTreeSet<MacAddr>,
) -> Vec<(MacAddr, GuestInterface)> {
    let mut asked = Vec::new();
    for (index, a) in doc.interfaces.iter().enumerate() {
        let mut iface = a.clone();
        iface.actual = None;
        if let GuestSource::Network { portid, .. } = &mut iface.source {
            *portid = None;
        }
        let mac = iface
            .mac
            .unwrap_or_else(|| port::new_mac(name, index, taken));
        taken.insert(mac);
        iface.mac = Some(mac);
        asked.push((mac, iface));
    }
    asked
}

/// Each asked interface that asks for what it was plugged with, as plugged (with the asked
/// model and link state), its port back on its network; `None` for one to connect anew.
/// Also the MACs of the kept ones.
fn keep_unchanged(
    t: &mut Target,
    before: &[GuestInterface],
    asked: &[(MacAddr, GuestInterface)],
    held: &mut BTreeMap<Uuid, (NetName, NetworkPort)>,
) -> (Vec<Option<GuestInterface>>, BTreeSet<Option<MacAddr>>) {
    let mut now: Vec<Option<GuestInterface>> = vec![None; asked.len()];
    let mut kept_macs: BTreeSet<Option<MacAddr>> = BTreeSet::new();
    for (slot, (_, iface)) in now.iter_mut().zip(asked) {
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
    (now, kept_macs)
}

/// Gives `iface` (the `index`th, with `mac`), when it connects to a network, a new port
/// on it, counted against the ports already there; its `<actual>` says what the port is.
fn allocate_port(
    t: &mut Target,
    stored: &Stored,
    owner: &Owner,
    index: usize,
    mac: MacAddr,
    iface: &mut GuestInterface,
) -> Result<(), Error> {
    let GuestSource::Network { network, .. } = &iface.source else {
        return Ok(());
    };
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
    let id = Uuid::derived("port", &format!("{}/{mac}", owner.uuid));
    let p = port::allocate(&usage, iface, owner, mac, id).map_err(|e| match e {
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
    Ok(())
}

/// Gives `iface`, connected anew, its device name: the one its NIC had, unless netloom
/// named it for another kind of device (a macvtap that now must be a tap): that one goes,
/// and the new one gets a free name of its kind, added to `names`. A NIC with no backend
/// needs none.
fn name_device(
    iface: &mut GuestInterface,
    mac: MacAddr,
    before: &[GuestInterface],
    made: &BTreeSet<String>,
    names: &mut BTreeSet<String>,
) -> Result<(), Error> {
    if iface.target.is_none() {
        let old = before.iter().find(|b| b.mac == Some(mac));
        iface.target = old
            .and_then(|o| o.target.clone())
            .filter(|d| !made.contains(d.as_str()) || same_kind(&Wanted::of(&named(iface)), d));
    }
    let prefix = match Wanted::of(&named(iface)) {
        Wanted::Macvtap { .. } => Some("macvtap"),
        Wanted::Tap { .. } => Some("vnet"),
        Wanted::Nothing | Wanted::Detached { .. } => None,
    };
    if let Some(prefix) = prefix.filter(|_| iface.target.is_none()) {
        let dev = host::free_name(prefix, names)?;
        names.insert(dev.to_string());
        iface.target = Some(dev);
    }
    Ok(())
}

/// Devices of interfaces that left the document go (netloom's) or are detached (the
/// guest's own). They stay in the record until a later command sees them gone, so a
/// netloom killed before removing them leaves them to the next one.
fn give_up_devices(
    t: &mut Target,
    before: &[GuestInterface],
    now: &[GuestInterface],
    made: &BTreeSet<String>,
) {
    for old in before {
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
}

/// The guest as it is recorded: its document (as a domain, with its UUID) and where it
/// runs. The devices this plug will make are known only once it made them; the record
/// names them already, so a netloom killed in between leaves them to be removed with the
/// guest.
fn record(
    guest: &Guest,
    name: &GuestName,
    owner: &Owner,
    made: &BTreeSet<String>,
    have: &BTreeSet<String>,
    running: &Running<'_>,
    prev: Option<&Plugged>,
) -> Plugged {
    let record_doc = Guest {
        form: GuestForm::Domain,
        uuid: Some(owner.uuid),
        ..guest.clone()
    };
    let mut record = GuestRecord {
        name: name.to_string(),
        uuid: owner.uuid.to_string(),
        pid: running.pid.or_else(|| prev.and_then(|p| p.record.pid)),
        start_time: running
            .start
            .or_else(|| prev.and_then(|p| p.record.start_time)),
        boot_id: boot_id(),
        xml: xml::guest_to_xml(&record_doc),
        made: made.iter().cloned().collect(),
        qmp: running
            .qmp
            .map(|q| q.to_string())
            .or_else(|| prev.and_then(|p| p.record.qmp.clone())),
    };
    for i in &guest.interfaces {
        if let Some(d) = i.target.as_ref().map(|d| d.to_string())
            && !have.contains(&d)
            && !record.made.contains(&d)
            && matches!(Wanted::of(i), Wanted::Tap { .. } | Wanted::Macvtap { .. })
        {
            record.made.push(d);
        }
    }
    Plugged {
        record,
        guest: record_doc,
    }
}

/// Sends `changes` to the running guest's QMP `monitor`, when there is one; a monitor that
/// cannot be told leaves a note, not a failed plug (the host side is what a plug is).
fn set_links(monitor: Option<&QmpPath>, changes: &[Link], notes: &mut Vec<String>) {
    if let Some(m) = monitor
        && let Err(e) = qmp::set_links(m, changes)
    {
        notes.push(e);
    }
}

/// Makes the host devices of `guest` (the plug committed as transaction `id`), then runs
/// the scripts of the interfaces connected anew (those whose MAC is not in `kept_macs`),
/// once every device exists. A step that fails undoes the host changes and the
/// transaction, after the downscripts of the scripts that ran.
fn change_host(
    session: &Session<'_>,
    id: Option<u64>,
    name: &GuestName,
    guest: &Guest,
    kept_macs: &BTreeSet<Option<MacAddr>>,
    made: &BTreeSet<String>,
) -> Result<(), Error> {
    let mut changes = HostChanges::default();
    let result = guest
        .interfaces
        .iter()
        .try_for_each(|i| changes.ensure(&Wanted::of(i), i.mac, made));
    let fresh: Vec<&GuestInterface> = guest
        .interfaces
        .iter()
        .filter(|i| !kept_macs.contains(&i.mac))
        .collect();
    let Err(e) = result.and_then(|()| run_scripts(&fresh)) else {
        return Ok(());
    };
    let mut failed = changes.undo();
    if let Some(id) = id
        && let Err(undo) = session.undo(id)
    {
        failed.push(undo.to_string());
    }
    if failed.is_empty() {
        return Err(Error::live(
            LiveKind::Failed,
            format!("plugging guest '{name}' failed, and everything it did was undone: {e}"),
        ));
    }
    Err(Error::live(
        LiveKind::Undo,
        format!(
            "plugging guest '{name}' failed: {e}; undoing it failed too: {}",
            failed.join("; ")
        ),
    ))
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
        return Err(not_plugged(session, root, &stored, &mut t, name, command));
    };
    let given_up: Vec<GuestInterface> = g
        .guest
        .interfaces
        .iter()
        .filter(|i| mac.is_none() || i.mac == mac)
        .cloned()
        .collect();
    let released: BTreeSet<Uuid> = match mac {
        None => release_guest(&mut t, &g),
        Some(mac) => {
            let ids = unplug_interface(&mut t, &mut g, name, mac)?;
            t.guests.insert(name.clone(), g);
            ids
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

/// The refusal of an unplug of a guest that is not plugged. Reconciling may have just
/// released a guest that ended; that is committed (and tidied) first, so the refusal
/// says what happened to its ports and they are really gone.
fn not_plugged(
    session: &Session<'_>,
    root: &TargetRoot,
    stored: &Stored,
    t: &mut Target,
    name: &GuestName,
    command: &str,
) -> Error {
    let gone = stored.guests.contains_key(name);
    if let Err(e) = commit(session, root, stored, t, command) {
        return e;
    }
    tidy(t);
    if gone {
        Error::refused(
            RefusedKind::Missing,
            format!("guest '{name}' had ended already; its ports were released"),
        )
    } else {
        Error::refused(
            RefusedKind::Missing,
            format!("no guest named '{name}' is plugged; see `netloom port list`"),
        )
    }
}

/// Gives up every device of guest `g` (netloom's go, the guest's own are detached) and
/// returns its ports to release; the guest is forgotten.
fn release_guest(t: &mut Target, g: &Plugged) -> BTreeSet<Uuid> {
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

/// Turns guest `g`'s interface with `mac` into a NIC with no backend (its cable out, told
/// to a running guest over QMP) and returns its port to release, if it had one.
fn unplug_interface(
    t: &mut Target,
    g: &mut Plugged,
    name: &GuestName,
    mac: MacAddr,
) -> Result<BTreeSet<Uuid>, Error> {
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
    Ok(ids.into_iter().collect())
}

/// Saves the own MAC of each device a passthrough interface of `now` (a network's port or
/// type direct) lends its guest's MAC, with what holds it, before anything is changed: the
/// record is written before the host step, so a netloom killed in between still knows what
/// to put back. A device whose MAC a released port saved keeps that saved MAC (the
/// device's own, not the last guest's).
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
