//! The ifcfg backend at scale: render the 10,000-device host, render it merged into a root
//! already holding those files, and import that root, each under 100 ms (medians; the bench
//! fails otherwise). Importing with the files read from disk is reported too: a real import
//! pays for those 10,000 opens, which the budget cannot promise on every machine. Run with
//! `cargo bench --bench ifcfg`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use netloom::backends::ifcfg::Ifcfg;

mod common;

fn main() {
    common::backend(&Ifcfg, Duration::from_millis(100));
}
