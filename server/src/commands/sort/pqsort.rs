//! Redis's partial quicksort (`pqsort.c`, NetBSD's Bentley-McIlroy qsort that skips the
//! partitions outside a wanted range). SORT ... BY ... LIMIT and the geo searches with
//! COUNT use it, and elements that compare equal come out in the order this algorithm
//! leaves them, so it is followed step for step to give the same replies as Redis.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `lo..=hi` hold what a full sort would put there
/// (`hi` may be below `lo`, as Redis passes for an empty LIMIT window).
pub fn partial_sort<T>(v: &mut [T], lo: isize, hi: isize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    sort_range(v, 0, n, lo, hi, cmp);
}

fn insertion<T>(v: &mut [T], a: usize, n: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for pm in a + 1..a + n {
        let mut pl = pm;
        while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
            v.swap(pl, pl - 1);
            pl -= 1;
        }
    }
}

fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Whether the partition `[start, start + len)` meets the wanted range.
fn wanted(start: usize, len: usize, lo: isize, hi: isize) -> bool {
    let (s, e) = (start as isize, (start + len) as isize - 1);
    !((lo < s && hi < s) || (lo > e && hi > e))
}

fn sort_range<T>(v: &mut [T], mut a: usize, mut n: usize, lo: isize, hi: isize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    loop {
        if n < 7 {
            insertion(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let mut swapped = false;
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let c = cmp(&v[pb], &v[a]);
                if c == Ordering::Greater {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let c = cmp(&v[pc], &v[a]);
                if c == Ordering::Less {
                    break;
                }
                if c == Ordering::Equal {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            insertion(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        vecswap(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && wanted(a, r, lo, hi) {
            sort_range(v, a, r, lo, hi, cmp);
        }
        let r = pd - pc;
        if r > 1 {
            a = pn - r;
            n = r;
            if wanted(a, n, lo, hi) {
                continue;
            }
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_sorted() {
        let mut seed = 7u64;
        for len in [0usize, 1, 5, 7, 8, 41, 100, 1000] {
            let base: Vec<u32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 40) as u32 % 50
                })
                .collect();
            let mut full = base.clone();
            full.sort();
            for (lo, hi) in [(0isize, len as isize - 1), (3, 9), (len as isize / 2, len as isize - 1), (0, 0)] {
                let mut v = base.clone();
                partial_sort(&mut v, lo, hi, &mut |a, b| a.cmp(b));
                for i in lo.max(0)..=hi.min(len as isize - 1) {
                    assert_eq!(v[i as usize], full[i as usize], "len {len} window {lo}..={hi}");
                }
            }
        }
    }
}
