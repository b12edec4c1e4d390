//! Guest ports at scale: a vepa network with a pool of 64 devices and 10,000 plugged ports.
//! Recounting its usage from the ports (what every `port` command does first), allocating
//! one more port against those counts, writing and reading back all 10,000 `<networkport>`
//! documents (what a command loads), and reading a guest of 1,000 interfaces must each take
//! under 100 ms (median; the bench fails otherwise). Run with `cargo bench --bench port`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use netloom::model::network::{MacvtapMode, NetworkPort, Plug};
use netloom::model::{IfaceName, MacAddr, Uuid};
use netloom::source::SourceFile;
use netloom::{port, xml};

mod common;

const PORTS: usize = 10_000;
const POOL: usize = 64;
const NICS: usize = 1_000;
const BUDGET: Duration = Duration::from_millis(100);

fn main() {
    let mut x = String::from("<network>\n  <name>big</name>\n  <forward mode='vepa'>\n");
    for d in 0..POOL {
        writeln!(x, "    <interface dev='eth{d}'/>").unwrap();
    }
    x.push_str("  </forward>\n</network>\n");
    let net = xml::read_network_str("big.xml", &x).unwrap();
    let guest = |n: usize| {
        let mut g = format!("<domain>\n  <name>vm{n}</name>\n  <devices>\n");
        for i in 0..n {
            writeln!(
                g,
                "    <interface type='network'><mac address='52:54:00:{:02x}:{:02x}:{:02x}'/>\
                 <source network='big'/><model type='virtio'/></interface>",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            )
            .unwrap();
        }
        g.push_str("  </devices>\n</domain>\n");
        g
    };
    let one = xml::read_guest(&SourceFile::new("vm.xml", guest(1))).unwrap();
    let iface = &one.interfaces[0];
    let owner = netloom::model::network::Owner {
        name: netloom::model::network::Text::parse("vm").unwrap(),
        uuid: Uuid::derived("guest", "vm"),
    };
    let ports: Vec<NetworkPort> = (0..PORTS)
        .map(|i| {
            let mac = MacAddr::parse(&format!(
                "52:54:01:{:02x}:{:02x}:{:02x}",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            ))
            .unwrap();
            let uuid = Uuid::derived("port", &i.to_string());
            let mut p = port::allocate(&net, iface, &owner, mac, uuid).unwrap();
            p.plug = Some(Plug::Direct {
                dev: IfaceName::parse(&format!("eth{}", i % POOL)).unwrap(),
                mode: MacvtapMode::Vepa,
            });
            p
        })
        .collect();
    let refs: Vec<&NetworkPort> = ports.iter().collect();
    let (counted, rejected) = port::count(&net, &refs);
    assert!(rejected.is_empty());
    assert_eq!(counted.connections, Some(PORTS as u32));
    println!("ports: {PORTS} on a pool of {POOL}; a guest of {NICS} interfaces");

    let recount = common::report(
        "recount usage",
        &common::measure(|| {
            black_box(port::count(black_box(&net), black_box(&refs)));
        }),
    );
    let mac = MacAddr::parse("52:54:02:00:00:01").unwrap();
    let allocate = common::report(
        "allocate one more",
        &common::measure(|| {
            black_box(
                port::allocate(&counted, iface, &owner, mac, Uuid::derived("p", "x")).unwrap(),
            );
        }),
    );
    let texts: Vec<String> = ports.iter().map(xml::netport_to_xml).collect();
    let write = common::report(
        "write every <networkport>",
        &common::measure(|| {
            for p in &ports {
                black_box(xml::netport_to_xml(p));
            }
        }),
    );
    let read = common::report(
        "read every <networkport>",
        &common::measure(|| {
            for t in &texts {
                black_box(xml::read_netport(&SourceFile::new("p.xml", t.clone())).unwrap());
            }
        }),
    );
    let big = guest(NICS);
    let guest_read = common::report(
        "read the guest",
        &common::measure(|| {
            black_box(xml::read_guest(&SourceFile::new("g.xml", big.clone())).unwrap());
        }),
    );
    common::enforce(
        BUDGET,
        [
            ("recount".to_owned(), recount),
            ("allocate".to_owned(), allocate),
            ("write".to_owned(), write),
            ("read".to_owned(), read),
            ("read the guest".to_owned(), guest_read),
        ],
    );
    println!("all within the {BUDGET:?} budget");
}
