//! The dnsmasq backend at scale: a nat network with 50,000 static DHCP hosts (IPv4, MAC,
//! name and address, in a /16) renders its conf, hostsfile and addnhosts in under 100 ms,
//! and reading that network's XML takes under 100 ms too; the addnhosts of 100,000 DNS
//! hosts at distinct addresses (grouping them by a linear scan once took 6.3 s) is written
//! in under 100 ms. Medians; the bench fails when one is over. Run with
//! `cargo bench --bench network`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use netloom::backend::{NetBackend, NetContext};
use netloom::backends::dnsmasq::Dnsmasq;

mod common;

const HOSTS: usize = 50_000;
const DNS_HOSTS: usize = 100_000;
const BUDGET: Duration = Duration::from_millis(100);

/// The network XML: 10.0.0.0/16, a range in 10.0.255.x and one host per address from
/// 10.0.0.2 on.
fn network() -> String {
    let mut x = String::from(
        "<network>\n  <name>big</name>\n  <forward mode='nat'/>\n  <bridge name='virbr0'/>\n  \
         <ip address='10.0.0.1' prefix='16'>\n    <dhcp>\n      \
         <range start='10.0.255.1' end='10.0.255.254'/>\n",
    );
    for i in 0..HOSTS {
        let n = i + 2;
        writeln!(
            x,
            "      <host mac='52:54:00:00:{:02x}:{:02x}' name='guest{i}' ip='10.0.{}.{}'/>",
            n / 256,
            n % 256,
            n / 256,
            n % 256
        )
        .unwrap();
    }
    x.push_str("    </dhcp>\n  </ip>\n</network>\n");
    x
}

/// A network with [`DNS_HOSTS`] `<dns><host>`s, each named `a` at its own address, and one
/// more named `b` at an address of the others (which its line must join).
fn dns_hosts() -> String {
    let mut x = String::from(
        "<network>\n  <name>dns</name>\n  <forward mode='nat'/>\n  <bridge name='virbr1'/>\n  \
         <ip address='10.0.0.1' prefix='8'/>\n  <dns>\n",
    );
    for i in 0..DNS_HOSTS {
        let [_, a, b, c] = u32::try_from(i + 0x1_0000).unwrap().to_be_bytes();
        writeln!(
            x,
            "    <host ip='10.{a}.{b}.{c}'><hostname>a</hostname></host>"
        )
        .unwrap();
    }
    x.push_str("    <host ip='10.1.0.5'><hostname>b</hostname></host>\n  </dns>\n</network>\n");
    x
}

fn main() {
    let xml = network();
    let net = netloom::xml::read_network_str("big.xml", &xml).unwrap();
    let ctx = NetContext::default();
    let files = Dnsmasq.render(&net, &ctx).unwrap();
    let hosts = files
        .iter()
        .find(|f| f.path.ends_with(".hostsfile"))
        .unwrap();
    assert_eq!(hosts.contents.lines().count(), HOSTS);
    println!(
        "dnsmasq: {HOSTS} DHCP hosts, {} files, {} KiB of XML, {} KiB of hostsfile",
        files.len(),
        xml.len() / 1024,
        hosts.contents.len() / 1024
    );
    let render = common::report(
        "render (conf+hosts+addn)",
        &common::measure(|| {
            black_box(Dnsmasq.render(black_box(&net), &ctx).unwrap());
        }),
    );
    let read = common::report(
        "read the XML",
        &common::measure(|| {
            black_box(netloom::xml::read_network_str("big.xml", black_box(&xml)).unwrap());
        }),
    );
    let dns = netloom::xml::read_network_str("dns.xml", &dns_hosts()).unwrap();
    let lines = netloom::backends::dnsmasq::addnhosts(&dns);
    assert_eq!(lines.lines().count(), DNS_HOSTS);
    let addnhosts = common::report(
        "addnhosts, 100,000 addresses",
        &common::measure(|| {
            black_box(netloom::backends::dnsmasq::addnhosts(black_box(&dns)));
        }),
    );
    common::enforce(
        BUDGET,
        [
            ("render".to_owned(), render),
            ("read the XML".to_owned(), read),
            ("addnhosts".to_owned(), addnhosts),
        ],
    );
    println!("all within the {BUDGET:?} budget");
}
