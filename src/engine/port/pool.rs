//! A network's device pool as a plug sees it: `<pf dev>` expanded into the physical
//! function's virtual functions, read from sysfs at the first allocation as libvirt does.

use crate::error::{Error, RefusedKind};
use crate::model::IfaceName;
use crate::model::network::{ForwardMode, Network, PciAddress, PoolInterface};

/// `net` with a `<pf dev>` pool expanded into the PF's virtual functions, as libvirt does
/// at the first allocation: their network devices for macvtap modes, their PCI addresses
/// for hostdev.
pub(super) fn with_pool(net: &Network) -> Result<Network, Error> {
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
        return Err(Error::refused(
            RefusedKind::Exhausted,
            format!(
                "network '{}': physical function '{pf}' has no usable virtual functions (none \
             under {})",
                net.name,
                dir.display()
            ),
        ));
    }
    Ok(out)
}

/// `DDDD:BB:SS.F`.
fn parse_pci(s: &str) -> Option<PciAddress> {
    let (domain, rest) = s.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (slot, function) = rest.split_once('.')?;
    Some(PciAddress {
        domain: u16::from_str_radix(domain, 16).ok()?,
        bus: u8::from_str_radix(bus, 16).ok()?,
        slot: u8::from_str_radix(slot, 16).ok()?,
        function: u8::from_str_radix(function, 16).ok()?,
        connections: None,
    })
}
