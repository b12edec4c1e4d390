//! The write path at scale (issue 18), on a host of bonds with 1,000 and 10,000 VLANs in all
//! (`common::vlan_host`), for every host backend in the registry: the library's render
//! alone, then the binary as a person runs it: `render` to a pipe that is drained, `render
//! --out` into an empty directory, `apply --yes` into a fresh root, and `apply` again with
//! nothing to change. Then a 100,000-file apply with ifcfg (one file per device). Each row
//! prints its median and the 10,000/1,000 ratio (10 is linear). Reported, not budgeted: the
//! rows that write are bound by the disk's sync latency, which other work on the machine
//! moves by 10x. Run with `cargo bench --bench write_path`; `NETLOOM_BENCH_BIN=PATH` times
//! another build of the binary (the default is the one cargo builds for this bench, which
//! has the test hook compiled in: a lookup of one environment variable per file).
//!
//! Only the binary and the backend trait are used, so the bench measures whatever engine
//! it is built with.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use netloom::backend::{Backend, Snapshot};

mod common;
use common::{report, sample};

/// The two sizes every row is measured at, in VLANs.
const SIZES: [usize; 2] = [1_000, 10_000];
/// The big apply, in VLANs: 100 bonds, 100,300 files with ifcfg.
const BIG: usize = 100_000;

/// One row of the summary: a backend's step and its median at each of [`SIZES`].
struct Row {
    backend: &'static str,
    step: &'static str,
    medians: [Duration; 2],
}

fn main() {
    let started = Instant::now();
    let bin = binary();
    let work = tempfile::tempdir().unwrap();
    println!("binary: {}", bin.display());
    let hosts: Vec<Host> = SIZES.iter().map(|&n| Host::new(work.path(), n)).collect();

    let mut rows = Vec::new();
    for backend in netloom::backends::ALL.iter().copied() {
        let mut medians = [[Duration::ZERO; 2]; STEPS.len()];
        for (k, host) in hosts.iter().enumerate() {
            for (step, median) in steps(&bin, work.path(), backend, host) {
                medians[step][k] = median;
            }
        }
        rows.extend(STEPS.iter().zip(medians).map(|(&step, medians)| Row {
            backend: backend.name(),
            step,
            medians,
        }));
    }
    summary(&rows);

    let big = Host::new(work.path(), BIG);
    drop(hosts);
    let ifcfg = netloom::backends::find("ifcfg").unwrap();
    let files = ifcfg
        .render(&big.model, &Snapshot::default())
        .unwrap()
        .len();
    let times = apply_fresh(&bin, work.path(), ifcfg, &big, files);
    let median = report(&format!("ifcfg: apply {files} files"), &times);
    println!(
        "\n{files}-file apply (ifcfg, {BIG} VLANs, fresh root): median {}, {} run{}",
        ms(median),
        times.len(),
        if times.len() == 1 { "" } else { "s" }
    );
    println!("this bench took {:.0} s", started.elapsed().as_secs_f64());
}

/// The binary to time.
fn binary() -> PathBuf {
    std::env::var_os("NETLOOM_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_netloom")))
}

/// One size of the host: its XML on disk and its model.
struct Host {
    vlans: usize,
    xml: PathBuf,
    model: netloom::model::Host,
}

impl Host {
    fn new(dir: &Path, vlans: usize) -> Host {
        let (xml, devices) = common::vlan_host(vlans);
        let path = dir.join(format!("host-{vlans}.xml"));
        std::fs::write(&path, &xml).unwrap();
        println!(
            "{vlans} VLANs: {devices} devices, {} KiB of XML",
            xml.len() / 1024
        );
        let model = netloom::xml::read_str("host.xml", &xml).unwrap();
        Host {
            vlans,
            xml: path,
            model,
        }
    }
}

const STEPS: [&str; 5] = [
    "render (library)",
    "render | drain",
    "render --out (empty dir)",
    "apply (fresh root)",
    "apply (nothing to change)",
];

/// Every step for one backend and size: the index into [`STEPS`] and the median.
fn steps(bin: &Path, work: &Path, backend: &dyn Backend, host: &Host) -> Vec<(usize, Duration)> {
    let name = backend.name();
    let files = backend.render(&host.model, &Snapshot::default()).unwrap();
    let n = files.len();
    println!("{name}, {} VLANs: {n} files", host.vlans);
    let label = |step: usize| format!("{name} {}: {}", host.vlans, STEPS[step]);
    let empty = Snapshot::default();
    let mut medians = vec![];

    let lib = sample(
        || (),
        |()| black_box(backend.render(black_box(&host.model), &empty).unwrap()).len(),
        |(), len| assert_eq!(len, n),
    );
    medians.push((0, report(&label(0), &lib)));

    // `--root` an empty directory: the render reads nothing of this machine's own files.
    let nothing = tempfile::tempdir_in(work).unwrap();
    let render = sample(
        || (),
        |()| {
            run(
                bin,
                &[
                    "render",
                    "--backend",
                    name,
                    "--root",
                    path(nothing.path()),
                    path(&host.xml),
                ],
            )
        },
        |(), out| {
            let headers = out.stdout.split(|&b| b == b'\n');
            assert_eq!(headers.filter(|l| l.starts_with(b"==> ")).count(), n);
        },
    );
    medians.push((1, report(&label(1), &render)));

    let out = sample(
        || tempfile::tempdir_in(work).unwrap(),
        |dir| {
            run(
                bin,
                &[
                    "render",
                    "--backend",
                    name,
                    path(&host.xml),
                    "--out",
                    path(dir.path()),
                ],
            )
        },
        |dir, _| assert_eq!(count_files(dir.path()), n),
    );
    medians.push((2, report(&label(2), &out)));

    let fresh = apply_fresh(bin, work, backend, host, n);
    medians.push((3, report(&label(3), &fresh)));

    let applied = tempfile::tempdir_in(work).unwrap();
    apply(bin, name, applied.path(), &host.xml);
    let again = sample(
        || (),
        |()| apply(bin, name, applied.path(), &host.xml),
        |(), out| {
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(said.contains("nothing to change"), "{said}");
        },
    );
    medians.push((4, report(&label(4), &again)));
    medians
}

/// `apply` of `host` into a fresh root each run, checked to write `files` files.
fn apply_fresh(
    bin: &Path,
    work: &Path,
    backend: &dyn Backend,
    host: &Host,
    files: usize,
) -> Vec<Duration> {
    sample(
        || tempfile::tempdir_in(work).unwrap(),
        |root| apply(bin, backend.name(), root.path(), &host.xml),
        |root, _| assert_eq!(count_files(root.path()), files),
    )
}

fn apply(bin: &Path, backend: &str, root: &Path, xml: &Path) -> Output {
    run(
        bin,
        &[
            "apply",
            "--backend",
            backend,
            "--root",
            path(root),
            "--yes",
            path(xml),
        ],
    )
}

/// Runs the binary with standard output and error drained through pipes; it must succeed.
fn run(bin: &Path, args: &[&str]) -> Output {
    let out = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "netloom {}: {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Regular files under `root`, netloom's own state (`var/lib/netloom`) left out.
fn count_files(root: &Path) -> usize {
    let own = root.join("var/lib/netloom");
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_entry(|e| e.path() != own)
        .filter(|e| e.as_ref().unwrap().file_type().is_file())
        .count()
}

fn summary(rows: &[Row]) {
    println!(
        "\n{:<8}{:<28}{:>14}{:>14}{:>8}",
        "backend", "step", "1,000 VLANs", "10,000 VLANs", "ratio"
    );
    for r in rows {
        let [small, big] = r.medians;
        println!(
            "{:<8}{:<28}{:>14}{:>14}{:>8.1}",
            r.backend,
            r.step,
            ms(small),
            ms(big),
            big.as_secs_f64() / small.as_secs_f64()
        );
    }
}

/// A duration in milliseconds, to three significant figures or so.
fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    match ms {
        m if m < 10.0 => format!("{m:.2} ms"),
        m if m < 100.0 => format!("{m:.1} ms"),
        m => format!("{m:.0} ms"),
    }
}
