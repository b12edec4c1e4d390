//! Showing a big plan: 10,000 small files (ten lines each, one changed) as unified diffs,
//! plain, coloured and as JSON, each under 100 ms (medians; the bench fails otherwise).
//! Run with `cargo bench --bench plan_diff`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use netloom::plan::{Change, FileState, Plan, write_diff, write_json};

mod common;
use common::{DEVICES, measure, report};

const BUDGET: Duration = Duration::from_millis(100);

fn main() {
    let changes: Vec<Change> = (0..DEVICES)
        .map(|i| {
            let old: String = (0..10).map(|l| format!("KEY{l}=value{i}\n")).collect();
            let new = old.replace("KEY5=", "KEY5=changed");
            Change {
                path: format!("etc/sysconfig/network-scripts/ifcfg-dev{i:05}"),
                old: Some(FileState {
                    bytes: old.into_bytes(),
                    mode: 0o644,
                }),
                new: Some(FileState {
                    bytes: new.into_bytes(),
                    mode: 0o644,
                }),
            }
        })
        .collect();
    let plan = Plan {
        backend: "ifcfg",
        changes,
    };
    let mut out = Vec::with_capacity(8 << 20);
    write_diff(&plan, &mut out, netloom::plan::Look::default()).unwrap();
    println!("diff: {} files, {} bytes", plan.changes.len(), out.len());

    let mut timed = |what: &str, f: &dyn Fn(&mut Vec<u8>)| {
        report(
            what,
            &measure(|| {
                out.clear();
                f(&mut out);
                black_box(&out);
            }),
        )
    };
    let results = [
        (
            "diff",
            timed("diff", &|o| {
                write_diff(&plan, o, netloom::plan::Look::default()).unwrap()
            }),
        ),
        (
            "diff --color",
            timed("diff --color", &|o| {
                write_diff(
                    &plan,
                    o,
                    netloom::plan::Look {
                        color: true,
                        escape: true,
                    },
                )
                .unwrap()
            }),
        ),
        (
            "json",
            timed("json", &|o| write_json(&plan, "/", o).unwrap()),
        ),
    ];
    let over: Vec<&str> = results
        .iter()
        .filter(|(_, t)| *t > BUDGET)
        .map(|(w, _)| *w)
        .collect();
    if !over.is_empty() {
        eprintln!("over the {BUDGET:?} budget: {}", over.join(", "));
        std::process::exit(1);
    }
    println!("all within the {BUDGET:?} budget");
}
