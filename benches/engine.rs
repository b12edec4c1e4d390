//! The engine at scale, with the ifcfg backend on a real directory: plan and diff the
//! 10,000-device host against a root that already holds it (nothing to do: the CI drift
//! check), against an empty root (10,000 creations), and apply 1,000 files as one journalled
//! transaction, fsyncs included. Plans read 10,000 files from disk and merge into each, so
//! their guard is 250 ms (medians; the bench fails over it); the apply is reported, since it
//! is bound by the disk's fsync latency. Run with `cargo bench --bench engine`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use netloom::backend::{Backend, Snapshot};
use netloom::backends::ifcfg::Ifcfg;
use netloom::backends::null::Null;
use netloom::engine::{self, Session, TargetRoot, write_files};
use netloom::plan::write_diff;

mod common;
use common::{host, measure, report};

const BUDGET: Duration = Duration::from_millis(250);
const APPLIED: usize = 1_000;

fn main() {
    let (xml, _) = host();
    let host = netloom::xml::read_str("bench.xml", &xml).unwrap();
    let files = Ifcfg.render(&host, &Snapshot::default()).unwrap();

    let full = tempfile::tempdir().unwrap();
    let full_root = TargetRoot::open(full.path()).unwrap();
    write_files(&full_root, &files).unwrap();
    report(
        "  of which: read the root",
        &measure(|| {
            black_box(full_root.snapshot(Ifcfg.scan()).unwrap());
        }),
    );
    let snap = full_root.snapshot(Ifcfg.scan()).unwrap();
    report(
        "  of which: render (merge)",
        &measure(|| {
            black_box(Ifcfg.render(&host, &snap).unwrap());
        }),
    );
    let same = report(
        "plan, nothing to change",
        &measure(|| {
            let plan = engine::plan(&full_root, &Ifcfg, &host).unwrap();
            assert!(plan.is_empty());
            black_box(plan);
        }),
    );

    let empty = tempfile::tempdir().unwrap();
    let empty_root = TargetRoot::open(empty.path()).unwrap();
    let mut shown = 0;
    let create = report(
        "plan + diff, all new",
        &measure(|| {
            let plan = engine::plan(&empty_root, &Ifcfg, &host).unwrap();
            let mut out = Vec::with_capacity(4 << 20);
            write_diff(&plan, &mut out, netloom::plan::Look::default()).unwrap();
            shown = plan.changes.len();
            black_box(out);
        }),
    );
    println!("  ({shown} files planned and shown)");

    // Apply: a fresh root each run, so every run writes and journals APPLIED new files.
    let small = netloom::model::Host {
        interfaces: host.interfaces[host.interfaces.len() - APPLIED..].to_vec(),
    };
    let mut times = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let root = TargetRoot::open(dir.path()).unwrap();
        let t = Instant::now();
        let session = Session::open(&root).unwrap();
        let plan = engine::plan(&root, &Null, &small).unwrap();
        assert_eq!(plan.changes.len(), APPLIED);
        session.apply(&plan, "bench", None).unwrap();
        times.push(t.elapsed());
    }
    times.sort();
    report(&format!("apply {APPLIED} files"), &times);

    for (what, median) in [("plan (no change)", same), ("plan + diff (new)", create)] {
        assert!(median < BUDGET, "{what} took {median:?}, over {BUDGET:?}");
    }
}
