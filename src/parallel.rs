//! Splitting work that is independent per item (reading 10,000 files, parsing them) across
//! the machine's cores, with scoped threads: no pool, no crate, and results in input order.

/// `f` applied to each item, in order, on up to 8 threads of at least `min_chunk` items
/// each, so small inputs stay on the calling thread. A panic in `f` resumes on the caller,
/// as if `f` had run there.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    min_chunk: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = items.len().div_ceil(threads).max(min_chunk).max(1);
    if items.len() <= chunk {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_input_order_across_threads() {
        let items: Vec<u32> = (0..10_000).collect();
        let doubled = super::map(&items, 16, |x| x * 2);
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(super::map(&[] as &[u32], 16, |x| *x), Vec::<u32>::new());
    }
}
