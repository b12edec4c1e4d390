//! `<networkport>` XML to the model and back.
//!
//! Reading follows libvirt's `networkport.rng` and `virNetworkPortDefParseXML`, as strictly
//! as the network reader: unknown elements and attributes, missing required parts and bad
//! values are each reported, positioned, in one run. Writing is libvirt's
//! `virNetworkPortDefFormat`, byte for byte on libvirt's own round-trip fixtures, so a port
//! file netloom stores can be diffed against the one libvirt keeps under
//! `/run/libvirt/network/`.
//!
//! The PCI address and driver readers and writers here are shared with a guest's
//! `<actual type='hostdev'>`, which holds the same plug in domain XML.

use roxmltree::{Document, Node};

use super::network::forward::{driver_name, hex_num};
use super::network::port::{port_options, portgroup_name, rate, virtualport, vlan};
use super::network::read::text_value;
use super::network::write as netwrite;
use super::reader::single_value;
use super::reader::{Reader, attribute, parse_u32, parse_yes_no};
use super::write::El;
use crate::error::Diagnostics;
use crate::model::network::{
    Bandwidth, MacTableManager, MacvtapMode, NetVlan, NetworkPort, Owner, PciAddress, Plug,
    PlugType, PortOptions, Text,
};
use crate::model::{IfaceName, MacAddr, Uuid, ValueError};
use crate::source::SourceFile;

/// The children of `<networkport>`, in libvirt's output order.
const CHILDREN: &[&str] = &[
    "uuid",
    "owner",
    "group",
    "mac",
    "virtualport",
    "bandwidth",
    "vlan",
    "port",
    "rxfilters",
    "plug",
];

/// Reads a `<networkport>`: a port file netloom stored, or one libvirt keeps, so the
/// usage of a network can be rebuilt from the ports plugged into it. Every problem is
/// reported, positioned.
pub fn read_netport(file: &SourceFile) -> Result<NetworkPort, Diagnostics> {
    let mut r = Reader::with_dialect(file, 0, "network port XML");
    let port = r.document().and_then(|doc| root(&mut r, &doc));
    finish(r, port)
}

/// The result of a read: the value when nothing was reported, else every problem in
/// reading order.
pub(super) fn finish<T>(r: Reader, value: Option<T>) -> Result<T, Diagnostics> {
    let diags = r.into_diagnostics();
    match value {
        Some(v) if diags.is_empty() => Ok(v),
        _ => Err(Diagnostics(diags)),
    }
}

fn root(r: &mut Reader, doc: &Document) -> Option<NetworkPort> {
    let el = r.root(doc, &["networkport"])?;
    let what = "<networkport>";
    r.check_attrs(el, what, &[]);
    let kids = r.children(el, what, CHILDREN, None);
    let uuid = need(r, el, &kids, "uuid", what).and_then(|n| text_value(r, n, "<uuid>", uuid_text));
    let owner = need(r, el, &kids, "owner", what).and_then(|n| owner(r, n));
    let mac = need(r, el, &kids, "mac", what)
        .and_then(|n| single_value(r, n, "<mac>", "address", MacAddr::parse));
    let group = r
        .once(&kids, "group", what)
        .and_then(|n| text_value(r, n, "<group>", portgroup_name));
    let virtualport = r
        .once(&kids, "virtualport", what)
        .and_then(|n| virtualport(r, n, false));
    let (bandwidth, class_id) = r
        .once(&kids, "bandwidth", what)
        .map(|n| bandwidth_with_class(r, n))
        .unwrap_or_default();
    let vlan = r
        .once(&kids, "vlan", what)
        .and_then(|n| vlan(r, n))
        .map(canonical_vlan);
    let port = r
        .once(&kids, "port", what)
        .and_then(|n| port_isolated(r, n));
    let trust_guest_rx_filters = r
        .once(&kids, "rxfilters", what)
        .and_then(|n| single_value(r, n, "<rxfilters>", "trustGuest", parse_yes_no));
    let plug = r.once(&kids, "plug", what).and_then(|n| plug(r, n));
    Some(NetworkPort {
        uuid: uuid?,
        owner: owner?,
        group,
        mac: mac?,
        class_id,
        bandwidth,
        vlan,
        port,
        trust_guest_rx_filters,
        virtualport,
        plug,
    })
}

/// A UUID written as element text, where libvirt allows white space around it.
pub(super) fn uuid_text(s: &str) -> Result<Uuid, ValueError> {
    Uuid::parse(s.trim())
}

/// `<owner>` with its `<name>` and `<uuid>`.
fn owner(r: &mut Reader, el: Node) -> Option<Owner> {
    let what = "<owner>";
    r.check_attrs(el, what, &[]);
    let kids = r.children(el, what, &["name", "uuid"], None);
    let name = need(r, el, &kids, "name", what)
        .and_then(|n| text_value(r, n, "<owner><name>", owner_name));
    let uuid =
        need(r, el, &kids, "uuid", what).and_then(|n| text_value(r, n, "<owner><uuid>", uuid_text));
    Some(Owner {
        name: name?,
        uuid: uuid?,
    })
}

/// The one `name` child among `kids` of `el`; its absence is reported at `el`.
pub(super) fn need<'a, 'i>(
    r: &mut Reader,
    el: Node<'a, 'i>,
    kids: &[Node<'a, 'i>],
    name: &str,
    what: &str,
) -> Option<Node<'a, 'i>> {
    let found = r.once(kids, name, what);
    if found.is_none() {
        // 'u' is left out: a <uuid>.
        let article = if name.starts_with(['a', 'e', 'i', 'o']) {
            "an"
        } else {
            "a"
        };
        r.error(el.range().start, format!("{what} needs {article} <{name}>"));
    }
    found
}

/// The owning guest's name: libvirt refuses an empty one ("network port has no owner
/// name").
fn owner_name(s: &str) -> Result<Text, ValueError> {
    if s.is_empty() {
        return Err(ValueError("expected the owning guest's name".into()));
    }
    Text::parse(s)
}

/// `<bandwidth classID>`: the network's `<bandwidth>` plus the class a port with a floor
/// was given in the bridge's qdisc.
fn bandwidth_with_class(r: &mut Reader, el: Node) -> (Option<Bandwidth>, Option<u32>) {
    let what = "<bandwidth>";
    r.check_attrs(el, what, &["classID"]);
    let kids = r.children(el, what, &["inbound", "outbound"], None);
    let b = Bandwidth {
        inbound: r.once(&kids, "inbound", what).map(|n| rate(r, n, true)),
        outbound: r.once(&kids, "outbound", what).map(|n| rate(r, n, false)),
    };
    (non_empty(b), r.optional(el, what, "classID", parse_u32))
}

/// A `<bandwidth>` without rates limits nothing; libvirt writes none back, so it reads as
/// none, and a written document reads back to the same model.
pub(super) fn non_empty(b: Bandwidth) -> Option<Bandwidth> {
    (b.inbound.is_some() || b.outbound.is_some()).then_some(b)
}

/// A `<vlan>` as libvirt keeps it: `trunk='no'` and no `trunk` are the same, and several
/// tags are a trunk whether it says so or not. Reading normalizes, so what is written reads
/// back to the same model.
pub(super) fn canonical_vlan(mut v: NetVlan) -> NetVlan {
    let trunk = v.trunk == Some(true) || v.tags.len() > 1;
    v.trunk = trunk.then_some(true);
    v
}

/// `<port isolated>`; a `<port/>` that says nothing reads as no `<port>`, as libvirt drops
/// it.
pub(super) fn port_isolated(r: &mut Reader, el: Node) -> Option<PortOptions> {
    Some(port_options(r, el)).filter(|p| p.isolated.is_some())
}

/// `<plug type>` and what the type takes.
fn plug(r: &mut Reader, el: Node) -> Option<Plug> {
    let kind = r.value(el, "<plug>", "type", PlugType::parse);
    let what = match kind {
        Some(k) => format!("<plug type='{k}'>"),
        None => "<plug>".to_owned(),
    };
    let (attrs, children): (&[&str], &[&str]) = match kind {
        Some(PlugType::Network | PlugType::Bridge) => (&["type", "bridge", "macTableManager"], &[]),
        Some(PlugType::Direct) => (&["type", "dev", "mode"], &[]),
        Some(PlugType::HostdevPci) => (&["type", "managed"], &["driver", "address"]),
        None => (
            &[
                "type",
                "bridge",
                "macTableManager",
                "dev",
                "mode",
                "managed",
            ],
            &["driver", "address"],
        ),
    };
    r.check_attrs(el, &what, attrs);
    let kids = r.children(el, &what, children, None);
    match kind? {
        kind @ (PlugType::Network | PlugType::Bridge) => {
            let bridge = r.value(el, &what, "bridge", IfaceName::parse);
            let mac_table_manager =
                r.optional(el, &what, "macTableManager", MacTableManager::parse);
            Some(Plug::Bridge {
                kind,
                bridge: bridge?,
                mac_table_manager,
            })
        }
        PlugType::Direct => {
            let dev = r.value(el, &what, "dev", IfaceName::parse);
            // libvirt's parser takes a missing mode as its first one, vepa.
            let mode = r.optional(el, &what, "mode", MacvtapMode::parse);
            Some(Plug::Direct {
                dev: dev?,
                mode: mode.unwrap_or(MacvtapMode::Vepa),
            })
        }
        PlugType::HostdevPci => {
            let managed = r.optional(el, &what, "managed", parse_yes_no);
            let driver = r.once(&kids, "driver", &what).and_then(|n| driver(r, n));
            let address = match r.once(&kids, "address", &what) {
                Some(n) => pci_address(r, n, "<plug><address>", false),
                None => {
                    r.error(el.range().start, format!("{what} needs an <address>"));
                    None
                }
            };
            Some(Plug::HostdevPci {
                managed,
                driver,
                address: address?,
            })
        }
    }
}

/// `<driver name>` of a PCI plug: `kvm`, `vfio` or `xen`.
pub(super) fn driver(r: &mut Reader, el: Node) -> Option<Text> {
    let what = "<driver>";
    r.check_attrs(el, what, &["name"]);
    r.children(el, what, &[], None);
    r.optional(el, what, "name", driver_name)
}

/// `<address domain bus slot function>` of a PCI plug; `typed` asks for the
/// `type='pci'` that domain XML writes. A part left out is 0, as in libvirt.
pub(super) fn pci_address(r: &mut Reader, n: Node, what: &str, typed: bool) -> Option<PciAddress> {
    let attrs: &[&str] = if typed {
        &["type", "domain", "bus", "slot", "function"]
    } else {
        &["domain", "bus", "slot", "function"]
    };
    r.check_attrs(n, what, attrs);
    r.children(n, what, &[], None);
    let ty = if typed {
        r.value(n, what, "type", |s| {
            if s == "pci" {
                Ok(())
            } else {
                Err(ValueError("expected 'pci'".into()))
            }
        })
    } else {
        Some(())
    };
    let mut part = |name: &str, max: u32| {
        let v = r.optional(n, what, name, |s| hex_num(s, max));
        match (attribute(n, name), v) {
            (None, _) => Some(0),
            (Some(_), v) => v,
        }
    };
    let domain = part("domain", 0xffff);
    let bus = part("bus", 0xff);
    let slot = part("slot", 0x1f);
    let function = part("function", 7);
    ty?;
    Some(PciAddress {
        domain: u16::try_from(domain?).ok()?,
        bus: u8::try_from(bus?).ok()?,
        slot: u8::try_from(slot?).ok()?,
        function: u8::try_from(function?).ok()?,
        connections: None,
    })
}

/// The canonical XML of a port (libvirt's `virNetworkPortDefFormat`), ending in a newline.
///
/// The element order is libvirt's: `<virtualport>` right after `<mac>`, then bandwidth,
/// vlan, port options, rxfilters and the plug.
pub fn netport_to_xml(port: &NetworkPort) -> String {
    let root = El::new("networkport")
        .child(El::new("uuid").text(port.uuid))
        .child(
            El::new("owner")
                .child(El::new("name").text(&port.owner.name))
                .child(El::new("uuid").text(port.owner.uuid)),
        )
        .children(port.group.as_ref().map(|g| El::new("group").text(g)))
        .child(El::new("mac").attr("address", port.mac))
        .children(port.virtualport.as_ref().map(netwrite::virtualport))
        .children(bandwidth_el(port.bandwidth.as_ref(), port.class_id))
        .children(port.vlan.as_ref().map(netwrite::vlan))
        .children(port_el(port.port))
        .children(
            port.trust_guest_rx_filters
                .map(|t| El::new("rxfilters").attr("trustGuest", netwrite::yes_no(t))),
        )
        .children(port.plug.as_ref().map(plug_el));
    let mut out = String::new();
    root.write(&mut out, 0);
    out
}

/// `<bandwidth classID>`; a class without rates is still written, so it is not lost.
fn bandwidth_el(b: Option<&Bandwidth>, class_id: Option<u32>) -> Option<El> {
    match b.and_then(netwrite::bandwidth) {
        Some(el) => Some(el.opt("classID", class_id)),
        None => class_id.map(|c| El::new("bandwidth").attr("classID", c)),
    }
}

/// `<port isolated>`, written only when it says something.
pub(super) fn port_el(p: Option<PortOptions>) -> Option<El> {
    p.and_then(|p| p.isolated)
        .map(|i| El::new("port").attr("isolated", netwrite::yes_no(i)))
}

fn plug_el(p: &Plug) -> El {
    let el = El::new("plug").attr("type", p.kind());
    match p {
        Plug::Bridge {
            bridge,
            mac_table_manager,
            ..
        } => el
            .attr("bridge", bridge)
            .opt("macTableManager", *mac_table_manager),
        Plug::Direct { dev, mode } => el.attr("dev", dev).attr("mode", mode),
        Plug::HostdevPci {
            managed,
            driver,
            address,
        } => el
            .opt("managed", managed.map(netwrite::yes_no))
            .children(driver_el(driver.as_ref()))
            .child(pci_address_el(address, false)),
    }
}

/// `<driver name>`.
pub(super) fn driver_el(driver: Option<&Text>) -> Option<El> {
    driver.map(|d| El::new("driver").attr("name", d))
}

/// `<address domain='0x0001' bus='0x02' slot='0x03' function='0x4'/>`, libvirt's
/// `virPCIDeviceAddressFormat`; `typed` adds the `type='pci'` of domain XML.
pub(super) fn pci_address_el(a: &PciAddress, typed: bool) -> El {
    El::new("address")
        .opt("type", typed.then_some("pci"))
        .attr("domain", format!("0x{:04x}", a.domain))
        .attr("bus", format!("0x{:02x}", a.bus))
        .attr("slot", format!("0x{:02x}", a.slot))
        .attr("function", format!("0x{:x}", a.function))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "<networkport>\n  <uuid>5d744f21-ba4a-4d6e-bdb2-30a35ff3207d</uuid>\n  <owner>\n    <name>memtest</name>\n    <uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid>\n  </owner>\n  <mac address='52:54:00:7b:35:93'/>\n";

    fn read(text: &str) -> Result<NetworkPort, String> {
        read_netport(&SourceFile::new("p.xml", text)).map_err(|e| e.to_string())
    }

    #[test]
    fn a_hostdev_plug_reads_its_address_and_writes_it_in_libvirts_spelling() {
        let text = format!(
            "{HEAD}  <plug type='hostdev-pci' managed='no'>\n    <driver name='vfio'/>\n    <address domain='1' bus='0x2' slot='3' function='4'/>\n  </plug>\n</networkport>\n"
        );
        let port = read(&text).unwrap();
        let Some(Plug::HostdevPci {
            managed,
            driver,
            address,
        }) = &port.plug
        else {
            panic!("{:?}", port.plug);
        };
        assert_eq!(*managed, Some(false));
        assert_eq!(driver.as_ref().map(Text::as_str), Some("vfio"));
        assert_eq!(
            (address.domain, address.bus, address.slot, address.function),
            (1, 2, 3, 4)
        );
        let out = netport_to_xml(&port);
        assert!(
            out.contains("    <driver name='vfio'/>\n    <address domain='0x0001' bus='0x02' slot='0x03' function='0x4'/>\n"),
            "{out}"
        );
        assert_eq!(read(&out).unwrap(), port);
    }

    #[test]
    fn virtualport_follows_mac_and_a_lone_class_id_survives() {
        let text = format!(
            "{HEAD}  <rxfilters trustGuest='no'/>\n  <bandwidth classID='7'/>\n  <virtualport type='openvswitch'/>\n</networkport>\n"
        );
        let port = read(&text).unwrap();
        assert_eq!(port.class_id, Some(7));
        assert_eq!(port.bandwidth, None);
        let out = netport_to_xml(&port);
        assert!(
            out.ends_with("  <mac address='52:54:00:7b:35:93'/>\n  <virtualport type='openvswitch'/>\n  <bandwidth classID='7'/>\n  <rxfilters trustGuest='no'/>\n</networkport>\n"),
            "{out}"
        );
        assert_eq!(read(&out).unwrap(), port);
    }

    #[test]
    fn every_problem_of_a_port_is_reported_positioned() {
        let text = "<networkport>\n  <owner>\n    <name></name>\n  </owner>\n  <mac address='01:00:00:00:00:01'/>\n  <plug type='direct' bridge='br0' mode='fast'/>\n  <extra/>\n</networkport>\n";
        let err = read(text).unwrap_err();
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("p.xml:")).collect();
        let want = [
            "p.xml:1:1: <networkport> needs a <uuid>",
            "p.xml:2:3: <owner> needs a <uuid>",
            "p.xml:3:5: invalid <owner><name> '': expected the owning guest's name",
            "p.xml:5:17: invalid address '01:00:00:00:00:01' on <mac>",
            "p.xml:6:3: <plug type='direct'> is missing the required attribute 'dev'",
            "p.xml:6:23: unknown attribute 'bridge' on <plug type='direct'>",
            "p.xml:6:42: invalid mode 'fast' on <plug type='direct'>",
            "p.xml:7:3: unknown element <extra> in <networkport>",
        ];
        assert_eq!(lines.len(), want.len(), "{err}");
        for (line, want) in lines.iter().zip(want) {
            assert!(line.starts_with(want), "{line}\nwanted {want}\nin {err}");
        }
    }

    #[test]
    fn another_root_is_refused() {
        let err = read("<network/>").unwrap_err();
        assert!(
            err.starts_with(
                "p.xml:1:1: expected <networkport> as the root element, found <network>"
            ),
            "{err}"
        );
    }
}
