//! What the benchmarks share: the generated 10,000-device host, the bond-and-VLANs host of
//! issue 18, and timing loops.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub const DEVICES: usize = 10_000;
pub const VLANS: usize = 4_000;
pub const RUNS: usize = 30;
/// VLANs on each bond of [`vlan_host`]: one link carries at most 4,094 tags.
pub const VLANS_PER_BOND: usize = 1_000;
/// What [`sample`] spends on one row once it has its minimum of runs.
pub const ROW_TIME: Duration = Duration::from_secs(10);

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

/// The host of issue 18: `vlans` VLANs on bonds of two NICs each (802.3ad, MII monitoring,
/// MTU 9000), [`VLANS_PER_BOND`] on each bond, every VLAN up at boot with its own IPv4
/// address (a /28 of 10.0.0.0/8). 1,000 VLANs are one bond; 10,000 are ten, so the larger
/// host is exactly ten copies of the smaller and a linear write path costs ten times as much.
/// `benches/netplan-compare.sh` writes the same host as XML and as netplan YAML. Returns the
/// XML and the number of devices (bonds, their NICs, VLANs).
pub fn vlan_host(vlans: usize) -> (String, usize) {
    let mut x = String::from("<interfaces>\n");
    let mut devices = 0;
    for bond in 0..vlans.div_ceil(VLANS_PER_BOND) {
        write!(
            x,
            "  <interface type='bond' name='bond{bond}'>\n    <start mode='onboot'/>\n    \
             <mtu size='9000'/>\n    <bond mode='802.3ad'>\n      <miimon freq='100'/>\n      \
             <interface type='ethernet' name='eth{}'/>\n      \
             <interface type='ethernet' name='eth{}'/>\n    </bond>\n  </interface>\n",
            2 * bond,
            2 * bond + 1
        )
        .unwrap();
        devices += 3;
        let first = bond * VLANS_PER_BOND;
        for i in first..vlans.min(first + VLANS_PER_BOND) {
            let tag = i - first + 1;
            let a = (10 << 24) + (i << 4) + 1;
            write!(
                x,
                "  <interface type='vlan' name='bond{bond}.{tag}'>\n    <start mode='onboot'/>\n    \
                 <protocol family='ipv4'>\n      <ip address='{}.{}.{}.{}' prefix='28'/>\n    \
                 </protocol>\n    <vlan tag='{tag}'>\n      <interface name='bond{bond}'/>\n    \
                 </vlan>\n  </interface>\n",
                a >> 24,
                (a >> 16) & 255,
                (a >> 8) & 255,
                a & 255
            )
            .unwrap();
            devices += 1;
        }
    }
    x.push_str("</interfaces>\n");
    (x, devices)
}

/// Times `run` on a fresh `setup()` each time, sorted; setup, `check` of what `run`
/// returned, and dropping both are untimed. One warm-up first, kept as a sample when it took
/// over a second (warming matters little there and repeating costs much); then samples
/// until [`RUNS`], or until [`ROW_TIME`] is spent with at least three, or with one when a
/// single run takes twice as long (the 100,000-file apply of an engine that syncs each file).
pub fn sample<S, R>(
    mut setup: impl FnMut() -> S,
    mut run: impl FnMut(&S) -> R,
    mut check: impl FnMut(&S, R),
) -> Vec<Duration> {
    let mut once = || {
        let s = setup();
        let t = Instant::now();
        let r = run(&s);
        let elapsed = t.elapsed();
        check(&s, r);
        elapsed
    };
    let started = Instant::now();
    let warm = once();
    let mut times = Vec::new();
    if warm > Duration::from_secs(1) {
        times.push(warm);
    }
    let least = if warm > 2 * ROW_TIME { 1 } else { 3 };
    while times.len() < RUNS && (times.len() < least || started.elapsed() < ROW_TIME) {
        times.push(once());
    }
    times.sort();
    times
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
