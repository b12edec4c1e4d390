//! The ifcfg backend at scale: render the 10,000-device host, and import a root holding the
//! resulting ifcfg files, each under 100 ms (medians; the bench fails otherwise). Importing
//! with the files read from disk is reported too: a real import pays for those 10,000
//! opens, which the budget cannot promise on every machine. Run with
//! `cargo bench --bench ifcfg`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use netloom::backend::{Backend, Snapshot};
use netloom::backends::ifcfg::Ifcfg;
use netloom::engine::{TargetRoot, write_files};

mod common;
use common::{host, measure, report};

const BUDGET: Duration = Duration::from_millis(100);

fn main() {
    let (xml, _) = host();
    let host = netloom::xml::read_str("bench.xml", &xml).unwrap();
    let empty = Snapshot::default();
    let files = Ifcfg.render(&host, &empty).unwrap();
    println!(
        "render: {} ifcfg files from {} top-level interfaces",
        files.len(),
        host.interfaces.len()
    );

    let render = report(
        "render (new files)",
        &measure(|| {
            black_box(Ifcfg.render(black_box(&host), &empty).unwrap());
        }),
    );

    let dir = tempfile::tempdir().unwrap();
    let root = TargetRoot::open(dir.path()).unwrap();
    write_files(&root, &files).unwrap();
    let snap = root.snapshot(Ifcfg.scan()).unwrap();
    let merge = report(
        "render (merge into existing)",
        &measure(|| {
            black_box(Ifcfg.render(black_box(&host), &snap).unwrap());
        }),
    );
    let import = report(
        "import (files in memory)",
        &measure(|| {
            black_box(Ifcfg.import(black_box(&snap), &[]).unwrap());
        }),
    );
    let import_disk = report(
        "import (reading the root)",
        &measure(|| {
            let snap = root.snapshot(Ifcfg.scan()).unwrap();
            black_box(Ifcfg.import(&snap, &[]).unwrap());
        }),
    );

    println!("import from disk is reported, not budgeted: {import_disk:?} median here");
    let over: Vec<&str> = [
        ("render", render),
        ("render merge", merge),
        ("import", import),
    ]
    .into_iter()
    .filter(|(_, t)| *t > BUDGET)
    .map(|(w, _)| w)
    .collect();
    if !over.is_empty() {
        eprintln!("over the {BUDGET:?} budget: {}", over.join(", "));
        std::process::exit(1);
    }
    println!("all within the {BUDGET:?} budget");
}
