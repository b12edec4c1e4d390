//! The NetworkManager keyfile backend at scale, for hosts of 1,000 and 10,000 devices built
//! like the shared 10,000-device host (a bond, VLANs on it each the port of its own bridge
//! with IPv4 and IPv6 addresses, DHCP NICs): the model to settings, settings to keyfile
//! text, the whole render, reading the keyfiles back, and reading plus import. Then the
//! backend benchmark every file backend runs. Renders and imports of 10,000 devices must
//! stay under 100 ms (medians; the bench fails otherwise). Run with `cargo bench --bench nm`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use netloom::backend::{Backend, Snapshot};
use netloom::backends::nm::{Nm, import, keyfile, render};

mod common;

/// Measures every step for one size; returns the medians that have a budget.
fn size(devices: usize) -> Vec<(String, Duration)> {
    let host = netloom::xml::read_str("bench.xml", &common::host_of(devices).0).unwrap();
    let profiles = render::profiles(&host).unwrap();
    let files = Nm.render(&host, &Snapshot::default()).unwrap();
    println!("{devices} devices: {} keyfiles", files.len());
    let empty = Snapshot::default();
    let snap = Snapshot {
        files: files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect(),
        ..Snapshot::default()
    };
    let settings = common::report(
        "  model to settings",
        &common::measure(|| {
            black_box(render::profiles(black_box(&host)).unwrap());
        }),
    );
    common::report(
        "  settings to keyfile text",
        &common::measure(|| {
            for p in &profiles {
                black_box(keyfile::write(black_box(p)));
            }
        }),
    );
    let whole = common::report(
        "  render (both, empty root)",
        &common::measure(|| {
            black_box(Nm.render(black_box(&host), &empty).unwrap());
        }),
    );
    common::report(
        "  read the keyfiles",
        &common::measure(|| {
            for f in &files {
                black_box(keyfile::read(&f.path, black_box(&f.contents)).unwrap());
            }
        }),
    );
    let read: Vec<_> = files
        .iter()
        .map(|f| keyfile::read(&f.path, &f.contents).unwrap())
        .collect();
    common::report(
        "  import (settings as read)",
        &common::measure(|| {
            black_box(import::host(black_box(&read), &[]).unwrap());
        }),
    );
    let import = common::report(
        "  read + import",
        &common::measure(|| {
            black_box(Nm.import(black_box(&snap), &[]).unwrap());
        }),
    );
    assert_eq!(
        Nm.import(&snap, &[]).unwrap().interfaces.len(),
        host.interfaces.len()
    );
    vec![
        (format!("{devices}: model to settings"), settings),
        (format!("{devices}: render"), whole),
        (format!("{devices}: read + import"), import),
    ]
}

fn main() {
    let budget = Duration::from_millis(100);
    let mut budgeted = size(1_000);
    budgeted.extend(size(10_000));
    common::enforce(budget, budgeted);
    // The steps every file backend is measured by, on the shared host.
    common::backend(&Nm, budget);
}
