//! Reads and validates a generated host of 10,000 interfaces, then writes it back.
//!
//! The host is a bond of two NICs, 4,000 VLANs on the bond, each the port of its own
//! bridge with static IPv4 and IPv6 addresses, and enough plain DHCP NICs to make 10,000
//! devices. Budget: reading and validating under 50 ms (netcf needed 22 s to list 600).
//! Run with `cargo bench --bench read`; the median is what the README records.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

mod common;
use common::{DEVICES, RUNS, host, measure, report};

const BUDGET: Duration = Duration::from_millis(50);

fn main() {
    let (xml, devices) = host();
    assert_eq!(devices, DEVICES);
    let host = netloom::xml::read_str("bench.xml", &xml).unwrap();
    println!(
        "host: {devices} devices ({} top-level interfaces), {:.1} MiB of XML, {RUNS} runs",
        host.interfaces.len(),
        xml.len() as f64 / (1024.0 * 1024.0)
    );

    let read = measure(|| {
        black_box(netloom::xml::read_str("bench.xml", black_box(&xml)).unwrap());
    });
    let median = report("read + validate", &read);
    let write = measure(|| {
        black_box(netloom::xml::to_xml(black_box(&host)));
    });
    report("write canonical XML", &write);

    if median > BUDGET {
        eprintln!("read + validate took {median:?}, over the {BUDGET:?} budget");
        std::process::exit(1);
    }
    println!("read + validate is within the {BUDGET:?} budget");
}
