//! The VXLAN device that joins a cross-host network's bridge to the same network on other
//! hosts: one VNI per network, unicast to each listed peer (one all-zeros forwarding entry
//! per peer, so broadcasts and unknown destinations reach every peer and the device learns
//! where each guest is), and an MTU lowered by what the encapsulation adds.

use std::net::IpAddr;

use super::cmd::{self, argv};
use super::record::Step;
use crate::error::{Error, LiveKind};
use crate::model::IfaceName;
use crate::model::network::{CrossHost, Network, Vni};

/// The device of this host that holds `addr`, with its MTU, from `ip -j addr`.
fn underlay(addr: IpAddr) -> Result<Option<(String, u32)>, Error> {
    let out = cmd::run(&argv(&["ip", "-j", "addr", "show"]), None)?;
    let doc: serde_json::Value = serde_json::from_str(&out).map_err(|e| {
        Error::live(
            LiveKind::Unreadable,
            format!("cannot read the output of `ip -j addr show`: {e}"),
        )
    })?;
    let want = addr.to_string();
    Ok(doc.as_array().into_iter().flatten().find_map(|link| {
        let has = link
            .get("addr_info")?
            .as_array()?
            .iter()
            .any(|a| a.get("local").and_then(|l| l.as_str()) == Some(want.as_str()));
        let name = link.get("ifname")?.as_str()?.to_owned();
        let mtu = u32::try_from(link.get("mtu")?.as_u64()?).ok()?;
        has.then_some((name, mtu))
    }))
}

/// Creates the network's VXLAN device on `bridge` (after the bridge exists), recording it
/// for stop; returns what `net start` says about it (the MTU, and why). Nothing for a
/// network on one host.
pub(super) fn create(
    net: &Network,
    bridge: &IfaceName,
    steps: &mut Vec<Step>,
) -> Result<Option<String>, Error> {
    let (Some(x), Some(vni)) = (&net.cross_host, net.vni()) else {
        return Ok(None);
    };
    let fail =
        |kind: LiveKind, why: String| Error::live(kind, format!("network '{}': {why}", net.name));
    let listen = x.listen.address;
    let (dev, under_mtu) = underlay(listen)?.ok_or_else(|| {
        fail(
            LiveKind::Unavailable,
            format!(
                "<nl:listen address='{listen}'> is not an address of this host, so the other \
             hosts' VXLAN traffic could not reach it"
            ),
        )
    })?;
    let limit = under_mtu.saturating_sub(x.overhead());
    let mtu = match net.mtu.map(|m| m.get()) {
        Some(m) if m > limit => {
            return Err(fail(
                LiveKind::Conflict,
                format!(
                    "<mtu size='{m}'> does not fit through VXLAN over {dev} (MTU {under_mtu}, less \
                 {} bytes of encapsulation: at most {limit})",
                    x.overhead()
                ),
            ));
        }
        Some(m) => m,
        None => limit,
    };
    let name = x.device(vni);
    if super::link::devices()?.contains(&name) {
        return Err(fail(
            LiveKind::Conflict,
            format!("a device named {name} exists already"),
        ));
    }
    let link = Link {
        name: &name,
        vni,
        mtu,
        listen: listen.to_string(),
        dev: &dev,
    };
    add_link(&link, x, steps)?;
    let br = bridge.as_str();
    join_bridge(&link, br)?;
    let guests = match net.mtu {
        Some(_) => "DHCP tells the guests".to_owned(),
        None => format!("give <mtu size='{mtu}'/> so that DHCP tells the guests"),
    };
    Ok(Some(format!(
        "network '{}': VXLAN {name} (VNI {vni}, UDP port {}) to {} peer(s); MTU {mtu} on {br}, \
         {} bytes below {dev}'s {under_mtu} for the encapsulation; {guests}",
        net.name,
        x.port(),
        x.peers.len(),
        x.overhead()
    )))
}

/// The VXLAN device a network gets: its name, VNI, MTU, and the local address and device
/// of its underlay.
struct Link<'a> {
    name: &'a str,
    vni: Vni,
    mtu: u32,
    listen: String,
    dev: &'a str,
}

/// Adds the device, recorded for stop as soon as it exists, and one all-zeros forwarding
/// entry per peer, so flooded traffic reaches every other host.
fn add_link(link: &Link<'_>, x: &CrossHost, steps: &mut Vec<Step>) -> Result<(), Error> {
    let mut add = argv(&[
        "ip",
        "link",
        "add",
        "name",
        link.name,
        "mtu",
        &link.mtu.to_string(),
    ]);
    add.extend(argv(&["type", "vxlan", "id", &link.vni.to_string()]));
    add.extend(argv(&["local", &link.listen, "dev", link.dev]));
    add.extend(argv(&["dstport", &x.port().to_string()]));
    cmd::run(&add, None)?;
    steps.push(Step::Vxlan {
        name: link.name.to_owned(),
    });
    for peer in &x.peers {
        let (dst, port) = (peer.address.to_string(), peer.port_or_default().to_string());
        let fdb = argv(&[
            "bridge",
            "fdb",
            "append",
            "00:00:00:00:00:00",
            "dev",
            link.name,
            "dst",
            &dst,
            "port",
            &port,
        ]);
        cmd::run(&fdb, None)?;
    }
    Ok(())
}

/// Puts the device on the bridge `br`, lowers the bridge's MTU to the device's, and brings
/// the device up.
fn join_bridge(link: &Link<'_>, br: &str) -> Result<(), Error> {
    let mtu = link.mtu.to_string();
    cmd::run(
        &argv(&["ip", "link", "set", "dev", link.name, "master", br]),
        None,
    )?;
    cmd::run(&argv(&["ip", "link", "set", "dev", br, "mtu", &mtu]), None)?;
    cmd::run(&argv(&["ip", "link", "set", "dev", link.name, "up"]), None).map(drop)
}

/// Deletes the VXLAN device; one that is gone already is fine, and a device of that name
/// that is not a VXLAN device is not netloom's to delete.
pub(super) fn delete(name: &str) -> Result<(), Error> {
    super::link::delete_own(name, "vxlan")
}
