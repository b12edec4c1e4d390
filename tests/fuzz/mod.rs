//! Property tests that stay: every reader fed generated and mutated input, every host
//! backend fed generated hosts. Each property runs a fixed number of cases from a fixed
//! seed, so a run is the same run on every machine and its cost is bounded; a failure is
//! shrunk by proptest to a smallest input and printed. No file is written: failures are not
//! persisted (a found bug becomes a named regression test instead).
//!
//! More cases: `PROPTEST_CASES=100000 cargo test --test tests fuzz`; another seed:
//! `PROPTEST_RNG_SEED=7`.

mod corpus;
mod grammar;
mod inputs;
mod native;
mod regressions;
mod round_trip;
mod xml;

use netloom::{Diagnostic, Diagnostics};
use proptest::test_runner::{Config, RngSeed};

/// The seed of every property unless `PROPTEST_RNG_SEED` says otherwise.
const SEED: u64 = 0x6e65_746c_6f6f_6d22;

/// A configuration of `cases` cases (or `PROPTEST_CASES`), from the fixed seed, persisting
/// nothing.
pub fn config(cases: u32) -> Config {
    // `default()` has already applied the PROPTEST_* variables.
    let env = Config::default();
    let asked = std::env::var_os("PROPTEST_CASES").is_some();
    Config {
        cases: if asked { env.cases } else { cases },
        rng_seed: match env.rng_seed {
            RngSeed::Random => RngSeed::Fixed(SEED),
            fixed => fixed,
        },
        failure_persistence: None,
        // A found failure is shrunk for at most a minute, so a failing run still ends.
        max_shrink_time: if env.max_shrink_time == 0 {
            60_000
        } else {
            env.max_shrink_time
        },
        ..env
    }
}

/// Problems that concern a whole input rather than a place in it, by the start of their
/// message: the only ones that may come without `line:col`. They come from reading files
/// (`src/cli/input.rs`), never from a reader given text, so no property here should meet
/// them; any other unpositioned problem fails.
pub const WHOLE_FILE: &[&str] = &[
    "cannot read: ",
    "this file is given more than once",
    "standard input is given more than once",
];

/// Everything wrong with how `diags` point into `inputs` (name and text as positions count
/// in it: a `SourceFile`'s text, or [`positioned`] of what a native reader was given): each
/// problem must name one of the inputs, have a position inside that input's text (or be a
/// whole-file problem), and say something.
pub fn misplaced(diags: &Diagnostics, inputs: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    if diags.0.is_empty() {
        out.push("an error with no problem in it".to_owned());
    }
    for d in &diags.0 {
        if let Some(why) = misplaced_one(d, inputs) {
            out.push(format!("{why}: {d}"));
        }
    }
    out
}

fn misplaced_one(d: &Diagnostic, inputs: &[(&str, &str)]) -> Option<&'static str> {
    if d.message().is_empty() {
        return Some("no message");
    }
    let Some(&(_, text)) = inputs.iter().find(|(name, _)| *name == d.file()) else {
        return Some("names no input");
    };
    let Some(pos) = d.position() else {
        return (!WHOLE_FILE.iter().any(|w| d.message().starts_with(w))).then_some("no position");
    };
    let line = text.split('\n').nth((pos.line as usize).wrapping_sub(1));
    match line {
        None => Some("a line past the end of the input"),
        Some(l) if pos.col == 0 || pos.col as usize > l.chars().count() + 1 => {
            Some("a column past the end of its line")
        }
        Some(_) => None,
    }
}

/// `text` as positions count in it: after a leading byte-order mark, which `SourceFile`
/// drops.
pub fn positioned(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A source of decisions for the generators: a list of numbers proptest generates and
/// shrinks. Each decision takes the next number; when they run out every decision is 0, the
/// plainest choice, so a shrunk list reads as "the first option everywhere but here".
pub struct Choices<'a> {
    data: &'a [u32],
    at: usize,
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u32]) -> Self {
        Self { data, at: 0 }
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        let v = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 { 0 } else { v as usize % n }
    }

    /// True about once in `n`; never once the numbers have run out.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == n - 1
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }

    /// One of [`HOSTILE`].
    pub fn hostile(&mut self) -> &'static str {
        HOSTILE[self.below(HOSTILE.len())]
    }
}

/// Values no real input has and every reader must refuse in place: numbers past every
/// integer type, signs, control characters, quotes, markup, shell syntax, odd Unicode.
pub const HOSTILE: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "+5",
    "1e3",
    "0x1f",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "1.5",
    "..",
    "/",
    "a/b",
    "a b",
    "\t",
    "\r",
    "\r\n",
    "\n",
    "\0",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{85}",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "\"",
    "'",
    "\\",
    "<",
    ">",
    "&",
    "=",
    "#",
    ";",
    ",",
    "[",
    "]",
    "$(reboot)",
    "`id`",
    "~",
    "%eth0",
    "::",
    "1.2.3.4/99",
    "300.1.1.1",
    "ff:ff:ff:ff:ff:ff",
    "all",
    "none",
    "-",
];
