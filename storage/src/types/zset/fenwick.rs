//! Prefix sums over the lengths of a sorted set's chunks (a Fenwick, or binary indexed,
//! tree): the rank where a chunk starts and the chunk holding a rank, both in O(log m)
//! for m chunks, and a length change in O(log m). A chunk inserted or removed shifts the
//! chunks after it, so those rebuild the tree in O(m); they happen once per many
//! inserts or removes (see the split and merge thresholds in `zset.rs`).

/// Prefix sums of `m` counts. Slot `i` (1-based) holds the sum of the `i & -i` counts
/// ending at count `i`.
#[derive(Clone, Debug, Default)]
pub(super) struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    /// Rebuilds from the counts, in O(m).
    pub fn rebuild(&mut self, counts: impl Iterator<Item = usize>) {
        self.tree.clear();
        self.tree.extend(counts.map(|c| c as u32));
        let n = self.tree.len();
        for i in 1..=n {
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                self.tree[j - 1] = self.tree[j - 1].wrapping_add(self.tree[i - 1]);
            }
        }
        if self.tree.capacity() > 2 * n + 16 {
            self.tree.shrink_to_fit();
        }
    }

    /// Number of counts.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Adds `delta` to count `i`.
    pub fn add(&mut self, i: usize, delta: i32) {
        let mut i = i + 1;
        while i <= self.tree.len() {
            self.tree[i - 1] = self.tree[i - 1].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of counts `0..i`.
    pub fn prefix(&self, i: usize) -> usize {
        let mut i = i.min(self.tree.len());
        let mut sum = 0usize;
        while i > 0 {
            sum += self.tree[i - 1] as usize;
            i &= i - 1;
        }
        sum
    }

    /// The count holding position `pos` of the concatenation and the offset in it:
    /// `(i, pos - prefix(i))` for the `i` with `prefix(i) <= pos < prefix(i + 1)`;
    /// `None` when `pos` is at or past the total.
    pub fn find(&self, pos: usize) -> Option<(usize, usize)> {
        let n = self.tree.len();
        if n == 0 {
            return None;
        }
        // Binary lifting: the longest prefix whose sum is <= pos.
        let (mut at, mut rem) = (0usize, pos);
        let mut step = 1usize << (usize::BITS - 1 - n.leading_zeros());
        while step > 0 {
            let next = at + step;
            if next <= n && (self.tree[next - 1] as usize) <= rem {
                at = next;
                rem -= self.tree[next - 1] as usize;
            }
            step >>= 1;
        }
        (at < n).then_some((at, rem))
    }

    /// Heap bytes.
    pub fn heap_size(&self) -> usize {
        self.tree.capacity() * std::mem::size_of::<u32>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn agrees_with_linear_sums() {
        for seed in 0..20u64 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut counts: Vec<usize> = (0..rng.gen_range(0..40)).map(|_| rng.gen_range(0..10)).collect();
            let mut f = Fenwick::default();
            f.rebuild(counts.iter().copied());
            for _ in 0..100 {
                if !counts.is_empty() && rng.gen_bool(0.5) {
                    let i = rng.gen_range(0..counts.len());
                    let d: i32 = if counts[i] > 0 && rng.gen_bool(0.5) { -1 } else { 1 };
                    counts[i] = (counts[i] as i64 + i64::from(d)) as usize;
                    f.add(i, d);
                }
                assert_eq!(f.len(), counts.len());
                let total: usize = counts.iter().sum();
                for i in 0..=counts.len() {
                    assert_eq!(f.prefix(i), counts[..i].iter().sum::<usize>());
                }
                for pos in 0..total + 2 {
                    let mut expect = None;
                    let mut start = 0;
                    for (i, &c) in counts.iter().enumerate() {
                        if pos < start + c {
                            expect = Some((i, pos - start));
                            break;
                        }
                        start += c;
                    }
                    assert_eq!(f.find(pos), expect);
                }
            }
        }
    }
}
