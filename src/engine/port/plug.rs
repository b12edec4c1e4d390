//! `port plug` and `port unplug`.
//!
//! A plug makes a guest's ports match its document: an interface already plugged with the
//! same request keeps its port, device and MAC; a new or changed one is resolved afresh
//! (a type-none NIC turned into a network one is the runtime plug), and one that left the
//! document is released.

use std::collections::{BTreeMap, BTreeSet};

use super::host::{self, HostChanges, Wanted};
use super::state::{GuestRecord, Plugged, Stored, boot_id, start_time};
use super::{Outcome, Target, commit, document, reconcile, tidy};
use crate::engine::{Session, TargetRoot, fault};
use crate::error::Error;
use crate::model::guest::{Guest, GuestForm, GuestInterface, GuestName, GuestSource, GuestType};
use crate::model::network::{ForwardMode, Network, Owner, PoolInterface, Text};
use crate::model::{IfaceName, MacAddr, Uuid};
use crate::port;
use crate::xml;

/// Plugs `doc`'s interfaces as guest `name` (living in process `pid`, when given) and
/// returns the guest's XML with every connection filled in.
pub fn plug(
    session: &Session<'_>,
    root: &TargetRoot,
    doc: &Guest,
    name: &GuestName,
    pid: Option<u32>,
    command: &str,
) -> Result<Outcome, Error> {
    if let Some(n) = doc.name.as_ref().filter(|n| *n != name) {
        return Err(Error::Usage(format!(
            "the XML is of guest '{n}', and --guest names '{name}'"
        )));
    }
    let start = match pid {
        Some(p) => Some(
            start_time(p)
                .ok_or_else(|| Error::Usage(format!("--pid {p}: there is no such process")))?,
        ),
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
        return Err(Error::Refused(format!(
            "guest '{name}' is plugged with UUID {p}, not {uuid}; unplug it first"
        )));
    }
    let owner = Owner {
        name: Text::parse(name.as_str())
            .map_err(|e| Error::Usage(format!("guest name '{name}': {e}")))?,
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
    let macs = macs_of_others(&t, doc)?;
    let mut taken: BTreeSet<MacAddr> = macs.keys().copied().collect();
    let have = host::devices();
    let mut names: BTreeSet<String> = have.clone();
    for g in t.guests.values() {
        names.extend(
            g.guest
                .interfaces
                .iter()
                .filter_map(|i| i.target.as_ref().map(|d| d.to_string())),
        );
    }
    names.extend(
        before
            .iter()
            .filter_map(|i| i.target.as_ref().map(|d| d.to_string())),
    );
    names.extend(
        doc.interfaces
            .iter()
            .filter_map(|i| i.target.as_ref().map(|d| d.to_string())),
    );

    let mut now = Vec::new();
    for (index, asked) in doc.interfaces.iter().enumerate() {
        let mut iface = asked.clone();
        iface.actual = None;
        if let GuestSource::Network { portid, .. } = &mut iface.source {
            *portid = None;
        }
        let mac = match iface.mac {
            Some(m) => m,
            None => port::new_mac(name, index, &taken),
        };
        taken.insert(mac);
        iface.mac = Some(mac);
        let old = before.iter().find(|b| b.mac == Some(mac));
        if iface.target.is_none() {
            iface.target = old.and_then(|o| o.target.clone());
        }
        if let Some(old) = old.filter(|o| same_request(o, &iface)) {
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
            now.push(kept);
            continue;
        }
        if let GuestSource::Network { network, .. } = &iface.source {
            let net = stored.networks.get(network).ok_or_else(|| {
                Error::Refused(format!(
                    "interface {} ({mac}): network '{network}' is not active; start it with \
                     `netloom net start {network}`",
                    index + 1
                ))
            })?;
            let net = with_pool(net)?;
            let (usage, _) = t.counted(&net);
            let id = Uuid::derived("port", &format!("{uuid}/{mac}"));
            let p = port::allocate(&usage, &iface, &owner, mac, id).map_err(|e| match e {
                Error::Refused(m) => {
                    Error::Refused(format!("interface {} ({mac}): {m}", index + 1))
                }
                other => other,
            })?;
            if let GuestSource::Network { portid, .. } = &mut iface.source {
                *portid = Some(id);
            }
            iface.actual = port::actual(&p);
            t.ports.entry(net.name.clone()).or_default().push(p);
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
        now.push(iface);
    }
    check_targets(&t, &stored, name, &now, &before, &have)?;
    // Devices of interfaces that left the document, or changed into another kind of
    // device, go; the others are detached.
    let made: BTreeSet<String> = prev
        .as_ref()
        .map(|p| p.record.made.iter().cloned().collect())
        .unwrap_or_default();
    let mut replaced = Vec::new();
    for old in &before {
        let Some(dev) = old.target.as_ref().map(|d| d.to_string()) else {
            continue;
        };
        let still = now
            .iter()
            .find(|n| n.target.as_ref().map(|d| d.as_str()) == Some(dev.as_str()));
        match still {
            None if made.contains(&dev) => t.cleanup.push(dev),
            None => t.detach.push(dev),
            Some(n) if made.contains(&dev) && kind_changed(&Wanted::of(old), &Wanted::of(n)) => {
                replaced.push(dev)
            }
            Some(_) => {}
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
        made: made
            .iter()
            .filter(|d| !t.cleanup.contains(d) && !replaced.contains(d))
            .cloned()
            .collect(),
    };
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
    fault::point("port-committed").map_err(|e| Error::Live(e.to_string()))?;
    let mut notes = std::mem::take(&mut t.notes);
    for dev in &replaced {
        host::remove(dev)?;
    }
    let mut changes = HostChanges::default();
    let present = host::devices();
    let result = guest
        .interfaces
        .iter()
        .try_for_each(|i| changes.ensure(&Wanted::of(i), i.mac, &present));
    if let Err(e) = result {
        let mut failed = changes.undo();
        if let Some(id) = id
            && let Err(undo) = session.undo(id)
        {
            failed.push(undo.to_string());
        }
        if failed.is_empty() {
            return Err(Error::Live(format!(
                "plugging guest '{name}' failed, and everything it did was undone: {e}"
            )));
        }
        return Err(Error::Live(format!(
            "plugging guest '{name}' failed: {e}; undoing it failed too: {}",
            failed.join("; ")
        )));
    }
    notes.extend(tidy(&t));
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
            Error::Refused(format!(
                "guest '{name}' had ended already; its ports were released"
            ))
        } else {
            Error::Refused(format!(
                "no guest named '{name}' is plugged; see `netloom port list`"
            ))
        });
    };
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
            let Some(i) = g.guest.interfaces.iter_mut().find(|i| i.mac == Some(mac)) else {
                return Err(Error::Refused(format!(
                    "guest '{name}' has no interface with MAC {mac}"
                )));
            };
            let ids = match &i.source {
                GuestSource::Network {
                    portid: Some(id), ..
                } => vec![*id],
                _ => Vec::new(),
            };
            if i.kind == GuestType::Unplugged {
                return Err(Error::Refused(format!(
                    "interface {mac} of guest '{name}' is not plugged"
                )));
            }
            i.kind = GuestType::Unplugged;
            i.source = GuestSource::Nothing;
            i.actual = None;
            i.virtualport = None;
            if let Some(dev) = i.target.as_ref() {
                t.detach.push(dev.to_string());
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
    notes.extend(tidy(&t));
    let what = match mac {
        Some(m) => format!("interface {m} of guest '{name}' unplugged"),
        None => format!("guest '{name}' unplugged"),
    };
    notes.push(format!("{what}: {} port(s) released", released.len()));
    Ok(Outcome { xml: None, notes })
}

/// The MACs other guests hold, refusing one of `doc`'s that another guest holds or that
/// `doc` gives twice.
fn macs_of_others(t: &Target, doc: &Guest) -> Result<BTreeMap<MacAddr, GuestName>, Error> {
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
            return Err(Error::Refused(format!(
                "interface {} has MAC {m}, which guest '{other}' uses already",
                index + 1
            )));
        }
        if !seen.insert(m) {
            return Err(Error::Refused(format!(
                "interface {} has MAC {m}, which an earlier interface has too",
                index + 1
            )));
        }
    }
    Ok(out)
}

/// Whether `old` (as plugged) and `new` (as asked) ask for the same connection, so the
/// port can be kept. The NIC model and link state are not part of the connection.
fn same_request(old: &GuestInterface, new: &GuestInterface) -> bool {
    let strip = |i: &GuestInterface| {
        let mut i = i.clone();
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

/// Whether a device must be made anew: a tap cannot become a macvtap, nor a macvtap move
/// to another lower device or mode.
fn kind_changed(old: &Wanted, new: &Wanted) -> bool {
    match (old, new) {
        (
            Wanted::Macvtap { lower, mode, .. },
            Wanted::Macvtap {
                lower: l, mode: m, ..
            },
        ) => lower != l || mode != m,
        (Wanted::Macvtap { .. }, Wanted::Tap { .. })
        | (Wanted::Tap { .. }, Wanted::Macvtap { .. }) => true,
        _ => false,
    }
}

/// `net` with a `<pf dev>` pool expanded into the PF's virtual functions, as libvirt does
/// at the first allocation: their network devices for macvtap modes, their PCI addresses
/// for hostdev.
fn with_pool(net: &Network) -> Result<Network, Error> {
    let Some(f) = &net.forward else {
        return Ok(net.clone());
    };
    let Some(pf) = &f.pf else {
        return Ok(net.clone());
    };
    if !f.interfaces.is_empty() || !f.addresses.is_empty() {
        return Ok(net.clone());
    }
    let dir = std::path::Path::new("/sys/class/net")
        .join(pf.as_str())
        .join("device");
    let mut vfs: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(&dir)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name().into_string().ok()?;
                    let i = n.strip_prefix("virtfn")?.parse().ok()?;
                    Some((i, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    vfs.sort();
    let mut out = net.clone();
    let Some(fw) = out.forward.as_mut() else {
        return Ok(out);
    };
    for (_, vf) in &vfs {
        if fw.mode == Some(ForwardMode::Hostdev) {
            if let Some(a) = std::fs::canonicalize(vf)
                .ok()
                .and_then(|p| p.file_name().and_then(|n| n.to_str()).and_then(parse_pci))
            {
                fw.addresses.push(a);
            }
        } else if let Some(dev) = std::fs::read_dir(vf.join("net"))
            .ok()
            .and_then(|mut r| r.next())
            .and_then(|e| e.ok())
            .and_then(|e| e.file_name().into_string().ok())
            .and_then(|n| IfaceName::parse(&n).ok())
        {
            fw.interfaces.push(PoolInterface {
                dev,
                connections: None,
            });
        }
    }
    if fw.interfaces.is_empty() && fw.addresses.is_empty() {
        return Err(Error::Refused(format!(
            "network '{}': physical function '{pf}' has no usable virtual functions (none \
             under {})",
            net.name,
            dir.display()
        )));
    }
    Ok(out)
}

/// `DDDD:BB:SS.F`.
fn parse_pci(s: &str) -> Option<crate::model::network::PciAddress> {
    let (domain, rest) = s.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (slot, function) = rest.split_once('.')?;
    Some(crate::model::network::PciAddress {
        domain: u16::from_str_radix(domain, 16).ok()?,
        bus: u8::from_str_radix(bus, 16).ok()?,
        slot: u8::from_str_radix(slot, 16).ok()?,
        function: u8::from_str_radix(function, 16).ok()?,
        connections: None,
    })
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

/// Refuses a `<target dev>` that is not the guest's to use: one another guest (or another
/// interface of this one) has, a running network's bridge or pool device, or an existing
/// device of a kind a guest's backend never is (a NIC, a bridge), which a plug would attach
/// and an unplug take down.
fn check_targets(
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
            return Err(Error::Refused(format!(
                "{which}: an earlier interface has that device too"
            )));
        }
        if let Some((other, _)) = t.guests.iter().find(|(n, g)| {
            *n != name
                && g.guest
                    .interfaces
                    .iter()
                    .any(|i| i.target.as_ref().map(IfaceName::as_str) == Some(dev))
        }) {
            return Err(Error::Refused(format!(
                "{which}: guest '{other}' uses that device"
            )));
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
                return Err(Error::Refused(format!(
                    "{which}: that device belongs to network '{}'",
                    net.name
                )));
            }
        }
        let ours = before
            .iter()
            .any(|b| b.target.as_ref().map(IfaceName::as_str) == Some(dev));
        if have.contains(dev) && !ours {
            let kind = host::kind(dev);
            if !kind
                .as_deref()
                .is_some_and(|k| host::GUEST_KINDS.contains(&k))
            {
                return Err(Error::Refused(format!(
                    "{which}: that device exists and is {}, not a tap, veth or macvtap; a \
                     guest's backend is never a device of the host's own",
                    kind.map_or("a physical or loopback device".to_owned(), |k| format!(
                        "a {k} device"
                    ))
                )));
            }
        }
    }
    Ok(())
}
