//! The Debian backend at scale: a hostile root whose files source each other eight times
//! over, thirteen deep (8^13 files to read if followed naively), is refused in under 500 ms;
//! then render the 10,000-device host (netloom's files plus the splice into the main file),
//! render again over a root that already holds them, and import that root back, each under
//! 100 ms (medians; the bench fails otherwise). Importing with the files read from disk
//! is reported, not budgeted. Run with `cargo bench --bench debian`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration;

use netloom::backend::{Backend, Snapshot};
use netloom::backends::debian::Debian;

mod common;

const BUDGET: Duration = Duration::from_millis(100);
/// Refusing takes following the sources until ifupdown's reads would pass 100,000 files.
const HOSTILE_BUDGET: Duration = Duration::from_millis(500);

/// `interfaces` sources `f0`, and each `fN` sources `fN+1` eight times, thirteen deep.
fn multiplying_sources() -> Snapshot {
    let mut files = vec![(
        "etc/network/interfaces".to_owned(),
        "source interfaces.d/f0\n".to_owned(),
    )];
    for i in 0..13 {
        files.push((
            format!("etc/network/interfaces.d/f{i}"),
            format!("source f{}\n", i + 1).repeat(8),
        ));
    }
    Snapshot {
        files: files.into_iter().collect(),
        ..Snapshot::default()
    }
}

fn main() {
    let host = netloom::xml::read_str(
        "eth0.xml",
        "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>",
    )
    .unwrap();
    let hostile = multiplying_sources();
    let err = Debian.render(&host, &hostile).unwrap_err().to_string();
    assert!(err.contains("source each other so often"), "{err}");
    let refuse = common::report(
        "refuse multiplying sources",
        &common::measure(|| {
            black_box(Debian.render(black_box(&host), &hostile).unwrap_err());
        }),
    );
    common::enforce(
        HOSTILE_BUDGET,
        [("refusing multiplying sources".to_owned(), refuse)],
    );

    common::backend(&Debian, BUDGET);
}
