//! Complexity checks that a busy machine cannot fail.
//!
//! A test that asserts "this took under 500 ms" fails whenever another build shares the
//! machine, yet what it guards is the *shape* of the cost: linear, not quadratic. So a check
//! here runs the same work at a size and at ten times that size and compares the CPU time the
//! calling thread spent on each. Waiting for a core is not CPU time, so a loaded machine
//! barely moves the figures; linear work grows about tenfold, quadratic work a hundredfold,
//! and the bound ([`MAX_RATIO`]) sits between them with room for caches and allocators.
//!
//! The work must run on the calling thread: time spent in other threads is not counted.
//!
//! Used by unit tests (`crate::scaling`) and, through `#[path]`, by the integration tests,
//! so this file names nothing of the crate.

#![allow(clippy::panic)]

use std::time::Duration;

/// How much more CPU time ten times the input may take. Linear work measures about 10,
/// quadratic about 100.
pub const MAX_RATIO: f64 = 40.0;

/// The smallest run worth comparing: below it, timer resolution and cache warm-up dominate.
const MIN_SMALL: Duration = Duration::from_millis(3);

/// The CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// The least CPU time of three runs of `run` on `input` (the least is the run the machine
/// disturbed least).
fn best_of_three<T>(input: &T, run: &mut impl FnMut(&T)) -> Duration {
    (0..3)
        .map(|_| {
            let start = thread_cpu_time();
            run(input);
            thread_cpu_time().saturating_sub(start)
        })
        .min()
        .unwrap_or_default()
}

/// Panics unless `run` costs about linearly more on a ten times larger input.
///
/// `make(n)` builds an input of size `n` (not measured); `run` is the work measured. `n` is
/// doubled (up to 2^10 times) until the small run takes long enough to measure, so callers
/// pick a natural size and need not tune it to the machine.
pub fn assert_linear<T>(
    what: &str,
    mut n: usize,
    mut make: impl FnMut(usize) -> T,
    mut run: impl FnMut(&T),
) {
    let mut small = make(n);
    let mut small_time = best_of_three(&small, &mut run);
    for _ in 0..10 {
        if small_time >= MIN_SMALL {
            break;
        }
        n *= 2;
        small = make(n);
        small_time = best_of_three(&small, &mut run);
    }
    drop(small);
    let large = make(n * 10);
    let large_time = best_of_three(&large, &mut run);
    let ratio = large_time.as_secs_f64() / small_time.as_secs_f64().max(1e-9);
    assert!(
        ratio < MAX_RATIO,
        "{what}: {n} took {small_time:?} of CPU time and {} took {large_time:?}, {ratio:.1} times \
         as much for ten times the input (linear work is about 10, quadratic about 100; the \
         bound is {MAX_RATIO})",
        n * 10
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quadratic(items: &[u64]) {
        let mut hits = 0u64;
        for a in items {
            for b in items {
                hits = hits.wrapping_add(u64::from(a == b));
            }
        }
        std::hint::black_box(hits);
    }

    fn linear(items: &[u64]) {
        std::hint::black_box(items.iter().fold(0u64, |a, b| a.wrapping_add(*b)));
    }

    #[test]
    fn linear_work_passes() {
        assert_linear(
            "a sum",
            100_000,
            |n| (0..n as u64).collect::<Vec<_>>(),
            |v| linear(v),
        );
    }

    #[test]
    fn quadratic_work_is_caught() {
        let caught = std::panic::catch_unwind(|| {
            assert_linear(
                "pairs",
                300,
                |n| (0..n as u64).collect::<Vec<_>>(),
                |v| quadratic(v),
            );
        });
        let message = caught.expect_err("quadratic work must fail the check");
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(text.contains("pairs:") && text.contains("times"), "{text}");
    }
}
