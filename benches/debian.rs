//! The Debian backend at scale: render the 10,000-device host (netloom's files plus the
//! splice into the main file), render again over a root that already holds them, and
//! import that root back, each under 100 ms (medians; the bench fails otherwise). Importing
//! with the files read from disk is reported too, not budgeted. Run with
//! `cargo bench --bench debian`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use netloom::backends::debian::Debian;

mod common;

fn main() {
    common::backend(&Debian, Duration::from_millis(100));
}
