//! What the benchmarks share: the generated 10,000-device host and a timing loop.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub const DEVICES: usize = 10_000;
pub const VLANS: usize = 4_000;
pub const RUNS: usize = 30;

/// The host XML and the number of devices it defines.
pub fn host() -> (String, usize) {
    host_of(DEVICES)
}

/// The same shape with `total` devices: two fifths of them VLANs, each the port of its
/// own bridge, as [`VLANS`] is of [`DEVICES`].
pub fn host_of(total: usize) -> (String, usize) {
    let vlans = total * VLANS / DEVICES;
    let mut x = String::from("<interfaces>\n");
    x.push_str(
        "  <interface type='bond' name='bond0'>\n    <start mode='onboot'/>\n    <mtu size='9000'/>\n    \
         <bond mode='802.3ad'>\n      <miimon freq='100' updelay='200' downdelay='200' carrier='netif'/>\n      \
         <interface type='ethernet' name='eth0'/>\n      <interface type='ethernet' name='eth1'/>\n    \
         </bond>\n  </interface>\n",
    );
    let mut devices = 3;
    for tag in 1..=vlans {
        let (hi, lo) = (tag / 250, tag % 250 + 1);
        write!(
            x,
            "  <interface type='bridge' name='br{tag}'>\n    <start mode='onboot'/>\n    \
             <protocol family='ipv4'>\n      <ip address='10.{hi}.{lo}.1' prefix='24'/>\n    </protocol>\n    \
             <protocol family='ipv6'>\n      <ip address='2001:db8:{tag:x}::1' prefix='64'/>\n    </protocol>\n    \
             <bridge stp='off' delay='0'>\n      <interface type='vlan' name='bond0.{tag}'>\n        \
             <vlan tag='{tag}'>\n          <interface name='bond0'/>\n        </vlan>\n      </interface>\n    \
             </bridge>\n  </interface>\n"
        )
        .unwrap();
        devices += 2;
    }
    let mut nic = 0;
    while devices < total {
        write!(
            x,
            "  <interface type='ethernet' name='nic{nic}'>\n    <start mode='hotplug'/>\n    \
             <mac address='52:54:00:{:02x}:{:02x}:01'/>\n    <protocol family='ipv4'>\n      <dhcp/>\n    \
             </protocol>\n  </interface>\n",
            nic / 256,
            nic % 256
        )
        .unwrap();
        nic += 1;
        devices += 1;
    }
    x.push_str("</interfaces>\n");
    (x, devices)
}

pub fn measure(mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..3 {
        f();
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

pub fn report(what: &str, times: &[Duration]) -> Duration {
    let median = times[times.len() / 2];
    println!(
        "{what:<28} min {:>7.2} ms   median {:>7.2} ms   max {:>7.2} ms",
        times[0].as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    median
}

/// The backend benchmark every file backend shares: render the 10,000-device host into an
/// empty root, render it again over a root holding those files (the merge or splice path),
/// import that root from memory, each against `budget`, and import it reading the disk,
/// reported only. Exits non-zero when a budgeted median is over.
pub fn backend(backend: &dyn netloom::backend::Backend, budget: Duration) {
    use netloom::backend::Snapshot;
    use netloom::engine::{TargetRoot, write_files};
    use std::hint::black_box;

    let (xml, devices) = host();
    let host = netloom::xml::read_str("bench.xml", &xml).unwrap();
    let empty = Snapshot::default();
    let files = backend.render(&host, &empty).unwrap();
    println!(
        "{}: {} files ({} top-level interfaces, {devices} devices)",
        backend.name(),
        files.len(),
        host.interfaces.len()
    );
    let render = report(
        "render (empty root)",
        &measure(|| {
            black_box(backend.render(black_box(&host), &empty).unwrap());
        }),
    );

    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    write_files(&root, &files).unwrap();
    let snap = root.snapshot(backend.scan()).unwrap();
    let again = report(
        "render (over its own files)",
        &measure(|| {
            black_box(backend.render(black_box(&host), &snap).unwrap());
        }),
    );
    let imported = backend.import(&snap, &[]).unwrap();
    assert_eq!(imported.interfaces.len(), host.interfaces.len());
    let import = report(
        "import (files in memory)",
        &measure(|| {
            black_box(backend.import(black_box(&snap), &[]).unwrap());
        }),
    );
    let import_disk = report(
        "import (reading the root)",
        &measure(|| {
            let snap = root.snapshot(backend.scan()).unwrap();
            black_box(backend.import(&snap, &[]).unwrap());
        }),
    );

    println!("import from disk is reported, not budgeted: {import_disk:?} median here");
    enforce(
        budget,
        [
            ("render".to_owned(), render),
            ("render over its own files".to_owned(), again),
            ("import".to_owned(), import),
        ],
    );
    println!("all within the {budget:?} budget");
}

/// Exits non-zero, naming them, when any of the `medians` is over `budget`.
pub fn enforce(budget: Duration, medians: impl IntoIterator<Item = (String, Duration)>) {
    let over: Vec<String> = medians
        .into_iter()
        .filter(|(_, t)| *t > budget)
        .map(|(w, _)| w)
        .collect();
    if !over.is_empty() {
        eprintln!("over the {budget:?} budget: {}", over.join(", "));
        std::process::exit(1);
    }
}
